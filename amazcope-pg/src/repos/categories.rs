//! [`CategoryRepository`]: the category tree, best-seller lists and category metrics.

use crate::columns::{categories as width, clip};
use crate::error;
use crate::rows::{BestsellerRow, CategoryMetricRow, CategoryRow, convert_all, convert_opt};
use crate::{PgStore, write};
use amazcope_core::model::category::{
    BestsellerSnapshot, Category, CategoryMetric, NewBestsellerEntry, NewCategory,
};
use amazcope_core::{BatchReport, CategoryId, CategoryRepository, Marketplace, StoreError, StoreResult};
use async_trait::async_trait;
use std::collections::BTreeSet;

#[async_trait]
impl CategoryRepository for PgStore {
    async fn upsert_category(&self, c: &NewCategory) -> StoreResult<Category> {
        let mut tx = self.pool.begin().await.map_err(error::db)?;
        let parent = c.parent_id.map(|p| p.0);
        let name = c.name.trim();
        let id = match &c.category_id {
            Some(slug) => {
                write::categories::ensure_slug(&mut tx, c.marketplace, slug, name, c.url.as_deref(), parent)
                    .await?
            }
            None => {
                let key = (c.marketplace.code().to_owned(), parent, clip(name, width::NAME));
                write::categories::ensure_named(&mut tx, &BTreeSet::from([key.clone()])).await?[&key]
            }
        };
        tx.commit().await.map_err(error::db)?;
        self.category(CategoryId(id)).await?.ok_or_else(|| StoreError::not_found("category", id))
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
        let mut tx = self.pool.begin().await.map_err(error::db)?;
        let inserted = write::bestsellers::insert_entries(&mut tx, entries).await?;
        tx.commit().await.map_err(error::db)?;
        Ok(BatchReport { inserted, duplicates: entries.len() as u64 - inserted })
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

    async fn latest_category_metric(&self, category: CategoryId) -> StoreResult<Option<CategoryMetric>> {
        // language=PostgreSQL
        let sql = "SELECT * FROM category_metrics WHERE category_id = $1
                   ORDER BY recorded_at DESC LIMIT 1";
        let row = sqlx::query_as::<_, CategoryMetricRow>(sql)
            .bind(category.0)
            .fetch_optional(self.read_pool().await)
            .await
            .map_err(error::db)?;
        convert_opt(row)
    }
}
