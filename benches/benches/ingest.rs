//! Refresh-pipeline throughput (criterion): parsed product pages stored with alerts
//! evaluated, per page, in three shapes measured in the same run:
//!
//! - `batch_500`: one transaction per day of 500 pages (`IngestStore::ingest_batch`);
//! - `single`: one transaction per page (`IngestStore::ingest_page`);
//! - `parse_and_batch_100`: 100 fixture pages parsed from HTML, then stored as one batch.
//!
//! The original's per-scrape write path (147 scrapes/s on this machine) is Python and timed
//! by `benches/ingest_compare.sh` beside `ingest_rate`, which reports the ratio.

mod common;

use amazcope_benches::BenchDb;
use amazcope_benches::ingest::{self, day0};
use amazcope_core::model::page::FetchedPage;
use amazcope_core::service::{IngestContext, IngestStore};
use chrono::Duration;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

const PRODUCTS: usize = 500;

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let templates = ingest::templates();
    let fixtures = ingest::product_fixtures();
    let ctx = IngestContext::default();
    let db = rt.block_on(async {
        let db = BenchDb::create().await;
        let day0_pages = ingest::days(&templates, day0(), PRODUCTS, 0..1, 1).remove(0);
        db.store.ingest_batch(&day0_pages, &ctx).await.expect("day 0");
        ingest::track_all(&db.store).await;
        db
    });
    // Every iteration stores a new day, so each page is a new snapshot (never a duplicate).
    let next_day = AtomicUsize::new(1);
    let mut group = c.benchmark_group("ingest");
    group.sample_size(10);

    group.throughput(Throughput::Elements(PRODUCTS as u64));
    group.bench_function("batch_500", |b| {
        b.to_async(&rt).iter_custom(|iters| {
            let (store, templates, ctx, next_day) = (&db.store, &templates, &ctx, &next_day);
            async move {
                let mut spent = std::time::Duration::ZERO;
                for _ in 0..iters {
                    let d = next_day.fetch_add(1, Ordering::Relaxed);
                    let pages = ingest::days(templates, day0(), PRODUCTS, d..d + 1, d as u64).remove(0);
                    let t = Instant::now();
                    store.ingest_batch(&pages, ctx).await.expect("batch");
                    spent += t.elapsed();
                }
                spent
            }
        });
    });

    group.throughput(Throughput::Elements(1));
    group.bench_function("single", |b| {
        b.to_async(&rt).iter_custom(|iters| {
            let (store, templates, ctx, next_day) = (&db.store, &templates, &ctx, &next_day);
            async move {
                let d = next_day.fetch_add(1, Ordering::Relaxed);
                let mut rng = amazcope_benches::Rng::new(d as u64);
                let pages: Vec<FetchedPage> = (0..iters as usize)
                    .map(|i| ingest::page(templates, day0(), i % PRODUCTS, d, &mut rng))
                    .collect();
                let t = Instant::now();
                for p in &pages {
                    store.ingest_page(p, ctx).await.expect("single");
                }
                t.elapsed()
            }
        });
    });

    group.throughput(Throughput::Elements(100));
    group.bench_function("parse_and_batch_100", |b| {
        b.to_async(&rt).iter_custom(|iters| {
            let (store, fixtures, ctx, next_day) = (&db.store, &fixtures, &ctx, &next_day);
            async move {
                let mut spent = std::time::Duration::ZERO;
                for _ in 0..iters {
                    let d = next_day.fetch_add(1, Ordering::Relaxed);
                    let at = day0() + Duration::days(d as i64);
                    let t = Instant::now();
                    let pages = ingest::parse_products(fixtures, 100, at);
                    store.ingest_batch(&pages, ctx).await.expect("parse+batch");
                    spent += t.elapsed();
                }
                spent
            }
        });
    });
    group.finish();
    rt.block_on(db.drop_db());
}

criterion_group! {
    name = benches;
    config = common::criterion();
    targets = bench
}
criterion_main!(benches);
