//! A user tracking a product (`user_products`), with the user's own thresholds.

use crate::model::product::Product;
use crate::model::product::ProductLatest;
use crate::{Percent, ProductId, UserId, UserProductId, ValidationError};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Defaults of the original system: price 10 %, BSR 30 %.
pub const DEFAULT_PRICE_THRESHOLD: f64 = 10.0;
/// See [`DEFAULT_PRICE_THRESHOLD`].
pub const DEFAULT_BSR_THRESHOLD: f64 = 30.0;

/// The thresholds that apply to one user's tracking of one product.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Thresholds {
    /// Price change, percent.
    pub price: f64,
    /// BSR change, percent.
    pub bsr: f64,
}

impl Thresholds {
    /// The fallback, written once: the tracking row's own threshold, else the user's default
    /// (`user_settings.default_*_threshold`, `None` when the user has no settings row), else
    /// [`DEFAULT_PRICE_THRESHOLD`] / [`DEFAULT_BSR_THRESHOLD`]. The SQL of the alert engine's
    /// tracker read mirrors this (`amazcope-pg`, pinned by a test there), and so do the
    /// schema's column defaults.
    pub fn resolve(
        row_price: Option<f64>,
        row_bsr: Option<f64>,
        user_defaults: Option<Thresholds>,
    ) -> Thresholds {
        let user = user_defaults
            .unwrap_or(Thresholds { price: DEFAULT_PRICE_THRESHOLD, bsr: DEFAULT_BSR_THRESHOLD });
        Thresholds { price: row_price.unwrap_or(user.price), bsr: row_bsr.unwrap_or(user.bsr) }
    }
}

/// A `user_products` row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct UserProduct {
    pub id: UserProductId,
    pub user_id: UserId,
    pub product_id: ProductId,
    pub claimed_at: DateTime<Utc>,
    /// Per-user tracking switch (untrack sets it false; tracking again sets it true).
    pub is_active: bool,
    pub is_primary: bool,
    /// Percent; `None` falls back to the user's settings, then to 10.
    pub price_change_threshold: Option<f64>,
    /// Percent; `None` falls back to the user's settings, then to 30.
    pub bsr_change_threshold: Option<f64>,
    /// Alert when the price is at or below this (in the product's currency).
    pub target_price: Option<Decimal>,
    pub notes: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// How a user wants to track a product.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TrackOptions {
    /// Price threshold in percent (0..100).
    pub price_change_threshold: Option<Percent>,
    /// BSR threshold in percent (0..100).
    pub bsr_change_threshold: Option<Percent>,
    /// Target price.
    pub target_price: Option<Decimal>,
    /// Free notes.
    pub notes: Option<String>,
    /// The user's own listing (not a competitor's).
    pub is_primary: bool,
}

impl TrackOptions {
    /// Builds options from raw numbers, validating each.
    pub fn from_raw(
        price: Option<f64>,
        bsr: Option<f64>,
        target: Option<Decimal>,
    ) -> Result<Self, ValidationError> {
        if let Some(t) = target
            && t.is_sign_negative()
        {
            return Err(ValidationError::new("target_price", t, "must not be negative"));
        }
        Ok(Self {
            price_change_threshold: price.map(|v| Percent::new("price_change_threshold", v)).transpose()?,
            bsr_change_threshold: bsr.map(|v| Percent::new("bsr_change_threshold", v)).transpose()?,
            target_price: target,
            notes: None,
            is_primary: false,
        })
    }
}

/// A change to a tracking row; `None` leaves a field alone, `Some(None)` clears it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct TrackingPatch {
    pub price_change_threshold: Option<Option<Percent>>,
    pub bsr_change_threshold: Option<Option<Percent>>,
    pub target_price: Option<Option<Decimal>>,
    pub notes: Option<Option<String>>,
    pub is_active: Option<bool>,
}

/// A product a user tracks, with its latest values: one item of a page of the user's list
/// ([`ProductLatest`]; the whole product is [`TrackedProduct`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrackedLatest {
    /// The user's tracking row.
    pub tracking: UserProduct,
    /// The product's identity and latest values.
    pub product: ProductLatest,
}

/// A product a user tracks, with its latest values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrackedProduct {
    /// The user's tracking row.
    pub tracking: UserProduct,
    /// The product with its denormalised latest values.
    pub product: Product,
}

/// The thresholds that apply to one user for one product, after falling back from the
/// tracking row to the user's settings to the defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tracker {
    /// Who tracks.
    pub user_id: UserId,
    /// The tracking row.
    pub user_product_id: UserProductId,
    /// Effective price threshold (percent).
    pub price_change_threshold: f64,
    /// Effective BSR threshold (percent).
    pub bsr_change_threshold: f64,
    /// Target price, if set.
    pub target_price: Option<Decimal>,
}

#[cfg(test)]
mod threshold_tests {
    use super::*;

    #[test]
    fn the_row_wins_then_the_user_then_the_defaults() {
        let user = Some(Thresholds { price: 4.0, bsr: 12.0 });
        assert_eq!(Thresholds::resolve(Some(2.0), Some(8.0), user), Thresholds { price: 2.0, bsr: 8.0 });
        assert_eq!(Thresholds::resolve(None, Some(8.0), user), Thresholds { price: 4.0, bsr: 8.0 });
        assert_eq!(Thresholds::resolve(None, None, None), Thresholds { price: 10.0, bsr: 30.0 });
    }
}
