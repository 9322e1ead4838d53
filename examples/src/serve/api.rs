//! The JSON API under `/api/v1`: each handler reads the request, calls one library service
//! or repository method as the token's user, and answers with what it returned. The OpenAPI
//! document is generated from these handlers' `#[utoipa::path]` attributes.

use super::AppState;
use super::auth::Acting;
use super::error::{ApiError, ErrorBody, Json, Query, parse_id};
use amazcope_core::analytics::{
    AnalyticsRepository, CompareMetric, Granularity, MAX_COMPARE, parse_fields, window_stats,
};
use amazcope_core::model::alert::AlertQuery;
use amazcope_core::model::tracking::{TrackOptions, TrackedProduct, TrackingPatch};
use amazcope_core::model::user::SettingsPatch;
use amazcope_core::service::TrackService;
use amazcope_core::{
    AlertId, AlertRepository, Marketplace, NotificationId, NotificationRepository, Percent, ProductId,
    ProductRef, ProductRepository, ReviewDecision, SnapshotRepository, StoreError, SuggestionActionId,
    SuggestionCategory, SuggestionId, SuggestionRepository, SuggestionStatus, TimeRange, TrackingRepository,
    UserRepository,
};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use chrono::Utc;
use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Value, json};
use utoipa::{IntoParams, OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

type ApiResult<T> = Result<T, ApiError>;

/// The generated OpenAPI document's frame; the paths come from the handlers.
#[derive(Debug, OpenApi)]
#[openapi(
    info(title = "Amazcope API", description = "Tracked Amazon products, their history, alerts and suggestions, per user."),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
    components(schemas(ErrorBody))
)]
pub struct ApiDoc;

#[derive(Debug)]
struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = api.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The API's routes (relative to `/api/v1`) with their OpenAPI description.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_products, track_product))
        .routes(routes!(get_product, patch_product, untrack_product))
        .routes(routes!(refresh_product))
        .routes(routes!(product_history))
        .routes(routes!(product_stats))
        .routes(routes!(product_summary))
        .routes(routes!(product_trends))
        .routes(routes!(compare_products))
        .routes(routes!(list_alerts))
        .routes(routes!(read_alert))
        .routes(routes!(read_all_alerts))
        .routes(routes!(list_notifications, delete_all_notifications))
        .routes(routes!(unread_notification_count))
        .routes(routes!(patch_notification, delete_notification))
        .routes(routes!(read_all_notifications))
        .routes(routes!(list_suggestions))
        .routes(routes!(suggestion_stats))
        .routes(routes!(get_suggestion))
        .routes(routes!(review_suggestion))
        .routes(routes!(apply_suggestion))
        .routes(routes!(get_settings, patch_settings))
        .routes(routes!(reset_settings))
}

// --- products ------------------------------------------------------------------------------

/// `limit`/`offset` of a list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct Page {
    /// At most this many (1-500, default 100).
    pub limit: Option<u32>,
    /// Skip this many (default 0).
    pub offset: Option<u32>,
}

/// A page of the user's tracked products.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProductList {
    /// How many products the user tracks.
    pub total: usize,
    /// The page asked for, newest tracked first: each with the tracking row and the product's
    /// latest values.
    #[schema(value_type = Vec<Object>)]
    pub items: Vec<TrackedProduct>,
}

#[utoipa::path(get, path = "/products", params(Page), tag = "products",
    responses((status = 200, body = ProductList), (status = 401, body = ErrorBody)))]
async fn list_products(
    State(s): State<AppState>,
    Acting(user): Acting,
    Query(page): Query<Page>,
) -> ApiResult<Json<ProductList>> {
    let limit = page.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::invalid("limit", format!("limit {limit} is out of range: use 1 to 500")));
    }
    let all = s.store.tracked_products(user.id, false).await?;
    let total = all.len();
    let items = all.into_iter().skip(page.offset.unwrap_or(0) as usize).take(limit as usize).collect();
    Ok(Json(ProductList { total, items }))
}

/// What to track: `{"asin", "marketplace"}` or `{"url"}`, with optional thresholds.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TrackRequest {
    /// The ASIN (with `marketplace`, default `com`).
    pub asin: Option<String>,
    /// `com`, `co.uk`, `de`... of the ASIN (or, with a URL, checked against its host).
    pub marketplace: Option<String>,
    /// An Amazon product URL; the ASIN and marketplace are read from it.
    pub url: Option<String>,
    /// Alert when the price moves by at least this percent (0-100).
    pub price_change_threshold: Option<f64>,
    /// Alert when the best-sellers rank moves by at least this percent (0-100).
    pub bsr_change_threshold: Option<f64>,
    /// Alert when the price is at or below this.
    #[schema(value_type = Option<String>)]
    pub target_price: Option<Decimal>,
    /// Free notes.
    pub notes: Option<String>,
}

#[utoipa::path(post, path = "/products", request_body = TrackRequest, tag = "products",
    responses((status = 201, body = Object, description = "the tracking row and the product"),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn track_product(
    State(s): State<AppState>,
    Acting(user): Acting,
    Json(req): Json<TrackRequest>,
) -> ApiResult<impl IntoResponse> {
    let mp = req.marketplace.as_deref().map(str::parse::<Marketplace>).transpose()?;
    let (text, field) = match (&req.url, &req.asin) {
        (Some(_), Some(_)) => return Err(ApiError::invalid("url", "give either url or asin, not both")),
        (Some(u), None) => (u.as_str(), "url"),
        (None, Some(a)) => (a.as_str(), "asin"),
        (None, None) => return Err(ApiError::invalid("asin", "give asin (with marketplace) or url")),
    };
    let ProductRef { asin, marketplace } = ProductRef::parse(text, mp, Marketplace::Com).map_err(|e| {
        let mut err = ApiError::from(e);
        err.field = Some(field.to_owned());
        err
    })?;
    let mut options =
        TrackOptions::from_raw(req.price_change_threshold, req.bsr_change_threshold, req.target_price)?;
    options.notes = req.notes;
    let tracked = TrackService::new(s.store.clone())
        .track(&user.username, asin, marketplace, &options)
        .await
        .map_err(|e| match e {
            amazcope_core::ServiceError::Store(StoreError::Conflict { constraint, .. })
                if constraint == "uq_user_product" =>
            {
                ApiError::new(
                    StatusCode::CONFLICT,
                    "conflict",
                    format!("you already track {}", ProductRef::new(asin, marketplace)),
                )
            }
            e => e.into(),
        })?;
    Ok((StatusCode::CREATED, Json(tracked)))
}

/// The product id of the path, when the user tracks it (else 404, whoever's it is).
async fn tracked_product(
    s: &AppState,
    user: &amazcope_core::model::user::User,
    id: &str,
) -> ApiResult<ProductId> {
    let product: ProductId = parse_id("product", id)?;
    s.store.check_tracks(user.id, product).await?;
    Ok(product)
}

#[utoipa::path(get, path = "/products/{id}", tag = "products", params(("id" = String, Path, description = "product id")),
    responses((status = 200, body = Object, description = "tracking, product and latest snapshot"),
              (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn get_product(
    State(s): State<AppState>,
    Acting(user): Acting,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let product_id = tracked_product(&s, &user, &id).await?;
    let product = s.store.product(product_id).await?.ok_or_else(|| ApiError::not_found("product", &id))?;
    let tracking = s.store.tracking(user.id, product_id).await?;
    let latest = s.store.latest_snapshot(product_id).await?;
    Ok(Json(json!({ "product": product, "tracking": tracking, "latest_snapshot": latest })))
}

/// A field that is absent (leave alone), `null` (clear) or a value (set).
fn double<'de, T: Deserialize<'de>, D: Deserializer<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// Changes to the user's tracking of a product; an absent field is left alone, `null` clears.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductPatch {
    /// Percent 0-100, or null for the user's default.
    #[serde(default, deserialize_with = "double")]
    pub price_change_threshold: Option<Option<f64>>,
    /// Percent 0-100, or null for the user's default.
    #[serde(default, deserialize_with = "double")]
    pub bsr_change_threshold: Option<Option<f64>>,
    /// Target price, or null.
    #[serde(default, deserialize_with = "double")]
    #[schema(value_type = Option<String>)]
    pub target_price: Option<Option<Decimal>>,
    /// Notes, or null.
    #[serde(default, deserialize_with = "double")]
    pub notes: Option<Option<String>>,
}

#[utoipa::path(patch, path = "/products/{id}", tag = "products", request_body = ProductPatch,
    params(("id" = String, Path, description = "product id")),
    responses((status = 200, body = Object, description = "the tracking row"), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn patch_product(
    State(s): State<AppState>,
    Acting(user): Acting,
    Path(id): Path<String>,
    Json(req): Json<ProductPatch>,
) -> ApiResult<Json<Value>> {
    let product = tracked_product(&s, &user, &id).await?;
    let pct = |field: &'static str, v: Option<Option<f64>>| {
        v.map(|o| o.map(|x| Percent::new(field, x)).transpose()).transpose()
    };
    if let Some(Some(t)) = req.target_price
        && t.is_sign_negative()
    {
        return Err(ApiError::invalid("target_price", format!("target_price {t} must not be negative")));
    }
    let patch = TrackingPatch {
        price_change_threshold: pct("price_change_threshold", req.price_change_threshold)?,
        bsr_change_threshold: pct("bsr_change_threshold", req.bsr_change_threshold)?,
        target_price: req.target_price,
        notes: req.notes,
        is_active: None,
    };
    let row = s.store.update_tracking(user.id, product, &patch).await?;
    Ok(Json(json!(row)))
}

#[utoipa::path(delete, path = "/products/{id}", tag = "products", params(("id" = String, Path, description = "product id")),
    responses((status = 204, description = "no longer tracked; the history stays"), (status = 404, body = ErrorBody)))]
async fn untrack_product(
    State(s): State<AppState>,
    Acting(user): Acting,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let product = tracked_product(&s, &user, &id).await?;
    s.store.untrack(user.id, product).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/products/{id}/refresh", tag = "products", params(("id" = String, Path, description = "product id")),
    responses((status = 200, body = Object, description = "what the fetch stored"), (status = 404, body = ErrorBody),
              (status = 503, body = ErrorBody, description = "the service runs without a fetcher")))]
async fn refresh_product(
    State(s): State<AppState>,
    Acting(user): Acting,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let product_id = tracked_product(&s, &user, &id).await?;
    let Some(refresh) = &s.refresh else {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "this server fetches no pages (start it with --fetch or --base-url)",
        ));
    };
    let product = s.store.product(product_id).await?.ok_or_else(|| ApiError::not_found("product", &id))?;
    let item = refresh.refresh_one(&product).await?;
    Ok(Json(item))
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
) -> ApiResult<Json<Value>> {
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
        let history = s.store.snapshot_history(user.id, product, range).await?;
        return Ok(Json(json!({ "product_id": product, "resolution": "raw", "snapshots": history })));
    }
    let fields = parse_fields("price,bsr_main,rating,review_count,in_stock")
        .map_err(|e| ApiError::invalid("fields", e.to_string()))?;
    let report = s.store.product_trends(user.id, product, &fields, range, resolution).await?;
    Ok(Json(json!(report)))
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

// --- alerts and notifications --------------------------------------------------------------

/// Filter of the alert list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AlertParams {
    /// Only unread alerts.
    pub unread: Option<bool>,
    /// At most this many, newest first (1-1000, default 100).
    pub limit: Option<u32>,
}

#[utoipa::path(get, path = "/alerts", tag = "alerts", params(AlertParams),
    responses((status = 200, body = Object, description = "alerts newest first with their product's ASIN and title")))]
async fn list_alerts(
    State(s): State<AppState>,
    Acting(user): Acting,
    Query(q): Query<AlertParams>,
) -> ApiResult<Json<Value>> {
    let query = AlertQuery {
        unread_only: q.unread.unwrap_or(false),
        limit: Some(q.limit.unwrap_or(100).clamp(1, 1000)),
        ..AlertQuery::default()
    };
    Ok(Json(json!(s.store.alerts(user.id, &query).await?)))
}

#[utoipa::path(post, path = "/alerts/{id}/read", tag = "alerts", params(("id" = String, Path, description = "alert id")),
    responses((status = 200, body = Object), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn read_alert(
    State(s): State<AppState>,
    Acting(user): Acting,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let id: AlertId = parse_id("alert", &id)?;
    Ok(Json(json!(s.store.mark_alert_read(user.id, id).await?)))
}

/// How many rows a bulk change touched.
#[derive(Debug, Serialize, ToSchema)]
pub struct Changed {
    /// Rows changed.
    pub changed: u64,
}

#[utoipa::path(post, path = "/alerts/read-all", tag = "alerts", responses((status = 200, body = Changed)))]
async fn read_all_alerts(State(s): State<AppState>, Acting(user): Acting) -> ApiResult<Json<Changed>> {
    Ok(Json(Changed { changed: s.store.mark_all_alerts_read(user.id).await? }))
}

#[utoipa::path(get, path = "/notifications", tag = "notifications", params(AlertParams),
    responses((status = 200, body = Object, description = "notifications newest first")))]
async fn list_notifications(
    State(s): State<AppState>,
    Acting(user): Acting,
    Query(q): Query<AlertParams>,
) -> ApiResult<Json<Value>> {
    let list = s
        .store
        .notifications(user.id, q.unread.unwrap_or(false), q.limit.unwrap_or(100).clamp(1, 1000))
        .await?;
    Ok(Json(json!(list)))
}

#[utoipa::path(delete, path = "/notifications", tag = "notifications", responses((status = 200, body = Changed)))]
async fn delete_all_notifications(
    State(s): State<AppState>,
    Acting(user): Acting,
) -> ApiResult<Json<Changed>> {
    Ok(Json(Changed { changed: s.store.delete_all_notifications(user.id).await? }))
}

/// The unread count.
#[derive(Debug, Serialize, ToSchema)]
pub struct UnreadCount {
    /// Unread notifications.
    pub unread: u64,
}

#[utoipa::path(get, path = "/notifications/unread-count", tag = "notifications", responses((status = 200, body = UnreadCount)))]
async fn unread_notification_count(
    State(s): State<AppState>,
    Acting(user): Acting,
) -> ApiResult<Json<UnreadCount>> {
    let unread = s.store.notifications(user.id, true, u32::MAX).await?;
    Ok(Json(UnreadCount { unread: unread.len() as u64 }))
}

/// A change to a notification: only marking it read is possible.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NotificationPatch {
    /// Must be `true` (a read notification cannot be made unread).
    pub is_read: bool,
}

#[utoipa::path(patch, path = "/notifications/{id}", tag = "notifications", request_body = NotificationPatch,
    params(("id" = String, Path, description = "notification id")),
    responses((status = 200, body = Object), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn patch_notification(
    State(s): State<AppState>,
    Acting(user): Acting,
    Path(id): Path<String>,
    Json(req): Json<NotificationPatch>,
) -> ApiResult<Json<Value>> {
    let id: NotificationId = parse_id("notification", &id)?;
    if !req.is_read {
        return Err(ApiError::invalid("is_read", "a notification can only be marked read (is_read: true)"));
    }
    Ok(Json(json!(s.store.mark_notification_read(user.id, id).await?)))
}

#[utoipa::path(delete, path = "/notifications/{id}", tag = "notifications", params(("id" = String, Path, description = "notification id")),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn delete_notification(
    State(s): State<AppState>,
    Acting(user): Acting,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let id: NotificationId = parse_id("notification", &id)?;
    s.store.delete_notification(user.id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/notifications/read-all", tag = "notifications", responses((status = 200, body = Changed)))]
async fn read_all_notifications(State(s): State<AppState>, Acting(user): Acting) -> ApiResult<Json<Changed>> {
    Ok(Json(Changed { changed: s.store.mark_all_notifications_read(user.id).await? }))
}

// --- suggestions ---------------------------------------------------------------------------

/// Filters of the suggestion list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct SuggestionParams {
    /// `pending`, `approved`, `rejected`, `partially_approved`, `applied`, `expired`.
    pub status: Option<String>,
    /// `pricing`, `content`, `inventory`, ...
    pub category: Option<String>,
}

#[utoipa::path(get, path = "/suggestions", tag = "suggestions", params(SuggestionParams),
    responses((status = 200, body = Object, description = "suggestions by priority then newest"), (status = 422, body = ErrorBody)))]
async fn list_suggestions(
    State(s): State<AppState>,
    Acting(user): Acting,
    Query(q): Query<SuggestionParams>,
) -> ApiResult<Json<Value>> {
    let status: Option<SuggestionStatus> = q
        .status
        .as_deref()
        .map(str::parse)
        .transpose()
        .map_err(|e: amazcope_core::ValidationError| ApiError::from(e).field("status"))?;
    let category: Option<SuggestionCategory> = q
        .category
        .as_deref()
        .map(str::parse)
        .transpose()
        .map_err(|e: amazcope_core::ValidationError| ApiError::from(e).field("category"))?;
    let mut list = s.store.suggestions(user.id, status).await?;
    if let Some(c) = category {
        list.retain(|x| x.category == c);
    }
    Ok(Json(json!(list)))
}

#[utoipa::path(get, path = "/suggestions/stats", tag = "suggestions", responses((status = 200, body = Object, description = "counts by status, category and priority")))]
async fn suggestion_stats(State(s): State<AppState>, Acting(user): Acting) -> ApiResult<Json<Value>> {
    Ok(Json(json!(s.store.suggestion_stats(user.id).await?)))
}

#[utoipa::path(get, path = "/suggestions/{id}", tag = "suggestions", params(("id" = String, Path, description = "suggestion id")),
    responses((status = 200, body = Object, description = "the suggestion with its actions"), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn get_suggestion(
    State(s): State<AppState>,
    Acting(user): Acting,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let id: SuggestionId = parse_id("suggestion", &id)?;
    Ok(Json(json!(s.store.suggestion(user.id, id).await?)))
}

/// A review decision.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewRequest {
    /// `approved`, `rejected` or `partially_approved`.
    pub decision: String,
    /// With `partially_approved`: the actions approved (the rest are rejected).
    #[serde(default)]
    pub action_ids: Vec<String>,
}

/// A [`ReviewRequest`] as the library's decision.
pub fn decision(req: &ReviewRequest) -> Result<ReviewDecision, ApiError> {
    let ids = || -> Result<Vec<SuggestionActionId>, ApiError> {
        req.action_ids
            .iter()
            .map(|a| {
                a.trim().parse().map_err(|_| {
                    ApiError::invalid("action_ids", format!("bad action id {a:?}: expected a UUID"))
                })
            })
            .collect()
    };
    match req.decision.as_str() {
        "approved" | "approve" if req.action_ids.is_empty() => Ok(ReviewDecision::Approve),
        "rejected" | "reject" if req.action_ids.is_empty() => Ok(ReviewDecision::Reject),
        "approved" | "approve" | "rejected" | "reject" => {
            Err(ApiError::invalid("action_ids", "action_ids go with partially_approved only"))
        }
        "partially_approved" => {
            let approved = ids()?;
            if approved.is_empty() {
                return Err(ApiError::invalid(
                    "action_ids",
                    "partially_approved needs the approved action_ids",
                ));
            }
            Ok(ReviewDecision::Partial { approved })
        }
        other => Err(ApiError::invalid(
            "decision",
            format!("unknown decision {other:?}: use approved, rejected or partially_approved"),
        )),
    }
}

#[utoipa::path(post, path = "/suggestions/{id}/review", tag = "suggestions", request_body = ReviewRequest,
    params(("id" = String, Path, description = "suggestion id")),
    responses((status = 200, body = Object), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody, description = "not pending"), (status = 422, body = ErrorBody)))]
async fn review_suggestion(
    State(s): State<AppState>,
    Acting(user): Acting,
    Path(id): Path<String>,
    Json(req): Json<ReviewRequest>,
) -> ApiResult<Json<Value>> {
    let id: SuggestionId = parse_id("suggestion", &id)?;
    let decision = decision(&req)?;
    Ok(Json(json!(s.store.review_suggestion(user.id, id, &decision).await?)))
}

/// Which approved actions to apply.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplyRequest {
    /// Action ids; empty or absent applies every approved action.
    #[serde(default)]
    pub action_ids: Vec<String>,
}

#[utoipa::path(post, path = "/suggestions/{id}/apply", tag = "suggestions", request_body(content = ApplyRequest, description = "optional"),
    params(("id" = String, Path, description = "suggestion id")),
    responses((status = 200, body = Object), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn apply_suggestion(
    State(s): State<AppState>,
    Acting(user): Acting,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> ApiResult<Json<Value>> {
    let id: SuggestionId = parse_id("suggestion", &id)?;
    // The body is optional: none applies every approved action.
    let req: ApplyRequest = if body.iter().all(u8::is_ascii_whitespace) {
        ApplyRequest::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| ApiError::invalid("action_ids", format!("bad request body: {e}")))?
    };
    let actions = req
        .action_ids
        .iter()
        .map(|a| {
            a.trim()
                .parse()
                .map_err(|_| ApiError::invalid("action_ids", format!("bad action id {a:?}: expected a UUID")))
        })
        .collect::<Result<Vec<SuggestionActionId>, _>>()?;
    Ok(Json(json!(s.store.apply_suggestion(user.id, id, &actions).await?)))
}

// --- settings ------------------------------------------------------------------------------

#[utoipa::path(get, path = "/settings", tag = "settings", responses((status = 200, body = Object, description = "the settings, created with defaults on first read")))]
async fn get_settings(State(s): State<AppState>, Acting(user): Acting) -> ApiResult<Json<Value>> {
    Ok(Json(json!(s.store.settings(user.id).await?)))
}

#[utoipa::path(patch, path = "/settings", tag = "settings", request_body(content = Object, description = "any of the settings' fields; thresholds 0-100"),
    responses((status = 200, body = Object), (status = 422, body = ErrorBody)))]
async fn patch_settings(
    State(s): State<AppState>,
    Acting(user): Acting,
    Json(patch): Json<SettingsPatch>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(s.store.update_settings(user.id, &patch).await?)))
}

#[utoipa::path(post, path = "/settings/reset", tag = "settings", responses((status = 200, body = Object)))]
async fn reset_settings(State(s): State<AppState>, Acting(user): Acting) -> ApiResult<Json<Value>> {
    Ok(Json(json!(s.store.reset_settings(user.id).await?)))
}
