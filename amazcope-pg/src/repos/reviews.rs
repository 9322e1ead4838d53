//! [`ReviewRepository`]: customer reviews, upserted by Amazon's review id.

use super::error::{self, ErrCtx};
use super::rows::{ReviewRow, convert_all};
use crate::PgStore;
use amazcope_core::model::review::{NewReview, Review};
use amazcope_core::{BatchReport, ProductId, ReviewRepository, StoreResult, UserId};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use uuid::Uuid;

#[async_trait]
impl ReviewRepository for PgStore {
    async fn upsert_reviews(&self, reviews: &[NewReview]) -> StoreResult<BatchReport> {
        if reviews.is_empty() {
            return Ok(BatchReport::default());
        }
        // ON CONFLICT DO UPDATE may not touch one row twice in a statement, so a review id
        // repeated within the batch keeps its last occurrence and counts as a duplicate.
        let mut last: HashMap<&str, usize> = HashMap::with_capacity(reviews.len());
        for (i, r) in reviews.iter().enumerate() {
            last.insert(r.review_id.as_str(), i);
        }
        let mut keep: Vec<usize> = last.into_values().collect();
        keep.sort_unstable();
        let batch: Vec<&NewReview> = keep.iter().map(|i| &reviews[*i]).collect();

        let product: Vec<Uuid> = batch.iter().map(|r| r.product_id.0).collect();
        let review_id: Vec<&str> = batch.iter().map(|r| r.review_id.as_str()).collect();
        let name: Vec<Option<&str>> = batch.iter().map(|r| r.reviewer_name.as_deref()).collect();
        let rating: Vec<f64> = batch.iter().map(|r| r.rating).collect();
        let title: Vec<Option<&str>> = batch.iter().map(|r| r.title.as_deref()).collect();
        let text: Vec<Option<&str>> = batch.iter().map(|r| r.text.as_deref()).collect();
        let date: Vec<Option<DateTime<Utc>>> = batch.iter().map(|r| r.review_date).collect();
        let verified: Vec<bool> = batch.iter().map(|r| r.verified_purchase).collect();
        let helpful: Vec<i32> = batch.iter().map(|r| r.helpful_count).collect();
        let variant: Vec<Option<&str>> = batch.iter().map(|r| r.variant.as_deref()).collect();

        // `xmax = 0` is true only for a row this statement inserted (an updated row carries
        // our transaction id in xmax), which splits the count into new and updated.
        // A review keeps its product: Amazon's ids are global, a re-scrape under another
        // listing of the same item must not move it.
        // language=PostgreSQL
        let sql = "INSERT INTO reviews (product_id, review_id, reviewer_name, rating, title, text,
                       review_date, verified_purchase, helpful_count, variant)
                   SELECT * FROM UNNEST($1::uuid[], $2::text[], $3::text[], $4::float8[],
                       $5::text[], $6::text[], $7::timestamptz[], $8::bool[], $9::int4[], $10::text[])
                   ON CONFLICT ON CONSTRAINT uq_reviews_review_id DO UPDATE SET
                       reviewer_name = COALESCE(EXCLUDED.reviewer_name, reviews.reviewer_name),
                       rating = EXCLUDED.rating,
                       title = COALESCE(EXCLUDED.title, reviews.title),
                       text = COALESCE(EXCLUDED.text, reviews.text),
                       review_date = COALESCE(EXCLUDED.review_date, reviews.review_date),
                       verified_purchase = EXCLUDED.verified_purchase,
                       helpful_count = EXCLUDED.helpful_count,
                       variant = COALESCE(EXCLUDED.variant, reviews.variant)
                   RETURNING (xmax = 0) AS inserted";
        let flags: Vec<bool> = sqlx::query_scalar(sql)
            .bind(&product)
            .bind(&review_id)
            .bind(&name)
            .bind(&rating)
            .bind(&title)
            .bind(&text)
            .bind(&date)
            .bind(&verified)
            .bind(&helpful)
            .bind(&variant)
            .fetch_all(&self.pool)
            .await
            .map_err(|e| {
                let bad_rating = batch.iter().map(|r| r.rating).find(|r| !(0.0..=5.0).contains(r));
                let bad_helpful = batch.iter().map(|r| r.helpful_count).find(|n| *n < 0);
                error::map(
                    e,
                    &ErrCtx::new().opt_value("rating", bad_rating).opt_value("helpful_count", bad_helpful),
                )
            })?;
        let inserted = flags.iter().filter(|f| **f).count() as u64;
        Ok(BatchReport { inserted, duplicates: reviews.len() as u64 - inserted })
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
