//! Test support (feature `test-support`): a throwaway private cluster in a temporary folder.
//!
//! `#[sqlx::test]` reads `DATABASE_URL` when the test runs, so the usual harness is the
//! script that exports it before `cargo test` (see `amazcope db url`). This type is for tests
//! of the cluster path itself and for callers that want a server of their own.

use crate::cluster::{ClusterError, ClusterSettings, LocalCluster};
use amazcope_core::model::alert::NewAlert;
use amazcope_core::{AlertType, ProductId, Severity, SnapshotId, UserId};
use chrono::{DateTime, Utc};

/// The price alert of `user` on `product`'s snapshot taken at `at` (99.95 to 83.29, -16.66 %,
/// a warning), as the rules raise one: for tests that need an alert (and its notification and
/// delivery rows) stored.
pub fn price_alert(user: UserId, product: ProductId, snapshot: SnapshotId, at: DateTime<Utc>) -> NewAlert {
    NewAlert {
        user_id: user,
        product_id: product,
        snapshot_id: Some(snapshot),
        snapshot_scraped_at: Some(at),
        alert_type: AlertType::PriceChange,
        severity: Severity::Warning,
        title: "Price decreased by 16.7%".into(),
        message: "Price went from 99.95 to 83.29".into(),
        old_value: Some("99.95".into()),
        new_value: Some("83.29".into()),
        change_percentage: Some(-16.66),
        created_at: at,
    }
}

/// A private cluster in a temporary folder; stopped and deleted on drop.
#[derive(Debug)]
pub struct TempCluster {
    cluster: LocalCluster,
    // Dropped after the server is stopped (field order), removing the folder.
    _dir: tempfile::TempDir,
}

impl TempCluster {
    /// Creates and starts a cluster under a fresh temporary folder, found and run as
    /// `settings` say (their home is replaced).
    pub fn start(settings: &ClusterSettings) -> Result<TempCluster, ClusterError> {
        // Short prefix: the socket path must stay under the unix socket limit.
        let dir = tempfile::Builder::new().prefix("amzpg").tempdir().map_err(|source| ClusterError::Io {
            action: "create",
            path: std::env::temp_dir(),
            source,
        })?;
        let cluster = LocalCluster::new(&settings.with_home(dir.path()))?;
        cluster.start()?;
        Ok(TempCluster { cluster, _dir: dir })
    }

    /// The cluster.
    pub fn cluster(&self) -> &LocalCluster {
        &self.cluster
    }
}

impl Drop for TempCluster {
    fn drop(&mut self) {
        // Errors cannot be returned from drop; a server left running would keep the folder's
        // socket busy, so try, and report on stderr.
        if let Err(e) = self.cluster.stop() {
            eprintln!("warning: could not stop the temporary cluster: {e}");
        }
    }
}

/// A streaming standby of a private cluster in a temporary folder: a base backup taken with
/// `pg_basebackup -R` (which writes `primary_conninfo` and `standby.signal`), started on
/// its own port and socket folder. Stopped and deleted on drop.
#[derive(Debug)]
pub struct TempStandby {
    bindir: std::path::PathBuf,
    run_as: Option<crate::cluster::ServerUser>,
    port: u16,
    dir: tempfile::TempDir,
}

impl TempStandby {
    /// Takes a base backup of `primary` (running) and starts it as a standby on `port`.
    pub fn start(primary: &LocalCluster, port: u16) -> Result<TempStandby, ClusterError> {
        let dir = tempfile::Builder::new().prefix("amzsb").tempdir().map_err(|source| ClusterError::Io {
            action: "create",
            path: std::env::temp_dir(),
            source,
        })?;
        if let Some(user) = primary.server_user() {
            std::os::unix::fs::chown(dir.path(), Some(user.uid), Some(user.gid)).map_err(|source| {
                ClusterError::Io { action: "chown", path: dir.path().to_path_buf(), source }
            })?;
        }
        let standby = TempStandby {
            bindir: primary.bindir().to_path_buf(),
            run_as: primary.server_user().cloned(),
            port,
            dir,
        };
        // initdb's pg_hba.conf trusts local replication connections.
        let mut backup = standby.tool("pg_basebackup");
        backup
            .arg("-D")
            .arg(standby.data_dir())
            .args([
                "-R",
                "-X",
                "stream",
                "--checkpoint=fast",
                "-U",
                crate::cluster::SUPERUSER,
                "-p",
                "5432",
                "-h",
            ])
            .arg(primary.home());
        standby.run(backup)?;
        // The copied configuration names the primary's socket folder and port.
        let conf = standby.data_dir().join("postgresql.conf");
        let mut text = std::fs::read_to_string(&conf).map_err(|source| ClusterError::Io {
            action: "read",
            path: conf.clone(),
            source,
        })?;
        text.push_str(&format!(
            "\nunix_socket_directories = '{}'\nport = {port}\nhot_standby_feedback = on\n",
            standby.dir.path().display()
        ));
        std::fs::write(&conf, text).map_err(|source| ClusterError::Io {
            action: "write",
            path: conf,
            source,
        })?;
        standby.start_again()?;
        Ok(standby)
    }

    fn data_dir(&self) -> std::path::PathBuf {
        self.dir.path().join("pgdata")
    }

    fn tool(&self, name: &str) -> std::process::Command {
        let program = self.bindir.join(name);
        let mut cmd = match &self.run_as {
            Some(user) => {
                let mut c = std::process::Command::new("runuser");
                c.args(["-u", &user.name, "--"]).arg(program);
                c
            }
            None => std::process::Command::new(program),
        };
        cmd.current_dir(self.dir.path()).env_remove("PGDATA").env("LC_ALL", "C");
        cmd
    }

    fn run(&self, mut cmd: std::process::Command) -> Result<(), ClusterError> {
        let line = format!("{cmd:?}");
        let out = cmd.output().map_err(|e| ClusterError::Command {
            command: line.clone(),
            status: "not started".into(),
            output: e.to_string(),
        })?;
        if out.status.success() {
            return Ok(());
        }
        let log = std::fs::read_to_string(self.dir.path().join("standby.log")).unwrap_or_default();
        Err(ClusterError::Command {
            command: line,
            status: out.status.to_string(),
            output: format!("{}\n{log}", String::from_utf8_lossy(&out.stderr)),
        })
    }

    /// Starts the standby (again, after [`TempStandby::stop`]).
    pub fn start_again(&self) -> Result<(), ClusterError> {
        let mut cmd = self.tool("pg_ctl");
        cmd.arg("start").arg("-D").arg(self.data_dir()).arg("-l").arg(self.dir.path().join("standby.log"));
        cmd.args(["-w", "-t", "60"]);
        self.run(cmd)
    }

    /// Stops the standby (fast shutdown).
    pub fn stop(&self) -> Result<(), ClusterError> {
        let mut cmd = self.tool("pg_ctl");
        cmd.arg("stop").arg("-D").arg(self.data_dir()).args(["-m", "fast", "-w"]);
        self.run(cmd)
    }

    /// A `postgres://` URL for `database` on the standby (over its socket).
    pub fn url(&self, database: &str) -> String {
        format!(
            "postgres://{}@localhost:{}/{database}?host={}",
            crate::cluster::SUPERUSER,
            self.port,
            crate::cluster::encode_query_value(&self.dir.path().to_string_lossy())
        )
    }
}

impl Drop for TempStandby {
    fn drop(&mut self) {
        let pid = self.data_dir().join("postmaster.pid");
        if pid.exists()
            && let Err(e) = self.stop()
        {
            eprintln!("warning: could not stop the temporary standby: {e}");
        }
    }
}
