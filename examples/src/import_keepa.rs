//! `amazcope import-keepa FILE.json [--user U] [--marketplace M]`: Keepa API product objects
//! (a list or `{"products": [...]}`) stored as snapshots marked `keepa`, with their daily
//! rollups. The file is read here and decoded by `amazcope_core::keepa` (no I/O there);
//! each product is stored in its own transaction, so a malformed one is reported by name
//! and array index and the others are still imported.

use crate::common;
use anyhow::Context;
use clap::Args;
use std::path::PathBuf;

/// Arguments of `amazcope import-keepa`.
#[derive(Debug, Args)]
pub struct ImportKeepaArgs {
    /// The Keepa JSON file.
    pub file: PathBuf,
    /// Recorded as creator of the products the import creates.
    #[arg(long, short)]
    pub user: Option<String>,
    /// Marketplace of products without a `domainId` (one with another `domainId` is refused).
    #[arg(long, short)]
    pub marketplace: Option<String>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Imports the file.
pub async fn run(args: ImportKeepaArgs) -> anyhow::Result<()> {
    let marketplace = args.marketplace.as_deref().map(common::marketplace).transpose()?;
    let text = std::fs::read_to_string(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    let decoded = amazcope_core::keepa::decode_file(&text, marketplace)
        .with_context(|| format!("{} is not a Keepa product file", args.file.display()))?;
    let store = common::store().await?;
    let user = match &args.user {
        Some(u) => Some(common::user(&store, u).await?.id),
        None => None,
    };
    let (mut imported, mut failed) = (Vec::new(), Vec::new());
    for product in decoded {
        match product {
            Ok(p) => match store.import_keepa(&p, user).await {
                Ok(r) => imported.push(r),
                Err(e) => failed.push(format!("{} on amazon.{}: {e}", p.asin, p.marketplace.code())),
            },
            Err(e) => failed.push(e.to_string()),
        }
    }
    if args.json {
        common::print_json(&serde_json::json!({ "imported": imported, "failed": failed }))?;
    } else {
        for r in &imported {
            outln!(
                "{} on amazon.{}: {} point(s), {} new snapshot(s){}",
                r.asin,
                r.marketplace,
                r.points,
                r.inserted,
                if r.created { ", product created" } else { "" }
            );
        }
        for f in &failed {
            eprintln!("not imported: {f}");
        }
    }
    if !failed.is_empty() {
        anyhow::bail!("{} of {} product(s) not imported", failed.len(), failed.len() + imported.len());
    }
    Ok(())
}
