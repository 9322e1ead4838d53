//! Alerts (unread filter, mark one or all read) and notifications (unread count, mark read,
//! delete one or all).

use super::ApiResult;
use crate::serve::AppState;
use crate::serve::auth::Acting;
use crate::serve::error::{ApiError, ErrorBody, Json, Query, parse_id};
use amazcope_core::model::alert::AlertQuery;
use amazcope_core::{AlertId, AlertRepository, NotificationId, NotificationRepository};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The alert and notification routes.
pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_alerts))
        .routes(routes!(read_alert))
        .routes(routes!(read_all_alerts))
        .routes(routes!(list_notifications, delete_all_notifications))
        .routes(routes!(unread_notification_count))
        .routes(routes!(patch_notification, delete_notification))
        .routes(routes!(read_all_notifications))
}

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
