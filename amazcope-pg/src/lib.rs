//! PostgreSQL storage for Amazcope: the schema (migrations), [`PgStore`] implementing every
//! repository trait of `amazcope-core`, partition upkeep and inspection.
//!
//! - [`PgStore::connect`] opens a pool; migrations run only through [`PgStore::migrate`].
//! - [`cluster`] starts a private PostgreSQL when no `DATABASE_URL` is given.
//! - [`partitions`] keeps the monthly partitions of `product_snapshots`.
//! - [`queue`] is the refresh work queue (leases with `FOR UPDATE SKIP LOCKED`).
//! - [`delivery`] is the notification outbox: channels, delivery claims (leases), the log.
//! - [`inspect`] reads table sizes, index usage and an ERD from the catalogs, and the
//!   monitoring figures (slow queries, bloat, connections, replication).
//! - [`backup`] dumps and restores with `pg_dump`/`pg_restore`, row counts checked.
//! - [`daily`] reads and rebuilds the daily rollups; [`history`] is the tenancy rule of
//!   per-product reads and the sliced history read.
//!
//! # Tenancy in the database
//!
//! Row-level security (migration `0015_tenant_row_security`, docs/tenancy.md) keeps each
//! user's tracking rows, settings, alerts, notifications and suggestions from every other
//! user, below the queries' own `WHERE user_id`. The library sets the acting user itself:
//! each repository call that touches a user's tenant rows runs in a transaction that first
//! sets `amazcope.user_id` ([`ACTING_USER_SETTING`]); work that spans users (batch ingest,
//! `create_alerts`, `trackers`, the queue's claim, partition upkeep) runs in a transaction
//! that says `SET LOCAL ROLE amazcope_service` ([`SERVICE_ROLE`]), a second role rather than
//! SECURITY DEFINER functions because FORCE holds the tables' owner to the policies (a definer
//! would need BYPASSRLS, a superuser's grant) and because the cross-user writes then stay the
//! one Rust write of each table. Connect as an ordinary role: superusers and BYPASSRLS roles
//! pass around the policies.
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
pub mod budget;
mod columns;
pub mod copy_binary;
pub mod daily;
pub mod delivery;
mod error;
pub mod export;
pub mod history;
mod ingest;
pub mod keepa;
pub mod queue;
mod repos;
mod rows;
mod tenant;
pub mod tokens;
mod write;

pub mod backup;
pub mod cluster;
mod connect;
pub mod inspect;
mod migrate;
pub mod partitions;
pub mod replica;
pub mod search;
#[cfg(feature = "test-support")]
pub mod testing;

pub use connect::{ConnectError, MIN_SERVER_VERSION_NUM, PoolConfig};
pub use migrate::{MigrationError, MigrationState, MigrationStatus, SchemaError};
pub use tenant::{ACTING_USER_SETTING, SERVICE_ROLE};

use sqlx::PgPool;

/// The migrations of `migrations/` at the workspace root, embedded.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");

/// PostgreSQL implementation of every repository trait. Cheap to clone (the pool is an `Arc`).
#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
    /// The read replica analytics reads use while it keeps up ([`replica`]).
    read: Option<std::sync::Arc<replica::ReadReplica>>,
}

impl PgStore {
    /// Wraps an existing pool (migrations are not run).
    pub fn from_pool(pool: PgPool) -> Self {
        Self { pool, read: None }
    }

    /// The primary's pool (writes, and reads that must see them).
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}
