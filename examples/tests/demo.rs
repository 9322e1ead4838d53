//! `amazcope demo` end to end on a fresh database: the storefront, the fetcher, the parser,
//! the pipeline and the alert rules together, run twice to show the second run adds nothing.

mod common;

use common::TestDb;
use sqlx::{Connection, Executor, PgConnection, Row};
use std::process::Command;

async fn counts(url: &str) -> (i64, i64, i64) {
    let mut c = PgConnection::connect(url).await.expect("connect to the demo database");
    let row = c
        .fetch_one(
            "SELECT (SELECT count(*) FROM product_snapshots), (SELECT count(*) FROM alerts),
                    (SELECT count(*) FROM notifications)",
        )
        .await
        .expect("count rows");
    (row.get(0), row.get(1), row.get(2))
}

fn demo(url: &str) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_amazcope"))
        .args(["demo", "--days", "8", "--products", "12"])
        .env("DATABASE_URL", url)
        .output()
        .expect("run amazcope demo");
    assert!(out.status.success(), "demo failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("utf-8 output")
}

#[tokio::test]
async fn demo_alerts_each_user_by_their_thresholds_and_a_second_run_adds_nothing() {
    let db = TestDb::empty("amzdemo").await;
    let url = db.url.clone();

    let first = demo(&url);
    for user in ["alice", "bob"] {
        assert!(first.contains(user), "the demo output names {user}:\n{first}");
    }
    let after_first = counts(&url).await;
    assert!(after_first.0 > 12 * 6, "expected snapshots for most product-days, got {}", after_first.0);
    assert!(after_first.1 > 0, "the scripted price drop must raise alerts");
    assert_eq!(after_first.1, after_first.2, "every alert has its notification");

    // Product #3 drops 25% on day 5: both users (5% and 15% price thresholds) are told, and
    // alice, with the lower thresholds, gets at least as many price alerts as bob.
    let mut c = PgConnection::connect(&url).await.unwrap();
    let rows = c
        .fetch_all(
            "SELECT u.username, count(*) FILTER (WHERE a.change_percentage <= -24.9) AS drops,
                    count(*) AS price_alerts
             FROM alerts a JOIN users u ON u.id = a.user_id
             WHERE a.alert_type = 'price_change' GROUP BY u.username ORDER BY u.username",
        )
        .await
        .unwrap();
    let per_user: Vec<(String, i64, i64)> = rows.iter().map(|r| (r.get(0), r.get(1), r.get(2))).collect();
    assert_eq!(per_user.len(), 2, "both users got price alerts: {per_user:?}");
    assert!(per_user.iter().all(|(_, drops, _)| *drops >= 1), "the 25% drop reached both: {per_user:?}");
    assert!(
        per_user[0].2 >= per_user[1].2,
        "alice (5%) gets at least bob's (15%) price alerts: {per_user:?}"
    );

    demo(&url);
    assert_eq!(counts(&url).await, after_first, "a second run stores no snapshot, alert or notification");

    c.close().await.ok();
    db.drop_db().await;
}
