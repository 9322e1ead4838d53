//! Helpers shared by the repository tests: a store on the per-test pool, users, products
//! and snapshots with real values.

use amazcope_core::model::product::Product;
use amazcope_core::model::product::ProductUpsert;
use amazcope_core::model::snapshot::NewSnapshot;
use amazcope_core::model::user::{NewUser, User};
use amazcope_core::{Asin, Currency, Marketplace, ProductRepository, UserId, UserRepository};
use amazcope_pg::PgStore;
use chrono::{DateTime, TimeZone, Utc};
use rust_decimal::Decimal;
use sqlx::PgPool;

pub fn store(pool: PgPool) -> PgStore {
    PgStore::from_pool(pool)
}

pub fn asin(s: &str) -> Asin {
    s.parse().expect("test asin")
}

/// Midnight UTC of a day in 2025 (inside the migration's monthly partitions).
pub fn day(month: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, month, d, 0, 0, 0).single().expect("valid date")
}

pub fn money(cents: i64) -> Decimal {
    Decimal::new(cents, 2)
}

pub async fn user(store: &PgStore, name: &str) -> User {
    store.create_user(&NewUser::named(name).expect("valid name")).await.expect("create user")
}

pub async fn product(store: &PgStore, a: &str, created_by: Option<UserId>) -> Product {
    store
        .upsert_product(&ProductUpsert::bare(asin(a), Marketplace::Com, created_by))
        .await
        .expect("upsert product")
}

/// A snapshot with a price, BSR, rating and review count derived from `n`.
pub fn snapshot(product: &Product, at: DateTime<Utc>, n: i64) -> NewSnapshot {
    let mut s = NewSnapshot::empty(product.id, at, Currency::from_static("USD"));
    s.price = Some(money(1000 + n));
    s.original_price = Some(money(2000 + n));
    s.discount_percentage = Some(10.5);
    s.bsr_main_category = Some(100 + n as i32);
    s.main_category_name = Some("Electronics".into());
    s.rating = Some(4.5);
    s.review_count = Some(50 + n as i32);
    s.in_stock = true;
    s.stock_status = Some("In Stock".into());
    s.seller_name = Some("Amazon.com".into());
    s.is_amazon_seller = true;
    s.is_fba = true;
    s.is_prime = true;
    s.amazons_choice_keywords = Some(vec!["usb cable".into()]);
    s.has_amazons_choice = true;
    s
}

/// A transaction on the cross-user path (`SET LOCAL ROLE amazcope_service`), for the tests'
/// own SQL over every user's rows: under row-level security the test's login role, with no
/// acting user, sees no tenant rows. Dropped without commit, it rolls back (reads need no
/// commit).
pub async fn service(pool: &PgPool) -> sqlx::Transaction<'static, sqlx::Postgres> {
    pool.begin_with("BEGIN; SET LOCAL ROLE amazcope_service").await.expect("begin as amazcope_service")
}
