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
    assert!(
        db.json(&["track", "list", "--user", "bob", "--json"]).as_array().unwrap().is_empty(),
        "bob tracks nothing"
    );

    let history = db.ok(&["history", "B0011UCPM4", "--marketplace", "com", "--csv"]);
    let lines: Vec<&str> = history.lines().collect();
    assert_eq!(lines.len(), 2, "{history}");
    assert!(lines[1].starts_with("2025-03-01T00:00:00+00:00,10.99,USD"), "{}", lines[1]);
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
