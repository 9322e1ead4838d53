//! The delivery loop: claim due rows (lease), send them concurrently, record the outcomes
//! set-wise, until nothing is due.

use crate::config::DeliveryConfig;
use crate::send::{SendReport, Sender};
use amazcope_core::StoreResult;
use amazcope_core::delivery::digest;
use amazcope_core::delivery::retry::is_dead;
use amazcope_core::delivery::{AttemptOutcome, ClaimedDelivery, DeliverySummary};
use amazcope_core::service::daily_report;
use amazcope_core::{ServiceError, StoreError, UserRepository};
use amazcope_pg::PgStore;
use amazcope_pg::delivery::{Attempt, DeliveryClaim, DigestNotification};
use backon::{BackoffBuilder, ExponentialBuilder};
use chrono::{DateTime, Utc};
use futures::StreamExt;
use std::time::Duration;

/// How often a running worker looks for digests due.
const DIGEST_INTERVAL: Duration = Duration::from_secs(60);

/// Delivers the outbox of one store as one worker.
#[derive(Debug)]
pub struct Deliverer {
    store: PgStore,
    sender: Sender,
    config: DeliveryConfig,
    worker_id: String,
}

impl Deliverer {
    /// A deliverer claiming as `worker_id`.
    pub fn new(store: PgStore, sender: Sender, config: DeliveryConfig, worker_id: impl Into<String>) -> Self {
        Self { store, sender, config, worker_id: worker_id.into() }
    }

    /// The sender (for `channels test`).
    pub fn sender(&self) -> &Sender {
        &self.sender
    }

    /// The delay before the next attempt after `attempts` failed ones: exponential from
    /// `min_backoff`, doubling, at most `max_backoff`, with jitter (backon), or the
    /// receiver's `Retry-After` when it asked for longer.
    pub fn backoff(&self, attempts: u32, retry_after: Option<Duration>) -> Duration {
        let n = usize::try_from(attempts.max(1)).unwrap_or(usize::MAX);
        let mut delays = ExponentialBuilder::default()
            .with_min_delay(self.config.min_backoff)
            .with_max_delay(self.config.max_backoff)
            .with_factor(2.0)
            .with_jitter()
            .with_max_times(n)
            .build();
        let delay = delays.nth(n - 1).unwrap_or(self.config.max_backoff);
        retry_after.map_or(delay, |r| r.max(delay))
    }

    fn outcome(&self, claimed: &ClaimedDelivery, report: SendReport, now: DateTime<Utc>) -> AttemptOutcome {
        if report.ok {
            return AttemptOutcome::Sent { code: report.code };
        }
        let attempts = claimed.attempts + 1;
        let error = report.error.unwrap_or_else(|| "failed".to_owned());
        if is_dead(report.class, attempts, self.config.max_attempts) {
            let why = if attempts >= self.config.max_attempts
                && report.class != amazcope_core::delivery::retry::FailureClass::Permanent
            {
                format!("gave up after {attempts} attempts: {error}")
            } else {
                error
            };
            return AttemptOutcome::Failed { code: report.code, error: why, retry_at: None };
        }
        let delay = self.backoff(attempts, report.retry_after);
        let retry_at = now + chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::hours(1));
        AttemptOutcome::Failed { code: report.code, error, retry_at: Some(retry_at) }
    }

    /// Claims one batch due at `now`, sends it, records it. Returns the counts (all zero
    /// when nothing was due).
    pub async fn run_batch(&self, now: DateTime<Utc>) -> StoreResult<DeliverySummary> {
        let claim = DeliveryClaim {
            now,
            limit: self.config.batch,
            worker_id: self.worker_id.clone(),
            lease: chrono::Duration::from_std(self.config.lease).unwrap_or(chrono::Duration::minutes(1)),
        };
        let claimed = self.store.claim_deliveries(&claim).await?;
        if claimed.is_empty() {
            return Ok(DeliverySummary::default());
        }
        // Owned items: a stream over `&ClaimedDelivery` makes the future not `Send` for every
        // lifetime (rust#102211), and the worker spawns this loop.
        let attempts: Vec<Attempt> = futures::stream::iter(claimed)
            .map(|c| async move {
                let report = self.sender.send(&c.channel, &c.message, c.id).await;
                Attempt { id: c.id, outcome: self.outcome(&c, report, now) }
            })
            .buffer_unordered(self.config.concurrency.max(1))
            .collect()
            .await;
        self.store.record_attempts(&self.worker_id, now, &attempts).await?;
        let mut summary = DeliverySummary::default();
        for a in &attempts {
            match &a.outcome {
                AttemptOutcome::Sent { .. } => summary.sent += 1,
                AttemptOutcome::Failed { retry_at: Some(_), .. } => summary.failed += 1,
                AttemptOutcome::Failed { retry_at: None, .. } => summary.dead += 1,
            }
        }
        Ok(summary)
    }

    /// Stores the digests due at `now` ([`amazcope_pg::PgStore::digests_due`]): for each,
    /// the user's report (`amazcope report`, read as that user, so only their products) over
    /// the period, as a notification with its e-mail delivery rows. Idempotent per (user,
    /// kind, period), also across concurrent workers. Returns how many were stored.
    pub async fn enqueue_digests(&self, now: DateTime<Utc>) -> StoreResult<u64> {
        let due = self.store.digests_due(now).await?;
        let mut digests = Vec::with_capacity(due.len());
        for d in due {
            let user = self.store.user(d.user_id).await?;
            // The report only reads the store: its one failure is the store's.
            let report = daily_report(&self.store, &user, d.period_end, d.kind.hours()).await.map_err(
                |e| match e {
                    ServiceError::Store(e) => e,
                    ServiceError::Invalid(e) => StoreError::Invalid(e),
                    other => StoreError::Backend {
                        message: format!("the report of {}: {other}", user.username),
                        source: None,
                    },
                },
            )?;
            digests.push(DigestNotification {
                user_id: d.user_id,
                kind: d.kind,
                period: d.period,
                title: digest::title(d.kind, &user.username, d.period),
                message: digest::report_text(&report),
                report: serde_json::to_value(&report).unwrap_or(serde_json::Value::Null),
                created_at: d.period_end,
            });
        }
        self.store.enqueue_digests(&digests).await
    }

    /// Delivers everything due at `now` (batch after batch), after storing the digests due
    /// ([`Deliverer::enqueue_digests`]), and returns the counts. A row that fails is due
    /// again only after its back-off, so this ends.
    pub async fn run_once(&self, now: DateTime<Utc>) -> StoreResult<DeliverySummary> {
        self.enqueue_digests(now).await?;
        let mut total = DeliverySummary::default();
        loop {
            let s = self.run_batch(now).await?;
            if s == DeliverySummary::default() {
                return Ok(total);
            }
            total += s;
        }
    }

    /// Delivers at the wall clock until `stop` resolves, polling every `idle` when nothing
    /// is due. Store errors are logged to stderr and retried after `idle`.
    /// Digests are looked for at most once a minute.
    pub async fn run_until(&self, idle: Duration, stop: impl std::future::Future<Output = ()>) {
        tokio::pin!(stop);
        let mut digests_at: Option<std::time::Instant> = None;
        loop {
            if digests_at.is_none_or(|t| t.elapsed() >= DIGEST_INTERVAL) {
                digests_at = Some(std::time::Instant::now());
                if let Err(e) = self.enqueue_digests(Utc::now()).await {
                    eprintln!("deliver: digests: {e}");
                }
            }
            let busy = match self.run_batch(Utc::now()).await {
                Ok(s) => s != DeliverySummary::default(),
                Err(e) => {
                    eprintln!("deliver: {e}");
                    false
                }
            };
            if busy {
                continue;
            }
            tokio::select! {
                () = &mut stop => return,
                () = tokio::time::sleep(idle) => {}
            }
        }
    }
}
