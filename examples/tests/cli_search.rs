//! `amazcope search` over the saved Amazon pages, imported: words (stemmed in each
//! marketplace's language), an ASIN, an exact title, a misspelled query, and the user and
//! marketplace filters.

mod common;

use common::TestDb;
use serde_json::Value;
use std::path::PathBuf;

fn product_pages() -> Vec<String> {
    let dir = std::env::var("AMAZCOPE_FIXTURES").map(PathBuf::from).unwrap_or_else(|_| {
        PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/fixtures/pages"))
    });
    assert!(dir.is_dir(), "fixture folder {} is missing (set AMAZCOPE_FIXTURES)", dir.display());
    let mut pages: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().contains("_dp_"))
        .map(|p| p.display().to_string())
        .collect();
    pages.sort();
    assert!(pages.len() > 30, "the saved product pages: {}", pages.len());
    pages
}

fn asins(hits: &Value) -> Vec<String> {
    hits.as_array()
        .unwrap()
        .iter()
        .map(|h| format!("{}/{}", h["marketplace"].as_str().unwrap(), h["asin"].as_str().unwrap()))
        .collect()
}

#[tokio::test]
async fn search_ranks_imported_products_by_asin_title_words_and_similar_titles() {
    let db = TestDb::with_users("search", &["alice", "bob"]).await;
    let pages = product_pages();
    let mut args = vec!["import"];
    args.extend(pages.iter().map(String::as_str));
    args.extend(["--user", "alice", "--scraped-at", "2025-03-01"]);
    db.ok(&args);

    // Words, stemmed: "relays modules" finds "SainSmart 4-Channel Relay Module".
    let hits = db.json(&["search", "relays modules", "--json"]);
    assert_eq!(asins(&hits)[0], "com/B0057OC5O8", "{hits:#}");
    assert_eq!(hits[0]["matched"], "text");
    assert!(hits[0]["rank"].as_f64().unwrap() > 0.0);

    // An ASIN (any case) comes first, marked as such.
    let hits = db.json(&["search", "b0057oc5o8", "--json"]);
    assert_eq!(asins(&hits), ["com/B0057OC5O8"], "{hits:#}");
    assert_eq!(hits[0]["matched"], "asin");

    // The exact title first; a product whose title merely shares words after it.
    let hits = db.json(&["search", "the cars - live", "--json"]);
    assert_eq!(asins(&hits)[0], "de/B00004YS4O", "{hits:#}");
    assert_eq!(hits[0]["matched"], "title");
    assert!(asins(&hits).contains(&"co.uk/B00004YS4O".to_string()), "{hits:#}");
    assert_ne!(hits[1]["matched"], "title");

    // A misspelled query: no word matches, the title looks like it.
    let hits = db.json(&["search", "kindel paperwite", "--json"]);
    assert_eq!(asins(&hits)[0], "com/B00OQVZDJM", "{hits:#}");
    assert_eq!(hits[0]["matched"], "similar");

    // The marketplace's language: German stemming on amazon.de ("Schutzhülle" finds
    // "Schutzhüllen"), and only that marketplace.
    let hits = db.json(&["search", "Schutzhülle", "--marketplace", "de", "--json"]);
    assert_eq!(asins(&hits), ["de/B01LW7X0JJ"], "{hits:#}");
    let hits = db.json(&["search", "screen protector", "--marketplace", "ae", "--json"]);
    let found = asins(&hits);
    assert!(found.len() >= 4 && found.iter().all(|a| a.starts_with("ae/")), "{found:?}");
    assert!(
        db.json(&["search", "screen protector", "--marketplace", "de", "--json"])
            .as_array()
            .unwrap()
            .is_empty()
    );

    // --user: only the user's tracked products.
    db.ok(&["track", "add", "B0057OC5O8", "--marketplace", "com", "--user", "alice"]);
    assert_eq!(asins(&db.json(&["search", "relay", "--user", "alice", "--json"])), ["com/B0057OC5O8"]);
    assert!(db.json(&["search", "relay", "--user", "bob", "--json"]).as_array().unwrap().is_empty());
    assert!(db.json(&["search", "programming", "--user", "alice", "--json"]).as_array().unwrap().is_empty());
    assert!(!db.json(&["search", "programming", "--json"]).as_array().unwrap().is_empty());

    // The text table, and errors in the user's words.
    let out = db.ok(&["search", "relay module"]);
    assert!(out.contains("B0057OC5O8") && out.contains("SainSmart"), "{out}");
    assert!(db.fails(&["search", "  "]).contains("empty search"));
    assert!(db.fails(&["search", "x", "--limit", "0"]).contains("1 to 200"));
    assert!(db.fails(&["search", "x", "--user", "carol"]).contains("unknown user"));
    db.drop_db().await;
}
