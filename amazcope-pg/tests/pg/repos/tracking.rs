use super::common::*;
use amazcope_core::model::tracking::{TrackOptions, TrackingPatch};
use amazcope_core::model::user::SettingsPatch;
use amazcope_core::{
    ProductId, ProductRepository, SnapshotRepository, StoreError, TrackingRepository, UserRepository,
};
use sqlx::PgPool;

fn opts(price: Option<f64>, bsr: Option<f64>) -> TrackOptions {
    TrackOptions::from_raw(price, bsr, None).unwrap()
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn track_stores_options_and_twice_is_a_conflict(pool: PgPool) {
    let s = store(pool);
    let u = user(&s, "ann").await;
    let p = product(&s, "B000000010", Some(u.id)).await;
    let mut o = opts(Some(5.0), Some(20.0));
    o.target_price = Some(money(1999));
    o.notes = Some("watch".into());
    o.is_primary = true;
    let t = s.track(u.id, p.id, &o).await.unwrap();
    assert_eq!((t.price_change_threshold, t.bsr_change_threshold), (Some(5.0), Some(20.0)));
    assert_eq!((t.target_price, t.notes.as_deref(), t.is_primary), (Some(money(1999)), Some("watch"), true));
    assert_eq!(s.tracking(u.id, p.id).await.unwrap(), Some(t.clone()));

    match s.track(u.id, p.id, &o).await.unwrap_err() {
        StoreError::Conflict { constraint, detail } => {
            assert_eq!(constraint, "uq_user_product");
            assert_eq!(detail, "ann already tracks B000000010 on amazon.com");
        }
        e => panic!("expected conflict, got {e:?}"),
    }
    assert_eq!(
        s.track(u.id, p.id, &o).await.unwrap_err().to_string(),
        "ann already tracks B000000010 on amazon.com",
        "said once, without the constraint"
    );
    assert!(matches!(
        s.track(u.id, ProductId::new_random(), &o).await,
        Err(StoreError::NotFound { entity: "product", .. })
    ));
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn untracked_row_is_reactivated_with_new_options(pool: PgPool) {
    let s = store(pool);
    let u = user(&s, "ann").await;
    let p = product(&s, "B000000011", None).await;
    let first = s.track(u.id, p.id, &opts(Some(5.0), None)).await.unwrap();
    s.untrack(u.id, p.id).await.unwrap();
    assert!(!s.tracking(u.id, p.id).await.unwrap().unwrap().is_active);
    assert!(s.tracked_products(u.id, false).await.unwrap().is_empty());
    assert_eq!(s.tracked_products(u.id, true).await.unwrap().len(), 1);

    let again = s.track(u.id, p.id, &opts(None, Some(12.0))).await.unwrap();
    assert_eq!(again.id, first.id, "same row");
    assert!(again.is_active);
    assert_eq!((again.price_change_threshold, again.bsr_change_threshold), (None, Some(12.0)));
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn update_tracking_sets_clears_and_leaves_fields(pool: PgPool) {
    let s = store(pool);
    let u = user(&s, "ann").await;
    let p = product(&s, "B000000012", None).await;
    s.track(u.id, p.id, &opts(Some(5.0), Some(20.0))).await.unwrap();
    let patch = TrackingPatch {
        price_change_threshold: Some(None),
        target_price: Some(Some(money(999))),
        notes: Some(Some("cheap".into())),
        ..TrackingPatch::default()
    };
    let t = s.update_tracking(u.id, p.id, &patch).await.unwrap();
    assert_eq!(t.price_change_threshold, None);
    assert_eq!(t.bsr_change_threshold, Some(20.0));
    assert_eq!((t.target_price, t.notes.as_deref()), (Some(money(999)), Some("cheap")));
    let other = user(&s, "bob").await;
    assert!(matches!(s.update_tracking(other.id, p.id, &patch).await, Err(StoreError::NotFound { .. })));
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn tracked_products_carry_latest_values_and_drop_soft_deleted(pool: PgPool) {
    let s = store(pool);
    let u = user(&s, "ann").await;
    let p1 = product(&s, "B000000013", None).await;
    let p2 = product(&s, "B000000014", None).await;
    s.track(u.id, p1.id, &TrackOptions::default()).await.unwrap();
    s.track(u.id, p2.id, &TrackOptions::default()).await.unwrap();
    s.insert_snapshot(&snapshot(&p1, day(2, 1), 7)).await.unwrap();

    let list = s.tracked_products(u.id, false).await.unwrap();
    assert_eq!(list.len(), 2);
    let one = list.iter().find(|t| t.product.id == p1.id).unwrap();
    assert_eq!(one.product.current_price, Some(money(1007)));
    assert_eq!(one.tracking.user_id, u.id);

    s.deactivate_product(p2.id).await.unwrap();
    let ids: Vec<ProductId> =
        s.tracked_products(u.id, false).await.unwrap().iter().map(|t| t.product.id).collect();
    assert_eq!(ids, vec![p1.id]);
    assert_eq!(s.tracked_products(u.id, true).await.unwrap().len(), 2);
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn a_page_of_tracked_products_is_the_list_cut_and_leaves_out_what_the_list_does(pool: PgPool) {
    // The page (serve's product list) picks its rows without joining the products, through
    // the partial index of inactive ones: it must leave out exactly what the whole list
    // leaves out (an untracked row, a deactivated product), count the rest, and keep its order.
    let s = store(pool);
    let (u, other) = (user(&s, "ann").await, user(&s, "bob").await);
    let mut products = Vec::new();
    for i in 0..6 {
        let p = product(&s, &format!("B00000002{i}"), None).await;
        s.track(u.id, p.id, &TrackOptions::default()).await.unwrap();
        products.push(p);
    }
    s.track(other.id, products[0].id, &TrackOptions::default()).await.unwrap();
    s.insert_snapshot(&snapshot(&products[2], day(2, 1), 7)).await.unwrap();
    s.deactivate_product(products[1].id).await.unwrap();
    s.untrack(u.id, products[4].id).await.unwrap();

    for include_inactive in [false, true] {
        let whole: Vec<ProductId> =
            s.tracked_products(u.id, include_inactive).await.unwrap().iter().map(|t| t.product.id).collect();
        assert_eq!(whole.len(), if include_inactive { 6 } else { 4 });
        let mut paged = Vec::new();
        for offset in (0..whole.len() as u32 + 2).step_by(3) {
            let (total, page) = s.tracked_products_page(u.id, include_inactive, 3, offset).await.unwrap();
            assert_eq!(total, whole.len() as u64, "offset {offset}");
            assert!(page.iter().all(|t| t.tracking.user_id == u.id));
            paged.extend(page.iter().map(|t| t.product.id));
        }
        assert_eq!(paged, whole, "include_inactive {include_inactive}");
    }
    let (_, page) = s.tracked_products_page(u.id, false, 10, 0).await.unwrap();
    let latest = page.iter().find(|t| t.product.id == products[2].id).unwrap();
    assert_eq!(latest.product.current_price, Some(money(1007)));
    assert!(!page.iter().any(|t| t.product.id == products[1].id), "the deactivated product is left out");
    // Past the end: no rows to carry the count, which the second query gives.
    assert_eq!(s.tracked_products_page(u.id, false, 3, 10).await.unwrap().0, 4);
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn trackers_resolve_thresholds_row_then_settings_then_defaults(pool: PgPool) {
    let s = store(pool.clone());
    let p = product(&s, "B000000015", None).await;
    let own = user(&s, "own").await; // thresholds on the tracking row
    let set = user(&s, "set").await; // thresholds from settings
    let def = user(&s, "def").await; // defaults
    let off = user(&s, "off").await; // untracked
    let gone = user(&s, "gone").await; // inactive user
    s.track(own.id, p.id, &opts(Some(2.0), Some(3.0))).await.unwrap();
    s.track(set.id, p.id, &TrackOptions::default()).await.unwrap();
    s.update_settings(
        set.id,
        &SettingsPatch {
            default_price_threshold: Some(7.0),
            default_bsr_threshold: Some(8.0),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    s.track(def.id, p.id, &TrackOptions::default()).await.unwrap();
    s.track(off.id, p.id, &TrackOptions::default()).await.unwrap();
    s.untrack(off.id, p.id).await.unwrap();
    s.track(gone.id, p.id, &TrackOptions::default()).await.unwrap();
    sqlx::query("UPDATE users SET is_active = false WHERE id = $1")
        .bind(gone.id.0)
        .execute(&pool)
        .await
        .unwrap();

    let mut got: Vec<(String, f64, f64)> = Vec::new();
    for t in s.trackers(p.id).await.unwrap() {
        let name = s.user(t.user_id).await.unwrap().username;
        got.push((name, t.price_change_threshold, t.bsr_change_threshold));
    }
    got.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(got, vec![("def".into(), 10.0, 30.0), ("own".into(), 2.0, 3.0), ("set".into(), 7.0, 8.0)]);

    s.deactivate_product(p.id).await.unwrap();
    assert!(s.trackers(p.id).await.unwrap().is_empty(), "inactive product has no trackers");
}

/// The alert engine's tracker read (SQL) and core's `Thresholds::resolve` are the same
/// fallback, for every combination of a row's own thresholds and the user's defaults; and
/// the schema's column defaults are core's constants.
#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn tracker_thresholds_in_sql_equal_the_core_fallback(pool: PgPool) {
    use amazcope_core::model::tracking::{DEFAULT_BSR_THRESHOLD, DEFAULT_PRICE_THRESHOLD, Thresholds};
    let s = store(pool.clone());
    let p = product(&s, "B000000019", None).await;
    type Case = (&'static str, Option<f64>, Option<f64>, Option<(f64, f64)>);
    let cases: [Case; 4] = [
        ("own", Some(2.0), Some(8.0), Some((4.0, 12.0))),
        ("mixed", None, Some(8.0), Some((4.0, 12.0))),
        ("settings", None, None, Some((4.0, 12.0))),
        ("defaults", None, None, None),
    ];
    let mut expected = Vec::new();
    for (name, price, bsr, defaults) in cases {
        let u = user(&s, name).await;
        let user_defaults = match defaults {
            Some((dp, db)) => {
                let patch = SettingsPatch {
                    default_price_threshold: Some(dp),
                    default_bsr_threshold: Some(db),
                    ..SettingsPatch::default()
                };
                s.update_settings(u.id, &patch).await.unwrap();
                Some(Thresholds { price: dp, bsr: db })
            }
            None => None,
        };
        s.track(u.id, p.id, &opts(price, bsr)).await.unwrap();
        expected.push((u.id, Thresholds::resolve(price, bsr, user_defaults)));
    }
    let trackers = s.trackers(p.id).await.unwrap();
    assert_eq!(trackers.len(), 4);
    for (user, want) in expected {
        let t = trackers.iter().find(|t| t.user_id == user).unwrap();
        assert_eq!(Thresholds { price: t.price_change_threshold, bsr: t.bsr_change_threshold }, want);
    }
    let defaults: Vec<(String, String)> = sqlx::query_as(
        "SELECT table_name || '.' || column_name, column_default FROM information_schema.columns
          WHERE column_name IN ('default_price_threshold', 'default_bsr_threshold')
          ORDER BY 1",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let parse =
        |d: &str| d.trim_start_matches('(').split("::").next().unwrap().trim_end_matches(')').parse::<f64>();
    assert_eq!(
        defaults.iter().map(|(c, d)| (c.as_str(), parse(d).unwrap())).collect::<Vec<_>>(),
        vec![
            ("user_settings.default_bsr_threshold", DEFAULT_BSR_THRESHOLD),
            ("user_settings.default_price_threshold", DEFAULT_PRICE_THRESHOLD),
        ]
    );
}
