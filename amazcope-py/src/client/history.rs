//! A product's stored history and what is computed from it (statistics, replayed alerts).
//!
//! Who may read it is the store's one rule (`PgStore::check_tracks`, run inside each of the
//! store calls below); a refusal reads `alice does not track B00FLYWNYQ on amazon.com`,
//! the same words for a product that does not exist.

use super::Client;
use crate::arrow::Columns;
use crate::copy::HistoryDecoder;
use crate::errors::{Error, Result};
use crate::runtime::block_on;
use crate::views;
use amazcope_core::ProductRef;
use amazcope_core::analytics::window_stats;
use amazcope_core::model::product::Product;
use amazcope_core::model::snapshot::ProductSnapshot;
use amazcope_core::model::user::User;
use amazcope_core::repo::{SnapshotRepository, TimeRange, TrackingRepository};
use amazcope_core::rules::{RuleConfig, replay as replay_rules};
use amazcope_core::service::TrackService;
use amazcope_pg::PgStore;
use amazcope_pg::history::HistorySlice;
use chrono::{TimeDelta, Utc};
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
    let u = svc.user(user).await?;
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

/// One slice decoded into Arrow columns.
async fn decode_slice(store: &PgStore, slice: &HistorySlice) -> Result<Columns> {
    let mut stream = store.copy_history_slice(slice).await?;
    let mut decoder = HistoryDecoder::default();
    while let Some(chunk) = stream.try_next().await? {
        decoder.feed(chunk.as_ref())?;
    }
    decoder.finish()
}

pub(super) fn history<'py>(
    c: &Client,
    py: Python<'py>,
    product: ProductRef,
    days: u32,
    user: String,
) -> Result<Bound<'py, PyAny>> {
    let svc = c.tracker();
    let store = Arc::clone(&c.store);
    let parts = block_on(py, async move {
        let (u, p) = user_and_product(&svc, &user, product).await?;
        let since = super::ago(TimeDelta::try_days(i64::from(days)));
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
        Ok(parts.into_iter().flatten().collect())
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
        let (_, _, history) = readable_history(&svc, &store, &user, product).await?;
        // Measured at the newest snapshot (as the CLI does), so an imported history of
        // the past still has windows.
        let at = history.last().map_or_else(Utc::now, |s| s.data.scraped_at);
        Ok(window_stats(&history, at))
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
