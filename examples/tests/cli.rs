//! The `amazcope` binary end to end on a fresh database per test (created on the server in
//! `DATABASE_URL`, dropped afterwards): users, tracking, import, alerts, history, stats,
//! replay, report, and clear errors with a non-zero exit on bad input.

mod common;

use common::TestDb;
use std::path::PathBuf;

fn fixture(name: &str) -> String {
    let dir = std::env::var("AMAZCOPE_FIXTURES").map(PathBuf::from).unwrap_or_else(|_| {
        PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/fixtures/pages"))
    });
    assert!(dir.is_dir(), "fixture folder {} is missing (set AMAZCOPE_FIXTURES)", dir.display());
    dir.join(name).display().to_string()
}

#[tokio::test]
async fn track_import_and_read_back_through_the_cli() {
    let db = TestDb::new("flow").await;
    db.ok(&["user", "add", "alice"]);
    db.ok(&["user", "add", "bob"]);
    let users = db.json(&["user", "list", "--json"]);
    assert_eq!(users.as_array().unwrap().len(), 2);

    // A tracked product is created bare; its data comes with the import.
    db.ok(&[
        "track",
        "add",
        "B0011UCPM4",
        "--marketplace",
        "com",
        "--user",
        "alice",
        "--price-threshold",
        "5",
    ]);
    let page = fixture("com_dp_B0011UCPM4.html");
    let report = db.json(&["import", &page, "--user", "bob", "--scraped-at", "2025-03-01", "--json"]);
    assert_eq!(report["ingest"]["snapshots_inserted"], 1);
    // Importing the same page again stores nothing.
    let again = db.json(&["import", &page, "--user", "bob", "--scraped-at", "2025-03-01", "--json"]);
    assert_eq!(again["ingest"]["snapshots_inserted"], 0);
    assert_eq!(again["ingest"]["duplicates"], 1);

    let list = db.json(&["track", "list", "--user", "alice", "--json"]);
    let p = &list[0]["product"];
    assert_eq!(p["asin"], "B0011UCPM4");
    assert_eq!(p["current_price"], "10.99");
    assert_eq!(p["title"], "The Whole Truth (A. Shaw Book 1)");
    // Every image of the page is kept (this one shows one), the first also as image_url.
    assert_eq!(p["image_urls"].as_array().map(Vec::len), Some(1), "{p}");
    assert_eq!(p["image_urls"][0], p["image_url"]);
    assert!(
        db.json(&["track", "list", "--user", "bob", "--json"]).as_array().unwrap().is_empty(),
        "bob tracks nothing"
    );

    let history = db.ok(&["history", "B0011UCPM4", "--marketplace", "com", "--csv"]);
    let lines: Vec<&str> = history.lines().collect();
    assert_eq!(lines.len(), 2, "{history}");
    assert!(lines[1].starts_with("2025-03-01T00:00:00+00:00,10.99,USD"), "{}", lines[1]);
    // Read as a user: alice tracks it and sees the same; bob does not and is refused.
    let as_alice = db.ok(&["history", "B0011UCPM4", "--marketplace", "com", "--csv", "--user", "alice"]);
    assert_eq!(as_alice, history);
    let err = db.fails(&["history", "B0011UCPM4", "--user", "bob"]);
    assert!(err.contains("bob does not track B0011UCPM4 on amazon.com"), "{err}");
    let err = db.fails(&["stats", "B0011UCPM4", "--user", "bob", "--json"]);
    assert!(err.contains("bob does not track B0011UCPM4"), "{err}");
    let stats = db.json(&["stats", "B0011UCPM4", "--json"]);
    assert_eq!(stats["stats"]["windows"][0]["min_price"], "10.99");
    let replay = db.json(&["replay", "B0011UCPM4", "--user", "alice", "--json"]);
    assert!(replay.as_array().unwrap().is_empty(), "one snapshot, nothing to compare");
    let report = db.json(&["report", "--user", "alice", "--at", "2025-03-01T12:00:00Z", "--json"]);
    assert_eq!(report["products_tracked"], 1);
    assert!(db.json(&["alerts", "--user", "alice", "--json"]).as_array().unwrap().is_empty());

    db.ok(&["track", "remove", "B0011UCPM4", "--marketplace", "com", "--user", "alice"]);
    assert!(db.json(&["track", "list", "--user", "alice", "--json"]).as_array().unwrap().is_empty());
    db.drop_db().await;
}

#[tokio::test]
async fn bad_input_is_a_clear_error_with_non_zero_exit() {
    let db = TestDb::new("errors").await;
    db.ok(&["user", "add", "alice"]);
    let e = db.fails(&["track", "add", "B0011UCPM4", "--marketplace", "zz", "--user", "alice"]);
    assert!(e.contains("bad marketplace \"zz\""), "{e}");
    let e = db.fails(&["track", "add", "NOPE", "--marketplace", "com", "--user", "alice"]);
    assert!(e.contains("bad ASIN \"NOPE\""), "{e}");
    let e = db.fails(&["track", "add", "B0011UCPM4", "--marketplace", "com", "--user", "nobody"]);
    assert!(e.contains("nobody"), "{e}");
    let e = db.fails(&[
        "track",
        "add",
        "B0011UCPM4",
        "--marketplace",
        "com",
        "--user",
        "alice",
        "--price-threshold",
        "150",
    ]);
    assert!(e.contains("price_change_threshold"), "{e}");
    let e = db.fails(&["history", "B000000000", "--marketplace", "com"]);
    assert!(e.contains("B000000000") && e.contains("not found"), "{e}");
    let e = db.fails(&["alerts", "--user", "ghost"]);
    assert!(e.contains("unknown user \"ghost\""), "{e}");
    let e = db.fails(&[
        "import",
        &fixture("com_dp_B0011UCPM4.html"),
        "--user",
        "alice",
        "--scraped-at",
        "yesterday",
    ]);
    assert!(e.contains("bad time"), "{e}");
    let e = db.fails(&[
        "import",
        &fixture("com_dp_B0011UCPM4.html"),
        "--user",
        "alice",
        "--scraped-at",
        "2020-01-01",
    ]);
    assert!(e.contains("scraped_at"), "{e}");
    db.drop_db().await;
}

/// `categories list|metrics` on an imported best-seller list: the figures are those of the
/// list the parser reads from the same page (count, min, max, mean and median price).
#[tokio::test]
async fn category_metrics_come_from_an_imported_list() {
    use rust_decimal::Decimal;
    let db = TestDb::new("catmetrics").await;
    db.ok(&["user", "add", "alice"]);
    let page = fixture("com_zgbs_tools-home-improvement.html");
    db.ok(&["import", &page, "--user", "alice", "--scraped-at", "2025-03-01T08:00:00Z"]);

    let parsed = db.json(&["parse", &page, "--json"]);
    let items = parsed["items"].as_array().expect("items");
    let mut prices: Vec<Decimal> = items
        .iter()
        .filter_map(|i| i["price"].as_str()?.parse::<Decimal>().ok())
        .filter(|p| !p.is_zero())
        .collect();
    prices.sort();
    assert!(prices.len() > 10, "the page lists priced items: {prices:?}");
    let mean = (prices.iter().sum::<Decimal>() / Decimal::from(prices.len())).round_dp(2);
    let n = prices.len();
    let median = ((prices[(n - 1) / 2] + prices[n / 2]) / Decimal::TWO).round_dp(2);

    let tree = db.json(&["categories", "list", "--json"]);
    let cat = tree
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["category_id"] == "hi")
        .unwrap_or_else(|| panic!("list's category stored: {tree}"));
    assert_eq!(cat["name"], "Tools & Home Improvement");

    let rows = db.json(&["categories", "metrics", "--category", "hi", "--at", "2025-03-02", "--json"]);
    let rows = rows.as_array().expect("array");
    assert_eq!(rows.len(), 1, "{rows:?}");
    let m = &rows[0];
    assert_eq!(m["category_name"], "Tools & Home Improvement");
    assert_eq!(m["product_count"], items.len());
    assert_eq!(m["recorded_at"], "2025-03-01T08:00:00Z");
    let dec = |v: &serde_json::Value| v.as_str().and_then(|s| s.parse::<Decimal>().ok());
    assert_eq!(dec(&m["min_price"]), prices.first().copied(), "{m}");
    assert_eq!(dec(&m["max_price"]), prices.last().copied(), "{m}");
    assert_eq!(dec(&m["avg_price"]), Some(mean), "{m}");
    assert_eq!(dec(&m["median_price"]), Some(median), "{m}");

    // The same day again replaces that day's row; by name works like by slug.
    let again = db.json(&[
        "categories",
        "metrics",
        "--category",
        "tools & home improvement",
        "--at",
        "2025-03-03",
        "--json",
    ]);
    assert_eq!(again[0]["id"], m["id"], "one row per category per day");
    // Before any list: nothing to compute. An unknown category: a clear error.
    assert!(
        db.json(&["categories", "metrics", "--at", "2025-02-01", "--json"]).as_array().unwrap().is_empty()
    );
    let err = db.fails(&["categories", "metrics", "--category", "nope"]);
    assert!(
        err.contains("invalid category \"nope\": no category has this slug or name on amazon.com"),
        "{err}"
    );
    db.drop_db().await;
}

#[tokio::test]
async fn worker_keeps_the_snapshot_partitions() {
    // A fresh schema holds every month since 2024-01 and three ahead; a worker's upkeep
    // drops the months past its retention and makes the ones ahead it is asked for.
    let db = TestDb::new("upkeep").await;
    let months = || async {
        let mut c = <sqlx::PgConnection as sqlx::Connection>::connect(&db.url).await.unwrap();
        let names: Vec<String> = sqlx::query_scalar(
            "SELECT c.relname::text FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
             WHERE i.inhparent = 'product_snapshots'::regclass AND c.relname <> 'product_snapshots_default'
             ORDER BY 1",
        )
        .fetch_all(&mut c)
        .await
        .unwrap();
        names
    };
    let before = months().await;
    assert_eq!(before.first().map(String::as_str), Some("product_snapshots_2024_01"));
    // Nothing is due: the worker claims nothing, keeps the partitions and exits.
    let out = db.ok(&[
        "worker",
        "--once",
        "--base-url",
        "http://127.0.0.1:9",
        "--partitions-ahead",
        "5",
        "--retention-days",
        "90",
    ]);
    assert!(out.contains("0 claimed"), "{out}");
    let after = months().await;
    let now = chrono::Utc::now();
    let month = |offset: i32| {
        use chrono::Datelike;
        let m = now.year() * 12 + now.month0() as i32 + offset;
        format!("product_snapshots_{}_{:02}", m.div_euclid(12), m.rem_euclid(12) + 1)
    };
    assert_eq!(after.last(), Some(&month(5)), "{after:?}");
    assert!(after.first() >= Some(&month(-4)), "months past the retention are gone: {after:?}");
    assert!(after.contains(&month(-2)), "months inside the retention stay: {after:?}");
    let e = db.fails(&["worker", "--once", "--retention-days=-1"]);
    assert!(e.contains("--retention-days must not be negative"), "{e}");
    db.drop_db().await;
}
