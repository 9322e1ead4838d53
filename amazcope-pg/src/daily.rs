//! The daily rollups (`product_daily`): read them, and rebuild them from the raw snapshots.
//! They are written by the snapshot write itself (`write::rollups::merge`).

use crate::PgStore;
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

/// The read of [`PgStore::daily_prices_of`]: every column it names is in the primary key's
/// index (`pk_product_daily ... INCLUDE`, migration 0020), so the server answers it with an
/// index-only scan in key order, no heap page and no sort (`tests/pg/rollups.rs` checks the
/// plan). Public for that check.
// language=PostgreSQL
pub const DAILY_PRICES_SQL: &str = "SELECT product_id, day, price_min, price_max, price_sum, price_count
                                    FROM product_daily
                                    WHERE product_id = ANY($1) AND day >= $2 AND day <= $3
                                    ORDER BY product_id, day";

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
        let ids: Vec<Uuid> = products.iter().map(|p| p.0).collect();
        let sql = DAILY_PRICES_SQL;
        #[derive(sqlx::FromRow)]
        struct Row {
            product_id: Uuid,
            day: NaiveDate,
            price_min: Option<Decimal>,
            price_max: Option<Decimal>,
            price_sum: Decimal,
            price_count: i32,
        }
        let rows: Vec<Row> = sqlx::query_as(sql)
            .bind(ids)
            .bind(from)
            .bind(to)
            .fetch_all(self.read_pool().await)
            .await
            .map_err(db)?;
        Ok(rows
            .into_iter()
            .map(|r| DailyPrice {
                product_id: ProductId(r.product_id),
                day: r.day,
                min: r.price_min,
                max: r.price_max,
                mean: (r.price_count > 0).then(|| r.price_sum / Decimal::from(r.price_count)),
            })
            .collect())
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
