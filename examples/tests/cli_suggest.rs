//! `amazcope summary|trends|compare|suggest|suggestions` end to end on a fresh database:
//! values read back as JSON, per-user scoping, and clear errors with a non-zero exit.

mod common;

use common::TestDb;
use sqlx::{Connection, Executor, PgConnection};

/// Two tracked products of alice's and one of bob's, each with 95 daily snapshots ending a
/// day ago (price 20.00 + 0.10 per day back, BSR 500 + days back, 100 − days back reviews).
async fn seeded(tag: &str) -> TestDb {
    let db = TestDb::new(tag).await;
    db.ok(&["user", "add", "alice"]);
    db.ok(&["user", "add", "bob"]);
    db.ok(&["track", "add", "B0CLISUG01", "-m", "com", "-u", "alice"]);
    db.ok(&["track", "add", "B0CLISUG02", "-m", "com", "-u", "alice"]);
    db.ok(&["track", "add", "B0CLISUG03", "-m", "com", "-u", "bob"]);
    let mut c = PgConnection::connect(&db.url).await.expect("connect");
    c.execute(
        "UPDATE products SET title = 'Cable', last_snapshot_at = now() - interval '1 day';
         INSERT INTO product_snapshots (product_id, scraped_at, price, bsr_main_category, rating,
             review_count, in_stock)
         SELECT p.id, date_trunc('second', now()) - make_interval(days => d), 20 + d * 0.1,
                500 + d, 3.5, 100 - d, true
         FROM products p, generate_series(1, 95) d",
    )
    .await
    .expect("seed snapshots");
    db
}

#[tokio::test]
async fn summary_trends_and_compare_read_back_per_user() {
    let db = seeded("analytics").await;
    let s = db.json(&["summary", "B0CLISUG01", "-m", "com", "-u", "alice", "--json"]);
    let summary = &s["summary"];
    assert_eq!(summary["current_price"], "20.10", "latest price");
    assert_eq!(summary["current_bsr"], 501, "latest bsr");
    // Baselines: the snapshots exactly 7 days back (93 reviews) and 30 days back (23.00),
    // seeded a moment before the command runs, so "at or before" takes them.
    assert_eq!(summary["review_growth_7d"], 6, "99 − 93");
    let p30 = summary["price_change_30d"].as_f64().expect("30-day change");
    assert!((p30 - (20.1 - 23.0) / 23.0 * 100.0).abs() < 1e-6, "price 30d {p30}");

    let t = db.json(&[
        "trends",
        "B0CLISUG01",
        "-m",
        "com",
        "-u",
        "alice",
        "--fields",
        "price,review_count",
        "--days",
        "10",
        "--bucket",
        "day",
        "--json",
    ]);
    let fields = t["trends"]["fields"].as_array().expect("fields");
    assert_eq!(fields.len(), 2, "two fields");
    assert_eq!(fields[0]["field"], "price");
    let buckets = fields[0]["series"]["points"].as_array().expect("buckets");
    assert_eq!(buckets.len(), 9, "days 1..9 back are inside 10 days, day 10 is on the edge");
    assert_eq!(buckets.last().expect("last")["last"], "20.10");

    let err = db.fails(&["trends", "B0CLISUG01", "-m", "com", "-u", "alice", "--fields", "price,bogus"]);
    assert!(err.contains("unknown trend field \"bogus\"") && err.contains("has_amazons_choice"), "{err}");
    let err = db.fails(&["trends", "B0CLISUG01", "-m", "com", "-u", "alice", "--bucket", "month"]);
    assert!(err.contains("unknown granularity"), "{err}");

    let c = db.json(&[
        "compare",
        "B0CLISUG01",
        "B0CLISUG02",
        "-m",
        "com",
        "-u",
        "alice",
        "--metric",
        "bsr",
        "--days",
        "7",
        "--json",
    ]);
    let products = c["products"].as_array().expect("products");
    assert_eq!(products.len(), 2);
    assert_eq!(products[0]["points"].as_array().expect("points").len(), 6, "days 1..6 back");
    let err = db.fails(&["compare", "B0CLISUG01", "B0CLISUG03", "-m", "com", "-u", "alice"]);
    assert!(err.contains("alice does not track B0CLISUG03"), "{err}");
    let err = db.fails(&["compare", "B0CLISUG01", "-m", "com", "-u", "alice", "--metric", "sales"]);
    assert!(err.contains("unknown metric"), "{err}");
    let err = db.fails(&["summary", "B0CLISUG03", "-m", "com", "-u", "alice"]);
    assert!(err.contains("alice does not track B0CLISUG03"), "{err}");
    let err = db.fails(&["summary", "B0CLISUG01", "-m", "com", "-u", "nobody"]);
    assert!(err.contains("unknown user \"nobody\""), "{err}");
    db.drop_db().await;
}

#[tokio::test]
async fn suggest_then_review_and_apply_through_the_cli() {
    let db = seeded("suggest").await;
    let first = db.json(&["suggest", "-u", "alice", "--json"]);
    let created = first["created"].as_array().expect("created").len();
    assert!(created >= 2, "content rules fire on both thin listings: {first}");
    assert_eq!(first["products"], 2);
    let second = db.json(&["suggest", "-u", "alice", "--json"]);
    assert_eq!(second["created"].as_array().expect("created").len(), 0, "second run adds none");
    assert_eq!(second["skipped"], created, "every proposal already pending");

    let list = db.json(&["suggestions", "list", "-u", "alice", "--json"]);
    assert_eq!(list.as_array().expect("list").len(), created);
    let s = &list[0];
    let id = s["id"].as_str().expect("id").to_owned();
    let action = s["actions"][0]["id"].as_str().expect("action id").to_owned();

    // Bob sees nothing of alice's and can change nothing.
    assert!(db.ok(&["suggestions", "list", "-u", "bob"]).contains("no suggestions"));
    for args in [
        vec!["suggestions", "show", id.as_str(), "-u", "bob"],
        vec!["suggestions", "approve", id.as_str(), "-u", "bob"],
        vec!["suggestions", "reject", id.as_str(), "-u", "bob"],
        vec!["suggestions", "apply", id.as_str(), "-u", "bob"],
    ] {
        let err = db.fails(&args);
        assert!(err.contains(&format!("suggestion {id} not found")), "{args:?}: {err}");
    }

    let err = db.fails(&["suggestions", "apply", &id, "-u", "alice"]);
    assert!(err.contains("cannot apply suggestion") && err.contains("pending"), "{err}");
    let approved = db.json(&["suggestions", "approve", &id, "--actions", &action, "-u", "alice", "--json"]);
    assert_eq!(approved["status"], "approved", "every action of it approved");
    let err = db.fails(&["suggestions", "reject", &id, "-u", "alice"]);
    assert!(err.contains("it is approved"), "{err}");
    let applied = db.json(&["suggestions", "apply", &id, "-u", "alice", "--json"]);
    assert_eq!(applied["actions"][0]["status"], "applied");
    assert!(applied["actions"][0]["applied_at"].is_string(), "when it was applied");
    let err = db.fails(&["suggestions", "show", "not-an-id", "-u", "alice"]);
    assert!(err.contains("bad suggestion id"), "{err}");
    db.drop_db().await;
}
