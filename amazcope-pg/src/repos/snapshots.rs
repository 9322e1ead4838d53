//! [`SnapshotRepository`]: the partitioned time series and the product's denormalised
//! latest values, written together by the same functions as batch ingest
//! ([`crate::write::snapshots`], [`crate::write::products::update_latest_values`]).

use crate::PgStore;
use crate::error;
use crate::history::{readable_tracking, tracks_in};
use crate::rows::{SnapshotRow, convert_all, convert_opt};
use crate::tenant::end_read;
use crate::write::{products, snapshots};
use amazcope_core::model::snapshot::{NewSnapshot, ProductSnapshot};
use amazcope_core::{
    BatchReport, ProductId, SnapshotId, SnapshotInsert, SnapshotRepository, StoreError, StoreResult,
    TimeRange, UserId,
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::borrow::Cow;
use uuid::Uuid;

impl PgStore {
    /// A product's snapshots in `range`, oldest first, whoever tracks it (the catalogue is
    /// shared; who tracks it is not).
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
            .fetch_all(self.read_pool().await)
            .await
            .map_err(error::db)?;
        convert_all(rows)
    }

    /// Stores the new snapshots of `batch` and the latest values of their products in one
    /// transaction. Returns the ids of the snapshots stored.
    async fn store_snapshots(&self, batch: &[NewSnapshot]) -> StoreResult<Vec<Uuid>> {
        if batch.is_empty() {
            return Ok(Vec::new());
        }
        let batch: Cow<'_, [NewSnapshot]> = if batch.iter().any(snapshots::too_long) {
            let mut owned = batch.to_vec();
            snapshots::fit(&mut owned);
            Cow::Owned(owned)
        } else {
            Cow::Borrowed(batch)
        };
        let mut tx = self.pool.begin().await.map_err(error::db)?;
        let stored = snapshots::store_new_snapshots(&mut tx, &batch).await?;
        let latest: Vec<&NewSnapshot> =
            products::newest_per_product(stored.iter().map(|(s, _)| *s).enumerate())
                .into_values()
                .map(|i| stored[i].0)
                .collect();
        products::update_latest_values(&mut tx, &latest).await?;
        tx.commit().await.map_err(error::db)?;
        Ok(stored.into_iter().map(|(_, id)| id).collect())
    }
}

#[async_trait]
impl SnapshotRepository for PgStore {
    async fn insert_snapshot(&self, s: &NewSnapshot) -> StoreResult<SnapshotInsert> {
        let report = self.store_snapshots(std::slice::from_ref(s)).await?;
        if let Some(&id) = report.first() {
            return Ok(SnapshotInsert { id: SnapshotId(id), inserted: true });
        }
        // language=PostgreSQL
        let sql = "SELECT id FROM product_snapshots WHERE product_id = $1 AND scraped_at = $2";
        let id: Option<uuid::Uuid> = sqlx::query_scalar(sql)
            .bind(s.product_id.0)
            .bind(s.scraped_at)
            .fetch_optional(&self.pool)
            .await
            .map_err(error::db)?;
        // Gone between the two statements: only a concurrent delete (or partition drop) does
        // that, and the snapshot is then not stored.
        let id = id.ok_or_else(|| StoreError::not_found("snapshot", s.scraped_at.to_rfc3339()))?;
        Ok(SnapshotInsert { id: SnapshotId(id), inserted: false })
    }

    async fn insert_snapshots(&self, batch: &[NewSnapshot]) -> StoreResult<BatchReport> {
        let inserted = self.store_snapshots(batch).await?.len() as u64;
        Ok(BatchReport { inserted, duplicates: batch.len() as u64 - inserted })
    }

    async fn latest_snapshot(&self, product: ProductId) -> StoreResult<Option<ProductSnapshot>> {
        // language=PostgreSQL
        let sql = "SELECT * FROM product_snapshots WHERE product_id = $1
                   ORDER BY scraped_at DESC LIMIT 1";
        let row = sqlx::query_as::<_, SnapshotRow>(sql)
            .bind(product.0)
            .fetch_optional(&self.pool)
            .await
            .map_err(error::db)?;
        convert_opt(row)
    }

    async fn previous_snapshot(
        &self,
        product: ProductId,
        before: DateTime<Utc>,
    ) -> StoreResult<Option<ProductSnapshot>> {
        // language=PostgreSQL
        let sql = "SELECT * FROM product_snapshots WHERE product_id = $1 AND scraped_at < $2
                   ORDER BY scraped_at DESC LIMIT 1";
        let row = sqlx::query_as::<_, SnapshotRow>(sql)
            .bind(product.0)
            .bind(before)
            .fetch_optional(&self.pool)
            .await
            .map_err(error::db)?;
        convert_opt(row)
    }

    async fn snapshot_history(
        &self,
        user: UserId,
        product: ProductId,
        range: TimeRange,
    ) -> StoreResult<Vec<ProductSnapshot>> {
        // One transaction as `user` on the read pool: the snapshots come with the tenancy
        // rule of per-product reads (`check_tracks`: an active tracking row) as a one-time
        // filter of the same statement, so a readable product costs one query. Only an empty
        // answer asks again, to tell "tracked, nothing in the range" from NotFound.
        let mut tx = self.read_user_tx(user).await?;
        // Bounds as a range built by QueryBuilder so only the partitions of the range are
        // scanned (a `$2 IS NULL OR` predicate would defeat pruning under a generic plan).
        let mut qb = sqlx::QueryBuilder::<sqlx::Postgres>::new(
            "SELECT s.* FROM product_snapshots s WHERE s.product_id = ",
        );
        qb.push_bind(product.0);
        if let Some(from) = range.from {
            qb.push(" AND s.scraped_at >= ").push_bind(from);
        }
        if let Some(to) = range.to {
            qb.push(" AND s.scraped_at < ").push_bind(to);
        }
        qb.push(" AND EXISTS (SELECT 1 FROM user_products up WHERE up.user_id = ")
            .push_bind(user.0)
            .push(" AND up.product_id = ")
            .push_bind(product.0)
            .push(concat!(" AND ", readable_tracking!(), ")"));
        qb.push(" ORDER BY s.scraped_at");
        let rows = qb.build_query_as::<SnapshotRow>().fetch_all(&mut *tx).await.map_err(error::db)?;
        if rows.is_empty() {
            tracks_in(&mut tx, user, product).await?;
        }
        end_read(tx);
        convert_all(rows)
    }
}
