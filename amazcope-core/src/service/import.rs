//! Importing saved pages: files → parsed pages → storage, as if fetched at a given time.
//!
//! The parser is injected ([`PageParser`]): this crate has no scraper.

use crate::model::enums::FetchStatus;
use crate::model::page::{FetchedPage, ParsedPage};
use crate::rules::RuleConfig;
use crate::service::ingest::{BatchIngestReport, FetchProblem, IngestContext, IngestStore};
use crate::{Asin, Marketplace, ServiceError, UserId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
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
    /// The file name or URL (the report and `last_fetch_error` name it).
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
    /// Recorded as creator of products the import creates.
    pub created_by: Option<UserId>,
    /// Pages per transaction (1 = one transaction per page).
    pub batch_size: usize,
    /// Alert rule settings.
    pub rules: RuleConfig,
}

impl Default for ImportOptions {
    fn default() -> Self {
        Self { scraped_at: None, created_by: None, batch_size: 500, rules: RuleConfig::default() }
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

    /// Reads and imports files. A file that cannot be read or parsed is reported in
    /// [`ImportReport::errors`] and the others are still imported.
    pub async fn import_files(
        &self,
        paths: &[PathBuf],
        options: &ImportOptions,
    ) -> Result<ImportReport, ServiceError> {
        let mut docs = Vec::with_capacity(paths.len());
        let mut errors = Vec::new();
        for path in paths {
            match read_document(path) {
                Ok(doc) => docs.push(doc),
                Err(e) => errors.push((path.display().to_string(), e)),
            }
        }
        let mut report = self.import_documents(docs, options).await?;
        errors.append(&mut report.errors);
        report.errors = errors;
        Ok(report)
    }

    /// Parses and stores documents, `batch_size` pages per transaction. A page that does not
    /// parse is recorded on its product as `parse_error` when its source names an ASIN and a
    /// marketplace, and reported either way.
    pub async fn import_documents(
        &self,
        docs: Vec<ImportDocument>,
        options: &ImportOptions,
    ) -> Result<ImportReport, ServiceError> {
        let mut report = ImportReport::default();
        let ctx =
            IngestContext { created_by: options.created_by, target: None, rules: options.rules.clone() };
        let mut pages = Vec::with_capacity(docs.len());
        for doc in docs {
            let at = options.scraped_at.or(doc.modified).unwrap_or_else(Utc::now);
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
        }
        for chunk in pages.chunks(options.batch_size.max(1)) {
            let batch = self.store.ingest_batch(chunk, &ctx).await?;
            merge(&mut report.ingest, batch);
        }
        Ok(report)
    }
}

fn read_document(path: &Path) -> Result<ImportDocument, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read: {e}"))?;
    // Saved pages are UTF-8 in practice; a stray byte must not lose the whole page.
    let html =
        String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
    let modified = std::fs::metadata(path).and_then(|m| m.modified()).ok().map(DateTime::<Utc>::from);
    Ok(ImportDocument { source: path.display().to_string(), html, modified })
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
