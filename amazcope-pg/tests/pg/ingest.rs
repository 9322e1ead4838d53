//! The refresh pipeline against a real database: one transaction per page or batch,
//! idempotent re-ingest, failures recorded without snapshots, per-user alerts.

use amazcope_core::model::enums::AlertType;
use amazcope_core::model::page::{
    Availability, BestsellerItem, BestsellerPage, FetchedPage, Field, ParsedPage, ReviewPage, SalesRank,
    ScrapedProduct, ScrapedReview, StockStatus,
};
use amazcope_core::service::{IngestContext, IngestOutcome, IngestStore};
use amazcope_core::{Asin, Currency, Marketplace, Money, Rating};
use amazcope_pg::PgStore;
use chrono::{DateTime, Duration, TimeZone, Utc};
use rust_decimal::Decimal;
use sqlx::PgPool;
use uuid::Uuid;

pub(crate) fn day(n: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 1, 8, 0, 0).unwrap() + Duration::days(n)
}

pub(crate) fn asin(s: &str) -> Asin {
    s.parse().unwrap()
}

pub(crate) fn usd(cents: i64) -> Money {
    Money::new(Decimal::new(cents, 2), Currency::from_static("USD")).unwrap()
}

/// A product page with a price, a rank, a rating and stock.
pub(crate) fn product(a: &str, price_cents: i64, bsr: u32, in_stock: bool) -> ScrapedProduct {
    let mut p = ScrapedProduct::empty(asin(a), Marketplace::Com);
    p.title = Field::Read(format!("Widget {a}"));
    p.brand = Field::Read("Acme".into());
    p.price = Field::Read(usd(price_cents));
    p.rating = Field::Read(Rating::new(4.5).unwrap());
    p.review_count = Field::Read(120);
    p.ranks = Field::Read(vec![
        SalesRank {
            rank: bsr,
            category: "Home & Kitchen".into(),
            link: Some("/gp/bestsellers/home-garden/ref=pd_zg".into()),
        },
        SalesRank {
            rank: 7,
            category: "Mugs".into(),
            link: Some("/gp/bestsellers/kitchen/9302367011/ref=pd".into()),
        },
    ]);
    p.categories = Field::Read(vec!["Home & Kitchen".into(), "Kitchen & Dining".into(), "Mugs".into()]);
    p.availability = Field::Read(Availability {
        status: if in_stock { StockStatus::InStock } else { StockStatus::OutOfStock },
        text: Some(if in_stock { "In Stock" } else { "Currently unavailable" }.into()),
    });
    p.features = Field::Read(vec!["Holds coffee".into(), "Dishwasher safe".into()]);
    p.images = Field::Read(vec!["https://img.example/1.jpg".into()]);
    p
}

pub(crate) fn fetched(page: ParsedPage, at: DateTime<Utc>) -> FetchedPage {
    FetchedPage { source: "test".into(), fetched_at: at, page }
}

pub(crate) fn page(p: ScrapedProduct, at: DateTime<Utc>) -> FetchedPage {
    fetched(ParsedPage::Product(Box::new(p)), at)
}

pub(crate) async fn user(pool: &PgPool, name: &str) -> Uuid {
    sqlx::query_scalar(
        "INSERT INTO users (email, username, hashed_password) VALUES ($1 || '@x', $1, '!') RETURNING id",
    )
    .bind(name)
    .fetch_one(pool)
    .await
    .unwrap()
}

pub(crate) async fn track(
    pool: &PgPool,
    user: Uuid,
    a: &str,
    price: Option<f64>,
    bsr: Option<f64>,
    target: Option<Decimal>,
) {
    let mut tx = crate::repos::common::service(pool).await;
    sqlx::query(
        "INSERT INTO user_products (user_id, product_id, price_change_threshold, bsr_change_threshold, target_price)
         SELECT $1, id, $3, $4, $5 FROM products WHERE asin = $2",
    )
    .bind(user)
    .bind(a)
    .bind(price)
    .bind(bsr)
    .bind(target)
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
}

async fn count(pool: &PgPool, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(&mut *crate::repos::common::service(pool).await).await.unwrap()
}

async fn alert_types(pool: &PgPool, user: Uuid) -> Vec<String> {
    sqlx::query_scalar("SELECT alert_type FROM alerts WHERE user_id = $1 ORDER BY created_at, alert_type")
        .bind(user)
        .fetch_all(&mut *crate::repos::common::service(pool).await)
        .await
        .unwrap()
}

pub(crate) fn ctx() -> IngestContext {
    IngestContext::default()
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn ingest_same_pages_twice_duplicates_nothing(pool: PgPool) {
    let store = PgStore::from_pool(pool.clone());
    store.ingest_page(&page(product("B00TEST001", 2000, 1000, true), day(0)), &ctx()).await.unwrap();
    let alice = user(&pool, "alice").await;
    track(&pool, alice, "B00TEST001", Some(10.0), None, None).await;
    let pages = vec![
        page(product("B00TEST001", 2000, 1000, true), day(0)),
        page(product("B00TEST001", 1500, 1000, true), day(1)),
    ];
    let first = store.ingest_batch(&pages, &ctx()).await.unwrap();
    assert_eq!((first.snapshots_inserted, first.duplicates, first.alerts), (1, 1, 1), "first batch");
    let before: (DateTime<Utc>, i64, i64) = sqlx::query_as(
        "SELECT updated_at, (SELECT count(*) FROM categories), (SELECT count(*) FROM notifications) FROM products",
    )
    .fetch_one(&mut *crate::repos::common::service(&pool).await)
    .await
    .unwrap();

    let second = store.ingest_batch(&pages, &ctx()).await.unwrap();
    assert_eq!((second.snapshots_inserted, second.duplicates, second.alerts), (0, 2, 0), "second batch");
    assert!(second.pages.iter().all(|p| matches!(p.outcome, IngestOutcome::Duplicate { .. })));
    assert_eq!(count(&pool, "SELECT count(*) FROM product_snapshots").await, 2);
    assert_eq!(count(&pool, "SELECT count(*) FROM alerts").await, 1);
    assert_eq!(count(&pool, "SELECT count(*) FROM products").await, 1);
    let after: (DateTime<Utc>, i64, i64) = sqlx::query_as(
        "SELECT updated_at, (SELECT count(*) FROM categories), (SELECT count(*) FROM notifications) FROM products",
    )
    .fetch_one(&mut *crate::repos::common::service(&pool).await)
    .await
    .unwrap();
    assert_eq!(before, after, "product row, categories and notifications unchanged");
    assert_eq!(after.2, 1, "one notification for the one alert");
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn product_page_denormalises_latest_values_and_categories(pool: PgPool) {
    let store = PgStore::from_pool(pool.clone());
    let mut p = product("B00TEST002", 1999, 4321, true);
    p.amazons_choice = Field::Read(vec!["coffee mug".into()]);
    p.is_prime = Field::Read(true);
    let r = store.ingest_page(&page(p, day(2)), &IngestContext { created_by: None, ..ctx() }).await.unwrap();
    assert!(matches!(r.outcome, IngestOutcome::Stored { product_created: true, .. }), "{:?}", r.outcome);
    // An older page (back-fill) is stored but does not overwrite the latest values.
    store.ingest_page(&page(product("B00TEST002", 2999, 9999, false), day(1)), &ctx()).await.unwrap();
    type LatestRow = (
        String,
        Option<Decimal>,
        Option<i32>,
        bool,
        bool,
        serde_json::Value,
        serde_json::Value,
        Option<DateTime<Utc>>,
        String,
    );
    let row: LatestRow = sqlx::query_as(
        "SELECT title, current_price, current_bsr, in_stock, is_prime, amazons_choice_keywords, features,
                    last_snapshot_at, last_fetch_status FROM products",
    )
    .fetch_one(&mut *crate::repos::common::service(&pool).await)
    .await
    .unwrap();
    assert_eq!(row.0, "Widget B00TEST002");
    assert_eq!(row.1, Some(Decimal::new(1999, 2)), "current_price");
    assert_eq!(row.2, Some(4321), "current_bsr");
    assert!(row.3 && row.4, "in stock and prime");
    assert_eq!(row.5, serde_json::json!(["coffee mug"]));
    assert_eq!(row.6, serde_json::json!(["Holds coffee", "Dishwasher safe"]));
    assert_eq!(row.7, Some(day(2)));
    assert_eq!(row.8, "ok");
    assert_eq!(count(&pool, "SELECT count(*) FROM product_snapshots").await, 2);
    // Breadcrumbs: a chain of three; rank lines: two categories by list id.
    let tree: Vec<(String, i32, Option<String>)> = sqlx::query_as(
        "SELECT name, level, category_id FROM categories ORDER BY category_id NULLS FIRST, level",
    )
    .fetch_all(&mut *crate::repos::common::service(&pool).await)
    .await
    .unwrap();
    let names: Vec<(&str, i32, Option<&str>)> =
        tree.iter().map(|t| (t.0.as_str(), t.1, t.2.as_deref())).collect();
    assert_eq!(
        names,
        vec![
            ("Home & Kitchen", 0, None),
            ("Kitchen & Dining", 1, None),
            ("Mugs", 2, None),
            ("Mugs", 0, Some("9302367011")),
            ("Home & Kitchen", 0, Some("home-garden")),
        ]
    );
}

/// Categories are upserted when a product's page data changes, not on every refresh: the
/// catalogue hash covers the breadcrumbs and every rank line, so a page whose only change is
/// a category (a third rank line, a longer breadcrumb) still stores it.
#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn a_new_category_on_an_otherwise_unchanged_page_is_stored(pool: PgPool) {
    let store = PgStore::from_pool(pool.clone());
    let first = product("B00TEST0C1", 1999, 100, true);
    store.ingest_page(&page(first.clone(), day(1)), &ctx()).await.unwrap();
    let categories = || async {
        sqlx::query_scalar::<_, String>("SELECT name FROM categories ORDER BY name, level")
            .fetch_all(&mut *crate::repos::common::service(&pool).await)
            .await
            .unwrap()
    };
    let before = categories().await;
    assert_eq!(before.len(), 5, "{before:?}");
    // The same data at a new price: no category changes.
    let mut cheaper = first.clone();
    cheaper.price = Field::Read(usd(1899));
    store.ingest_page(&page(cheaper.clone(), day(2)), &ctx()).await.unwrap();
    assert_eq!(categories().await, before);
    // Only the rank lines and breadcrumbs change.
    let mut more = cheaper;
    if let Field::Read(ranks) = &mut more.ranks {
        ranks.push(SalesRank {
            rank: 3,
            category: "Travel Mugs".into(),
            link: Some("/gp/bestsellers/kitchen/2231407011/ref=pd".into()),
        });
    }
    if let Field::Read(crumbs) = &mut more.categories {
        crumbs.push("Insulated".into());
    }
    store.ingest_page(&page(more, day(3)), &ctx()).await.unwrap();
    let after: Vec<(String, i32, Option<String>)> = sqlx::query_as(
        "SELECT name, level, category_id FROM categories WHERE name IN ('Travel Mugs', 'Insulated')",
    )
    .fetch_all(&mut *crate::repos::common::service(&pool).await)
    .await
    .unwrap();
    let mut after: Vec<(&str, i32, Option<&str>)> =
        after.iter().map(|c| (c.0.as_str(), c.1, c.2.as_deref())).collect();
    after.sort();
    assert_eq!(after, vec![("Insulated", 3, None), ("Travel Mugs", 0, Some("2231407011"))]);
}

/// A newer page that repeats the stored metadata keeps it; one that changes it (new title,
/// fewer bullets, no Amazon's Choice) overwrites it; one that lacks a field keeps the stored one.
#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn newer_pages_overwrite_changed_metadata_only(pool: PgPool) {
    let store = PgStore::from_pool(pool.clone());
    let mut first = product("B00TEST00M", 1999, 100, true);
    first.amazons_choice = Field::Read(vec!["mug".into()]);
    store.ingest_page(&page(first.clone(), day(1)), &ctx()).await.unwrap();
    let stamps = || async {
        sqlx::query_as::<_, (DateTime<Utc>, Option<Decimal>, i64)>(
            "SELECT updated_at, current_price, (SELECT count(*) FROM product_snapshots) FROM products",
        )
        .fetch_one(&mut *crate::repos::common::service(&pool).await)
        .await
        .unwrap()
    };
    let created = stamps().await;
    // Same catalogue data, a new price: the latest values move, the record does not, so
    // updated_at stays (migration 0006: the refresh is a HOT update).
    let mut cheaper = first.clone();
    cheaper.price = Field::Read(usd(1799));
    store.ingest_page(&page(cheaper, day(2)), &ctx()).await.unwrap();
    let refreshed = stamps().await;
    assert_eq!((refreshed.1, refreshed.2), (Some(Decimal::new(1799, 2)), 2), "latest price stored");
    assert_eq!(refreshed.0, created.0, "a refresh of the latest values keeps updated_at");
    let mut changed = first.clone();
    changed.title = Field::Read("Widget, new and improved".into());
    changed.features = Field::Read(vec!["Holds tea".into()]);
    changed.amazons_choice = Field::Absent;
    changed.brand = Field::Absent;
    store.ingest_page(&page(changed.clone(), day(3)), &ctx()).await.unwrap();
    let row: (String, serde_json::Value, Option<serde_json::Value>, Option<String>, Option<DateTime<Utc>>) =
        sqlx::query_as(
            "SELECT title, features, amazons_choice_keywords, brand, last_snapshot_at FROM products",
        )
        .fetch_one(&mut *crate::repos::common::service(&pool).await)
        .await
        .unwrap();
    assert_eq!(row.0, "Widget, new and improved");
    assert_eq!(row.1, serde_json::json!(["Holds tea"]));
    assert_eq!(row.2, None, "Amazon's Choice lost");
    assert_eq!(row.3.as_deref(), Some("Acme"), "a missing brand keeps the stored one");
    assert_eq!(row.4, Some(day(3)));
    let renamed = stamps().await;
    assert!(renamed.0 > created.0, "a new title and features are a change of the record");
    // The same page again: nothing of the record is written, updated_at stays.
    store.ingest_page(&page(changed.clone(), day(4)), &ctx()).await.unwrap();
    assert_eq!(stamps().await.0, renamed.0);
    // An edit by other means forgets the page data the record was written from, so the next
    // page (the same data as before the edit) writes its title again.
    sqlx::query("UPDATE products SET title = 'Edited by hand'").execute(&pool).await.unwrap();
    store.ingest_page(&page(changed, day(5)), &ctx()).await.unwrap();
    let title: String = sqlx::query_scalar("SELECT title FROM products")
        .fetch_one(&mut *crate::repos::common::service(&pool).await)
        .await
        .unwrap();
    assert_eq!(title, "Widget, new and improved");
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn captcha_records_status_without_snapshot_or_alert(pool: PgPool) {
    let store = PgStore::from_pool(pool.clone());
    store.ingest_page(&page(product("B00TEST003", 2000, 100, true), day(0)), &ctx()).await.unwrap();
    let alice = user(&pool, "alice").await;
    track(&pool, alice, "B00TEST003", Some(1.0), Some(1.0), None).await;
    let captcha = fetched(ParsedPage::Captcha { marketplace: Some(Marketplace::Com) }, day(1));
    let r = store
        .ingest_page(&captcha, &IngestContext::for_product(asin("B00TEST003"), Marketplace::Com))
        .await
        .unwrap();
    assert!(matches!(r.outcome, IngestOutcome::Recorded { product_id: Some(_), .. }), "{:?}", r.outcome);
    assert!(r.alerts.is_empty());
    assert_eq!(count(&pool, "SELECT count(*) FROM product_snapshots").await, 1);
    assert_eq!(count(&pool, "SELECT count(*) FROM alerts").await, 0);
    let (status, at, unlisted): (String, DateTime<Utc>, bool) =
        sqlx::query_as("SELECT last_fetch_status, last_fetch_at, is_unlisted FROM products")
            .fetch_one(&mut *crate::repos::common::service(&pool).await)
            .await
            .unwrap();
    assert_eq!((status.as_str(), at, unlisted), ("captcha", day(1), false));
    // The next good page compares with the last good snapshot, not with the captcha.
    let r = store.ingest_page(&page(product("B00TEST003", 2000, 100, true), day(2)), &ctx()).await.unwrap();
    assert!(r.alerts.is_empty(), "no change, no alert: {:?}", r.alerts);
    let status: String = sqlx::query_scalar("SELECT last_fetch_status FROM products")
        .fetch_one(&mut *crate::repos::common::service(&pool).await)
        .await
        .unwrap();
    assert_eq!(status, "ok");
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn not_found_unlists_product_and_alerts_each_tracker_once(pool: PgPool) {
    let store = PgStore::from_pool(pool.clone());
    store.ingest_page(&page(product("B00TEST004", 2000, 100, true), day(0)), &ctx()).await.unwrap();
    let (alice, bob, carol) =
        (user(&pool, "alice").await, user(&pool, "bob").await, user(&pool, "carol").await);
    track(&pool, alice, "B00TEST004", None, None, None).await;
    track(&pool, bob, "B00TEST004", None, None, None).await;
    let gone = fetched(ParsedPage::NotFound { marketplace: Some(Marketplace::Com) }, day(1));
    let target = IngestContext::for_product(asin("B00TEST004"), Marketplace::Com);
    let r = store.ingest_page(&gone, &target).await.unwrap();
    assert_eq!(r.alerts.len(), 2);
    assert_eq!(alert_types(&pool, alice).await, vec!["unlisted"]);
    assert_eq!(alert_types(&pool, bob).await, vec!["unlisted"]);
    assert!(alert_types(&pool, carol).await.is_empty(), "carol tracks nothing");
    let (unlisted, at): (bool, Option<DateTime<Utc>>) =
        sqlx::query_as("SELECT is_unlisted, unlisted_at FROM products")
            .fetch_one(&mut *crate::repos::common::service(&pool).await)
            .await
            .unwrap();
    assert_eq!((unlisted, at), (true, Some(day(1))));
    assert_eq!(count(&pool, "SELECT count(*) FROM product_snapshots").await, 1);
    // Still gone the next day: no second alert.
    let again = fetched(ParsedPage::NotFound { marketplace: Some(Marketplace::Com) }, day(2));
    assert!(store.ingest_page(&again, &target).await.unwrap().alerts.is_empty());
    assert_eq!(count(&pool, "SELECT count(*) FROM alerts").await, 2);
    assert_eq!(count(&pool, "SELECT count(*) FROM notifications WHERE alert_id IS NOT NULL").await, 2);
    // Back on sale: relisted.
    store.ingest_page(&page(product("B00TEST004", 2000, 100, true), day(3)), &ctx()).await.unwrap();
    let unlisted: bool = sqlx::query_scalar("SELECT is_unlisted FROM products")
        .fetch_one(&mut *crate::repos::common::service(&pool).await)
        .await
        .unwrap();
    assert!(!unlisted);
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn two_users_with_different_thresholds_get_different_alerts(pool: PgPool) {
    let store = PgStore::from_pool(pool.clone());
    store.ingest_page(&page(product("B00TEST005", 10000, 1000, true), day(0)), &ctx()).await.unwrap();
    let (tight, loose) = (user(&pool, "tight").await, user(&pool, "loose").await);
    track(&pool, tight, "B00TEST005", Some(5.0), Some(20.0), Some(Decimal::new(9000, 2))).await;
    track(&pool, loose, "B00TEST005", Some(15.0), Some(50.0), None).await;
    // -8 % price, +25 % rank, out of stock.
    let r = store.ingest_page(&page(product("B00TEST005", 9200, 1250, false), day(1)), &ctx()).await.unwrap();
    assert_eq!(r.alerts.len(), 4, "three for tight, one for loose");
    assert_eq!(alert_types(&pool, tight).await, vec!["bsr_change", "out_of_stock", "price_change"]);
    assert_eq!(alert_types(&pool, loose).await, vec!["out_of_stock"]);
    // -20 % from 92.00 → 73.60: both see the price, only tight reaches its target.
    store.ingest_page(&page(product("B00TEST005", 7360, 1250, false), day(2)), &ctx()).await.unwrap();
    let tight_day2: Vec<String> = sqlx::query_scalar(
        "SELECT alert_type FROM alerts WHERE user_id = $1 AND created_at = $2 ORDER BY alert_type",
    )
    .bind(tight)
    .bind(day(2))
    .fetch_all(&mut *crate::repos::common::service(&pool).await)
    .await
    .unwrap();
    assert_eq!(tight_day2, vec!["price_change", "target_price_reached"]);
    let loose_day2: Vec<String> =
        sqlx::query_scalar("SELECT alert_type FROM alerts WHERE user_id = $1 AND created_at = $2")
            .bind(loose)
            .bind(day(2))
            .fetch_all(&mut *crate::repos::common::service(&pool).await)
            .await
            .unwrap();
    assert_eq!(loose_day2, vec!["price_change"]);
    let (old, new): (Option<String>, Option<String>) = sqlx::query_as(
        "SELECT old_value, new_value FROM alerts WHERE user_id = $1 AND alert_type = 'price_change' AND created_at = $2",
    )
    .bind(loose)
    .bind(day(2))
    .fetch_one(&mut *crate::repos::common::service(&pool).await)
    .await
    .unwrap();
    assert!(old.is_some_and(|v| v.contains("92")) && new.is_some_and(|v| v.contains("73.6")));
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn batch_backfill_matches_page_by_page_ingest(pool: PgPool) {
    let store = PgStore::from_pool(pool.clone());
    let prices = [2000, 2300, 2300, 1900, 1900, 2500, 2500, 2500, 1000, 1000];
    // Product A page by page, product B in one batch; same user, same thresholds.
    store.ingest_page(&page(product("B00BATCH0A", prices[0], 500, true), day(0)), &ctx()).await.unwrap();
    store.ingest_page(&page(product("B00BATCH0B", prices[0], 500, true), day(0)), &ctx()).await.unwrap();
    let u = user(&pool, "u").await;
    track(&pool, u, "B00BATCH0A", Some(10.0), None, None).await;
    track(&pool, u, "B00BATCH0B", Some(10.0), None, None).await;
    for (d, p) in prices.iter().enumerate().skip(1) {
        store.ingest_page(&page(product("B00BATCH0A", *p, 500, true), day(d as i64)), &ctx()).await.unwrap();
    }
    // Out of order on purpose: the batch sorts each product's pages by time.
    let batch: Vec<FetchedPage> = prices
        .iter()
        .enumerate()
        .skip(1)
        .rev()
        .map(|(d, p)| page(product("B00BATCH0B", *p, 500, true), day(d as i64)))
        .collect();
    let r = store.ingest_batch(&batch, &ctx()).await.unwrap();
    assert_eq!(r.snapshots_inserted, 9);
    let per_product: Vec<(String, Vec<String>)> = sqlx::query_as(
        "SELECT p.asin, array_agg(a.new_value ORDER BY a.created_at) FROM alerts a JOIN products p ON p.id = a.product_id
         GROUP BY p.asin ORDER BY p.asin",
    )
    .fetch_all(&mut *crate::repos::common::service(&pool).await)
    .await
    .unwrap();
    assert_eq!(per_product.len(), 2);
    assert_eq!(per_product[0].1, per_product[1].1, "same alerts batch or not");
    assert_eq!(
        per_product[0].1.len(),
        4,
        "2000→2300, 2300→1900, 1900→2500, 2500→1000: {:?}",
        per_product[0].1
    );
}

/// Each new page is compared with the snapshot just before it, whichever way that one is
/// found: the stored latest (exact key), a newer page earlier in the same batch, an older
/// stored page for a back-fill, or the one before a latest snapshot deleted since.
#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn each_page_is_compared_with_the_snapshot_just_before_it(pool: PgPool) {
    compared_with_the_snapshot_just_before(pool, 0).await;
}

/// The same in a batch large enough to read the alert step's inputs on a second connection
/// while its transaction inserts the snapshots.
#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn a_large_batch_reads_beside_its_transaction_with_the_same_result(pool: PgPool) {
    compared_with_the_snapshot_just_before(pool.clone(), 80).await;
    // The test itself holds one connection at a time: the second was the batch's.
    assert!(pool.size() >= 2, "the large batch ran on {} connection(s)", pool.size());
}

/// The scenario of [`each_page_is_compared_with_the_snapshot_just_before_it`], its batch
/// padded with `padding` pages of other (untracked, stored) products.
async fn compared_with_the_snapshot_just_before(pool: PgPool, padding: usize) {
    let store = PgStore::from_pool(pool.clone());
    let u = user(&pool, "u").await;
    let filler = |i: usize, d: i64| page(product(&format!("B0FILL{i:04}"), 999, 7, true), day(d));
    let fillers: Vec<FetchedPage> = (0..padding).map(|i| filler(i, 0)).collect();
    store.ingest_batch(&fillers, &ctx()).await.unwrap();
    store.ingest_page(&page(product("B00PREV001", 2000, 500, true), day(1)), &ctx()).await.unwrap();
    track(&pool, u, "B00PREV001", Some(10.0), None, None).await;
    store.ingest_page(&page(product("B00PREV001", 3000, 500, true), day(3)), &ctx()).await.unwrap();
    // Stored: day 1 (20.00), day 3 (30.00). One batch, out of order:
    let mut batch: Vec<FetchedPage> = [(5, 1000), (2, 1000), (4, 5000)]
        .iter()
        .map(|&(d, cents)| page(product("B00PREV001", cents, 500, true), day(d)))
        .collect();
    batch.extend((0..padding).map(|i| filler(i, 5)));
    let report = store.ingest_batch(&batch, &ctx()).await.unwrap();
    assert_eq!(report.snapshots_inserted, 3 + padding as u64);
    // The latest snapshot goes; the next page is compared with the one before it.
    sqlx::query("DELETE FROM product_snapshots WHERE scraped_at = $1")
        .bind(day(5))
        .execute(&pool)
        .await
        .unwrap();
    store.ingest_page(&page(product("B00PREV001", 2500, 500, true), day(6)), &ctx()).await.unwrap();
    let changes: Vec<(DateTime<Utc>, Option<String>, Option<String>)> = sqlx::query_as(
        "SELECT created_at, old_value, new_value FROM alerts WHERE alert_type = 'price_change' ORDER BY created_at",
    )
    .fetch_all(&mut *crate::repos::common::service(&pool).await)
    .await
    .unwrap();
    let money = |v: &Option<String>| v.as_deref().map(|v| v.trim_start_matches('$').to_owned());
    let seen: Vec<(i64, Option<String>, Option<String>)> =
        changes.iter().map(|(at, old, new)| ((*at - day(0)).num_days(), money(old), money(new))).collect();
    let expect = |d: i64, old: &str, new: &str| (d, Some(old.to_owned()), Some(new.to_owned()));
    assert_eq!(
        seen,
        vec![
            expect(2, "20.00", "10.00"), // back-fill: the stored day 1
            expect(3, "20.00", "30.00"), // page by page
            expect(4, "30.00", "50.00"), // the stored latest, day 3
            expect(5, "50.00", "10.00"), // day 4, earlier in the same batch
            expect(6, "50.00", "25.00"), // day 5 deleted: day 4
        ]
    );
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn bestseller_list_creates_competitors_and_is_idempotent(pool: PgPool) {
    let store = PgStore::from_pool(pool.clone());
    store.ingest_page(&page(product("B00TRACK01", 2000, 100, true), day(0)), &ctx()).await.unwrap();
    let item = |rank: u32, a: &str| BestsellerItem {
        rank,
        asin: asin(a),
        title: Field::Read(format!("Item {a}")),
        price: Field::Read(usd(1000 + i64::from(rank))),
        rating: Field::Read(Rating::new(4.0).unwrap()),
        review_count: Field::Read(10 * rank),
        image_url: None,
    };
    let list = BestsellerPage {
        marketplace: Marketplace::Com,
        category: Field::Read("Mugs".into()),
        category_path: vec!["Home & Kitchen".into(), "Mugs".into()],
        category_id: Some("9302367011".into()),
        url: Some("https://www.amazon.com/gp/bestsellers/kitchen/9302367011".into()),
        items: vec![item(1, "B00TRACK01"), item(2, "B00COMP001"), item(3, "B00COMP002")],
    };
    let p = fetched(ParsedPage::Bestsellers(list), day(1));
    let r = store.ingest_page(&p, &ctx()).await.unwrap();
    assert_eq!(r.outcome, IngestOutcome::Bestsellers { inserted: 3, duplicates: 0, products_created: 2 });
    let r = store.ingest_page(&p, &ctx()).await.unwrap();
    assert_eq!(r.outcome, IngestOutcome::Bestsellers { inserted: 0, duplicates: 3, products_created: 0 });
    assert_eq!(count(&pool, "SELECT count(*) FROM products WHERE is_competitor").await, 2);
    assert_eq!(
        count(&pool, "SELECT count(*) FROM bestseller_snapshots WHERE product_id IS NOT NULL").await,
        3
    );
    let (level, parent): (i32, String) = sqlx::query_as(
        "SELECT c.level, p.name FROM categories c JOIN categories p ON p.id = c.parent_id WHERE c.category_id = '9302367011'",
    )
    .fetch_one(&mut *crate::repos::common::service(&pool).await)
    .await
    .unwrap();
    assert_eq!((level, parent.as_str()), (1, "Home & Kitchen"));
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn reviews_are_upserted_by_review_id(pool: PgPool) {
    let store = PgStore::from_pool(pool.clone());
    let review = |id: &str, helpful: u32| ScrapedReview {
        review_id: id.into(),
        rating: Field::Read(Rating::new(5.0).unwrap()),
        title: Field::Read("Great".into()),
        text: Field::Read("Holds coffee well".into()),
        author: Field::Read("Pat".into()),
        date: Field::Read(chrono::NaiveDate::from_ymd_opt(2025, 2, 1).unwrap()),
        verified_purchase: true,
        helpful_votes: Field::Read(helpful),
        variant: Field::Absent,
    };
    let rp = |helpful| ReviewPage {
        marketplace: Marketplace::Com,
        asin: Some(asin("B00REVIEW1")),
        items: vec![review("R1AAA", helpful), review("R2BBB", 0)],
    };
    let r = store.ingest_page(&fetched(ParsedPage::Reviews(rp(3)), day(1)), &ctx()).await.unwrap();
    assert_eq!(r.outcome, IngestOutcome::Reviews { upserted: 2 });
    let r = store.ingest_page(&fetched(ParsedPage::Reviews(rp(3)), day(1)), &ctx()).await.unwrap();
    assert_eq!(r.outcome, IngestOutcome::Reviews { upserted: 0 }, "unchanged reviews are not rewritten");
    let r = store.ingest_page(&fetched(ParsedPage::Reviews(rp(9)), day(2)), &ctx()).await.unwrap();
    assert_eq!(r.outcome, IngestOutcome::Reviews { upserted: 1 });
    let helpful: i32 = sqlx::query_scalar("SELECT helpful_count FROM reviews WHERE review_id = 'R1AAA'")
        .fetch_one(&mut *crate::repos::common::service(&pool).await)
        .await
        .unwrap();
    assert_eq!(helpful, 9);
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn page_dated_before_2024_is_refused_and_nothing_is_written(pool: PgPool) {
    let store = PgStore::from_pool(pool.clone());
    let old = Utc.with_ymd_and_hms(2020, 1, 1, 0, 0, 0).unwrap();
    let pages = vec![
        page(product("B00TEST006", 100, 1, true), day(0)),
        page(product("B00TEST007", 100, 1, true), old),
    ];
    let err = store.ingest_batch(&pages, &ctx()).await.unwrap_err();
    assert!(err.to_string().contains("scraped_at"), "{err}");
    assert_eq!(count(&pool, "SELECT count(*) FROM products").await, 0);
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn creator_is_recorded_on_new_products_only(pool: PgPool) {
    let store = PgStore::from_pool(pool.clone());
    let (alice, bob) = (user(&pool, "alice").await, user(&pool, "bob").await);
    let by = |u: Uuid| IngestContext { created_by: Some(u.into()), ..ctx() };
    store.ingest_page(&page(product("B00TEST008", 100, 1, true), day(0)), &by(alice)).await.unwrap();
    store.ingest_page(&page(product("B00TEST008", 100, 1, true), day(1)), &by(bob)).await.unwrap();
    let creator: Option<Uuid> = sqlx::query_scalar("SELECT created_by_id FROM products")
        .fetch_one(&mut *crate::repos::common::service(&pool).await)
        .await
        .unwrap();
    assert_eq!(creator, Some(alice));
    assert_eq!(AlertType::PriceChange.as_str(), "price_change");
}
