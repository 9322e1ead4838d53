//! Reports over a user's products: summary, trends, comparison, category metrics and the
//! periodic report.

use super::history::{catalogued, user_and_product};
use super::{Client, count_opt, no_nul, product_ref};
use crate::errors::{Error, Result};
use crate::runtime::block_on;
use crate::views;
use amazcope_core::analytics::{AnalyticsRepository, CompareMetric, Granularity, TrendField};
use amazcope_core::model::category::Category;
use amazcope_core::repo::TimeRange;
use amazcope_core::service::daily_report;
use amazcope_core::{CategoryRepository, Marketplace, ProductRef, ValidationError};
use chrono::{DateTime, TimeDelta, Utc};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::sync::Arc;

/// A time range of the last `days` days up to now (everything when `days` is None).
fn last_days(days: Option<u32>) -> TimeRange {
    match days {
        Some(d) => TimeRange { from: Some(super::ago(TimeDelta::try_days(i64::from(d)))), to: None },
        None => TimeRange::default(),
    }
}

pub(super) fn report<'py>(
    c: &Client,
    py: Python<'py>,
    user: String,
    hours: i64,
) -> Result<Bound<'py, PyAny>> {
    // The core subtracts `hours` from now: refuse what cannot be a span, and cap what
    // reaches back past every stored snapshot (see `ago`).
    if hours < 0 {
        return Err(ValidationError::new("hours", hours, "must not be negative").into());
    }
    let now = Utc::now();
    let hours = hours.min((now - super::ago(None)).num_hours());
    let r = c.as_user(py, user, move |store, u| async move {
        Ok(daily_report(store.as_ref(), &u, now, hours).await?)
    })?;
    super::json_to_py(py, &r)
}

pub(super) fn summary<'py>(
    c: &Client,
    py: Python<'py>,
    product: ProductRef,
    user: String,
) -> Result<Option<Bound<'py, PyDict>>> {
    let svc = c.tracker();
    let store = Arc::clone(&c.store);
    let s = block_on(py, async move {
        let (u, p) = user_and_product(&svc, &user, product).await?;
        store
            .product_summary(u.id, p.id, Utc::now())
            .await
            .map_err(|e| Error::from(e).not_tracked(&user, product))
    })?;
    Ok(s.map(|s| views::summary_dict(py, &s)).transpose()?)
}

pub(super) fn trends<'py>(
    c: &Client,
    py: Python<'py>,
    product: ProductRef,
    fields: Option<Vec<String>>,
    days: Option<u32>,
    granularity: String,
    user: String,
) -> Result<Bound<'py, PyDict>> {
    let fields: Vec<TrendField> = match fields {
        None => TrendField::ALL.to_vec(),
        Some(names) => names
            .iter()
            .map(|n| {
                n.parse().map_err(|e: amazcope_core::analytics::UnknownTrendField| {
                    ValidationError::new("fields", n, e.to_string())
                })
            })
            .collect::<std::result::Result<_, _>>()?,
    };
    let gran: Granularity =
        granularity.parse().map_err(|e: amazcope_core::analytics::UnknownGranularity| {
            ValidationError::new("granularity", &granularity, e.to_string())
        })?;
    let range = last_days(days);
    let svc = c.tracker();
    let store = Arc::clone(&c.store);
    let report = block_on(py, async move {
        let (u, p) = user_and_product(&svc, &user, product).await?;
        store
            .product_trends(u.id, p.id, &fields, range, gran)
            .await
            .map_err(|e| Error::from(e).not_tracked(&user, product))
    })?;
    Ok(views::trends_dict(py, &report)?)
}

pub(super) fn compare<'py>(
    c: &Client,
    py: Python<'py>,
    products: Vec<ProductRef>,
    metric: String,
    days: Option<u32>,
    user: String,
) -> Result<Bound<'py, PyDict>> {
    let metric: CompareMetric = metric.parse().map_err(|e: amazcope_core::analytics::UnknownMetric| {
        ValidationError::new("metric", &metric, e.to_string())
    })?;
    let range = last_days(days);
    let (svc, name) = (c.tracker(), user.clone());
    let cmp = c.as_user(py, user, move |store, u| async move {
        let mut ids = Vec::with_capacity(products.len());
        for r in &products {
            ids.push(catalogued(&svc, &name, *r).await?.id);
        }
        store.compare_products(u.id, &ids, metric, range).await.map_err(|e| match e {
            // The store names the product by its id; say it the way the user named it.
            amazcope_core::StoreError::NotFound { entity: "product", ref id } => {
                match ids.iter().position(|p| p.to_string() == *id) {
                    Some(i) => Error::NotTracked { user: name.clone(), product: products[i] },
                    None => e.into(),
                }
            }
            other => other.into(),
        })
    })?;
    Ok(views::comparison_dict(py, &cmp)?)
}

pub(super) fn category_metrics<'py>(
    c: &Client,
    py: Python<'py>,
    category: Option<String>,
    marketplace: Marketplace,
    at: Option<DateTime<Utc>>,
) -> Result<Bound<'py, PyAny>> {
    let store = Arc::clone(&c.store);
    let (rows, categories) = block_on(py, async move {
        let tree = store.category_tree(marketplace).await?;
        let only = category.as_deref().map(|k| Category::find(&tree, k)).transpose()?.map(|c| c.id);
        let rows = store.compute_category_metrics(only, at.unwrap_or_else(Utc::now)).await?;
        // Categories of `marketplace` come from the tree already read; only a row of
        // another marketplace's category costs a lookup.
        let mut categories = Vec::with_capacity(rows.len());
        for r in &rows {
            let known = tree.iter().find(|c| c.id == r.category_id).cloned();
            categories.push(match known {
                Some(c) => Some(c),
                None => store.category(r.category_id).await?,
            });
        }
        Ok((rows, categories))
    })?;
    Ok(views::category_metrics_table(&rows, &categories).into_pyarrow(py)?)
}

#[pymethods]
impl Client {
    /// `user`'s report over the `hours` up to now: products tracked, what changed, the
    /// biggest movers, alerts by type (a dict; prices as decimal strings).
    #[pyo3(signature = (user, hours=24))]
    fn report<'py>(&self, py: Python<'py>, user: String, hours: i64) -> Result<Bound<'py, PyAny>> {
        report(self, py, user, hours)
    }

    /// The latest price, main BSR, rating and review count of a product `user` tracks (an
    /// ASIN on `marketplace`, or a product URL), with their change over 7 and 30 days (a
    /// dict; the price a `Decimal`), or None before its first snapshot. `NotFound` for a
    /// product the user has never tracked.
    #[pyo3(signature = (asin, marketplace=None, *, user))]
    fn summary<'py>(
        &self,
        py: Python<'py>,
        asin: String,
        marketplace: Option<String>,
        user: String,
    ) -> Result<Option<Bound<'py, PyDict>>> {
        let product = product_ref(&asin, marketplace.as_deref())?;
        summary(self, py, product, user)
    }

    /// Trends of `fields` (names such as `price`, `bsr_main`, `rating`, `in_stock`; all 15
    /// when None) over the last `days` days (all history when None), `granularity` `raw`,
    /// `day` or `week`, for a product `user` tracks (an ASIN or a product URL). Returns
    /// `{field: table}`: raw series as (`at`, `value`), day and week series as (`start`,
    /// `label`, `count`, `last`, `min`, `max`, `mean`), money as decimal128(10,2). An
    /// unknown field or granularity is a `ValidationError`.
    #[pyo3(signature = (asin, marketplace=None, fields=None, days=None, granularity="raw".to_string(), *, user))]
    #[allow(clippy::too_many_arguments)]
    fn trends<'py>(
        &self,
        py: Python<'py>,
        asin: String,
        marketplace: Option<String>,
        fields: Option<Vec<String>>,
        days: Option<i64>,
        granularity: String,
        user: String,
    ) -> Result<Bound<'py, PyDict>> {
        let days = count_opt("days", days)?;
        let product = product_ref(&asin, marketplace.as_deref())?;
        trends(self, py, product, fields, days, granularity, user)
    }

    /// Up to 10 of `user`'s products (`asins`: ASINs on `marketplace`, or product URLs) side
    /// by side on one `metric` (`price`, `bsr`, `rating` or `reviews`) over the last `days`
    /// days. Returns a dict: `metric`, `products` (a table: `asin`, `marketplace`, `title`,
    /// `category_name`, `category_average`, `category_recorded_at`, `points`) and `points`
    /// (a table: `asin`, `marketplace`, `at`, `value`). A product the user does not track is
    /// `NotFound`; more than 10 or an unknown metric is a `ValidationError`.
    #[pyo3(signature = (asins, marketplace=None, metric="price".to_string(), days=None, *, user))]
    #[allow(clippy::too_many_arguments)]
    fn compare<'py>(
        &self,
        py: Python<'py>,
        asins: Vec<String>,
        marketplace: Option<String>,
        metric: String,
        days: Option<i64>,
        user: String,
    ) -> Result<Bound<'py, PyDict>> {
        let days = count_opt("days", days)?;
        let products =
            asins.iter().map(|a| product_ref(a, marketplace.as_deref())).collect::<Result<Vec<_>>>()?;
        compare(self, py, products, metric, days, user)
    }

    /// Computes and stores the metrics of each category (only `category`, a slug or name on
    /// `marketplace`, when given) from its newest best-seller list at or before `at` (now
    /// when None); computing again for the same day replaces that day's row. One table row
    /// per category: `category`, `slug`, `marketplace`, `level`, `recorded_at`,
    /// `product_count`, `avg_price`, `median_price`, `min_price`, `max_price` (decimal128),
    /// `avg_bsr`, `median_bsr`, `avg_rating`, `avg_review_count`. An unknown category is a
    /// `ValidationError`.
    #[pyo3(signature = (category=None, marketplace="com".to_string(), at=None))]
    fn category_metrics<'py>(
        &self,
        py: Python<'py>,
        category: Option<String>,
        marketplace: String,
        at: Option<DateTime<Utc>>,
    ) -> Result<Bound<'py, PyAny>> {
        let m: Marketplace = marketplace.parse()?;
        if let Some(name) = &category {
            no_nul("category", name)?;
        }
        category_metrics(self, py, category, m, at)
    }
}
