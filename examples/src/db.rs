//! `amazcope db ...`: migrations, inspection, partition upkeep and the private cluster.
//!
//! Every command uses `DATABASE_URL` when it is set, else the private cluster under
//! `AMAZCOPE_HOME` (created and started on demand; see `amazcope_pg::cluster`).

use amazcope_pg::cluster::LocalCluster;
use amazcope_pg::{MigrationState, PgStore, inspect, partitions};
use anyhow::Context;
use chrono::{Duration, Utc};
use clap::Subcommand;
use std::fmt::Write as _;
use std::io::Write as _;

/// Database commands.
#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Apply every pending migration.
    Upgrade,
    /// Revert the most recent migrations.
    Downgrade {
        /// How many migrations to revert.
        #[arg(long, default_value_t = 1)]
        steps: u32,
    },
    /// Print the current migration version.
    Current,
    /// List every migration, applied or pending.
    History {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Print an entity-relationship diagram of the live schema (Graphviz dot) on stdout.
    Erd,
    /// Table sizes and index usage.
    Stats {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Create the snapshot partitions ahead and drop those past the retention.
    Partitions {
        /// Months to create ahead of the current one.
        #[arg(long, default_value_t = 3)]
        ahead: u32,
        /// Drop months wholly older than this many days.
        #[arg(long, default_value_t = partitions::DEFAULT_RETENTION_DAYS)]
        retention_days: i64,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// The daily rollups (`product_daily`): `--rebuild` recomputes them from the raw
    /// snapshots still present (days whose raw snapshots were archived keep theirs).
    Rollups {
        /// Recompute (the only action for now; required so the command says what it does).
        #[arg(long, required = true)]
        rebuild: bool,
        /// First day (UTC, 2025-03-01), inclusive; default: the oldest.
        #[arg(long, value_parser = day)]
        from: Option<chrono::NaiveDate>,
        /// Last day (UTC), inclusive; default: the newest.
        #[arg(long, value_parser = day)]
        to: Option<chrono::NaiveDate>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Stop the private cluster (if it runs).
    Stop,
    /// Print the database URL in use, starting the private cluster if needed.
    Url,
}

/// A day argument (`2025-03-01`, UTC).
fn day(s: &str) -> Result<chrono::NaiveDate, String> {
    chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| format!("expected a day such as 2025-03-01, got {s:?}"))
}

/// The database, without the schema check of the data commands: `db` is how a schema is
/// made and inspected.
async fn store() -> anyhow::Result<PgStore> {
    Ok(PgStore::connect_url(&crate::common::database_url().await?).await?)
}

fn human_bytes(n: i64) -> String {
    const UNITS: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];
    let mut v = n as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit < UNITS.len() - 1 {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 { format!("{n} B") } else { format!("{v:.1} {}", UNITS[unit]) }
}

/// Runs a database command.
pub async fn run(cmd: DbCommand) -> anyhow::Result<()> {
    let mut out = String::new();
    execute(cmd, &mut out).await?;
    // `amazcope db erd | head` closes the pipe early; that is not an error.
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(out.as_bytes()).and_then(|()| stdout.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e).context("cannot write to stdout"),
        _ => Ok(()),
    }
}

async fn execute(cmd: DbCommand, out: &mut String) -> anyhow::Result<()> {
    match cmd {
        DbCommand::Upgrade => {
            let store = store().await?;
            let before = store.current_version().await?;
            store.migrate().await.context("upgrade failed")?;
            let after = store.current_version().await?;
            match (before, after) {
                (b, a) if b == a => writeln!(out, "already at the latest version ({})", fmt_version(a))?,
                (b, a) => writeln!(out, "upgraded from {} to {}", fmt_version(b), fmt_version(a))?,
            }
        }
        DbCommand::Downgrade { steps } => {
            let store = store().await?;
            let before = store.current_version().await?;
            let after = store.migrate_down(steps).await.context("downgrade failed")?;
            writeln!(out, "downgraded from {} to {}", fmt_version(before), fmt_version(after))?;
        }
        DbCommand::Current => {
            let store = store().await?;
            writeln!(out, "{}", fmt_version(store.current_version().await?))?;
        }
        DbCommand::History { json } => {
            let store = store().await?;
            let history = store.migration_history().await?;
            if json {
                writeln!(out, "{}", serde_json::to_string_pretty(&history)?)?;
            } else {
                for m in history {
                    let state = match m.state {
                        MigrationState::Applied { installed_on, execution_ms, checksum_matches } => format!(
                            "applied {} ({execution_ms:.0} ms){}",
                            installed_on.format("%Y-%m-%d %H:%M:%S UTC"),
                            if checksum_matches { "" } else { " CHECKSUM CHANGED since it was applied" }
                        ),
                        MigrationState::Failed => "FAILED (database is dirty)".to_string(),
                        MigrationState::Pending => "pending".to_string(),
                        MigrationState::Unknown => "applied, but unknown to this build".to_string(),
                    };
                    writeln!(out, "{:04} {:<24} {state}", m.version, m.description)?;
                }
            }
        }
        DbCommand::Erd => {
            let store = store().await?;
            write!(out, "{}", inspect::erd_dot(store.pool()).await?)?;
        }
        DbCommand::Stats { json } => {
            let store = store().await?;
            let tables = inspect::table_sizes(store.pool()).await?;
            let indexes = inspect::index_usage(store.pool()).await?;
            if json {
                let v = serde_json::json!({ "tables": tables, "indexes": indexes });
                writeln!(out, "{}", serde_json::to_string_pretty(&v)?)?;
            } else {
                writeln!(out, "{:<28} {:>12} {:>12} {:>10}", "table", "size", "rows (est.)", "partitions")?;
                for t in &tables {
                    writeln!(
                        out,
                        "{:<28} {:>12} {:>12} {:>10}",
                        t.table,
                        human_bytes(t.total_bytes),
                        t.row_estimate,
                        t.partitions
                    )?;
                }
                writeln!(out)?;
                writeln!(
                    out,
                    "{:<24} {:<46} {:>10} {:>12} {:>12} {:>10}",
                    "table", "index", "scans", "tup read", "tup fetch", "size"
                )?;
                for i in &indexes {
                    writeln!(
                        out,
                        "{:<24} {:<46} {:>10} {:>12} {:>12} {:>10}",
                        i.table,
                        i.index,
                        i.idx_scan,
                        i.idx_tup_read,
                        i.idx_tup_fetch,
                        human_bytes(i.size_bytes)
                    )?;
                }
            }
        }
        DbCommand::Partitions { ahead, retention_days, json } => {
            if retention_days < 0 {
                anyhow::bail!("--retention-days must not be negative (got {retention_days})");
            }
            let store = store().await?;
            let r = partitions::upkeep(store.pool(), ahead, Duration::days(retention_days), Utc::now())
                .await
                .context("partition upkeep failed")?;
            if json {
                writeln!(out, "{}", serde_json::to_string_pretty(&r)?)?;
            } else {
                writeln!(
                    out,
                    "created {} partition(s){}{}",
                    r.created.len(),
                    list(&r.created),
                    if r.rows_moved > 0 {
                        format!(", moved {} row(s) out of the default partition", r.rows_moved)
                    } else {
                        String::new()
                    }
                )?;
                writeln!(
                    out,
                    "dropped {} partition(s){}, cleared the snapshot link of {} alert(s)",
                    r.dropped.len(),
                    list(&r.dropped),
                    r.alerts_cleared
                )?;
            }
        }
        DbCommand::Rollups { rebuild: _, from, to, json } => {
            if let (Some(f), Some(t)) = (from, to)
                && f > t
            {
                anyhow::bail!("--from {f} is after --to {t}");
            }
            let store = store().await?;
            store.check_schema().await?;
            let days = store.rebuild_rollups(from, to).await?;
            if json {
                writeln!(out, "{}", serde_json::json!({ "days_rebuilt": days }))?;
            } else {
                writeln!(out, "rebuilt {days} product-day rollup(s) from the raw snapshots")?;
            }
        }
        DbCommand::Stop => {
            let cluster = LocalCluster::new(&crate::common::cluster_settings())
                .context("cannot locate the private cluster")?;
            let was_running = tokio::task::spawn_blocking(move || cluster.stop())
                .await
                .context("the stop task failed")?
                .context("cannot stop the private cluster")?;
            if was_running {
                writeln!(out, "stopped the private cluster")?;
            } else {
                writeln!(out, "the private cluster was not running")?;
            }
        }
        DbCommand::Url => {
            writeln!(out, "{}", crate::common::database_url().await?)?;
        }
    }
    Ok(())
}

fn fmt_version(v: Option<i64>) -> String {
    v.map_or_else(|| "none (empty database)".to_string(), |v| format!("{v:04}"))
}

fn list(names: &[String]) -> String {
    if names.is_empty() { String::new() } else { format!(": {}", names.join(", ")) }
}
