//! `client.db`: schema and storage operations.

use crate::arrow::Columns;
use crate::errors::{Error, Result};
use crate::runtime::block_on;
use amazcope_core::{StoreError, ValidationError};
use amazcope_pg::PgStore;
use amazcope_pg::backup::{self, BackupError, PgTools};
use amazcope_pg::cluster::ClusterSettings;
use pyo3::prelude::*;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Schema and storage operations of a database (`client.db`).
#[pyclass(module = "amazcope", frozen)]
#[derive(Debug)]
pub struct Db {
    pub(super) store: Arc<PgStore>,
    /// The client's URL (with its password, which `pg_dump`/`pg_restore` get through their
    /// environment, never their arguments).
    pub(super) url: String,
}

/// `path` as given, refused when it cannot name a file (empty, a NUL byte).
fn checked_path(path: &Path) -> Result<()> {
    let text = path.as_os_str().to_string_lossy();
    if text.is_empty() {
        return Err(ValidationError::new("path", "", "a file path is needed").into());
    }
    if text.contains('\0') {
        return Err(ValidationError::new("path", text.replace('\0', "\\0"), "contains a NUL byte").into());
    }
    Ok(())
}

/// `pg_dump`/`pg_restore` beside the PostgreSQL binaries, as the command line finds them.
fn tools() -> Result<PgTools> {
    PgTools::find(&ClusterSettings::from_lookup(|k| std::env::var_os(k))).map_err(backup_error)
}

/// A backup error in the user's terms: what is wrong with the file they named is a
/// `ValidationError` on `path`, a database that is not empty a `ConflictError`, the rest
/// (the tools, the server, the counts) a `DatabaseError` with its causes.
fn backup_error(e: BackupError) -> Error {
    match e {
        BackupError::NoManifest { ref path } | BackupError::BadManifest { ref path, .. } => {
            ValidationError::new("path", path.display(), e.to_string()).into()
        }
        BackupError::NotEmpty { .. } => {
            StoreError::Conflict { constraint: "empty_database".into(), detail: e.to_string() }.into()
        }
        other => Error::Backup(other),
    }
}

#[pymethods]
impl Db {
    /// Applies every pending migration.
    fn upgrade(&self, py: Python<'_>) -> Result<()> {
        let store = Arc::clone(&self.store);
        block_on(py, async move { Ok(store.migrate().await?) })
    }

    /// The version of the newest applied migration (None before the first).
    fn current(&self, py: Python<'_>) -> Result<Option<i64>> {
        let store = Arc::clone(&self.store);
        block_on(py, async move { Ok(store.current_version().await?) })
    }

    /// Size of every table (`table`, `total_bytes`, `partitions`, `live_rows`, `row_estimate`;
    /// the estimate is null before the first ANALYZE) as a table.
    fn stats<'py>(&self, py: Python<'py>) -> Result<Bound<'py, PyAny>> {
        let store = Arc::clone(&self.store);
        let rows = block_on(py, async move { Ok(amazcope_pg::inspect::table_sizes(store.pool()).await?) })?;
        let mut c = Columns::default();
        c.utf8("table", rows.iter().map(|r| Some(&r.table)));
        c.i64("total_bytes", rows.iter().map(|r| Some(r.total_bytes)));
        c.i64("partitions", rows.iter().map(|r| Some(r.partitions)));
        c.i64("live_rows", rows.iter().map(|r| Some(r.live_rows)));
        c.i64("row_estimate", rows.iter().map(|r| r.row_estimate));
        Ok(c.into_pyarrow(py)?)
    }

    /// Dumps this database to `path` with `pg_dump` (custom format; written to
    /// `path.partial`, renamed when complete) and writes `path.manifest.json` beside it with
    /// every table's row count, counted in the dump's own snapshot. Returns that manifest
    /// (`created_at`, `source`, `dump`, `tables`). As `amazcope db backup --out FILE`.
    ///
    /// Behind PgBouncer in transaction mode, connect the client with the server's own URL
    /// for backups: `pg_dump` sets session settings a pooler would hand on to other clients.
    fn backup<'py>(&self, py: Python<'py>, path: PathBuf) -> Result<Bound<'py, PyAny>> {
        checked_path(&path)?;
        match path.parent().filter(|p| !p.as_os_str().is_empty()) {
            Some(dir) if !dir.is_dir() => {
                return Err(ValidationError::new("path", path.display(), "its folder does not exist").into());
            }
            _ => {}
        }
        if path.is_dir() {
            return Err(ValidationError::new("path", path.display(), "is a folder, not a file").into());
        }
        let tools = tools()?;
        let url = self.url.clone();
        let manifest =
            block_on(py, async move { backup::backup(&url, &tools, &path).await.map_err(backup_error) })?;
        super::json_to_py(py, &manifest)
    }

    /// Restores `path`, a dump made by `backup()` (or `amazcope db backup`), into this
    /// database, which must be empty (`connect(url, upgrade=False)` on a new database), in
    /// one transaction, then checks every table's row count against the manifest beside the
    /// dump. Returns `{target, manifest}`. A missing dump or manifest is a `ValidationError`,
    /// a database that is not empty a `ConflictError`; nothing is written then.
    fn restore<'py>(&self, py: Python<'py>, path: PathBuf) -> Result<Bound<'py, PyAny>> {
        checked_path(&path)?;
        if !path.is_file() {
            let reason = if path.exists() { "is not a file" } else { "no such file" };
            return Err(ValidationError::new("path", path.display(), reason).into());
        }
        let tools = tools()?;
        let url = self.url.clone();
        let report =
            block_on(py, async move { backup::restore(&url, &tools, &path).await.map_err(backup_error) })?;
        super::json_to_py(py, &report)
    }

    /// The monthly partitions of `product_snapshots` (`name`, `month_start`), oldest first.
    fn partitions<'py>(&self, py: Python<'py>) -> Result<Bound<'py, PyAny>> {
        let store = Arc::clone(&self.store);
        let rows =
            block_on(py, async move { Ok(amazcope_pg::partitions::list_partitions(store.pool()).await?) })?;
        let mut c = Columns::default();
        c.utf8("name", rows.iter().map(|r| Some(&r.name)));
        c.time("month_start", rows.iter().map(|r| Some(r.month.start())));
        Ok(c.into_pyarrow(py)?)
    }
}
