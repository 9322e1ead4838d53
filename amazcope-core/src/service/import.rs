//! Importing saved pages: page contents → parsed pages → storage, as if fetched at a given
//! time.
//!
//! The parser is injected ([`PageParser`]): this crate has no scraper. Reading the pages
//! (files, archives) is the adapter's job: core does no I/O.

use crate::model::enums::FetchStatus;
use crate::model::page::{FetchedPage, ParsedPage};
use crate::rules::RuleConfig;
use crate::service::ingest::{BatchIngestReport, FetchProblem, IngestContext, IngestStore};
use crate::{Asin, Marketplace, ServiceError, UserId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Reads a page's HTML into a [`ParsedPage`]. `source` is the file name or URL, a hint for
/// the marketplace. An error is a message saying what could not be read.
pub trait PageParser: Send + Sync {
    /// Parses one page.
    fn parse(&self, html: &str, source: &str) -> Result<ParsedPage, String>;
}

impl<F> PageParser for F
where
    F: Fn(&str, &str) -> Result<ParsedPage, String> + Send + Sync,
{
    fn parse(&self, html: &str, source: &str) -> Result<ParsedPage, String> {
        self(html, source)
    }
}

/// A saved page to import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportDocument {
    /// The file name or URL (the report and `last_fetch_error` name it; an ASIN and an
    /// Amazon host in it let a parse failure be recorded on the product).
    pub source: String,
    /// The HTML.
    pub html: String,
    /// When the file was saved (its modification time), the default `scraped_at`.
    pub modified: Option<DateTime<Utc>>,
}

/// How to import.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportOptions {
    /// Every page as if fetched at this time; otherwise each file's modification time.
    pub scraped_at: Option<DateTime<Utc>>,
    /// The time of a page with neither `scraped_at` nor a modification time: the caller's
    /// "now" (core reads no clock).
    pub now: DateTime<Utc>,
    /// Recorded as creator of products the import creates.
    pub created_by: Option<UserId>,
    /// Pages per transaction (1 = one transaction per page).
    pub batch_size: usize,
    /// Alert rule settings.
    pub rules: RuleConfig,
}

impl ImportOptions {
    /// Options with every default, pages without a time dated `now`.
    pub fn at(now: DateTime<Utc>) -> Self {
        Self { scraped_at: None, now, created_by: None, batch_size: 500, rules: RuleConfig::default() }
    }
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ImportReport {
    /// What storage did, over every batch (pages in input order, failed files left out).
    pub ingest: BatchIngestReport,
    /// Files that could not be read or parsed: (source, what went wrong).
    pub errors: Vec<(String, String)>,
}

/// Imports saved pages through an [`IngestStore`].
#[derive(Debug)]
pub struct ImportService<S: ?Sized, P> {
    store: Arc<S>,
    parser: P,
}

impl<S: IngestStore + ?Sized, P: PageParser> ImportService<S, P> {
    /// A service storing into `store`, reading pages with `parser`.
    pub fn new(store: Arc<S>, parser: P) -> Self {
        Self { store, parser }
    }

    /// Parses and stores pages, `batch_size` pages per transaction, taking them from `docs`
    /// as it goes (an adapter may read files lazily and show progress). An `Err` item is a
    /// page the adapter could not read, `(source, what went wrong)`: it is reported in
    /// [`ImportReport::errors`] in input order and the others are still imported. A page
    /// that does not parse is recorded on its product as `parse_error` when its source names
    /// an ASIN and a marketplace, and reported either way.
    pub async fn import_documents<I>(
        &self,
        docs: I,
        options: &ImportOptions,
    ) -> Result<ImportReport, ServiceError>
    where
        I: IntoIterator<Item = Result<ImportDocument, (String, String)>>,
        I::IntoIter: Send,
    {
        let mut report = ImportReport::default();
        let ctx = IngestContext {
            created_by: options.created_by,
            target: None,
            rules: options.rules.clone(),
            complete: None,
        };
        let batch_size = options.batch_size.max(1);
        let mut pages = Vec::with_capacity(batch_size.min(1024));
        for doc in docs {
            let doc = match doc {
                Ok(doc) => doc,
                Err(unread) => {
                    report.errors.push(unread);
                    continue;
                }
            };
            let at = options.scraped_at.or(doc.modified).unwrap_or(options.now);
            match self.parser.parse(&doc.html, &doc.source) {
                Ok(page) => pages.push(FetchedPage { source: doc.source, fetched_at: at, page }),
                Err(what) => {
                    if let (Some(asin), Some(mp)) =
                        (Asin::from_url(&doc.source), Marketplace::from_host(&doc.source))
                    {
                        let problem =
                            FetchProblem { status: FetchStatus::ParseError, message: Some(what.clone()) };
                        self.store.record_problem(&asin, mp, &problem, at, &ctx).await?;
                    }
                    report.errors.push((doc.source, what));
                }
            }
            if pages.len() >= batch_size {
                let batch = self.store.ingest_batch(&pages, &ctx).await?;
                merge(&mut report.ingest, batch);
                pages.clear();
            }
        }
        if !pages.is_empty() {
            let batch = self.store.ingest_batch(&pages, &ctx).await?;
            merge(&mut report.ingest, batch);
        }
        Ok(report)
    }
}

impl ImportDocument {
    /// A page from the bytes an adapter read. Saved pages are UTF-8 in practice; a stray
    /// byte must not lose the whole page, so invalid sequences become U+FFFD.
    pub fn from_bytes(source: String, bytes: Vec<u8>, modified: Option<DateTime<Utc>>) -> Self {
        let html =
            String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
        Self { source, html, modified }
    }
}

/// Adds `b`'s totals and pages to `a`.
pub(crate) fn merge(a: &mut BatchIngestReport, b: BatchIngestReport) {
    a.snapshots_inserted += b.snapshots_inserted;
    a.duplicates += b.duplicates;
    a.products_created += b.products_created;
    a.alerts += b.alerts;
    a.failures += b.failures;
    a.pages.extend(b.pages);
}
