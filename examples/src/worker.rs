//! `amazcope worker`: claim due products from the queue, fetch, store, reschedule; until
//! Ctrl-C. Any number of workers may run against one database. Each also keeps the
//! snapshot partitions (months ahead created, months past the retention dropped) at start
//! and then every few hours; upkeep runs are serialised in the database, so many workers
//! cost nothing more.

use crate::{common, refresh};
use amazcope_core::service::{RefreshService, Worker, WorkerOptions};
use amazcope_pg::{PgStore, partitions};
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
    /// Snapshot partitions kept ready ahead of the current month.
    #[arg(long, default_value_t = 3)]
    pub partitions_ahead: u32,
    /// Days of snapshots kept: older monthly partitions are dropped.
    #[arg(long, default_value_t = partitions::DEFAULT_RETENTION_DAYS)]
    pub retention_days: i64,
    /// Hours between partition upkeep runs (0: none; `amazcope db partitions` does it then).
    #[arg(long, default_value_t = 6)]
    pub upkeep_hours: u64,
}

/// One partition upkeep run, reported on standard error; a failure is reported and the
/// worker goes on (the next run tries again).
async fn upkeep(store: &PgStore, id: &str, ahead: u32, retention_days: i64) {
    let retention = chrono::Duration::days(retention_days);
    // Expired months are archived first (`AMAZCOPE_ARCHIVE`, else AMAZCOPE_HOME/archive for
    // the private cluster); without a target none is dropped.
    let target = match crate::archive::worker_target() {
        Ok(t) => t,
        Err(e) => return eprintln!("{id}: partition upkeep skipped: {}", crate::common::message(&e)),
    };
    let disposal = target.as_ref().map(partitions::Disposal::Archive);
    match partitions::upkeep(store.pool(), ahead, retention, chrono::Utc::now(), disposal).await {
        Ok(r) if !r.created.is_empty() || !r.dropped.is_empty() => {
            eprintln!("{id}: partitions created {:?}, archived and dropped {:?}", r.created, r.dropped)
        }
        Ok(_) => {}
        Err(e) => eprintln!("{id}: partition upkeep failed: {e}"),
    }
}

/// Runs the worker.
pub async fn run(args: WorkerArgs) -> anyhow::Result<()> {
    if args.lease_secs <= 0 {
        anyhow::bail!("--lease-secs must be positive, got {}", args.lease_secs);
    }
    if args.retention_days < 0 {
        anyhow::bail!("--retention-days must not be negative, got {}", args.retention_days);
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
    if args.upkeep_hours > 0 {
        upkeep(&store, &id, args.partitions_ahead, args.retention_days).await;
        if !args.once {
            let (store, id) = (PgStore::clone(&store), id.clone());
            let every = Duration::from_secs(args.upkeep_hours * 3600);
            let (ahead, retention) = (args.partitions_ahead, args.retention_days);
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(every).await;
                    upkeep(&store, &id, ahead, retention).await;
                }
            });
        }
    }
    let worker = Worker::new(RefreshService::new(store, source), options);
    if args.once {
        let r = worker.run_once(chrono::Utc::now()).await?;
        outln!(
            "{id}: {} claimed, {} stored, {} without snapshot, {} alerts",
            r.claimed,
            r.stored,
            r.failures,
            r.alerts
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
    // On a terminal a spinner shows the running totals; each batch's line is printed above it.
    let bar = common::progress(None, "{spinner} {msg}", false);
    let mut total = (0, 0, 0);
    // Windows of 50 product pages; a rise of 20 points of pages with an unreadable value warns.
    let mut watch = amazcope_core::service::UnparsedWatch::new(50, 0.2);
    let cancel_for_idle = Arc::clone(&cancel);
    let totals = worker
        .run(
            &cancel,
            &chrono::Utc::now,
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
                // A marketplace whose pages suddenly stop reading fully: its layout changed.
                for item in &b.items {
                    if let Some(jump) = watch.observe(item.marketplace, !item.unparsed.is_empty()) {
                        bar.suspend(|| eprintln!("{id}: warning: {jump}"));
                    }
                }
                bar.suspend(|| {
                    eprintln!(
                        "{id}: {} claimed, {} stored, {} without snapshot, {} alerts",
                        b.claimed, b.stored, b.failures, b.alerts
                    )
                });
                total = (total.0 + b.claimed, total.1 + b.stored, total.2 + b.alerts);
                bar.set_message(format!(
                    "{} claimed, {} stored, {} alerts so far",
                    total.0, total.1, total.2
                ));
            },
        )
        .await;
    bar.finish_and_clear();
    let totals = totals?;
    outln!(
        "{id}: stopped after {} products, {} stored, {} alerts",
        totals.claimed,
        totals.stored,
        totals.alerts
    );
    Ok(())
}
