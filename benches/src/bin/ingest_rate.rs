//! Refresh-pipeline throughput, for `benches/ingest_compare.sh`: parsed product pages stored
//! with alerts evaluated (products upserted, snapshots, categories, alerts + notifications
//! for two users), per second:
//!
//! - `batch`: one transaction per day of N pages (`IngestStore::ingest_batch`);
//! - `single`: one transaction per page (`IngestStore::ingest_page`);
//! - `parse_batch`: the fixture HTML parsed, then stored as `batch` (end to end).
//!
//! Usage: `ingest_rate [PRODUCTS] [DAYS] [REPS]` (default 500 40 1). Prints one
//! `<name>_pages_per_sec <median>` line each. Needs `DATABASE_URL`.

use amazcope_benches::BenchDb;
use amazcope_benches::ingest::{self, day0};
use amazcope_core::service::{IngestContext, IngestStore};
use chrono::Duration;
use std::time::Instant;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

#[tokio::main]
async fn main() {
    let args: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let (n, days, reps) = (
        args.first().copied().unwrap_or(500),
        args.get(1).copied().unwrap_or(40),
        args.get(2).copied().unwrap_or(1),
    );
    let templates = ingest::templates();
    let fixtures = ingest::product_fixtures();
    let ctx = IngestContext::default();
    let (mut batch, mut single, mut parse_batch) = (Vec::new(), Vec::new(), Vec::new());
    let mut alerts = 0;
    for rep in 0..reps {
        let db = BenchDb::create().await;
        let store = &db.store;
        let all = ingest::days(&templates, n, 0..days + 1, 42 + rep as u64);
        store.ingest_batch(&all[0], &ctx).await.expect("day 0");
        ingest::track_all(store).await;

        let t = Instant::now();
        for day in &all[1..] {
            alerts += store.ingest_batch(day, &ctx).await.expect("batch").alerts;
        }
        batch.push((n * days) as f64 / t.elapsed().as_secs_f64());

        // One transaction per page: fewer pages, the rate is what counts.
        let extra = ingest::days(&templates, n.min(250), days + 1..days + 3, 7);
        let t = Instant::now();
        let mut pages = 0;
        for day in &extra {
            for p in day {
                store.ingest_page(p, &ctx).await.expect("single");
                pages += 1;
            }
        }
        single.push(pages as f64 / t.elapsed().as_secs_f64());

        // End to end: parse each page's HTML (cycling through the fixtures), then store.
        let t = Instant::now();
        let at = day0() + Duration::days(days as i64 + 5);
        let parsed = ingest::parse_products(&fixtures, n, at);
        store.ingest_batch(&parsed, &ctx).await.expect("parse+batch");
        parse_batch.push(parsed.len() as f64 / t.elapsed().as_secs_f64());
        db.drop_db().await;
    }
    println!("products {n} days {days} reps {reps} alerts {alerts}");
    println!("batch_pages_per_sec {:.0}", median(batch));
    println!("single_pages_per_sec {:.0}", median(single));
    println!("parse_batch_pages_per_sec {:.0}", median(parse_batch));
}
