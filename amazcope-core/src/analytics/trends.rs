//! Trends of the 15 snapshot fields of the original (SCHEMA §2.11), raw or bucketed by day
//! or ISO week.

use crate::analytics::{AsSnapshot, real_price, round_money};
use crate::model::snapshot::NewSnapshot;
use chrono::{DateTime, Datelike, Duration, NaiveTime, Utc};
use rust_decimal::Decimal;
use rust_decimal::prelude::{FromPrimitive, ToPrimitive};
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

/// What kind of value a field holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldKind {
    /// An exact amount of money.
    Money,
    /// A whole number (rank, count).
    Integer,
    /// A real number (rating, percent).
    Float,
    /// Yes or no.
    Boolean,
}

macro_rules! trend_fields {
    ($($variant:ident => $name:literal, $display:literal, $group:literal, $kind:ident, $desc:literal;)*) => {
        /// A snapshot field that has a trend.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum TrendField { $(
            #[doc = $desc]
            $variant,
        )* }

        impl TrendField {
            /// Every field, in the original's order.
            pub const ALL: &'static [TrendField] = &[$(TrendField::$variant,)*];

            /// The name callers use (`bsr_main`).
            pub fn name(self) -> &'static str {
                match self { $(TrendField::$variant => $name,)* }
            }

            /// A label for people (`Main category BSR`).
            pub fn display_name(self) -> &'static str {
                match self { $(TrendField::$variant => $display,)* }
            }

            /// What the field means.
            pub fn description(self) -> &'static str {
                match self { $(TrendField::$variant => $desc,)* }
            }

            /// The original's grouping (`price`, `ranking`, `reviews`, `availability`,
            /// `deals`, `badges`, `seller`).
            pub fn group(self) -> &'static str {
                match self { $(TrendField::$variant => $group,)* }
            }

            /// The kind of value.
            pub fn kind(self) -> FieldKind {
                match self { $(TrendField::$variant => FieldKind::$kind,)* }
            }
        }
    };
}

trend_fields! {
    Price => "price", "Price", "price", Money, "The buy-box price.";
    OriginalPrice => "original_price", "List price", "price", Money, "The struck-through list price.";
    BuyboxPrice => "buybox_price", "Buy box price", "price", Money, "The buy-box winner's price.";
    DiscountPercentage => "discount_percentage", "Discount", "price", Float, "Percent below the list price.";
    BsrMain => "bsr_main", "Main category BSR", "ranking", Integer, "Best-seller rank in the main category.";
    BsrSmall => "bsr_small", "Sub-category BSR", "ranking", Integer, "Best-seller rank in the sub-category.";
    Rating => "rating", "Rating", "reviews", Float, "Average star rating.";
    ReviewCount => "review_count", "Review count", "reviews", Integer, "Number of ratings.";
    InStock => "in_stock", "In stock", "availability", Boolean, "Whether the product can be bought.";
    StockQuantity => "stock_quantity", "Stock quantity", "availability", Integer, "Units left, when shown.";
    IsDeal => "is_deal", "Deal", "deals", Boolean, "Whether a deal badge is shown.";
    IsPrime => "is_prime", "Prime", "deals", Boolean, "Whether the offer is Prime.";
    HasAmazonsChoice => "has_amazons_choice", "Amazon's Choice", "badges", Boolean, "Whether the Amazon's Choice badge is shown.";
    IsAmazonSeller => "is_amazon_seller", "Sold by Amazon", "seller", Boolean, "Whether Amazon is the seller.";
    IsFba => "is_fba", "Fulfilled by Amazon", "seller", Boolean, "Whether Amazon ships it.";
}

impl fmt::Display for TrendField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A field name that is not one of the 15, with the list of valid ones.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown trend field {given:?}, expected one of {}", valid.join(", "))]
pub struct UnknownTrendField {
    /// What was asked for.
    pub given: String,
    /// Every valid name.
    pub valid: Vec<&'static str>,
}

impl FromStr for TrendField {
    type Err = UnknownTrendField;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim().to_ascii_lowercase();
        TrendField::ALL.iter().copied().find(|f| f.name() == t).ok_or_else(|| UnknownTrendField {
            given: s.to_owned(),
            valid: TrendField::ALL.iter().map(|f| f.name()).collect(),
        })
    }
}

impl Serialize for TrendField {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for TrendField {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?.parse().map_err(serde::de::Error::custom)
    }
}

/// Parses `price,bsr_main` (comma-separated, repeated names kept once, in order).
pub fn parse_fields(s: &str) -> Result<Vec<TrendField>, UnknownTrendField> {
    let mut out = Vec::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let f: TrendField = part.parse()?;
        if !out.contains(&f) {
            out.push(f);
        }
    }
    Ok(out)
}

/// One value of a field.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum TrendValue {
    /// Money (serialised as a decimal string).
    Money(Decimal),
    /// A whole number.
    Integer(i64),
    /// A real number.
    Float(f64),
    /// Yes or no.
    Boolean(bool),
}

impl TrendValue {
    /// The value as a number (yes = 1, no = 0).
    pub fn as_f64(self) -> f64 {
        match self {
            TrendValue::Money(d) => d.to_f64().unwrap_or(0.0),
            TrendValue::Integer(i) => i as f64,
            TrendValue::Float(f) => f,
            TrendValue::Boolean(b) => f64::from(u8::from(b)),
        }
    }

    /// The order of two values of one field: exact for money, whole numbers and yes/no,
    /// total for reals.
    pub fn order(self, other: Self) -> Ordering {
        match (self, other) {
            (TrendValue::Money(a), TrendValue::Money(b)) => a.cmp(&b),
            (TrendValue::Integer(a), TrendValue::Integer(b)) => a.cmp(&b),
            (TrendValue::Boolean(a), TrendValue::Boolean(b)) => a.cmp(&b),
            (a, b) => a.as_f64().total_cmp(&b.as_f64()),
        }
    }
}

/// The field's value in a snapshot. Prices of zero are `None` (no offer, not a free
/// product); non-finite numbers are `None`.
pub fn extract(field: TrendField, s: &NewSnapshot) -> Option<TrendValue> {
    use TrendValue::{Boolean, Float, Integer, Money};
    let float = |v: Option<f64>| v.filter(|f| f.is_finite()).map(Float);
    match field {
        TrendField::Price => real_price(s.price).map(Money),
        TrendField::OriginalPrice => real_price(s.original_price).map(Money),
        TrendField::BuyboxPrice => real_price(s.buybox_price).map(Money),
        TrendField::DiscountPercentage => float(s.discount_percentage),
        TrendField::BsrMain => s.bsr_main_category.map(|v| Integer(v.into())),
        TrendField::BsrSmall => s.bsr_small_category.map(|v| Integer(v.into())),
        TrendField::Rating => float(s.rating),
        TrendField::ReviewCount => s.review_count.map(|v| Integer(v.into())),
        TrendField::InStock => Some(Boolean(s.in_stock)),
        TrendField::StockQuantity => s.stock_quantity.map(|v| Integer(v.into())),
        TrendField::IsDeal => Some(Boolean(s.is_deal)),
        TrendField::IsPrime => Some(Boolean(s.is_prime)),
        TrendField::HasAmazonsChoice => Some(Boolean(s.has_amazons_choice)),
        TrendField::IsAmazonSeller => Some(Boolean(s.is_amazon_seller)),
        TrendField::IsFba => Some(Boolean(s.is_fba)),
    }
}

/// How to group a series.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Granularity {
    /// Every snapshot.
    Raw,
    /// One bucket per UTC calendar day.
    Day,
    /// One bucket per ISO week (Monday 00:00 UTC to Sunday).
    Week,
}

/// A granularity name that is not `raw`, `day` or `week`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown granularity {given:?}, expected one of raw, day, week")]
pub struct UnknownGranularity {
    /// What was asked for.
    pub given: String,
}

impl FromStr for Granularity {
    type Err = UnknownGranularity;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "raw" => Ok(Granularity::Raw),
            "day" | "daily" => Ok(Granularity::Day),
            "week" | "weekly" => Ok(Granularity::Week),
            _ => Err(UnknownGranularity { given: s.to_owned() }),
        }
    }
}

/// One raw point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrendPoint {
    /// The snapshot's time.
    pub at: DateTime<Utc>,
    /// The value (`None` where the snapshot did not have it).
    pub value: Option<TrendValue>,
}

/// One day or week of a series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrendBucket {
    /// The bucket's first instant (00:00 UTC; Monday for weeks).
    pub start: DateTime<Utc>,
    /// `2026-03-02` for a day, `2026-W10` for an ISO week.
    pub label: String,
    /// Snapshots with a value in the bucket.
    pub count: usize,
    /// The newest value.
    pub last: TrendValue,
    /// The smallest value.
    pub min: TrendValue,
    /// The largest value.
    pub max: TrendValue,
    /// The mean: money rounded to cents, other kinds as a real number (for yes/no fields the
    /// share of yes).
    pub mean: TrendValue,
}

/// A series: raw points or buckets, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "granularity", content = "points", rename_all = "snake_case")]
pub enum TrendSeries {
    /// Every snapshot.
    Raw(Vec<TrendPoint>),
    /// One entry per day with data.
    Day(Vec<TrendBucket>),
    /// One entry per ISO week with data.
    Week(Vec<TrendBucket>),
}

impl TrendSeries {
    /// The buckets (empty for a raw series).
    pub fn buckets(&self) -> &[TrendBucket] {
        match self {
            TrendSeries::Raw(_) => &[],
            TrendSeries::Day(b) | TrendSeries::Week(b) => b,
        }
    }
}

/// The series of `field` over the snapshots at or after `since` (all when `None`). Raw mode
/// keeps snapshots without a value as `None` points; buckets only count values.
pub fn trend<S: AsSnapshot>(
    history: &[S],
    field: TrendField,
    since: Option<DateTime<Utc>>,
    granularity: Granularity,
) -> TrendSeries {
    let mut snaps: Vec<&NewSnapshot> = history
        .iter()
        .map(AsSnapshot::snapshot)
        .filter(|s| since.is_none_or(|t| s.scraped_at >= t))
        .collect();
    snaps.sort_by_key(|s| s.scraped_at);
    if granularity == Granularity::Raw {
        return TrendSeries::Raw(
            snaps.iter().map(|s| TrendPoint { at: s.scraped_at, value: extract(field, s) }).collect(),
        );
    }
    let mut buckets: Vec<(DateTime<Utc>, Vec<TrendValue>)> = Vec::new();
    for s in snaps {
        let Some(v) = extract(field, s) else { continue };
        let day = s.scraped_at.date_naive();
        let first_day = match granularity {
            Granularity::Week => day - Duration::days(i64::from(day.weekday().num_days_from_monday())),
            _ => day,
        };
        let start = first_day.and_time(NaiveTime::MIN).and_utc();
        match buckets.last_mut() {
            Some((b, vals)) if *b == start => vals.push(v),
            _ => buckets.push((start, vec![v])),
        }
    }
    let out = buckets.into_iter().map(|(start, vals)| bucket(field, granularity, start, &vals)).collect();
    match granularity {
        Granularity::Week => TrendSeries::Week(out),
        _ => TrendSeries::Day(out),
    }
}

fn bucket(
    field: TrendField,
    granularity: Granularity,
    start: DateTime<Utc>,
    vals: &[TrendValue],
) -> TrendBucket {
    // `vals` is never empty: a bucket is created with its first value.
    let first = vals[0];
    let last = *vals.last().unwrap_or(&first);
    let min = vals.iter().copied().min_by(|a, b| a.order(*b)).unwrap_or(first);
    let max = vals.iter().copied().max_by(|a, b| a.order(*b)).unwrap_or(first);
    let money_sum: Decimal =
        vals.iter().map(|v| if let TrendValue::Money(d) = v { *d } else { Decimal::ZERO }).sum();
    let float_sum: f64 = vals.iter().map(|v| v.as_f64()).sum();
    finish_bucket(
        field,
        granularity,
        start,
        BucketParts { count: vals.len(), last, min, max, money_sum, float_sum },
    )
}

/// What a bucket is made of: its values' count, last, least and greatest, and their sum (money
/// exactly, other fields as `f64`).
#[derive(Debug, Clone, Copy)]
pub struct BucketParts {
    /// How many values.
    pub count: usize,
    /// The newest value.
    pub last: TrendValue,
    /// The least value.
    pub min: TrendValue,
    /// The greatest value.
    pub max: TrendValue,
    /// The sum of money values (zero for other fields).
    pub money_sum: Decimal,
    /// The sum of the values as `f64` (for fields other than money).
    pub float_sum: f64,
}

/// A bucket from its parts: the mean (money rounded to the cent, others to four decimals)
/// and the label (`2026-07-01`, or `2026-W27` for a week). The one definition for raw
/// snapshots ([`trend`]) and for the daily rollups the store reads before them.
pub fn finish_bucket(
    field: TrendField,
    granularity: Granularity,
    start: DateTime<Utc>,
    parts: BucketParts,
) -> TrendBucket {
    let n = parts.count.max(1);
    let mean = match field.kind() {
        FieldKind::Money => TrendValue::Money(round_money(parts.money_sum / Decimal::from(n))),
        _ => {
            let mean = parts.float_sum / n as f64;
            // Four decimals are plenty for a chart and keep 4.3333333 out of JSON.
            TrendValue::Float(
                Decimal::from_f64(mean).map_or(mean, |d| d.round_dp(4).to_f64().unwrap_or(mean)),
            )
        }
    };
    let label = match granularity {
        Granularity::Week => {
            let w = start.date_naive().iso_week();
            format!("{}-W{:02}", w.year(), w.week())
        }
        _ => start.date_naive().to_string(),
    };
    let BucketParts { count, last, min, max, .. } = parts;
    TrendBucket { start, label, count, last, min, max, mean }
}
