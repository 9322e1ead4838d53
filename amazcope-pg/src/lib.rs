//! PostgreSQL storage for Amazcope: the schema (migrations), [`PgStore`] implementing every
//! repository trait of `amazcope-core`, partition upkeep and inspection.
//!
//! - [`PgStore::connect`] opens a pool; migrations run only through [`PgStore::migrate`].
//! - [`cluster`] starts a private PostgreSQL when no `DATABASE_URL` is given.
//! - [`partitions`] keeps the monthly partitions of `product_snapshots`.
//! - [`queue`] is the refresh work queue (leases with `FOR UPDATE SKIP LOCKED`).
//! - [`inspect`] reads table sizes, index usage and an ERD from the catalogs, and the
//!   monitoring figures (slow queries, bloat, connections, replication).
//! - [`backup`] dumps and restores with `pg_dump`/`pg_restore`, row counts checked.
//! - [`daily`] reads and rebuilds the daily rollups; [`history`] is the tenancy rule of
//!   per-product reads and the sliced history read.
//!
//! Every table write exists once, in `write`; the repositories (`repos`) and batch ingest
//! (`ingest`) both call those functions. Module order has no cycle: `write` and `rows` use
//! only `columns` and `error`; `repos` uses `write`; `ingest` uses `write` and `repos`' reads.
//!
//! # Checked and runtime SQL
//!
//! Plain statements are checked at compile time (`sqlx::query!` / `query_as!`): the CRUD of
//! users and settings (`repos/users.rs`), tracking (`repos/tracking.rs`, with the tracker
//! read shared by refresh), notifications (`repos/notifications.rs`), the read marks of
//! alerts (`repos/alerts.rs`), the status changes of suggestions (`repos/suggestions.rs`),
//! the slice bounds of `history` and the lease release of `queue`. Their offline data is
//! `.sqlx/` at the workspace root, and `.cargo/config.toml` sets `SQLX_OFFLINE=true`, so no
//! build needs a database. After changing a checked query or a migration, run
//! `scripts/sqlx-prepare` (it makes a throwaway migrated database, regenerates `.sqlx/` and
//! drops the database) and commit `.sqlx/`; `scripts/lint` runs `scripts/sqlx-prepare
//! --check`, which fails when `.sqlx/` is stale.
//!
//! Runtime SQL (`sqlx::query`, `QueryBuilder`) stays where the macros cannot go, each place
//! saying so: the writes in `write` (UNNEST arrays built from column lists, binary COPY),
//! filters that build their SQL (`QueryBuilder`), rows that flatten another row type
//! (`#[sqlx(flatten)]`, which `query_as!` cannot fill), column lists shared through
//! `concat!` macros (`repos/suggestions.rs`: `query!` takes only string literals) and UNNEST
//! arrays holding NULLs (`query!` types a `text[]` parameter as `&[String]`).
#![warn(missing_docs)]

mod analytics;
pub mod archive;
mod columns;
pub mod daily;
mod error;
pub mod export;
pub mod history;
mod ingest;
pub mod keepa;
pub mod queue;
mod repos;
mod rows;
mod write;

pub mod backup;
pub mod cluster;
mod connect;
pub mod inspect;
mod migrate;
pub mod partitions;
#[cfg(feature = "test-support")]
pub mod testing;

pub use connect::{ConnectError, MIN_SERVER_VERSION_NUM, PoolConfig};
pub use migrate::{MigrationError, MigrationState, MigrationStatus, SchemaError};

use sqlx::PgPool;

/// The migrations of `migrations/` at the workspace root, embedded.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");

/// PostgreSQL implementation of every repository trait. Cheap to clone (the pool is an `Arc`).
#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    /// Wraps an existing pool (migrations are not run).
    pub fn from_pool(pool: PgPool) -> Self {
        Self { pool }
    }

    /// The pool.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}
