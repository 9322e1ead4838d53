//! [`AlertRepository`]: alerts, each stored with its notification in one transaction.

use super::limit_of;
use crate::error;
use crate::rows::{AlertRow, AlertViewRow, convert_all};
use crate::tenant::end_read;
use crate::{PgStore, write};
use amazcope_core::model::alert::{Alert, AlertQuery, AlertView, NewAlert};
use amazcope_core::{AlertId, AlertRepository, StoreError, StoreResult, UserId};
use async_trait::async_trait;

#[async_trait]
impl AlertRepository for PgStore {
    async fn create_alerts(&self, alerts: &[NewAlert]) -> StoreResult<Vec<Alert>> {
        // Cross-user: one batch holds the alerts of every tracker of a product.
        let mut tx = self.service_tx().await?;
        let written = write::alerts::insert(&mut tx, alerts).await?;
        tx.commit().await.map_err(error::db)?;
        Ok(written)
    }

    async fn alerts(&self, user: UserId, query: &AlertQuery) -> StoreResult<Vec<AlertView>> {
        // Runtime SQL: the filters build the statement (QueryBuilder), and `AlertViewRow`
        // flattens `AlertRow`, which query_as! cannot fill.
        let mut qb = sqlx::QueryBuilder::<sqlx::Postgres>::new(
            "SELECT a.*, p.asin, p.marketplace, p.title AS product_title
             FROM alerts a JOIN products p ON p.id = a.product_id
             WHERE a.user_id = ",
        );
        qb.push_bind(user.0);
        if query.unread_only {
            qb.push(" AND NOT a.is_read");
        }
        if let Some(product) = query.product_id {
            qb.push(" AND a.product_id = ").push_bind(product.0);
        }
        if let Some(since) = query.since {
            qb.push(" AND a.created_at >= ").push_bind(since);
        }
        qb.push(" ORDER BY a.created_at DESC, a.id LIMIT ").push_bind(limit_of(query.limit, 100));
        let mut tx = self.user_tx(user).await?;
        let rows = qb.build_query_as::<AlertViewRow>().fetch_all(&mut *tx).await.map_err(error::db)?;
        end_read(tx);
        convert_all(rows)
    }

    async fn mark_alert_read(&self, user: UserId, alert: AlertId) -> StoreResult<Alert> {
        let mut tx = self.user_tx(user).await?;
        let row = sqlx::query_as!(
            AlertRow,
            "UPDATE alerts SET is_read = true WHERE id = $1 AND user_id = $2 RETURNING *",
            alert.0,
            user.0
        )
        .fetch_optional(&mut *tx)
        .await
        .map_err(error::db)?
        .ok_or_else(|| StoreError::not_found("alert", alert))?;
        // Reading the alert reads its notification too, so the two inboxes agree.
        sqlx::query!(
            "UPDATE notifications SET status = 'read', read_at = now()
             WHERE alert_id = $1 AND user_id = $2 AND status = 'unread'",
            alert.0,
            user.0
        )
        .execute(&mut *tx)
        .await
        .map_err(error::db)?;
        tx.commit().await.map_err(error::db)?;
        row.try_into()
    }

    async fn mark_all_alerts_read(&self, user: UserId) -> StoreResult<u64> {
        let mut tx = self.user_tx(user).await?;
        let done =
            sqlx::query!("UPDATE alerts SET is_read = true WHERE user_id = $1 AND NOT is_read", user.0)
                .execute(&mut *tx)
                .await
                .map_err(error::db)?;
        sqlx::query!(
            "UPDATE notifications SET status = 'read', read_at = now()
             WHERE user_id = $1 AND alert_id IS NOT NULL AND status = 'unread'",
            user.0
        )
        .execute(&mut *tx)
        .await
        .map_err(error::db)?;
        tx.commit().await.map_err(error::db)?;
        Ok(done.rows_affected())
    }
}
