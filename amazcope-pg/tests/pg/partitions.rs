//! Partition upkeep creates and drops exactly the right months of `product_snapshots`, and
//! loses nothing else: rows of kept months, the DEFAULT partition, alerts (only their snapshot
//! reference is cleared, as ON DELETE SET NULL would).

use amazcope_pg::partitions::{self, Disposal, PartitionError};
use chrono::{DateTime, Datelike, Duration, TimeZone, Utc};
use sqlx::PgPool;
use uuid::Uuid;

/// These tests are about which months go, not their archive (tests/pg/archive.rs).
const DISCARD: Option<Disposal<'static>> = Some(Disposal::Discard);

fn month_start(year: i32, month: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(year, month, 1, 0, 0, 0).unwrap()
}

fn next_month(t: DateTime<Utc>) -> DateTime<Utc> {
    if t.month() == 12 { month_start(t.year() + 1, 1) } else { month_start(t.year(), t.month() + 1) }
}

fn name_of(t: DateTime<Utc>) -> String {
    format!("product_snapshots_{:04}_{:02}", t.year(), t.month())
}

async fn children(pool: &PgPool) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT c.relname::text FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid \
         WHERE i.inhparent = 'product_snapshots'::regclass ORDER BY 1",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

/// A partition referenced by a foreign key must be detached before it can be dropped.
async fn drop_partition(pool: &PgPool, name: &str) {
    for sql in
        [format!("ALTER TABLE product_snapshots DETACH PARTITION {name}"), format!("DROP TABLE {name}")]
    {
        sqlx::query(sqlx::AssertSqlSafe(sql)).execute(pool).await.unwrap();
    }
}

async fn setup(pool: &PgPool) -> (Uuid, Uuid) {
    let u: Uuid = sqlx::query_scalar("INSERT INTO users (email, username, hashed_password) VALUES ('a@example.com', 'a', 'x') RETURNING id")
        .fetch_one(pool)
        .await
        .unwrap();
    let p: Uuid = sqlx::query_scalar(
        "INSERT INTO products (asin, title, url) VALUES ('B00004YS4O', 't', 'u') RETURNING id",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    (u, p)
}

async fn snapshot(pool: &PgPool, product: Uuid, at: DateTime<Utc>) -> Uuid {
    sqlx::query_scalar(
        "INSERT INTO product_snapshots (product_id, scraped_at, price) VALUES ($1, $2, 1) RETURNING id",
    )
    .bind(product)
    .bind(at)
    .fetch_one(pool)
    .await
    .unwrap()
}

async fn alert(pool: &PgPool, user: Uuid, product: Uuid, snap: Uuid, at: DateTime<Utc>, kind: &str) -> Uuid {
    sqlx::query_scalar(
        "INSERT INTO alerts (alert_type, title, message, product_id, user_id, snapshot_id, snapshot_scraped_at) \
         VALUES ($5, 't', 'm', $1, $2, $3, $4) RETURNING id",
    )
    .bind(product)
    .bind(user)
    .bind(snap)
    .bind(at)
    .bind(kind)
    .fetch_one(pool)
    .await
    .unwrap()
}

async fn alert_ref(pool: &PgPool, id: Uuid) -> (Option<Uuid>, Option<DateTime<Utc>>) {
    sqlx::query_as("SELECT snapshot_id, snapshot_scraped_at FROM alerts WHERE id = $1")
        .bind(id)
        .fetch_one(pool)
        .await
        .unwrap()
}

async fn where_is(pool: &PgPool, snap: Uuid) -> Option<String> {
    sqlx::query_scalar("SELECT tableoid::regclass::text FROM product_snapshots WHERE id = $1")
        .bind(snap)
        .fetch_optional(pool)
        .await
        .unwrap()
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn ensure_creates_exactly_the_missing_months_across_a_year_end(pool: PgPool) {
    // Three years out, past what the migration made, and starting in November so the range
    // crosses into the next year.
    let now = Utc.with_ymd_and_hms(Utc::now().year() + 3, 11, 15, 12, 0, 0).unwrap();
    let before = children(&pool).await;
    let report = partitions::ensure_partitions(&pool, 2, now).await.unwrap();
    let y = now.year();
    let want = vec![
        format!("product_snapshots_{y}_11"),
        format!("product_snapshots_{y}_12"),
        format!("product_snapshots_{}_01", y + 1),
    ];
    assert_eq!(report.created, want);
    assert_eq!(report.rows_moved, 0);
    let after = children(&pool).await;
    assert_eq!(after.len(), before.len() + 3);
    for w in &want {
        assert!(after.contains(w), "{w} missing");
    }
    // The new partitions have the right bounds.
    let bound: String =
        sqlx::query_scalar("SELECT pg_get_expr(c.relpartbound, c.oid) FROM pg_class c WHERE c.relname = $1")
            .bind(&want[1])
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(
        bound,
        format!("FOR VALUES FROM ('{y}-12-01 00:00:00+00') TO ('{}-01-01 00:00:00+00')", y + 1)
    );

    let again = partitions::ensure_partitions(&pool, 2, now).await.unwrap();
    assert!(again.created.is_empty(), "a second run creates nothing: {again:?}");
    assert_eq!(children(&pool).await, after);
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn ensure_moves_rows_out_of_the_default_partition_and_keeps_alert_links(pool: PgPool) {
    let (u, p) = setup(&pool).await;
    let now = Utc::now();
    let this_month = month_start(now.year(), now.month());
    let name = name_of(this_month);
    // Lose this month's partition so that new rows land in DEFAULT (as they would past the
    // horizon if upkeep had not run).
    drop_partition(&pool, &name).await;
    let at = this_month + Duration::hours(1);
    let s = snapshot(&pool, p, at).await;
    assert_eq!(where_is(&pool, s).await.as_deref(), Some("product_snapshots_default"));
    let a = alert(&pool, u, p, s, at, "price_change").await;
    let updated_before: DateTime<Utc> = sqlx::query_scalar("SELECT updated_at FROM alerts WHERE id = $1")
        .bind(a)
        .fetch_one(&pool)
        .await
        .unwrap();

    let report = partitions::ensure_partitions(&pool, 0, now).await.unwrap();
    assert_eq!(report.created, vec![name.clone()]);
    assert_eq!(report.rows_moved, 1);
    assert_eq!(where_is(&pool, s).await, Some(name), "the row moved into its month");
    let (sid, sat) = alert_ref(&pool, a).await;
    assert_eq!(sid, Some(s), "the alert still points at the moved snapshot");
    assert_eq!(sat.map(|t| t.timestamp_micros()), Some(at.timestamp_micros()));
    let updated_after: DateTime<Utc> = sqlx::query_scalar("SELECT updated_at FROM alerts WHERE id = $1")
        .bind(a)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(updated_after, updated_before, "moving a snapshot is not a change of the alert");
    // The foreign key still holds: deleting the snapshot clears the alert.
    sqlx::query("DELETE FROM product_snapshots WHERE id = $1").bind(s).execute(&pool).await.unwrap();
    assert_eq!(alert_ref(&pool, a).await, (None, None));
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn drop_removes_only_months_wholly_older_than_the_retention(pool: PgPool) {
    let (u, p) = setup(&pool).await;
    let now = Utc::now();
    let retention = Duration::days(partitions::DEFAULT_RETENTION_DAYS);
    let cutoff = now - retention;

    // Expected: every partition from 2024-01 whose end is at or before the cutoff.
    let mut expected = Vec::new();
    let mut m = month_start(2024, 1);
    while next_month(m) <= cutoff {
        expected.push(name_of(m));
        m = next_month(m);
    }
    let cutoff_month = m; // holds the cutoff, so it has rows newer than it: kept

    // An old row (dropped month) with an alert, a row just after the cutoff (kept month) with
    // an alert, a recent row, and an old row parked in DEFAULT (its month's partition is gone).
    let old_at = month_start(2024, 3) + Duration::days(3);
    let old = snapshot(&pool, p, old_at).await;
    let old_alert = alert(&pool, u, p, old, old_at, "price_change").await;
    let edge_at = cutoff + Duration::hours(1);
    let edge = snapshot(&pool, p, edge_at).await;
    let edge_alert = alert(&pool, u, p, edge, edge_at, "bsr_change").await;
    let recent = snapshot(&pool, p, now - Duration::hours(1)).await;
    drop_partition(&pool, "product_snapshots_2024_02").await;
    let parked_at = month_start(2024, 2) + Duration::days(1);
    let parked = snapshot(&pool, p, parked_at).await;
    assert_eq!(where_is(&pool, parked).await.as_deref(), Some("product_snapshots_default"));
    expected.retain(|n| n != "product_snapshots_2024_02");

    let report = partitions::drop_expired_partitions(&pool, retention, now, DISCARD).await.unwrap();
    assert_eq!(report.dropped, expected);
    assert_eq!(report.alerts_cleared, 1);
    assert!(report.created.is_empty());

    let left = children(&pool).await;
    for gone in &expected {
        assert!(!left.contains(gone), "{gone} should have been dropped");
    }
    assert!(left.contains(&"product_snapshots_default".to_string()), "DEFAULT is never dropped");
    assert!(left.contains(&name_of(cutoff_month)), "the month holding the cutoff is kept");
    assert!(left.contains(&name_of(month_start(now.year(), now.month()))));

    assert_eq!(where_is(&pool, old).await, None, "the old row went with its month");
    assert_eq!(where_is(&pool, edge).await, Some(name_of(cutoff_month)));
    assert!(where_is(&pool, recent).await.is_some());
    assert_eq!(where_is(&pool, parked).await.as_deref(), Some("product_snapshots_default"));

    assert_eq!(alert_ref(&pool, old_alert).await, (None, None), "alert kept, snapshot link cleared");
    assert_eq!(alert_ref(&pool, edge_alert).await.0, Some(edge), "alerts of kept months are untouched");
    let alerts: i64 = sqlx::query_scalar("SELECT count(*) FROM alerts").fetch_one(&pool).await.unwrap();
    assert_eq!(alerts, 2, "no alert is deleted");

    let again = partitions::drop_expired_partitions(&pool, retention, now, DISCARD).await.unwrap();
    assert!(again.dropped.is_empty(), "{again:?}");
}

/// `upkeep` is both calls in one: the missing month ahead created, the expired months
/// dropped, one report of both.
#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn upkeep_creates_ahead_and_drops_expired_in_one_report(pool: PgPool) {
    let now = Utc::now();
    let ahead = next_month(month_start(now.year(), now.month()));
    drop_partition(&pool, &name_of(ahead)).await;
    let retention = Duration::days(partitions::DEFAULT_RETENTION_DAYS);
    let report = partitions::upkeep(&pool, 1, retention, now, DISCARD).await.unwrap();
    assert_eq!(report.created, vec![name_of(ahead)]);
    assert_eq!(report.dropped.first().map(String::as_str), Some("product_snapshots_2024_01"));
    let left = children(&pool).await;
    assert!(left.contains(&name_of(ahead)));
    assert!(report.dropped.iter().all(|d| !left.contains(d)), "{report:?}");
    assert_eq!(partitions::upkeep(&pool, 1, retention, now, DISCARD).await.unwrap(), Default::default());
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn a_long_retention_drops_nothing_and_a_negative_one_is_refused(pool: PgPool) {
    let before = children(&pool).await;
    let now = Utc::now();
    let r = partitions::drop_expired_partitions(&pool, Duration::days(365 * 20), now, DISCARD).await.unwrap();
    assert!(r.dropped.is_empty());
    let err = partitions::drop_expired_partitions(&pool, Duration::days(-1), now, DISCARD).await.unwrap_err();
    assert!(matches!(err, PartitionError::InvalidRetention { days: -1 }), "{err}");
    assert_eq!(children(&pool).await, before);
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn list_partitions_reads_the_months_in_order(pool: PgPool) {
    let list = partitions::list_partitions(&pool).await.unwrap();
    assert_eq!(list.first().map(|p| p.name.as_str()), Some("product_snapshots_2024_01"));
    assert!(list.windows(2).all(|w| w[0].month < w[1].month));
    assert!(list.iter().all(|p| p.name != partitions::DEFAULT_PARTITION));
}
