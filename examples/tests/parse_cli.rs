//! `amazcope parse` without a database: the quality flags and competing readings of
//! `--json`, and the per-field report of `--summary DIR` (text and `--json`).

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn fixtures() -> PathBuf {
    let dir = std::env::var("AMAZCOPE_FIXTURES").map(PathBuf::from).unwrap_or_else(|_| {
        PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/fixtures/pages"))
    });
    assert!(dir.is_dir(), "fixture folder {} is missing (set AMAZCOPE_FIXTURES)", dir.display());
    dir
}

fn amazcope(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_amazcope")).args(args).output().expect("run amazcope");
    assert!(out.status.success(), "amazcope {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("utf-8 output")
}

fn json(args: &[&str]) -> Value {
    let out = amazcope(args);
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("amazcope {args:?}: not JSON ({e}):\n{out}"))
}

/// A copy of a saved page whose embedded buy-box price (1.23) disagrees with the visible
/// one ($8.99).
fn disagreeing_page(dir: &Path) -> PathBuf {
    let html = std::fs::read_to_string(fixtures().join("com_dp_B0057OC5O8.html")).expect("read page");
    let changed = html.replacen("\"priceAmount\":8.99", "\"priceAmount\":1.23", 1);
    assert_ne!(changed, html, "the page's embedded price moved; update the test");
    let path = dir.join("disagree.html");
    std::fs::write(&path, changed).expect("write page");
    path
}

#[test]
fn parse_json_shows_quality_flags_and_competing_readings() {
    let page = fixtures().join("com_dp_B0057OC5O8.html");
    let v = json(&["parse", "--json", page.to_str().expect("utf-8 path")]);
    assert_eq!(v["price"], "8.99");
    for field in ["price", "bsr", "rating", "review_count", "stock"] {
        assert_eq!(v["quality"][field], "ok", "{field}: {}", v["quality"]);
    }
    assert_eq!(v["quality"]["list_price"], "absent");
    assert!(v["quality"].get("readings").is_none(), "{}", v["quality"]);
    assert_eq!(v["seller"], "SainSmart Official");
    assert_eq!(v["parent_asin"], "B0B31MHVGM");

    let tmp = tempfile::tempdir().expect("temp dir");
    let bad = disagreeing_page(tmp.path());
    let v = json(&["parse", "--json", bad.to_str().expect("utf-8 path")]);
    assert_eq!(v["price"], Value::Null, "a disagreeing price is never guessed");
    assert_eq!(v["quality"]["price"], "unparsed");
    let readings = v["quality"]["readings"]["price"].as_array().expect("price readings");
    assert_eq!(readings.len(), 2, "{readings:?}");
    let texts: Vec<&str> = readings.iter().filter_map(|r| r["text"].as_str()).collect();
    assert!(texts.iter().any(|t| t.contains("8.99")), "{texts:?}");
    assert!(texts.iter().any(|t| t.contains("1.23")), "{texts:?}");
    assert_eq!(v["quality"]["rating"], "ok", "other fields keep their quality");

    let err = fixtures().join("com_error_sorry-something-went-wrong.html");
    let v = json(&["parse", "--json", err.to_str().expect("utf-8 path")]);
    assert_eq!(v["kind"], "error_page");
    assert_eq!(v["quality"]["price"], "blocked");
    assert_eq!(v["quality"]["stock"], "blocked");
}

#[test]
fn parse_summary_counts_each_field_per_state() {
    let tmp = tempfile::tempdir().expect("temp dir");
    disagreeing_page(tmp.path());
    for f in ["com_dp_B0057OC5O8.html", "com_error_sorry-something-went-wrong.html", "com_dp_B0823MDHDJ.html"]
    {
        std::fs::copy(fixtures().join(f), tmp.path().join(f)).expect("copy page");
    }
    std::fs::write(tmp.path().join("notes.txt"), "not a page").expect("write");
    let dir = tmp.path().to_str().expect("utf-8 path");

    let v = json(&["parse", "--summary", dir, "--json"]);
    assert_eq!(v["pages"], 4, "{v}");
    assert_eq!(v["kinds"]["product"], 3);
    assert_eq!(v["kinds"]["error_page"], 1);
    let price = &v["fields"]["price"];
    // B0057OC5O8 ok; the copy with a disagreeing embedded price unparsed; B0823MDHDJ shows
    // no buy-box price; the error page blocked.
    assert_eq!((price["ok"].as_u64(), price["unparsed"].as_u64()), (Some(1), Some(1)), "{price}");
    assert_eq!((price["absent"].as_u64(), price["blocked"].as_u64()), (Some(1), Some(1)), "{price}");
    assert_eq!(v["fields"]["stock"]["ok"], 3, "{v}");
    assert_eq!(v["fields"]["rating"]["blocked"], 1);

    let text = amazcope(&["parse", "--summary", dir]);
    let line =
        text.lines().find(|l| l.starts_with("price ")).unwrap_or_else(|| panic!("no price line:\n{text}"));
    let nums: Vec<&str> = line.split_whitespace().skip(1).collect();
    assert_eq!(nums, ["1", "1", "1", "1"], "ok absent unparsed blocked:\n{text}");
    assert!(text.contains("4 pages"), "{text}");
}
