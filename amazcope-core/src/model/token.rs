//! API tokens (`api_tokens`): how a web service knows which user a request acts as.
//!
//! Only a hash of a token is ever stored; [`ApiToken`] holds what may be shown again (its
//! name and first characters), never the token.

use crate::{ApiTokenId, UserId, ValidationError};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// How tokens start, so a leaked one is recognisable (secret scanners, logs).
pub const TOKEN_PREFIX: &str = "amz_";

/// How many characters of a token (after [`TOKEN_PREFIX`]) are kept to tell tokens apart.
pub const SHOWN_CHARS: usize = 8;

/// A stored token, without its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiToken {
    /// Its id (what `token revoke` takes).
    pub id: ApiTokenId,
    /// Whose token.
    pub user_id: UserId,
    /// The name given at creation (`laptop`, `ci`).
    pub name: String,
    /// The token's first characters (`amz_1a2b3c4d`), enough to recognise it.
    pub prefix: String,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When a request last used it (to the minute).
    pub last_used_at: Option<DateTime<Utc>>,
    /// When it was revoked; a revoked token authenticates nobody.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A token name: 1 to 100 characters, not blank.
pub fn validate_token_name(name: &str) -> Result<String, ValidationError> {
    let t = name.trim();
    if t.is_empty() {
        return Err(ValidationError::new("token name", name, "must not be blank"));
    }
    if t.chars().count() > 100 {
        return Err(ValidationError::new("token name", name, "must be at most 100 characters"));
    }
    Ok(t.to_owned())
}

/// Whether `text` has the shape of a token (prefix then 64 lowercase hex digits), checked
/// before any lookup so garbage never reaches the database.
pub fn looks_like_token(text: &str) -> bool {
    text.strip_prefix(TOKEN_PREFIX)
        .is_some_and(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
}
