//! A product's long history as one series: its raw snapshots where they are still stored and,
//! before them, one point per day from the daily rollups (the raw partitions of those days
//! archived by retention). What `amazcope history`, Python's `history()` and the charts read.

use crate::Currency;
use crate::model::snapshot::{DailyRollup, NewSnapshot, ProductSnapshot};
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Where a history point comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Resolution {
    /// One raw snapshot.
    Raw,
    /// One UTC day of snapshots, from `product_daily`.
    Daily,
}

impl Resolution {
    /// `raw` or `daily`, as printed and stored in the Arrow column.
    pub fn as_str(self) -> &'static str {
        match self {
            Resolution::Raw => "raw",
            Resolution::Daily => "daily",
        }
    }
}

impl fmt::Display for Resolution {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One point of a long history. A raw point is one snapshot (its minimum, maximum and mean
/// are its price); a daily point is one UTC day, dated at midnight, carrying the day's last
/// values (`price`, `list_price`, `bsr`, `rating`, `review_count`, `in_stock`) and its range.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryPoint {
    /// The snapshot's time, or the day's midnight (UTC).
    pub at: DateTime<Utc>,
    /// Raw snapshot or daily rollup.
    pub resolution: Resolution,
    /// The currency of the prices.
    pub currency: Currency,
    /// The price (a day's: its last).
    pub price: Option<Decimal>,
    /// The lowest price of the point.
    pub price_min: Option<Decimal>,
    /// The highest price of the point.
    pub price_max: Option<Decimal>,
    /// The mean price of the point, exact.
    pub price_mean: Option<Decimal>,
    /// The list ("was") price.
    pub list_price: Option<Decimal>,
    /// The main-category best-seller rank.
    pub bsr: Option<i32>,
    /// The lowest (best) rank of the point.
    pub bsr_min: Option<i32>,
    /// The highest (worst) rank of the point.
    pub bsr_max: Option<i32>,
    /// The main category the rank is in.
    pub bsr_category: Option<String>,
    /// The star rating.
    pub rating: Option<f64>,
    /// The number of ratings.
    pub review_count: Option<i32>,
    /// In stock (a day's: at its last snapshot).
    pub in_stock: bool,
    /// The share of the point's snapshots that were in stock, 0 to 1.
    pub in_stock_share: f64,
    /// The snapshots the point stands for.
    pub snapshots: i32,
}

impl HistoryPoint {
    /// The point of one raw snapshot.
    pub fn raw(s: &NewSnapshot) -> Self {
        HistoryPoint {
            at: s.scraped_at,
            resolution: Resolution::Raw,
            currency: s.currency,
            price: s.price,
            price_min: s.price,
            price_max: s.price,
            price_mean: s.price,
            list_price: s.original_price,
            bsr: s.bsr_main_category,
            bsr_min: s.bsr_main_category,
            bsr_max: s.bsr_main_category,
            bsr_category: s.main_category_name.clone(),
            rating: s.rating,
            review_count: s.review_count,
            in_stock: s.in_stock,
            in_stock_share: if s.in_stock { 1.0 } else { 0.0 },
            snapshots: 1,
        }
    }

    /// The point of one day's rollup, dated at the day's midnight (UTC).
    pub fn daily(d: &DailyRollup) -> Self {
        HistoryPoint {
            at: d.day.and_time(chrono::NaiveTime::MIN).and_utc(),
            resolution: Resolution::Daily,
            currency: d.currency,
            price: d.price_close,
            price_min: d.price_min,
            price_max: d.price_max,
            price_mean: d.price_mean().map(|m| m.round_dp(4)),
            list_price: d.list_price_close,
            bsr: d.bsr_close,
            bsr_min: d.bsr_min,
            bsr_max: d.bsr_max,
            bsr_category: d.bsr_category.clone(),
            rating: d.rating_close,
            review_count: d.review_count_close,
            in_stock: d.in_stock_close,
            in_stock_share: d.in_stock_share(),
            snapshots: d.snapshots,
        }
    }
}

/// Joins a product's rollups and raw snapshots into one series, oldest first: a daily point
/// for each rollup day before `first_raw_day` (the day of the product's oldest raw snapshot
/// still stored; `None`: no raw snapshot at all), then a raw point per snapshot. The day of
/// the first raw snapshot and later are raw only, so no snapshot is counted twice.
pub fn long_history<'a>(
    daily: &[DailyRollup],
    raw: impl IntoIterator<Item = &'a NewSnapshot>,
    first_raw_day: Option<NaiveDate>,
) -> Vec<HistoryPoint> {
    let mut points: Vec<HistoryPoint> =
        daily.iter().filter(|d| first_raw_day.is_none_or(|f| d.day < f)).map(HistoryPoint::daily).collect();
    points.sort_by_key(|p| p.at);
    let mut raw: Vec<HistoryPoint> = raw.into_iter().map(HistoryPoint::raw).collect();
    raw.sort_by_key(|p| p.at);
    points.extend(raw);
    points
}

/// A product's long history as read: the rollups of the days before its oldest raw snapshot
/// still stored, and its raw snapshots (each oldest first).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LongHistory {
    /// One rollup per day before the raw snapshots (every day when only daily points were asked).
    pub daily: Vec<DailyRollup>,
    /// The raw snapshots.
    pub raw: Vec<ProductSnapshot>,
}

impl LongHistory {
    /// The history as one series of points, oldest first ([`long_history`]).
    pub fn points(&self) -> Vec<HistoryPoint> {
        let first_raw_day = self.raw.iter().map(|s| s.data.scraped_at.date_naive()).min();
        long_history(&self.daily, self.raw.iter().map(|s| &s.data), first_raw_day)
    }
}
