//! The product summary: latest values and their change over 7 and 30 days.

use crate::analytics::AsSnapshot;
use crate::model::snapshot::NewSnapshot;
use crate::{Currency, ProductId};
use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Latest price, main BSR, rating and review count with their changes (SCHEMA §2.11).
/// Changes are percent for price, BSR and rating (BSR: negative = better) and absolute for
/// reviews; `None` where either side is missing or the baseline is zero.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct ProductSummary {
    pub product_id: ProductId,
    pub currency: Currency,
    pub current_price: Option<Decimal>,
    pub price_change_7d: Option<f64>,
    pub price_change_30d: Option<f64>,
    pub current_bsr: Option<i32>,
    pub bsr_change_7d: Option<f64>,
    pub bsr_change_30d: Option<f64>,
    pub current_rating: Option<f64>,
    pub rating_change_7d: Option<f64>,
    pub rating_change_30d: Option<f64>,
    pub review_count: Option<i32>,
    pub review_growth_7d: Option<i32>,
    pub review_growth_30d: Option<i32>,
    /// The latest snapshot's time.
    pub last_updated: DateTime<Utc>,
}

/// The latest snapshot with `scraped_at <= at` (the baseline of a change "since `at`").
pub fn baseline<S: AsSnapshot>(history: &[S], at: DateTime<Utc>) -> Option<&NewSnapshot> {
    history.iter().map(AsSnapshot::snapshot).filter(|s| s.scraped_at <= at).max_by_key(|s| s.scraped_at)
}

/// The summary from the latest snapshot and the baselines at or before now − 7 d and
/// now − 30 d.
pub fn summarize(
    latest: &NewSnapshot,
    baseline_7d: Option<&NewSnapshot>,
    baseline_30d: Option<&NewSnapshot>,
) -> ProductSummary {
    let price = |b: Option<&NewSnapshot>| {
        let b = b?;
        if b.currency != latest.currency {
            return None;
        }
        crate::money::percent_change(b.price?, latest.price?)
    };
    let bsr = |b: Option<&NewSnapshot>| {
        crate::money::percent_change(
            Decimal::from(b?.bsr_main_category?),
            Decimal::from(latest.bsr_main_category?),
        )
    };
    let rating = |b: Option<&NewSnapshot>| {
        let (old, new) = (b?.rating?, latest.rating?);
        (old != 0.0).then(|| (new - old) / old * 100.0)
    };
    let reviews = |b: Option<&NewSnapshot>| latest.review_count?.checked_sub(b?.review_count?);
    ProductSummary {
        product_id: latest.product_id,
        currency: latest.currency,
        current_price: latest.price,
        price_change_7d: price(baseline_7d),
        price_change_30d: price(baseline_30d),
        current_bsr: latest.bsr_main_category,
        bsr_change_7d: bsr(baseline_7d),
        bsr_change_30d: bsr(baseline_30d),
        current_rating: latest.rating,
        rating_change_7d: rating(baseline_7d),
        rating_change_30d: rating(baseline_30d),
        review_count: latest.review_count,
        review_growth_7d: reviews(baseline_7d),
        review_growth_30d: reviews(baseline_30d),
        last_updated: latest.scraped_at,
    }
}

/// [`summarize`] over a history: the latest snapshot at or before `now` and the baselines
/// from the same history. `None` when there is no snapshot.
pub fn summary_from_history<S: AsSnapshot>(history: &[S], now: DateTime<Utc>) -> Option<ProductSummary> {
    let latest = baseline(history, now)?;
    Some(summarize(
        latest,
        baseline(history, now - Duration::days(7)),
        baseline(history, now - Duration::days(30)),
    ))
}
