//! Categories (a hierarchy per marketplace), best-seller list snapshots and category metrics.

use crate::model::enums::CategoryLevel;
use crate::{Asin, BestsellerSnapshotId, CategoryId, CategoryMetricId, Marketplace, ProductId};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// A `categories` row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct Category {
    pub id: CategoryId,
    /// Amazon's slug or browse-node id; unique per marketplace.
    pub category_id: Option<String>,
    pub marketplace: Marketplace,
    pub name: String,
    pub url: Option<String>,
    pub parent_id: Option<CategoryId>,
    /// Depth in the tree, 0 = root.
    pub level: i32,
    pub product_count: i32,
    pub last_scraped_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Category {
    /// The category `key` names among `tree` (one marketplace's categories): its Amazon slug
    /// or browse-node id first, then its name, case-insensitively. A name several categories
    /// share is ambiguous; the error lists their slugs.
    pub fn find<'a>(tree: &'a [Category], key: &str) -> Result<&'a Category, crate::ValidationError> {
        if let Some(c) = tree.iter().find(|c| c.category_id.as_deref() == Some(key)) {
            return Ok(c);
        }
        let named: Vec<&Category> = tree.iter().filter(|c| c.name.eq_ignore_ascii_case(key)).collect();
        match named.as_slice() {
            [one] => Ok(one),
            [] => Err(crate::ValidationError::new("category", key, "no category has this slug or name")),
            many => {
                let slugs: Vec<&str> = many.iter().map(|c| c.category_id.as_deref().unwrap_or("-")).collect();
                Err(crate::ValidationError::new(
                    "category",
                    key,
                    format!(
                        "{} categories have this name; give the slug instead: {}",
                        many.len(),
                        slugs.join(", ")
                    ),
                ))
            }
        }
    }
}

/// A category to create or find. Identity is (marketplace, category_id) when the slug is
/// known, else (marketplace, parent, name).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewCategory {
    /// Marketplace.
    pub marketplace: Marketplace,
    /// Amazon's slug or node id.
    pub category_id: Option<String>,
    /// Name as shown.
    pub name: String,
    /// Best-seller list URL.
    pub url: Option<String>,
    /// Parent category.
    pub parent_id: Option<CategoryId>,
}

/// One row of a best-seller list at one time (`bestseller_snapshots`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct BestsellerSnapshot {
    pub id: BestsellerSnapshotId,
    pub category_id: CategoryId,
    pub scraped_at: DateTime<Utc>,
    pub rank: i32,
    pub asin: Asin,
    /// The product row, where one exists.
    pub product_id: Option<ProductId>,
    pub title: Option<String>,
    pub price: Option<Decimal>,
    pub currency: Option<String>,
    pub rating: Option<f64>,
    pub review_count: Option<i32>,
    pub image_url: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A best-seller entry to store; (category, scraped_at, rank) identifies it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct NewBestsellerEntry {
    pub category_id: CategoryId,
    pub scraped_at: DateTime<Utc>,
    pub rank: i32,
    pub asin: Asin,
    pub product_id: Option<ProductId>,
    pub title: Option<String>,
    pub price: Option<Decimal>,
    pub currency: Option<String>,
    pub rating: Option<f64>,
    pub review_count: Option<i32>,
    pub image_url: Option<String>,
}

/// A `category_metrics` row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct CategoryMetric {
    pub id: CategoryMetricId,
    pub category_id: CategoryId,
    pub category_level: CategoryLevel,
    pub recorded_at: DateTime<Utc>,
    pub avg_price: Option<Decimal>,
    pub median_price: Option<Decimal>,
    pub min_price: Option<Decimal>,
    pub max_price: Option<Decimal>,
    pub avg_bsr: Option<i32>,
    pub median_bsr: Option<i32>,
    pub avg_rating: Option<f64>,
    pub avg_review_count: Option<i32>,
    pub product_count: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Metrics to store for a category at a time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct NewCategoryMetric {
    pub category_id: CategoryId,
    pub category_level: CategoryLevel,
    pub recorded_at: DateTime<Utc>,
    pub avg_price: Option<Decimal>,
    pub median_price: Option<Decimal>,
    pub min_price: Option<Decimal>,
    pub max_price: Option<Decimal>,
    pub avg_bsr: Option<i32>,
    pub median_bsr: Option<i32>,
    pub avg_rating: Option<f64>,
    pub avg_review_count: Option<i32>,
    pub product_count: i32,
}
