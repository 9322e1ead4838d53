//! [`NotificationRepository`]: the in-app inbox. Read state is written through `status`
//! (`is_read` is generated from it by the database).

use crate::PgStore;
use crate::error;
use crate::rows::{NotificationRow, convert_all};
use crate::tenant::end_read;
use amazcope_core::model::notification::Notification;
use amazcope_core::{NotificationId, NotificationRepository, StoreError, StoreResult, UserId};
use async_trait::async_trait;
use chrono::{DateTime, Utc};

#[async_trait]
impl NotificationRepository for PgStore {
    async fn notifications(
        &self,
        user: UserId,
        unread_only: bool,
        limit: u32,
    ) -> StoreResult<Vec<Notification>> {
        let mut tx = self.user_tx(user).await?;
        // `status = 'unread'` (not `NOT is_read`) so the partial index
        // idx_notifications_unread serves the unread inbox.
        let rows = sqlx::query_as!(
            NotificationRow,
            "SELECT * FROM notifications
             WHERE user_id = $1 AND (NOT $2 OR status = 'unread')
             ORDER BY created_at DESC, id
             LIMIT $3",
            user.0,
            unread_only,
            i64::from(limit.max(1))
        )
        .fetch_all(&mut *tx)
        .await
        .map_err(error::db)?;
        end_read(tx);
        convert_all(rows)
    }

    async fn mark_notification_read(&self, user: UserId, id: NotificationId) -> StoreResult<Notification> {
        let mut tx = self.user_tx(user).await?;
        // An archived notification stays archived (it is already read); the first read time
        // is kept.
        let row = sqlx::query_as!(
            NotificationRow,
            "UPDATE notifications SET
                 status = CASE WHEN status = 'unread' THEN 'read' ELSE status END,
                 read_at = COALESCE(read_at, now())
             WHERE id = $1 AND user_id = $2
             RETURNING *",
            id.0,
            user.0
        )
        .fetch_optional(&mut *tx)
        .await
        .map_err(error::db)?
        .ok_or_else(|| StoreError::not_found("notification", id))?;
        tx.commit().await.map_err(error::db)?;
        row.try_into()
    }

    async fn mark_all_notifications_read(&self, user: UserId) -> StoreResult<u64> {
        let mut tx = self.user_tx(user).await?;
        let done = sqlx::query!(
            "UPDATE notifications SET status = 'read', read_at = now()
             WHERE user_id = $1 AND status = 'unread'",
            user.0
        )
        .execute(&mut *tx)
        .await
        .map_err(error::db)?;
        tx.commit().await.map_err(error::db)?;
        Ok(done.rows_affected())
    }

    // ---- Deletes (issue 13, command line). Each is scoped to the acting user. ----

    async fn delete_notification(&self, user: UserId, id: NotificationId) -> StoreResult<()> {
        let mut tx = self.user_tx(user).await?;
        let done = sqlx::query!("DELETE FROM notifications WHERE id = $1 AND user_id = $2", id.0, user.0)
            .execute(&mut *tx)
            .await
            .map_err(error::db)?;
        tx.commit().await.map_err(error::db)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::not_found("notification", id));
        }
        Ok(())
    }

    async fn delete_all_notifications(&self, user: UserId) -> StoreResult<u64> {
        let mut tx = self.user_tx(user).await?;
        let done = sqlx::query!("DELETE FROM notifications WHERE user_id = $1", user.0)
            .execute(&mut *tx)
            .await
            .map_err(error::db)?;
        tx.commit().await.map_err(error::db)?;
        Ok(done.rows_affected())
    }

    async fn purge_notifications(&self, user: UserId, older_than: DateTime<Utc>) -> StoreResult<u64> {
        let mut tx = self.user_tx(user).await?;
        let done = sqlx::query!(
            "DELETE FROM notifications WHERE user_id = $1 AND created_at < $2",
            user.0,
            older_than
        )
        .execute(&mut *tx)
        .await
        .map_err(error::db)?;
        tx.commit().await.map_err(error::db)?;
        Ok(done.rows_affected())
    }
}
