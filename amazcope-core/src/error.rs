//! Errors of the domain: invalid values, storage outcomes, fetch outcomes and services.

use std::fmt;

/// A value that does not satisfy its domain rule, naming the field and the offending value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {field} {value:?}: {reason}")]
pub struct ValidationError {
    /// The field or value type that was checked (`asin`, `rating`, `price_change_threshold`).
    pub field: &'static str,
    /// The value as given, for the message.
    pub value: String,
    /// What rule it broke, lowercase without a trailing period.
    pub reason: String,
}

impl ValidationError {
    /// Builds a validation error for `field` holding `value`.
    pub fn new(field: &'static str, value: impl fmt::Display, reason: impl Into<String>) -> Self {
        Self { field, value: value.to_string(), reason: reason.into() }
    }
}

/// What a repository call can fail with. Backends map their own errors into these variants
/// (PostgreSQL by constraint name), so callers never see a driver type.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The entity does not exist, or it belongs to another user (never distinguishable, so
    /// that one tenant cannot probe another's ids).
    #[error("{entity} {id} not found")]
    NotFound {
        /// Entity kind (`product`, `alert`, `user`...).
        entity: &'static str,
        /// The key that was looked up.
        id: String,
    },
    /// A uniqueness rule was broken (`uq_product_asin_marketplace`, `uq_user_product`, ...).
    /// The message is the detail alone, in the user's words; the constraint is for `{:?}`.
    #[error("{detail}")]
    Conflict {
        /// The constraint that rejected the write.
        constraint: String,
        /// What collided, in words (`product B00TEST123 on amazon.com already exists`).
        detail: String,
    },
    /// A check or foreign-key rule rejected a value.
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    /// A state change that the entity's state machine does not allow.
    #[error("cannot {action} {entity} {id}: it is {state}")]
    InvalidTransition {
        /// Entity kind (`suggestion`, `suggestion action`).
        entity: &'static str,
        /// Its id.
        id: String,
        /// The attempted change (`approve`, `apply`).
        action: &'static str,
        /// The state it is in.
        state: String,
    },
    /// The backend failed for a reason that is not about the data (connection, I/O, bug).
    #[error("database error: {message}")]
    Backend {
        /// What the backend said.
        message: String,
        /// The backend's own error, kept for logging.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
}

/// The source of a [`StoreError::Backend`] when the database could not be reached or went
/// away mid-call (connection refused or reset, server shutting down or starting up): the
/// call may succeed if made again later, unlike a refusal such as a read-only database or a
/// full disk. Backends wrap their own error in it; [`StoreError::is_unavailable`] asks.
#[derive(Debug, thiserror::Error)]
#[error("the database is unreachable")]
pub struct Unavailable(#[source] pub Box<dyn std::error::Error + Send + Sync>);

impl StoreError {
    /// Whether the backend was unreachable (worth trying again after a pause), as opposed
    /// to a refusal that will not change by itself.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, StoreError::Backend { source: Some(s), .. } if s.is::<Unavailable>())
    }

    /// Shorthand for [`StoreError::NotFound`].
    pub fn not_found(entity: &'static str, id: impl fmt::Display) -> Self {
        Self::NotFound { entity, id: id.to_string() }
    }
}

/// Why a page could not be had from a [`crate::PageSource`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchFailure {
    /// Amazon answered with a robot check; the marketplace is backed off.
    #[error("captcha page from {url}")]
    Captcha {
        /// The URL that was asked for.
        url: String,
    },
    /// Amazon answered 429/503 until the retry budget ran out.
    #[error("throttled by {url} (HTTP {status}) after {attempts} attempts")]
    Throttled {
        /// The URL that was asked for.
        url: String,
        /// The last HTTP status.
        status: u16,
        /// How many requests were made.
        attempts: u32,
    },
    /// The product page does not exist (HTTP 404 or Amazon's "dogs" page).
    #[error("{url} not found")]
    NotFound {
        /// The URL that was asked for.
        url: String,
    },
    /// Every retry failed; `last` says how the last one did.
    #[error("gave up on {url} after {attempts} attempts: {last}")]
    GaveUp {
        /// The URL that was asked for.
        url: String,
        /// How many requests were made.
        attempts: u32,
        /// The last failure.
        last: String,
    },
    /// The request was cancelled by the caller.
    #[error("fetch of {url} cancelled")]
    Cancelled {
        /// The URL that was asked for.
        url: String,
    },
}

/// What a service (track, refresh, import, suggest) can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// Bad input from the caller.
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    /// Storage failed or refused.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The page could not be fetched.
    #[error(transparent)]
    Fetch(#[from] FetchFailure),
    /// The page was fetched or read but is not usable (`what` says why, `source` names the file or URL).
    #[error("unusable page {source_name}: {what}")]
    Page {
        /// The file or URL the page came from.
        source_name: String,
        /// What was wrong with it.
        what: String,
    },
}
