//! Property tests: no input makes the parser panic — arbitrary strings, bytes read lossily,
//! and real pages cut at random points.

mod common;

use common::fixtures_dir;

use std::path::PathBuf;

use amazcope_scrape::{locale, parse_page};
use proptest::prelude::*;
use std::sync::LazyLock;

/// A few real pages of different kinds and layouts.
static PAGES: LazyLock<Vec<String>> = LazyLock::new(|| {
    let dir = fixtures_dir();
    let mut names: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "html"))
        .collect();
    names.sort();
    assert!(!names.is_empty(), "no .html page in {}", dir.display());
    names
        .iter()
        .step_by(6)
        .map(|p| String::from_utf8_lossy(&std::fs::read(p).unwrap_or_default()).into_owned())
        .collect()
});

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_strings_never_panic(s in ".{0,2000}") {
        let _ = parse_page(&s, None);
        let _ = locale::parse_money(&s, None);
        let _ = locale::parse_decimal(&s, 2);
        let _ = locale::parse_count(&s);
        let _ = locale::parse_rating(&s);
        let _ = locale::parse_date(&s);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..4000)) {
        let s = String::from_utf8_lossy(&bytes);
        let _ = parse_page(&s, None);
    }

    #[test]
    fn html_like_soup_never_panics(parts in proptest::collection::vec(
        prop_oneof![
            Just("<div id=\"productTitle\">".to_owned()),
            Just("<span id=\"corePrice_feature_div\"><span class=\"a-price\"><span class=\"a-offscreen\">".to_owned()),
            Just("</span>".to_owned()),
            Just("</div>".to_owned()),
            Just("<script>".to_owned()),
            Just("<tr id=\"SalesRank\"><td>".to_owned()),
            Just("<li>#1 in X (See Top 100)".to_owned()),
            Just("\"dimensionValuesDisplayData\" : {".to_owned()),
            Just("<input name=\"ASIN\" value=\"B00004YS4O\">".to_owned()),
            Just("$1,234.56".to_owned()),
            Just("1.234,56 €".to_owned()),
            "[a-z<>\"= /#]{0,20}",
        ],
        0..60,
    )) {
        let html = parts.concat();
        let _ = parse_page(&html, None);
    }

    #[test]
    fn truncated_real_pages_never_panic(which in 0usize..64, cut in 0.0f64..1.0) {
        let pages = &*PAGES;
        let page = &pages[which % pages.len()];
        let mut at = (page.len() as f64 * cut) as usize;
        while !page.is_char_boundary(at) {
            at -= 1;
        }
        let _ = parse_page(&page[..at], None);
    }
}
