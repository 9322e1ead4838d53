//! From a fetched page to storage: the contract the refresh pipeline writes through.

use crate::model::alert::Alert;
use crate::model::enums::FetchStatus;
use crate::model::page::{FetchedPage, PageKind};
use crate::repo::StoreResult;
use crate::rules::RuleConfig;
use crate::service::queue::LeaseCompletion;
use crate::{Asin, Marketplace, ProductId, SnapshotId, UserId};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Who and what an ingest is for.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct IngestContext {
    /// Recorded as `created_by_id` of a product the page creates (never changed afterwards).
    pub created_by: Option<UserId>,
    /// The product that was asked for. A captcha or not-found page does not say which
    /// product it stands for, so its outcome is recorded on this one.
    pub target: Option<(Asin, Marketplace)>,
    /// Noise control and severity bands of the alert rules.
    pub rules: RuleConfig,
    /// A queue lease to end in the same transaction as the write (see [`LeaseCompletion`]):
    /// a worker killed between storing a page and rescheduling its product would otherwise
    /// leave the product due, and its next holder would store a second snapshot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub complete: Option<LeaseCompletion>,
}

impl IngestContext {
    /// A context for a page fetched for `asin` on `marketplace`.
    pub fn for_product(asin: Asin, marketplace: Marketplace) -> Self {
        Self { target: Some((asin, marketplace)), ..Self::default() }
    }
}

/// Why a product's page could not be stored (no snapshot is written for any of these).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FetchProblem {
    /// `captcha`, `not_found`, `failed` or `parse_error` (never `ok`).
    pub status: FetchStatus,
    /// What went wrong, for `last_fetch_error`.
    pub message: Option<String>,
}

/// What storing one page did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum IngestOutcome {
    /// A product page; a new snapshot was written.
    Stored {
        /// The product.
        product_id: ProductId,
        /// The new snapshot.
        snapshot_id: SnapshotId,
        /// Whether the product row was created by this page.
        product_created: bool,
    },
    /// A product page whose (product, scraped_at) was already stored: nothing changed.
    Duplicate {
        /// The product.
        product_id: ProductId,
    },
    /// A best-seller list: entries stored (`inserted`) and already there (`duplicates`).
    Bestsellers {
        /// Entries written.
        inserted: u64,
        /// Entries already stored for that list and time.
        duplicates: u64,
        /// Competitor products created from the list.
        products_created: u64,
    },
    /// A reviews page: reviews inserted or updated.
    Reviews {
        /// Reviews written (new or changed).
        upserted: u64,
    },
    /// A captcha, not-found, error page or fetch/parse failure recorded on the product;
    /// `product_id` is `None` when the page named no product and none was targeted.
    Recorded {
        /// The product the outcome was recorded on.
        product_id: Option<ProductId>,
        /// What was recorded.
        status: FetchStatus,
    },
    /// A page kind the tracker does not store (search, browse, offers).
    Ignored {
        /// Its kind.
        kind: PageKind,
    },
}

/// What storing one page did, with the alerts it raised.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IngestReport {
    /// Where the page came from.
    pub source: String,
    /// What happened.
    pub outcome: IngestOutcome,
    /// Alerts written (with their notifications), for every user tracking the product.
    pub alerts: Vec<Alert>,
}

impl IngestReport {
    /// The product concerned, if any.
    pub fn product_id(&self) -> Option<ProductId> {
        match &self.outcome {
            IngestOutcome::Stored { product_id, .. } | IngestOutcome::Duplicate { product_id } => {
                Some(*product_id)
            }
            IngestOutcome::Recorded { product_id, .. } => *product_id,
            _ => None,
        }
    }
}

/// Totals of a batch, plus one report per page in input order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BatchIngestReport {
    /// Snapshots written.
    pub snapshots_inserted: u64,
    /// Product pages already stored.
    pub duplicates: u64,
    /// Products created (tracked-product pages and best-seller competitors).
    pub products_created: u64,
    /// Alerts written.
    pub alerts: u64,
    /// Pages recorded as a failure (captcha, not found, error page).
    pub failures: u64,
    /// One report per page, in input order.
    pub pages: Vec<IngestReport>,
}

/// Storage that takes parsed pages in one transaction each (or per batch).
///
/// Alerts are evaluated in the same transaction with the rules of [`crate::rules`], for every
/// active user tracking the product, against the newest snapshot stored before the page's
/// `fetched_at`. Storing a page twice changes nothing the second time.
#[async_trait]
pub trait IngestStore: Send + Sync + 'static {
    /// Stores one page in one transaction.
    async fn ingest_page(&self, page: &FetchedPage, ctx: &IngestContext) -> StoreResult<IngestReport>;
    /// Stores many pages in one transaction with set-wise statements (for back-fills and
    /// imports). Pages of one product are evaluated in `fetched_at` order.
    async fn ingest_batch(
        &self,
        pages: &[FetchedPage],
        ctx: &IngestContext,
    ) -> StoreResult<BatchIngestReport>;
    /// Records that `asin` could not be had at `at` (no snapshot). `NotFound` marks the
    /// product unlisted and raises `unlisted` alerts the first time.
    async fn record_problem(
        &self,
        asin: &Asin,
        marketplace: Marketplace,
        problem: &FetchProblem,
        at: DateTime<Utc>,
        ctx: &IngestContext,
    ) -> StoreResult<IngestReport>;
}
