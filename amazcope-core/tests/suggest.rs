//! Suggestion generators on constructed products and histories: each rule fires where it
//! should and stays silent where it should not. Plus the review state machine.

use amazcope_core::model::product::Product;
use amazcope_core::model::snapshot::{NewSnapshot, ProductSnapshot};
use amazcope_core::model::suggestion::NewSuggestion;
use amazcope_core::model::tracking::{Tracker, UserProduct};
use amazcope_core::suggest::{
    ActionEffect, CategoryContext, ContentRules, PricingRules, RULES_MODEL, ReviewError, SuggestionGenerator,
    SuggestionInput, TrackingRules, action_effect, check_action_review, check_apply, check_review,
    check_review_at, default_generators, generate_all, plan_review, rank_band,
};
use amazcope_core::{
    ActionStatus, ActionType, AlertType, Asin, BestsellerSnapshotId, CategoryId, Currency, Marketplace,
    ProductId, ReviewDecision, StoreError, SuggestionActionId, SuggestionCategory, SuggestionId,
    SuggestionPriority, SuggestionStatus, TrackFrequency, UserId, UserProductId,
};
use chrono::{DateTime, Duration, TimeZone, Utc};
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::future::Future;
use std::task::{Context, Poll, Waker};
use uuid::Uuid;

/// The rule-based generators never wait, so polling once (or a few times) completes them.
fn block_on<F: Future>(f: F) -> F::Output {
    let mut f = std::pin::pin!(f);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
        std::thread::yield_now();
    }
}

fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 5, 15, 9, 0, 0).unwrap()
}

fn pid() -> ProductId {
    ProductId(Uuid::from_u128(42))
}

fn uid() -> UserId {
    UserId(Uuid::from_u128(7))
}

const GOOD_TITLE: &str = "Acme Stainless Steel Water Bottle 750 ml, Double-Wall Vacuum Insulated, Leak-Proof Lid, Keeps Drinks Cold 24 h";

/// A product whose content passes every content rule.
fn product() -> Product {
    Product {
        id: pid(),
        asin: "B00TEST123".parse().unwrap(),
        marketplace: Marketplace::Com,
        title: GOOD_TITLE.to_owned(),
        brand: Some("Acme".into()),
        manufacturer: Some("Acme Industries".into()),
        category: Some("Sports".into()),
        small_category: None,
        bsr_category_link: None,
        bsr_subcategory_link: None,
        amazons_choice_keywords: None,
        has_amazons_choice: false,
        product_dimensions: None,
        item_weight: None,
        model_number: None,
        has_variations: false,
        variation_types: None,
        total_variations: 0,
        url: "https://www.amazon.com/dp/B00TEST123".into(),
        image_url: None,
        image_urls: None,
        seller_store_url: None,
        product_description: Some("A bottle that keeps drinks cold.".into()),
        features: Some(serde_json::json!([
            "Keeps drinks cold for 24 hours, hot for 12",
            "Leak-proof lid",
            "BPA free",
            "Fits cup holders",
            "Dishwasher safe"
        ])),
        product_overview: None,
        technical_details: None,
        rating: Some(4.4),
        review_count: Some(1000),
        current_price: Some(dec("20.00")),
        original_price: None,
        currency: "USD".into(),
        discount_percentage: None,
        current_bsr: Some(1000),
        bsr_category_name: None,
        in_stock: true,
        stock_status: None,
        is_prime: true,
        seller_name: Some("Acme".into()),
        is_amazon_seller: false,
        is_fba: true,
        last_snapshot_at: Some(now() - Duration::hours(1)),
        is_active: true,
        track_frequency: TrackFrequency::Daily,
        price_change_threshold: 10.0,
        bsr_change_threshold: 30.0,
        created_by_id: Some(uid()),
        is_competitor: false,
        is_unlisted: false,
        unlisted_at: None,
        next_refresh_at: None,
        last_fetch_status: None,
        last_fetch_at: None,
        last_fetch_error: None,
        created_at: now() - Duration::days(200),
        updated_at: now(),
    }
}

fn snap(days_ago: i64, price: &str, bsr: i32) -> ProductSnapshot {
    let t = now() - Duration::days(days_ago) - Duration::hours(1);
    let mut s = NewSnapshot::empty(pid(), t, Currency::from_static("USD"));
    s.price = Some(dec(price));
    s.bsr_main_category = Some(bsr);
    s.rating = Some(4.4);
    s.review_count = Some(1000);
    s.in_stock = true;
    s.seller_name = Some("Acme".into());
    ProductSnapshot {
        id: amazcope_core::SnapshotId(Uuid::from_u128(1000 + days_ago as u128)),
        data: s,
        created_at: t,
        updated_at: t,
    }
}

/// A quiet input: stable price and rank, good content, no category, no alerts.
fn input() -> SuggestionInput {
    SuggestionInput {
        user_id: uid(),
        product: product(),
        tracking: UserProduct {
            id: UserProductId(Uuid::from_u128(5)),
            user_id: uid(),
            product_id: pid(),
            claimed_at: now() - Duration::days(100),
            is_active: true,
            is_primary: true,
            price_change_threshold: None,
            bsr_change_threshold: None,
            target_price: None,
            notes: None,
            created_at: now() - Duration::days(100),
            updated_at: now() - Duration::days(100),
        },
        tracker: Tracker {
            user_id: uid(),
            user_product_id: UserProductId(Uuid::from_u128(5)),
            price_change_threshold: 10.0,
            bsr_change_threshold: 30.0,
            target_price: None,
        },
        history: vec![
            snap(60, "20.00", 1000),
            snap(30, "20.00", 1000),
            snap(10, "20.00", 1000),
            snap(0, "20.00", 1000),
        ],
        category: None,
        image_count: Some(7),
        alerts_last_7d: BTreeMap::new(),
        now: now(),
    }
}

fn run(g: &dyn SuggestionGenerator, input: &SuggestionInput) -> Vec<NewSuggestion> {
    let out = block_on(g.generate(input)).expect("rule-based generators do not fail");
    for s in &out {
        assert_eq!(s.user_id, uid(), "owner of {}", s.dedup_key);
        assert_eq!(s.product_id, Some(pid()));
        assert_eq!(s.ai_model, RULES_MODEL);
        assert_eq!(s.expires_at, Some(now() + Duration::days(14)), "expiry of {}", s.dedup_key);
        assert!(
            s.confidence_score.is_some_and(|c| (0.0..=1.0).contains(&c)),
            "confidence of {}",
            s.dedup_key
        );
        assert!(!s.actions.is_empty(), "actions of {}", s.dedup_key);
        assert!(!s.reasoning.is_empty() && s.estimated_impact.is_some());
        assert!(s.dedup_key.ends_with(&pid().to_string()), "{}", s.dedup_key);
    }
    out
}

fn rules(out: &[NewSuggestion]) -> Vec<String> {
    out.iter().map(|s| s.dedup_key.split(':').nth(1).unwrap().to_owned()).collect()
}

fn latest_mut(i: &mut SuggestionInput) -> &mut NewSnapshot {
    let last = i.history.len() - 1;
    &mut i.history[last].data
}

fn category(median: &str, band_size: usize) -> CategoryContext {
    CategoryContext {
        median_price: Some(dec(median)),
        band_size,
        avg_rating: Some(4.4),
        ..Default::default()
    }
}

#[test]
fn a_quiet_product_gets_no_suggestion() {
    let mut i = input();
    i.category = Some(category("21.00", 10));
    for g in default_generators() {
        assert!(run(g.as_ref(), &i).is_empty(), "{} fired", g.name());
    }
}

#[test]
fn price_far_above_the_band_median_proposes_the_median() {
    let mut i = input();
    latest_mut(&mut i).price = Some(dec("30.00"));
    i.category = Some(category("20.00", 5));
    let out = run(&PricingRules::default(), &i);
    assert_eq!(rules(&out), ["above_category_median"]);
    let s = &out[0];
    assert_eq!((s.category, s.priority), (SuggestionCategory::Pricing, SuggestionPriority::High));
    let a = &s.actions[0];
    assert_eq!((a.action_type, a.target_field.as_str()), (ActionType::UpdatePrice, "price"));
    assert_eq!((a.current_value.as_deref(), a.proposed_value.as_str()), (Some("30.00"), "20.00"));
    assert_eq!(s.dedup_key, format!("pricing:above_category_median:{}", pid()));
    // +20 % is not far; two comparables are too few.
    latest_mut(&mut i).price = Some(dec("24.00"));
    assert!(run(&PricingRules::default(), &i).is_empty());
    latest_mut(&mut i).price = Some(dec("30.00"));
    i.category = Some(category("20.00", 2));
    assert!(run(&PricingRules::default(), &i).is_empty());
}

#[test]
fn price_far_below_the_band_median_proposes_just_under_it() {
    let mut i = input();
    latest_mut(&mut i).price = Some(dec("10.00"));
    i.category = Some(category("20.00", 5));
    let out = run(&PricingRules::default(), &i);
    assert_eq!(rules(&out), ["below_category_median"]);
    assert_eq!(out[0].actions[0].proposed_value, "19.00");
}

#[test]
fn ninety_day_high_while_the_rank_worsens() {
    let mut i = input();
    i.history = vec![
        snap(80, "20.00", 1000),
        snap(50, "22.00", 1100),
        snap(20, "21.00", 1200),
        snap(0, "25.00", 1500),
    ];
    let out = run(&PricingRules::default(), &i);
    assert_eq!(rules(&out), ["high_price_rank_worsens"]);
    // Median of 20, 21, 22, 25.
    assert_eq!(out[0].actions[0].proposed_value, "21.50");
    assert_eq!(out[0].priority, SuggestionPriority::High, "rank 50 % worse");
    // Rank improved: silent.
    latest_mut(&mut i).bsr_main_category = Some(900);
    assert!(run(&PricingRules::default(), &i).is_empty());
    // Not at the high: silent.
    latest_mut(&mut i).bsr_main_category = Some(1500);
    latest_mut(&mut i).price = Some(dec("21.00"));
    assert!(run(&PricingRules::default(), &i).is_empty());
}

#[test]
fn price_above_list_price() {
    let mut i = input();
    latest_mut(&mut i).original_price = Some(dec("18.00"));
    let out = run(&PricingRules::default(), &i);
    assert_eq!(rules(&out), ["above_list_price"]);
    assert_eq!(out[0].actions[0].proposed_value, "18.00");
    latest_mut(&mut i).original_price = Some(dec("25.00"));
    assert!(run(&PricingRules::default(), &i).is_empty(), "20 % off list is fine");
}

#[test]
fn a_deep_discount_that_lasts_a_month() {
    let mut i = input();
    i.history = vec![
        snap(28, "10.00", 1000),
        snap(20, "10.00", 1000),
        snap(10, "10.00", 1000),
        snap(0, "10.00", 1000),
    ];
    for s in &mut i.history {
        s.data.original_price = Some(dec("20.00"));
    }
    let out = run(&PricingRules::default(), &i);
    assert_eq!(rules(&out), ["persistent_deep_discount"]);
    assert_eq!(out[0].actions[0].proposed_value, "11.00");
    // One snapshot at only 30 % off breaks the streak.
    i.history[1].data.price = Some(dec("14.00"));
    assert!(run(&PricingRules::default(), &i).is_empty());
}

#[test]
fn a_cheaper_buy_box_is_matched() {
    let mut i = input();
    latest_mut(&mut i).buybox_price = Some(dec("18.00"));
    let out = run(&PricingRules::default(), &i);
    assert_eq!(rules(&out), ["buybox_undercut"]);
    assert_eq!(out[0].actions[0].proposed_value, "18.00");
    latest_mut(&mut i).buybox_price = Some(dec("19.90"));
    assert!(run(&PricingRules::default(), &i).is_empty(), "0.5 % is noise");
}

#[test]
fn a_buy_box_taken_by_another_seller() {
    let mut i = input();
    let l = latest_mut(&mut i);
    l.seller_name = Some("Bargain Bin".into());
    l.price = Some(dec("17.00"));
    let out = run(&PricingRules::default(), &i);
    assert_eq!(rules(&out), ["buybox_lost"]);
    let a = &out[0].actions[0];
    assert_eq!((a.current_value.as_deref(), a.proposed_value.as_str()), (Some("20.00"), "17.00"));
    // The usual seller holds it: silent.
    latest_mut(&mut i).seller_name = Some("Acme".into());
    assert!(run(&PricingRules::default(), &i).is_empty());
}

#[test]
fn a_title_over_the_limit_is_cut_at_a_word() {
    let mut i = input();
    i.product.title = "Acme bottle ".repeat(25).trim().to_owned();
    let out = run(&ContentRules::default(), &i);
    assert_eq!(rules(&out), ["title_too_long"]);
    let a = &out[0].actions[0];
    assert_eq!((a.action_type, a.target_field.as_str()), (ActionType::UpdateTitle, "title"));
    // 16 × "Acme bottle " is 192 characters; the 200th falls inside "bottle", so the cut
    // lands after the 17th "Acme".
    assert_eq!(a.proposed_value.chars().count(), 196, "{}", a.proposed_value);
    assert!(a.proposed_value.ends_with("bottle Acme"), "{}", a.proposed_value);
    assert_eq!(out[0].priority, SuggestionPriority::High);
}

#[test]
fn a_short_title_gets_brand_and_key_attribute() {
    let mut i = input();
    i.product.title = "Water Bottle".into();
    let out = run(&ContentRules::default(), &i);
    assert_eq!(rules(&out), ["title_too_short"]);
    assert_eq!(out[0].actions[0].proposed_value, "Acme Water Bottle – Keeps drinks cold for 24 hours");
}

#[test]
fn few_bullets_few_images_no_brand_no_description() {
    let mut i = input();
    i.product.features = Some(serde_json::json!(["One", "Two", ""]));
    i.image_count = Some(2);
    i.product.brand = None;
    i.product.product_description = Some("  ".into());
    let out = run(&ContentRules::default(), &i);
    assert_eq!(rules(&out), ["few_feature_bullets", "few_images", "missing_brand", "missing_description"]);
    let field =
        |k: usize| (out[k].actions[0].target_field.as_str(), out[k].actions[0].proposed_value.as_str());
    assert_eq!(field(0), ("features", "5"));
    assert_eq!(out[0].actions[0].current_value.as_deref(), Some("2"));
    assert_eq!(field(1), ("images", "6"));
    assert_eq!(field(2), ("brand", "Acme Industries"));
    assert_eq!(out[3].actions[0].action_type, ActionType::UpdateDescription);
    // Unknown image count: the image rule stays silent.
    i.image_count = None;
    assert!(!rules(&run(&ContentRules::default(), &i)).contains(&"few_images".to_owned()));
}

#[test]
fn rating_below_the_category_average() {
    let mut i = input();
    i.category = Some(category("20.00", 5));
    latest_mut(&mut i).rating = Some(3.9);
    let out = run(&ContentRules::default(), &i);
    assert_eq!(rules(&out), ["rating_below_category"]);
    assert_eq!(out[0].priority, SuggestionPriority::High);
    latest_mut(&mut i).rating = Some(4.3);
    assert!(run(&ContentRules::default(), &i).is_empty(), "0.1 below is within the gap");
}

#[test]
fn a_product_never_scraped_gets_no_content_advice() {
    let mut i = input();
    i.product.last_snapshot_at = None;
    i.product.brand = None;
    i.product.features = None;
    assert!(run(&ContentRules::default(), &i).is_empty());
}

#[test]
fn noisy_thresholds_are_raised() {
    let mut i = input();
    i.alerts_last_7d.insert(AlertType::PriceChange, 6);
    i.alerts_last_7d.insert(AlertType::BsrChange, 11);
    i.alerts_last_7d.insert(AlertType::OutOfStock, 40);
    let out = run(&TrackingRules::default(), &i);
    assert_eq!(rules(&out), ["raise_price_threshold", "raise_bsr_threshold"]);
    let a = &out[0].actions[0];
    assert_eq!(
        (a.action_type, a.target_field.as_str(), a.current_value.as_deref(), a.proposed_value.as_str()),
        (ActionType::AdjustPriceThreshold, "price_change_threshold", Some("10"), "15")
    );
    let b = &out[1].actions[0];
    assert_eq!((b.action_type, b.proposed_value.as_str()), (ActionType::AdjustBsrThreshold, "45"));
    assert_eq!((out[0].priority, out[1].priority), (SuggestionPriority::Low, SuggestionPriority::Medium));
    i.alerts_last_7d.insert(AlertType::PriceChange, 5);
    i.alerts_last_7d.insert(AlertType::BsrChange, 0);
    assert!(run(&TrackingRules::default(), &i).is_empty(), "five a week is fine");
}

#[test]
fn an_unlisted_product_is_dropped_after_a_week() {
    let mut i = input();
    i.product.is_unlisted = true;
    i.product.unlisted_at = Some(now() - Duration::days(8));
    let out = run(&TrackingRules::default(), &i);
    assert_eq!(rules(&out), ["stop_tracking_unlisted"]);
    let a = &out[0].actions[0];
    assert_eq!(
        (a.action_type, a.target_field.as_str(), a.current_value.as_deref(), a.proposed_value.as_str()),
        (ActionType::ToggleTracking, "is_active", Some("true"), "false")
    );
    i.product.unlisted_at = Some(now() - Duration::days(6));
    assert!(run(&TrackingRules::default(), &i).is_empty());
    i.product.unlisted_at = Some(now() - Duration::days(30));
    i.tracking.is_active = false;
    assert!(run(&TrackingRules::default(), &i).is_empty(), "already not tracking");
}

#[test]
fn a_reached_target_price() {
    let mut i = input();
    i.tracker.target_price = Some(dec("20.00"));
    assert_eq!(rules(&run(&TrackingRules::default(), &i)), ["target_price_reached"]);
    i.tracker.target_price = Some(dec("19.99"));
    assert!(run(&TrackingRules::default(), &i).is_empty());
}

#[test]
fn running_twice_gives_the_same_keys_and_generate_all_merges() {
    let mut i = input();
    i.product.brand = None;
    i.alerts_last_7d.insert(AlertType::PriceChange, 9);
    let gens = default_generators();
    assert_eq!(gens.iter().map(|g| g.name()).collect::<Vec<_>>(), ["pricing", "content", "tracking"]);
    let (a, errs) = block_on(generate_all(&gens, &i));
    let (b, _) = block_on(generate_all(&gens, &i));
    assert!(errs.is_empty());
    assert_eq!(a, b);
    assert_eq!(rules(&a), ["missing_brand", "raise_price_threshold"]);
    // The same generator twice in the list: one suggestion per key.
    let doubled = [gens[1].clone(), gens[1].clone()];
    assert_eq!(block_on(generate_all(&doubled, &i)).0.len(), 1);
}

fn entry(rank: i32, price: &str, asin: &str) -> amazcope_core::model::category::BestsellerSnapshot {
    amazcope_core::model::category::BestsellerSnapshot {
        id: BestsellerSnapshotId(Uuid::from_u128(rank as u128)),
        category_id: CategoryId(Uuid::from_u128(3)),
        scraped_at: now(),
        rank,
        asin: asin.parse().unwrap(),
        product_id: None,
        title: None,
        price: Some(dec(price)),
        currency: Some("USD".into()),
        rating: Some(4.0),
        review_count: Some(100),
        image_url: None,
        created_at: now(),
        updated_at: now(),
    }
}

#[test]
fn category_context_takes_the_median_of_the_rank_band() {
    assert_eq!(rank_band(7), Some((1, 10)));
    assert_eq!(rank_band(11), Some((11, 25)));
    assert_eq!(rank_band(101), None);
    let mut list: Vec<_> = (1..=10).map(|r| entry(r, "100.00", &format!("B0000000{r:02}"))).collect();
    list.extend((11..=25).map(|r| entry(r, &format!("{r}.00"), &format!("B0000000{r:02}"))));
    let own: Asin = "B000000012".parse().unwrap();
    let c = CategoryContext::from_bestsellers(&list, Some(&own), None, Some("Sports".into()));
    assert_eq!(c.band, Some((11, 25)));
    // Ranks 11..=25 except its own 12: 14 prices, median of 11, 13..=25 = (18 + 19) / 2.
    assert_eq!((c.band_size, c.median_price), (14, Some(dec("18.50"))));
    assert_eq!(c.avg_rating, Some(4.0));
    // Beyond the list: the whole list.
    let c = CategoryContext::from_bestsellers(&list, None, Some(500), None);
    assert_eq!((c.band, c.band_size), (None, 25));
}

#[test]
fn review_is_allowed_only_while_pending() {
    let id = SuggestionId(Uuid::from_u128(1));
    assert!(check_review(id, SuggestionStatus::Pending).is_ok());
    for s in SuggestionStatus::ALL.iter().filter(|s| **s != SuggestionStatus::Pending) {
        let e = check_review(id, *s).unwrap_err();
        assert_eq!((e.action, e.state.as_str()), ("review", s.as_str()));
        assert!(matches!(StoreError::from(e), StoreError::InvalidTransition { entity: "suggestion", .. }));
    }
    let e = check_review_at(id, SuggestionStatus::Pending, Some(now()), now()).unwrap_err();
    assert_eq!(e.state, "expired");
    assert!(
        check_review_at(id, SuggestionStatus::Pending, Some(now() + Duration::seconds(1)), now()).is_ok()
    );
}

#[test]
fn apply_only_approved_or_failed_actions() {
    let id = SuggestionActionId(Uuid::from_u128(1));
    for s in ActionStatus::ALL {
        let ok = matches!(s, ActionStatus::Approved | ActionStatus::Failed);
        assert_eq!(check_apply(id, *s).is_ok(), ok, "apply from {s}");
        assert_eq!(check_action_review(id, *s).is_ok(), *s == ActionStatus::Pending, "review from {s}");
    }
    let e = check_apply(id, ActionStatus::Rejected).unwrap_err();
    assert_eq!(e.to_string(), format!("cannot apply suggestion action {id}: it is rejected"));
}

#[test]
fn review_plans() {
    let id = SuggestionId(Uuid::from_u128(1));
    let a = SuggestionActionId(Uuid::from_u128(10));
    let b = SuggestionActionId(Uuid::from_u128(11));
    let plan = plan_review(id, SuggestionStatus::Pending, &[a, b], &ReviewDecision::Approve).unwrap();
    assert_eq!(plan.status, SuggestionStatus::Approved);
    assert_eq!(plan.actions, [(a, ActionStatus::Approved), (b, ActionStatus::Approved)]);
    let plan = plan_review(id, SuggestionStatus::Pending, &[a, b], &ReviewDecision::Reject).unwrap();
    assert_eq!(plan.status, SuggestionStatus::Rejected);
    assert_eq!(plan.actions, [(a, ActionStatus::Rejected), (b, ActionStatus::Rejected)]);
    let partial = ReviewDecision::Partial { approved: vec![b] };
    let plan = plan_review(id, SuggestionStatus::Pending, &[a, b], &partial).unwrap();
    assert_eq!(plan.status, SuggestionStatus::PartiallyApproved);
    assert_eq!(plan.actions, [(a, ActionStatus::Rejected), (b, ActionStatus::Approved)]);
    let all = ReviewDecision::Partial { approved: vec![a, b] };
    assert_eq!(
        plan_review(id, SuggestionStatus::Pending, &[a, b], &all).unwrap().status,
        SuggestionStatus::Approved
    );
    let stranger = SuggestionActionId(Uuid::from_u128(99));
    let bad = ReviewDecision::Partial { approved: vec![stranger] };
    assert_eq!(
        plan_review(id, SuggestionStatus::Pending, &[a, b], &bad).unwrap_err(),
        ReviewError::UnknownAction { suggestion: id, action: stranger }
    );
    assert!(matches!(
        plan_review(id, SuggestionStatus::Rejected, &[a], &ReviewDecision::Approve),
        Err(ReviewError::Transition(_))
    ));
}

#[test]
fn action_effects_validate_the_proposed_value() {
    let e = action_effect(ActionType::AdjustPriceThreshold, "15").unwrap();
    assert!(matches!(e, ActionEffect::PriceThreshold(p) if p.get() == 15.0));
    assert!(matches!(
        action_effect(ActionType::ToggleTracking, "false").unwrap(),
        ActionEffect::Tracking(false)
    ));
    assert_eq!(action_effect(ActionType::UpdateTitle, "New").unwrap(), ActionEffect::Listing);
    assert_eq!(
        action_effect(ActionType::AdjustBsrThreshold, "150").unwrap_err().field,
        "bsr_change_threshold"
    );
    assert_eq!(action_effect(ActionType::ToggleTracking, "maybe").unwrap_err().field, "is_active");
}
