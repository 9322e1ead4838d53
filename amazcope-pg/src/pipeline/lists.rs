//! Categories (from breadcrumbs, rank lines and best-seller lists), best-seller snapshots and
//! reviews.

use super::{clip, db};
use amazcope_core::model::page::{BestsellerPage, ReviewPage, ScrapedProduct};
use amazcope_core::{Asin, Marketplace, StoreResult, UserId};
use chrono::{DateTime, NaiveTime, Utc};
use rust_decimal::Decimal;
use sqlx::PgConnection;
use std::collections::{BTreeSet, HashMap};
use uuid::Uuid;

type Ts = DateTime<Utc>;
type NamedKey = (String, Option<Uuid>, String);

/// Finds or creates categories identified by (marketplace, parent, name) (no Amazon id).
/// Categories are read first: on a refresh they all exist, and one SELECT answers.
async fn ensure_named(
    conn: &mut PgConnection,
    keys: &BTreeSet<NamedKey>,
) -> StoreResult<HashMap<NamedKey, Uuid>> {
    let mut ids = select_named(conn, keys).await?;
    let missing: BTreeSet<NamedKey> = keys.iter().filter(|k| !ids.contains_key(*k)).cloned().collect();
    if missing.is_empty() {
        return Ok(ids);
    }
    let mps: Vec<&str> = missing.iter().map(|k| k.0.as_str()).collect();
    let parents: Vec<Option<Uuid>> = missing.iter().map(|k| k.1).collect();
    let names: Vec<&str> = missing.iter().map(|k| k.2.as_str()).collect();
    // The conflict target is uq_categories_marketplace_parent_name (partial, on an
    // expression): a category without an Amazon id is known by its place in the tree. A
    // concurrent ingest may create the same category; it is then read back like ours.
    // language=PostgreSQL
    let sql = "INSERT INTO categories (marketplace, parent_id, name, level)
               SELECT u.mp, u.parent, u.name,
                      COALESCE((SELECT c.level + 1 FROM categories c WHERE c.id = u.parent), 0)
               FROM UNNEST($1::text[], $2::uuid[], $3::text[]) AS u(mp, parent, name)
               ON CONFLICT (marketplace, (COALESCE(parent_id, '00000000-0000-0000-0000-000000000000'::uuid)), name)
                   WHERE category_id IS NULL DO NOTHING";
    sqlx::query(sql).bind(&mps).bind(&parents).bind(&names).execute(&mut *conn).await.map_err(db)?;
    ids.extend(select_named(conn, &missing).await?);
    Ok(ids)
}

async fn select_named(
    conn: &mut PgConnection,
    keys: &BTreeSet<NamedKey>,
) -> StoreResult<HashMap<NamedKey, Uuid>> {
    if keys.is_empty() {
        return Ok(HashMap::new());
    }
    let mps: Vec<&str> = keys.iter().map(|k| k.0.as_str()).collect();
    let parents: Vec<Option<Uuid>> = keys.iter().map(|k| k.1).collect();
    let names: Vec<&str> = keys.iter().map(|k| k.2.as_str()).collect();
    // language=PostgreSQL
    let sql = "SELECT c.id, c.marketplace, c.parent_id, c.name FROM categories c
               JOIN UNNEST($1::text[], $2::uuid[], $3::text[]) AS u(mp, parent, name)
                 ON c.marketplace = u.mp AND c.parent_id IS NOT DISTINCT FROM u.parent
                    AND c.name = u.name AND c.category_id IS NULL";
    let rows: Vec<(Uuid, String, Option<Uuid>, String)> =
        sqlx::query_as(sql).bind(&mps).bind(&parents).bind(&names).fetch_all(&mut *conn).await.map_err(db)?;
    Ok(rows.into_iter().map(|(id, mp, parent, name)| ((mp, parent, name), id)).collect())
}

/// Creates every path (root first) level by level: two statements per level for the whole
/// set. Returns the leaf id of each path, in order.
async fn ensure_paths(
    conn: &mut PgConnection,
    paths: &[(Marketplace, Vec<String>)],
) -> StoreResult<Vec<Option<Uuid>>> {
    let depth = paths.iter().map(|p| p.1.len()).max().unwrap_or(0);
    let mut current: Vec<Option<Uuid>> = vec![None; paths.len()];
    for level in 0..depth {
        let keys: BTreeSet<NamedKey> = paths
            .iter()
            .zip(&current)
            .filter(|(p, _)| p.1.len() > level)
            .map(|(p, parent)| (p.0.code().to_owned(), *parent, clip(&p.1[level], 200)))
            .collect();
        let ids = ensure_named(conn, &keys).await?;
        for (p, parent) in paths.iter().zip(current.iter_mut()) {
            if p.1.len() > level {
                *parent = ids.get(&(p.0.code().to_owned(), *parent, clip(&p.1[level], 200))).copied();
            }
        }
    }
    Ok(current)
}

/// Finds or creates a category by its Amazon id (best-seller slug or browse node).
async fn ensure_slug(
    conn: &mut PgConnection,
    mp: Marketplace,
    slug: &str,
    name: &str,
    url: Option<&str>,
    parent: Option<Uuid>,
) -> StoreResult<Uuid> {
    // DO UPDATE (rather than NOTHING) so RETURNING yields the row either way; the name and
    // URL follow Amazon's latest wording.
    // language=PostgreSQL
    let sql = "INSERT INTO categories (category_id, marketplace, name, url, parent_id, level)
               VALUES ($1, $2, $3, $4, $5,
                       COALESCE((SELECT c.level + 1 FROM categories c WHERE c.id = $5), 0))
               ON CONFLICT ON CONSTRAINT uq_category_marketplace DO UPDATE
                   SET name = EXCLUDED.name, url = COALESCE(EXCLUDED.url, categories.url),
                       parent_id = COALESCE(EXCLUDED.parent_id, categories.parent_id),
                       level = CASE WHEN EXCLUDED.parent_id IS NULL THEN categories.level
                                    ELSE EXCLUDED.level END
                   -- A rank line names a category without its place in the tree; a list page
                   -- brings the parent later, and only a real change writes a row version.
                   WHERE (categories.name, categories.url, categories.parent_id) IS DISTINCT FROM
                         (EXCLUDED.name, COALESCE(EXCLUDED.url, categories.url),
                          COALESCE(EXCLUDED.parent_id, categories.parent_id))
               RETURNING id";
    let row: Option<(Uuid,)> = sqlx::query_as(sql)
        .bind(clip(slug, 100))
        .bind(mp.code())
        .bind(clip(name, 200))
        .bind(url.map(|u| clip(u, 1000)))
        .bind(parent)
        .fetch_optional(&mut *conn)
        .await
        .map_err(db)?;
    if let Some((id,)) = row {
        return Ok(id);
    }
    // language=PostgreSQL
    let sql = "SELECT id FROM categories WHERE category_id = $1 AND marketplace = $2";
    let (id,): (Uuid,) =
        sqlx::query_as(sql).bind(clip(slug, 100)).bind(mp.code()).fetch_one(&mut *conn).await.map_err(db)?;
    Ok(id)
}

/// The best-seller slug or node id of a list link: `/gp/bestsellers/electronics/172282/ref=..`
/// → `172282`, `/zgbs/kitchen/ref=..` → `kitchen`.
pub(crate) fn slug_of(link: &str) -> Option<String> {
    let lower = link.to_ascii_lowercase();
    let start = ["/gp/bestsellers/", "/zgbs/", "/bestsellers/"]
        .iter()
        .find_map(|m| lower.find(m).map(|i| i + m.len()))?;
    let rest = &link[start..];
    let rest = rest.split(['?', '#']).next().unwrap_or("");
    rest.split('/').take_while(|s| !s.is_empty() && !s.starts_with("ref=")).last().map(str::to_owned)
}

/// The categories of product pages: each breadcrumb path as a chain, the main rank category
/// as a root when it has no list link, and every rank category with a list link by its id.
pub(crate) async fn categories_of_products<'a>(
    conn: &mut PgConnection,
    pages: impl Iterator<Item = &'a ScrapedProduct>,
) -> StoreResult<()> {
    let mut paths: BTreeSet<(Marketplace, Vec<String>)> = BTreeSet::new();
    let mut slugged: BTreeSet<(Marketplace, String, String, String)> = BTreeSet::new();
    for p in pages {
        if let Some(crumbs) = p.categories.value().filter(|c| !c.is_empty()) {
            paths.insert((p.marketplace, crumbs.clone()));
        }
        for (i, rank) in p.ranks.value().into_iter().flatten().enumerate() {
            match rank.link.as_deref().and_then(|l| slug_of(l).map(|s| (s, l))) {
                Some((slug, link)) => {
                    slugged.insert((p.marketplace, slug, rank.category.clone(), link.to_owned()));
                }
                None if i == 0 => {
                    paths.insert((p.marketplace, vec![rank.category.clone()]));
                }
                None => {}
            }
        }
    }
    let paths: Vec<(Marketplace, Vec<String>)> = paths.into_iter().collect();
    ensure_paths(conn, &paths).await?;
    for (mp, slug, name, link) in &slugged {
        ensure_slug(conn, *mp, slug, name, Some(link), None).await?;
    }
    Ok(())
}

/// What storing a best-seller list did.
pub(crate) struct ListResult {
    pub(crate) inserted: u64,
    pub(crate) duplicates: u64,
    pub(crate) products_created: u64,
}

/// Stores a best-seller list: its category (under the list's navigation path), competitor
/// products for entries not in the catalogue, and one row per entry.
pub(crate) async fn ingest_bestsellers(
    conn: &mut PgConnection,
    page: &BestsellerPage,
    at: Ts,
) -> StoreResult<ListResult> {
    let mp = page.marketplace;
    let name = page.category.value().cloned().or_else(|| page.category_path.last().cloned());
    let Some(name) = name else {
        return Ok(ListResult { inserted: 0, duplicates: 0, products_created: 0 });
    };
    let mut parent_path = page.category_path.clone();
    if parent_path.last() == Some(&name) {
        parent_path.pop();
    }
    let parent =
        if parent_path.is_empty() { None } else { ensure_paths(conn, &[(mp, parent_path)]).await?[0] };
    let category = match &page.category_id {
        Some(slug) => ensure_slug(conn, mp, slug, &name, page.url.as_deref(), parent).await?,
        None => {
            let key = (mp.code().to_owned(), parent, clip(&name, 200));
            let ids = ensure_named(conn, &BTreeSet::from([key.clone()])).await?;
            ids[&key]
        }
    };
    // language=PostgreSQL
    let sql = "UPDATE categories SET last_scraped_at = $2
               WHERE id = $1 AND (last_scraped_at IS NULL OR last_scraped_at < $2)";
    sqlx::query(sql).bind(category).bind(at).execute(&mut *conn).await.map_err(db)?;

    // One entry per rank: a list with a repeated rank keeps the first.
    let mut seen = BTreeSet::new();
    let items: Vec<_> = page.items.iter().filter(|i| seen.insert(i.rank)).collect();
    if items.is_empty() {
        return Ok(ListResult { inserted: 0, duplicates: 0, products_created: 0 });
    }
    let uniq: BTreeSet<Asin> = items.iter().map(|i| i.asin).collect();
    let asins: Vec<&str> = uniq.iter().map(Asin::as_str).collect();
    let mps: Vec<&str> = uniq.iter().map(|_| mp.code()).collect();
    let title_of: HashMap<Asin, String> = items
        .iter()
        .rev()
        .map(|i| (i.asin, clip(i.title.value().map_or(i.asin.as_str(), String::as_str), 500)))
        .collect();
    let titles: Vec<&str> = uniq.iter().map(|a| title_of[a].as_str()).collect();
    let urls: Vec<String> = uniq.iter().map(|a| mp.product_url(a)).collect();
    let currencies: Vec<String> = uniq.iter().map(|_| mp.currency().as_str().to_owned()).collect();
    // Entries not in the catalogue become competitor products, tracked by nobody.
    // language=PostgreSQL
    let sql = "INSERT INTO products (asin, marketplace, title, url, currency, is_competitor)
               SELECT u.*, true FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) AS u
               ON CONFLICT ON CONSTRAINT uq_product_asin_marketplace DO NOTHING
               RETURNING id";
    let created: Vec<(Uuid,)> = sqlx::query_as(sql)
        .bind(&asins)
        .bind(&mps)
        .bind(&titles)
        .bind(&urls)
        .bind(&currencies)
        .fetch_all(&mut *conn)
        .await
        .map_err(db)?;
    // language=PostgreSQL
    let sql = "SELECT p.asin, p.id FROM products p
               WHERE p.marketplace = $2 AND p.asin = ANY($1)";
    let ids: HashMap<String, Uuid> = sqlx::query_as(sql)
        .bind(&asins)
        .bind(mp.code())
        .fetch_all(&mut *conn)
        .await
        .map_err(db)?
        .into_iter()
        .collect();

    let rank: Vec<i32> = items.iter().map(|i| i32::try_from(i.rank).unwrap_or(i32::MAX)).collect();
    let asin: Vec<&str> = items.iter().map(|i| i.asin.as_str()).collect();
    let product: Vec<Option<Uuid>> = items.iter().map(|i| ids.get(i.asin.as_str()).copied()).collect();
    let title: Vec<Option<String>> = items.iter().map(|i| i.title.value().map(|t| clip(t, 500))).collect();
    let price: Vec<Option<Decimal>> = items.iter().map(|i| i.price.value().map(|m| m.amount)).collect();
    let currency: Vec<Option<&str>> =
        items.iter().map(|i| i.price.value().map(|m| m.currency.as_str())).collect();
    let rating: Vec<Option<f64>> = items.iter().map(|i| i.rating.value().map(|r| r.get())).collect();
    let reviews: Vec<Option<i32>> =
        items.iter().map(|i| i.review_count.value().and_then(|n| i32::try_from(*n).ok())).collect();
    let image: Vec<Option<String>> =
        items.iter().map(|i| i.image_url.as_deref().map(|u| clip(u, 1000))).collect();
    // language=PostgreSQL
    let sql = "INSERT INTO bestseller_snapshots (category_id, scraped_at, rank, asin, product_id, title,
                   price, currency, rating, review_count, image_url)
               SELECT $1, $2, u.* FROM UNNEST($3::int4[], $4::text[], $5::uuid[], $6::text[],
                   $7::numeric[], $8::text[], $9::float8[], $10::int4[], $11::text[]) AS u
               ON CONFLICT ON CONSTRAINT uq_bestseller_snapshots_category_scraped_rank DO NOTHING
               RETURNING 1";
    let inserted: Vec<(i32,)> = sqlx::query_as(sql)
        .bind(category)
        .bind(at)
        .bind(&rank)
        .bind(&asin)
        .bind(&product)
        .bind(&title)
        .bind(&price)
        .bind(&currency)
        .bind(&rating)
        .bind(&reviews)
        .bind(&image)
        .fetch_all(&mut *conn)
        .await
        .map_err(db)?;
    let inserted = inserted.len() as u64;
    Ok(ListResult {
        inserted,
        duplicates: items.len() as u64 - inserted,
        products_created: created.len() as u64,
    })
}

/// Stores a reviews page by Amazon's review id (changed reviews are updated). Reviews
/// without a star rating are left out (`reviews.rating` is required). Returns the product
/// and the number of rows written, or `None` when the page names no product.
pub(crate) async fn ingest_reviews(
    conn: &mut PgConnection,
    page: &ReviewPage,
    target: Option<(Asin, Marketplace)>,
    created_by: Option<UserId>,
) -> StoreResult<Option<(Uuid, u64)>> {
    let Some(asin) = page.asin.or(target.map(|t| t.0)) else { return Ok(None) };
    let mp = page.marketplace;
    // language=PostgreSQL
    let sql = "INSERT INTO products (asin, marketplace, title, url, currency, created_by_id)
               VALUES ($1, $2, $1, $3, $4, $5)
               ON CONFLICT ON CONSTRAINT uq_product_asin_marketplace
                   DO UPDATE SET asin = EXCLUDED.asin WHERE false
               RETURNING id";
    let created: Option<(Uuid,)> = sqlx::query_as(sql)
        .bind(asin.as_str())
        .bind(mp.code())
        .bind(mp.product_url(&asin))
        .bind(mp.currency().as_str())
        .bind(created_by.map(|u| u.0))
        .fetch_optional(&mut *conn)
        .await
        .map_err(db)?;
    let product = match created {
        Some((id,)) => id,
        None => {
            // language=PostgreSQL
            let sql = "SELECT id FROM products WHERE asin = $1 AND marketplace = $2";
            sqlx::query_as::<_, (Uuid,)>(sql)
                .bind(asin.as_str())
                .bind(mp.code())
                .fetch_one(&mut *conn)
                .await
                .map_err(db)?
                .0
        }
    };
    let mut seen = BTreeSet::new();
    let items: Vec<_> =
        page.items.iter().filter(|r| r.rating.is_read() && seen.insert(r.review_id.clone())).collect();
    if items.is_empty() {
        return Ok(Some((product, 0)));
    }
    let id: Vec<String> = items.iter().map(|r| clip(&r.review_id, 100)).collect();
    let name: Vec<Option<String>> = items.iter().map(|r| r.author.value().map(|t| clip(t, 200))).collect();
    let rating: Vec<f64> = items.iter().map(|r| r.rating.value().map_or(0.0, |x| x.get())).collect();
    let title: Vec<Option<String>> = items.iter().map(|r| r.title.value().map(|t| clip(t, 500))).collect();
    let text: Vec<Option<&str>> = items.iter().map(|r| r.text.value().map(String::as_str)).collect();
    let date: Vec<Option<Ts>> =
        items.iter().map(|r| r.date.value().map(|d| d.and_time(NaiveTime::MIN).and_utc())).collect();
    let verified: Vec<bool> = items.iter().map(|r| r.verified_purchase).collect();
    let helpful: Vec<i32> = items
        .iter()
        .map(|r| r.helpful_votes.value().map_or(0, |n| i32::try_from(*n).unwrap_or(i32::MAX)))
        .collect();
    let variant: Vec<Option<String>> =
        items.iter().map(|r| r.variant.value().map(|t| clip(t, 500))).collect();
    // The WHERE keeps an unchanged review untouched (no new row version, no updated_at bump),
    // so a page stored twice changes nothing.
    // language=PostgreSQL
    let sql = "INSERT INTO reviews AS r (product_id, review_id, reviewer_name, rating, title, text,
                   review_date, verified_purchase, helpful_count, variant)
               SELECT $1, u.* FROM UNNEST($2::text[], $3::text[], $4::float8[], $5::text[], $6::text[],
                   $7::timestamptz[], $8::bool[], $9::int4[], $10::text[]) AS u
               ON CONFLICT ON CONSTRAINT uq_reviews_review_id DO UPDATE SET
                   reviewer_name = EXCLUDED.reviewer_name, rating = EXCLUDED.rating,
                   title = EXCLUDED.title, text = EXCLUDED.text, review_date = EXCLUDED.review_date,
                   verified_purchase = EXCLUDED.verified_purchase,
                   helpful_count = EXCLUDED.helpful_count, variant = EXCLUDED.variant
               WHERE (r.reviewer_name, r.rating, r.title, r.text, r.review_date, r.verified_purchase,
                      r.helpful_count, r.variant)
                   IS DISTINCT FROM (EXCLUDED.reviewer_name, EXCLUDED.rating, EXCLUDED.title,
                      EXCLUDED.text, EXCLUDED.review_date, EXCLUDED.verified_purchase,
                      EXCLUDED.helpful_count, EXCLUDED.variant)
               RETURNING 1";
    let written: Vec<(i32,)> = sqlx::query_as(sql)
        .bind(product)
        .bind(&id)
        .bind(&name)
        .bind(&rating)
        .bind(&title)
        .bind(&text)
        .bind(&date)
        .bind(&verified)
        .bind(&helpful)
        .bind(&variant)
        .fetch_all(&mut *conn)
        .await
        .map_err(db)?;
    Ok(Some((product, written.len() as u64)))
}
