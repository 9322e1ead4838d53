//! Row-level security (migration 0015, issue 16) tested in SQL, below the repositories: a
//! query that forgets its `WHERE user_id` still sees only the acting user's rows.
//!
//! These tests must run as a role WITHOUT superuser and WITHOUT BYPASSRLS (superusers pass
//! around every policy): `scripts/test` runs this module, `tenancy`, `repos` and `ingest` with
//! `DATABASE_URL` pointing at such a role (`scripts/test-db-roles`). Run elsewhere, the first
//! assertion says so instead of passing vacuously.

use crate::repos::common::*;
use amazcope_core::model::suggestion::{NewSuggestion, NewSuggestionAction};
use amazcope_core::model::tracking::TrackOptions;
use amazcope_core::{
    ActionType, AlertRepository, SnapshotRepository, SuggestionCategory, SuggestionPriority,
    SuggestionRepository, TrackingRepository, UserRepository,
};
use amazcope_pg::testing::price_alert;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

/// Every tenant table, with the column naming its owner (suggestion_actions: through its
/// suggestion).
const TENANT_TABLES: [&str; 8] = [
    "user_settings",
    "user_products",
    "alerts",
    "notifications",
    "suggestions",
    "suggestion_actions",
    "notification_channels",
    "notification_deliveries",
];

async fn assert_restricted_role(pool: &PgPool) {
    let (name, sup, bypass): (String, bool, bool) = sqlx::query_as(
        "SELECT rolname::text, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert!(
        !sup && !bypass,
        "connected as {name} (superuser {sup}, bypassrls {bypass}): row-level security is not applied to \
         it; run with DATABASE_URL of a role without both (scripts/test-db-roles)"
    );
}

/// Alice with a tracked product, a setting row, an alert with its notification and a
/// suggestion with one action; Bob with a tracked product of his own. Returns (alice, bob).
async fn two_tenants(pool: &PgPool) -> (Uuid, Uuid) {
    let s = store(pool.clone());
    let a = user(&s, "alice").await;
    let b = user(&s, "bob").await;
    let p = product(&s, "B000000091", Some(a.id)).await;
    let q = product(&s, "B000000092", Some(b.id)).await;
    s.track(a.id, p.id, &TrackOptions::default()).await.unwrap();
    s.track(b.id, q.id, &TrackOptions::default()).await.unwrap();
    s.settings(a.id).await.unwrap();
    // A webhook channel: the alert below gets a delivery row beside its notification.
    s.add_channel(amazcope_core::delivery::NewChannel {
        user_id: a.id,
        kind: amazcope_core::delivery::ChannelKind::Webhook,
        target: "http://127.0.0.1:9/hook".into(),
        format: None,
        min_priority: None,
        types: None,
        secret: Some("s3cret".into()),
    })
    .await
    .unwrap();
    let snap = s.insert_snapshot(&snapshot(&p, day(7, 1), 1)).await.unwrap();
    s.create_alerts(&[price_alert(a.id, p.id, snap.id, day(7, 1))]).await.unwrap();
    s.create_suggestion(&NewSuggestion {
        user_id: a.id,
        product_id: Some(p.id),
        title: "raise threshold".into(),
        description: "d".into(),
        reasoning: "r".into(),
        priority: SuggestionPriority::High,
        category: SuggestionCategory::Tracking,
        ai_model: "rules-v1".into(),
        confidence_score: None,
        expires_at: None,
        estimated_impact: None,
        dedup_key: "k".into(),
        actions: vec![NewSuggestionAction {
            action_type: ActionType::AdjustPriceThreshold,
            target_field: "price_change_threshold".into(),
            current_value: None,
            proposed_value: "7".into(),
            reasoning: "r".into(),
            impact_description: None,
        }],
    })
    .await
    .unwrap()
    .expect("suggestion created");
    (a.id.0, b.id.0)
}

/// Rows of `table` whose owner is `owner`, counted inside a transaction acting as `acting`
/// (`None`: no acting user set), without any filter on the acting user.
async fn count_owned(conn: &mut PgConnection, table: &str, owner: Uuid, acting: Option<Uuid>) -> i64 {
    let mut tx = sqlx::Connection::begin(&mut *conn).await.unwrap();
    if let Some(u) = acting {
        sqlx::query("SELECT set_config('amazcope.user_id', $1, true)")
            .bind(u.to_string())
            .execute(&mut *tx)
            .await
            .unwrap();
    }
    let sql = if table == "suggestion_actions" {
        "SELECT count(*) FROM suggestion_actions a JOIN suggestions s ON s.id = a.suggestion_id \
         WHERE s.user_id = $1"
            .to_owned()
    } else {
        format!("SELECT count(*) FROM {table} WHERE user_id = $1")
    };
    let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).bind(owner).fetch_one(&mut *tx).await.unwrap();
    tx.rollback().await.unwrap();
    n
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn another_user_reads_none_of_alices_rows(pool: PgPool) {
    assert_restricted_role(&pool).await;
    let (alice, bob) = two_tenants(&pool).await;
    let mut conn = pool.acquire().await.unwrap();
    for table in TENANT_TABLES {
        // Alice sees her own row (so the zero below is the policy's, not an empty table)...
        assert!(count_owned(&mut conn, table, alice, Some(alice)).await >= 1, "alice's {table}");
        // ...Bob, asking for Alice's rows by her id, gets none.
        assert_eq!(count_owned(&mut conn, table, alice, Some(bob)).await, 0, "bob reads alice's {table}");
    }
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn no_acting_user_reads_every_tenant_table_empty(pool: PgPool) {
    assert_restricted_role(&pool).await;
    let (alice, bob) = two_tenants(&pool).await;
    let mut conn = pool.acquire().await.unwrap();
    for table in TENANT_TABLES {
        let all: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT count(*) FROM {table}")))
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        assert_eq!(all, 0, "{table} without an acting user");
        assert_eq!(count_owned(&mut conn, table, alice, None).await, 0, "{table}, alice's rows, no user");
    }
    // A setting left from an earlier transaction reads as '' afterwards: still nobody.
    assert!(count_owned(&mut conn, "alerts", alice, Some(alice)).await >= 1);
    let after: i64 = sqlx::query_scalar("SELECT count(*) FROM alerts").fetch_one(&mut *conn).await.unwrap();
    assert_eq!(after, 0, "the acting user ends with its transaction");
    // Writes without an acting user change nothing and insert nothing.
    let updated = sqlx::query("UPDATE user_products SET notes = 'x'").execute(&mut *conn).await.unwrap();
    assert_eq!(updated.rows_affected(), 0);
    let insert = sqlx::query(
        "INSERT INTO user_settings (user_id) SELECT id FROM users WHERE id = $1 ON CONFLICT DO NOTHING",
    )
    .bind(bob)
    .execute(&mut *conn)
    .await;
    assert!(insert.is_err(), "insert without an acting user: {insert:?}");
}

/// The reads end their transaction by dropping it (`tenant::end_read`: the rollback goes out
/// with the pool's release check): the next caller of the same connection acts as nobody.
#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn a_read_leaves_its_connection_to_the_next_caller_as_nobody(pool: PgPool) {
    assert_restricted_role(&pool).await;
    let (alice, _) = two_tenants(&pool).await;
    // One connection, so every call below runs on the connection the read used.
    let one = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect_with(pool.connect_options().as_ref().clone())
        .await
        .unwrap();
    let s = store(one.clone());
    let (total, page) = s.tracked_products_page(alice.into(), false, 10, 0).await.unwrap();
    assert_eq!((total, page.len()), (1, 1), "alice's page");
    assert_eq!(s.alerts(alice.into(), &Default::default()).await.unwrap().len(), 1, "alice's alerts");
    let (setting, in_tx, alerts): (String, bool, i64) = sqlx::query_as(
        "SELECT coalesce(current_setting('amazcope.user_id', true), ''),
                -- the read's lock on user_products is held until its transaction ends
                EXISTS (SELECT FROM pg_locks WHERE pid = pg_backend_pid()
                        AND relation = 'user_products'::regclass),
                (SELECT count(*) FROM alerts)",
    )
    .fetch_one(&one)
    .await
    .unwrap();
    assert_eq!(setting, "", "the acting user outlived the read");
    assert!(!in_tx, "the read's transaction is still open");
    assert_eq!(alerts, 0, "the next caller sees alice's alerts");
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn another_user_changes_and_deletes_none_of_alices_rows(pool: PgPool) {
    assert_restricted_role(&pool).await;
    let (alice, bob) = two_tenants(&pool).await;
    let mut conn = pool.acquire().await.unwrap();
    let mut tx = sqlx::Connection::begin(&mut *conn).await.unwrap();
    sqlx::query("SELECT set_config('amazcope.user_id', $1, true)")
        .bind(bob.to_string())
        .execute(&mut *tx)
        .await
        .unwrap();
    let writes = [
        ("UPDATE alerts SET is_read = true WHERE user_id = $1", "alerts"),
        ("UPDATE notifications SET status = 'archived' WHERE user_id = $1", "notifications"),
        ("UPDATE suggestions SET title = 'pwned' WHERE user_id = $1", "suggestions"),
        (
            "UPDATE suggestion_actions SET proposed_value = '1' \
             WHERE suggestion_id IN (SELECT id FROM suggestions WHERE user_id = $1)",
            "suggestion_actions",
        ),
        ("UPDATE user_products SET notes = 'pwned' WHERE user_id = $1", "user_products"),
        ("UPDATE user_settings SET theme = 'dark' WHERE user_id = $1", "user_settings"),
        ("UPDATE notification_channels SET target = 'http://evil.invalid/' WHERE user_id = $1", "channels"),
        ("UPDATE notification_deliveries SET status = 'dead' WHERE user_id = $1", "deliveries"),
        ("DELETE FROM notification_deliveries WHERE user_id = $1", "deliveries"),
        ("DELETE FROM notification_channels WHERE user_id = $1", "channels"),
        // Moving one of Bob's own rows onto Alice is refused by WITH CHECK (below), and
        // deleting hers removes nothing.
        ("DELETE FROM notifications WHERE user_id = $1", "notifications"),
        ("DELETE FROM alerts WHERE user_id = $1", "alerts"),
        ("DELETE FROM suggestions WHERE user_id = $1", "suggestions"),
        ("DELETE FROM user_products WHERE user_id = $1", "user_products"),
        ("DELETE FROM user_settings WHERE user_id = $1", "user_settings"),
    ];
    for (sql, table) in writes {
        let done = sqlx::query(sql).bind(alice).execute(&mut *tx).await.unwrap();
        assert_eq!(done.rows_affected(), 0, "bob: {sql}");
        let _ = table;
    }
    // Bob's own tracking row handed to Alice: WITH CHECK refuses the new owner.
    let handed = sqlx::query("UPDATE user_products SET user_id = $1 WHERE user_id = $2")
        .bind(alice)
        .bind(bob)
        .execute(&mut *tx)
        .await;
    assert!(handed.is_err(), "bob moves his row to alice: {handed:?}");
    tx.rollback().await.unwrap();
    // Alice's rows are all still there, unchanged.
    for table in TENANT_TABLES {
        assert!(count_owned(&mut conn, table, alice, Some(alice)).await >= 1, "alice's {table} kept");
    }
    let title: String = {
        let mut tx = sqlx::Connection::begin(&mut *conn).await.unwrap();
        sqlx::query("SELECT set_config('amazcope.user_id', $1, true)")
            .bind(alice.to_string())
            .execute(&mut *tx)
            .await
            .unwrap();
        sqlx::query_scalar("SELECT title FROM suggestions").fetch_one(&mut *tx).await.unwrap()
    };
    assert_eq!(title, "raise threshold");
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn another_user_cannot_insert_rows_for_alice(pool: PgPool) {
    assert_restricted_role(&pool).await;
    let (alice, bob) = two_tenants(&pool).await;
    let product: Uuid = sqlx::query_scalar("SELECT id FROM products WHERE asin = 'B000000092'")
        .fetch_one(&pool)
        .await
        .unwrap();
    let inserts = [
        "INSERT INTO user_products (user_id, product_id) VALUES ($1, $2)",
        "INSERT INTO notifications (user_id, product_id, notification_type, title, message)
         VALUES ($1, $2, 'system', 't', 'm')",
        "INSERT INTO suggestions (user_id, product_id, title, description, reasoning, priority,
             category, ai_model, dedup_key)
         VALUES ($1, $2, 't', 'd', 'r', 'low', 'tracking', 'x', 'other')",
        "INSERT INTO alerts (user_id, product_id, alert_type, severity, title, message)
         VALUES ($1, $2, 'price_change', 'info', 't', 'm')",
        "INSERT INTO notification_channels (user_id, kind, target)
         SELECT $1, 'webhook', 'http://127.0.0.1:9/' || $2::text",
    ];
    let mut conn = pool.acquire().await.unwrap();
    for sql in inserts {
        let mut tx = sqlx::Connection::begin(&mut *conn).await.unwrap();
        sqlx::query("SELECT set_config('amazcope.user_id', $1, true)")
            .bind(bob.to_string())
            .execute(&mut *tx)
            .await
            .unwrap();
        let err = sqlx::query(sql).bind(alice).bind(product).execute(&mut *tx).await.unwrap_err();
        let code = err.as_database_error().and_then(|e| e.code()).map(|c| c.into_owned());
        // 42501 insufficient_privilege: "new row violates row-level security policy".
        assert_eq!(code.as_deref(), Some("42501"), "bob inserts for alice: {sql}: {err}");
        tx.rollback().await.unwrap();
    }
    // The same inserts for Bob himself pass (so the refusal above is the policy's).
    let mut tx = sqlx::Connection::begin(&mut *conn).await.unwrap();
    sqlx::query("SELECT set_config('amazcope.user_id', $1, true)")
        .bind(bob.to_string())
        .execute(&mut *tx)
        .await
        .unwrap();
    sqlx::query(inserts[1]).bind(bob).bind(product).execute(&mut *tx).await.unwrap();
    tx.rollback().await.unwrap();
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn the_service_role_sees_every_user_only_after_set_role(pool: PgPool) {
    assert_restricted_role(&pool).await;
    let (alice, bob) = two_tenants(&pool).await;
    let mut conn = pool.acquire().await.unwrap();
    // Membership alone gives nothing: the login role, no acting user, sees no tracking row.
    let plain: i64 =
        sqlx::query_scalar("SELECT count(*) FROM user_products").fetch_one(&mut *conn).await.unwrap();
    assert_eq!(plain, 0);
    let mut tx = sqlx::Connection::begin(&mut *conn).await.unwrap();
    sqlx::query("SET LOCAL ROLE amazcope_service").execute(&mut *tx).await.unwrap();
    let owners: Vec<Uuid> = sqlx::query_scalar("SELECT user_id FROM user_products ORDER BY created_at")
        .fetch_all(&mut *tx)
        .await
        .unwrap();
    assert_eq!(owners, vec![alice, bob]);
    tx.rollback().await.unwrap();
    // And it ends with the transaction.
    let after: i64 =
        sqlx::query_scalar("SELECT count(*) FROM user_products").fetch_one(&mut *conn).await.unwrap();
    assert_eq!(after, 0);
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn every_tenant_table_forces_its_policies(pool: PgPool) {
    // The catalog view of the guarantee: FORCE (the owner, who ran the migrations, is held
    // to the policies too) and both policies on every tenant table.
    let rows: Vec<(String, bool, bool, i64)> = sqlx::query_as(
        "SELECT c.relname::text, c.relrowsecurity, c.relforcerowsecurity,
                (SELECT count(*) FROM pg_policies p
                  WHERE p.tablename = c.relname AND p.policyname IN ('rls_tenant', 'rls_service'))
         FROM pg_class c WHERE c.relname = ANY($1) ORDER BY 1",
    )
    .bind(TENANT_TABLES.to_vec())
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(rows.len(), TENANT_TABLES.len());
    for (table, enabled, forced, policies) in rows {
        assert!(enabled && forced, "{table}: enabled {enabled}, forced {forced}");
        assert_eq!(policies, 2, "{table}");
    }
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn tenant_policies_read_the_setting_without_calling_a_function(pool: PgPool) {
    // Migration 0023: the planner inlines an SQL function by parsing its body anew in every
    // statement it plans, so the tenant check is written out; and it is an InitPlan (one
    // evaluation per statement, not per row), with the service check, as 0019 made them.
    let rows: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT c.relname::text, pg_get_expr(p.polqual, p.polrelid), pg_get_expr(p.polwithcheck, p.polrelid)
         FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid
         WHERE p.polname = 'rls_tenant' ORDER BY 1",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(rows.len(), TENANT_TABLES.len(), "{rows:?}");
    for (table, using, check) in rows {
        for expr in [&using, &check] {
            assert!(!expr.contains("amazcope_acting_user"), "{table}: {expr}");
            assert!(
                expr.contains(
                    "= ( SELECT (NULLIF(current_setting('amazcope.user_id'::text, true), ''::text))::uuid"
                ),
                "{table}: {expr}"
            );
        }
    }
}
