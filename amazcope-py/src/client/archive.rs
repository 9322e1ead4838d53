//! Keepa imports and exports.

use super::{Client, json_to_py};
use crate::errors::{Error, Result};
use crate::runtime::block_on;
use amazcope_pg::export::{ExportFormat, ExportRequest, ExportScope};
use chrono::{DateTime, Utc};
use pyo3::prelude::*;
use std::path::PathBuf;
use std::sync::Arc;

pub(super) fn import_keepa<'py>(
    c: &Client,
    py: Python<'py>,
    path: PathBuf,
    user: Option<String>,
    marketplace: Option<String>,
) -> Result<Bound<'py, PyAny>> {
    let text = std::fs::read_to_string(&path)
        .map_err(|e| Error::Runtime(format!("cannot read {}: {e}", path.display())))?;
    // Every product is checked before any is stored: a bad file writes nothing.
    let products = crate::keepa::decode_all(&text, marketplace.as_deref())?;
    let svc = c.tracker();
    let store = Arc::clone(&c.store);
    let imported = block_on(py, async move {
        let created_by = match user {
            Some(u) => Some(svc.user(super::user_name(&u)?).await?.id),
            None => None,
        };
        let mut out = Vec::with_capacity(products.len());
        for p in &products {
            out.push(store.import_keepa(p, created_by).await?);
        }
        Ok(out)
    })?;
    json_to_py(py, &imported)
}

#[allow(clippy::too_many_arguments)]
pub(super) fn export(
    c: &Client,
    py: Python<'_>,
    out: PathBuf,
    asin: Option<String>,
    marketplace: Option<String>,
    user: Option<String>,
    start: Option<DateTime<Utc>>,
    end: Option<DateTime<Utc>>,
    daily: bool,
    format: String,
) -> Result<u64> {
    let format = match format.as_str() {
        "csv" => ExportFormat::Csv,
        "parquet" => ExportFormat::Parquet,
        other => {
            return Err(
                amazcope_core::ValidationError::new("format", other, "expected csv or parquet").into()
            );
        }
    };
    enum Who {
        Product(amazcope_core::ProductRef),
        User(String),
    }
    let who = match (asin, user) {
        (Some(a), None) => Who::Product(super::product_ref(&a, marketplace.as_deref())?),
        (None, Some(u)) => Who::User(u),
        _ => {
            return Err(amazcope_core::ValidationError::new(
                "export",
                "arguments",
                "pass asin= or user=, not both",
            )
            .into());
        }
    };
    let svc = c.tracker();
    let store = Arc::clone(&c.store);
    block_on(py, async move {
        let scope = match who {
            Who::Product(r) => ExportScope::Product(svc.product(&r.asin, r.marketplace).await?.id),
            Who::User(u) => ExportScope::User(svc.user(super::user_name(&u)?).await?.id),
        };
        let request = ExportRequest { scope, from: start, to: end, daily, format };
        let file = std::fs::File::create(&out)
            .map_err(|e| Error::Runtime(format!("cannot create {}: {e}", out.display())))?;
        let (rows, w) = store.export(&request, std::io::BufWriter::new(file)).await?;
        w.into_inner()
            .map_err(|e| Error::Runtime(format!("cannot write {}: {}", out.display(), e.error())))?;
        Ok(rows)
    })
}

#[pymethods]
impl Client {
    /// Imports a Keepa product file (`import-keepa`): each product found or created, its
    /// history stored as snapshots marked `keepa` with their daily rollups. Idempotent. A
    /// malformed product raises `ValidationError` naming it and the array index, and nothing
    /// of the file is stored. Returns one dict per product (`asin`, `marketplace`,
    /// `product_id`, `created`, `points`, `inserted`).
    #[pyo3(signature = (path, user=None, marketplace=None))]
    fn import_keepa<'py>(
        &self,
        py: Python<'py>,
        path: PathBuf,
        user: Option<String>,
        marketplace: Option<String>,
    ) -> Result<Bound<'py, PyAny>> {
        import_keepa(self, py, path, user, marketplace)
    }

    /// Writes a product's (`asin`, `marketplace`) or a user's (`user`) history to `out` as
    /// `format` `"csv"` or `"parquet"`: raw snapshots, or daily rollups with `daily=True`,
    /// from `start` (inclusive) to `end` (exclusive). Returns the number of rows.
    #[pyo3(signature = (out, *, asin=None, marketplace=None, user=None, start=None, end=None, daily=false, format="parquet"))]
    #[allow(clippy::too_many_arguments)]
    fn export(
        &self,
        py: Python<'_>,
        out: PathBuf,
        asin: Option<String>,
        marketplace: Option<String>,
        user: Option<String>,
        start: Option<DateTime<Utc>>,
        end: Option<DateTime<Utc>>,
        daily: bool,
        format: &str,
    ) -> Result<u64> {
        export(self, py, out, asin, marketplace, user, start, end, daily, format.to_owned())
    }
}
