//! Users, their settings, tracking and imports.

use super::{Client, json_to_py, money, product_ref, user_dict};
use crate::arrow::Columns;
use crate::errors::{Error, Result};
use crate::runtime::block_on;
use amazcope_core::model::page::ParsedPage;
use amazcope_core::model::tracking::TrackOptions;
use amazcope_core::model::user::SettingsPatch;
use amazcope_core::service::{ImportDocument, ImportOptions, ImportReport, ImportService};
use amazcope_core::{Marketplace, ProductRef, StoreError, UserRepository, ValidationError};
use chrono::{DateTime, Utc};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use rust_decimal::Decimal;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub(super) fn add_user<'py>(c: &Client, py: Python<'py>, username: String) -> Result<Bound<'py, PyDict>> {
    super::no_nul("username", &username)?;
    let svc = c.tracker();
    let u = block_on(py, async move { Ok(svc.add_user(&username).await?) })?;
    Ok(user_dict(py, &u)?)
}

pub(super) fn users<'py>(c: &Client, py: Python<'py>) -> Result<Bound<'py, PyAny>> {
    let store = Arc::clone(&c.store);
    let users = block_on(py, async move { Ok(store.list_users().await?) })?;
    let mut t = Columns::default();
    t.utf8("id", users.iter().map(|u| Some(u.id.to_string())));
    t.utf8("username", users.iter().map(|u| Some(&u.username)));
    t.utf8("email", users.iter().map(|u| Some(&u.email)));
    t.time("created_at", users.iter().map(|u| Some(u.created_at)));
    Ok(t.into_pyarrow(py)?)
}

pub(super) fn settings<'py>(c: &Client, py: Python<'py>, user: String) -> Result<Bound<'py, PyAny>> {
    let settings = c.as_user(py, user, |store, u| async move { Ok(store.settings(u.id).await?) })?;
    json_to_py(py, &settings)
}

/// The keyword arguments of `update_settings` as a validated patch. An unknown name is a
/// `ValidationError` (serde would ignore it, and the caller would think it was saved); a value
/// of the wrong type is a `ValidationError` naming the setting.
fn settings_patch(py: Python<'_>, changes: &Bound<'_, PyDict>) -> Result<SettingsPatch> {
    let known = serde_json::to_value(SettingsPatch::default())
        .map_err(|e| ValidationError::new("settings", "", e.to_string()))?;
    let known = known.as_object().map(|o| o.keys().cloned().collect::<Vec<_>>()).unwrap_or_default();
    for key in changes.keys() {
        let key: String = key.extract()?;
        if !known.contains(&key) {
            return Err(ValidationError::new(
                "settings",
                &key,
                format!("is not a setting (the settings are: {})", known.join(", ")),
            )
            .into());
        }
    }
    let text: String = py.import("json")?.call_method1("dumps", (changes,))?.extract()?;
    let patch: SettingsPatch =
        serde_json::from_str(&text).map_err(|e| ValidationError::new("settings", &text, e.to_string()))?;
    patch.validate()?;
    Ok(patch)
}

pub(super) fn update_settings<'py>(
    c: &Client,
    py: Python<'py>,
    user: String,
    changes: Option<Bound<'py, PyDict>>,
) -> Result<Bound<'py, PyAny>> {
    let patch = match changes {
        Some(ch) if !ch.is_empty() => Some(settings_patch(py, &ch)?),
        _ => None,
    };
    let settings = c.as_user(py, user, |store, u| async move {
        // Nothing named, nothing written (an empty update would still move `updated_at`).
        Ok(match patch {
            Some(p) => store.update_settings(u.id, &p).await?,
            None => store.settings(u.id).await?,
        })
    })?;
    json_to_py(py, &settings)
}

pub(super) fn reset_settings<'py>(c: &Client, py: Python<'py>, user: String) -> Result<Bound<'py, PyAny>> {
    let settings = c.as_user(py, user, |store, u| async move { Ok(store.reset_settings(u.id).await?) })?;
    json_to_py(py, &settings)
}

pub(super) fn track<'py>(
    c: &Client,
    py: Python<'py>,
    user: String,
    product: ProductRef,
    thresholds: (Option<f64>, Option<f64>, Option<Decimal>),
) -> Result<Bound<'py, PyDict>> {
    let options = TrackOptions::from_raw(thresholds.0, thresholds.1, thresholds.2)?;
    let svc = c.tracker();
    let t = block_on(py, async move {
        svc.track(super::user_name(&user)?, product.asin, product.marketplace, &options).await.map_err(|e| {
            match Error::from(e) {
                // In the user's words, not the ids and the constraint of the row.
                Error::Store(StoreError::Conflict { constraint, .. }) if constraint == "uq_user_product" => {
                    Error::Store(StoreError::Conflict {
                        constraint,
                        detail: format!("{user} already tracks {product}"),
                    })
                }
                other => other,
            }
        })
    })?;
    let d = PyDict::new(py);
    d.set_item("id", t.tracking.id.0)?;
    d.set_item("product_id", t.product.id.0)?;
    d.set_item("asin", t.product.asin.to_string())?;
    d.set_item("marketplace", t.product.marketplace.code())?;
    d.set_item("price_change_threshold", t.tracking.price_change_threshold)?;
    d.set_item("bsr_change_threshold", t.tracking.bsr_change_threshold)?;
    d.set_item("target_price", t.tracking.target_price)?;
    d.set_item("is_active", t.tracking.is_active)?;
    d.set_item("created_at", t.tracking.created_at)?;
    Ok(d)
}

pub(super) fn untrack(c: &Client, py: Python<'_>, user: String, product: ProductRef) -> Result<()> {
    let svc = c.tracker();
    block_on(py, async move {
        svc.untrack(super::user_name(&user)?, &product.asin, product.marketplace)
            .await
            .map_err(|e| Error::from(e).not_tracked(&user, product))
    })
}

pub(super) fn tracked<'py>(c: &Client, py: Python<'py>, user: String) -> Result<Bound<'py, PyAny>> {
    let svc = c.tracker();
    let rows = block_on(py, async move { Ok(svc.list(super::user_name(&user)?).await?) })?;
    let mut t = Columns::default();
    t.utf8("asin", rows.iter().map(|t| Some(t.product.asin.to_string())));
    t.utf8("marketplace", rows.iter().map(|t| Some(t.product.marketplace.code())));
    t.utf8("title", rows.iter().map(|t| Some(&t.product.title)));
    t.utf8("brand", rows.iter().map(|t| t.product.brand.as_ref()));
    t.money("price", rows.iter().map(|t| t.product.current_price));
    t.money("original_price", rows.iter().map(|t| t.product.original_price));
    t.utf8("currency", rows.iter().map(|t| Some(&t.product.currency)));
    t.i32("bsr", rows.iter().map(|t| t.product.current_bsr));
    t.f64("rating", rows.iter().map(|t| t.product.rating));
    t.i32("review_count", rows.iter().map(|t| t.product.review_count));
    t.bool("in_stock", rows.iter().map(|t| Some(t.product.in_stock)));
    t.f64("price_change_threshold", rows.iter().map(|t| t.tracking.price_change_threshold));
    t.f64("bsr_change_threshold", rows.iter().map(|t| t.tracking.bsr_change_threshold));
    t.money("target_price", rows.iter().map(|t| t.tracking.target_price));
    t.time("last_snapshot_at", rows.iter().map(|t| t.product.last_snapshot_at));
    t.time("tracked_since", rows.iter().map(|t| Some(t.tracking.created_at)));
    Ok(t.into_pyarrow(py)?)
}

fn parse_for_import(html: &str, source: &str) -> std::result::Result<ParsedPage, String> {
    // Saved pages are often named `<marketplace>_<kind>_<id>.html`; use that as the hint
    // when the page itself does not say.
    let name = Path::new(source).file_name().and_then(|n| n.to_str()).unwrap_or(source);
    let hint = Marketplace::from_host(source)
        .or_else(|| name.split('_').next().and_then(|m| m.parse::<Marketplace>().ok()));
    amazcope_scrape::parse_page(html, hint).map_err(|e| e.to_string())
}

/// One saved page read from disk, with its modification time (the default `scraped_at`);
/// `Err((path, why))` when it cannot be read. Core does no I/O: the adapters read the files.
fn read_page(path: &Path) -> std::result::Result<ImportDocument, (String, String)> {
    let source = path.display().to_string();
    let modified = std::fs::metadata(path).and_then(|m| m.modified()).ok().map(DateTime::<Utc>::from);
    match std::fs::read(path) {
        Ok(bytes) => Ok(ImportDocument::from_bytes(source, bytes, modified)),
        Err(e) => Err((source, format!("cannot read: {e}"))),
    }
}

pub(super) fn import_pages<'py>(
    c: &Client,
    py: Python<'py>,
    paths: Vec<PathBuf>,
    user: Option<String>,
    scraped_at: Option<DateTime<Utc>>,
) -> Result<Bound<'py, PyDict>> {
    let svc = c.tracker();
    let store = Arc::clone(&c.store);
    let report: ImportReport = block_on(py, async move {
        let created_by = match user {
            Some(u) => Some(svc.user(super::user_name(&u)?).await?.id),
            None => None,
        };
        let options = ImportOptions { scraped_at, created_by, ..ImportOptions::at(chrono::Utc::now()) };
        let import = ImportService::new(store, parse_for_import);
        // Read as the import goes: one batch of pages in memory at a time.
        Ok(import.import_documents(paths.into_iter().map(|p| read_page(&p)), &options).await?)
    })?;
    let d = PyDict::new(py);
    d.set_item("pages", report.ingest.pages.len())?;
    d.set_item("snapshots", report.ingest.snapshots_inserted)?;
    d.set_item("duplicates", report.ingest.duplicates)?;
    d.set_item("products_created", report.ingest.products_created)?;
    d.set_item("alerts", report.ingest.alerts)?;
    d.set_item("failures", report.ingest.failures)?;
    d.set_item("errors", report.errors)?;
    Ok(d)
}

#[pymethods]
impl Client {
    /// Creates a user called `username`; returns it as a dict. A taken name is a
    /// `ConflictError`.
    fn add_user<'py>(&self, py: Python<'py>, username: String) -> Result<Bound<'py, PyDict>> {
        add_user(self, py, username)
    }

    /// Every active user, as a table (`id`, `username`, `email`, `created_at`).
    fn users<'py>(&self, py: Python<'py>) -> Result<Bound<'py, PyAny>> {
        users(self, py)
    }

    /// The user's settings as a dict (alert thresholds, e-mail switches, display choices).
    fn settings<'py>(&self, py: Python<'py>, user: String) -> Result<Bound<'py, PyAny>> {
        settings(self, py, user)
    }

    /// Changes the user's settings named as keyword arguments
    /// (`client.update_settings("ana", default_price_threshold=5.0, theme="dark")`) and
    /// returns all of them as a dict. An unknown setting or a value out of range is a
    /// `ValidationError`, and then nothing changes.
    #[pyo3(signature = (user, **changes))]
    fn update_settings<'py>(
        &self,
        py: Python<'py>,
        user: String,
        changes: Option<Bound<'py, PyDict>>,
    ) -> Result<Bound<'py, PyAny>> {
        update_settings(self, py, user, changes)
    }

    /// Puts every one of the user's settings back to its default; returns them as a dict.
    fn reset_settings<'py>(&self, py: Python<'py>, user: String) -> Result<Bound<'py, PyAny>> {
        reset_settings(self, py, user)
    }

    /// Starts tracking a product for `user`: `asin` is an ASIN (on `marketplace`, default
    /// amazon.com) or an Amazon product URL (its host gives the marketplace). Optional
    /// thresholds (percent, 0 to 100) and a target price. Returns the tracking row as a dict.
    /// Tracking the same product twice is a `ConflictError`.
    #[pyo3(signature = (user, asin, marketplace=None, *, price_threshold=None, bsr_threshold=None, target_price=None))]
    #[allow(clippy::too_many_arguments)]
    fn track<'py>(
        &self,
        py: Python<'py>,
        user: String,
        asin: String,
        marketplace: Option<String>,
        price_threshold: Option<f64>,
        bsr_threshold: Option<f64>,
        target_price: Option<Bound<'py, PyAny>>,
    ) -> Result<Bound<'py, PyDict>> {
        let target_price = target_price.map(|v| money("target_price", &v)).transpose()?;
        let product = product_ref(&asin, marketplace.as_deref())?;
        track(self, py, user, product, (price_threshold, bsr_threshold, target_price))
    }

    /// Stops `user` tracking a product (an ASIN on `marketplace`, or a product URL). Its
    /// history stays stored, but is readable again only once the user tracks it again.
    #[pyo3(signature = (user, asin, marketplace=None))]
    fn untrack(&self, py: Python<'_>, user: String, asin: String, marketplace: Option<String>) -> Result<()> {
        let product = product_ref(&asin, marketplace.as_deref())?;
        untrack(self, py, user, product)
    }

    /// The products `user` tracks with their latest values, as a table.
    fn tracked<'py>(&self, py: Python<'py>, user: String) -> Result<Bound<'py, PyAny>> {
        tracked(self, py, user)
    }

    /// Imports saved pages (paths to HTML files) as if fetched at `scraped_at` (a
    /// timezone-aware datetime; default: each file's modification time). `user` is recorded
    /// as the creator of new products. Alerts are raised for everyone tracking the products.
    /// Returns a dict: `pages`, `snapshots`, `duplicates`, `products_created`, `alerts`,
    /// `failures`, `errors` (list of (path, reason)).
    #[pyo3(signature = (paths, user=None, scraped_at=None))]
    fn import_pages<'py>(
        &self,
        py: Python<'py>,
        paths: Vec<PathBuf>,
        user: Option<String>,
        scraped_at: Option<DateTime<Utc>>,
    ) -> Result<Bound<'py, PyDict>> {
        import_pages(self, py, paths, user, scraped_at)
    }
}
