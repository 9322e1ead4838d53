//! Core results (window statistics, replayed alerts, refresh reports, suggestions, summaries,
//! trends, comparisons) into the tables and dicts Python sees. Only shape changes here: every
//! number is the one the core computed.

use crate::arrow::Columns;
use amazcope_core::analytics::{
    Comparison, FieldKind, ProductSummary, TrendReport, TrendSeries, TrendValue, WindowStats,
};
use amazcope_core::model::alert::NewAlert;
use amazcope_core::model::category::{Category, CategoryMetric};
use amazcope_core::model::suggestion::Suggestion;
use amazcope_core::service::{IngestOutcome, RefreshFailure, RefreshReport};
use amazcope_core::suggest::SuggestRunReport;
use pyo3::prelude::*;
use pyo3::types::PyDict;

/// One row per window (30, 90, 180, 365 days).
pub fn window_table(s: &WindowStats) -> Columns {
    let w = &s.windows;
    let mut c = Columns::default();
    c.i64("days", w.iter().map(|w| Some(i64::from(w.days))));
    c.time("at", w.iter().map(|_| Some(s.at)));
    c.utf8("currency", w.iter().map(|_| s.currency.map(|c| c.to_string())));
    c.i64("snapshot_count", w.iter().map(|w| Some(w.snapshot_count as i64)));
    c.i64("priced_count", w.iter().map(|w| Some(w.priced_count as i64)));
    c.money("min_price", w.iter().map(|w| w.min_price));
    c.time("min_price_at", w.iter().map(|w| w.min_price_at));
    c.money("max_price", w.iter().map(|w| w.max_price));
    c.money("avg_price", w.iter().map(|w| w.avg_price));
    c.i64("days_observed", w.iter().map(|w| Some(w.days_observed as i64)));
    c.i64("days_out_of_stock", w.iter().map(|w| Some(w.days_out_of_stock as i64)));
    c.f64("out_of_stock_share", w.iter().map(|w| w.out_of_stock_share));
    c
}

/// Alerts a replay would have raised, oldest first.
pub fn replay_table(alerts: &[NewAlert]) -> Columns {
    let mut c = Columns::default();
    c.time("created_at", alerts.iter().map(|a| Some(a.created_at)));
    c.utf8("alert_type", alerts.iter().map(|a| Some(a.alert_type.as_str())));
    c.utf8("severity", alerts.iter().map(|a| Some(a.severity.as_str())));
    c.utf8("title", alerts.iter().map(|a| Some(&a.title)));
    c.utf8("message", alerts.iter().map(|a| Some(&a.message)));
    c.utf8("old_value", alerts.iter().map(|a| a.old_value.as_ref()));
    c.utf8("new_value", alerts.iter().map(|a| a.new_value.as_ref()));
    c.f64("change_percentage", alerts.iter().map(|a| a.change_percentage));
    c
}

fn outcome(r: &Result<IngestOutcome, RefreshFailure>) -> (&'static str, Option<String>) {
    match r {
        Ok(IngestOutcome::Stored { .. }) => ("stored", None),
        Ok(IngestOutcome::Duplicate { .. }) => ("duplicate", None),
        Ok(IngestOutcome::Recorded { status, .. }) => ("recorded", Some(status.as_str().to_owned())),
        Ok(IngestOutcome::Ignored { kind }) => ("ignored", Some(format!("{kind:?}"))),
        Ok(other) => ("other", Some(format!("{other:?}"))),
        Err(e) => ("failed", Some(e.to_string())),
    }
}

/// A refresh report: the totals as dict entries and `items`, one table row per product.
pub fn refresh_dict<'py>(py: Python<'py>, r: &RefreshReport) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("claimed", r.claimed)?;
    d.set_item("stored", r.stored)?;
    d.set_item("duplicates", r.duplicates)?;
    d.set_item("failures", r.failures)?;
    d.set_item("alerts", r.alerts)?;
    let items = &r.items;
    let outcomes: Vec<_> = items.iter().map(|i| outcome(&i.result)).collect();
    let mut c = Columns::default();
    c.utf8("asin", items.iter().map(|i| Some(i.asin.to_string())));
    c.utf8("marketplace", items.iter().map(|i| Some(i.marketplace.code())));
    c.utf8("outcome", outcomes.iter().map(|o| Some(o.0)));
    c.utf8("detail", outcomes.iter().map(|o| o.1.as_ref()));
    c.i64("alerts", items.iter().map(|i| Some(i.alerts as i64)));
    d.set_item("items", c.into_pyarrow(py)?)?;
    Ok(d)
}

/// One row per suggestion, its actions nested in the `actions` column.
pub fn suggestions_table(rows: &[Suggestion]) -> Columns {
    let mut c = Columns::default();
    c.utf8("id", rows.iter().map(|s| Some(s.id.to_string())));
    c.utf8("product_id", rows.iter().map(|s| s.product_id.map(|p| p.to_string())));
    c.utf8("title", rows.iter().map(|s| Some(&s.title)));
    c.utf8("description", rows.iter().map(|s| Some(&s.description)));
    c.utf8("reasoning", rows.iter().map(|s| Some(&s.reasoning)));
    c.utf8("priority", rows.iter().map(|s| Some(s.priority.as_str())));
    c.utf8("category", rows.iter().map(|s| Some(s.category.as_str())));
    c.utf8("status", rows.iter().map(|s| Some(s.status.as_str())));
    c.utf8("generator", rows.iter().map(|s| Some(&s.ai_model)));
    c.f64("confidence_score", rows.iter().map(|s| s.confidence_score));
    c.time("expires_at", rows.iter().map(|s| s.expires_at));
    c.time("reviewed_at", rows.iter().map(|s| s.reviewed_at));
    c.utf8("dedup_key", rows.iter().map(|s| Some(&s.dedup_key)));
    c.time("created_at", rows.iter().map(|s| Some(s.created_at)));
    c.actions("actions", rows.iter().map(|s| s.actions.as_slice()));
    c
}

/// One suggestion as a dict; its actions as a list of dicts.
pub fn suggestion_dict<'py>(py: Python<'py>, s: &Suggestion) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("id", s.id.to_string())?;
    d.set_item("product_id", s.product_id.map(|p| p.to_string()))?;
    d.set_item("title", &s.title)?;
    d.set_item("description", &s.description)?;
    d.set_item("reasoning", &s.reasoning)?;
    d.set_item("priority", s.priority.as_str())?;
    d.set_item("category", s.category.as_str())?;
    d.set_item("status", s.status.as_str())?;
    d.set_item("generator", &s.ai_model)?;
    d.set_item("confidence_score", s.confidence_score)?;
    d.set_item("expires_at", s.expires_at)?;
    d.set_item("reviewed_at", s.reviewed_at)?;
    d.set_item("dedup_key", &s.dedup_key)?;
    d.set_item("created_at", s.created_at)?;
    let mut actions = Vec::with_capacity(s.actions.len());
    for a in &s.actions {
        let ad = PyDict::new(py);
        ad.set_item("id", a.id.to_string())?;
        ad.set_item("action_type", a.action_type.as_str())?;
        ad.set_item("target_field", &a.target_field)?;
        ad.set_item("current_value", &a.current_value)?;
        ad.set_item("proposed_value", &a.proposed_value)?;
        ad.set_item("reasoning", &a.reasoning)?;
        ad.set_item("impact_description", &a.impact_description)?;
        ad.set_item("status", a.status.as_str())?;
        ad.set_item("applied_at", a.applied_at)?;
        ad.set_item("error_message", &a.error_message)?;
        actions.push(ad);
    }
    d.set_item("actions", actions)?;
    Ok(d)
}

/// A suggestion run: counts, the created suggestions as a table and the errors as
/// `(asin, generator, message)` tuples.
pub fn suggest_run_dict<'py>(py: Python<'py>, r: &SuggestRunReport) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("products", r.products)?;
    d.set_item("proposed", r.proposed)?;
    d.set_item("skipped", r.skipped)?;
    d.set_item("created", suggestions_table(&r.created).into_pyarrow(py)?)?;
    let errors: Vec<(Option<String>, Option<String>, String)> = r
        .errors
        .iter()
        .map(|e| (e.asin.map(|a| a.to_string()), e.generator.clone(), e.message.clone()))
        .collect();
    d.set_item("errors", errors)?;
    Ok(d)
}

/// The product summary as a dict (the price a `Decimal`, changes in percent).
pub fn summary_dict<'py>(py: Python<'py>, s: &ProductSummary) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("product_id", s.product_id.to_string())?;
    d.set_item("currency", s.currency.to_string())?;
    d.set_item("current_price", s.current_price)?;
    d.set_item("price_change_7d", s.price_change_7d)?;
    d.set_item("price_change_30d", s.price_change_30d)?;
    d.set_item("current_bsr", s.current_bsr)?;
    d.set_item("bsr_change_7d", s.bsr_change_7d)?;
    d.set_item("bsr_change_30d", s.bsr_change_30d)?;
    d.set_item("current_rating", s.current_rating)?;
    d.set_item("rating_change_7d", s.rating_change_7d)?;
    d.set_item("rating_change_30d", s.rating_change_30d)?;
    d.set_item("review_count", s.review_count)?;
    d.set_item("review_growth_7d", s.review_growth_7d)?;
    d.set_item("review_growth_30d", s.review_growth_30d)?;
    d.set_item("last_updated", s.last_updated)?;
    Ok(d)
}

/// Trends as `{field name: table}`: raw series as (`at`, `value`), day and week series as
/// (`start`, `label`, `count`, `last`, `min`, `max`, `mean`), values typed by the field's kind.
pub fn trends_dict<'py>(py: Python<'py>, r: &TrendReport) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    for f in &r.fields {
        let kind = f.field.kind();
        let mut c = Columns::default();
        match &f.series {
            TrendSeries::Raw(points) => {
                c.time("at", points.iter().map(|p| Some(p.at)));
                c.trend("value", kind, points.iter().map(|p| p.value).collect());
            }
            TrendSeries::Day(buckets) | TrendSeries::Week(buckets) => {
                c.time("start", buckets.iter().map(|b| Some(b.start)));
                c.utf8("label", buckets.iter().map(|b| Some(&b.label)));
                c.i64("count", buckets.iter().map(|b| Some(b.count as i64)));
                c.trend("last", kind, buckets.iter().map(|b| Some(b.last)).collect());
                c.trend("min", kind, buckets.iter().map(|b| Some(b.min)).collect());
                c.trend("max", kind, buckets.iter().map(|b| Some(b.max)).collect());
                // Money means stay exact cents; every other kind's mean is a real number.
                let mean_kind = if kind == FieldKind::Money { kind } else { FieldKind::Float };
                c.trend("mean", mean_kind, buckets.iter().map(|b| Some(b.mean)).collect());
            }
        }
        d.set_item(f.field.name(), c.into_pyarrow(py)?)?;
    }
    Ok(d)
}

/// A comparison: `metric`, `products` (one row each, with the category average) and
/// `points` (`asin`, `marketplace`, `at`, `value`), values typed by the metric.
pub fn comparison_dict<'py>(py: Python<'py>, cmp: &Comparison) -> PyResult<Bound<'py, PyDict>> {
    let kind = cmp.metric.field().kind();
    let ps = &cmp.products;
    let mut products = Columns::default();
    products.utf8("asin", ps.iter().map(|p| Some(p.asin.to_string())));
    products.utf8("marketplace", ps.iter().map(|p| Some(p.marketplace.code())));
    products.utf8("title", ps.iter().map(|p| Some(&p.title)));
    products.utf8("category_name", ps.iter().map(|p| p.category_name.as_ref()));
    let avg_kind = match kind {
        FieldKind::Money => FieldKind::Money,
        _ => FieldKind::Float,
    };
    products.trend(
        "category_average",
        avg_kind,
        ps.iter().map(|p| p.category_average.map(|v| as_kind(v, avg_kind))).collect(),
    );
    products.time("category_recorded_at", ps.iter().map(|p| p.category_recorded_at));
    products.i64("points", ps.iter().map(|p| Some(p.points.len() as i64)));
    let mut points = Columns::default();
    let rows = || ps.iter().flat_map(|p| p.points.iter().map(move |pt| (p, pt)));
    points.utf8("asin", rows().map(|(p, _)| Some(p.asin.to_string())));
    points.utf8("marketplace", rows().map(|(p, _)| Some(p.marketplace.code())));
    points.time("at", rows().map(|(_, pt)| Some(pt.at)));
    points.trend("value", kind, rows().map(|(_, pt)| pt.value).collect());
    let d = PyDict::new(py);
    d.set_item("metric", cmp.metric.name())?;
    d.set_item("products", products.into_pyarrow(py)?)?;
    d.set_item("points", points.into_pyarrow(py)?)?;
    Ok(d)
}

/// Category averages of counts come as integers; shown as real numbers beside a rating's.
fn as_kind(v: TrendValue, kind: FieldKind) -> TrendValue {
    match (kind, v) {
        (FieldKind::Float, TrendValue::Integer(i)) => TrendValue::Float(i as f64),
        _ => v,
    }
}

/// One row per computed category metric, named by its category (`categories[i]` is the
/// category of `rows[i]`, None if it went away meanwhile).
pub fn category_metrics_table(rows: &[CategoryMetric], categories: &[Option<Category>]) -> Columns {
    let cat = || categories.iter().map(Option::as_ref);
    let mut c = Columns::default();
    c.utf8("category", cat().map(|c| c.map(|c| c.name.clone())));
    c.utf8("slug", cat().map(|c| c.and_then(|c| c.category_id.clone())));
    c.utf8("marketplace", cat().map(|c| c.map(|c| c.marketplace.code())));
    c.utf8("level", rows.iter().map(|r| Some(r.category_level.as_str())));
    c.time("recorded_at", rows.iter().map(|r| Some(r.recorded_at)));
    c.i32("product_count", rows.iter().map(|r| Some(r.product_count)));
    c.money("avg_price", rows.iter().map(|r| r.avg_price));
    c.money("median_price", rows.iter().map(|r| r.median_price));
    c.money("min_price", rows.iter().map(|r| r.min_price));
    c.money("max_price", rows.iter().map(|r| r.max_price));
    c.i32("avg_bsr", rows.iter().map(|r| r.avg_bsr));
    c.i32("median_bsr", rows.iter().map(|r| r.median_bsr));
    c.f64("avg_rating", rows.iter().map(|r| r.avg_rating));
    c.i32("avg_review_count", rows.iter().map(|r| r.avg_review_count));
    c
}
