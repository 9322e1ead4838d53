use super::common::*;
use amazcope_core::model::product::{ProductData, ProductQuery, ProductUpsert};
use amazcope_core::{FetchStatus, Marketplace, ProductId, ProductRepository, StoreError};
use sqlx::PgPool;

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn bare_product_gets_asin_title_canonical_url_and_marketplace_currency(pool: PgPool) {
    let s = store(pool);
    let p = s.upsert_product(&ProductUpsert::bare(asin("B00004YS4O"), Marketplace::De, None)).await.unwrap();
    assert_eq!(p.title, "B00004YS4O");
    assert_eq!(p.url, "https://www.amazon.de/dp/B00004YS4O");
    assert_eq!(p.currency, "EUR");
    assert!(p.is_active && p.in_stock && !p.is_competitor);
    assert_eq!(s.product(p.id).await.unwrap(), Some(p.clone()));
    assert_eq!(s.product_by_asin(&asin("B00004YS4O"), Marketplace::De).await.unwrap(), Some(p.clone()));
    assert_eq!(s.product_by_asin(&asin("B00004YS4O"), Marketplace::Com).await.unwrap(), None);
    assert_eq!(s.product(ProductId::new_random()).await.unwrap(), None);
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn upsert_keeps_stored_values_for_missing_fields_and_never_changes_creator(pool: PgPool) {
    let s = store(pool);
    let alice = user(&s, "alice").await;
    let bob = user(&s, "bob").await;
    let first = ProductUpsert {
        asin: asin("B07FNW9FGJ"),
        marketplace: Marketplace::Com,
        url: Some("https://www.amazon.com/Some-Name/dp/B07FNW9FGJ?th=1".into()),
        data: ProductData {
            title: Some("USB-C Cable".into()),
            brand: Some("Anker".into()),
            features: Some(vec!["fast".into(), "braided".into()]),
            variation_types: Some(vec!["Color".into()]),
            total_variations: Some(3),
            ..ProductData::default()
        },
        created_by: Some(alice.id),
        is_competitor: false,
    };
    let p1 = s.upsert_product(&first).await.unwrap();
    assert_eq!(p1.created_by_id, Some(alice.id));
    assert_eq!(p1.features, Some(serde_json::json!(["fast", "braided"])));
    assert!(p1.has_variations);
    assert_eq!(p1.total_variations, 3);

    let second = ProductUpsert {
        data: ProductData { manufacturer: Some("Anker Innovations".into()), ..ProductData::default() },
        url: None,
        created_by: Some(bob.id),
        ..first.clone()
    };
    let p2 = s.upsert_product(&second).await.unwrap();
    assert_eq!(p2.id, p1.id);
    assert_eq!(p2.title, "USB-C Cable");
    assert_eq!(p2.brand.as_deref(), Some("Anker"));
    assert_eq!(p2.manufacturer.as_deref(), Some("Anker Innovations"));
    assert_eq!(p2.url, "https://www.amazon.com/Some-Name/dp/B07FNW9FGJ?th=1");
    assert_eq!(p2.features, p1.features);
    assert_eq!(p2.created_by_id, Some(alice.id), "creator never changes");
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn soft_deleted_product_leaves_search_unless_inactive_asked(pool: PgPool) {
    let s = store(pool);
    let keep = product(&s, "B000000001", None).await;
    let gone = product(&s, "B000000002", None).await;
    s.deactivate_product(gone.id).await.unwrap();
    let active: Vec<ProductId> =
        s.search_products(&ProductQuery::default()).await.unwrap().into_iter().map(|p| p.id).collect();
    assert_eq!(active, vec![keep.id]);
    let all =
        s.search_products(&ProductQuery { include_inactive: true, ..ProductQuery::default() }).await.unwrap();
    assert_eq!(all.len(), 2);
    assert!(!s.product(gone.id).await.unwrap().unwrap().is_active);
    assert!(matches!(
        s.deactivate_product(ProductId::new_random()).await,
        Err(StoreError::NotFound { entity: "product", .. })
    ));
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn search_matches_title_brand_or_asin_literally(pool: PgPool) {
    let s = store(pool);
    let mut up = ProductUpsert::bare(asin("B0000000A1"), Marketplace::Com, None);
    up.data.title = Some("100% Cotton Shirt".into());
    s.upsert_product(&up).await.unwrap();
    let mut up2 = ProductUpsert::bare(asin("B0000000A2"), Marketplace::De, None);
    up2.data.brand = Some("Cottonwood".into());
    s.upsert_product(&up2).await.unwrap();
    product(&s, "B0000000A3", None).await;

    let q = |text: &str| ProductQuery { text: Some(text.into()), ..ProductQuery::default() };
    assert_eq!(s.search_products(&q("cotton")).await.unwrap().len(), 2);
    let pct = s.search_products(&q("100%")).await.unwrap();
    assert_eq!(pct.len(), 1, "% is matched literally");
    assert_eq!(s.search_products(&q("a3")).await.unwrap()[0].asin.as_str(), "B0000000A3");
    let de = s
        .search_products(&ProductQuery { marketplace: Some(Marketplace::De), ..ProductQuery::default() })
        .await
        .unwrap();
    assert_eq!(de.len(), 1);
    let page = s
        .search_products(&ProductQuery { limit: Some(2), offset: Some(2), ..ProductQuery::default() })
        .await
        .unwrap();
    assert_eq!(page.len(), 1);
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn fetch_not_found_marks_unlisted_and_a_newer_page_clears_it(pool: PgPool) {
    use amazcope_core::service::{FetchProblem, IngestContext, IngestStore};
    let s = store(pool);
    let p = product(&s, "B000000003", None).await;
    let ctx = IngestContext::default();
    let problem =
        |status, message: Option<&str>| FetchProblem { status, message: message.map(str::to_owned) };
    s.record_problem(&p.asin, p.marketplace, &problem(FetchStatus::NotFound, Some("404")), day(3, 1), &ctx)
        .await
        .unwrap();
    let p1 = s.product(p.id).await.unwrap().unwrap();
    assert!(p1.is_unlisted);
    assert_eq!(p1.unlisted_at, Some(day(3, 1)));
    assert_eq!(p1.last_fetch_status, Some(FetchStatus::NotFound));
    assert_eq!(p1.last_fetch_error.as_deref(), Some("404"));
    s.record_problem(&p.asin, p.marketplace, &problem(FetchStatus::Captcha, None), day(3, 2), &ctx)
        .await
        .unwrap();
    assert!(s.product(p.id).await.unwrap().unwrap().is_unlisted, "captcha says nothing about listing");
    // An older report changes nothing: the outcome of 3 days ago stays.
    s.record_problem(&p.asin, p.marketplace, &problem(FetchStatus::Failed, Some("old")), day(2, 1), &ctx)
        .await
        .unwrap();
    let p2 = s.product(p.id).await.unwrap().unwrap();
    assert_eq!((p2.last_fetch_status, p2.last_fetch_at), (Some(FetchStatus::Captcha), Some(day(3, 2))));
}
