//! Suggestions: list (status and category filters), statistics, one with its actions, review
//! (approve, reject, partially approve with action ids) and apply.

use super::ApiResult;
use crate::serve::AppState;
use crate::serve::auth::Acting;
use crate::serve::error::{ApiError, ErrorBody, Json, Query, parse_id};
use amazcope_core::{
    ReviewDecision, SuggestionActionId, SuggestionCategory, SuggestionId, SuggestionRepository,
    SuggestionStatus,
};
use axum::extract::{Path, State};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The suggestion routes.
pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_suggestions))
        .routes(routes!(suggestion_stats))
        .routes(routes!(get_suggestion))
        .routes(routes!(review_suggestion))
        .routes(routes!(apply_suggestion))
}

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
