//! `amazcope import PATH... --user U [--scraped-at T]`: saved pages stored as if fetched at T
//! (default: each file's modification time). A directory stands for its `*.html` files, found
//! recursively and taken in path order. The files are read here, one at a time as the import
//! goes (core does no I/O), with a progress bar when standard error is a terminal.

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
    /// Saved pages (product, best-seller, review pages), or directories of them (`*.html`,
    /// recursively).
    #[arg(required = true, value_name = "PATH")]
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
        ..ImportOptions::at(chrono::Utc::now())
    };
    let files = expand(&args.files)?;
    let bar = common::progress(Some(files.len() as u64), "{bar:40} {pos}/{len} pages {msg}", args.json);
    let docs = files.iter().map(|p| {
        bar.set_message(p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default());
        bar.inc(1);
        read_page(p)
    });
    let report = service.import_documents(docs, &options).await;
    bar.finish_and_clear();
    let report = report?;
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
            outln!("{}: {what}{alerts}", p.source);
        }
        for (source, e) in &report.errors {
            eprintln!("{source}: {e}");
        }
        let r = &report.ingest;
        outln!(
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

/// The files named on the command line, each directory replaced by the `*.html` files under
/// it (recursively, sorted by path so runs are repeatable). A directory without any is an
/// error; so is one that cannot be listed.
fn expand(paths: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut found = Vec::new();
            html_files(path, &mut found)?;
            if found.is_empty() {
                anyhow::bail!("{} holds no .html file", path.display());
            }
            found.sort();
            files.append(&mut found);
        } else {
            files.push(path.clone());
        }
    }
    Ok(files)
}

fn html_files(dir: &Path, out: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| anyhow::anyhow!("cannot list {}: {e}", dir.display()))?;
    for entry in entries {
        let path = entry.map_err(|e| anyhow::anyhow!("cannot list {}: {e}", dir.display()))?.path();
        if path.is_dir() {
            html_files(&path, out)?;
        } else if path.extension().is_some_and(|x| x.eq_ignore_ascii_case("html")) {
            out.push(path);
        }
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
