//! Row types of categories and their conversions into core types.

use super::*;
use amazcope_core::model::category::{BestsellerSnapshot, Category, CategoryMetric};
use rust_decimal::Decimal;
use uuid::Uuid;

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct CategoryRow {
    pub(crate) id: Uuid,
    pub(crate) category_id: Option<String>,
    pub(crate) marketplace: String,
    pub(crate) name: String,
    pub(crate) url: Option<String>,
    pub(crate) parent_id: Option<Uuid>,
    pub(crate) level: i32,
    pub(crate) product_count: i32,
    pub(crate) last_scraped_at: Option<Ts>,
    pub(crate) created_at: Ts,
    pub(crate) updated_at: Ts,
}

impl TryFrom<CategoryRow> for Category {
    type Error = StoreError;
    fn try_from(r: CategoryRow) -> Result<Self, StoreError> {
        Ok(Category {
            id: r.id.into(),
            category_id: r.category_id,
            marketplace: parse(&r.marketplace)?,
            name: r.name,
            url: r.url,
            parent_id: r.parent_id.map(Into::into),
            level: r.level,
            product_count: r.product_count,
            last_scraped_at: r.last_scraped_at,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct BestsellerRow {
    pub(crate) id: Uuid,
    pub(crate) category_id: Uuid,
    pub(crate) scraped_at: Ts,
    pub(crate) rank: i32,
    pub(crate) asin: String,
    pub(crate) product_id: Option<Uuid>,
    pub(crate) title: Option<String>,
    pub(crate) price: Option<Decimal>,
    pub(crate) currency: Option<String>,
    pub(crate) rating: Option<f64>,
    pub(crate) review_count: Option<i32>,
    pub(crate) image_url: Option<String>,
    pub(crate) created_at: Ts,
    pub(crate) updated_at: Ts,
}

impl TryFrom<BestsellerRow> for BestsellerSnapshot {
    type Error = StoreError;
    fn try_from(r: BestsellerRow) -> Result<Self, StoreError> {
        Ok(BestsellerSnapshot {
            id: r.id.into(),
            category_id: r.category_id.into(),
            scraped_at: r.scraped_at,
            rank: r.rank,
            asin: parse(&r.asin)?,
            product_id: r.product_id.map(Into::into),
            title: r.title,
            price: r.price,
            currency: r.currency,
            rating: r.rating,
            review_count: r.review_count,
            image_url: r.image_url,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct CategoryMetricRow {
    pub(crate) id: Uuid,
    pub(crate) category_id: Uuid,
    pub(crate) category_level: String,
    pub(crate) recorded_at: Ts,
    pub(crate) avg_price: Option<Decimal>,
    pub(crate) median_price: Option<Decimal>,
    pub(crate) min_price: Option<Decimal>,
    pub(crate) max_price: Option<Decimal>,
    pub(crate) avg_bsr: Option<i32>,
    pub(crate) median_bsr: Option<i32>,
    pub(crate) avg_rating: Option<f64>,
    pub(crate) avg_review_count: Option<i32>,
    pub(crate) product_count: i32,
    pub(crate) created_at: Ts,
    pub(crate) updated_at: Ts,
}

impl TryFrom<CategoryMetricRow> for CategoryMetric {
    type Error = StoreError;
    fn try_from(r: CategoryMetricRow) -> Result<Self, StoreError> {
        Ok(CategoryMetric {
            id: r.id.into(),
            category_id: r.category_id.into(),
            category_level: parse(&r.category_level)?,
            recorded_at: r.recorded_at,
            avg_price: r.avg_price,
            median_price: r.median_price,
            min_price: r.min_price,
            max_price: r.max_price,
            avg_bsr: r.avg_bsr,
            median_bsr: r.median_bsr,
            avg_rating: r.avg_rating,
            avg_review_count: r.avg_review_count,
            product_count: r.product_count,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}
