//! Row types of tracking and their conversions into core types.

use super::*;
use amazcope_core::model::tracking::{TrackedProduct, Tracker, UserProduct};
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

/// `products.*` joined with the user's `user_products` row, whose columns are prefixed
/// `up_` so they do not collide with the product's.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct TrackedRow {
    #[sqlx(flatten)]
    pub(crate) product: ProductRow,
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

impl TryFrom<TrackedRow> for TrackedProduct {
    type Error = StoreError;
    fn try_from(r: TrackedRow) -> Result<Self, StoreError> {
        let tracking = UserProduct {
            id: r.up_id.into(),
            user_id: r.up_user_id.into(),
            product_id: r.product.id.into(),
            claimed_at: r.up_claimed_at,
            is_active: r.up_is_active,
            is_primary: r.up_is_primary,
            price_change_threshold: r.up_price_change_threshold,
            bsr_change_threshold: r.up_bsr_change_threshold,
            target_price: r.up_target_price,
            notes: r.up_notes,
            created_at: r.up_created_at,
            updated_at: r.up_updated_at,
        };
        Ok(TrackedProduct { tracking, product: r.product.try_into()? })
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
