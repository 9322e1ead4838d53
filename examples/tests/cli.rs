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

    // The day's rollup was kept with the snapshot; a rebuild recomputes that one day.
    assert_eq!(db.json(&["db", "rollups", "--rebuild", "--json"])["days_rebuilt"], 1);
    let e = db.fails(&["db", "rollups", "--rebuild", "--from", "2025-03-02", "--to", "2025-03-01"]);
    assert!(e.contains("--from 2025-03-02 is after --to 2025-03-01"), "{e}");
    // Each snapshot carries the quality of its tracked values (issue 17).
    let json = db.json(&["history", "B0011UCPM4", "--marketplace", "com", "--json"]);
    let q = &json[0]["quality"];
    assert_eq!((q["price"].as_str(), q["stock"].as_str()), (Some("ok"), Some("ok")), "{json}");
    assert!(json[0]["page_asin"].is_null(), "{json}");
    // Rows carry their resolution (issue 15): a raw snapshot here; `--daily` gives the day.
    assert_eq!(
        (json[0]["resolution"].as_str(), json[0]["price"].as_str()),
        (Some("raw"), Some("10.99")),
        "{json}"
    );
    let daily = db.json(&["history", "B0011UCPM4", "--marketplace", "com", "--daily", "--json"]);
    assert_eq!(
        (daily[0]["resolution"].as_str(), daily[0]["at"].as_str(), daily[0]["price_min"].as_str()),
        (Some("daily"), Some("2025-03-01T00:00:00Z"), Some("10.99")),
        "{daily}"
    );
    // The chart, as SVG and PNG; a file name of another kind is refused before any work.
    let dir = tempfile::tempdir().unwrap();
    for name in ["c.svg", "c.png"] {
        let out = dir.path().join(name).display().to_string();
        db.ok(&["chart", "B0011UCPM4", "--marketplace", "com", "--out", &out]);
        let bytes = std::fs::read(&out).unwrap();
        if name.ends_with("svg") {
            let svg = String::from_utf8(bytes).unwrap();
            assert!(svg.contains("Price (USD)") && svg.contains("B0011UCPM4 on amazon.com"), "{svg}");
        } else {
            assert!(bytes.starts_with(b"\x89PNG"), "a PNG");
        }
    }
    let e = db.fails(&["chart", "B0011UCPM4", "--out", "c.jpg"]);
    assert!(e.contains("--out c.jpg must end in .svg or .png"), "{e}");
    let e = db.fails(&["chart", "B0011UCPM4", "--user", "bob", "--out", "c.svg"]);
    assert!(e.contains("bob does not track B0011UCPM4 on amazon.com"), "{e}");
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
    assert!(e.contains("invalid marketplace \"zz\""), "{e}");
    assert_eq!(e.matches("zz").count(), 1, "the problem is said once: {e}");
    let e = db.fails(&["track", "add", "NOPE", "--marketplace", "com", "--user", "alice"]);
    assert_eq!(e.trim(), "error: invalid asin \"NOPE\": must be 10 characters, got 4");
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
    // Nothing is due: the worker claims nothing, keeps the partitions and exits. Expired
    // months are archived to AMAZCOPE_ARCHIVE before they go (never dropped without it).
    let archive = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_amazcope"))
        .args([
            "worker",
            "--once",
            "--base-url",
            "http://127.0.0.1:9",
            "--partitions-ahead",
            "5",
            "--retention-days",
            "90",
        ])
        .env("DATABASE_URL", &db.url)
        .env("AMAZCOPE_ARCHIVE", archive.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = String::from_utf8(out.stdout).unwrap();
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

/// A product URL is taken wherever an ASIN is; errors name users and products the way the
/// user wrote them, once, without ids or constraint names.
#[tokio::test]
async fn product_urls_and_errors_in_the_users_words() {
    let db = TestDb::new("urls").await;
    db.ok(&["user", "add", "alice"]);
    let url = "https://www.amazon.com/Instant-Pot-Multi-Use/dp/B00FLYWNYQ?th=1";
    let out = db.ok(&["track", "add", url, "--user", "alice"]);
    assert_eq!(out.trim(), "alice now tracks B00FLYWNYQ on amazon.com");
    let e = db.fails(&["track", "add", url, "--user", "alice"]);
    assert_eq!(e.trim(), "error: alice already tracks B00FLYWNYQ on amazon.com");
    let e = db.fails(&["track", "add", "b00flywnyq", "-m", "com", "--user", "alice"]);
    assert_eq!(e.trim(), "error: alice already tracks B00FLYWNYQ on amazon.com");
    // The URL's host names the marketplace; a flag that disagrees is refused.
    let de = "https://www.amazon.de/gp/product/B00FLYWNYQ/ref=x";
    assert!(db.ok(&["track", "add", de, "--user", "alice"]).contains("B00FLYWNYQ on amazon.de"));
    let e = db.fails(&["track", "add", de, "-m", "fr", "--user", "alice"]);
    assert!(e.contains("is on amazon.de but the marketplace given is amazon.fr"), "{e}");
    let e = db.fails(&["track", "add", "https://www.amazon.com/gp/bestsellers/", "--user", "alice"]);
    assert!(e.contains("has no ASIN"), "{e}");
    let e = db.fails(&["track", "add", url, "--user", "nobody"]);
    assert!(e.contains("unknown user \"nobody\""), "{e}");
    assert!(
        db.fails(&["user", "add", "alice"]).trim().ends_with("user name alice is already taken")
            || db.fails(&["user", "add", "alice"]).contains("alice@localhost is already registered")
    );
    // Reads take URLs too, and say who does not track what.
    assert!(db.ok(&["history", url]).contains("B00FLYWNYQ on amazon.com"));
    db.ok(&["user", "add", "bob"]);
    let e = db.fails(&["history", url, "--user", "bob"]);
    assert!(e.contains("bob does not track B00FLYWNYQ on amazon.com"), "{e}");
    db.ok(&["track", "remove", de, "--user", "alice"]);
    let list = db.json(&["track", "list", "--user", "alice", "--json"]);
    assert_eq!(list.as_array().map(Vec::len), Some(1), "{list}");
    for e in [
        db.fails(&["track", "add", url, "--user", "alice"]),
        db.fails(&["track", "add", "NOPE", "-u", "alice"]),
    ] {
        assert!(!e.contains("constraint") && !e.contains("uq_"), "{e}");
    }
    db.drop_db().await;
}

#[tokio::test]
async fn settings_show_set_validate_and_reset() {
    let db = TestDb::with_users("settings", &["alice", "bob"]).await;
    let s = db.json(&["settings", "--user", "alice", "--json"]);
    assert_eq!(
        (s["default_price_threshold"].as_f64(), s["daily_summary_emails"].as_bool()),
        (Some(10.0), Some(false))
    );
    let text = db.ok(&["settings", "--user", "alice"]);
    assert!(text.lines().any(|l| l.split_whitespace().eq(["default_bsr_threshold", "30.0"])), "{text}");
    let keys: Vec<&str> = text.lines().filter_map(|l| l.split_whitespace().next()).collect();
    assert!(!keys.contains(&"user_id") && !keys.contains(&"created_at") && keys.len() == 20, "{text}");

    let s = db.json(&[
        "settings",
        "--user",
        "alice",
        "--set",
        "default_price_threshold=5",
        "--set",
        "daily_summary_emails=true",
        "--set",
        "theme=dark",
        "--set",
        "products_per_page=50",
        "--json",
    ]);
    assert_eq!(s["default_price_threshold"].as_f64(), Some(5.0));
    assert_eq!(s["daily_summary_emails"], true);
    assert_eq!((s["theme"].as_str(), s["products_per_page"].as_i64()), (Some("dark"), Some(50)));
    assert_eq!(db.json(&["settings", "-u", "bob", "--json"])["theme"], "light", "bob's are his own");

    let e = db.fails(&["settings", "--user", "alice", "--set", "colour=red"]);
    assert!(e.contains("unknown setting \"colour\"") && e.contains("default_price_threshold"), "{e}");
    let e = db.fails(&["settings", "--user", "alice", "--set", "default_bsr_threshold=150"]);
    assert!(e.contains("default_bsr_threshold") && e.contains("150"), "{e}");
    let e = db.fails(&["settings", "--user", "alice", "--set", "price_alert_emails=yes"]);
    assert!(e.contains("price_alert_emails must be true or false"), "{e}");
    let e = db.fails(&["settings", "--user", "alice", "--set", "theme"]);
    assert!(e.contains("expected KEY=VALUE"), "{e}");
    assert_eq!(
        db.json(&["settings", "-u", "alice", "--json"])["default_price_threshold"].as_f64(),
        Some(5.0)
    );

    let s = db.json(&["settings", "--user", "alice", "--reset", "--json"]);
    assert_eq!((s["default_price_threshold"].as_f64(), s["theme"].as_str()), (Some(10.0), Some("light")));
    let s = db.json(&["settings", "--user", "alice", "--reset", "--set", "theme=auto", "--json"]);
    assert_eq!((s["theme"].as_str(), s["daily_summary_emails"].as_bool()), (Some("auto"), Some(false)));
    assert_eq!(db.json(&["settings", "-u", "bob", "--json"])["products_per_page"], 20);
    db.drop_db().await;
}

/// Notifications made through the library: each is an alert's (the one write of both).
async fn notify(url: &str, user: &str, titles: &[&str]) {
    use amazcope_core::model::alert::NewAlert;
    use amazcope_core::model::product::ProductUpsert;
    use amazcope_core::{
        AlertRepository, AlertType, Marketplace, ProductRepository, Severity, UserRepository,
    };
    let store = amazcope_pg::PgStore::connect_url(url).await.unwrap();
    let u = store.user_by_name(user).await.unwrap().unwrap();
    let p = store
        .upsert_product(&ProductUpsert::bare("B0000000N1".parse().unwrap(), Marketplace::Com, None))
        .await
        .unwrap();
    let alerts: Vec<NewAlert> = titles
        .iter()
        .map(|t| NewAlert {
            user_id: u.id,
            product_id: p.id,
            snapshot_id: None,
            snapshot_scraped_at: None,
            alert_type: AlertType::PriceChange,
            severity: Severity::Info,
            title: (*t).into(),
            message: "m".into(),
            old_value: None,
            new_value: None,
            change_percentage: None,
            created_at: chrono::Utc::now(),
        })
        .collect();
    store.create_alerts(&alerts).await.unwrap();
}

#[tokio::test]
async fn notifications_list_read_and_purge_per_user() {
    let db = TestDb::with_users("notes", &["alice", "bob"]).await;
    assert_eq!(db.ok(&["notifications", "--user", "alice"]).trim(), "no notifications");
    notify(&db.url, "alice", &["one", "two", "three"]).await;
    notify(&db.url, "bob", &["bobs"]).await;

    let all = db.json(&["notifications", "--user", "alice", "--json"]);
    assert_eq!(all.as_array().map(Vec::len), Some(3));
    let id = all[0]["id"].as_str().unwrap().to_owned();
    let bobs = db.json(&["notifications", "-u", "bob", "--json"])[0]["id"].as_str().unwrap().to_owned();
    assert!(db.ok(&["notifications", "read", &id, "--user", "alice"]).contains("marked read"));
    let unread = db.json(&["notifications", "--user", "alice", "--unread", "--json"]);
    assert_eq!(unread.as_array().map(Vec::len), Some(2));
    assert!(unread.as_array().unwrap().iter().all(|n| n["id"] != id.as_str()));
    // Bob's notification is not alice's to read.
    let e = db.fails(&["notifications", "read", &bobs, "--user", "alice"]);
    assert!(e.contains("not found"), "{e}");
    let e = db.fails(&["notifications", "read", "not-an-id", "--user", "alice"]);
    assert!(e.contains("bad notification id \"not-an-id\""), "{e}");
    assert_eq!(
        db.ok(&["notifications", "read", "--all", "--user", "alice"]).trim(),
        "2 notifications marked read"
    );
    assert!(db.json(&["notifications", "-u", "alice", "--unread", "--json"]).as_array().unwrap().is_empty());

    assert!(
        db.ok(&["notifications", "purge", "--older-than", "1", "-u", "alice"]).starts_with("0 notifications")
    );
    assert!(
        db.ok(&["notifications", "purge", "--older-than", "0", "-u", "alice"]).starts_with("3 notifications")
    );
    assert!(db.json(&["notifications", "-u", "alice", "--json"]).as_array().unwrap().is_empty());
    assert_eq!(
        db.json(&["notifications", "-u", "bob", "--unread", "--json"]).as_array().map(Vec::len),
        Some(1)
    );
    db.drop_db().await;
}

#[tokio::test]
async fn suggestion_stats_count_one_users_suggestions() {
    use amazcope_core::model::suggestion::NewSuggestion;
    use amazcope_core::{SuggestionCategory, SuggestionPriority, SuggestionRepository, UserRepository};
    let db = TestDb::with_users("sugstats", &["alice", "bob"]).await;
    let empty = db.json(&["suggestions", "stats", "--user", "alice", "--json"]);
    assert_eq!(empty["total"], 0);
    let store = amazcope_pg::PgStore::connect_url(&db.url).await.unwrap();
    for (user, key, priority, category) in [
        ("alice", "a", SuggestionPriority::High, SuggestionCategory::Pricing),
        ("alice", "b", SuggestionPriority::Low, SuggestionCategory::Pricing),
        ("alice", "c", SuggestionPriority::Low, SuggestionCategory::Content),
        ("bob", "d", SuggestionPriority::Medium, SuggestionCategory::Tracking),
    ] {
        let u = store.user_by_name(user).await.unwrap().unwrap();
        let new = NewSuggestion {
            user_id: u.id,
            product_id: None,
            title: format!("s {key}"),
            description: "d".into(),
            reasoning: "r".into(),
            priority,
            category,
            ai_model: "rules-v1".into(),
            confidence_score: None,
            expires_at: None,
            estimated_impact: None,
            dedup_key: key.into(),
            actions: vec![],
        };
        store.create_suggestion(&new).await.unwrap();
    }
    let s = db.json(&["suggestions", "stats", "--user", "alice", "--json"]);
    assert_eq!(s["total"], 3);
    assert_eq!(s["by_status"], serde_json::json!({"pending": 3}));
    assert_eq!(s["by_category"], serde_json::json!({"pricing": 2, "content": 1}));
    assert_eq!(s["by_priority"], serde_json::json!({"low": 2, "high": 1}));
    let text = db.ok(&["suggestions", "stats", "--user", "bob"]);
    assert!(text.starts_with("1 suggestions") && text.contains("tracking 1"), "{text}");
    db.drop_db().await;
}

/// `amazcope … | head -1`: a reader that goes away early ends the command quietly, with
/// success and no panic. The read end is closed before the command writes anything, so its
/// first line meets a closed pipe every time.
#[tokio::test]
async fn closed_stdout_ends_every_command_quietly() {
    use std::process::{Command, Stdio};
    let db = TestDb::new("pipe").await;
    db.ok(&["user", "add", "alice"]);
    db.ok(&["track", "add", "B00FLYWNYQ", "-u", "alice"]);
    let page = fixture("com_dp_B0011UCPM4.html");
    for args in [
        &["suggestions", "list", "--user", "alice"][..],
        &["suggestions", "stats", "--user", "alice", "--json"],
        &["track", "list", "--user", "alice"],
        &["settings", "--user", "alice"],
        &["notifications", "--user", "alice"],
        &["alerts", "--user", "alice"],
        &["user", "list", "--json"],
        &["parse", "--json", &page],
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_amazcope"))
            .args(args)
            .env("DATABASE_URL", &db.url)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "amazcope {args:?}: {:?} {err}", out.status);
        assert!(err.is_empty(), "amazcope {args:?} wrote to stderr: {err}");
    }
    db.drop_db().await;
}

/// A directory stands for its `*.html` files, recursively and in path order; nothing but
/// the report is written when standard error is not a terminal.
#[tokio::test]
async fn import_takes_directories_recursively_in_order() {
    let db = TestDb::new("importdir").await;
    db.ok(&["user", "add", "alice"]);
    let dir = tempfile::tempdir().unwrap();
    let nested = dir.path().join("b").join("deeper");
    std::fs::create_dir_all(&nested).unwrap();
    std::fs::copy(fixture("com_dp_B0011UCPM4.html"), dir.path().join("a.html")).unwrap();
    std::fs::copy(fixture("de_dp_B00004YS4O.html"), nested.join("c.HTML")).unwrap();
    std::fs::write(dir.path().join("b").join("notes.txt"), "not a page").unwrap();
    let d = dir.path().display().to_string();
    let out = db.run(&["import", &d, "--user", "alice", "--scraped-at", "2025-03-01", "--json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        out.stderr.is_empty(),
        "no progress output off a terminal: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let sources: Vec<&str> =
        report["ingest"]["pages"].as_array().unwrap().iter().map(|p| p["source"].as_str().unwrap()).collect();
    assert_eq!(sources.len(), 2, "{report}");
    assert!(sources[0].ends_with("a.html") && sources[1].ends_with("c.HTML"), "{sources:?}");
    assert_eq!(report["ingest"]["snapshots_inserted"], 2);

    let empty = tempfile::tempdir().unwrap();
    let e = db.fails(&["import", &empty.path().display().to_string(), "--user", "alice"]);
    assert!(e.contains("holds no .html file"), "{e}");
    db.drop_db().await;
}
