//! Analytics against hand-computed values.

use amazcope_core::analytics::{
    CategoryItem, Granularity, TrendField, TrendSeries, TrendValue, category_metric, lowest_price,
    parse_fields, price_spread, summary_from_history, trend, window_stats,
};
use amazcope_core::model::snapshot::NewSnapshot;
use amazcope_core::{CategoryId, CategoryLevel, Currency, ProductId};
use chrono::{DateTime, Duration, TimeZone, Utc};
use rust_decimal::Decimal;
use uuid::Uuid;

fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 30, 12, 0, 0).unwrap()
}

fn at(t: DateTime<Utc>, price: Option<&str>, in_stock: bool) -> NewSnapshot {
    let mut s = NewSnapshot::empty(ProductId(Uuid::from_u128(7)), t, Currency::from_static("USD"));
    s.price = price.map(dec);
    s.in_stock = in_stock;
    s
}

fn days_ago(d: i64, price: Option<&str>, in_stock: bool) -> NewSnapshot {
    at(now() - Duration::days(d), price, in_stock)
}

fn history() -> Vec<NewSnapshot> {
    let day10 = (now() - Duration::days(10)).date_naive();
    vec![
        days_ago(400, Some("5.00"), true),
        days_ago(200, Some("50.00"), true),
        days_ago(100, Some("40.00"), true),
        days_ago(60, Some("30.00"), false),
        days_ago(20, Some("20.00"), true),
        at(day10.and_hms_opt(8, 0, 0).unwrap().and_utc(), Some("10.01"), false),
        // Same day, later and back in stock: the day counts as in stock.
        at(day10.and_hms_opt(20, 0, 0).unwrap().and_utc(), Some("10.00"), true),
        // A zero price is no price.
        days_ago(5, Some("0"), false),
        days_ago(1, None, true),
        // In the future of `now`: ignored.
        at(now() + Duration::days(1), Some("1.00"), false),
    ]
}

#[test]
fn window_stats_match_hand_computed_values() {
    let h = history();
    let stats = window_stats(&h, now());
    assert_eq!(stats.windows.iter().map(|w| w.days).collect::<Vec<_>>(), [30, 90, 180, 365]);
    assert_eq!(stats.currency, Some(Currency::from_static("USD")));

    let w30 = stats.window(30).unwrap();
    assert_eq!(w30.snapshot_count, 5, "30 d snapshot count");
    assert_eq!(w30.priced_count, 3, "30 d priced count");
    assert_eq!(w30.min_price, Some(dec("10.00")), "30 d min");
    assert_eq!(w30.min_price_at.map(|t| t.date_naive()), Some((now() - Duration::days(10)).date_naive()));
    assert_eq!(w30.max_price, Some(dec("20.00")), "30 d max");
    // (20.00 + 10.01 + 10.00) / 3 = 13.3366…
    assert_eq!(w30.avg_price, Some(dec("13.34")), "30 d avg");
    assert_eq!((w30.days_observed, w30.days_out_of_stock), (4, 1), "30 d days");
    assert_eq!(w30.out_of_stock_share, Some(0.25));

    let w90 = stats.window(90).unwrap();
    // (30 + 20 + 10.01 + 10) / 4 = 17.5025
    assert_eq!(
        (w90.min_price, w90.max_price, w90.avg_price),
        (Some(dec("10.00")), Some(dec("30.00")), Some(dec("17.50")))
    );
    assert_eq!(w90.out_of_stock_share, Some(0.4), "2 of 5 days out of stock");

    let w180 = stats.window(180).unwrap();
    assert_eq!((w180.snapshot_count, w180.avg_price), (7, Some(dec("22.00"))));

    let w365 = stats.window(365).unwrap();
    // 160.01 / 6 = 26.6683…
    assert_eq!((w365.max_price, w365.avg_price), (Some(dec("50.00")), Some(dec("26.67"))));
    assert_eq!(lowest_price(&h, now(), 7), None, "no price in the last 7 days");
    assert_eq!(lowest_price(&h, now(), 500).map(|l| l.0), Some(dec("5.00")));
}

#[test]
fn average_rounds_half_away_from_zero() {
    let h = [days_ago(2, Some("10.00"), true), days_ago(1, Some("10.01"), true)];
    assert_eq!(window_stats(&h, now()).window(30).unwrap().avg_price, Some(dec("10.01")));
}

#[test]
fn empty_history_has_empty_windows() {
    let stats = window_stats::<NewSnapshot>(&[], now());
    let w = stats.window(30).unwrap();
    assert_eq!((w.snapshot_count, w.min_price, w.avg_price, w.out_of_stock_share), (0, None, None, None));
}

#[test]
fn summary_changes_against_the_baselines() {
    let mut latest = days_ago(0, Some("24.00"), true);
    latest.bsr_main_category = Some(800);
    latest.rating = Some(4.2);
    latest.review_count = Some(1100);
    let mut recent = days_ago(3, Some("99.00"), true);
    recent.bsr_main_category = Some(1);
    let mut b7 = days_ago(8, Some("30.00"), true);
    b7.bsr_main_category = Some(1000);
    b7.rating = Some(4.0);
    b7.review_count = Some(1000);
    let mut b30 = days_ago(31, Some("0"), true);
    b30.rating = Some(4.2);
    b30.review_count = Some(900);
    let s = summary_from_history(&[b30, latest.clone(), b7, recent], now()).unwrap();
    assert_eq!(s.current_price, Some(dec("24.00")));
    assert_eq!(s.price_change_7d, Some(-20.0));
    assert_eq!(s.price_change_30d, None, "zero baseline price");
    assert_eq!((s.current_bsr, s.bsr_change_7d, s.bsr_change_30d), (Some(800), Some(-20.0), None));
    assert!((s.rating_change_7d.unwrap() - 5.0).abs() < 1e-9);
    assert_eq!(s.rating_change_30d, Some(0.0));
    assert_eq!((s.review_count, s.review_growth_7d, s.review_growth_30d), (Some(1100), Some(100), Some(200)));
    assert_eq!(s.last_updated, latest.scraped_at);
    assert!(summary_from_history::<NewSnapshot>(&[], now()).is_none());
}

fn march(day: u32, hour: u32, price: Option<&str>) -> NewSnapshot {
    at(Utc.with_ymd_and_hms(2026, 3, day, hour, 0, 0).unwrap(), price, day != 4)
}

fn march_history() -> Vec<NewSnapshot> {
    // 2026-03-02 is a Monday (ISO week 10).
    vec![
        march(9, 9, Some("9.00")),
        march(2, 8, Some("10.00")),
        march(2, 20, Some("12.00")),
        march(3, 8, Some("0")),
        march(4, 8, Some("11.00")),
    ]
}

#[test]
fn trend_raw_keeps_missing_values_as_none_in_time_order() {
    let TrendSeries::Raw(points) = trend(&march_history(), TrendField::Price, None, Granularity::Raw) else {
        panic!("raw series expected")
    };
    let values: Vec<_> = points.iter().map(|p| p.value).collect();
    assert_eq!(
        values,
        [
            Some(TrendValue::Money(dec("10.00"))),
            Some(TrendValue::Money(dec("12.00"))),
            None,
            Some(TrendValue::Money(dec("11.00"))),
            Some(TrendValue::Money(dec("9.00")))
        ]
    );
}

#[test]
fn trend_by_day_and_by_iso_week() {
    let h = march_history();
    let days = trend(&h, TrendField::Price, None, Granularity::Day);
    let b = days.buckets();
    assert_eq!(
        b.iter().map(|b| b.label.as_str()).collect::<Vec<_>>(),
        ["2026-03-02", "2026-03-04", "2026-03-09"]
    );
    assert_eq!(b[0].count, 2);
    assert_eq!(
        (b[0].last, b[0].min, b[0].max, b[0].mean),
        (
            TrendValue::Money(dec("12.00")),
            TrendValue::Money(dec("10.00")),
            TrendValue::Money(dec("12.00")),
            TrendValue::Money(dec("11.00"))
        )
    );
    let weeks = trend(&h, TrendField::Price, None, Granularity::Week);
    let w = weeks.buckets();
    assert_eq!(w.iter().map(|b| b.label.as_str()).collect::<Vec<_>>(), ["2026-W10", "2026-W11"]);
    assert_eq!(w[0].start, Utc.with_ymd_and_hms(2026, 3, 2, 0, 0, 0).unwrap());
    assert_eq!(
        (w[0].count, w[0].last, w[0].mean),
        (3, TrendValue::Money(dec("11.00")), TrendValue::Money(dec("11.00")))
    );
    // in_stock: out on the 4th only → W10 share 3/4 = 0.75.
    let stock = trend(&h, TrendField::InStock, None, Granularity::Week);
    assert_eq!(stock.buckets()[0].mean, TrendValue::Float(0.75));
    assert_eq!(stock.buckets()[0].min, TrendValue::Boolean(false));
    // `since` cuts the start.
    let since = Utc.with_ymd_and_hms(2026, 3, 4, 0, 0, 0).unwrap();
    assert_eq!(trend(&h, TrendField::Price, Some(since), Granularity::Day).buckets().len(), 2);
}

#[test]
fn unknown_trend_field_lists_the_valid_ones() {
    assert_eq!(TrendField::ALL.len(), 15);
    assert_eq!("bsr_main".parse::<TrendField>().unwrap(), TrendField::BsrMain);
    let e = "bsr".parse::<TrendField>().unwrap_err();
    assert_eq!(e.given, "bsr");
    assert_eq!(e.valid.len(), 15);
    assert!(e.to_string().contains("price, original_price, buybox_price"), "{e}");
    assert_eq!(parse_fields("price, rating,price").unwrap(), [TrendField::Price, TrendField::Rating]);
    assert!(parse_fields("price,nope").is_err());
    for f in TrendField::ALL {
        assert_eq!(f.name().parse::<TrendField>().unwrap(), *f);
    }
}

#[test]
fn category_metric_from_a_list() {
    let p = |s: &str| Some(dec(s));
    let items = [
        CategoryItem { price: p("10"), bsr: Some(100), rating: Some(4.0), review_count: Some(10) },
        CategoryItem { price: p("20"), bsr: Some(300), rating: Some(4.5), review_count: Some(20) },
        CategoryItem { price: p("30"), bsr: None, rating: Some(5.0), review_count: Some(25) },
        CategoryItem { price: p("40"), ..Default::default() },
        CategoryItem { price: None, ..Default::default() },
        CategoryItem { price: p("0"), bsr: Some(0), review_count: Some(0), ..Default::default() },
    ];
    let at = now();
    let m = category_metric(CategoryId(Uuid::from_u128(9)), CategoryLevel::Main, at, &items);
    assert_eq!((m.avg_price, m.median_price), (p("25.00"), p("25.00")));
    assert_eq!((m.min_price, m.max_price, price_spread(&m)), (p("10"), p("40"), p("30")));
    assert_eq!((m.avg_bsr, m.median_bsr), (Some(200), Some(200)));
    assert_eq!(m.avg_rating, Some(4.5));
    // (10 + 20 + 25) / 3 = 18.33
    assert_eq!(m.avg_review_count, Some(18));
    assert_eq!(m.product_count, 6);
    assert_eq!(m.recorded_at, at);
}
