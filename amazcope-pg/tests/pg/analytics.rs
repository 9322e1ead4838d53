//! `AnalyticsRepository` on PostgreSQL: summary, trends, comparison and category metrics
//! against hand-computed values on constructed histories, with a second user who must see
//! none of the first's products.

use amazcope_core::analytics::{
    AnalyticsRepository, CompareMetric, Granularity, TrendField, TrendSeries, TrendValue,
};
use amazcope_core::model::category::{NewBestsellerEntry, NewCategory};
use amazcope_core::model::product::{Product, ProductUpsert};
use amazcope_core::model::snapshot::NewSnapshot;
use amazcope_core::model::tracking::TrackOptions;
use amazcope_core::model::user::{NewUser, User};
use amazcope_core::{
    Asin, CategoryLevel, CategoryRepository, Currency, Marketplace, ProductId, ProductRepository,
    SnapshotRepository, StoreError, TimeRange, TrackingRepository, UserRepository,
};
use amazcope_pg::PgStore;
use chrono::{DateTime, TimeZone, Utc};
use rust_decimal::Decimal;
use sqlx::PgPool;

fn at(month: u32, d: u32, h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, month, d, h, 0, 0).single().expect("valid date")
}

fn money(cents: i64) -> Decimal {
    Decimal::new(cents, 2)
}

fn asin(s: &str) -> Asin {
    s.parse().expect("test asin")
}

async fn user(store: &PgStore, name: &str) -> User {
    store.create_user(&NewUser::named(name).expect("valid name")).await.expect("create user")
}

async fn tracked(store: &PgStore, owner: &User, a: &str) -> Product {
    let p = store
        .upsert_product(&ProductUpsert::bare(asin(a), Marketplace::Com, Some(owner.id)))
        .await
        .expect("upsert product");
    store.track(owner.id, p.id, &TrackOptions::default()).await.expect("track");
    p
}

fn snap(
    p: ProductId,
    when: DateTime<Utc>,
    price: Option<i64>,
    bsr: Option<i32>,
    rating: Option<f64>,
    reviews: Option<i32>,
) -> NewSnapshot {
    let mut s = NewSnapshot::empty(p, when, Currency::from_static("USD"));
    s.price = price.map(money);
    s.bsr_main_category = bsr;
    s.rating = rating;
    s.review_count = reviews;
    s.in_stock = true;
    s
}

fn close(a: Option<f64>, b: f64) -> bool {
    a.is_some_and(|a| (a - b).abs() < 1e-9)
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn summary_compares_latest_with_baselines_at_or_before_7_and_30_days(pool: PgPool) {
    let store = PgStore::from_pool(pool);
    let alice = user(&store, "alice").await;
    let p = tracked(&store, &alice, "B0SUMMARY1").await;
    let now = at(6, 30, 0);
    store
        .insert_snapshots(&[
            snap(p.id, at(5, 1, 0), Some(2000), Some(1000), Some(4.0), Some(100)),
            // Exactly now − 30 d: "at or before" takes it.
            snap(p.id, at(5, 31, 0), Some(2500), Some(800), Some(4.2), Some(150)),
            snap(p.id, at(6, 20, 0), Some(2400), Some(500), Some(4.4), Some(180)),
            snap(p.id, at(6, 29, 12), Some(3000), Some(400), Some(4.4), Some(200)),
            // After `now`: not the latest at `now`.
            snap(p.id, at(7, 2, 0), Some(9900), Some(1), Some(1.0), Some(999)),
        ])
        .await
        .expect("insert");

    let s = store.product_summary(alice.id, p.id, now).await.expect("summary").expect("has snapshots");
    assert_eq!(s.current_price, Some(money(3000)), "current price");
    assert_eq!(s.current_bsr, Some(400), "current bsr");
    assert_eq!(s.review_count, Some(200), "review count");
    assert_eq!(s.last_updated, at(6, 29, 12), "last updated");
    // (30 − 24) / 24 and (30 − 25) / 25.
    assert!(close(s.price_change_7d, 25.0), "price 7d {:?}", s.price_change_7d);
    assert!(close(s.price_change_30d, 20.0), "price 30d {:?}", s.price_change_30d);
    // (400 − 500) / 500 and (400 − 800) / 800: negative is better.
    assert!(close(s.bsr_change_7d, -20.0), "bsr 7d {:?}", s.bsr_change_7d);
    assert!(close(s.bsr_change_30d, -50.0), "bsr 30d {:?}", s.bsr_change_30d);
    assert!(close(s.rating_change_7d, 0.0), "rating 7d {:?}", s.rating_change_7d);
    assert!(close(s.rating_change_30d, (4.4 - 4.2) / 4.2 * 100.0), "rating 30d {:?}", s.rating_change_30d);
    assert_eq!((s.review_growth_7d, s.review_growth_30d), (Some(20), Some(50)), "review growth");

    // Another user asks for the same product: not found, not an empty summary.
    let bob = user(&store, "bob").await;
    let err = store.product_summary(bob.id, p.id, now).await.expect_err("bob does not track it");
    assert!(matches!(err, StoreError::NotFound { entity: "product", .. }), "{err:?}");
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn summary_changes_are_null_where_a_side_is_missing_or_zero(pool: PgPool) {
    let store = PgStore::from_pool(pool);
    let alice = user(&store, "alice").await;
    let p = tracked(&store, &alice, "B0SUMMARY2").await;
    let now = at(6, 30, 0);
    // Nothing yet: tracked, so not an error, but no summary.
    assert_eq!(store.product_summary(alice.id, p.id, now).await.expect("summary"), None);
    store
        .insert_snapshots(&[
            // 30-day baseline: zero price and zero BSR (a zero is never a base for percent).
            snap(p.id, at(5, 20, 0), Some(0), Some(0), Some(0.0), Some(10)),
            // 7-day baseline: nothing known.
            snap(p.id, at(6, 22, 0), None, None, None, None),
            snap(p.id, at(6, 29, 0), Some(1500), Some(300), Some(4.0), Some(12)),
        ])
        .await
        .expect("insert");
    let s = store.product_summary(alice.id, p.id, now).await.expect("summary").expect("has snapshots");
    assert_eq!(
        (s.price_change_7d, s.bsr_change_7d, s.rating_change_7d, s.review_growth_7d),
        (None, None, None, None),
        "7-day baseline knows nothing"
    );
    assert_eq!(
        (s.price_change_30d, s.bsr_change_30d, s.rating_change_30d),
        (None, None, None),
        "zero baselines"
    );
    assert_eq!(s.review_growth_30d, Some(2), "reviews are absolute, a zero-free base counts");
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn trends_are_raw_or_bucketed_by_utc_day_and_iso_week(pool: PgPool) {
    let store = PgStore::from_pool(pool);
    let alice = user(&store, "alice").await;
    let p = tracked(&store, &alice, "B0TRENDS01").await;
    let mut off = snap(p.id, at(6, 9, 8), Some(0), Some(300), Some(4.0), Some(10));
    off.in_stock = false;
    store
        .insert_snapshots(&[
            // Outside the range.
            snap(p.id, at(5, 20, 0), Some(99_00), Some(1), Some(1.0), Some(1)),
            // Monday 2 June (ISO week 23), twice; Tuesday 3 June.
            snap(p.id, at(6, 2, 8), Some(1000), Some(100), Some(4.0), Some(10)),
            snap(p.id, at(6, 2, 20), Some(1201), Some(200), Some(4.0), Some(10)),
            snap(p.id, at(6, 3, 8), Some(1100), Some(150), Some(4.0), Some(10)),
            // Monday 9 June (week 24): price 0 = no offer, so no price value that day.
            off,
            snap(p.id, at(6, 10, 8), Some(1500), Some(250), Some(4.0), Some(10)),
        ])
        .await
        .expect("insert");
    let range = TimeRange { from: Some(at(6, 1, 0)), to: Some(at(7, 1, 0)) };
    let fields = [TrendField::Price, TrendField::BsrMain, TrendField::InStock];

    let raw =
        store.product_trends(alice.id, p.id, &fields, range, Granularity::Raw).await.expect("raw trends");
    assert_eq!(raw.snapshot_count, 5, "snapshots in range");
    let TrendSeries::Raw(points) = &raw.fields[0].series else { panic!("raw series expected") };
    let prices: Vec<Option<TrendValue>> = points.iter().map(|p| p.value).collect();
    assert_eq!(
        prices,
        vec![
            Some(TrendValue::Money(money(1000))),
            Some(TrendValue::Money(money(1201))),
            Some(TrendValue::Money(money(1100))),
            None,
            Some(TrendValue::Money(money(1500))),
        ],
        "raw prices, zero as none"
    );

    let day =
        store.product_trends(alice.id, p.id, &fields, range, Granularity::Day).await.expect("daily trends");
    let price_days = day.fields[0].series.buckets();
    assert_eq!(
        price_days.iter().map(|b| b.label.as_str()).collect::<Vec<_>>(),
        vec!["2025-06-02", "2025-06-03", "2025-06-10"],
        "price days (9 June had no price)"
    );
    let d1 = &price_days[0];
    assert_eq!(d1.count, 2, "day 1 count");
    assert_eq!(
        (d1.last, d1.min, d1.max, d1.mean),
        (
            TrendValue::Money(money(1201)),
            TrendValue::Money(money(1000)),
            TrendValue::Money(money(1201)),
            // (10.00 + 12.01) / 2 = 11.005 → 11.01, half away from zero.
            TrendValue::Money(money(1101)),
        ),
        "day 1 last/min/max/mean"
    );
    let bsr_days = day.fields[1].series.buckets();
    assert_eq!(bsr_days.len(), 4, "bsr has a value every day");
    assert_eq!(bsr_days[0].mean, TrendValue::Float(150.0), "bsr day 1 mean");

    let week =
        store.product_trends(alice.id, p.id, &fields, range, Granularity::Week).await.expect("weekly trends");
    let price_weeks = week.fields[0].series.buckets();
    assert_eq!(
        price_weeks.iter().map(|b| (b.label.as_str(), b.count)).collect::<Vec<_>>(),
        vec![("2025-W23", 3), ("2025-W24", 1)],
        "price weeks"
    );
    assert_eq!(price_weeks[0].start, at(6, 2, 0), "week starts Monday 00:00 UTC");
    assert_eq!(price_weeks[0].mean, TrendValue::Money(money(1100)), "week 23 mean (10 + 12.01 + 11) / 3");
    assert_eq!(price_weeks[0].last, TrendValue::Money(money(1100)), "week 23 last");
    let stock_weeks = week.fields[2].series.buckets();
    assert_eq!(stock_weeks[1].mean, TrendValue::Float(0.5), "week 24: one of two in stock");

    let err =
        store.product_trends(alice.id, p.id, &[], range, Granularity::Raw).await.expect_err("no fields");
    assert!(matches!(err, StoreError::Invalid(ref v) if v.field == "fields"), "{err:?}");
    let bob = user(&store, "bob").await;
    let err = store
        .product_trends(bob.id, p.id, &fields, range, Granularity::Raw)
        .await
        .expect_err("bob does not track it");
    assert!(matches!(err, StoreError::NotFound { .. }), "{err:?}");
}

/// A category with a best-seller list of four entries at `when`.
async fn category_with_list(
    store: &PgStore,
    products: &[&Product],
    when: DateTime<Utc>,
) -> amazcope_core::CategoryId {
    let cat = store
        .upsert_category(&NewCategory {
            marketplace: Marketplace::Com,
            category_id: Some("electronics".into()),
            name: "Electronics".into(),
            url: Some("https://www.amazon.com/gp/bestsellers/electronics/".into()),
            parent_id: None,
        })
        .await
        .expect("category");
    let entry = |rank: i32,
                 a: &str,
                 product: Option<ProductId>,
                 price: Option<i64>,
                 rating: Option<f64>,
                 reviews: Option<i32>| {
        NewBestsellerEntry {
            category_id: cat.id,
            scraped_at: when,
            rank,
            asin: asin(a),
            product_id: product,
            title: Some(format!("entry {rank}")),
            price: price.map(money),
            currency: Some("USD".into()),
            rating,
            review_count: reviews,
            image_url: None,
        }
    };
    store
        .insert_bestsellers(&[
            // Linked by ASIN only (no product id): its snapshot gives the rank.
            entry(1, products[0].asin.as_str(), None, Some(1000), Some(4.0), Some(100)),
            entry(2, "B0NOSNAP02", None, Some(2000), Some(5.0), Some(300)),
            // Price 0 and no rating/reviews on the list: the product's snapshot fills them.
            entry(3, products[1].asin.as_str(), Some(products[1].id), Some(0), None, None),
            // Nothing known at all: counted in product_count only; a zero rating is left out.
            entry(4, "B0NOTHING4", None, None, Some(0.0), None),
        ])
        .await
        .expect("list");
    cat.id
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn category_metrics_come_from_the_newest_list_and_one_row_per_day(pool: PgPool) {
    let store = PgStore::from_pool(pool.clone());
    let alice = user(&store, "alice").await;
    let q = tracked(&store, &alice, "B0QPRODUC1").await;
    let p = tracked(&store, &alice, "B0PPRODUC3").await;
    store
        .insert_snapshots(&[
            snap(q.id, at(6, 14, 0), Some(7777), Some(150), Some(3.0), Some(5)),
            snap(p.id, at(6, 14, 0), Some(3000), Some(50), Some(4.5), Some(200)),
            // After the list's as_of: ignored.
            snap(p.id, at(6, 20, 0), Some(1), Some(1), Some(1.0), Some(1)),
        ])
        .await
        .expect("snapshots");
    let cat = category_with_list(&store, &[&q, &p], at(6, 15, 10)).await;
    // An older list of the same category that must not count.
    store
        .insert_bestsellers(&[NewBestsellerEntry {
            category_id: cat,
            scraped_at: at(6, 10, 10),
            rank: 1,
            asin: asin("B0OLDLIST1"),
            product_id: None,
            title: None,
            price: Some(money(99_999)),
            currency: None,
            rating: Some(1.0),
            review_count: Some(1),
            image_url: None,
        }])
        .await
        .expect("old list");

    let rows = store.compute_category_metrics(Some(cat), at(6, 15, 12)).await.expect("compute");
    assert_eq!(rows.len(), 1, "one category");
    let m = &rows[0];
    assert_eq!(m.recorded_at, at(6, 15, 10), "recorded at the list's time");
    assert_eq!(m.category_level, CategoryLevel::Main, "a root category");
    // Prices 10, 20 and (list 0 → snapshot) 30.
    assert_eq!(
        (m.avg_price, m.median_price, m.min_price, m.max_price),
        (Some(money(2000)), Some(money(2000)), Some(money(1000)), Some(money(3000))),
        "prices"
    );
    // Ranks from the snapshots of the two known products: 150 and 50; even count → mean of both.
    assert_eq!((m.avg_bsr, m.median_bsr), (Some(100), Some(100)), "bsr");
    assert_eq!(m.avg_rating, Some(4.5), "rating of 4.0, 5.0, 4.5");
    assert_eq!(m.avg_review_count, Some(200), "reviews of 100, 300, 200");
    assert_eq!(m.product_count, 4, "every entry of the list");

    // Again for the same day: the row is replaced, not duplicated.
    let again = store.compute_category_metrics(None, at(6, 15, 23)).await.expect("compute again");
    assert_eq!(again.len(), 1, "one category again");
    assert_eq!(again[0].id, m.id, "same row");
    let count: i64 =
        sqlx::query_scalar("SELECT count(*) FROM category_metrics").fetch_one(&pool).await.expect("count");
    assert_eq!(count, 1, "one row for the day");

    // A list of the next day makes a second row.
    store
        .insert_bestsellers(&[NewBestsellerEntry {
            category_id: cat,
            scraped_at: at(6, 16, 9),
            rank: 1,
            asin: asin("B0NEXTDAY1"),
            product_id: None,
            title: None,
            price: Some(money(4242)),
            currency: None,
            rating: None,
            review_count: None,
            image_url: None,
        }])
        .await
        .expect("next list");
    let next = store.compute_category_metrics(Some(cat), at(6, 17, 0)).await.expect("next day");
    assert_eq!(next[0].avg_price, Some(money(4242)), "next day's list");
    assert_eq!(next[0].product_count, 1, "next day's list length");
    let count: i64 =
        sqlx::query_scalar("SELECT count(*) FROM category_metrics").fetch_one(&pool).await.expect("count");
    assert_eq!(count, 2, "one row per day");
    let latest = store.latest_category_metric(cat).await.expect("latest").expect("some");
    assert_eq!(latest.recorded_at, at(6, 16, 9), "newest row is the next day's");

    // No list at or before as_of: nothing written.
    assert!(store.compute_category_metrics(Some(cat), at(6, 1, 0)).await.expect("none").is_empty());
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn compare_shows_each_product_with_its_category_average(pool: PgPool) {
    let store = PgStore::from_pool(pool);
    let alice = user(&store, "alice").await;
    let q = tracked(&store, &alice, "B0QPRODUC1").await;
    let p = tracked(&store, &alice, "B0PPRODUC3").await;
    let lone = tracked(&store, &alice, "B0LONELY01").await;
    store
        .insert_snapshots(&[
            snap(q.id, at(6, 14, 0), Some(7777), Some(150), Some(3.0), Some(5)),
            snap(p.id, at(6, 14, 0), Some(3000), Some(50), Some(4.5), Some(200)),
            snap(p.id, at(6, 18, 0), Some(2900), Some(45), Some(4.5), Some(210)),
            snap(lone.id, at(6, 18, 0), Some(500), None, None, None),
        ])
        .await
        .expect("snapshots");
    let cat = category_with_list(&store, &[&q, &p], at(6, 15, 10)).await;
    store.compute_category_metrics(Some(cat), at(6, 15, 12)).await.expect("metrics");

    let range = TimeRange { from: Some(at(6, 1, 0)), to: Some(at(7, 1, 0)) };
    let cmp = store
        .compare_products(alice.id, &[p.id, lone.id, p.id], CompareMetric::Price, range)
        .await
        .expect("compare");
    assert_eq!(cmp.products.len(), 2, "repeats removed");
    let first = &cmp.products[0];
    assert_eq!(first.product_id, p.id, "order asked");
    assert_eq!(first.category_id, Some(cat), "category from the list it is on");
    assert_eq!(first.category_average, Some(TrendValue::Money(money(2000))), "category average price");
    assert_eq!(
        first.points.iter().map(|pt| pt.value).collect::<Vec<_>>(),
        vec![Some(TrendValue::Money(money(3000))), Some(TrendValue::Money(money(2900)))],
        "price points"
    );
    let second = &cmp.products[1];
    assert_eq!((second.category_id, second.category_average), (None, None), "no category known");
    assert_eq!(second.points.len(), 1, "one snapshot");

    let by_rating =
        store.compare_products(alice.id, &[q.id], CompareMetric::Rating, range).await.expect("rating");
    assert_eq!(by_rating.products[0].category_average, Some(TrendValue::Float(4.5)), "avg rating");

    // Eleven products: rejected before any query.
    let many: Vec<ProductId> = (0..11).map(|_| ProductId::new_random()).collect();
    let err =
        store.compare_products(alice.id, &many, CompareMetric::Price, range).await.expect_err("more than 10");
    assert!(matches!(err, StoreError::Invalid(ref v) if v.field == "product_ids"), "{err:?}");

    // One product of another user's among them: not found, nothing of theirs shown.
    let bob = user(&store, "bob").await;
    let bobs = tracked(&store, &bob, "B0BOBSPROD").await;
    let err = store
        .compare_products(alice.id, &[p.id, bobs.id], CompareMetric::Price, range)
        .await
        .expect_err("bob's product");
    assert!(matches!(err, StoreError::NotFound { ref id, .. } if *id == bobs.id.to_string()), "{err:?}");
    let err = store.product_category(bob.id, p.id).await.expect_err("bob does not track p");
    assert!(matches!(err, StoreError::NotFound { .. }), "{err:?}");
}

/// The raw snapshots of the long-history tests: 25 May .. 3 June 2025, three a day at 6h,
/// 12h and 22h, prices moving, one zero price ("no offer") at noon on 27 May, the noon
/// snapshot out of stock every other day.
fn long_history(p: ProductId) -> Vec<NewSnapshot> {
    let mut out = Vec::new();
    for (i, day) in (0..10).map(|i| (i, at(5, 25, 0) + chrono::Duration::days(i))) {
        for (j, hour) in [6, 12, 22].into_iter().enumerate() {
            let n = i * 3 + j as i64;
            let price = if i == 2 && j == 1 { 0 } else { 1000 + (n * 37) % 200 };
            let mut s = snap(
                p,
                day + chrono::Duration::hours(hour),
                Some(price),
                Some(100 + ((n * 13) % 50) as i32),
                Some(4.0 + (n % 5) as f64 / 10.0),
                Some(10 + n as i32),
            );
            s.in_stock = !(j == 1 && i % 2 == 0);
            out.push(s);
        }
    }
    out
}

/// Retention without the archive machinery: the raw snapshots before `before` go, the
/// rollups stay (what `db partitions --retention-days` leaves after archiving a month).
async fn drop_raw_before(pool: &PgPool, before: DateTime<Utc>) -> u64 {
    sqlx::query("DELETE FROM product_snapshots WHERE scraped_at < $1")
        .bind(before)
        .execute(pool)
        .await
        .expect("drop raw")
        .rows_affected()
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn trends_by_day_and_week_read_the_rollups_where_raw_snapshots_are_gone(pool: PgPool) {
    let store = PgStore::from_pool(pool.clone());
    let alice = user(&store, "alice").await;
    let p = tracked(&store, &alice, "B0LONGTRD1").await;
    let history = long_history(p.id);
    store.insert_snapshots(&history).await.expect("insert");
    let range = TimeRange { from: Some(at(5, 20, 0)), to: Some(at(6, 10, 0)) };
    let fields = [TrendField::Price, TrendField::InStock, TrendField::BsrMain, TrendField::ReviewCount];
    let day_before = store.product_trends(alice.id, p.id, &fields, range, Granularity::Day).await.unwrap();
    let week_before = store.product_trends(alice.id, p.id, &fields, range, Granularity::Week).await.unwrap();

    // The daily prices computed here from the raw snapshots: the trends say the same.
    let price_days = day_before.fields[0].series.buckets();
    assert_eq!(price_days.len(), 10);
    for (b, i) in price_days.iter().zip(0i64..) {
        let prices: Vec<Decimal> = history
            .iter()
            .filter(|s| s.scraped_at.date_naive() == (at(5, 25, 0) + chrono::Duration::days(i)).date_naive())
            .filter_map(|s| s.price.filter(|p| !p.is_zero()))
            .collect();
        let sum: Decimal = prices.iter().sum();
        let mean = (sum / Decimal::from(prices.len()))
            .round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
        assert_eq!(b.count, prices.len(), "day {i}: count (zero price left out)");
        assert_eq!(b.min, TrendValue::Money(*prices.iter().min().unwrap()), "day {i}: min");
        assert_eq!(b.max, TrendValue::Money(*prices.iter().max().unwrap()), "day {i}: max");
        assert_eq!(b.mean, TrendValue::Money(mean), "day {i}: mean");
        assert_eq!(b.last, TrendValue::Money(*prices.last().unwrap()), "day {i}: last");
    }

    // Retention drops the raw snapshots before Thursday 29 May (mid ISO week 22).
    assert_eq!(drop_raw_before(&pool, at(5, 29, 0)).await, 12, "four days of three snapshots");
    let day_after = store.product_trends(alice.id, p.id, &fields, range, Granularity::Day).await.unwrap();
    let week_after = store.product_trends(alice.id, p.id, &fields, range, Granularity::Week).await.unwrap();
    assert_eq!(day_after.snapshot_count, 30, "raw and rolled-up snapshots");
    assert_eq!(week_after.snapshot_count, day_before.snapshot_count);
    // Price and stock are rolled up exactly: the same buckets, days and weeks, including the
    // week that is half rollups, half raw.
    for f in [0, 1] {
        assert_eq!(day_after.fields[f].series, day_before.fields[f].series, "{:?} by day", fields[f]);
        assert_eq!(week_after.fields[f].series, week_before.fields[f].series, "{:?} by week", fields[f]);
    }
    assert_eq!(week_after.fields[0].series.buckets()[0].label, "2025-W21");
    assert_eq!(week_after.fields[0].series.buckets()[1].label, "2025-W22");
    // The rank: the day's lowest, highest and closing rank; the close stands for the mean.
    let (bsr_before, bsr_after) =
        (day_before.fields[2].series.buckets(), day_after.fields[2].series.buckets());
    assert_eq!(bsr_after.len(), 10);
    for (a, b) in bsr_after.iter().zip(bsr_before).take(4) {
        assert_eq!((a.start, a.min, a.max, a.last), (b.start, b.min, b.max, b.last), "{}", a.label);
        assert_eq!((a.count, a.mean), (1, TrendValue::Float(a.last.as_f64())), "{}", a.label);
    }
    assert_eq!(&bsr_after[4..], &bsr_before[4..], "raw days unchanged");
    // Review counts: the closing value of each rolled-up day.
    let reviews = day_after.fields[3].series.buckets();
    assert_eq!(reviews[0].last, TrendValue::Integer(12), "25 May closed at 12 reviews");
    assert_eq!(reviews[0].count, 1);

    // Raw trends are raw snapshots only.
    let raw = store.product_trends(alice.id, p.id, &fields, range, Granularity::Raw).await.unwrap();
    assert_eq!(raw.snapshot_count, 18);
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn compare_and_category_metrics_read_the_rollups_where_raw_snapshots_are_gone(pool: PgPool) {
    let store = PgStore::from_pool(pool.clone());
    let alice = user(&store, "alice").await;
    let p = tracked(&store, &alice, "B0LONGCMP1").await;
    let q = tracked(&store, &alice, "B0LONGCMP2").await;
    let history = long_history(p.id);
    store.insert_snapshots(&history).await.expect("insert");
    store.insert_snapshots(&long_history(q.id)[..6]).await.expect("insert q");
    let range = TimeRange { from: Some(at(5, 20, 0)), to: Some(at(6, 10, 0)) };
    let before = store.compare_products(alice.id, &[p.id, q.id], CompareMetric::Price, range).await.unwrap();
    assert_eq!(before.products[0].points.len(), 30);
    // A best-seller list of 27 May 23:00 naming p without a price, rank or rating: its
    // snapshot of 22:00 completes it.
    let cat = category_with_list(&store, &[&q, &p], at(5, 27, 23)).await;
    let m_before = store.compute_category_metrics(Some(cat), at(5, 27, 23)).await.unwrap();

    drop_raw_before(&pool, at(5, 29, 0)).await;
    let after = store.compare_products(alice.id, &[p.id, q.id], CompareMetric::Price, range).await.unwrap();
    // Rolled-up days: one point each, the day's last snapshot (its time and value); then
    // every raw point as before.
    let expected: Vec<_> = before.products[0]
        .points
        .iter()
        .filter(|pt| pt.at >= at(5, 29, 0) || pt.at.format("%H").to_string() == "22")
        .cloned()
        .collect();
    assert_eq!(after.products[0].points, expected);
    assert_eq!(after.products[0].points.len(), 4 + 18);
    assert_eq!(after.products[0].points[0].at, at(5, 25, 22));
    // q's raw snapshots are all gone: its two days remain as daily points.
    assert_eq!(
        after.products[1].points.iter().map(|pt| pt.at).collect::<Vec<_>>(),
        vec![at(5, 25, 22), at(5, 26, 22)]
    );
    for metric in [CompareMetric::Bsr, CompareMetric::Rating, CompareMetric::Reviews] {
        let c = store.compare_products(alice.id, &[p.id], metric, range).await.unwrap();
        assert_eq!(c.products[0].points[0].value, before_value(&history, metric, at(5, 25, 22)), "{metric}");
    }

    // The category metrics of the same list again: the rollups stand in for the snapshot.
    let m_after = store.compute_category_metrics(Some(cat), at(5, 27, 23)).await.unwrap();
    let figures = |m: &amazcope_core::model::category::CategoryMetric| {
        (m.avg_price, m.median_price, m.min_price, m.max_price, m.avg_bsr, m.avg_rating, m.avg_review_count)
    };
    assert_eq!(figures(&m_after[0]), figures(&m_before[0]));
    assert!(m_before[0].avg_bsr.is_some());
}

/// The value of `metric` in the raw snapshot of `history` at `when`.
fn before_value(history: &[NewSnapshot], metric: CompareMetric, when: DateTime<Utc>) -> Option<TrendValue> {
    let s = history.iter().find(|s| s.scraped_at == when).expect("snapshot at that time");
    amazcope_core::analytics::extract(metric.field(), s)
}
