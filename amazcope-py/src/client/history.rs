//! A product's stored history and what is computed from it (statistics, replayed alerts).
//!
//! Who may read it is the store's one rule (`PgStore::check_tracks`, run inside each of the
//! store calls below); a refusal reads `alice does not track B00FLYWNYQ on amazon.com`,
//! the same words for a product that does not exist.

use super::{Client, count, count_opt, product_ref};
use crate::arrow::Columns;
use crate::copy::HistoryDecoder;
use crate::errors::{Error, Result};
use crate::runtime::block_on;
use crate::views;
use amazcope_core::ProductRef;
use amazcope_core::ValidationError;
use amazcope_core::model::history::Resolution;
use amazcope_core::model::product::Product;
use amazcope_core::model::snapshot::{DailyRollup, ProductSnapshot};
use amazcope_core::model::user::User;
use amazcope_core::repo::{SnapshotRepository, TimeRange, TrackingRepository};
use amazcope_core::rules::{RuleConfig, replay as replay_rules};
use amazcope_core::service::TrackService;
use amazcope_pg::PgStore;
use amazcope_pg::history::HistorySlice;
use chrono::TimeDelta;
use futures::TryStreamExt;
use pyo3::prelude::*;
use std::sync::Arc;

/// Time slices of one `history()` read, each read over its own connection
/// (`PgStore::history_slices` says why).
const HISTORY_SLICES: u32 = 4;

/// The product `product` names; one not in the catalogue is [`Error::NotTracked`] for
/// `user`, as one the user does not track will be.
pub(super) async fn catalogued(
    svc: &TrackService<PgStore>,
    user: &str,
    product: ProductRef,
) -> Result<Product> {
    svc.product(&product.asin, product.marketplace)
        .await
        .map_err(|e| Error::from(e).not_tracked(user, product))
}

/// The acting user and the product `product` names (see [`catalogued`]).
pub(super) async fn user_and_product(
    svc: &TrackService<PgStore>,
    user: &str,
    product: ProductRef,
) -> Result<(User, Product)> {
    let u = svc.user(super::user_name(user)?).await?;
    Ok((u, catalogued(svc, user, product).await?))
}

/// The stored history of a product `user` may read, oldest first, with the user and the
/// product: what `stats()` and `replay()` start from.
async fn readable_history(
    svc: &TrackService<PgStore>,
    store: &PgStore,
    user: &str,
    product: ProductRef,
) -> Result<(User, Product, Vec<ProductSnapshot>)> {
    let (u, p) = user_and_product(svc, user, product).await?;
    let history = store
        .snapshot_history(u.id, p.id, TimeRange::default())
        .await
        .map_err(|e| Error::from(e).not_tracked(user, product))?;
    Ok((u, p, history))
}

/// One slice decoded into Arrow columns, each row marked `raw`.
async fn decode_slice(store: &PgStore, slice: &HistorySlice) -> Result<Columns> {
    let mut stream = store.copy_history_slice(slice).await?;
    let mut decoder = HistoryDecoder::default();
    while let Some(chunk) = stream.try_next().await? {
        decoder.feed(chunk.as_ref())?;
    }
    let mut c = decoder.finish()?;
    let n = c.rows();
    c.utf8("resolution", std::iter::repeat_n(Some(Resolution::Raw.as_str()), n));
    Ok(c)
}

/// Daily rollups as rows of the same columns as a raw slice (each day dated at its midnight,
/// with its last values), marked `daily`; the columns a day has no value for are null.
fn daily_columns(days: &[DailyRollup]) -> Columns {
    let mut c = Columns::default();
    c.time("scraped_at", days.iter().map(|d| Some(d.day.and_time(chrono::NaiveTime::MIN).and_utc())));
    c.money("price", days.iter().map(|d| d.price_close));
    c.money("original_price", days.iter().map(|d| d.list_price_close));
    c.utf8("currency", days.iter().map(|d| Some(d.currency.to_string())));
    c.i32("bsr", days.iter().map(|d| d.bsr_close));
    c.i32("bsr_small_category", days.iter().map(|_| None));
    c.f64("rating", days.iter().map(|d| d.rating_close));
    c.i32("review_count", days.iter().map(|d| d.review_count_close));
    c.bool("in_stock", days.iter().map(|d| Some(d.in_stock_close)));
    c.bool("is_prime", days.iter().map(|_| None));
    for name in &amazcope_pg::history::HISTORY_COLUMNS[10..] {
        c.utf8::<&str>(name, days.iter().map(|_| None));
    }
    c.utf8("resolution", days.iter().map(|_| Some(Resolution::Daily.as_str())));
    c
}

pub(super) fn history<'py>(
    c: &Client,
    py: Python<'py>,
    product: ProductRef,
    days: u32,
    daily: bool,
    user: String,
) -> Result<Bound<'py, PyAny>> {
    let svc = c.tracker();
    let store = Arc::clone(&c.store);
    let parts = block_on(py, async move {
        let (u, p) = user_and_product(&svc, &user, product).await?;
        let since = super::ago(TimeDelta::try_days(i64::from(days)));
        let not_tracked = |e| Error::from(e).not_tracked(&user, product);
        if daily {
            let range = TimeRange { from: Some(since), to: None };
            let days = store.long_history(Some(u.id), p.id, range, true).await.map_err(not_tracked)?;
            return Ok(vec![daily_columns(&days.daily)]);
        }
        // The days before the oldest raw snapshot come from the rollups, oldest first.
        let older = store
            .rollups_before_raw_for(Some(u.id), p.id, Some(since.date_naive()), None)
            .await
            .map_err(not_tracked)?;
        let slices = store
            .history_slices(u.id, p.id, since, HISTORY_SLICES)
            .await
            .map_err(|e| Error::from(e).not_tracked(&user, product))?;
        // The slices are disjoint and in time order, so their tables concatenated in order
        // are the history ordered by `scraped_at`.
        let mut tasks = tokio::task::JoinSet::new();
        for (i, slice) in slices.iter().enumerate() {
            let (store, slice) = (Arc::clone(&store), *slice);
            tasks.spawn(async move { (i, decode_slice(&store, &slice).await) });
        }
        let mut parts: Vec<Option<Columns>> = slices.iter().map(|_| None).collect();
        while let Some(done) = tasks.join_next().await {
            let (i, part) = done.map_err(|e| Error::Runtime(format!("a history reader stopped: {e}")))?;
            parts[i] = Some(part?);
        }
        let mut all = vec![daily_columns(&older)];
        all.extend(parts.into_iter().flatten());
        Ok(all)
    })?;
    Ok(Columns::concat_into_pyarrow(parts, py)?)
}

pub(super) fn stats<'py>(
    c: &Client,
    py: Python<'py>,
    product: ProductRef,
    user: String,
) -> Result<Bound<'py, PyAny>> {
    let svc = c.tracker();
    let store = Arc::clone(&c.store);
    let stats = block_on(py, async move {
        let (u, p) = user_and_product(&svc, &user, product).await?;
        // Raw snapshots and the rollups before them, measured at the newest (as the CLI).
        store
            .long_window_stats(Some(u.id), p.id)
            .await
            .map_err(|e| Error::from(e).not_tracked(&user, product))
    })?;
    Ok(views::window_table(&stats).into_pyarrow(py)?)
}

pub(super) fn replay<'py>(
    c: &Client,
    py: Python<'py>,
    product: ProductRef,
    user: String,
) -> Result<Bound<'py, PyAny>> {
    let svc = c.tracker();
    let store = Arc::clone(&c.store);
    let alerts = block_on(py, async move {
        // The history first: its read is where the tenancy rule refuses, the same way as
        // `history()` and `stats()`.
        let (u, p, history) = readable_history(&svc, &store, &user, product).await?;
        // The user's effective thresholds. `trackers` lists active products only, so a
        // product Amazon no longer lists has none to replay with.
        let Some(tracker) = store.trackers(p.id).await?.into_iter().find(|t| t.user_id == u.id) else {
            return Err(Error::NotTracked { user, product });
        };
        Ok(replay_rules(&history, &tracker, &RuleConfig::default()))
    })?;
    Ok(views::replay_table(&alerts).into_pyarrow(py)?)
}

#[allow(clippy::too_many_arguments)]
pub(super) fn chart(
    c: &Client,
    py: Python<'_>,
    product: ProductRef,
    days: Option<u32>,
    daily: bool,
    width: u32,
    height: u32,
    user: String,
) -> Result<String> {
    let svc = c.tracker();
    let store = Arc::clone(&c.store);
    let (title, points) = block_on(py, async move {
        let (u, p) = user_and_product(&svc, &user, product).await?;
        let range = TimeRange { from: days.map(|d| super::ago(TimeDelta::try_days(i64::from(d)))), to: None };
        let history = store
            .long_history(Some(u.id), p.id, range, daily)
            .await
            .map_err(|e| Error::from(e).not_tracked(&user, product))?;
        Ok((format!("{} on amazon.{}: {}", p.asin, p.marketplace.code(), p.title), history.points()))
    })?;
    let chart = amazcope_chart::Chart { width, height, ..amazcope_chart::Chart::new(&title, &points) };
    amazcope_chart::svg(&chart).map_err(|e| Error::Chart(e.to_string()))
}

#[pymethods]
impl Client {
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
        history(self, py, product, days, daily, user)
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
        chart(self, py, product, days, daily, width, height, user)
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
        stats(self, py, product, user)
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
        replay(self, py, product, user)
    }
}
