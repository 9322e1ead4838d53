//! [`NotificationRepository`]: the in-app inbox. Read state is written through `status`
//! (`is_read` is generated from it by the database).

use super::error::{self, ErrCtx};
use super::rows::{NotificationRow, convert_all};
use crate::PgStore;
use amazcope_core::model::notification::{NewNotification, Notification};
use amazcope_core::{NotificationId, NotificationRepository, StoreError, StoreResult, UserId};
use async_trait::async_trait;
use chrono::{DateTime, Utc};

#[async_trait]
impl NotificationRepository for PgStore {
    async fn create_notification(&self, n: &NewNotification) -> StoreResult<Notification> {
        // language=PostgreSQL
        let sql = "INSERT INTO notifications (user_id, product_id, alert_id, notification_type, title,
                       message, data, priority, action_url)
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                   RETURNING *";
        let row = sqlx::query_as::<_, NotificationRow>(sql)
            .bind(n.user_id.0)
            .bind(n.product_id.map(|p| p.0))
            .bind(n.alert_id.map(|a| a.0))
            .bind(n.notification_type.as_str())
            .bind(&n.title)
            .bind(&n.message)
            .bind(&n.data)
            .bind(n.priority.as_str())
            .bind(&n.action_url)
            .fetch_one(&self.pool)
            .await
            .map_err(|e| {
                error::map(
                    e,
                    &ErrCtx::new()
                        .value("user_id", n.user_id)
                        .opt_value("product_id", n.product_id)
                        .opt_value("alert_id", n.alert_id),
                )
            })?;
        row.try_into()
    }

    async fn notifications(
        &self,
        user: UserId,
        unread_only: bool,
        limit: u32,
    ) -> StoreResult<Vec<Notification>> {
        // `status = 'unread'` (not `NOT is_read`) so the partial index
        // idx_notifications_unread serves the unread inbox.
        // language=PostgreSQL
        let sql = "SELECT * FROM notifications
                   WHERE user_id = $1 AND (NOT $2 OR status = 'unread')
                   ORDER BY created_at DESC, id
                   LIMIT $3";
        let rows = sqlx::query_as::<_, NotificationRow>(sql)
            .bind(user.0)
            .bind(unread_only)
            .bind(i64::from(limit.max(1)))
            .fetch_all(&self.pool)
            .await
            .map_err(error::db)?;
        convert_all(rows)
    }

    async fn mark_notification_read(&self, user: UserId, id: NotificationId) -> StoreResult<Notification> {
        // An archived notification stays archived (it is already read); the first read time
        // is kept.
        // language=PostgreSQL
        let sql = "UPDATE notifications SET
                       status = CASE WHEN status = 'unread' THEN 'read' ELSE status END,
                       read_at = COALESCE(read_at, now())
                   WHERE id = $1 AND user_id = $2
                   RETURNING *";
        let row = sqlx::query_as::<_, NotificationRow>(sql)
            .bind(id.0)
            .bind(user.0)
            .fetch_optional(&self.pool)
            .await
            .map_err(error::db)?
            .ok_or_else(|| StoreError::not_found("notification", id))?;
        row.try_into()
    }

    async fn mark_all_notifications_read(&self, user: UserId) -> StoreResult<u64> {
        // language=PostgreSQL
        let sql = "UPDATE notifications SET status = 'read', read_at = now()
                   WHERE user_id = $1 AND status = 'unread'";
        let done = sqlx::query(sql).bind(user.0).execute(&self.pool).await.map_err(error::db)?;
        Ok(done.rows_affected())
    }

    // ---- Deletes (issue 13, command line). Each is scoped to the acting user. ----

    async fn delete_notification(&self, user: UserId, id: NotificationId) -> StoreResult<()> {
        // language=PostgreSQL
        let sql = "DELETE FROM notifications WHERE id = $1 AND user_id = $2";
        let done = sqlx::query(sql).bind(id.0).bind(user.0).execute(&self.pool).await.map_err(error::db)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::not_found("notification", id));
        }
        Ok(())
    }

    async fn delete_all_notifications(&self, user: UserId) -> StoreResult<u64> {
        // language=PostgreSQL
        let sql = "DELETE FROM notifications WHERE user_id = $1";
        let done = sqlx::query(sql).bind(user.0).execute(&self.pool).await.map_err(error::db)?;
        Ok(done.rows_affected())
    }

    async fn purge_notifications(&self, user: UserId, older_than: DateTime<Utc>) -> StoreResult<u64> {
        // language=PostgreSQL
        let sql = "DELETE FROM notifications WHERE user_id = $1 AND created_at < $2";
        let done =
            sqlx::query(sql).bind(user.0).bind(older_than).execute(&self.pool).await.map_err(error::db)?;
        Ok(done.rows_affected())
    }
}
