//! Where the private cluster lives and who runs it: the settings handed in by the adapters,
//! the errors of the cluster, the server account when we are root, the PostgreSQL binaries.

use super::MAX_SOCKET_PATH;
use std::fs;
use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};
use std::process::Command;

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
    /// The backup taken before migrating a database that holds data failed (nothing was
    /// migrated).
    #[error("cannot back up the private cluster's database into {dir} before migrating it")]
    Backup {
        /// The backup folder.
        dir: PathBuf,
        /// What failed.
        #[source]
        source: Box<crate::backup::BackupError>,
    },
    /// A blocking task panicked or was cancelled.
    #[error("the cluster start task did not finish: {reason}")]
    Task {
        /// The join error.
        reason: String,
    },
}

pub(super) fn io(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> ClusterError {
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
pub(super) fn traversable_by_others(path: &Path) -> bool {
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
