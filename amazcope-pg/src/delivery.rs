//! The delivery outbox on [`PgStore`] (issue 14): channels, the claim of due deliveries
//! (`FOR UPDATE SKIP LOCKED` and a lease, as the refresh queue in [`crate::queue`]), the
//! record of attempts and the delivery log. Every read and change is scoped to the acting
//! user; the claim is the one cross-user read (workers deliver everyone's rows).
//!
//! Runtime SQL: the claim returns a join flattened into a row type; the rest is kept beside
//! it for one style (the writes are in `write::channels` and `write::deliveries`).

use crate::PgStore;
use crate::columns::clip;
use crate::error::db;
use crate::write;
use amazcope_core::delivery::digest::DigestKind;
use amazcope_core::delivery::{
    AttemptOutcome, Channel, ChannelKind, ClaimedDelivery, DeliveryLogEntry, Message, MessageAlert,
    MessageProduct, NewChannel,
};
use amazcope_core::model::enums::{NotificationPriority, NotificationType};
use amazcope_core::model::notification::NewNotification;
use amazcope_core::{Asin, Marketplace, StoreError, StoreResult, UserId};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use uuid::Uuid;

#[derive(sqlx::FromRow)]
struct ChannelRow {
    id: Uuid,
    user_id: Uuid,
    kind: String,
    target: String,
    format: Option<String>,
    min_priority: Option<String>,
    notification_types: Option<Vec<String>>,
    secret: Option<String>,
    is_active: bool,
    last_success_at: Option<DateTime<Utc>>,
    last_error: Option<String>,
    created_at: DateTime<Utc>,
}

impl TryFrom<ChannelRow> for Channel {
    type Error = StoreError;
    fn try_from(r: ChannelRow) -> StoreResult<Self> {
        Ok(Channel {
            id: r.id,
            user_id: UserId(r.user_id),
            kind: r.kind.parse()?,
            target: r.target,
            format: r.format.map(|f| f.parse()).transpose()?,
            min_priority: r.min_priority.map(|p| p.parse()).transpose()?,
            types: r
                .notification_types
                .map(|t| t.iter().map(|t| t.parse::<NotificationType>()).collect::<Result<Vec<_>, _>>())
                .transpose()?,
            secret: r.secret,
            is_active: r.is_active,
            last_success_at: r.last_success_at,
            last_error: r.last_error,
            created_at: r.created_at,
        })
    }
}

/// The columns of [`ChannelRow`] (a macro: `concat!` takes only literals).
macro_rules! channel_columns {
    () => {
        "c.id, c.user_id, c.kind, c.target, c.format, c.min_priority, c.notification_types, \
         c.secret, c.is_active, c.last_success_at, c.last_error, c.created_at"
    };
}

#[derive(sqlx::FromRow)]
struct ClaimRow {
    delivery_id: Uuid,
    attempts: i32,
    #[sqlx(flatten)]
    channel: ChannelRow,
    notification_id: Uuid,
    notification_type: String,
    priority: String,
    n_title: String,
    n_message: String,
    n_created_at: DateTime<Utc>,
    asin: Option<String>,
    marketplace: Option<String>,
    product_title: Option<String>,
    alert_type: Option<String>,
    old_value: Option<String>,
    new_value: Option<String>,
    change_percentage: Option<f64>,
}

impl TryFrom<ClaimRow> for ClaimedDelivery {
    type Error = StoreError;
    fn try_from(r: ClaimRow) -> StoreResult<Self> {
        let product = match (r.asin, r.marketplace) {
            (Some(asin), Some(mp)) => {
                let asin: Asin = asin.parse()?;
                let marketplace: Marketplace = mp.parse()?;
                Some(MessageProduct {
                    url: marketplace.product_url(&asin),
                    asin: asin.to_string(),
                    marketplace,
                    title: r.product_title,
                })
            }
            _ => None,
        };
        let alert = match r.alert_type {
            Some(t) => Some(MessageAlert {
                alert_type: t.parse()?,
                old: r.old_value,
                new: r.new_value,
                change_percent: r.change_percentage,
            }),
            None => None,
        };
        Ok(ClaimedDelivery {
            id: r.delivery_id,
            attempts: u32::try_from(r.attempts).unwrap_or(0),
            channel: r.channel.try_into()?,
            message: Message {
                notification_id: r.notification_id,
                notification_type: r.notification_type.parse()?,
                priority: r.priority.parse()?,
                title: r.n_title,
                message: r.n_message,
                product,
                alert,
                created_at: r.n_created_at,
            },
        })
    }
}

/// What a claim asks for.
#[derive(Debug, Clone)]
pub struct DeliveryClaim {
    /// Rows due at or before this time are claimed (also the lease's start).
    pub now: DateTime<Utc>,
    /// At most this many rows.
    pub limit: u32,
    /// Who claims (lease owner).
    pub worker_id: String,
    /// How long the claim holds before another worker may take the rows over.
    pub lease: Duration,
}

/// A digest whose period has ended and that is not stored yet (see
/// [`PgStore::digests_due`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueDigest {
    /// Whose.
    pub user_id: UserId,
    /// Daily or weekly.
    pub kind: DigestKind,
    /// The period's first day (UTC).
    pub period: NaiveDate,
    /// The period's end (exclusive): the report's `until`.
    pub period_end: DateTime<Utc>,
}

/// A digest to store (see [`PgStore::enqueue_digests`]).
#[derive(Debug, Clone)]
pub struct DigestNotification {
    /// Whose.
    pub user_id: UserId,
    /// Daily or weekly.
    pub kind: DigestKind,
    /// The period's first day (UTC): with the user and kind, the digest's unique key.
    pub period: NaiveDate,
    /// The notification's title (the e-mail subject).
    pub title: String,
    /// The report as text (the message).
    pub message: String,
    /// The report as JSON (kept in the notification's `data` under `report`).
    pub report: serde_json::Value,
    /// The notification's time: the period's end.
    pub created_at: DateTime<Utc>,
}

/// One attempt to record.
#[derive(Debug, Clone)]
pub struct Attempt {
    /// The delivery.
    pub id: Uuid,
    /// How it ended.
    pub outcome: AttemptOutcome,
}

impl PgStore {
    /// Adds a channel for its user after [`NewChannel::validate`].
    pub async fn add_channel(&self, channel: NewChannel) -> StoreResult<Channel> {
        let channel = channel.validate()?;
        let user = channel.user_id;
        let mut tx = self.user_tx(user).await?;
        let ids = write::channels::insert(&mut tx, std::slice::from_ref(&channel)).await?;
        tx.commit().await.map_err(db)?;
        self.channel(user, ids[0]).await
    }

    /// A user's channels, oldest first.
    pub async fn channels(&self, user: UserId) -> StoreResult<Vec<Channel>> {
        let sql = concat!(
            "SELECT ",
            channel_columns!(),
            " FROM notification_channels c WHERE c.user_id = $1 ORDER BY c.created_at, c.id"
        );
        let mut tx = self.user_tx(user).await?;
        let rows: Vec<ChannelRow> = sqlx::query_as(sql).bind(user.0).fetch_all(&mut *tx).await.map_err(db)?;
        tx.commit().await.map_err(db)?;
        rows.into_iter().map(Channel::try_from).collect()
    }

    /// One of a user's channels (another user's is "not found").
    pub async fn channel(&self, user: UserId, id: Uuid) -> StoreResult<Channel> {
        let sql = concat!(
            "SELECT ",
            channel_columns!(),
            " FROM notification_channels c WHERE c.id = $1 AND c.user_id = $2"
        );
        let mut tx = self.user_tx(user).await?;
        let row: Option<ChannelRow> =
            sqlx::query_as(sql).bind(id).bind(user.0).fetch_optional(&mut *tx).await.map_err(db)?;
        tx.commit().await.map_err(db)?;
        row.ok_or_else(|| StoreError::not_found("channel", id))?.try_into()
    }

    /// Removes one of a user's channels.
    pub async fn remove_channel(&self, user: UserId, id: Uuid) -> StoreResult<()> {
        let mut tx = self.user_tx(user).await?;
        write::channels::delete(&mut tx, user, id).await?;
        tx.commit().await.map_err(db).map(|_| ())
    }

    /// Claims up to `limit` deliveries due at `now` (pending, or failed with their retry
    /// time come) whose lease is free or ran out, for `worker_id` until `now + lease`.
    /// `FOR UPDATE SKIP LOCKED`: concurrent workers claim disjoint rows.
    pub async fn claim_deliveries(&self, claim: &DeliveryClaim) -> StoreResult<Vec<ClaimedDelivery>> {
        // language=PostgreSQL
        let sql = concat!(
            "WITH due AS (
                 SELECT d.id FROM notification_deliveries d
                 WHERE d.status IN ('pending', 'failed') AND d.next_attempt_at <= $1
                   AND (d.lease_expires_at IS NULL OR d.lease_expires_at <= $1)
                 ORDER BY d.next_attempt_at, d.id
                 LIMIT $2
                 FOR UPDATE OF d SKIP LOCKED),
             claimed AS (
                 UPDATE notification_deliveries d SET lease_owner = $3, lease_expires_at = $4
                 FROM due WHERE d.id = due.id
                 RETURNING d.id, d.attempts, d.channel_id, d.notification_id)
             SELECT claimed.id AS delivery_id, claimed.attempts, ",
            channel_columns!(),
            ", n.id AS notification_id, n.notification_type, n.priority, n.title AS n_title,
                 n.message AS n_message, n.created_at AS n_created_at,
                 p.asin, p.marketplace, p.title AS product_title,
                 a.alert_type, a.old_value, a.new_value, a.change_percentage
             FROM claimed
             JOIN notification_channels c ON c.id = claimed.channel_id
             JOIN notifications n ON n.id = claimed.notification_id
             LEFT JOIN products p ON p.id = n.product_id
             LEFT JOIN alerts a ON a.id = n.alert_id
             ORDER BY n.created_at, claimed.id"
        );
        // The cross-user path (row-level security): a worker delivers every user's rows.
        let mut tx = self.service_tx().await?;
        let rows: Vec<ClaimRow> = sqlx::query_as(sql)
            .bind(claim.now)
            .bind(i64::from(claim.limit.max(1)))
            .bind(clip(&claim.worker_id, 100))
            .bind(claim.now + claim.lease)
            .fetch_all(&mut *tx)
            .await
            .map_err(db)?;
        tx.commit().await.map_err(db)?;
        rows.into_iter().map(ClaimedDelivery::try_from).collect()
    }

    /// Records attempts made by `worker_id` at `now`, in one transaction; rows whose lease
    /// this worker no longer holds are left alone. Returns how many were recorded.
    pub async fn record_attempts(
        &self,
        worker_id: &str,
        now: DateTime<Utc>,
        attempts: &[Attempt],
    ) -> StoreResult<u64> {
        let outcomes: Vec<write::deliveries::Outcome> = attempts
            .iter()
            .map(|a| match &a.outcome {
                AttemptOutcome::Sent { code } => write::deliveries::Outcome {
                    id: a.id,
                    sent: true,
                    dead: false,
                    code: code.map(i32::from),
                    error: None,
                    next_attempt_at: None,
                },
                AttemptOutcome::Failed { code, error, retry_at } => write::deliveries::Outcome {
                    id: a.id,
                    sent: false,
                    dead: retry_at.is_none(),
                    code: code.map(i32::from),
                    error: Some(error.clone()),
                    next_attempt_at: *retry_at,
                },
            })
            .collect();
        // The cross-user path: the attempts are of every user's rows.
        let mut tx = self.service_tx().await?;
        let n = write::deliveries::record(&mut tx, &clip(worker_id, 100), now, &outcomes).await?;
        tx.commit().await.map_err(db)?;
        Ok(n)
    }

    /// The digests due at `now`: for each kind, the last whole period before `now`
    /// ([`DigestKind::last_period`]) of every user whose `email_notifications_enabled` and
    /// `daily_summary_emails` / `weekly_report_emails` are on, who has an active e-mail channel
    /// that takes it (its type filter, a minimum priority of at most `normal`), and whose
    /// digest of that period is not stored yet. The cross-user path: a worker enqueues
    /// everyone's digests. Earlier periods missed while nothing ran are not caught up.
    pub async fn digests_due(&self, now: DateTime<Utc>) -> StoreResult<Vec<DueDigest>> {
        let (day, day_end) = DigestKind::Daily.last_period(now);
        let (week, week_end) = DigestKind::Weekly.last_period(now);
        // language=PostgreSQL
        let sql = "SELECT s.user_id, k.kind
                   FROM user_settings s
                   CROSS JOIN (VALUES ('daily_summary', $1::text), ('weekly_report', $2::text))
                     AS k(kind, period)
                   WHERE s.email_notifications_enabled
                     AND CASE k.kind WHEN 'daily_summary' THEN s.daily_summary_emails
                                     ELSE s.weekly_report_emails END
                     AND EXISTS (
                         SELECT 1 FROM notification_channels c
                         WHERE c.user_id = s.user_id AND c.is_active AND c.kind = 'email'
                           AND (c.notification_types IS NULL OR k.kind = ANY(c.notification_types))
                           AND (c.min_priority IS NULL OR c.min_priority IN ('low', 'normal')))
                     AND NOT EXISTS (
                         SELECT 1 FROM notifications n
                         WHERE n.user_id = s.user_id AND n.notification_type = k.kind
                           AND n.data ? 'period' AND n.data ->> 'period' = k.period)
                   ORDER BY s.user_id, k.kind";
        let mut tx = self.service_tx().await?;
        let rows: Vec<(Uuid, String)> = sqlx::query_as(sql)
            .bind(day.to_string())
            .bind(week.to_string())
            .fetch_all(&mut *tx)
            .await
            .map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok(rows
            .into_iter()
            .map(|(user, kind)| {
                let (kind, period, period_end) = if kind == "daily_summary" {
                    (DigestKind::Daily, day, day_end)
                } else {
                    (DigestKind::Weekly, week, week_end)
                };
                DueDigest { user_id: UserId(user), kind, period, period_end }
            })
            .collect())
    }

    /// Stores digests with their delivery rows (one transaction, the cross-user path). A
    /// digest of the same (user, kind, period) already stored is skipped, so this is
    /// idempotent however many workers run it at once. Returns how many were stored.
    pub async fn enqueue_digests(&self, digests: &[DigestNotification]) -> StoreResult<u64> {
        let rows: Vec<(NewNotification, DateTime<Utc>)> = digests
            .iter()
            .map(|d| {
                let note = NewNotification {
                    user_id: d.user_id,
                    product_id: None,
                    alert_id: None,
                    notification_type: d.kind.notification_type(),
                    title: d.title.clone(),
                    message: d.message.clone(),
                    data: serde_json::json!({
                        "period": d.period.to_string(),
                        "kind": d.kind,
                        "report": d.report,
                    }),
                    priority: NotificationPriority::Normal,
                    action_url: None,
                };
                (note, d.created_at)
            })
            .collect();
        let mut tx = self.service_tx().await?;
        let n = u64::try_from(write::notifications::insert(&mut tx, &rows).await?.len()).unwrap_or(u64::MAX);
        tx.commit().await.map_err(db)?;
        Ok(n)
    }

    /// A user's delivery log, newest first; `failed_only` keeps failed and dead rows.
    pub async fn deliveries(
        &self,
        user: UserId,
        failed_only: bool,
        limit: u32,
    ) -> StoreResult<Vec<DeliveryLogEntry>> {
        // language=PostgreSQL
        let sql = "SELECT d.id, d.notification_id, n.title, d.channel_id, c.kind, c.target, d.status,
                       d.attempts, d.next_attempt_at, d.last_error, d.response_code, d.sent_at, d.created_at
                   FROM notification_deliveries d
                   JOIN notification_channels c ON c.id = d.channel_id
                   JOIN notifications n ON n.id = d.notification_id
                   WHERE d.user_id = $1 AND (NOT $2 OR d.status IN ('failed', 'dead'))
                   ORDER BY d.created_at DESC, d.id
                   LIMIT $3";
        type Row = (
            Uuid,
            Uuid,
            String,
            Uuid,
            String,
            String,
            String,
            i32,
            DateTime<Utc>,
            Option<String>,
            Option<i32>,
            Option<DateTime<Utc>>,
            DateTime<Utc>,
        );
        let mut tx = self.user_tx(user).await?;
        let rows: Vec<Row> = sqlx::query_as(sql)
            .bind(user.0)
            .bind(failed_only)
            .bind(i64::from(limit.max(1)))
            .fetch_all(&mut *tx)
            .await
            .map_err(db)?;
        tx.commit().await.map_err(db)?;
        rows.into_iter()
            .map(|(id, nid, title, cid, kind, target, status, attempts, next, err, code, sent, created)| {
                Ok(DeliveryLogEntry {
                    id,
                    notification_id: nid,
                    title,
                    channel_id: cid,
                    channel_kind: kind.parse::<ChannelKind>()?,
                    target: amazcope_core::delivery::mask::url(&target),
                    status: status.parse()?,
                    attempts: u32::try_from(attempts).unwrap_or(0),
                    next_attempt_at: next,
                    last_error: err,
                    response_code: code.and_then(|c| u16::try_from(c).ok()),
                    sent_at: sent,
                    created_at: created,
                })
            })
            .collect()
    }
}
