//! Every named check and unique constraint rejects what it names.

use super::*;

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn rating_seven_is_rejected_by_chk_products_rating(pool: PgPool) {
    let p = product(&pool, "B00004YS4O", None).await;
    let r = sqlx::query("UPDATE products SET rating = 7 WHERE id = $1").bind(p).execute(&pool).await;
    assert_eq!(violated(r), "chk_products_rating");
    let ok = sqlx::query("UPDATE products SET rating = 4.5 WHERE id = $1").bind(p).execute(&pool).await;
    assert!(ok.is_ok(), "4.5 is a valid rating: {ok:?}");
    let r = sqlx::query("INSERT INTO product_snapshots (product_id, scraped_at, rating) VALUES ($1, $2, 7)")
        .bind(p)
        .bind(recent())
        .execute(&pool)
        .await;
    assert_eq!(violated(r), "chk_product_snapshots_rating");
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn threshold_101_is_rejected(pool: PgPool) {
    let u = user(&pool, "alice").await;
    let p = product(&pool, "B00004YS4O", Some(u)).await;
    let r = sqlx::query(
        "INSERT INTO user_products (user_id, product_id, price_change_threshold) VALUES ($1, $2, 101)",
    )
    .bind(u)
    .bind(p)
    .execute(&pool)
    .await;
    assert_eq!(violated(r), "chk_user_products_price_change_threshold");
    let r = sqlx::query(
        "INSERT INTO user_products (user_id, product_id, bsr_change_threshold) VALUES ($1, $2, 101)",
    )
    .bind(u)
    .bind(p)
    .execute(&pool)
    .await;
    assert_eq!(violated(r), "chk_user_products_bsr_change_threshold");
    let r = sqlx::query("UPDATE products SET price_change_threshold = 101 WHERE id = $1")
        .bind(p)
        .execute(&pool)
        .await;
    assert_eq!(violated(r), "chk_products_price_change_threshold");
    let r = sqlx::query("INSERT INTO user_settings (user_id, default_bsr_threshold) VALUES ($1, 101)")
        .bind(u)
        .execute(&pool)
        .await;
    assert_eq!(violated(r), "chk_user_settings_default_bsr_threshold");
    let ok = sqlx::query(
        "INSERT INTO user_products (user_id, product_id, price_change_threshold) VALUES ($1, $2, 100)",
    )
    .bind(u)
    .bind(p)
    .execute(&pool)
    .await;
    assert!(ok.is_ok(), "100 is allowed: {ok:?}");
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn duplicate_asin_and_marketplace_is_rejected(pool: PgPool) {
    product(&pool, "B00004YS4O", None).await;
    let r = sqlx::query(
        "INSERT INTO products (asin, marketplace, title, url) VALUES ('B00004YS4O', 'com', 't', 'u')",
    )
    .execute(&pool)
    .await;
    assert_eq!(violated(r), "uq_product_asin_marketplace");
    let other_market = sqlx::query(
        "INSERT INTO products (asin, marketplace, title, url) VALUES ('B00004YS4O', 'de', 't', 'u')",
    )
    .execute(&pool)
    .await;
    assert!(
        other_market.is_ok(),
        "same ASIN on another marketplace is a different product: {other_market:?}"
    );
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn bad_asin_marketplace_and_enum_values_are_rejected(pool: PgPool) {
    let r = sqlx::query("INSERT INTO products (asin, title, url) VALUES ('b00004ys4o', 't', 'u')")
        .execute(&pool)
        .await;
    assert_eq!(violated(r), "chk_products_asin");
    let r = sqlx::query(
        "INSERT INTO products (asin, marketplace, title, url) VALUES ('B00004YS4O', 'moon', 't', 'u')",
    )
    .execute(&pool)
    .await;
    assert_eq!(violated(r), "chk_products_marketplace");
    let p = product(&pool, "B00004YS4O", None).await;
    let r = sqlx::query("UPDATE products SET track_frequency = 'weekly' WHERE id = $1")
        .bind(p)
        .execute(&pool)
        .await;
    assert_eq!(violated(r), "chk_products_track_frequency");
    let r = sqlx::query("UPDATE products SET last_fetch_status = 'meh' WHERE id = $1")
        .bind(p)
        .execute(&pool)
        .await;
    assert_eq!(violated(r), "chk_products_last_fetch_status");
    let r = sqlx::query("UPDATE products SET current_price = -1 WHERE id = $1").bind(p).execute(&pool).await;
    assert_eq!(violated(r), "chk_products_current_price");
    let u = user(&pool, "alice").await;
    let r = sqlx::query(
        "INSERT INTO alerts (alert_type, title, message, product_id, user_id) VALUES ('price_increase', 't', 'm', $1, $2)",
    )
    .bind(p)
    .bind(u)
    .execute(&pool)
    .await;
    assert_eq!(violated(r), "chk_alerts_alert_type");
    let r = sqlx::query("INSERT INTO notifications (user_id, notification_type, title, message, status) VALUES ($1, 'system', 't', 'm', 'gone')")
        .bind(u)
        .execute(&pool)
        .await;
    assert_eq!(violated(r), "chk_notifications_status");
    let too_old = Utc.with_ymd_and_hms(2023, 12, 31, 0, 0, 0).unwrap();
    let r = sqlx::query("INSERT INTO product_snapshots (product_id, scraped_at) VALUES ($1, $2)")
        .bind(p)
        .bind(too_old)
        .execute(&pool)
        .await;
    assert_eq!(violated(r), "chk_product_snapshots_scraped_at");
    let r = sqlx::query("INSERT INTO product_snapshots (product_id, scraped_at) VALUES ($1, $2)")
        .bind(p)
        .bind(Utc::now() + Duration::days(3))
        .execute(&pool)
        .await;
    assert_eq!(violated(r), "chk_product_snapshots_scraped_at");
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn a_user_cannot_track_a_product_twice(pool: PgPool) {
    let u = user(&pool, "alice").await;
    let p = product(&pool, "B00004YS4O", Some(u)).await;
    let q = "INSERT INTO user_products (user_id, product_id) VALUES ($1, $2)";
    sqlx::query(q).bind(u).bind(p).execute(&pool).await.unwrap();
    assert_eq!(violated(sqlx::query(q).bind(u).bind(p).execute(&pool).await), "uq_user_product");
    let bob = user(&pool, "bob").await;
    assert!(sqlx::query(q).bind(bob).bind(p).execute(&pool).await.is_ok(), "another user may track it");
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn a_user_has_at_most_one_settings_row(pool: PgPool) {
    let u = user(&pool, "alice").await;
    let q = "INSERT INTO user_settings (user_id) VALUES ($1)";
    sqlx::query(q).bind(u).execute(&pool).await.unwrap();
    assert_eq!(violated(sqlx::query(q).bind(u).execute(&pool).await), "uq_user_settings_user");
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn the_same_snapshot_twice_is_rejected(pool: PgPool) {
    let p = product(&pool, "B00004YS4O", None).await;
    let at = recent();
    snapshot(&pool, p, at).await;
    let r = sqlx::query("INSERT INTO product_snapshots (product_id, scraped_at) VALUES ($1, $2)")
        .bind(p)
        .bind(at)
        .execute(&pool)
        .await;
    assert_eq!(violated(r), "uq_product_snapshots_product_scraped");
    // ON CONFLICT on the named constraint (how idempotent ingest is written) keeps one row.
    let r = sqlx::query(
        "INSERT INTO product_snapshots (product_id, scraped_at) VALUES ($1, $2) \
         ON CONFLICT ON CONSTRAINT uq_product_snapshots_product_scraped DO NOTHING",
    )
    .bind(p)
    .bind(at)
    .execute(&pool)
    .await
    .unwrap();
    assert_eq!(r.rows_affected(), 0);
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM product_snapshots WHERE product_id = $1")
        .bind(p)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(n, 1);
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn one_alert_per_user_snapshot_and_type(pool: PgPool) {
    let u = user(&pool, "alice").await;
    let p = product(&pool, "B00004YS4O", Some(u)).await;
    let at = recent();
    let s = snapshot(&pool, p, at).await;
    alert(&pool, u, p, Some((s, at))).await;
    let r = sqlx::query(
        "INSERT INTO alerts (alert_type, title, message, product_id, user_id, snapshot_id, snapshot_scraped_at) \
         VALUES ('price_change', 't', 'm', $1, $2, $3, $4)",
    )
    .bind(p)
    .bind(u)
    .bind(s)
    .bind(at)
    .execute(&pool)
    .await;
    assert_eq!(violated(r), "uq_alerts_user_snapshot_type");
    // Half a snapshot reference would escape the foreign key (MATCH SIMPLE).
    let r = sqlx::query(
        "INSERT INTO alerts (alert_type, title, message, product_id, user_id, snapshot_id) \
         VALUES ('bsr_change', 't', 'm', $1, $2, $3)",
    )
    .bind(p)
    .bind(u)
    .bind(s)
    .execute(&pool)
    .await;
    assert_eq!(violated(r), "chk_alerts_snapshot_scraped_at");
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn categories_without_an_amazon_id_are_unique_by_place_in_the_tree(pool: PgPool) {
    let q = "INSERT INTO categories (marketplace, name, parent_id) VALUES ('com', 'Toys', $1)";
    sqlx::query(q).bind(None::<Uuid>).execute(&pool).await.unwrap();
    let r = sqlx::query(q).bind(None::<Uuid>).execute(&pool).await;
    assert_eq!(violated(r), "uq_categories_marketplace_parent_name");
    let q2 = "INSERT INTO categories (category_id, marketplace, name) VALUES ('toys', 'com', 'Toys')";
    sqlx::query(q2).execute(&pool).await.unwrap();
    assert_eq!(violated(sqlx::query(q2).execute(&pool).await), "uq_category_marketplace");
}
