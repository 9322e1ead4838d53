//! Migrations go up, all the way down (leaving nothing of ours), and up again; the
//! `PgStore` migration calls report what they did.

use amazcope_pg::{MIGRATOR, MigrationState, PgStore, SchemaError};
use sqlx::PgPool;

/// Our objects left in the schema: tables, types, functions, in one sorted list (an
/// extension's functions, pg_trgm's, are the extension's: 0012 leaves it installed).
async fn our_objects(pool: &PgPool) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT 'table ' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
           WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'v', 'm', 'S') \
           AND c.relname <> '_sqlx_migrations' \
         UNION ALL \
         SELECT 'type ' || t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace \
           WHERE n.nspname = current_schema() AND t.typtype = 'e' \
         UNION ALL \
         SELECT 'function ' || p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace \
           WHERE n.nspname = current_schema() \
           AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass \
                           AND d.objid = p.oid AND d.deptype = 'e') \
         ORDER BY 1",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

#[sqlx::test(migrations = false)]
async fn migrations_go_up_all_the_way_down_and_up_again(pool: PgPool) {
    assert!(our_objects(&pool).await.is_empty(), "the test database starts empty");

    MIGRATOR.run(&pool).await.expect("first up");
    let after_up = our_objects(&pool).await;
    for must in
        ["table products", "table product_snapshots", "type suggestionstatus", "function set_updated_at"]
    {
        assert!(after_up.iter().any(|o| o == must), "{must} missing after up: {after_up:?}");
    }

    MIGRATOR.undo(&pool, 0).await.expect("all the way down");
    let left = our_objects(&pool).await;
    assert!(left.is_empty(), "the down migrations left objects behind: {left:?}");

    MIGRATOR.run(&pool).await.expect("up again");
    assert_eq!(our_objects(&pool).await, after_up, "second up builds the same objects");
}

#[sqlx::test(migrations = false)]
async fn store_migrate_down_current_and_history(pool: PgPool) {
    let store = PgStore::from_pool(pool.clone());
    assert_eq!(store.current_version().await.unwrap(), None);
    let pending = store.migration_history().await.unwrap();
    assert!(!pending.is_empty());
    assert!(pending.iter().all(|m| m.state == MigrationState::Pending), "{pending:?}");

    store.migrate().await.unwrap();
    let latest = MIGRATOR.iter().map(|m| m.version).max();
    assert_eq!(store.current_version().await.unwrap(), latest);
    let history = store.migration_history().await.unwrap();
    assert_eq!(history[0].version, 1);
    assert_eq!(history[0].description, "schema");
    assert!(
        history.iter().all(|m| matches!(m.state, MigrationState::Applied { checksum_matches: true, .. })),
        "{history:?}"
    );

    // Migrating twice is a no-op.
    store.migrate().await.unwrap();

    let applied = history.len() as u32;
    let after = store.migrate_down(applied).await.unwrap();
    assert_eq!(after, None);
    assert_eq!(store.current_version().await.unwrap(), None);
    let exists: bool =
        sqlx::query_scalar("SELECT to_regclass('products') IS NOT NULL").fetch_one(&pool).await.unwrap();
    assert!(!exists, "products must be gone after migrating all the way down");

    store.migrate().await.unwrap();
    assert_eq!(store.migrate_down(0).await.unwrap(), latest, "zero steps changes nothing");
    assert_eq!(store.current_version().await.unwrap(), latest);
}

#[sqlx::test(migrations = false)]
async fn a_database_without_or_behind_the_schema_says_run_db_upgrade_once(pool: PgPool) {
    let store = PgStore::from_pool(pool.clone());
    let missing = store.check_schema().await.unwrap_err();
    assert!(matches!(missing, SchemaError::Missing { .. }), "{missing:?}");
    let text = missing.to_string();
    assert!(text.starts_with("the database at postgres://"), "{text}");
    assert!(text.ends_with("has no Amazcope schema: run `amazcope db upgrade`"), "{text}");
    assert_eq!(text.matches("amazcope db upgrade").count(), 1, "{text}");

    MIGRATOR.run(&pool).await.unwrap();
    store.check_schema().await.expect("current");
    let newest = MIGRATOR.iter().map(|m| m.version).max().unwrap();
    let at = store.migrate_down(1).await.unwrap().unwrap();
    match store.check_schema().await.unwrap_err() {
        SchemaError::Behind { found, needed, .. } => assert_eq!((found, needed), (at, newest)),
        e => panic!("expected Behind, got {e:?}"),
    }
}

#[test]
fn the_target_never_shows_the_password() {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let pool = sqlx::postgres::PgPoolOptions::new()
            .connect_lazy("postgres://alice:s3cret-pw@db.example:5433/shop")
            .unwrap();
        let target = PgStore::from_pool(pool).target();
        assert_eq!(target, "postgres://alice@db.example:5433/shop");
    });
}
