//! The JSON API under `/api/v1`: each handler reads the request, calls one library service
//! or repository method as the token's user, and answers with what it returned. The OpenAPI
//! document is generated from these handlers' `#[utoipa::path]` attributes.
//!
//! One module per concern, each with its routes:
//! - [`products`]: track, list, one product, change, untrack, refresh now;
//! - [`history`]: history, stats, summary, trends, compare;
//! - [`alerts`]: alerts and notifications;
//! - [`suggestions`]: list, stats, one, review, apply;
//! - [`settings`]: the user's settings;
//! - [`channels`]: where the user's alerts are delivered.

pub mod alerts;
pub mod channels;
pub mod history;
pub mod products;
pub mod settings;
pub mod suggestions;

use super::AppState;
use super::error::{ApiError, ErrorBody};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

pub use alerts::{AlertParams, Changed, NotificationPatch, UnreadCount};
pub use channels::ChannelRequest;
pub use history::{CompareParams, HistoryParams, TrendParams};
pub use products::{Page, ProductList, ProductPatch, TrackRequest};
pub use suggestions::{ApplyRequest, ReviewRequest, SuggestionParams, decision};

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
        .merge(products::routes())
        .merge(history::routes())
        .merge(alerts::routes())
        .merge(suggestions::routes())
        .merge(settings::routes())
        .merge(channels::routes())
}
