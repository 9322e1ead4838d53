//! Who a request acts as: the user of its API token, sent as `Authorization: Bearer TOKEN`
//! or, for the dashboard, as the session cookie that `POST /login` sets. Either way the
//! handlers get a [`User`] and pass its id to the library, the same tenancy path as the CLI's
//! `--user`. Tokens are never logged: the trace layer records method and path only.

use super::AppState;
use super::error::ApiError;
use amazcope_core::model::user::User;
use axum::extract::FromRequestParts;
use axum::http::header::{AUTHORIZATION, COOKIE};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};

/// The session cookie's name; its value is the API token itself.
pub const SESSION_COOKIE: &str = "amazcope_session";

/// The token a request carries: the bearer header first, else the session cookie.
pub fn token_of(parts: &Parts) -> Option<String> {
    if let Some(v) = parts.headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok()) {
        let (scheme, token) = v.trim().split_once(' ')?;
        return scheme.eq_ignore_ascii_case("bearer").then(|| token.trim().to_owned());
    }
    parts
        .headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == SESSION_COOKIE)
        .map(|(_, v)| v.trim().to_owned())
}

/// The authenticated user of an API request; a missing or bad token is a JSON 401.
#[derive(Debug, Clone)]
pub struct Acting(pub User);

impl FromRequestParts<AppState> for Acting {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let token = token_of(parts).ok_or_else(ApiError::unauthorized)?;
        match state.store.user_by_api_token(&token).await? {
            Some(user) => Ok(Acting(user)),
            None => Err(ApiError::unauthorized()),
        }
    }
}

/// The authenticated user of a dashboard page; without one, the login page (401).
#[derive(Debug, Clone)]
pub struct Viewer(pub User);

/// The dashboard's answer to a request without a valid token: the login form.
#[derive(Debug)]
pub struct LoginRequired {
    had_token: bool,
}

impl IntoResponse for LoginRequired {
    fn into_response(self) -> Response {
        let note = self.had_token.then_some("That token is not valid (revoked, or mistyped).");
        (axum::http::StatusCode::UNAUTHORIZED, super::dashboard::login_page(note)).into_response()
    }
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let Some(token) = token_of(parts) else {
            return Err(LoginRequired { had_token: false }.into_response());
        };
        match state.store.user_by_api_token(&token).await {
            Ok(Some(user)) => Ok(Viewer(user)),
            Ok(None) => Err(LoginRequired { had_token: true }.into_response()),
            Err(e) => Err(ApiError::from(e).into_response()),
        }
    }
}
