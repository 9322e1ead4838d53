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
    /// Requests per second to one marketplace for the whole fleet: every worker sharing
    /// this database together (default: one every 2 s against Amazon; no limit with
    /// --base-url). 0: no limit.
    #[arg(long)]
    pub rate: Option<f64>,
    /// Keep the rate per process (each worker alone may send --rate) instead of sharing it
    /// through the database.
    #[arg(long)]
    pub local_budget: bool,
    /// Workers in this process, sharing its connection pool and fetcher; each holds its
    /// leases as ID-1, ID-2, ...
    #[arg(long, default_value_t = 1)]
    pub tasks: u32,
    /// Stop once nothing is due (instead of waiting for more work).
    #[arg(long)]
    pub until_idle: bool,
}

/// The fetcher of a worker: the polite defaults (or none against a local server), the rate
/// asked for, kept through the database for the fleet unless `--local-budget`.
fn worker_fetcher(
    args: &WorkerArgs,
    store: &Arc<PgStore>,
) -> anyhow::Result<amazcope_scrape::fetch::Fetcher> {
    use amazcope_scrape::fetch::Fetcher;
    let mut config = refresh::fetcher_config(args.base_url.as_deref());
    if let Some(rate) = args.rate {
        if !rate.is_finite() || rate < 0.0 {
            anyhow::bail!("--rate must be a number of requests per second, 0 or more, got {rate}");
        }
        let spacing = if rate == 0.0 { Duration::ZERO } else { Duration::from_secs_f64(1.0 / rate) };
        config = config.with_min_spacing(spacing);
        for mp in amazcope_core::Marketplace::ALL {
            config = config.with_marketplace_spacing(*mp, spacing);
        }
    }
    // Every task of this process may have a request in flight.
    config.max_concurrency = config.max_concurrency.max(args.tasks as usize);
    let fetcher = if args.local_budget {
        Fetcher::new(config)
    } else {
        let budget: Arc<dyn amazcope_core::service::RequestBudget> = store.clone();
        Fetcher::with_budget(config, budget)
    };
    fetcher.map_err(|e| anyhow::anyhow!("cannot build the fetcher: {e}"))
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
    if args.tasks == 0 {
        anyhow::bail!("--tasks must be at least 1");
    }
    // A connection per task and two for upkeep and the budget: a fleet of such processes
    // must stay under the server's connection limit.
    let store = Arc::new(common::store_with_pool((args.tasks + 2).min(20)).await?);
    let source = Arc::new(worker_fetcher(&args, &store)?);
    let id = args.id.clone().unwrap_or_else(|| refresh::worker_id("worker"));
    let options = WorkerOptions {
        worker_id: id.clone(),
        batch: args.batch.max(1),
        lease: chrono::Duration::seconds(args.lease_secs),
        idle: Duration::from_secs(args.idle_secs),
        retry_after: chrono::Duration::minutes(15),
        max_backoff: Duration::from_secs(30),
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
    // Deliveries beside the refreshes (issue 14): the outbox's own loop, ended with the process.
    let _deliveries = if args.once { None } else { Some(crate::deliver::spawn_beside_worker(&store, &id)?) };
    let refresh = RefreshService::new(store, source);
    if args.once {
        let worker = Worker::new(refresh, options);
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
    let bar = Arc::new(common::progress(None, "{spinner} {msg}", false));
    let totals = Arc::new(std::sync::Mutex::new((0u64, 0u64, 0u64)));
    let mut tasks = tokio::task::JoinSet::new();
    for n in 1..=args.tasks {
        let task_id = if args.tasks == 1 { id.clone() } else { format!("{id}-{n}") };
        let worker =
            Worker::new(refresh.clone(), WorkerOptions { worker_id: task_id.clone(), ..options.clone() });
        let (cancel, bar, totals) = (Arc::clone(&cancel), Arc::clone(&bar), Arc::clone(&totals));
        let until_idle = args.until_idle;
        tasks.spawn(async move {
            // This task's stop: Ctrl-C, or (--until-idle) the first time nothing is due.
            let stop = Arc::new(AtomicBool::new(false));
            let stop_for_idle = Arc::clone(&stop);
            // Set while the database is away: the pauses then are not "nothing is due".
            let down = Arc::new(AtomicBool::new(false));
            let down_for_idle = Arc::clone(&down);
            let watch_cancel = Arc::clone(&cancel);
            let watcher = {
                let stop = Arc::clone(&stop);
                tokio::spawn(async move {
                    while !watch_cancel.load(Ordering::Relaxed) {
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                    stop.store(true, Ordering::Relaxed);
                })
            };
            // Windows of 50 product pages; a rise of 20 points of pages with an unreadable value warns.
            let mut watch = amazcope_core::service::UnparsedWatch::new(50, 0.2);
            let id = task_id.clone();
            let result = worker
                .run(
                    &stop,
                    &chrono::Utc::now,
                    move |d| {
                        let c = Arc::clone(&stop_for_idle);
                        let outage = down_for_idle.load(Ordering::Relaxed);
                        async move {
                            if until_idle && !outage {
                                c.store(true, Ordering::Relaxed);
                                return;
                            }
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
                        let mut t = totals.lock().unwrap_or_else(|p| p.into_inner());
                        *t = (t.0 + b.claimed, t.1 + b.stored, t.2 + b.alerts);
                        bar.set_message(format!("{} claimed, {} stored, {} alerts so far", t.0, t.1, t.2));
                    },
                    &mut |outage, pause| match outage {
                        Some(e) => bar.suspend(|| {
                            down.store(true, Ordering::Relaxed);
                            eprintln!(
                                "{id}: database unreachable ({e}); trying again in {:.1} s",
                                pause.as_secs_f64()
                            )
                        }),
                        None => bar.suspend(|| {
                            down.store(false, Ordering::Relaxed);
                            eprintln!("{id}: database reachable again")
                        }),
                    },
                )
                .await;
            watcher.abort();
            result
        });
    }
    let mut first_error = None;
    while let Some(done) = tasks.join_next().await {
        let failed = match done {
            Ok(Ok(_)) => None,
            Ok(Err(e)) => Some(anyhow::Error::from(e)),
            Err(e) => Some(anyhow::anyhow!("a worker task failed: {e}")),
        };
        if let Some(e) = failed
            && first_error.is_none()
        {
            // One task's fatal error (a read-only database, a full disk) stops them all.
            cancel.store(true, Ordering::Relaxed);
            first_error = Some(e);
        }
    }
    bar.finish_and_clear();
    if let Some(e) = first_error {
        return Err(e);
    }
    let t = *totals.lock().unwrap_or_else(|p| p.into_inner());
    outln!("{id}: stopped after {} products, {} stored, {} alerts", t.0, t.1, t.2);
    Ok(())
}
