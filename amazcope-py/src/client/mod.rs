//! `amazcope.connect()` and the `Client` on it. The `#[pymethods]` block below only takes
//! the arguments apart and hands them to one module per area: `tracking` (users, settings,
//! tracking, imports), `history` (history, stats, replay), `alerts` (alerts and
//! notifications), `suggestions`, `analytics`, `refresh` and `db` (`client.db`).
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
use std::path::PathBuf;
use std::sync::Arc;
use suggestions::Review;

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

    /// Creates a user called `username`; returns it as a dict. A taken name is a
    /// `ConflictError`.
    fn add_user<'py>(&self, py: Python<'py>, username: String) -> Result<Bound<'py, PyDict>> {
        tracking::add_user(self, py, username)
    }

    /// Every active user, as a table (`id`, `username`, `email`, `created_at`).
    fn users<'py>(&self, py: Python<'py>) -> Result<Bound<'py, PyAny>> {
        tracking::users(self, py)
    }

    /// The user's settings as a dict (alert thresholds, e-mail switches, display choices).
    fn settings<'py>(&self, py: Python<'py>, user: String) -> Result<Bound<'py, PyAny>> {
        tracking::settings(self, py, user)
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
        tracking::update_settings(self, py, user, changes)
    }

    /// Puts every one of the user's settings back to its default; returns them as a dict.
    fn reset_settings<'py>(&self, py: Python<'py>, user: String) -> Result<Bound<'py, PyAny>> {
        tracking::reset_settings(self, py, user)
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
        tracking::track(self, py, user, product, (price_threshold, bsr_threshold, target_price))
    }

    /// Stops `user` tracking a product (an ASIN on `marketplace`, or a product URL). Its
    /// history stays stored, but is readable again only once the user tracks it again.
    #[pyo3(signature = (user, asin, marketplace=None))]
    fn untrack(&self, py: Python<'_>, user: String, asin: String, marketplace: Option<String>) -> Result<()> {
        let product = product_ref(&asin, marketplace.as_deref())?;
        tracking::untrack(self, py, user, product)
    }

    /// Products matching `text` (words, an ASIN or a title), best first, as a table (`asin`,
    /// `marketplace`, `title`, `brand`, `price`, `currency`, `matched`: asin, title, text or
    /// similar, `rank`, `similarity`). `marketplace` keeps to one marketplace (and its
    /// language's stemming); `user` to that user's tracked products.
    #[pyo3(signature = (text, marketplace=None, user=None, limit=20))]
    fn search<'py>(
        &self,
        py: Python<'py>,
        text: String,
        marketplace: Option<String>,
        user: Option<String>,
        limit: i64,
    ) -> Result<Bound<'py, PyAny>> {
        search::search(
            self,
            py,
            text,
            self::marketplace(marketplace.as_deref())?,
            user,
            count("limit", limit)?,
        )
    }

    /// The products `user` tracks with their latest values, as a table.
    fn tracked<'py>(&self, py: Python<'py>, user: String) -> Result<Bound<'py, PyAny>> {
        tracking::tracked(self, py, user)
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
        tracking::import_pages(self, py, paths, user, scraped_at)
    }

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
        archive::import_keepa(self, py, path, user, marketplace)
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
        archive::export(self, py, out, asin, marketplace, user, start, end, daily, format.to_owned())
    }

    /// `user`'s alerts, newest first, as a table (`id`, `alert_type`, `severity`, `title`,
    /// `message`, `old_value`, `new_value`, `change_percentage`, `is_read`, `asin`,
    /// `marketplace`, `product_title`, `created_at`).
    #[pyo3(signature = (user, unread=false, limit=1000))]
    fn alerts<'py>(
        &self,
        py: Python<'py>,
        user: String,
        unread: bool,
        limit: i64,
    ) -> Result<Bound<'py, PyAny>> {
        alerts::alerts(self, py, user, unread, count("limit", limit)?)
    }

    /// Marks one of `user`'s alerts read (by id), or all of them when `alert_id` is None.
    /// Returns how many changed. Another user's alert id is `NotFound`.
    #[pyo3(signature = (user, alert_id=None))]
    fn mark_read(&self, py: Python<'_>, user: String, alert_id: Option<String>) -> Result<u64> {
        alerts::mark_read(self, py, user, alert_id)
    }

    /// `user`'s notifications, newest first (only unread ones with `unread=True`), as a table
    /// (`id`, `notification_type`, `priority`, `title`, `message`, `alert_id`, `is_read`,
    /// `created_at`).
    #[pyo3(signature = (user, unread=false, limit=1000))]
    fn notifications<'py>(
        &self,
        py: Python<'py>,
        user: String,
        unread: bool,
        limit: i64,
    ) -> Result<Bound<'py, PyAny>> {
        alerts::notifications(self, py, user, unread, count("limit", limit)?)
    }

    /// Adds a delivery channel: `email=ADDRESS` or `webhook=URL` (with `format` json, slack,
    /// discord or ntfy, and a signing `secret`); `min_priority` and `types` filter. Returns
    /// the channel as a dict (target masked, no secret).
    #[pyo3(signature = (user, *, email=None, webhook=None, format=None, secret=None, min_priority=None, types=None))]
    #[allow(clippy::too_many_arguments)]
    fn add_channel<'py>(
        &self,
        py: Python<'py>,
        user: String,
        email: Option<String>,
        webhook: Option<String>,
        format: Option<String>,
        secret: Option<String>,
        min_priority: Option<String>,
        types: Option<Vec<String>>,
    ) -> Result<Bound<'py, PyAny>> {
        channels::add(self, py, user, email, webhook, format, secret, min_priority, types)
    }

    /// The user's channels as dicts (targets masked, secrets left out).
    fn channels<'py>(&self, py: Python<'py>, user: String) -> Result<Bound<'py, PyAny>> {
        channels::list(self, py, user)
    }

    /// Removes one of the user's channels.
    fn remove_channel(&self, py: Python<'_>, user: String, id: String) -> Result<()> {
        channels::remove(self, py, user, id)
    }

    /// Sends a test message through one of the user's channels now: `{ok, code, error}`.
    #[pyo3(signature = (user, id, *, smtp_url=None, mail_from=None))]
    fn test_channel<'py>(
        &self,
        py: Python<'py>,
        user: String,
        id: String,
        smtp_url: Option<String>,
        mail_from: Option<String>,
    ) -> Result<Bound<'py, PyAny>> {
        channels::test(self, py, user, id, smtp_url, mail_from)
    }

    /// Delivers everything due at `now` (default: now), like `amazcope deliver --once`:
    /// `{sent, failed, dead}`. SMTP from `smtp_url`/`mail_from`, else `AMAZCOPE_SMTP_URL`.
    #[pyo3(signature = (now=None, *, smtp_url=None, mail_from=None))]
    fn deliver<'py>(
        &self,
        py: Python<'py>,
        now: Option<DateTime<Utc>>,
        smtp_url: Option<String>,
        mail_from: Option<String>,
    ) -> Result<Bound<'py, PyAny>> {
        channels::deliver(self, py, now, smtp_url, mail_from)
    }

    /// The user's delivery log as a pyarrow.Table, newest first; `failed=True` keeps failed
    /// and dead ones.
    #[pyo3(signature = (user, failed=false, limit=1000))]
    fn deliveries<'py>(
        &self,
        py: Python<'py>,
        user: String,
        failed: bool,
        limit: i64,
    ) -> Result<Bound<'py, PyAny>> {
        channels::deliveries(self, py, user, failed, count("limit", limit)?)
    }

    /// Marks one of `user`'s notifications read (`id`), or all of them when `id` is None.
    /// Returns how many were marked (1 for one id; for all, those that were unread). Another
    /// user's notification id is `NotFound`.
    #[pyo3(signature = (user, id=None))]
    fn mark_notifications_read(&self, py: Python<'_>, user: String, id: Option<String>) -> Result<u64> {
        alerts::mark_notifications_read(self, py, user, id)
    }

    /// Deletes one of `user`'s notifications (by id). Another user's notification id is
    /// `NotFound`.
    fn delete_notification(&self, py: Python<'_>, user: String, id: String) -> Result<()> {
        alerts::delete_notification(self, py, user, id)
    }

    /// Deletes `user`'s notifications created more than `older_than_days` days ago, read or
    /// not (0: all of them). Returns how many were deleted.
    fn purge_notifications(&self, py: Python<'_>, user: String, older_than_days: i64) -> Result<u64> {
        alerts::purge_notifications(self, py, user, older_than_days)
    }

    /// Price and rank history (with each tracked value's quality flag and the page's ASIN) of
    /// a product (an ASIN on `marketplace`, or a product URL) over
    /// the last `days` days, oldest first, for a `user` who tracks it (`NotFound` otherwise,
    /// also after `untrack`), as a table: `scraped_at` (UTC), `price`, `original_price`
    /// (decimal128(10,2)), `currency`, `bsr`, `bsr_small_category`, `rating`,
    /// `review_count`, `in_stock`, `is_prime`. Read column-wise straight from PostgreSQL:
    /// one Arrow buffer per column, no Python object per row.
    /// Rows before the oldest raw snapshot still stored come from the daily rollups, one per
    /// UTC day at its midnight with its last values; `resolution` says `raw` or `daily`.
    /// `daily=True` gives daily rows only.
    #[pyo3(signature = (asin, marketplace=None, days=90, *, user, daily=false))]
    fn history<'py>(
        &self,
        py: Python<'py>,
        asin: String,
        marketplace: Option<String>,
        days: i64,
        user: String,
        daily: bool,
    ) -> Result<Bound<'py, PyAny>> {
        let days = count("days", days)?;
        let product = product_ref(&asin, marketplace.as_deref())?;
        history::history(self, py, product, days, daily, user)
    }

    /// A Keepa-style chart of a tracked product's history (price and list price steps, the
    /// sales rank on a second axis, out-of-stock spans shaded) as SVG text: the same drawing
    /// as `amazcope chart`. `days=None` charts all of it.
    #[pyo3(signature = (asin, marketplace=None, days=None, *, user, daily=false, width=1200, height=600))]
    #[allow(clippy::too_many_arguments)]
    fn chart(
        &self,
        py: Python<'_>,
        asin: String,
        marketplace: Option<String>,
        days: Option<i64>,
        user: String,
        daily: bool,
        width: i64,
        height: i64,
    ) -> Result<String> {
        let (days, width, height) =
            (count_opt("days", days)?, count("width", width)?, count("height", height)?);
        // The size is checked before the history is read: a bad one is the caller's value.
        let (lo, hi) = amazcope_chart::SIZE_LIMITS;
        for (field, v) in [("width", width), ("height", height)] {
            if !(lo..=hi).contains(&v) {
                return Err(ValidationError::new(field, v, format!("must be {lo} to {hi} pixels")).into());
            }
        }
        let product = product_ref(&asin, marketplace.as_deref())?;
        history::chart(self, py, product, days, daily, width, height, user)
    }

    /// `user`'s report over the `hours` up to now: products tracked, what changed, the
    /// biggest movers, alerts by type (a dict; prices as decimal strings).
    #[pyo3(signature = (user, hours=24))]
    fn report<'py>(&self, py: Python<'py>, user: String, hours: i64) -> Result<Bound<'py, PyAny>> {
        analytics::report(self, py, user, hours)
    }

    /// Minimum, maximum and average price over the last 30, 90, 180 and 365 days (ending
    /// at the newest snapshot), the lowest price and when it was seen, and the share of days
    /// out of stock, for a product `user` tracks (`NotFound` otherwise). One table row per
    /// window (`days`, `at`, `currency`, `snapshot_count`, `priced_count`, `min_price`,
    /// `min_price_at`, `max_price`, `avg_price`, `days_observed`, `days_out_of_stock`,
    /// `out_of_stock_share`); prices are decimal128(10,2).
    #[pyo3(signature = (asin, marketplace=None, *, user))]
    fn stats<'py>(
        &self,
        py: Python<'py>,
        asin: String,
        marketplace: Option<String>,
        user: String,
    ) -> Result<Bound<'py, PyAny>> {
        let product = product_ref(&asin, marketplace.as_deref())?;
        history::stats(self, py, product, user)
    }

    /// The alerts `user`'s thresholds would have raised over the stored history of a
    /// product they track (a backtest: nothing is written), oldest first, as a table
    /// (`created_at`, `alert_type`, `severity`, `title`, `message`, `old_value`, `new_value`,
    /// `change_percentage`). `NotFound` when `user` does not track the product.
    #[pyo3(signature = (asin, marketplace=None, *, user))]
    fn replay<'py>(
        &self,
        py: Python<'py>,
        asin: String,
        marketplace: Option<String>,
        user: String,
    ) -> Result<Bound<'py, PyAny>> {
        let product = product_ref(&asin, marketplace.as_deref())?;
        history::replay(self, py, product, user)
    }

    /// Fetches the pages of the products that are due (only those `user` tracks, when
    /// given), stores them and raises alerts, as `amazcope refresh` does. `base_url` fetches
    /// from that server instead of Amazon (a local storefront; politeness delays off).
    /// Returns a dict: `claimed`, `stored`, `duplicates`, `failures`, `alerts` and `items`
    /// (a table: `asin`, `marketplace`, `outcome`, `detail`, `alerts`). A product that fails
    /// is reported in `items`; only an unusable `base_url` or the database raise.
    #[pyo3(signature = (user=None, *, base_url=None, limit=10_000))]
    fn refresh<'py>(
        &self,
        py: Python<'py>,
        user: Option<String>,
        base_url: Option<String>,
        limit: i64,
    ) -> Result<Bound<'py, PyDict>> {
        refresh::refresh(self, py, user, base_url, count("limit", limit)?)
    }

    /// Runs the suggestion generators over `user`'s tracked products and stores what they
    /// propose (a proposal matching one of the user's pending suggestions is skipped, so a
    /// second run adds nothing). Returns a dict: `products`, `proposed`, `skipped`,
    /// `created` (a table as :meth:`suggestions` returns) and `errors` (list of
    /// (asin, generator, message)).
    fn suggest<'py>(&self, py: Python<'py>, user: String) -> Result<Bound<'py, PyDict>> {
        suggestions::suggest(self, py, user)
    }

    /// `user`'s suggestions (expired ones left out; only `status` ones when given:
    /// `pending`, `approved`, `rejected`, `applied`, ...), by priority then newest, as a
    /// table; each row's `actions` column lists its actions (`id`, `action_type`,
    /// `target_field`, `current_value`, `proposed_value`, `status`, ...).
    #[pyo3(signature = (user, status=None))]
    fn suggestions<'py>(
        &self,
        py: Python<'py>,
        user: String,
        status: Option<String>,
    ) -> Result<Bound<'py, PyAny>> {
        suggestions::suggestions(self, py, user, status)
    }

    /// How many suggestions `user` has: a dict with `total` and the counts `by_status`,
    /// `by_category` and `by_priority` (dicts; a value with none is left out). A pending
    /// suggestion past its expiry counts as `expired`.
    fn suggestion_stats<'py>(&self, py: Python<'py>, user: String) -> Result<Bound<'py, PyAny>> {
        suggestions::suggestion_stats(self, py, user)
    }

    /// One of `user`'s suggestions as a dict, with its `actions` as a list of dicts.
    /// Another user's suggestion is `NotFound`.
    fn suggestion<'py>(
        &self,
        py: Python<'py>,
        user: String,
        suggestion_id: String,
    ) -> Result<Bound<'py, PyDict>> {
        suggestions::review(self, py, user, suggestion_id, Review::Show)
    }

    /// Approves one of `user`'s pending suggestions: every action, or only `actions` (ids;
    /// the others are rejected). Returns the suggestion as a dict. Reviewing a suggestion
    /// that is not pending is a `ConflictError`.
    #[pyo3(signature = (user, suggestion_id, actions=None))]
    fn approve<'py>(
        &self,
        py: Python<'py>,
        user: String,
        suggestion_id: String,
        actions: Option<Vec<String>>,
    ) -> Result<Bound<'py, PyDict>> {
        suggestions::review(self, py, user, suggestion_id, Review::Approve(actions))
    }

    /// Rejects one of `user`'s pending suggestions and all its actions. Returns the
    /// suggestion as a dict.
    fn reject<'py>(
        &self,
        py: Python<'py>,
        user: String,
        suggestion_id: String,
    ) -> Result<Bound<'py, PyDict>> {
        suggestions::review(self, py, user, suggestion_id, Review::Reject)
    }

    /// Applies the approved actions of one of `user`'s suggestions (all of them, or only
    /// `actions`), all or nothing. Returns the suggestion as a dict.
    #[pyo3(signature = (user, suggestion_id, actions=None))]
    fn apply<'py>(
        &self,
        py: Python<'py>,
        user: String,
        suggestion_id: String,
        actions: Option<Vec<String>>,
    ) -> Result<Bound<'py, PyDict>> {
        suggestions::review(self, py, user, suggestion_id, Review::Apply(actions))
    }

    /// The latest price, main BSR, rating and review count of a product `user` tracks (an
    /// ASIN on `marketplace`, or a product URL), with their change over 7 and 30 days (a
    /// dict; the price a `Decimal`), or None before its first snapshot. `NotFound` for a
    /// product the user has never tracked.
    #[pyo3(signature = (asin, marketplace=None, *, user))]
    fn summary<'py>(
        &self,
        py: Python<'py>,
        asin: String,
        marketplace: Option<String>,
        user: String,
    ) -> Result<Option<Bound<'py, PyDict>>> {
        let product = product_ref(&asin, marketplace.as_deref())?;
        analytics::summary(self, py, product, user)
    }

    /// Trends of `fields` (names such as `price`, `bsr_main`, `rating`, `in_stock`; all 15
    /// when None) over the last `days` days (all history when None), `granularity` `raw`,
    /// `day` or `week`, for a product `user` tracks (an ASIN or a product URL). Returns
    /// `{field: table}`: raw series as (`at`, `value`), day and week series as (`start`,
    /// `label`, `count`, `last`, `min`, `max`, `mean`), money as decimal128(10,2). An
    /// unknown field or granularity is a `ValidationError`.
    #[pyo3(signature = (asin, marketplace=None, fields=None, days=None, granularity="raw".to_string(), *, user))]
    #[allow(clippy::too_many_arguments)]
    fn trends<'py>(
        &self,
        py: Python<'py>,
        asin: String,
        marketplace: Option<String>,
        fields: Option<Vec<String>>,
        days: Option<i64>,
        granularity: String,
        user: String,
    ) -> Result<Bound<'py, PyDict>> {
        let days = count_opt("days", days)?;
        let product = product_ref(&asin, marketplace.as_deref())?;
        analytics::trends(self, py, product, fields, days, granularity, user)
    }

    /// Up to 10 of `user`'s products (`asins`: ASINs on `marketplace`, or product URLs) side
    /// by side on one `metric` (`price`, `bsr`, `rating` or `reviews`) over the last `days`
    /// days. Returns a dict: `metric`, `products` (a table: `asin`, `marketplace`, `title`,
    /// `category_name`, `category_average`, `category_recorded_at`, `points`) and `points`
    /// (a table: `asin`, `marketplace`, `at`, `value`). A product the user does not track is
    /// `NotFound`; more than 10 or an unknown metric is a `ValidationError`.
    #[pyo3(signature = (asins, marketplace=None, metric="price".to_string(), days=None, *, user))]
    #[allow(clippy::too_many_arguments)]
    fn compare<'py>(
        &self,
        py: Python<'py>,
        asins: Vec<String>,
        marketplace: Option<String>,
        metric: String,
        days: Option<i64>,
        user: String,
    ) -> Result<Bound<'py, PyDict>> {
        let days = count_opt("days", days)?;
        let products =
            asins.iter().map(|a| product_ref(a, marketplace.as_deref())).collect::<Result<Vec<_>>>()?;
        analytics::compare(self, py, products, metric, days, user)
    }

    /// Computes and stores the metrics of each category (only `category`, a slug or name on
    /// `marketplace`, when given) from its newest best-seller list at or before `at` (now
    /// when None); computing again for the same day replaces that day's row. One table row
    /// per category: `category`, `slug`, `marketplace`, `level`, `recorded_at`,
    /// `product_count`, `avg_price`, `median_price`, `min_price`, `max_price` (decimal128),
    /// `avg_bsr`, `median_bsr`, `avg_rating`, `avg_review_count`. An unknown category is a
    /// `ValidationError`.
    #[pyo3(signature = (category=None, marketplace="com".to_string(), at=None))]
    fn category_metrics<'py>(
        &self,
        py: Python<'py>,
        category: Option<String>,
        marketplace: String,
        at: Option<DateTime<Utc>>,
    ) -> Result<Bound<'py, PyAny>> {
        let m: Marketplace = marketplace.parse()?;
        if let Some(name) = &category {
            no_nul("category", name)?;
        }
        analytics::category_metrics(self, py, category, m, at)
    }

    fn __repr__(&self) -> String {
        format!("<amazcope.Client {}>", self.url())
    }
}
