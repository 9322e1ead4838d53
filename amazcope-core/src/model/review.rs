//! Customer reviews (`reviews`), keyed by Amazon's review id.

use crate::{ProductId, ReviewId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A stored review.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct Review {
    pub id: ReviewId,
    pub product_id: ProductId,
    /// Amazon's id (`R2...`), unique.
    pub review_id: String,
    pub reviewer_name: Option<String>,
    pub rating: f64,
    pub title: Option<String>,
    pub text: Option<String>,
    pub review_date: Option<DateTime<Utc>>,
    pub verified_purchase: bool,
    pub helpful_count: i32,
    pub variant: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A review to upsert by `review_id`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct NewReview {
    pub product_id: ProductId,
    pub review_id: String,
    pub reviewer_name: Option<String>,
    pub rating: f64,
    pub title: Option<String>,
    pub text: Option<String>,
    pub review_date: Option<DateTime<Utc>>,
    pub verified_purchase: bool,
    pub helpful_count: i32,
    pub variant: Option<String>,
}
