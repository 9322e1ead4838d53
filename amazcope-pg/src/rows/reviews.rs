//! Row types of reviews and their conversions into core types.

use super::*;
use amazcope_core::model::review::Review;
use uuid::Uuid;

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct ReviewRow {
    pub(crate) id: Uuid,
    pub(crate) product_id: Uuid,
    pub(crate) review_id: String,
    pub(crate) reviewer_name: Option<String>,
    pub(crate) rating: f64,
    pub(crate) title: Option<String>,
    pub(crate) text: Option<String>,
    pub(crate) review_date: Option<Ts>,
    pub(crate) verified_purchase: bool,
    pub(crate) helpful_count: i32,
    pub(crate) variant: Option<String>,
    pub(crate) created_at: Ts,
    pub(crate) updated_at: Ts,
}

impl TryFrom<ReviewRow> for Review {
    type Error = StoreError;
    fn try_from(r: ReviewRow) -> Result<Self, StoreError> {
        Ok(Review {
            id: r.id.into(),
            product_id: r.product_id.into(),
            review_id: r.review_id,
            reviewer_name: r.reviewer_name,
            rating: r.rating,
            title: r.title,
            text: r.text,
            review_date: r.review_date,
            verified_purchase: r.verified_purchase,
            helpful_count: r.helpful_count,
            variant: r.variant,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}
