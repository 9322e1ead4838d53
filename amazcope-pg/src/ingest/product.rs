//! Product pages, set-wise: products found or created, snapshots inserted, latest values and
//! metadata denormalised onto the products, categories upserted when the page data changed,
//! alerts evaluated.

use super::alerts;
use crate::columns::{cut, products as width};
use crate::write::products::{self as products_w, CatalogUpdate, NewProduct, StoredProduct};
use crate::write::{categories, snapshots};
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
    /// The product the page is filed under: the page's own ASIN, or the requested one when
    /// the page shows another variation of it ([`filed_under`]).
    pub(crate) asin: Asin,
}

/// The ASIN a product page is stored under. Amazon may answer a request for one ASIN with
/// the page of another variation of the same item (the selected child, or the parent). What
/// the user asked to track is the requested product, so a page that shows the requested ASIN
/// (as its own, its parent, or one of its variations: [`ScrapedProduct::shows`]) is filed
/// under it, and the page's own ASIN is recorded on the snapshot (`page_asin`). When the
/// requested ASIN is the page's parent, the page's offer is the parent's (its default
/// child); when it is a sibling variation, the page's price and stock are another item's:
/// they are kept only as readings, flagged `unparsed`
/// ([`NewSnapshot::not_this_variation`]), so no alert fires on them; rank, rating and
/// reviews are the family's and stay. A page that does not show the requested ASIN at all is
/// stored under its own ASIN, as any other page.
pub(crate) fn filed_under(page: &ScrapedProduct, requested: Option<(Asin, Marketplace)>) -> Asin {
    match requested {
        Some((asin, mp)) if mp == page.marketplace && asin != page.asin && page.shows(asin) => asin,
        _ => page.asin,
    }
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
    let new: Vec<NewProduct<'_>> = items
        .iter()
        .map(|it| NewProduct {
            title: it.page.title.value().map(String::as_str),
            ..NewProduct::bare(it.asin, it.page.marketplace, created_by)
        })
        .collect();
    let (ids, created) = products_w::ensure(conn, &new).await?;
    let product_of = |it: &ProductItem<'_>| ids[&(it.asin, it.page.marketplace)].id;

    let mut snapshots: Vec<NewSnapshot> = items
        .iter()
        .map(|it| {
            let mut s = NewSnapshot::from_page(ProductId(product_of(it)), it.at, it.page);
            if it.asin != it.page.asin {
                s.page_asin = Some(it.page.asin);
                if it.page.parent_asin != Some(it.asin) {
                    s.not_this_variation();
                }
            }
            s
        })
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
    // Text cut to the columns before anything reads the snapshots (the alert rules compare
    // what is stored).
    snapshots::fit(&mut snapshots);
    let stored: HashMap<Uuid, &StoredProduct> = ids.values().map(|s| (s.id, s)).collect();
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
        let mut latest: Vec<usize> = products_w::newest_per_product(
            snapshots
                .iter()
                .enumerate()
                .filter(|(_, s)| inserted.contains_key(&(s.product_id.0, s.scraped_at))),
        )
        .into_values()
        .collect();
        latest.sort_unstable();
        let recorded = update_products(&mut *conn, items, &snapshots, &latest, &stored, &hashes).await?;
        categories::categories_of_products(&mut *conn, recorded.iter().map(|&i| items[i].page)).await?;
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
    products_w::newest_per_product(snapshots.iter().enumerate())
        .into_values()
        .map(|i| (i, Catalog::of(items[i].page, &snapshots[i]).hash()))
        .collect()
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
            title: text(p.title.value(), width::TITLE),
            brand: text(p.brand.value(), width::BRAND),
            url: text(p.url.as_ref(), width::URL),
            category: text(
                s.main_category_name.as_ref().or_else(|| categories.and_then(|c| c.first())),
                width::CATEGORY,
            ),
            small_category: text(
                s.small_category_name.as_ref().or_else(|| categories.and_then(|c| c.last())),
                width::CATEGORY,
            ),
            bsr_link: text(rank_link(0), width::BSR_LINK),
            bsr_sub_link: text(rank_link(1), width::BSR_LINK),
            weight: text(p.weight.value(), width::WEIGHT),
            model: text(p.model_number.value(), width::MODEL),
            image: text(p.images.value().and_then(|i| i.first()), width::IMAGE_URL),
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

    /// The record's update from this page data, for the product of `snapshot`.
    fn update(&self, snapshot: &NewSnapshot, hash: &CatalogHash) -> CatalogUpdate {
        let text = |v: Option<&str>| v.map(str::to_owned);
        CatalogUpdate {
            product: snapshot.product_id.0,
            at: Some(snapshot.scraped_at),
            hash: Some(hash.to_vec()),
            title: text(self.title),
            brand: text(self.brand),
            url: text(self.url),
            category: text(self.category),
            small_category: text(self.small_category),
            bsr_link: text(self.bsr_link),
            bsr_sub_link: text(self.bsr_sub_link),
            weight: text(self.weight),
            model: text(self.model),
            image: text(self.image),
            description: text(self.description),
            dimensions: self.dimensions.map(|d| json!(d)),
            features: self.features.map(|f| json!(f)),
            technical: self.technical.map(|rows| {
                Value::Object(rows.iter().map(|r| (r.name.clone(), json!(r.value))).collect::<Map<_, _>>())
            }),
            variation_types: self.variation_types.as_ref().map(|names| json!(names)),
            total_variations: self.total_variations,
            images: self.images.map(|i| json!(i)),
            ..CatalogUpdate::default()
        }
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
    stored: &HashMap<Uuid, &StoredProduct>,
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
    let updates: Vec<CatalogUpdate> =
        record.iter().map(|(i, catalog, hash)| catalog.update(&snapshots[*i], hash)).collect();
    products_w::update_catalog(conn, &updates).await?;
    let newest: Vec<&NewSnapshot> = latest.iter().map(|&i| &snapshots[i]).collect();
    products_w::update_latest_values(conn, &newest).await?;
    Ok(record.into_iter().map(|r| r.0).collect())
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
