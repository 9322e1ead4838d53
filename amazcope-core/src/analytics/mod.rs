//! Pure analytics over a product's snapshot history and a category's best-seller list:
//! window statistics, the product summary, trends of any of the 15 snapshot fields, and
//! category metrics. No I/O: the storage layer fetches the rows, these functions compute;
//! [`AnalyticsRepository`] is what a storage backend answers in one round trip each.

mod category;
mod store;
mod summary;
mod trends;
mod window;

pub use category::{CategoryItem, category_metric, median_decimal, price_spread};
pub use store::{
    AnalyticsRepository, CompareMetric, ComparedProduct, Comparison, FieldTrend, MAX_COMPARE, TrendReport,
    UnknownMetric,
};
pub use summary::{ProductSummary, baseline, summarize, summary_from_history};
pub use trends::{
    BucketParts, FieldKind, Granularity, TrendBucket, TrendField, TrendPoint, TrendSeries, TrendValue,
    UnknownGranularity, UnknownTrendField, extract, finish_bucket, parse_fields, trend,
};
pub use window::{
    PriceWindow, STANDARD_WINDOWS, WindowStats, lowest_price, price_window, window_stats,
    window_stats_with_daily,
};

use crate::model::snapshot::{NewSnapshot, ProductSnapshot};
use rust_decimal::{Decimal, RoundingStrategy};

/// Anything that carries snapshot data: a stored [`ProductSnapshot`] or a [`NewSnapshot`],
/// so the functions here take whichever the caller holds without copying.
pub trait AsSnapshot {
    /// The snapshot's data.
    fn snapshot(&self) -> &NewSnapshot;
}

impl AsSnapshot for NewSnapshot {
    fn snapshot(&self) -> &NewSnapshot {
        self
    }
}

impl AsSnapshot for ProductSnapshot {
    fn snapshot(&self) -> &NewSnapshot {
        &self.data
    }
}

impl<T: AsSnapshot + ?Sized> AsSnapshot for &T {
    fn snapshot(&self) -> &NewSnapshot {
        (**self).snapshot()
    }
}

/// Money rounded to cents, half away from zero (what a shop shows), not banker's rounding.
pub fn round_money(d: Decimal) -> Decimal {
    d.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

/// A price that means something: a zero is "no offer", not a price.
pub fn real_price(p: Option<Decimal>) -> Option<Decimal> {
    p.filter(|p| !p.is_zero() && p.is_sign_positive())
}
