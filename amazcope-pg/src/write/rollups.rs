//! Writes of `product_daily`: the daily rollups of the snapshots, maintained by the snapshot
//! write itself ([`super::snapshots::store_new_snapshots`] calls [`merge`] in its
//! transaction) so they are never stale, and recomputed from the raw snapshots still present
//! by [`rebuild`].
//!
//! [`rebuild`] clears the days that have raw snapshots and folds those snapshots in again
//! through [`merge`]: one definition of a rollup, one INSERT.
//!
//! [`merge`] folds only the snapshots just inserted into their (product, UTC day) rows:
//! minimums and maximums widen, sums and counts add, and the closing values follow the later
//! of the stored close and the new one. A page stored twice inserts no snapshot the second
//! time and so changes nothing; a late page for an earlier day updates that day. It reads no
//! raw snapshot, so a day whose raw partition was archived keeps its totals and still takes a
//! late page correctly.
//!
//! The price figures (min, max, sum, count) summarise the day's real prices: a zero price
//! is "no offer", as in the analytics and `stats`, and is left out (`price_close` is the
//! last snapshot's price as stored).
//!
//! Runtime SQL: UNNEST arrays built per column.

use crate::columns::{clip_opt, products as width};
use crate::error::db;
use amazcope_core::StoreResult;
use amazcope_core::model::snapshot::NewSnapshot;
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use sqlx::PgConnection;
use std::collections::BTreeMap;
use uuid::Uuid;

/// The rollup of some snapshots of one product on one day.
struct Day<'a> {
    price_min: Option<Decimal>,
    price_max: Option<Decimal>,
    price_sum: Decimal,
    price_count: i32,
    bsr_min: Option<i32>,
    bsr_max: Option<i32>,
    in_stock_count: i32,
    snapshots: i32,
    first_at: DateTime<Utc>,
    /// The last snapshot: the day's closing values.
    close: &'a NewSnapshot,
}

impl<'a> Day<'a> {
    fn new(s: &'a NewSnapshot) -> Self {
        Day {
            price_min: None,
            price_max: None,
            price_sum: Decimal::ZERO,
            price_count: 0,
            bsr_min: None,
            bsr_max: None,
            in_stock_count: 0,
            snapshots: 0,
            first_at: s.scraped_at,
            close: s,
        }
    }

    fn add(&mut self, s: &'a NewSnapshot) {
        // A zero price is "no offer" (the analytics' rule), not a price of the day.
        if let Some(p) = s.price.filter(|p| *p > Decimal::ZERO) {
            self.price_min = Some(self.price_min.map_or(p, |m| m.min(p)));
            self.price_max = Some(self.price_max.map_or(p, |m| m.max(p)));
            self.price_sum += p;
            self.price_count += 1;
        }
        if let Some(b) = s.bsr_main_category {
            self.bsr_min = Some(self.bsr_min.map_or(b, |m| m.min(b)));
            self.bsr_max = Some(self.bsr_max.map_or(b, |m| m.max(b)));
        }
        self.in_stock_count += i32::from(s.in_stock);
        self.snapshots += 1;
        self.first_at = self.first_at.min(s.scraped_at);
        if s.scraped_at > self.close.scraped_at {
            self.close = s;
        }
    }
}

/// Folds newly inserted snapshots into their days, one statement for all.
pub(crate) async fn merge(conn: &mut PgConnection, inserted: &[&NewSnapshot]) -> StoreResult<()> {
    // The benchmark baseline (`benches/ingest_compare.sh rollups`) measures ingest without
    // this statement; no build but that one has the feature.
    if inserted.is_empty() || cfg!(feature = "bench-no-rollups") {
        return Ok(());
    }
    let mut days: BTreeMap<(Uuid, NaiveDate), Day<'_>> = BTreeMap::new();
    for s in inserted {
        days.entry((s.product_id.0, s.scraped_at.date_naive())).or_insert_with(|| Day::new(s)).add(s);
    }
    let rows: Vec<(&(Uuid, NaiveDate), &Day<'_>)> = days.iter().collect();
    macro_rules! col {
        ($e:expr) => {
            rows.iter().map($e).collect::<Vec<_>>()
        };
    }
    // language=PostgreSQL
    let sql = "INSERT INTO product_daily AS d (product_id, day, currency, price_min, price_max,
                   price_close, price_sum, price_count, list_price_close, bsr_min, bsr_max,
                   bsr_close, bsr_category, rating_close, review_count_close, in_stock_count,
                   snapshots, first_at, last_at, in_stock_close)
               SELECT * FROM UNNEST($1::uuid[], $2::date[], $3::text[], $4::numeric[],
                   $5::numeric[], $6::numeric[], $7::numeric[], $8::int4[], $9::numeric[],
                   $10::int4[], $11::int4[], $12::int4[], $13::text[], $14::float8[], $15::int4[],
                   $16::int4[], $17::int4[], $18::timestamptz[], $19::timestamptz[], $20::bool[])
               ON CONFLICT ON CONSTRAINT pk_product_daily DO UPDATE SET
                   -- No row trigger on product_daily (0011): the write keeps updated_at.
                   updated_at = now(),
                   price_min = LEAST(d.price_min, EXCLUDED.price_min),
                   price_max = GREATEST(d.price_max, EXCLUDED.price_max),
                   price_sum = d.price_sum + EXCLUDED.price_sum,
                   price_count = d.price_count + EXCLUDED.price_count,
                   bsr_min = LEAST(d.bsr_min, EXCLUDED.bsr_min),
                   bsr_max = GREATEST(d.bsr_max, EXCLUDED.bsr_max),
                   in_stock_count = d.in_stock_count + EXCLUDED.in_stock_count,
                   snapshots = d.snapshots + EXCLUDED.snapshots,
                   first_at = LEAST(d.first_at, EXCLUDED.first_at),
                   last_at = GREATEST(d.last_at, EXCLUDED.last_at),
                   -- The closing values are the later snapshot's.
                   currency = CASE WHEN EXCLUDED.last_at > d.last_at THEN EXCLUDED.currency ELSE d.currency END,
                   price_close = CASE WHEN EXCLUDED.last_at > d.last_at THEN EXCLUDED.price_close ELSE d.price_close END,
                   list_price_close = CASE WHEN EXCLUDED.last_at > d.last_at THEN EXCLUDED.list_price_close ELSE d.list_price_close END,
                   bsr_close = CASE WHEN EXCLUDED.last_at > d.last_at THEN EXCLUDED.bsr_close ELSE d.bsr_close END,
                   bsr_category = CASE WHEN EXCLUDED.last_at > d.last_at THEN EXCLUDED.bsr_category ELSE d.bsr_category END,
                   rating_close = CASE WHEN EXCLUDED.last_at > d.last_at THEN EXCLUDED.rating_close ELSE d.rating_close END,
                   review_count_close = CASE WHEN EXCLUDED.last_at > d.last_at THEN EXCLUDED.review_count_close ELSE d.review_count_close END,
                   in_stock_close = CASE WHEN EXCLUDED.last_at > d.last_at THEN EXCLUDED.in_stock_close ELSE d.in_stock_close END";
    sqlx::query(sql)
        .bind(col!(|r| r.0.0))
        .bind(col!(|r| r.0.1))
        .bind(col!(|r| r.1.close.currency.as_str()))
        .bind(col!(|r| r.1.price_min))
        .bind(col!(|r| r.1.price_max))
        .bind(col!(|r| r.1.close.price))
        .bind(col!(|r| r.1.price_sum))
        .bind(col!(|r| r.1.price_count))
        .bind(col!(|r| r.1.close.original_price))
        .bind(col!(|r| r.1.bsr_min))
        .bind(col!(|r| r.1.bsr_max))
        .bind(col!(|r| r.1.close.bsr_main_category))
        .bind(col!(|r| clip_opt(r.1.close.main_category_name.as_deref(), width::CATEGORY)))
        .bind(col!(|r| r.1.close.rating))
        .bind(col!(|r| r.1.close.review_count))
        .bind(col!(|r| r.1.in_stock_count))
        .bind(col!(|r| r.1.snapshots))
        .bind(col!(|r| r.1.first_at))
        .bind(col!(|r| r.1.close.scraped_at))
        .bind(col!(|r| r.1.close.in_stock))
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    Ok(())
}

/// Rows read per round trip by [`rebuild`].
const REBUILD_CHUNK: i64 = 20_000;

/// Recomputes the rollups of the days `from..=to` (UTC; unbounded where `None`) from the raw
/// snapshots still present: the days that have raw snapshots are cleared, then the snapshots
/// are folded in again by [`merge`], the same function the snapshot write uses (one
/// definition of a rollup), in chunks read in (product, time) order so memory stays bounded.
/// Days without raw snapshots (archived) are left as they are. Returns the number of days
/// written.
pub(crate) async fn rebuild(
    conn: &mut PgConnection,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> StoreResult<u64> {
    let lower = from.map(|d| d.and_time(chrono::NaiveTime::MIN).and_utc());
    let upper = to.and_then(|d| d.succ_opt()).map(|d| d.and_time(chrono::NaiveTime::MIN).and_utc());
    // language=PostgreSQL
    let clear = "DELETE FROM product_daily d USING (
                     SELECT DISTINCT product_id, (scraped_at AT TIME ZONE 'UTC')::date AS day
                     FROM product_snapshots
                     WHERE ($1::timestamptz IS NULL OR scraped_at >= $1)
                       AND ($2::timestamptz IS NULL OR scraped_at < $2)) r
                 WHERE d.product_id = r.product_id AND d.day = r.day";
    sqlx::query(clear).bind(lower).bind(upper).execute(&mut *conn).await.map_err(db)?;
    // language=PostgreSQL
    let read = "SELECT * FROM product_snapshots
                WHERE ($1::timestamptz IS NULL OR scraped_at >= $1)
                  AND ($2::timestamptz IS NULL OR scraped_at < $2)
                  AND ($3::uuid IS NULL OR (product_id, scraped_at) > ($3, $4))
                ORDER BY product_id, scraped_at
                LIMIT $5";
    let mut after: Option<(Uuid, DateTime<Utc>)> = None;
    let mut days = std::collections::BTreeSet::new();
    loop {
        let rows: Vec<crate::rows::SnapshotRow> = sqlx::query_as(read)
            .bind(lower)
            .bind(upper)
            .bind(after.map(|a| a.0))
            .bind(after.map(|a| a.1))
            .bind(REBUILD_CHUNK)
            .fetch_all(&mut *conn)
            .await
            .map_err(db)?;
        let n = rows.len();
        let snapshots: Vec<NewSnapshot> = rows
            .into_iter()
            .map(|r| amazcope_core::model::snapshot::ProductSnapshot::try_from(r).map(|s| s.data))
            .collect::<StoreResult<_>>()?;
        let Some(last) = snapshots.last() else { break };
        after = Some((last.product_id.0, last.scraped_at));
        days.extend(snapshots.iter().map(|s| (s.product_id.0, s.scraped_at.date_naive())));
        merge(conn, &snapshots.iter().collect::<Vec<_>>()).await?;
        if (n as i64) < REBUILD_CHUNK {
            break;
        }
    }
    Ok(days.len() as u64)
}
