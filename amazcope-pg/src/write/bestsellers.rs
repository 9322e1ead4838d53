//! Writes of `bestseller_snapshots`: the entries of best-seller lists, set-wise.

use crate::columns::{bestsellers as width, clip_opt};
use crate::error::{self, ErrCtx};
use amazcope_core::StoreResult;
use amazcope_core::model::category::NewBestsellerEntry;
use rust_decimal::Decimal;
use sqlx::PgConnection;
use std::collections::BTreeSet;
use uuid::Uuid;

/// Stores list entries, one statement for all. A (category, time, rank) already stored, or
/// repeated in `entries`, keeps its first row (a list is read once at a time; a re-read of
/// the same list changes nothing). Returns the number of rows inserted.
pub(crate) async fn insert_entries(
    conn: &mut PgConnection,
    entries: &[NewBestsellerEntry],
) -> StoreResult<u64> {
    let mut seen = BTreeSet::new();
    let entries: Vec<&NewBestsellerEntry> =
        entries.iter().filter(|e| seen.insert((e.category_id, e.scraped_at, e.rank))).collect();
    if entries.is_empty() {
        return Ok(0);
    }
    let category: Vec<Uuid> = entries.iter().map(|e| e.category_id.0).collect();
    let scraped: Vec<_> = entries.iter().map(|e| e.scraped_at).collect();
    let rank: Vec<i32> = entries.iter().map(|e| e.rank).collect();
    let asin: Vec<&str> = entries.iter().map(|e| e.asin.as_str()).collect();
    let product: Vec<Option<Uuid>> = entries.iter().map(|e| e.product_id.map(|p| p.0)).collect();
    let title: Vec<Option<String>> =
        entries.iter().map(|e| clip_opt(e.title.as_deref(), width::TITLE)).collect();
    let price: Vec<Option<Decimal>> = entries.iter().map(|e| e.price).collect();
    let currency: Vec<Option<&str>> = entries.iter().map(|e| e.currency.as_deref()).collect();
    let rating: Vec<Option<f64>> = entries.iter().map(|e| e.rating).collect();
    let reviews: Vec<Option<i32>> = entries.iter().map(|e| e.review_count).collect();
    let image: Vec<Option<String>> =
        entries.iter().map(|e| clip_opt(e.image_url.as_deref(), width::IMAGE_URL)).collect();
    // An entry without a product id is linked to the catalogue's product of the same ASIN in
    // the category's marketplace, when there is one.
    // language=PostgreSQL
    let sql = "INSERT INTO bestseller_snapshots (category_id, scraped_at, rank, asin, product_id,
                   title, price, currency, rating, review_count, image_url)
               SELECT u.category_id, u.scraped_at, u.rank, u.asin,
                   COALESCE(u.product_id, (SELECT p.id FROM products p JOIN categories c
                       ON c.id = u.category_id
                       WHERE p.asin = u.asin AND p.marketplace = c.marketplace)),
                   u.title, u.price, u.currency, u.rating, u.review_count, u.image_url
               FROM UNNEST($1::uuid[], $2::timestamptz[], $3::int4[], $4::text[], $5::uuid[],
                   $6::text[], $7::numeric[], $8::text[], $9::float8[], $10::int4[], $11::text[])
                   AS u(category_id, scraped_at, rank, asin, product_id, title, price,
                        currency, rating, review_count, image_url)
               ON CONFLICT ON CONSTRAINT uq_bestseller_snapshots_category_scraped_rank DO NOTHING";
    let done = sqlx::query(sql)
        .bind(&category)
        .bind(&scraped)
        .bind(&rank)
        .bind(&asin)
        .bind(&product)
        .bind(&title)
        .bind(&price)
        .bind(&currency)
        .bind(&rating)
        .bind(&reviews)
        .bind(&image)
        .execute(&mut *conn)
        .await
        .map_err(|e| {
            let bad_rank = entries.iter().map(|e| e.rank).find(|r| *r < 1);
            let bad_rating = entries.iter().filter_map(|e| e.rating).find(|r| !(0.0..=5.0).contains(r));
            error::map(e, &ErrCtx::new().opt_value("rank", bad_rank).opt_value("rating", bad_rating))
        })?;
    Ok(done.rows_affected())
}
