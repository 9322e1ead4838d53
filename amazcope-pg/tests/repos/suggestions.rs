use crate::common::*;
use amazcope_core::model::suggestion::{NewSuggestion, NewSuggestionAction};
use amazcope_core::model::tracking::TrackOptions;
use amazcope_core::{
    ActionStatus, ActionType, ProductId, ReviewDecision, StoreError, SuggestionCategory, SuggestionPriority,
    SuggestionRepository, SuggestionStatus, TrackingRepository, UserId,
};
use chrono::Utc;
use sqlx::PgPool;

pub fn action(kind: ActionType, field: &str, proposed: &str) -> NewSuggestionAction {
    NewSuggestionAction {
        action_type: kind,
        target_field: field.into(),
        current_value: Some("10".into()),
        proposed_value: proposed.into(),
        reasoning: "because".into(),
        impact_description: None,
    }
}

pub fn suggestion(
    user: UserId,
    product: Option<ProductId>,
    key: &str,
    priority: SuggestionPriority,
    actions: Vec<NewSuggestionAction>,
) -> NewSuggestion {
    NewSuggestion {
        user_id: user,
        product_id: product,
        title: format!("suggestion {key}"),
        description: "d".into(),
        reasoning: "r".into(),
        priority,
        category: SuggestionCategory::Tracking,
        ai_model: "rules-v1".into(),
        confidence_score: Some(0.8),
        expires_at: None,
        estimated_impact: Some(serde_json::json!({"benefit": "fewer alerts"})),
        dedup_key: key.into(),
        actions,
    }
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn pending_duplicate_is_skipped_and_actions_keep_their_order(pool: PgPool) {
    let s = store(pool);
    let u = user(&s, "ann").await;
    let acts = vec![
        action(ActionType::AdjustPriceThreshold, "price_change_threshold", "15"),
        action(ActionType::UpdateTitle, "title", "Better title"),
        action(ActionType::ToggleTracking, "is_active", "false"),
    ];
    let new = suggestion(u.id, None, "k1", SuggestionPriority::High, acts);
    let created = s.create_suggestion(&new).await.unwrap().unwrap();
    assert_eq!(created.status, SuggestionStatus::Pending);
    assert_eq!(created.estimated_impact, Some(serde_json::json!({"benefit": "fewer alerts"})));
    let kinds: Vec<ActionType> = created.actions.iter().map(|a| a.action_type).collect();
    assert_eq!(
        kinds,
        vec![ActionType::AdjustPriceThreshold, ActionType::UpdateTitle, ActionType::ToggleTracking]
    );
    assert!(created.actions.iter().all(|a| a.status == ActionStatus::Pending));
    assert!(s.create_suggestion(&new).await.unwrap().is_none(), "pending duplicate");
    assert_eq!(s.suggestion(u.id, created.id).await.unwrap(), created);

    // Once reviewed, the same key may be suggested again.
    s.review_suggestion(u.id, created.id, &ReviewDecision::Reject).await.unwrap();
    assert!(s.create_suggestion(&new).await.unwrap().is_some());
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn list_is_by_priority_then_newest_without_expired(pool: PgPool) {
    let s = store(pool);
    let u = user(&s, "ann").await;
    let low = s
        .create_suggestion(&suggestion(u.id, None, "a", SuggestionPriority::Low, vec![]))
        .await
        .unwrap()
        .unwrap();
    let high = s
        .create_suggestion(&suggestion(u.id, None, "b", SuggestionPriority::High, vec![]))
        .await
        .unwrap()
        .unwrap();
    let med1 = s
        .create_suggestion(&suggestion(u.id, None, "c", SuggestionPriority::Medium, vec![]))
        .await
        .unwrap()
        .unwrap();
    let med2 = s
        .create_suggestion(&suggestion(u.id, None, "d", SuggestionPriority::Medium, vec![]))
        .await
        .unwrap()
        .unwrap();
    let mut old = suggestion(u.id, None, "e", SuggestionPriority::High, vec![]);
    old.expires_at = Some(Utc::now() - chrono::Duration::hours(1));
    let expired = s.create_suggestion(&old).await.unwrap().unwrap();

    let ids: Vec<_> = s.suggestions(u.id, None).await.unwrap().into_iter().map(|x| x.id).collect();
    assert_eq!(ids, vec![high.id, med2.id, med1.id, low.id]);
    s.review_suggestion(u.id, low.id, &ReviewDecision::Approve).await.unwrap();
    let pending: Vec<_> = s
        .suggestions(u.id, Some(SuggestionStatus::Pending))
        .await
        .unwrap()
        .into_iter()
        .map(|x| x.id)
        .collect();
    assert_eq!(pending, vec![high.id, med2.id, med1.id]);
    match s.review_suggestion(u.id, expired.id, &ReviewDecision::Approve).await.unwrap_err() {
        StoreError::InvalidTransition { state, .. } => assert_eq!(state, "expired"),
        e => panic!("expected invalid transition, got {e:?}"),
    }
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn review_decisions_set_action_states_and_only_pending_can_be_reviewed(pool: PgPool) {
    let s = store(pool);
    let u = user(&s, "ann").await;
    let acts = || {
        vec![
            action(ActionType::UpdateTitle, "title", "A"),
            action(ActionType::UpdateBrand, "brand", "B"),
            action(ActionType::UpdatePrice, "price", "9.99"),
        ]
    };
    let a = s
        .create_suggestion(&suggestion(u.id, None, "a", SuggestionPriority::Low, acts()))
        .await
        .unwrap()
        .unwrap();
    let approved = s.review_suggestion(u.id, a.id, &ReviewDecision::Approve).await.unwrap();
    assert_eq!(approved.status, SuggestionStatus::Approved);
    assert_eq!(approved.reviewed_by_id, Some(u.id));
    assert!(approved.actions.iter().all(|x| x.status == ActionStatus::Approved && x.reviewed_at.is_some()));
    match s.review_suggestion(u.id, a.id, &ReviewDecision::Reject).await.unwrap_err() {
        StoreError::InvalidTransition { entity, state, .. } => {
            assert_eq!((entity, state.as_str()), ("suggestion", "approved"))
        }
        e => panic!("expected invalid transition, got {e:?}"),
    }

    let b = s
        .create_suggestion(&suggestion(u.id, None, "b", SuggestionPriority::Low, acts()))
        .await
        .unwrap()
        .unwrap();
    let rejected = s.review_suggestion(u.id, b.id, &ReviewDecision::Reject).await.unwrap();
    assert_eq!(rejected.status, SuggestionStatus::Rejected);
    assert!(rejected.actions.iter().all(|x| x.status == ActionStatus::Rejected));

    let c = s
        .create_suggestion(&suggestion(u.id, None, "c", SuggestionPriority::Low, acts()))
        .await
        .unwrap()
        .unwrap();
    let unknown = ReviewDecision::Partial { approved: vec![amazcope_core::SuggestionActionId::new_random()] };
    assert!(matches!(
        s.review_suggestion(u.id, c.id, &unknown).await,
        Err(StoreError::NotFound { entity: "suggestion action", .. })
    ));
    let partial = ReviewDecision::Partial { approved: vec![c.actions[1].id] };
    let p = s.review_suggestion(u.id, c.id, &partial).await.unwrap();
    assert_eq!(p.status, SuggestionStatus::PartiallyApproved);
    let states: Vec<ActionStatus> = p.actions.iter().map(|x| x.status).collect();
    assert_eq!(states, vec![ActionStatus::Rejected, ActionStatus::Approved, ActionStatus::Rejected]);
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn applying_changes_thresholds_and_tracking_in_the_users_row(pool: PgPool) {
    let s = store(pool);
    let u = user(&s, "ann").await;
    let p = product(&s, "B000000070", None).await;
    s.track(u.id, p.id, &TrackOptions::from_raw(Some(10.0), Some(30.0), None).unwrap()).await.unwrap();
    let acts = vec![
        action(ActionType::AdjustPriceThreshold, "price_change_threshold", "15 %"),
        action(ActionType::AdjustBsrThreshold, "bsr_change_threshold", "25"),
        action(ActionType::UpdateTitle, "title", "New title"),
    ];
    let sug = s
        .create_suggestion(&suggestion(u.id, Some(p.id), "t", SuggestionPriority::High, acts))
        .await
        .unwrap()
        .unwrap();

    // Nothing approved yet: applying is an invalid transition and changes nothing.
    match s.apply_suggestion(u.id, sug.id, &[sug.actions[0].id]).await.unwrap_err() {
        StoreError::InvalidTransition { entity, action, state, .. } => {
            assert_eq!((entity, action, state.as_str()), ("suggestion action", "apply", "pending"))
        }
        e => panic!("expected invalid transition, got {e:?}"),
    }
    s.review_suggestion(
        u.id,
        sug.id,
        &ReviewDecision::Partial { approved: vec![sug.actions[0].id, sug.actions[2].id] },
    )
    .await
    .unwrap();
    match s.apply_suggestion(u.id, sug.id, &[sug.actions[1].id]).await.unwrap_err() {
        StoreError::InvalidTransition { state, .. } => assert_eq!(state, "rejected"),
        e => panic!("expected invalid transition, got {e:?}"),
    }

    let done = s.apply_suggestion(u.id, sug.id, &[]).await.unwrap();
    let price = &done.actions[0];
    assert_eq!(price.status, ActionStatus::Applied);
    assert_eq!(price.applied_by_id, Some(u.id));
    assert!(price.applied_at.is_some());
    assert!(
        price.application_result.as_deref().unwrap().contains("from 10 to 15"),
        "{:?}",
        price.application_result
    );
    assert_eq!(done.actions[1].status, ActionStatus::Rejected);
    assert_eq!(done.actions[2].status, ActionStatus::Applied);
    assert_eq!(done.actions[2].application_result.as_deref(), Some("recorded; verify on the next snapshot"));
    let t = s.tracking(u.id, p.id).await.unwrap().unwrap();
    assert_eq!((t.price_change_threshold, t.bsr_change_threshold), (Some(15.0), Some(30.0)));

    // Applied is final.
    match s.apply_suggestion(u.id, sug.id, &[price.id]).await.unwrap_err() {
        StoreError::InvalidTransition { state, .. } => assert_eq!(state, "applied"),
        e => panic!("expected invalid transition, got {e:?}"),
    }
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn unparseable_proposal_fails_the_action_and_changes_nothing(pool: PgPool) {
    let s = store(pool);
    let u = user(&s, "ann").await;
    let p = product(&s, "B000000071", None).await;
    s.track(u.id, p.id, &TrackOptions::from_raw(Some(10.0), None, None).unwrap()).await.unwrap();
    let acts = vec![
        action(ActionType::AdjustPriceThreshold, "price_change_threshold", "a lot"),
        action(ActionType::AdjustBsrThreshold, "bsr_change_threshold", "101"),
        action(ActionType::ToggleTracking, "is_active", "off"),
    ];
    let sug = s
        .create_suggestion(&suggestion(u.id, Some(p.id), "f", SuggestionPriority::Low, acts))
        .await
        .unwrap()
        .unwrap();
    s.review_suggestion(u.id, sug.id, &ReviewDecision::Approve).await.unwrap();
    // One apply call is all or nothing: the invalid proposals fail the call, are marked
    // failed with the reason, and the valid toggle is not applied either.
    match s.apply_suggestion(u.id, sug.id, &[]).await.unwrap_err() {
        StoreError::Invalid(v) => {
            assert_eq!((v.field, v.value.as_str()), ("price_change_threshold", "a lot"))
        }
        e => panic!("expected an invalid value, got {e:?}"),
    }
    let done = s.suggestion(u.id, sug.id).await.unwrap();
    assert_eq!(done.actions[0].status, ActionStatus::Failed);
    assert!(done.actions[0].error_message.as_deref().unwrap().contains("a lot"));
    assert_eq!(done.actions[1].status, ActionStatus::Failed);
    assert!(done.actions[1].error_message.as_deref().unwrap().contains("101"));
    assert_eq!(done.actions[2].status, ActionStatus::Approved, "valid action left for a later apply");
    assert_eq!(done.actions[2].applied_at, None);
    let t = s.tracking(u.id, p.id).await.unwrap().unwrap();
    assert_eq!((t.price_change_threshold, t.bsr_change_threshold), (Some(10.0), None));
    assert!(t.is_active, "toggle_tracking not applied");

    // The valid one alone applies.
    let done = s.apply_suggestion(u.id, sug.id, &[sug.actions[2].id]).await.unwrap();
    assert_eq!(done.actions[2].status, ActionStatus::Applied);
    assert!(!s.tracking(u.id, p.id).await.unwrap().unwrap().is_active, "toggle_tracking applied");
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn stats_count_the_users_suggestions_by_status_category_and_priority(pool: PgPool) {
    use amazcope_core::model::suggestion::SuggestionStats;
    let s = store(pool);
    let (a, b) = (user(&s, "ann").await, user(&s, "bob").await);
    assert_eq!(s.suggestion_stats(a.id).await.unwrap(), SuggestionStats::default());
    let make = |key: &str, priority, category| {
        let mut n = suggestion(a.id, None, key, priority, vec![]);
        n.category = category;
        n
    };
    let high = s.create_suggestion(&make("a", SuggestionPriority::High, SuggestionCategory::Pricing)).await;
    s.create_suggestion(&make("b", SuggestionPriority::High, SuggestionCategory::Content)).await.unwrap();
    s.create_suggestion(&make("c", SuggestionPriority::Low, SuggestionCategory::Pricing)).await.unwrap();
    let mut old = make("d", SuggestionPriority::Medium, SuggestionCategory::Tracking);
    old.expires_at = Some(Utc::now() - chrono::Duration::hours(1));
    s.create_suggestion(&old).await.unwrap();
    s.review_suggestion(a.id, high.unwrap().unwrap().id, &ReviewDecision::Reject).await.unwrap();
    // Bob's suggestion must not count for Ann.
    s.create_suggestion(&suggestion(b.id, None, "x", SuggestionPriority::Low, vec![])).await.unwrap();

    let st = s.suggestion_stats(a.id).await.unwrap();
    assert_eq!(st.total, 4);
    let status: Vec<_> = st.by_status.iter().map(|(k, v)| (*k, *v)).collect();
    assert_eq!(
        status,
        [(SuggestionStatus::Pending, 2), (SuggestionStatus::Rejected, 1), (SuggestionStatus::Expired, 1)]
    );
    let category: Vec<_> = st.by_category.iter().map(|(k, v)| (*k, *v)).collect();
    assert_eq!(
        category,
        [
            (SuggestionCategory::Pricing, 2),
            (SuggestionCategory::Content, 1),
            (SuggestionCategory::Tracking, 1)
        ]
    );
    let priority: Vec<_> = st.by_priority.iter().map(|(k, v)| (*k, *v)).collect();
    assert_eq!(
        priority,
        [(SuggestionPriority::Low, 1), (SuggestionPriority::Medium, 1), (SuggestionPriority::High, 2)]
    );
    let json = serde_json::to_value(&st).unwrap();
    assert_eq!(json["by_status"]["pending"], 2, "{json}");

    let bob = s.suggestion_stats(b.id).await.unwrap();
    assert_eq!((bob.total, bob.by_priority.get(&SuggestionPriority::Low)), (1, Some(&1)));
}
