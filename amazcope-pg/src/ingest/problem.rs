//! A product that could not be had: the outcome is recorded on it, no snapshot is written;
//! a page that is gone marks the product unlisted and tells every user tracking it.

use super::alerts;
use crate::error::db;
use crate::write::products;
use amazcope_core::model::alert::Alert;
use amazcope_core::model::enums::FetchStatus;
use amazcope_core::rules::{RuleConfig, unlisted_alerts};
use amazcope_core::service::FetchProblem;
use amazcope_core::{Asin, Marketplace, ProductId, StoreResult};
use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

/// Records `problem` on the product at `at`. Returns the product (`None` when it is not in
/// the catalogue: a failure does not create products) and the `unlisted` alerts raised.
pub(crate) async fn record(
    conn: &mut PgConnection,
    asin: &Asin,
    mp: Marketplace,
    problem: &FetchProblem,
    at: DateTime<Utc>,
    rules: &RuleConfig,
) -> StoreResult<(Option<ProductId>, Vec<Alert>)> {
    // FOR UPDATE: two workers recording "not found" at once must not both see the product
    // listed and both raise the alerts.
    // language=PostgreSQL
    let sql = "SELECT id, title, is_unlisted FROM products WHERE asin = $1 AND marketplace = $2 FOR UPDATE";
    let row: Option<(Uuid, String, bool)> = sqlx::query_as(sql)
        .bind(asin.as_str())
        .bind(mp.code())
        .fetch_optional(&mut *conn)
        .await
        .map_err(db)?;
    let Some((id, title, was_unlisted)) = row else { return Ok((None, Vec::new())) };
    let not_found = problem.status == FetchStatus::NotFound;
    let updated = products::record_outcome(conn, id, problem.status, problem.message.as_deref(), at).await?;
    let now_unlisted = updated == Some(true);
    if !not_found || was_unlisted || !now_unlisted {
        return Ok((Some(ProductId(id)), Vec::new()));
    }
    let trackers = alerts::trackers(conn, &[id]).await?.remove(&id).unwrap_or_default();
    if trackers.is_empty() {
        return Ok((Some(ProductId(id)), Vec::new()));
    }
    let prior = alerts::prior_alerts(conn, &[id], at).await?.remove(&id).unwrap_or_default();
    let title = if title == asin.as_str() { "" } else { title.as_str() };
    let raised = unlisted_alerts(ProductId(id), title, at, &trackers, &prior, rules);
    let stored = alerts::store_alerts(conn, &raised).await?;
    Ok((Some(ProductId(id)), stored))
}
