//! The fleet's request budget per marketplace, kept in PostgreSQL (`fetch_budgets`, one row
//! per marketplace): every worker process reserves each request's slot with one atomic
//! upsert, so N workers on any number of machines together start at most one request per
//! spacing to a marketplace, and a captcha one of them sees holds back all of them.
//!
//! A reservation is one statement under the row's lock: no worker ever reads a slot and
//! writes it in two steps. Times are the server's (`clock_timestamp()`), so workers on
//! machines whose clocks disagree still share one timeline; callers get back how long to
//! wait, not a time.

use crate::PgStore;
use crate::error::db;
use amazcope_core::service::RequestBudget;
use amazcope_core::{Marketplace, StoreResult};
use async_trait::async_trait;
use std::time::Duration;

/// Seconds as PostgreSQL receives them (`$n * interval '1 second'`).
fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

/// A wait in seconds from the server, as a duration (a slot already past is no wait).
fn wait(seconds: Option<f64>) -> Duration {
    Duration::try_from_secs_f64(seconds.unwrap_or(0.0).max(0.0)).unwrap_or(Duration::ZERO)
}

#[async_trait]
impl RequestBudget for PgStore {
    async fn reserve(&self, marketplace: Marketplace, spacing: Duration) -> StoreResult<Duration> {
        // The slot handed out is the later of the row's next slot, now and the end of any
        // cool-down; the row then moves one spacing past it. The first request of a
        // marketplace makes its row.
        let seconds = sqlx::query_scalar!(
            r#"INSERT INTO fetch_budgets AS b (marketplace, next_slot_at)
               VALUES ($1, clock_timestamp() + $2 * interval '1 second')
               ON CONFLICT (marketplace) DO UPDATE
               SET next_slot_at = GREATEST(b.next_slot_at, clock_timestamp(),
                                           COALESCE(b.blocked_until, '-infinity'))
                                  + $2 * interval '1 second',
                   updated_at = now()
               RETURNING EXTRACT(EPOCH FROM (b.next_slot_at - $2 * interval '1 second'
                                             - clock_timestamp()))::float8 AS "wait""#,
            marketplace.code(),
            secs(spacing)
        )
        .fetch_one(self.pool())
        .await
        .map_err(db)?;
        Ok(wait(seconds))
    }

    async fn block(&self, marketplace: Marketplace, cooldown: Duration) -> StoreResult<()> {
        sqlx::query!(
            "INSERT INTO fetch_budgets AS b (marketplace, next_slot_at, blocked_until)
             VALUES ($1, clock_timestamp(), clock_timestamp() + $2 * interval '1 second')
             ON CONFLICT (marketplace) DO UPDATE
             SET blocked_until = GREATEST(COALESCE(b.blocked_until, '-infinity'),
                                          clock_timestamp() + $2 * interval '1 second'),
                 updated_at = now()",
            marketplace.code(),
            secs(cooldown)
        )
        .execute(self.pool())
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn blocked_for(&self, marketplace: Marketplace) -> StoreResult<Duration> {
        let seconds = sqlx::query_scalar!(
            r#"SELECT EXTRACT(EPOCH FROM (blocked_until - clock_timestamp()))::float8 AS "wait"
               FROM fetch_budgets WHERE marketplace = $1"#,
            marketplace.code()
        )
        .fetch_optional(self.pool())
        .await
        .map_err(db)?;
        Ok(wait(seconds.flatten()))
    }
}
