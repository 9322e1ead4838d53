//! Trends over the days before a product's oldest raw snapshot still stored: each field's
//! values as the day's rollup (`product_daily`) holds them ([`daily_values`]), gathered into
//! day and week buckets beside the raw snapshots' buckets ([`trend_with_daily`]).

use super::Ts;
use amazcope_core::analytics::{
    BucketParts, Granularity, TrendBucket, TrendField, TrendSeries, TrendValue, extract, finish_bucket,
    real_price, round_money, trend,
};
use amazcope_core::model::snapshot::{DailyRollup, NewSnapshot};
use chrono::{Datelike, Duration, NaiveDate, NaiveTime};
use rust_decimal::Decimal;
use std::cmp::Ordering;

/// The values of one field over some snapshots: how many, their sum (exact for money), the
/// smallest, largest and newest.
#[derive(Debug, Clone, Copy)]
struct Values {
    count: usize,
    money: Decimal,
    float: f64,
    min: TrendValue,
    max: TrendValue,
    last: TrendValue,
}

impl Values {
    /// One value.
    fn one(v: TrendValue) -> Self {
        let (money, float) = match v {
            TrendValue::Money(d) => (d, 0.0),
            v => (Decimal::ZERO, v.as_f64()),
        };
        Values { count: 1, money, float, min: v, max: v, last: v }
    }

    /// Adds later values.
    fn add(&mut self, later: Values) {
        self.count += later.count;
        self.money += later.money;
        self.float += later.float;
        if later.min.order(self.min) == Ordering::Less {
            self.min = later.min;
        }
        if later.max.order(self.max) != Ordering::Less {
            self.max = later.max;
        }
        self.last = later.last;
    }
}

/// What the rollup of one day holds of `field`, as the values of a day or week bucket.
///
/// - Price: the day's real prices exactly (count, lowest, highest, and the mean from
///   `product_daily`'s `price_sum / price_count`, the arithmetic mean of the day's snapshot
///   prices, not time-weighted); the newest is the closing price, or the day's mean rounded
///   to cents when its last snapshot had no price.
/// - In stock: exactly (every snapshot counts; the mean is the in-stock share).
/// - Main BSR: the day's lowest and highest rank and its closing rank, which stands for the
///   day's one value in the count and the mean (the rollup keeps no sum of ranks).
/// - List price, rating, review count: the closing value, as one value.
/// - The other fields are not rolled up: no value.
fn daily_values(field: TrendField, d: &DailyRollup) -> Option<Values> {
    let float = |v: Option<f64>| v.filter(|f| f.is_finite()).map(TrendValue::Float);
    match field {
        TrendField::Price => {
            let (Some(lo), Some(hi)) = (real_price(d.price_min), real_price(d.price_max)) else {
                return None;
            };
            let count = usize::try_from(d.price_count).ok().filter(|c| *c > 0)?;
            let mean = round_money(d.price_sum / Decimal::from(count));
            Some(Values {
                count,
                money: d.price_sum,
                float: 0.0,
                min: TrendValue::Money(lo),
                max: TrendValue::Money(hi),
                last: TrendValue::Money(real_price(d.price_close).unwrap_or(mean)),
            })
        }
        TrendField::InStock => {
            let count = usize::try_from(d.snapshots).ok().filter(|c| *c > 0)?;
            Some(Values {
                count,
                money: Decimal::ZERO,
                float: f64::from(d.in_stock_count),
                min: TrendValue::Boolean(d.in_stock_count >= d.snapshots),
                max: TrendValue::Boolean(d.in_stock_count > 0),
                last: TrendValue::Boolean(d.in_stock_close),
            })
        }
        TrendField::BsrMain => {
            let close = d.bsr_close?;
            let mut v = Values::one(TrendValue::Integer(close.into()));
            v.min = TrendValue::Integer(d.bsr_min.unwrap_or(close).min(close).into());
            v.max = TrendValue::Integer(d.bsr_max.unwrap_or(close).max(close).into());
            Some(v)
        }
        TrendField::OriginalPrice => {
            real_price(d.list_price_close).map(|p| Values::one(TrendValue::Money(p)))
        }
        TrendField::Rating => float(d.rating_close).map(Values::one),
        TrendField::ReviewCount => d.review_count_close.map(|v| Values::one(TrendValue::Integer(v.into()))),
        _ => None,
    }
}

/// The first instant of the day or ISO week of `day`.
fn bucket_start(day: NaiveDate, granularity: Granularity) -> Ts {
    let first = match granularity {
        Granularity::Week => day - Duration::days(i64::from(day.weekday().num_days_from_monday())),
        _ => day,
    };
    first.and_time(NaiveTime::MIN).and_utc()
}

/// A bucket of `field` from its values, as the core's `trend` makes it (money means rounded
/// to cents half away from zero, other means to four decimals).
fn to_bucket(field: TrendField, granularity: Granularity, start: Ts, v: &Values) -> TrendBucket {
    let parts = BucketParts {
        count: v.count,
        last: v.last,
        min: v.min,
        max: v.max,
        money_sum: v.money,
        float_sum: v.float,
    };
    finish_bucket(field, granularity, start, parts)
}

/// The series of `field` by day or week over the rollup days `daily` (all before the first
/// raw snapshot, oldest first) and the raw snapshots `history` (oldest first). Without
/// rollup days it is the core's `trend` of the raw snapshots, unchanged. A week that begins
/// in the rollups and ends in the raw snapshots is one bucket of both.
pub(super) fn trend_with_daily(
    history: &[NewSnapshot],
    daily: &[DailyRollup],
    field: TrendField,
    granularity: Granularity,
) -> TrendSeries {
    let raw = trend(history, field, None, granularity);
    if daily.is_empty() || granularity == Granularity::Raw {
        return raw;
    }
    let mut older: Vec<(Ts, Values)> = Vec::new();
    for d in daily {
        let Some(v) = daily_values(field, d) else { continue };
        let start = bucket_start(d.day, granularity);
        match older.last_mut() {
            Some((s, acc)) if *s == start => acc.add(v),
            _ => older.push((start, v)),
        }
    }
    let mut raw_buckets = raw.buckets().to_vec();
    if let (Some((start, acc)), Some(first)) = (older.last_mut(), raw_buckets.first())
        && first.start == *start
    {
        for s in history.iter().filter(|s| bucket_start(s.scraped_at.date_naive(), granularity) == *start) {
            if let Some(v) = extract(field, s) {
                acc.add(Values::one(v));
            }
        }
        raw_buckets.remove(0);
    }
    let buckets: Vec<TrendBucket> =
        older.iter().map(|(start, v)| to_bucket(field, granularity, *start, v)).chain(raw_buckets).collect();
    match granularity {
        Granularity::Week => TrendSeries::Week(buckets),
        _ => TrendSeries::Day(buckets),
    }
}
