//! The work queue: concurrent claims never overlap, expired leases are taken over, only the
//! lease holder completes; and partition upkeep running during ingest loses nothing.

use amazcope_core::model::page::{FetchedPage, Field, ParsedPage, ScrapedProduct};
use amazcope_core::service::{ClaimRequest, IngestContext, IngestStore, WorkQueue};
use amazcope_core::{Currency, Marketplace, Money};
use amazcope_pg::PgStore;
use chrono::{DateTime, Duration, TimeZone, Utc};
use rust_decimal::Decimal;
use sqlx::PgPool;
use std::collections::BTreeSet;
use uuid::Uuid;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 6, 1, 12, 0, 0).unwrap()
}

/// `n` products, tracked by one active user (and one more product nobody tracks).
async fn seed(pool: &PgPool, n: usize) -> Uuid {
    let user: Uuid = sqlx::query_scalar(
        "INSERT INTO users (email, username, hashed_password) VALUES ('w@x', 'w', '!') RETURNING id",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO products (asin, title, url)
         SELECT 'B0Q' || lpad(i::text, 7, '0'), 'p', 'u' FROM generate_series(0, $1) i",
    )
    .bind(n as i32)
    .execute(pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO user_products (user_id, product_id)
         SELECT $1, id FROM products WHERE asin <> 'B0Q' || lpad($2::text, 7, '0')",
    )
    .bind(user)
    .bind(n as i32)
    .execute(pool)
    .await
    .unwrap();
    user
}

fn claim(worker: &str, limit: u32, at: DateTime<Utc>) -> ClaimRequest {
    ClaimRequest { worker_id: worker.into(), limit, lease: Duration::minutes(5), now: at, user: None }
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn parallel_workers_never_claim_the_same_product(pool: PgPool) {
    seed(&pool, 60).await;
    let mut tasks = Vec::new();
    for w in 0..4 {
        let store = PgStore::from_pool(pool.clone());
        tasks.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            loop {
                let got = store.claim_due(&claim(&format!("w{w}"), 7, now())).await.unwrap();
                if got.is_empty() {
                    break;
                }
                mine.extend(got.into_iter().map(|c| c.product_id));
            }
            mine
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    let distinct: BTreeSet<_> = all.iter().collect();
    assert_eq!(all.len(), 60, "every tracked product claimed once; the untracked one never");
    assert_eq!(distinct.len(), 60, "no product claimed twice");
    let owners: i64 =
        sqlx::query_scalar("SELECT count(DISTINCT lease_owner) FROM products WHERE lease_owner IS NOT NULL")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(owners >= 1);
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn dead_workers_lease_is_taken_over_after_it_expires(pool: PgPool) {
    seed(&pool, 3).await;
    let store = PgStore::from_pool(pool.clone());
    let dead = store.claim_due(&claim("dead", 10, now())).await.unwrap();
    assert_eq!(dead.len(), 3);
    assert!(
        store.claim_due(&claim("alive", 10, now() + Duration::minutes(4))).await.unwrap().is_empty(),
        "lease still held"
    );
    let taken = store.claim_due(&claim("alive", 10, now() + Duration::minutes(5))).await.unwrap();
    assert_eq!(taken.len(), 3, "lease ran out: taken over");
    // The dead worker coming back cannot complete what it no longer holds.
    assert!(!store.complete(dead[0].product_id, "dead", now() + Duration::days(1)).await.unwrap());
    assert!(store.complete(taken[0].product_id, "alive", now() + Duration::days(1)).await.unwrap());
    assert!(store.release(taken[1].product_id, "alive").await.unwrap());
    // Completed: not due until tomorrow; released: due again at once.
    let again = store.claim_due(&claim("third", 10, now() + Duration::minutes(6))).await.unwrap();
    let ids: BTreeSet<_> = again.iter().map(|c| c.product_id).collect();
    assert_eq!(ids, BTreeSet::from([taken[1].product_id]));
    let next: Option<DateTime<Utc>> =
        sqlx::query_scalar("SELECT next_refresh_at FROM products WHERE id = $1")
            .bind(taken[0].product_id.0)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(next, Some(now() + Duration::days(1)));
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn untracked_inactive_and_not_due_products_are_not_claimed(pool: PgPool) {
    let user = seed(&pool, 4).await;
    sqlx::query("UPDATE products SET is_active = false WHERE asin = 'B0Q0000000'")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("UPDATE products SET next_refresh_at = $1 WHERE asin = 'B0Q0000001'")
        .bind(now() + Duration::hours(1))
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("UPDATE user_products SET is_active = false WHERE product_id = (SELECT id FROM products WHERE asin = 'B0Q0000002')")
        .execute(&pool)
        .await
        .unwrap();
    let store = PgStore::from_pool(pool.clone());
    let other = ClaimRequest { user: Some(Uuid::new_v4().into()), ..claim("w", 10, now()) };
    assert!(store.claim_due(&other).await.unwrap().is_empty(), "another user's filter claims nothing");
    let mine = ClaimRequest { user: Some(user.into()), ..claim("w", 10, now()) };
    let got: Vec<String> = store.claim_due(&mine).await.unwrap().iter().map(|c| c.asin.to_string()).collect();
    assert_eq!(got, vec!["B0Q0000003"]);
}

fn page(asin: &str, at: DateTime<Utc>) -> FetchedPage {
    let mut p = ScrapedProduct::empty(asin.parse().unwrap(), Marketplace::Com);
    p.price = Field::Read(Money::new(Decimal::new(1000, 2), Currency::from_static("USD")).unwrap());
    FetchedPage { source: "t".into(), fetched_at: at, page: ParsedPage::Product(Box::new(p)) }
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn partition_upkeep_during_ingest_loses_nothing(pool: PgPool) {
    // Pages dated a year ahead land in the DEFAULT partition until upkeep creates their
    // month, moving the rows; ingest keeps running meanwhile.
    let base = Utc::now() + Duration::days(400);
    let far: Vec<DateTime<Utc>> =
        (0..40).map(|i| base.min(Utc::now() + Duration::hours(20)) - Duration::minutes(i)).collect();
    let store = PgStore::from_pool(pool.clone());
    let writer = {
        let store = store.clone();
        let far = far.clone();
        tokio::spawn(async move {
            for (i, at) in far.iter().enumerate() {
                let batch = vec![
                    page(&format!("B0P{i:07}"), *at),
                    page(&format!("B0R{i:07}"), *at - Duration::days(200)),
                ];
                store.ingest_batch(&batch, &IngestContext::default()).await.unwrap();
            }
        })
    };
    for months_ahead in [1, 2, 3, 4] {
        amazcope_pg::partitions::ensure_partitions(&pool, months_ahead, Utc::now()).await.unwrap();
    }
    writer.await.unwrap();
    amazcope_pg::partitions::ensure_partitions(&pool, 3, Utc::now()).await.unwrap();
    let rows: i64 =
        sqlx::query_scalar("SELECT count(*) FROM product_snapshots").fetch_one(&pool).await.unwrap();
    assert_eq!(rows, 80, "every snapshot stored exactly once");
    let distinct: i64 =
        sqlx::query_scalar("SELECT count(DISTINCT (product_id, scraped_at)) FROM product_snapshots")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(distinct, 80);
    let latest: i64 = sqlx::query_scalar("SELECT count(*) FROM products WHERE last_snapshot_at IS NOT NULL")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(latest, 80);
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn partition_upkeep_beside_large_tracked_batches_neither_hangs_nor_loses(pool: PgPool) {
    // Batches large enough to read the alert step's inputs on a second connection, of
    // tracked products whose prices move (alerts on every page), while upkeep keeps taking
    // product_snapshots for its DDL: a read beside a batch queued behind upkeep, which
    // waits for that batch, must not hold the batch up for good.
    const PRODUCTS: usize = 70;
    const BATCHES: usize = 8;
    let user: Uuid = sqlx::query_scalar(
        "INSERT INTO users (email, username, hashed_password) VALUES ('u@x', 'u', '!') RETURNING id",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    // A day apart, past the rules' cool-down.
    let base = Utc::now() - Duration::days(BATCHES as i64 + 1);
    let batch = |n: usize| -> Vec<FetchedPage> {
        (0..PRODUCTS)
            .map(|i| {
                let mut p = page(&format!("B0T{i:07}"), base + Duration::days(n as i64));
                // 10.00, then alternately 20.00 and 10.00: a price change on every page.
                let cents = if n.is_multiple_of(2) { 1000 } else { 2000 };
                p.page = match p.page {
                    ParsedPage::Product(mut sp) => {
                        sp.price = Field::Read(
                            Money::new(Decimal::new(cents, 2), Currency::from_static("USD")).unwrap(),
                        );
                        ParsedPage::Product(sp)
                    }
                    other => other,
                };
                p
            })
            .collect()
    };
    let store = PgStore::from_pool(pool.clone());
    store.ingest_batch(&batch(0), &IngestContext::default()).await.unwrap();
    sqlx::query(
        "INSERT INTO user_products (user_id, product_id, price_change_threshold) SELECT $1, id, 5 FROM products",
    )
    .bind(user)
    .execute(&pool)
    .await
    .unwrap();
    let writer = {
        let store = store.clone();
        let batches: Vec<Vec<FetchedPage>> = (1..=BATCHES).map(batch).collect();
        tokio::spawn(async move {
            let mut alerts = 0;
            for b in &batches {
                alerts += store.ingest_batch(b, &IngestContext::default()).await.unwrap().alerts;
            }
            alerts
        })
    };
    let upkeep = async {
        // The migration made three months ahead: each of these creates one (DDL, locks).
        for months_ahead in [4, 5, 6, 7, 8, 9] {
            amazcope_pg::partitions::ensure_partitions(&pool, months_ahead, Utc::now()).await.unwrap();
        }
    };
    let (alerts, ()) = tokio::time::timeout(std::time::Duration::from_secs(120), async {
        tokio::join!(async { writer.await.unwrap() }, upkeep)
    })
    .await
    .expect("ingest and upkeep finish");
    assert_eq!(alerts, (PRODUCTS * BATCHES) as u64, "one price alert per page");
    let rows: i64 =
        sqlx::query_scalar("SELECT count(*) FROM product_snapshots").fetch_one(&pool).await.unwrap();
    assert_eq!(rows, (PRODUCTS * (BATCHES + 1)) as i64);
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM alerts").fetch_one(&pool).await.unwrap();
    assert_eq!(stored, (PRODUCTS * BATCHES) as i64);
}
