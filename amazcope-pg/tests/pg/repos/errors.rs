//! Database errors come back as core errors that say what and where.
use super::common::*;
use amazcope_core::model::alert::NewAlert;
use amazcope_core::model::review::NewReview;
use amazcope_core::{
    AlertRepository, AlertType, ProductId, ReviewRepository, Severity, SnapshotRepository, StoreError, UserId,
};
use sqlx::PgPool;

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn snapshot_rating_7_is_invalid_naming_rating_and_7(pool: PgPool) {
    let s = store(pool);
    let p = product(&s, "B000000020", None).await;
    let mut snap = snapshot(&p, day(1, 5), 1);
    snap.rating = Some(7.0);
    match s.insert_snapshot(&snap).await.unwrap_err() {
        StoreError::Invalid(e) => {
            assert_eq!((e.field, e.value.as_str()), ("rating", "7"));
            assert!(e.reason.contains("chk_product_snapshots_rating"), "{}", e.reason);
        }
        e => panic!("expected invalid, got {e:?}"),
    }
    // The batch path names the offending value too.
    let mut batch = vec![snapshot(&p, day(1, 6), 1), snapshot(&p, day(1, 7), 2)];
    batch[1].rating = Some(7.0);
    match s.insert_snapshots(&batch).await.unwrap_err() {
        StoreError::Invalid(e) => assert_eq!((e.field, e.value.as_str()), ("rating", "7")),
        e => panic!("expected invalid, got {e:?}"),
    }
    assert!(s.latest_snapshot(p.id).await.unwrap().is_none(), "nothing of the failed batch is stored");
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn review_rating_7_is_invalid(pool: PgPool) {
    let s = store(pool);
    let p = product(&s, "B000000021", None).await;
    let r = NewReview {
        product_id: p.id,
        review_id: "R1".into(),
        reviewer_name: None,
        rating: 7.0,
        title: None,
        text: None,
        review_date: None,
        verified_purchase: false,
        helpful_count: 0,
        variant: None,
    };
    match s.upsert_reviews(&[r]).await.unwrap_err() {
        StoreError::Invalid(e) => assert_eq!((e.field, e.value.as_str()), ("rating", "7")),
        e => panic!("expected invalid, got {e:?}"),
    }
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn snapshot_of_unknown_product_is_product_not_found(pool: PgPool) {
    let s = store(pool);
    let ghost = amazcope_core::model::product::Product {
        id: ProductId::new_random(),
        ..product(&s, "B000000022", None).await
    };
    match s.insert_snapshot(&snapshot(&ghost, day(1, 5), 1)).await.unwrap_err() {
        StoreError::NotFound { entity, id } => assert_eq!((entity, id), ("product", ghost.id.to_string())),
        e => panic!("expected not found, got {e:?}"),
    }
    match s.insert_snapshots(&[snapshot(&ghost, day(1, 5), 1)]).await.unwrap_err() {
        StoreError::NotFound { entity, id } => assert_eq!((entity, id), ("product", ghost.id.to_string())),
        e => panic!("expected not found, got {e:?}"),
    }
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn snapshot_from_the_future_is_invalid_scraped_at(pool: PgPool) {
    let s = store(pool);
    let p = product(&s, "B000000023", None).await;
    let at = chrono::Utc::now() + chrono::Duration::days(3);
    match s.insert_snapshot(&snapshot(&p, at, 1)).await.unwrap_err() {
        StoreError::Invalid(e) => assert_eq!(e.field, "scraped_at"),
        e => panic!("expected invalid, got {e:?}"),
    }
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn alert_for_unknown_user_is_user_not_found(pool: PgPool) {
    let s = store(pool);
    let p = product(&s, "B000000024", None).await;
    let ghost = UserId::new_random();
    let a = NewAlert {
        user_id: ghost,
        product_id: p.id,
        snapshot_id: None,
        snapshot_scraped_at: None,
        alert_type: AlertType::PriceChange,
        severity: Severity::Info,
        title: "t".into(),
        message: "m".into(),
        old_value: None,
        new_value: None,
        change_percentage: None,
        created_at: day(1, 1),
    };
    match s.create_alerts(&[a]).await.unwrap_err() {
        StoreError::NotFound { entity, id } => assert_eq!((entity, id), ("user", ghost.to_string())),
        e => panic!("expected not found, got {e:?}"),
    }
}
