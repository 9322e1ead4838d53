//! [`ReviewRepository`]: customer reviews, upserted by Amazon's review id through the same
//! write as reviews pages ([`crate::write::reviews::upsert`]).

use crate::error;
use crate::rows::{ReviewRow, convert_all};
use crate::{PgStore, write};
use amazcope_core::model::review::{NewReview, Review};
use amazcope_core::{BatchReport, ProductId, ReviewRepository, StoreResult, UserId};
use async_trait::async_trait;

#[async_trait]
impl ReviewRepository for PgStore {
    async fn upsert_reviews(&self, reviews: &[NewReview]) -> StoreResult<BatchReport> {
        let mut tx = self.pool.begin().await.map_err(error::db)?;
        let done = write::reviews::upsert(&mut tx, reviews).await?;
        tx.commit().await.map_err(error::db)?;
        Ok(BatchReport { inserted: done.inserted, duplicates: reviews.len() as u64 - done.inserted })
    }

    async fn reviews(&self, user: UserId, product: ProductId, limit: u32) -> StoreResult<Vec<Review>> {
        self.check_tracks(user, product).await?;
        // language=PostgreSQL
        let sql = "SELECT * FROM reviews WHERE product_id = $1
                   ORDER BY review_date DESC NULLS LAST, created_at DESC, id
                   LIMIT $2";
        let rows = sqlx::query_as::<_, ReviewRow>(sql)
            .bind(product.0)
            .bind(i64::from(limit.max(1)))
            .fetch_all(&self.pool)
            .await
            .map_err(error::db)?;
        convert_all(rows)
    }
}
