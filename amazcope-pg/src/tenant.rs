//! The two ways a transaction may touch tenant rows under row-level security (migration
//! `0015_tenant_row_security`, docs/tenancy.md).
//!
//! - [`PgStore::user_tx`]: the transaction of one user. It begins with
//!   `set_config('amazcope.user_id', <user>, true)` in the same round trip as `BEGIN`, so
//!   every statement in it sees and writes that user's rows of `user_settings`,
//!   `user_products`, `alerts`, `notifications`, `suggestions` and `suggestion_actions`, and
//!   nothing of anyone else's, whatever its `WHERE` says. The setting ends with the
//!   transaction, so a pooled connection never carries a user into the next caller's work.
//! - [`PgStore::service_tx`] (and [`BEGIN_SERVICE`] for callers that begin their own): the
//!   cross-user path, `SET LOCAL ROLE amazcope_service`. Only work that must see every user's
//!   rows takes it: batch ingest and problem recording (trackers of each product, alerts and
//!   notifications for each of them), [`AlertRepository::create_alerts`] (a batch may hold
//!   several users' alerts), [`TrackingRepository::trackers`], the refresh queue's "does
//!   anyone track it" test and partition upkeep re-pointing alerts. Everything else runs as a
//!   user, or touches no tenant table.
//!
//! Why a second role rather than SECURITY DEFINER functions: with FORCE ROW LEVEL SECURITY
//! the table owner is held to the policies too, so a definer function would need an owner
//! with BYPASSRLS, which only a superuser can make; and the cross-user writes would move
//! from the one Rust write of each table (`crate::write`) into SQL functions, a second copy
//! of each. A role keeps the one write, needs no superuser once the role exists (`amazcope
//! db upgrade` creates it where it may), can be withheld from a login role that must never
//! act across users (a web front end's), and shows in `pg_stat_activity` and the logs as
//! `amazcope_service`. The policy tests `current_user`, so membership alone (an inheriting
//! member) gives nothing until a transaction says `SET LOCAL ROLE`.
//!
//! [`AlertRepository::create_alerts`]: amazcope_core::AlertRepository::create_alerts
//! [`TrackingRepository::trackers`]: amazcope_core::TrackingRepository::trackers

use crate::PgStore;
use crate::error;
use amazcope_core::{StoreResult, UserId};
use sqlx::{AssertSqlSafe, Postgres, Transaction};

/// The role of the cross-user path (created by migration 0015 where the migrating role may).
pub const SERVICE_ROLE: &str = "amazcope_service";

/// The setting that names the acting user of a transaction (read by the policies).
pub const ACTING_USER_SETTING: &str = "amazcope.user_id";

/// `BEGIN` for the cross-user path, one round trip.
// language=PostgreSQL
pub(crate) const BEGIN_SERVICE: &str = "BEGIN; SET LOCAL ROLE amazcope_service";

/// `BEGIN` and the acting user, one round trip. The value spliced in is a UUID formatted
/// here (hex digits and dashes), never caller text.
fn begin_as(user: UserId) -> String {
    format!("BEGIN; SELECT set_config('{ACTING_USER_SETTING}', '{}', true)", user.0.hyphenated())
}

impl PgStore {
    /// A transaction acting as `user`: tenant rows of other users are invisible in it and
    /// cannot be written. Dropped without commit, it rolls back.
    pub(crate) async fn user_tx(&self, user: UserId) -> StoreResult<Transaction<'static, Postgres>> {
        self.pool.begin_with(AssertSqlSafe(begin_as(user))).await.map_err(error::db)
    }

    /// [`PgStore::user_tx`] on the analytics read pool (the replica while it keeps up, see
    /// `replica.rs`): `set_config` is allowed in a standby's read-only transactions.
    pub(crate) async fn read_user_tx(&self, user: UserId) -> StoreResult<Transaction<'static, Postgres>> {
        self.read_pool().await.begin_with(AssertSqlSafe(begin_as(user))).await.map_err(error::db)
    }

    /// A transaction on the cross-user path (`SET LOCAL ROLE amazcope_service`). Only for
    /// the work listed in the module documentation.
    pub(crate) async fn service_tx(&self) -> StoreResult<Transaction<'static, Postgres>> {
        self.pool.begin_with(BEGIN_SERVICE).await.map_err(error::db)
    }
}

/// Ends a transaction that only read: it is dropped, not committed. Dropping an open
/// transaction queues `ROLLBACK` on its connection (sqlx's `TransactionManager::start_rollback`)
/// and the pool sends it with the check it makes of every connection it takes back (a
/// `Sync`, awaited in the background), so the transaction ends in the round trip that check
/// costs anyway; `COMMIT` would be a round trip of its own, awaited by the caller, before
/// it. A transaction that wrote nothing loses nothing by rolling back, and the acting user's
/// setting ends with it either way. Only for transactions whose statements are all reads:
/// a write dropped here would be undone.
pub(crate) fn end_read(tx: Transaction<'static, Postgres>) {
    drop(tx);
}

/// Migration 0015, the one source of the service role's SQL: a restore into a new server
/// runs the parts below (see `backup::restore`).
const RLS_MIGRATION: &str = include_str!("../../migrations/0015_tenant_row_security.up.sql");

/// The DO block of migration 0015 that makes `amazcope_service` when missing and grants it
/// to the current role (a dump's policies name the role, which belongs to the server, not
/// to the dump).
pub(crate) fn ensure_service_role_sql() -> &'static str {
    let start = RLS_MIGRATION.find("DO $$").unwrap_or(RLS_MIGRATION.len());
    let end = RLS_MIGRATION[start..].find("\n$$;").map_or(RLS_MIGRATION.len(), |e| start + e + 4);
    &RLS_MIGRATION[start..end]
}

/// The service role's table and sequence grants of migration 0015 (a restore with
/// `--no-privileges` leaves them out).
pub(crate) fn service_grants_sql() -> String {
    RLS_MIGRATION
        .lines()
        .filter(|l| l.starts_with("GRANT ") || l.starts_with("ALTER DEFAULT PRIVILEGES"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_service_role_sql_is_found_in_the_migration() {
        let role = ensure_service_role_sql();
        assert!(role.starts_with("DO $$") && role.ends_with("$$;"), "{role}");
        assert!(role.contains("CREATE ROLE amazcope_service") && role.contains("GRANT amazcope_service TO"));
        let grants = service_grants_sql();
        assert_eq!(grants.lines().count(), 4, "{grants}");
        assert!(grants.lines().all(|l| l.contains("amazcope_service") && l.ends_with(';')), "{grants}");
    }
    use uuid::Uuid;

    #[test]
    fn begin_names_the_user_as_a_plain_uuid() {
        let id = Uuid::parse_str("6f1c1d7e-8a57-4c39-9d1e-0c6b7d3e2f10").unwrap();
        assert_eq!(
            begin_as(UserId(id)),
            "BEGIN; SELECT set_config('amazcope.user_id', '6f1c1d7e-8a57-4c39-9d1e-0c6b7d3e2f10', true)"
        );
    }
}
