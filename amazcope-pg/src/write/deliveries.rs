//! Writes of `notification_deliveries`, the transactional outbox of issue 14: rows are
//! added beside their notifications (in the same transaction, by [`enqueue`],
//! which `write::notifications::insert` calls), claimed by workers with a lease
//! (`crate::delivery`) and closed by [`record`], which also notes the outcome on the
//! channel and, for e-mail, on the notification (`email_sent`, `email_sent_at`,
//! `email_error`).

use crate::error::{self, db};
use amazcope_core::StoreResult;
use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

/// Adds one pending delivery per (notification of `ids`, channel of its user that takes it),
/// in one statement; a digest (`daily_summary`, `weekly_report`) goes to e-mail channels only,
/// when `email_notifications_enabled` and its own switch (`daily_summary_emails` /
/// `weekly_report_emails`, off by default) are on. What gets a row:
/// - the channel is active and its filters take the notification (minimum priority,
///   notification types);
/// - e-mail channels only when the user's `email_notifications_enabled` is on, and for
///   price / BSR / stock notifications only when `price_alert_emails` / `bsr_alert_emails` /
///   `stock_alert_emails` is (a user without a settings row has the defaults: on).
///
/// Due at the notification's time (the change's time), so a simulated clock (`deliver
/// --now T`) sends what happened before T. Writing the same notifications twice adds
/// nothing (`uq_notification_deliveries_notification_channel`).
pub(crate) async fn enqueue(conn: &mut PgConnection, ids: &[Uuid]) -> StoreResult<u64> {
    if ids.is_empty() {
        return Ok(0);
    }
    // language=PostgreSQL
    let sql = "INSERT INTO notification_deliveries (user_id, notification_id, channel_id, next_attempt_at)
               SELECT n.user_id, n.id, c.id, n.created_at
               FROM notifications n
               JOIN notification_channels c ON c.user_id = n.user_id AND c.is_active
               LEFT JOIN user_settings s ON s.user_id = n.user_id
               WHERE n.id = ANY($1)
                 AND (n.notification_type NOT IN ('daily_summary', 'weekly_report') OR c.kind = 'email')
                 AND (c.min_priority IS NULL
                      OR array_position(ARRAY['low','normal','high','urgent'], n.priority::text)
                         >= array_position(ARRAY['low','normal','high','urgent'], c.min_priority::text))
                 AND (c.notification_types IS NULL OR n.notification_type = ANY(c.notification_types))
                 AND (c.kind <> 'email' OR (
                      COALESCE(s.email_notifications_enabled, true)
                      AND CASE n.notification_type
                          WHEN 'price_change' THEN COALESCE(s.price_alert_emails, true)
                          WHEN 'bsr_change' THEN COALESCE(s.bsr_alert_emails, true)
                          WHEN 'stock_change' THEN COALESCE(s.stock_alert_emails, true)
                          WHEN 'daily_summary' THEN COALESCE(s.daily_summary_emails, false)
                          WHEN 'weekly_report' THEN COALESCE(s.weekly_report_emails, false)
                          ELSE true END))
               ON CONFLICT ON CONSTRAINT uq_notification_deliveries_notification_channel DO NOTHING";
    let done = sqlx::query(sql).bind(ids).execute(&mut *conn).await.map_err(db)?;
    Ok(done.rows_affected())
}

/// One attempt's outcome, to record.
#[derive(Debug, Clone)]
pub(crate) struct Outcome {
    pub(crate) id: Uuid,
    pub(crate) sent: bool,
    pub(crate) dead: bool,
    pub(crate) code: Option<i32>,
    pub(crate) error: Option<String>,
    pub(crate) next_attempt_at: Option<DateTime<Utc>>,
}

/// Records attempts made by `worker` at `now`, set-wise: only rows this worker still leases
/// change (a worker whose lease ran out and was taken over records nothing). Sent rows get
/// `sent_at`; failed ones their next attempt or `dead`; the channel its last success or last
/// error; an e-mail notification its `email_*` columns. Returns how many rows were recorded.
pub(crate) async fn record(
    conn: &mut PgConnection,
    worker: &str,
    now: DateTime<Utc>,
    outcomes: &[Outcome],
) -> StoreResult<u64> {
    if outcomes.is_empty() {
        return Ok(0);
    }
    let id: Vec<Uuid> = outcomes.iter().map(|o| o.id).collect();
    let sent: Vec<bool> = outcomes.iter().map(|o| o.sent).collect();
    let dead: Vec<bool> = outcomes.iter().map(|o| o.dead).collect();
    let code: Vec<Option<i32>> = outcomes.iter().map(|o| o.code).collect();
    let err: Vec<Option<&str>> = outcomes.iter().map(|o| o.error.as_deref()).collect();
    let next: Vec<Option<DateTime<Utc>>> = outcomes.iter().map(|o| o.next_attempt_at).collect();
    // language=PostgreSQL
    let sql = "WITH o AS (
                   SELECT * FROM UNNEST($1::uuid[], $2::bool[], $3::bool[], $4::int[], $5::text[],
                       $6::timestamptz[]) AS o(id, sent, dead, code, err, next_at)),
               d AS (
                   UPDATE notification_deliveries d SET
                       status = CASE WHEN o.sent THEN 'sent' WHEN o.dead THEN 'dead' ELSE 'failed' END,
                       attempts = d.attempts + 1,
                       sent_at = CASE WHEN o.sent THEN $8 END,
                       next_attempt_at = COALESCE(o.next_at, d.next_attempt_at),
                       response_code = o.code,
                       last_error = o.err,
                       lease_owner = NULL, lease_expires_at = NULL, updated_at = now()
                   FROM o
                   WHERE d.id = o.id AND d.lease_owner = $7 AND d.status IN ('pending', 'failed')
                   RETURNING d.notification_id, d.channel_id, o.sent, o.err),
               c AS (
                   UPDATE notification_channels c SET
                       last_success_at = CASE WHEN x.ok THEN $8 ELSE c.last_success_at END,
                       last_error = CASE WHEN x.ok THEN c.last_error ELSE x.err END,
                       last_error_at = CASE WHEN x.ok THEN c.last_error_at ELSE $8 END,
                       updated_at = now()
                   FROM (SELECT DISTINCT ON (channel_id) channel_id, sent AS ok, err
                         FROM d ORDER BY channel_id, sent) x
                   WHERE c.id = x.channel_id),
               n AS (
                   UPDATE notifications n SET
                       email_sent = n.email_sent OR d.sent,
                       email_sent_at = CASE WHEN d.sent THEN $8 ELSE n.email_sent_at END,
                       email_error = CASE WHEN d.sent THEN NULL ELSE d.err END,
                       updated_at = now()
                   FROM d JOIN notification_channels ch ON ch.id = d.channel_id AND ch.kind = 'email'
                   WHERE n.id = d.notification_id)
               SELECT count(*) FROM d";
    let (count,): (i64,) = sqlx::query_as(sql)
        .bind(&id)
        .bind(&sent)
        .bind(&dead)
        .bind(&code)
        .bind(&err)
        .bind(&next)
        .bind(worker)
        .bind(now)
        .fetch_one(&mut *conn)
        .await
        .map_err(|e| error::map(e, &error::ErrCtx::new()))?;
    Ok(u64::try_from(count).unwrap_or(0))
}
