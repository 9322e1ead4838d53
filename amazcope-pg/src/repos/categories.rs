//! [`CategoryRepository`]: the category tree, best-seller lists and category metrics.

use super::error::{self, ErrCtx};
use super::rows::{BestsellerRow, CategoryMetricRow, CategoryRow, convert_all, convert_opt};
use crate::PgStore;
use amazcope_core::model::category::{
    BestsellerSnapshot, Category, CategoryMetric, NewBestsellerEntry, NewCategory, NewCategoryMetric,
};
use amazcope_core::{BatchReport, CategoryId, CategoryRepository, Marketplace, StoreError, StoreResult};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use uuid::Uuid;

#[async_trait]
impl CategoryRepository for PgStore {
    async fn upsert_category(&self, c: &NewCategory) -> StoreResult<Category> {
        let mut tx = self.pool.begin().await.map_err(error::db)?;
        let level = match c.parent_id {
            Some(parent) => {
                // language=PostgreSQL
                let sql = "SELECT level FROM categories WHERE id = $1";
                let parent_level: Option<i32> = sqlx::query_scalar(sql)
                    .bind(parent.0)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(error::db)?;
                parent_level.ok_or_else(|| StoreError::not_found("category", parent))? + 1
            }
            None => 0,
        };
        let ctx = || {
            ErrCtx::new()
                .opt_value("parent_id", c.parent_id)
                .value("marketplace", c.marketplace)
                .value("level", level)
        };
        // Identity by (marketplace, slug) when Amazon gives one, else by place in the tree:
        // the partial unique index uq_categories_marketplace_parent_name, whose expressions
        // the ON CONFLICT target repeats so PostgreSQL can infer it.
        // language=PostgreSQL
        let by_slug = "INSERT INTO categories (category_id, marketplace, name, url, parent_id, level)
                       VALUES ($1, $2, $3, $4, $5, $6)
                       ON CONFLICT ON CONSTRAINT uq_category_marketplace DO UPDATE SET
                           name = EXCLUDED.name,
                           url = COALESCE(EXCLUDED.url, categories.url),
                           parent_id = COALESCE(EXCLUDED.parent_id, categories.parent_id),
                           level = CASE WHEN EXCLUDED.parent_id IS NULL THEN categories.level
                                        ELSE EXCLUDED.level END
                       RETURNING *";
        // language=PostgreSQL
        let by_place = "INSERT INTO categories (category_id, marketplace, name, url, parent_id, level)
                        VALUES ($1, $2, $3, $4, $5, $6)
                        ON CONFLICT (marketplace,
                                     COALESCE(parent_id, '00000000-0000-0000-0000-000000000000'::uuid),
                                     name)
                            WHERE category_id IS NULL
                        DO UPDATE SET url = COALESCE(EXCLUDED.url, categories.url)
                        RETURNING *";
        let sql = if c.category_id.is_some() { by_slug } else { by_place };
        let row = sqlx::query_as::<_, CategoryRow>(sql)
            .bind(&c.category_id)
            .bind(c.marketplace.code())
            .bind(c.name.trim())
            .bind(&c.url)
            .bind(c.parent_id.map(|p| p.0))
            .bind(level)
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| error::map(e, &ctx()))?;
        tx.commit().await.map_err(error::db)?;
        row.try_into()
    }

    async fn category(&self, id: CategoryId) -> StoreResult<Option<Category>> {
        // language=PostgreSQL
        let sql = "SELECT * FROM categories WHERE id = $1";
        let row = sqlx::query_as::<_, CategoryRow>(sql)
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await
            .map_err(error::db)?;
        convert_opt(row)
    }

    async fn category_tree(&self, marketplace: Marketplace) -> StoreResult<Vec<Category>> {
        // Walk down from the roots, carrying the path of (name, id) pairs; ordering by the
        // path puts every parent right before its subtree. Categories whose parent lives in
        // another marketplace count as roots here. The depth guard stops a corrupted cycle.
        // language=PostgreSQL
        let sql = "WITH RECURSIVE tree AS (
                       SELECT c.*, ARRAY[c.name::text || '/' || c.id::text] AS path
                       FROM categories c
                       WHERE c.marketplace = $1
                         AND (c.parent_id IS NULL OR NOT EXISTS (
                             SELECT 1 FROM categories p
                             WHERE p.id = c.parent_id AND p.marketplace = $1))
                       UNION ALL
                       SELECT c.*, t.path || (c.name::text || '/' || c.id::text)
                       FROM categories c
                       JOIN tree t ON c.parent_id = t.id
                       WHERE c.marketplace = $1 AND cardinality(t.path) < 64
                   )
                   SELECT * FROM tree ORDER BY path";
        let rows = sqlx::query_as::<_, CategoryRow>(sql)
            .bind(marketplace.code())
            .fetch_all(&self.pool)
            .await
            .map_err(error::db)?;
        convert_all(rows)
    }

    async fn insert_bestsellers(&self, entries: &[NewBestsellerEntry]) -> StoreResult<BatchReport> {
        if entries.is_empty() {
            return Ok(BatchReport::default());
        }
        let n = entries.len();
        let category: Vec<Uuid> = entries.iter().map(|e| e.category_id.0).collect();
        let scraped: Vec<DateTime<Utc>> = entries.iter().map(|e| e.scraped_at).collect();
        let rank: Vec<i32> = entries.iter().map(|e| e.rank).collect();
        let asin: Vec<String> = entries.iter().map(|e| e.asin.to_string()).collect();
        let product: Vec<Option<Uuid>> = entries.iter().map(|e| e.product_id.map(|p| p.0)).collect();
        let title: Vec<Option<String>> = entries.iter().map(|e| e.title.clone()).collect();
        let price: Vec<Option<Decimal>> = entries.iter().map(|e| e.price).collect();
        let currency: Vec<Option<String>> = entries.iter().map(|e| e.currency.clone()).collect();
        let rating: Vec<Option<f64>> = entries.iter().map(|e| e.rating).collect();
        let reviews: Vec<Option<i32>> = entries.iter().map(|e| e.review_count).collect();
        let image: Vec<Option<String>> = entries.iter().map(|e| e.image_url.clone()).collect();
        // Every array is built from `entries`, so all have length n (UNNEST would pad a
        // shorter one with NULLs rather than fail).
        debug_assert!([scraped.len(), rank.len(), asin.len(), title.len()].iter().all(|l| *l == n));

        // An entry without a product id is linked to the catalogue's product of the same
        // ASIN in the category's marketplace, when there is one.
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
            .execute(&self.pool)
            .await
            .map_err(|e| {
                let bad_rank = entries.iter().map(|e| e.rank).find(|r| *r < 1);
                let bad_rating = entries.iter().filter_map(|e| e.rating).find(|r| !(0.0..=5.0).contains(r));
                error::map(e, &ErrCtx::new().opt_value("rank", bad_rank).opt_value("rating", bad_rating))
            })?;
        let inserted = done.rows_affected();
        Ok(BatchReport { inserted, duplicates: n as u64 - inserted })
    }

    async fn latest_bestsellers(&self, category: CategoryId) -> StoreResult<Vec<BestsellerSnapshot>> {
        // language=PostgreSQL
        let sql = "SELECT * FROM bestseller_snapshots
                   WHERE category_id = $1
                     AND scraped_at = (SELECT max(scraped_at) FROM bestseller_snapshots
                                       WHERE category_id = $1)
                   ORDER BY rank";
        let rows = sqlx::query_as::<_, BestsellerRow>(sql)
            .bind(category.0)
            .fetch_all(&self.pool)
            .await
            .map_err(error::db)?;
        convert_all(rows)
    }

    async fn insert_category_metric(&self, m: &NewCategoryMetric) -> StoreResult<CategoryMetric> {
        // language=PostgreSQL
        let sql = "INSERT INTO category_metrics (category_id, category_level, recorded_at, avg_price,
                       median_price, min_price, max_price, avg_bsr, median_bsr, avg_rating,
                       avg_review_count, product_count)
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
                   RETURNING *";
        let row = sqlx::query_as::<_, CategoryMetricRow>(sql)
            .bind(m.category_id.0)
            .bind(m.category_level.as_str())
            .bind(m.recorded_at)
            .bind(m.avg_price)
            .bind(m.median_price)
            .bind(m.min_price)
            .bind(m.max_price)
            .bind(m.avg_bsr)
            .bind(m.median_bsr)
            .bind(m.avg_rating)
            .bind(m.avg_review_count)
            .bind(m.product_count)
            .fetch_one(&self.pool)
            .await
            .map_err(|e| {
                error::map(
                    e,
                    &ErrCtx::new()
                        .value("category_id", m.category_id)
                        .opt_value("rating", m.avg_rating)
                        .value("product_count", m.product_count),
                )
            })?;
        row.try_into()
    }

    async fn latest_category_metric(&self, category: CategoryId) -> StoreResult<Option<CategoryMetric>> {
        // language=PostgreSQL
        let sql = "SELECT * FROM category_metrics WHERE category_id = $1
                   ORDER BY recorded_at DESC LIMIT 1";
        let row = sqlx::query_as::<_, CategoryMetricRow>(sql)
            .bind(category.0)
            .fetch_optional(&self.pool)
            .await
            .map_err(error::db)?;
        convert_opt(row)
    }
}
