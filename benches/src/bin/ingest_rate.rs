//! Refresh-pipeline throughput, for `benches/ingest_compare.sh`: parsed product pages stored
//! with alerts evaluated (products upserted, snapshots, categories, alerts + notifications
//! for two users), per second:
//!
//! - `batch`: one transaction per day of N pages (`IngestStore::ingest_batch`);
//! - `single`: one transaction per page (`IngestStore::ingest_page`);
//! - `parse_batch`: the fixture HTML parsed, then stored as `batch` (end to end);
//! - `backfill`: the same days again into a fresh database, [`BACKFILL_DAYS`] days of N pages
//!   per transaction (the batch form's use: back-fills and imports of thousands of pages).
//!
//! The history is dated in the weeks before today and the database has had its partition
//! upkeep (a deployment's steady state: the months of the 90-day retention and three
//! ahead), not the fresh schema's every month since 2024-01.
//!
//! Usage: `ingest_rate [PRODUCTS] [DAYS] [REPS]` (default 500 40 1; DAYS up to 75). Prints
//! one `<name>_pages_per_sec <median>` line each, then the CPU time per day of the batch
//! phase and per page of the single phase on each side (client, server processes; from
//! `/proc`, so when the server runs on this machine): robust where wall time is not, on a
//! machine busy with other work.
//! Needs `DATABASE_URL`.

use amazcope_benches::ingest;
use amazcope_benches::{BenchDb, cpu_now};
use amazcope_core::model::page::FetchedPage;
use amazcope_core::service::{IngestContext, IngestStore};
use chrono::Duration;
use std::time::Instant;

/// Days of pages per transaction in the back-fill phase (2,500 pages at the default 500).
const BACKFILL_DAYS: usize = 5;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// A fresh database after partition upkeep, holding the first day's pages, every product
/// tracked by the two bench users.
async fn tracked_db(first_day: &[FetchedPage], ctx: &IngestContext) -> BenchDb {
    let db = BenchDb::create().await;
    db.partition_upkeep(chrono::Utc::now()).await;
    db.store.ingest_batch(first_day, ctx).await.expect("day 0");
    ingest::track_all(&db.store).await;
    db
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
    let (mut batch, mut single, mut parse_batch, mut backfill) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut alerts = 0;
    let mut cpu = Vec::new();
    let mut single_cpu = Vec::new();
    for rep in 0..reps {
        let start = ingest::recent_start(days);
        let all = ingest::days(&templates, start, n, 0..days + 1, 42 + rep as u64);
        let db = tracked_db(&all[0], &ctx).await;
        let store = &db.store;

        let cpu0 = cpu_now(store.pool()).await;
        let t = Instant::now();
        for day in &all[1..] {
            alerts += store.ingest_batch(day, &ctx).await.expect("batch").alerts;
        }
        batch.push((n * days) as f64 / t.elapsed().as_secs_f64());
        if let (Some(a), Some(b)) = (cpu0, cpu_now(store.pool()).await) {
            // Robust to a busy machine where wall time is not: CPU per day of pages.
            cpu.push(((b.0 - a.0) * 1e3 / days as f64, (b.1 - a.1) * 1e3 / days as f64));
        }

        // One transaction per page: fewer pages, the rate is what counts.
        let extra = ingest::days(&templates, start, n.min(250), days + 1..days + 3, 7);
        let cpu0 = cpu_now(store.pool()).await;
        let t = Instant::now();
        let mut pages = 0;
        for day in &extra {
            for p in day {
                store.ingest_page(p, &ctx).await.expect("single");
                pages += 1;
            }
        }
        single.push(pages as f64 / t.elapsed().as_secs_f64());
        if let (Some(a), Some(b)) = (cpu0, cpu_now(store.pool()).await) {
            single_cpu.push(((b.0 - a.0) * 1e6 / pages as f64, (b.1 - a.1) * 1e6 / pages as f64));
        }

        // End to end: parse each page's HTML (cycling through the fixtures), then store.
        let t = Instant::now();
        let at = start + Duration::days(days as i64 + 5);
        let parsed = ingest::parse_products(&fixtures, n, at);
        store.ingest_batch(&parsed, &ctx).await.expect("parse+batch");
        parse_batch.push(parsed.len() as f64 / t.elapsed().as_secs_f64());
        db.drop_db().await;

        // The same history again into a fresh database, several days per transaction.
        let db = tracked_db(&all[0], &ctx).await;
        let store = &db.store;
        let chunks: Vec<Vec<_>> = all[1..].chunks(BACKFILL_DAYS).map(|c| c.concat()).collect();
        let t = Instant::now();
        for chunk in &chunks {
            store.ingest_batch(chunk, &ctx).await.expect("backfill");
        }
        backfill.push((n * days) as f64 / t.elapsed().as_secs_f64());
        db.drop_db().await;
    }
    println!("products {n} days {days} reps {reps} alerts {alerts}");
    println!("batch_pages_per_sec {:.0}", median(batch));
    println!("single_pages_per_sec {:.0}", median(single));
    println!("parse_batch_pages_per_sec {:.0}", median(parse_batch));
    println!("backfill_pages_per_sec {:.0}", median(backfill));
    if !cpu.is_empty() {
        println!("batch_client_cpu_ms_per_day {:.1}", median(cpu.iter().map(|c| c.0).collect()));
        println!("batch_server_cpu_ms_per_day {:.1}", median(cpu.iter().map(|c| c.1).collect()));
    }
    if !single_cpu.is_empty() {
        println!("single_client_cpu_us_per_page {:.0}", median(single_cpu.iter().map(|c| c.0).collect()));
        println!("single_server_cpu_us_per_page {:.0}", median(single_cpu.iter().map(|c| c.1).collect()));
    }
}
