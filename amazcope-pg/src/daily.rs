//! The daily rollups (`product_daily`): read them, and rebuild them from the raw snapshots.
//! They are written by the snapshot write itself (`write::rollups::merge`).

use crate::PgStore;
use crate::copy_binary;
use crate::error::db;
use crate::write::rollups;
use amazcope_core::analytics::{WindowStats, window_stats_with_daily};
use amazcope_core::model::history::LongHistory;
use amazcope_core::model::snapshot::{DailyRollup, ProductSnapshot};
use amazcope_core::{ProductId, SnapshotRepository, StoreError, StoreResult, TimeRange, UserId};
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use uuid::Uuid;

/// The columns of [`DailyRow`], prefixed with the alias `d`.
macro_rules! daily_columns {
    () => {
        "d.product_id, d.day, d.currency, d.price_min, d.price_max, d.price_close, d.price_sum,
         d.price_count, d.list_price_close, d.bsr_min, d.bsr_max, d.bsr_close, d.bsr_category,
         d.rating_close, d.review_count_close, d.in_stock_count, d.in_stock_close, d.snapshots,
         d.first_at, d.last_at"
    };
}
pub(crate) use daily_columns;

/// One `product_daily` row as stored.
#[derive(sqlx::FromRow)]
pub(crate) struct DailyRow {
    product_id: Uuid,
    day: NaiveDate,
    currency: String,
    price_min: Option<Decimal>,
    price_max: Option<Decimal>,
    price_close: Option<Decimal>,
    price_sum: Decimal,
    price_count: i32,
    list_price_close: Option<Decimal>,
    bsr_min: Option<i32>,
    bsr_max: Option<i32>,
    bsr_close: Option<i32>,
    bsr_category: Option<String>,
    rating_close: Option<f64>,
    review_count_close: Option<i32>,
    in_stock_count: i32,
    in_stock_close: bool,
    snapshots: i32,
    first_at: DateTime<Utc>,
    last_at: DateTime<Utc>,
}

impl TryFrom<DailyRow> for DailyRollup {
    type Error = StoreError;
    fn try_from(r: DailyRow) -> Result<Self, StoreError> {
        Ok(DailyRollup {
            product_id: ProductId(r.product_id),
            day: r.day,
            currency: crate::rows::parse(&r.currency)?,
            price_min: r.price_min,
            price_max: r.price_max,
            price_close: r.price_close,
            price_sum: r.price_sum,
            price_count: r.price_count,
            list_price_close: r.list_price_close,
            bsr_min: r.bsr_min,
            bsr_max: r.bsr_max,
            bsr_close: r.bsr_close,
            bsr_category: r.bsr_category,
            rating_close: r.rating_close,
            review_count_close: r.review_count_close,
            in_stock_count: r.in_stock_count,
            in_stock_close: r.in_stock_close,
            snapshots: r.snapshots,
            first_at: r.first_at,
            last_at: r.last_at,
        })
    }
}

/// One product's lowest, highest and mean price of one UTC day, from its rollup
/// ([`PgStore::daily_prices_of`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DailyPrice {
    /// The product.
    pub product_id: ProductId,
    /// The UTC day.
    pub day: NaiveDate,
    /// The lowest real price of the day.
    pub min: Option<Decimal>,
    /// The highest real price of the day.
    pub max: Option<Decimal>,
    /// The arithmetic mean of the day's real prices, exact (`price_sum / price_count`).
    pub mean: Option<Decimal>,
}

/// The read of [`PgStore::daily_prices_of`] for `products` and the days `from..=to`, with
/// the values spliced in (COPY takes no bind parameters; they are UUIDs and dates formatted
/// here, never caller text). Every column it names is in the primary key's index
/// (`pk_product_daily ... INCLUDE`, migrations 0020 and 0022), so the server answers it with an
/// index-only scan in key order, no heap page and no sort (`tests/pg/rollups.rs` checks the
/// plan). One row per product with its days and prices as arrays: 100 rows to send and
/// decode instead of 9,000 (each row of a COPY is a message of its own). The prices are the
/// rollup's hundredths as bigint (`price_*_cents`, generated when the rollup is written,
/// migration 0022): an int8 array is sent and decoded by copying 8 bytes per value, a numeric
/// array by converting base-10000 digits both ways. Public for that check.
pub fn daily_prices_sql(products: &[ProductId], from: NaiveDate, to: NaiveDate) -> String {
    let ids: Vec<String> = products.iter().map(|p| p.0.hyphenated().to_string()).collect();
    // language=PostgreSQL
    format!(
        "SELECT product_id, array_agg(day), array_agg(price_min_cents), array_agg(price_max_cents),
                array_agg(price_sum_cents), array_agg(price_count)
         FROM product_daily
         WHERE product_id = ANY('{{{}}}'::uuid[]) AND day >= '{from}' AND day <= '{to}'
         GROUP BY product_id
         ORDER BY product_id",
        ids.join(",")
    )
}

/// The elements of a one-dimensional binary array (`array_send`: the number of dimensions,
/// a has-NULL flag, the element type, per dimension its length and lower bound, then each
/// element as an i32 length, -1 for NULL, and its bytes).
fn array_elements(v: &[u8]) -> Option<Vec<Option<&[u8]>>> {
    let i32_at = |at: usize| v.get(at..at + 4).map(|b| i32::from_be_bytes(b.try_into().expect("4 bytes")));
    match i32_at(0)? {
        0 => return Some(Vec::new()),
        1 => {}
        _ => return None,
    }
    let len = usize::try_from(i32_at(12)?).ok()?;
    let mut at = 20;
    let mut out = Vec::with_capacity(len);
    for _ in 0..len {
        let n = i32_at(at)?;
        at += 4;
        if n < 0 {
            out.push(None);
        } else {
            let n = n as usize;
            out.push(Some(v.get(at..at + n)?));
            at += n;
        }
    }
    (at == v.len()).then_some(out)
}

/// The rows of [`daily_prices_sql`] from PostgreSQL's binary COPY stream (the "Binary
/// Format" of the COPY page: an 11-byte signature, flags and a header extension, then per
/// row an i16 field count and per field an i32 length, -1 for NULL, and the big-endian
/// value; a field count of -1 ends it): per product its id and five aligned arrays (one
/// aggregation pass fills them in the same order), days put in order here.
fn decode_daily_prices(b: &[u8]) -> StoreResult<Vec<DailyPrice>> {
    // Days from 0001-01-01 (chrono's CE day 1) to PostgreSQL's epoch, 2000-01-01.
    const PG_EPOCH_DAYS_CE: i32 = 730_120;
    let bad = |what: &str| StoreError::Backend {
        message: format!("the daily prices' COPY stream is malformed: {what}"),
        source: None,
    };
    let mut at = 0usize;
    let mut take = |n: usize| -> StoreResult<&[u8]> {
        let v = b.get(at..at + n).ok_or_else(|| bad("it ends early"))?;
        at += n;
        Ok(v)
    };
    if take(11)? != copy_binary::SIGNATURE {
        return Err(bad("no COPY signature"));
    }
    take(4)?;
    let ext = i32::from_be_bytes(take(4)?.try_into().expect("4 bytes"));
    take(usize::try_from(ext).map_err(|_| bad("negative header extension"))?)?;
    let mut out = Vec::new();
    loop {
        let fields = i16::from_be_bytes(take(2)?.try_into().expect("2 bytes"));
        if fields == -1 {
            return Ok(out);
        }
        if fields != 6 {
            return Err(bad("a row without 6 fields"));
        }
        let mut field = || -> StoreResult<&[u8]> {
            let len = i32::from_be_bytes(take(4)?.try_into().expect("4 bytes"));
            take(usize::try_from(len).map_err(|_| bad("a NULL column"))?)
        };
        let id = Uuid::from_slice(field()?).map_err(|_| bad("product_id"))?;
        let mut arrays = Vec::with_capacity(5);
        for name in ["day", "price_min", "price_max", "price_sum", "price_count"] {
            arrays.push(array_elements(field()?).ok_or_else(|| bad(name))?);
        }
        let n = arrays[0].len();
        if arrays.iter().any(|a| a.len() != n) {
            return Err(bad("arrays of different lengths"));
        }
        let cents = |v: Option<&[u8]>| -> StoreResult<Option<i64>> {
            v.map(|v| <[u8; 8]>::try_from(v).map(i64::from_be_bytes).map_err(|_| bad("a price"))).transpose()
        };
        let first = out.len();
        let [days, mins, maxs, sums, counts]: [Vec<Option<&[u8]>>; 5] =
            arrays.try_into().map_err(|_| bad("five arrays"))?;
        let columns = days.into_iter().zip(mins).zip(maxs).zip(sums).zip(counts);
        for ((((day, min), max), sum), count) in columns {
            let day = day
                .and_then(|v| <[u8; 4]>::try_from(v).ok())
                .and_then(|v| NaiveDate::from_num_days_from_ce_opt(i32::from_be_bytes(v) + PG_EPOCH_DAYS_CE))
                .ok_or_else(|| bad("day"))?;
            let (min, max) = (cents(min)?, cents(max)?);
            let sum = cents(sum)?.ok_or_else(|| bad("price_sum"))?;
            let count = count
                .and_then(|v| <[u8; 4]>::try_from(v).ok())
                .map(i32::from_be_bytes)
                .ok_or_else(|| bad("price_count"))?;
            out.push(DailyPrice {
                product_id: ProductId(id),
                day,
                min: min.map(|c| Decimal::new(c, 2)),
                max: max.map(|c| Decimal::new(c, 2)),
                // One real price (the usual day) is its own mean: no division.
                mean: match count {
                    0 => None,
                    1 => Some(Decimal::new(sum, 2)),
                    n => Some(Decimal::new(sum, 2) / Decimal::from(n)),
                },
            });
        }
        // array_agg keeps its input's order, which the index gives by day; SQL does not
        // promise it, so the days are put in order here when they are not.
        if !out[first..].is_sorted_by_key(|d| d.day) {
            out[first..].sort_by_key(|d| d.day);
        }
    }
}

impl PgStore {
    /// The daily rollups of `product` for the days `from..=to` (unbounded where `None`),
    /// oldest first, whoever tracks it (the catalogue is shared; per-user reads check
    /// tracking first).
    pub async fn daily_rollups(
        &self,
        product: ProductId,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
    ) -> StoreResult<Vec<DailyRollup>> {
        // language=PostgreSQL
        let sql = "SELECT product_id, day, currency, price_min, price_max, price_close, price_sum,
                          price_count, list_price_close, bsr_min, bsr_max, bsr_close, bsr_category,
                          rating_close, review_count_close, in_stock_count, in_stock_close, snapshots, first_at, last_at
                   FROM product_daily
                   WHERE product_id = $1 AND ($2::date IS NULL OR day >= $2) AND ($3::date IS NULL OR day <= $3)
                   ORDER BY day";
        let rows: Vec<DailyRow> = sqlx::query_as(sql)
            .bind(product.0)
            .bind(from)
            .bind(to)
            .fetch_all(self.read_pool().await)
            .await
            .map_err(db)?;
        rows.into_iter().map(TryInto::try_into).collect()
    }

    /// The daily rollups of several products for the days `from..=to`, ordered by product
    /// and day: the daily lowest, highest and mean prices of a watch list or a category in
    /// one indexed read (`benches/benches/daily.rs`). Operator view: per-user callers check
    /// tracking first.
    pub async fn daily_rollups_of(
        &self,
        products: &[ProductId],
        from: NaiveDate,
        to: NaiveDate,
    ) -> StoreResult<Vec<DailyRollup>> {
        let ids: Vec<Uuid> = products.iter().map(|p| p.0).collect();
        // language=PostgreSQL
        let sql = "SELECT product_id, day, currency, price_min, price_max, price_close, price_sum,
                          price_count, list_price_close, bsr_min, bsr_max, bsr_close, bsr_category,
                          rating_close, review_count_close, in_stock_count, in_stock_close, snapshots, first_at, last_at
                   FROM product_daily
                   WHERE product_id = ANY($1) AND day >= $2 AND day <= $3
                   ORDER BY product_id, day";
        let rows: Vec<DailyRow> =
            sqlx::query_as(sql).bind(ids).bind(from).bind(to).fetch_all(self.pool()).await.map_err(db)?;
        rows.into_iter().map(TryInto::try_into).collect()
    }

    /// The daily lowest, highest and mean price of several products for the days
    /// `from..=to`, ordered by product and day: [`PgStore::daily_rollups_of`] reduced to the
    /// five columns a price chart of a watch list or a category needs, decoded without an
    /// allocation per row (`benches/benches/daily.rs`). The mean is `product_daily`'s
    /// arithmetic mean of the day's real prices, `price_sum / price_count`, exact (not
    /// time-weighted); a day without a real price has `None` for all three. Operator view:
    /// per-user callers check tracking first.
    pub async fn daily_prices_of(
        &self,
        products: &[ProductId],
        from: NaiveDate,
        to: NaiveDate,
    ) -> StoreResult<Vec<DailyPrice>> {
        // Binary COPY, not a query: 9,000 rows through sqlx's row-by-row decoding (a PgRow,
        // a column lookup by name and a numeric allocation per value) took most of the read.
        // The products, sorted, are cut into contiguous runs read at once over as many
        // connections as the machine has cores (at least 50 products a run): the server's
        // work per row (an index tuple and six send functions) is most of what remains, and
        // one backend does it on one core. In product order, the runs' rows concatenate
        // into the answer's order.
        let mut ids: Vec<ProductId> = products.to_vec();
        ids.sort_unstable_by_key(|p| p.0);
        ids.dedup();
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        let runs = ids.len().div_ceil(50).clamp(1, cores);
        let per_run = ids.len().div_ceil(runs).max(1);
        let reads = ids.chunks(per_run).map(|run| self.copy_daily_prices(run, from, to));
        let parts = futures::future::try_join_all(reads).await?;
        Ok(parts.into_iter().flatten().collect())
    }

    /// One run of [`PgStore::daily_prices_of`]: its COPY read and decoded.
    async fn copy_daily_prices(
        &self,
        products: &[ProductId],
        from: NaiveDate,
        to: NaiveDate,
    ) -> StoreResult<Vec<DailyPrice>> {
        use futures::StreamExt as _;
        use sqlx::postgres::PgPoolCopyExt as _;
        let sql = format!("COPY ({}) TO STDOUT (FORMAT binary)", daily_prices_sql(products, from, to));
        let mut stream = self.read_pool().await.copy_out_raw(&sql).await.map_err(db)?;
        let mut bytes = Vec::new();
        while let Some(chunk) = stream.next().await {
            bytes.extend_from_slice(&chunk.map_err(db)?);
        }
        decode_daily_prices(&bytes)
    }

    /// Recomputes the rollups of the days `from..=to` (UTC, unbounded where `None`) from the
    /// raw snapshots still present, in one transaction; days whose raw snapshots are gone
    /// (archived) keep their rollups. Returns the number of days written. The result equals
    /// what the snapshot write maintained (tested).
    pub async fn rebuild_rollups(&self, from: Option<NaiveDate>, to: Option<NaiveDate>) -> StoreResult<u64> {
        let mut tx = self.pool().begin().await.map_err(db)?;
        let n = rollups::rebuild(&mut tx, from, to).await?;
        tx.commit().await.map_err(db)?;
        Ok(n)
    }

    /// The oldest raw snapshot of `product` still stored (`None`: none).
    async fn first_raw_snapshot(&self, product: ProductId) -> StoreResult<Option<DateTime<Utc>>> {
        // The (product_id, scraped_at) key of every partition answers it (min per partition).
        sqlx::query_scalar!("SELECT min(scraped_at) FROM product_snapshots WHERE product_id = $1", product.0)
            .fetch_one(self.pool())
            .await
            .map_err(db)
    }

    /// The raw snapshots of `product` in `range`: only a product `user` may read
    /// ([`PgStore::check_tracks`]), or any when `user` is `None` (the operator's view).
    async fn raw_history(
        &self,
        user: Option<UserId>,
        product: ProductId,
        range: TimeRange,
    ) -> StoreResult<Vec<ProductSnapshot>> {
        match user {
            Some(u) => self.snapshot_history(u, product, range).await,
            None => self.product_history(product, range).await,
        }
    }

    /// The rollups of `product` for the days `from..=to` (unbounded where `None`) that are
    /// before its oldest raw snapshot still stored (all of them when it has none): the part
    /// of its long history that only the rollups hold. Reads as `user` when given
    /// ([`PgStore::check_tracks`]), else as the operator.
    pub async fn rollups_before_raw_for(
        &self,
        user: Option<UserId>,
        product: ProductId,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
    ) -> StoreResult<Vec<DailyRollup>> {
        if let Some(u) = user {
            self.check_tracks(u, product).await?;
        }
        self.rollups_before_raw(product, from, to).await
    }

    async fn rollups_before_raw(
        &self,
        product: ProductId,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
    ) -> StoreResult<Vec<DailyRollup>> {
        let first_raw = self.first_raw_snapshot(product).await?.map(|t| t.date_naive());
        let to = match (first_raw.and_then(|f| f.pred_opt()), to) {
            (Some(before), Some(t)) => Some(before.min(t)),
            (a, b) => a.or(b),
        };
        if first_raw.is_some_and(|f| from.is_some_and(|d| d >= f)) {
            return Ok(Vec::new());
        }
        self.daily_rollups(product, from, to).await
    }

    /// The long history of `product` in `range`, oldest first: the raw snapshots still stored
    /// and, before the oldest of them, one daily point per day from the rollups (each point
    /// says which: [`LongHistory::points`]); `daily_only` gives daily points for every day
    /// instead. Reads as `user` ([`PgStore::check_tracks`]: [`StoreError::NotFound`] unless
    /// tracked), or as the operator when `None`.
    pub async fn long_history(
        &self,
        user: Option<UserId>,
        product: ProductId,
        range: TimeRange,
        daily_only: bool,
    ) -> StoreResult<LongHistory> {
        let days = |r: TimeRange| {
            // `to` is exclusive: the day of an instant just before it is the last one.
            (
                r.from.map(|t| t.date_naive()),
                r.to.map(|t| (t - chrono::Duration::microseconds(1)).date_naive()),
            )
        };
        let (from_day, to_day) = days(range);
        if daily_only {
            if let Some(u) = user {
                self.check_tracks(u, product).await?;
            }
            let daily = self.daily_rollups(product, from_day, to_day).await?;
            return Ok(LongHistory { daily, raw: Vec::new() });
        }
        let raw = self.raw_history(user, product, range).await?;
        let daily = self.rollups_before_raw(product, from_day, to_day).await?;
        Ok(LongHistory { daily, raw })
    }

    /// The 30/90/180/365-day statistics of `product` at its newest snapshot, over its raw
    /// snapshots and, before them, its daily rollups (so windows longer than the raw
    /// retention still see their true lowest, highest, mean and out-of-stock share): see
    /// [`window_stats_with_daily`]. Reads as `user` or as the operator, as
    /// [`PgStore::long_history`].
    pub async fn long_window_stats(
        &self,
        user: Option<UserId>,
        product: ProductId,
    ) -> StoreResult<WindowStats> {
        let raw = self.raw_history(user, product, TimeRange::default()).await?;
        let first_raw = raw.first().map(|s| s.data.scraped_at.date_naive());
        let daily = match first_raw {
            Some(f) => self.daily_rollups(product, None, f.pred_opt()).await?,
            None => self.daily_rollups(product, None, None).await?,
        };
        // Measured at the newest snapshot, so an imported history of the past still has windows.
        let at = raw
            .last()
            .map(|s| s.data.scraped_at)
            .or_else(|| daily.last().map(|d| d.last_at))
            .unwrap_or_else(Utc::now);
        Ok(window_stats_with_daily(&raw, &daily, at))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// product, day number since 2000-01-01, min, max, sum (cents), count.
    type Day = (i32, Option<i64>, Option<i64>, i64, i32);

    fn int8(cents: i64) -> Vec<u8> {
        cents.to_be_bytes().to_vec()
    }

    fn array(elements: Vec<Option<Vec<u8>>>) -> Vec<u8> {
        let mut v = Vec::new();
        for w in [1i32, 0, 0, elements.len() as i32, 1] {
            v.extend_from_slice(&w.to_be_bytes());
        }
        for e in elements {
            match e {
                Some(e) => {
                    v.extend_from_slice(&(e.len() as i32).to_be_bytes());
                    v.extend_from_slice(&e);
                }
                None => v.extend_from_slice(&(-1i32).to_be_bytes()),
            }
        }
        v
    }

    /// A binary COPY stream of one row per product with its days as arrays.
    fn stream(products: &[(u128, Vec<Day>)]) -> Vec<u8> {
        let mut s = copy_binary::SIGNATURE.to_vec();
        s.extend_from_slice(&[0; 8]);
        for (id, days) in products {
            s.extend_from_slice(&6i16.to_be_bytes());
            let mut fields = vec![id.to_be_bytes().to_vec()];
            fields.push(array(days.iter().map(|d| Some(d.0.to_be_bytes().to_vec())).collect()));
            fields.push(array(days.iter().map(|d| d.1.map(int8)).collect()));
            fields.push(array(days.iter().map(|d| d.2.map(int8)).collect()));
            fields.push(array(days.iter().map(|d| Some(int8(d.3))).collect()));
            fields.push(array(days.iter().map(|d| Some(d.4.to_be_bytes().to_vec())).collect()));
            for f in fields {
                s.extend_from_slice(&(f.len() as i32).to_be_bytes());
                s.extend_from_slice(&f);
            }
        }
        s.extend_from_slice(&(-1i16).to_be_bytes());
        s
    }

    #[test]
    fn the_daily_prices_stream_decodes_exactly_and_in_day_order() {
        // Day 9,132 is 2025-01-01; the second product's days arrive out of order.
        let rows = stream(&[
            (7, vec![(9_132, Some(1001), Some(1004), 2005, 2), (9_133, None, None, 0, 0)]),
            (8, vec![(9_133, Some(500), Some(500), 500, 1), (9_132, Some(400), Some(400), 400, 1)]),
        ]);
        let got = decode_daily_prices(&rows).unwrap();
        let day = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap();
        assert_eq!(got.len(), 4);
        assert_eq!((got[0].product_id, got[0].day), (ProductId(Uuid::from_u128(7)), day));
        assert_eq!(
            (got[0].min, got[0].max, got[0].mean),
            (Some(Decimal::new(1001, 2)), Some(Decimal::new(1004, 2)), Some(Decimal::new(10025, 3)))
        );
        assert_eq!((got[1].day, got[1].min, got[1].mean), (day.succ_opt().unwrap(), None, None));
        assert_eq!(
            (got[2].product_id, got[2].day, got[2].mean),
            (ProductId(Uuid::from_u128(8)), day, Some(Decimal::new(400, 2)))
        );
        assert_eq!((got[3].day, got[3].mean), (day.succ_opt().unwrap(), Some(Decimal::new(500, 2))));
    }

    #[test]
    fn a_broken_daily_prices_stream_is_an_error_not_a_panic() {
        let whole = stream(&[(7, vec![(9_132, Some(1001), Some(1004), 2005, 2)])]);
        for cut in 0..whole.len() {
            assert!(decode_daily_prices(&whole[..cut]).is_err(), "cut at {cut}");
        }
        let mut wrong = whole.clone();
        wrong[0] = b'X';
        assert!(decode_daily_prices(&wrong).unwrap_err().to_string().contains("no COPY signature"));
    }
}
