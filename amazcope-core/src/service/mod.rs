//! Services: the tracking workflows written once against the storage traits, so the command
//! line, the demo and the Python bindings drive the same pipeline.
//!
//! - [`IngestStore`]: a parsed page to storage (product, snapshot, categories, best-sellers,
//!   reviews, alerts, notifications) in one transaction; implemented by `amazcope-pg`.
//! - [`WorkQueue`]: products due for a refresh, claimed under a lease.
//! - [`TrackService`], [`ImportService`], [`RefreshService`], [`Worker`] and
//!   [`daily_report`] on top of them.

mod import;
mod ingest;
mod queue;
mod refresh;
mod report;
mod track;

pub use import::{ImportDocument, ImportOptions, ImportReport, ImportService, PageParser};
pub use ingest::{BatchIngestReport, FetchProblem, IngestContext, IngestOutcome, IngestReport, IngestStore};
pub use queue::{ClaimRequest, ClaimedProduct, LeaseCompletion, RequestBudget, WorkQueue};
pub use refresh::{
    RefreshFailure, RefreshItem, RefreshOptions, RefreshProgress, RefreshReport, RefreshService,
    UnparsedJump, UnparsedWatch, Worker, WorkerOptions,
};
pub use report::{DailyReport, Mover, daily_report};
pub use track::TrackService;
