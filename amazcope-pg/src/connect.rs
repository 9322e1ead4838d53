//! Opening a [`PgStore`]: pool sizing, session settings and the server version check.

use crate::PgStore;
use sqlx::Connection as _;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use std::str::FromStr;
use std::time::Duration;

/// The oldest server we support: 14 (`server_version_num` 140000). Older servers lack what
/// the schema relies on (FKs to partitioned tables with SET NULL, BEFORE row triggers on
/// partitioned tables, `gen_random_uuid()` without an extension).
pub const MIN_SERVER_VERSION_NUM: i32 = 140_000;

/// How the connection pool is sized and how long callers wait for a connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolConfig {
    /// Upper bound on open connections. The original ran 20 (+10 overflow) per engine; 20 stays
    /// well under PostgreSQL's default `max_connections = 100` even with a few processes.
    pub max_connections: u32,
    /// Connections kept open while idle.
    pub min_connections: u32,
    /// How long an `acquire` waits before failing, so an exhausted pool surfaces as an error
    /// instead of a hang.
    pub acquire_timeout: Duration,
    /// Idle connections are closed after this long (`None`: never).
    pub idle_timeout: Option<Duration>,
}

impl Default for PoolConfig {
    fn default() -> Self {
        Self {
            max_connections: 20,
            min_connections: 0,
            acquire_timeout: Duration::from_secs(10),
            idle_timeout: Some(Duration::from_secs(600)),
        }
    }
}

/// Why [`PgStore::connect`] failed.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// The connection URL could not be read.
    #[error("invalid database url")]
    InvalidUrl {
        /// What the parser said.
        #[source]
        source: sqlx::Error,
    },
    /// The server could not be reached or refused the connection.
    #[error("cannot connect to postgresql at {target}")]
    Connect {
        /// Host and database tried (never the password).
        target: String,
        /// The driver error.
        #[source]
        source: sqlx::Error,
    },
    /// The server answered, but `server_version_num` could not be read.
    #[error("cannot read the postgresql server version")]
    VersionQuery {
        /// The driver error.
        #[source]
        source: sqlx::Error,
    },
    /// The server is older than [`MIN_SERVER_VERSION_NUM`].
    #[error("postgresql server version {found} is too old: amazcope needs {required} or newer")]
    ServerTooOld {
        /// The server's `server_version_num`.
        found: i32,
        /// The minimum, [`MIN_SERVER_VERSION_NUM`].
        required: i32,
    },
}

/// Describes where options point, for error messages (no password).
fn describe(options: &PgConnectOptions) -> String {
    let db = options.get_database().unwrap_or("(default)");
    match options.get_socket() {
        Some(dir) => format!("socket {} database {db}", dir.display()),
        None => format!("{}:{} database {db}", options.get_host(), options.get_port()),
    }
}

/// Our session settings on `options`: `application_name` and `TimeZone`.
pub(crate) fn session(options: PgConnectOptions) -> PgConnectOptions {
    options.application_name("amazcope").options([("TimeZone", "UTC")])
}

/// A pool sized and timed as `config` says.
pub(crate) fn pool_options(config: &PoolConfig) -> PgPoolOptions {
    PgPoolOptions::new()
        .max_connections(config.max_connections)
        .min_connections(config.min_connections)
        .acquire_timeout(config.acquire_timeout)
        .idle_timeout(config.idle_timeout)
}

impl PgStore {
    /// Opens a pool (migrations are **not** run; call [`PgStore::migrate`]).
    ///
    /// Every connection identifies itself as `application_name = amazcope` (visible in
    /// `pg_stat_activity`) and runs with `TimeZone = UTC`, so any timestamp text the server
    /// produces is UTC whatever the server's own setting. Fails with
    /// [`ConnectError::ServerTooOld`] below PostgreSQL 14.
    pub async fn connect(options: PgConnectOptions, config: PoolConfig) -> Result<PgStore, ConnectError> {
        let target = describe(&options);
        let options = session(options);
        // One direct connection first: a pool only reports "timed out" after acquire_timeout,
        // while this says "connection refused", "database does not exist", ... at once.
        let probe = sqlx::PgConnection::connect_with(&options)
            .await
            .map_err(|source| ConnectError::Connect { target: target.clone(), source })?;
        let _ = probe.close().await;
        let pool = pool_options(&config)
            .connect_with(options)
            .await
            .map_err(|source| ConnectError::Connect { target, source })?;
        // language=PostgreSQL
        let found: i32 = sqlx::query_scalar("SELECT current_setting('server_version_num')::int")
            .fetch_one(&pool)
            .await
            .map_err(|source| ConnectError::VersionQuery { source })?;
        if found < MIN_SERVER_VERSION_NUM {
            pool.close().await;
            return Err(ConnectError::ServerTooOld { found, required: MIN_SERVER_VERSION_NUM });
        }
        Ok(PgStore::from_pool(pool))
    }

    /// [`PgStore::connect`] from a `postgres://` URL with the default [`PoolConfig`].
    pub async fn connect_url(url: &str) -> Result<PgStore, ConnectError> {
        Self::connect_url_with(url, PoolConfig::default()).await
    }

    /// [`PgStore::connect`] from a `postgres://` URL, with a pool sized by `config`.
    pub async fn connect_url_with(url: &str, config: PoolConfig) -> Result<PgStore, ConnectError> {
        let options =
            PgConnectOptions::from_str(url).map_err(|source| ConnectError::InvalidUrl { source })?;
        Self::connect(options, config).await
    }
}
