//! A second user sees none of the first user's rows through any repository call, and
//! calls on the first user's ids change nothing.

use crate::repos::common::*;
use amazcope_core::model::alert::AlertQuery;
use amazcope_core::model::review::NewReview;
use amazcope_core::model::suggestion::{NewSuggestion, NewSuggestionAction};
use amazcope_core::model::tracking::{TrackOptions, TrackingPatch};
use amazcope_core::model::user::SettingsPatch;
use amazcope_core::{
    ActionType, AlertRepository, NotificationRepository, ReviewDecision, ReviewRepository,
    SnapshotRepository, StoreError, SuggestionCategory, SuggestionPriority, SuggestionRepository,
    SuggestionStatus, TimeRange, TrackingRepository, UserRepository,
};
use amazcope_pg::testing::price_alert;
use sqlx::PgPool;

fn not_found<T: std::fmt::Debug>(r: Result<T, StoreError>, what: &str) {
    match r {
        Err(StoreError::NotFound { .. }) => {}
        other => panic!("{what}: expected not found, got {other:?}"),
    }
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn second_user_sees_and_changes_none_of_the_first_users_rows(pool: PgPool) {
    let s = store(pool);
    let a = user(&s, "alice").await;
    let b = user(&s, "bob").await;

    // Alice's world: a tracked product with history, reviews, an alert (and its
    // notification) and an approved suggestion.
    let p = product(&s, "B000000080", Some(a.id)).await;
    s.track(a.id, p.id, &TrackOptions::from_raw(Some(5.0), None, None).unwrap()).await.unwrap();
    let snap = s.insert_snapshot(&snapshot(&p, day(7, 1), 1)).await.unwrap();
    s.upsert_reviews(&[NewReview {
        product_id: p.id,
        review_id: "RALICE".into(),
        reviewer_name: None,
        rating: 5.0,
        title: None,
        text: Some("great".into()),
        review_date: Some(day(7, 1)),
        verified_purchase: true,
        helpful_count: 0,
        variant: None,
    }])
    .await
    .unwrap();
    let alerts = s.create_alerts(&[price_alert(a.id, p.id, snap.id, day(7, 1))]).await.unwrap();
    let alert_id = alerts[0].id;
    let note_id = s.notifications(a.id, false, 10).await.unwrap()[0].id;
    let sug = s
        .create_suggestion(&NewSuggestion {
            user_id: a.id,
            product_id: Some(p.id),
            title: "raise threshold".into(),
            description: "d".into(),
            reasoning: "r".into(),
            priority: SuggestionPriority::High,
            category: SuggestionCategory::Tracking,
            ai_model: "rules-v1".into(),
            confidence_score: None,
            expires_at: None,
            estimated_impact: None,
            dedup_key: "k".into(),
            actions: vec![NewSuggestionAction {
                action_type: ActionType::AdjustPriceThreshold,
                target_field: "price_change_threshold".into(),
                current_value: Some("5".into()),
                proposed_value: "20".into(),
                reasoning: "r".into(),
                impact_description: None,
            }],
        })
        .await
        .unwrap()
        .unwrap();
    let pending = s
        .create_suggestion(&NewSuggestion {
            dedup_key: "k2".into(),
            ..s.suggestion(a.id, sug.id)
                .await
                .map(|x| NewSuggestion {
                    user_id: x.user_id,
                    product_id: x.product_id,
                    title: x.title,
                    description: x.description,
                    reasoning: x.reasoning,
                    priority: x.priority,
                    category: x.category,
                    ai_model: x.ai_model,
                    confidence_score: None,
                    expires_at: None,
                    estimated_impact: None,
                    dedup_key: String::new(),
                    actions: vec![],
                })
                .unwrap()
        })
        .await
        .unwrap()
        .unwrap();
    s.review_suggestion(a.id, sug.id, &ReviewDecision::Approve).await.unwrap();

    // Bob reads: nothing of Alice's.
    assert!(s.tracked_products(b.id, true).await.unwrap().is_empty());
    assert_eq!(s.tracking(b.id, p.id).await.unwrap(), None);
    not_found(s.snapshot_history(b.id, p.id, TimeRange::default()).await, "history");
    not_found(s.reviews(b.id, p.id, 10).await, "reviews");
    assert!(s.alerts(b.id, &AlertQuery::default()).await.unwrap().is_empty());
    assert!(s.notifications(b.id, false, 100).await.unwrap().is_empty());
    assert!(s.suggestions(b.id, None).await.unwrap().is_empty());
    not_found(s.suggestion(b.id, sug.id).await, "suggestion");
    assert_eq!(s.settings(b.id).await.unwrap().user_id, b.id);

    // Bob writes on Alice's ids: not found, and nothing changes.
    not_found(s.mark_alert_read(b.id, alert_id).await, "mark alert read");
    not_found(s.mark_notification_read(b.id, note_id).await, "mark notification read");
    assert_eq!(s.mark_all_alerts_read(b.id).await.unwrap(), 0);
    assert_eq!(s.mark_all_notifications_read(b.id).await.unwrap(), 0);
    not_found(s.review_suggestion(b.id, pending.id, &ReviewDecision::Reject).await, "review");
    not_found(s.apply_suggestion(b.id, sug.id, &[]).await, "apply");
    not_found(s.apply_suggestion(b.id, sug.id, &[sug.actions[0].id]).await, "apply one");
    not_found(
        s.update_tracking(b.id, p.id, &TrackingPatch { is_active: Some(false), ..Default::default() }).await,
        "update tracking",
    );
    not_found(s.untrack(b.id, p.id).await, "untrack");
    s.update_settings(b.id, &SettingsPatch { default_price_threshold: Some(1.0), ..Default::default() })
        .await
        .unwrap();

    assert!(!s.alerts(a.id, &AlertQuery::default()).await.unwrap()[0].alert.is_read);
    assert_eq!(s.notifications(a.id, true, 10).await.unwrap().len(), 1);
    assert_eq!(s.suggestion(a.id, pending.id).await.unwrap().status, SuggestionStatus::Pending);
    let approved = s.suggestion(a.id, sug.id).await.unwrap();
    assert_eq!(approved.actions[0].status, amazcope_core::ActionStatus::Approved, "not applied by bob");
    let t = s.tracking(a.id, p.id).await.unwrap().unwrap();
    assert!(t.is_active);
    assert_eq!(t.price_change_threshold, Some(5.0));
    assert_eq!(s.settings(a.id).await.unwrap().default_price_threshold, 10.0);

    // Bob tracking the same product sees its history and reviews, still none of Alice's
    // alerts, notifications or suggestions.
    s.track(b.id, p.id, &TrackOptions::default()).await.unwrap();
    assert_eq!(s.snapshot_history(b.id, p.id, TimeRange::default()).await.unwrap().len(), 1);
    assert_eq!(s.reviews(b.id, p.id, 10).await.unwrap().len(), 1);
    let bob_list = s.tracked_products(b.id, false).await.unwrap();
    assert_eq!(bob_list.len(), 1);
    assert_eq!(bob_list[0].tracking.user_id, b.id);
    assert!(
        s.alerts(b.id, &AlertQuery { product_id: Some(p.id), ..Default::default() })
            .await
            .unwrap()
            .is_empty()
    );
    assert!(s.notifications(b.id, false, 100).await.unwrap().is_empty());
    assert!(s.suggestions(b.id, None).await.unwrap().is_empty());
    assert_eq!(s.tracking(a.id, p.id).await.unwrap().unwrap().price_change_threshold, Some(5.0));
}

/// The one per-product read rule (`PgStore::check_tracks`): history, the statistics and
/// replays made from it, the sliced history read and reviews are readable while the user
/// actively tracks the product, and NotFound alike after untracking, for a user who never
/// tracked it, and for a missing product; tracking again makes them readable again.
#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn untracked_products_are_not_readable_by_any_per_product_read(pool: PgPool) {
    use amazcope_core::analytics::{AnalyticsRepository, CompareMetric, Granularity, TrendField};
    use futures::StreamExt;

    let s = store(pool);
    let a = user(&s, "alice").await;
    let b = user(&s, "bob").await;
    let p = product(&s, "B000000081", Some(a.id)).await;
    s.track(a.id, p.id, &TrackOptions::default()).await.unwrap();
    for (i, d) in [1, 5, 9, 13, 17].into_iter().enumerate() {
        s.insert_snapshot(&snapshot(&p, day(7, d), i as i64)).await.unwrap();
    }
    let since = day(6, 1);

    // Alice tracks it: every read answers, and the slices cover the history in order.
    s.check_tracks(a.id, p.id).await.unwrap();
    assert_eq!(s.snapshot_history(a.id, p.id, TimeRange::default()).await.unwrap().len(), 5);
    let slices = s.history_slices(a.id, p.id, since, 4).await.unwrap();
    assert_eq!(slices.len(), 4);
    assert_eq!(slices[0].from(), since);
    for w in slices.windows(2) {
        assert_eq!(w[0].to(), Some(w[1].from()), "slices are contiguous");
        assert!(w[0].from() < w[1].from(), "slices are in time order");
    }
    assert_eq!(slices[3].to(), None, "the last slice is open-ended");
    let mut bytes = Vec::new();
    let mut stream = s.copy_history_slice(&slices[0]).await.unwrap();
    while let Some(chunk) = stream.next().await {
        bytes.extend_from_slice(chunk.unwrap().as_ref());
    }
    assert!(bytes.starts_with(b"PGCOPY\n\xff\r\n\0"), "a binary COPY stream");
    // header (19 bytes), then a tuple: its field count is the number of history columns
    assert_eq!(
        i16::from_be_bytes([bytes[19], bytes[20]]),
        amazcope_pg::history::HISTORY_COLUMNS.len() as i16
    );
    s.reviews(a.id, p.id, 10).await.unwrap();

    // An empty range is one slice.
    assert_eq!(s.history_slices(a.id, p.id, day(12, 1), 4).await.unwrap().len(), 1);

    // After untracking, and for Bob who never tracked it: NotFound everywhere, the same
    // answer as for a product that does not exist.
    s.untrack(a.id, p.id).await.unwrap();
    let missing = amazcope_core::ProductId(uuid::Uuid::new_v4());
    for (who, product) in [(a.id, p.id), (b.id, p.id), (a.id, missing)] {
        not_found(s.check_tracks(who, product).await, "check_tracks");
        not_found(s.snapshot_history(who, product, TimeRange::default()).await, "history");
        not_found(s.history_slices(who, product, since, 4).await, "history slices");
        not_found(s.reviews(who, product, 10).await, "reviews");
        let found = s.product_summary(who, product, day(8, 1)).await;
        assert!(matches!(found, Ok(None) | Err(StoreError::NotFound { .. })), "summary: {found:?}");
        not_found(
            s.product_trends(who, product, &[TrendField::Price], TimeRange::default(), Granularity::Raw)
                .await,
            "trends",
        );
        not_found(
            s.compare_products(who, &[product], CompareMetric::Price, TimeRange::default()).await,
            "compare",
        );
        assert!(s.product_category(who, product).await.map_or(true, |c| c.is_none()), "category");
    }

    // Tracking again restores it.
    s.track(a.id, p.id, &TrackOptions::default()).await.unwrap();
    assert_eq!(s.snapshot_history(a.id, p.id, TimeRange::default()).await.unwrap().len(), 5);
}
