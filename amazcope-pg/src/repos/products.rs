//! [`ProductRepository`]: the shared catalogue, one row per (ASIN, marketplace), written
//! through [`crate::write::products`] like every page.

use super::{like_pattern, limit_of};
use crate::error;
use crate::rows::{ProductRow, convert_all, convert_opt};
use crate::write::products::{CatalogUpdate, NewProduct};
use crate::{PgStore, write};
use amazcope_core::model::product::{Product, ProductQuery, ProductUpsert};
use amazcope_core::{Asin, Marketplace, ProductId, ProductRef, ProductRepository, StoreError, StoreResult};
use async_trait::async_trait;
use sqlx::Postgres;

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
        let d = &product.data;
        let mut tx = self.pool.begin().await.map_err(error::db)?;
        let new = NewProduct {
            title: d.title.as_deref(),
            url: product.url.as_deref(),
            is_competitor: product.is_competitor,
            ..NewProduct::bare(product.asin, product.marketplace, product.created_by)
        };
        let (ids, _) = write::products::ensure(&mut tx, &[new]).await?;
        let id = ids.get(&(product.asin, product.marketplace)).map(|p| p.id).ok_or_else(|| {
            StoreError::not_found("product", ProductRef::new(product.asin, product.marketplace))
        })?;
        let json = |v: &Option<Vec<String>>| v.as_ref().map(|v| serde_json::json!(v));
        let update = CatalogUpdate {
            product: id,
            title: d.title.clone(),
            brand: d.brand.clone(),
            manufacturer: d.manufacturer.clone(),
            url: product.url.clone(),
            category: d.category.clone(),
            small_category: d.small_category.clone(),
            bsr_link: d.bsr_category_link.clone(),
            bsr_sub_link: d.bsr_subcategory_link.clone(),
            weight: d.item_weight.clone(),
            model: d.model_number.clone(),
            image: d.image_url.clone(),
            seller_store_url: d.seller_store_url.clone(),
            description: d.product_description.clone(),
            dimensions: d.product_dimensions.clone(),
            features: json(&d.features),
            technical: d.technical_details.clone(),
            overview: d.product_overview.clone(),
            variation_types: json(&d.variation_types),
            total_variations: d.total_variations,
            images: json(&d.image_urls),
            ..CatalogUpdate::default()
        };
        write::products::update_catalog(&mut tx, &[update]).await?;
        tx.commit().await.map_err(error::db)?;
        self.product(ProductId(id)).await?.ok_or_else(|| StoreError::not_found("product", id))
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
