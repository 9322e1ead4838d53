//! `amazcope import FILE... --user U [--scraped-at T]`: saved pages stored as if fetched at T
//! (default: each file's modification time).

use crate::common;
use amazcope_core::service::{ImportDocument, ImportOptions, ImportService, IngestOutcome};
use amazcope_core::{Marketplace, model::page::ParsedPage};
use chrono::{DateTime, Utc};
use clap::Args;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Arguments of `amazcope import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Saved pages (product, best-seller, review pages).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Recorded as creator of products the import creates; alerts go to every user
    /// tracking the products.
    #[arg(long, short)]
    pub user: String,
    /// Store the pages as if fetched at this time (2025-03-01 or RFC 3339).
    #[arg(long)]
    pub scraped_at: Option<String>,
    /// Marketplace of the pages when the page does not say.
    #[arg(long, short)]
    pub marketplace: Option<String>,
    /// Pages per transaction.
    #[arg(long, default_value_t = 500)]
    pub batch: usize,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Imports the files.
pub async fn run(args: ImportArgs) -> anyhow::Result<()> {
    let store = Arc::new(common::store().await?);
    let user = common::user(&store, &args.user).await?;
    let hint = args.marketplace.as_deref().map(common::marketplace).transpose()?;
    let scraped_at = args.scraped_at.as_deref().map(common::time).transpose()?;
    let parser = move |html: &str, source: &str| -> Result<ParsedPage, String> {
        amazcope_scrape::parse_page(html, hint.or_else(|| Marketplace::from_host(source)))
            .map_err(|e| e.to_string())
    };
    let service = ImportService::new(Arc::clone(&store), parser);
    let options = ImportOptions {
        scraped_at,
        created_by: Some(user.id),
        batch_size: args.batch.max(1),
        ..ImportOptions::default()
    };
    let report = service.import_documents(args.files.iter().map(|p| read_page(p)), &options).await?;
    if args.json {
        common::print_json(&report)?;
    } else {
        for p in &report.ingest.pages {
            let what = match &p.outcome {
                IngestOutcome::Stored { product_created: true, .. } => "stored (new product)".to_owned(),
                IngestOutcome::Stored { .. } => "stored".to_owned(),
                IngestOutcome::Duplicate { .. } => "already stored".to_owned(),
                IngestOutcome::Bestsellers { inserted, duplicates, .. } => {
                    format!("best-seller list: {inserted} entries stored, {duplicates} already stored")
                }
                IngestOutcome::Reviews { upserted } => format!("{upserted} reviews stored"),
                IngestOutcome::Recorded { status, .. } => format!("no snapshot: {status}"),
                IngestOutcome::Ignored { kind } => format!("ignored ({} page)", kind.as_str()),
            };
            let alerts =
                if p.alerts.is_empty() { String::new() } else { format!(", {} alerts", p.alerts.len()) };
            println!("{}: {what}{alerts}", p.source);
        }
        for (source, e) in &report.errors {
            eprintln!("{source}: {e}");
        }
        let r = &report.ingest;
        println!(
            "{} snapshots stored, {} already stored, {} products created, {} alerts, {} failed",
            r.snapshots_inserted,
            r.duplicates,
            r.products_created,
            r.alerts,
            report.errors.len()
        );
    }
    if !report.errors.is_empty() && report.ingest.pages.is_empty() {
        anyhow::bail!("no file could be imported");
    }
    Ok(())
}

/// A saved page read from disk, its modification time the default `scraped_at`; a file that
/// cannot be read is reported as `(path, why)` and the import goes on.
fn read_page(path: &Path) -> Result<ImportDocument, (String, String)> {
    let source = path.display().to_string();
    let modified = std::fs::metadata(path).and_then(|m| m.modified()).ok().map(DateTime::<Utc>::from);
    match std::fs::read(path) {
        Ok(bytes) => Ok(ImportDocument::from_bytes(source, bytes, modified)),
        Err(e) => Err((source, format!("cannot read: {e}"))),
    }
}
