//! The suggestion service end to end on PostgreSQL (constructed product, history, category
//! and alerts → stored suggestions; a second run stores none), the review state machine
//! through the store including every illegal transition, tenancy (a second user sees and
//! changes nothing of the first's) and all-or-nothing apply.

use amazcope_core::model::alert::NewAlert;
use amazcope_core::model::category::{NewBestsellerEntry, NewCategory};
use amazcope_core::model::product::{Product, ProductData, ProductUpsert};
use amazcope_core::model::snapshot::NewSnapshot;
use amazcope_core::model::suggestion::{NewSuggestion, NewSuggestionAction, Suggestion};
use amazcope_core::model::tracking::TrackOptions;
use amazcope_core::model::user::{NewUser, User};
use amazcope_core::suggest::{SuggestError, SuggestService, SuggestionGenerator, SuggestionInput};
use amazcope_core::{
    ActionStatus, ActionType, AlertRepository, AlertType, Asin, CategoryRepository, Currency, Marketplace,
    ProductRepository, ReviewDecision, Severity, SnapshotRepository, StoreError, SuggestionActionId,
    SuggestionCategory, SuggestionId, SuggestionPriority, SuggestionRepository, SuggestionStatus,
    TrackingRepository, UserId, UserRepository,
};
use amazcope_pg::PgStore;
use async_trait::async_trait;
use chrono::{DateTime, Duration, TimeZone, Utc};
use rust_decimal::Decimal;
use sqlx::PgPool;
use std::sync::{Arc, LazyLock};

/// The time every test runs "at": the real clock (to the second), because the database
/// compares expiry with its own `now()`; one value per test binary so a test's calls agree.
fn now() -> DateTime<Utc> {
    static NOW: LazyLock<DateTime<Utc>> = LazyLock::new(|| {
        let t = Utc::now();
        Utc.timestamp_opt(t.timestamp(), 0).single().unwrap_or(t)
    });
    *NOW
}

fn asin(s: &str) -> Asin {
    s.parse().expect("test asin")
}

async fn user(store: &PgStore, name: &str) -> User {
    store.create_user(&NewUser::named(name).expect("valid name")).await.expect("create user")
}

/// A product with a short title, three images and no brand, description or bullets, tracked
/// by `owner`, with 100 days of daily snapshots (price 20.00, rating 3.5).
async fn thin_product(store: &PgStore, owner: &User, a: &str) -> Product {
    let mut up = ProductUpsert::bare(asin(a), Marketplace::Com, Some(owner.id));
    up.data = ProductData {
        title: Some("USB cable".into()),
        image_urls: Some((1..=3).map(|i| format!("https://m.media-amazon.com/images/I/{i}.jpg")).collect()),
        ..ProductData::default()
    };
    let p = store.upsert_product(&up).await.expect("upsert product");
    store.track(owner.id, p.id, &TrackOptions::default()).await.expect("track");
    let snaps: Vec<NewSnapshot> = (1..=100)
        .map(|d| {
            let mut s = NewSnapshot::empty(p.id, now() - Duration::days(d), Currency::from_static("USD"));
            s.price = Some(Decimal::new(2000, 2));
            s.bsr_main_category = Some(500);
            s.rating = Some(3.5);
            s.review_count = Some(40);
            s.in_stock = true;
            s
        })
        .collect();
    store.insert_snapshots(&snaps).await.expect("history");
    store.product(p.id).await.expect("read").expect("exists")
}

/// A best-seller list with the product and three better-rated others.
async fn list_with(store: &PgStore, p: &Product) {
    let cat = store
        .upsert_category(&NewCategory {
            marketplace: Marketplace::Com,
            category_id: Some("cables".into()),
            name: "Cables".into(),
            url: None,
            parent_id: None,
        })
        .await
        .expect("category");
    let at = now() - Duration::days(1);
    let entry = |rank: i32, a: Asin, product: Option<_>, rating: f64| NewBestsellerEntry {
        category_id: cat.id,
        scraped_at: at,
        rank,
        asin: a,
        product_id: product,
        title: None,
        price: Some(Decimal::new(1900 + i64::from(rank), 2)),
        currency: Some("USD".into()),
        rating: Some(rating),
        review_count: Some(500),
        image_url: None,
    };
    store
        .insert_bestsellers(&[
            entry(1, asin("B0OTHER001"), None, 4.8),
            entry(2, asin("B0OTHER002"), None, 4.8),
            entry(3, p.asin, Some(p.id), 3.5),
            entry(4, asin("B0OTHER004"), None, 4.8),
        ])
        .await
        .expect("list");
}

/// `n` price alerts for the user on the product within the last week.
async fn alerts(store: &PgStore, user: UserId, p: &Product, n: i64) {
    let list: Vec<NewAlert> = (0..n)
        .map(|i| NewAlert {
            user_id: user,
            product_id: p.id,
            snapshot_id: None,
            snapshot_scraped_at: None,
            alert_type: AlertType::PriceChange,
            severity: Severity::Info,
            title: format!("price moved {i}"),
            message: "price moved".into(),
            old_value: None,
            new_value: None,
            change_percentage: Some(12.0),
            created_at: now() - Duration::hours(6 + i),
        })
        .collect();
    store.create_alerts(&list).await.expect("alerts");
}

fn keys(list: &[Suggestion]) -> Vec<String> {
    let mut k: Vec<String> = list.iter().map(|s| s.dedup_key.clone()).collect();
    k.sort();
    k
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn service_stores_suggestions_once_and_a_second_run_adds_none(pool: PgPool) {
    let store = Arc::new(PgStore::from_pool(pool));
    let alice = user(&store, "alice").await;
    let p = thin_product(&store, &alice, "B0THINPRD1").await;
    list_with(&store, &p).await;
    alerts(&store, alice.id, &p, 6).await;
    let service = SuggestService::new(Arc::clone(&store));

    let first = service.run(alice.id, now()).await.expect("run");
    assert_eq!(first.products, 1, "one tracked product");
    assert!(first.errors.is_empty(), "{:?}", first.errors);
    let created = keys(&first.created);
    for rule in [
        "content:title_too_short",
        "content:missing_brand",
        "content:missing_description",
        "content:few_feature_bullets",
        // Three stored images, fewer than six.
        "content:few_images",
        // Rating 3.5 against the list's 4.8, 4.8, 3.5, 4.8: the category context is wired.
        "content:rating_below_category",
        // Six price alerts in a week with the default threshold of 10 %.
        "tracking:raise_price_threshold",
    ] {
        let key = format!("{rule}:{}", p.id);
        assert!(created.contains(&key), "{key} missing from {created:?}");
    }
    assert!(first.created.iter().all(|s| s.user_id == alice.id && s.status == SuggestionStatus::Pending));
    let raise = first
        .created
        .iter()
        .find(|s| s.dedup_key.starts_with("tracking:raise_price_threshold"))
        .expect("raise suggestion");
    assert_eq!(raise.actions[0].action_type, ActionType::AdjustPriceThreshold);
    assert_eq!(
        (raise.actions[0].current_value.as_deref(), raise.actions[0].proposed_value.as_str()),
        (Some("10"), "15"),
        "10 % raised half again"
    );

    let images = first.created.iter().find(|s| s.dedup_key.starts_with("content:few_images")).expect("few");
    let impact = images.estimated_impact.as_ref().expect("impact");
    assert_eq!(impact["image_count"], 3, "{impact}");

    let second = service.run(alice.id, now() + Duration::hours(1)).await.expect("second run");
    assert!(second.created.is_empty(), "second run created {:?}", keys(&second.created));
    assert_eq!(second.skipped, first.created.len(), "every proposal skipped as a pending duplicate");
    assert_eq!(store.suggestions(alice.id, None).await.expect("list").len(), first.created.len());

    // Reviewed suggestions no longer block: a rejected rule may be proposed again.
    service.reject(alice.id, raise.id).await.expect("reject");
    let third = service.run(alice.id, now() + Duration::hours(2)).await.expect("third run");
    assert_eq!(keys(&third.created), vec![raise.dedup_key.clone()], "only the reviewed one again");

    // Unknown user: a typed not found, nothing stored.
    let err = service.run(UserId::new_random(), now()).await.expect_err("unknown user");
    assert!(
        matches!(err, amazcope_core::ServiceError::Store(StoreError::NotFound { entity: "user", .. })),
        "{err:?}"
    );
}

/// A generator that always fails, and one that proposes one fixed suggestion.
struct Broken;
struct Fixed;

#[async_trait]
impl SuggestionGenerator for Broken {
    fn name(&self) -> &str {
        "broken"
    }
    async fn generate(&self, _: &SuggestionInput) -> Result<Vec<NewSuggestion>, SuggestError> {
        Err(SuggestError { generator: "broken".into(), message: "model unavailable".into() })
    }
}

#[async_trait]
impl SuggestionGenerator for Fixed {
    fn name(&self) -> &str {
        "fixed"
    }
    async fn generate(&self, input: &SuggestionInput) -> Result<Vec<NewSuggestion>, SuggestError> {
        Ok(vec![new_suggestion(input.user_id, Some(input.product.id), "fixed:one", vec![])])
    }
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn plugged_in_generators_run_and_a_failing_one_is_reported(pool: PgPool) {
    let store = Arc::new(PgStore::from_pool(pool));
    let alice = user(&store, "alice").await;
    let p = thin_product(&store, &alice, "B0THINPRD2").await;
    let service =
        SuggestService::with_generators(Arc::clone(&store), vec![Arc::new(Broken), Arc::new(Fixed)]);
    let report = service.run(alice.id, now()).await.expect("run");
    assert_eq!(keys(&report.created), vec!["fixed:one".to_owned()], "the working generator's");
    assert_eq!(report.errors.len(), 1, "{:?}", report.errors);
    assert_eq!(report.errors[0].generator.as_deref(), Some("broken"));
    assert_eq!(report.errors[0].product_id, Some(p.id));

    // An untracked product is not looked at.
    store.untrack(alice.id, p.id).await.expect("untrack");
    let report = service.run(alice.id, now()).await.expect("run");
    assert_eq!((report.products, report.created.len()), (0, 0));
}

fn action(kind: ActionType, field: &str, proposed: &str) -> NewSuggestionAction {
    NewSuggestionAction {
        action_type: kind,
        target_field: field.into(),
        current_value: None,
        proposed_value: proposed.into(),
        reasoning: "because".into(),
        impact_description: None,
    }
}

fn new_suggestion(
    user: UserId,
    product: Option<amazcope_core::ProductId>,
    key: &str,
    actions: Vec<NewSuggestionAction>,
) -> NewSuggestion {
    NewSuggestion {
        user_id: user,
        product_id: product,
        title: format!("suggestion {key}"),
        description: "do it".into(),
        reasoning: "it helps".into(),
        priority: SuggestionPriority::Medium,
        category: SuggestionCategory::Tracking,
        ai_model: "test".into(),
        confidence_score: Some(0.5),
        expires_at: Some(now() + Duration::days(3650)),
        estimated_impact: None,
        dedup_key: key.into(),
        actions,
    }
}

async fn create(store: &PgStore, s: NewSuggestion) -> Suggestion {
    store.create_suggestion(&s).await.expect("create").expect("not a duplicate")
}

fn assert_transition(err: StoreError, entity: &str, action: &str, state: &str) {
    match err {
        StoreError::InvalidTransition { entity: e, action: a, state: s, .. } => {
            assert_eq!((e, a, s.as_str()), (entity, action, state))
        }
        e => panic!("expected invalid transition {entity} {action} {state}, got {e:?}"),
    }
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn every_illegal_transition_is_a_typed_error(pool: PgPool) {
    let store = PgStore::from_pool(pool);
    let alice = user(&store, "alice").await;
    let p = thin_product(&store, &alice, "B0STATES01").await;
    let two = || {
        vec![
            action(ActionType::AdjustBsrThreshold, "bsr_change_threshold", "40"),
            action(ActionType::UpdateTitle, "title", "A longer, clearer title"),
        ]
    };

    // Pending: applying anything is refused.
    let s = create(&store, new_suggestion(alice.id, Some(p.id), "a", two())).await;
    assert_transition(
        store.apply_suggestion(alice.id, s.id, &[]).await.expect_err("apply pending"),
        "suggestion",
        "apply",
        "pending with no approved action",
    );
    assert_transition(
        store.apply_suggestion(alice.id, s.id, &[s.actions[0].id]).await.expect_err("apply pending action"),
        "suggestion action",
        "apply",
        "pending",
    );
    // An action id that is not this suggestion's.
    let stranger = SuggestionActionId::new_random();
    let err = store
        .review_suggestion(alice.id, s.id, &ReviewDecision::Partial { approved: vec![stranger] })
        .await
        .expect_err("unknown action");
    assert!(matches!(err, StoreError::NotFound { entity: "suggestion action", .. }), "{err:?}");

    // Approved: reviewing again (any decision) is refused.
    let approved = store.review_suggestion(alice.id, s.id, &ReviewDecision::Approve).await.expect("approve");
    assert_eq!(approved.status, SuggestionStatus::Approved);
    for d in [
        ReviewDecision::Approve,
        ReviewDecision::Reject,
        ReviewDecision::Partial { approved: vec![s.actions[0].id] },
    ] {
        let err = store.review_suggestion(alice.id, s.id, &d).await.expect_err("review twice");
        assert!(
            matches!(err, StoreError::InvalidTransition { ref state, .. } if state == "approved"),
            "{err:?}"
        );
    }
    // Applied: applying again is refused.
    let applied = store.apply_suggestion(alice.id, s.id, &[]).await.expect("apply");
    assert!(
        applied
            .actions
            .iter()
            .all(|a| a.status == ActionStatus::Applied && a.applied_by_id == Some(alice.id))
    );
    assert!(applied.actions.iter().all(|a| a.applied_at.is_some()), "when");
    let t = store.tracking(alice.id, p.id).await.expect("tracking").expect("row");
    assert_eq!(t.bsr_change_threshold, Some(40.0), "threshold action changed the user's tracking");
    assert_transition(
        store.apply_suggestion(alice.id, s.id, &[s.actions[0].id]).await.expect_err("apply twice"),
        "suggestion action",
        "apply",
        "applied",
    );
    assert_transition(
        store.apply_suggestion(alice.id, s.id, &[]).await.expect_err("nothing left"),
        "suggestion",
        "apply",
        "approved with no approved action",
    );

    // Rejected: neither review nor apply.
    let r = create(&store, new_suggestion(alice.id, Some(p.id), "b", two())).await;
    let rejected = store.review_suggestion(alice.id, r.id, &ReviewDecision::Reject).await.expect("reject");
    assert!(rejected.actions.iter().all(|a| a.status == ActionStatus::Rejected));
    assert_transition(
        store.apply_suggestion(alice.id, r.id, &[r.actions[1].id]).await.expect_err("apply rejected"),
        "suggestion action",
        "apply",
        "rejected",
    );
    let err = store.review_suggestion(alice.id, r.id, &ReviewDecision::Approve).await.expect_err("re-review");
    assert!(matches!(err, StoreError::InvalidTransition { ref state, .. } if state == "rejected"), "{err:?}");

    // Partial: the listed action approved, the other rejected and not applicable.
    let q = create(&store, new_suggestion(alice.id, Some(p.id), "c", two())).await;
    let partial = store
        .review_suggestion(alice.id, q.id, &ReviewDecision::Partial { approved: vec![q.actions[1].id] })
        .await
        .expect("partial");
    assert_eq!(partial.status, SuggestionStatus::PartiallyApproved);
    assert_eq!(
        partial.actions.iter().map(|a| a.status).collect::<Vec<_>>(),
        vec![ActionStatus::Rejected, ActionStatus::Approved]
    );
    assert_transition(
        store
            .apply_suggestion(alice.id, q.id, &[q.actions[0].id])
            .await
            .expect_err("apply the rejected half"),
        "suggestion action",
        "apply",
        "rejected",
    );
    let done = store.apply_suggestion(alice.id, q.id, &[]).await.expect("apply the approved half");
    assert_eq!(done.actions[1].status, ActionStatus::Applied);
    assert_eq!(
        done.actions[1].application_result.as_deref(),
        Some("recorded; verify on the next snapshot"),
        "listing changes are recorded, not made"
    );
    assert_eq!(done.actions[0].status, ActionStatus::Rejected);

    // A partial approval of every action is a full approval.
    let all = create(&store, new_suggestion(alice.id, Some(p.id), "d", two())).await;
    let ids: Vec<SuggestionActionId> = all.actions.iter().map(|a| a.id).collect();
    let full = store
        .review_suggestion(alice.id, all.id, &ReviewDecision::Partial { approved: ids })
        .await
        .expect("all");
    assert_eq!(full.status, SuggestionStatus::Approved);

    // Expired while pending: not listed, and reviewing says it is expired.
    let mut old = new_suggestion(alice.id, Some(p.id), "e", two());
    old.expires_at = Some(Utc::now() - Duration::minutes(1));
    let expired = create(&store, old).await;
    assert!(store.suggestions(alice.id, None).await.expect("list").iter().all(|s| s.id != expired.id));
    assert_transition(
        store.review_suggestion(alice.id, expired.id, &ReviewDecision::Approve).await.expect_err("expired"),
        "suggestion",
        "approve",
        "expired",
    );
    assert_eq!(store.suggestion(alice.id, expired.id).await.expect("show").status, SuggestionStatus::Expired);
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn a_second_user_sees_and_changes_nothing_of_the_first(pool: PgPool) {
    let store = PgStore::from_pool(pool);
    let alice = user(&store, "alice").await;
    let bob = user(&store, "bob").await;
    let p = thin_product(&store, &alice, "B0TENANT01").await;
    // Bob tracks the same product: sharing the product must not share suggestions.
    store.track(bob.id, p.id, &TrackOptions::default()).await.expect("bob tracks");
    let acts = vec![action(ActionType::AdjustPriceThreshold, "price_change_threshold", "20")];
    let pending = create(&store, new_suggestion(alice.id, Some(p.id), "a", acts.clone())).await;
    let approved = create(&store, new_suggestion(alice.id, Some(p.id), "b", acts)).await;
    let approved =
        store.review_suggestion(alice.id, approved.id, &ReviewDecision::Approve).await.expect("approve");

    assert!(store.suggestions(bob.id, None).await.expect("bob's list").is_empty(), "bob sees none");
    for id in [pending.id, approved.id] {
        let not_found = |e: StoreError| {
            assert!(matches!(e, StoreError::NotFound { entity: "suggestion", .. }), "{e:?}");
        };
        not_found(store.suggestion(bob.id, id).await.expect_err("show"));
        not_found(store.review_suggestion(bob.id, id, &ReviewDecision::Approve).await.expect_err("approve"));
        not_found(store.review_suggestion(bob.id, id, &ReviewDecision::Reject).await.expect_err("reject"));
        not_found(store.apply_suggestion(bob.id, id, &[]).await.expect_err("apply"));
    }
    assert_eq!(store.suggestion(alice.id, pending.id).await.expect("show"), pending, "pending unchanged");
    assert_eq!(store.suggestion(alice.id, approved.id).await.expect("show"), approved, "approved unchanged");
    for u in [alice.id, bob.id] {
        let t = store.tracking(u, p.id).await.expect("tracking").expect("row");
        assert_eq!(t.price_change_threshold, None, "no threshold changed");
    }

    // Alice applying changes her row only, never bob's.
    store.apply_suggestion(alice.id, approved.id, &[]).await.expect("apply");
    let a = store.tracking(alice.id, p.id).await.expect("alice").expect("row");
    let b = store.tracking(bob.id, p.id).await.expect("bob").expect("row");
    assert_eq!((a.price_change_threshold, b.price_change_threshold), (Some(20.0), None));

    // A suggestion id that exists for nobody reads the same as another's.
    let err = store.suggestion(bob.id, SuggestionId::new_random()).await.expect_err("nobody's");
    assert!(matches!(err, StoreError::NotFound { entity: "suggestion", .. }), "{err:?}");
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn apply_is_all_or_nothing(pool: PgPool) {
    let store = PgStore::from_pool(pool.clone());
    let alice = user(&store, "alice").await;
    let p = thin_product(&store, &alice, "B0ATOMIC01").await;

    // A valid threshold, a listing change, then a threshold over 100 %: nothing may change.
    let s = create(
        &store,
        new_suggestion(
            alice.id,
            Some(p.id),
            "atomic",
            vec![
                action(ActionType::AdjustBsrThreshold, "bsr_change_threshold", "25"),
                action(ActionType::UpdateTitle, "title", "Better title"),
                action(ActionType::AdjustPriceThreshold, "price_change_threshold", "150"),
            ],
        ),
    )
    .await;
    store.review_suggestion(alice.id, s.id, &ReviewDecision::Approve).await.expect("approve");
    let err = store.apply_suggestion(alice.id, s.id, &[]).await.expect_err("invalid proposal");
    assert!(
        matches!(err, StoreError::Invalid(ref v) if v.field == "price_change_threshold" && v.value == "150"),
        "{err:?}"
    );
    let after = store.suggestion(alice.id, s.id).await.expect("show");
    assert_eq!(
        after.actions.iter().map(|a| a.status).collect::<Vec<_>>(),
        vec![ActionStatus::Approved, ActionStatus::Approved, ActionStatus::Failed],
        "only the invalid one is marked failed"
    );
    assert!(after.actions[2].error_message.as_deref().is_some_and(|m| m.contains("150")), "reason kept");
    assert!(
        after.actions.iter().all(|a| a.applied_at.is_none() && a.applied_by_id.is_none()),
        "nothing applied"
    );
    let t = store.tracking(alice.id, p.id).await.expect("tracking").expect("row");
    assert_eq!(t.bsr_change_threshold, None, "bsr threshold untouched");

    // A failure in the middle of the writes: the listing action is marked applied first,
    // then the user's tracking row is gone, so the threshold write finds nothing.
    let m = create(
        &store,
        new_suggestion(
            alice.id,
            Some(p.id),
            "middle",
            vec![
                action(ActionType::UpdateTitle, "title", "Better title"),
                action(ActionType::AdjustBsrThreshold, "bsr_change_threshold", "25"),
            ],
        ),
    )
    .await;
    store.review_suggestion(alice.id, m.id, &ReviewDecision::Approve).await.expect("approve");
    sqlx::query("DELETE FROM user_products WHERE user_id = $1 AND product_id = $2")
        .bind(alice.id.0)
        .bind(p.id.0)
        .execute(&pool)
        .await
        .expect("remove the tracking row");
    let err = store.apply_suggestion(alice.id, m.id, &[]).await.expect_err("no tracking row");
    assert!(matches!(err, StoreError::NotFound { .. }), "{err:?}");
    let after = store.suggestion(alice.id, m.id).await.expect("show");
    assert!(
        after.actions.iter().all(|a| a.status == ActionStatus::Approved && a.applied_at.is_none()),
        "the listing action applied before the failure was rolled back: {:?}",
        after.actions.iter().map(|a| a.status).collect::<Vec<_>>()
    );
}
