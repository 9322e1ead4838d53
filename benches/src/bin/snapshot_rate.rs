//! Prints the rows/s of `SnapshotRepository::insert_snapshots` (one call with every row, the
//! shape of the anchors' `c2_copy_binary_all`) on data shaped like `pg_anchor.py`'s.
//!
//! `snapshot_rate [PRODUCTS] [DAYS] [REPS]` (defaults 2000 100 3); needs `DATABASE_URL`.
//! Output: one `rows_per_sec <n>` line per repetition, then `median_rows_per_sec <n>`.

use amazcope_benches::{BenchDb, generate};
use amazcope_core::SnapshotRepository;
use std::time::Instant;

#[tokio::main]
async fn main() {
    let args: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let (products, days, reps) = (
        args.first().copied().unwrap_or(2000),
        args.get(1).copied().unwrap_or(100),
        args.get(2).copied().unwrap_or(3),
    );
    let db = BenchDb::create().await;
    let data = generate(&db.store, products, days, 20_250_101).await;
    let mut rates = Vec::new();
    for _ in 0..reps {
        db.truncate_snapshots().await;
        sqlx::query("CHECKPOINT").execute(db.store.pool()).await.ok();
        let t = Instant::now();
        let report = db.store.insert_snapshots(&data.rows).await.expect("insert_snapshots");
        let secs = t.elapsed().as_secs_f64();
        assert_eq!(report.inserted as usize, data.rows.len(), "every row must be written once");
        let rate = data.rows.len() as f64 / secs;
        println!("rows_per_sec {rate:.0}");
        rates.push(rate);
    }
    rates.sort_by(f64::total_cmp);
    println!("median_rows_per_sec {:.0}", rates[rates.len() / 2]);
    db.drop_db().await;
}
