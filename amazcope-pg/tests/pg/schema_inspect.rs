//! Inspection reads the live catalogs: sizes (partitions summed), index usage, the ERD.

use amazcope_pg::inspect;
use sqlx::PgPool;

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn table_sizes_fold_partitions_into_their_parent(pool: PgPool) {
    let sizes = inspect::table_sizes(&pool).await.unwrap();
    let snaps = sizes.iter().find(|t| t.table == "product_snapshots").expect("product_snapshots listed");
    assert!(snaps.partitions > 12, "{snaps:?}");
    assert!(snaps.total_bytes > 0, "indexes of the partitions count: {snaps:?}");
    assert!(
        !sizes.iter().any(|t| t.table.starts_with("product_snapshots_2")),
        "partitions are not listed on their own"
    );
    for table in ["users", "products", "alerts", "suggestion_actions"] {
        assert!(sizes.iter().any(|t| t.table == table), "{table} missing");
    }
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn index_usage_lists_our_indexes_with_partition_indexes_rolled_up(pool: PgPool) {
    let usage = inspect::index_usage(&pool).await.unwrap();
    let recent = usage
        .iter()
        .find(|i| i.index == "uq_product_snapshots_product_scraped")
        .expect("partitioned index listed");
    assert_eq!(recent.table, "product_snapshots");
    assert!(usage.iter().any(|i| i.index == "uq_product_asin_marketplace" && i.table == "products"));
    assert!(
        !usage.iter().any(|i| i.index.starts_with("product_snapshots_2")),
        "partition indexes are rolled up"
    );
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn erd_has_every_table_and_foreign_key(pool: PgPool) {
    let dot = inspect::erd_dot(&pool).await.unwrap();
    assert!(dot.starts_with("digraph amazcope {"));
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
        "product_daily",
        "notification_channels",
        "notification_deliveries",
        "api_tokens",
    ] {
        assert!(dot.contains(&format!("\"{table}\" [label=<")), "{table} node missing");
    }
    assert!(!dot.contains("product_snapshots_2024_01"), "partitions are folded into the parent");
    assert!(dot.contains("\"alerts\" -> \"product_snapshots\" [label=\"fk_alerts_snapshot_id (snapshot_id, snapshot_scraped_at) SET NULL\"]"));
    assert!(
        dot.contains("\"user_products\" -> \"users\" [label=\"fk_user_products_user_id (user_id) CASCADE\"]")
    );
    assert!(dot.contains("timestamp with time zone"));
    let edges = dot.matches(" -> ").count();
    // 0009 (delivery): channels' user_id; deliveries' user_id, notification_id, channel_id.
    // 0014: api_tokens' user_id.
    assert_eq!(
        edges, 28,
        "one edge per foreign key (product_daily since 0008, delivery 0009, tokens 0014):\n{dot}"
    );
}
