//! Test support (feature `test-support`): a throwaway private cluster in a temporary folder.
//!
//! `#[sqlx::test]` reads `DATABASE_URL` when the test runs, so the usual harness is the
//! script that exports it before `cargo test` (see `amazcope db url`). This type is for tests
//! of the cluster path itself and for callers that want a server of their own.

use crate::cluster::{ClusterError, ClusterSettings, LocalCluster};

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
