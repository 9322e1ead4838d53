//! Upkeep of the monthly partitions of `product_snapshots` (`product_snapshots_YYYY_MM`).
//!
//! Partition DDL cannot take bind parameters, so it is built as text. Every identifier and
//! bound comes from a [`Month`] (a checked year and month), never from caller text or from
//! the catalog verbatim: catalog names are parsed back into a `Month` first, and names that do
//! not parse (the DEFAULT partition, anything hand-made) are never touched.

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use serde::Serialize;
use sqlx::{AssertSqlSafe, PgConnection, PgPool};
use std::fmt;

/// Snapshots are kept this long by default (the original's weekly purge used 90 days).
pub const DEFAULT_RETENTION_DAYS: i64 = 90;

/// The parent table.
const PARENT: &str = "product_snapshots";
/// The catch-all partition made by the migration; never dropped.
pub const DEFAULT_PARTITION: &str = "product_snapshots_default";

/// Serialises concurrent upkeep runs (two workers calling it at once).
const LOCK_KEY: i64 = 0x616d_617a_7061_7274; // "amazpart"

/// Why partition upkeep failed.
#[derive(Debug, thiserror::Error)]
pub enum PartitionError {
    /// A year/month outside what partitions can be made for.
    #[error("invalid partition month {year}-{month:02}: {reason}")]
    InvalidMonth {
        /// Year asked for.
        year: i32,
        /// Month asked for.
        month: u32,
        /// Why it is refused.
        reason: &'static str,
    },
    /// A negative retention would drop partitions of the future.
    #[error("invalid retention {days} days: must not be negative")]
    InvalidRetention {
        /// The retention asked for, in whole days.
        days: i64,
    },
    /// Retention would drop months and no archive was given for them.
    #[error(
        "refusing to drop {} snapshot partition(s) past the retention ({}) without an archive: \
         pass --archive DIR|URL to write them to Parquet first, or --discard to drop them without a copy",
        partitions.len(),
        partitions.join(", ")
    )]
    NoArchive {
        /// The partitions that would have been dropped.
        partitions: Vec<String>,
    },
    /// Archiving a month before dropping it failed; it was not dropped.
    #[error("archiving {partition} failed; it was not dropped")]
    Archive {
        /// The partition.
        partition: String,
        /// Why.
        #[source]
        source: Box<crate::archive::ArchiveError>,
    },
    /// A statement failed; `step` says which.
    #[error("partition upkeep failed while {step}")]
    Database {
        /// What was being done (`creating product_snapshots_2025_03`).
        step: String,
        /// The driver error.
        #[source]
        source: sqlx::Error,
    },
}

fn db(step: impl Into<String>) -> impl FnOnce(sqlx::Error) -> PartitionError {
    let step = step.into();
    move |source| PartitionError::Database { step, source }
}

/// The parent's constraint name for a violation PostgreSQL reports inside a partition.
///
/// Unique indexes of a partitioned table exist once per partition, and a duplicate is
/// reported under the partition's own index name (`product_snapshots_2026_11_pkey`,
/// `product_snapshots_2026_11_product_id_scraped_at_key`), not `pk_product_snapshots` or
/// `uq_product_snapshots_product_scraped`. Check and foreign-key constraints keep the parent's
/// name. Any other name is returned unchanged.
pub fn parent_constraint_name(reported: &str) -> &str {
    let Some(rest) = reported.strip_prefix("product_snapshots_") else { return reported };
    let is_partition =
        |p: &str| p == "default" || Month::from_partition_name(&format!("{PARENT}_{p}")).is_some();
    if let Some(p) = rest.strip_suffix("_pkey")
        && is_partition(p)
    {
        return "pk_product_snapshots";
    }
    if let Some(p) = rest.strip_suffix("_product_id_scraped_at_key")
        && is_partition(p)
    {
        return "uq_product_snapshots_product_scraped";
    }
    reported
}

/// A calendar month in UTC, the unit of partitioning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Month {
    year: i32,
    month: u32,
}

impl Month {
    /// Checks the month (1..=12) and the year (2000..=9999, so names keep four digits).
    pub fn new(year: i32, month: u32) -> Result<Month, PartitionError> {
        if !(1..=12).contains(&month) {
            return Err(PartitionError::InvalidMonth { year, month, reason: "month must be 1 to 12" });
        }
        if !(2000..=9999).contains(&year) {
            return Err(PartitionError::InvalidMonth { year, month, reason: "year must be 2000 to 9999" });
        }
        Ok(Month { year, month })
    }

    /// The month containing `t` (UTC).
    pub fn of(t: DateTime<Utc>) -> Result<Month, PartitionError> {
        Month::new(t.year(), t.month())
    }

    /// Parses `product_snapshots_YYYY_MM`; anything else is `None`.
    pub fn from_partition_name(name: &str) -> Option<Month> {
        let rest = name.strip_prefix("product_snapshots_")?;
        let (y, m) = rest.split_once('_')?;
        if y.len() != 4 || m.len() != 2 || !y.bytes().chain(m.bytes()).all(|b| b.is_ascii_digit()) {
            return None;
        }
        Month::new(y.parse().ok()?, m.parse().ok()?).ok()
    }

    /// The year.
    pub fn year(self) -> i32 {
        self.year
    }

    /// The month, 1..=12.
    pub fn month(self) -> u32 {
        self.month
    }

    /// The following month.
    pub fn next(self) -> Month {
        if self.month == 12 {
            Month { year: self.year + 1, month: 1 }
        } else {
            Month { year: self.year, month: self.month + 1 }
        }
    }

    /// Midnight UTC on the first day (inclusive lower bound of the partition).
    pub fn start(self) -> DateTime<Utc> {
        let date = NaiveDate::from_ymd_opt(self.year, self.month, 1).unwrap_or(NaiveDate::MIN);
        Utc.from_utc_datetime(&date.and_hms_opt(0, 0, 0).unwrap_or_default())
    }

    /// Midnight UTC on the first day of the next month (exclusive upper bound).
    pub fn end(self) -> DateTime<Utc> {
        self.next().start()
    }

    /// `product_snapshots_YYYY_MM`.
    pub fn partition_name(self) -> String {
        format!("{PARENT}_{:04}_{:02}", self.year, self.month)
    }

    /// Bound literal, e.g. `'2025-03-01 00:00:00+00'` (digits only, so safe to inline).
    fn bound_literal(self) -> String {
        format!("'{:04}-{:02}-01 00:00:00+00'", self.year, self.month)
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// What an upkeep call did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PartitionReport {
    /// Partitions created, by name.
    pub created: Vec<String>,
    /// Partitions dropped, by name.
    pub dropped: Vec<String>,
    /// Rows moved out of the DEFAULT partition into a new month's partition.
    pub rows_moved: u64,
    /// Alerts whose snapshot reference was cleared because its month was dropped.
    pub alerts_cleared: u64,
    /// The months archived (and read back) before they were dropped.
    pub archived: Vec<crate::archive::ArchiveManifest>,
    /// Months archived but kept: rows arrived after the archive was read (archived again
    /// on the next run).
    pub kept_changed: Vec<String>,
}

/// What retention does with the months it removes: archive them first, or (only when asked
/// explicitly) discard them.
#[derive(Debug, Clone, Copy)]
pub enum Disposal<'a> {
    /// Write each month to this target and read it back before dropping it.
    Archive(&'a crate::archive::ArchiveTarget),
    /// Drop without a copy (`--discard`).
    Discard,
}

/// One existing monthly partition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SnapshotPartition {
    /// Table name.
    pub name: String,
    /// The month it holds.
    pub month: Month,
}

/// The monthly partitions that exist now, oldest first (the DEFAULT partition is not listed).
pub async fn list_partitions(pool: &PgPool) -> Result<Vec<SnapshotPartition>, PartitionError> {
    let mut conn = pool.acquire().await.map_err(db("acquiring a connection"))?;
    list_in(&mut conn).await
}

async fn list_in(conn: &mut PgConnection) -> Result<Vec<SnapshotPartition>, PartitionError> {
    // language=PostgreSQL
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT c.relname::text FROM pg_inherits i \
         JOIN pg_class c ON c.oid = i.inhrelid \
         WHERE i.inhparent = 'product_snapshots'::regclass",
    )
    .fetch_all(&mut *conn)
    .await
    .map_err(db("listing partitions"))?;
    let mut out: Vec<SnapshotPartition> = names
        .into_iter()
        .filter_map(|name| Month::from_partition_name(&name).map(|month| SnapshotPartition { name, month }))
        .collect();
    out.sort_by_key(|p| p.month);
    Ok(out)
}

async fn lock(conn: &mut PgConnection) -> Result<(), PartitionError> {
    // language=PostgreSQL
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(LOCK_KEY)
        .execute(&mut *conn)
        .await
        .map_err(db("taking the partition upkeep lock"))?;
    Ok(())
}

/// Enters (`true`) or leaves the cross-user path for the rest of the transaction: the
/// statements between touch every user's alerts, which row-level security shows only to
/// `amazcope_service` (see `crate::tenant`); the DDL around them needs the session's own
/// role, the tables' owner.
async fn as_service(conn: &mut PgConnection, on: bool) -> Result<(), PartitionError> {
    // language=PostgreSQL
    let sql = if on { "SET LOCAL ROLE amazcope_service" } else { "SET LOCAL ROLE NONE" };
    sqlx::query(sql).execute(&mut *conn).await.map_err(db("switching to the service role"))?;
    Ok(())
}

/// Takes, up front and in foreign-key order (products, product_snapshots, alerts), the table
/// locks partition DDL needs. Taken one by one as the DDL reaches each table, they would be
/// acquired in another order than an ingest transaction's (which writes products, then
/// snapshots, then alerts), and the two could deadlock. Only called when there is work, so a
/// no-op upkeep run blocks nobody.
async fn lock_tables(conn: &mut PgConnection) -> Result<(), PartitionError> {
    for sql in [
        // language=PostgreSQL
        "LOCK TABLE products IN SHARE ROW EXCLUSIVE MODE",
        // language=PostgreSQL
        "LOCK TABLE product_snapshots IN ACCESS EXCLUSIVE MODE",
        // language=PostgreSQL
        "LOCK TABLE alerts IN SHARE ROW EXCLUSIVE MODE",
    ] {
        sqlx::query(sql).execute(&mut *conn).await.map_err(db("locking tables for partition ddl"))?;
    }
    Ok(())
}

/// Creates the partitions from the month of `now` through `months_ahead` months after it
/// (those that exist are left alone), in one transaction.
///
/// Rows that landed in the DEFAULT partition inside a new month's range are moved into it:
/// PostgreSQL refuses to create a partition whose range the DEFAULT partition already holds
/// rows for. Alerts pointing at moved rows keep pointing at them (the move would otherwise
/// trigger their `ON DELETE SET NULL`).
pub async fn ensure_partitions(
    pool: &PgPool,
    months_ahead: u32,
    now: DateTime<Utc>,
) -> Result<PartitionReport, PartitionError> {
    let first = Month::of(now)?;
    let mut wanted = vec![first];
    for _ in 0..months_ahead {
        let next = wanted[wanted.len() - 1].next();
        wanted.push(Month::new(next.year, next.month)?);
    }

    let mut report = PartitionReport::default();
    let mut tx = pool.begin().await.map_err(db("starting a transaction"))?;
    lock(&mut tx).await?;
    let existing = list_in(&mut tx).await?;
    wanted.retain(|m| !existing.iter().any(|p| p.month == *m));
    if !wanted.is_empty() {
        lock_tables(&mut tx).await?;
    }
    for month in wanted {
        report.rows_moved += create_one(&mut tx, month).await?;
        report.created.push(month.partition_name());
    }
    tx.commit().await.map_err(db("committing new partitions"))?;
    Ok(report)
}

/// Creates the partitions of `months` that do not exist (for a restore or an import of old
/// history), in one transaction, as [`ensure_partitions`] does.
pub async fn ensure_months(pool: &PgPool, months: &[Month]) -> Result<PartitionReport, PartitionError> {
    let mut report = PartitionReport::default();
    let mut tx = pool.begin().await.map_err(db("starting a transaction"))?;
    lock(&mut tx).await?;
    let existing = list_in(&mut tx).await?;
    let mut wanted: Vec<Month> =
        months.iter().copied().filter(|m| !existing.iter().any(|p| p.month == *m)).collect();
    wanted.sort();
    wanted.dedup();
    if !wanted.is_empty() {
        lock_tables(&mut tx).await?;
    }
    for month in wanted {
        report.rows_moved += create_one(&mut tx, month).await?;
        report.created.push(month.partition_name());
    }
    tx.commit().await.map_err(db("committing new partitions"))?;
    Ok(report)
}

/// Creates one month's partition inside the caller's transaction; returns rows moved.
async fn create_one(conn: &mut PgConnection, month: Month) -> Result<u64, PartitionError> {
    let name = month.partition_name();
    let (lo, hi) = (month.start(), month.end());
    // language=PostgreSQL
    let stray: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM product_snapshots_default WHERE scraped_at >= $1 AND scraped_at < $2",
    )
    .bind(lo)
    .bind(hi)
    .fetch_one(&mut *conn)
    .await
    .map_err(db(format!("counting rows of {month} in {DEFAULT_PARTITION}")))?;

    if stray > 0 {
        let step = format!("moving rows of {month} out of {DEFAULT_PARTITION}");
        // language=PostgreSQL
        sqlx::query(
            "CREATE TEMP TABLE amazcope_moved_snapshots ON COMMIT DROP AS \
             SELECT * FROM product_snapshots_default WHERE scraped_at >= $1 AND scraped_at < $2",
        )
        .bind(lo)
        .bind(hi)
        .execute(&mut *conn)
        .await
        .map_err(db(step.clone()))?;
        // The alerts of every user: read on the cross-user path (row-level security), which
        // reads the moved rows through a grant on this transaction's temporary table.
        // language=PostgreSQL
        sqlx::query("GRANT SELECT ON amazcope_moved_snapshots TO amazcope_service")
            .execute(&mut *conn)
            .await
            .map_err(db(step.clone()))?;
        as_service(conn, true).await?;
        // language=PostgreSQL
        sqlx::query(
            "CREATE TEMP TABLE amazcope_moved_alert_refs ON COMMIT DROP AS \
             SELECT a.id, a.snapshot_id, a.snapshot_scraped_at, a.updated_at FROM alerts a \
             JOIN amazcope_moved_snapshots s ON s.id = a.snapshot_id AND s.scraped_at = a.snapshot_scraped_at",
        )
        .execute(&mut *conn)
        .await
        .map_err(db(step.clone()))?;
        as_service(conn, false).await?;
        // language=PostgreSQL
        sqlx::query("DELETE FROM product_snapshots_default WHERE scraped_at >= $1 AND scraped_at < $2")
            .bind(lo)
            .bind(hi)
            .execute(&mut *conn)
            .await
            .map_err(db(step.clone()))?;
        create_table(conn, month, &name).await?;
        // language=PostgreSQL
        sqlx::query("INSERT INTO product_snapshots SELECT * FROM amazcope_moved_snapshots")
            .execute(&mut *conn)
            .await
            .map_err(db(step.clone()))?;
        // Restores the references the DELETE cleared, with their previous updated_at (the
        // set_updated_at trigger keeps an explicitly assigned value).
        as_service(conn, true).await?;
        // language=PostgreSQL
        sqlx::query(
            "UPDATE alerts a SET snapshot_id = r.snapshot_id, \
             snapshot_scraped_at = r.snapshot_scraped_at, updated_at = r.updated_at \
             FROM amazcope_moved_alert_refs r WHERE a.id = r.id",
        )
        .execute(&mut *conn)
        .await
        .map_err(db(step.clone()))?;
        // language=PostgreSQL
        sqlx::query("DROP TABLE amazcope_moved_alert_refs")
            .execute(&mut *conn)
            .await
            .map_err(db(step.clone()))?;
        as_service(conn, false).await?;
        // language=PostgreSQL
        sqlx::query("DROP TABLE amazcope_moved_snapshots").execute(&mut *conn).await.map_err(db(step))?;
        Ok(u64::try_from(stray).unwrap_or(0))
    } else {
        create_table(conn, month, &name).await?;
        Ok(0)
    }
}

async fn create_table(conn: &mut PgConnection, month: Month, name: &str) -> Result<(), PartitionError> {
    // Identifier and bounds come from a checked Month (digits and underscores only).
    let ddl = format!(
        "CREATE TABLE {name} PARTITION OF {PARENT} FOR VALUES FROM ({}) TO ({})",
        month.bound_literal(),
        month.next().bound_literal()
    );
    sqlx::query(AssertSqlSafe(ddl)).execute(&mut *conn).await.map_err(db(format!("creating {name}")))?;
    Ok(())
}

/// One upkeep run as a deployment schedules it (`amazcope db partitions`, every `amazcope
/// worker` now and then): [`ensure_partitions`], then [`drop_expired_partitions`], their
/// reports merged.
pub async fn upkeep(
    pool: &PgPool,
    months_ahead: u32,
    retention: Duration,
    now: DateTime<Utc>,
    disposal: Option<Disposal<'_>>,
) -> Result<PartitionReport, PartitionError> {
    let created = ensure_partitions(pool, months_ahead, now).await?;
    let dropped = drop_expired_partitions(pool, retention, now, disposal).await?;
    Ok(PartitionReport {
        dropped: dropped.dropped,
        alerts_cleared: dropped.alerts_cleared,
        archived: dropped.archived,
        kept_changed: dropped.kept_changed,
        ..created
    })
}

/// Drops the monthly partitions whose whole range is older than `now - retention`, in one
/// transaction. A month that still has a row newer than the cutoff is kept; the DEFAULT
/// partition is never dropped.
///
/// No data goes without a copy: with [`Disposal::Archive`] each month is first written to
/// the archive and read back ([`crate::archive::archive_month`]), and dropped only if it
/// still holds the rows archived (otherwise it is kept and reported in `kept_changed`);
/// with `None` nothing is dropped and, if any month is due, [`PartitionError::NoArchive`]
/// says so; [`Disposal::Discard`] drops without a copy.
///
/// `alerts.snapshot_id` is `ON DELETE SET NULL`, but dropping a partition deletes no row (no
/// trigger fires) and PostgreSQL refuses to detach a partition that is still referenced, so
/// the alerts pointing into each dropped month are cleared first, as the SET NULL would.
pub async fn drop_expired_partitions(
    pool: &PgPool,
    retention: Duration,
    now: DateTime<Utc>,
    disposal: Option<Disposal<'_>>,
) -> Result<PartitionReport, PartitionError> {
    if retention < Duration::zero() {
        return Err(PartitionError::InvalidRetention { days: retention.num_days() });
    }
    let cutoff = now - retention;
    let mut report = PartitionReport::default();
    let due: Vec<SnapshotPartition> =
        list_partitions(pool).await?.into_iter().filter(|p| p.month.end() <= cutoff).collect();
    if due.is_empty() {
        return Ok(report);
    }
    let mut archived = std::collections::HashMap::new();
    match disposal {
        None => {
            return Err(PartitionError::NoArchive { partitions: due.into_iter().map(|p| p.name).collect() });
        }
        Some(Disposal::Discard) => {}
        // Archived before the DDL transaction: reading a month takes a while, and the table
        // locks below would stop every ingest for as long.
        Some(Disposal::Archive(target)) => {
            for p in &due {
                let manifest = crate::archive::archive_month(pool, target, p.month).await.map_err(|e| {
                    PartitionError::Archive { partition: p.name.clone(), source: Box::new(e) }
                })?;
                archived.insert(p.month, manifest);
            }
        }
    }
    let mut tx = pool.begin().await.map_err(db("starting a transaction"))?;
    lock(&mut tx).await?;
    let expired: Vec<SnapshotPartition> =
        list_in(&mut tx).await?.into_iter().filter(|p| p.month.end() <= cutoff).collect();
    if !expired.is_empty() {
        lock_tables(&mut tx).await?;
    }
    for p in expired {
        let name = p.month.partition_name();
        if let Some(Disposal::Archive(_)) = disposal {
            // Only what was archived may go: a month not archived above (it expired
            // meanwhile) or one that took rows since is kept for the next run.
            let Some(manifest) = archived.remove(&p.month) else { continue };
            let rows: i64 = sqlx::query_scalar(AssertSqlSafe(format!("SELECT count(*) FROM {name}")))
                .fetch_one(&mut *tx)
                .await
                .map_err(db(format!("counting the rows of {name}")))?;
            if u64::try_from(rows).ok() != Some(manifest.rows) {
                report.kept_changed.push(name);
                continue;
            }
            report.archived.push(manifest);
        }
        // Every user's alerts: on the cross-user path (row-level security).
        as_service(&mut tx, true).await?;
        // language=PostgreSQL
        let cleared = sqlx::query(
            "UPDATE alerts SET snapshot_id = NULL, snapshot_scraped_at = NULL \
             WHERE snapshot_scraped_at >= $1 AND snapshot_scraped_at < $2",
        )
        .bind(p.month.start())
        .bind(p.month.end())
        .execute(&mut *tx)
        .await
        .map_err(db(format!("clearing alerts that point into {name}")))?
        .rows_affected();
        as_service(&mut tx, false).await?;
        report.alerts_cleared += cleared;
        sqlx::query(AssertSqlSafe(format!("ALTER TABLE {PARENT} DETACH PARTITION {name}")))
            .execute(&mut *tx)
            .await
            .map_err(db(format!("detaching {name}")))?;
        sqlx::query(AssertSqlSafe(format!("DROP TABLE {name}")))
            .execute(&mut *tx)
            .await
            .map_err(db(format!("dropping {name}")))?;
        report.dropped.push(name);
    }
    tx.commit().await.map_err(db("committing dropped partitions"))?;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partition_names_round_trip_and_reject_others() {
        let m = Month::new(2025, 3).unwrap();
        assert_eq!(m.partition_name(), "product_snapshots_2025_03");
        assert_eq!(Month::from_partition_name("product_snapshots_2025_03"), Some(m));
        assert_eq!(Month::from_partition_name(DEFAULT_PARTITION), None);
        assert_eq!(Month::from_partition_name("product_snapshots_2025_13"), None);
        assert_eq!(Month::from_partition_name("product_snapshots_2025_3"), None);
        assert_eq!(Month::from_partition_name("product_snapshots_2025_03; drop"), None);
    }

    #[test]
    fn december_rolls_into_january() {
        let m = Month::new(2025, 12).unwrap();
        assert_eq!(m.next(), Month::new(2026, 1).unwrap());
        assert_eq!(m.end().to_rfc3339(), "2026-01-01T00:00:00+00:00");
        assert_eq!(m.bound_literal(), "'2025-12-01 00:00:00+00'");
    }

    #[test]
    fn partition_level_names_map_to_the_parent_constraint() {
        assert_eq!(parent_constraint_name("product_snapshots_2026_11_pkey"), "pk_product_snapshots");
        assert_eq!(
            parent_constraint_name("product_snapshots_default_product_id_scraped_at_key"),
            "uq_product_snapshots_product_scraped"
        );
        assert_eq!(parent_constraint_name("chk_product_snapshots_rating"), "chk_product_snapshots_rating");
        assert_eq!(parent_constraint_name("product_snapshots_x_pkey"), "product_snapshots_x_pkey");
    }

    #[test]
    fn invalid_months_are_refused() {
        assert!(matches!(Month::new(2025, 0), Err(PartitionError::InvalidMonth { month: 0, .. })));
        assert!(matches!(Month::new(1999, 5), Err(PartitionError::InvalidMonth { year: 1999, .. })));
    }
}
