//! `amazcope db ...`: migrations, inspection, partition upkeep and the private cluster.
//!
//! Every command uses `DATABASE_URL` when it is set, else the private cluster under
//! `AMAZCOPE_HOME` (created and started on demand; see `amazcope_pg::cluster`).

use amazcope_pg::backup::{self, PgTools};
use amazcope_pg::cluster::{self, LocalCluster};
use amazcope_pg::{MigrationState, PgStore, inspect, partitions};
use anyhow::Context;
use chrono::{Duration, Utc};
use clap::Subcommand;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::PathBuf;

/// Database commands.
#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Apply every pending migration. A database holding data is backed up first
    /// (`pg_dump`) into `AMAZCOPE_HOME/backups`, or `--backup-dir`.
    Upgrade {
        /// Where the backup taken before migrating goes.
        #[arg(long, conflicts_with = "no_backup")]
        backup_dir: Option<PathBuf>,
        /// Migrate without taking a backup first.
        #[arg(long)]
        no_backup: bool,
    },
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
    /// Table sizes, index usage, slow queries, bloat, connections and replication lag.
    Stats {
        /// Print JSON (keys `tables`, `indexes`, `slow_queries`, `bloat`, `connections`,
        /// `replication`).
        #[arg(long)]
        json: bool,
        /// Queries slower than this many milliseconds (mean or longest run) are listed first.
        #[arg(long, default_value_t = 1000)]
        slow_ms: u64,
    },
    /// Dump the database with `pg_dump` (custom format), with a manifest of row counts
    /// beside it (`FILE.manifest.json`).
    Backup {
        /// The dump file to write.
        #[arg(long)]
        out: PathBuf,
    },
    /// Restore a dump made by `db backup` into the database in use, which must be empty;
    /// every table's row count is checked against the manifest.
    Restore {
        /// The dump file.
        file: PathBuf,
    },
    /// Create the snapshot partitions ahead and drop those past the retention.
    Partitions {
        /// Months to create ahead of the current one.
        #[arg(long, default_value_t = 3)]
        ahead: u32,
        /// Drop months wholly older than this many days, once archived (`--archive`) or
        /// when `--discard` is given; without either, nothing is dropped.
        #[arg(long, default_value_t = partitions::DEFAULT_RETENTION_DAYS)]
        retention_days: i64,
        /// Write each expired month to Parquet here first (a directory, `file:///...` or
        /// `s3://bucket/prefix`), with a manifest, and read it back before dropping it.
        #[arg(long, value_name = "TARGET")]
        archive: Option<String>,
        /// Drop expired months without an archive.
        #[arg(long, conflicts_with = "archive")]
        discard: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Load archived months (`db partitions --archive`) back into the snapshots; the daily
    /// rollups of those months are recomputed. Running it again changes nothing.
    RestoreArchive {
        /// The archive: a directory or an object-store URL.
        target: String,
        /// Only this month (2025-03); default: every month in the archive.
        #[arg(long, value_parser = month)]
        month: Option<partitions::Month>,
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

/// A month argument (`2025-03`).
fn month(s: &str) -> Result<partitions::Month, String> {
    let bad = || format!("expected a month such as 2025-03, got {s:?}");
    let (y, m) = s.trim().split_once('-').ok_or_else(bad)?;
    partitions::Month::new(y.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?)
        .map_err(|e| e.to_string())
}

/// The database, without the schema check of the data commands: `db` is how a schema is
/// made and inspected.
async fn store() -> anyhow::Result<PgStore> {
    crate::common::connect(&crate::common::database_url().await?).await
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
        DbCommand::Upgrade { backup_dir, no_backup } => {
            let url = crate::common::database_url().await?;
            let store = crate::common::connect(&url).await?;
            let before = store.current_version().await?;
            // The design's first migration rule: never migrate data without a copy of it.
            if !no_backup && backup::pending_with_data(&url).await? {
                let dir = match backup_dir {
                    Some(dir) => dir,
                    None => cluster::default_home(&crate::common::cluster_settings())
                        .context("no folder for the backup: pass --backup-dir or --no-backup")?
                        .join("backups"),
                };
                let tools = PgTools::find(&crate::common::cluster_settings())?;
                let file = backup::backup_into(&url, &tools, &dir)
                    .await
                    .context("the backup before upgrading failed (--no-backup skips it)")?;
                writeln!(out, "backed up to {} before upgrading", file.display())?;
            }
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
        DbCommand::Stats { json, slow_ms } => {
            let store = store().await?;
            let stats = inspect::db_stats(store.pool(), std::time::Duration::from_millis(slow_ms)).await?;
            if json {
                writeln!(out, "{}", serde_json::to_string_pretty(&stats)?)?;
            } else {
                crate::db_stats::write_text(&stats, out)?;
            }
        }
        DbCommand::Backup { out: file } => {
            let url = crate::common::database_url().await?;
            let tools = PgTools::find(&crate::common::cluster_settings())?;
            let manifest = backup::backup(&url, &tools, &file).await.context("backup failed")?;
            writeln!(
                out,
                "backed up {} to {} ({} rows in {} tables; manifest {})",
                manifest.source,
                file.display(),
                manifest.total_rows(),
                manifest.tables.len(),
                backup::manifest_path(&file).display()
            )?;
        }
        DbCommand::Restore { file } => {
            let url = match std::env::var("DATABASE_URL").ok().filter(|u| !u.trim().is_empty()) {
                Some(url) => url,
                // Not common::database_url(): it migrates the private cluster's database on
                // first use, and a restore needs it empty (as on a new machine).
                None => {
                    LocalCluster::new(&crate::common::cluster_settings())
                        .context("cannot locate the private cluster")?
                        .ensure_database(cluster::DEFAULT_DATABASE)
                        .await?
                }
            };
            let tools = PgTools::find(&crate::common::cluster_settings())?;
            let report = backup::restore(&url, &tools, &file).await.context("restore failed")?;
            writeln!(
                out,
                "restored {} into {}: {} rows in {} tables, every count as in the backup",
                file.display(),
                report.target,
                report.manifest.total_rows(),
                report.manifest.tables.len()
            )?;
        }
        DbCommand::Partitions { ahead, retention_days, archive, discard, json } => {
            if retention_days < 0 {
                anyhow::bail!("--retention-days must not be negative (got {retention_days})");
            }
            let target = archive.as_deref().map(crate::archive::open).transpose()?;
            let disposal = match (&target, discard) {
                (Some(t), _) => Some(partitions::Disposal::Archive(t)),
                (None, true) => Some(partitions::Disposal::Discard),
                (None, false) => None,
            };
            let store = store().await?;
            // The refusal is the whole message; the archive's own errors keep their context.
            let r = match partitions::upkeep(
                store.pool(),
                ahead,
                Duration::days(retention_days),
                Utc::now(),
                disposal,
            )
            .await
            {
                Err(e @ partitions::PartitionError::NoArchive { .. }) => return Err(e.into()),
                r => r.context("partition upkeep failed")?,
            };
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
                for m in &r.archived {
                    writeln!(
                        out,
                        "archived {} to {}: {} rows, {} bytes, read back and checked (sha256 {})",
                        m.partition,
                        target.as_ref().map(|t| format!("{t}/{}", m.file)).unwrap_or_default(),
                        m.rows,
                        m.bytes,
                        &m.sha256[..12]
                    )?;
                }
                writeln!(
                    out,
                    "dropped {} partition(s){}, cleared the snapshot link of {} alert(s)",
                    r.dropped.len(),
                    list(&r.dropped),
                    r.alerts_cleared
                )?;
                if !r.kept_changed.is_empty() {
                    writeln!(
                        out,
                        "kept {} (rows arrived while archiving; archived again next run)",
                        r.kept_changed.join(", ")
                    )?;
                }
            }
        }
        DbCommand::RestoreArchive { target, month, json } => {
            let target = crate::archive::open(&target)?;
            let store = store().await?;
            store.check_schema().await?;
            let restored = amazcope_pg::archive::restore(store.pool(), &target, month)
                .await
                .with_context(|| format!("restoring from {target} failed"))?;
            if json {
                writeln!(out, "{}", serde_json::to_string_pretty(&restored)?)?;
            } else if restored.is_empty() {
                writeln!(out, "no archived month in {target}")?;
            } else {
                for m in &restored {
                    writeln!(
                        out,
                        "{}: {} archived row(s), {} restored, {} product-day rollup(s) recomputed",
                        m.month, m.rows, m.inserted, m.days_rebuilt
                    )?;
                }
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
