//! Shared pieces of the benchmarks: a throwaway database and deterministic data shaped like
//! `../shared/bench/pg_anchor.py`'s (N products, one snapshot per product per day, day-major
//! arrival order, the same 22 columns filled), so our figures and the baselines' compare.
#![warn(missing_docs)]

pub mod ingest;

use amazcope_core::model::product::{ProductData, ProductUpsert};
use amazcope_core::model::snapshot::NewSnapshot;
use amazcope_core::{Asin, Currency, Marketplace, ProductId, ProductRepository};
use amazcope_pg::PgStore;
use chrono::{DateTime, Duration, TimeZone, Utc};
use rust_decimal::Decimal;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, Executor, PgConnection};
use std::str::FromStr;

/// A database created for one benchmark run and dropped by [`BenchDb::drop_db`].
#[derive(Debug)]
pub struct BenchDb {
    /// The store on it, migrated.
    pub store: PgStore,
    admin: PgConnectOptions,
    name: String,
}

/// `AMAZCOPE_BENCH_NO_RLS=1`: the control of `benches/rls_compare.sh`, the same database
/// and role with row-level security switched off on every table that has it (the owner, the
/// role that migrated, may), so the same code runs the same statements without policies.
async fn disable_row_security(pool: &sqlx::PgPool) {
    // language=PostgreSQL
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT c.oid::regclass::text FROM pg_class c
         WHERE c.relnamespace = current_schema()::regnamespace AND c.relrowsecurity",
    )
    .fetch_all(pool)
    .await
    .expect("tables with row-level security");
    assert!(!tables.is_empty(), "no table has row-level security: nothing to switch off");
    for t in tables {
        // The name comes from the catalog, quoted by regclass's output.
        let sql = format!("ALTER TABLE {t} NO FORCE ROW LEVEL SECURITY, DISABLE ROW LEVEL SECURITY");
        sqlx::query(sqlx::AssertSqlSafe(sql)).execute(pool).await.expect("switch row-level security off");
    }
}

impl BenchDb {
    /// Creates `amazcope_bench_<random>` on the server of `DATABASE_URL` and migrates it.
    ///
    /// # Panics
    /// When `DATABASE_URL` is unset or the server refuses: a benchmark has no other way to go on.
    pub async fn create() -> Self {
        let url = std::env::var("DATABASE_URL")
            .expect("DATABASE_URL must point at a PostgreSQL server (see scripts/test)");
        let admin = PgConnectOptions::from_str(&url).expect("DATABASE_URL is not a PostgreSQL URL");
        let name = format!("amazcope_bench_{}", uuid::Uuid::new_v4().simple());
        let mut conn = admin.connect().await.expect("cannot connect to DATABASE_URL");
        let create = format!("CREATE DATABASE {name}");
        // The name is built from a UUID: safe to splice.
        sqlx::query(sqlx::AssertSqlSafe(create)).execute(&mut conn).await.expect("CREATE DATABASE");
        conn.close().await.ok();
        let pool = PgPoolOptions::new()
            .max_connections(4)
            .connect_with(admin.clone().database(&name))
            .await
            .expect("connect to bench database");
        amazcope_pg::MIGRATOR.run(&pool).await.expect("migrate bench database");
        if std::env::var_os("AMAZCOPE_BENCH_NO_RLS").is_some_and(|v| !v.is_empty()) {
            disable_row_security(&pool).await;
        }
        Self { store: PgStore::from_pool(pool), admin, name }
    }

    /// How to connect to this database (for a second pool, e.g. a server's).
    pub fn connect_options(&self) -> PgConnectOptions {
        self.admin.clone().database(&self.name)
    }

    /// Drops the database.
    pub async fn drop_db(self) {
        self.store.pool().close().await;
        // AMAZCOPE_BENCH_KEEP=1 leaves the database for inspection (EXPLAIN, sizes).
        if std::env::var_os("AMAZCOPE_BENCH_KEEP").is_some() {
            eprintln!("kept database {}", self.name);
            return;
        }
        if let Ok(mut conn) = PgConnection::connect_with(&self.admin).await {
            let drop = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
            sqlx::query(sqlx::AssertSqlSafe(drop)).execute(&mut conn).await.ok();
        }
    }

    /// Partition upkeep as a deployment runs it (`amazcope db partitions`, and every worker
    /// now and then): the months from `now` to three ahead exist, and those older than the
    /// 90-day retention are gone. A fresh migration holds every month since 2024-01.
    pub async fn partition_upkeep(&self, now: DateTime<Utc>) {
        amazcope_pg::partitions::upkeep(
            self.store.pool(),
            3,
            Duration::days(amazcope_pg::partitions::DEFAULT_RETENTION_DAYS),
            now,
            // A benchmark database: its expired months are not worth an archive.
            Some(amazcope_pg::partitions::Disposal::Discard),
        )
        .await
        .expect("partition upkeep");
    }

    /// Empties the snapshot table (between repetitions).
    pub async fn truncate_snapshots(&self) {
        self.store.pool().execute("TRUNCATE product_snapshots CASCADE").await.expect("truncate");
        self.store
            .pool()
            .execute("UPDATE products SET last_snapshot_at = NULL, current_price = NULL")
            .await
            .expect("reset products");
    }
}

/// A small deterministic generator (SplitMix64); the benches need no statistical quality.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// Seeded.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }
    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `lo..hi`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next_u64() % (hi - lo) as u64) as i64
    }
}

/// Products and their snapshots, shaped like the anchors' data.
#[derive(Debug)]
pub struct SnapshotData {
    /// Product ids in creation order.
    pub product_ids: Vec<ProductId>,
    /// Snapshots, day-major.
    pub rows: Vec<NewSnapshot>,
}

/// First simulated day, as in the anchors (2025-01-01).
pub fn first_day() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).single().expect("valid date")
}

/// Creates `n_products` products in `store` and returns `days` snapshots of each.
pub async fn generate(store: &PgStore, n_products: usize, days: usize, seed: u64) -> SnapshotData {
    let mut rng = Rng::new(seed);
    let usd = Currency::from_static("USD");
    let mut product_ids = Vec::with_capacity(n_products);
    for i in 0..n_products {
        let asin = Asin::from_str(&format!("B0{i:08X}")).expect("generated ASIN is valid");
        let upsert = ProductUpsert {
            asin,
            marketplace: Marketplace::Com,
            url: None,
            data: ProductData { title: Some(format!("Bench product {i}")), ..ProductData::default() },
            created_by: None,
            is_competitor: false,
        };
        let p = store.upsert_product(&upsert).await.expect("create bench product");
        product_ids.push(p.id);
    }
    let mut state: Vec<(Decimal, i64, i64, i32)> = (0..n_products)
        .map(|_| (Decimal::new(rng.range(500, 30000), 2), rng.range(100, 400_000), rng.range(1, 5000), 0))
        .collect();
    let mut rows = Vec::with_capacity(n_products * days);
    for d in 0..days {
        let day = first_day() + Duration::days(d as i64);
        for (i, st) in state.iter_mut().enumerate() {
            if rng.range(0, 10) < 3 {
                let f = Decimal::ONE + Decimal::new(rng.range(-800, 801), 4);
                st.0 = (st.0 * f).round_dp(2).max(Decimal::ONE);
            }
            st.1 = (st.1 * rng.range(85, 116) / 100).max(1);
            st.2 = (st.2 * rng.range(85, 116) / 100).max(1);
            st.3 += rng.range(0, 6) as i32;
            let at = day + Duration::seconds((i as i64 * 86_000) / n_products.max(1) as i64);
            let mut s = NewSnapshot::empty(product_ids[i], at, usd);
            s.price = Some(st.0);
            s.original_price = (i % 2 == 1).then(|| (st.0 * Decimal::new(125, 2)).round_dp(2));
            s.bsr_main_category = Some(st.1 as i32);
            s.bsr_small_category = Some(st.2 as i32);
            s.main_category_name = Some("Electronics".into());
            s.small_category_name = Some("Headphones".into());
            s.rating = Some(4.3);
            s.review_count = Some(st.3);
            s.in_stock = rng.range(0, 100) > 3;
            s.is_prime = i % 10 < 7;
            s.is_amazon_seller = i % 5 == 0;
            s.is_fba = i % 10 < 6;
            rows.push(s);
        }
    }
    SnapshotData { product_ids, rows }
}

/// CPU seconds (user + system) spent so far by process `pid` ("self" for this one), from
/// `/proc` (Linux, and a server on this machine); `None` elsewhere.
fn cpu_seconds(pid: &str) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name, which is in parentheses and may hold spaces.
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split(' ').collect();
    let ticks: f64 = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

/// CPU seconds of the client and of the server processes serving the bench database.
pub async fn cpu_now(pool: &sqlx::PgPool) -> Option<(f64, f64)> {
    let pids: Vec<(i32,)> =
        sqlx::query_as("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
            .fetch_all(pool)
            .await
            .ok()?;
    let mut server = 0.0;
    for (pid,) in pids {
        server += cpu_seconds(&pid.to_string())?;
    }
    Some((cpu_seconds("self")?, server))
}
