//! Row types of tracking and their conversions into core types.

use super::*;
use amazcope_core::model::product::ProductLatest;
use amazcope_core::model::tracking::{TrackedLatest, TrackedProduct, Tracker, UserProduct};
use rust_decimal::Decimal;
use uuid::Uuid;

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct UserProductRow {
    pub(crate) id: Uuid,
    pub(crate) user_id: Uuid,
    pub(crate) product_id: Uuid,
    pub(crate) claimed_at: Ts,
    pub(crate) is_active: bool,
    pub(crate) is_primary: bool,
    pub(crate) price_change_threshold: Option<f64>,
    pub(crate) bsr_change_threshold: Option<f64>,
    pub(crate) target_price: Option<Decimal>,
    pub(crate) notes: Option<String>,
    pub(crate) created_at: Ts,
    pub(crate) updated_at: Ts,
}

impl TryFrom<UserProductRow> for UserProduct {
    type Error = StoreError;
    fn try_from(r: UserProductRow) -> Result<Self, StoreError> {
        Ok(UserProduct {
            id: r.id.into(),
            user_id: r.user_id.into(),
            product_id: r.product_id.into(),
            claimed_at: r.claimed_at,
            is_active: r.is_active,
            is_primary: r.is_primary,
            price_change_threshold: r.price_change_threshold,
            bsr_change_threshold: r.bsr_change_threshold,
            target_price: r.target_price,
            notes: r.notes,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

/// The user's `user_products` row beside a product's columns, prefixed `up_` so they do not
/// collide with the product's.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct UpRow {
    pub(crate) up_id: Uuid,
    pub(crate) up_user_id: Uuid,
    pub(crate) up_claimed_at: Ts,
    pub(crate) up_is_active: bool,
    pub(crate) up_is_primary: bool,
    pub(crate) up_price_change_threshold: Option<f64>,
    pub(crate) up_bsr_change_threshold: Option<f64>,
    pub(crate) up_target_price: Option<Decimal>,
    pub(crate) up_notes: Option<String>,
    pub(crate) up_created_at: Ts,
    pub(crate) up_updated_at: Ts,
}

impl UpRow {
    fn user_product(self, product_id: Uuid) -> UserProduct {
        UserProduct {
            id: self.up_id.into(),
            user_id: self.up_user_id.into(),
            product_id: product_id.into(),
            claimed_at: self.up_claimed_at,
            is_active: self.up_is_active,
            is_primary: self.up_is_primary,
            price_change_threshold: self.up_price_change_threshold,
            bsr_change_threshold: self.up_bsr_change_threshold,
            target_price: self.up_target_price,
            notes: self.up_notes,
            created_at: self.up_created_at,
            updated_at: self.up_updated_at,
        }
    }
}

/// `products.*` joined with the user's `user_products` row ([`UpRow`]).
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct TrackedRow {
    #[sqlx(flatten)]
    pub(crate) product: ProductRow,
    #[sqlx(flatten)]
    pub(crate) tracking: UpRow,
}

impl TryFrom<TrackedRow> for TrackedProduct {
    type Error = StoreError;
    fn try_from(r: TrackedRow) -> Result<Self, StoreError> {
        let tracking = r.tracking.user_product(r.product.id);
        Ok(TrackedProduct { tracking, product: r.product.try_into()? })
    }
}

/// The columns of [`ProductLatest`] joined with the user's `user_products` row ([`UpRow`]).
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct TrackedLatestRow {
    pub(crate) id: Uuid,
    pub(crate) asin: String,
    pub(crate) marketplace: String,
    pub(crate) title: String,
    pub(crate) brand: Option<String>,
    pub(crate) url: String,
    pub(crate) image_url: Option<String>,
    pub(crate) currency: String,
    pub(crate) current_price: Option<Decimal>,
    pub(crate) original_price: Option<Decimal>,
    pub(crate) discount_percentage: Option<f64>,
    pub(crate) current_bsr: Option<i32>,
    pub(crate) bsr_category_name: Option<String>,
    pub(crate) rating: Option<f64>,
    pub(crate) review_count: Option<i32>,
    pub(crate) in_stock: bool,
    pub(crate) is_prime: bool,
    pub(crate) is_active: bool,
    pub(crate) is_unlisted: bool,
    pub(crate) last_snapshot_at: Option<Ts>,
    pub(crate) last_fetch_status: Option<String>,
    pub(crate) last_fetch_at: Option<Ts>,
    #[sqlx(flatten)]
    pub(crate) tracking: UpRow,
}

impl TryFrom<TrackedLatestRow> for TrackedLatest {
    type Error = StoreError;
    fn try_from(r: TrackedLatestRow) -> Result<Self, StoreError> {
        let product = ProductLatest {
            id: r.id.into(),
            asin: parse(&r.asin)?,
            marketplace: parse(&r.marketplace)?,
            title: r.title,
            brand: r.brand,
            url: r.url,
            image_url: r.image_url,
            currency: r.currency,
            current_price: r.current_price,
            original_price: r.original_price,
            discount_percentage: r.discount_percentage,
            current_bsr: r.current_bsr,
            bsr_category_name: r.bsr_category_name,
            rating: r.rating,
            review_count: r.review_count,
            in_stock: r.in_stock,
            is_prime: r.is_prime,
            is_active: r.is_active,
            is_unlisted: r.is_unlisted,
            last_snapshot_at: r.last_snapshot_at,
            last_fetch_status: parse_opt(r.last_fetch_status.as_deref())?,
            last_fetch_at: r.last_fetch_at,
        };
        Ok(TrackedLatest { tracking: r.tracking.user_product(r.id), product })
    }
}

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct TrackerRow {
    pub(crate) user_id: Uuid,
    pub(crate) user_product_id: Uuid,
    pub(crate) price_change_threshold: f64,
    pub(crate) bsr_change_threshold: f64,
    pub(crate) target_price: Option<Decimal>,
}

impl TryFrom<TrackerRow> for Tracker {
    type Error = StoreError;
    fn try_from(r: TrackerRow) -> Result<Self, StoreError> {
        Ok(Tracker {
            user_id: r.user_id.into(),
            user_product_id: r.user_product_id.into(),
            price_change_threshold: r.price_change_threshold,
            bsr_change_threshold: r.bsr_change_threshold,
            target_price: r.target_price,
        })
    }
}

/// A [`TrackerRow`] with the product it tracks, for reads over several products.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct ProductTrackerRow {
    pub(crate) product_id: Uuid,
    #[sqlx(flatten)]
    pub(crate) tracker: TrackerRow,
}
