use super::common::*;
use amazcope_core::model::snapshot::NewSnapshot;
use amazcope_core::model::tracking::TrackOptions;
use amazcope_core::{
    BatchReport, ProductRepository, SnapshotRepository, StoreError, TimeRange, TrackingRepository,
};
use chrono::Duration;
use sqlx::PgPool;

async fn count(pool: &PgPool) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM product_snapshots").fetch_one(pool).await.unwrap()
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn snapshot_round_trips_every_field_and_sets_latest_block(pool: PgPool) {
    let s = store(pool);
    let p = product(&s, "B000000030", None).await;
    let mut snap = snapshot(&p, day(2, 3), 5);
    snap.buybox_price = Some(money(999));
    snap.bsr_small_category = Some(7);
    snap.small_category_name = Some("Cables".into());
    snap.stock_quantity = Some(3);
    snap.seller_id = Some("A1".into());
    snap.fulfilled_by = Some("Amazon".into());
    snap.coupon_text = Some("Save 5%".into());
    snap.coupon_available = true;
    snap.deal_type = Some("deal".into());
    snap.is_deal = true;
    snap.past_sales = Some("10K+ bought".into());
    snap.delivery_message = Some("Tomorrow".into());
    snap.product_type = Some("ELECTRONICS".into());
    snap.category_avg_price = Some(money(1234));
    snap.category_avg_rating = Some(4.1);
    snap.category_avg_reviews = Some(77);
    let ins = s.insert_snapshot(&snap).await.unwrap();
    assert!(ins.inserted);

    let got = s.latest_snapshot(p.id).await.unwrap().unwrap();
    assert_eq!(got.id, ins.id);
    assert_eq!(got.data, snap, "every field reads back as written");

    let prod = s.product(p.id).await.unwrap().unwrap();
    assert_eq!(prod.current_price, Some(money(1005)));
    assert_eq!(prod.original_price, Some(money(2005)));
    assert_eq!(prod.current_bsr, Some(105));
    assert_eq!(prod.bsr_category_name.as_deref(), Some("Electronics"));
    assert_eq!((prod.rating, prod.review_count), (Some(4.5), Some(55)));
    assert_eq!(prod.stock_status.as_deref(), Some("In Stock"));
    assert!(prod.is_prime && prod.is_amazon_seller && prod.is_fba && prod.has_amazons_choice);
    assert_eq!(prod.amazons_choice_keywords, Some(serde_json::json!(["usb cable"])));
    assert_eq!(prod.last_snapshot_at, Some(day(2, 3)));
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn ingest_same_snapshot_twice_keeps_one_row(pool: PgPool) {
    let s = store(pool.clone());
    let p = product(&s, "B000000031", None).await;
    let snap = snapshot(&p, day(2, 3), 1);
    let a = s.insert_snapshot(&snap).await.unwrap();
    let b = s.insert_snapshot(&snap).await.unwrap();
    assert!(a.inserted && !b.inserted);
    assert_eq!(a.id, b.id, "the duplicate reports the stored id");
    assert_eq!(count(&pool).await, 1);

    let report = s
        .insert_snapshots(&[snap.clone(), snapshot(&p, day(2, 4), 2), snapshot(&p, day(2, 4), 2)])
        .await
        .unwrap();
    assert_eq!(report, BatchReport { inserted: 1, duplicates: 2 });
    assert_eq!(count(&pool).await, 2);
    let again = s.insert_snapshots(&[snap]).await.unwrap();
    assert_eq!(again, BatchReport { inserted: 0, duplicates: 1 });
    assert_eq!(count(&pool).await, 2);
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn back_dated_snapshot_does_not_overwrite_latest_block(pool: PgPool) {
    let s = store(pool);
    let p = product(&s, "B000000032", None).await;
    s.insert_snapshot(&snapshot(&p, day(3, 10), 50)).await.unwrap();
    s.insert_snapshot(&snapshot(&p, day(3, 1), 1)).await.unwrap();
    let prod = s.product(p.id).await.unwrap().unwrap();
    assert_eq!(prod.current_price, Some(money(1050)));
    assert_eq!(prod.last_snapshot_at, Some(day(3, 10)));

    // Same through the batch path: an old batch leaves the newer values alone.
    s.insert_snapshots(&[snapshot(&p, day(2, 1), 2), snapshot(&p, day(2, 2), 3)]).await.unwrap();
    let prod = s.product(p.id).await.unwrap().unwrap();
    assert_eq!((prod.current_price, prod.last_snapshot_at), (Some(money(1050)), Some(day(3, 10))));
    assert_eq!(s.latest_snapshot(p.id).await.unwrap().unwrap().data.scraped_at, day(3, 10));
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn batch_of_5000_snapshots_sets_each_products_latest_block(pool: PgPool) {
    let s = store(pool.clone());
    let mut products = Vec::new();
    for i in 0..50 {
        products.push(product(&s, &format!("B{i:09}"), None).await);
    }
    // 100 days x 50 products, day-major as a scraper delivers them; every value distinct.
    let start = day(1, 1);
    let mut batch: Vec<NewSnapshot> = Vec::with_capacity(5000);
    for d in 0..100 {
        for (i, p) in products.iter().enumerate() {
            let mut snap = snapshot(p, start + Duration::days(d), d * 100 + i as i64);
            if d % 7 == 0 {
                snap.amazons_choice_keywords = None;
                snap.price = None;
                snap.stock_status = None;
            }
            batch.push(snap);
        }
    }
    let report = s.insert_snapshots(&batch).await.unwrap();
    assert_eq!(report, BatchReport { inserted: 5000, duplicates: 0 });
    assert_eq!(count(&pool).await, 5000);

    let last = start + Duration::days(99);
    for (i, p) in products.iter().enumerate() {
        let prod = s.product(p.id).await.unwrap().unwrap();
        let n = 99 * 100 + i as i64;
        assert_eq!(prod.last_snapshot_at, Some(last), "{}", p.asin);
        assert_eq!(prod.current_price, Some(money(1000 + n)), "{}", p.asin);
        assert_eq!(prod.current_bsr, Some(100 + n as i32), "{}", p.asin);
        assert_eq!(prod.review_count, Some(50 + n as i32), "{}", p.asin);
    }
    // Every field survived the binary COPY.
    let sample = &batch[4321];
    let stored = s
        .previous_snapshot(sample.product_id, sample.scraped_at + Duration::seconds(1))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&stored.data, sample);
    let nulls = &batch[0];
    let stored = s
        .previous_snapshot(nulls.product_id, nulls.scraped_at + Duration::seconds(1))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&stored.data, nulls);

    // Re-sending the whole batch stores nothing new.
    assert_eq!(s.insert_snapshots(&batch).await.unwrap(), BatchReport { inserted: 0, duplicates: 5000 });
    assert_eq!(count(&pool).await, 5000);
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn previous_snapshot_is_latest_strictly_earlier(pool: PgPool) {
    let s = store(pool);
    let p = product(&s, "B000000033", None).await;
    for (d, n) in [(1, 1), (5, 5), (9, 9)] {
        s.insert_snapshot(&snapshot(&p, day(4, d), n)).await.unwrap();
    }
    let prev = s.previous_snapshot(p.id, day(4, 9)).await.unwrap().unwrap();
    assert_eq!(prev.data.scraped_at, day(4, 5));
    assert!(s.previous_snapshot(p.id, day(4, 1)).await.unwrap().is_none());
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn history_is_oldest_first_in_range_for_a_tracking_user_only(pool: PgPool) {
    let s = store(pool);
    let u = user(&s, "ann").await;
    let other = user(&s, "bob").await;
    let p = product(&s, "B000000034", None).await;
    s.track(u.id, p.id, &TrackOptions::default()).await.unwrap();
    for d in 1..=10 {
        s.insert_snapshot(&snapshot(&p, day(5, d), d as i64)).await.unwrap();
    }
    let range = TimeRange { from: Some(day(5, 3)), to: Some(day(5, 6)) };
    let days: Vec<_> =
        s.snapshot_history(u.id, p.id, range).await.unwrap().iter().map(|x| x.data.scraped_at).collect();
    assert_eq!(days, vec![day(5, 3), day(5, 4), day(5, 5)]);
    assert_eq!(s.snapshot_history(u.id, p.id, TimeRange::default()).await.unwrap().len(), 10);
    // Tracked, nothing in the range: an empty history, not NotFound (and another user's
    // empty range is still NotFound, below).
    let empty = TimeRange { from: Some(day(6, 1)), to: Some(day(6, 2)) };
    assert_eq!(s.snapshot_history(u.id, p.id, empty).await.unwrap().len(), 0);
    assert!(matches!(
        s.snapshot_history(other.id, p.id, empty).await,
        Err(StoreError::NotFound { entity: "product", .. })
    ));

    assert!(matches!(
        s.snapshot_history(other.id, p.id, TimeRange::default()).await,
        Err(StoreError::NotFound { entity: "product", .. })
    ));
    // Untracked (inactive row): no longer readable, like another user's (`check_tracks`).
    s.untrack(u.id, p.id).await.unwrap();
    assert!(matches!(
        s.snapshot_history(u.id, p.id, TimeRange::default()).await,
        Err(StoreError::NotFound { entity: "product", .. })
    ));
}

/// A batch racing another writer of one of its keys keeps one row: small batches (one
/// INSERT .. ON CONFLICT) and large ones (COPY, falling back to the staging path).
#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn batch_racing_a_concurrent_writer_of_the_same_snapshot_keeps_one_row(pool: PgPool) {
    race_a_concurrent_writer(pool, 0).await;
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn large_batch_racing_a_concurrent_writer_falls_back_and_keeps_one_row(pool: PgPool) {
    // 40 products x 100 days beside the raced row: past the COPY threshold.
    race_a_concurrent_writer(pool, 40).await;
}

async fn race_a_concurrent_writer(pool: PgPool, extra_products: usize) {
    let s = store(pool.clone());
    let p = product(&s, "B000000035", None).await;
    let raced = snapshot(&p, day(6, 1), 1);
    let other = snapshot(&p, day(6, 2), 2);
    let mut batch = vec![raced.clone(), other.clone()];
    for i in 0..extra_products {
        let q = product(&s, &format!("B1{i:08}"), None).await;
        batch.extend((0..100).map(|d| snapshot(&q, day(1, 1) + Duration::days(d), d)));
    }
    let expected = batch.len() as u64 - 1;

    // Another writer holds an uncommitted row with the same key: the batch's duplicate
    // check cannot see it, so its write waits on the key and then meets the unique
    // constraint once that writer commits; the batch must skip the row (a COPY by falling
    // back to the staging path).
    let mut writer = pool.begin().await.unwrap();
    sqlx::query("INSERT INTO product_snapshots (product_id, scraped_at, currency) VALUES ($1, $2, 'USD')")
        .bind(p.id.0)
        .bind(raced.scraped_at)
        .execute(&mut *writer)
        .await
        .unwrap();
    let batch_store = s.clone();
    let task = tokio::spawn(async move { batch_store.insert_snapshots(&batch).await });
    // Wait until the batch is blocked on the writer's row lock (not a timed assertion: the
    // outcome below is the same if the writer commits first).
    for _ in 0..200 {
        let waiting: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        if waiting > 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    writer.commit().await.unwrap();
    let report = task.await.unwrap().unwrap();
    assert_eq!(report, BatchReport { inserted: expected, duplicates: 1 });
    assert_eq!(count(&pool).await, expected as i64 + 1);
    let prod = s.product(p.id).await.unwrap().unwrap();
    assert_eq!(prod.last_snapshot_at, Some(day(6, 2)));
    assert_eq!(prod.current_price, other.price);
}
