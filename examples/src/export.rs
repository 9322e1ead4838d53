//! `amazcope export (--asin A --marketplace M | --user U) [--from D --to D] [--daily]
//! --format csv|parquet --out FILE`.

use crate::common;
use amazcope_core::service::TrackService;
use amazcope_pg::export::{ExportFormat, ExportRequest, ExportScope};
use anyhow::Context;
use clap::{Args, ValueEnum};
use std::path::PathBuf;
use std::sync::Arc;

/// File formats of `export`.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Format {
    /// Comma-separated values with a header row.
    Csv,
    /// Apache Parquet (zstd), with decimal prices and UTC timestamps.
    Parquet,
}

/// Arguments of `amazcope export`.
#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("whose").required(true).args(["asin", "user"]))]
pub struct ExportArgs {
    /// One product: its ASIN or Amazon URL.
    #[arg(long)]
    pub asin: Option<String>,
    /// Marketplace of `--asin` (com, co.uk, de, ...); default com.
    #[arg(long, short, requires = "asin")]
    pub marketplace: Option<String>,
    /// Every product this user tracks.
    #[arg(long, short)]
    pub user: Option<String>,
    /// From this day (UTC, 2025-03-01) or time (RFC 3339), inclusive.
    #[arg(long)]
    pub from: Option<String>,
    /// Through this day (inclusive), or up to this time (RFC 3339, exclusive).
    #[arg(long)]
    pub to: Option<String>,
    /// Daily rollups (`product_daily`) instead of raw snapshots.
    #[arg(long)]
    pub daily: bool,
    /// The file format.
    #[arg(long, value_enum)]
    pub format: Format,
    /// The file to write.
    #[arg(long)]
    pub out: PathBuf,
}

/// Writes the export.
pub async fn run(args: ExportArgs) -> anyhow::Result<()> {
    let from = args.from.as_deref().map(common::time).transpose()?;
    let to = match args.to.as_deref() {
        // A day is included whole.
        Some(t) if chrono::NaiveDate::parse_from_str(t.trim(), "%Y-%m-%d").is_ok() => {
            Some(common::time(t)? + chrono::Duration::days(1))
        }
        Some(t) => Some(common::time(t)?),
        None => None,
    };
    if let (Some(f), Some(t)) = (from, to)
        && f >= t
    {
        anyhow::bail!("--from is not before --to");
    }
    let store = Arc::new(common::store().await?);
    let scope = match (&args.asin, &args.user) {
        (Some(a), _) => {
            let r = common::product_ref(a, args.marketplace.as_deref())?;
            let product = TrackService::new(Arc::clone(&store)).product(&r.asin, r.marketplace).await?;
            ExportScope::Product(product.id)
        }
        (None, Some(u)) => ExportScope::User(common::user(&store, u).await?.id),
        (None, None) => anyhow::bail!("pass --asin (with --marketplace) or --user"),
    };
    let format = match args.format {
        Format::Csv => ExportFormat::Csv,
        Format::Parquet => ExportFormat::Parquet,
    };
    let request = ExportRequest { scope, from, to, daily: args.daily, format };
    // A device or a pipe (/dev/stdout, a FIFO) is written in place: there is nothing to
    // rename over, and a `.partial` beside it would land in /dev.
    if std::fs::metadata(&args.out).is_ok_and(|m| !m.file_type().is_file()) {
        let file = std::fs::OpenOptions::new()
            .write(true)
            .open(&args.out)
            .with_context(|| format!("cannot open {}", args.out.display()))?;
        let (rows, out) = store.export(&request, std::io::BufWriter::new(file)).await?;
        out.into_inner()
            .map_err(|e| e.into_error())
            .with_context(|| format!("cannot write {}", args.out.display()))?;
        let what = if args.daily { "daily row(s)" } else { "snapshot(s)" };
        outln!("wrote {rows} {what} to {}", args.out.display());
        return Ok(());
    }
    // Written beside the target and renamed at the end: a failed export leaves no half file.
    let tmp = args.out.with_extension("partial");
    let file = std::fs::File::create(&tmp).with_context(|| format!("cannot create {}", tmp.display()))?;
    let result = store.export(&request, std::io::BufWriter::new(file)).await;
    let (rows, out) = match result {
        Ok(r) => r,
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            return Err(e.into());
        }
    };
    if let Err(e) = out.into_inner().map_err(|e| e.into_error()).and_then(|f| f.sync_all()) {
        let _ = std::fs::remove_file(&tmp);
        return Err(anyhow::Error::new(e).context(format!("cannot write {}", args.out.display())));
    }
    std::fs::rename(&tmp, &args.out).with_context(|| format!("cannot write {}", args.out.display()))?;
    let what = if args.daily { "daily row(s)" } else { "snapshot(s)" };
    outln!("wrote {rows} {what} to {}", args.out.display());
    Ok(())
}
