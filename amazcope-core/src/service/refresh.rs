//! Refreshing tracked products: claim due products, fetch their pages, store them, schedule
//! the next refresh. One failed product never stops the run.

use crate::model::enums::FetchStatus;
use crate::model::page::{FieldQuality, TrackedField};
use crate::rules::RuleConfig;
use crate::service::ingest::{FetchProblem, IngestContext, IngestOutcome, IngestReport, IngestStore};
use crate::service::queue::{ClaimRequest, ClaimedProduct, LeaseCompletion, WorkQueue};
use crate::{Asin, FetchFailure, Marketplace, PageSource, ProductId, ServiceError, UserId};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// How to run one refresh.
#[derive(Debug, Clone, PartialEq)]
pub struct RefreshOptions {
    /// Lease owner name.
    pub worker_id: String,
    /// Only products this user tracks.
    pub user: Option<UserId>,
    /// At most this many products.
    pub limit: u32,
    /// Lease length: longer than one product takes to fetch and store.
    pub lease: Duration,
    /// The time "due" is measured against and the next refresh is scheduled from.
    pub now: DateTime<Utc>,
    /// Store every page as if fetched at `now` (simulated days in the demo and tests)
    /// instead of the fetcher's clock.
    pub pages_at_now: bool,
    /// When a product whose fetch failed for a passing reason (captcha, throttling) is
    /// tried again.
    pub retry_after: Duration,
    /// Alert rule settings.
    pub rules: RuleConfig,
}

impl RefreshOptions {
    /// Defaults: every due product, a 10-minute lease, retry after 15 minutes.
    pub fn new(worker_id: impl Into<String>, now: DateTime<Utc>) -> Self {
        Self {
            worker_id: worker_id.into(),
            user: None,
            limit: 10_000,
            lease: Duration::minutes(10),
            now,
            pages_at_now: false,
            retry_after: Duration::minutes(15),
            rules: RuleConfig::default(),
        }
    }
}

/// Progress of a run, after each product.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshProgress {
    /// Products done.
    pub done: usize,
    /// Products claimed.
    pub total: usize,
    /// The product just done.
    pub asin: Asin,
    /// Its marketplace.
    pub marketplace: Marketplace,
    /// Whether a snapshot was stored.
    pub stored: bool,
}

/// Why one product of a refresh has no outcome. Serializable (reports are printed as JSON),
/// so the store's error is kept as its message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RefreshFailure {
    /// Storing the page, or the outcome of its fetch, failed (the product is retried soon).
    #[error("storing failed: {message}")]
    Store {
        /// The store's error.
        message: String,
    },
    /// The page was stored, but the product could not be rescheduled.
    #[error("stored, but could not reschedule: {message}")]
    Reschedule {
        /// The store's error.
        message: String,
    },
}

/// What happened to one product.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RefreshItem {
    /// The product.
    pub product_id: ProductId,
    /// Its ASIN.
    pub asin: Asin,
    /// Its marketplace.
    pub marketplace: Marketplace,
    /// What storing did, or why the product failed.
    pub result: Result<IngestOutcome, RefreshFailure>,
    /// The tracked values the product page showed but that could not be read (empty for
    /// a page read in full, or no product page); see [`UnparsedWatch`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unparsed: Vec<TrackedField>,
    /// Alerts raised.
    pub alerts: u64,
}

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RefreshReport {
    /// Products claimed.
    pub claimed: u64,
    /// Snapshots stored.
    pub stored: u64,
    /// Pages already stored.
    pub duplicates: u64,
    /// Products that yielded no snapshot (captcha, not found, fetch or storage failure).
    pub failures: u64,
    /// Alerts raised.
    pub alerts: u64,
    /// One entry per product, in claim order.
    pub items: Vec<RefreshItem>,
}

impl RefreshReport {
    fn add(&mut self, item: RefreshItem) {
        match &item.result {
            Ok(IngestOutcome::Stored { .. }) => self.stored += 1,
            Ok(IngestOutcome::Duplicate { .. }) => self.duplicates += 1,
            _ => self.failures += 1,
        }
        self.alerts += item.alerts;
        self.items.push(item);
    }
}

/// Fetches due products through a [`PageSource`] and stores them.
#[derive(Debug)]
pub struct RefreshService<S: ?Sized, P: ?Sized> {
    store: Arc<S>,
    source: Arc<P>,
}

impl<S: ?Sized, P: ?Sized> Clone for RefreshService<S, P> {
    fn clone(&self) -> Self {
        Self { store: Arc::clone(&self.store), source: Arc::clone(&self.source) }
    }
}

impl<S, P> RefreshService<S, P>
where
    S: IngestStore + WorkQueue + ?Sized,
    P: PageSource + ?Sized,
{
    /// A service fetching from `source` into `store`.
    pub fn new(store: Arc<S>, source: Arc<P>) -> Self {
        Self { store, source }
    }

    /// Claims the due products and refreshes each; `progress` is called after each one.
    /// Only a failure to claim is an error; per-product failures are in the report.
    pub async fn refresh_due(
        &self,
        options: &RefreshOptions,
        progress: &mut (dyn FnMut(&RefreshProgress) + Send),
    ) -> Result<RefreshReport, ServiceError> {
        let claimed = self
            .store
            .claim_due(&ClaimRequest {
                worker_id: options.worker_id.clone(),
                limit: options.limit,
                lease: options.lease,
                now: options.now,
                user: options.user,
            })
            .await?;
        let mut report = RefreshReport { claimed: claimed.len() as u64, ..RefreshReport::default() };
        let total = claimed.len();
        for (i, product) in claimed.iter().enumerate() {
            let item = self.refresh_claimed(product, options).await;
            progress(&RefreshProgress {
                done: i + 1,
                total,
                asin: product.asin,
                marketplace: product.marketplace,
                stored: matches!(item.result, Ok(IngestOutcome::Stored { .. })),
            });
            report.add(item);
        }
        Ok(report)
    }

    /// Fetches, stores and reschedules one claimed product. Never fails: what went wrong
    /// is in [`RefreshItem::result`], and the lease is always given back (or, when the
    /// database cannot be reached, left held: [`Worker::run`] gives it back later).
    ///
    /// The page and the end of the lease are written in one transaction
    /// ([`IngestContext::complete`]): a worker killed between the two leaves either both or
    /// neither, so a product is never stored twice for one due period.
    pub async fn refresh_claimed(&self, product: &ClaimedProduct, options: &RefreshOptions) -> RefreshItem {
        let (stored, unparsed) = self.fetch_and_store(product, options).await;
        let result = match stored {
            Ok(report) => Ok(report),
            Err(e) if e.is_unavailable() => {
                // Not the product's fault: it stays due, for whoever claims it next. The
                // release fails too while the database is away; then [`Worker::run`]
                // releases it once the database is back.
                let _ = self.store.release(product.product_id, &options.worker_id).await;
                Err(RefreshFailure::Store { message: e.to_string() })
            }
            Err(e) => {
                let first = RefreshFailure::Store { message: e.to_string() };
                let next = options.now + options.retry_after;
                // The storing error is the one to report; a failed reschedule leaves the lease
                // to run out, and the product is tried again then.
                let _ = self.store.complete(product.product_id, &options.worker_id, next).await;
                Err(first)
            }
        };
        let alerts = result.as_ref().map(|r| r.alerts.len() as u64).unwrap_or(0);
        RefreshItem {
            product_id: product.product_id,
            asin: product.asin,
            marketplace: product.marketplace,
            result: result.map(|r| r.outcome),
            alerts,
            unparsed,
        }
    }

    fn context(&self, product: &ClaimedProduct, options: &RefreshOptions, transient: bool) -> IngestContext {
        let next = if transient {
            options.now + options.retry_after
        } else {
            options.now + product.track_frequency.interval()
        };
        IngestContext {
            created_by: None,
            target: Some((product.asin, product.marketplace)),
            rules: options.rules.clone(),
            complete: Some(LeaseCompletion {
                product_id: product.product_id,
                worker_id: options.worker_id.clone(),
                next_refresh_at: next,
            }),
        }
    }

    /// The outcome, stored with the end of the lease (rescheduled soon after a passing
    /// failure such as a captcha, else after the tracking interval), and the tracked
    /// values the page showed but could not be read.
    async fn fetch_and_store(
        &self,
        product: &ClaimedProduct,
        options: &RefreshOptions,
    ) -> (Result<IngestReport, crate::StoreError>, Vec<TrackedField>) {
        let (asin, mp) = (product.asin, product.marketplace);
        let mut unparsed = Vec::new();
        let stored = match self.source.product_page(&asin, mp).await {
            Ok(mut page) => {
                if options.pages_at_now {
                    page.fetched_at = options.now;
                }
                if let crate::model::page::ParsedPage::Product(p) = &page.page {
                    let q = p.effective_quality();
                    unparsed = TrackedField::ALL
                        .into_iter()
                        .filter(|f| q.get(*f) == FieldQuality::Unparsed)
                        .collect();
                }
                let transient = matches!(
                    page.page.kind(),
                    crate::model::page::PageKind::Captcha | crate::model::page::PageKind::ErrorPage
                );
                self.store.ingest_page(&page, &self.context(product, options, transient)).await
            }
            Err(failure) => {
                let (status, transient) = match &failure {
                    FetchFailure::NotFound { .. } => (FetchStatus::NotFound, false),
                    FetchFailure::Captcha { .. } => (FetchStatus::Captcha, true),
                    _ => (FetchStatus::Failed, true),
                };
                let problem = FetchProblem { status, message: Some(failure.to_string()) };
                // The run's time: core reads no clock (the adapters set `now`).
                let at = options.now;
                let ctx = self.context(product, options, transient);
                self.store.record_problem(&asin, mp, &problem, at, &ctx).await
            }
        };
        (stored, unparsed)
    }
}

/// Watches, per marketplace, the share of product pages with a tracked value that could not
/// be read, so that an operator hears of a layout change the day it happens. Pages are
/// counted in windows of `window` pages; when a window fills, its share is compared with the
/// previous window's (0 before the first) and a rise of at least `jump` (a fraction: 0.2 is
/// 20 points) is reported.
#[derive(Debug, Clone)]
pub struct UnparsedWatch {
    window: usize,
    jump: f64,
    state: std::collections::HashMap<Marketplace, WatchState>,
}

#[derive(Debug, Clone, Default)]
struct WatchState {
    previous_share: f64,
    pages: usize,
    unparsed: usize,
}

/// A rise of a marketplace's unparsed share, from [`UnparsedWatch::observe`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnparsedJump {
    /// The marketplace.
    pub marketplace: Marketplace,
    /// The share of the previous window (0 to 1).
    pub before: f64,
    /// The share of the window just filled.
    pub now: f64,
    /// Pages in a window.
    pub pages: usize,
}

impl std::fmt::Display for UnparsedJump {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "amazon.{}: {:.0}% of the last {} product pages had a value that could not be read (was {:.0}%): its page layout may have changed; `amazcope parse --summary` on saved pages shows which fields",
            self.marketplace.code(),
            self.now * 100.0,
            self.pages,
            self.before * 100.0
        )
    }
}

impl UnparsedWatch {
    /// A watch over windows of `window` pages (at least 1) reporting rises of `jump` or more.
    pub fn new(window: usize, jump: f64) -> Self {
        Self { window: window.max(1), jump, state: Default::default() }
    }

    /// Counts one product page of `marketplace`; `unparsed`: it had a value not read.
    pub fn observe(&mut self, marketplace: Marketplace, unparsed: bool) -> Option<UnparsedJump> {
        let s = self.state.entry(marketplace).or_default();
        s.pages += 1;
        s.unparsed += usize::from(unparsed);
        if s.pages < self.window {
            return None;
        }
        let now = s.unparsed as f64 / s.pages as f64;
        let before = s.previous_share;
        *s = WatchState { previous_share: now, pages: 0, unparsed: 0 };
        (now - before >= self.jump).then_some(UnparsedJump { marketplace, before, now, pages: self.window })
    }
}

/// How a [`Worker`] runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerOptions {
    /// Lease owner name; unique per worker (host and process id, say).
    pub worker_id: String,
    /// Products claimed at a time.
    pub batch: u32,
    /// Lease length.
    pub lease: Duration,
    /// Pause when nothing is due.
    pub idle: std::time::Duration,
    /// When a product whose fetch failed for a passing reason is tried again.
    pub retry_after: Duration,
    /// The longest pause between attempts to reach the database again after an outage.
    pub max_backoff: std::time::Duration,
}

/// A queue worker: claim → fetch → store → complete, until cancelled. Any number of workers
/// may share one database.
#[derive(Debug)]
pub struct Worker<S: ?Sized, P: ?Sized> {
    refresh: RefreshService<S, P>,
    options: WorkerOptions,
}

impl<S, P> Worker<S, P>
where
    S: IngestStore + WorkQueue + ?Sized,
    P: PageSource + ?Sized,
{
    /// A worker over `refresh`.
    pub fn new(refresh: RefreshService<S, P>, options: WorkerOptions) -> Self {
        Self { refresh, options }
    }

    /// Claims one batch due at `now` and refreshes it; returns what it did (empty when
    /// nothing was due).
    pub async fn run_once(&self, now: DateTime<Utc>) -> Result<RefreshReport, ServiceError> {
        let mut options = RefreshOptions::new(self.options.worker_id.clone(), now);
        options.limit = self.options.batch;
        options.lease = self.options.lease;
        options.retry_after = self.options.retry_after;
        self.refresh.refresh_due(&options, &mut |_| {}).await
    }

    /// Runs batches until `cancel` is set, each due at `clock()` (the adapter's clock: core
    /// reads none), calling `idle` (a sleep) when nothing is due and `on_batch` after each
    /// batch. Returns the totals.
    ///
    /// When the database cannot be reached (a restart, a network cut), the worker does not
    /// stop: it calls `on_outage` with the error and the pause it takes, sleeps through
    /// `idle`, doubling the pause from half a second up to [`WorkerOptions::max_backoff`],
    /// and goes on; the products of a batch cut short stay due: their leases are given back
    /// as soon as the database answers again. Any other error ends the run.
    pub async fn run<F, Fut>(
        &self,
        cancel: &AtomicBool,
        clock: &(dyn Fn() -> DateTime<Utc> + Send + Sync),
        mut idle: F,
        on_batch: &mut (dyn FnMut(&RefreshReport) + Send),
        on_outage: &mut (dyn FnMut(Option<&ServiceError>, std::time::Duration) + Send),
    ) -> Result<RefreshReport, ServiceError>
    where
        F: FnMut(std::time::Duration) -> Fut + Send,
        Fut: Future<Output = ()> + Send,
    {
        let first_pause = std::time::Duration::from_millis(500);
        let mut totals = RefreshReport::default();
        let mut pause = first_pause;
        let mut down = false;
        // Products whose storing failed: their leases may still be held (the release failed
        // with the database away) and are given back before the next claim.
        let mut held: Vec<ProductId> = Vec::new();
        while !cancel.load(Ordering::Relaxed) {
            let mut unreachable = None;
            while let Some(p) = held.last().copied() {
                match self.refresh.store.release(p, &self.options.worker_id).await {
                    Ok(_) => {
                        held.pop();
                    }
                    Err(e) if e.is_unavailable() => {
                        unreachable = Some(e);
                        break;
                    }
                    Err(e) => return Err(e.into()),
                }
            }
            let claimed = match unreachable {
                Some(e) => Err(ServiceError::Store(e)),
                None => self.run_once(clock()).await,
            };
            let batch = match claimed {
                Ok(batch) => batch,
                Err(ServiceError::Store(e)) if e.is_unavailable() => {
                    on_outage(Some(&ServiceError::Store(e)), pause);
                    down = true;
                    idle(pause).await;
                    pause = (pause * 2).min(self.options.max_backoff.max(first_pause));
                    continue;
                }
                Err(e) => return Err(e),
            };
            if down {
                // Reached again: say so once, and start the next outage's pauses afresh.
                on_outage(None, std::time::Duration::ZERO);
                down = false;
                pause = first_pause;
            }
            if batch.claimed == 0 {
                idle(self.options.idle).await;
                continue;
            }
            on_batch(&batch);
            held.extend(
                batch
                    .items
                    .iter()
                    .filter(|i| matches!(i.result, Err(RefreshFailure::Store { .. })))
                    .map(|i| i.product_id),
            );
            totals.claimed += batch.claimed;
            for item in batch.items {
                totals.add(item);
            }
        }
        Ok(totals)
    }
}

#[cfg(test)]
mod watch_tests {
    use super::*;

    #[test]
    fn a_jump_in_the_unparsed_share_is_reported_once_per_window() {
        let mut w = UnparsedWatch::new(10, 0.2);
        let mp = Marketplace::De;
        // First window: 1 in 10 unparsed, below the jump.
        let first: Vec<_> = (0..10).filter_map(|i| w.observe(mp, i == 0)).collect();
        assert!(first.is_empty());
        // Second window: 5 in 10: a rise of 40 points.
        let second: Vec<_> = (0..10).filter_map(|i| w.observe(mp, i < 5)).collect();
        assert_eq!(second.len(), 1);
        assert!((second[0].before - 0.1).abs() < 1e-9 && (second[0].now - 0.5).abs() < 1e-9);
        assert!(second[0].to_string().starts_with("amazon.de: 50% of the last 10 product pages"));
        // Steady at 50%: no new report; another marketplace is counted apart.
        assert!((0..10).all(|i| w.observe(mp, i < 5).is_none()));
        assert!((0..10).all(|_| w.observe(Marketplace::Com, false).is_none()));
    }
}
