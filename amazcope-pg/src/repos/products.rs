//! [`ProductRepository`]: the shared catalogue, one row per (ASIN, marketplace).

use super::error::{self, ErrCtx};
use super::rows::{ProductRow, convert_all, convert_opt};
use super::{like_pattern, limit_of};
use crate::PgStore;
use amazcope_core::model::product::{Product, ProductQuery, ProductUpsert};
use amazcope_core::{Asin, FetchStatus, Marketplace, ProductId, ProductRepository, StoreError, StoreResult};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::Postgres;
use sqlx::postgres::PgArguments;
use sqlx::query::QueryAs;
use sqlx::types::Json;

type ProductQueryAs<'q> = QueryAs<'q, Postgres, ProductRow, PgArguments>;

// The column list and VALUES shared by create and upsert. `title` NOT NULL: a bare product
// gets its ASIN as title until a page supplies one; `url` defaults to the canonical
// product URL ($27). `currency` starts as the marketplace's and then follows snapshots.
macro_rules! product_insert {
    () => {
        "INSERT INTO products (asin, marketplace, title, url, currency, created_by_id,
             is_competitor, brand, manufacturer, category, small_category, bsr_category_link,
             bsr_subcategory_link, amazons_choice_keywords, product_dimensions, item_weight,
             model_number, variation_types, has_variations, total_variations, image_url,
             seller_store_url, product_description, features, product_overview,
             technical_details, image_urls)
         VALUES ($1, $2, COALESCE($3, $1), COALESCE($4, $27), $5, $6, $7, $8, $9, $10, $11,
             $12, $13, $14, $15, $16, $17, $18, COALESCE($19, false), COALESCE($20, 0), $21,
             $22, $23, $24, $25, $26, $28)"
    };
}

/// Binds the 28 parameters of `product_insert!`.
fn bind_product<'q>(q: ProductQueryAs<'q>, p: &ProductUpsert) -> ProductQueryAs<'q> {
    let d = p.data.clone();
    let has_variations = d.variation_types.as_ref().map(|v| !v.is_empty());
    q.bind(p.asin.as_str().to_owned())
        .bind(p.marketplace.code())
        .bind(d.title)
        .bind(p.url.clone())
        .bind(p.marketplace.currency().as_str().to_owned())
        .bind(p.created_by.map(|u| u.0))
        .bind(p.is_competitor)
        .bind(d.brand)
        .bind(d.manufacturer)
        .bind(d.category)
        .bind(d.small_category)
        .bind(d.bsr_category_link)
        .bind(d.bsr_subcategory_link)
        .bind(d.amazons_choice_keywords.map(Json))
        .bind(d.product_dimensions)
        .bind(d.item_weight)
        .bind(d.model_number)
        .bind(d.variation_types.map(Json))
        .bind(has_variations)
        .bind(d.total_variations)
        .bind(d.image_url)
        .bind(d.seller_store_url)
        .bind(d.product_description)
        .bind(d.features.map(Json))
        .bind(d.product_overview)
        .bind(d.technical_details)
        .bind(p.marketplace.product_url(&p.asin))
        .bind(d.image_urls.map(Json))
}

fn product_ctx(p: &ProductUpsert) -> ErrCtx {
    ErrCtx::new()
        .conflict(
            "uq_product_asin_marketplace",
            format!("product {} on amazon.{} already exists", p.asin, p.marketplace),
        )
        .value("asin", p.asin)
        .value("marketplace", p.marketplace)
        .opt_value("created_by_id", p.created_by)
        .opt_value("total_variations", p.data.total_variations)
}

#[async_trait]
impl ProductRepository for PgStore {
    async fn product(&self, id: ProductId) -> StoreResult<Option<Product>> {
        // language=PostgreSQL
        let sql = "SELECT * FROM products WHERE id = $1";
        let row = sqlx::query_as::<_, ProductRow>(sql)
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await
            .map_err(error::db)?;
        convert_opt(row)
    }

    async fn product_by_asin(&self, asin: &Asin, marketplace: Marketplace) -> StoreResult<Option<Product>> {
        // language=PostgreSQL
        let sql = "SELECT * FROM products WHERE asin = $1 AND marketplace = $2";
        let row = sqlx::query_as::<_, ProductRow>(sql)
            .bind(asin.as_str())
            .bind(marketplace.code())
            .fetch_optional(&self.pool)
            .await
            .map_err(error::db)?;
        convert_opt(row)
    }

    async fn upsert_product(&self, product: &ProductUpsert) -> StoreResult<Product> {
        // `$n` (the value given, NULL when None) rather than EXCLUDED for title and url,
        // because EXCLUDED holds the insert's placeholders. created_by_id and is_competitor
        // are never in the SET list: the first importer stays the creator.
        // language=PostgreSQL
        let sql = concat!(
            product_insert!(),
            " ON CONFLICT ON CONSTRAINT uq_product_asin_marketplace DO UPDATE SET
                title = COALESCE($3, products.title),
                url = COALESCE($4, products.url),
                brand = COALESCE(EXCLUDED.brand, products.brand),
                manufacturer = COALESCE(EXCLUDED.manufacturer, products.manufacturer),
                category = COALESCE(EXCLUDED.category, products.category),
                small_category = COALESCE(EXCLUDED.small_category, products.small_category),
                bsr_category_link = COALESCE(EXCLUDED.bsr_category_link, products.bsr_category_link),
                bsr_subcategory_link =
                    COALESCE(EXCLUDED.bsr_subcategory_link, products.bsr_subcategory_link),
                amazons_choice_keywords =
                    COALESCE(EXCLUDED.amazons_choice_keywords, products.amazons_choice_keywords),
                product_dimensions = COALESCE(EXCLUDED.product_dimensions, products.product_dimensions),
                item_weight = COALESCE(EXCLUDED.item_weight, products.item_weight),
                model_number = COALESCE(EXCLUDED.model_number, products.model_number),
                variation_types = COALESCE(EXCLUDED.variation_types, products.variation_types),
                has_variations = COALESCE($19, products.has_variations),
                total_variations = COALESCE($20, products.total_variations),
                image_url = COALESCE(EXCLUDED.image_url, products.image_url),
                image_urls = COALESCE(EXCLUDED.image_urls, products.image_urls),
                seller_store_url = COALESCE(EXCLUDED.seller_store_url, products.seller_store_url),
                product_description =
                    COALESCE(EXCLUDED.product_description, products.product_description),
                features = COALESCE(EXCLUDED.features, products.features),
                product_overview = COALESCE(EXCLUDED.product_overview, products.product_overview),
                technical_details = COALESCE(EXCLUDED.technical_details, products.technical_details)
             RETURNING *"
        );
        let row = bind_product(sqlx::query_as::<_, ProductRow>(sql), product)
            .fetch_one(&self.pool)
            .await
            .map_err(|e| error::map(e, &product_ctx(product)))?;
        row.try_into()
    }

    async fn create_product(&self, product: &ProductUpsert) -> StoreResult<Product> {
        // language=PostgreSQL
        let sql = concat!(product_insert!(), " RETURNING *");
        let row = bind_product(sqlx::query_as::<_, ProductRow>(sql), product)
            .fetch_one(&self.pool)
            .await
            .map_err(|e| error::map(e, &product_ctx(product)))?;
        row.try_into()
    }

    async fn deactivate_product(&self, id: ProductId) -> StoreResult<()> {
        // language=PostgreSQL
        let sql = "UPDATE products SET is_active = false WHERE id = $1";
        let done = sqlx::query(sql).bind(id.0).execute(&self.pool).await.map_err(error::db)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::not_found("product", id));
        }
        Ok(())
    }

    async fn record_fetch(
        &self,
        id: ProductId,
        status: FetchStatus,
        error_text: Option<&str>,
        at: DateTime<Utc>,
    ) -> StoreResult<()> {
        // A 404 marks the product unlisted (keeping the first time it was seen gone); a good
        // read clears the mark. Other outcomes leave it alone.
        // language=PostgreSQL
        let sql = "UPDATE products SET
                       last_fetch_status = $2,
                       last_fetch_at = $3,
                       last_fetch_error = $4,
                       is_unlisted = CASE $2 WHEN 'not_found' THEN true WHEN 'ok' THEN false
                                     ELSE is_unlisted END,
                       unlisted_at = CASE $2 WHEN 'not_found' THEN COALESCE(unlisted_at, $3)
                                     WHEN 'ok' THEN NULL ELSE unlisted_at END
                   WHERE id = $1";
        let done = sqlx::query(sql)
            .bind(id.0)
            .bind(status.as_str())
            .bind(at)
            .bind(error_text)
            .execute(&self.pool)
            .await
            .map_err(error::db)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::not_found("product", id));
        }
        Ok(())
    }

    async fn search_products(&self, query: &ProductQuery) -> StoreResult<Vec<Product>> {
        let mut qb = sqlx::QueryBuilder::<Postgres>::new("SELECT * FROM products WHERE true");
        if !query.include_inactive {
            qb.push(" AND is_active");
        }
        if let Some(m) = query.marketplace {
            qb.push(" AND marketplace = ").push_bind(m.code());
        }
        if let Some(text) = query.text.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            let pattern = like_pattern(text);
            qb.push(" AND (title ILIKE ")
                .push_bind(pattern.clone())
                .push(" OR brand ILIKE ")
                .push_bind(pattern.clone())
                .push(" OR asin ILIKE ")
                .push_bind(pattern)
                .push(")");
        }
        qb.push(" ORDER BY created_at DESC, id LIMIT ")
            .push_bind(limit_of(query.limit, 100))
            .push(" OFFSET ")
            .push_bind(i64::from(query.offset.unwrap_or(0)));
        let rows = qb.build_query_as::<ProductRow>().fetch_all(&self.pool).await.map_err(error::db)?;
        convert_all(rows)
    }
}
