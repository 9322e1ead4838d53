//! The semantics decided where the two write paths used to disagree, checked through both
//! callers of each write (a repository method and batch ingest), which now share it.

use crate::repos::common::{self, day, money, snapshot};
use amazcope_core::model::page::{FetchedPage, Field, ParsedPage, ReviewPage, ScrapedReview};
use amazcope_core::model::review::NewReview;
use amazcope_core::service::{FetchProblem, IngestContext, IngestStore};
use amazcope_core::{
    FetchStatus, Marketplace, ProductRepository, Rating, ReviewRepository, SnapshotRepository,
};
use sqlx::PgPool;

/// A back-filled older snapshot never rolls the latest values back, on either path; a newer
/// one moves them.
#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn latest_values_follow_the_strictly_newest_snapshot(pool: PgPool) {
    let s = common::store(pool);
    let p = common::product(&s, "B0000000W1", None).await;
    s.insert_snapshot(&snapshot(&p, day(5, 10), 10)).await.unwrap();
    s.insert_snapshots(&[snapshot(&p, day(5, 1), 1), snapshot(&p, day(5, 2), 2)]).await.unwrap();
    let now = s.product(p.id).await.unwrap().unwrap();
    assert_eq!((now.current_price, now.last_snapshot_at), (Some(money(1010)), Some(day(5, 10))));
    // The same time again is the same snapshot: a duplicate, nothing moves.
    let again = s.insert_snapshot(&snapshot(&p, day(5, 10), 99)).await.unwrap();
    assert!(!again.inserted);
    assert_eq!(s.product(p.id).await.unwrap().unwrap().current_price, Some(money(1010)));
    s.insert_snapshots(&[snapshot(&p, day(5, 11), 11)]).await.unwrap();
    assert_eq!(s.product(p.id).await.unwrap().unwrap().current_price, Some(money(1011)));
}

/// A long text of a snapshot is cut to its column on the repository path as on ingest,
/// rather than failing the batch.
#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn long_snapshot_text_is_cut_to_its_column(pool: PgPool) {
    let s = common::store(pool);
    let p = common::product(&s, "B0000000W2", None).await;
    let mut snap = snapshot(&p, day(5, 3), 1);
    snap.delivery_message = Some("é".repeat(600));
    snap.stock_status = Some("x".repeat(150));
    s.insert_snapshot(&snap).await.unwrap();
    let stored = s.latest_snapshot(p.id).await.unwrap().unwrap();
    assert_eq!(stored.data.delivery_message.map(|m| m.chars().count()), Some(500));
    assert_eq!(stored.data.stock_status.map(|m| m.chars().count()), Some(100));
    // products.stock_status is narrower (50) than the snapshot's.
    assert_eq!(s.product(p.id).await.unwrap().unwrap().stock_status.map(|m| m.len()), Some(50));
}

/// Reviews: a re-read keeps the known values a new reading lacks; a review id repeated in one
/// batch keeps its last reading; the repository and a reviews page write the same rows.
#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn review_rereads_keep_known_values_and_the_last_duplicate_wins(pool: PgPool) {
    let s = common::store(pool.clone());
    let p = common::product(&s, "B0000000W3", None).await;
    let review = |id: &str, title: Option<&str>, helpful: i32| NewReview {
        product_id: p.id,
        review_id: id.into(),
        reviewer_name: Some("Pat".into()),
        rating: 4.0,
        title: title.map(str::to_owned),
        text: Some("Fine".into()),
        review_date: Some(day(4, 1)),
        verified_purchase: true,
        helpful_count: helpful,
        variant: None,
    };
    s.upsert_reviews(&[review("RW1", Some("First title"), 1)]).await.unwrap();
    // The same id twice in one batch: the last reading (helpful 7) is stored.
    s.upsert_reviews(&[review("RW1", None, 5), review("RW1", None, 7)]).await.unwrap();
    let (title, helpful): (Option<String>, i32) =
        sqlx::query_as("SELECT title, helpful_count FROM reviews WHERE review_id = 'RW1'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!((title.as_deref(), helpful), (Some("First title"), 7), "the known title is kept");

    // The same review through a reviews page (ingest): the page lacks the title, which stays.
    let page = ReviewPage {
        marketplace: Marketplace::Com,
        asin: Some(p.asin),
        items: vec![ScrapedReview {
            review_id: "RW1".into(),
            rating: Field::Read(Rating::new(4.0).unwrap()),
            title: Field::Absent,
            text: Field::Read("Fine".into()),
            author: Field::Read("Pat".into()),
            date: Field::Read(day(4, 1).date_naive()),
            verified_purchase: true,
            helpful_votes: Field::Read(8),
            variant: Field::Absent,
        }],
    };
    let fetched = FetchedPage { source: "t".into(), fetched_at: day(5, 1), page: ParsedPage::Reviews(page) };
    s.ingest_page(&fetched, &IngestContext::default()).await.unwrap();
    let (title, helpful): (Option<String>, i32) =
        sqlx::query_as("SELECT title, helpful_count FROM reviews WHERE review_id = 'RW1'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!((title.as_deref(), helpful), (Some("First title"), 8));
    let updated: chrono::DateTime<chrono::Utc> =
        sqlx::query_scalar("SELECT updated_at FROM reviews WHERE review_id = 'RW1'")
            .fetch_one(&pool)
            .await
            .unwrap();
    // Storing the same page twice changes nothing (no new row version).
    s.ingest_page(&fetched, &IngestContext::default()).await.unwrap();
    let after: chrono::DateTime<chrono::Utc> =
        sqlx::query_scalar("SELECT updated_at FROM reviews WHERE review_id = 'RW1'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(updated, after);
}

/// A not-found older than the product's latest snapshot never unlists it (an old saved page
/// imported late); a newer one does.
#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn a_late_old_not_found_never_unlists(pool: PgPool) {
    let s = common::store(pool);
    let p = common::product(&s, "B0000000W4", None).await;
    s.insert_snapshot(&snapshot(&p, day(6, 10), 1)).await.unwrap();
    let gone = FetchProblem { status: FetchStatus::NotFound, message: Some("404".into()) };
    let ctx = IngestContext::default();
    s.record_problem(&p.asin, p.marketplace, &gone, day(6, 5), &ctx).await.unwrap();
    assert!(!s.product(p.id).await.unwrap().unwrap().is_unlisted, "older than the latest snapshot");
    s.record_problem(&p.asin, p.marketplace, &gone, day(6, 11), &ctx).await.unwrap();
    let now = s.product(p.id).await.unwrap().unwrap();
    assert_eq!((now.is_unlisted, now.unlisted_at), (true, Some(day(6, 11))));
}
