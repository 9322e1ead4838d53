//! The one error shape of the API: `{"error": {"code", "message", "field"}}` with the HTTP
//! status that says what kind of failure it is. Library errors map here by variant, so a
//! handler only writes `?`.

use amazcope_core::{ServiceError, StoreError, ValidationError};
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

/// An API error: status, stable code, message in the user's words, and the field at fault.
#[derive(Debug)]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// A stable machine code (`not_found`, `invalid`, `conflict`...).
    pub code: &'static str,
    /// What went wrong, for a person.
    pub message: String,
    /// The request field at fault, when one is.
    pub field: Option<String>,
}

/// The JSON body of every error answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// What went wrong.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable code: `unauthorized`, `not_found`, `invalid`, `conflict`, `bad_request`,
    /// `payload_too_large`, `unsupported_media_type`, `internal`, `unavailable`.
    pub code: String,
    /// What went wrong, in words.
    pub message: String,
    /// The request field at fault (`id`, `url`, `price_change_threshold`...), or null.
    pub field: Option<String>,
}

impl ApiError {
    /// An error with no field.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into(), field: None }
    }

    /// The same error naming `field`.
    pub fn field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    /// 401: no token, or one that authenticates nobody (never says which).
    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "missing or invalid API token: send `Authorization: Bearer TOKEN` (make one with `amazcope token create`)",
        )
    }

    /// 404 for an entity, whether missing or another user's.
    pub fn not_found(entity: &str, id: impl std::fmt::Display) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", format!("{entity} {id} not found"))
    }

    /// 422 for a bad value of `field`.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", message).field(field)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail { code: self.code.to_owned(), message: self.message, field: self.field },
        };
        let mut res = (self.status, axum::Json(body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            res.headers_mut().insert("www-authenticate", axum::http::HeaderValue::from_static("Bearer"));
        }
        res
    }
}

impl From<ValidationError> for ApiError {
    fn from(e: ValidationError) -> Self {
        ApiError::invalid(e.field, e.to_string())
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound { entity, id } => ApiError::not_found(entity, id),
            StoreError::Conflict { detail, .. } => ApiError::new(StatusCode::CONFLICT, "conflict", detail),
            StoreError::Invalid(v) => v.into(),
            e @ StoreError::InvalidTransition { .. } => {
                ApiError::new(StatusCode::CONFLICT, "conflict", e.to_string())
            }
            StoreError::Backend { message, .. } => {
                // The backend's text goes to the log (never tokens: none reach the store),
                // not to the client.
                tracing::error!(error = %message, "database error");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "internal error; see the server log",
                )
            }
        }
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::Invalid(v) => v.into(),
            ServiceError::Store(s) => s.into(),
            e @ ServiceError::Fetch(_) => {
                ApiError::new(StatusCode::BAD_GATEWAY, "fetch_failed", e.to_string())
            }
            e @ ServiceError::Page { .. } => {
                ApiError::new(StatusCode::BAD_GATEWAY, "unusable_page", e.to_string())
            }
        }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        let status = r.status();
        let code = match status {
            StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
            StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
            StatusCode::UNPROCESSABLE_ENTITY => "invalid",
            _ => "bad_request",
        };
        // serde's text names the field (`unknown field "x"`, `missing field "asin"`).
        let field = field_of(&r.body_text());
        ApiError { status, code, message: r.body_text(), field }
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> Self {
        let text = r.body_text();
        ApiError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "invalid",
            field: field_of(&text),
            message: text,
        }
    }
}

impl From<PathRejection> for ApiError {
    fn from(r: PathRejection) -> Self {
        ApiError::invalid("id", r.body_text())
    }
}

/// The field a serde message names: `` `x` `` or `"x"` after `field`.
fn field_of(text: &str) -> Option<String> {
    let at = text.find("field ")? + "field ".len();
    let rest = &text[at..];
    let quote = rest.chars().next().filter(|c| matches!(c, '`' | '"'))?;
    let rest = &rest[1..];
    rest.find(quote).map(|end| rest[..end].to_owned())
}

/// `Json` whose rejections answer in [`ErrorBody`] form.
#[derive(Debug, axum::extract::FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct Json<T>(pub T);

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// `Query` whose rejections answer in [`ErrorBody`] form.
#[derive(Debug, axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct Query<T>(pub T);

/// An id from the path, parsed here so a malformed one is a 422 naming `id`.
pub fn parse_id<T: std::str::FromStr>(what: &str, text: &str) -> Result<T, ApiError> {
    text.trim()
        .parse()
        .map_err(|_| ApiError::invalid("id", format!("bad {what} id {text:?}: expected a UUID")))
}
