//! Writes of `alerts` and `notifications`: an alert is stored with its notification, in one
//! statement, inside the caller's transaction.

use crate::columns::{self as width, clip};
use crate::error::{self, ErrCtx};
use crate::rows::{AlertRow, convert_all};
use amazcope_core::model::alert::{Alert, NewAlert};
use amazcope_core::model::notification::NewNotification;
use amazcope_core::rules::notification_for;
use amazcope_core::{AlertId, StoreResult};
use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

/// Inserts alerts and one notification each ([`notification_for`]) in one statement (UNNEST
/// of one array per column), skipping an alert of the same (user, snapshot, type) already
/// stored (`uq_alerts_user_snapshot_type`) together with its notification, and returns the
/// alert rows written. The alert ids are chosen here (UUIDv7) so the notifications can be
/// built before the insert. Text is cut to its varchar column first, so a long scraped title
/// never fails a batch. The one write of `alerts` and `notifications`: ingest runs it inside
/// its transaction, [`amazcope_core::AlertRepository::create_alerts`] in one of its own.
///
/// Every row is checked against `fk_alerts_snapshot_id`, a foreign key to the partitioned
/// `product_snapshots`. PostgreSQL runs that check as a cached query whose generic plan, over
/// every monthly partition, its plan cache judges dearer than a custom one, so by default it
/// plans the check afresh for each row: 200 to 400 µs a row, most of the insert's time. With
/// `plan_cache_mode = force_generic_plan` the check uses one plan that prunes partitions when
/// it runs. The statement sets it itself (the checks run at its end), local to the caller's
/// transaction and left so until it ends: in the refresh pipeline the alerts are the last
/// write of a batch's product pages (the whole transaction under it from the start is
/// slower: the set-wise statements before plan better with their arrays' sizes known).
pub(crate) async fn insert(conn: &mut PgConnection, alerts: &[NewAlert]) -> StoreResult<Vec<Alert>> {
    if alerts.is_empty() {
        return Ok(Vec::new());
    }
    let alerts: Vec<NewAlert> = alerts
        .iter()
        .map(|a| NewAlert {
            title: clip(&a.title, width::alerts::TITLE),
            old_value: a.old_value.as_deref().map(|v| clip(v, width::alerts::VALUE)),
            new_value: a.new_value.as_deref().map(|v| clip(v, width::alerts::VALUE)),
            ..a.clone()
        })
        .collect();
    let id: Vec<Uuid> = alerts.iter().map(|_| Uuid::now_v7()).collect();
    let user: Vec<Uuid> = alerts.iter().map(|a| a.user_id.0).collect();
    let product: Vec<Uuid> = alerts.iter().map(|a| a.product_id.0).collect();
    let snapshot: Vec<Option<Uuid>> = alerts.iter().map(|a| a.snapshot_id.map(|s| s.0)).collect();
    let snapshot_at: Vec<Option<DateTime<Utc>>> = alerts.iter().map(|a| a.snapshot_scraped_at).collect();
    let kind: Vec<&str> = alerts.iter().map(|a| a.alert_type.as_str()).collect();
    let severity: Vec<&str> = alerts.iter().map(|a| a.severity.as_str()).collect();
    let title: Vec<&str> = alerts.iter().map(|a| a.title.as_str()).collect();
    let message: Vec<&str> = alerts.iter().map(|a| a.message.as_str()).collect();
    let old: Vec<Option<&str>> = alerts.iter().map(|a| a.old_value.as_deref()).collect();
    let new: Vec<Option<&str>> = alerts.iter().map(|a| a.new_value.as_deref()).collect();
    let change: Vec<Option<f64>> = alerts.iter().map(|a| a.change_percentage).collect();
    let created: Vec<DateTime<Utc>> = alerts.iter().map(|a| a.created_at).collect();
    let notes: Vec<NewNotification> =
        id.iter().zip(&alerts).map(|(&id, a)| notification_for(AlertId(id), a)).collect();
    let n_user: Vec<Uuid> = notes.iter().map(|n| n.user_id.0).collect();
    let n_product: Vec<Option<Uuid>> = notes.iter().map(|n| n.product_id.map(|p| p.0)).collect();
    let n_kind: Vec<&str> = notes.iter().map(|n| n.notification_type.as_str()).collect();
    let n_title: Vec<String> = notes.iter().map(|n| clip(&n.title, width::notifications::TITLE)).collect();
    let n_message: Vec<&str> = notes.iter().map(|n| n.message.as_str()).collect();
    let n_data: Vec<&serde_json::Value> = notes.iter().map(|n| &n.data).collect();
    let n_priority: Vec<&str> = notes.iter().map(|n| n.priority.as_str()).collect();
    let n_url: Vec<Option<String>> = notes
        .iter()
        .map(|n| n.action_url.as_deref().map(|u| clip(u, width::notifications::ACTION_URL)))
        .collect();
    // created_at is the snapshot's time (when the change happened), for the alert and its
    // notification; notified_at is now: the notification is written by this same statement.
    // language=PostgreSQL
    let sql = "WITH generic AS (SELECT set_config('plan_cache_mode', 'force_generic_plan', true)),
               a AS (
                   INSERT INTO alerts (id, user_id, product_id, snapshot_id, snapshot_scraped_at,
                       alert_type, severity, title, message, old_value, new_value,
                       change_percentage, created_at, notified_at)
                   SELECT u.*, now()
                   FROM generic, UNNEST($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::timestamptz[],
                       $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[],
                       $12::float8[], $13::timestamptz[]) AS u
                   ON CONFLICT ON CONSTRAINT uq_alerts_user_snapshot_type DO NOTHING
                   RETURNING *),
               n AS (
                   INSERT INTO notifications (user_id, product_id, alert_id, notification_type,
                       title, message, data, priority, action_url, created_at)
                   SELECT n.user_id, n.product_id, a.id, n.kind, n.title, n.message, n.data,
                       n.priority, n.url, a.created_at
                   FROM UNNEST($1::uuid[], $14::uuid[], $15::uuid[], $16::text[], $17::text[],
                       $18::text[], $19::jsonb[], $20::text[], $21::text[])
                     AS n(alert_id, user_id, product_id, kind, title, message, data, priority, url)
                   JOIN a ON a.id = n.alert_id)
               SELECT * FROM a";
    let rows = sqlx::query_as::<_, AlertRow>(sql)
        .bind(&id)
        .bind(&user)
        .bind(&product)
        .bind(&snapshot)
        .bind(&snapshot_at)
        .bind(&kind)
        .bind(&severity)
        .bind(&title)
        .bind(&message)
        .bind(&old)
        .bind(&new)
        .bind(&change)
        .bind(&created)
        .bind(&n_user)
        .bind(&n_product)
        .bind(&n_kind)
        .bind(&n_title)
        .bind(&n_message)
        .bind(&n_data)
        .bind(&n_priority)
        .bind(&n_url)
        .fetch_all(&mut *conn)
        .await
        .map_err(|e| {
            let first = &alerts[0];
            error::map(
                e,
                &ErrCtx::new()
                    .value("user_id", first.user_id)
                    .value("product_id", first.product_id)
                    .opt_value("snapshot_id", first.snapshot_id),
            )
        })?;
    // The outbox: delivery rows for the notifications just written, in this transaction.
    let written: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    super::deliveries::enqueue_for_alerts(conn, &written).await?;
    convert_all(rows)
}

/// A digest notification to store (see [`insert_digests`]).
#[derive(Debug, Clone)]
pub(crate) struct NewDigest {
    pub(crate) user_id: Uuid,
    /// `daily_summary` or `weekly_report`.
    pub(crate) kind: &'static str,
    pub(crate) title: String,
    pub(crate) message: String,
    /// Holds `period` (the period's first day, `YYYY-MM-DD`), the key of
    /// `uq_notifications_user_digest_period`.
    pub(crate) data: serde_json::Value,
    pub(crate) created_at: DateTime<Utc>,
}

/// Inserts digest notifications (no alert, no product) in one statement, skipping a digest of
/// the same (user, kind, period) already stored (`uq_notifications_user_digest_period`, so
/// concurrent workers store it once), and adds the delivery rows of the ones written in the
/// same transaction. Returns how many were written. The write of `notifications` that do not
/// come from an alert ([`insert`] writes those that do).
pub(crate) async fn insert_digests(conn: &mut PgConnection, digests: &[NewDigest]) -> StoreResult<u64> {
    if digests.is_empty() {
        return Ok(0);
    }
    let user: Vec<Uuid> = digests.iter().map(|d| d.user_id).collect();
    let kind: Vec<&str> = digests.iter().map(|d| d.kind).collect();
    let title: Vec<String> = digests.iter().map(|d| clip(&d.title, width::notifications::TITLE)).collect();
    let message: Vec<&str> = digests.iter().map(|d| d.message.as_str()).collect();
    let data: Vec<&serde_json::Value> = digests.iter().map(|d| &d.data).collect();
    let created: Vec<DateTime<Utc>> = digests.iter().map(|d| d.created_at).collect();
    // Runtime SQL: an UNNEST batch.
    // language=PostgreSQL
    let sql = "INSERT INTO notifications (user_id, notification_type, title, message, data, priority,
                   created_at)
               SELECT u.user_id, u.kind, u.title, u.message, u.data, 'normal', u.created_at
               FROM UNNEST($1::uuid[], $2::text[], $3::text[], $4::text[], $5::jsonb[], $6::timestamptz[])
                 AS u(user_id, kind, title, message, data, created_at)
               ON CONFLICT (user_id, notification_type, (data ->> 'period'))
                   WHERE notification_type IN ('daily_summary', 'weekly_report') AND data ? 'period'
                   DO NOTHING
               RETURNING id";
    let ids: Vec<Uuid> = sqlx::query_scalar(sql)
        .bind(&user)
        .bind(&kind)
        .bind(&title)
        .bind(&message)
        .bind(&data)
        .bind(&created)
        .fetch_all(&mut *conn)
        .await
        .map_err(|e| error::map(e, &ErrCtx::new().value("user_id", digests[0].user_id)))?;
    super::deliveries::enqueue_for_notifications(conn, &ids).await?;
    Ok(u64::try_from(ids.len()).unwrap_or(u64::MAX))
}
