//! `client.db`: schema and storage operations.

use crate::arrow::Columns;
use crate::errors::Result;
use crate::runtime::block_on;
use amazcope_pg::PgStore;
use pyo3::prelude::*;
use std::sync::Arc;

/// Schema and storage operations of a database (`client.db`).
#[pyclass(module = "amazcope", frozen)]
#[derive(Debug)]
pub struct Db {
    pub(super) store: Arc<PgStore>,
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
