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
    /// Ping each connection as it leaves the pool (one round trip per acquire), so one the
    /// server has closed (a restart, an idle kill) is replaced before use instead of failing
    /// the query it was taken for. Default on.
    pub test_before_acquire: bool,
    /// With `test_before_acquire`, ping only a connection that has sat idle at least this
    /// long (default zero: every acquire). sqlx pings every connection it takes back (on
    /// release), so one idle for less than this answered a moment ago; skipping its second
    /// ping saves a round trip per acquire under load (HikariCP's "alive bypass window", 500
    /// ms there). The price: a server restart inside the window fails one query per pooled
    /// connection instead of none; `amazcope serve` takes it (a request in flight fails on a
    /// restart anyway), the worker and the CLI keep zero.
    pub ping_after_idle: Duration,
}

impl Default for PoolConfig {
    fn default() -> Self {
        Self {
            max_connections: 20,
            min_connections: 0,
            acquire_timeout: Duration::from_secs(10),
            idle_timeout: Some(Duration::from_secs(600)),
            test_before_acquire: true,
            ping_after_idle: Duration::ZERO,
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
    /// A connection pooler in transaction mode that cannot keep prepared statements apart sits
    /// between us and the server (PgBouncer older than 1.21, or `max_prepared_statements = 0`):
    /// two client connections met the same server connection's `sqlx_s_1`.
    #[error(
        "{target} is behind a connection pooler in transaction mode without prepared-statement support \
         (PgBouncer older than 1.21, or max_prepared_statements = 0): the server answered \"{detail}\"; \
         use PgBouncer 1.21+ with max_prepared_statements > 0 (scripts/install-pgbouncer), session pooling, \
         or the server's own address"
    )]
    PoolerWithoutPreparedStatements {
        /// Host and database tried (never the password).
        target: String,
        /// The server's message.
        detail: String,
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

/// Our session settings on `options`: `application_name = amazcope`, plus what sqlx itself
/// sends at startup (`TimeZone = UTC`, `DateStyle`, `client_encoding`). All are plain startup
/// parameters that PgBouncer keeps per client and sets again on whichever server connection
/// a transaction gets, so they hold behind a transaction-mode pooler too. No `options`
/// (`-c ...`): PgBouncer before 1.20 refuses a client that sends it, and sqlx's own
/// `TimeZone` says the same.
///
/// sqlx's `extra_float_digits` startup parameter is left out: PgBouncer refuses a client that
/// sends it unless `ignore_startup_parameters` lists it, and from PostgreSQL 12 on (we need
/// 14) the server's default already prints floats exactly (shortest round-trip form).
pub(crate) fn session(options: PgConnectOptions) -> PgConnectOptions {
    options.application_name("amazcope").extra_float_digits(None)
}

/// A pool sized and timed as `config` says.
pub(crate) fn pool_options(config: &PoolConfig) -> PgPoolOptions {
    let options = PgPoolOptions::new()
        .max_connections(config.max_connections)
        .min_connections(config.min_connections)
        .acquire_timeout(config.acquire_timeout)
        .idle_timeout(config.idle_timeout);
    if !config.test_before_acquire || config.ping_after_idle.is_zero() {
        return options.test_before_acquire(config.test_before_acquire);
    }
    // sqlx's own test pings always; this hook pings what has been idle long enough. A failed
    // ping closes the connection and the acquire takes (or opens) another, as sqlx's does.
    let window = config.ping_after_idle;
    options.test_before_acquire(false).before_acquire(move |conn, meta| {
        Box::pin(async move {
            if meta.idle_for >= window {
                conn.ping().await?;
            }
            Ok(true)
        })
    })
}

/// The server's message when `e` says a named prepared statement exists already
/// (`42P05`) or does not exist (`26000`): what a transaction-mode pooler without
/// prepared-statement support causes.
fn unsupported_prepared_statements(e: &sqlx::Error) -> Option<String> {
    let d = e.as_database_error()?;
    matches!(d.code().as_deref(), Some("42P05" | "26000")).then(|| d.message().to_string())
}

impl PgStore {
    /// Opens a pool (migrations are **not** run; call [`PgStore::migrate`]).
    ///
    /// Every connection identifies itself as `application_name = amazcope` (visible in
    /// `pg_stat_activity`) and runs with `TimeZone = UTC`, so any timestamp text the server
    /// produces is UTC whatever the server's own setting. Fails with
    /// [`ConnectError::ServerTooOld`] below PostgreSQL 14, and with
    /// [`ConnectError::PoolerWithoutPreparedStatements`] behind a PgBouncer in transaction
    /// mode that cannot carry prepared statements (older than 1.21).
    pub async fn connect(options: PgConnectOptions, config: PoolConfig) -> Result<PgStore, ConnectError> {
        let target = describe(&options);
        let options = session(options);
        // One direct connection first: a pool only reports "timed out" after acquire_timeout,
        // while this says "connection refused", "database does not exist", ... at once.
        let mut probe = sqlx::PgConnection::connect_with(&options)
            .await
            .map_err(|source| ConnectError::Connect { target: target.clone(), source })?;
        // The same prepared statement on the probe, then on the pool's first connection: both
        // name it `sqlx_s_1`. Directly, or through a pooler that tracks prepared statements
        // (PgBouncer 1.21+), each connection has its own. Through one in transaction mode that
        // does not (PgBouncer 1.18, Debian 12's), the second lands on the server connection the
        // first just released, which has `sqlx_s_1` already: said here, in one line, instead
        // of as random query failures later.
        // language=PostgreSQL
        let version = "SELECT current_setting('server_version_num')::int";
        // The probe's own statement meets one already there when an earlier client left it
        // on the pooler's server connection: a new session has none of its own.
        let probed = sqlx::query_scalar::<_, i32>(version).fetch_one(&mut probe).await;
        let _ = probe.close().await;
        if let Err(e) = probed {
            return Err(match unsupported_prepared_statements(&e) {
                Some(detail) => ConnectError::PoolerWithoutPreparedStatements { target, detail },
                None => ConnectError::VersionQuery { source: e },
            });
        }
        let pool = pool_options(&config)
            .connect_with(options)
            .await
            .map_err(|source| ConnectError::Connect { target: target.clone(), source })?;
        let found: i32 = match sqlx::query_scalar(version).fetch_one(&pool).await {
            Ok(found) => found,
            Err(e) => {
                pool.close().await;
                return Err(match unsupported_prepared_statements(&e) {
                    Some(detail) => ConnectError::PoolerWithoutPreparedStatements { target, detail },
                    None => ConnectError::VersionQuery { source: e },
                });
            }
        };
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
