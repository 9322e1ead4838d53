//! Writes of `reviews`: upserted by Amazon's review id, set-wise.

use crate::columns::{clip, clip_opt, reviews as width};
use crate::error::{self, ErrCtx};
use amazcope_core::StoreResult;
use amazcope_core::model::review::NewReview;
use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use std::collections::HashMap;
use uuid::Uuid;

/// What [`upsert`] did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Upserted {
    pub(crate) inserted: u64,
    pub(crate) updated: u64,
}

/// Stores reviews by Amazon's review id, one statement for all.
///
/// - A review id repeated in `reviews` keeps its LAST occurrence (the latest reading; ON
///   CONFLICT DO UPDATE may not touch one row twice in a statement).
/// - A review read again keeps what is known: a value the new reading lacks (NULL) keeps the
///   stored one; a value it has replaces it.
/// - An unchanged review is not written (no new row version, no `updated_at` bump), so
///   storing the same page twice changes nothing.
/// - A review keeps its product: Amazon's ids are global, a re-read under another listing
///   of the same item does not move it.
pub(crate) async fn upsert(conn: &mut PgConnection, reviews: &[NewReview]) -> StoreResult<Upserted> {
    let mut last: HashMap<&str, usize> = HashMap::with_capacity(reviews.len());
    for (i, r) in reviews.iter().enumerate() {
        last.insert(r.review_id.as_str(), i);
    }
    let mut keep: Vec<usize> = last.into_values().collect();
    keep.sort_unstable();
    let batch: Vec<&NewReview> = keep.iter().map(|&i| &reviews[i]).collect();
    if batch.is_empty() {
        return Ok(Upserted::default());
    }
    let product: Vec<Uuid> = batch.iter().map(|r| r.product_id.0).collect();
    let review_id: Vec<String> = batch.iter().map(|r| clip(&r.review_id, width::REVIEW_ID)).collect();
    let name: Vec<Option<String>> =
        batch.iter().map(|r| clip_opt(r.reviewer_name.as_deref(), width::REVIEWER_NAME)).collect();
    let rating: Vec<f64> = batch.iter().map(|r| r.rating).collect();
    let title: Vec<Option<String>> =
        batch.iter().map(|r| clip_opt(r.title.as_deref(), width::TITLE)).collect();
    let text: Vec<Option<&str>> = batch.iter().map(|r| r.text.as_deref()).collect();
    let date: Vec<Option<DateTime<Utc>>> = batch.iter().map(|r| r.review_date).collect();
    let verified: Vec<bool> = batch.iter().map(|r| r.verified_purchase).collect();
    let helpful: Vec<i32> = batch.iter().map(|r| r.helpful_count).collect();
    let variant: Vec<Option<String>> =
        batch.iter().map(|r| clip_opt(r.variant.as_deref(), width::VARIANT)).collect();
    // `xmax = 0` is true only for a row this statement inserted (an updated row carries our
    // transaction id in xmax), which splits the count into new and updated.
    // language=PostgreSQL
    let sql = "INSERT INTO reviews AS r (product_id, review_id, reviewer_name, rating, title, text,
                   review_date, verified_purchase, helpful_count, variant)
               SELECT * FROM UNNEST($1::uuid[], $2::text[], $3::text[], $4::float8[], $5::text[],
                   $6::text[], $7::timestamptz[], $8::bool[], $9::int4[], $10::text[])
               ON CONFLICT ON CONSTRAINT uq_reviews_review_id DO UPDATE SET
                   reviewer_name = COALESCE(EXCLUDED.reviewer_name, r.reviewer_name),
                   rating = EXCLUDED.rating,
                   title = COALESCE(EXCLUDED.title, r.title),
                   text = COALESCE(EXCLUDED.text, r.text),
                   review_date = COALESCE(EXCLUDED.review_date, r.review_date),
                   verified_purchase = EXCLUDED.verified_purchase,
                   helpful_count = EXCLUDED.helpful_count,
                   variant = COALESCE(EXCLUDED.variant, r.variant)
               WHERE (r.reviewer_name, r.rating, r.title, r.text, r.review_date, r.verified_purchase,
                      r.helpful_count, r.variant)
                   IS DISTINCT FROM (COALESCE(EXCLUDED.reviewer_name, r.reviewer_name), EXCLUDED.rating,
                      COALESCE(EXCLUDED.title, r.title), COALESCE(EXCLUDED.text, r.text),
                      COALESCE(EXCLUDED.review_date, r.review_date), EXCLUDED.verified_purchase,
                      EXCLUDED.helpful_count, COALESCE(EXCLUDED.variant, r.variant))
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
        .fetch_all(&mut *conn)
        .await
        .map_err(|e| {
            let bad_rating = batch.iter().map(|r| r.rating).find(|r| !(0.0..=5.0).contains(r));
            error::map(e, &ErrCtx::new().opt_value("rating", bad_rating))
        })?;
    let inserted = flags.iter().filter(|f| **f).count() as u64;
    Ok(Upserted { inserted, updated: flags.len() as u64 - inserted })
}
