//! The daily rollups (`product_daily`): read them, and rebuild them from the raw snapshots.
//! They are written by the snapshot write itself (`write::rollups::merge`).

use crate::PgStore;
use crate::error::db;
use crate::write::rollups;
use amazcope_core::model::snapshot::DailyRollup;
use amazcope_core::{ProductId, StoreError, StoreResult};
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use uuid::Uuid;

#[derive(sqlx::FromRow)]
struct DailyRow {
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
            snapshots: r.snapshots,
            first_at: r.first_at,
            last_at: r.last_at,
        })
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
                          rating_close, review_count_close, in_stock_count, snapshots, first_at, last_at
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
}
