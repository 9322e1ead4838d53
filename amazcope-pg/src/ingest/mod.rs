//! Batch ingest: parsed pages to storage, each page (or each batch) in ONE transaction,
//! through the writes of [`crate::write`].
//!
//! A product page upserts the product (latest values and metadata), inserts its snapshot,
//! upserts the categories of its breadcrumbs and rank lines (when its page data changed),
//! then evaluates the alert rules of `amazcope_core::rules` for every user tracking the
//! product and stores the alerts with their notifications. A best-seller list stores its
//! category, competitor products and entries; a reviews page its reviews. A captcha, not-found or error page stores no
//! snapshot: it is recorded on the product (not-found also unlists it and raises `unlisted`
//! alerts). Storing the same page twice changes nothing the second time.
//!
//! Every statement is set-wise (UNNEST arrays), so a batch of thousands of pages costs a
//! fixed number of round trips; a single page is a batch of one.

mod alerts;
mod lists;
mod problem;
mod product;

use crate::PgStore;
use crate::error::db;
use amazcope_core::model::enums::FetchStatus;
use amazcope_core::model::page::{FetchedPage, ParsedPage};
use amazcope_core::service::{
    BatchIngestReport, FetchProblem, IngestContext, IngestOutcome, IngestReport, IngestStore,
};
use amazcope_core::{Asin, Marketplace, StoreError, StoreResult, ValidationError};
use async_trait::async_trait;
use chrono::{DateTime, SubsecRound, TimeZone, Utc};
use sqlx::pool::PoolConnection;
use sqlx::{PgConnection, Postgres};

/// The earliest `scraped_at` the schema accepts (`chk_product_snapshots_scraped_at`).
fn earliest() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).single().unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// Checks the page times against the schema's window before anything is written, so a bad
/// `--scraped-at` is reported with the page it came with.
fn check_times(pages: &[FetchedPage]) -> StoreResult<()> {
    let latest = Utc::now() + chrono::Duration::days(1);
    for p in pages {
        if p.fetched_at < earliest() || p.fetched_at > latest {
            return Err(StoreError::Invalid(ValidationError::new(
                "scraped_at",
                p.fetched_at,
                format!("page {} must be dated between 2024-01-01 and tomorrow", p.source),
            )));
        }
    }
    Ok(())
}

fn problem_of(page: &ParsedPage) -> Option<FetchProblem> {
    let (status, message) = match page {
        ParsedPage::Captcha { .. } => (FetchStatus::Captcha, "captcha page"),
        ParsedPage::NotFound { .. } => (FetchStatus::NotFound, "page not found"),
        ParsedPage::ErrorPage { .. } => (FetchStatus::Failed, "amazon error page"),
        _ => return None,
    };
    Some(FetchProblem { status, message: Some(message.to_owned()) })
}

/// How an ingest transaction begins: with the write lock on products, in the order partition
/// upkeep takes its table locks (products, product_snapshots, alerts). The products are
/// written after the snapshots; taking the lock on their table only then could deadlock with
/// an upkeep run that holds it and waits for product_snapshots, which the ingest holds. One
/// round trip for both statements.
///
/// Ingest is cross-user work (the trackers of each product, alerts and notifications for each
/// of them): the transaction runs as `amazcope_service` (see `crate::tenant`), in the same
/// round trip.
// language=PostgreSQL
pub(crate) const BEGIN_INGEST: &str =
    "BEGIN; SET LOCAL ROLE amazcope_service; LOCK TABLE products IN ROW EXCLUSIVE MODE";

/// Stores `pages` on `conn`, inside the caller's transaction begun with [`BEGIN_INGEST`];
/// `side`, a second connection for reads beside it (see [`product::ingest_products`]).
pub(crate) async fn ingest_pages(
    conn: &mut PgConnection,
    side: Option<&mut PgConnection>,
    pages: &[FetchedPage],
    ctx: &IngestContext,
) -> StoreResult<BatchIngestReport> {
    check_times(pages)?;
    // PostgreSQL keeps microseconds: truncate first so the times read back match.
    let at: Vec<DateTime<Utc>> = pages.iter().map(|p| p.fetched_at.trunc_subsecs(6)).collect();
    let mut outcomes: Vec<Option<IngestReport>> = vec![None; pages.len()];
    let mut report = BatchIngestReport::default();

    let mut product_idx = Vec::new();
    let mut items = Vec::new();
    for (i, p) in pages.iter().enumerate() {
        if let ParsedPage::Product(sp) = &p.page {
            product_idx.push(i);
            items.push(product::ProductItem {
                page: sp,
                at: at[i],
                asin: product::filed_under(sp, ctx.target),
            });
        }
    }
    let results = product::ingest_products(conn, side, &items, ctx.created_by, &ctx.rules).await?;
    for (i, r) in product_idx.into_iter().zip(results) {
        let outcome = match r.snapshot_id {
            Some(snapshot_id) => {
                report.snapshots_inserted += 1;
                IngestOutcome::Stored { product_id: r.product_id, snapshot_id, product_created: r.created }
            }
            None => {
                report.duplicates += 1;
                IngestOutcome::Duplicate { product_id: r.product_id }
            }
        };
        report.products_created += u64::from(r.created);
        report.alerts += r.alerts.len() as u64;
        outcomes[i] = Some(IngestReport { source: pages[i].source.clone(), outcome, alerts: r.alerts });
    }

    for (i, p) in pages.iter().enumerate() {
        if outcomes[i].is_some() {
            continue;
        }
        let (outcome, alerts) = match &p.page {
            ParsedPage::Product(_) => continue,
            ParsedPage::Bestsellers(list) => {
                let r = lists::ingest_bestsellers(conn, list, at[i]).await?;
                report.products_created += r.products_created;
                let o = IngestOutcome::Bestsellers {
                    inserted: r.inserted,
                    duplicates: r.duplicates,
                    products_created: r.products_created,
                };
                (o, Vec::new())
            }
            ParsedPage::Reviews(rp) => {
                match lists::ingest_reviews(conn, rp, ctx.target, ctx.created_by).await? {
                    Some((_, upserted)) => (IngestOutcome::Reviews { upserted }, Vec::new()),
                    None => (IngestOutcome::Ignored { kind: p.page.kind() }, Vec::new()),
                }
            }
            ParsedPage::Offers(_) | ParsedPage::Search(_) | ParsedPage::Browse(_) => {
                (IngestOutcome::Ignored { kind: p.page.kind() }, Vec::new())
            }
            other => {
                let problem =
                    problem_of(other).unwrap_or(FetchProblem { status: FetchStatus::Failed, message: None });
                let target = ctx.target.or_else(|| {
                    let asin = Asin::from_url(&p.source)?;
                    let mp = other.marketplace().or_else(|| Marketplace::from_host(&p.source))?;
                    Some((asin, mp))
                });
                report.failures += 1;
                match target {
                    Some((asin, mp)) => {
                        let (product_id, alerts) =
                            problem::record(conn, &asin, mp, &problem, at[i], &ctx.rules).await?;
                        (IngestOutcome::Recorded { product_id, status: problem.status }, alerts)
                    }
                    None => {
                        (IngestOutcome::Recorded { product_id: None, status: problem.status }, Vec::new())
                    }
                }
            }
        };
        report.alerts += alerts.len() as u64;
        outcomes[i] = Some(IngestReport { source: p.source.clone(), outcome, alerts });
    }
    report.pages = outcomes.into_iter().flatten().collect();
    Ok(report)
}

/// Attempts of a transaction that PostgreSQL aborted to break a deadlock.
const MAX_ATTEMPTS: u32 = 5;

/// A deadlock (40P01) or serialization failure (40001): the whole transaction was rolled
/// back and running it again is safe. Partition upkeep (`amazcope_pg::partitions`) takes
/// table locks in another order than ingest, so the two can deadlock when they overlap.
fn is_transient(e: &StoreError) -> bool {
    let StoreError::Backend { source: Some(source), .. } = e else { return false };
    match source.downcast_ref::<sqlx::Error>() {
        Some(sqlx::Error::Database(d)) => matches!(d.code().as_deref(), Some("40P01" | "40001")),
        _ => false,
    }
}

/// From this many pages on, a batch reads the alert step's inputs on a second connection
/// while its transaction inserts the snapshots (two server processes at work); below it the
/// overlap saves less than a second connection costs.
const SIDE_CONNECTION_MIN_PAGES: usize = 64;

impl PgStore {
    /// A second connection for a large batch, when the pool has one idle or room for one:
    /// never waits for another task to release one (`None` then, and the batch reads on its
    /// own connection).
    async fn side_connection(&self, pages: usize) -> Option<PoolConnection<Postgres>> {
        if pages < SIDE_CONNECTION_MIN_PAGES {
            return None;
        }
        let pool = self.pool();
        if let Some(conn) = pool.try_acquire() {
            return Some(conn);
        }
        if pool.size() < pool.options().get_max_connections() {
            return pool.acquire().await.ok();
        }
        None
    }

    async fn ingest_once(
        &self,
        pages: &[FetchedPage],
        ctx: &IngestContext,
    ) -> StoreResult<BatchIngestReport> {
        let mut side = self.side_connection(pages.len()).await;
        let mut tx = self.pool().begin_with(BEGIN_INGEST).await.map_err(db)?;
        let report = ingest_pages(&mut tx, side.as_deref_mut(), pages, ctx).await?;
        if let Some(c) = &ctx.complete {
            crate::queue::complete_on(&mut tx, c.product_id, &c.worker_id, c.next_refresh_at).await?;
        }
        tx.commit().await.map_err(db)?;
        Ok(report)
    }
}

#[async_trait]
impl IngestStore for PgStore {
    async fn ingest_page(&self, page: &FetchedPage, ctx: &IngestContext) -> StoreResult<IngestReport> {
        let mut batch = self.ingest_batch(std::slice::from_ref(page), ctx).await?;
        batch.pages.pop().ok_or_else(|| StoreError::Backend {
            message: "ingest produced no report".to_owned(),
            source: None,
        })
    }

    async fn ingest_batch(
        &self,
        pages: &[FetchedPage],
        ctx: &IngestContext,
    ) -> StoreResult<BatchIngestReport> {
        let mut attempt = 1;
        loop {
            match self.ingest_once(pages, ctx).await {
                Err(e) if attempt < MAX_ATTEMPTS && is_transient(&e) => attempt += 1,
                other => return other,
            }
        }
    }

    async fn record_problem(
        &self,
        asin: &Asin,
        marketplace: Marketplace,
        problem: &FetchProblem,
        at: DateTime<Utc>,
        ctx: &IngestContext,
    ) -> StoreResult<IngestReport> {
        let at = at.trunc_subsecs(6);
        let mut attempt = 1;
        let (product_id, alerts) = loop {
            // Cross-user: the problem's alerts go to every tracker of the product.
            let mut tx = self.service_tx().await?;
            let done = match problem::record(&mut tx, asin, marketplace, problem, at, &ctx.rules).await {
                Ok(r) => match &ctx.complete {
                    Some(c) => {
                        match crate::queue::complete_on(
                            &mut tx,
                            c.product_id,
                            &c.worker_id,
                            c.next_refresh_at,
                        )
                        .await
                        {
                            Ok(_) => tx.commit().await.map_err(db).map(|()| r),
                            Err(e) => Err(e),
                        }
                    }
                    None => tx.commit().await.map_err(db).map(|()| r),
                },
                Err(e) => Err(e),
            };
            match done {
                Err(e) if attempt < MAX_ATTEMPTS && is_transient(&e) => attempt += 1,
                other => break other?,
            }
        };
        Ok(IngestReport {
            source: marketplace.product_url(asin),
            outcome: IngestOutcome::Recorded { product_id, status: problem.status },
            alerts,
        })
    }
}
