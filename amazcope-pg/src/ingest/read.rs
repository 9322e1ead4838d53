//! Catalogue reads for the command line that are not tenant-scoped: a product's history is
//! the same for every user (the catalogue is shared; who tracks it is not).

use super::db;
use crate::PgStore;
use crate::rows::SnapshotRow;
use amazcope_core::model::snapshot::ProductSnapshot;
use amazcope_core::{ProductId, StoreResult, TimeRange};

impl PgStore {
    /// A product's snapshots in `range`, oldest first, whoever tracks it.
    pub async fn product_history(
        &self,
        product: ProductId,
        range: TimeRange,
    ) -> StoreResult<Vec<ProductSnapshot>> {
        // language=PostgreSQL
        let sql = "SELECT s.* FROM product_snapshots s
                   WHERE s.product_id = $1
                     AND ($2::timestamptz IS NULL OR s.scraped_at >= $2)
                     AND ($3::timestamptz IS NULL OR s.scraped_at < $3)
                   ORDER BY s.scraped_at";
        let rows = sqlx::query_as::<_, SnapshotRow>(sql)
            .bind(product.0)
            .bind(range.from)
            .bind(range.to)
            .fetch_all(self.pool())
            .await
            .map_err(db)?;
        rows.into_iter().map(ProductSnapshot::try_from).collect()
    }
}
