//! Crash safety and the fleet (issues 16 and 18), by running the real `amazcope` binary
//! against the demo storefront and PostgreSQL, and really killing it:
//!
//! - `crash_import_*` / `crash_worker_*`: `amazcope import DIR` and `amazcope worker`
//!   killed with SIGKILL at random points; afterwards the invariants hold and running the
//!   command again ends with the totals of an uninterrupted run;
//! - `crash_worker_rides_out_a_postgres_restart`: an immediate restart of a private cluster
//!   (`pg_ctl stop -m immediate`, down 2 s, start) under a running worker;
//! - `crash_read_only_database_*`: a clear error and a non-zero exit, not a hang;
//! - `crash_full_disk_*`: the database's tablespace on a small tmpfs filled up under an
//!   import (the same), and `export --out /dev/full`;
//! - `backup_as_a_role_held_to_row_security_*`: `db backup` as a role that cannot read every
//!   row says so and how to fix it; as a BYPASSRLS role it dumps every row;
//! - `fleet_*`: 8 worker processes (and tasks in each) share the queue and one request
//!   budget per marketplace kept in PostgreSQL.
//!
//! Sizes and the number of kills come from the environment so that `scripts/crash N` and
//! `scripts/fleet` run the long versions (`AMAZCOPE_CRASH_RUNS`, `AMAZCOPE_CRASH_PRODUCTS`,
//! `AMAZCOPE_FLEET_PRODUCTS`, `AMAZCOPE_FLEET_PROCS`, `AMAZCOPE_FLEET_TASKS`,
//! `AMAZCOPE_FLEET_COMPARE`). Pages are generated in code from the storefront's templates.

mod common;

use amazcope_core::{Asin, Marketplace};
use amazcope_examples::storefront::{Catalogue, Storefront, StorefrontConfig, StorefrontHandle, pages};
use amazcope_pg::cluster::ClusterSettings;
use amazcope_pg::testing::TempCluster;
use chrono::NaiveDate;
use common::with_database;
use rand::{Rng, SeedableRng};
use sqlx::postgres::PgPoolOptions;
use sqlx::{Connection, Executor, PgConnection, PgPool};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const SEED: u64 = 42;

fn start_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 1, 1).unwrap()
}

fn env_num(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// A database of its own: on the server in `DATABASE_URL`, or on a private cluster (for
/// restarts, and for fleets that open many connections).
struct Db {
    admin_url: String,
    name: String,
    url: String,
    cluster: Option<TempCluster>,
    work: tempfile::TempDir,
}

impl Db {
    async fn shared(tag: &str) -> Db {
        let base = std::env::var("DATABASE_URL").expect("DATABASE_URL must point at a PostgreSQL server");
        Db::create(with_database(&base, "postgres"), tag, None).await
    }

    async fn private(tag: &str) -> Db {
        let cluster = Db::cluster();
        let admin = cluster.cluster().url("postgres");
        // A fleet of 100 workers opens more than the default 100 connections.
        let mut c = PgConnection::connect(&admin).await.expect("connect to the private cluster");
        c.execute("ALTER SYSTEM SET max_connections = 300").await.unwrap();
        drop(c);
        let server = cluster.cluster().clone();
        tokio::task::spawn_blocking(move || server.restart_immediate(Duration::ZERO))
            .await
            .unwrap()
            .expect("restart");
        Db::create(admin, tag, Some(cluster)).await
    }

    /// On a private cluster with its default settings.
    async fn private_small(tag: &str) -> Db {
        let cluster = Db::cluster();
        Db::create(cluster.cluster().url("postgres"), tag, Some(cluster)).await
    }

    fn cluster() -> TempCluster {
        let settings = ClusterSettings::from_lookup(|k| std::env::var_os(k));
        TempCluster::start(&settings).expect("private cluster starts (postgresql binaries?)")
    }

    async fn create(admin_url: String, tag: &str, cluster: Option<TempCluster>) -> Db {
        let name = format!("amzcrash_{tag}_{}", std::process::id());
        let mut c = PgConnection::connect(&admin_url).await.expect("connect to the server");
        // Names from a fixed tag and the process id only.
        c.execute(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))).await.unwrap();
        c.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).await.unwrap();
        let url = with_database(&admin_url, &name);
        let db = Db { admin_url, name, url, cluster, work: tempfile::tempdir().unwrap() };
        db.ok(&["db", "upgrade"]).unwrap();
        db.ok(&["user", "add", "alice"]).unwrap();
        db
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_amazcope"));
        c.args(args).env("DATABASE_URL", &self.url).env_remove("AMAZCOPE_HOME");
        c
    }

    fn ok(&self, args: &[&str]) -> Result<String, String> {
        let out = self.cmd(args).output().expect("run amazcope");
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).into_owned())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).into_owned())
        }
    }

    /// Starts `amazcope ARGS` with its output in files under the work folder.
    fn spawn(&self, label: &str, args: &[&str]) -> Proc {
        let out = self.work.path().join(format!("{label}.out"));
        let err = self.work.path().join(format!("{label}.err"));
        let child = self
            .cmd(args)
            .stdout(Stdio::from(std::fs::File::create(&out).unwrap()))
            .stderr(Stdio::from(std::fs::File::create(&err).unwrap()))
            .spawn()
            .expect("start amazcope");
        Proc { child, err, label: label.to_owned() }
    }

    async fn pool(&self) -> PgPool {
        PgPoolOptions::new().max_connections(2).connect(&self.url).await.unwrap()
    }

    async fn drop_db(self) {
        let mut c = PgConnection::connect(&self.admin_url).await.unwrap();
        c.execute(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name)))
            .await
            .unwrap();
        drop(self.cluster);
    }
}

struct Proc {
    child: Child,
    err: PathBuf,
    label: String,
}

impl Proc {
    /// Waits for the exit, at most `limit` (then kills and fails: a hang).
    async fn wait(mut self, limit: Duration) -> (std::process::ExitStatus, String) {
        let t0 = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return (status, std::fs::read_to_string(&self.err).unwrap_or_default());
            }
            if t0.elapsed() > limit {
                let _ = self.child.kill();
                let _ = self.child.wait();
                let err = std::fs::read_to_string(&self.err).unwrap_or_default();
                panic!("{} did not finish within {limit:?} (a hang?): {err}", self.label);
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    async fn success(self, limit: Duration) -> String {
        let label = self.label.clone();
        let (status, err) = self.wait(limit).await;
        assert!(status.success(), "{label} failed ({status}): {err}");
        err
    }

    /// SIGKILL (no chance to clean up); returns whether it was still running.
    fn kill(mut self) -> bool {
        let running = self.child.try_wait().unwrap().is_none();
        let _ = self.child.kill();
        let _ = self.child.wait();
        running
    }
}

/// Tracks every catalogue product for alice (due now), set-wise.
async fn track_all(pool: &PgPool, catalogue: &Catalogue) {
    let asins: Vec<String> = catalogue.products().iter().map(|p| p.asin.to_string()).collect();
    let mps: Vec<String> = catalogue.products().iter().map(|p| p.marketplace.code().to_owned()).collect();
    sqlx::query(
        "INSERT INTO products (asin, marketplace, title, url)
         SELECT a, m, 'pending', 'https://example.invalid/' || a FROM unnest($1::text[], $2::text[]) AS t(a, m)",
    )
    .bind(&asins)
    .bind(&mps)
    .execute(pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO user_products (user_id, product_id)
         SELECT u.id, p.id FROM users u CROSS JOIN products p WHERE u.username = 'alice'",
    )
    .execute(pool)
    .await
    .unwrap();
}

/// Writes the product pages of `days` for every product, `dir/dNN/ASIN.html`, each file's
/// modification time its day (the time `amazcope import` stores it at).
fn write_pages(dir: &Path, catalogue: &Catalogue, days: std::ops::Range<u32>) -> usize {
    let mut n = 0;
    for day in days {
        let d = dir.join(format!("d{day:02}"));
        std::fs::create_dir_all(&d).unwrap();
        let at = start_date().and_hms_opt(12, 0, 0).unwrap().and_utc() + chrono::Duration::days(day.into());
        for p in catalogue.products() {
            let path = d.join(format!("{}.html", p.asin));
            std::fs::write(&path, pages::product_page(catalogue, p, &p.state_on(day))).unwrap();
            let f = std::fs::File::options().write(true).open(&path).unwrap();
            f.set_modified(std::time::SystemTime::from(at)).unwrap();
            n += 1;
        }
    }
    n
}

/// What the checks compare between an interrupted and an uninterrupted run.
#[derive(Debug, PartialEq, Eq)]
struct Totals {
    snapshots: i64,
    alerts_by_type: BTreeMap<String, i64>,
    notifications: i64,
    /// Per product: snapshots, latest price and rank.
    products: BTreeMap<String, (i64, Option<String>, Option<i32>)>,
}

async fn totals(pool: &PgPool) -> Totals {
    let snapshots: i64 =
        sqlx::query_scalar("SELECT count(*) FROM product_snapshots").fetch_one(pool).await.unwrap();
    let alerts: Vec<(String, i64)> =
        sqlx::query_as("SELECT alert_type, count(*) FROM alerts GROUP BY 1").fetch_all(pool).await.unwrap();
    let notifications: i64 =
        sqlx::query_scalar("SELECT count(*) FROM notifications").fetch_one(pool).await.unwrap();
    type Row = (String, String, i64, Option<String>, Option<i32>);
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT p.asin, p.marketplace, (SELECT count(*) FROM product_snapshots s WHERE s.product_id = p.id),
                p.current_price::text, p.current_bsr
         FROM products p",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    Totals {
        snapshots,
        alerts_by_type: alerts.into_iter().collect(),
        notifications,
        products: rows.into_iter().map(|(a, m, n, p, b)| (format!("{a}@{m}"), (n, p, b))).collect(),
    }
}

/// The invariants that must hold at any moment, even right after a SIGKILL; each broken
/// one is described. `batch`: pages per import transaction (every committed batch of new
/// pages adds exactly that many snapshots); `lease`: the longest lease handed out.
async fn broken_invariants(pool: &PgPool, batch: Option<i64>, lease: Duration) -> Vec<String> {
    let mut broken = Vec::new();
    // Each product's latest values are those of its newest snapshot.
    let stale: Vec<(String, String)> = sqlx::query_as(
        "SELECT p.asin, format('product %s / snapshot %s, bsr %s / %s, at %s / %s', p.current_price, s.price,
                               p.current_bsr, s.bsr_main_category, p.last_snapshot_at, s.scraped_at)
         FROM products p
         JOIN LATERAL (SELECT * FROM product_snapshots s WHERE s.product_id = p.id
                       ORDER BY s.scraped_at DESC LIMIT 1) s ON true
         WHERE p.current_price IS DISTINCT FROM s.price
            OR p.current_bsr IS DISTINCT FROM s.bsr_main_category
            OR p.last_snapshot_at IS DISTINCT FROM s.scraped_at
            OR p.in_stock IS DISTINCT FROM s.in_stock",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    for (asin, what) in stale {
        broken.push(format!("{asin}: latest values differ from the newest snapshot: {what}"));
    }
    // Every alert has its notification.
    let orphans: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM alerts a WHERE NOT EXISTS (SELECT 1 FROM notifications n WHERE n.alert_id = a.id)",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    if orphans > 0 {
        broken.push(format!("{orphans} alerts without a notification"));
    }
    // No partial batch.
    if let Some(b) = batch {
        let n: i64 =
            sqlx::query_scalar("SELECT count(*) FROM product_snapshots").fetch_one(pool).await.unwrap();
        if n % b != 0 {
            broken.push(format!("{n} snapshots: not whole batches of {b} (a partial batch is visible)"));
        }
    }
    // No lease longer than a lease: a dead worker's leases run out.
    let stuck: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM products WHERE lease_owner IS NOT NULL
            AND (lease_expires_at IS NULL OR lease_expires_at > now() + $1 * interval '1 second')",
    )
    .bind(lease.as_secs_f64() + 1.0)
    .fetch_one(pool)
    .await
    .unwrap();
    if stuck > 0 {
        broken.push(format!("{stuck} leases that would outlive their length"));
    }
    broken
}

async fn expired_leases(pool: &PgPool) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM products WHERE lease_owner IS NOT NULL")
        .fetch_one(pool)
        .await
        .unwrap()
}

fn kill_rng() -> rand::rngs::StdRng {
    let seed = env_num("AMAZCOPE_CRASH_SEED", 7) as u64;
    eprintln!("kill points from seed {seed} (AMAZCOPE_CRASH_SEED)");
    rand::rngs::StdRng::seed_from_u64(seed)
}

// --- import -----------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_import_killed_at_random_points_keeps_invariants_and_finishes_the_same() {
    let products = env_num("AMAZCOPE_CRASH_PRODUCTS", 60);
    let days = 8;
    let runs = env_num("AMAZCOPE_CRASH_RUNS", 2);
    let batch = 40i64;
    let catalogue = Catalogue::generate(SEED, products, start_date());
    let pages_dir = tempfile::tempdir().unwrap();
    let pages = write_pages(pages_dir.path(), &catalogue, 0..days);
    let dir = pages_dir.path().to_str().unwrap().to_owned();
    let import = ["import", &dir, "--user", "alice", "--batch", &batch.to_string(), "--json"];

    // The uninterrupted run.
    let whole = Db::shared("imp_whole").await;
    track_all(&whole.pool().await, &catalogue).await;
    let t0 = Instant::now();
    whole.spawn("whole", &import).success(Duration::from_secs(600)).await;
    let uninterrupted = t0.elapsed();
    let expected = totals(&whole.pool().await).await;
    assert_eq!(expected.snapshots, pages as i64, "every page stored once");
    assert!(!expected.alerts_by_type.is_empty(), "the pages move enough to raise alerts");
    eprintln!("{pages} pages imported in {uninterrupted:?}; {:?}", expected.alerts_by_type);

    let db = Db::shared("imp_kill").await;
    let pool = db.pool().await;
    track_all(&pool, &catalogue).await;
    let mut rng = kill_rng();
    let mut killed_mid_run = 0;
    for run in 0..runs {
        let at = uninterrupted.mul_f64(rng.random_range(0.05..0.9));
        let p = db.spawn(&format!("kill{run}"), &import);
        tokio::time::sleep(at).await;
        killed_mid_run += usize::from(p.kill());
        let broken = broken_invariants(&pool, Some(batch), Duration::ZERO).await;
        assert!(broken.is_empty(), "after a kill at {at:?}: {broken:#?}");
        let n = totals(&pool).await.snapshots;
        eprintln!("kill {run} at {at:?}: {n} of {pages} snapshots committed");
    }
    assert!(killed_mid_run > 0, "no kill landed while the import ran");
    db.spawn("again", &import).success(Duration::from_secs(600)).await;
    assert!(broken_invariants(&pool, Some(batch), Duration::ZERO).await.is_empty());
    assert_eq!(totals(&pool).await, expected, "running again ends with the uninterrupted totals");
    whole.drop_db().await;
    db.drop_db().await;
}

// --- worker -----------------------------------------------------------------------------------

async fn storefront(products: usize, day: u32) -> StorefrontHandle {
    Storefront::start(StorefrontConfig { seed: SEED, products, day, ..StorefrontConfig::default() })
        .await
        .expect("storefront starts")
}

/// Where a test's database lives.
#[derive(Clone, Copy)]
enum Server {
    /// The server of `DATABASE_URL`.
    Shared,
    /// A private cluster with its default 100 connections.
    Private,
    /// A private cluster allowed 300 connections (a restart more).
    PrivateForMany,
}

/// A database whose products all have their day-0 page stored and are due now.
async fn worker_db(tag: &str, catalogue: &Catalogue, server: Server) -> Db {
    let db = match server {
        Server::Shared => Db::shared(tag).await,
        Server::Private => Db::private_small(tag).await,
        Server::PrivateForMany => Db::private(tag).await,
    };
    let pool = db.pool().await;
    track_all(&pool, catalogue).await;
    let dir = db.work.path().join("day0");
    write_pages(&dir, catalogue, 0..1);
    db.ok(&["import", dir.to_str().unwrap(), "--user", "alice"]).expect("day 0 imported");
    sqlx::query("UPDATE products SET next_refresh_at = NULL").execute(&pool).await.unwrap();
    db
}

fn worker_args<'a>(base: &'a str, tasks: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut a = vec![
        "worker",
        "--base-url",
        base,
        "--tasks",
        tasks,
        "--batch",
        "5",
        "--until-idle",
        "--upkeep-hours",
        "0",
        "--idle-secs",
        "1",
    ];
    a.extend_from_slice(extra);
    a
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_worker_killed_mid_refresh_keeps_invariants_and_finishes_the_same() {
    let products = env_num("AMAZCOPE_CRASH_PRODUCTS", 60);
    let runs = env_num("AMAZCOPE_CRASH_RUNS", 2);
    let lease = 2u64;
    let shop = storefront(products, 1).await;
    let base = shop.base_url();
    let lease_arg = lease.to_string();
    let args = worker_args(&base, "4", &["--lease-secs", &lease_arg]);

    let whole = worker_db("wrk_whole", shop.catalogue(), Server::Shared).await;
    let t0 = Instant::now();
    whole.spawn("whole", &args).success(Duration::from_secs(300)).await;
    let uninterrupted = t0.elapsed();
    let expected = totals(&whole.pool().await).await;
    assert_eq!(expected.snapshots, 2 * products as i64, "day 0 and day 1 for every product");
    assert!(!expected.alerts_by_type.is_empty(), "day 1 moves enough to raise alerts");
    eprintln!("{products} products refreshed in {uninterrupted:?}; {:?}", expected.alerts_by_type);

    let db = worker_db("wrk_kill", shop.catalogue(), Server::Shared).await;
    let pool = db.pool().await;
    let mut rng = kill_rng();
    let mut killed_mid_run = 0;
    for run in 0..runs {
        let at = uninterrupted.mul_f64(rng.random_range(0.05..0.8));
        let p = db.spawn(&format!("kill{run}"), &args);
        tokio::time::sleep(at).await;
        killed_mid_run += usize::from(p.kill());
        let broken = broken_invariants(&pool, None, Duration::from_secs(lease)).await;
        assert!(broken.is_empty(), "after a kill at {at:?}: {broken:#?}");
        eprintln!("kill {run} at {at:?}: {} products still leased", expired_leases(&pool).await);
        // The dead worker's leases run out; the next run takes them over.
        tokio::time::sleep(Duration::from_secs(lease) + Duration::from_millis(200)).await;
    }
    assert!(killed_mid_run > 0, "no kill landed while the worker ran");
    db.spawn("again", &args).success(Duration::from_secs(300)).await;
    assert_eq!(expired_leases(&pool).await, 0, "no lease left behind");
    assert!(broken_invariants(&pool, None, Duration::from_secs(lease)).await.is_empty());
    assert_eq!(totals(&pool).await, expected, "running again ends with the uninterrupted totals");
    whole.drop_db().await;
    db.drop_db().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_worker_rides_out_a_postgres_restart() {
    let products = env_num("AMAZCOPE_CRASH_PRODUCTS", 150);
    let shop = storefront(products, 1).await;
    let base = shop.base_url();
    let db = worker_db("restart", shop.catalogue(), Server::PrivateForMany).await;
    // Spaced requests (this process's own budget) make the run last a few seconds.
    let rate = (products / 8).max(10).to_string();
    let args = worker_args(&base, "2", &["--rate", &rate, "--local-budget", "--lease-secs", "30"]);
    let worker = db.spawn("worker", &args);
    // Restart once the worker is storing (a busy machine can take a while to start it).
    let pool = db.pool().await;
    let t0 = Instant::now();
    while totals(&pool).await.snapshots <= products as i64 + 5 {
        assert!(t0.elapsed() < Duration::from_secs(60), "the worker never started storing");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    pool.close().await;
    let cluster = db.cluster.as_ref().expect("a private cluster").cluster().clone();
    // Down for 2 s, longer than the worker goes without the database (a batch of 5 pages at
    // the rate above): a restart of a fraction of a second could fall between its queries,
    // the pool would open new connections unnoticed, and nothing would be logged.
    tokio::task::spawn_blocking(move || cluster.restart_immediate(Duration::from_secs(2)))
        .await
        .unwrap()
        .expect("pg_ctl stop -m immediate, start");
    let log = worker.success(Duration::from_secs(120)).await;
    eprintln!("{log}");
    assert!(log.contains("database unreachable"), "the outage is logged: {log}");
    assert!(log.contains("database reachable again"), "the reconnection is logged: {log}");
    let pool = db.pool().await;
    let t = totals(&pool).await;
    let short: Vec<_> = t.products.iter().filter(|(_, (n, _, _))| *n != 2).collect();
    assert!(short.is_empty(), "every product has exactly its day-0 and day-1 snapshot: {short:?}");
    assert_eq!(expired_leases(&pool).await, 0);
    assert!(broken_invariants(&pool, None, Duration::from_secs(30)).await.is_empty());
    let not_rescheduled: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM products WHERE next_refresh_at IS NULL OR next_refresh_at <= now()",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(not_rescheduled, 0, "every product rescheduled");
    db.drop_db().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_read_only_database_fails_clearly_and_exits() {
    let shop = storefront(30, 1).await;
    let base = shop.base_url();
    let db = Db::shared("readonly").await;
    let pool = db.pool().await;
    track_all(&pool, shop.catalogue()).await;
    let dir = db.work.path().join("pages");
    write_pages(&dir, shop.catalogue(), 0..1);
    drop(pool);
    let mut admin = PgConnection::connect(&db.admin_url).await.unwrap();
    admin
        .execute(sqlx::AssertSqlSafe(format!(
            "ALTER DATABASE {} SET default_transaction_read_only = on",
            db.name
        )))
        .await
        .unwrap();
    let dir = dir.to_str().unwrap().to_owned();
    for (label, args) in [
        ("import", vec!["import", dir.as_str(), "--user", "alice"]),
        ("worker", worker_args(&base, "2", &[])),
    ] {
        let (status, err) = db.spawn(label, &args).wait(Duration::from_secs(60)).await;
        assert!(!status.success(), "{label} on a read-only database must fail");
        assert!(err.contains("read-only"), "{label} says why: {err}");
        assert_eq!(err.lines().filter(|l| l.starts_with("error:")).count(), 1, "{label}: one error: {err}");
    }
    admin
        .execute(sqlx::AssertSqlSafe(format!(
            "ALTER DATABASE {} RESET default_transaction_read_only",
            db.name
        )))
        .await
        .unwrap();
    db.drop_db().await;
}

// --- a full disk -----------------------------------------------------------------------------

/// A tmpfs of `size` mounted on a fresh folder, unmounted on drop. The full-disk test runs as
/// root (here and in CI); where mounting is not permitted it fails saying so, never skips.
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(size: &str) -> Tmpfs {
        let dir = tempfile::Builder::new().prefix("amzfull").tempdir().unwrap();
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size},mode=0755"), "amzfull"])
            .arg(dir.path())
            .output();
        let why = match out {
            Ok(o) if o.status.success() => return Tmpfs { dir },
            Ok(o) => String::from_utf8_lossy(&o.stderr).trim().to_owned(),
            Err(e) => e.to_string(),
        };
        panic!(
            "the full-disk test fills a small tmpfs and could not mount one on {} ({why}): run it as root \
             with mount permitted (in a container: CAP_SYS_ADMIN)",
            dir.path().display()
        );
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Bytes free for new data.
    fn available(&self) -> u64 {
        let out = Command::new("df").args(["-B1", "--output=avail"]).arg(self.path()).output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        text.lines().nth(1).and_then(|l| l.trim().parse().ok()).unwrap_or_else(|| panic!("df said {text}"))
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(self.dir.path()).status();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_full_disk_fails_clearly_keeps_whole_batches_and_finishes_after() {
    let products = env_num("AMAZCOPE_FULL_DISK_PRODUCTS", 100);
    let days = 6;
    let batch = 50i64;
    let catalogue = Catalogue::generate(SEED, products, start_date());
    let pages_dir = tempfile::tempdir().unwrap();
    let pages = write_pages(pages_dir.path(), &catalogue, 0..days) as i64;
    let dir = pages_dir.path().to_str().unwrap().to_owned();
    let import = ["import", &dir, "--user", "alice", "--batch", &batch.to_string()];

    // The database's files on a small tmpfs (a tablespace of a private cluster; its WAL stays
    // on the real disk), then the tmpfs filled but for room for a few batches.
    let db = Db::private_small("fulldisk").await;
    let pool = db.pool().await;
    track_all(&pool, &catalogue).await;
    pool.close().await;
    let fs = Tmpfs::mount("48m");
    let space = fs.path().join("ts");
    std::fs::create_dir(&space).unwrap();
    if let Some(user) = db.cluster.as_ref().unwrap().cluster().server_user() {
        std::os::unix::fs::chown(&space, Some(user.uid), Some(user.gid)).unwrap();
    }
    let mut admin = PgConnection::connect(&db.admin_url).await.unwrap();
    // Names from a fixed tag, the process id and a temporary folder's path (no quote in it).
    admin
        .execute(sqlx::AssertSqlSafe(format!("CREATE TABLESPACE amzfull LOCATION '{}'", space.display())))
        .await
        .unwrap();
    admin
        .execute(sqlx::AssertSqlSafe(format!("ALTER DATABASE {} SET TABLESPACE amzfull", db.name)))
        .await
        .unwrap();
    let room = env_num("AMAZCOPE_FULL_DISK_ROOM_KB", 1024) as u64 * 1024;
    let ballast = fs.path().join("ballast");
    std::fs::write(&ballast, vec![1u8; (fs.available() - room) as usize]).unwrap();
    eprintln!("{pages} pages to import into a tablespace with {} KiB free", fs.available() / 1024);

    let (status, err) = db.spawn("full", &import).wait(Duration::from_secs(120)).await;
    eprintln!("{err}");
    assert!(!status.success(), "an import into a full disk must fail");
    assert!(err.contains("out of disk space"), "the error says the disk is full: {err}");
    assert_eq!(err.lines().filter(|l| l.starts_with("error:")).count(), 1, "one error: {err}");
    let pool = db.pool().await;
    let stored = totals(&pool).await.snapshots;
    eprintln!("{stored} of {pages} snapshots committed before the disk filled");
    assert!(stored > 0, "the batches before the disk filled are kept");
    assert!(stored < pages, "the disk filled before the end (make the room smaller)");
    let broken = broken_invariants(&pool, Some(batch), Duration::ZERO).await;
    assert!(broken.is_empty(), "after the disk filled: {broken:#?}");

    // The output side: a device that is always full.
    for (label, args) in [
        ("export_csv", vec!["export", "--user", "alice", "--format", "csv", "--out", "/dev/full"]),
        ("export_parquet", vec!["export", "--user", "alice", "--format", "parquet", "--out", "/dev/full"]),
    ] {
        let (status, err) = db.spawn(label, &args).wait(Duration::from_secs(60)).await;
        assert!(!status.success(), "{label} to /dev/full must fail");
        assert!(err.contains("No space left on device"), "{label} says why: {err}");
        assert_eq!(err.lines().filter(|l| l.starts_with("error:")).count(), 1, "{label}: one error: {err}");
    }
    use std::os::unix::fs::FileTypeExt as _;
    assert!(std::fs::metadata("/dev/full").unwrap().file_type().is_char_device(), "/dev/full left as it was");

    // Room again: the same command finishes the import.
    std::fs::remove_file(&ballast).unwrap();
    db.spawn("again", &import).success(Duration::from_secs(120)).await;
    assert_eq!(totals(&pool).await.snapshots, pages, "every page stored once");
    assert!(broken_invariants(&pool, Some(batch), Duration::ZERO).await.is_empty());
    pool.close().await;
    drop(admin);
    let admin_url = db.admin_url.clone();
    let name = db.name.clone();
    let mut admin = PgConnection::connect(&admin_url).await.unwrap();
    admin.execute(sqlx::AssertSqlSafe(format!("DROP DATABASE {name} WITH (FORCE)"))).await.unwrap();
    admin.execute("DROP TABLESPACE amzfull").await.unwrap();
    drop(admin);
    db.drop_db().await;
    drop(fs);
}

// --- backups and row-level security -----------------------------------------------------------

/// `amazcope db backup` as the role the library runs as (no superuser, no BYPASSRLS; FORCE
/// holds even the owner to the policies) stops with one clear line naming the fix; as a
/// BYPASSRLS role with pg_read_all_data it dumps every user's rows.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_as_a_role_held_to_row_security_fails_clearly_and_works_with_bypassrls() {
    let admin_base = std::env::var("DATABASE_URL").expect("DATABASE_URL must point at a PostgreSQL server");
    let roles = Command::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/test-db-roles"))
        .arg(&admin_base)
        .output()
        .expect("run scripts/test-db-roles");
    assert!(roles.status.success(), "scripts/test-db-roles: {}", String::from_utf8_lossy(&roles.stderr));
    let app_base = String::from_utf8(roles.stdout).unwrap().trim().to_owned();
    let name = format!("amzcrash_bkrole_{}", std::process::id());
    let admin_url = with_database(&admin_base, "postgres");
    let mut admin = PgConnection::connect(&admin_url).await.unwrap();
    // Names from a fixed tag and the process id only.
    admin.execute(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))).await.unwrap();
    admin.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name} OWNER amazcope_app"))).await.unwrap();
    admin
        .execute(
            "DO $$ BEGIN
               IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'amazcope_backup') THEN
                 CREATE ROLE amazcope_backup LOGIN BYPASSRLS PASSWORD 'amazcope_backup';
               END IF;
             END $$;
             GRANT pg_read_all_data TO amazcope_backup",
        )
        .await
        .unwrap();
    let app_url = with_database(&app_base, &name);
    let backup_url = app_url.replacen("amazcope_app:amazcope_app@", "amazcope_backup:amazcope_backup@", 1);
    assert_ne!(backup_url, app_url);
    let work = tempfile::tempdir().unwrap();
    let run = |url: &str, args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_amazcope"))
            .args(args)
            .env("DATABASE_URL", url)
            .env_remove("AMAZCOPE_HOME")
            .output()
            .expect("run amazcope")
    };
    for args in [&["db", "upgrade", "--no-backup"][..], &["user", "add", "alice"], &["user", "add", "bob"]] {
        let out = run(&app_url, args);
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
    // Each user tracks a product (as the superuser: past the policies).
    let super_url = with_database(&admin_base, &name);
    let mut su = PgConnection::connect(&super_url).await.unwrap();
    su.execute(
        "INSERT INTO products (asin, marketplace, title, url) VALUES ('B000000001', 'com', 't', 'https://example.invalid/1');
         INSERT INTO user_products (user_id, product_id) SELECT u.id, p.id FROM users u CROSS JOIN products p",
    )
    .await
    .unwrap();
    let counts = amazcope_pg::backup::row_counts(&mut su).await.unwrap();
    assert_eq!(counts["user_products"], 2);

    let dump = work.path().join("app.dump");
    let out = run(&app_url, &["db", "backup", "--out", dump.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "a backup that cannot read every row must fail: {err}");
    // The role's name is its password here (scripts/test-db-roles), so the CLI's secret
    // scrubbing hides it as `***`.
    assert!(err.contains("cannot back up as ***: row-level security hides rows of"), "says why: {err}");
    assert!(
        err.contains("user_products") && err.contains("BYPASSRLS"),
        "names the tables and the fix: {err}"
    );
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    let left: Vec<_> = std::fs::read_dir(work.path()).unwrap().collect();
    assert!(left.is_empty(), "nothing written: {left:?}");

    let dump = work.path().join("backup.dump");
    let out = run(&backup_url, &["db", "backup", "--out", dump.to_str().unwrap()]);
    assert!(out.status.success(), "backup as a BYPASSRLS role: {}", String::from_utf8_lossy(&out.stderr));
    let manifest: amazcope_pg::backup::BackupManifest =
        serde_json::from_str(&std::fs::read_to_string(amazcope_pg::backup::manifest_path(&dump)).unwrap())
            .unwrap();
    assert_eq!(manifest.tables, counts, "the dump holds every row of every user");
    // And the dump itself: restored into an empty database, the counts are checked again.
    let restored = format!("{name}_r");
    admin
        .execute(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {restored} WITH (FORCE)")))
        .await
        .unwrap();
    admin.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {restored}"))).await.unwrap();
    let out = run(&with_database(&admin_base, &restored), &["db", "restore", dump.to_str().unwrap()]);
    assert!(out.status.success(), "restore: {}", String::from_utf8_lossy(&out.stderr));
    drop(su);
    for db in [&name, &restored] {
        admin
            .execute(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)")))
            .await
            .unwrap();
    }
}

// --- the fleet --------------------------------------------------------------------------------

/// Every product was asked for exactly once and stored, no lease is left.
async fn assert_each_fetched_once(shop: &StorefrontHandle, pool: &PgPool) {
    let counts: HashMap<Asin, u32> = shop.product_request_counts();
    let all = shop.catalogue().products();
    let wrong: Vec<String> = all
        .iter()
        .filter(|p| counts.get(&p.asin).copied().unwrap_or(0) != 1)
        .map(|p| format!("{} fetched {} times", p.asin, counts.get(&p.asin).copied().unwrap_or(0)))
        .collect();
    assert!(
        wrong.is_empty(),
        "{} products not fetched exactly once: {:?}",
        wrong.len(),
        &wrong[..wrong.len().min(10)]
    );
    assert_eq!(counts.len(), all.len(), "nothing else was asked for");
    let t = totals(pool).await;
    let wrong: Vec<_> = t.products.iter().filter(|(_, (n, _, _))| *n != 2).collect();
    assert!(wrong.is_empty(), "one new snapshot per product: {wrong:?}");
    assert_eq!(expired_leases(pool).await, 0, "no lease left");
}

/// Runs `procs` worker processes of `tasks` tasks each until the queue is empty; returns
/// how long it took.
async fn run_fleet(db: &Db, base: &str, procs: usize, tasks: usize, extra: &[&str]) -> Duration {
    let tasks = tasks.to_string();
    let args = worker_args(base, &tasks, extra);
    let t0 = Instant::now();
    let fleet: Vec<Proc> = (0..procs).map(|i| db.spawn(&format!("w{i}"), &args)).collect();
    for p in fleet {
        p.success(Duration::from_secs(600)).await;
    }
    t0.elapsed()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fleet_of_processes_and_tasks_fetches_each_due_product_exactly_once() {
    let products = env_num("AMAZCOPE_FLEET_PRODUCTS", 200);
    let (procs, tasks) = (env_num("AMAZCOPE_FLEET_PROCS", 8), env_num("AMAZCOPE_FLEET_TASKS", 2));
    let shop = storefront(products, 1).await;
    let base = shop.base_url();
    // Each worker process holds a few connections per task.
    let server = if procs * tasks > 32 { Server::PrivateForMany } else { Server::Private };
    let db = worker_db("fleet", shop.catalogue(), server).await;
    let pool = db.pool().await;
    // No request budget: the queue alone must keep each product to one fetch.
    let took = run_fleet(&db, &base, procs, tasks, &["--rate", "0"]).await;
    assert_each_fetched_once(&shop, &pool).await;
    let rate = products as f64 / took.as_secs_f64();
    eprintln!("fleet of {procs} processes x {tasks} tasks: {products} products in {took:?} ({rate:.0}/s)");
    if env_num("AMAZCOPE_FLEET_COMPARE", 0) == 1 {
        shop.reset_counts();
        let one = worker_db("fleet_one", shop.catalogue(), Server::Private).await;
        let took1 = run_fleet(&one, &base, 1, 1, &["--rate", "0"]).await;
        assert_each_fetched_once(&shop, &one.pool().await).await;
        let rate1 = products as f64 / took1.as_secs_f64();
        eprintln!(
            "one worker: {products} products in {took1:?} ({rate1:.0}/s); the fleet is {:.1}x",
            rate / rate1
        );
        one.drop_db().await;
    }
    db.drop_db().await;
}

/// The fleet's budget: `rate` requests per second per marketplace, kept in PostgreSQL.
async fn budget_run(shared: bool) -> (usize, Vec<(u64, u32)>, usize, Duration) {
    let products = env_num("AMAZCOPE_BUDGET_PRODUCTS", 60);
    let rate = 15usize;
    let shop = storefront(products, 1).await;
    let base = shop.base_url();
    let db = worker_db(if shared { "budget" } else { "nobudget" }, shop.catalogue(), Server::Private).await;
    let pool = db.pool().await;
    let r = rate.to_string();
    let mut extra = vec!["--rate", r.as_str()];
    if !shared {
        extra.push("--local-budget");
    }
    let took = run_fleet(&db, &base, env_num("AMAZCOPE_FLEET_PROCS", 8), 1, &extra).await;
    assert_each_fetched_once(&shop, &pool).await;
    let peak = shop.max_requests_in_window(Marketplace::Com, Duration::from_secs(1));
    let per_second = shop.requests_per_second(Marketplace::Com);
    eprintln!(
        "budget {rate}/s per marketplace, shared: {shared}: {products} products in {took:?}; \
         at most {peak} amazon.com requests in any second; per second {per_second:?}"
    );
    db.drop_db().await;
    (peak, per_second, rate, took)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fleet_of_8_processes_keeps_the_shared_request_budget() {
    let (peak, per_second, rate, _) = budget_run(true).await;
    // Slots are exactly 1/rate apart on the server's clock; what the storefront sees is when
    // each request arrives, a little after its slot (timer, scheduler, connection on a busy
    // machine), so a late request can share a window with the next one on time. Whole
    // seconds: the rate and one request of slack; any sliding second: two.
    let worst = per_second.iter().map(|(_, n)| *n as usize).max().unwrap_or(0);
    assert!(
        worst <= rate + 1,
        "the fleet sent {worst} requests in one second; the budget is {rate}: {per_second:?}"
    );
    assert!(peak <= rate + 2, "the fleet sent {peak} requests within one second; the budget is {rate}");
    assert!(worst >= rate / 2, "the budget was used ({worst} at best in a second)");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fleet_with_per_process_budgets_exceeds_the_rate() {
    // The control: each process keeping the rate alone sends several times it together,
    // which is what the shared budget prevents (and what its check would see).
    let (peak, _, rate, _) = budget_run(false).await;
    assert!(peak > rate * 3 / 2, "8 processes with their own budgets sent only {peak} in a second");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fleet_backs_off_together_after_one_captcha() {
    use amazcope_scrape::fetch::{FetchError, Fetcher, FetcherConfig};
    use std::sync::Arc;
    // Product 41 serves a captcha on day 3 (the storefront's script).
    let shop = storefront(60, 3).await;
    let db = Db::shared("captcha").await;
    let store = Arc::new(amazcope_pg::PgStore::connect_url(&db.url).await.unwrap());
    let cooldown = Duration::from_millis(1500);
    let config = || {
        FetcherConfig::default()
            .with_base_url(Marketplace::Com, shop.base_url())
            .with_min_spacing(Duration::ZERO)
            .with_marketplace_spacing(Marketplace::Com, Duration::from_millis(10))
            .with_captcha_cooldown(cooldown)
    };
    // Two fetchers with their own throttles, as in two processes, one budget.
    let budget: Arc<dyn amazcope_core::service::RequestBudget> = store.clone();
    let first = Fetcher::with_budget(config(), Arc::clone(&budget)).unwrap();
    let second = Fetcher::with_budget(config(), budget).unwrap();
    let alone = Fetcher::new(config()).unwrap();
    let products = shop.catalogue().products();
    let captcha = products[41].asin;
    let (a, b) = (products[0].asin, products[1].asin);
    assert!(matches!(
        first.fetch_product(Marketplace::Com, &captcha, None).await,
        Err(FetchError::Captcha { .. })
    ));
    let t0 = Instant::now();
    second.fetch_product(Marketplace::Com, &a, None).await.expect("after the cool-down");
    let waited = t0.elapsed();
    assert!(waited >= cooldown - Duration::from_millis(200), "the second worker waited only {waited:?}");
    // A fetcher outside the budget did not hear of it.
    let t0 = Instant::now();
    alone.fetch_product(Marketplace::Com, &b, None).await.unwrap();
    assert!(t0.elapsed() < Duration::from_millis(500));
    drop(store);
    db.drop_db().await;
}
