//! The schema matches `../shared/spec/schema.tsv` plus the columns issue 2 added, and every
//! named constraint, cascade, SET NULL and trigger does its job.

use chrono::{DateTime, Duration, TimeZone, Utc};
use sqlx::PgPool;
use std::path::PathBuf;
use uuid::Uuid;

fn spec_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/spec/schema.tsv")
}

#[derive(Debug, sqlx::FromRow)]
struct Column {
    data_type: String,
    udt_name: String,
    character_maximum_length: Option<i32>,
    numeric_precision: Option<i32>,
    numeric_scale: Option<i32>,
    is_nullable: String,
}

async fn column(pool: &PgPool, table: &str, name: &str) -> Option<Column> {
    sqlx::query_as(
        "SELECT data_type::text, udt_name::text, character_maximum_length::int, \
           numeric_precision::int, numeric_scale::int, is_nullable::text \
         FROM information_schema.columns \
         WHERE table_schema = current_schema() AND table_name = $1 AND column_name = $2",
    )
    .bind(table)
    .bind(name)
    .fetch_optional(pool)
    .await
    .expect("information_schema query")
}

/// Whether the live column type is what the spec type means under DATABASE_DESIGN.md
/// (json -> jsonb, timestamp -> timestamptz, enums as native types).
fn compatible(spec: &str, c: &Column) -> bool {
    if let Some(len) = spec.strip_prefix("varchar(").and_then(|r| r.strip_suffix(')')) {
        return c.data_type == "character varying" && c.character_maximum_length == len.parse().ok();
    }
    if let Some(enum_name) = spec.strip_prefix("enum ") {
        return c.data_type == "USER-DEFINED" && c.udt_name == enum_name;
    }
    match spec {
        "uuid" => c.udt_name == "uuid",
        "boolean" => c.data_type == "boolean",
        "integer" => c.data_type == "integer",
        "text" => c.data_type == "text",
        "double precision" | "float" => c.data_type == "double precision",
        "timestamptz" | "timestamp" => c.data_type == "timestamp with time zone",
        "json" | "jsonb" => c.data_type == "jsonb",
        "numeric(10,2)" => {
            c.data_type == "numeric" && c.numeric_precision == Some(10) && c.numeric_scale == Some(2)
        }
        other => panic!("schema.tsv has a type this test does not know: {other}"),
    }
}

/// Columns whose nullability deliberately differs from the spec (issue 2's intent fixes).
const NULLABILITY_CHANGED: &[(&str, &str)] = &[
    // A page without a review count stores NULL, never a made-up 0.
    ("product_snapshots", "review_count"),
];

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn every_spec_table_and_column_exists_with_a_compatible_type(pool: PgPool) {
    let path = spec_path();
    let tsv = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("the schema spec {} is missing ({e}); it is required", path.display()));
    let mut checked = 0;
    let mut tables = std::collections::BTreeSet::new();
    for (n, line) in tsv.lines().enumerate().skip(1) {
        if line.trim().is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split('\t').collect();
        assert!(f.len() >= 4, "schema.tsv line {} has {} fields", n + 1, f.len());
        let (table, name, ty, nullable) = (f[0], f[1], f[2], f[3]);
        tables.insert(table.to_string());
        let c = column(&pool, table, name).await.unwrap_or_else(|| panic!("missing column {table}.{name}"));
        assert!(compatible(ty, &c), "{table}.{name}: spec says {ty}, database has {c:?}");
        let nullable = nullable == "yes" || NULLABILITY_CHANGED.contains(&(table, name));
        let expected_null = if nullable { "YES" } else { "NO" };
        assert_eq!(c.is_nullable, expected_null, "{table}.{name}: nullability");
        checked += 1;
    }
    assert_eq!(checked, 254, "SCHEMA.md counts 254 columns");
    assert_eq!(tables.len(), 13, "SCHEMA.md counts 13 tables");
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn columns_added_by_issue_2_exist(pool: PgPool) {
    let added: &[(&str, &str, &str, bool)] = &[
        ("products", "next_refresh_at", "timestamptz", true),
        ("products", "lease_owner", "varchar(100)", true),
        ("products", "lease_expires_at", "timestamptz", true),
        ("products", "last_fetch_status", "varchar(20)", true),
        ("products", "last_fetch_at", "timestamptz", true),
        ("products", "last_fetch_error", "text", true),
        ("user_products", "target_price", "numeric(10,2)", true),
        ("alerts", "snapshot_scraped_at", "timestamptz", true),
        ("notifications", "alert_id", "uuid", true),
        ("notifications", "status", "varchar(20)", false),
        ("reviews", "variant", "varchar(500)", true),
        ("bestseller_snapshots", "product_id", "uuid", true),
        ("bestseller_snapshots", "currency", "varchar(3)", true),
        ("suggestions", "user_id", "uuid", false),
        ("suggestions", "dedup_key", "varchar(200)", false),
        ("products", "image_urls", "jsonb", true),
    ];
    for (table, name, ty, nullable) in added {
        let c = column(&pool, table, name).await.unwrap_or_else(|| panic!("missing column {table}.{name}"));
        assert!(compatible(ty, &c), "{table}.{name}: want {ty}, have {c:?}");
        assert_eq!(c.is_nullable == "YES", *nullable, "{table}.{name}: nullability");
    }
    let generated: String = sqlx::query_scalar(
        "SELECT is_generated::text FROM information_schema.columns \
         WHERE table_name = 'notifications' AND column_name = 'is_read'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(generated, "ALWAYS", "notifications.is_read is generated from status");
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn product_snapshots_is_partitioned_by_month_with_a_default(pool: PgPool) {
    let strategy: String = sqlx::query_scalar(
        "SELECT partstrat::text FROM pg_partitioned_table WHERE partrelid = 'product_snapshots'::regclass",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(strategy, "r", "range partitioning");
    let children: Vec<String> = sqlx::query_scalar(
        "SELECT c.relname::text FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid \
         WHERE i.inhparent = 'product_snapshots'::regclass ORDER BY 1",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert!(children.contains(&"product_snapshots_default".to_string()), "{children:?}");
    assert!(children.contains(&"product_snapshots_2024_01".to_string()), "{children:?}");
    let now = Utc::now();
    let this_month = format!("product_snapshots_{}", now.format("%Y_%m"));
    assert!(children.contains(&this_month), "missing {this_month} in {children:?}");
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn design_names_exist(pool: PgPool) {
    let constraints: Vec<String> = sqlx::query_scalar(
        "SELECT conname::text FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace \
         WHERE n.nspname = current_schema()",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    for name in [
        "pk_users",
        "pk_product_snapshots",
        "uq_product_asin_marketplace",
        "uq_user_product",
        "uq_user_settings_user",
        "uq_category_marketplace",
        "uq_product_snapshots_product_scraped",
        "uq_alerts_user_snapshot_type",
        "uq_reviews_review_id",
        "uq_bestseller_snapshots_category_scraped_rank",
        "fk_alerts_snapshot_id",
        "fk_products_created_by_id",
        "chk_products_rating",
        "chk_products_asin",
        "chk_bestseller_snapshots_asin",
        "chk_product_snapshots_scraped_at",
        "chk_user_products_price_change_threshold",
        "chk_user_products_bsr_change_threshold",
        "chk_alerts_alert_type",
        "chk_notifications_status",
    ] {
        assert!(constraints.iter().any(|c| c == name), "constraint {name} is missing");
    }
    let indexes: Vec<String> =
        sqlx::query_scalar("SELECT indexname::text FROM pg_indexes WHERE schemaname = current_schema()")
            .fetch_all(&pool)
            .await
            .unwrap();
    for name in [
        "idx_alerts_user_unread",
        "idx_suggestions_active",
        "idx_products_features",
        "idx_products_amazons_choice",
        "idx_products_active",
        "idx_products_unlisted",
        "idx_products_next_refresh",
        "idx_notifications_unread",
        "idx_notifications_data",
        "idx_user_products_user_active",
        "idx_bestseller_snapshots_asin",
        "uq_categories_marketplace_parent_name",
        "uq_suggestions_user_dedup_pending",
    ] {
        assert!(indexes.iter().any(|c| c == name), "index {name} is missing");
    }
    for table in [
        "users",
        "user_settings",
        "products",
        "user_products",
        "product_snapshots",
        "reviews",
        "categories",
        "bestseller_snapshots",
        "category_metrics",
        "alerts",
        "notifications",
        "suggestions",
        "suggestion_actions",
    ] {
        for col in ["created_at", "updated_at"] {
            let idx = format!("idx_{table}_{col}");
            assert!(indexes.contains(&idx), "index {idx} is missing");
        }
    }
}

/// The design's idx_snapshots_product_recent (product_id, scraped_at DESC) is served by the
/// unique index (migration 0005): "the newest snapshots of a product" is a backward scan of
/// uq_product_snapshots_product_scraped in each month's partition, with no sort and no
/// sequential scan, and keys are still unique.
#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn newest_snapshots_of_a_product_are_a_backward_scan_of_the_unique_index(pool: PgPool) {
    let owner = user(&pool, "alice").await;
    let mut products = Vec::new();
    for i in 0..40 {
        products.push(product(&pool, &format!("B0PLAN{i:04}"), Some(owner)).await);
    }
    sqlx::query(
        "INSERT INTO product_snapshots (product_id, scraped_at, price) \
         SELECT p, now() - make_interval(hours => h), 10 FROM unnest($1::uuid[]) p, generate_series(1, 200) h",
    )
    .bind(&products)
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query("ANALYZE product_snapshots").execute(&pool).await.unwrap();
    let plan: Vec<String> = sqlx::query_scalar(
        "EXPLAIN SELECT * FROM product_snapshots WHERE product_id = $1 ORDER BY scraped_at DESC LIMIT 5",
    )
    .bind(products[0])
    .fetch_all(&pool)
    .await
    .unwrap();
    let plan = plan.join("\n");
    assert!(plan.contains("Index Scan Backward using"), "{plan}");
    assert!(plan.contains("_product_id_scraped_at_key"), "the unique index's partition indexes: {plan}");
    assert!(!plan.contains("Seq Scan") && !plan.contains("Sort  ("), "no sort node: {plan}");
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT indexname::text FROM pg_indexes WHERE tablename = 'product_snapshots' ORDER BY 1",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert!(!names.contains(&"idx_snapshots_product_recent".to_owned()), "{names:?}");
    assert!(names.contains(&"uq_product_snapshots_product_scraped".to_owned()), "{names:?}");
}

// ----- helpers -------------------------------------------------------------------------

async fn user(pool: &PgPool, name: &str) -> Uuid {
    sqlx::query_scalar(
        "INSERT INTO users (email, username, hashed_password) VALUES ($1 || '@example.com', $1, 'x') RETURNING id",
    )
    .bind(name)
    .fetch_one(pool)
    .await
    .unwrap()
}

async fn product(pool: &PgPool, asin: &str, owner: Option<Uuid>) -> Uuid {
    sqlx::query_scalar(
        "INSERT INTO products (asin, marketplace, title, url, created_by_id) \
         VALUES ($1, 'com', 'A product', 'https://www.amazon.com/dp/' || $1, $2) RETURNING id",
    )
    .bind(asin)
    .bind(owner)
    .fetch_one(pool)
    .await
    .unwrap()
}

async fn snapshot(pool: &PgPool, product: Uuid, at: DateTime<Utc>) -> Uuid {
    sqlx::query_scalar(
        "INSERT INTO product_snapshots (product_id, scraped_at, price) VALUES ($1, $2, 10.50) RETURNING id",
    )
    .bind(product)
    .bind(at)
    .fetch_one(pool)
    .await
    .unwrap()
}

async fn alert(pool: &PgPool, user: Uuid, product: Uuid, snap: Option<(Uuid, DateTime<Utc>)>) -> Uuid {
    sqlx::query_scalar(
        "INSERT INTO alerts (alert_type, title, message, product_id, user_id, snapshot_id, snapshot_scraped_at) \
         VALUES ('price_change', 'Price dropped', 'from 12 to 10', $1, $2, $3, $4) RETURNING id",
    )
    .bind(product)
    .bind(user)
    .bind(snap.map(|s| s.0))
    .bind(snap.map(|s| s.1))
    .fetch_one(pool)
    .await
    .unwrap()
}

/// The constraint a failed statement names (partition index names mapped to the parent's).
fn violated(result: Result<sqlx::postgres::PgQueryResult, sqlx::Error>) -> String {
    match result {
        Ok(_) => panic!("the statement should have been rejected"),
        Err(sqlx::Error::Database(e)) => {
            let name = e.constraint().unwrap_or_else(|| panic!("no constraint named in {e}"));
            amazcope_pg::partitions::parent_constraint_name(name).to_string()
        }
        Err(e) => panic!("unexpected error {e}"),
    }
}

fn recent() -> DateTime<Utc> {
    Utc::now() - Duration::hours(2)
}

// ----- constraints ---------------------------------------------------------------------

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
    assert_eq!(triggers, 13, "one updated_at trigger per table");
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
