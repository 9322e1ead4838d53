//! Operations (issue 18): `db stats` figures on tables with known content, slow queries with
//! and without `pg_stat_statements`, and backups through the real `pg_dump`/`pg_restore`.

use amazcope_pg::backup::{self, BackupError, PgTools};
use amazcope_pg::cluster::ClusterSettings;
use amazcope_pg::inspect;
use amazcope_pg::testing::TempCluster;
use amazcope_pg::{PgStore, PoolConfig};
use sqlx::{PgConnection, PgPool};
use std::time::Duration;

fn settings() -> ClusterSettings {
    ClusterSettings::from_lookup(|k| std::env::var_os(k))
}

/// Inserts `n` users on one connection and has the server publish that session's counters
/// now: `n_live_tup` is otherwise flushed to the statistics asynchronously.
async fn add_users(conn: &mut PgConnection, prefix: &str, n: i32) {
    sqlx::query(
        "INSERT INTO users (email, username, hashed_password) \
         SELECT $1 || i || '@example.com', $1 || i, 'x' FROM generate_series(1, $2) i",
    )
    .bind(prefix)
    .bind(n)
    .execute(&mut *conn)
    .await
    .unwrap();
    flush_stats(conn).await;
}

async fn flush_stats(conn: &mut PgConnection) {
    // Flushed when the session next goes idle, before the server answers: by the time this
    // returns, other sessions see the counts.
    sqlx::query("SELECT pg_stat_force_next_flush()").execute(&mut *conn).await.unwrap();
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn table_sizes_count_rows_and_bytes_of_plain_tables(pool: PgPool) {
    let mut conn = pool.acquire().await.unwrap();
    add_users(&mut conn, "u", 3).await;
    drop(conn);
    let sizes = inspect::table_sizes(&pool).await.unwrap();
    let users = sizes.iter().find(|t| t.table == "users").expect("users listed");
    assert_eq!(users.live_rows, 3, "{users:?}");
    assert_eq!(users.partitions, 0);
    let bytes: i64 =
        sqlx::query_scalar("SELECT pg_total_relation_size('users')").fetch_one(&pool).await.unwrap();
    assert_eq!(users.total_bytes, bytes, "heap, indexes and TOAST of the plain table");
    assert!(users.total_bytes >= 8192, "a page of rows at least: {users:?}");
    assert_eq!(users.row_estimate, None, "never analyzed: no estimate, not 0");

    let categories = sizes.iter().find(|t| t.table == "categories").unwrap();
    assert_eq!(categories.live_rows, 0);
    assert!(categories.total_bytes > 0, "its empty indexes still take a page each");

    sqlx::query("ANALYZE users").execute(&pool).await.unwrap();
    let sizes = inspect::table_sizes(&pool).await.unwrap();
    let users = sizes.iter().find(|t| t.table == "users").unwrap();
    assert_eq!(users.row_estimate, Some(3), "{users:?}");
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn bloat_counts_dead_rows_and_estimates_their_bytes(pool: PgPool) {
    let mut conn = pool.acquire().await.unwrap();
    add_users(&mut conn, "b", 4).await;
    sqlx::query("DELETE FROM users WHERE username = 'b1'").execute(&mut *conn).await.unwrap();
    flush_stats(&mut conn).await;
    drop(conn);
    let bloat = inspect::bloat(&pool).await.unwrap();
    let users = bloat.iter().find(|b| b.table == "users").expect("users listed");
    assert_eq!((users.live_rows, users.dead_rows), (3, 1), "{users:?}");
    let heap: i64 = sqlx::query_scalar("SELECT pg_relation_size('users')").fetch_one(&pool).await.unwrap();
    assert_eq!(users.wasted_bytes_estimate, heap / 4, "a quarter of the rows are dead");
    assert_eq!(users.last_vacuum, None);
    assert!(
        !bloat.iter().any(|b| b.table.starts_with("product_snapshots_2")),
        "partitions fold into their parent"
    );

    sqlx::query("VACUUM users").execute(&pool).await.unwrap();
    let bloat = inspect::bloat(&pool).await.unwrap();
    let users = bloat.iter().find(|b| b.table == "users").unwrap();
    assert_eq!(users.dead_rows, 0, "{users:?}");
    assert!(users.last_vacuum.is_some());
    let ratio = inspect::cache_hit_ratio(&pool).await.unwrap().expect("blocks were read");
    assert!((0.0..=1.0).contains(&ratio), "{ratio}");
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn connections_count_our_pool_and_its_sessions(pool: PgPool) {
    // A store of our own: its sessions carry application_name = 'amazcope'.
    let store = PgStore::connect(
        (*pool.connect_options()).clone(),
        PoolConfig { max_connections: 4, ..PoolConfig::default() },
    )
    .await
    .unwrap();
    let held = store.pool().acquire().await.unwrap();
    // sqlx hands a connection back to the pool asynchronously after its query (here the
    // version check of connect): wait, bounded, until only the held one is out.
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while store.pool().size() - store.pool().num_idle() as u32 > 1 && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let c = inspect::connections(store.pool()).await.unwrap();
    assert_eq!(c.pool.max, 4);
    assert!(c.pool.size >= 1, "{c:?}");
    assert_eq!(c.pool.in_use, 1, "only the held one is checked out now: {c:?}");
    assert_eq!(c.pool.idle + c.pool.in_use, c.pool.size);
    let state = |s: &str| c.sessions.iter().find(|x| x.state == s).map_or(0, |x| x.sessions);
    assert_eq!(state("active"), 1, "the query reading pg_stat_activity: {c:?}");
    assert!(state("idle") >= 1, "the held connection is idle on the server: {c:?}");
    drop(held);
    store.pool().close().await;
    assert!(inspect::replication(&pool).await.unwrap().is_empty(), "no standby streams from this server");
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn without_pg_stat_statements_slow_queries_say_how_to_enable_it(pool: PgPool) {
    // The server the suite runs on decides which branch is checked: the test script's
    // private cluster preloads the extension, the machine's server on 5432 does not; each
    // branch asserts its own outcome (the private-cluster test below covers the other).
    let preloaded: String = sqlx::query_scalar("SELECT current_setting('shared_preload_libraries')")
        .fetch_one(&pool)
        .await
        .unwrap();
    if preloaded.contains("pg_stat_statements") {
        // Preloaded and created in this database: the statements are read, no note.
        sqlx::query("CREATE EXTENSION IF NOT EXISTS pg_stat_statements").execute(&pool).await.unwrap();
        let slow = inspect::slow_queries(&pool, inspect::DEFAULT_SLOW_QUERY_THRESHOLD, 20).await.unwrap();
        assert!(slow.note.is_none(), "preloaded and created, yet: {:?}", slow.note);
        return;
    }
    let slow = inspect::slow_queries(&pool, inspect::DEFAULT_SLOW_QUERY_THRESHOLD, 20).await.unwrap();
    assert!(slow.queries.is_empty());
    let note = slow.note.expect("a note");
    assert!(note.contains("shared_preload_libraries = 'pg_stat_statements'"), "{note}");
    assert_eq!(note.lines().count(), 1);
    // Created but not preloaded: still the note, not an error.
    sqlx::query("CREATE EXTENSION pg_stat_statements").execute(&pool).await.unwrap();
    let stats = inspect::db_stats(&pool, Duration::from_secs(1)).await.unwrap();
    assert!(stats.slow_queries.is_empty() && stats.slow_queries_note.is_some(), "{stats:?}");
    assert_eq!(stats.slow_query_threshold_ms, 1000.0);
}

#[tokio::test]
async fn the_private_cluster_records_slow_queries_over_the_threshold_first() {
    let temp = TempCluster::start(&settings()).expect("private cluster starts");
    let url = temp.cluster().ensure_database("amazcope").await.unwrap();
    let store = PgStore::connect_url(&url).await.unwrap();
    sqlx::query("SELECT pg_sleep(0.3)").execute(store.pool()).await.unwrap();
    for _ in 0..3 {
        sqlx::query("SELECT 1").execute(store.pool()).await.unwrap();
    }
    let slow = inspect::slow_queries(store.pool(), Duration::from_millis(200), 20).await.unwrap();
    assert_eq!(slow.note, None, "preloaded and created by the cluster");
    let first = slow.queries.first().expect("statements recorded");
    assert!(first.statement.contains("pg_sleep"), "{slow:?}");
    assert!(first.over_threshold && first.max_ms >= 300.0 && first.calls == 1, "{first:?}");
    assert_eq!(slow.queries.iter().filter(|q| q.over_threshold).count(), 1, "{slow:?}");
    store.pool().close().await;
}

/// `DATABASE_URL` with another database.
fn url_of(database: &str) -> String {
    let base = std::env::var("DATABASE_URL").expect("DATABASE_URL names the test server");
    let (base, query) = base.split_once('?').map_or((base.as_str(), None), |(b, q)| (b, Some(q)));
    let server = base.rsplit_once('/').expect("URL ends with /database").0;
    query.map_or_else(|| format!("{server}/{database}"), |q| format!("{server}/{database}?{q}"))
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn backup_and_restore_bring_back_every_row_into_an_empty_database_only(pool: PgPool) {
    let source: String = sqlx::query_scalar("SELECT current_database()").fetch_one(&pool).await.unwrap();
    let mut conn = pool.acquire().await.unwrap();
    add_users(&mut conn, "r", 5).await;
    drop(conn);
    let tools = PgTools::find(&settings()).expect("pg_dump and pg_restore installed");
    let dir = tempfile::tempdir().unwrap();
    let dump = dir.path().join("source.dump");
    let manifest = backup::backup(&url_of(&source), &tools, &dump).await.unwrap();
    assert_eq!(manifest.tables["users"], 5);
    let applied: i64 =
        sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations").fetch_one(&pool).await.unwrap();
    assert_eq!(manifest.tables["_sqlx_migrations"], applied);
    let bytes = std::fs::read(&dump).unwrap();
    assert_eq!(&bytes[..5], b"PGDMP", "pg_dump custom format");

    // Names of our own: the harness's are 63 bytes already, a suffix would be cut off.
    let target = format!("amz_restored_{}", std::process::id());
    let empty = format!("amz_restore_empty_{}", std::process::id());
    for db in [&target, &empty] {
        sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS \"{db}\" WITH (FORCE)")))
            .execute(&pool)
            .await
            .unwrap();
    }
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{target}\""))).execute(&pool).await.unwrap();
    let report = backup::restore(&url_of(&target), &tools, &dump).await.unwrap();
    assert_eq!(report.manifest, manifest);
    let restored = PgStore::connect_url(&url_of(&target)).await.unwrap();
    restored.check_schema().await.expect("the schema came back, migrations ledger included");
    let names: Vec<String> = sqlx::query_scalar("SELECT username FROM users ORDER BY username")
        .fetch_all(restored.pool())
        .await
        .unwrap();
    assert_eq!(names, ["r1", "r2", "r3", "r4", "r5"]);
    restored.pool().close().await;

    let err = backup::restore(&url_of(&target), &tools, &dump).await.unwrap_err();
    assert!(matches!(err, BackupError::NotEmpty { .. }), "{err}");
    assert!(err.to_string().contains("restore only into an empty database"), "{err}");

    // Counts that do not match what came back fail the restore.
    let mut tampered = manifest.clone();
    tampered.tables.insert("users".into(), 6);
    std::fs::write(backup::manifest_path(&dump), serde_json::to_string(&tampered).unwrap()).unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{empty}\""))).execute(&pool).await.unwrap();
    let err = backup::restore(&url_of(&empty), &tools, &dump).await.unwrap_err();
    assert!(err.to_string().contains("users: expected 6, found 5"), "{err}");

    std::fs::remove_file(backup::manifest_path(&dump)).unwrap();
    let err = backup::restore(&url_of(&empty), &tools, &dump).await.unwrap_err();
    assert!(matches!(err, BackupError::NoManifest { .. }), "{err}");

    for db in [target, empty] {
        sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE \"{db}\" WITH (FORCE)")))
            .execute(&pool)
            .await
            .unwrap();
    }
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn holds_data_ignores_the_migration_ledger(pool: PgPool) {
    let mut conn = pool.acquire().await.unwrap();
    assert!(!backup::holds_data(&mut conn).await.unwrap(), "only _sqlx_migrations has rows");
    add_users(&mut conn, "h", 1).await;
    assert!(backup::holds_data(&mut conn).await.unwrap());
}

#[tokio::test]
async fn the_private_cluster_backs_up_a_database_holding_data_before_migrating_it() {
    let dir = tempfile::Builder::new().prefix("amzbk").tempdir().unwrap();
    let settings = settings().with_home(dir.path());
    let url = amazcope_pg::cluster::database_url_or_local(None, &settings).await.unwrap();
    let backups = amazcope_pg::cluster::LocalCluster::new(&settings).unwrap().backup_dir();
    assert!(!backups.exists(), "an empty database is migrated without a backup");

    let store = PgStore::connect_url(&url).await.unwrap();
    let mut conn = store.pool().acquire().await.unwrap();
    add_users(&mut conn, "p", 2).await;
    drop(conn);
    store.migrate_down(1).await.unwrap();
    store.pool().close().await;

    // The next use migrates again, after a dump of the data.
    assert_eq!(amazcope_pg::cluster::database_url_or_local(None, &settings).await.unwrap(), url);
    let dumps: Vec<_> = std::fs::read_dir(&backups)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "dump"))
        .collect();
    assert_eq!(dumps.len(), 1, "{dumps:?}");
    let manifest: backup::BackupManifest =
        serde_json::from_str(&std::fs::read_to_string(backup::manifest_path(&dumps[0])).unwrap()).unwrap();
    assert_eq!(manifest.tables["users"], 2);
    let store = PgStore::connect_url(&url).await.unwrap();
    store.check_schema().await.expect("migrated after the backup");
    store.pool().close().await;
    amazcope_pg::cluster::LocalCluster::new(&settings).unwrap().stop().unwrap();
}

/// Runs a PostgreSQL tool of `cluster` as its server user (as root: through runuser).
fn tool(
    cluster: &amazcope_pg::cluster::LocalCluster,
    name: &str,
    dir: &std::path::Path,
) -> std::process::Command {
    let program = cluster.bindir().join(name);
    let mut cmd = match cluster.server_user() {
        Some(user) => {
            let mut c = std::process::Command::new("runuser");
            c.args(["-u", &user.name, "--"]).arg(program);
            c
        }
        None => std::process::Command::new(program),
    };
    cmd.current_dir(dir);
    cmd
}

#[tokio::test]
async fn replication_lists_a_real_streaming_standby() {
    let temp = TempCluster::start(&settings()).expect("private cluster starts");
    let primary = temp.cluster();
    let url = primary.ensure_database("amazcope").await.unwrap();
    let dir = tempfile::Builder::new().prefix("amzsb").tempdir().unwrap();
    if let Some(user) = primary.server_user() {
        std::os::unix::fs::chown(dir.path(), Some(user.uid), Some(user.gid)).unwrap();
    }
    let data = dir.path().join("pgdata");
    // initdb's pg_hba.conf trusts local replication connections; -R writes primary_conninfo.
    let out = tool(primary, "pg_basebackup", dir.path())
        .arg("-D")
        .arg(&data)
        .args([
            "-R",
            "-X",
            "stream",
            "--checkpoint=fast",
            "-U",
            amazcope_pg::cluster::SUPERUSER,
            "-p",
            "5432",
            "-h",
        ])
        .arg(primary.home())
        .output()
        .unwrap();
    assert!(out.status.success(), "pg_basebackup: {}", String::from_utf8_lossy(&out.stderr));
    // The copied configuration names the primary's socket folder; the standby gets its own.
    let conf = data.join("postgresql.conf");
    let mut text = std::fs::read_to_string(&conf).unwrap();
    text.push_str(&format!("\nunix_socket_directories = '{}'\n", dir.path().display()));
    std::fs::write(&conf, text).unwrap();
    let out = tool(primary, "pg_ctl", dir.path())
        .arg("start")
        .arg("-D")
        .arg(&data)
        .arg("-l")
        .arg(dir.path().join("standby.log"))
        .args(["-w", "-t", "60"])
        .output()
        .unwrap();
    assert!(out.status.success(), "standby start: {}", String::from_utf8_lossy(&out.stderr));

    let store = PgStore::connect_url(&url).await.unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let replicas = loop {
        let r = inspect::replication(store.pool()).await.unwrap();
        // replay_lsn stays NULL until the standby's first status report.
        let reported =
            r.iter().any(|x| x.state.as_deref() == Some("streaming") && x.replay_lag_bytes.is_some());
        if reported || std::time::Instant::now() > deadline {
            break r;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let stop = tool(primary, "pg_ctl", dir.path())
        .arg("stop")
        .arg("-D")
        .arg(&data)
        .args(["-m", "fast", "-w"])
        .output();
    assert_eq!(replicas.len(), 1, "{replicas:?}");
    assert_eq!(replicas[0].state.as_deref(), Some("streaming"), "{replicas:?}");
    assert!(replicas[0].replay_lag_bytes.is_some_and(|b| b >= 0), "{replicas:?}");
    assert!(stop.unwrap().status.success());
    store.pool().close().await;
}

/// The backend pid of one connection of `store`'s pool (held while asked).
async fn backend_pid(store: &PgStore) -> i32 {
    let mut conn = store.pool().acquire().await.unwrap();
    sqlx::query_scalar("SELECT pg_backend_pid()").fetch_one(&mut *conn).await.unwrap()
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn a_connection_idle_past_the_ping_window_is_pinged_and_replaced_when_dead(pool: PgPool) {
    // One connection, pinged before use only after 200 ms idle (`amazcope serve` uses 500).
    let config = PoolConfig {
        max_connections: 1,
        ping_after_idle: Duration::from_millis(200),
        ..PoolConfig::default()
    };
    let store = PgStore::connect((*pool.connect_options()).clone(), config).await.unwrap();
    let first = backend_pid(&store).await;
    // Used again at once: no ping needed, the same live connection.
    assert_eq!(backend_pid(&store).await, first);
    // The server ends it while it sits idle in the pool (what a restart or an idle-session
    // kill does); past the window, the acquire pings it, finds it dead and opens another,
    // so the caller's query succeeds instead of failing on the dead socket.
    let killed: bool =
        sqlx::query_scalar("SELECT pg_terminate_backend($1)").bind(first).fetch_one(&pool).await.unwrap();
    assert!(killed);
    tokio::time::sleep(Duration::from_millis(400)).await;
    let second = backend_pid(&store).await;
    assert_ne!(second, first, "a new connection replaced the dead one");
    store.pool().close().await;
}
