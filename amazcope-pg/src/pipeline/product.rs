//! Product pages, set-wise: products found or created, snapshots inserted, latest values and
//! metadata denormalised onto the products, categories upserted when the page data changed,
//! alerts evaluated.

use super::{alerts, clip, cut, db, lists};
use crate::repos::snapshots;
use amazcope_core::model::alert::{Alert, NewAlert};
use amazcope_core::model::page::{NameValue, SalesRank, ScrapedProduct};
use amazcope_core::model::snapshot::NewSnapshot;
use amazcope_core::rules::{AlertContext, RuleConfig, as_prior, evaluate};
use amazcope_core::{Asin, Marketplace, ProductId, SnapshotId, StoreResult, UserId};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use sqlx::PgConnection;
use std::collections::{BTreeSet, HashMap};
use uuid::Uuid;

type Ts = DateTime<Utc>;

/// One product page to store.
pub(crate) struct ProductItem<'a> {
    pub(crate) page: &'a ScrapedProduct,
    pub(crate) at: Ts,
}

/// What happened to one product page.
pub(crate) struct ProductResult {
    pub(crate) product_id: ProductId,
    pub(crate) created: bool,
    /// `None`: the (product, scraped_at) was already stored.
    pub(crate) snapshot_id: Option<SnapshotId>,
    pub(crate) alerts: Vec<Alert>,
}

/// Stores product pages; one result per item, in order. The caller's transaction holds
/// ROW EXCLUSIVE on products (see [`super::BEGIN_INGEST`]).
///
/// `side`, a second connection, lets the reads of the alert step (trackers, previous
/// snapshots, earlier alerts) run on another server process while `conn` inserts the
/// snapshots. They read what is committed, which is what they must see: the state before
/// this batch. Without it they run on `conn` just before the insert.
pub(crate) async fn ingest_products(
    conn: &mut PgConnection,
    side: Option<&mut PgConnection>,
    items: &[ProductItem<'_>],
    created_by: Option<UserId>,
    rules: &RuleConfig,
) -> StoreResult<Vec<ProductResult>> {
    if items.is_empty() {
        return Ok(Vec::new());
    }
    let (ids, created) = product_ids(conn, items, created_by).await?;
    let product_of = |it: &ProductItem<'_>| ids[&(it.page.asin, it.page.marketplace)].id;

    let snapshots: Vec<NewSnapshot> = items
        .iter()
        .map(|it| clipped(NewSnapshot::from_page(ProductId(product_of(it)), it.at, it.page)))
        .collect();
    // Every (product, time) of the batch but those of products created just now (nobody
    // tracks them yet, nothing is stored for them), sorted.
    let mut keys: Vec<(Uuid, Ts)> = snapshots
        .iter()
        .filter(|s| !created.contains(&s.product_id.0))
        .map(|s| (s.product_id.0, s.scraped_at))
        .collect();
    keys.sort_unstable();
    keys.dedup();
    let stored: HashMap<Uuid, &Stored> = ids.values().map(|s| (s.id, s)).collect();
    // The batch's writes on `conn`: the snapshots (with the catalogue hash of each product's
    // newest page computed while the server inserts them), then the products' latest values
    // and records, then the categories of the records rewritten.
    let write = async |conn: &mut PgConnection| {
        let (stored_rows, hashes) =
            tokio::join!(snapshots::store_new_snapshots(&mut *conn, &snapshots), async {
                newest_hashes(items, &snapshots)
            });
        let inserted: HashMap<(Uuid, Ts), Uuid> =
            stored_rows?.into_iter().map(|(s, id)| ((s.product_id.0, s.scraped_at), id)).collect();
        // The newest newly stored page of each product carries the latest values and metadata.
        let mut latest: Vec<usize> = newest_per_product(
            snapshots
                .iter()
                .enumerate()
                .filter(|(_, s)| inserted.contains_key(&(s.product_id.0, s.scraped_at))),
        )
        .into_values()
        .collect();
        latest.sort_unstable();
        let recorded = update_products(&mut *conn, items, &snapshots, &latest, &stored, &hashes).await?;
        lists::categories_of_products(&mut *conn, recorded.iter().map(|&i| items[i].page)).await?;
        StoreResult::Ok(inserted)
    };
    // The alert step's inputs are read as committed before this batch: beside the writes on
    // a second connection, or here before them.
    let (inserted, inputs) = match side {
        Some(side) => {
            let (inserted, inputs) = tokio::join!(write(conn), alerts::alert_inputs_beside(side, &keys));
            let inserted = inserted?;
            // The reads beside gave up (a lock wait, a lost connection): read here. After the
            // writes this sees the batch's own snapshots too, which the evaluation below
            // would pick over older ones anyway, and the products' new last_snapshot_at,
            // which sends the previous-snapshot lookup to its general search.
            let inputs = match inputs {
                Ok(inputs) => inputs,
                Err(_) => alerts::alert_inputs(conn, &keys).await?,
            };
            (inserted, inputs)
        }
        None => {
            let inputs = alerts::alert_inputs(conn, &keys).await?;
            (write(conn).await?, inputs)
        }
    };
    let mut alerts_by_snapshot = evaluate_alerts(conn, items, &snapshots, &inserted, inputs, rules).await?;

    Ok(items
        .iter()
        .zip(&snapshots)
        .map(|(it, s)| {
            let product = product_of(it);
            let snapshot_id = inserted.get(&(product, s.scraped_at)).copied();
            ProductResult {
                product_id: ProductId(product),
                created: created.contains(&product),
                snapshot_id: snapshot_id.map(SnapshotId),
                alerts: snapshot_id.and_then(|id| alerts_by_snapshot.remove(&id)).unwrap_or_default(),
            }
        })
        .collect())
}

/// [`Catalog::hash`] of the newest page of each product in the batch, by item index: the
/// page that will carry the product's record unless it turns out to be stored already.
fn newest_hashes(items: &[ProductItem<'_>], snapshots: &[NewSnapshot]) -> HashMap<usize, CatalogHash> {
    newest_per_product(snapshots.iter().enumerate())
        .into_values()
        .map(|i| (i, Catalog::of(items[i].page, &snapshots[i]).hash()))
        .collect()
}

/// The index of each product's newest snapshot among `snapshots` (index, snapshot); the
/// first of equally new ones.
fn newest_per_product<'s>(snapshots: impl Iterator<Item = (usize, &'s NewSnapshot)>) -> HashMap<Uuid, usize> {
    let mut newest: HashMap<Uuid, (usize, Ts)> = HashMap::new();
    for (i, s) in snapshots {
        let e = newest.entry(s.product_id.0).or_insert((i, s.scraped_at));
        if e.1 < s.scraped_at {
            *e = (i, s.scraped_at);
        }
    }
    newest.into_iter().map(|(product, (i, _))| (product, i)).collect()
}

/// What ingest reads of a stored product before writing it.
#[derive(sqlx::FromRow)]
struct Stored {
    id: Uuid,
    asin: String,
    marketplace: String,
    /// [`catalog_hash`] of the page data the record was last written from; `None` when
    /// anything else changed it since (migration 0006).
    catalog_hash: Option<Vec<u8>>,
    is_unlisted: bool,
}

/// Finds or creates the products of the pages. Returns (asin, marketplace) → stored product
/// and the ids created here.
async fn product_ids(
    conn: &mut PgConnection,
    items: &[ProductItem<'_>],
    created_by: Option<UserId>,
) -> StoreResult<(HashMap<(Asin, Marketplace), Stored>, BTreeSet<Uuid>)> {
    let mut keys: Vec<(Asin, Marketplace, Option<&str>)> = Vec::new();
    let mut seen = BTreeSet::new();
    for it in items {
        if seen.insert((it.page.asin, it.page.marketplace)) {
            keys.push((it.page.asin, it.page.marketplace, it.page.title.value().map(String::as_str)));
        }
    }
    let asins: Vec<&str> = keys.iter().map(|k| k.0.as_str()).collect();
    let mps: Vec<&str> = keys.iter().map(|k| k.1.code()).collect();
    let mut ids = select_ids(conn, &asins, &mps).await?;
    let mut created = BTreeSet::new();
    let missing: Vec<&(Asin, Marketplace, Option<&str>)> =
        keys.iter().filter(|k| !ids.contains_key(&(k.0, k.1))).collect();
    if !missing.is_empty() {
        let asins: Vec<&str> = missing.iter().map(|k| k.0.as_str()).collect();
        let mps: Vec<&str> = missing.iter().map(|k| k.1.code()).collect();
        // A product is created with its title (the ASIN when the page shows none: the column
        // is NOT NULL) and its canonical URL; the rest comes with the latest-values update.
        let titles: Vec<String> = missing.iter().map(|k| clip(k.2.unwrap_or(k.0.as_str()), 500)).collect();
        let urls: Vec<String> = missing.iter().map(|k| k.1.product_url(&k.0)).collect();
        let currencies: Vec<String> = missing.iter().map(|k| k.1.currency().as_str().to_owned()).collect();
        let creator: Vec<Option<Uuid>> = missing.iter().map(|_| created_by.map(|u| u.0)).collect();
        // ON CONFLICT DO NOTHING: a concurrent ingest may create the same product; its row
        // is then read back below like any existing one.
        // language=PostgreSQL
        let sql = "INSERT INTO products (asin, marketplace, title, url, currency, created_by_id)
                   SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],
                       $6::uuid[])
                   ON CONFLICT ON CONSTRAINT uq_product_asin_marketplace DO NOTHING
                   RETURNING id";
        let new: Vec<(Uuid,)> = sqlx::query_as(sql)
            .bind(&asins)
            .bind(&mps)
            .bind(&titles)
            .bind(&urls)
            .bind(&currencies)
            .bind(&creator)
            .fetch_all(&mut *conn)
            .await
            .map_err(db)?;
        created.extend(new.into_iter().map(|r| r.0));
        ids.extend(select_ids(conn, &asins, &mps).await?);
    }
    Ok((ids, created))
}

async fn select_ids(
    conn: &mut PgConnection,
    asins: &[&str],
    mps: &[&str],
) -> StoreResult<HashMap<(Asin, Marketplace), Stored>> {
    // language=PostgreSQL
    let sql = "SELECT p.id, p.asin, p.marketplace, p.catalog_hash, p.is_unlisted FROM products p
               JOIN UNNEST($1::text[], $2::text[]) AS k(asin, marketplace)
                 ON p.asin = k.asin AND p.marketplace = k.marketplace";
    let rows: Vec<Stored> =
        sqlx::query_as(sql).bind(asins).bind(mps).fetch_all(&mut *conn).await.map_err(db)?;
    let mut out = HashMap::with_capacity(rows.len());
    for row in rows {
        out.insert((row.asin.parse()?, row.marketplace.parse()?), row);
    }
    Ok(out)
}

/// SHA-256 of a page's [`Catalog`] (`products.catalog_hash`).
type CatalogHash = [u8; 32];

/// The catalogue data of a page as the product's record stores it (each text cut to its
/// column), borrowed from the page. `None` is data the page lacks: the stored value is kept.
struct Catalog<'a> {
    title: Option<&'a str>,
    brand: Option<&'a str>,
    url: Option<&'a str>,
    category: Option<&'a str>,
    small_category: Option<&'a str>,
    bsr_link: Option<&'a str>,
    bsr_sub_link: Option<&'a str>,
    weight: Option<&'a str>,
    model: Option<&'a str>,
    image: Option<&'a str>,
    description: Option<&'a str>,
    dimensions: Option<&'a str>,
    features: Option<&'a [String]>,
    technical: Option<&'a [NameValue]>,
    variation_types: Option<BTreeSet<&'a str>>,
    total_variations: Option<i32>,
    images: Option<&'a [String]>,
    /// Hashed, not stored on the record: the categories a page names (breadcrumbs, rank
    /// lines), upserted only when the hash changes.
    crumbs: Option<&'a [String]>,
    ranks: Option<&'a [SalesRank]>,
}

impl<'a> Catalog<'a> {
    fn of(p: &'a ScrapedProduct, s: &'a NewSnapshot) -> Catalog<'a> {
        let text = |v: Option<&'a String>, n: usize| v.map(|v| cut(v, n));
        let rank_link = |n: usize| p.ranks.value().and_then(|r| r.get(n)).and_then(|r| r.link.as_ref());
        let categories = p.categories.value();
        Catalog {
            title: text(p.title.value(), 500),
            brand: text(p.brand.value(), 200),
            url: text(p.url.as_ref(), 1000),
            category: text(s.main_category_name.as_ref().or_else(|| categories.and_then(|c| c.first())), 200),
            small_category: text(
                s.small_category_name.as_ref().or_else(|| categories.and_then(|c| c.last())),
                200,
            ),
            bsr_link: text(rank_link(0), 500),
            bsr_sub_link: text(rank_link(1), 500),
            weight: text(p.weight.value(), 100),
            model: text(p.model_number.value(), 100),
            image: text(p.images.value().and_then(|i| i.first()), 1000),
            description: p.description.value().map(String::as_str),
            dimensions: p.dimensions.value().map(String::as_str),
            features: p.features.value().map(Vec::as_slice),
            technical: p.technical_details.value().map(Vec::as_slice),
            variation_types: p
                .variations
                .value()
                .map(|v| v.iter().flat_map(|x| x.dimensions.keys().map(String::as_str)).collect()),
            total_variations: p.variations.value().map(|v| i32::try_from(v.len()).unwrap_or(i32::MAX)),
            images: p.images.value().map(Vec::as_slice),
            crumbs: categories.map(Vec::as_slice),
            ranks: p.ranks.value().map(Vec::as_slice),
        }
    }

    /// SHA-256 of the data, fields in declaration order, each framed (absent, or present
    /// with its length) so that no two different catalogues feed the same bytes.
    fn hash(&self) -> CatalogHash {
        let mut h = Framed(Sha256::new());
        for text in [
            self.title,
            self.brand,
            self.url,
            self.category,
            self.small_category,
            self.bsr_link,
            self.bsr_sub_link,
            self.weight,
            self.model,
            self.image,
            self.description,
            self.dimensions,
        ] {
            h.text(text);
        }
        let strings = |v: &'a [String]| v.iter().map(|s| Some(s.as_str()));
        h.list(self.features.map(strings));
        h.list(
            self.technical
                .map(|rows| rows.iter().flat_map(|r| [Some(r.name.as_str()), Some(r.value.as_str())])),
        );
        h.list(self.variation_types.as_ref().map(|v| v.iter().map(|t| Some(*t))));
        h.text(self.total_variations.map(i32::to_le_bytes).as_ref().map(|b| b.as_slice()));
        h.list(self.images.map(strings));
        h.list(self.crumbs.map(strings));
        h.list(self.ranks.map(|r| r.iter().flat_map(|r| [Some(r.category.as_str()), r.link.as_deref()])));
        h.0.finalize().into()
    }

    /// The JSONB columns, as stored.
    fn json(&self) -> [Option<Value>; 5] {
        [
            self.dimensions.map(|d| json!(d)),
            self.features.map(|f| json!(f)),
            self.technical.map(|rows| {
                Value::Object(rows.iter().map(|r| (r.name.clone(), json!(r.value))).collect::<Map<_, _>>())
            }),
            self.variation_types.as_ref().map(|names| json!(names)),
            self.images.map(|i| json!(i)),
        ]
    }
}

/// A digest fed with framed values: a presence byte, then a length before each string and
/// a count after each list's items.
struct Framed(Sha256);

impl Framed {
    fn text<T: AsRef<[u8]> + ?Sized>(&mut self, v: Option<&T>) {
        match v {
            None => self.0.update([0]),
            Some(v) => {
                let v = v.as_ref();
                self.0.update([1]);
                self.0.update((v.len() as u64).to_le_bytes());
                self.0.update(v);
            }
        }
    }

    fn list<'s>(&mut self, v: Option<impl Iterator<Item = Option<&'s str>>>) {
        match v {
            None => self.0.update([0]),
            Some(items) => {
                self.0.update([1]);
                let mut n = 0u64;
                for item in items {
                    self.text(item);
                    n += 1;
                }
                // The count after the items: framing each item already keeps lists apart,
                // the count closes the list so a following field cannot run into it.
                self.0.update(n.to_le_bytes());
            }
        }
    }
}

/// Copies the newest new snapshot's values and its page's metadata onto each product, when
/// that snapshot is newer than what the product shows (a back-fill of old pages leaves the
/// latest values alone).
///
/// Two statements, so that the usual daily refresh is a HOT update (migration 0006): the
/// latest values of every product, which assign no column of the record and so run no
/// trigger; then the catalogue data, only for products whose page data differs from what
/// their record was last written from (`catalog_hash`), or that are unlisted (a page newer
/// than the not-found relists them). Metadata the page lacks keeps its stored value.
async fn update_products(
    conn: &mut PgConnection,
    items: &[ProductItem<'_>],
    snapshots: &[NewSnapshot],
    latest: &[usize],
    stored: &HashMap<Uuid, &Stored>,
    hashes: &HashMap<usize, CatalogHash>,
) -> StoreResult<Vec<usize>> {
    if latest.is_empty() {
        return Ok(Vec::new());
    }
    let mut record: Vec<(usize, Catalog<'_>, CatalogHash)> = Vec::new();
    for &i in latest {
        let catalog = || Catalog::of(items[i].page, &snapshots[i]);
        let hash = hashes.get(&i).copied().unwrap_or_else(|| catalog().hash());
        let known = stored.get(&snapshots[i].product_id.0);
        let same =
            known.is_some_and(|k| !k.is_unlisted && k.catalog_hash.as_deref() == Some(hash.as_slice()));
        if !same {
            record.push((i, catalog(), hash));
        }
    }
    if !record.is_empty() {
        update_records(conn, snapshots, &record).await?;
    }
    update_latest_values(conn, snapshots, latest).await?;
    Ok(record.into_iter().map(|r| r.0).collect())
}

/// The catalogue data and relisting of the products in `record` (index into the batch, the
/// page's data, its hash).
async fn update_records<'a>(
    conn: &mut PgConnection,
    snapshots: &[NewSnapshot],
    record: &[(usize, Catalog<'a>, CatalogHash)],
) -> StoreResult<()> {
    let text = |f: fn(&Catalog<'a>) -> Option<&'a str>| -> Vec<Option<&'a str>> {
        record.iter().map(|r| f(&r.1)).collect()
    };
    let json: Vec<[Option<Value>; 5]> = record.iter().map(|r| r.1.json()).collect();
    let column = |n: usize| -> Vec<Option<&Value>> { json.iter().map(|j| j[n].as_ref()).collect() };
    let id: Vec<Uuid> = record.iter().map(|r| snapshots[r.0].product_id.0).collect();
    let at: Vec<Ts> = record.iter().map(|r| snapshots[r.0].scraped_at).collect();
    let hash: Vec<&[u8]> = record.iter().map(|r| r.2.as_slice()).collect();
    let total_variations: Vec<Option<i32>> = record.iter().map(|r| r.1.total_variations).collect();
    // COALESCE(NULLIF(new, old), old): a value the page repeats is kept as stored, so the
    // trigger's WHEN sees no change and PostgreSQL neither re-compresses nor re-toasts it.
    // language=PostgreSQL
    let sql = "UPDATE products p SET
                   title = COALESCE(NULLIF(u.title, p.title), p.title), brand = COALESCE(NULLIF(u.brand, p.brand), p.brand),
                   url = COALESCE(NULLIF(u.url, p.url), p.url), category = COALESCE(NULLIF(u.category, p.category), p.category),
                   small_category = COALESCE(NULLIF(u.small_category, p.small_category), p.small_category),
                   bsr_category_link = COALESCE(NULLIF(u.bsr_link, p.bsr_category_link), p.bsr_category_link),
                   bsr_subcategory_link = COALESCE(NULLIF(u.bsr_sub_link, p.bsr_subcategory_link), p.bsr_subcategory_link),
                   item_weight = COALESCE(NULLIF(u.weight, p.item_weight), p.item_weight),
                   model_number = COALESCE(NULLIF(u.model, p.model_number), p.model_number),
                   image_url = COALESCE(NULLIF(u.image, p.image_url), p.image_url),
                   image_urls = COALESCE(NULLIF(u.images, p.image_urls), p.image_urls),
                   product_description = COALESCE(NULLIF(u.description, p.product_description), p.product_description),
                   product_dimensions = COALESCE(NULLIF(u.dimensions, p.product_dimensions), p.product_dimensions),
                   features = COALESCE(NULLIF(u.features, p.features), p.features),
                   technical_details = COALESCE(NULLIF(u.technical, p.technical_details), p.technical_details),
                   variation_types = COALESCE(NULLIF(u.variation_types, p.variation_types), p.variation_types),
                   total_variations = COALESCE(NULLIF(u.total_variations, p.total_variations), p.total_variations),
                   has_variations = COALESCE(u.total_variations > 0, p.has_variations),
                   catalog_hash = u.hash,
                   -- A page newer than the not-found that unlisted the product relists it.
                   is_unlisted = p.is_unlisted AND p.unlisted_at > u.at,
                   unlisted_at = CASE WHEN p.unlisted_at > u.at THEN p.unlisted_at END
               FROM UNNEST($1::uuid[], $2::timestamptz[], $3::text[], $4::text[], $5::text[],
                   $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[],
                   $12::text[], $13::text[], $14::jsonb[], $15::jsonb[], $16::jsonb[], $17::jsonb[],
                   $18::int4[], $19::jsonb[], $20::bytea[])
                 AS u(id, at, title, brand, url, category, small_category, bsr_link, bsr_sub_link,
                   weight, model, image, description, dimensions, features, technical,
                   variation_types, total_variations, images, hash)
               WHERE p.id = u.id AND (p.last_snapshot_at IS NULL OR p.last_snapshot_at < u.at)";
    sqlx::query(sql)
        .bind(&id)
        .bind(&at)
        .bind(text(|c| c.title))
        .bind(text(|c| c.brand))
        .bind(text(|c| c.url))
        .bind(text(|c| c.category))
        .bind(text(|c| c.small_category))
        .bind(text(|c| c.bsr_link))
        .bind(text(|c| c.bsr_sub_link))
        .bind(text(|c| c.weight))
        .bind(text(|c| c.model))
        .bind(text(|c| c.image))
        .bind(text(|c| c.description))
        .bind(column(0))
        .bind(column(1))
        .bind(column(2))
        .bind(column(3))
        .bind(&total_variations)
        .bind(column(4))
        .bind(&hash)
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    Ok(())
}

/// The latest values of the newest new snapshot of each product. Assigns no column of the
/// product's record, so no trigger runs and the row is updated in place (HOT).
async fn update_latest_values(
    conn: &mut PgConnection,
    snapshots: &[NewSnapshot],
    latest: &[usize],
) -> StoreResult<()> {
    let id: Vec<Uuid> = latest.iter().map(|&i| snapshots[i].product_id.0).collect();
    let at: Vec<Ts> = latest.iter().map(|&i| snapshots[i].scraped_at).collect();
    let stock_status: Vec<Option<String>> =
        latest.iter().map(|&i| snapshots[i].stock_status.as_deref().map(|v| clip(v, 50))).collect();
    let seller: Vec<Option<String>> =
        latest.iter().map(|&i| snapshots[i].seller_name.as_deref().map(|v| clip(v, 255))).collect();
    let keywords: Vec<Option<Value>> =
        latest.iter().map(|&i| snapshots[i].amazons_choice_keywords.as_ref().map(|k| json!(k))).collect();
    macro_rules! snap {
        ($f:ident) => {
            latest.iter().map(|&i| snapshots[i].$f.clone()).collect::<Vec<_>>()
        };
    }
    let currency: Vec<&str> = latest.iter().map(|&i| snapshots[i].currency.as_str()).collect();
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
        .bind(&at)
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

/// Runs the rules for every new snapshot whose product has trackers, in (product, time)
/// order so that alerts raised earlier in the batch count for the cool-down of later ones.
/// Each page is compared with the newest earlier one: stored before this batch (`inputs`)
/// or a new page of the same product earlier in the batch. Returns the stored alerts by
/// snapshot id.
async fn evaluate_alerts(
    conn: &mut PgConnection,
    items: &[ProductItem<'_>],
    snapshots: &[NewSnapshot],
    inserted: &HashMap<(Uuid, Ts), Uuid>,
    inputs: alerts::AlertInputs,
    rules: &RuleConfig,
) -> StoreResult<HashMap<Uuid, Vec<Alert>>> {
    let alerts::AlertInputs { trackers, previous, mut prior } = inputs;
    let key = |i: usize| (snapshots[i].product_id.0, snapshots[i].scraped_at);
    let mut order: Vec<usize> = (0..snapshots.len())
        .filter(|&i| inserted.contains_key(&key(i)) && trackers.contains_key(&key(i).0))
        .collect();
    if order.is_empty() {
        return Ok(HashMap::new());
    }
    // One evaluation per new snapshot, however often its page came in the batch.
    order.sort_by_key(|&i| (key(i), i));
    order.dedup_by_key(|i| key(*i));
    let mut new_alerts: Vec<NewAlert> = Vec::new();
    for (j, &i) in order.iter().enumerate() {
        let s = &snapshots[i];
        let k = key(i);
        let earlier_new = (j > 0 && key(order[j - 1]).0 == k.0).then(|| &snapshots[order[j - 1]]);
        let previous = match (previous.get(&k), earlier_new) {
            (Some(stored), Some(new)) if new.scraped_at > stored.scraped_at => Some(new),
            (Some(stored), _) => Some(stored),
            (None, new) => new,
        };
        let history = prior.entry(k.0).or_default();
        let title = items[i].page.title.value().map(String::as_str).unwrap_or("");
        let raised = evaluate(&AlertContext {
            product_id: s.product_id,
            product_title: title,
            previous,
            current: s,
            current_id: SnapshotId(inserted[&k]),
            trackers: &trackers[&k.0],
            recent_alerts: history,
            config: rules,
        });
        history.extend(as_prior(&raised));
        new_alerts.extend(raised);
    }
    let stored = alerts::store_alerts(conn, &new_alerts).await?;
    let mut out: HashMap<Uuid, Vec<Alert>> = HashMap::new();
    for a in stored {
        if let Some(s) = a.snapshot_id {
            out.entry(s.0).or_default().push(a);
        }
    }
    Ok(out)
}

/// Cuts text to the snapshot columns' lengths (`varchar(n)` of the schema): a long badge or
/// delivery text must not lose the whole snapshot.
fn clipped(mut s: NewSnapshot) -> NewSnapshot {
    let cut = |v: &mut Option<String>, n: usize| {
        if let Some(t) = v.as_mut() {
            *t = clip(t, n);
        }
    };
    cut(&mut s.main_category_name, 200);
    cut(&mut s.small_category_name, 200);
    cut(&mut s.stock_status, 100);
    cut(&mut s.seller_name, 200);
    cut(&mut s.seller_id, 100);
    cut(&mut s.seller_store_url, 1000);
    cut(&mut s.fulfilled_by, 200);
    cut(&mut s.coupon_text, 500);
    cut(&mut s.deal_type, 100);
    cut(&mut s.past_sales, 200);
    cut(&mut s.delivery_message, 500);
    cut(&mut s.product_type, 50);
    s
}
