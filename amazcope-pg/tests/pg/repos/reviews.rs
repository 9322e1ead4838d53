use super::common::*;
use amazcope_core::model::review::NewReview;
use amazcope_core::model::tracking::TrackOptions;
use amazcope_core::{BatchReport, ReviewRepository, StoreError, TrackingRepository};
use sqlx::PgPool;

fn review(p: amazcope_core::ProductId, id: &str, day_of_jan: u32, helpful: i32) -> NewReview {
    NewReview {
        product_id: p,
        review_id: id.into(),
        reviewer_name: Some("Pat".into()),
        rating: 4.0,
        title: Some(format!("title {id}")),
        text: Some("works".into()),
        review_date: Some(day(1, day_of_jan)),
        verified_purchase: true,
        helpful_count: helpful,
        variant: Some("Colour: Blue".into()),
    }
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn same_review_id_twice_keeps_one_row_updated(pool: PgPool) {
    let s = store(pool.clone());
    let u = user(&s, "ann").await;
    let p = product(&s, "B000000050", None).await;
    s.track(u.id, p.id, &TrackOptions::default()).await.unwrap();
    let r1 = review(p.id, "R1", 1, 1);
    let r2 = review(p.id, "R2", 2, 0);
    assert_eq!(
        s.upsert_reviews(&[r1.clone(), r2]).await.unwrap(),
        BatchReport { inserted: 2, duplicates: 0 }
    );
    let mut again = r1.clone();
    again.helpful_count = 9;
    again.text = None;
    // R1 twice in one batch (the last wins) and once more already stored.
    let report = s.upsert_reviews(&[r1.clone(), again.clone()]).await.unwrap();
    assert_eq!(report, BatchReport { inserted: 0, duplicates: 2 });
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM reviews").fetch_one(&pool).await.unwrap();
    assert_eq!(rows, 2);

    let list = s.reviews(u.id, p.id, 10).await.unwrap();
    assert_eq!(
        list.iter().map(|r| r.review_id.as_str()).collect::<Vec<_>>(),
        vec!["R2", "R1"],
        "newest first"
    );
    let stored = &list[1];
    assert_eq!(stored.helpful_count, 9);
    assert_eq!(stored.text.as_deref(), Some("works"), "a missing text keeps the stored one");
    assert_eq!((stored.variant.as_deref(), stored.verified_purchase), (Some("Colour: Blue"), true));
    assert_eq!(s.reviews(u.id, p.id, 1).await.unwrap().len(), 1);
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn reviews_of_an_untracked_product_are_not_found(pool: PgPool) {
    let s = store(pool);
    let u = user(&s, "ann").await;
    let p = product(&s, "B000000051", None).await;
    s.upsert_reviews(&[review(p.id, "R9", 1, 0)]).await.unwrap();
    assert!(matches!(s.reviews(u.id, p.id, 10).await, Err(StoreError::NotFound { entity: "product", .. })));
}
