//! Category metrics from a best-seller list (`category_metrics`).

use crate::CategoryId;
use crate::analytics::{real_price, round_money};
use crate::model::category::{BestsellerSnapshot, NewCategoryMetric};
use crate::model::enums::CategoryLevel;
use crate::model::snapshot::NewSnapshot;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// What one product of a best-seller list contributes to the category's metrics.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CategoryItem {
    /// Its price.
    pub price: Option<Decimal>,
    /// Its main best-seller rank (from its latest snapshot, when known).
    pub bsr: Option<i32>,
    /// Its rating.
    pub rating: Option<f64>,
    /// Its review count.
    pub review_count: Option<i32>,
}

impl From<&BestsellerSnapshot> for CategoryItem {
    fn from(e: &BestsellerSnapshot) -> Self {
        Self { price: e.price, bsr: None, rating: e.rating, review_count: e.review_count }
    }
}

impl CategoryItem {
    /// A list entry completed by the product's latest snapshot: the main rank comes from the
    /// snapshot, other values from the list where it shows them.
    pub fn with_snapshot(entry: &BestsellerSnapshot, latest: Option<&NewSnapshot>) -> Self {
        let mut item = Self::from(entry);
        if let Some(s) = latest {
            item.bsr = s.bsr_main_category;
            item.price = real_price(item.price).or(real_price(s.price));
            item.rating = item.rating.or(s.rating);
            item.review_count = item.review_count.or(s.review_count);
        }
        item
    }
}

/// The median of decimals (mean of the middle two for an even count), `None` when empty.
pub fn median_decimal(values: &[Decimal]) -> Option<Decimal> {
    let mut v = values.to_vec();
    v.sort();
    let n = v.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(v[n / 2]),
        _ => Some((v[n / 2 - 1] + v[n / 2]) / Decimal::TWO),
    }
}

fn round_i32(d: Decimal) -> Option<i32> {
    use rust_decimal::prelude::ToPrimitive;
    d.round_dp_with_strategy(0, rust_decimal::RoundingStrategy::MidpointAwayFromZero).to_i32()
}

/// The metrics row for a category's list at `recorded_at`: mean, median, min and max price
/// (cents), mean and median main BSR, mean rating (2 dp), mean review count. Zero and missing
/// values are left out of each figure; `product_count` is the length of the list.
pub fn category_metric(
    category_id: CategoryId,
    level: CategoryLevel,
    recorded_at: DateTime<Utc>,
    items: &[CategoryItem],
) -> NewCategoryMetric {
    let prices: Vec<Decimal> = items.iter().filter_map(|i| real_price(i.price)).collect();
    let bsrs: Vec<Decimal> =
        items.iter().filter_map(|i| i.bsr).filter(|b| *b > 0).map(Decimal::from).collect();
    let ratings: Vec<f64> =
        items.iter().filter_map(|i| i.rating).filter(|r| r.is_finite() && *r > 0.0).collect();
    let reviews: Vec<Decimal> =
        items.iter().filter_map(|i| i.review_count).filter(|r| *r > 0).map(Decimal::from).collect();
    let mean = |v: &[Decimal]| (!v.is_empty()).then(|| v.iter().sum::<Decimal>() / Decimal::from(v.len()));
    NewCategoryMetric {
        category_id,
        category_level: level,
        recorded_at,
        avg_price: mean(&prices).map(round_money),
        median_price: median_decimal(&prices).map(round_money),
        min_price: prices.iter().min().copied(),
        max_price: prices.iter().max().copied(),
        avg_bsr: mean(&bsrs).and_then(round_i32),
        median_bsr: median_decimal(&bsrs).and_then(round_i32),
        avg_rating: (!ratings.is_empty())
            .then(|| (ratings.iter().sum::<f64>() / ratings.len() as f64 * 100.0).round() / 100.0),
        avg_review_count: mean(&reviews).and_then(round_i32),
        product_count: i32::try_from(items.len()).unwrap_or(i32::MAX),
    }
}

/// Highest minus lowest price of a metrics row.
pub fn price_spread(m: &NewCategoryMetric) -> Option<Decimal> {
    Some(m.max_price? - m.min_price?)
}
