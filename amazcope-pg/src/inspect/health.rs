//! The design's monitoring list (DATABASE_DESIGN.md "Monitoring"): slow queries from
//! `pg_stat_statements`, bloat from `pg_stat_user_tables`, connections, replication lag.

use super::{IndexUsage, InspectError, TableSize, err, index_usage, table_sizes};
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgPool;
use std::time::Duration;

/// The design's slow-query threshold: queries over one second.
pub const DEFAULT_SLOW_QUERY_THRESHOLD: Duration = Duration::from_secs(1);

/// One normalized statement from `pg_stat_statements`, for the current database.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct SlowQuery {
    /// Executions.
    pub calls: i64,
    /// Mean execution time in milliseconds.
    pub mean_ms: f64,
    /// Longest execution in milliseconds.
    pub max_ms: f64,
    /// Rows returned or affected, over all calls.
    pub rows: i64,
    /// Whether the mean or the longest run is over the threshold.
    pub over_threshold: bool,
    /// The statement, with constants replaced by `$n`.
    pub statement: String,
}

/// The slow-query view: the statements, or why there are none.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SlowQueries {
    /// Statements over the threshold first (longest first), then the slowest others.
    pub queries: Vec<SlowQuery>,
    /// One line saying how to enable `pg_stat_statements` when it cannot be read.
    pub note: Option<String>,
}

/// Dead rows and vacuum times of one table (partitions summed into their parent).
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct TableBloat {
    /// Table name.
    pub table: String,
    /// `n_live_tup`.
    pub live_rows: i64,
    /// `n_dead_tup`: row versions waiting for VACUUM.
    pub dead_rows: i64,
    /// Latest manual VACUUM of the table or any partition.
    pub last_vacuum: Option<DateTime<Utc>>,
    /// Latest autovacuum of the table or any partition.
    pub last_autovacuum: Option<DateTime<Utc>>,
    /// Heap bytes times the dead share of the rows: what VACUUM would make reusable.
    pub wasted_bytes_estimate: i64,
}

/// Our pool as the process sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PoolFigures {
    /// Upper bound on connections.
    pub max: u32,
    /// Connections open now.
    pub size: u32,
    /// Open connections checked out.
    pub in_use: u32,
    /// Open connections idle in the pool.
    pub idle: u32,
}

/// Server sessions of one state (`pg_stat_activity.state`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct SessionState {
    /// `active`, `idle`, `idle in transaction`, ...
    pub state: String,
    /// Sessions in that state.
    pub sessions: i64,
}

/// Connections: our pool, and every `application_name = 'amazcope'` session on the database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Connections {
    /// This process's pool.
    pub pool: PoolFigures,
    /// All amazcope sessions on this database by state (every process, this one included).
    pub sessions: Vec<SessionState>,
}

/// One standby streaming from this server (`pg_stat_replication`).
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct ReplicaLag {
    /// The standby's `application_name`.
    pub name: String,
    /// Its address (`None` over a Unix socket).
    pub client_addr: Option<String>,
    /// `streaming`, `catchup`, ...
    pub state: Option<String>,
    /// Seconds until a commit here was replayed there (`None`: idle, nothing to replay).
    pub replay_lag_seconds: Option<f64>,
    /// WAL bytes not yet replayed there.
    pub replay_lag_bytes: Option<i64>,
}

/// Everything `amazcope db stats` shows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DbStats {
    /// Sizes and live rows.
    pub tables: Vec<TableSize>,
    /// Index usage.
    pub indexes: Vec<IndexUsage>,
    /// Slowest statements (empty, with [`DbStats::slow_queries_note`], without the extension).
    pub slow_queries: Vec<SlowQuery>,
    /// How to enable `pg_stat_statements`, when it cannot be read.
    pub slow_queries_note: Option<String>,
    /// The threshold in milliseconds.
    pub slow_query_threshold_ms: f64,
    /// Dead rows per table, most wasted first.
    pub bloat: Vec<TableBloat>,
    /// Share of block reads served from shared buffers on this database (`None`: no reads yet).
    pub cache_hit_ratio: Option<f64>,
    /// Pool and sessions.
    pub connections: Connections,
    /// Each standby's lag; empty without standbys.
    pub replication: Vec<ReplicaLag>,
}

const ENABLE_PG_STAT_STATEMENTS: &str = "slow queries need pg_stat_statements: add \
     shared_preload_libraries = 'pg_stat_statements' to postgresql.conf, restart the server, \
     then run CREATE EXTENSION pg_stat_statements in this database";

/// The slowest statements of the current database: over `threshold` (mean or max) first,
/// then the rest by mean time, `limit` in all. Without `pg_stat_statements` (not created
/// here, or not preloaded) the list is empty and the note says how to enable it.
pub async fn slow_queries(
    pool: &PgPool,
    threshold: Duration,
    limit: i64,
) -> Result<SlowQueries, InspectError> {
    // language=PostgreSQL
    let schema: Option<String> = sqlx::query_scalar(
        "SELECT n.nspname::text FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace \
         WHERE e.extname = 'pg_stat_statements'",
    )
    .fetch_optional(pool)
    .await
    .map_err(err("pg_stat_statements"))?;
    let Some(schema) = schema else {
        return Ok(SlowQueries { queries: Vec::new(), note: Some(ENABLE_PG_STAT_STATEMENTS.to_string()) });
    };
    // The schema name comes from pg_namespace and is quoted with quote_ident's rules.
    let view = format!("\"{}\".pg_stat_statements", schema.replace('"', "\"\""));
    let threshold_ms = threshold.as_secs_f64() * 1000.0;
    // language=PostgreSQL
    let sql = format!(
        "SELECT calls, mean_exec_time AS mean_ms, max_exec_time AS max_ms, rows, \
           (mean_exec_time > $1 OR max_exec_time > $1) AS over_threshold, query AS statement \
         FROM {view} \
         WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) \
         ORDER BY over_threshold DESC, max_exec_time DESC \
         LIMIT $2"
    );
    let rows = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(threshold_ms).bind(limit).fetch_all(pool).await;
    match rows {
        Ok(queries) => Ok(SlowQueries { queries, note: None }),
        // 55000 object_not_in_prerequisite_state: created but not in shared_preload_libraries.
        Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("55000") => {
            Ok(SlowQueries { queries: Vec::new(), note: Some(ENABLE_PG_STAT_STATEMENTS.to_string()) })
        }
        Err(e) => Err(err("pg_stat_statements")(e)),
    }
}

/// Dead rows, vacuum times and a wasted-bytes estimate per table, most wasted first.
pub async fn bloat(pool: &PgPool) -> Result<Vec<TableBloat>, InspectError> {
    // pg_partition_root() is NULL for a plain table; partitions fold into their parent.
    // language=PostgreSQL
    sqlx::query_as(
        "SELECT r.relname::text AS table, sum(s.n_live_tup)::bigint AS live_rows, \
           sum(s.n_dead_tup)::bigint AS dead_rows, max(s.last_vacuum) AS last_vacuum, \
           max(s.last_autovacuum) AS last_autovacuum, \
           COALESCE(sum(CASE WHEN s.n_live_tup + s.n_dead_tup > 0 \
             THEN pg_relation_size(s.relid) * s.n_dead_tup / (s.n_live_tup + s.n_dead_tup) END), 0)::bigint \
             AS wasted_bytes_estimate \
         FROM pg_stat_user_tables s \
         JOIN pg_class r ON r.oid = COALESCE(pg_partition_root(s.relid), s.relid) \
         WHERE s.schemaname = current_schema() \
         GROUP BY r.relname \
         ORDER BY wasted_bytes_estimate DESC, dead_rows DESC, r.relname",
    )
    .fetch_all(pool)
    .await
    .map_err(err("bloat"))
}

/// Blocks found in shared buffers over blocks wanted, on the current database.
pub async fn cache_hit_ratio(pool: &PgPool) -> Result<Option<f64>, InspectError> {
    // language=PostgreSQL
    sqlx::query_scalar(
        "SELECT blks_hit::float8 / NULLIF(blks_hit + blks_read, 0) \
         FROM pg_stat_database WHERE datname = current_database()",
    )
    .fetch_one(pool)
    .await
    .map_err(err("cache hit ratio"))
}

/// Our pool's figures and the amazcope sessions on this database by state.
pub async fn connections(pool: &PgPool) -> Result<Connections, InspectError> {
    // Read before the query: the pool as the caller left it, not counting the connection
    // this query borrows (it returns to the pool asynchronously after the query).
    let size = pool.size();
    let idle = u32::try_from(pool.num_idle()).unwrap_or(u32::MAX).min(size);
    let max = pool.options().get_max_connections();
    // language=PostgreSQL
    let sessions = sqlx::query_as(
        "SELECT COALESCE(state, 'unknown') AS state, count(*) AS sessions FROM pg_stat_activity \
         WHERE application_name = 'amazcope' AND datname = current_database() \
         GROUP BY 1 ORDER BY 1",
    )
    .fetch_all(pool)
    .await
    .map_err(err("connections"))?;
    Ok(Connections { pool: PoolFigures { max, size, in_use: size - idle, idle }, sessions })
}

/// Each standby's lag. Empty on a server without standbys, and on a standby itself.
pub async fn replication(pool: &PgPool) -> Result<Vec<ReplicaLag>, InspectError> {
    // pg_current_wal_lsn() fails during recovery, hence the guard.
    // language=PostgreSQL
    sqlx::query_as(
        "SELECT application_name::text AS name, host(client_addr) AS client_addr, state::text AS state, \
           extract(epoch FROM replay_lag)::float8 AS replay_lag_seconds, \
           pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::bigint AS replay_lag_bytes \
         FROM pg_stat_replication WHERE NOT pg_is_in_recovery() ORDER BY application_name",
    )
    .fetch_all(pool)
    .await
    .map_err(err("replication"))
}

/// Everything above, with slow queries over `threshold` first (at most 20).
pub async fn db_stats(pool: &PgPool, threshold: Duration) -> Result<DbStats, InspectError> {
    let slow = slow_queries(pool, threshold, 20).await?;
    Ok(DbStats {
        tables: table_sizes(pool).await?,
        indexes: index_usage(pool).await?,
        slow_queries: slow.queries,
        slow_queries_note: slow.note,
        slow_query_threshold_ms: threshold.as_secs_f64() * 1000.0,
        bloat: bloat(pool).await?,
        cache_hit_ratio: cache_hit_ratio(pool).await?,
        connections: connections(pool).await?,
        replication: replication(pool).await?,
    })
}
