//! The catalogue is deterministic and its scripted events happen as documented.

use super::*;

fn cat() -> Catalogue {
    Catalogue::generate(7, 60, NaiveDate::from_ymd_opt(2025, 3, 1).unwrap())
}

#[test]
fn same_seed_gives_same_catalogue_and_walks() {
    let (a, b) = (cat(), cat());
    for (x, y) in a.products().iter().zip(b.products()) {
        assert_eq!(x.asin, y.asin);
        assert_eq!(x.state_on(17), y.state_on(17));
    }
}

#[test]
fn marketplaces_are_mixed_and_scripted_products_are_on_com() {
    let c = cat();
    for m in [Marketplace::Com, Marketplace::De, Marketplace::CoUk, Marketplace::CoJp] {
        assert!(c.products().iter().any(|p| p.marketplace == m), "no product on {m}");
    }
    for i in [3, 7, 11, 13, 19, 41] {
        assert_eq!(c.products()[i].marketplace, Marketplace::Com, "product {i}");
    }
}

#[test]
fn script_is_followed() {
    let c = cat();
    let p3 = &c.products()[script::PRICE_DROP_PRODUCT];
    let before = p3.state_on(4).price.unwrap();
    let after = p3.state_on(5).price.unwrap();
    let expected = (before * Decimal::new(75, 2))
        .round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
    assert_eq!(after, expected);
    let p7 = &c.products()[script::OUT_OF_STOCK_PRODUCT];
    assert!(p7.state_on(9).in_stock && !p7.state_on(10).in_stock && !p7.state_on(12).in_stock);
    assert!(p7.state_on(13).in_stock);
    assert_eq!(p7.state_on(11).price, None);
    let p11 = &c.products()[script::LOSES_CHOICE_PRODUCT];
    assert!(p11.state_on(7).amazons_choice && !p11.state_on(8).amazons_choice);
    let p19 = &c.products()[script::DISAPPEARS_PRODUCT];
    assert_eq!(p19.state_on(19).page, PageState::Product);
    assert_eq!(p19.state_on(20).page, PageState::NotFound);
    assert_eq!(c.products()[5].state_on(9).page, PageState::Captcha);
    assert_eq!(c.products()[5].state_on(10).page, PageState::Product);
}

#[test]
fn values_move_over_days() {
    let c = cat();
    let moved = c.products().iter().filter(|p| p.state_on(0).price != p.state_on(29).price).count();
    assert!(moved > 20, "only {moved} prices moved in 30 days");
    let ranked = c.products().iter().filter(|p| p.state_on(0).bsr != p.state_on(1).bsr).count();
    assert!(ranked > 40, "only {ranked} ranks moved in a day");
}

#[test]
fn reviews_accumulate_and_have_valid_ids() {
    let c = cat();
    let p = &c.products()[0];
    assert!(p.reviews_on(30).len() >= p.reviews_on(0).len());
    for r in p.reviews_on(30) {
        assert_eq!(r.review_id.len(), 14);
        assert!((1..=5).contains(&r.stars));
    }
}
