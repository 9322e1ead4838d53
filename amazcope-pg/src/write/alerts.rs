//! Writes of `alerts`: an alert is stored with its notification ([`super::notifications`])
//! inside the caller's transaction.

use crate::columns::{self as width, clip};
use crate::error::{self, ErrCtx};
use crate::rows::{AlertRow, convert_all};
use amazcope_core::model::alert::{Alert, NewAlert};
use amazcope_core::model::notification::NewNotification;
use amazcope_core::rules::notification_for;
use amazcope_core::{AlertId, StoreResult};
use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use std::collections::HashMap;
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
    // created_at is the snapshot's time (when the change happened), for the alert and its
    // notification; notified_at is now: the notification is written in this transaction.
    // language=PostgreSQL
    let sql = "WITH generic AS (SELECT set_config('plan_cache_mode', 'force_generic_plan', true))
               INSERT INTO alerts (id, user_id, product_id, snapshot_id, snapshot_scraped_at,
                   alert_type, severity, title, message, old_value, new_value,
                   change_percentage, created_at, notified_at)
               SELECT u.*, now()
               FROM generic, UNNEST($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::timestamptz[],
                   $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[],
                   $12::float8[], $13::timestamptz[]) AS u
               ON CONFLICT ON CONSTRAINT uq_alerts_user_snapshot_type DO NOTHING
               RETURNING *";
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
    // One notification per alert written (a skipped duplicate has its own already), with
    // their delivery rows, in this transaction.
    let by_id: HashMap<Uuid, &NewAlert> = id.iter().copied().zip(&alerts).collect();
    let notes: Vec<(NewNotification, DateTime<Utc>)> = rows
        .iter()
        .filter_map(|r| by_id.get(&r.id).map(|a| (notification_for(AlertId(r.id), a), a.created_at)))
        .collect();
    super::notifications::insert(conn, &notes).await?;
    convert_all(rows)
}
