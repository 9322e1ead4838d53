//! A product that could not be had: the outcome is recorded on it, no snapshot is written;
//! a page that is gone marks the product unlisted and tells every user tracking it.

use super::{alerts, db};
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
    // A report older than what is stored (an old saved page imported late) changes nothing:
    // neither the last fetch nor the listing state go back in time.
    // language=PostgreSQL
    let sql = "UPDATE products SET
                   last_fetch_status = $2, last_fetch_at = $3, last_fetch_error = $4,
                   is_unlisted = is_unlisted OR $5,
                   unlisted_at = CASE WHEN $5 THEN COALESCE(unlisted_at, $3) ELSE unlisted_at END
               WHERE id = $1
                 AND (last_fetch_at IS NULL OR last_fetch_at <= $3)
                 AND (last_snapshot_at IS NULL OR last_snapshot_at < $3)
                 AND (last_fetch_status, last_fetch_at, last_fetch_error, is_unlisted)
                     IS DISTINCT FROM ($2, $3, $4, is_unlisted OR $5)
               RETURNING is_unlisted";
    let updated: Option<(bool,)> = sqlx::query_as(sql)
        .bind(id)
        .bind(problem.status.as_str())
        .bind(at)
        .bind(problem.message.as_deref())
        .bind(not_found)
        .fetch_optional(&mut *conn)
        .await
        .map_err(db)?;
    let now_unlisted = updated.is_some_and(|r| r.0);
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
