//! [`AnalyticsRepository`]: the analytics a storage backend answers in one round trip each
//! (product summary, trends, comparison, category of a product), and the category metrics
//! it computes and stores from best-seller lists.

use crate::analytics::{
    FieldKind, Granularity, ProductSummary, TrendField, TrendPoint, TrendSeries, TrendValue,
};
use crate::model::category::{Category, CategoryMetric};
use crate::repo::{StoreResult, TimeRange};
use crate::{Asin, CategoryId, Marketplace, ProductId, UserId};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Most products one comparison takes (the original's API limit).
pub const MAX_COMPARE: usize = 10;

/// The metric products are compared on (the original's `metric_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CompareMetric {
    /// The price.
    Price,
    /// The main best-seller rank (lower is better).
    Bsr,
    /// The star rating.
    Rating,
    /// The review count.
    Reviews,
}

impl CompareMetric {
    /// Every metric, in the order shown to users.
    pub const ALL: [CompareMetric; 4] =
        [CompareMetric::Price, CompareMetric::Bsr, CompareMetric::Rating, CompareMetric::Reviews];

    /// The name used on the command line and in JSON.
    pub fn name(self) -> &'static str {
        match self {
            CompareMetric::Price => "price",
            CompareMetric::Bsr => "bsr",
            CompareMetric::Rating => "rating",
            CompareMetric::Reviews => "reviews",
        }
    }

    /// The snapshot field the metric reads.
    pub fn field(self) -> TrendField {
        match self {
            CompareMetric::Price => TrendField::Price,
            CompareMetric::Bsr => TrendField::BsrMain,
            CompareMetric::Rating => TrendField::Rating,
            CompareMetric::Reviews => TrendField::ReviewCount,
        }
    }

    /// The category average of this metric in a metrics row.
    pub fn category_average(self, m: &CategoryMetric) -> Option<TrendValue> {
        match self {
            CompareMetric::Price => m.avg_price.map(TrendValue::Money),
            CompareMetric::Bsr => m.avg_bsr.map(|v| TrendValue::Integer(v.into())),
            CompareMetric::Rating => m.avg_rating.map(TrendValue::Float),
            CompareMetric::Reviews => m.avg_review_count.map(|v| TrendValue::Integer(v.into())),
        }
    }
}

impl fmt::Display for CompareMetric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A metric name that is not `price`, `bsr`, `rating` or `reviews`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown metric {given:?}, expected one of price, bsr, rating, reviews")]
pub struct UnknownMetric {
    /// What was asked for.
    pub given: String,
}

impl FromStr for CompareMetric {
    type Err = UnknownMetric;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim().to_ascii_lowercase();
        CompareMetric::ALL
            .into_iter()
            .find(|m| m.name() == t)
            .ok_or_else(|| UnknownMetric { given: s.to_owned() })
    }
}

/// One field's series in a [`TrendReport`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldTrend {
    /// The field.
    pub field: TrendField,
    /// Its name for people.
    pub display_name: String,
    /// What kind of value it holds.
    pub kind: FieldKind,
    /// The series.
    pub series: TrendSeries,
}

/// Trends of some fields of one product.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrendReport {
    /// The product.
    pub product_id: ProductId,
    /// The range asked for.
    pub range: TimeRange,
    /// The grouping.
    pub granularity: Granularity,
    /// Snapshots in the range.
    pub snapshot_count: usize,
    /// One entry per field asked for, in the order asked.
    pub fields: Vec<FieldTrend>,
}

/// One product of a [`Comparison`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComparedProduct {
    /// The product.
    pub product_id: ProductId,
    /// Its ASIN.
    pub asin: Asin,
    /// Its marketplace.
    pub marketplace: Marketplace,
    /// Its title.
    pub title: String,
    /// The category its average comes from, when one is known.
    pub category_id: Option<CategoryId>,
    /// That category's name.
    pub category_name: Option<String>,
    /// The category's average of the metric from its newest metrics row, where one exists.
    pub category_average: Option<TrendValue>,
    /// When that metrics row was recorded.
    pub category_recorded_at: Option<DateTime<Utc>>,
    /// The metric at each snapshot in the range, oldest first.
    pub points: Vec<TrendPoint>,
}

/// Several products side by side on one metric.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// The metric.
    pub metric: CompareMetric,
    /// The range.
    pub range: TimeRange,
    /// The products, in the order asked.
    pub products: Vec<ComparedProduct>,
}

/// Analytics a storage backend computes close to the data. Every tenant-scoped call takes
/// the acting user and answers [`crate::StoreError::NotFound`] for a product the user does
/// not actively track (never tracked, or untracked since), the same rule as
/// [`crate::SnapshotRepository::snapshot_history`].
#[async_trait]
pub trait AnalyticsRepository: Send + Sync + 'static {
    /// The product's latest price, main BSR, rating and review count at `now`, with their
    /// change over 7 and 30 days against the newest snapshot at or before each baseline.
    /// `None` when the product has no snapshot yet.
    async fn product_summary(
        &self,
        user: UserId,
        product: ProductId,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<ProductSummary>>;

    /// The series of each field over the range, raw or by day or week. An empty field list
    /// is a [`crate::StoreError::Invalid`].
    async fn product_trends(
        &self,
        user: UserId,
        product: ProductId,
        fields: &[TrendField],
        range: TimeRange,
        granularity: Granularity,
    ) -> StoreResult<TrendReport>;

    /// Up to [`MAX_COMPARE`] of the user's products on one metric over the range, each with
    /// its category's average where category metrics exist. More than [`MAX_COMPARE`]
    /// (after removing repeats) or none is a [`crate::StoreError::Invalid`]; any product the
    /// user does not track is [`crate::StoreError::NotFound`].
    async fn compare_products(
        &self,
        user: UserId,
        products: &[ProductId],
        metric: CompareMetric,
        range: TimeRange,
    ) -> StoreResult<Comparison>;

    /// The category a product belongs to, for category comparisons: the list it was last
    /// seen on, else the category its main rank links to, else the one named like its main
    /// rank category or its category.
    async fn product_category(&self, user: UserId, product: ProductId) -> StoreResult<Option<Category>>;

    /// Computes the `category_metrics` row of each category (only `category` when given)
    /// from its newest best-seller list at or before `as_of`, completed by each listed
    /// product's newest snapshot, and stores it under the list's day: computing again for
    /// the same day replaces that day's row instead of adding one. Returns the rows written.
    async fn compute_category_metrics(
        &self,
        category: Option<CategoryId>,
        as_of: DateTime<Utc>,
    ) -> StoreResult<Vec<CategoryMetric>>;
}
