//! Backups with PostgreSQL's own tools: `pg_dump --format=custom` and `pg_restore`, found
//! like the cluster's binaries ([`find_bindir`]). A dump gets a manifest beside it
//! (`FILE.manifest.json`) with the row count of every table, counted in the very snapshot
//! `pg_dump` reads (`pg_export_snapshot()` + `pg_dump --snapshot`), so a restore can prove
//! it brought back every row even while writers kept going during the backup.
//!
//! Passwords reach the tools through the child's `PGPASSWORD`, never its argv (which every
//! user of the machine can read in `ps`).

use crate::cluster::{ClusterError, ClusterSettings, find_bindir};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::postgres::{PgConnectOptions, PgSslMode};
use sqlx::{Connection as _, PgConnection};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::str::FromStr as _;
use tokio::io::AsyncWriteExt as _;
use tokio::process::Command;

/// Why a backup or a restore failed.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// `pg_dump`/`pg_restore` were not found where the cluster binaries are looked for.
    #[error("cannot find pg_dump and pg_restore")]
    Tools(#[source] ClusterError),
    /// The database URL could not be read.
    #[error("invalid database url")]
    InvalidUrl(#[source] sqlx::Error),
    /// A query or connection to the database failed.
    #[error("cannot {action} on {target}")]
    Database {
        /// What was being done.
        action: &'static str,
        /// Where (never the password).
        target: String,
        /// The driver error.
        #[source]
        source: sqlx::Error,
    },
    /// A file could not be read or written ([`ClusterError::Io`]), or `pg_dump`/`pg_restore`
    /// failed ([`ClusterError::Command`]; its command line holds no password): the same
    /// errors as the cluster's own tools.
    #[error(transparent)]
    Os(ClusterError),
    /// The role the backup connects as is held to row-level security on some tables (it is
    /// neither a superuser nor BYPASSRLS, and FORCE holds even an owner to the policies), so
    /// it cannot read every row: `pg_dump` would stop at the first such table, and a dump
    /// made through the policies would silently lack the other users' rows.
    #[error(
        "cannot back up as {role}: row-level security hides rows of {tables} from it (it is neither a superuser \
         nor BYPASSRLS); back up as a role that reads every row, made once by a superuser: \
         CREATE ROLE amazcope_backup LOGIN BYPASSRLS PASSWORD '...'; GRANT pg_read_all_data TO amazcope_backup; \
         then DATABASE_URL=postgres://amazcope_backup@.../db amazcope db backup (docs/tenancy.md, Backups)"
    )]
    RowSecurity {
        /// The role connected.
        role: String,
        /// The tables its policies filter, comma separated.
        tables: String,
    },
    /// The dump has no manifest beside it, so its row counts are unknown.
    #[error(
        "no manifest {path} beside the dump: restore checks the row counts that `amazcope db backup` records there"
    )]
    NoManifest {
        /// The manifest path looked for.
        path: PathBuf,
    },
    /// The manifest is not one we wrote.
    #[error("cannot read the backup manifest {path}")]
    BadManifest {
        /// The manifest.
        path: PathBuf,
        /// The parse error.
        #[source]
        source: serde_json::Error,
    },
    /// Restore refuses a database that already has tables.
    #[error(
        "{target} is not empty ({count} relation(s), e.g. {examples}): restore only into an empty database (createdb a new one)"
    )]
    NotEmpty {
        /// The database.
        target: String,
        /// How many relations it holds.
        count: i64,
        /// A few of their names.
        examples: String,
    },
    /// After a restore the tables do not hold the rows the dump recorded.
    #[error("restored into {target}, but the row counts differ from the backup: {differences}")]
    CountMismatch {
        /// The database.
        target: String,
        /// `table: expected N, found M`, comma separated.
        differences: String,
    },
}

/// `pg_dump` and `pg_restore` of one PostgreSQL installation.
#[derive(Debug, Clone)]
pub struct PgTools {
    pg_dump: PathBuf,
    pg_restore: PathBuf,
}

impl PgTools {
    /// The tools in `bindir` (the private cluster's binaries folder).
    pub(crate) fn in_dir(bindir: &Path) -> PgTools {
        PgTools { pg_dump: bindir.join("pg_dump"), pg_restore: bindir.join("pg_restore") }
    }

    /// The tools beside the cluster binaries ([`find_bindir`]: `AMAZCOPE_PG_BINDIR`, PATH,
    /// `pg_config`, `/usr/lib/postgresql/<newest>/bin`).
    pub fn find(settings: &ClusterSettings) -> Result<PgTools, BackupError> {
        let bindir = find_bindir(settings).map_err(BackupError::Tools)?;
        let tools = PgTools { pg_dump: bindir.join("pg_dump"), pg_restore: bindir.join("pg_restore") };
        for tool in [&tools.pg_dump, &tools.pg_restore] {
            if !tool.is_file() {
                return Err(BackupError::Tools(ClusterError::BinariesNotFound {
                    searched: format!("{} (no {})", bindir.display(), tool.display()),
                }));
            }
        }
        Ok(tools)
    }
}

/// What a backup holds, written as JSON beside the dump.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupManifest {
    /// When the dump's snapshot was taken.
    pub created_at: DateTime<Utc>,
    /// The database dumped (`postgres://user@host:port/db`, no password).
    pub source: String,
    /// The dump file's name.
    pub dump: String,
    /// Rows of every table of the schema (partitioned tables with their partitions) in the
    /// dump's snapshot.
    pub tables: BTreeMap<String, i64>,
}

impl BackupManifest {
    /// Rows over every table.
    pub fn total_rows(&self) -> i64 {
        self.tables.values().sum()
    }
}

/// The manifest of the dump `dump`: `dump` with `.manifest.json` appended.
pub fn manifest_path(dump: &Path) -> PathBuf {
    let mut name = dump.as_os_str().to_owned();
    name.push(".manifest.json");
    PathBuf::from(name)
}

/// How the tools reach the database: libpq variables for the child's environment.
struct Target {
    display: String,
    database: String,
    env: Vec<(&'static str, String)>,
    options: PgConnectOptions,
}

/// The password of a `postgres://user:password@host/db` URL, percent-decoded.
fn url_password(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split(['/', '?']).next()?;
    let (userinfo, _) = authority.rsplit_once('@')?;
    let (_, encoded) = userinfo.split_once(':')?;
    let bytes = encoded.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex =
            bytes.get(i + 1..i + 3).and_then(|h| u8::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    Some(String::from_utf8_lossy(&out).into_owned())
}

impl Target {
    fn parse(url: &str) -> Result<Target, BackupError> {
        let options = PgConnectOptions::from_str(url).map_err(BackupError::InvalidUrl)?;
        let database = options.get_database().unwrap_or(options.get_username()).to_string();
        let host = match options.get_socket() {
            Some(dir) => dir.display().to_string(),
            None => options.get_host().to_string(),
        };
        // As PgStore::target() says it: the socket folder stands for host and port.
        let display = match options.get_socket() {
            Some(_) => format!("postgres://{}@{host}/{database}", options.get_username()),
            None => format!("postgres://{}@{host}:{}/{database}", options.get_username(), options.get_port()),
        };
        let sslmode = match options.get_ssl_mode() {
            PgSslMode::Disable => "disable",
            PgSslMode::Allow => "allow",
            PgSslMode::Prefer => "prefer",
            PgSslMode::Require => "require",
            PgSslMode::VerifyCa => "verify-ca",
            PgSslMode::VerifyFull => "verify-full",
        };
        let mut env = vec![
            ("PGHOST", host),
            ("PGPORT", options.get_port().to_string()),
            ("PGUSER", options.get_username().to_string()),
            ("PGSSLMODE", sslmode.to_string()),
            ("PGAPPNAME", "amazcope-backup".to_string()),
        ];
        if let Some(password) = url_password(url) {
            env.push(("PGPASSWORD", password));
        }
        Ok(Target { display, database, env, options })
    }

    /// `program` with the connection in its environment and the database as a quoted
    /// conninfo `dbname` (a bare name starting with `postgres://` would be read as a URL).
    fn command(&self, program: &Path) -> Command {
        let mut cmd = Command::new(program);
        // Our variables win over a service file or a host address the caller exported.
        cmd.env_remove("PGSERVICE").env_remove("PGHOSTADDR").env_remove("PGDATABASE");
        cmd.envs(self.env.iter().map(|(k, v)| (*k, v)));
        cmd.arg(format!("--dbname=dbname='{}'", self.database.replace('\\', "\\\\").replace('\'', "\\'")));
        cmd.arg("--no-password");
        cmd
    }

    async fn connect(&self) -> Result<PgConnection, BackupError> {
        PgConnection::connect_with(&self.options).await.map_err(self.db("connect"))
    }

    fn db(&self, action: &'static str) -> impl FnOnce(sqlx::Error) -> BackupError {
        let target = self.display.clone();
        move |source| BackupError::Database { action, target, source }
    }
}

fn line(cmd: &Command) -> String {
    let c = cmd.as_std();
    std::iter::once(c.get_program())
        .chain(c.get_args())
        .map(|s| s.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

async fn run(mut cmd: Command, stdin: Option<String>) -> Result<Vec<u8>, BackupError> {
    let command = line(&cmd);
    let started = |e: std::io::Error| {
        BackupError::Os(ClusterError::Command {
            command: command.clone(),
            status: "not started".to_string(),
            output: e.to_string(),
        })
    };
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    });
    let mut child = cmd.spawn().map_err(started)?;
    if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
        pipe.write_all(text.as_bytes()).await.map_err(started)?;
    }
    let out = child.wait_with_output().await.map_err(started)?;
    if !out.status.success() {
        return Err(BackupError::Os(ClusterError::Command {
            command,
            status: out.status.to_string(),
            output: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        }));
    }
    Ok(out.stdout)
}

/// The top-level tables of the current schema (partitions are counted with their parent).
async fn tables(conn: &mut PgConnection) -> Result<Vec<String>, sqlx::Error> {
    // language=PostgreSQL
    sqlx::query_scalar(
        "SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT c.relispartition \
         ORDER BY c.relname",
    )
    .fetch_all(conn)
    .await
}

fn quoted(table: &str) -> String {
    format!("\"{}\"", table.replace('"', "\"\""))
}

/// Exact row counts of every table of the current schema.
pub async fn row_counts(conn: &mut PgConnection) -> Result<BTreeMap<String, i64>, sqlx::Error> {
    let mut counts = BTreeMap::new();
    for table in tables(conn).await? {
        // The name comes from pg_class and is quoted as an identifier.
        let sql = format!("SELECT count(*) FROM {}", quoted(&table));
        let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).fetch_one(&mut *conn).await?;
        counts.insert(table, n);
    }
    Ok(counts)
}

/// Whether any table of the current schema but the migration ledger holds a row: the
/// condition for `amazcope db upgrade` to back up first.
pub async fn holds_data(conn: &mut PgConnection) -> Result<bool, sqlx::Error> {
    for table in tables(conn).await?.into_iter().filter(|t| t != "_sqlx_migrations") {
        // The name comes from pg_class and is quoted as an identifier.
        let sql = format!("SELECT EXISTS (SELECT 1 FROM {})", quoted(&table));
        if sqlx::query_scalar::<_, bool>(sqlx::AssertSqlSafe(sql)).fetch_one(&mut *conn).await? {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Whether the database at `url` has migrations of this build pending *and* holds data
/// ([`holds_data`]): then migrating it must be preceded by a backup (the design's first
/// migration rule), see [`backup_into`].
pub async fn pending_with_data(url: &str) -> Result<bool, BackupError> {
    let target = Target::parse(url)?;
    let mut conn = target.connect().await?;
    // language=PostgreSQL
    let applied: Vec<i64> = sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success")
        .fetch_all(&mut conn)
        .await
        .or_else(|e| match &e {
            // 42P01 undefined_table: no migration ever ran here.
            sqlx::Error::Database(d) if d.code().as_deref() == Some("42P01") => Ok(Vec::new()),
            _ => Err(e),
        })
        .map_err(target.db("read the applied migrations"))?;
    let pending =
        crate::MIGRATOR.iter().any(|m| m.migration_type.is_up_migration() && !applied.contains(&m.version));
    let found = pending && holds_data(&mut conn).await.map_err(target.db("look for data"))?;
    let _ = conn.close().await;
    Ok(found)
}

/// Whether the connected role reads every row of every table of the current schema: a
/// superuser or BYPASSRLS role does; any other role is held to the policies of the tables
/// with row security on, unless it owns (or inherits the owner of) a table without FORCE.
/// `Some`: it does not, and why ([`BackupError::RowSecurity`]).
async fn row_security_refusal(conn: &mut PgConnection) -> Result<Option<BackupError>, sqlx::Error> {
    // language=PostgreSQL
    let (role, bypass, tables): (String, bool, Option<String>) = sqlx::query_as(
        "SELECT r.rolname::text, r.rolsuper OR r.rolbypassrls, \
           (SELECT string_agg(c.relname::text, ', ' ORDER BY c.relname) \
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
            WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT c.relispartition \
              AND c.relrowsecurity \
              AND (c.relforcerowsecurity OR NOT pg_has_role(current_user, c.relowner, 'USAGE'))) \
         FROM pg_roles r WHERE r.rolname = current_user",
    )
    .fetch_one(&mut *conn)
    .await?;
    Ok(tables.filter(|_| !bypass).map(|tables| BackupError::RowSecurity { role, tables }))
}

/// Dumps the database at `url` into `dir` (created if missing) as
/// `amazcope-<database>-v<schema version>-<UTC time>.dump`, manifest beside it. Returns the
/// dump's path.
pub async fn backup_into(url: &str, tools: &PgTools, dir: &Path) -> Result<PathBuf, BackupError> {
    std::fs::create_dir_all(dir)
        .map_err(|source| BackupError::Os(ClusterError::Io { action: "create", path: dir.into(), source }))?;
    let target = Target::parse(url)?;
    let mut conn = target.connect().await?;
    // language=PostgreSQL
    let version: Option<i64> = sqlx::query_scalar("SELECT max(version) FROM _sqlx_migrations WHERE success")
        .fetch_one(&mut conn)
        .await
        .unwrap_or(None);
    let _ = conn.close().await;
    let name: String = target
        .database
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '_' })
        .collect();
    let file = dir.join(format!(
        "amazcope-{name}-v{}-{}.dump",
        version.map_or_else(|| "none".to_string(), |v| format!("{v:04}")),
        Utc::now().format("%Y%m%dT%H%M%SZ")
    ));
    backup(url, tools, &file).await?;
    Ok(file)
}

/// Dumps the database at `url` to `out` (custom format) and writes the manifest beside it.
/// The dump is written to `out.partial` and renamed when complete.
pub async fn backup(url: &str, tools: &PgTools, out: &Path) -> Result<BackupManifest, BackupError> {
    let target = Target::parse(url)?;
    let mut conn = target.connect().await?;
    if let Some(refused) =
        row_security_refusal(&mut conn).await.map_err(target.db("check the role's row-level security"))?
    {
        let _ = conn.close().await;
        return Err(refused);
    }
    // One REPEATABLE READ snapshot for the counts and for pg_dump: the transaction stays open
    // until pg_dump is done, which is what keeps an exported snapshot importable.
    // language=PostgreSQL
    sqlx::raw_sql("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .execute(&mut conn)
        .await
        .map_err(target.db("start the backup transaction"))?;
    // language=PostgreSQL
    let (snapshot, created_at): (String, DateTime<Utc>) =
        sqlx::query_as("SELECT pg_export_snapshot(), now()")
            .fetch_one(&mut conn)
            .await
            .map_err(target.db("export a snapshot"))?;
    let counts = row_counts(&mut conn).await.map_err(target.db("count rows"))?;

    let mut partial = out.as_os_str().to_owned();
    partial.push(".partial");
    let partial = PathBuf::from(partial);
    let mut cmd = target.command(&tools.pg_dump);
    cmd.args(["--format=custom", &format!("--snapshot={snapshot}")]).arg("--file").arg(&partial);
    let dumped = run(cmd, None).await;
    // language=PostgreSQL
    let _ = sqlx::raw_sql("COMMIT").execute(&mut conn).await;
    let _ = conn.close().await;
    if let Err(e) = dumped {
        let _ = std::fs::remove_file(&partial);
        return Err(e);
    }
    std::fs::rename(&partial, out)
        .map_err(|source| BackupError::Os(ClusterError::Io { action: "rename", path: partial, source }))?;

    let manifest = BackupManifest {
        created_at,
        source: target.display.clone(),
        dump: out.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
        tables: counts,
    };
    let path = manifest_path(out);
    let json = serde_json::to_string_pretty(&manifest).unwrap_or_default();
    std::fs::write(&path, json + "\n")
        .map_err(|source| BackupError::Os(ClusterError::Io { action: "write", path, source }))?;
    Ok(manifest)
}

/// What a restore did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RestoreReport {
    /// The database restored into.
    pub target: String,
    /// The manifest of the dump, whose counts were matched.
    pub manifest: BackupManifest,
}

/// Restores `file` (a dump made by [`backup`]) into the EMPTY database at `url`, in one
/// transaction, then checks every table's row count against the manifest.
pub async fn restore(url: &str, tools: &PgTools, file: &Path) -> Result<RestoreReport, BackupError> {
    let path = manifest_path(file);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(BackupError::NoManifest { path }),
        Err(source) => return Err(BackupError::Os(ClusterError::Io { action: "read", path, source })),
    };
    let manifest: BackupManifest =
        serde_json::from_str(&text).map_err(|source| BackupError::BadManifest { path, source })?;
    if !file.is_file() {
        return Err(BackupError::Os(ClusterError::Io {
            action: "read",
            path: file.to_path_buf(),
            source: std::io::Error::from(std::io::ErrorKind::NotFound),
        }));
    }

    let target = Target::parse(url)?;
    let mut conn = target.connect().await?;
    // Extension members (pg_stat_statements' views, created by the private cluster in every
    // database) do not make a database non-empty; anything else of a user schema does.
    // language=PostgreSQL
    let (count, examples): (i64, Option<String>) = sqlx::query_as(
        "SELECT count(*), string_agg(relname, ', ' ORDER BY relname) FILTER (WHERE rn <= 3) FROM ( \
           SELECT c.relname::text AS relname, row_number() OVER (ORDER BY c.relname) AS rn \
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
           WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') \
             AND n.nspname NOT IN ('pg_catalog', 'information_schema') \
             AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%' \
             AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass \
                             AND d.objid = c.oid AND d.deptype = 'e')) r",
    )
    .fetch_one(&mut conn)
    .await
    .map_err(target.db("look for tables"))?;
    if count > 0 {
        return Err(BackupError::NotEmpty {
            target: target.display.clone(),
            count,
            examples: examples.unwrap_or_default(),
        });
    }

    // The dump's table of contents minus pg_stat_statements: a monitoring extension of the
    // source server, not data, and absent on servers that do not ship it.
    let mut list = Command::new(&tools.pg_restore);
    list.arg("--list").arg(file);
    let toc = String::from_utf8_lossy(&run(list, None).await?).into_owned();
    let toc: String =
        toc.lines().filter(|l| !l.contains("pg_stat_statements")).map(|l| format!("{l}\n")).collect();
    // The dump's row-level security policies name the service role, which belongs to the
    // server: made (and granted to us) first, as migration 0015 does.
    sqlx::raw_sql(sqlx::AssertSqlSafe(crate::tenant::ensure_service_role_sql()))
        .execute(&mut conn)
        .await
        .map_err(target.db("make the service role"))?;
    let mut cmd = target.command(&tools.pg_restore);
    // --no-owner/--no-privileges: the restoring role owns everything, whoever made the dump.
    cmd.args([
        "--single-transaction",
        "--exit-on-error",
        "--no-owner",
        "--no-privileges",
        "--use-list=/dev/stdin",
    ])
    .arg(file);
    run(cmd, Some(toc)).await?;
    // --no-privileges left out the service role's grants: given again, as migration 0015 does.
    sqlx::raw_sql(sqlx::AssertSqlSafe(crate::tenant::service_grants_sql()))
        .execute(&mut conn)
        .await
        .map_err(target.db("grant the service role its rows"))?;

    let found = row_counts(&mut conn).await.map_err(target.db("count rows"))?;
    let mut differences = Vec::new();
    for (table, expected) in &manifest.tables {
        let got = found.get(table).copied();
        if got != Some(*expected) {
            differences.push(format!(
                "{table}: expected {expected}, found {}",
                got.map_or_else(|| "no table".to_string(), |n| n.to_string())
            ));
        }
    }
    if !differences.is_empty() {
        return Err(BackupError::CountMismatch {
            target: target.display.clone(),
            differences: differences.join(", "),
        });
    }
    // Fresh planner statistics: a restored database has none.
    // language=PostgreSQL
    sqlx::raw_sql("ANALYZE").execute(&mut conn).await.map_err(target.db("analyze"))?;
    let _ = conn.close().await;
    Ok(RestoreReport { target: target.display.clone(), manifest })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_goes_to_the_child_environment_never_to_its_arguments() {
        let target = Target::parse("postgres://alice:s3cr%40t@db.example:6432/shop?sslmode=require").unwrap();
        assert_eq!(target.display, "postgres://alice@db.example:6432/shop");
        let cmd = target.command(Path::new("/usr/bin/pg_dump"));
        let std = cmd.as_std();
        let args: Vec<String> = std.get_args().map(|a| a.to_string_lossy().into_owned()).collect();
        assert!(args.iter().all(|a| !a.contains("s3cr")), "{args:?}");
        assert_eq!(args, ["--dbname=dbname='shop'", "--no-password"]);
        let env: BTreeMap<String, Option<String>> = std
            .get_envs()
            .map(|(k, v)| (k.to_string_lossy().into_owned(), v.map(|v| v.to_string_lossy().into_owned())))
            .collect();
        assert_eq!(env["PGPASSWORD"].as_deref(), Some("s3cr@t"));
        assert_eq!(env["PGHOST"].as_deref(), Some("db.example"));
        assert_eq!(env["PGPORT"].as_deref(), Some("6432"));
        assert_eq!(env["PGSSLMODE"].as_deref(), Some("require"));
        assert_eq!(env["PGSERVICE"], None, "removed");
    }

    #[test]
    fn a_url_without_password_sets_none() {
        assert_eq!(url_password("postgres://bob@h/db"), None);
        assert_eq!(url_password("postgres://bob:@h/db").as_deref(), Some(""));
        assert_eq!(url_password("postgres://h/db?user=x"), None);
    }
}
