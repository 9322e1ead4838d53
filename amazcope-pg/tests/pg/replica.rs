//! Read replicas (issue 18) against a real streaming standby made with `pg_basebackup -R`:
//! analytics reads run on the standby while it keeps up, and on the primary (with a warning
//! in the log) while it lags past the bound or is stopped; an idle primary does not make a
//! caught-up standby look late.

use crate::repos::common::{product, snapshot};
use amazcope_core::{SnapshotRepository, TimeRange};
use amazcope_pg::PgStore;
use amazcope_pg::cluster::ClusterSettings;
use amazcope_pg::inspect;
use amazcope_pg::replica::{ReadRoute, ReplicaConfig};
use amazcope_pg::testing::{TempCluster, TempStandby};
use chrono::{TimeZone, Utc};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The library's log lines, kept for the assertions.
static LOG: Mutex<Vec<String>> = Mutex::new(Vec::new());

struct Capture;
impl log::Log for Capture {
    fn enabled(&self, m: &log::Metadata<'_>) -> bool {
        m.target().starts_with("amazcope")
    }
    fn log(&self, r: &log::Record<'_>) {
        if self.enabled(r.metadata()) {
            LOG.lock().unwrap().push(format!("{} {}", r.level(), r.args()));
        }
    }
    fn flush(&self) {}
}

fn warnings() -> Vec<String> {
    LOG.lock().unwrap().iter().filter(|l| l.starts_with("WARN")).cloned().collect()
}

async fn wait_for<F, Fut>(what: &str, mut f: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(30);
    while !f().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn in_recovery(pool: &sqlx::PgPool) -> bool {
    sqlx::query_scalar("SELECT pg_is_in_recovery()").fetch_one(pool).await.unwrap()
}

#[tokio::test]
async fn analytics_reads_use_the_standby_and_fall_back_when_it_lags_or_stops() {
    let _ = log::set_logger(&Capture).map(|()| log::set_max_level(log::LevelFilter::Info));
    let temp =
        TempCluster::start(&ClusterSettings::from_lookup(|k| std::env::var_os(k))).expect("private cluster");
    let url = temp.cluster().ensure_database("amazcope").await.unwrap();
    let writer = PgStore::connect_url(&url).await.unwrap();
    writer.migrate().await.unwrap();
    let p = product(&writer, "B000REPL01", None).await;
    let t = |d: u32| Utc.with_ymd_and_hms(2025, 3, d, 0, 0, 0).unwrap();
    writer.insert_snapshot(&snapshot(&p, t(1), 1)).await.unwrap();

    let standby = TempStandby::start(temp.cluster(), 5433).expect("standby from pg_basebackup -R");
    let config = ReplicaConfig { max_lag: Duration::from_secs(3), recheck: Duration::ZERO };
    let store =
        PgStore::connect_url(&url).await.unwrap().with_read_url(&standby.url("amazcope"), config).unwrap();
    let replica = store.replica_pool().unwrap().clone();
    let count =
        |s: PgStore| async move { s.product_history(p.id, TimeRange::default()).await.unwrap().len() };

    // Caught up: the analytics session is the standby's.
    wait_for("the standby to replay the first snapshot", || async {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM product_snapshots")
            .fetch_one(&replica)
            .await
            .unwrap()
            == 1
    })
    .await;
    assert!(matches!(store.read_route().await, ReadRoute::Replica { .. }), "{:?}", store.read_route().await);
    assert!(in_recovery(store.read_pool().await).await, "analytics run where pg_is_in_recovery()");
    assert!(!in_recovery(store.pool()).await, "writes stay on the primary");

    // db stats' replication key lists the standby with its lag.
    wait_for("the standby's first status report", || async {
        let stats = inspect::db_stats(store.pool(), Duration::from_secs(1)).await.unwrap();
        let json = serde_json::to_value(&stats).unwrap();
        json["replication"][0]["state"] == "streaming" && json["replication"][0]["replay_lag_bytes"].is_i64()
    })
    .await;

    // An idle primary: no commit for longer than the bound. The standby's last replayed
    // transaction is old, but it has everything: still read from, with no lag.
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(store.read_route().await, ReadRoute::Replica { lag: Duration::ZERO });

    // A fresh commit replayed, then replay paused and one more commit: the standby is
    // behind but within the bound, so reads stay there and see the older history.
    writer.insert_snapshot(&snapshot(&p, t(2), 2)).await.unwrap();
    wait_for("the second snapshot on the standby", || count(store.clone()).then_eq(2)).await;
    sqlx::query("SELECT pg_wal_replay_pause()").execute(&replica).await.unwrap();
    writer.insert_snapshot(&snapshot(&p, t(3), 3)).await.unwrap();
    assert!(matches!(store.read_route().await, ReadRoute::Replica { lag } if lag > Duration::ZERO));
    assert_eq!(count(store.clone()).await, 2, "read from the (lagging) standby");
    assert!(warnings().is_empty(), "{:?}", warnings());

    // Past the bound: reads go to the primary, which has the third snapshot, and the log
    // says so once.
    tokio::time::sleep(Duration::from_secs(4)).await;
    let route = store.read_route().await;
    assert!(matches!(&route, ReadRoute::Fallback { reason } if reason.contains("lags")), "{route:?}");
    assert_eq!(count(store.clone()).await, 3, "read from the primary");
    assert!(!in_recovery(store.read_pool().await).await);
    let w = warnings();
    assert_eq!(w.len(), 1, "one warning for the change of route: {w:?}");
    assert!(w[0].contains("analytics read from the primary"), "{w:?}");

    // Replay resumed: back on the standby.
    sqlx::query("SELECT pg_wal_replay_resume()").execute(&replica).await.unwrap();
    wait_for("the standby to catch up", || async {
        matches!(store.read_route().await, ReadRoute::Replica { .. })
    })
    .await;
    assert!(in_recovery(store.read_pool().await).await);
    assert_eq!(count(store.clone()).await, 3);

    // Stopped: the primary answers, and the log says why.
    standby.stop().unwrap();
    let route = store.read_route().await;
    assert!(
        matches!(&route, ReadRoute::Fallback { reason } if reason.contains("cannot be reached")),
        "{route:?}"
    );
    assert_eq!(count(store.clone()).await, 3);
    assert_eq!(warnings().len(), 2, "{:?}", warnings());
}

/// `async` equality for [`wait_for`] closures.
trait ThenEq {
    fn then_eq(self, v: usize) -> impl std::future::Future<Output = bool>;
}
impl<F: std::future::Future<Output = usize>> ThenEq for F {
    async fn then_eq(self, v: usize) -> bool {
        self.await == v
    }
}
