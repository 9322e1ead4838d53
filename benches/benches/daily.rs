//! Daily lowest / highest / mean prices of 100 products over 90 days (9,000 product-days),
//! the read of the anchors' `daily_minmaxavg_100_products_90d`
//! (`../shared/bench/RESULTS-pg.md`: 21.6 ms on a plain table, 108.7 ms partitioned, on
//! raw snapshots). The target is 5 ms. Three cases in the same run, on the same
//! data (shaped like the anchors': 2,000 products, 100 days, one snapshot per product per
//! day, written through `insert_snapshots`, which keeps the rollups in the same
//! transaction):
//!
//! - `raw_aggregate_100_products_90d`: the anchors' SQL (GROUP BY day over the raw
//!   snapshots, our partitioned `product_snapshots`), decoded by sqlx: the baseline
//!   measured on this machine in this run;
//! - `prices_100_products_90d`: the same figures from the rollups
//!   (`PgStore::daily_prices_of`: five columns of `product_daily`);
//! - `rollups_100_products_90d`: whole rollup rows (`PgStore::daily_rollups_of`, 20 columns
//!   with text), for what a full daily history costs.
//!
//! Needs `DATABASE_URL`. `cargo bench -p amazcope-benches --bench daily` (release);
//! `AMAZCOPE_BENCH_PRODUCTS` changes the number of products stored (default 2,000).

mod common;

use amazcope_benches::{BenchDb, first_day, generate};
use amazcope_core::SnapshotRepository;
use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use rust_decimal::Decimal;
use uuid::Uuid;

/// The anchors' query, verbatim but for the table name.
// language=PostgreSQL
const RAW_SQL: &str = "SELECT product_id, date_trunc('day', scraped_at AT TIME ZONE 'UTC') AS day,
                              min(price), max(price), avg(price)
                       FROM product_snapshots
                       WHERE product_id = ANY($1::uuid[]) AND scraped_at >= $2 AND scraped_at < $3
                       GROUP BY 1, 2 ORDER BY 1, 2";

type RawRow = (Uuid, NaiveDateTime, Option<Decimal>, Option<Decimal>, Option<Decimal>);

fn daily_reads(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().expect("tokio runtime");
    let products: usize =
        std::env::var("AMAZCOPE_BENCH_PRODUCTS").ok().and_then(|v| v.parse().ok()).unwrap_or(2000).max(100);
    let db = rt.block_on(BenchDb::create());
    let data = rt.block_on(generate(&db.store, products, 100, 11));
    rt.block_on(async {
        for chunk in data.rows.chunks(10_000) {
            db.store.insert_snapshots(chunk).await.expect("insert snapshots");
        }
        sqlx::query("VACUUM ANALYZE").execute(db.store.pool()).await.expect("vacuum");
    });
    // 100 products spread over the table, the last 90 days.
    let ids: Vec<_> = data.product_ids.iter().step_by(products / 100).take(100).copied().collect();
    let uuids: Vec<Uuid> = ids.iter().map(|p| p.0).collect();
    let (from, to) = (first_day() + Duration::days(10), first_day() + Duration::days(100));
    let (from_day, to_day) = (from.date_naive(), (to - Duration::days(1)).date_naive());

    // The three reads agree before they are timed.
    let raw: Vec<RawRow> = rt.block_on(raw_read(&db, &uuids, from, to));
    let prices = rt.block_on(db.store.daily_prices_of(&ids, from_day, to_day)).expect("prices");
    let rollups = rt.block_on(db.store.daily_rollups_of(&ids, from_day, to_day)).expect("rollups");
    assert_eq!((raw.len(), prices.len(), rollups.len()), (9000, 9000, 9000), "100 products × 90 days");
    for ((r, p), d) in raw.iter().zip(&prices).zip(&rollups) {
        assert_eq!((r.0, r.1.date(), r.2, r.3), (p.product_id.0, p.day, p.min, p.max));
        assert_eq!((p.min, p.max, p.mean), (d.price_min, d.price_max, d.price_mean()));
        let (a, b) = (r.4.expect("avg").round_dp(6), p.mean.expect("mean").round_dp(6));
        assert_eq!(a, b, "mean");
    }

    let bench_db = db;
    let (store, ids, uuids, db) = (&bench_db.store, &ids, &uuids, &bench_db);
    let mut group = c.benchmark_group("daily_minmaxavg");
    group.sample_size(40);
    group.bench_function("raw_aggregate_100_products_90d", |b| {
        b.to_async(&rt)
            .iter(|| async move { std::hint::black_box(raw_read(db, uuids, from, to).await.len()) })
    });
    group.bench_function("prices_100_products_90d", |b| {
        b.to_async(&rt).iter(|| async move {
            std::hint::black_box(store.daily_prices_of(ids, from_day, to_day).await.expect("prices").len())
        })
    });
    group.bench_function("rollups_100_products_90d", |b| {
        b.to_async(&rt).iter(|| async move {
            let days = store.daily_rollups_of(ids, from_day, to_day).await.expect("rollups");
            std::hint::black_box(
                days.iter().map(|d| (d.price_min, d.price_max, d.price_mean())).collect::<Vec<_>>(),
            )
        })
    });
    group.finish();
    rt.block_on(bench_db.drop_db());
}

async fn raw_read(db: &BenchDb, ids: &[Uuid], from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<RawRow> {
    sqlx::query_as(RAW_SQL).bind(ids).bind(from).bind(to).fetch_all(db.store.pool()).await.expect("raw read")
}

criterion_group! {
    name = benches;
    config = common::criterion();
    targets = daily_reads
}
criterion_main!(benches);
