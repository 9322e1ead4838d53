//! Products: track (by ASIN or URL), list with the latest values, one product, change its
//! thresholds, untrack, and refresh now.

use super::ApiResult;
use crate::serve::AppState;
use crate::serve::auth::Acting;
use crate::serve::error::{ApiError, ErrorBody, Json, Query, parse_id};
use amazcope_core::model::enums::FetchStatus;
use amazcope_core::model::tracking::{TrackOptions, TrackedLatest, TrackingPatch};
use amazcope_core::service::{IngestOutcome, RefreshFailure, TrackService};
use amazcope_core::{
    Marketplace, Percent, ProductId, ProductRef, ProductRepository, SnapshotRepository, StoreError,
    TrackingRepository,
};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Value, json};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The product routes.
pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_products, track_product))
        .routes(routes!(get_product, patch_product, untrack_product))
        .routes(routes!(refresh_product))
}

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
    /// identity and latest values (price, BSR, rating, stock, last fetch; the listing's long
    /// text is in `GET /products/{id}`).
    #[schema(value_type = Vec<Object>)]
    pub items: Vec<TrackedLatest>,
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
    let (total, items) =
        s.store.tracked_products_page(user.id, false, limit, page.offset.unwrap_or(0)).await?;
    Ok(Json(ProductList { total: usize::try_from(total).unwrap_or(usize::MAX), items }))
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
    let ProductRef { asin, marketplace } =
        ProductRef::parse(text, mp, Marketplace::Com).map_err(|e| ApiError::from(e).field(field))?;
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
              (status = 502, body = ErrorBody, description = "the page could not be fetched or read: nothing stored"),
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
    let item = refresh.refresh_one(&product).await;
    match &item.result {
        // Nothing stored: the fetch failed (after the fetcher's retries), a captcha came
        // back, or the page could not be read. The product row records why.
        Ok(IngestOutcome::Recorded { status, .. }) if *status != FetchStatus::NotFound => {
            let why = s.store.product(product_id).await?.and_then(|p| p.last_fetch_error);
            Err(ApiError::new(
                StatusCode::BAD_GATEWAY,
                "fetch_failed",
                format!(
                    "refreshing {} failed ({status}): {}",
                    ProductRef::new(product.asin, product.marketplace),
                    why.as_deref().unwrap_or("no page was stored")
                ),
            ))
        }
        Err(RefreshFailure::Store { message }) => {
            // The store's text goes to the log, not to the client (as for every store error).
            tracing::error!(error = %message, product = %product_id, "refresh now: storing failed");
            Err(ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "the page was fetched but could not be stored; see the server log",
            ))
        }
        // Stored (or already stored); a page that is gone is an answer too (the product is
        // now marked unlisted), as is a stored page whose next refresh was not scheduled.
        _ => Ok(Json(json!(item))),
    }
}
