//! End to end through the local storefront: fetch → parse → store → alert over simulated
//! days with the refresh service; what is stored and the alerts each user gets are checked
//! against the storefront's truth.

use amazcope_core::model::enums::AlertType;
use amazcope_core::model::tracking::TrackOptions;
use amazcope_core::money::percent_change;
use amazcope_core::rules::RuleConfig;
use amazcope_core::service::{RefreshOptions, RefreshService, TrackService};
use amazcope_core::{AlertRepository, Marketplace, TimeRange, UserRepository};
use amazcope_examples::storefront::{PageState, Storefront, StorefrontConfig};
use amazcope_pg::PgStore;
use amazcope_scrape::fetch::{Fetcher, FetcherConfig};
use sqlx::PgPool;
use std::sync::Arc;
use std::time::Duration;

const DAYS: u32 = 8;

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn alerts_match_each_users_thresholds_against_the_storefront_truth(pool: PgPool) {
    let shop = Storefront::start(StorefrontConfig::default()).await.expect("storefront");
    let store = Arc::new(PgStore::from_pool(pool.clone()));
    let track = TrackService::new(Arc::clone(&store));
    let picks: Vec<_> = shop
        .catalogue()
        .products()
        .iter()
        .filter(|p| p.marketplace == Marketplace::Com)
        .take(12)
        .cloned()
        .collect();
    assert!(picks.len() >= 8, "storefront has com products");
    let users = [("tight", 3.0, 10.0), ("loose", 15.0, 60.0)];
    for (name, price, bsr) in users {
        track.add_user(name).await.unwrap();
        for p in &picks {
            let opts = TrackOptions::from_raw(Some(price), Some(bsr), None).unwrap();
            track.track(name, p.asin, p.marketplace, &opts).await.unwrap();
        }
    }
    let mut config = FetcherConfig::default()
        .with_min_spacing(Duration::ZERO)
        .with_captcha_cooldown(Duration::ZERO)
        .with_base_url(Marketplace::Com, shop.base_url_for(Marketplace::Com))
        .with_marketplace_spacing(Marketplace::Com, Duration::ZERO);
    config = config.with_timeout(Duration::from_secs(10));
    let refresh = RefreshService::new(Arc::clone(&store), Arc::new(Fetcher::new(config).unwrap()));
    // Without noise control every qualifying pair of snapshots alerts: exact against truth.
    let rules = RuleConfig::without_noise_control();
    for day in 0..DAYS {
        shop.set_day(day);
        let at = shop.catalogue().date_of(day).and_hms_opt(6, 0, 0).unwrap().and_utc();
        let mut options = RefreshOptions::new("e2e", at);
        options.pages_at_now = true;
        options.rules = rules.clone();
        let report = refresh.refresh_due(&options, &mut |_| {}).await.unwrap();
        assert_eq!(report.claimed as usize, picks.len(), "day {day}: every product due once");
    }

    for (name, price_threshold, _) in users {
        let user = store.user_by_name(name).await.unwrap().unwrap();
        let mut expected = Vec::new();
        for p in &picks {
            let product = track.product(&p.asin, p.marketplace).await.unwrap();
            let history = store.product_history(product.id, TimeRange::default()).await.unwrap();
            let served: Vec<_> =
                (0..DAYS).map(|d| p.state_on(d)).filter(|s| s.page == PageState::Product).collect();
            assert_eq!(
                history.len(),
                served.len(),
                "{}: one snapshot per product-page day, none on captcha days",
                p.asin
            );
            for (s, t) in history.iter().zip(&served) {
                assert_eq!(s.data.price, t.price, "{} day {}: stored price", p.asin, t.day);
            }
            let last_gone = p.state_on(DAYS - 1).page == PageState::NotFound;
            if last_gone {
                let fresh = track.product(&p.asin, p.marketplace).await.unwrap();
                assert!(fresh.is_unlisted, "{} gone on the last day is unlisted", p.asin);
            }
            for pair in served.windows(2) {
                if let (Some(old), Some(new)) = (pair[0].price, pair[1].price)
                    && percent_change(old, new)
                        .is_some_and(|pct| pct != 0.0 && pct.abs() + 1e-9 >= price_threshold)
                {
                    expected.push((p.asin.to_string(), pair[1].day));
                }
            }
        }
        let alerts = store
            .alerts(
                user.id,
                &amazcope_core::model::alert::AlertQuery { limit: Some(10_000), ..Default::default() },
            )
            .await
            .unwrap();
        let mut got: Vec<(String, u32)> = alerts
            .iter()
            .filter(|a| a.alert.alert_type == AlertType::PriceChange)
            .map(|a| {
                let day = (a.alert.created_at.date_naive() - shop.catalogue().start_date()).num_days() as u32;
                (a.asin.to_string(), day)
            })
            .collect();
        got.sort();
        expected.sort();
        assert_eq!(got, expected, "{name}: price alerts exactly where the truth moved by the threshold");
    }
    let tight: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM alerts a JOIN users u ON u.id = a.user_id WHERE u.username = 'tight'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    let loose: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM alerts a JOIN users u ON u.id = a.user_id WHERE u.username = 'loose'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(tight > loose, "tighter thresholds raise more alerts ({tight} vs {loose})");
    shop.stop();
}
