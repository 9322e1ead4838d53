//! The write of `notifications`: those of alerts ([`super::alerts::insert`] calls it for the
//! alerts it wrote) and the digests (`crate::delivery`), with their delivery rows
//! ([`super::deliveries`]), inside the caller's transaction.

use crate::columns::{self as width, clip};
use crate::error::{self, ErrCtx};
use amazcope_core::StoreResult;
use amazcope_core::model::notification::NewNotification;
use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

/// Inserts notifications, each with its time (`created_at`: for an alert's, the change's
/// time), in one statement (UNNEST of one array per column), then their delivery rows (the
/// outbox) in the same transaction. A digest of the same (user, type, period) already stored
/// is skipped (`uq_notifications_user_digest_period`: concurrent workers store it once); an
/// alert's notification is written once because its alert is. Text is cut to its column
/// first. Returns the ids written.
pub(crate) async fn insert(
    conn: &mut PgConnection,
    notes: &[(NewNotification, DateTime<Utc>)],
) -> StoreResult<Vec<Uuid>> {
    if notes.is_empty() {
        return Ok(Vec::new());
    }
    let user: Vec<Uuid> = notes.iter().map(|(n, _)| n.user_id.0).collect();
    let product: Vec<Option<Uuid>> = notes.iter().map(|(n, _)| n.product_id.map(|p| p.0)).collect();
    let alert: Vec<Option<Uuid>> = notes.iter().map(|(n, _)| n.alert_id.map(|a| a.0)).collect();
    let kind: Vec<&str> = notes.iter().map(|(n, _)| n.notification_type.as_str()).collect();
    let title: Vec<String> = notes.iter().map(|(n, _)| clip(&n.title, width::notifications::TITLE)).collect();
    let message: Vec<&str> = notes.iter().map(|(n, _)| n.message.as_str()).collect();
    let data: Vec<&serde_json::Value> = notes.iter().map(|(n, _)| &n.data).collect();
    let priority: Vec<&str> = notes.iter().map(|(n, _)| n.priority.as_str()).collect();
    let url: Vec<Option<String>> = notes
        .iter()
        .map(|(n, _)| n.action_url.as_deref().map(|u| clip(u, width::notifications::ACTION_URL)))
        .collect();
    let created: Vec<DateTime<Utc>> = notes.iter().map(|(_, at)| *at).collect();
    // language=PostgreSQL
    let sql = "INSERT INTO notifications (user_id, product_id, alert_id, notification_type, title,
                   message, data, priority, action_url, created_at)
               SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[],
                   $6::text[], $7::jsonb[], $8::text[], $9::text[], $10::timestamptz[])
               ON CONFLICT (user_id, notification_type, (data ->> 'period'))
                   WHERE notification_type IN ('daily_summary', 'weekly_report') AND data ? 'period'
                   DO NOTHING
               RETURNING id";
    let ids: Vec<Uuid> = sqlx::query_scalar(sql)
        .bind(&user)
        .bind(&product)
        .bind(&alert)
        .bind(&kind)
        .bind(&title)
        .bind(&message)
        .bind(&data)
        .bind(&priority)
        .bind(&url)
        .bind(&created)
        .fetch_all(&mut *conn)
        .await
        .map_err(|e| error::map(e, &ErrCtx::new().value("user_id", notes[0].0.user_id)))?;
    super::deliveries::enqueue(conn, &ids).await?;
    Ok(ids)
}
