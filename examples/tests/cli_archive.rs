//! Issue 15 through the binary: `import-keepa`, `db partitions` refusing without a target,
//! archiving with `--archive DIR`, `db restore-archive`, `export`, and the worker archiving
//! to `AMAZCOPE_ARCHIVE` before it drops.

mod common;

use common::TestDb;
use std::process::Command;

const KEEPA_EPOCH_MINUTES: i64 = 21_564_000;

fn km(y: i32, m: u32, d: u32) -> i64 {
    let t = chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap().and_hms_opt(0, 0, 0).unwrap().and_utc();
    t.timestamp() / 60 - KEEPA_EPOCH_MINUTES
}

/// A Keepa file with one product: a price change every day of March 2025.
fn keepa_file(dir: &std::path::Path) -> std::path::PathBuf {
    let mut amazon = Vec::new();
    for d in 1..=31 {
        amazon.push(km(2025, 3, d) + 60 * 9);
        amazon.push(1000 + d as i64);
    }
    let file = dir.join("keepa.json");
    let json = serde_json::json!({"products": [{"asin": "B0KEEPA0C1", "domainId": 3, "title": "Mühle", "csv": [amazon]}]});
    std::fs::write(&file, json.to_string()).unwrap();
    file
}

async fn count(db: &TestDb, sql: &'static str) -> i64 {
    use sqlx::Connection;
    let mut c = sqlx::PgConnection::connect(&db.url).await.unwrap();
    sqlx::query_scalar::<_, i64>(sql).fetch_one(&mut c).await.unwrap()
}

#[tokio::test]
async fn keepa_import_then_retention_archives_restores_and_exports() {
    let db = TestDb::with_users("archive", &["alice"]).await;
    let dir = tempfile::tempdir().unwrap();
    let file = keepa_file(dir.path());
    let out = db.ok(&["import-keepa", file.to_str().unwrap(), "--user", "alice"]);
    assert!(
        out.contains("B0KEEPA0C1 on amazon.de: 31 point(s), 31 new snapshot(s), product created"),
        "{out}"
    );
    let out = db.ok(&["import-keepa", file.to_str().unwrap()]);
    assert!(out.contains("31 point(s), 0 new snapshot(s)"), "idempotent: {out}");
    assert_eq!(count(&db, "SELECT count(*) FROM product_snapshots WHERE source = 'keepa'").await, 31);

    // A malformed product: named with its array index, nothing of it written.
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, r#"[{"asin": "B0KEEPA0C2", "domainId": 1, "csv": [[1, 100, 2]]}]"#).unwrap();
    let err = db.fails(&["import-keepa", bad.to_str().unwrap()]);
    assert!(err.contains("B0KEEPA0C2: csv[0][2]: incomplete entry"), "{err}");
    assert_eq!(count(&db, "SELECT count(*) FROM products WHERE asin = 'B0KEEPA0C2'").await, 0);

    // Export before retention: every snapshot, as CSV and Parquet.
    let csv = dir.path().join("k.csv");
    let out = db.ok(&[
        "export",
        "--asin",
        "B0KEEPA0C1",
        "--marketplace",
        "de",
        "--format",
        "csv",
        "--out",
        csv.to_str().unwrap(),
    ]);
    assert!(out.contains("wrote 31 snapshot(s)"), "{out}");
    let text = std::fs::read_to_string(&csv).unwrap();
    assert_eq!(text.lines().count(), 32);
    assert!(text.lines().nth(1).unwrap().contains(",2025-03-01T09:00:00Z,10.01,"), "{text}");
    let pq = dir.path().join("k.parquet");
    let out = db.ok(&[
        "export",
        "--user",
        "alice",
        "--daily",
        "--from",
        "2025-03-10",
        "--to",
        "2025-03-19",
        "--format",
        "parquet",
        "--out",
        pq.to_str().unwrap(),
    ]);
    assert!(out.contains("wrote 0 daily row(s)"), "alice does not track it: {out}");
    let out = db.ok(&[
        "export",
        "--asin",
        "B0KEEPA0C1",
        "-m",
        "de",
        "--daily",
        "--from",
        "2025-03-10",
        "--to",
        "2025-03-19",
        "--format",
        "parquet",
        "--out",
        pq.to_str().unwrap(),
    ]);
    assert!(out.contains("wrote 10 daily row(s)"), "{out}");
    assert_eq!(&std::fs::read(&pq).unwrap()[..4], b"PAR1");

    // Retention without a target refuses and names both ways out.
    let err = db.fails(&["db", "partitions", "--retention-days", "90"]);
    assert!(
        err.contains("--archive") && err.contains("--discard") && err.contains("product_snapshots_2025_03"),
        "{err}"
    );
    assert_eq!(count(&db, "SELECT count(*) FROM product_snapshots_2025_03").await, 31);

    let archive = dir.path().join("archive");
    let out = db.ok(&["db", "partitions", "--retention-days", "90", "--archive", archive.to_str().unwrap()]);
    assert!(out.contains("archived product_snapshots_2025_03") && out.contains("31 rows"), "{out}");
    assert!(archive.join("product_snapshots_2025_03.parquet").is_file());
    assert!(archive.join("product_snapshots_2025_03.manifest.json").is_file());
    assert_eq!(count(&db, "SELECT count(*) FROM product_snapshots").await, 0);
    assert_eq!(count(&db, "SELECT count(*) FROM product_daily").await, 31, "rollups are never dropped");

    let out = db.ok(&["db", "restore-archive", archive.to_str().unwrap(), "--month", "2025-03"]);
    assert!(out.contains("2025-03: 31 archived row(s), 31 restored"), "{out}");
    let out = db.ok(&["db", "restore-archive", archive.to_str().unwrap(), "--month", "2025-03"]);
    assert!(out.contains("31 archived row(s), 0 restored"), "{out}");
    assert_eq!(count(&db, "SELECT count(*) FROM product_snapshots WHERE source = 'keepa'").await, 31);
    assert_eq!(
        count(&db, "SELECT sum(snapshots)::int8 FROM product_daily").await,
        31,
        "no day counted twice"
    );
    db.drop_db().await;
}

#[tokio::test]
async fn the_worker_archives_to_amazcope_archive_and_never_drops_without_one() {
    let db = TestDb::with_users("worker_archive", &["alice"]).await;
    let dir = tempfile::tempdir().unwrap();
    db.ok(&["import-keepa", keepa_file(dir.path()).to_str().unwrap()]);
    let worker = |archive: Option<&std::path::Path>| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_amazcope"));
        c.args(["worker", "--once"]).env("DATABASE_URL", &db.url).env_remove("AMAZCOPE_ARCHIVE");
        if let Some(a) = archive {
            c.env("AMAZCOPE_ARCHIVE", a);
        }
        c.output().unwrap()
    };
    // No target (DATABASE_URL, no AMAZCOPE_ARCHIVE): nothing dropped, and it says why.
    let out = worker(None);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--archive"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(count(&db, "SELECT count(*) FROM product_snapshots_2025_03").await, 31);

    let archive = dir.path().join("worker-archive");
    let out = worker(Some(&archive));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let manifest: serde_json::Value = serde_json::from_slice(
        &std::fs::read(archive.join("product_snapshots_2025_03.manifest.json"))
            .expect("the worker archived March"),
    )
    .unwrap();
    assert_eq!(manifest["rows"], 31);
    assert_eq!(count(&db, "SELECT count(*) FROM product_snapshots").await, 0);
    db.drop_db().await;
}
