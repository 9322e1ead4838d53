//! Explicit schema migration (never on connect) and its inspection, from `_sqlx_migrations`.

use crate::{MIGRATOR, PgStore};
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgPool;

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
    /// Applies every pending migration of [`MIGRATOR`](crate::MIGRATOR), in order.
    pub async fn migrate(&self) -> Result<(), MigrationError> {
        MIGRATOR.run(self.pool()).await.map_err(|source| MigrationError::Migrate { source })
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
        MIGRATOR
            .undo(self.pool(), target.unwrap_or(0))
            .await
            .map_err(|source| MigrationError::Migrate { source })?;
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
