//! `amazcope refresh [--user U] [--base-url URL] [--json]`: fetch the live pages of due
//! products through the fetcher and store them, with a progress bar on a terminal.

use crate::common;
use amazcope_core::Marketplace;
use amazcope_core::service::{IngestOutcome, RefreshOptions, RefreshService};
use amazcope_scrape::fetch::{Fetcher, FetcherConfig};
use anyhow::Context;
use clap::Args;
use std::sync::Arc;
use std::time::Duration;

/// Arguments of `amazcope refresh`.
#[derive(Debug, Args)]
pub struct RefreshArgs {
    /// Only products this user tracks.
    #[arg(long, short)]
    pub user: Option<String>,
    /// Fetch from this server instead of Amazon (a local storefront); politeness delays are
    /// off for it.
    #[arg(long)]
    pub base_url: Option<String>,
    /// At most this many products.
    #[arg(long, default_value_t = 10_000)]
    pub limit: u32,
    /// Print the report as JSON (no progress bar).
    #[arg(long)]
    pub json: bool,
}

/// The fetcher: Amazon with the default politeness, or a local server without delays.
pub fn fetcher(base_url: Option<&str>) -> anyhow::Result<Fetcher> {
    Fetcher::new(fetcher_config(base_url)).context("cannot build the fetcher")
}

/// The fetcher's settings: Amazon's polite defaults, or none of the waits against a local
/// server.
pub fn fetcher_config(base_url: Option<&str>) -> FetcherConfig {
    let mut config = FetcherConfig::default();
    if let Some(base) = base_url {
        config = config.with_min_spacing(Duration::ZERO).with_captcha_cooldown(Duration::ZERO);
        for mp in Marketplace::ALL {
            config = config
                .with_base_url(*mp, base.trim_end_matches('/'))
                .with_marketplace_spacing(*mp, Duration::ZERO);
        }
    }
    config
}

/// A lease owner name unique to this process.
pub fn worker_id(prefix: &str) -> String {
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "localhost".to_owned());
    format!("{prefix}-{host}-{}", std::process::id())
}

/// Refreshes the due products.
pub async fn run(args: RefreshArgs) -> anyhow::Result<()> {
    let store = Arc::new(common::store().await?);
    let user = match &args.user {
        Some(name) => Some(common::user(&store, name).await?.id),
        None => None,
    };
    let source = Arc::new(fetcher(args.base_url.as_deref())?);
    let service = RefreshService::new(Arc::clone(&store), source);
    let mut options = RefreshOptions::new(worker_id("refresh"), chrono::Utc::now());
    options.user = user;
    options.limit = args.limit.max(1);
    let bar = common::progress(Some(0), "{bar:40} {pos}/{len} {msg}", args.json);
    let report = service
        .refresh_due(&options, &mut |p| {
            bar.set_length(p.total as u64);
            bar.set_position(p.done as u64);
            bar.set_message(format!("{} {}", p.asin, if p.stored { "stored" } else { "no snapshot" }));
        })
        .await?;
    bar.finish_and_clear();
    if args.json {
        return common::print_json(&report);
    }
    for item in &report.items {
        let what = match &item.result {
            Ok(IngestOutcome::Stored { .. }) => "stored".to_owned(),
            Ok(IngestOutcome::Duplicate { .. }) => "already stored".to_owned(),
            Ok(IngestOutcome::Recorded { status, .. }) => format!("no snapshot: {status}"),
            Ok(other) => format!("{other:?}"),
            Err(e) => format!("failed: {e}"),
        };
        let alerts = if item.alerts > 0 { format!(", {} alerts", item.alerts) } else { String::new() };
        outln!("{} on amazon.{}: {what}{alerts}", item.asin, item.marketplace.code());
    }
    outln!(
        "{} due, {} stored, {} already stored, {} without snapshot, {} alerts",
        report.claimed,
        report.stored,
        report.duplicates,
        report.failures,
        report.alerts
    );
    Ok(())
}
