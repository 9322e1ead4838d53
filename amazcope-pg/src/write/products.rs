//! Writes of `products`: creation, catalogue data, latest values and fetch outcomes. Each
//! exists once, set-wise over a connection inside the caller's transaction; the repository
//! methods and batch ingest both call these.
//!
//! Semantics, where earlier copies disagreed:
//! - **Creation** ([`ensure`]): find-or-create by (ASIN, marketplace); a product is created
//!   with its title (the ASIN when none is known: the column is NOT NULL), the URL given or
//!   the canonical one, the marketplace's currency, its creator and competitor flag. An
//!   existing product is never changed by creation (the first creator stays the creator).
//! - **Latest values** ([`update_latest_values`]): the newest `scraped_at` wins, strictly: a
//!   snapshot older than or as old as the product's `last_snapshot_at` changes nothing (a
//!   back-fill never rolls prices back). Two snapshots of one product at one time are one
//!   snapshot (`uq_product_snapshots_product_scraped`): the first of a batch is stored and
//!   carries the values.
//! - **Catalogue data** ([`update_catalog`]): a value the source lacks keeps the stored one;
//!   data from a page applies only when the page is newer than the product's latest snapshot.
//! - **Fetch outcomes** ([`record_outcome`]): a report older than what is stored changes
//!   nothing, so an old page imported late never unlists a product a newer page shows.

use crate::columns::{clip, clip_opt, products as width};
use crate::error::db;
use amazcope_core::model::snapshot::NewSnapshot;
use amazcope_core::{Asin, FetchStatus, Marketplace, StoreResult, UserId};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use sqlx::PgConnection;
use std::collections::{BTreeSet, HashMap};
use uuid::Uuid;

type Ts = DateTime<Utc>;

/// A product to find or create.
#[derive(Debug, Clone)]
pub(crate) struct NewProduct<'a> {
    pub(crate) asin: Asin,
    pub(crate) marketplace: Marketplace,
    pub(crate) title: Option<&'a str>,
    pub(crate) url: Option<&'a str>,
    pub(crate) created_by: Option<UserId>,
    pub(crate) is_competitor: bool,
}

impl NewProduct<'_> {
    /// A product known only by its key.
    pub(crate) fn bare(asin: Asin, marketplace: Marketplace, created_by: Option<UserId>) -> Self {
        Self { asin, marketplace, title: None, url: None, created_by, is_competitor: false }
    }
}

/// What a write reads of a stored product first.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct StoredProduct {
    pub(crate) id: Uuid,
    asin: String,
    marketplace: String,
    /// SHA-256 of the page data the record was last written from; `None` when anything else
    /// changed it since (migration 0006).
    pub(crate) catalog_hash: Option<Vec<u8>>,
    pub(crate) is_unlisted: bool,
}

/// Finds or creates the products of `items` (the first of repeated keys decides how one is
/// created). Returns every product by (ASIN, marketplace), and the ids created here.
pub(crate) async fn ensure(
    conn: &mut PgConnection,
    items: &[NewProduct<'_>],
) -> StoreResult<(HashMap<(Asin, Marketplace), StoredProduct>, BTreeSet<Uuid>)> {
    let mut seen = BTreeSet::new();
    let keys: Vec<&NewProduct<'_>> = items.iter().filter(|k| seen.insert((k.asin, k.marketplace))).collect();
    let asins: Vec<&str> = keys.iter().map(|k| k.asin.as_str()).collect();
    let mps: Vec<&str> = keys.iter().map(|k| k.marketplace.code()).collect();
    let mut ids = select(conn, &asins, &mps).await?;
    let mut created = BTreeSet::new();
    let missing: Vec<&NewProduct<'_>> =
        keys.into_iter().filter(|k| !ids.contains_key(&(k.asin, k.marketplace))).collect();
    if missing.is_empty() {
        return Ok((ids, created));
    }
    let asins: Vec<&str> = missing.iter().map(|k| k.asin.as_str()).collect();
    let mps: Vec<&str> = missing.iter().map(|k| k.marketplace.code()).collect();
    let titles: Vec<String> =
        missing.iter().map(|k| clip(k.title.unwrap_or(k.asin.as_str()), width::TITLE)).collect();
    let urls: Vec<String> = missing
        .iter()
        .map(|k| k.url.map_or_else(|| k.marketplace.product_url(&k.asin), |u| clip(u, width::URL)))
        .collect();
    let currencies: Vec<String> =
        missing.iter().map(|k| k.marketplace.currency().as_str().to_owned()).collect();
    let creator: Vec<Option<Uuid>> = missing.iter().map(|k| k.created_by.map(|u| u.0)).collect();
    let competitor: Vec<bool> = missing.iter().map(|k| k.is_competitor).collect();
    // ON CONFLICT DO NOTHING: a concurrent writer may create the same product; its row is
    // then read back below like any existing one.
    // language=PostgreSQL
    let sql = "INSERT INTO products (asin, marketplace, title, url, currency, created_by_id, is_competitor)
               SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],
                   $6::uuid[], $7::bool[])
               ON CONFLICT ON CONSTRAINT uq_product_asin_marketplace DO NOTHING
               RETURNING id";
    let new: Vec<Uuid> = sqlx::query_scalar(sql)
        .bind(&asins)
        .bind(&mps)
        .bind(&titles)
        .bind(&urls)
        .bind(&currencies)
        .bind(&creator)
        .bind(&competitor)
        .fetch_all(&mut *conn)
        .await
        .map_err(db)?;
    created.extend(new);
    ids.extend(select(conn, &asins, &mps).await?);
    Ok((ids, created))
}

async fn select(
    conn: &mut PgConnection,
    asins: &[&str],
    mps: &[&str],
) -> StoreResult<HashMap<(Asin, Marketplace), StoredProduct>> {
    // language=PostgreSQL
    let sql = "SELECT p.id, p.asin, p.marketplace, p.catalog_hash, p.is_unlisted FROM products p
               JOIN UNNEST($1::text[], $2::text[]) AS k(asin, marketplace)
                 ON p.asin = k.asin AND p.marketplace = k.marketplace";
    let rows: Vec<StoredProduct> =
        sqlx::query_as(sql).bind(asins).bind(mps).fetch_all(&mut *conn).await.map_err(db)?;
    let mut out = HashMap::with_capacity(rows.len());
    for row in rows {
        out.insert((row.asin.parse()?, row.marketplace.parse()?), row);
    }
    Ok(out)
}

/// Catalogue data for one product's record. `None` is data the source lacks: the stored
/// value is kept. Text is cut to its column by [`update_catalog`].
#[derive(Debug, Default, Clone)]
pub(crate) struct CatalogUpdate {
    pub(crate) product: Uuid,
    /// The time of the page the data comes from: it applies only when newer than the
    /// product's latest snapshot, and relists a product unlisted before it. `None` (data
    /// from a caller, not a page) applies at once and leaves the listing state alone.
    pub(crate) at: Option<Ts>,
    /// The page's catalogue hash; `None` marks the record as written from elsewhere.
    pub(crate) hash: Option<Vec<u8>>,
    pub(crate) title: Option<String>,
    pub(crate) brand: Option<String>,
    pub(crate) manufacturer: Option<String>,
    pub(crate) url: Option<String>,
    pub(crate) category: Option<String>,
    pub(crate) small_category: Option<String>,
    pub(crate) bsr_link: Option<String>,
    pub(crate) bsr_sub_link: Option<String>,
    pub(crate) weight: Option<String>,
    pub(crate) model: Option<String>,
    pub(crate) image: Option<String>,
    pub(crate) seller_store_url: Option<String>,
    pub(crate) description: Option<String>,
    pub(crate) dimensions: Option<Value>,
    pub(crate) features: Option<Value>,
    pub(crate) technical: Option<Value>,
    pub(crate) overview: Option<Value>,
    pub(crate) variation_types: Option<Value>,
    pub(crate) total_variations: Option<i32>,
    pub(crate) images: Option<Value>,
}

/// Writes catalogue data onto products, one statement for all of `rows`.
///
/// `COALESCE(NULLIF(new, old), old)`: a value the source repeats is kept as stored, so the
/// trigger's WHEN sees no change and PostgreSQL neither re-compresses nor re-toasts it.
pub(crate) async fn update_catalog(conn: &mut PgConnection, rows: &[CatalogUpdate]) -> StoreResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    macro_rules! col {
        ($f:ident) => {
            rows.iter().map(|r| r.$f.clone()).collect::<Vec<_>>()
        };
        ($f:ident, $n:expr) => {
            rows.iter().map(|r| clip_opt(r.$f.as_deref(), $n)).collect::<Vec<_>>()
        };
    }
    // language=PostgreSQL
    let sql = "UPDATE products p SET
                   title = COALESCE(NULLIF(u.title, p.title), p.title), brand = COALESCE(NULLIF(u.brand, p.brand), p.brand),
                   manufacturer = COALESCE(NULLIF(u.manufacturer, p.manufacturer), p.manufacturer),
                   url = COALESCE(NULLIF(u.url, p.url), p.url), category = COALESCE(NULLIF(u.category, p.category), p.category),
                   small_category = COALESCE(NULLIF(u.small_category, p.small_category), p.small_category),
                   bsr_category_link = COALESCE(NULLIF(u.bsr_link, p.bsr_category_link), p.bsr_category_link),
                   bsr_subcategory_link = COALESCE(NULLIF(u.bsr_sub_link, p.bsr_subcategory_link), p.bsr_subcategory_link),
                   item_weight = COALESCE(NULLIF(u.weight, p.item_weight), p.item_weight),
                   model_number = COALESCE(NULLIF(u.model, p.model_number), p.model_number),
                   image_url = COALESCE(NULLIF(u.image, p.image_url), p.image_url),
                   image_urls = COALESCE(NULLIF(u.images, p.image_urls), p.image_urls),
                   seller_store_url = COALESCE(NULLIF(u.seller_store_url, p.seller_store_url), p.seller_store_url),
                   product_description = COALESCE(NULLIF(u.description, p.product_description), p.product_description),
                   product_dimensions = COALESCE(NULLIF(u.dimensions, p.product_dimensions), p.product_dimensions),
                   features = COALESCE(NULLIF(u.features, p.features), p.features),
                   technical_details = COALESCE(NULLIF(u.technical, p.technical_details), p.technical_details),
                   product_overview = COALESCE(NULLIF(u.overview, p.product_overview), p.product_overview),
                   variation_types = COALESCE(NULLIF(u.variation_types, p.variation_types), p.variation_types),
                   total_variations = COALESCE(NULLIF(u.total_variations, p.total_variations), p.total_variations),
                   has_variations = COALESCE(u.total_variations > 0,
                       jsonb_array_length(CASE WHEN jsonb_typeof(u.variation_types) = 'array' THEN u.variation_types END) > 0,
                       p.has_variations),
                   catalog_hash = u.hash,
                   -- A page newer than the not-found that unlisted the product relists it.
                   is_unlisted = CASE WHEN u.at IS NULL THEN p.is_unlisted
                                      ELSE p.is_unlisted AND p.unlisted_at > u.at END,
                   unlisted_at = CASE WHEN u.at IS NULL OR p.unlisted_at > u.at THEN p.unlisted_at END
               FROM UNNEST($1::uuid[], $2::timestamptz[], $3::bytea[], $4::text[], $5::text[],
                   $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[],
                   $12::text[], $13::text[], $14::text[], $15::text[], $16::text[], $17::jsonb[],
                   $18::jsonb[], $19::jsonb[], $20::jsonb[], $21::jsonb[], $22::int4[], $23::jsonb[])
                 AS u(id, at, hash, title, brand, manufacturer, url, category, small_category,
                   bsr_link, bsr_sub_link, weight, model, image, seller_store_url, description,
                   dimensions, features, technical, overview, variation_types, total_variations,
                   images)
               WHERE p.id = u.id
                 AND (u.at IS NULL OR p.last_snapshot_at IS NULL OR p.last_snapshot_at < u.at)";
    sqlx::query(sql)
        .bind(col!(product))
        .bind(col!(at))
        .bind(col!(hash))
        .bind(col!(title, width::TITLE))
        .bind(col!(brand, width::BRAND))
        .bind(col!(manufacturer, width::BRAND))
        .bind(col!(url, width::URL))
        .bind(col!(category, width::CATEGORY))
        .bind(col!(small_category, width::CATEGORY))
        .bind(col!(bsr_link, width::BSR_LINK))
        .bind(col!(bsr_sub_link, width::BSR_LINK))
        .bind(col!(weight, width::WEIGHT))
        .bind(col!(model, width::MODEL))
        .bind(col!(image, width::IMAGE_URL))
        .bind(col!(seller_store_url, width::URL))
        .bind(col!(description))
        .bind(col!(dimensions))
        .bind(col!(features))
        .bind(col!(technical))
        .bind(col!(overview))
        .bind(col!(variation_types))
        .bind(col!(total_variations))
        .bind(col!(images))
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    Ok(())
}

/// Copies the values of `latest` (at most one snapshot per product, each just stored) onto
/// their products where it is newer than what the product shows. Assigns no column of the
/// product's record, so no trigger runs and the row is updated in place (HOT, migration 0006).
pub(crate) async fn update_latest_values(
    conn: &mut PgConnection,
    latest: &[&NewSnapshot],
) -> StoreResult<()> {
    if latest.is_empty() {
        return Ok(());
    }
    macro_rules! snap {
        ($f:ident) => {
            latest.iter().map(|s| s.$f.clone()).collect::<Vec<_>>()
        };
    }
    let id: Vec<Uuid> = latest.iter().map(|s| s.product_id.0).collect();
    let stock_status: Vec<Option<String>> =
        latest.iter().map(|s| clip_opt(s.stock_status.as_deref(), width::STOCK_STATUS)).collect();
    let seller: Vec<Option<String>> =
        latest.iter().map(|s| clip_opt(s.seller_name.as_deref(), width::SELLER_NAME)).collect();
    let keywords: Vec<Option<Value>> =
        latest.iter().map(|s| s.amazons_choice_keywords.as_ref().map(|k| json!(k))).collect();
    let currency: Vec<&str> = latest.iter().map(|s| s.currency.as_str()).collect();
    // language=PostgreSQL
    let sql = "UPDATE products p SET
                   amazons_choice_keywords = CASE WHEN u.keywords IS NOT DISTINCT FROM p.amazons_choice_keywords
                       THEN p.amazons_choice_keywords ELSE u.keywords END, has_amazons_choice = u.has_choice,
                   current_price = u.price, original_price = u.original_price,
                   currency = u.currency, discount_percentage = u.discount,
                   current_bsr = u.bsr, bsr_category_name = u.bsr_category,
                   rating = u.rating, review_count = u.review_count,
                   in_stock = u.in_stock, stock_status = u.stock_status, is_prime = u.is_prime,
                   seller_name = u.seller, is_amazon_seller = u.is_amazon_seller, is_fba = u.is_fba,
                   last_snapshot_at = u.at,
                   last_fetch_status = 'ok',
                   last_fetch_at = GREATEST(p.last_fetch_at, u.at),
                   last_fetch_error = CASE WHEN p.last_fetch_at > u.at THEN p.last_fetch_error END
               FROM UNNEST($1::uuid[], $2::timestamptz[], $3::jsonb[], $4::bool[], $5::numeric[],
                   $6::numeric[], $7::text[], $8::float8[], $9::int4[], $10::text[], $11::float8[],
                   $12::int4[], $13::bool[], $14::text[], $15::bool[], $16::text[], $17::bool[],
                   $18::bool[])
                 AS u(id, at, keywords, has_choice, price, original_price, currency, discount, bsr,
                   bsr_category, rating, review_count, in_stock, stock_status, is_prime, seller,
                   is_amazon_seller, is_fba)
               WHERE p.id = u.id AND (p.last_snapshot_at IS NULL OR p.last_snapshot_at < u.at)";
    sqlx::query(sql)
        .bind(&id)
        .bind(snap!(scraped_at))
        .bind(&keywords)
        .bind(snap!(has_amazons_choice))
        .bind(snap!(price))
        .bind(snap!(original_price))
        .bind(&currency)
        .bind(snap!(discount_percentage))
        .bind(snap!(bsr_main_category))
        .bind(snap!(main_category_name))
        .bind(snap!(rating))
        .bind(snap!(review_count))
        .bind(snap!(in_stock))
        .bind(&stock_status)
        .bind(snap!(is_prime))
        .bind(&seller)
        .bind(snap!(is_amazon_seller))
        .bind(snap!(is_fba))
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    Ok(())
}

/// The newest snapshot of each product among `snapshots`, by index; the first of equally
/// new ones (the one a batch stores).
pub(crate) fn newest_per_product<'s>(
    snapshots: impl Iterator<Item = (usize, &'s NewSnapshot)>,
) -> HashMap<Uuid, usize> {
    let mut newest: HashMap<Uuid, (usize, Ts)> = HashMap::new();
    for (i, s) in snapshots {
        let e = newest.entry(s.product_id.0).or_insert((i, s.scraped_at));
        if e.1 < s.scraped_at {
            *e = (i, s.scraped_at);
        }
    }
    newest.into_iter().map(|(product, (i, _))| (product, i)).collect()
}

/// Records a fetch that gave no snapshot on product `id` at `at`; `not_found` also unlists
/// it (keeping the first time it was seen gone). A report older than the product's last
/// fetch or latest snapshot changes nothing, and neither does one that repeats what is
/// stored. Returns whether the product is unlisted after the write, `None` when nothing
/// was written.
pub(crate) async fn record_outcome(
    conn: &mut PgConnection,
    id: Uuid,
    status: FetchStatus,
    message: Option<&str>,
    at: Ts,
) -> StoreResult<Option<bool>> {
    let not_found = status == FetchStatus::NotFound;
    // language=PostgreSQL
    let sql = "UPDATE products SET
                   last_fetch_status = $2, last_fetch_at = $3, last_fetch_error = $4,
                   is_unlisted = is_unlisted OR $5,
                   unlisted_at = CASE WHEN $5 THEN COALESCE(unlisted_at, $3) ELSE unlisted_at END
               WHERE id = $1
                 AND (last_fetch_at IS NULL OR last_fetch_at <= $3)
                 AND (last_snapshot_at IS NULL OR last_snapshot_at < $3)
                 AND (last_fetch_status, last_fetch_at, last_fetch_error, is_unlisted)
                     IS DISTINCT FROM ($2, $3, $4, is_unlisted OR $5)
               RETURNING is_unlisted";
    let updated: Option<bool> = sqlx::query_scalar(sql)
        .bind(id)
        .bind(status.as_str())
        .bind(at)
        .bind(message)
        .bind(not_found)
        .fetch_optional(&mut *conn)
        .await
        .map_err(db)?;
    Ok(updated)
}
