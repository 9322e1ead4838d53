//! Price and stock statistics over the last 30, 90, 180 and 365 days.

use crate::Currency;
use crate::analytics::{AsSnapshot, real_price, round_money};
use crate::model::snapshot::DailyRollup;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The windows [`window_stats`] reports, in days.
pub const STANDARD_WINDOWS: [u32; 4] = [30, 90, 180, 365];

/// Statistics of one window `[at − days, at]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PriceWindow {
    /// Length in days.
    pub days: u32,
    /// Snapshots in the window.
    pub snapshot_count: usize,
    /// Of those, the ones with a price (non-zero, in the reported currency).
    pub priced_count: usize,
    /// Lowest price: the "lowest in N days".
    pub min_price: Option<Decimal>,
    /// When the lowest price was first seen.
    pub min_price_at: Option<DateTime<Utc>>,
    /// Highest price.
    pub max_price: Option<Decimal>,
    /// Mean of the prices, exact then rounded to cents.
    pub avg_price: Option<Decimal>,
    /// Calendar days (UTC) with at least one snapshot.
    pub days_observed: usize,
    /// Of those, the days whose last snapshot was out of stock.
    pub days_out_of_stock: usize,
    /// `days_out_of_stock / days_observed`, `None` without observed days.
    pub out_of_stock_share: Option<f64>,
}

/// Window statistics of a product at one time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WindowStats {
    /// The end of every window.
    pub at: DateTime<Utc>,
    /// The currency of the prices: the newest snapshot's (prices in others are left out).
    pub currency: Option<Currency>,
    /// One entry per [`STANDARD_WINDOWS`] length, shortest first.
    pub windows: Vec<PriceWindow>,
}

impl WindowStats {
    /// The window of that length, if reported.
    pub fn window(&self, days: u32) -> Option<&PriceWindow> {
        self.windows.iter().find(|w| w.days == days)
    }
}

fn newest_currency<S: AsSnapshot>(history: &[S], now: DateTime<Utc>) -> Option<Currency> {
    history
        .iter()
        .map(AsSnapshot::snapshot)
        .filter(|s| s.scraped_at <= now)
        .max_by_key(|s| s.scraped_at)
        .map(|s| s.currency)
}

/// Statistics for 30, 90, 180 and 365 days ending at `now`. Snapshots after `now` are
/// ignored; the history may be in any order.
pub fn window_stats<S: AsSnapshot>(history: &[S], now: DateTime<Utc>) -> WindowStats {
    let currency = newest_currency(history, now);
    WindowStats {
        at: now,
        currency,
        windows: STANDARD_WINDOWS.iter().map(|&d| window_in(history, now, d, currency)).collect(),
    }
}

/// [`window_stats`] over a long history: the raw snapshots still stored and, for the days
/// before the first of them (their raw partitions archived), the daily rollups. A rollup of a
/// day that has raw snapshots is ignored, so nothing is counted twice. A day's rollup counts
/// in a window when the day overlaps it (its UTC date is on or after the window's first
/// date); its lowest price is dated by the day's first snapshot, its stock state by its last
/// (as a raw day's). Lowest, highest, mean and out-of-stock share are then those of the raw
/// snapshots the rollups summarise.
pub fn window_stats_with_daily<S: AsSnapshot>(
    history: &[S],
    daily: &[DailyRollup],
    now: DateTime<Utc>,
) -> WindowStats {
    let first_raw_day = history.iter().map(|s| s.snapshot().scraped_at.date_naive()).min();
    let older: Vec<&DailyRollup> =
        daily.iter().filter(|d| first_raw_day.is_none_or(|f| d.day < f) && d.first_at <= now).collect();
    let currency =
        newest_currency(history, now).or_else(|| older.iter().max_by_key(|d| d.last_at).map(|d| d.currency));
    WindowStats {
        at: now,
        currency,
        windows: STANDARD_WINDOWS.iter().map(|&d| window_over(history, &older, now, d, currency)).collect(),
    }
}

/// Statistics of the window `[now − days, now]`.
pub fn price_window<S: AsSnapshot>(history: &[S], now: DateTime<Utc>, days: u32) -> PriceWindow {
    window_in(history, now, days, newest_currency(history, now))
}

/// The lowest price in the last `days` days and when it was first seen.
pub fn lowest_price<S: AsSnapshot>(
    history: &[S],
    now: DateTime<Utc>,
    days: u32,
) -> Option<(Decimal, DateTime<Utc>)> {
    let w = price_window(history, now, days);
    w.min_price.zip(w.min_price_at)
}

fn window_in<S: AsSnapshot>(
    history: &[S],
    now: DateTime<Utc>,
    days: u32,
    currency: Option<Currency>,
) -> PriceWindow {
    window_over(history, &[], now, days, currency)
}

fn window_over<S: AsSnapshot>(
    history: &[S],
    daily: &[&DailyRollup],
    now: DateTime<Utc>,
    days: u32,
    currency: Option<Currency>,
) -> PriceWindow {
    let from = now - Duration::days(i64::from(days));
    let mut in_window: Vec<_> = history
        .iter()
        .map(AsSnapshot::snapshot)
        .filter(|s| s.scraped_at >= from && s.scraped_at <= now)
        .collect();
    in_window.sort_by_key(|s| s.scraped_at);

    let mut min: Option<(Decimal, DateTime<Utc>)> = None;
    let mut max: Option<Decimal> = None;
    let mut sum = Decimal::ZERO;
    let mut priced = 0usize;
    // Last snapshot of each UTC calendar day decides that day's stock state.
    let mut day_state: BTreeMap<NaiveDate, bool> = BTreeMap::new();
    let mut snapshots = in_window.len();
    for d in daily.iter().filter(|d| d.day >= from.date_naive() && d.day <= now.date_naive()) {
        day_state.insert(d.day, d.in_stock_close);
        snapshots += usize::try_from(d.snapshots).unwrap_or(0);
        if Some(d.currency) != currency || d.price_count <= 0 {
            continue;
        }
        let (Some(lo), Some(hi)) = (real_price(d.price_min), real_price(d.price_max)) else { continue };
        priced += usize::try_from(d.price_count).unwrap_or(0);
        sum += d.price_sum;
        // Days come oldest first, so on a tie the earlier day keeps the "first seen".
        if min.is_none_or(|(m, _)| lo < m) {
            min = Some((lo, d.first_at));
        }
        if max.is_none_or(|m| hi > m) {
            max = Some(hi);
        }
    }
    for s in &in_window {
        day_state.insert(s.scraped_at.date_naive(), s.in_stock);
        let Some(p) = real_price(s.price).filter(|_| Some(s.currency) == currency) else { continue };
        priced += 1;
        sum += p;
        if min.is_none_or(|(m, _)| p < m) {
            min = Some((p, s.scraped_at));
        }
        if max.is_none_or(|m| p > m) {
            max = Some(p);
        }
    }
    let days_observed = day_state.len();
    let days_out_of_stock = day_state.values().filter(|in_stock| !**in_stock).count();
    PriceWindow {
        days,
        snapshot_count: snapshots,
        priced_count: priced,
        min_price: min.map(|m| m.0),
        min_price_at: min.map(|m| m.1),
        max_price: max,
        avg_price: (priced > 0).then(|| round_money(sum / Decimal::from(priced))),
        days_observed,
        days_out_of_stock,
        out_of_stock_share: (days_observed > 0).then(|| days_out_of_stock as f64 / days_observed as f64),
    }
}
