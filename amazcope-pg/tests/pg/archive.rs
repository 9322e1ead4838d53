//! Archive before retention (issue 15): expired months go to Parquet with a manifest, are
//! read back, and only then dropped; no target, no drop (unless discarded); archived months
//! restore idempotently with correct daily rollups; `file://` object-store URLs work.

use crate::repos::common::{self, money, snapshot};
use amazcope_core::SnapshotRepository;
use amazcope_core::model::page::{FieldQuality, Quality, TrackedField};
use amazcope_core::model::snapshot::NewSnapshot;
use amazcope_pg::archive::{self, ArchiveTarget};
use amazcope_pg::partitions::{self, Disposal, Month, PartitionError};
use arrow_array::{
    Array, Decimal128Array, FixedSizeBinaryArray, RecordBatch, StringArray, TimestampMicrosecondArray,
};
use arrow_schema::{DataType, TimeUnit};
use chrono::{DateTime, Duration, TimeZone, Utc};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use sqlx::PgPool;
use std::collections::HashMap;
use uuid::Uuid;

fn march(d: u32, h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, d, h, 0, 0).unwrap()
}

const MARCH: &str = "product_snapshots_2025_03";

fn no_options() -> std::iter::Empty<(String, String)> {
    std::iter::empty()
}

/// `n` snapshots over March of two products, every few hours; some with quality, readings,
/// a page ASIN, no price, a long text.
async fn fill_march(pool: &PgPool, n: usize) -> Vec<NewSnapshot> {
    let s = common::store(pool.clone());
    let p = common::product(&s, "B0000000A1", None).await;
    let q = common::product(&s, "B0000000A2", None).await;
    let mut batch = Vec::with_capacity(n);
    for i in 0..n {
        let product = if i % 3 == 0 { &q } else { &p };
        let at = march(1, 0) + Duration::minutes(37 * i as i64);
        let mut x = snapshot(product, at, (i % 97) as i64);
        if i % 5 == 0 {
            let mut quality = Quality::default();
            quality.set(TrackedField::ALL[0], FieldQuality::Unparsed);
            x.quality = Some(quality);
        }
        if i % 7 == 0 {
            x.price = None;
            x.in_stock = false;
            x.coupon_text = Some("Save 5%, \"today\"\nonly".into());
        }
        if i % 11 == 0 {
            x.page_asin = Some(common::asin("B0000000A9"));
        }
        batch.push(x);
    }
    s.insert_snapshots(&batch).await.unwrap();
    batch
}

/// Every row of the partition, by id, as (product, time, price, source, keywords text).
/// A row with its id first, as selected.
type IdRow =
    (Uuid, Uuid, DateTime<Utc>, Option<rust_decimal::Decimal>, String, Option<String>, Option<String>);
type Row = (Uuid, DateTime<Utc>, Option<rust_decimal::Decimal>, String, Option<String>, Option<String>);

async fn rows_of(pool: &PgPool, table: &str) -> HashMap<Uuid, Row> {
    let sql = format!(
        "SELECT id, product_id, scraped_at, price, source, amazons_choice_keywords::text, coupon_text FROM {table}"
    );
    let rows: Vec<IdRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_all(pool).await.unwrap();
    rows.into_iter().map(|r| (r.0, (r.1, r.2, r.3, r.4, r.5, r.6))).collect()
}

async fn exists(pool: &PgPool, table: &str) -> bool {
    sqlx::query_scalar("SELECT to_regclass($1) IS NOT NULL").bind(table).fetch_one(pool).await.unwrap()
}

fn read_parquet(path: &std::path::Path) -> Vec<RecordBatch> {
    let file = std::fs::File::open(path).unwrap();
    ParquetRecordBatchReaderBuilder::try_new(file).unwrap().build().unwrap().map(|b| b.unwrap()).collect()
}

async fn daily(
    pool: &PgPool,
) -> Vec<(Uuid, chrono::NaiveDate, i32, rust_decimal::Decimal, Option<rust_decimal::Decimal>, i32)> {
    sqlx::query_as(
        "SELECT product_id, day, snapshots, price_sum, price_close, in_stock_count FROM product_daily ORDER BY 1, 2",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn archive_writes_every_raw_row_reads_it_back_then_drops(pool: PgPool) {
    fill_march(&pool, 700).await;
    let before = rows_of(&pool, MARCH).await;
    assert_eq!(before.len(), 700);
    let rollups = daily(&pool).await;
    let dir = tempfile::tempdir().unwrap();
    let target = ArchiveTarget::open(dir.path().to_str().unwrap(), no_options()).unwrap();

    let now = Utc::now();
    let report =
        partitions::drop_expired_partitions(&pool, Duration::days(90), now, Some(Disposal::Archive(&target)))
            .await
            .unwrap();
    assert!(report.dropped.contains(&MARCH.to_string()), "{report:?}");
    assert_eq!(report.archived.len(), report.dropped.len(), "every dropped month was archived");
    assert!(!exists(&pool, MARCH).await);
    let manifest = report.archived.iter().find(|m| m.partition == MARCH).unwrap();
    assert_eq!(manifest.rows, 700);
    assert_eq!(manifest.min_scraped_at, Some(march(1, 0)));
    assert_eq!(manifest.max_scraped_at, Some(march(1, 0) + Duration::minutes(37 * 699)));
    // The manifest on disk says the same.
    let on_disk: archive::ArchiveManifest = serde_json::from_slice(
        &std::fs::read(dir.path().join("product_snapshots_2025_03.manifest.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(&on_disk, manifest);

    // Count and content of the file, read independently of the archive code.
    let batches = read_parquet(&dir.path().join("product_snapshots_2025_03.parquet"));
    let schema = batches[0].schema();
    assert_eq!(schema.field_with_name("price").unwrap().data_type(), &DataType::Decimal128(10, 2));
    assert_eq!(
        schema.field_with_name("scraped_at").unwrap().data_type(),
        &DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
    );
    assert!(schema.field_with_name("source").is_ok());
    let mut seen = 0;
    for b in &batches {
        let col = |n: &str| b.column_by_name(n).unwrap().clone();
        let ids = col("id");
        let ids = ids.as_any().downcast_ref::<FixedSizeBinaryArray>().unwrap();
        let products = col("product_id");
        let products = products.as_any().downcast_ref::<FixedSizeBinaryArray>().unwrap();
        let times = col("scraped_at");
        let times = times.as_any().downcast_ref::<TimestampMicrosecondArray>().unwrap();
        let prices = col("price");
        let prices = prices.as_any().downcast_ref::<Decimal128Array>().unwrap();
        let sources = col("source");
        let sources = sources.as_any().downcast_ref::<StringArray>().unwrap();
        let keywords = col("amazons_choice_keywords");
        let keywords = keywords.as_any().downcast_ref::<StringArray>().unwrap();
        let coupons = col("coupon_text");
        let coupons = coupons.as_any().downcast_ref::<StringArray>().unwrap();
        for i in 0..b.num_rows() {
            let id = Uuid::from_slice(ids.value(i)).unwrap();
            let want = before.get(&id).unwrap_or_else(|| panic!("row {id} was not in the partition"));
            assert_eq!(Uuid::from_slice(products.value(i)).unwrap(), want.0);
            assert_eq!(times.value(i), want.1.timestamp_micros());
            let price =
                (!prices.is_null(i)).then(|| rust_decimal::Decimal::from_i128_with_scale(prices.value(i), 2));
            assert_eq!(price, want.2, "price of {id}");
            assert_eq!(sources.value(i), want.3);
            assert_eq!((!keywords.is_null(i)).then(|| keywords.value(i).to_string()), want.4);
            assert_eq!((!coupons.is_null(i)).then(|| coupons.value(i).to_string()), want.5);
            seen += 1;
        }
    }
    assert_eq!(seen, 700, "every raw row is in the file, once");
    // The daily rollups were not touched by retention.
    assert_eq!(daily(&pool).await, rollups);
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn retention_without_a_target_refuses_and_discard_drops(pool: PgPool) {
    fill_march(&pool, 10).await;
    let now = Utc::now();
    let err = partitions::drop_expired_partitions(&pool, Duration::days(90), now, None).await.unwrap_err();
    assert!(
        matches!(&err, PartitionError::NoArchive { partitions } if partitions.contains(&MARCH.to_string()))
    );
    let text = err.to_string();
    assert!(text.contains("--archive") && text.contains("--discard"), "{text}");
    assert!(exists(&pool, MARCH).await, "nothing dropped without a target");
    assert_eq!(rows_of(&pool, MARCH).await.len(), 10);
    // Upkeep still creates the months ahead before refusing.
    assert!(partitions::upkeep(&pool, 1, Duration::days(90), now, None).await.is_err());

    let r = partitions::drop_expired_partitions(&pool, Duration::days(90), now, Some(Disposal::Discard))
        .await
        .unwrap();
    assert!(r.dropped.contains(&MARCH.to_string()));
    assert!(r.archived.is_empty());
    assert!(!exists(&pool, MARCH).await);
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn restore_is_idempotent_and_keeps_the_rollups_right(pool: PgPool) {
    let s = common::store(pool.clone());
    fill_march(&pool, 200).await;
    let before = rows_of(&pool, MARCH).await;
    let dir = tempfile::tempdir().unwrap();
    let target = ArchiveTarget::open(dir.path().to_str().unwrap(), no_options()).unwrap();
    let month = Month::new(2025, 3).unwrap();
    archive::archive_month(&pool, &target, month).await.unwrap();
    partitions::drop_expired_partitions(
        &pool,
        Duration::days(90),
        Utc::now(),
        Some(Disposal::Archive(&target)),
    )
    .await
    .unwrap();
    assert!(!exists(&pool, MARCH).await);

    // A late page for March after the month went: it lands in DEFAULT and its day's rollup.
    let p = common::product(&s, "B0000000A1", None).await;
    let mut late = snapshot(&p, march(2, 1) + Duration::seconds(7), 3);
    late.price = Some(money(1));
    s.insert_snapshot(&late).await.unwrap();
    let maintained = daily(&pool).await;

    let r = archive::restore(&pool, &target, Some(month)).await.unwrap();
    assert_eq!((r[0].rows, r[0].inserted), (200, 200), "{r:?}");
    let after = rows_of(&pool, MARCH).await;
    assert_eq!(after.len(), 201, "the archived rows and the late one, in the month's partition again");
    for (id, row) in &before {
        assert_eq!(after.get(id), Some(row), "row {id} restored as archived");
    }
    assert_eq!(daily(&pool).await, maintained, "restoring counts no snapshot twice");

    let again = archive::restore(&pool, &target, None).await.unwrap();
    assert_eq!(again.iter().find(|m| m.month == "2025-03").map(|m| m.inserted), Some(0));
    assert_eq!(rows_of(&pool, MARCH).await.len(), 201);
    assert_eq!(daily(&pool).await, maintained);
    // And a rebuild from the restored raw rows agrees.
    s.rebuild_rollups(None, None).await.unwrap();
    assert_eq!(daily(&pool).await, maintained);
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn file_urls_go_through_object_store_and_a_tampered_file_is_refused(pool: PgPool) {
    fill_march(&pool, 30).await;
    let dir = tempfile::tempdir().unwrap();
    let url = format!("file://{}/nested/archive", dir.path().display());
    let target = ArchiveTarget::open(&url, no_options()).unwrap();
    let month = Month::new(2025, 3).unwrap();
    let m = archive::archive_month(&pool, &target, month).await.unwrap();
    assert_eq!(m.rows, 30);
    let file = dir.path().join("nested/archive/product_snapshots_2025_03.parquet");
    assert_eq!(std::fs::metadata(&file).unwrap().len(), m.bytes);
    assert_eq!(target.months().await.unwrap(), vec![month]);

    // A file that no longer matches its manifest is not restored.
    let mut bytes = std::fs::read(&file).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0xff;
    std::fs::write(&file, bytes).unwrap();
    sqlx::query("DELETE FROM product_snapshots").execute(&pool).await.unwrap();
    let err = archive::restore(&pool, &target, Some(month)).await.unwrap_err();
    assert!(err.to_string().contains("SHA-256"), "{err}");
    assert!(rows_of(&pool, MARCH).await.is_empty());
}

#[test]
fn bad_targets_are_named() {
    let err = ArchiveTarget::open("nope://x/y", no_options()).unwrap_err();
    assert!(err.to_string().contains("nope://x/y"), "{err}");
}
