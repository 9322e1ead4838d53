//! The user's settings: read (created with defaults on first read), patch with validation,
//! reset. Delivery channels: [`super::channels`].

use super::ApiResult;
use crate::serve::AppState;
use crate::serve::auth::Acting;
use crate::serve::error::{ErrorBody, Json};
use amazcope_core::UserRepository;
use amazcope_core::model::user::SettingsPatch;
use axum::extract::State;
use serde_json::{Value, json};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The settings routes.
pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_settings, patch_settings)).routes(routes!(reset_settings))
}

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
