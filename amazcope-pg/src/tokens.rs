//! API tokens of a web service: made here (random, shown once), stored as a SHA-256 only,
//! and looked up by that hash on each request.
//!
//! A token is `amz_` and 64 hex digits from two random (v4) UUIDs, 244 bits from the
//! operating system's generator. Because it is random rather than chosen by a person, a plain
//! SHA-256 stands in for a password hash: nothing can be guessed from it, and the lookup is
//! one index probe.

use crate::PgStore;
use crate::error;
use crate::rows::UserRow;
use crate::write::api_tokens::{self, ApiTokenRow, COLUMNS};
use amazcope_core::model::token::{
    ApiToken, SHOWN_CHARS, TOKEN_PREFIX, looks_like_token, validate_token_name,
};
use amazcope_core::model::user::User;
use amazcope_core::{ApiTokenId, StoreResult, UserId};
use sha2::{Digest, Sha256};
use std::fmt;
use uuid::Uuid;

/// A token's secret, as made by [`PgStore::create_api_token`]. Its `Debug` hides it; only
/// [`TokenSecret::expose`] gives the text, for printing it once.
#[derive(Clone)]
pub struct TokenSecret(String);

impl TokenSecret {
    /// The token, to print once to the person who asked for it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for TokenSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenSecret(..)")
    }
}

fn hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

impl PgStore {
    /// Makes a token for `user` named `name`, stores its hash and returns the stored row with
    /// the secret, which is not kept anywhere.
    pub async fn create_api_token(&self, user: UserId, name: &str) -> StoreResult<(ApiToken, TokenSecret)> {
        let name = validate_token_name(name)?;
        let mut hex = String::with_capacity(64);
        for b in Uuid::new_v4().as_bytes().iter().chain(Uuid::new_v4().as_bytes()) {
            use std::fmt::Write;
            let _ = write!(hex, "{b:02x}");
        }
        let secret = format!("{TOKEN_PREFIX}{hex}");
        let prefix = &secret[..TOKEN_PREFIX.len() + SHOWN_CHARS];
        let mut conn = self.pool.acquire().await.map_err(error::db)?;
        let token = api_tokens::insert(&mut conn, user, &name, prefix, &hash(&secret)).await?;
        Ok((token, TokenSecret(secret)))
    }

    /// The user's tokens, newest first, revoked ones included (with `revoked_at`).
    pub async fn api_tokens(&self, user: UserId) -> StoreResult<Vec<ApiToken>> {
        // language=PostgreSQL
        let sql = format!("SELECT {COLUMNS} FROM api_tokens WHERE user_id = $1 ORDER BY created_at DESC, id");
        let rows: Vec<ApiTokenRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(user.0)
            .fetch_all(&self.pool)
            .await
            .map_err(error::db)?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// Revokes one of the user's tokens.
    pub async fn revoke_api_token(&self, user: UserId, id: ApiTokenId) -> StoreResult<ApiToken> {
        let mut conn = self.pool.acquire().await.map_err(error::db)?;
        api_tokens::revoke(&mut conn, user, id).await
    }

    /// The active user a token belongs to, when the token is one of ours, not revoked, and
    /// its user is active; `None` otherwise (the caller answers 401 without saying which).
    ///
    /// One query per request: the token and its user are read together. The token's
    /// `last_used_at` is written at most once a minute ([`api_tokens::touch`]), so a busy
    /// client costs no write per request.
    pub async fn user_by_api_token(&self, token: &str) -> StoreResult<Option<User>> {
        use sqlx::{FromRow, Row};
        if !looks_like_token(token) {
            return Ok(None);
        }
        // language=PostgreSQL
        let found = sqlx::query(
            "SELECT u.id, u.email, u.username, u.full_name, u.is_active, u.is_superuser, u.is_verified,
                    u.failed_login_attempts, u.account_locked_until, u.last_login_at, u.last_login_ip,
                    u.last_failed_login_at, u.created_at, u.updated_at,
                    t.id AS token_id,
                    t.last_used_at IS NULL OR t.last_used_at < now() - interval '1 minute' AS stale
             FROM api_tokens t
             JOIN users u ON u.id = t.user_id AND u.is_active
             WHERE t.token_hash = $1 AND t.revoked_at IS NULL",
        )
        .bind(&hash(token)[..])
        .fetch_optional(&self.pool)
        .await
        .map_err(error::db)?;
        let Some(row) = found else { return Ok(None) };
        let user: User = UserRow::from_row(&row).map_err(error::db)?.try_into()?;
        let (id, stale): (Uuid, bool) =
            (row.try_get("token_id").map_err(error::db)?, row.try_get("stale").map_err(error::db)?);
        if stale {
            let mut conn = self.pool.acquire().await.map_err(error::db)?;
            api_tokens::touch(&mut conn, id.into()).await?;
        }
        Ok(Some(user))
    }
}
