//! The storefront over real HTTP: every page it serves parses (with `amazcope_scrape`) to
//! exactly the catalogue's truth for that day.

use amazcope_core::model::page::{ParsedPage, ScrapedProduct};
use amazcope_core::{Asin, Marketplace};
use amazcope_examples::storefront::{
    Faults, PageState, Storefront, StorefrontConfig, StorefrontHandle, catalogue::DayState, script,
};
use reqwest::StatusCode;
use std::time::Duration;

const DAYS: u32 = 30;

async fn start(faults: Faults) -> StorefrontHandle {
    Storefront::start(StorefrontConfig { faults, ..StorefrontConfig::default() })
        .await
        .expect("storefront starts on 127.0.0.1")
}

async fn get(url: &str) -> (StatusCode, String) {
    amazcope_scrape::fetch::install_tls_provider();
    let resp = reqwest::get(url).await.unwrap_or_else(|e| panic!("GET {url}: {e}"));
    let status = resp.status();
    (status, resp.text().await.unwrap_or_else(|e| panic!("body of {url}: {e}")))
}

/// Compares one parsed product page with the truth; returns one line per mismatch.
fn compare(asin: &Asin, day: u32, page: &ScrapedProduct, truth: &DayState) -> Vec<String> {
    let mut bad = Vec::new();
    let mut check = |field: &str, ok: bool, got: String, want: String| {
        if !ok {
            bad.push(format!("{asin} day {day} {field}: parsed {got}, truth {want}"));
        }
    };
    let price = page.price.value().cloned();
    check("price", price == truth.price_money(), format!("{:?}", page.price), format!("{:?}", truth.price));
    let list = page.list_price.value().cloned();
    check(
        "list_price",
        list == truth.list_price_money(),
        format!("{:?}", page.list_price),
        format!("{:?}", truth.list_price),
    );
    check(
        "rating",
        page.rating.value() == Some(&truth.rating()),
        format!("{:?}", page.rating),
        format!("{}", truth.rating_tenths),
    );
    check(
        "review_count",
        page.review_count.value() == Some(&truth.review_count),
        format!("{:?}", page.review_count),
        truth.review_count.to_string(),
    );
    let ranks: Vec<u32> = page.ranks.value().map(|r| r.iter().map(|r| r.rank).collect()).unwrap_or_default();
    check(
        "ranks",
        ranks == vec![truth.bsr, truth.sub_bsr],
        format!("{:?}", page.ranks),
        format!("{} / {}", truth.bsr, truth.sub_bsr),
    );
    let in_stock = page.availability.value().map(|a| a.status.in_stock());
    check(
        "in_stock",
        in_stock == Some(truth.in_stock),
        format!("{:?}", page.availability),
        truth.in_stock.to_string(),
    );
    check(
        "amazons_choice",
        page.amazons_choice.is_read() == truth.amazons_choice,
        format!("{:?}", page.amazons_choice),
        truth.amazons_choice.to_string(),
    );
    check("asin", page.asin == *asin, page.asin.to_string(), asin.to_string());
    bad
}

#[tokio::test]
async fn every_product_page_parses_to_the_truth_of_its_day() {
    let shop = start(Faults::default()).await;
    let mut mismatches = Vec::new();
    let (mut products, mut captchas, mut gone) = (0, 0, 0);
    for day in 0..DAYS {
        shop.set_day(day);
        for p in shop.catalogue().products() {
            let truth = p.state_on(day);
            let (status, html) = get(&shop.product_url(&p.asin)).await;
            let parsed = amazcope_scrape::parse_page(&html, None);
            match (truth.page, status, parsed) {
                (PageState::Product, StatusCode::OK, Ok(ParsedPage::Product(page))) => {
                    products += 1;
                    assert_eq!(page.marketplace, p.marketplace, "{} marketplace", p.asin);
                    mismatches.extend(compare(&p.asin, day, &page, &truth));
                    let title = page.title.value().map(String::as_str);
                    if title != Some(p.title.as_str()) {
                        mismatches.push(format!("{} title: {:?}", p.asin, page.title));
                    }
                    if page.brand.value() != Some(&p.brand) {
                        mismatches.push(format!("{} brand: {:?}", p.asin, page.brand));
                    }
                }
                (PageState::Captcha, StatusCode::OK, Ok(ParsedPage::Captcha { .. })) => captchas += 1,
                (PageState::NotFound, StatusCode::NOT_FOUND, Ok(ParsedPage::NotFound { .. })) => gone += 1,
                (want, status, got) => mismatches
                    .push(format!("{} day {day}: truth {want:?}, got HTTP {status} {got:?}", p.asin)),
            }
        }
    }
    assert!(mismatches.is_empty(), "{} mismatches:\n{}", mismatches.len(), mismatches.join("\n"));
    assert_eq!(captchas, script::CAPTCHAS.len(), "captcha pages served");
    assert_eq!(gone, (DAYS - script::DISAPPEARS_DAY) as usize, "404 pages served");
    assert_eq!(products + captchas + gone, 60 * DAYS as usize);
}

#[tokio::test]
async fn scripted_events_show_on_the_pages() {
    let shop = start(Faults::default()).await;
    let cat = shop.catalogue();
    let parse = |html: &str| match amazcope_scrape::parse_page(html, None) {
        Ok(ParsedPage::Product(p)) => p,
        other => panic!("expected a product page, got {other:?}"),
    };
    let drop = &cat.products()[script::PRICE_DROP_PRODUCT];
    shop.set_day(script::PRICE_DROP_DAY - 1);
    let before = parse(&get(&shop.product_url(&drop.asin)).await.1).price.into_value().expect("price before");
    shop.set_day(script::PRICE_DROP_DAY);
    let after = parse(&get(&shop.product_url(&drop.asin)).await.1).price.into_value().expect("price after");
    let change = before.percent_change_to(&after).expect("same currency");
    assert!((change + 25.0).abs() < 0.1, "price change {change}% from {before} to {after}");

    let oos = &cat.products()[script::OUT_OF_STOCK_PRODUCT];
    shop.set_day(script::OUT_OF_STOCK_DAYS.0);
    let page = parse(&get(&shop.product_url(&oos.asin)).await.1);
    assert_eq!(page.availability.value().map(|a| a.status.in_stock()), Some(false));
    assert!(!page.price.is_read(), "no buy-box price while unavailable: {:?}", page.price);

    let choice = &cat.products()[script::LOSES_CHOICE_PRODUCT];
    shop.set_day(script::LOSES_CHOICE_DAY - 1);
    assert!(parse(&get(&shop.product_url(&choice.asin)).await.1).amazons_choice.is_read());
    shop.set_day(script::LOSES_CHOICE_DAY);
    assert!(!parse(&get(&shop.product_url(&choice.asin)).await.1).amazons_choice.is_read());
}

#[tokio::test]
async fn localized_pages_use_their_storefront_formats() {
    let shop = start(Faults::default()).await;
    shop.set_day(3);
    for (m, needles) in [
        (Marketplace::De, &["Amazon Bestseller-Rang", "Nr. ", " €", "von 5 Sternen", "amazon.de/"][..]),
        (Marketplace::CoUk, &["£", "Best Sellers Rank", "amazon.co.uk/"][..]),
        (Marketplace::CoJp, &["￥", "売れ筋ランキング", "5つ星のうち", "amazon.co.jp/"][..]),
    ] {
        let p = shop
            .catalogue()
            .products()
            .iter()
            .find(|p| p.marketplace == m)
            .expect("a product on each storefront");
        let (status, html) = get(&shop.product_url(&p.asin)).await;
        assert_eq!(status, StatusCode::OK);
        for n in needles {
            assert!(html.contains(n), "{m} page lacks {n:?}");
        }
        assert!(html.len() < 16_000, "{m} page is {} bytes", html.len());
    }
}

#[tokio::test]
async fn bestseller_lists_parse_in_rank_order_with_prices() {
    let shop = start(Faults::default()).await;
    for (m, slug, day) in
        [(Marketplace::Com, "hi", 4), (Marketplace::De, "kitchen", 11), (Marketplace::Com, "kitchen", 22)]
    {
        shop.set_day(day);
        let truth = shop.catalogue().bestsellers(m, slug, day);
        assert!(truth.len() >= 2, "{m}/{slug} has {} products", truth.len());
        for url in [shop.bestsellers_url(m, slug), format!("{}zgbs/{slug}", shop.base_url_for(m))] {
            let (status, html) = get(&url).await;
            assert_eq!(status, StatusCode::OK, "{url}");
            let page = match amazcope_scrape::parse_page(&html, None) {
                Ok(ParsedPage::Bestsellers(b)) => b,
                other => panic!("{url}: expected a list, got {other:?}"),
            };
            assert_eq!(page.marketplace, m, "{url}");
            assert_eq!(page.items.len(), truth.len(), "{url} item count");
            for (item, (p, s)) in page.items.iter().zip(&truth) {
                assert_eq!(item.asin, p.asin, "{url} rank {}", item.rank);
                assert_eq!(item.price.value().cloned(), s.price_money(), "{url} {} price", p.asin);
                assert_eq!(item.rating.value(), Some(&s.rating()), "{url} {} rating", p.asin);
                // The count sits in the same link as the stars' alt text, as on
                // com_zgbs_tools-home-improvement; amazcope-scrape does not read it from there
                // yet, so only a count that was read is compared.
                if let Some(count) = item.review_count.value() {
                    assert_eq!(*count, s.review_count, "{url} {} ratings", p.asin);
                }
            }
            let ranks: Vec<u32> = page.items.iter().map(|i| i.rank).collect();
            assert_eq!(ranks, (1..=truth.len() as u32).collect::<Vec<_>>(), "{url}");
        }
    }
}

#[tokio::test]
async fn review_pages_parse_to_the_newest_reviews() {
    let shop = start(Faults::default()).await;
    shop.set_day(12);
    for index in [0, 46, 58] {
        let p = &shop.catalogue().products()[index];
        let (status, html) = get(&shop.reviews_url(&p.asin)).await;
        assert_eq!(status, StatusCode::OK);
        let page = match amazcope_scrape::parse_page(&html, None) {
            Ok(ParsedPage::Reviews(r)) => r,
            other => panic!("{}: expected reviews, got {other:?}", p.asin),
        };
        let truth: Vec<_> = p.reviews_on(12).into_iter().take(10).collect();
        assert_eq!(page.items.len(), truth.len(), "{} review count", p.asin);
        for (got, want) in page.items.iter().zip(&truth) {
            let id = &want.review_id;
            assert_eq!(&got.review_id, id);
            assert_eq!(got.rating.value().map(|r| r.get()), Some(f64::from(want.stars)), "{id} stars");
            assert_eq!(got.title.value(), Some(&want.title), "{id} title");
            assert_eq!(got.author.value(), Some(&want.author), "{id} author");
            assert_eq!(got.date.value(), Some(&want.date), "{id} date ({})", p.marketplace);
            assert_eq!(got.verified_purchase, want.verified_purchase, "{id} verified");
            let votes = got.helpful_votes.value().copied().unwrap_or(0);
            assert_eq!(votes, want.helpful_votes, "{id} helpful votes");
        }
    }
}

#[tokio::test]
async fn unknown_paths_and_products_get_the_dogs_page() {
    let shop = start(Faults::default()).await;
    for path in ["/dp/B000000000", "/nothing/here", "/gp/bestsellers/no-such-list"] {
        let (status, html) = get(&format!("{}{path}", shop.base_url())).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert!(html.contains("Dogs of Amazon"), "{path}");
    }
}

#[tokio::test]
async fn scripted_faults_fail_the_first_request_of_a_day_only() {
    let shop = start(Faults { first_request_503: true, slow_response: Some(Duration::from_millis(1)) }).await;
    let flaky =
        shop.catalogue().products().iter().find(|p| Faults::is_flaky(p.index)).expect("a flaky product");
    let steady =
        shop.catalogue().products().iter().find(|p| !Faults::is_flaky(p.index)).expect("a steady product");
    for day in [0, 1] {
        shop.set_day(day);
        assert_eq!(
            get(&shop.product_url(&flaky.asin)).await.0,
            StatusCode::SERVICE_UNAVAILABLE,
            "day {day} first"
        );
        assert_eq!(get(&shop.product_url(&flaky.asin)).await.0, StatusCode::OK, "day {day} second");
        assert_eq!(get(&shop.product_url(&steady.asin)).await.0, StatusCode::OK, "day {day} steady");
    }
    assert_eq!(shop.requests(), 6);
}

#[tokio::test]
async fn dropping_the_handle_stops_the_server() {
    let shop = start(Faults::default()).await;
    let url = shop.product_url(&shop.catalogue().products()[0].asin);
    assert_eq!(get(&url).await.0, StatusCode::OK);
    shop.stop();
    tokio::time::sleep(Duration::from_millis(20)).await;
    amazcope_scrape::fetch::install_tls_provider();
    let client = reqwest::Client::builder().pool_max_idle_per_host(0).build().expect("client");
    assert!(client.get(&url).send().await.is_err(), "server still answers after stop");
}
