//! Issue 15, "done when": a product with 400 days of pages, run through retention, still
//! shows its true 365-day statistics, a daily history back to day one, and a chart; and the
//! long-history reads follow the tenancy rule.

use crate::ingest::{ctx, page, product, track, user};
use amazcope_core::StoreError;
use amazcope_core::TimeRange;
use amazcope_core::model::history::Resolution;
use amazcope_core::service::IngestStore;
use amazcope_core::{ProductId, UserId};
use amazcope_pg::{PgStore, partitions};
use chrono::{DateTime, Duration, TimeZone, Utc};
use rust_decimal::Decimal;
use sqlx::PgPool;

const ASIN: &str = "B00LONG001";
const DAYS: i64 = 400;

/// Day `n` of the history, at noon UTC (one page a day, always at the same time of day, so
/// a window's first day is whole on both sides of retention).
fn day(n: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 1, 1, 12, 0, 0).unwrap() + Duration::days(n)
}

/// The price of day `n`, in cents: a wave between 20.00 and 29.99, an all-time low of 5.00
/// on day 10 (outside the last 365 days), the 365-day low of 9.99 on day 100 (in a month
/// retention drops) and a high of 49.99 on day 200.
fn cents(n: i64) -> i64 {
    match n {
        10 => 500,
        100 => 999,
        200 => 4999,
        _ => 2000 + (n * 37) % 1000,
    }
}

/// Every seventh day ends out of stock.
fn in_stock(n: i64) -> bool {
    n % 7 != 3
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn a_long_history_keeps_its_statistics_daily_points_and_chart_through_retention(pool: PgPool) {
    let store = PgStore::from_pool(pool.clone());
    let pages: Vec<_> =
        (0..DAYS).map(|n| page(product(ASIN, cents(n), 1000 + n as u32, in_stock(n)), day(n))).collect();
    for batch in pages.chunks(50) {
        store.ingest_batch(batch, &ctx()).await.unwrap();
    }
    let alice = UserId(user(&pool, "alice").await);
    let bob = UserId(user(&pool, "bob").await);
    track(&pool, alice.0, ASIN, None, None, None).await;
    let id: uuid::Uuid = sqlx::query_scalar("SELECT id FROM products WHERE asin = $1")
        .bind(ASIN)
        .fetch_one(&pool)
        .await
        .unwrap();
    let product = ProductId(id);

    let before = store.long_window_stats(Some(alice), product).await.unwrap();
    let w365 = before.window(365).unwrap().clone();
    assert_eq!(w365.min_price, Some(Decimal::new(999, 2)), "{w365:?}");
    assert_eq!(w365.min_price_at, Some(day(100)));
    assert_eq!(w365.max_price, Some(Decimal::new(4999, 2)));
    assert_eq!(w365.snapshot_count, 366, "days 34..=399");

    // Retention: raw months older than 90 days before the newest page are dropped.
    let now = day(DAYS - 1);
    // Retention with a Parquet archive: every raw row dropped is in the archive.
    let raw_before: i64 =
        sqlx::query_scalar("SELECT count(*) FROM product_snapshots").fetch_one(&pool).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let target = amazcope_pg::archive::ArchiveTarget::open(
        dir.path().to_str().unwrap(),
        std::iter::empty::<(String, String)>(),
    )
    .unwrap();
    let report = partitions::drop_expired_partitions(
        &pool,
        Duration::days(90),
        now,
        Some(partitions::Disposal::Archive(&target)),
    )
    .await
    .unwrap();
    assert!(report.dropped.len() >= 9, "{report:?}");
    let raw_left: i64 =
        sqlx::query_scalar("SELECT count(*) FROM product_snapshots").fetch_one(&pool).await.unwrap();
    assert!(raw_left < 130, "only the last three or four months are raw: {raw_left}");
    let archived: u64 = report.archived.iter().map(|m| m.rows).sum();
    assert_eq!(raw_before, DAYS, "one snapshot per day");
    assert_eq!(archived + raw_left as u64, raw_before as u64, "every raw row is archived or still raw");
    let months = target.months().await.unwrap();
    assert_eq!(months.len(), report.archived.len(), "a Parquet file per dropped month: {months:?}");

    // The statistics are those of the raw data, window by window: lowest (and when), highest,
    // mean, counts and the out-of-stock share.
    let after = store.long_window_stats(Some(alice), product).await.unwrap();
    assert_eq!(after, before);
    let raw_only = amazcope_core::analytics::window_stats(
        &store.product_history(product, TimeRange::default()).await.unwrap(),
        now,
    );
    assert_ne!(raw_only.window(365), after.window(365), "the raw data alone no longer has it");

    // The history: a daily point per day back to day one, then the raw snapshots.
    let history = store.long_history(Some(alice), product, TimeRange::default(), false).await.unwrap();
    let points = history.points();
    assert_eq!(points.len(), DAYS as usize, "one point a day, none twice");
    let first_raw = points.iter().position(|p| p.resolution == Resolution::Raw).unwrap();
    assert_eq!(first_raw as i64, DAYS - raw_left);
    assert!(points[..first_raw].iter().all(|p| p.resolution == Resolution::Daily));
    assert!(points[first_raw..].iter().all(|p| p.resolution == Resolution::Raw));
    for (n, p) in points.iter().enumerate() {
        let n = n as i64;
        let at = if p.resolution == Resolution::Daily { day(n) - Duration::hours(12) } else { day(n) };
        assert_eq!(
            (p.at, p.price, p.in_stock),
            (at, Some(Decimal::new(cents(n), 2)), in_stock(n)),
            "day {n}"
        );
    }
    // Daily only: every day, also those with raw snapshots.
    let daily = store.long_history(Some(alice), product, TimeRange::default(), true).await.unwrap().points();
    assert_eq!(daily.len(), DAYS as usize);
    assert!(daily.iter().all(|p| p.resolution == Resolution::Daily && p.snapshots == 1));
    // A range: the last 120 days, daily points up to the first raw day, then the raw ones.
    let recent = store
        .long_history(Some(alice), product, TimeRange::last_days(now, 119), false)
        .await
        .unwrap()
        .points();
    assert_eq!(recent.len(), 120);
    assert_eq!(recent[0].at, day(DAYS - 120) - Duration::hours(12));

    // Trends by week and the comparison after retention: the archived months still appear,
    // from the rollups, with the raw data's values (one page a day: each day's price is
    // exact, and each week's lowest, highest and mean are those of its days).
    use amazcope_core::analytics::{AnalyticsRepository, CompareMetric, Granularity, TrendField, TrendValue};
    let all = TimeRange { from: Some(day(0) - Duration::hours(12)), to: Some(day(DAYS)) };
    let weeks =
        store.product_trends(alice, product, &[TrendField::Price], all, Granularity::Week).await.unwrap();
    assert_eq!(weeks.snapshot_count, DAYS as usize, "every page, raw or rolled up");
    let buckets = weeks.fields[0].series.buckets();
    let mut expected: std::collections::BTreeMap<String, Vec<i64>> = Default::default();
    for n in 0..DAYS {
        let w = chrono::Datelike::iso_week(&day(n).date_naive());
        expected.entry(format!("{}-W{:02}", w.year(), w.week())).or_default().push(cents(n));
    }
    assert_eq!(buckets.len(), expected.len());
    for (b, (label, c)) in buckets.iter().zip(&expected) {
        let money = |v: i64| TrendValue::Money(Decimal::new(v, 2));
        let mean = (Decimal::new(c.iter().sum(), 2) / Decimal::from(c.len()))
            .round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
        assert_eq!(&b.label, label);
        assert_eq!(
            (b.count, b.min, b.max, b.last, b.mean),
            (
                c.len(),
                money(*c.iter().min().unwrap()),
                money(*c.iter().max().unwrap()),
                money(*c.last().unwrap()),
                TrendValue::Money(mean)
            ),
            "{label}"
        );
    }
    let cmp = store.compare_products(alice, &[product], CompareMetric::Price, all).await.unwrap();
    let pts = &cmp.products[0].points;
    assert_eq!(pts.len(), DAYS as usize, "a point a day: rolled up, then raw");
    assert_eq!((pts[10].at, pts[10].value), (day(10), Some(TrendValue::Money(Decimal::new(500, 2)))));

    // Another user's reads are refused like a missing product's.
    for daily_only in [false, true] {
        let e = store.long_history(Some(bob), product, TimeRange::default(), daily_only).await.unwrap_err();
        assert!(matches!(e, StoreError::NotFound { .. }), "{e:?}");
    }
    let e = store.long_window_stats(Some(bob), product).await.unwrap_err();
    assert!(matches!(e, StoreError::NotFound { .. }), "{e:?}");

    // The chart of all 400 days: SVG text and a PNG (kept under target/tmp to look at).
    let chart = amazcope_chart::Chart::new("B00LONG001 on amazon.com", &points);
    let svg = amazcope_chart::svg(&chart).unwrap();
    assert!(svg.contains("Price (USD)") && svg.contains("2025-"), "axes in the currency and dates");
    let png = amazcope_chart::png(&chart).unwrap();
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
    std::fs::write(std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("long_history.png"), &png).unwrap();
}
