//! The alert step of the pipeline, set-wise: previous snapshots, trackers and earlier alerts
//! of every product touched are read with one query each, the core rules run in memory, and
//! the alerts and their notifications are written with one UNNEST insert each.

use crate::error::db;
use crate::repos::tracking::tracker_rows;
use crate::rows::{PreviousRow, PriorRow};
use crate::write;
use amazcope_core::StoreResult;
use amazcope_core::model::alert::{Alert, NewAlert};
use amazcope_core::model::snapshot::NewSnapshot;
use amazcope_core::model::tracking::Tracker;
use amazcope_core::rules::PriorAlert;
use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use std::collections::HashMap;
use uuid::Uuid;

type Ts = DateTime<Utc>;

/// The columns of a previous snapshot (`s`), after the new snapshot's time it is for.
macro_rules! previous_columns {
    () => {
        "k.for_scraped_at, s.product_id, s.scraped_at, s.price, s.original_price,
         s.buybox_price, s.currency, s.discount_percentage, s.bsr_main_category,
         s.bsr_small_category, s.main_category_name, s.small_category_name, s.rating,
         s.review_count, s.in_stock, s.stock_quantity, s.stock_status, s.seller_name,
         s.seller_id, s.seller_store_url, s.is_amazon_seller, s.is_fba, s.fulfilled_by,
         s.coupon_text, s.coupon_available, s.deal_type, s.is_deal, s.is_prime,
         s.amazons_choice_keywords, s.has_amazons_choice, s.past_sales,
         s.delivery_message, s.product_type, s.is_used, s.category_avg_price,
         s.category_avg_rating, s.category_avg_reviews, s.price_quality, s.list_price_quality,
         s.bsr_quality, s.rating_quality, s.review_count_quality, s.stock_quality,
         s.quality_readings, s.page_asin"
    };
}

/// For each key (product, scraped_at), the newest snapshot of that product stored strictly
/// before it, as committed before this batch: `keys` are read before (or beside) the
/// batch's own snapshot insert, so they never see the batch's rows. The caller adds the
/// batch's own earlier pages of a product ([`super::product`]).
///
/// The usual case, a page newer than everything stored, is one exact key: the snapshot at
/// the product's `last_snapshot_at`, in one partition. The rest (a product's first page, a
/// back-fill older than what is stored, a latest snapshot deleted since) takes the general
/// search.
pub(crate) async fn previous_snapshots(
    conn: &mut PgConnection,
    keys: &[(Uuid, Ts)],
) -> StoreResult<HashMap<(Uuid, Ts), NewSnapshot>> {
    // language=PostgreSQL
    let exact = concat!(
        "SELECT ",
        previous_columns!(),
        " FROM UNNEST($1::uuid[], $2::timestamptz[]) AS k(product_id, for_scraped_at)
          JOIN products p ON p.id = k.product_id AND p.last_snapshot_at < k.for_scraped_at
          JOIN product_snapshots s ON s.product_id = p.id AND s.scraped_at = p.last_snapshot_at"
    );
    let mut out = fetch_previous(conn, exact, keys).await?;
    let rest: Vec<(Uuid, Ts)> = keys.iter().filter(|k| !out.contains_key(k)).copied().collect();
    // One backward index probe per key on uq_product_snapshots_product_scraped; the
    // partition key bound lets the executor skip later months.
    // language=PostgreSQL
    let search = concat!(
        "SELECT ",
        previous_columns!(),
        " FROM UNNEST($1::uuid[], $2::timestamptz[]) AS k(product_id, for_scraped_at)
          CROSS JOIN LATERAL (
              SELECT * FROM product_snapshots p
              WHERE p.product_id = k.product_id AND p.scraped_at < k.for_scraped_at
              ORDER BY p.scraped_at DESC LIMIT 1) s"
    );
    out.extend(fetch_previous(conn, search, &rest).await?);
    Ok(out)
}

/// What the rules read besides the new snapshots, for a batch: trackers by product, the
/// stored previous snapshot by (product, scraped_at) key, earlier alerts by product.
#[derive(Default)]
pub(crate) struct AlertInputs {
    pub(crate) trackers: HashMap<Uuid, Vec<Tracker>>,
    pub(crate) previous: HashMap<(Uuid, Ts), NewSnapshot>,
    pub(crate) prior: HashMap<Uuid, Vec<PriorAlert>>,
}

/// Reads [`AlertInputs`] for `keys` (sorted, distinct) from what is committed: only reads,
/// so it may run on a second connection while the batch's transaction writes.
pub(crate) async fn alert_inputs(conn: &mut PgConnection, keys: &[(Uuid, Ts)]) -> StoreResult<AlertInputs> {
    let mut products: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
    products.dedup();
    let trackers = trackers(conn, &products).await?;
    let keys: Vec<(Uuid, Ts)> = keys.iter().filter(|k| trackers.contains_key(&k.0)).copied().collect();
    if keys.is_empty() {
        return Ok(AlertInputs::default());
    }
    let tracked: Vec<Uuid> = trackers.keys().copied().collect();
    let previous = previous_snapshots(conn, &keys).await?;
    let until = keys.iter().map(|k| k.1).max().unwrap_or_else(Utc::now);
    let prior = prior_alerts(conn, &tracked, until).await?;
    Ok(AlertInputs { trackers, previous, prior })
}

async fn fetch_previous(
    conn: &mut PgConnection,
    sql: &'static str,
    keys: &[(Uuid, Ts)],
) -> StoreResult<HashMap<(Uuid, Ts), NewSnapshot>> {
    if keys.is_empty() {
        return Ok(HashMap::new());
    }
    let products: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
    let times: Vec<Ts> = keys.iter().map(|k| k.1).collect();
    let rows = sqlx::query_as::<_, PreviousRow>(sql)
        .bind(&products)
        .bind(&times)
        .fetch_all(&mut *conn)
        .await
        .map_err(db)?;
    let mut out = HashMap::with_capacity(rows.len());
    for r in rows {
        let snapshot = NewSnapshot::try_from(r.snapshot)?;
        out.insert((snapshot.product_id.0, r.for_scraped_at), snapshot);
    }
    Ok(out)
}

/// [`alert_inputs`] on a second connection beside the batch's transaction: one read-only
/// snapshot for the three reads, and a lock wait of at most a second. Partition upkeep
/// queued behind the batch's own transaction (it waits for the batch's locks on
/// product_snapshots) would otherwise hold these reads, and so the batch waiting for them,
/// for good; the caller then reads on its own connection instead.
pub(crate) async fn alert_inputs_beside(
    side: &mut PgConnection,
    keys: &[(Uuid, Ts)],
) -> StoreResult<AlertInputs> {
    // language=PostgreSQL
    // Cross-user reads (trackers, prior alerts of every user): as amazcope_service.
    let begin = "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY; SET LOCAL ROLE amazcope_service; \
                 SET LOCAL lock_timeout = '1s'";
    let mut tx = sqlx::Connection::begin_with(side, begin).await.map_err(db)?;
    let inputs = alert_inputs(&mut tx, keys).await?;
    tx.commit().await.map_err(db)?;
    Ok(inputs)
}

/// Every active user actively tracking each active product, thresholds resolved from the
/// tracking row, then the user's settings, then the defaults.
pub(crate) async fn trackers(
    conn: &mut PgConnection,
    products: &[Uuid],
) -> StoreResult<HashMap<Uuid, Vec<Tracker>>> {
    if products.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = tracker_rows(conn, products).await.map_err(db)?;
    let mut out: HashMap<Uuid, Vec<Tracker>> = HashMap::new();
    for r in rows {
        out.entry(r.product_id).or_default().push(Tracker::try_from(r.tracker)?);
    }
    Ok(out)
}

/// The newest alert of each (user, product, type) at or before `until`: what the cool-down
/// and the dead-band compare with.
pub(crate) async fn prior_alerts(
    conn: &mut PgConnection,
    products: &[Uuid],
    until: Ts,
) -> StoreResult<HashMap<Uuid, Vec<PriorAlert>>> {
    if products.is_empty() {
        return Ok(HashMap::new());
    }
    // language=PostgreSQL
    let sql = "SELECT DISTINCT ON (product_id, user_id, alert_type)
                   product_id, user_id, alert_type, created_at, old_value, new_value, snapshot_id
               FROM alerts
               WHERE product_id = ANY($1) AND created_at <= $2
               ORDER BY product_id, user_id, alert_type, created_at DESC";
    let rows = sqlx::query_as::<_, PriorRow>(sql)
        .bind(products)
        .bind(until)
        .fetch_all(&mut *conn)
        .await
        .map_err(db)?;
    let mut out: HashMap<Uuid, Vec<PriorAlert>> = HashMap::new();
    for r in rows {
        let product = r.product_id;
        out.entry(product).or_default().push(PriorAlert::try_from(r)?);
    }
    Ok(out)
}

/// Writes alerts and one notification each ([`write::alerts::insert`]). Returns the alerts
/// written.
pub(crate) async fn store_alerts(conn: &mut PgConnection, alerts: &[NewAlert]) -> StoreResult<Vec<Alert>> {
    write::alerts::insert(conn, alerts).await
}
