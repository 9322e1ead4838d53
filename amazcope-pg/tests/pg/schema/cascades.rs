//! Cascades, SET NULL, triggers and generated columns do their job.

use super::*;

// ----- cascades and SET NULL -----------------------------------------------------------

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn deleting_a_user_cascades_and_clears_created_by(pool: PgPool) {
    let alice = user(&pool, "alice").await;
    let bob = user(&pool, "bob").await;
    let p = product(&pool, "B00004YS4O", Some(alice)).await;
    for u in [alice, bob] {
        sqlx::query("INSERT INTO user_products (user_id, product_id) VALUES ($1, $2)")
            .bind(u)
            .bind(p)
            .execute(&pool)
            .await
            .unwrap();
        sqlx::query("INSERT INTO user_settings (user_id) VALUES ($1)").bind(u).execute(&pool).await.unwrap();
        alert(&pool, u, p, None).await;
        sqlx::query("INSERT INTO notifications (user_id, product_id, notification_type, title, message) VALUES ($1, $2, 'system', 't', 'm')")
            .bind(u)
            .bind(p)
            .execute(&pool)
            .await
            .unwrap();
    }

    sqlx::query("DELETE FROM users WHERE id = $1").bind(alice).execute(&pool).await.unwrap();

    for table in ["user_products", "alerts", "notifications", "user_settings"] {
        let sql = format!("SELECT count(*) FROM {table} WHERE user_id = $1");
        let gone: i64 =
            sqlx::query_scalar(sqlx::AssertSqlSafe(sql.clone())).bind(alice).fetch_one(&pool).await.unwrap();
        assert_eq!(gone, 0, "{table} rows of the deleted user remain");
        let kept: i64 =
            sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).bind(bob).fetch_one(&pool).await.unwrap();
        assert_eq!(kept, 1, "{table} rows of the other user must stay");
    }
    let created_by: Option<Uuid> = sqlx::query_scalar("SELECT created_by_id FROM products WHERE id = $1")
        .bind(p)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(created_by, None, "products.created_by_id is SET NULL, the product stays");
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn deleting_a_snapshot_clears_both_alert_columns(pool: PgPool) {
    let u = user(&pool, "alice").await;
    let p = product(&pool, "B00004YS4O", Some(u)).await;
    let at = recent();
    let s = snapshot(&pool, p, at).await;
    let keep_at = at - Duration::hours(1);
    let s2 = snapshot(&pool, p, keep_at).await;
    let a = alert(&pool, u, p, Some((s, at))).await;
    let a2 = alert(&pool, u, p, Some((s2, keep_at))).await;

    sqlx::query("DELETE FROM product_snapshots WHERE id = $1").bind(s).execute(&pool).await.unwrap();

    let (sid, sat): (Option<Uuid>, Option<DateTime<Utc>>) =
        sqlx::query_as("SELECT snapshot_id, snapshot_scraped_at FROM alerts WHERE id = $1")
            .bind(a)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!((sid, sat), (None, None));
    let (sid2, sat2): (Option<Uuid>, Option<DateTime<Utc>>) =
        sqlx::query_as("SELECT snapshot_id, snapshot_scraped_at FROM alerts WHERE id = $1")
            .bind(a2)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(sid2, Some(s2), "an alert on another snapshot keeps its reference");
    assert_eq!(sat2.map(|t| t.timestamp_micros()), Some(keep_at.timestamp_micros()));
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn deleting_a_product_removes_its_dependents(pool: PgPool) {
    let u = user(&pool, "alice").await;
    let p = product(&pool, "B00004YS4O", Some(u)).await;
    let other = product(&pool, "B000000002", Some(u)).await;
    for prod in [p, other] {
        let at = recent();
        let s = snapshot(&pool, prod, at).await;
        alert(&pool, u, prod, Some((s, at))).await;
        sqlx::query("INSERT INTO reviews (product_id, review_id, rating) VALUES ($1, $2, 4)")
            .bind(prod)
            .bind(prod.to_string())
            .execute(&pool)
            .await
            .unwrap();
        sqlx::query("INSERT INTO user_products (user_id, product_id) VALUES ($1, $2)")
            .bind(u)
            .bind(prod)
            .execute(&pool)
            .await
            .unwrap();
    }
    sqlx::query("DELETE FROM products WHERE id = $1").bind(p).execute(&pool).await.unwrap();
    for table in ["product_snapshots", "alerts", "reviews", "user_products"] {
        let sql = format!("SELECT count(*) FROM {table} WHERE product_id = $1");
        let gone: i64 =
            sqlx::query_scalar(sqlx::AssertSqlSafe(sql.clone())).bind(p).fetch_one(&pool).await.unwrap();
        assert_eq!(gone, 0, "{table} rows of the deleted product remain");
        let kept: i64 =
            sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).bind(other).fetch_one(&pool).await.unwrap();
        assert_eq!(kept, 1, "{table} rows of the other product must stay");
    }
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn suggestion_actions_go_with_their_suggestion_and_reviewers_are_cleared(pool: PgPool) {
    let u = user(&pool, "alice").await;
    let reviewer = user(&pool, "rita").await;
    let s: Uuid = sqlx::query_scalar(
        "INSERT INTO suggestions (user_id, title, description, reasoning, category, dedup_key, reviewed_by_id) \
         VALUES ($1, 't', 'd', 'r', 'pricing', 'k', $2) RETURNING id",
    )
    .bind(u)
    .bind(reviewer)
    .fetch_one(&pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO suggestion_actions (suggestion_id, action_type, target_field, proposed_value, reasoning, applied_by_id) \
         VALUES ($1, 'update_price', 'price', '9.99', 'r', $2)",
    )
    .bind(s)
    .bind(reviewer)
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query("DELETE FROM users WHERE id = $1").bind(reviewer).execute(&pool).await.unwrap();
    let (by, applied_by): (Option<Uuid>, Option<Uuid>) = sqlx::query_as(
        "SELECT s.reviewed_by_id, a.applied_by_id FROM suggestions s JOIN suggestion_actions a ON a.suggestion_id = s.id",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((by, applied_by), (None, None));
    // A second pending suggestion with the same dedup key is refused...
    let dup = sqlx::query(
        "INSERT INTO suggestions (user_id, title, description, reasoning, category, dedup_key) VALUES ($1, 't', 'd', 'r', 'pricing', 'k')",
    )
    .bind(u)
    .execute(&pool)
    .await;
    assert_eq!(violated(dup), "uq_suggestions_user_dedup_pending");
    sqlx::query("DELETE FROM suggestions WHERE id = $1").bind(s).execute(&pool).await.unwrap();
    let n: i64 =
        sqlx::query_scalar("SELECT count(*) FROM suggestion_actions").fetch_one(&pool).await.unwrap();
    assert_eq!(n, 0);
}

// ----- triggers and generated columns --------------------------------------------------

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn updated_at_is_maintained_by_the_database(pool: PgPool) {
    let u = user(&pool, "alice").await;
    let p = product(&pool, "B00004YS4O", Some(u)).await;
    let at = recent();
    let s = snapshot(&pool, p, at).await;
    // Back-date first (an explicit value is kept), then a plain update must move it to now().
    let old = Utc.with_ymd_and_hms(2024, 6, 1, 0, 0, 0).unwrap();
    for (table, id) in [("users", u), ("products", p), ("product_snapshots", s)] {
        let set_old = format!("UPDATE {table} SET updated_at = $2 WHERE id = $1 RETURNING updated_at");
        let kept: DateTime<Utc> = sqlx::query_scalar(sqlx::AssertSqlSafe(set_old))
            .bind(id)
            .bind(old)
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(kept, old, "{table}: an explicit updated_at is kept");
    }
    let before = Utc::now() - Duration::seconds(5);
    let t1: DateTime<Utc> =
        sqlx::query_scalar("UPDATE users SET full_name = 'Alice' WHERE id = $1 RETURNING updated_at")
            .bind(u)
            .fetch_one(&pool)
            .await
            .unwrap();
    let t2: DateTime<Utc> =
        sqlx::query_scalar("UPDATE products SET title = 'New' WHERE id = $1 RETURNING updated_at")
            .bind(p)
            .fetch_one(&pool)
            .await
            .unwrap();
    let t3: DateTime<Utc> =
        sqlx::query_scalar("UPDATE product_snapshots SET price = 9 WHERE id = $1 RETURNING updated_at")
            .bind(s)
            .fetch_one(&pool)
            .await
            .unwrap();
    for (table, t) in [("users", t1), ("products", t2), ("product_snapshots", t3)] {
        assert!(t > before, "{table}.updated_at was not refreshed: {t}");
    }
    let triggers: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid \
         WHERE t.tgname LIKE 'trg_%_updated_at' AND NOT t.tgisinternal AND NOT c.relispartition",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    // product_daily's (0008) was dropped by 0011: its merge sets updated_at itself.
    assert_eq!(triggers, 13, "one updated_at trigger per table but product_daily");
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn product_updated_at_tracks_the_record_not_the_latest_values(pool: PgPool) {
    let u = user(&pool, "alice").await;
    let p = product(&pool, "B00004YS4O", Some(u)).await;
    let old = Utc.with_ymd_and_hms(2024, 6, 1, 0, 0, 0).unwrap();
    let hash = vec![7u8; 32];
    let reset = || {
        sqlx::query("UPDATE products SET updated_at = $2, catalog_hash = $3 WHERE id = $1")
            .bind(p)
            .bind(old)
            .bind(hash.clone())
            .execute(&pool)
    };
    reset().await.unwrap();
    let update = |set: &'static str| {
        let pool = pool.clone();
        async move {
            let sql = format!("UPDATE products SET {set} WHERE id = $1 RETURNING updated_at, catalog_hash");
            sqlx::query_as::<_, (DateTime<Utc>, Option<Vec<u8>>)>(sqlx::AssertSqlSafe(sql))
                .bind(p)
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    // Latest values, fetch outcome and queue bookkeeping: not a change of the record.
    for set in [
        "current_price = 12.34, current_bsr = 77, rating = 4.1, review_count = 9, in_stock = false",
        "last_snapshot_at = now(), last_fetch_status = 'ok', last_fetch_at = now()",
        "next_refresh_at = now(), lease_owner = 'w1', lease_expires_at = now()",
        "amazons_choice_keywords = '[\"mug\"]', has_amazons_choice = true",
    ] {
        assert_eq!(update(set).await, (old, Some(hash.clone())), "{set}");
    }
    // Writing the record's values as they are is no change either.
    assert_eq!(update("title = title, features = features").await, (old, Some(hash.clone())));
    // The record: catalogue data, settings, status.
    for set in [
        "title = 'Renamed'",
        "features = '[\"Holds tea\"]'",
        "price_change_threshold = 5",
        "is_unlisted = true, unlisted_at = now()",
        "is_active = false",
    ] {
        reset().await.unwrap();
        let (updated_at, catalog_hash) = update(set).await;
        assert!(updated_at > old, "{set} must refresh updated_at");
        assert_eq!(catalog_hash, None, "{set}: the record is no longer the page data hashed");
    }
    // Ingest writes a page's data with its hash, which is then kept.
    reset().await.unwrap();
    let (updated_at, catalog_hash) =
        update("title = 'From the page', catalog_hash = decode(repeat('ab', 32), 'hex')").await;
    assert!(updated_at > old);
    assert_eq!(catalog_hash, Some(vec![0xab; 32]));
    // Room on each page for a row's next version, which a HOT update needs.
    let options: Vec<String> =
        sqlx::query_scalar("SELECT unnest(reloptions) FROM pg_class WHERE oid = 'products'::regclass")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(options, ["fillfactor=70"]);
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn notification_is_read_follows_status(pool: PgPool) {
    let u = user(&pool, "alice").await;
    let n: Uuid = sqlx::query_scalar(
        "INSERT INTO notifications (user_id, notification_type, title, message) VALUES ($1, 'system', 't', 'm') RETURNING id",
    )
    .bind(u)
    .fetch_one(&pool)
    .await
    .unwrap();
    let read = |status: &'static str| {
        let pool = pool.clone();
        async move {
            sqlx::query_scalar::<_, bool>(
                "UPDATE notifications SET status = $2 WHERE id = $1 RETURNING is_read",
            )
            .bind(n)
            .bind(status)
            .fetch_one(&pool)
            .await
            .unwrap()
        }
    };
    let (status, is_read, data): (String, bool, serde_json::Value) =
        sqlx::query_as("SELECT status, is_read, data FROM notifications WHERE id = $1")
            .bind(n)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!((status.as_str(), is_read), ("unread", false));
    assert_eq!(data, serde_json::json!({}));
    assert!(read("read").await);
    assert!(read("archived").await);
    assert!(!read("unread").await);
    let r = sqlx::query("UPDATE notifications SET is_read = true WHERE id = $1").bind(n).execute(&pool).await;
    assert!(r.is_err(), "is_read cannot be written directly");
}
