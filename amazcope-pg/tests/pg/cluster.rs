//! The private cluster path: create in a temporary folder, start, connect, migrate, stop.
//! The test machine runs as root, so this goes through the unprivileged-user branch.

use amazcope_pg::PgStore;
use amazcope_pg::cluster::{self, ClusterSettings, LocalCluster};
use amazcope_pg::testing::TempCluster;

/// What the adapters read from their environment (the test process's, here).
fn settings() -> ClusterSettings {
    ClusterSettings::from_lookup(|k| std::env::var_os(k))
}

#[tokio::test]
async fn private_cluster_starts_connects_migrates_and_stops() {
    let temp = TempCluster::start(&settings())
        .expect("private cluster starts (are the postgresql binaries installed?)");
    let c: &LocalCluster = temp.cluster();
    assert!(c.is_initialized());
    assert!(c.is_running().unwrap());
    if cluster::running_as_root() {
        let user = c.server_user().expect("as root the server runs as another user");
        assert_ne!(user.uid, 0);
        use std::os::unix::fs::MetadataExt as _;
        assert_eq!(
            std::fs::metadata(c.home()).unwrap().uid(),
            user.uid,
            "the folder belongs to the server user"
        );
    }

    let url = c.ensure_database("amazcope_test").await.unwrap();
    assert!(url.contains("host=/"), "socket URL: {url}");
    let store = PgStore::connect_url(&url).await.unwrap();
    store.migrate().await.unwrap();
    assert_eq!(store.current_version().await.unwrap(), amazcope_pg::MIGRATOR.iter().map(|m| m.version).max());

    // Only the socket: no TCP listener, and the session runs in UTC as "amazcope".
    let (listen, tz, app): (String, String, String) = sqlx::query_as(
        "SELECT current_setting('listen_addresses'), current_setting('TimeZone'), current_setting('application_name')",
    )
    .fetch_one(store.pool())
    .await
    .unwrap();
    assert_eq!((listen.as_str(), tz.as_str(), app.as_str()), ("", "UTC", "amazcope"));
    // ensure_database is idempotent.
    assert_eq!(c.ensure_database("amazcope_test").await.unwrap(), url);
    store.pool().close().await;

    assert!(c.stop().unwrap(), "it was running");
    assert!(!c.is_running().unwrap());
    assert!(!c.stop().unwrap(), "stopping twice is fine");
    // Started again on demand.
    c.start().unwrap();
    assert!(c.is_running().unwrap());
}

#[test]
fn bad_database_names_are_refused_before_anything_runs() {
    let c = LocalCluster::new(&settings().with_home(std::env::temp_dir().join("amazcope-never-started")))
        .unwrap();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let err = rt.block_on(c.ensure_database("Robert'); DROP")).unwrap_err();
    assert!(matches!(err, cluster::ClusterError::InvalidDatabaseName { .. }), "{err}");
}

#[tokio::test]
async fn the_private_cluster_is_created_and_migrated_on_first_use() {
    let dir = tempfile::Builder::new().prefix("amzfu").tempdir().unwrap();
    let settings = settings().with_home(dir.path());
    // A URL given wins, untouched.
    assert_eq!(
        cluster::database_url_or_local(Some("postgres://x@h/db"), &settings).await.unwrap(),
        "postgres://x@h/db"
    );
    let url = cluster::database_url_or_local(None, &settings).await.expect("created, started, migrated");
    let store = PgStore::connect_url(&url).await.unwrap();
    store.check_schema().await.expect("every migration applied on first use");
    // Again: nothing to do, the same URL.
    assert_eq!(cluster::database_url_or_local(None, &settings).await.unwrap(), url);
    store.pool().close().await;
    LocalCluster::new(&settings).unwrap().stop().unwrap();
}
