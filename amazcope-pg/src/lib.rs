//! PostgreSQL storage for Amazcope: the schema (migrations), [`PgStore`] implementing every
//! repository trait of `amazcope-core`, partition upkeep and inspection.
//!
//! - [`PgStore::connect`] opens a pool; migrations run only through [`PgStore::migrate`].
//! - [`cluster`] starts a private PostgreSQL when no `DATABASE_URL` is given.
//! - [`partitions`] keeps the monthly partitions of `product_snapshots`.
//! - [`queue`] is the refresh work queue (leases with `FOR UPDATE SKIP LOCKED`).
//!
//! Every table write exists once, in `write`; the repositories (`repos`) and batch ingest
//! (`ingest`) both call those functions. Module order has no cycle: `write` and `rows` use
//! only `columns` and `error`; `repos` uses `write`; `ingest` uses `write` and `repos`' reads.
//! - [`inspect`] reads table sizes, index usage and an ERD from the catalogs, and the
//!   monitoring figures (slow queries, bloat, connections, replication).
//! - [`backup`] dumps and restores with `pg_dump`/`pg_restore`, row counts checked.
#![warn(missing_docs)]

mod analytics;
mod columns;
mod error;
pub mod history;
mod ingest;
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
