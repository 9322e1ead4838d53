//! A private PostgreSQL cluster for when no `DATABASE_URL` is given: created with `initdb`
//! and started with `pg_ctl` on demand under `AMAZCOPE_HOME`, reachable only through a Unix
//! socket in that folder (`listen_addresses = ''`, socket mode 0700, trust auth). Used by the
//! `amazcope` CLI, the Python bindings and the test scripts.
//!
//! `initdb` and `postgres` refuse to run as root. When we are root, the server runs as an
//! unprivileged user instead (`AMAZCOPE_PG_USER`, else `postgres`, else a system user
//! `amazcope` made with `useradd`, else `nobody`) through `runuser`, and the folder is handed
//! to that user. Root can still connect: it bypasses the socket's file mode.

use std::ffi::OsStr;
use std::fs::{self, File, OpenOptions};
use std::io::{Read as _, Seek as _, SeekFrom, Write as _};
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The superuser `initdb` creates; the URL connects as it.
pub const SUPERUSER: &str = "amazcope";
/// The database [`database_url_or_local`] creates and returns.
pub const DEFAULT_DATABASE: &str = "amazcope";
/// The port only names the socket file (`.s.PGSQL.5432`); nothing listens on TCP.
const PORT: u16 = 5432;
/// `sun_path` is 108 bytes on Linux, including the NUL.
const MAX_SOCKET_PATH: usize = 107;

mod locate;
use locate::io;
pub use locate::{ClusterError, ClusterSettings, ServerUser, default_home, find_bindir, running_as_root};

/// A private cluster rooted at one folder: `<home>/pgdata` holds the data, `<home>` the
/// socket and `postgresql.log`.
#[derive(Debug, Clone)]
pub struct LocalCluster {
    home: PathBuf,
    bindir: PathBuf,
    run_as: Option<ServerUser>,
}

fn shell_words(cmd: &Command) -> String {
    std::iter::once(cmd.get_program())
        .chain(cmd.get_args())
        .map(OsStr::to_string_lossy)
        .collect::<Vec<_>>()
        .join(" ")
}

fn run(mut cmd: Command) -> Result<Output, ClusterError> {
    let line = shell_words(&cmd);
    cmd.output().map_err(|e| ClusterError::Command {
        command: line,
        status: "not started".to_string(),
        output: e.to_string(),
    })
}

fn failed(cmd_line: String, out: &Output, extra: String) -> ClusterError {
    let mut text = String::from_utf8_lossy(&out.stderr).trim().to_string();
    let stdout = String::from_utf8_lossy(&out.stdout);
    if text.is_empty() {
        text = stdout.trim().to_string();
    }
    if !extra.is_empty() {
        text = format!("{text}\n{extra}");
    }
    ClusterError::Command { command: cmd_line, status: out.status.to_string(), output: text }
}

/// Percent-encodes a path for a URL query value (libpq and sqlx both decode it).
pub(crate) fn encode_query_value(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'/' | b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

impl LocalCluster {
    /// A cluster under `home` (nothing is created or started yet). Finds the binaries and,
    /// when running as root, the server user.
    pub fn new(settings: &ClusterSettings) -> Result<LocalCluster, ClusterError> {
        let home = default_home(settings)?;
        let home = if home.is_absolute() {
            home
        } else {
            std::env::current_dir().map_err(io("read the current folder for", &home))?.join(home)
        };
        let bindir = find_bindir(settings)?;
        let run_as = if running_as_root() { Some(ServerUser::pick(settings)?) } else { None };
        let socket = home.join(format!(".s.PGSQL.{PORT}"));
        let len = socket.as_os_str().len();
        if len > MAX_SOCKET_PATH {
            return Err(ClusterError::SocketPathTooLong { path: socket, len });
        }
        Ok(LocalCluster { home, bindir, run_as })
    }

    /// The folder everything lives in (also the socket folder).
    pub fn home(&self) -> &Path {
        &self.home
    }

    /// The data directory (`<home>/pgdata`).
    pub fn data_dir(&self) -> PathBuf {
        self.home.join("pgdata")
    }

    /// The server log.
    pub fn log_file(&self) -> PathBuf {
        self.home.join("postgresql.log")
    }

    /// The binaries folder in use.
    pub fn bindir(&self) -> &Path {
        &self.bindir
    }

    /// The account the server runs as when we are root (`None`: as ourselves).
    pub fn server_user(&self) -> Option<&ServerUser> {
        self.run_as.as_ref()
    }

    /// A `postgres://` URL for `database` over the socket (libpq and sqlx both read `host=`
    /// as the socket folder).
    pub fn url(&self, database: &str) -> String {
        format!(
            "postgres://{SUPERUSER}@localhost:{PORT}/{database}?host={}",
            encode_query_value(&self.home.to_string_lossy())
        )
    }

    fn tool(&self, name: &str) -> Command {
        let program = self.bindir.join(name);
        let mut cmd = match &self.run_as {
            Some(user) => {
                let mut c = Command::new("runuser");
                c.args(["-u", &user.name, "--"]).arg(program);
                c
            }
            None => Command::new(program),
        };
        // The server user may not be allowed into our working directory (/root).
        cmd.current_dir(&self.home);
        cmd.env_remove("PGDATA").env("LC_ALL", "C");
        cmd
    }

    /// Whether `initdb` has run here.
    pub fn is_initialized(&self) -> bool {
        self.data_dir().join("PG_VERSION").is_file()
    }

    fn prepare_home(&self) -> Result<(), ClusterError> {
        fs::create_dir_all(&self.home).map_err(io("create", &self.home))?;
        if let Some(user) = &self.run_as {
            std::os::unix::fs::chown(&self.home, Some(user.uid), Some(user.gid))
                .map_err(io("chown", &self.home))?;
            fs::set_permissions(&self.home, fs::Permissions::from_mode(0o700))
                .map_err(io("chmod", &self.home))?;
            let probe = {
                let mut c = Command::new("runuser");
                c.args(["-u", &user.name, "--", "test", "-w"]).arg(&self.home).current_dir("/");
                c
            };
            if !run(probe)?.status.success() {
                return Err(ClusterError::NotReachable { path: self.home.clone(), user: user.name.clone() });
            }
        }
        Ok(())
    }

    /// Creates the cluster if it does not exist (`initdb`, then our settings).
    pub fn init(&self) -> Result<(), ClusterError> {
        self.prepare_home()?;
        if self.is_initialized() {
            return Ok(());
        }
        let mut cmd = self.tool("initdb");
        // --no-locale keeps sorting byte-wise and independent of the host's locales;
        // trust is safe because the socket is the only way in and it is mode 0700.
        cmd.arg("-D").arg(self.data_dir()).args([
            "--username",
            SUPERUSER,
            "--auth=trust",
            "--encoding=UTF8",
            "--no-locale",
        ]);
        let line = shell_words(&cmd);
        let out = run(cmd)?;
        if !out.status.success() {
            return Err(failed(line, &out, String::new()));
        }
        let conf = self.data_dir().join("postgresql.conf");
        let socket_dir = self.home.to_string_lossy().replace('\'', "''");
        let mut f = OpenOptions::new().append(true).open(&conf).map_err(io("open", &conf))?;
        writeln!(
            f,
            "\n# amazcope private cluster: no TCP, one socket only the owner (and root) can open.\n\
             listen_addresses = ''\n\
             unix_socket_directories = '{socket_dir}'\n\
             unix_socket_permissions = 0700\n\
             port = {PORT}\n"
        )
        .map_err(io("write", &conf))?;
        // The design's slow-query log (DATABASE_DESIGN.md "Monitoring") reads
        // pg_stat_statements, which only works when preloaded. Only when the module is
        // installed: the server would refuse to start with a missing preload library.
        if self.has_pg_stat_statements() {
            writeln!(
                f,
                "# amazcope db stats: slow queries (pg_stat_statements).\n\
                 shared_preload_libraries = 'pg_stat_statements'\n"
            )
            .map_err(io("write", &conf))?;
        }
        Ok(())
    }

    /// Whether the server's library folder holds `pg_stat_statements` (`pg_config
    /// --pkglibdir` beside the binaries, else Debian's `<bindir>/../lib`).
    fn has_pg_stat_statements(&self) -> bool {
        let pkglibdir = Command::new(self.bindir.join("pg_config"))
            .arg("--pkglibdir")
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()))
            .or_else(|| self.bindir.parent().map(|p| p.join("lib")));
        pkglibdir.is_some_and(|dir| dir.join("pg_stat_statements.so").is_file())
    }

    /// Whether the server is running (`pg_ctl status`).
    pub fn is_running(&self) -> Result<bool, ClusterError> {
        if !self.is_initialized() {
            return Ok(false);
        }
        let mut cmd = self.tool("pg_ctl");
        cmd.arg("status").arg("-D").arg(self.data_dir());
        // Exit 0: running; 3: not running; 4: no accessible data directory.
        Ok(run(cmd)?.status.success())
    }

    fn log_tail(&self) -> String {
        let path = self.log_file();
        let Ok(mut f) = File::open(&path) else { return String::new() };
        let len = f.metadata().map(|m| m.len()).unwrap_or(0);
        let _ = f.seek(SeekFrom::Start(len.saturating_sub(2000)));
        let mut s = String::new();
        let _ = f.read_to_string(&mut s);
        format!("last lines of {}:\n{}", path.display(), s.trim())
    }

    /// Creates the cluster if needed and starts it if it is not running.
    pub fn start(&self) -> Result<(), ClusterError> {
        fs::create_dir_all(&self.home).map_err(io("create", &self.home))?;
        // Two processes starting the same cluster at once would race in initdb; the lock
        // (released when `lock_file` drops) makes the second wait and then find it running.
        let lock_path = self.home.join(".amazcope.lock");
        let lock_file = File::create(&lock_path).map_err(io("create", &lock_path))?;
        lock_file.lock().map_err(io("lock", &lock_path))?;
        self.init()?;
        if self.is_running()? {
            return Ok(());
        }
        let mut cmd = self.tool("pg_ctl");
        cmd.arg("start")
            .arg("-D")
            .arg(self.data_dir())
            .arg("-l")
            .arg(self.log_file())
            .args(["-w", "-t", "60"]);
        let line = shell_words(&cmd);
        let out = run(cmd)?;
        if !out.status.success() {
            return Err(failed(line, &out, self.log_tail()));
        }
        Ok(())
    }

    /// Restarts the server as after a crash: `pg_ctl stop -m immediate` ends every server
    /// process at once without a checkpoint, the server stays down for `down`, then starts
    /// again (replaying the WAL) and is waited for. For tests of clients riding out an
    /// outage: a client that touches the database only now and then (a worker fetching a
    /// batch of pages) may sleep through a restart that takes a fraction of a second and
    /// only meet new connections; `down` longer than its gaps makes it meet the outage.
    /// `Duration::ZERO`: `pg_ctl restart -m immediate`.
    pub fn restart_immediate(&self, down: std::time::Duration) -> Result<(), ClusterError> {
        let pg_ctl = |action: &str| {
            let mut cmd = self.tool("pg_ctl");
            cmd.arg(action).arg("-D").arg(self.data_dir());
            if action != "stop" {
                cmd.arg("-l").arg(self.log_file());
            }
            if action != "start" {
                cmd.args(["-m", "immediate"]);
            }
            cmd.args(["-w", "-t", "60"]);
            let line = shell_words(&cmd);
            let out = run(cmd)?;
            if !out.status.success() {
                return Err(failed(line, &out, self.log_tail()));
            }
            Ok(())
        };
        if down.is_zero() {
            return pg_ctl("restart");
        }
        pg_ctl("stop")?;
        std::thread::sleep(down);
        pg_ctl("start")
    }

    /// Stops the server (fast shutdown: open sessions are ended). Returns whether it was
    /// running.
    pub fn stop(&self) -> Result<bool, ClusterError> {
        if !self.is_running()? {
            return Ok(false);
        }
        let mut cmd = self.tool("pg_ctl");
        cmd.arg("stop").arg("-D").arg(self.data_dir()).args(["-m", "fast", "-w", "-t", "60"]);
        let line = shell_words(&cmd);
        let out = run(cmd)?;
        if !out.status.success() {
            return Err(failed(line, &out, self.log_tail()));
        }
        Ok(true)
    }

    /// Starts the cluster if needed (on a blocking thread), creates `database` if missing, and
    /// returns its URL.
    pub async fn ensure_database(&self, database: &str) -> Result<String, ClusterError> {
        if database.is_empty()
            || database.len() > 63
            || !database.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            return Err(ClusterError::InvalidDatabaseName { name: database.to_string() });
        }
        let me = self.clone();
        tokio::task::spawn_blocking(move || me.start())
            .await
            .map_err(|e| ClusterError::Task { reason: e.to_string() })??;

        use sqlx::Connection as _;
        let socket = self.home.clone();
        let dberr = |action| {
            let socket = socket.clone();
            move |source| ClusterError::Database { action, socket, source }
        };
        let options = sqlx::postgres::PgConnectOptions::new()
            .socket(&self.home)
            .port(PORT)
            .username(SUPERUSER)
            .database("postgres");
        let mut conn = sqlx::PgConnection::connect_with(&options).await.map_err(dberr("connect"))?;
        // language=PostgreSQL
        let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(database)
            .fetch_one(&mut conn)
            .await
            .map_err(dberr("look up the database"))?;
        if !exists {
            // The name is checked above (lowercase, digits, underscore), so quoting is plain.
            let created = sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{database}\"")))
                .execute(&mut conn)
                .await;
            match created {
                Ok(_) => {}
                // 42P04 duplicate_database: another process created it meanwhile.
                Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("42P04") => {}
                Err(e) => return Err(dberr("create the database")(e)),
            }
        }
        let mut db = sqlx::PgConnection::connect_with(&options.clone().database(database))
            .await
            .map_err(dberr("connect"))?;
        // Slow queries for `amazcope db stats`; harmless when the cluster was made before it
        // was preloaded (stats then says how to enable it), skipped when not installed.
        // language=PostgreSQL
        let _ = sqlx::raw_sql("CREATE EXTENSION IF NOT EXISTS pg_stat_statements").execute(&mut db).await;
        let _ = db.close().await;
        let _ = conn.close().await;
        Ok(self.url(database))
    }
}

/// `database_url` when given (the caller's `DATABASE_URL`); else the private cluster's
/// `amazcope` database, started, created and migrated on first use. The private cluster is
/// ours: bringing its schema up to date needs no separate step, so commands work in any
/// order there. A server named by URL is never migrated implicitly (`amazcope db upgrade`).
pub async fn database_url_or_local(
    database_url: Option<&str>,
    settings: &ClusterSettings,
) -> Result<String, ClusterError> {
    if let Some(url) = database_url.map(str::trim).filter(|u| !u.is_empty()) {
        return Ok(url.to_owned());
    }
    let cluster = LocalCluster::new(settings)?;
    let url = cluster.ensure_database(DEFAULT_DATABASE).await?;
    cluster.migrate(&url).await?;
    Ok(url)
}

impl LocalCluster {
    /// Where [`LocalCluster::migrate`] puts the backup of a database holding data:
    /// `<home>/backups`.
    pub fn backup_dir(&self) -> PathBuf {
        self.home.join("backups")
    }

    /// Applies the pending migrations to the database at `url` on this cluster. A database
    /// holding data is first dumped into [`LocalCluster::backup_dir`] (the design's first
    /// migration rule: the migration on first use after an update is implicit, its backup too).
    pub async fn migrate(&self, url: &str) -> Result<(), ClusterError> {
        let dir = self.backup_dir();
        let backup_err = |e| ClusterError::Backup { dir: dir.clone(), source: Box::new(e) };
        if crate::backup::pending_with_data(url).await.map_err(backup_err)? {
            let tools = crate::backup::PgTools::in_dir(&self.bindir);
            crate::backup::backup_into(url, &tools, &dir).await.map_err(backup_err)?;
        }
        let socket = self.home.clone();
        // A one-connection pool: the migrator's future over a pool is Send, so callers may
        // run this on any runtime (the Python bindings block on one).
        let pool =
            sqlx::postgres::PgPoolOptions::new().max_connections(1).connect(url).await.map_err(|source| {
                ClusterError::Database { action: "connect", socket: socket.clone(), source }
            })?;
        let done = crate::MIGRATOR.run(&pool).await;
        pool.close().await;
        done.map_err(|source| ClusterError::Migrate { socket, source })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn socket_folder_is_percent_encoded_in_the_url() {
        assert_eq!(encode_query_value("/tmp/a b&c"), "/tmp/a%20b%26c");
    }
}
