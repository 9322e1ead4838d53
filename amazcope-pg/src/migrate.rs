//! Explicit schema migration (never on connect) and its inspection, from `_sqlx_migrations`.

use crate::{MIGRATOR, PgStore};
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::migrate::Migrator;
use sqlx::{Connection as _, PgConnection, PgPool};

/// Why a migration call failed.
#[derive(Debug, thiserror::Error)]
pub enum MigrationError {
    /// sqlx refused or failed to apply or revert a migration.
    #[error("migration failed")]
    Migrate {
        /// The migrator's error (names the version where it can).
        #[source]
        source: sqlx::migrate::MigrateError,
    },
    /// Reading the migration table failed.
    #[error("cannot read _sqlx_migrations")]
    Query {
        /// The driver error.
        #[source]
        source: sqlx::Error,
    },
}

/// The schema of a database is not the one this build works with. Each message names the
/// database (never its password) and what to do, in one line.
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    /// No migration was ever applied (no `_sqlx_migrations`, or an empty one).
    #[error("the database at {target} has no Amazcope schema: run `amazcope db upgrade`")]
    Missing {
        /// `postgres://user@host:port/db`.
        target: String,
    },
    /// Migrations of this build are not applied yet.
    #[error(
        "the database at {target} has Amazcope schema version {found}, this amazcope needs {needed}: run `amazcope db upgrade`"
    )]
    Behind {
        /// `postgres://user@host:port/db`.
        target: String,
        /// The newest applied version.
        found: i64,
        /// The newest version this build embeds.
        needed: i64,
    },
    /// A migration started and did not finish.
    #[error(
        "the database at {target} has a failed migration (version {version}): restore a backup or repair it, then run `amazcope db upgrade`"
    )]
    Failed {
        /// `postgres://user@host:port/db`.
        target: String,
        /// The failed version.
        version: i64,
    },
    /// Reading the migrations failed.
    #[error("cannot read the schema version of the database at {target}")]
    Query {
        /// `postgres://user@host:port/db`.
        target: String,
        /// The cause.
        #[source]
        source: MigrationError,
    },
}

/// Where one migration stands in a database.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum MigrationState {
    /// Applied successfully.
    Applied {
        /// When.
        installed_on: DateTime<Utc>,
        /// How long it took, in milliseconds.
        execution_ms: f64,
        /// Whether the embedded file still has the checksum that was applied (false means
        /// someone edited an applied migration).
        checksum_matches: bool,
    },
    /// Started but did not finish (sqlx marks it `success = false`; the database is dirty).
    Failed,
    /// Embedded, not applied yet.
    Pending,
    /// Recorded in the database but not embedded in this build (a newer build applied it).
    Unknown,
}

/// One row of [`PgStore::migration_history`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MigrationStatus {
    /// The `NNNN` of the file name.
    pub version: i64,
    /// The rest of the file name (`schema`).
    pub description: String,
    /// Applied, pending, ...
    #[serde(flatten)]
    pub state: MigrationState,
}

#[derive(sqlx::FromRow)]
struct AppliedRow {
    version: i64,
    description: String,
    installed_on: DateTime<Utc>,
    success: bool,
    checksum: Vec<u8>,
    execution_time: i64,
}

/// [`MIGRATOR`] without sqlx's own lock: [`MigrationLock`] takes its place.
fn unlocked_migrator() -> Migrator {
    let mut m = Migrator::with_migrations(MIGRATOR.iter().cloned().collect());
    m.set_locking(false);
    m
}

/// sqlx's migration lock key for a database: `0x3d32ad9e * crc32(name)` (CRC-32/ISO-HDLC,
/// sqlx-postgres `generate_lock_id`), so an older build migrating with sqlx's own lock and
/// this one exclude each other.
fn lock_id(database: &str) -> i64 {
    let mut crc = !0u32;
    for byte in database.bytes() {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    0x3d32_ad9e * i64::from(!crc)
}

/// One migrator at a time per database, also through PgBouncer in transaction pooling mode.
///
/// sqlx locks with a *session* advisory lock (`pg_advisory_lock` ... `pg_advisory_unlock`).
/// Behind a transaction-mode pooler each of those statements may run on a different server
/// connection: the unlock misses, and the lock stays held by a pooled server connection, so
/// the next migrator can wait forever. Here the same key is held by a *transaction* lock
/// (`pg_advisory_xact_lock`) on a connection of its own whose transaction stays open while the
/// migrations run (a pooler keeps one server connection for an open transaction), and ends
/// with it, whatever happens to this process.
struct MigrationLock {
    conn: PgConnection,
}

impl MigrationLock {
    async fn take(pool: &PgPool) -> Result<MigrationLock, MigrationError> {
        let query = |source| MigrationError::Query { source };
        let mut conn = PgConnection::connect_with(&pool.connect_options()).await.map_err(query)?;
        // language=PostgreSQL
        sqlx::raw_sql("BEGIN").execute(&mut conn).await.map_err(query)?;
        // language=PostgreSQL
        let database: String = sqlx::query_scalar("SELECT current_database()::text")
            .fetch_one(&mut conn)
            .await
            .map_err(query)?;
        // language=PostgreSQL
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(lock_id(&database))
            .execute(&mut conn)
            .await
            .map_err(query)?;
        Ok(MigrationLock { conn })
    }

    /// Ends the lock's transaction (a failure to do so ends it with the connection).
    async fn release(mut self) {
        // language=PostgreSQL
        let _ = sqlx::raw_sql("COMMIT").execute(&mut self.conn).await;
        let _ = self.conn.close().await;
    }
}

async fn migrations_table_exists(pool: &PgPool) -> Result<bool, MigrationError> {
    // language=PostgreSQL
    sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations') IS NOT NULL")
        .fetch_one(pool)
        .await
        .map_err(|source| MigrationError::Query { source })
}

async fn applied(pool: &PgPool) -> Result<Vec<AppliedRow>, MigrationError> {
    if !migrations_table_exists(pool).await? {
        return Ok(Vec::new());
    }
    // language=PostgreSQL
    sqlx::query_as(
        "SELECT version, description, installed_on, success, checksum, execution_time \
         FROM _sqlx_migrations ORDER BY version",
    )
    .fetch_all(pool)
    .await
    .map_err(|source| MigrationError::Query { source })
}

impl PgStore {
    /// Where this store points, for messages: `postgres://user@host:port/db` (or the socket
    /// folder), never the password.
    pub fn target(&self) -> String {
        let o = self.pool().connect_options();
        let db = o.get_database().unwrap_or("postgres");
        match o.get_socket() {
            Some(dir) => format!("postgres://{}@{}/{db}", o.get_username(), dir.display()),
            None => format!("postgres://{}@{}:{}/{db}", o.get_username(), o.get_host(), o.get_port()),
        }
    }

    /// Checks that every migration this build embeds is applied, before a command uses the
    /// tables: a database without the schema, or with an older one, is answered with one
    /// line saying what to do instead of a missing-relation error. A database newer than
    /// this build (versions it does not know) passes: its tables are a superset.
    pub async fn check_schema(&self) -> Result<(), SchemaError> {
        let target = self.target();
        let history = self
            .migration_history()
            .await
            .map_err(|source| SchemaError::Query { target: target.clone(), source })?;
        if let Some(failed) = history.iter().find(|m| m.state == MigrationState::Failed) {
            return Err(SchemaError::Failed { target, version: failed.version });
        }
        let applied = |m: &&MigrationStatus| {
            matches!(m.state, MigrationState::Applied { .. } | MigrationState::Unknown)
        };
        let found = history.iter().filter(applied).map(|m| m.version).max();
        let needed = history.iter().map(|m| m.version).max().unwrap_or(0);
        match found {
            None => Err(SchemaError::Missing { target }),
            Some(_) if history.iter().any(|m| m.state == MigrationState::Pending) => {
                Err(SchemaError::Behind { target, found: found.unwrap_or(0), needed })
            }
            Some(_) => Ok(()),
        }
    }

    /// Applies every pending migration of [`MIGRATOR`](crate::MIGRATOR), in order.
    ///
    /// Safe behind PgBouncer in transaction pooling mode: see [`MigrationLock`].
    pub async fn migrate(&self) -> Result<(), MigrationError> {
        let lock = MigrationLock::take(self.pool()).await?;
        let done =
            unlocked_migrator().run(self.pool()).await.map_err(|source| MigrationError::Migrate { source });
        lock.release().await;
        done
    }

    /// Reverts the `steps` most recently applied migrations (0 does nothing). Returns the
    /// version the database is at afterwards (`None`: no migration applied).
    pub async fn migrate_down(&self, steps: u32) -> Result<Option<i64>, MigrationError> {
        let mut versions: Vec<i64> =
            applied(self.pool()).await?.into_iter().filter(|r| r.success).map(|r| r.version).collect();
        versions.sort_unstable_by(|a, b| b.cmp(a));
        let steps = steps as usize;
        if steps == 0 {
            return Ok(versions.first().copied());
        }
        // undo() reverts every applied version greater than the target.
        let target = versions.get(steps).copied();
        let lock = MigrationLock::take(self.pool()).await?;
        let done = unlocked_migrator()
            .undo(self.pool(), target.unwrap_or(0))
            .await
            .map_err(|source| MigrationError::Migrate { source });
        lock.release().await;
        done?;
        Ok(target)
    }

    /// The latest successfully applied migration (`None` on an empty database).
    pub async fn current_version(&self) -> Result<Option<i64>, MigrationError> {
        Ok(applied(self.pool()).await?.into_iter().filter(|r| r.success).map(|r| r.version).max())
    }

    /// Every embedded migration with its state in this database, then any version the
    /// database has that this build does not know, in version order.
    pub async fn migration_history(&self) -> Result<Vec<MigrationStatus>, MigrationError> {
        let rows = applied(self.pool()).await?;
        let mut out: Vec<MigrationStatus> = MIGRATOR
            .iter()
            .filter(|m| !m.migration_type.is_down_migration())
            .map(|m| {
                let state = match rows.iter().find(|r| r.version == m.version) {
                    None => MigrationState::Pending,
                    Some(r) if !r.success => MigrationState::Failed,
                    Some(r) => MigrationState::Applied {
                        installed_on: r.installed_on,
                        execution_ms: r.execution_time as f64 / 1_000_000.0,
                        checksum_matches: r.checksum.as_slice() == &*m.checksum,
                    },
                };
                MigrationStatus { version: m.version, description: m.description.to_string(), state }
            })
            .collect();
        for r in &rows {
            if !out.iter().any(|s| s.version == r.version) {
                out.push(MigrationStatus {
                    version: r.version,
                    description: r.description.clone(),
                    state: MigrationState::Unknown,
                });
            }
        }
        out.sort_by_key(|s| s.version);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::lock_id;

    #[test]
    fn the_lock_key_is_sqlx_s_crc32_times_its_constant() {
        // CRC-32/ISO-HDLC's check value: crc32("123456789") = 0xCBF43926.
        assert_eq!(lock_id("123456789"), 0x3d32_ad9e * 0xCBF4_3926_i64);
        assert_eq!(lock_id(""), 0);
    }
}
