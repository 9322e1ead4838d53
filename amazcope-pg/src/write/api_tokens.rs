//! Writes of `api_tokens`: a new token's row, its revocation and its last-use mark.
//!
//! Runtime SQL: three one-row statements over a table no query macro reads yet.

use crate::error::{self, ErrCtx};
use amazcope_core::model::token::ApiToken;
use amazcope_core::{ApiTokenId, StoreError, StoreResult, UserId};
use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

/// A row of `api_tokens` without its hash.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct ApiTokenRow {
    id: Uuid,
    user_id: Uuid,
    name: String,
    prefix: String,
    created_at: DateTime<Utc>,
    last_used_at: Option<DateTime<Utc>>,
    revoked_at: Option<DateTime<Utc>>,
}

impl From<ApiTokenRow> for ApiToken {
    fn from(r: ApiTokenRow) -> Self {
        ApiToken {
            id: r.id.into(),
            user_id: r.user_id.into(),
            name: r.name,
            prefix: r.prefix,
            created_at: r.created_at,
            last_used_at: r.last_used_at,
            revoked_at: r.revoked_at,
        }
    }
}

/// The columns of [`ApiTokenRow`], for `RETURNING` and `SELECT`.
pub(crate) const COLUMNS: &str = "id, user_id, name, prefix, created_at, last_used_at, revoked_at";

/// Stores a token's hash (never the token) for `user`.
pub(crate) async fn insert(
    conn: &mut PgConnection,
    user: UserId,
    name: &str,
    prefix: &str,
    hash: &[u8; 32],
) -> StoreResult<ApiToken> {
    // language=PostgreSQL
    let sql = format!(
        "INSERT INTO api_tokens (user_id, name, prefix, token_hash) VALUES ($1, $2, $3, $4) RETURNING {COLUMNS}"
    );
    let row: ApiTokenRow = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(user.0)
        .bind(name)
        .bind(prefix)
        .bind(&hash[..])
        .fetch_one(conn)
        .await
        .map_err(|e| error::map(e, &ErrCtx::new().value("user_id", user).value("name", name)))?;
    Ok(row.into())
}

/// Revokes one of `user`'s tokens (another user's, or a missing one, is
/// [`StoreError::NotFound`]); revoking twice keeps the first time.
pub(crate) async fn revoke(conn: &mut PgConnection, user: UserId, id: ApiTokenId) -> StoreResult<ApiToken> {
    // language=PostgreSQL
    let sql = format!(
        "UPDATE api_tokens SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1 AND user_id = $2 RETURNING {COLUMNS}"
    );
    let row: Option<ApiTokenRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id.0)
        .bind(user.0)
        .fetch_optional(conn)
        .await
        .map_err(error::db)?;
    row.map(Into::into).ok_or_else(|| StoreError::not_found("token", id))
}

/// Marks a token used now, at most once a minute (so a busy client does not write a row per
/// request).
pub(crate) async fn touch(conn: &mut PgConnection, id: ApiTokenId) -> StoreResult<()> {
    // language=PostgreSQL
    sqlx::query(
        "UPDATE api_tokens SET last_used_at = now()
         WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')",
    )
    .bind(id.0)
    .execute(conn)
    .await
    .map_err(error::db)?;
    Ok(())
}
