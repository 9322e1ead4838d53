//! Behind PgBouncer in transaction pooling mode (issue 18): migrate, ingest, a user's reads
//! and the queue claim through a real PgBouncer (the binary of `AMAZCOPE_PGBOUNCER`, which
//! scripts/test sets, else what `scripts/install-pgbouncer` finds or builds), with two server
//! connections for the database, so a client's transactions land on either and any session
//! state left behind would be seen by the next transaction. Then, from the server itself: no
//! advisory lock, no temporary table, no transaction left open; and through the pooler, every
//! server connection is back to the login role with no acting user set.
//!
//! Never skipped: no binary, or one that does not start, fails the test.

use amazcope_core::model::alert::AlertQuery;
use amazcope_core::service::{ClaimRequest, IngestStore, WorkQueue};
use amazcope_core::{AlertRepository, TrackingRepository, UserId};
use amazcope_pg::PgStore;
use chrono::Duration;
use sqlx::PgPool;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use crate::ingest::{ctx, day, page, product, track, user};

/// A PgBouncer process for one database, stopped on drop.
struct Bouncer {
    child: Child,
    _dir: tempfile::TempDir,
    url: String,
}

fn binary() -> PathBuf {
    if let Some(bin) = std::env::var_os("AMAZCOPE_PGBOUNCER").filter(|b| !b.is_empty()) {
        return PathBuf::from(bin);
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/install-pgbouncer");
    let out = Command::new(&script).stderr(Stdio::inherit()).output().expect("run scripts/install-pgbouncer");
    assert!(out.status.success(), "scripts/install-pgbouncer failed: {}", out.status);
    PathBuf::from(String::from_utf8(out.stdout).unwrap().trim())
}

/// The password of `DATABASE_URL` (the test pool's options do not give it back).
fn password() -> Option<String> {
    let url = std::env::var("DATABASE_URL").ok()?;
    let authority = url.split_once("://")?.1.split(['/', '?']).next()?.to_string();
    let (userinfo, _) = authority.rsplit_once('@')?;
    Some(userinfo.split_once(':')?.1.to_string())
}

impl Bouncer {
    /// A PgBouncer in transaction mode for the test database with `server_connections`
    /// server connections and room for `prepared` prepared statements per connection
    /// (`max_prepared_statements`; 0 is PgBouncer before 1.21).
    fn start(pool: &PgPool, server_connections: u32, prepared: u32) -> Bouncer {
        let o = pool.connect_options();
        let database = o.get_database().expect("the test database").to_string();
        let user = o.get_username().to_string();
        let host = match o.get_socket() {
            Some(dir) => dir.display().to_string(),
            None => o.get_host().to_string(),
        };
        let dir = tempfile::tempdir().unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let password = password();
        std::fs::write(
            dir.path().join("users.txt"),
            format!("\"{user}\" \"{}\"\n", password.clone().unwrap_or_default()),
        )
        .unwrap();
        // PgBouncer refuses to run as root: it switches to the account the cluster uses.
        let run_as = if is_root() {
            let postgres =
                Command::new("id").args(["-u", "postgres"]).output().is_ok_and(|o| o.status.success());
            format!("user = {}\n", if postgres { "postgres" } else { "nobody" })
        } else {
            String::new()
        };
        let ini = format!(
            "[databases]\n{database} = host={host} port={} pool_size={server_connections}\n\
             [pgbouncer]\nlisten_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n\
             auth_type = trust\nauth_file = {}\nadmin_users = {user}\npool_mode = transaction\n\
             max_prepared_statements = {prepared}\n{run_as}",
            o.get_port(),
            dir.path().join("users.txt").display(),
        );
        std::fs::write(dir.path().join("pgbouncer.ini"), ini).unwrap();
        let log = std::fs::File::create(dir.path().join("pgbouncer.log")).unwrap();
        let bin = binary();
        let mut child = Command::new(&bin)
            .arg(dir.path().join("pgbouncer.ini"))
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display()));
        let started = std::time::Instant::now();
        loop {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            let exited = child.try_wait().unwrap();
            if exited.is_some() || started.elapsed() > std::time::Duration::from_secs(10) {
                let _ = child.kill();
                let mut text = String::new();
                let _ = std::fs::File::open(dir.path().join("pgbouncer.log"))
                    .and_then(|mut f| f.read_to_string(&mut text));
                panic!("PgBouncer {} did not start on 127.0.0.1:{port} ({exited:?}):\n{text}", bin.display());
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let auth = match password {
            Some(p) => format!("{user}:{p}"),
            None => user,
        };
        Bouncer { child, _dir: dir, url: format!("postgres://{auth}@127.0.0.1:{port}/{database}") }
    }
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

impl Drop for Bouncer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One statement through the pooler in autocommit: whichever server connection it gets.
async fn session_view(store: &PgStore) -> (String, String, String) {
    sqlx::query_as(
        "SELECT current_user::text, coalesce(current_setting('amazcope.user_id', true), ''), current_setting('role')",
    )
    .fetch_one(store.pool())
    .await
    .unwrap()
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn ingest_reads_and_the_queue_work_through_pgbouncer_with_no_session_state_left(pool: PgPool) {
    let bouncer = Bouncer::start(&pool, 2, 100);
    let store = PgStore::connect_url(&bouncer.url).await.expect("connect through PgBouncer");
    let login: String = sqlx::query_scalar("SELECT current_user::text").fetch_one(&pool).await.unwrap();

    // Migrating (nothing pending) twice: the lock is a transaction lock, never left behind.
    for _ in 0..2 {
        tokio::time::timeout(std::time::Duration::from_secs(30), store.migrate())
            .await
            .expect("migrate through PgBouncer does not hang")
            .unwrap();
    }

    // Ingest (the service path: BEGIN; SET LOCAL ROLE), twice: the second batch is all
    // duplicates, which takes the staging path (a temporary table inside the transaction).
    let pages = vec![
        page(product("B00PGB0001", 2000, 1000, true), day(0)),
        page(product("B00PGB0002", 3000, 500, true), day(0)),
    ];
    let first = store.ingest_batch(&pages, &ctx()).await.unwrap();
    assert_eq!(first.snapshots_inserted, 2);
    let alice = user(&pool, "alice").await;
    track(&pool, alice, "B00PGB0001", Some(10.0), None, None).await;
    track(&pool, alice, "B00PGB0002", Some(10.0), None, None).await;
    let again = store.ingest_batch(&pages, &ctx()).await.unwrap();
    assert_eq!((again.snapshots_inserted, again.duplicates), (0, 2));
    let cheaper = vec![page(product("B00PGB0001", 1500, 1000, true), day(1))];
    assert_eq!(store.ingest_batch(&cheaper, &ctx()).await.unwrap().alerts, 1);

    // A user's reads (user transactions: set_config(..., true)), many at once, so the named
    // prepared statements of each client connection meet both server connections.
    let mut reads = Vec::new();
    for _ in 0..8 {
        let store = store.clone();
        reads.push(tokio::spawn(async move {
            let tracked = store.tracked_products(UserId(alice), false).await.unwrap();
            let alerts = store.alerts(UserId(alice), &AlertQuery::default()).await.unwrap();
            (tracked.len(), alerts.len())
        }));
    }
    for r in reads {
        assert_eq!(r.await.unwrap(), (2, 1), "alice's two products and one alert");
    }

    // The queue: both products are due once, claimed once.
    let claim = ClaimRequest {
        worker_id: "w1".into(),
        limit: 10,
        lease: Duration::minutes(5),
        now: day(3),
        user: None,
    };
    assert_eq!(store.claim_due(&claim).await.unwrap().len(), 2);
    assert_eq!(store.claim_due(&ClaimRequest { worker_id: "w2".into(), ..claim }).await.unwrap().len(), 0);

    // Nothing of any transaction outlived it on the server connections.
    for _ in 0..6 {
        assert_eq!(session_view(&store).await, (login.clone(), String::new(), "none".to_string()));
    }
    let (locks, temps, open): (i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database
                  WHERE l.locktype = 'advisory' AND d.datname = current_database()),
                (SELECT count(*) FROM pg_class WHERE relpersistence = 't'),
                (SELECT count(*) FROM pg_stat_activity
                  WHERE datname = current_database() AND pid <> pg_backend_pid()
                    AND state LIKE 'idle in transaction%')",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((locks, temps, open), (0, 0, 0), "advisory locks, temporary tables, open transactions");
    let servers: i64 = sqlx::query_scalar(
        // PgBouncer hands each server connection the application_name of its client.
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'amazcope'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!((1..=2).contains(&servers), "PgBouncer holds at most its 2 server connections, found {servers}");
    store.pool().close().await;
}

/// Behind a pooler that cannot keep prepared statements apart (PgBouncer 1.24 with
/// `max_prepared_statements = 0`, as every PgBouncer before 1.21 behaves) and one server
/// connection, connecting fails at once with the error that names the pooler and the fixes,
/// instead of random query failures later.
#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn a_pooler_without_prepared_statement_support_is_named_at_connect(pool: PgPool) {
    let bouncer = Bouncer::start(&pool, 1, 0);
    let err = PgStore::connect_url(&bouncer.url).await.expect_err("connect must refuse this pooler");
    let text = err.to_string();
    assert!(
        matches!(err, amazcope_pg::ConnectError::PoolerWithoutPreparedStatements { .. }),
        "expected PoolerWithoutPreparedStatements, got: {text}"
    );
    assert!(text.contains("PgBouncer 1.21+") && text.contains("max_prepared_statements"), "{text}");
    assert!(!text.contains(&password().unwrap_or_else(|| "\u{0}".into())), "no password in: {text}");
}
