//! `amazcope.connect()` and the `Client` on it. Each area's module holds its own
//! `#[pymethods]` block (pyo3's `multiple-pymethods`), whose methods take the arguments apart
//! and call that module's functions: `tracking` (users, settings, tracking, imports),
//! `history` (history, stats, replay, chart), `alerts` (alerts and notifications),
//! `channels` (channels and delivery), `suggestions`, `analytics`, `search`, `archive`
//! (Keepa import, export), `refresh` and `db` (`client.db`). This module keeps the argument
//! checks they share.
//!
//! Users are named by user name, and every user-scoped call takes the acting user: one
//! user's calls never see another's tracking, alerts or notifications. Wherever an ASIN is
//! taken, an Amazon product URL is taken too (`ProductRef::parse`).

mod alerts;
mod analytics;
mod archive;
mod channels;
mod db;
mod history;
mod refresh;
mod search;
mod suggestions;
mod tracking;

pub use db::Db;
pub(crate) use refresh::fetcher;

use crate::errors::{Error, Result, mask_passwords};
use crate::runtime::block_on;
use amazcope_core::model::user::User;
use amazcope_core::service::TrackService;
use amazcope_core::suggest::SuggestService;
use amazcope_core::{Marketplace, ProductRef, ValidationError};
use amazcope_pg::PgStore;
use chrono::{DateTime, TimeDelta, Utc};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use rust_decimal::Decimal;
use std::future::Future;
use std::sync::Arc;

fn json_to_py<'py>(py: Python<'py>, v: &impl serde::Serialize) -> Result<Bound<'py, PyAny>> {
    let text =
        serde_json::to_string(v).map_err(|e| Error::Runtime(format!("cannot encode the result: {e}")))?;
    Ok(py.import("json")?.call_method1("loads", (text,))?)
}

fn user_dict<'py>(py: Python<'py>, u: &User) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("id", u.id.0)?;
    d.set_item("username", &u.username)?;
    d.set_item("email", &u.email)?;
    d.set_item("full_name", &u.full_name)?;
    d.set_item("is_active", u.is_active)?;
    d.set_item("created_at", u.created_at)?;
    Ok(d)
}

fn marketplace(m: Option<&str>) -> Result<Option<Marketplace>> {
    Ok(m.map(str::parse).transpose()?)
}

/// The instant `span` before now. Every stored snapshot is from 2024 on
/// (`chk_product_snapshots_scraped_at`), so a span reaching back past the Unix epoch (or too
/// large to represent, `None`) is the epoch: "all of it", never an overflow panic.
pub(crate) fn ago(span: Option<TimeDelta>) -> DateTime<Utc> {
    span.and_then(|d| Utc::now().checked_sub_signed(d))
        .filter(|t| *t > DateTime::UNIX_EPOCH)
        .unwrap_or(DateTime::UNIX_EPOCH)
}

/// Checks a user named in a call before it is looked up: a user name or e-mail (1 to 255
/// characters, no white space, no NUL). Anything else is a `ValidationError` naming `user`, so
/// a malformed name never reaches PostgreSQL (which refuses NUL with an encoding error, a
/// `DatabaseError` about the driver instead of the caller's value) and is never mistaken for
/// a user who merely does not exist.
pub(crate) fn user_name(name: &str) -> Result<&str> {
    let reason = if name.trim().is_empty() {
        "must not be empty"
    } else if name.chars().count() > 255 {
        "must be at most 255 characters (a user name or e-mail)"
    } else if name.contains('\0') {
        "must not contain a NUL character"
    } else if name.chars().any(char::is_whitespace) {
        "must not contain spaces"
    } else {
        return Ok(name);
    };
    let shown: String = name.chars().take(120).collect();
    Err(ValidationError::new("user", shown.escape_debug(), reason).into())
}

/// A count or span the user gave as a Python `int` (`limit`, `days`, `width`...), taken as
/// `i64` so that a negative or too large value is a `ValidationError` naming the argument,
/// not the bare `OverflowError` of an unsigned conversion (which names nothing).
pub(crate) fn count(field: &'static str, v: i64) -> Result<u32> {
    if v < 0 {
        return Err(ValidationError::new(field, v, "must not be negative").into());
    }
    u32::try_from(v)
        .map_err(|_| ValidationError::new(field, v, format!("must be at most {}", u32::MAX)).into())
}

fn count_opt(field: &'static str, v: Option<i64>) -> Result<Option<u32>> {
    v.map(|v| count(field, v)).transpose()
}

/// An amount of money given as `decimal.Decimal`, `int`, `float` or `str`: another type is a
/// `TypeError`, and NaN, infinity or more digits than 28 a `ValidationError` naming `field`
/// (rust_decimal's own conversion says only "Failed to parse", and takes any object's `str`).
fn money(field: &'static str, v: &Bound<'_, PyAny>) -> Result<Decimal> {
    let decimal = v.py().import("decimal")?.getattr("Decimal")?;
    let accepted = v.is_instance(&decimal)?
        || v.is_instance_of::<pyo3::types::PyString>()
        || v.is_instance_of::<pyo3::types::PyFloat>()
        || (v.is_instance_of::<pyo3::types::PyInt>() && !v.is_instance_of::<pyo3::types::PyBool>());
    if !accepted {
        let ty = v.get_type().name()?;
        return Err(pyo3::exceptions::PyTypeError::new_err(format!(
            "argument '{field}': expected a decimal.Decimal amount, got {ty}"
        ))
        .into());
    }
    let text = v.str()?.to_string();
    let parsed = if text.contains(['e', 'E']) {
        Decimal::from_scientific(&text).ok()
    } else {
        text.trim().parse::<Decimal>().ok()
    };
    parsed.ok_or_else(|| {
        let shown: String = text.chars().take(80).collect();
        ValidationError::new(field, shown, "must be a finite amount such as 19.99 (at most 28 digits)").into()
    })
}

/// Refuses a NUL character in free text (`field`): PostgreSQL `text` cannot hold one.
pub(crate) fn no_nul(field: &'static str, text: &str) -> Result<()> {
    if text.contains('\0') {
        let shown: String = text.chars().take(120).collect();
        return Err(
            ValidationError::new(field, shown.escape_debug(), "must not contain a NUL character").into()
        );
    }
    Ok(())
}

/// A product as the user named it: an ASIN (on `marketplace`, else amazon.com) or an Amazon
/// product URL (its host gives the marketplace; a URL without an ASIN is a `ValidationError`).
pub(crate) fn product_ref(text: &str, marketplace: Option<&str>) -> Result<ProductRef> {
    Ok(ProductRef::parse(text, self::marketplace(marketplace)?, Marketplace::Com)?)
}

/// A connection pool to an Amazcope database. Made by `amazcope.connect()`; safe to share
/// between threads. Every method blocks until done, with the GIL released.
#[pyclass(module = "amazcope", frozen)]
#[derive(Debug)]
pub struct Client {
    store: Arc<PgStore>,
    url: String,
}

impl Client {
    fn tracker(&self) -> TrackService<PgStore> {
        TrackService::new(Arc::clone(&self.store))
    }

    fn suggester(&self) -> SuggestService<PgStore> {
        SuggestService::new(Arc::clone(&self.store))
    }

    /// Runs `f` with the store and the active user called `user` (`NotFound` when there is
    /// none) on the global runtime, with the GIL released.
    fn as_user<T, F, Fut>(&self, py: Python<'_>, user: String, f: F) -> Result<T>
    where
        F: FnOnce(Arc<PgStore>, User) -> Fut + Send,
        Fut: Future<Output = Result<T>> + Send,
        T: Send,
    {
        let (svc, store) = (self.tracker(), Arc::clone(&self.store));
        block_on(py, async move {
            let u = svc.user(user_name(&user)?).await?;
            f(store, u).await
        })
    }
}

/// Opens the database at `url`, else `DATABASE_URL`, else the private PostgreSQL cluster the
/// command line uses (started on demand). `upgrade=True` applies pending migrations first.
/// `read_url` names a read replica (a streaming standby) that history, statistics, trends,
/// reports, exports and search read from while it lags at most 30 s (else the primary).
#[pyfunction]
#[pyo3(signature = (url=None, *, upgrade=true, read_url=None))]
pub fn connect(
    py: Python<'_>,
    url: Option<String>,
    upgrade: bool,
    read_url: Option<String>,
) -> Result<Client> {
    block_on(py, async move {
        let url = match url {
            Some(u) => u,
            // The adapter reads the environment; amazcope-pg reads none.
            None => {
                amazcope_pg::cluster::database_url_or_local(
                    std::env::var("DATABASE_URL").ok().as_deref(),
                    &amazcope_pg::cluster::ClusterSettings::from_lookup(|k| std::env::var_os(k)),
                )
                .await?
            }
        };
        let mut store = PgStore::connect_url(&url).await?;
        if upgrade {
            store.migrate().await?;
        }
        if let Some(read_url) = read_url {
            store = store.with_read_url(&read_url, amazcope_pg::replica::ReplicaConfig::default())?;
        }
        Ok(Client { store: Arc::new(store), url })
    })
}

#[pymethods]
impl Client {
    /// The database URL in use (without the password).
    #[getter]
    fn url(&self) -> String {
        mask_passwords(&self.url)
    }

    /// Schema and storage operations (`client.db.upgrade()`, `.current()`, `.stats()`,
    /// `.partitions()`).
    #[getter]
    fn db(&self) -> Db {
        Db { store: Arc::clone(&self.store), url: self.url.clone() }
    }

    fn __repr__(&self) -> String {
        format!("<amazcope.Client {}>", self.url())
    }
}
