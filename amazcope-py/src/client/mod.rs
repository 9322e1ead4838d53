//! `amazcope.connect()` and the `Client` on it: users, tracking, imports, alerts,
//! notifications, history and reports over PostgreSQL, through the core services.
//!
//! Users are named by user name, and every user-scoped call takes the acting user: one
//! user's calls never see another's tracking, alerts or notifications.

use crate::arrow::Columns;
use crate::copy::HistoryDecoder;
use crate::errors::{Error, Result};
use crate::runtime::block_on;
use crate::views;
use amazcope_core::analytics::{AnalyticsRepository, CompareMetric, Granularity, TrendField, window_stats};
use amazcope_core::model::alert::AlertQuery;
use amazcope_core::model::category::Category;
use amazcope_core::model::page::ParsedPage;
use amazcope_core::model::product::Product;
use amazcope_core::model::tracking::TrackOptions;
use amazcope_core::model::user::{SettingsPatch, User};
use amazcope_core::repo::{SnapshotRepository, TimeRange, TrackingRepository};
use amazcope_core::rules::{RuleConfig, replay};
use amazcope_core::service::{
    ImportOptions, ImportReport, ImportService, RefreshOptions, RefreshService, TrackService, daily_report,
};
use amazcope_core::suggest::SuggestService;
use amazcope_core::{
    AlertId, AlertRepository, Asin, CategoryRepository, Marketplace, NotificationRepository, StoreError,
    SuggestionActionId, SuggestionId, SuggestionStatus, UserRepository, ValidationError,
};
use amazcope_pg::PgStore;
use amazcope_scrape::fetch::{Fetcher, FetcherConfig};
use chrono::{DateTime, Duration, Utc};
use futures::TryStreamExt;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use rust_decimal::Decimal;
use sqlx::postgres::PgPoolCopyExt;
use std::path::PathBuf;
use std::sync::Arc;

fn db_error(what: &str) -> impl FnOnce(String) -> Error + '_ {
    move |e| Error::Database(format!("{what}: {e}"))
}

fn json_to_py<'py>(py: Python<'py>, v: &impl serde::Serialize) -> PyResult<Bound<'py, PyAny>> {
    let text = serde_json::to_string(v)
        .map_err(|e| crate::errors::DatabaseError::new_err(format!("cannot encode the result: {e}")))?;
    py.import("json")?.call_method1("loads", (text,))
}

fn marketplace(m: &str) -> Result<Marketplace> {
    Ok(m.parse()?)
}

fn asin(a: &str) -> Result<Asin> {
    Ok(a.parse()?)
}

fn parse_for_import(html: &str, source: &str) -> std::result::Result<ParsedPage, String> {
    // Saved pages are often named `<marketplace>_<kind>_<id>.html`; use that as the hint
    // when the page itself does not say.
    let name = std::path::Path::new(source).file_name().and_then(|n| n.to_str()).unwrap_or(source);
    let hint = Marketplace::from_host(source)
        .or_else(|| name.split('_').next().and_then(|m| m.parse::<Marketplace>().ok()));
    amazcope_scrape::parse_page(html, hint).map_err(|e| e.to_string())
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
}

/// The acting user and a product by ASIN (`NotFound` for either). Whether the user may see
/// the product's data is the repository's call, made by the scoped query that follows.
async fn user_and_product(
    svc: &TrackService<PgStore>,
    user: &str,
    asin: Asin,
    marketplace: Marketplace,
) -> Result<(User, Product)> {
    let u = svc.user(user).await?;
    let p = svc.product(&asin, marketplace).await?;
    Ok((u, p))
}

/// A time range of the last `days` days up to now (everything when `days` is None).
fn last_days(days: Option<u32>) -> TimeRange {
    match days {
        Some(d) => TimeRange { from: Some(Utc::now() - Duration::days(i64::from(d))), to: None },
        None => TimeRange::default(),
    }
}

fn ids<T: std::str::FromStr<Err = ValidationError>>(given: Option<Vec<String>>) -> Result<Vec<T>> {
    Ok(given.unwrap_or_default().iter().map(|s| s.parse()).collect::<std::result::Result<_, _>>()?)
}

/// The fetcher `refresh` uses: Amazon with the default politeness, or a local server
/// (`base_url`) without delays, as `amazcope refresh --base-url` does.
pub(crate) fn fetcher(base_url: Option<&str>) -> Result<Fetcher> {
    let mut config = FetcherConfig::default();
    if let Some(base) = base_url {
        config = config
            .with_min_spacing(std::time::Duration::ZERO)
            .with_captcha_cooldown(std::time::Duration::ZERO);
        for mp in Marketplace::ALL {
            config = config
                .with_base_url(*mp, base.trim_end_matches('/'))
                .with_marketplace_spacing(*mp, std::time::Duration::ZERO);
        }
    }
    Fetcher::new(config).map_err(|e| {
        Error::Validation(ValidationError::new("base_url", base_url.unwrap_or(""), e.to_string()))
    })
}

/// Opens the database at `url`, else `DATABASE_URL`, else the private PostgreSQL cluster the
/// command line uses (started on demand). `upgrade=True` applies pending migrations first.
#[pyfunction]
#[pyo3(signature = (url=None, *, upgrade=true))]
pub fn connect(py: Python<'_>, url: Option<String>, upgrade: bool) -> Result<Client> {
    block_on(py, async move {
        let url = match url {
            Some(u) => u,
            None => amazcope_pg::cluster::database_url_or_local()
                .await
                .map_err(|e| Error::Database(format!("no database to use: {e}")))?,
        };
        let store =
            PgStore::connect_url(&url).await.map_err(|e| db_error("cannot connect")(e.to_string()))?;
        if upgrade {
            store.migrate().await.map_err(|e| db_error("upgrade failed")(e.to_string()))?;
        }
        Ok(Client { store: Arc::new(store), url })
    })
}

#[pymethods]
impl Client {
    /// The database URL in use (without the password).
    #[getter]
    fn url(&self) -> String {
        match self.url.split_once('@') {
            Some((head, tail)) => match head.rsplit_once(':') {
                Some((user, _)) if user.contains("//") && !user.ends_with('/') => {
                    format!("{user}:***@{tail}")
                }
                _ => self.url.clone(),
            },
            None => self.url.clone(),
        }
    }

    /// Schema and storage operations (`client.db.upgrade()`, `.current()`, `.stats()`,
    /// `.partitions()`).
    #[getter]
    fn db(&self) -> Db {
        Db { store: Arc::clone(&self.store) }
    }

    /// Creates a user called `username`; returns it as a dict. A taken name is a
    /// `ConflictError`.
    fn add_user<'py>(&self, py: Python<'py>, username: String) -> Result<Bound<'py, PyDict>> {
        let svc = self.tracker();
        let u = block_on(py, async move { Ok(svc.add_user(&username).await?) })?;
        Ok(user_dict(py, &u)?)
    }

    /// Every active user, as a table (`id`, `username`, `email`, `created_at`).
    fn users<'py>(&self, py: Python<'py>) -> Result<Bound<'py, PyAny>> {
        let store = Arc::clone(&self.store);
        let users = block_on(py, async move { Ok(store.list_users().await?) })?;
        let mut c = Columns::default();
        c.utf8("id", users.iter().map(|u| Some(u.id.to_string())));
        c.utf8("username", users.iter().map(|u| Some(&u.username)));
        c.utf8("email", users.iter().map(|u| Some(&u.email)));
        c.time("created_at", users.iter().map(|u| Some(u.created_at)));
        Ok(c.into_pyarrow(py)?)
    }

    /// The user's settings as a dict; keyword arguments change them first
    /// (`client.settings("ana", default_price_threshold=5.0)`), validated.
    #[pyo3(signature = (user, **changes))]
    fn settings<'py>(
        &self,
        py: Python<'py>,
        user: String,
        changes: Option<Bound<'py, PyDict>>,
    ) -> Result<Bound<'py, PyAny>> {
        let patch: Option<SettingsPatch> = match changes {
            Some(c) if !c.is_empty() => {
                let text: String = py.import("json")?.call_method1("dumps", (c,))?.extract()?;
                let patch: SettingsPatch = serde_json::from_str(&text).map_err(|e| {
                    Error::Validation(amazcope_core::ValidationError::new("settings", &text, e.to_string()))
                })?;
                patch.validate()?;
                Some(patch)
            }
            _ => None,
        };
        let svc = self.tracker();
        let store = Arc::clone(&self.store);
        let settings = block_on(py, async move {
            let u = svc.user(&user).await?;
            Ok(match patch {
                Some(p) => store.update_settings(u.id, &p).await?,
                None => store.settings(u.id).await?,
            })
        })?;
        Ok(json_to_py(py, &settings)?)
    }

    /// Starts tracking `asin` on `marketplace` for `user`, with optional thresholds
    /// (percent, 0 to 100) and a target price. Returns the tracking row as a dict. Tracking
    /// the same product twice is a `ConflictError`.
    #[pyo3(signature = (user, asin, marketplace="com".to_string(), *, price_threshold=None, bsr_threshold=None, target_price=None))]
    #[allow(clippy::too_many_arguments)]
    fn track<'py>(
        &self,
        py: Python<'py>,
        user: String,
        asin: String,
        marketplace: String,
        price_threshold: Option<f64>,
        bsr_threshold: Option<f64>,
        target_price: Option<Decimal>,
    ) -> Result<Bound<'py, PyDict>> {
        let a = self::asin(&asin)?;
        let m = self::marketplace(&marketplace)?;
        let options = TrackOptions::from_raw(price_threshold, bsr_threshold, target_price)?;
        let svc = self.tracker();
        let t = block_on(py, async move { Ok(svc.track(&user, a, m, &options).await?) })?;
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

    /// Stops `user` tracking `asin` on `marketplace` (its history stays).
    #[pyo3(signature = (user, asin, marketplace="com".to_string()))]
    fn untrack(&self, py: Python<'_>, user: String, asin: String, marketplace: String) -> Result<()> {
        let a = self::asin(&asin)?;
        let m = self::marketplace(&marketplace)?;
        let svc = self.tracker();
        block_on(py, async move { Ok(svc.untrack(&user, &a, m).await?) })
    }

    /// The products `user` tracks with their latest values, as a table.
    fn tracked<'py>(&self, py: Python<'py>, user: String) -> Result<Bound<'py, PyAny>> {
        let svc = self.tracker();
        let rows = block_on(py, async move { Ok(svc.list(&user).await?) })?;
        let mut c = Columns::default();
        c.utf8("asin", rows.iter().map(|t| Some(t.product.asin.to_string())));
        c.utf8("marketplace", rows.iter().map(|t| Some(t.product.marketplace.code())));
        c.utf8("title", rows.iter().map(|t| Some(&t.product.title)));
        c.utf8("brand", rows.iter().map(|t| t.product.brand.as_ref()));
        c.money("price", rows.iter().map(|t| t.product.current_price));
        c.money("original_price", rows.iter().map(|t| t.product.original_price));
        c.utf8("currency", rows.iter().map(|t| Some(&t.product.currency)));
        c.i32("bsr", rows.iter().map(|t| t.product.current_bsr));
        c.f64("rating", rows.iter().map(|t| t.product.rating));
        c.i32("review_count", rows.iter().map(|t| t.product.review_count));
        c.bool("in_stock", rows.iter().map(|t| Some(t.product.in_stock)));
        c.f64("price_change_threshold", rows.iter().map(|t| t.tracking.price_change_threshold));
        c.f64("bsr_change_threshold", rows.iter().map(|t| t.tracking.bsr_change_threshold));
        c.money("target_price", rows.iter().map(|t| t.tracking.target_price));
        c.time("last_snapshot_at", rows.iter().map(|t| t.product.last_snapshot_at));
        c.time("tracked_since", rows.iter().map(|t| Some(t.tracking.created_at)));
        Ok(c.into_pyarrow(py)?)
    }

    /// Imports saved pages (paths to HTML files) as if fetched at `scraped_at` (a
    /// timezone-aware datetime; default: each file's modification time). `user` is recorded
    /// as the creator of new products. Alerts are raised for everyone tracking the products.
    /// Returns a dict: `snapshots`, `duplicates`, `products_created`, `alerts`, `failures`,
    /// `errors` (list of (path, reason)).
    #[pyo3(signature = (paths, user=None, scraped_at=None))]
    fn import_pages<'py>(
        &self,
        py: Python<'py>,
        paths: Vec<PathBuf>,
        user: Option<String>,
        scraped_at: Option<DateTime<Utc>>,
    ) -> Result<Bound<'py, PyDict>> {
        let svc = self.tracker();
        let store = Arc::clone(&self.store);
        let report: ImportReport = block_on(py, async move {
            let created_by = match user {
                Some(u) => Some(svc.user(&u).await?.id),
                None => None,
            };
            let options = ImportOptions { scraped_at, created_by, ..ImportOptions::default() };
            let import = ImportService::new(store, parse_for_import);
            Ok(import.import_files(&paths, &options).await?)
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

    /// `user`'s alerts, newest first, as a table (`id`, `alert_type`, `severity`, `title`,
    /// `message`, `old_value`, `new_value`, `change_percentage`, `is_read`, `asin`,
    /// `marketplace`, `product_title`, `created_at`).
    #[pyo3(signature = (user, unread=false, limit=1000))]
    fn alerts<'py>(
        &self,
        py: Python<'py>,
        user: String,
        unread: bool,
        limit: u32,
    ) -> Result<Bound<'py, PyAny>> {
        let svc = self.tracker();
        let store = Arc::clone(&self.store);
        let rows = block_on(py, async move {
            let u = svc.user(&user).await?;
            let q = AlertQuery { unread_only: unread, limit: Some(limit), ..AlertQuery::default() };
            Ok(store.alerts(u.id, &q).await?)
        })?;
        let mut c = Columns::default();
        c.utf8("id", rows.iter().map(|a| Some(a.alert.id.to_string())));
        c.utf8("alert_type", rows.iter().map(|a| Some(a.alert.alert_type.as_str())));
        c.utf8("severity", rows.iter().map(|a| Some(a.alert.severity.as_str())));
        c.utf8("title", rows.iter().map(|a| Some(&a.alert.title)));
        c.utf8("message", rows.iter().map(|a| Some(&a.alert.message)));
        c.utf8("old_value", rows.iter().map(|a| a.alert.old_value.as_ref()));
        c.utf8("new_value", rows.iter().map(|a| a.alert.new_value.as_ref()));
        c.f64("change_percentage", rows.iter().map(|a| a.alert.change_percentage));
        c.bool("is_read", rows.iter().map(|a| Some(a.alert.is_read)));
        c.utf8("asin", rows.iter().map(|a| Some(a.asin.to_string())));
        c.utf8("marketplace", rows.iter().map(|a| Some(a.marketplace.code())));
        c.utf8("product_title", rows.iter().map(|a| Some(&a.product_title)));
        c.time("created_at", rows.iter().map(|a| Some(a.alert.created_at)));
        Ok(c.into_pyarrow(py)?)
    }

    /// Marks one of `user`'s alerts read (by id), or all of them when `alert_id` is None.
    /// Returns how many changed. Another user's alert id is `NotFound`.
    #[pyo3(signature = (user, alert_id=None))]
    fn mark_read(&self, py: Python<'_>, user: String, alert_id: Option<String>) -> Result<u64> {
        let id = alert_id.map(|s| s.parse::<AlertId>()).transpose()?;
        let svc = self.tracker();
        let store = Arc::clone(&self.store);
        block_on(py, async move {
            let u = svc.user(&user).await?;
            Ok(match id {
                Some(id) => {
                    store.mark_alert_read(u.id, id).await?;
                    1
                }
                None => store.mark_all_alerts_read(u.id).await?,
            })
        })
    }

    /// `user`'s notifications, newest first, as a table.
    #[pyo3(signature = (user, unread=false, limit=1000))]
    fn notifications<'py>(
        &self,
        py: Python<'py>,
        user: String,
        unread: bool,
        limit: u32,
    ) -> Result<Bound<'py, PyAny>> {
        let svc = self.tracker();
        let store = Arc::clone(&self.store);
        let rows = block_on(py, async move {
            let u = svc.user(&user).await?;
            Ok(store.notifications(u.id, unread, limit).await?)
        })?;
        let mut c = Columns::default();
        c.utf8("id", rows.iter().map(|n| Some(n.id.to_string())));
        c.utf8("notification_type", rows.iter().map(|n| Some(n.notification_type.as_str())));
        c.utf8("priority", rows.iter().map(|n| Some(n.priority.as_str())));
        c.utf8("title", rows.iter().map(|n| Some(&n.title)));
        c.utf8("message", rows.iter().map(|n| Some(&n.message)));
        c.utf8("alert_id", rows.iter().map(|n| n.alert_id.map(|a| a.to_string())));
        c.bool("is_read", rows.iter().map(|n| Some(n.is_read)));
        c.time("created_at", rows.iter().map(|n| Some(n.created_at)));
        Ok(c.into_pyarrow(py)?)
    }

    /// Price and rank history of `asin` on `marketplace` over the last `days` days, oldest
    /// first, for a `user` who tracks it (`NotFound` otherwise), as a table: `scraped_at`
    /// (UTC), `price`, `original_price` (decimal128(10,2)), `currency`, `bsr`,
    /// `bsr_small_category`, `rating`, `review_count`, `in_stock`, `is_prime`.
    /// Read column-wise straight from PostgreSQL: one Arrow buffer per column, no Python
    /// object per row.
    #[pyo3(signature = (asin, marketplace="com".to_string(), days=90, *, user))]
    fn history<'py>(
        &self,
        py: Python<'py>,
        asin: String,
        marketplace: String,
        days: u32,
        user: String,
    ) -> Result<Bound<'py, PyAny>> {
        let a = self::asin(&asin)?;
        let m = self::marketplace(&marketplace)?;
        let pool = self.store.pool().clone();
        let parts = block_on(py, async move { history_columns(&pool, &user, a, m, days).await })?;
        Ok(Columns::concat_into_pyarrow(parts, py)?)
    }

    /// `user`'s report over the `hours` up to now: products tracked, what changed, the
    /// biggest movers, alerts by type (a dict; prices as decimal strings).
    #[pyo3(signature = (user, hours=24))]
    fn report<'py>(&self, py: Python<'py>, user: String, hours: i64) -> Result<Bound<'py, PyAny>> {
        let svc = self.tracker();
        let store = Arc::clone(&self.store);
        let r = block_on(py, async move {
            let u = svc.user(&user).await?;
            Ok(daily_report(store.as_ref(), &u, Utc::now(), hours).await?)
        })?;
        Ok(json_to_py(py, &r)?)
    }

    /// Minimum, maximum and average price over the last 30, 90, 180 and 365 days (ending
    /// at the newest snapshot), the lowest price and when it was seen, and the share of days
    /// out of stock, for a product `user` tracks (`NotFound` otherwise). One table row per
    /// window (`days`, `at`, `currency`, `snapshot_count`, `priced_count`, `min_price`,
    /// `min_price_at`, `max_price`, `avg_price`, `days_observed`, `days_out_of_stock`,
    /// `out_of_stock_share`); prices are decimal128(10,2).
    #[pyo3(signature = (asin, marketplace="com".to_string(), *, user))]
    fn stats<'py>(
        &self,
        py: Python<'py>,
        asin: String,
        marketplace: String,
        user: String,
    ) -> Result<Bound<'py, PyAny>> {
        let (a, m) = (self::asin(&asin)?, self::marketplace(&marketplace)?);
        let svc = self.tracker();
        let store = Arc::clone(&self.store);
        let stats = block_on(py, async move {
            let (u, p) = user_and_product(&svc, &user, a, m).await?;
            let history = store.snapshot_history(u.id, p.id, TimeRange::default()).await?;
            // Measured at the newest snapshot (as the CLI does), so an imported history of
            // the past still has windows.
            let at = history.last().map_or_else(Utc::now, |s| s.data.scraped_at);
            Ok(window_stats(&history, at))
        })?;
        Ok(views::window_table(&stats).into_pyarrow(py)?)
    }

    /// The alerts `user`'s thresholds would have raised over the stored history of a
    /// product they track (a backtest: nothing is written), oldest first, as a table
    /// (`created_at`, `alert_type`, `severity`, `title`, `message`, `old_value`, `new_value`,
    /// `change_percentage`). `NotFound` when `user` does not track the product.
    #[pyo3(signature = (asin, marketplace="com".to_string(), *, user))]
    fn replay<'py>(
        &self,
        py: Python<'py>,
        asin: String,
        marketplace: String,
        user: String,
    ) -> Result<Bound<'py, PyAny>> {
        let (a, m) = (self::asin(&asin)?, self::marketplace(&marketplace)?);
        let svc = self.tracker();
        let store = Arc::clone(&self.store);
        let alerts = block_on(py, async move {
            let (u, p) = user_and_product(&svc, &user, a, m).await?;
            let Some(tracker) = store.trackers(p.id).await?.into_iter().find(|t| t.user_id == u.id) else {
                return Err(StoreError::not_found(
                    "tracking",
                    format!("{a} on amazon.{} tracked by {user}", m.code()),
                )
                .into());
            };
            let history = store.snapshot_history(u.id, p.id, TimeRange::default()).await?;
            Ok(replay(&history, &tracker, &RuleConfig::default()))
        })?;
        Ok(views::replay_table(&alerts).into_pyarrow(py)?)
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
        limit: u32,
    ) -> Result<Bound<'py, PyDict>> {
        let source = Arc::new(fetcher(base_url.as_deref())?);
        let svc = self.tracker();
        let store = Arc::clone(&self.store);
        let report = block_on(py, async move {
            let user = match user {
                Some(name) => Some(svc.user(&name).await?.id),
                None => None,
            };
            let service = RefreshService::new(store, source);
            let worker = format!("refresh-py-{}", std::process::id());
            let mut options = RefreshOptions::new(worker, Utc::now());
            options.user = user;
            options.limit = limit.max(1);
            Ok(service.refresh_due(&options, &mut |_| {}).await?)
        })?;
        Ok(views::refresh_dict(py, &report)?)
    }

    /// Runs the suggestion generators over `user`'s tracked products and stores what they
    /// propose (a proposal matching one of the user's pending suggestions is skipped, so a
    /// second run adds nothing). Returns a dict: `products`, `proposed`, `skipped`,
    /// `created` (a table as :meth:`suggestions` returns) and `errors` (list of
    /// (asin, generator, message)).
    fn suggest<'py>(&self, py: Python<'py>, user: String) -> Result<Bound<'py, PyDict>> {
        let svc = self.tracker();
        let sug = self.suggester();
        let report = block_on(py, async move {
            let u = svc.user(&user).await?;
            Ok(sug.run(u.id, Utc::now()).await?)
        })?;
        Ok(views::suggest_run_dict(py, &report)?)
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
        let status = status.map(|s| s.parse::<SuggestionStatus>()).transpose()?;
        let svc = self.tracker();
        let sug = self.suggester();
        let rows = block_on(py, async move {
            let u = svc.user(&user).await?;
            Ok(sug.list(u.id, status).await?)
        })?;
        Ok(views::suggestions_table(&rows).into_pyarrow(py)?)
    }

    /// One of `user`'s suggestions as a dict, with its `actions` as a list of dicts.
    /// Another user's suggestion is `NotFound`.
    fn suggestion<'py>(
        &self,
        py: Python<'py>,
        user: String,
        suggestion_id: String,
    ) -> Result<Bound<'py, PyDict>> {
        let id: SuggestionId = suggestion_id.parse()?;
        let svc = self.tracker();
        let sug = self.suggester();
        let s = block_on(py, async move {
            let u = svc.user(&user).await?;
            Ok(sug.show(u.id, id).await?)
        })?;
        Ok(views::suggestion_dict(py, &s)?)
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
        let id: SuggestionId = suggestion_id.parse()?;
        let actions: Vec<SuggestionActionId> = ids(actions)?;
        let svc = self.tracker();
        let sug = self.suggester();
        let s = block_on(py, async move {
            let u = svc.user(&user).await?;
            Ok(sug.approve(u.id, id, &actions).await?)
        })?;
        Ok(views::suggestion_dict(py, &s)?)
    }

    /// Rejects one of `user`'s pending suggestions and all its actions. Returns the
    /// suggestion as a dict.
    fn reject<'py>(
        &self,
        py: Python<'py>,
        user: String,
        suggestion_id: String,
    ) -> Result<Bound<'py, PyDict>> {
        let id: SuggestionId = suggestion_id.parse()?;
        let svc = self.tracker();
        let sug = self.suggester();
        let s = block_on(py, async move {
            let u = svc.user(&user).await?;
            Ok(sug.reject(u.id, id).await?)
        })?;
        Ok(views::suggestion_dict(py, &s)?)
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
        let id: SuggestionId = suggestion_id.parse()?;
        let actions: Vec<SuggestionActionId> = ids(actions)?;
        let svc = self.tracker();
        let sug = self.suggester();
        let s = block_on(py, async move {
            let u = svc.user(&user).await?;
            Ok(sug.apply(u.id, id, &actions).await?)
        })?;
        Ok(views::suggestion_dict(py, &s)?)
    }

    /// The latest price, main BSR, rating and review count of a product `user` tracks, with
    /// their change over 7 and 30 days (a dict; the price a `Decimal`), or None before its
    /// first snapshot. `NotFound` for a product the user has never tracked.
    #[pyo3(signature = (asin, marketplace="com".to_string(), *, user))]
    fn summary<'py>(
        &self,
        py: Python<'py>,
        asin: String,
        marketplace: String,
        user: String,
    ) -> Result<Option<Bound<'py, PyDict>>> {
        let (a, m) = (self::asin(&asin)?, self::marketplace(&marketplace)?);
        let svc = self.tracker();
        let store = Arc::clone(&self.store);
        let s = block_on(py, async move {
            let (u, p) = user_and_product(&svc, &user, a, m).await?;
            Ok(store.product_summary(u.id, p.id, Utc::now()).await?)
        })?;
        Ok(s.map(|s| views::summary_dict(py, &s)).transpose()?)
    }

    /// Trends of `fields` (names such as `price`, `bsr_main`, `rating`, `in_stock`; all 15
    /// when None) over the last `days` days (all history when None), `granularity` `raw`,
    /// `day` or `week`, for a product `user` tracks. Returns `{field: table}`: raw series as
    /// (`at`, `value`), day and week series as (`start`, `label`, `count`, `last`, `min`,
    /// `max`, `mean`), money as decimal128(10,2). An unknown field or granularity is a
    /// `ValidationError`.
    #[pyo3(signature = (asin, marketplace="com".to_string(), fields=None, days=None, granularity="raw".to_string(), *, user))]
    #[allow(clippy::too_many_arguments)]
    fn trends<'py>(
        &self,
        py: Python<'py>,
        asin: String,
        marketplace: String,
        fields: Option<Vec<String>>,
        days: Option<u32>,
        granularity: String,
        user: String,
    ) -> Result<Bound<'py, PyDict>> {
        let (a, m) = (self::asin(&asin)?, self::marketplace(&marketplace)?);
        let fields: Vec<TrendField> = match fields {
            None => TrendField::ALL.to_vec(),
            Some(names) => names
                .iter()
                .map(|n| {
                    n.parse().map_err(|e: amazcope_core::analytics::UnknownTrendField| {
                        ValidationError::new("fields", n, e.to_string())
                    })
                })
                .collect::<std::result::Result<_, _>>()?,
        };
        let gran: Granularity =
            granularity.parse().map_err(|e: amazcope_core::analytics::UnknownGranularity| {
                ValidationError::new("granularity", &granularity, e.to_string())
            })?;
        let range = last_days(days);
        let svc = self.tracker();
        let store = Arc::clone(&self.store);
        let report = block_on(py, async move {
            let (u, p) = user_and_product(&svc, &user, a, m).await?;
            Ok(store.product_trends(u.id, p.id, &fields, range, gran).await?)
        })?;
        Ok(views::trends_dict(py, &report)?)
    }

    /// Up to 10 of `user`'s products (`asins`, all on `marketplace`) side by side on one
    /// `metric` (`price`, `bsr`, `rating` or `reviews`) over the last `days` days. Returns a
    /// dict: `metric`, `products` (a table: `asin`, `marketplace`, `title`, `category_name`,
    /// `category_average`, `category_recorded_at`, `points`) and `points` (a table: `asin`,
    /// `marketplace`, `at`, `value`). A product the user does not track is `NotFound`; more
    /// than 10 or an unknown metric is a `ValidationError`.
    #[pyo3(signature = (asins, marketplace="com".to_string(), metric="price".to_string(), days=None, *, user))]
    #[allow(clippy::too_many_arguments)]
    fn compare<'py>(
        &self,
        py: Python<'py>,
        asins: Vec<String>,
        marketplace: String,
        metric: String,
        days: Option<u32>,
        user: String,
    ) -> Result<Bound<'py, PyDict>> {
        let m = self::marketplace(&marketplace)?;
        let asins: Vec<Asin> = asins.iter().map(|a| self::asin(a)).collect::<Result<_>>()?;
        let metric: CompareMetric =
            metric.parse().map_err(|e: amazcope_core::analytics::UnknownMetric| {
                ValidationError::new("metric", &metric, e.to_string())
            })?;
        let range = last_days(days);
        let svc = self.tracker();
        let store = Arc::clone(&self.store);
        let cmp = block_on(py, async move {
            let u = svc.user(&user).await?;
            let mut ids = Vec::with_capacity(asins.len());
            for a in &asins {
                ids.push(svc.product(a, m).await?.id);
            }
            Ok(store.compare_products(u.id, &ids, metric, range).await?)
        })?;
        Ok(views::comparison_dict(py, &cmp)?)
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
        let m = self::marketplace(&marketplace)?;
        let store = Arc::clone(&self.store);
        let (rows, categories) = block_on(py, async move {
            let tree = store.category_tree(m).await?;
            let only = category.as_deref().map(|k| Category::find(&tree, k)).transpose()?.map(|c| c.id);
            let rows = store.compute_category_metrics(only, at.unwrap_or_else(Utc::now)).await?;
            // Categories of `marketplace` come from the tree already read; only a row of
            // another marketplace's category costs a lookup.
            let mut categories = Vec::with_capacity(rows.len());
            for r in &rows {
                let known = tree.iter().find(|c| c.id == r.category_id).cloned();
                categories.push(match known {
                    Some(c) => Some(c),
                    None => store.category(r.category_id).await?,
                });
            }
            Ok((rows, categories))
        })?;
        Ok(views::category_metrics_table(&rows, &categories).into_pyarrow(py)?)
    }

    fn __repr__(&self) -> String {
        format!("<amazcope.Client {}>", self.url())
    }
}

async fn history_columns(
    pool: &sqlx::PgPool,
    user: &str,
    asin: Asin,
    marketplace: Marketplace,
    days: u32,
) -> Result<Vec<Columns>> {
    let dberr = |e: sqlx::Error| Error::Database(format!("history query failed: {e}"));
    // Tenancy: the product is visible only to a user actively tracking it; anything else is
    // the same NotFound as a missing product.
    // language=PostgreSQL
    let product: Option<uuid::Uuid> = sqlx::query_scalar(
        "SELECT p.id FROM products p
           JOIN user_products up ON up.product_id = p.id AND up.is_active
           JOIN users u ON u.id = up.user_id AND u.is_active
          WHERE p.asin = $1 AND p.marketplace = $2 AND (u.username = $3 OR u.email = $3)",
    )
    .bind(asin.as_str())
    .bind(marketplace.code())
    .bind(user)
    .fetch_optional(pool)
    .await
    .map_err(dberr)?;
    let Some(product) = product else {
        return Err(StoreError::not_found(
            "product",
            format!("{asin} on amazon.{} tracked by {user}", marketplace.code()),
        )
        .into());
    };
    let since = Utc::now() - Duration::days(i64::from(days));
    // A million snapshots take the server about a second to send, single-threaded in its
    // backend; cut into time slices read over several connections at once, the backends and
    // our decoders share the cores. The slices are disjoint and read in time order, so their
    // batches concatenated are the ORDER BY scraped_at of the whole range.
    // language=PostgreSQL
    let (first, last): (Option<DateTime<Utc>>, Option<DateTime<Utc>>) = sqlx::query_as(
        "SELECT min(scraped_at), max(scraped_at) FROM product_snapshots
          WHERE product_id = $1 AND scraped_at >= $2",
    )
    .bind(product)
    .bind(since)
    .fetch_one(pool)
    .await
    .map_err(dberr)?;
    let literal = |t: DateTime<Utc>| t.format("%Y-%m-%d %H:%M:%S%.6f+00").to_string();
    let mut cuts = vec![literal(since)];
    if let (Some(first), Some(last)) = (first, last) {
        let step = (last - first) / HISTORY_SLICES;
        if step > Duration::zero() {
            cuts.extend((1..HISTORY_SLICES).map(|i| literal(first + step * i)));
        }
    }
    let mut tasks = tokio::task::JoinSet::new();
    for (i, from) in cuts.iter().enumerate() {
        let (pool, from, to) = (pool.clone(), from.clone(), cuts.get(i + 1).cloned());
        tasks.spawn(async move { (i, copy_slice(&pool, product, &from, to.as_deref()).await) });
    }
    let mut parts: Vec<Option<Columns>> = (0..cuts.len()).map(|_| None).collect();
    while let Some(done) = tasks.join_next().await {
        let (i, part) = done.map_err(|e| Error::Database(format!("history reader stopped: {e}")))?;
        parts[i] = Some(part?);
    }
    Ok(parts.into_iter().flatten().collect())
}

/// Slices of one `history()` read; see `history_columns`.
const HISTORY_SLICES: i32 = 4;

/// The snapshots of `product` with `from <= scraped_at < to` (no upper bound without `to`),
/// oldest first, read with a binary COPY.
async fn copy_slice(
    pool: &sqlx::PgPool,
    product: uuid::Uuid,
    from: &str,
    to: Option<&str>,
) -> Result<Columns> {
    let dberr = |e: sqlx::Error| Error::Database(format!("history query failed: {e}"));
    let upper = to.map(|t| format!(" AND scraped_at < '{t}'")).unwrap_or_default();
    // COPY takes no bind parameters: the values are spliced in as literals, and all are ours
    // (a UUID read from the database, timestamps we formatted), never caller text.
    // language=PostgreSQL
    let sql = format!(
        "COPY (SELECT scraped_at, price, original_price, currency, bsr_main_category,
                      bsr_small_category, rating, review_count, in_stock, is_prime
                 FROM product_snapshots
                WHERE product_id = '{product}' AND scraped_at >= '{from}'{upper}
                ORDER BY scraped_at) TO STDOUT (FORMAT binary)"
    );
    let mut stream = pool.copy_out_raw(&sql).await.map_err(dberr)?;
    let mut decoder = HistoryDecoder::default();
    while let Some(chunk) = stream.try_next().await.map_err(dberr)? {
        decoder.feed(&chunk)?;
    }
    decoder.finish()
}

/// Schema and storage operations of a database (`client.db`).
#[pyclass(module = "amazcope", frozen)]
#[derive(Debug)]
pub struct Db {
    store: Arc<PgStore>,
}

#[pymethods]
impl Db {
    /// Applies every pending migration.
    fn upgrade(&self, py: Python<'_>) -> Result<()> {
        let store = Arc::clone(&self.store);
        block_on(
            py,
            async move { store.migrate().await.map_err(|e| db_error("upgrade failed")(e.to_string())) },
        )
    }

    /// The version of the newest applied migration (None before the first).
    fn current(&self, py: Python<'_>) -> Result<Option<i64>> {
        let store = Arc::clone(&self.store);
        block_on(py, async move {
            store.current_version().await.map_err(|e| db_error("cannot read the version")(e.to_string()))
        })
    }

    /// Size of every table (`table`, `total_bytes`, `partitions`, `row_estimate`) as a table.
    fn stats<'py>(&self, py: Python<'py>) -> Result<Bound<'py, PyAny>> {
        let store = Arc::clone(&self.store);
        let rows = block_on(py, async move {
            amazcope_pg::inspect::table_sizes(store.pool())
                .await
                .map_err(|e| db_error("cannot read table sizes")(e.to_string()))
        })?;
        let mut c = Columns::default();
        c.utf8("table", rows.iter().map(|r| Some(&r.table)));
        c.i64("total_bytes", rows.iter().map(|r| Some(r.total_bytes)));
        c.i64("partitions", rows.iter().map(|r| Some(r.partitions)));
        c.i64("row_estimate", rows.iter().map(|r| Some(r.row_estimate)));
        Ok(c.into_pyarrow(py)?)
    }

    /// The monthly partitions of `product_snapshots` (`name`, `month_start`), oldest first.
    fn partitions<'py>(&self, py: Python<'py>) -> Result<Bound<'py, PyAny>> {
        let store = Arc::clone(&self.store);
        let rows = block_on(py, async move {
            amazcope_pg::partitions::list_partitions(store.pool())
                .await
                .map_err(|e| db_error("cannot list partitions")(e.to_string()))
        })?;
        let mut c = Columns::default();
        c.utf8("name", rows.iter().map(|r| Some(&r.name)));
        c.time("month_start", rows.iter().map(|r| Some(r.month.start())));
        Ok(c.into_pyarrow(py)?)
    }
}
