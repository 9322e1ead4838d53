//! Storing a decoded Keepa history (`amazcope import-keepa`): the product found or created,
//! its points stored through the one snapshot write (so the daily rollups follow), marked
//! `source = keepa`, in one transaction per product.

use crate::PgStore;
use crate::error::db;
use crate::partitions::{self, Month};
use crate::write::products::{self, NewProduct};
use amazcope_core::keepa::KeepaProduct;
use amazcope_core::{ProductId, StoreError, StoreResult, UserId};
use serde::Serialize;

/// What importing one product did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeepaImport {
    /// The ASIN.
    pub asin: String,
    /// The marketplace code.
    pub marketplace: String,
    /// The stored product.
    pub product_id: ProductId,
    /// Whether the product was created by this import.
    pub created: bool,
    /// Points in the file.
    pub points: usize,
    /// Snapshots stored now (0 when imported before).
    pub inserted: usize,
}

impl PgStore {
    /// Stores one decoded product: found or created (with its title, `created_by` as its
    /// creator), the monthly partitions of its history made when missing, and its points
    /// stored as snapshots with their rollups, all in one transaction. Points already stored
    /// (same product and time) are skipped, so importing a file again stores nothing.
    pub async fn import_keepa(
        &self,
        product: &KeepaProduct,
        created_by: Option<UserId>,
    ) -> StoreResult<KeepaImport> {
        let months: Vec<Month> = product.points.iter().filter_map(|p| Month::of(p.at).ok()).collect();
        if !months.is_empty() {
            partitions::ensure_months(&self.pool, &months).await.map_err(|e| StoreError::Backend {
                message: format!("making the snapshot partitions of {}: {e}", product.asin),
                source: Some(Box::new(e)),
            })?;
        }
        let mut tx = self.pool.begin().await.map_err(db)?;
        let mut item = NewProduct::bare(product.asin, product.marketplace, created_by);
        item.title = product.title.as_deref();
        let (ids, created) = products::ensure(&mut tx, &[item]).await?;
        let stored = ids
            .get(&(product.asin, product.marketplace))
            .ok_or_else(|| StoreError::not_found("product", product.asin))?;
        let id = ProductId(stored.id);
        let snapshots = product.snapshots(id);
        let inserted = crate::write::snapshots::store_new_snapshots(&mut tx, &snapshots).await?.len();
        tx.commit().await.map_err(db)?;
        Ok(KeepaImport {
            asin: product.asin.to_string(),
            marketplace: product.marketplace.code().to_string(),
            product_id: id,
            created: created.contains(&id.0),
            points: snapshots.len(),
            inserted,
        })
    }
}
