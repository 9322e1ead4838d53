//! The user's delivery channels (issue 14): list, add (an e-mail address or a webhook URL
//! with its options), one, remove, send a test message. Answers show targets masked (passwords and tokens in a
//! URL as `***`) and whether a webhook has a signing secret (`has_secret`), never the secret.

use super::ApiResult;
use crate::serve::AppState;
use crate::serve::auth::Acting;
use crate::serve::error::{ApiError, ErrorBody, Json, parse_id};
use amazcope_core::delivery::{Channel, ChannelKind, Message, NewChannel, WebhookFormat};
use amazcope_core::model::enums::{NotificationPriority, NotificationType};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The channel routes.
pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_channels, add_channel))
        .routes(routes!(get_channel, remove_channel))
        .routes(routes!(test_channel))
}

/// A channel to add. Its `Debug` is [`NewChannel`]'s: target and secret masked.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChannelRequest {
    /// `email` or `webhook`.
    pub kind: String,
    /// The e-mail address, or the webhook's URL.
    pub target: String,
    /// Webhooks: the body's shape, `json` (default), `slack`, `discord` or `ntfy`.
    pub format: Option<String>,
    /// Deliver only notifications of at least this priority: `low`, `normal`, `high`, `urgent`.
    pub min_priority: Option<String>,
    /// Deliver only these notification types (`price_change`, `stock_change`...); all when
    /// absent.
    pub types: Option<Vec<String>>,
    /// Webhooks: the key of the `X-Amazcope-Signature` HMAC of each body. Never shown again.
    pub secret: Option<String>,
}

impl std::fmt::Debug for ChannelRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChannelRequest")
            .field("kind", &self.kind)
            .field("target", &amazcope_core::delivery::mask::url(&self.target))
            .field("format", &self.format)
            .field("min_priority", &self.min_priority)
            .field("types", &self.types)
            .field("secret", &self.secret.as_ref().map(|_| "***"))
            .finish()
    }
}

fn parse<T: std::str::FromStr<Err = amazcope_core::ValidationError>>(
    field: &str,
    text: &str,
) -> Result<T, ApiError> {
    text.parse::<T>().map_err(|e| ApiError::from(e).field(field))
}

#[utoipa::path(get, path = "/channels", tag = "channels",
    responses((status = 200, body = Vec<Object>, description = "the user's channels, oldest first, targets masked")))]
async fn list_channels(State(s): State<AppState>, Acting(user): Acting) -> ApiResult<Json<Vec<Channel>>> {
    Ok(Json(s.store.channels(user.id).await?))
}

#[utoipa::path(post, path = "/channels", request_body = ChannelRequest, tag = "channels",
    responses((status = 201, body = Object, description = "the channel, target masked"), (status = 422, body = ErrorBody)))]
async fn add_channel(
    State(s): State<AppState>,
    Acting(user): Acting,
    Json(req): Json<ChannelRequest>,
) -> ApiResult<(StatusCode, Json<Channel>)> {
    let types = req
        .types
        .map(|t| t.iter().map(|t| parse::<NotificationType>("types", t)).collect::<Result<Vec<_>, _>>())
        .transpose()?;
    let channel = NewChannel {
        user_id: user.id,
        kind: parse::<ChannelKind>("kind", &req.kind)?,
        target: req.target,
        format: req.format.as_deref().map(|f| parse::<WebhookFormat>("format", f)).transpose()?,
        min_priority: req
            .min_priority
            .as_deref()
            .map(|p| parse::<NotificationPriority>("min_priority", p))
            .transpose()?,
        types,
        secret: req.secret,
    };
    let added = s.store.add_channel(channel).await.map_err(|e| {
        let err = ApiError::from(e);
        // The library names the address or the URL by the channel's kind; the request
        // sends either as `target`.
        if matches!(err.field.as_deref(), Some("email" | "webhook URL")) { err.field("target") } else { err }
    })?;
    Ok((StatusCode::CREATED, Json(added)))
}

#[utoipa::path(get, path = "/channels/{id}", tag = "channels", params(("id" = String, Path, description = "channel id")),
    responses((status = 200, body = Object), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn get_channel(
    State(s): State<AppState>,
    Acting(user): Acting,
    Path(id): Path<String>,
) -> ApiResult<Json<Channel>> {
    let id: uuid::Uuid = parse_id("channel", &id)?;
    Ok(Json(s.store.channel(user.id, id).await?))
}

#[utoipa::path(delete, path = "/channels/{id}", tag = "channels", params(("id" = String, Path, description = "channel id")),
    responses((status = 204, description = "removed, with its pending deliveries"), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn remove_channel(
    State(s): State<AppState>,
    Acting(user): Acting,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let id: uuid::Uuid = parse_id("channel", &id)?;
    s.store.remove_channel(user.id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The outcome of a test message.
#[derive(Debug, Serialize, ToSchema)]
pub struct TestOutcome {
    /// Delivered.
    pub ok: bool,
    /// The webhook's HTTP status, or the SMTP reply code of a refusal.
    pub code: Option<u16>,
    /// Why it failed (passwords and tokens masked).
    pub error: Option<String>,
}

/// Sends a test message through one of the user's channels now, as `amazcope channels test`
/// does, with the service's mail settings (`AMAZCOPE_SMTP_URL`, `AMAZCOPE_MAIL_FROM`). The
/// answer is 200 whether the channel took it or not: `ok` says which.
#[utoipa::path(post, path = "/channels/{id}/test", tag = "channels", params(("id" = String, Path, description = "channel id")),
    responses((status = 200, body = TestOutcome), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody),
              (status = 503, body = ErrorBody, description = "the mail settings are not usable")))]
async fn test_channel(
    State(s): State<AppState>,
    Acting(user): Acting,
    Path(id): Path<String>,
) -> ApiResult<Json<TestOutcome>> {
    let id: uuid::Uuid = parse_id("channel", &id)?;
    let channel = s.store.channel(user.id, id).await?;
    let sender = amazcope_deliver::Sender::new(&amazcope_deliver::DeliveryConfig::from_env())
        .map_err(|e| ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", e.to_string()))?;
    let message = Message::channel_test(&user.username, uuid::Uuid::now_v7(), chrono::Utc::now());
    let report = sender.send(&channel, &message, uuid::Uuid::now_v7()).await;
    Ok(Json(TestOutcome { ok: report.ok, code: report.code, error: report.error }))
}
