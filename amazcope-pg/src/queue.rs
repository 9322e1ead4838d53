//! The work queue on `products`: due products are claimed with `FOR UPDATE SKIP LOCKED`
//! and a lease (`lease_owner`, `lease_expires_at`), so any number of workers on any number
//! of machines share the work, never hold one product at once, and take over the products
//! of a worker that died once its lease has run out.

use crate::PgStore;
use crate::columns::clip;
use crate::error::db;
use amazcope_core::model::enums::TrackFrequency;
use amazcope_core::service::{ClaimRequest, ClaimedProduct, WorkQueue};
use amazcope_core::{ProductId, StoreResult};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

#[async_trait]
impl WorkQueue for PgStore {
    async fn claim_due(&self, request: &ClaimRequest) -> StoreResult<Vec<ClaimedProduct>> {
        let lease_until = request.now + request.lease;
        // SKIP LOCKED: rows another worker is claiming right now are passed over instead of
        // waited for, and the lease columns make the claim outlive this statement. A lease
        // that ran out (its worker died) is claimable again. The EXISTS keeps products no
        // active user tracks out of the queue; idx_products_next_refresh serves the order.
        // language=PostgreSQL
        let sql = "WITH due AS (
                       SELECT p.id FROM products p
                       WHERE p.is_active
                         AND (p.next_refresh_at IS NULL OR p.next_refresh_at <= $1)
                         AND (p.lease_expires_at IS NULL OR p.lease_expires_at <= $1)
                         AND EXISTS (
                             SELECT 1 FROM user_products up JOIN users u ON u.id = up.user_id
                             WHERE up.product_id = p.id AND up.is_active AND u.is_active
                               AND ($5::uuid IS NULL OR up.user_id = $5))
                       ORDER BY p.next_refresh_at NULLS FIRST, p.id
                       LIMIT $2
                       FOR UPDATE OF p SKIP LOCKED)
                   UPDATE products p SET lease_owner = $3, lease_expires_at = $4
                   FROM due WHERE p.id = due.id
                   RETURNING p.id, p.asin, p.marketplace, p.track_frequency, p.next_refresh_at";
        // Cross-user: whether any active user tracks each product.
        let mut tx = self.service_tx().await?;
        let rows: Vec<(Uuid, String, String, String, Option<DateTime<Utc>>)> = sqlx::query_as(sql)
            .bind(request.now)
            .bind(i64::from(request.limit))
            .bind(clip(&request.worker_id, 100))
            .bind(lease_until)
            .bind(request.user.map(|u| u.0))
            .fetch_all(&mut *tx)
            .await
            .map_err(db)?;
        tx.commit().await.map_err(db)?;
        let mut out = Vec::with_capacity(rows.len());
        for (id, asin, mp, freq, next) in rows {
            out.push((
                next,
                ClaimedProduct {
                    product_id: ProductId(id),
                    asin: asin.parse()?,
                    marketplace: mp.parse()?,
                    track_frequency: freq.parse::<TrackFrequency>()?,
                    lease_expires_at: lease_until,
                },
            ));
        }
        // RETURNING has no order; hand products out oldest-due first as claimed.
        out.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.product_id.cmp(&b.1.product_id)));
        Ok(out.into_iter().map(|(_, c)| c).collect())
    }

    async fn complete(
        &self,
        product: ProductId,
        worker_id: &str,
        next_refresh_at: DateTime<Utc>,
    ) -> StoreResult<bool> {
        // Only the lease holder completes: a worker whose lease ran out and was taken over
        // must not reschedule the product under the new holder.
        let mut conn = self.pool().acquire().await.map_err(db)?;
        complete_on(&mut conn, product, worker_id, next_refresh_at).await
    }

    async fn release(&self, product: ProductId, worker_id: &str) -> StoreResult<bool> {
        let done = sqlx::query!(
            "UPDATE products SET lease_owner = NULL, lease_expires_at = NULL
             WHERE id = $1 AND lease_owner = $2",
            product.0,
            clip(worker_id, 100)
        )
        .execute(self.pool())
        .await
        .map_err(db)?;
        Ok(done.rows_affected() == 1)
    }
}

/// Ends `worker_id`'s lease on `product` and schedules its next refresh, on `conn` (the
/// caller's transaction when the end of the lease goes with a write: ingest). `false` when
/// the lease was no longer held. The one write of the lease columns besides the claim.
pub(crate) async fn complete_on(
    conn: &mut sqlx::PgConnection,
    product: ProductId,
    worker_id: &str,
    next_refresh_at: DateTime<Utc>,
) -> StoreResult<bool> {
    let done = sqlx::query!(
        "UPDATE products SET lease_owner = NULL, lease_expires_at = NULL, next_refresh_at = $3
         WHERE id = $1 AND lease_owner = $2",
        product.0,
        clip(worker_id, 100),
        next_refresh_at
    )
    .execute(conn)
    .await
    .map_err(db)?;
    Ok(done.rows_affected() == 1)
}
