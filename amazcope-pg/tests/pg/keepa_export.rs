//! Keepa history import (snapshots marked `keepa`, rollups, idempotent, nothing written for
//! a product the database refuses) and `export` (CSV and Parquet, raw and daily, per user).

use crate::repos::common::{self, snapshot};
use amazcope_core::keepa::{KEEPA_EPOCH_MINUTES, decode_file};
use amazcope_core::model::tracking::TrackOptions;
use amazcope_core::{SnapshotRepository, TrackingRepository};
use amazcope_pg::export::{ExportFormat, ExportRequest, ExportScope};
use arrow_array::{Array, Decimal128Array, StringArray};
use arrow_schema::DataType;
use chrono::{Duration, TimeZone, Utc};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use sqlx::PgPool;

/// time, price, in stock, rating, reviews, source, partition.
type KeepaRow =
    (chrono::DateTime<Utc>, Option<rust_decimal::Decimal>, bool, Option<f64>, Option<i32>, String, String);

/// The keepa minute of a UTC time.
fn km(y: i32, m: u32, d: u32, h: u32) -> i64 {
    Utc.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap().timestamp() / 60 - KEEPA_EPOCH_MINUTES
}

fn keepa_json() -> String {
    serde_json::json!({"products": [{
        "asin": "B0KEEPA001", "domainId": 1, "title": "Keepa kettle",
        "csv": [
            [km(2015, 6, 1, 0), 2999, km(2015, 6, 1, 12), -1, km(2025, 3, 2, 0), 2499],
            null, null,
            [km(2015, 6, 1, 0), 1200],
            [km(2015, 6, 1, 0), 3999],
            null, null, null, null, null, null, null, null, null, null, null,
            [km(2015, 6, 1, 0), 42],
            [km(2015, 6, 1, 0), 10, km(2025, 3, 2, 0), -2],
            [km(2025, 3, 2, 6), 2500, 499]
        ]
    }]})
    .to_string()
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn keepa_import_creates_the_product_stores_keepa_snapshots_and_is_idempotent(pool: PgPool) {
    let s = common::store(pool.clone());
    let products = decode_file(&keepa_json(), None).unwrap();
    let p = products[0].as_ref().unwrap();
    let r = s.import_keepa(p, None).await.unwrap();
    assert!(r.created);
    assert_eq!((r.points, r.inserted), (4, 4));
    let rows: Vec<KeepaRow> = sqlx::query_as(
        "SELECT scraped_at, price, in_stock, rating, review_count, source, tableoid::regclass::text
             FROM product_snapshots WHERE product_id = $1 ORDER BY scraped_at",
    )
    .bind(r.product_id.0)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(rows.len(), 4);
    assert!(rows.iter().all(|x| x.5 == "keepa"));
    assert_eq!(rows[0].0, Utc.with_ymd_and_hms(2015, 6, 1, 0, 0, 0).unwrap());
    assert_eq!(
        (rows[0].1, rows[0].2, rows[0].3, rows[0].4),
        (Some(common::money(2999)), true, Some(4.2), Some(10))
    );
    assert_eq!(rows[0].6, "product_snapshots_2015_06", "the month's partition was made");
    assert_eq!((rows[1].1, rows[1].2), (None, false), "-1: out of stock");
    assert_eq!((rows[2].1, rows[2].4), (Some(common::money(2499)), None), "-2: no review count");
    assert_eq!(rows[3].1, Some(common::money(2999)), "buy box 25.00 + 4.99 shipping");
    let title: String = sqlx::query_scalar("SELECT title FROM products WHERE id = $1")
        .bind(r.product_id.0)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(title, "Keepa kettle");
    let days: i64 = sqlx::query_scalar("SELECT count(*) FROM product_daily WHERE product_id = $1")
        .bind(r.product_id.0)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(days, 2, "one rollup per day with points");

    let again = s.import_keepa(p, None).await.unwrap();
    assert_eq!((again.created, again.inserted), (false, 0));
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM product_snapshots").fetch_one(&pool).await.unwrap();
    assert_eq!(n, 4);
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn a_keepa_product_the_database_refuses_writes_nothing(pool: PgPool) {
    let s = common::store(pool.clone());
    // A point a week in the future breaks the snapshot time check: nothing of the product,
    // not even the product, is stored.
    let future = (Utc::now() + Duration::days(7)).timestamp() / 60 - KEEPA_EPOCH_MINUTES;
    let text = serde_json::json!([{"asin": "B0KEEPA002", "domainId": 1, "csv": [[km(2025, 1, 1, 0), 100, future, 200]]}])
        .to_string();
    let products = decode_file(&text, None).unwrap();
    assert!(s.import_keepa(products[0].as_ref().unwrap(), None).await.is_err());
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM products").fetch_one(&pool).await.unwrap();
    let m: i64 = sqlx::query_scalar("SELECT count(*) FROM product_snapshots").fetch_one(&pool).await.unwrap();
    assert_eq!((n, m), (0, 0));
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn exports_write_every_row_as_csv_and_parquet_for_a_product_or_a_user(pool: PgPool) {
    let s = common::store(pool.clone());
    let alice = common::user(&s, "alice").await;
    let p = common::product(&s, "B0000000E1", None).await;
    let q = common::product(&s, "B0000000E2", None).await;
    let start = Utc.with_ymd_and_hms(2025, 4, 1, 0, 0, 0).unwrap();
    let mut batch: Vec<_> = (0..48).map(|i| snapshot(&p, start + Duration::hours(i), i)).collect();
    batch[5].coupon_text = Some("a, \"quoted\" coupon".into());
    batch.extend((0..10).map(|i| snapshot(&q, start + Duration::hours(i), i)));
    s.insert_snapshots(&batch).await.unwrap();
    s.track(alice.id, p.id, &TrackOptions::default()).await.unwrap();

    let raw = |scope, format| ExportRequest { scope, from: None, to: None, daily: false, format };
    let (n, csv) = s.export(&raw(ExportScope::Product(p.id), ExportFormat::Csv), Vec::new()).await.unwrap();
    assert_eq!(n, 48);
    let text = String::from_utf8(csv).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("asin,marketplace,id,product_id,scraped_at,price,"), "{}", lines[0]);
    assert!(lines[0].ends_with(",source,created_at,updated_at"), "{}", lines[0]);
    assert_eq!(lines.len(), 49);
    assert!(lines[1].starts_with("B0000000E1,com,"), "{}", lines[1]);
    assert!(lines[1].contains(",2025-04-01T00:00:00Z,10.00,20.00,"), "{}", lines[1]);
    assert!(text.contains("\"a, \"\"quoted\"\" coupon\""), "CSV quoting");

    // The user's export holds the tracked product only.
    let (n, file) =
        s.export(&raw(ExportScope::User(alice.id), ExportFormat::Parquet), Vec::new()).await.unwrap();
    assert_eq!(n, 48);
    let reader = ParquetRecordBatchReaderBuilder::try_new(bytes::Bytes::from(file)).unwrap().build().unwrap();
    let batches: Vec<_> = reader.map(|b| b.unwrap()).collect();
    assert_eq!(batches.iter().map(|b| b.num_rows()).sum::<usize>(), 48);
    let b = &batches[0];
    let asins = b.column_by_name("asin").unwrap().as_any().downcast_ref::<StringArray>().unwrap().clone();
    assert!((0..b.num_rows()).all(|i| asins.value(i) == "B0000000E1"));
    let prices = b.column_by_name("price").unwrap();
    assert_eq!(prices.data_type(), &DataType::Decimal128(10, 2));
    let prices = prices.as_any().downcast_ref::<Decimal128Array>().unwrap();
    assert_eq!(prices.value(3), 1003, "10.03 as exact cents");

    // Daily, from a day on: one row per day, mean of the day's prices.
    let daily = ExportRequest {
        scope: ExportScope::Product(p.id),
        from: Some(start + Duration::days(1)),
        to: None,
        daily: true,
        format: ExportFormat::Csv,
    };
    let (n, csv) = s.export(&daily, Vec::new()).await.unwrap();
    assert_eq!(n, 1);
    let text = String::from_utf8(csv).unwrap();
    let row: Vec<&str> = text.lines().nth(1).unwrap().split(',').collect();
    let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
    let get = |name: &str| row[header.iter().position(|h| *h == name).unwrap()];
    assert_eq!(get("day"), "2025-04-02");
    assert_eq!(get("price_min"), "10.24");
    assert_eq!(get("price_max"), "10.47");
    assert_eq!(get("price_mean"), "10.36", "the mean 10.355 rounded half away from zero");
    assert_eq!(get("snapshots"), "24");

    // Someone who tracks nothing: a header, no rows.
    let bob = common::user(&s, "bob").await;
    let (n, csv) = s.export(&raw(ExportScope::User(bob.id), ExportFormat::Csv), Vec::new()).await.unwrap();
    assert_eq!((n, String::from_utf8(csv).unwrap().lines().count()), (0, 1));
}
