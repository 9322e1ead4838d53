//! Writes of `notification_channels`: add and remove (a channel's last success / last error
//! are noted by `write::deliveries::record`, with the delivery they come from).

use crate::error::{self, ErrCtx};
use amazcope_core::delivery::NewChannel;
use amazcope_core::{StoreError, StoreResult, UserId};
use sqlx::PgConnection;
use uuid::Uuid;

/// Inserts channels (already validated), returning their ids in order. One statement.
pub(crate) async fn insert(conn: &mut PgConnection, channels: &[NewChannel]) -> StoreResult<Vec<Uuid>> {
    if channels.is_empty() {
        return Ok(Vec::new());
    }
    let id: Vec<Uuid> = channels.iter().map(|_| Uuid::now_v7()).collect();
    let user: Vec<Uuid> = channels.iter().map(|c| c.user_id.0).collect();
    let kind: Vec<&str> = channels.iter().map(|c| c.kind.as_str()).collect();
    let target: Vec<&str> = channels.iter().map(|c| c.target.as_str()).collect();
    let format: Vec<Option<&str>> = channels.iter().map(|c| c.format.map(|f| f.as_str())).collect();
    let min: Vec<Option<&str>> = channels.iter().map(|c| c.min_priority.map(|p| p.as_str())).collect();
    // A text[] per row does not fit UNNEST (arrays of arrays must be rectangular): the types
    // travel as comma-joined text and are split back.
    let types: Vec<Option<String>> = channels
        .iter()
        .map(|c| c.types.as_ref().map(|t| t.iter().map(|t| t.as_str()).collect::<Vec<_>>().join(",")))
        .collect();
    let secret: Vec<Option<&str>> = channels.iter().map(|c| c.secret.as_deref()).collect();
    // language=PostgreSQL
    let sql = "INSERT INTO notification_channels (id, user_id, kind, target, format, min_priority,
                   notification_types, secret)
               SELECT u.id, u.user_id, u.kind, u.target, u.format, u.min_priority,
                   string_to_array(u.types, ','), u.secret
               FROM UNNEST($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[],
                   $7::text[], $8::text[]) AS u(id, user_id, kind, target, format, min_priority, types, secret)";
    sqlx::query(sql)
        .bind(&id)
        .bind(&user)
        .bind(&kind)
        .bind(&target)
        .bind(&format)
        .bind(&min)
        .bind(&types)
        .bind(&secret)
        .execute(&mut *conn)
        .await
        .map_err(|e| {
            let first = &channels[0];
            error::map(
                e,
                &ErrCtx::new().value("user_id", first.user_id).conflict(
                    "uq_notification_channels_user_kind_target",
                    format!(
                        "this user already has the {} channel {}",
                        first.kind,
                        amazcope_core::delivery::mask::url(&first.target)
                    ),
                ),
            )
        })?;
    Ok(id)
}

/// Removes a user's channel (its pending deliveries go with it).
pub(crate) async fn delete(conn: &mut PgConnection, user: UserId, id: Uuid) -> StoreResult<()> {
    let done = sqlx::query("DELETE FROM notification_channels WHERE id = $1 AND user_id = $2")
        .bind(id)
        .bind(user.0)
        .execute(&mut *conn)
        .await
        .map_err(error::db)?;
    if done.rows_affected() == 0 {
        return Err(StoreError::not_found("channel", id));
    }
    Ok(())
}
