//! A product's history and what is computed from it: history (`days`, `resolution`),
//! statistics, summary, trends, and the comparison of several products.

use super::ApiResult;
use crate::serve::AppState;
use crate::serve::auth::Acting;
use crate::serve::error::{ApiError, ErrorBody, Json, Query, parse_id};
use amazcope_core::analytics::{
    AnalyticsRepository, CompareMetric, Granularity, MAX_COMPARE, TrendReport, parse_fields, window_stats,
};
use amazcope_core::model::snapshot::ProductSnapshot;
use amazcope_core::{ProductId, SnapshotRepository, TimeRange};
use axum::extract::{Path, State};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The history routes.
pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(product_history))
        .routes(routes!(product_stats))
        .routes(routes!(product_summary))
        .routes(routes!(product_trends))
        .routes(routes!(compare_products))
}

/// `days` and `resolution` of a history read.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct HistoryParams {
    /// Only the last N days (1-3650; all when absent).
    pub days: Option<u32>,
    /// `raw` (every snapshot, default), `day` or `week` (buckets of price, BSR, rating,
    /// reviews and stock).
    pub resolution: Option<String>,
}

#[utoipa::path(get, path = "/products/{id}/history", tag = "history", params(("id" = String, Path, description = "product id"), HistoryParams),
    responses((status = 200, body = Object, description = "snapshots oldest first, or buckets"), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn product_history(
    State(s): State<AppState>,
    Acting(user): Acting,
    Path(id): Path<String>,
    Query(q): Query<HistoryParams>,
) -> ApiResult<Json<History>> {
    let product: ProductId = parse_id("product", &id)?;
    if let Some(d) = q.days
        && !(1..=3650).contains(&d)
    {
        return Err(ApiError::invalid("days", format!("days {d} is out of range: use 1 to 3650")));
    }
    let range = q.days.map(|d| TimeRange::last_days(Utc::now(), d)).unwrap_or_default();
    let resolution: Granularity = q.resolution.as_deref().unwrap_or("raw").parse().map_err(
        |e: amazcope_core::analytics::UnknownGranularity| ApiError::invalid("resolution", e.to_string()),
    )?;
    if resolution == Granularity::Raw {
        // The library's tenancy rule: NotFound unless the user tracks the product.
        let snapshots = s.store.snapshot_history(user.id, product, range).await?;
        // Serialized straight from the snapshots (no intermediate `serde_json::Value`).
        return Ok(Json(History::Raw(RawHistory { product_id: product, resolution: "raw", snapshots })));
    }
    let fields = parse_fields("price,bsr_main,rating,review_count,in_stock")
        .map_err(|e| ApiError::invalid("fields", e.to_string()))?;
    let report = s.store.product_trends(user.id, product, &fields, range, resolution).await?;
    Ok(Json(History::Buckets(report)))
}

/// The body of a history answer: every snapshot, or the trend buckets.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum History {
    /// `resolution=raw`.
    Raw(RawHistory),
    /// `resolution=day|week`: the trends report.
    Buckets(TrendReport),
}

/// Every snapshot of the range, oldest first.
#[derive(Debug, Serialize)]
pub struct RawHistory {
    /// The product.
    pub product_id: ProductId,
    /// Always `raw`.
    pub resolution: &'static str,
    /// The snapshots, oldest first.
    pub snapshots: Vec<ProductSnapshot>,
}

#[utoipa::path(get, path = "/products/{id}/stats", tag = "history", params(("id" = String, Path, description = "product id")),
    responses((status = 200, body = Object, description = "price statistics over 30, 90, 180 and 365 days"), (status = 404, body = ErrorBody)))]
async fn product_stats(
    State(s): State<AppState>,
    Acting(user): Acting,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let product: ProductId = parse_id("product", &id)?;
    let history = s.store.snapshot_history(user.id, product, TimeRange::default()).await?;
    // Measured at the newest snapshot, as `amazcope stats` does.
    let at = history.last().map_or_else(Utc::now, |h| h.data.scraped_at);
    Ok(Json(json!(window_stats(&history, at))))
}

#[utoipa::path(get, path = "/products/{id}/summary", tag = "history", params(("id" = String, Path, description = "product id")),
    responses((status = 200, body = Object, description = "latest values with their 7- and 30-day change (null before the first snapshot)"), (status = 404, body = ErrorBody)))]
async fn product_summary(
    State(s): State<AppState>,
    Acting(user): Acting,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let product: ProductId = parse_id("product", &id)?;
    let summary = s.store.product_summary(user.id, product, Utc::now()).await?;
    Ok(Json(json!(summary)))
}

/// Fields, days and bucket of a trends read.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct TrendParams {
    /// Comma-separated snapshot fields (default `price,bsr_main`).
    pub fields: Option<String>,
    /// Days back from now (1-365, default 30).
    pub days: Option<u32>,
    /// `raw`, `day` or `week` (default raw).
    pub bucket: Option<String>,
}

#[utoipa::path(get, path = "/products/{id}/trends", tag = "history", params(("id" = String, Path, description = "product id"), TrendParams),
    responses((status = 200, body = Object), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn product_trends(
    State(s): State<AppState>,
    Acting(user): Acting,
    Path(id): Path<String>,
    Query(q): Query<TrendParams>,
) -> ApiResult<Json<Value>> {
    let product: ProductId = parse_id("product", &id)?;
    let fields = parse_fields(q.fields.as_deref().unwrap_or("price,bsr_main"))
        .map_err(|e| ApiError::invalid("fields", e.to_string()))?;
    let days = q.days.unwrap_or(30);
    if !(1..=365).contains(&days) {
        return Err(ApiError::invalid("days", format!("days {days} is out of range: use 1 to 365")));
    }
    let bucket: Granularity = q.bucket.as_deref().unwrap_or("raw").parse().map_err(
        |e: amazcope_core::analytics::UnknownGranularity| ApiError::invalid("bucket", e.to_string()),
    )?;
    let report = s
        .store
        .product_trends(user.id, product, &fields, TimeRange::last_days(Utc::now(), days), bucket)
        .await?;
    Ok(Json(json!(report)))
}

/// Products and metric of a comparison.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct CompareParams {
    /// Comma-separated product ids (1 to 10).
    pub ids: String,
    /// `price` (default), `bsr`, `rating` or `reviews`.
    pub metric: Option<String>,
    /// Days back from now (1-365, default 30).
    pub days: Option<u32>,
}

#[utoipa::path(get, path = "/compare", tag = "history", params(CompareParams),
    responses((status = 200, body = Object), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn compare_products(
    State(s): State<AppState>,
    Acting(user): Acting,
    Query(q): Query<CompareParams>,
) -> ApiResult<Json<Value>> {
    let ids: Vec<ProductId> = q
        .ids
        .split(',')
        .filter(|t| !t.trim().is_empty())
        .map(|t| parse_id("product", t))
        .collect::<Result<_, _>>()?;
    if ids.is_empty() || ids.len() > MAX_COMPARE {
        return Err(ApiError::invalid(
            "ids",
            format!("compare takes 1 to {MAX_COMPARE} products, got {}", ids.len()),
        ));
    }
    let metric: CompareMetric =
        q.metric.as_deref().unwrap_or("price").parse().map_err(
            |e: amazcope_core::analytics::UnknownMetric| ApiError::invalid("metric", e.to_string()),
        )?;
    let days = q.days.unwrap_or(30).clamp(1, 365);
    let c = s.store.compare_products(user.id, &ids, metric, TimeRange::last_days(Utc::now(), days)).await?;
    Ok(Json(json!(c)))
}
