//! `amazcope worker`: claim due products from the queue, fetch, store, reschedule; until
//! Ctrl-C. Any number of workers may run against one database.

use crate::{common, refresh};
use amazcope_core::service::{RefreshService, Worker, WorkerOptions};
use clap::Args;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Arguments of `amazcope worker`.
#[derive(Debug, Args)]
pub struct WorkerArgs {
    /// Lease owner name (default: host and process id).
    #[arg(long)]
    pub id: Option<String>,
    /// Products claimed at a time.
    #[arg(long, default_value_t = 10)]
    pub batch: u32,
    /// Lease length in seconds (longer than a batch takes).
    #[arg(long, default_value_t = 600)]
    pub lease_secs: i64,
    /// Pause in seconds when nothing is due.
    #[arg(long, default_value_t = 30)]
    pub idle_secs: u64,
    /// Fetch from this server instead of Amazon.
    #[arg(long)]
    pub base_url: Option<String>,
    /// Claim and process one batch, then exit.
    #[arg(long)]
    pub once: bool,
}

/// Runs the worker.
pub async fn run(args: WorkerArgs) -> anyhow::Result<()> {
    if args.lease_secs <= 0 {
        anyhow::bail!("--lease-secs must be positive, got {}", args.lease_secs);
    }
    let store = Arc::new(common::store().await?);
    let source = Arc::new(refresh::fetcher(args.base_url.as_deref())?);
    let id = args.id.unwrap_or_else(|| refresh::worker_id("worker"));
    let options = WorkerOptions {
        worker_id: id.clone(),
        batch: args.batch.max(1),
        lease: chrono::Duration::seconds(args.lease_secs),
        idle: Duration::from_secs(args.idle_secs),
        retry_after: chrono::Duration::minutes(15),
    };
    let worker = Worker::new(RefreshService::new(store, source), options);
    if args.once {
        let r = worker.run_once(chrono::Utc::now()).await?;
        println!(
            "{id}: {} claimed, {} stored, {} without snapshot, {} alerts",
            r.claimed, r.stored, r.failures, r.alerts
        );
        return Ok(());
    }
    let cancel = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&cancel);
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            flag.store(true, Ordering::Relaxed);
        }
    });
    eprintln!("{id}: working (Ctrl-C to stop)");
    let cancel_for_idle = Arc::clone(&cancel);
    let totals = worker
        .run(
            &cancel,
            move |d| {
                let c = Arc::clone(&cancel_for_idle);
                async move {
                    // Sleep in short steps so Ctrl-C stops an idle worker promptly.
                    let step = Duration::from_millis(200);
                    let mut left = d;
                    while !left.is_zero() && !c.load(Ordering::Relaxed) {
                        let s = left.min(step);
                        tokio::time::sleep(s).await;
                        left -= s;
                    }
                }
            },
            &mut |b| {
                eprintln!(
                    "{id}: {} claimed, {} stored, {} without snapshot, {} alerts",
                    b.claimed, b.stored, b.failures, b.alerts
                )
            },
        )
        .await?;
    println!(
        "{id}: stopped after {} products, {} stored, {} alerts",
        totals.claimed, totals.stored, totals.alerts
    );
    Ok(())
}
