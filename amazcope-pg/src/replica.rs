//! Read replicas for analytics: a second pool to a streaming standby that the analytics
//! reads (history, statistics, trends, comparisons, summaries, reports, category metrics,
//! exports) use while it keeps up; writes, and reads that must see their own writes, stay on
//! the primary pool.
//!
//! The routing is a pool choice, made in one place ([`PgStore::read_pool`]): each analytics
//! entry point asks for it instead of using the primary pool, and nothing else changes.
//!
//! # Lag
//!
//! `now() - pg_last_xact_replay_timestamp()` alone overstates the lag of an idle primary:
//! with no commit for an hour, the last replayed transaction is an hour old although the
//! standby has everything. So the primary's WAL position is read first
//! (`pg_current_wal_lsn()`): a standby that has replayed up to it is caught up (lag 0)
//! whatever the age of its last transaction. Only a standby behind that position is
//! measured by its last replayed transaction's age, an upper bound on the age of the oldest
//! change it lacks. Right after an idle spell that bound is large although the standby is
//! milliseconds behind, so a standby found behind by more than the bound gets a second look
//! after a moment against the same primary position before reads leave it.
//!
//! The check costs a round trip to each server, so its verdict is kept for
//! [`ReplicaConfig::recheck`]. A standby that cannot be reached, or is too far behind, sends
//! reads to the primary with one warning in the log (target `amazcope_pg::replica`) when the
//! route changes, and one line when it comes back.

use crate::PgStore;
use sqlx::PgPool;
use std::str::FromStr as _;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How a read replica is used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplicaConfig {
    /// Reads leave a replica that lags more than this (default 30 s).
    pub max_lag: Duration,
    /// How long a verdict on the replica's lag is kept before it is checked again
    /// (default 5 s; zero checks before every read).
    pub recheck: Duration,
}

impl Default for ReplicaConfig {
    fn default() -> Self {
        Self { max_lag: Duration::from_secs(30), recheck: Duration::from_secs(5) }
    }
}

/// Where a read went, and why.
#[derive(Debug, Clone, PartialEq)]
pub enum ReadRoute {
    /// No replica is configured: the primary.
    Primary,
    /// The replica, lagging by about this much (zero when caught up with the primary).
    Replica {
        /// The measured lag.
        lag: Duration,
    },
    /// A replica is configured but is not used now.
    Fallback {
        /// Why, in words (`lags 41.2 s, more than 30 s`, `cannot be reached: ...`).
        reason: String,
    },
}

/// What one lag check found.
#[derive(Debug, Clone, PartialEq)]
pub struct LagCheck {
    /// Whether the replica is a standby (`pg_is_in_recovery()`). A server that is not (a
    /// promoted standby, or the primary itself named as the read URL) has no lag.
    pub in_recovery: bool,
    /// WAL bytes the replica has yet to replay to reach the primary's position.
    pub behind_bytes: i64,
    /// The lag: zero when caught up, else the age of its last replayed transaction (`None`
    /// when it has replayed none since it started).
    pub lag: Option<Duration>,
}

/// A read replica's pool and the last verdict on it.
#[derive(Debug)]
pub(crate) struct ReadReplica {
    pool: PgPool,
    config: ReplicaConfig,
    verdict: Mutex<Option<(Instant, ReadRoute)>>,
}

impl ReadReplica {
    pub(crate) fn new(pool: PgPool, config: ReplicaConfig) -> Self {
        Self { pool, config, verdict: Mutex::new(None) }
    }

    pub(crate) fn pool(&self) -> &PgPool {
        &self.pool
    }
}

/// Measures how far `replica` is behind `primary` (see the module docs).
pub async fn check_lag(primary: &PgPool, replica: &PgPool) -> Result<LagCheck, sqlx::Error> {
    // language=PostgreSQL
    let position: String = sqlx::query_scalar(
        "SELECT CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END::text",
    )
    .fetch_one(primary)
    .await?;
    let check = behind(replica, &position).await?;
    Ok(check)
}

async fn behind(replica: &PgPool, position: &str) -> Result<LagCheck, sqlx::Error> {
    // language=PostgreSQL
    let (in_recovery, bytes, age): (bool, Option<f64>, Option<f64>) = sqlx::query_as(
        "SELECT pg_is_in_recovery(),
                pg_wal_lsn_diff($1::pg_lsn, pg_last_wal_replay_lsn())::float8,
                extract(epoch FROM clock_timestamp() - pg_last_xact_replay_timestamp())::float8",
    )
    .bind(position)
    .fetch_one(replica)
    .await?;
    if !in_recovery {
        return Ok(LagCheck { in_recovery, behind_bytes: 0, lag: Some(Duration::ZERO) });
    }
    let behind_bytes = bytes.unwrap_or(0.0).max(0.0) as i64;
    let lag = if behind_bytes == 0 {
        Some(Duration::ZERO)
    } else {
        age.map(|s| Duration::from_secs_f64(s.max(0.0)))
    };
    Ok(LagCheck { in_recovery, behind_bytes, lag })
}

fn seconds(d: Duration) -> String {
    format!("{:.1} s", d.as_secs_f64())
}

impl PgStore {
    /// This store with a read replica: analytics reads go to `replica` while it lags at most
    /// `config.max_lag` behind this store's (primary) pool.
    pub fn with_read_replica(mut self, replica: PgPool, config: ReplicaConfig) -> Self {
        self.read = Some(std::sync::Arc::new(ReadReplica::new(replica, config)));
        self
    }

    /// The replica's pool, if one is configured (for inspection; reads use
    /// [`PgStore::read_pool`]).
    pub fn replica_pool(&self) -> Option<&PgPool> {
        self.read.as_deref().map(ReadReplica::pool)
    }

    /// Where analytics reads go now, checking the replica's lag when the last verdict is
    /// older than [`ReplicaConfig::recheck`].
    pub async fn read_route(&self) -> ReadRoute {
        let Some(replica) = self.read.as_deref() else { return ReadRoute::Primary };
        if let Ok(guard) = replica.verdict.lock()
            && let Some((at, route)) = guard.as_ref()
            && at.elapsed() < replica.config.recheck
        {
            return route.clone();
        }
        let route = self.judge(replica).await;
        let previous = match replica.verdict.lock() {
            Ok(mut guard) => guard.replace((Instant::now(), route.clone())).map(|(_, r)| r),
            Err(_) => None,
        };
        let was_fallback = matches!(previous, Some(ReadRoute::Fallback { .. }));
        match &route {
            ReadRoute::Fallback { reason } if !was_fallback => {
                log::warn!(target: "amazcope_pg::replica", "read replica {reason}: analytics read from the primary");
            }
            ReadRoute::Replica { lag } if was_fallback => {
                log::info!(target: "amazcope_pg::replica", "read replica back (lag {}): analytics read from it again", seconds(*lag));
            }
            _ => {}
        }
        route
    }

    async fn judge(&self, replica: &ReadReplica) -> ReadRoute {
        let bound = replica.config.max_lag;
        let verdict = |c: &LagCheck| match c.lag {
            Some(lag) if lag <= bound => Ok(lag),
            Some(lag) => Err(format!("lags {}, more than {}", seconds(lag), seconds(bound))),
            None => Err(format!("is {} bytes behind and has replayed no transaction yet", c.behind_bytes)),
        };
        // The primary's position once: the second look asks whether the replica has
        // reached that same position since (a healthy standby does within milliseconds).
        // language=PostgreSQL
        let position: Result<String, _> =
            sqlx::query_scalar("SELECT pg_current_wal_lsn()::text").fetch_one(&self.pool).await;
        let Ok(position) = position else {
            // The primary itself is unreachable: nothing to compare with; say so and let the
            // read fail on the primary with its own error.
            return ReadRoute::Fallback { reason: "cannot be compared: the primary did not answer".into() };
        };
        let mut last = String::new();
        for attempt in 0..2 {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            match behind(&replica.pool, &position).await {
                Ok(check) => match verdict(&check) {
                    Ok(lag) => return ReadRoute::Replica { lag },
                    Err(reason) => last = reason,
                },
                Err(e) => return ReadRoute::Fallback { reason: format!("cannot be reached: {e}") },
            }
        }
        ReadRoute::Fallback { reason: last }
    }

    /// The pool analytics reads use: the replica while it keeps up (see [`PgStore::read_route`]),
    /// else the primary.
    pub async fn read_pool(&self) -> &PgPool {
        match (self.read_route().await, self.read.as_deref()) {
            (ReadRoute::Replica { .. }, Some(replica)) => &replica.pool,
            _ => &self.pool,
        }
    }
}

impl PgStore {
    /// [`PgStore::with_read_replica`] with a pool on `url`, with the primary's session
    /// settings and a short acquire timeout. The pool connects lazily, so a replica that is
    /// down when the store opens only sends reads to the primary (with a warning) until it
    /// is back.
    pub fn with_read_url(self, url: &str, config: ReplicaConfig) -> Result<Self, crate::ConnectError> {
        let options = sqlx::postgres::PgConnectOptions::from_str(url)
            .map_err(|source| crate::ConnectError::InvalidUrl { source })?;
        // A replica that stops answering must not hold an analytics read for the default
        // 10 s before it falls back.
        let pool_config = crate::PoolConfig { acquire_timeout: Duration::from_secs(3), ..Default::default() };
        let pool =
            crate::connect::pool_options(&pool_config).connect_lazy_with(crate::connect::session(options));
        Ok(self.with_read_replica(pool, config))
    }
}
