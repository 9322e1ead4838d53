//! Daily rollups (`product_daily`) kept by the snapshot write: exact values per UTC day,
//! re-ingest changes nothing, a late page updates its day, and a rebuild from the raw
//! snapshots equals what was maintained.

use crate::repos::common::{self, money, snapshot};
use amazcope_core::SnapshotRepository;
use chrono::{Duration, NaiveDate, TimeZone, Utc};
use rust_decimal::Decimal;
use sqlx::PgPool;

fn at(d: u32, h: u32) -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 5, d, h, 0, 0).unwrap()
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn rollups_follow_the_snapshots_and_a_rebuild_agrees(pool: PgPool) {
    let s = common::store(pool.clone());
    let p = common::product(&s, "B0000000D1", None).await;
    let q = common::product(&s, "B0000000D2", None).await;
    // Day 1 of p: 10.05, 10.01, 10.09 at 6h, 12h, 23h; out of stock at noon.
    let mut batch = vec![snapshot(&p, at(1, 6), 5), snapshot(&p, at(1, 12), 1), snapshot(&p, at(1, 23), 9)];
    batch[1].in_stock = false;
    batch.push(snapshot(&q, at(1, 8), 50));
    batch.push(snapshot(&p, at(2, 0), 20));
    s.insert_snapshots(&batch).await.unwrap();
    let day1 = NaiveDate::from_ymd_opt(2025, 5, 1).unwrap();
    let d = s.daily_rollups(p.id, Some(day1), Some(day1)).await.unwrap();
    assert_eq!(d.len(), 1);
    let d = &d[0];
    assert_eq!(
        (d.price_min, d.price_max, d.price_close),
        (Some(money(1001)), Some(money(1009)), Some(money(1009)))
    );
    assert_eq!((d.price_sum, d.price_count, d.snapshots, d.in_stock_count), (money(3015), 3, 3, 2));
    assert_eq!(d.price_mean(), Some(money(1005)));
    assert!((d.in_stock_share() - 2.0 / 3.0).abs() < 1e-12);
    assert_eq!((d.bsr_min, d.bsr_max, d.bsr_close), (Some(101), Some(109), Some(109)));
    assert_eq!((d.first_at, d.last_at), (at(1, 6), at(1, 23)));

    // The same snapshots again: nothing changes.
    let before = s.daily_rollups(p.id, None, None).await.unwrap();
    s.insert_snapshots(&batch).await.unwrap();
    assert_eq!(s.daily_rollups(p.id, None, None).await.unwrap(), before);

    // A late page for day 1, earlier than its close: widens the day, keeps the close.
    s.insert_snapshot(&snapshot(&p, at(1, 3), 0)).await.unwrap();
    let d = &s.daily_rollups(p.id, Some(day1), Some(day1)).await.unwrap()[0];
    assert_eq!(
        (d.price_min, d.price_close, d.snapshots, d.first_at),
        (Some(money(1000)), Some(money(1009)), 4, at(1, 3))
    );
    // A late page after the close moves it.
    s.insert_snapshot(&snapshot(&p, at(1, 23) + Duration::minutes(30), 7)).await.unwrap();
    let d = &s.daily_rollups(p.id, Some(day1), Some(day1)).await.unwrap()[0];
    assert_eq!(
        (d.price_close, d.snapshots, d.last_at),
        (Some(money(1007)), 5, at(1, 23) + Duration::minutes(30))
    );

    // A rebuild from the raw snapshots gives exactly what the writes maintained.
    let maintained =
        [s.daily_rollups(p.id, None, None).await.unwrap(), s.daily_rollups(q.id, None, None).await.unwrap()];
    sqlx::query("UPDATE product_daily SET price_sum = 0, snapshots = 99").execute(&pool).await.unwrap();
    assert_eq!(s.rebuild_rollups(None, None).await.unwrap(), 3, "three product-days");
    let rebuilt =
        [s.daily_rollups(p.id, None, None).await.unwrap(), s.daily_rollups(q.id, None, None).await.unwrap()];
    assert_eq!(rebuilt, maintained);
    // A bounded rebuild touches its days only.
    sqlx::query("UPDATE product_daily SET snapshots = 98 WHERE day = '2025-05-02'")
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(s.rebuild_rollups(Some(day1), Some(day1)).await.unwrap(), 2);
    let day2: i32 = sqlx::query_scalar("SELECT snapshots FROM product_daily WHERE day = '2025-05-02'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(day2, 98, "outside the range");
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn a_zero_price_is_no_offer_in_the_rollups_and_a_rebuild_agrees(pool: PgPool) {
    let s = common::store(pool.clone());
    let p = common::product(&s, "B0000000Z1", None).await;
    let mut zero = snapshot(&p, at(3, 12), 0);
    zero.price = Some(money(0));
    let mut none = snapshot(&p, at(3, 18), 0);
    none.price = None;
    s.insert_snapshots(&[snapshot(&p, at(3, 6), 4), zero]).await.unwrap();
    // A later batch of the same day: the merge adds to the stored day.
    s.insert_snapshots(&[snapshot(&p, at(3, 9), 8), none]).await.unwrap();
    let day = NaiveDate::from_ymd_opt(2025, 5, 3).unwrap();
    let maintained = s.daily_rollups(p.id, Some(day), Some(day)).await.unwrap();
    let d = &maintained[0];
    // The real prices 10.04 and 10.08 only; four snapshots; the close had no price.
    assert_eq!(
        (d.price_min, d.price_max, d.price_sum, d.price_count),
        (Some(money(1004)), Some(money(1008)), money(2012), 2)
    );
    assert_eq!((d.snapshots, d.price_close, d.price_mean()), (4, None, Some(money(1006))));
    s.rebuild_rollups(None, None).await.unwrap();
    assert_eq!(s.daily_rollups(p.id, Some(day), Some(day)).await.unwrap(), maintained);
}

/// The daily price read comes from the primary key's index alone (migration 0020's INCLUDE
/// columns): an index-only scan in key order, with no heap fetch and no sort. The planner is
/// kept off sequential and bitmap scans, which it may prefer for a table this small; without
/// the INCLUDE columns the plan is a plain index scan and this fails.
#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn the_daily_price_read_is_an_index_only_scan_of_the_primary_key(pool: PgPool) {
    let s = common::store(pool.clone());
    let p = common::product(&s, "B0000000D5", None).await;
    let mut batch: Vec<_> = (1..=20).map(|d| snapshot(&p, at(d, 12), i64::from(d))).collect();
    batch.push(snapshot(&p, at(1, 18), 4));
    s.insert_snapshots(&batch).await.unwrap();
    sqlx::query("VACUUM ANALYZE product_daily").execute(&pool).await.unwrap();
    let mut conn = pool.acquire().await.unwrap();
    sqlx::raw_sql("SET enable_seqscan = off; SET enable_bitmapscan = off").execute(&mut *conn).await.unwrap();
    let (from, to) =
        (NaiveDate::from_ymd_opt(2025, 5, 1).unwrap(), NaiveDate::from_ymd_opt(2025, 5, 20).unwrap());
    let sql = amazcope_pg::daily::daily_prices_sql(&[p.id], from, to);
    let plan: serde_json::Value =
        sqlx::query_scalar(sqlx::AssertSqlSafe(format!("EXPLAIN (ANALYZE, FORMAT JSON) {sql}")))
            .fetch_one(&mut *conn)
            .await
            .unwrap();
    // One group per product over the index in key order: no sort, no heap page.
    let top = &plan[0]["Plan"];
    assert_eq!(
        (top["Node Type"].as_str(), top["Strategy"].as_str()),
        (Some("Aggregate"), Some("Sorted")),
        "plan: {top}"
    );
    let scan = &top["Plans"][0];
    assert_eq!(
        (scan["Node Type"].as_str(), scan["Index Name"].as_str(), scan["Actual Rows"].as_f64()),
        (Some("Index Only Scan"), Some("pk_product_daily"), Some(20.0)),
        "plan: {top}"
    );
    assert_eq!(scan["Heap Fetches"].as_f64(), Some(0.0), "plan: {top}");
    let prices = s.daily_prices_of(&[p.id], from, to).await.unwrap();
    assert_eq!(prices.len(), 20);
    assert_eq!((prices[0].min, prices[19].max), (Some(money(1001)), Some(money(1020))));
    // Day 1 has two prices (10.01 and 10.04): their exact mean; day 2 one price, itself.
    assert_eq!((prices[0].max, prices[0].mean), (Some(money(1004)), Some(Decimal::new(10025, 3))));
    assert_eq!((prices[1].min, prices[1].mean), (Some(money(1002)), Some(money(1002))));
}
