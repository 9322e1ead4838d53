//! PostgreSQL storage for Amazcope: the schema (migrations), [`PgStore`] implementing every
//! repository trait of `amazcope-core`, partition upkeep and inspection.
#![warn(missing_docs)]

pub mod pipeline;
mod repos;

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
