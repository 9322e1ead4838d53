//! Pages filed under the requested variation, and the per-field quality stored with every
//! snapshot (issue 17).

use crate::ingest::{asin, ctx, day, page, product};
use amazcope_core::Marketplace;
use amazcope_core::model::page::Field;
use amazcope_core::service::{IngestContext, IngestStore};
use amazcope_pg::PgStore;
use rust_decimal::Decimal;
use sqlx::PgPool;

/// A page that answers a request for another variation of the same item: filed under the
/// requested product, with the page's ASIN recorded. When the requested ASIN is the page's
/// parent, the offer is kept; when it is a sibling, its price and stock are another item's:
/// dropped, flagged unparsed, kept as readings.
#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn a_page_of_another_variation_is_filed_under_the_requested_product(pool: PgPool) {
    use amazcope_core::model::page::{FieldQuality, Variation};
    use amazcope_core::{ProductRepository, SnapshotRepository};
    let store = PgStore::from_pool(pool.clone());
    let mut p = product("B00CHILD01", 2499, 500, true);
    p.parent_asin = Some(asin("B00PARENT1"));
    p.variations = Field::Read(
        ["B00CHILD01", "B00CHILD02"]
            .iter()
            .map(|a| Variation {
                asin: asin(a),
                dimensions: Default::default(),
                selected: *a == "B00CHILD01",
            })
            .collect(),
    );
    let for_target = |a: &str| IngestContext { target: Some((asin(a), Marketplace::Com)), ..ctx() };

    // Asked for the parent: the page's offer is the parent's.
    store.ingest_page(&page(p.clone(), day(1)), &for_target("B00PARENT1")).await.unwrap();
    let parent = store.product_by_asin(&asin("B00PARENT1"), Marketplace::Com).await.unwrap().unwrap();
    let snap = store.latest_snapshot(parent.id).await.unwrap().unwrap();
    assert_eq!(snap.data.page_asin, Some(asin("B00CHILD01")));
    assert_eq!(snap.data.price, Some(Decimal::new(2499, 2)));
    assert_eq!(snap.data.quality.as_ref().map(|q| q.price), Some(FieldQuality::Ok));
    assert!(
        store.product_by_asin(&asin("B00CHILD01"), Marketplace::Com).await.unwrap().is_none(),
        "no product is made for the page's own ASIN"
    );

    // Asked for a sibling: rank and rating stay, price and stock are not this item's.
    store.ingest_page(&page(p.clone(), day(2)), &for_target("B00CHILD02")).await.unwrap();
    let sibling = store.product_by_asin(&asin("B00CHILD02"), Marketplace::Com).await.unwrap().unwrap();
    let snap = store.latest_snapshot(sibling.id).await.unwrap().unwrap();
    let q = snap.data.quality.clone().unwrap();
    assert_eq!((snap.data.price, snap.data.in_stock, snap.data.bsr_main_category), (None, false, Some(500)));
    assert_eq!(
        (q.price, q.stock, q.bsr, q.rating),
        (FieldQuality::Unparsed, FieldQuality::Unparsed, FieldQuality::Ok, FieldQuality::Ok)
    );
    let reading = &q.readings[&amazcope_core::model::page::TrackedField::Price][0];
    assert_eq!(
        (reading.text.as_str(), reading.source.as_str()),
        ("24.99", "the page of variation B00CHILD01")
    );
    let sibling_now = store.product(sibling.id).await.unwrap().unwrap();
    assert_eq!(sibling_now.current_price, None, "no other item's price as this one's");

    // Without a request (an import), the page is its own product's, as always.
    store.ingest_page(&page(p, day(3)), &ctx()).await.unwrap();
    let own = store.product_by_asin(&asin("B00CHILD01"), Marketplace::Com).await.unwrap().unwrap();
    assert_eq!(store.latest_snapshot(own.id).await.unwrap().unwrap().data.page_asin, None);
}

/// The flags the parser set are stored with the snapshot and read back.
#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn quality_flags_are_stored_with_every_snapshot(pool: PgPool) {
    use amazcope_core::model::page::{FieldQuality, Reading, TrackedField};
    let store = PgStore::from_pool(pool.clone());
    let mut p = product("B00QUALITY", 1999, 800, true);
    p.rating = Field::Absent;
    p.quality.rating = FieldQuality::Unparsed;
    p.quality.readings.insert(
        TrackedField::Rating,
        vec![
            Reading { source: "#acrPopover title".into(), text: "4.5 out of 5".into() },
            Reading { source: "review summary".into(), text: "4.1".into() },
        ],
    );
    store.ingest_page(&page(p, day(1)), &ctx()).await.unwrap();
    let row: (Option<String>, Option<String>, Option<String>, Option<serde_json::Value>) = sqlx::query_as(
        "SELECT price_quality, rating_quality, list_price_quality, quality_readings FROM product_snapshots",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        (row.0.as_deref(), row.1.as_deref(), row.2.as_deref()),
        (Some("ok"), Some("unparsed"), Some("absent"))
    );
    assert_eq!(row.3.unwrap()["rating"][1]["text"], "4.1");
}
