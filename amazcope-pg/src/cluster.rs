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
use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};
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

/// How to find and run the private cluster: the values the adapters read from their
/// environment (`AMAZCOPE_HOME`, `AMAZCOPE_PG_BINDIR`, `AMAZCOPE_PG_USER`, `PATH`) and hand in;
/// this crate reads no environment variable itself.
#[derive(Debug, Clone, Default)]
pub struct ClusterSettings {
    /// The cluster's folder (`AMAZCOPE_HOME`); `None`: [`default_home`] picks one.
    pub home: Option<PathBuf>,
    /// The PostgreSQL binaries folder (`AMAZCOPE_PG_BINDIR`); `None`: searched for.
    pub bindir: Option<PathBuf>,
    /// The account the server runs as when we are root (`AMAZCOPE_PG_USER`).
    pub server_user: Option<String>,
    /// The program search path (`PATH`), searched for `initdb`.
    pub path: Option<std::ffi::OsString>,
}

impl ClusterSettings {
    /// Settings from a lookup of the variables named above, e.g.
    /// `ClusterSettings::from_lookup(|k| std::env::var_os(k))`: the caller decides where
    /// the values come from; empty values count as unset.
    pub fn from_lookup(get: impl Fn(&str) -> Option<std::ffi::OsString>) -> ClusterSettings {
        let get = |k: &str| get(k).filter(|v| !v.is_empty());
        ClusterSettings {
            home: get("AMAZCOPE_HOME").map(PathBuf::from),
            bindir: get("AMAZCOPE_PG_BINDIR").map(PathBuf::from),
            server_user: get("AMAZCOPE_PG_USER").map(|v| v.to_string_lossy().into_owned()),
            path: get("PATH"),
        }
    }

    /// The same settings with another home.
    pub fn with_home(&self, home: impl Into<PathBuf>) -> ClusterSettings {
        ClusterSettings { home: Some(home.into()), ..self.clone() }
    }
}

/// Why the private cluster could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    /// No `initdb`/`pg_ctl`/`postgres` anywhere we looked.
    #[error(
        "no postgresql server binaries (initdb, pg_ctl, postgres) found; looked in {searched}. \
         install them (debian/ubuntu: `apt-get install postgresql`), put their folder on PATH, \
         set AMAZCOPE_PG_BINDIR, or set DATABASE_URL to use an existing server"
    )]
    BinariesNotFound {
        /// The places searched, comma separated.
        searched: String,
    },
    /// Neither `AMAZCOPE_HOME` nor a data directory for the user is known.
    #[error("cannot choose a folder for the private cluster: set AMAZCOPE_HOME or DATABASE_URL")]
    NoHome,
    /// A file system operation failed.
    #[error("cannot {action} {path}")]
    Io {
        /// What was being done (`create`, `chown`, ...).
        action: &'static str,
        /// On what.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// A PostgreSQL tool (or `runuser`/`useradd`) failed.
    #[error("`{command}` failed ({status}): {output}")]
    Command {
        /// The command line.
        command: String,
        /// Exit status.
        status: String,
        /// Its stderr/stdout, or the tail of the server log.
        output: String,
    },
    /// Running as root and no unprivileged user could be found or made.
    #[error("running as root, and no unprivileged user to run postgresql as: {reason}")]
    NoServerUser {
        /// What was tried.
        reason: String,
    },
    /// The socket path would exceed the Unix socket path limit.
    #[error(
        "the socket path {path} is {len} bytes, over the {MAX_SOCKET_PATH}-byte unix socket limit; set AMAZCOPE_HOME to a shorter folder"
    )]
    SocketPathTooLong {
        /// The socket file path.
        path: PathBuf,
        /// Its length.
        len: usize,
    },
    /// The server user cannot reach the folder (a parent is closed to it).
    #[error(
        "the postgresql user {user} cannot reach {path}; set AMAZCOPE_HOME to a folder it can reach (e.g. /var/lib/amazcope)"
    )]
    NotReachable {
        /// The folder.
        path: PathBuf,
        /// The server user.
        user: String,
    },
    /// A database name we would have to quote.
    #[error("invalid database name {name:?}: use lowercase letters, digits and underscores")]
    InvalidDatabaseName {
        /// The name.
        name: String,
    },
    /// Connecting to the running cluster, or creating the database, failed.
    #[error("cannot {action} on the private cluster at {socket}")]
    Database {
        /// What was being done.
        action: &'static str,
        /// The socket folder.
        socket: PathBuf,
        /// The driver error.
        #[source]
        source: sqlx::Error,
    },
    /// The schema could not be brought up to date on the private cluster.
    #[error("cannot migrate the private cluster's database at {socket}")]
    Migrate {
        /// The socket folder.
        socket: PathBuf,
        /// The migration error.
        #[source]
        source: sqlx::migrate::MigrateError,
    },
    /// A blocking task panicked or was cancelled.
    #[error("the cluster start task did not finish: {reason}")]
    Task {
        /// The join error.
        reason: String,
    },
}

fn io(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> ClusterError {
    let path = path.to_path_buf();
    move |source| ClusterError::Io { action, path, source }
}

/// The unprivileged account the server runs as when we are root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerUser {
    /// Login name.
    pub name: String,
    /// Numeric user id.
    pub uid: u32,
    /// Numeric primary group id.
    pub gid: u32,
}

/// Whether this process runs as root (effective uid 0).
pub fn running_as_root() -> bool {
    // /proc/self is owned by the process's effective uid; `id -u` covers systems without /proc.
    match fs::metadata("/proc/self") {
        Ok(m) => m.uid() == 0,
        Err(_) => Command::new("id")
            .arg("-u")
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
            .unwrap_or(false),
    }
}

fn id_of(user: &str) -> Option<(u32, u32)> {
    let get = |flag: &str| -> Option<u32> {
        let out = Command::new("id").args([flag, user]).output().ok()?;
        if !out.status.success() {
            return None;
        }
        String::from_utf8_lossy(&out.stdout).trim().parse().ok()
    };
    Some((get("-u")?, get("-g")?))
}

impl ServerUser {
    /// Picks the account: `AMAZCOPE_PG_USER`, else `postgres`, else `amazcope` (made with
    /// `useradd --system` if missing), else `nobody`.
    pub fn pick(settings: &ClusterSettings) -> Result<ServerUser, ClusterError> {
        let make = |name: &str| id_of(name).map(|(uid, gid)| ServerUser { name: name.to_string(), uid, gid });
        if let Some(name) = settings.server_user.as_deref() {
            return make(name).filter(|u| u.uid != 0).ok_or_else(|| ClusterError::NoServerUser {
                reason: format!("AMAZCOPE_PG_USER={name} is not an existing non-root user"),
            });
        }
        if let Some(u) = make("postgres").or_else(|| make("amazcope")) {
            return Ok(u);
        }
        let created = Command::new("useradd")
            .args(["--system", "--no-create-home", "--shell", "/usr/sbin/nologin", "amazcope"])
            .output();
        if let Some(u) = make("amazcope") {
            return Ok(u);
        }
        make("nobody").ok_or_else(|| ClusterError::NoServerUser {
            reason: format!(
                "no user postgres, amazcope or nobody, and `useradd amazcope` failed ({})",
                match created {
                    Ok(o) => String::from_utf8_lossy(&o.stderr).trim().to_string(),
                    Err(e) => e.to_string(),
                }
            ),
        })
    }
}

/// The PostgreSQL binaries folder: `AMAZCOPE_PG_BINDIR`, `initdb` on PATH, `pg_config
/// --bindir`, then the newest Debian `/usr/lib/postgresql/<ver>/bin`.
pub fn find_bindir(settings: &ClusterSettings) -> Result<PathBuf, ClusterError> {
    let complete = |dir: &Path| ["initdb", "pg_ctl", "postgres"].iter().all(|b| dir.join(b).is_file());
    let mut searched = Vec::new();

    if let Some(dir) = settings.bindir.clone() {
        if complete(&dir) {
            return Ok(dir);
        }
        searched.push(format!("AMAZCOPE_PG_BINDIR={}", dir.display()));
    }
    // On PATH, initdb is often a symlink (/usr/local/bin/initdb -> /usr/lib/postgresql/15/bin);
    // pg_ctl looks for `postgres` beside its real location, so resolve it.
    if let Some(path) = settings.path.as_ref() {
        for dir in std::env::split_paths(&path) {
            let candidate = dir.join("initdb");
            if candidate.is_file()
                && let Some(real) =
                    fs::canonicalize(&candidate).ok().and_then(|p| p.parent().map(Path::to_path_buf))
                && complete(&real)
            {
                return Ok(real);
            }
        }
        searched.push("PATH".to_string());
    }
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output()
        && out.status.success()
    {
        let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if complete(&dir) {
            return Ok(dir);
        }
        searched.push(format!("pg_config --bindir ({})", dir.display()));
    } else {
        searched.push("pg_config (not found)".to_string());
    }
    let debian = Path::new("/usr/lib/postgresql");
    let mut versions: Vec<(u32, PathBuf)> = fs::read_dir(debian)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .filter_map(|e| {
                    let v: u32 = e.file_name().to_str()?.parse().ok()?;
                    Some((v, e.path().join("bin")))
                })
                .collect()
        })
        .unwrap_or_default();
    versions.sort_by_key(|v| std::cmp::Reverse(v.0));
    if let Some((_, dir)) = versions.into_iter().find(|(_, d)| complete(d)) {
        return Ok(dir);
    }
    searched.push("/usr/lib/postgresql/*/bin".to_string());
    Err(ClusterError::BinariesNotFound { searched: searched.join(", ") })
}

/// Whether every existing ancestor of `path` lets "others" traverse it (mode o+x).
fn traversable_by_others(path: &Path) -> bool {
    path.ancestors().skip(1).filter_map(|p| fs::metadata(p).ok()).all(|m| m.permissions().mode() & 0o001 != 0)
}

/// The folder for the private cluster: `AMAZCOPE_HOME`, else `<data dir>/amazcope`
/// (`~/.local/share/amazcope`). As root, when that folder sits under a directory other users
/// cannot enter (`/root` is 0700), the server user could not reach it, so
/// `/var/lib/amazcope` (the usual place for a system service's state) is used instead.
pub fn default_home(settings: &ClusterSettings) -> Result<PathBuf, ClusterError> {
    if let Some(home) = settings.home.clone() {
        return Ok(home);
    }
    let home = dirs::data_dir().ok_or(ClusterError::NoHome)?.join("amazcope");
    if running_as_root() && !traversable_by_others(&home) {
        return Ok(PathBuf::from("/var/lib/amazcope"));
    }
    Ok(home)
}

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
fn encode_query_value(s: &str) -> String {
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
        Ok(())
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
    /// Applies the pending migrations to the database at `url` on this cluster.
    pub async fn migrate(&self, url: &str) -> Result<(), ClusterError> {
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
