//! Batch snapshot ingest: our `insert_snapshots` (COPY into staging + idempotent insert +
//! latest-values refresh, one transaction) beside the naive baseline, one `insert_snapshot`
//! per row, in the same run. Figures are rows/s (`Throughput::Elements`).
//!
//! Needs `DATABASE_URL`. `cargo bench -p amazcope-benches --bench snapshots`.

mod common;

use amazcope_benches::{BenchDb, generate};
use amazcope_core::SnapshotRepository;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

fn snapshot_ingest(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().expect("tokio runtime");
    let db = rt.block_on(BenchDb::create());
    let data = rt.block_on(generate(&db.store, 200, 10, 7));
    let db_ref = &db;
    let mut group = c.benchmark_group("snapshot_ingest");
    group.sample_size(10);
    for n in [200usize, 2000] {
        let rows = &data.rows[..n];
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::new("insert_snapshots_batch", n), rows, |b, rows| {
            b.to_async(&rt).iter_custom(|iters| async move {
                let db = db_ref;
                let mut total = std::time::Duration::ZERO;
                for _ in 0..iters {
                    db.truncate_snapshots().await;
                    let t = std::time::Instant::now();
                    db.store.insert_snapshots(rows).await.expect("batch insert");
                    total += t.elapsed();
                }
                total
            })
        });
        if n <= 200 {
            group.bench_with_input(BenchmarkId::new("insert_snapshot_row_by_row", n), rows, |b, rows| {
                b.to_async(&rt).iter_custom(|iters| async move {
                    let db = db_ref;
                    let mut total = std::time::Duration::ZERO;
                    for _ in 0..iters {
                        db.truncate_snapshots().await;
                        let t = std::time::Instant::now();
                        for r in rows {
                            db.store.insert_snapshot(r).await.expect("single insert");
                        }
                        total += t.elapsed();
                    }
                    total
                })
            });
        }
    }
    group.finish();
    rt.block_on(db.drop_db());
}

criterion_group! {
    name = benches;
    config = common::criterion();
    targets = snapshot_ingest
}
criterion_main!(benches);
