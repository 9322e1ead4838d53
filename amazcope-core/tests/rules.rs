//! Alert rules on constructed snapshots: each rule fires where it should and only there.

use amazcope_core::model::alert::NewAlert;
use amazcope_core::model::snapshot::{NewSnapshot, ProductSnapshot};
use amazcope_core::model::tracking::Tracker;
use amazcope_core::rules::{
    AlertContext, PriorAlert, RuleConfig, as_prior, evaluate, replay, unlisted_alerts,
};
use amazcope_core::{AlertType, Currency, ProductId, Severity, SnapshotId, UserId, UserProductId};
use chrono::{DateTime, Duration, TimeZone, Utc};
use rust_decimal::Decimal;
use uuid::Uuid;

fn product() -> ProductId {
    ProductId(Uuid::from_u128(1))
}

fn user(n: u128) -> UserId {
    UserId(Uuid::from_u128(100 + n))
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 8, 0, 0).unwrap()
}

fn tracker(n: u128, price: f64, bsr: f64) -> Tracker {
    Tracker {
        user_id: user(n),
        user_product_id: UserProductId(Uuid::from_u128(200 + n)),
        price_change_threshold: price,
        bsr_change_threshold: bsr,
        target_price: None,
    }
}

fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

/// An in-stock snapshot with a price, a main rank, a rating and a review count.
fn snap(hours: i64, price: &str, bsr: i32) -> NewSnapshot {
    let mut s = NewSnapshot::empty(product(), t0() + Duration::hours(hours), Currency::from_static("USD"));
    s.price = Some(dec(price));
    s.bsr_main_category = Some(bsr);
    s.main_category_name = Some("Electronics".into());
    s.rating = Some(4.5);
    s.review_count = Some(1000);
    s.in_stock = true;
    s
}

fn run(
    prev: Option<&NewSnapshot>,
    cur: &NewSnapshot,
    trackers: &[Tracker],
    prior: &[PriorAlert],
) -> Vec<NewAlert> {
    run_with(prev, cur, trackers, prior, &RuleConfig::default())
}

fn run_with(
    prev: Option<&NewSnapshot>,
    cur: &NewSnapshot,
    trackers: &[Tracker],
    prior: &[PriorAlert],
    config: &RuleConfig,
) -> Vec<NewAlert> {
    let id = SnapshotId(Uuid::from_u128(cur.scraped_at.timestamp() as u128));
    evaluate(&AlertContext {
        product_id: product(),
        product_title: "Echo Dot",
        previous: prev,
        current: cur,
        current_id: id,
        trackers,
        recent_alerts: prior,
        config,
    })
}

fn types(alerts: &[NewAlert]) -> Vec<AlertType> {
    alerts.iter().map(|a| a.alert_type).collect()
}

#[test]
fn price_rise_of_the_originals_example_is_16_67_percent_and_warning() {
    let alerts = run(Some(&snap(0, "29.99", 1000)), &snap(24, "34.99", 1000), &[tracker(1, 10.0, 30.0)], &[]);
    assert_eq!(types(&alerts), [AlertType::PriceChange]);
    let a = &alerts[0];
    assert!((a.change_percentage.unwrap() - 16.672_224).abs() < 1e-5, "{:?}", a.change_percentage);
    assert_eq!(a.severity, Severity::Warning);
    assert_eq!(a.title, "Price increased by 16.7%");
    assert_eq!(a.message, "Price increased by 16.7%: $29.99 → $34.99");
    assert_eq!((a.old_value.as_deref(), a.new_value.as_deref()), (Some("29.99"), Some("34.99")));
    assert_eq!(a.user_id, user(1));
    assert_eq!(a.created_at, t0() + Duration::hours(24));
    assert_eq!(a.snapshot_scraped_at, Some(t0() + Duration::hours(24)));
    assert!(a.snapshot_id.is_some());
}

#[test]
fn price_decrease_message_reads_in_plain_english() {
    let alerts = run(Some(&snap(0, "34.99", 1000)), &snap(24, "29.15", 1000), &[tracker(1, 10.0, 30.0)], &[]);
    assert_eq!(alerts[0].message, "Price decreased by 16.7%: $34.99 → $29.15");
    assert!(alerts[0].change_percentage.unwrap() < 0.0);
}

#[test]
fn price_threshold_met_exactly_fires_and_just_below_does_not() {
    let t = [tracker(1, 10.0, 30.0)];
    assert_eq!(
        types(&run(Some(&snap(0, "100.00", 1000)), &snap(1, "110.00", 1000), &t, &[])),
        [AlertType::PriceChange]
    );
    assert_eq!(
        types(&run(Some(&snap(0, "100.00", 1000)), &snap(1, "90.00", 1000), &t, &[])),
        [AlertType::PriceChange]
    );
    assert!(run(Some(&snap(0, "100.00", 1000)), &snap(1, "109.99", 1000), &t, &[]).is_empty());
}

#[test]
fn price_severity_bands() {
    let t = [tracker(1, 1.0, 30.0)];
    let sev = |new: &str| run(Some(&snap(0, "100", 1000)), &snap(1, new, 1000), &t, &[])[0].severity;
    assert_eq!(sev("104.99"), Severity::Info);
    assert_eq!(sev("105"), Severity::Warning);
    assert_eq!(sev("119.99"), Severity::Warning);
    assert_eq!(sev("120"), Severity::Critical);
    assert_eq!(sev("50"), Severity::Critical);
}

#[test]
fn a_missing_or_zero_price_on_either_side_never_alerts() {
    let t = [tracker(1, 1.0, 30.0)];
    let mut none = snap(1, "10", 1000);
    none.price = None;
    assert!(run(Some(&snap(0, "50", 1000)), &none, &t, &[]).is_empty());
    assert!(run(Some(&none), &snap(2, "50", 1000), &t, &[]).is_empty());
    assert!(run(Some(&snap(0, "0", 1000)), &snap(2, "50", 1000), &t, &[]).is_empty());
}

#[test]
fn prices_in_different_currencies_are_not_compared() {
    let mut eur = snap(1, "50", 1000);
    eur.currency = Currency::from_static("EUR");
    assert!(run(Some(&snap(0, "30", 1000)), &eur, &[tracker(1, 10.0, 30.0)], &[]).is_empty());
}

#[test]
fn bsr_on_the_main_rank_improved_by_40_percent_is_a_warning() {
    let mut prev = snap(0, "10", 1000);
    let mut cur = snap(24, "10", 600);
    // The small rank moves wildly; only the main rank counts.
    prev.bsr_small_category = Some(10);
    cur.bsr_small_category = Some(90);
    let alerts = run(Some(&prev), &cur, &[tracker(1, 10.0, 30.0)], &[]);
    assert_eq!(types(&alerts), [AlertType::BsrChange]);
    let a = &alerts[0];
    assert_eq!(a.change_percentage, Some(-40.0));
    assert_eq!(a.severity, Severity::Warning);
    assert_eq!(a.title, "BSR improved by 40.0%");
    assert_eq!(a.message, "Best-seller rank improved from #1,000 to #600 in Electronics");
}

#[test]
fn bsr_declined_by_50_percent_and_by_100_percent() {
    let t = [tracker(1, 10.0, 30.0)];
    let a = run(Some(&snap(0, "10", 1000)), &snap(1, "10", 1500), &t, &[]);
    assert_eq!((a[0].change_percentage, a[0].severity), (Some(50.0), Severity::Warning));
    assert_eq!(a[0].title, "BSR declined by 50.0%");
    let a = run(Some(&snap(0, "10", 1000)), &snap(1, "10", 2000), &t, &[]);
    assert_eq!(a[0].severity, Severity::Critical);
    let low = [tracker(1, 10.0, 20.0)];
    let a = run(Some(&snap(0, "10", 1000)), &snap(1, "10", 1200), &low, &[]);
    assert_eq!((a[0].change_percentage, a[0].severity), (Some(20.0), Severity::Info));
    assert!(run(Some(&snap(0, "10", 1000)), &snap(1, "10", 1299), &t, &[]).is_empty());
    assert_eq!(
        types(&run(Some(&snap(0, "10", 1000)), &snap(1, "10", 1300), &t, &[])),
        [AlertType::BsrChange]
    );
}

#[test]
fn two_trackers_with_different_thresholds_get_different_alerts() {
    let trackers = [tracker(1, 5.0, 50.0), tracker(2, 20.0, 20.0)];
    // +10 % price, +25 % rank.
    let alerts = run(Some(&snap(0, "20.00", 1000)), &snap(24, "22.00", 1250), &trackers, &[]);
    let of = |n| alerts.iter().filter(|a| a.user_id == user(n)).map(|a| a.alert_type).collect::<Vec<_>>();
    assert_eq!(of(1), [AlertType::PriceChange]);
    assert_eq!(of(2), [AlertType::BsrChange]);
}

#[test]
fn rating_drop_at_exactly_the_threshold_fires_and_a_rise_does_not() {
    let t = [tracker(1, 10.0, 30.0)];
    let prev = snap(0, "10", 1000);
    let mut cur = snap(1, "10", 1000);
    cur.rating = Some(4.4);
    let a = run(Some(&prev), &cur, &t, &[]);
    assert_eq!(types(&a), [AlertType::RatingDrop]);
    assert_eq!(a[0].severity, Severity::Info);
    assert_eq!(a[0].message, "Average rating fell from 4.5 to 4.4 stars");
    cur.rating = Some(4.45);
    assert!(run(Some(&prev), &cur, &t, &[]).is_empty());
    cur.rating = Some(4.8);
    assert!(run(Some(&prev), &cur, &t, &[]).is_empty());
    cur.rating = Some(4.0);
    assert_eq!(run(Some(&prev), &cur, &t, &[])[0].severity, Severity::Critical);
    cur.rating = None;
    assert!(run(Some(&prev), &cur, &t, &[]).is_empty());
}

#[test]
fn review_spike_by_count_or_percent_and_never_from_a_missing_count() {
    let t = [tracker(1, 10.0, 30.0)];
    let with = |old: Option<i32>, new: Option<i32>| {
        let mut p = snap(0, "10", 1000);
        p.review_count = old;
        let mut c = snap(1, "10", 1000);
        c.review_count = new;
        run(Some(&p), &c, &t, &[])
    };
    assert_eq!(types(&with(Some(1000), Some(1050))), [AlertType::ReviewSpike]);
    assert!(with(Some(1000), Some(1049)).is_empty());
    let a = with(Some(100), Some(120));
    assert_eq!(types(&a), [AlertType::ReviewSpike]);
    assert_eq!(a[0].change_percentage, Some(20.0));
    assert!(with(Some(100), Some(119)).is_empty());
    // +50 % from a tiny base is noise.
    assert!(with(Some(2), Some(3)).is_empty());
    assert!(with(None, Some(5000)).is_empty());
    assert!(with(Some(5000), None).is_empty());
    assert!(with(Some(1000), Some(900)).is_empty());
    assert_eq!(with(Some(1000), Some(1100))[0].severity, Severity::Warning);
}

#[test]
fn stock_flips_alert_critical_out_and_info_back() {
    let t = [tracker(1, 10.0, 30.0)];
    let mut out = snap(1, "10", 1000);
    out.in_stock = false;
    let a = run(Some(&snap(0, "10", 1000)), &out, &t, &[]);
    assert_eq!(types(&a), [AlertType::OutOfStock]);
    assert_eq!(a[0].severity, Severity::Critical);
    assert_eq!(a[0].message, "Echo Dot can no longer be bought");
    assert_eq!(a[0].change_percentage, None);
    let a = run(Some(&out), &snap(2, "10", 1000), &t, &[]);
    assert_eq!((types(&a), a[0].severity), (vec![AlertType::BackInStock], Severity::Info));
    assert!(run(Some(&snap(0, "10", 1000)), &snap(1, "10", 1000), &t, &[]).is_empty());
}

#[test]
fn amazons_choice_lost_and_gained() {
    let t = [tracker(1, 10.0, 30.0)];
    let mut with = snap(0, "10", 1000);
    with.has_amazons_choice = true;
    let a = run(Some(&with), &snap(1, "10", 1000), &t, &[]);
    assert_eq!((types(&a), a[0].severity), (vec![AlertType::AmazonsChoiceLost], Severity::Warning));
    let mut again = with.clone();
    again.scraped_at = t0() + Duration::hours(2);
    let a = run(Some(&snap(1, "10", 1000)), &again, &t, &[]);
    assert_eq!((types(&a), a[0].severity), (vec![AlertType::AmazonsChoiceGained], Severity::Info));
}

#[test]
fn target_price_fires_on_the_crossing_only() {
    let mut t = tracker(1, 50.0, 90.0);
    t.target_price = Some(dec("30.00"));
    let t = [t];
    let a = run(Some(&snap(0, "31.00", 1000)), &snap(1, "30.00", 1000), &t, &[]);
    assert_eq!(types(&a), [AlertType::TargetPriceReached]);
    assert_eq!(a[0].message, "Price is $30.00, at or below your target of $30.00");
    // Already below: no repeat.
    assert!(run(Some(&snap(1, "30.00", 1000)), &snap(2, "29.00", 1000), &t, &[]).is_empty());
    // Above target: nothing.
    assert!(run(Some(&snap(0, "35.00", 1000)), &snap(1, "30.01", 1000), &t, &[]).is_empty());
    // First sighting below target.
    assert_eq!(types(&run(None, &snap(1, "25.00", 1000), &t, &[])), [AlertType::TargetPriceReached]);
    // No previous and no target: nothing at all.
    assert!(run(None, &snap(1, "25.00", 1000), &[tracker(1, 1.0, 1.0)], &[]).is_empty());
}

#[test]
fn target_price_crossing_fires_once_over_a_history() {
    let mut t = tracker(1, 90.0, 90.0);
    t.target_price = Some(dec("30"));
    let history =
        stored(&[snap(0, "35", 1000), snap(24, "29", 1000), snap(48, "28", 1000), snap(72, "27", 1000)]);
    let a = replay(&history, &t, &RuleConfig::default());
    assert_eq!(types(&a), [AlertType::TargetPriceReached]);
    assert_eq!(a[0].created_at, t0() + Duration::hours(24));
}

#[test]
fn cool_down_suppresses_a_repeat_inside_the_window_and_not_after() {
    let t = [tracker(1, 10.0, 30.0)];
    let first = run(Some(&snap(0, "100", 1000)), &snap(1, "120", 1000), &t, &[]);
    assert_eq!(first.len(), 1);
    let prior = as_prior(&first);
    // 5 h later, a further +20 %: inside the 6 h cool-down.
    assert!(run(Some(&snap(1, "120", 1000)), &snap(6, "144", 1000), &t, &prior).is_empty());
    // 6 h after the first: allowed.
    assert_eq!(run(Some(&snap(1, "120", 1000)), &snap(7, "144", 1000), &t, &prior).len(), 1);
    // Another user's alert does not cool this user down.
    let other = [tracker(2, 10.0, 30.0)];
    assert_eq!(run(Some(&snap(1, "120", 1000)), &snap(6, "144", 1000), &other, &prior).len(), 1);
    // Nor does an alert of another type.
    let mut out = snap(6, "120", 1000);
    out.in_stock = false;
    assert_eq!(types(&run(Some(&snap(1, "120", 1000)), &out, &t, &prior)), [AlertType::OutOfStock]);
}

#[test]
fn dead_band_a_bounce_back_to_the_alerted_value_does_not_re_alert() {
    let t = tracker(1, 10.0, 30.0);
    let cfg = RuleConfig::default();
    // 100 → 111 alerts; 111 → 101 is −9 % (silent); 101 → 112 is +10.9 % but within 2 % of
    // the 111 the user was told about.
    let h =
        stored(&[snap(0, "100", 1000), snap(24, "111", 1000), snap(48, "101", 1000), snap(72, "112", 1000)]);
    let a = replay(&h, &t, &cfg);
    assert_eq!(a.iter().map(|a| a.new_value.as_deref().unwrap()).collect::<Vec<_>>(), ["111.00"]);
    // Outside the band it alerts again.
    let h =
        stored(&[snap(0, "100", 1000), snap(24, "111", 1000), snap(48, "101", 1000), snap(72, "114", 1000)]);
    assert_eq!(replay(&h, &t, &cfg).len(), 2);
    // Without noise control the bounce alerts.
    let h =
        stored(&[snap(0, "100", 1000), snap(24, "111", 1000), snap(48, "101", 1000), snap(72, "112", 1000)]);
    assert_eq!(replay(&h, &t, &RuleConfig::without_noise_control()).len(), 2);
}

#[test]
fn dead_band_applies_to_rank_too() {
    let t = tracker(1, 90.0, 15.0);
    // 1000 → 2000 alerts; 2000 → 1750 is −12.5 % (silent); 1750 → 2030 is +16 % but within
    // 2 % of the 2000 the user was told about.
    let h = stored(&[snap(0, "10", 1000), snap(24, "10", 2000), snap(48, "10", 1750), snap(72, "10", 2030)]);
    let a = replay(&h, &t, &RuleConfig::default());
    assert_eq!(a.iter().map(|a| a.new_value.as_deref().unwrap()).collect::<Vec<_>>(), ["2000"]);
    let h = stored(&[snap(0, "10", 1000), snap(24, "10", 2000), snap(48, "10", 1750), snap(72, "10", 2100)]);
    assert_eq!(replay(&h, &t, &RuleConfig::default()).len(), 2);
}

#[test]
fn the_same_snapshot_never_alerts_twice() {
    let t = [tracker(1, 10.0, 30.0)];
    let cfg = RuleConfig::without_noise_control();
    let first = run_with(Some(&snap(0, "100", 1000)), &snap(1, "120", 1000), &t, &[], &cfg);
    let again = run_with(Some(&snap(0, "100", 1000)), &snap(1, "120", 1000), &t, &as_prior(&first), &cfg);
    assert_eq!(first.len(), 1);
    assert!(again.is_empty());
    // A tracker listed twice for one user yields one alert.
    let twice = [tracker(1, 10.0, 30.0), tracker(1, 10.0, 30.0)];
    assert_eq!(run(Some(&snap(0, "100", 1000)), &snap(1, "120", 1000), &twice, &[]).len(), 1);
}

#[test]
fn replay_orders_the_history_and_applies_cool_down() {
    let t = tracker(1, 10.0, 30.0);
    // Given newest first; hourly swings of 20 % inside one cool-down window.
    let mut h =
        stored(&[snap(0, "100", 1000), snap(1, "120", 1000), snap(2, "100", 1000), snap(8, "125", 1000)]);
    h.reverse();
    let a = replay(&h, &t, &RuleConfig::default());
    assert_eq!(
        a.iter().map(|a| a.created_at).collect::<Vec<_>>(),
        [t0() + Duration::hours(1), t0() + Duration::hours(8)]
    );
    let all = replay(&h, &t, &RuleConfig::without_noise_control());
    assert_eq!(all.len(), 3);
    assert!(all.iter().all(|a| a.alert_type == AlertType::PriceChange && a.user_id == user(1)));
}

#[test]
fn unlisted_alerts_one_per_tracker_without_snapshot() {
    let trackers = [tracker(1, 10.0, 30.0), tracker(2, 5.0, 5.0)];
    let cfg = RuleConfig::default();
    let a = unlisted_alerts(product(), "Echo Dot", t0(), &trackers, &[], &cfg);
    assert_eq!(a.len(), 2);
    assert!(a.iter().all(|a| a.alert_type == AlertType::Unlisted && a.severity == Severity::Critical));
    assert!(a.iter().all(|a| a.snapshot_id.is_none() && a.created_at == t0()));
    let again =
        unlisted_alerts(product(), "Echo Dot", t0() + Duration::hours(1), &trackers, &as_prior(&a), &cfg);
    assert!(again.is_empty());
}

fn stored(snaps: &[NewSnapshot]) -> Vec<ProductSnapshot> {
    snaps
        .iter()
        .enumerate()
        .map(|(i, s)| ProductSnapshot {
            id: SnapshotId(Uuid::from_u128(10_000 + i as u128)),
            data: s.clone(),
            created_at: s.scraped_at,
            updated_at: s.scraped_at,
        })
        .collect()
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Over any history: no two alerts of one type closer than the cool-down, every
        /// price alert at least the threshold, and never more than one alert per
        /// (snapshot, type).
        #[test]
        fn replay_respects_thresholds_and_cool_down(
            steps in proptest::collection::vec((1i64..12, 500i64..1500, 100i32..5000, any::<bool>()), 1..40),
            threshold in 1.0f64..40.0,
        ) {
            let mut hours = 0;
            let snaps: Vec<NewSnapshot> = steps
                .iter()
                .map(|(dh, cents, bsr, stock)| {
                    hours += dh;
                    let mut s = snap(hours, "1", *bsr);
                    s.price = Some(Decimal::new(*cents, 2));
                    s.in_stock = *stock;
                    s
                })
                .collect();
            let cfg = RuleConfig::default();
            let alerts = replay(&stored(&snaps), &tracker(1, threshold, threshold), &cfg);
            for (i, a) in alerts.iter().enumerate() {
                if a.alert_type == AlertType::PriceChange {
                    prop_assert!(a.change_percentage.unwrap().abs() + 1e-9 >= threshold);
                }
                for b in &alerts[i + 1..] {
                    if a.alert_type == b.alert_type {
                        prop_assert!((b.created_at - a.created_at).abs() >= cfg.cool_down, "{a:?} {b:?}");
                        prop_assert!(a.snapshot_id != b.snapshot_id);
                    }
                }
            }
        }
    }
}

/// A snapshot's value flagged other than `ok` never fires: unparsed price, absent stock, a
/// blocked page; an `absent` price after an `ok` one is no drop to zero. Snapshots without
/// quality (stored before it was recorded) behave as before.
#[test]
fn no_alert_fires_on_a_value_that_is_not_ok() {
    use amazcope_core::model::page::{FieldQuality, Quality, TrackedField};
    let with = |mut s: NewSnapshot, field: TrackedField, q: FieldQuality| {
        let mut quality = s.quality.take().unwrap_or_else(|| {
            let mut all_ok = Quality::default();
            for f in TrackedField::ALL {
                all_ok.set(f, FieldQuality::Ok);
            }
            all_ok
        });
        quality.set(field, q);
        s.quality = Some(quality);
        s
    };
    let t = [tracker(1, 10.0, 30.0)];
    let prev = snap(0, "29.99", 1000);
    // Legacy snapshots (no quality): the drop alerts, as before.
    assert_eq!(types(&run(Some(&prev), &snap(24, "19.99", 1000), &t, &[])), [AlertType::PriceChange]);
    // The same drop with the new price unparsed: nothing.
    let cur = with(snap(24, "19.99", 1000), TrackedField::Price, FieldQuality::Unparsed);
    assert!(run(Some(&prev), &cur, &t, &[]).is_empty());
    // The previous price unparsed: nothing either.
    let p = with(snap(0, "29.99", 1000), TrackedField::Price, FieldQuality::Unparsed);
    assert!(run(Some(&p), &snap(24, "19.99", 1000), &t, &[]).is_empty());
    // A price that became absent is no drop to zero.
    let mut gone = with(snap(24, "0", 1000), TrackedField::Price, FieldQuality::Absent);
    gone.price = None;
    assert!(run(Some(&prev), &gone, &t, &[]).is_empty());
    // Stock the page does not show reads as not in stock, but is no out_of_stock alert.
    let mut no_stock = with(snap(24, "29.99", 1000), TrackedField::Stock, FieldQuality::Absent);
    no_stock.in_stock = false;
    assert!(run(Some(&prev), &no_stock, &t, &[]).is_empty());
    let mut out = with(snap(24, "29.99", 1000), TrackedField::Stock, FieldQuality::Ok);
    out.in_stock = false;
    assert_eq!(types(&run(Some(&prev), &out, &t, &[])), [AlertType::OutOfStock]);
    // Rank, rating and reviews the same way.
    let cur = with(snap(24, "29.99", 3000), TrackedField::Bsr, FieldQuality::Blocked);
    assert!(run(Some(&prev), &cur, &t, &[]).is_empty());
    let mut cur = with(snap(24, "29.99", 1000), TrackedField::Rating, FieldQuality::Unparsed);
    cur.rating = Some(3.0);
    assert!(run(Some(&prev), &cur, &t, &[]).is_empty());
    // A target price reached on an unparsed price: nothing.
    let mut target = tracker(1, 10.0, 30.0);
    target.target_price = Some(dec("25.00"));
    let cur = with(snap(24, "19.99", 1000), TrackedField::Price, FieldQuality::Unparsed);
    assert!(run(Some(&prev), &cur, &[target], &[]).is_empty());
}
