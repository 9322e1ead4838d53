use super::common::*;
use amazcope_core::model::category::{NewBestsellerEntry, NewCategory};
use amazcope_core::{BatchReport, CategoryRepository, Marketplace, StoreError};
use sqlx::PgPool;

fn cat(name: &str, slug: Option<&str>, parent: Option<amazcope_core::CategoryId>) -> NewCategory {
    NewCategory {
        marketplace: Marketplace::Com,
        category_id: slug.map(str::to_owned),
        name: name.into(),
        url: None,
        parent_id: parent,
    }
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn upsert_category_finds_by_slug_or_place_and_sets_level(pool: PgPool) {
    let s = store(pool);
    let root = s.upsert_category(&cat("Electronics", Some("electronics"), None)).await.unwrap();
    assert_eq!(root.level, 0);
    let child = s.upsert_category(&cat("Cables", None, Some(root.id))).await.unwrap();
    assert_eq!((child.level, child.parent_id), (1, Some(root.id)));
    let grand = s.upsert_category(&cat("USB", Some("usb-cables"), Some(child.id))).await.unwrap();
    assert_eq!(grand.level, 2);

    let mut again = cat("Electronics & Photo", Some("electronics"), None);
    again.url = Some("https://www.amazon.com/gp/bestsellers/electronics/".into());
    let same = s.upsert_category(&again).await.unwrap();
    assert_eq!(same.id, root.id, "same slug, same category");
    assert_eq!(same.name, "Electronics & Photo");
    assert_eq!(same.url.as_deref(), Some("https://www.amazon.com/gp/bestsellers/electronics/"));
    let same_child = s.upsert_category(&cat("Cables", None, Some(root.id))).await.unwrap();
    assert_eq!(same_child.id, child.id, "same parent and name, same category");
    assert_eq!(s.category(child.id).await.unwrap(), Some(same_child));

    assert!(matches!(
        s.upsert_category(&cat("X", None, Some(amazcope_core::CategoryId::new_random()))).await,
        Err(StoreError::NotFound { entity: "category", .. })
    ));
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn category_tree_lists_parents_before_children(pool: PgPool) {
    let s = store(pool);
    let b = s.upsert_category(&cat("Books", None, None)).await.unwrap();
    let a = s.upsert_category(&cat("Apps", None, None)).await.unwrap();
    let b1 = s.upsert_category(&cat("Fiction", None, Some(b.id))).await.unwrap();
    let b11 = s.upsert_category(&cat("Crime", None, Some(b1.id))).await.unwrap();
    let a1 = s.upsert_category(&cat("Games", None, Some(a.id))).await.unwrap();
    let mut de = cat("Bücher", None, None);
    de.marketplace = Marketplace::De;
    s.upsert_category(&de).await.unwrap();

    let tree: Vec<_> = s.category_tree(Marketplace::Com).await.unwrap().into_iter().map(|c| c.id).collect();
    assert_eq!(tree, vec![a.id, a1.id, b.id, b1.id, b11.id]);
    assert_eq!(s.category_tree(Marketplace::De).await.unwrap().len(), 1);
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn bestsellers_are_idempotent_and_latest_list_is_ranked(pool: PgPool) {
    let s = store(pool);
    let c = s.upsert_category(&cat("Electronics", Some("electronics"), None)).await.unwrap();
    let known = product(&s, "B000000040", None).await;
    let entry = |at, rank: i32, a: &str| NewBestsellerEntry {
        category_id: c.id,
        scraped_at: at,
        rank,
        asin: asin(a),
        product_id: None,
        title: Some(format!("item {rank}")),
        price: Some(money(1999)),
        currency: Some("USD".into()),
        rating: Some(4.4),
        review_count: Some(12),
        image_url: None,
    };
    let old = vec![entry(day(1, 1), 1, "B000000041")];
    let new = vec![entry(day(1, 2), 2, "B000000042"), entry(day(1, 2), 1, "B000000040")];
    assert_eq!(s.insert_bestsellers(&old).await.unwrap(), BatchReport { inserted: 1, duplicates: 0 });
    assert_eq!(s.insert_bestsellers(&new).await.unwrap(), BatchReport { inserted: 2, duplicates: 0 });
    assert_eq!(s.insert_bestsellers(&new).await.unwrap(), BatchReport { inserted: 0, duplicates: 2 });

    let latest = s.latest_bestsellers(c.id).await.unwrap();
    let ranks: Vec<(i32, &str)> = latest.iter().map(|e| (e.rank, e.asin.as_str())).collect();
    assert_eq!(ranks, vec![(1, "B000000040"), (2, "B000000042")]);
    assert_eq!(latest[0].product_id, Some(known.id), "linked to the catalogue by ASIN");
    assert_eq!(latest[1].product_id, None);
    assert_eq!((latest[0].price, latest[0].currency.as_deref()), (Some(money(1999)), Some("USD")));
}
