//! Pages for the refresh-pipeline benchmarks: the fixture product pages parsed once, then
//! replayed as `n` products over `days` days whose prices and ranks move (so the alert rules
//! have work), tracked by two users with different thresholds.

use crate::Rng;
use amazcope_core::model::page::{FetchedPage, Field, ParsedPage, ScrapedProduct};
use amazcope_core::{Asin, Money};
use amazcope_pg::PgStore;
use chrono::{DateTime, Duration, TimeZone, Utc};
use rust_decimal::Decimal;
use sqlx::Executor;
use std::path::PathBuf;

/// The fixture folder (`AMAZCOPE_FIXTURES`, else `../shared/fixtures/pages`).
///
/// # Panics
/// When the folder is missing: the benchmarks have no pages without it.
pub fn fixture_dir() -> PathBuf {
    let dir = std::env::var("AMAZCOPE_FIXTURES").map(PathBuf::from).unwrap_or_else(|_| {
        PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/fixtures/pages"))
    });
    assert!(dir.is_dir(), "fixture folder {} is missing (set AMAZCOPE_FIXTURES)", dir.display());
    dir
}

/// The HTML of every saved product page (`*_dp_*.html`) with a price.
pub fn product_fixtures() -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut names: Vec<_> = std::fs::read_dir(fixture_dir())
        .expect("read the fixture folder")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.contains("_dp_") && n.ends_with(".html"))
        })
        .collect();
    names.sort();
    for path in names {
        let html = std::fs::read_to_string(&path).unwrap_or_default();
        if let Ok(ParsedPage::Product(p)) = amazcope_scrape::parse_page(&html, None)
            && p.price.is_read()
        {
            out.push((path.display().to_string(), html));
        }
    }
    assert!(!out.is_empty(), "no priced product page among the fixtures");
    out
}

/// `n` product pages parsed from `fixtures` (cycling through them), page `i` given the ASIN
/// of product `i` and fetched at `at`: the parse half of the parse-and-store measurements.
pub fn parse_products(fixtures: &[(String, String)], n: usize, at: DateTime<Utc>) -> Vec<FetchedPage> {
    (0..n)
        .filter_map(|i| {
            let (name, html) = &fixtures[i % fixtures.len()];
            match amazcope_scrape::parse_page(html, None) {
                Ok(ParsedPage::Product(mut p)) => {
                    p.asin = asin(i);
                    Some(FetchedPage { source: name.clone(), fetched_at: at, page: ParsedPage::Product(p) })
                }
                _ => None,
            }
        })
        .collect()
}

/// Parsed templates of [`product_fixtures`].
pub fn templates() -> Vec<ScrapedProduct> {
    product_fixtures()
        .iter()
        .filter_map(|(_, html)| match amazcope_scrape::parse_page(html, None) {
            Ok(ParsedPage::Product(p)) => Some(*p),
            _ => None,
        })
        .collect()
}

/// The first day of the generated history for the criterion benches, which step a day per
/// iteration and so need a long way to the present.
pub fn day0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 1, 1, 6, 0, 0).single().expect("valid date")
}

/// A history of `days` days that ends a few days before today (06:00 UTC of each day): what
/// a deployment refreshing daily holds, inside the 90-day retention of its partitions.
pub fn recent_start(days: usize) -> DateTime<Utc> {
    let today = Utc::now().date_naive().and_hms_opt(6, 0, 0).expect("valid time").and_utc();
    today - Duration::days(days as i64 + 10)
}

/// Synthetic ASIN number `i`.
pub fn asin(i: usize) -> Asin {
    format!("B9{i:08}").parse().expect("ten characters")
}

/// Product `i`'s page on day `day` after `start`: a template with its own ASIN and a price
/// and rank that take a step most days and a jump now and then.
pub fn page(
    templates: &[ScrapedProduct],
    start: DateTime<Utc>,
    i: usize,
    day: usize,
    rng: &mut Rng,
) -> FetchedPage {
    let mut p = templates[i % templates.len()].clone();
    p.asin = asin(i);
    if let Some(price) = p.price.value().copied() {
        let pct = if rng.range(0, 10) == 0 { rng.range(-30, 30) } else { rng.range(-3, 3) };
        let amount = (price.amount * Decimal::new(100 + pct, 2)).round_dp(2).max(Decimal::ONE);
        p.price = Field::Read(Money::new(amount, price.currency).expect("positive price"));
    }
    if let Some(ranks) = p.ranks.value().cloned() {
        let mut ranks = ranks;
        if let Some(r) = ranks.first_mut() {
            // Ranks drift a few percent a day and jump now and then, like real best-sellers.
            let pct = if rng.range(0, 20) == 0 { rng.range(50, 200) } else { rng.range(95, 105) };
            r.rank = (r.rank as i64 * pct / 100).max(1) as u32;
        }
        p.ranks = Field::Read(ranks);
    }
    FetchedPage {
        source: format!("bench/{i}/{day}"),
        fetched_at: start + Duration::days(day as i64),
        page: ParsedPage::Product(Box::new(p)),
    }
}

/// Every product's page for each day after `start`, day-major (the order a daily refresh
/// stores them).
pub fn days(
    templates: &[ScrapedProduct],
    start: DateTime<Utc>,
    n: usize,
    days: std::ops::Range<usize>,
    seed: u64,
) -> Vec<Vec<FetchedPage>> {
    let mut rng = Rng::new(seed);
    days.map(|d| (0..n).map(|i| page(templates, start, i, d, &mut rng)).collect()).collect()
}

/// Two users (`tight`: 5 % / 10 %, `loose`: 20 % / 50 %) tracking every product of the
/// store (call after the products exist). Tracking rows of every user at once: on the
/// cross-user path (row-level security, see amazcope_pg's `tenant` module).
pub async fn track_all(store: &PgStore) {
    let sql = "BEGIN; SET LOCAL ROLE amazcope_service;
               INSERT INTO users (email, username, hashed_password)
                   VALUES ('tight@x', 'tight', '!'), ('loose@x', 'loose', '!') ON CONFLICT DO NOTHING;
               INSERT INTO user_products (user_id, product_id, price_change_threshold, bsr_change_threshold)
                   SELECT u.id, p.id, CASE u.username WHEN 'tight' THEN 5 ELSE 20 END,
                          CASE u.username WHEN 'tight' THEN 10 ELSE 50 END
                   FROM users u CROSS JOIN products p ON CONFLICT DO NOTHING;
               COMMIT";
    store.pool().execute(sql).await.expect("track every product");
}
