//! Daily lowest / highest / mean prices of 100 products over 90 days (9,000 product-days)
//! from the rollups (`PgStore::daily_rollups_of` on `product_daily`), the read that the
//! anchors' `daily_minmaxavg_100_products_90d` does over raw snapshots
//! (`../shared/bench/RESULTS-pg.md`: 21.6 ms on a plain table, 108.7 ms partitioned). The
//! issue's target is 5 ms. The snapshots are written through `insert_snapshots`, which keeps
//! the rollups in the same transaction.
//!
//! Needs `DATABASE_URL`. `cargo bench -p amazcope-benches --bench daily`.

use amazcope_benches::{BenchDb, first_day, generate};
use amazcope_core::SnapshotRepository;
use criterion::{Criterion, criterion_group, criterion_main};

fn daily_reads(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().expect("tokio runtime");
    let db = rt.block_on(BenchDb::create());
    let data = rt.block_on(generate(&db.store, 100, 90, 11));
    rt.block_on(async {
        for chunk in data.rows.chunks(3000) {
            db.store.insert_snapshots(chunk).await.expect("insert snapshots");
        }
    });
    let (from, to) = (first_day().date_naive(), (first_day() + chrono::Duration::days(89)).date_naive());
    let got = rt.block_on(db.store.daily_rollups_of(&data.product_ids, from, to)).expect("read rollups");
    assert_eq!(got.len(), 9000, "100 products × 90 days");
    let (store, ids) = (&db.store, &data.product_ids);
    let mut group = c.benchmark_group("daily_rollups");
    group.sample_size(30);
    group.bench_function("minmaxavg_100_products_90d", |b| {
        b.to_async(&rt).iter(|| async move {
            let days = store.daily_rollups_of(ids, from, to).await.expect("read rollups");
            std::hint::black_box(
                days.iter().map(|d| (d.price_min, d.price_max, d.price_mean())).collect::<Vec<_>>(),
            )
        })
    });
    group.finish();
    rt.block_on(db.drop_db());
}

criterion_group!(benches, daily_reads);
criterion_main!(benches);
