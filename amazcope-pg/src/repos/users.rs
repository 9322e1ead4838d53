//! [`UserRepository`]: users and their lazily created settings.

use crate::PgStore;
use crate::error::{self, ErrCtx};
use crate::rows::{SettingsRow, UserRow, convert_all, convert_opt};
use amazcope_core::model::user::{NewUser, SettingsPatch, User, UserSettings};
use amazcope_core::{StoreError, StoreResult, UserId, UserRepository};
use async_trait::async_trait;

/// Stored as `hashed_password` for users made without a password: no hash scheme produces
/// it, so no password ever matches (the column is NOT NULL).
const NO_LOGIN: &str = "!";

impl PgStore {
    /// The settings row, created with the database defaults when missing. Runs on any
    /// executor so it can join a caller's transaction.
    pub(crate) async fn ensure_settings<'e, E>(executor: E, user: UserId) -> StoreResult<SettingsRow>
    where
        E: sqlx::PgExecutor<'e>,
    {
        // One round trip: the CTE returns the new row; when the row already existed the
        // INSERT returns nothing and the second branch (which does not see the CTE's write,
        // but needs not to) finds the old one.
        // The UNION hides the columns' NOT NULL from sqlx, hence the `!` overrides.
        sqlx::query_as!(
            SettingsRow,
            r#"WITH ins AS (
                   INSERT INTO user_settings (user_id) VALUES ($1)
                   ON CONFLICT ON CONSTRAINT uq_user_settings_user DO NOTHING
                   RETURNING *)
               SELECT id AS "id!", user_id AS "user_id!", email_notifications_enabled AS
                      "email_notifications_enabled!", price_alert_emails AS "price_alert_emails!",
                      bsr_alert_emails AS "bsr_alert_emails!", stock_alert_emails AS
                      "stock_alert_emails!", daily_summary_emails AS "daily_summary_emails!",
                      weekly_report_emails AS "weekly_report_emails!", default_price_threshold AS
                      "default_price_threshold!", default_bsr_threshold AS "default_bsr_threshold!",
                      theme AS "theme!", language AS "language!", timezone AS "timezone!", date_format
                      AS "date_format!", currency_display AS "currency_display!", products_per_page AS
                      "products_per_page!", default_sort_by AS "default_sort_by!", default_sort_order
                      AS "default_sort_order!", show_inactive_products AS "show_inactive_products!",
                      auto_refresh_dashboard AS "auto_refresh_dashboard!", refresh_interval_minutes AS
                      "refresh_interval_minutes!", share_analytics AS "share_analytics!", created_at
                      AS "created_at!", updated_at AS "updated_at!"
               FROM (SELECT * FROM ins
                     UNION ALL
                     SELECT * FROM user_settings WHERE user_id = $1
                     LIMIT 1) s"#,
            user.0
        )
        .fetch_optional(executor)
        .await
        .map_err(|e| error::map(e, &ErrCtx::new().value("user_id", user)))?
        .ok_or_else(|| StoreError::not_found("user", user))
    }
}

#[async_trait]
impl UserRepository for PgStore {
    async fn create_user(&self, new: &NewUser) -> StoreResult<User> {
        new.validate()?;
        let row = sqlx::query_as!(
            UserRow,
            "INSERT INTO users (email, username, hashed_password, full_name)
             VALUES ($1, $2, $3, $4)
             RETURNING id, email, username, full_name, is_active, is_superuser, is_verified,
                       failed_login_attempts, account_locked_until, last_login_at, last_login_ip,
                       last_failed_login_at, created_at, updated_at",
            &new.email,
            new.username.trim(),
            new.password_hash.as_deref().unwrap_or(NO_LOGIN),
            new.full_name.as_deref()
        )
        .fetch_one(&self.pool)
        .await
        .map_err(|e| {
            error::map(
                e,
                &ErrCtx::new()
                    .conflict("uq_users_email", format!("e-mail {} is already registered", new.email))
                    .conflict("uq_users_username", format!("user name {} is already taken", new.username)),
            )
        })?;
        row.try_into()
    }

    async fn user(&self, id: UserId) -> StoreResult<User> {
        let row = sqlx::query_as!(
            UserRow,
            "SELECT id, email, username, full_name, is_active, is_superuser, is_verified,
                    failed_login_attempts, account_locked_until, last_login_at, last_login_ip,
                    last_failed_login_at, created_at, updated_at
             FROM users WHERE id = $1",
            id.0
        )
        .fetch_optional(&self.pool)
        .await
        .map_err(error::db)?;
        convert_opt(row)?.ok_or_else(|| StoreError::not_found("user", id))
    }

    async fn user_by_name(&self, name_or_email: &str) -> StoreResult<Option<User>> {
        // A user name match wins over an e-mail match (a user may be named like another's
        // e-mail). E-mail comparison ignores case, as mail hosts do.
        let row = sqlx::query_as!(
            UserRow,
            "SELECT id, email, username, full_name, is_active, is_superuser, is_verified,
                    failed_login_attempts, account_locked_until, last_login_at, last_login_ip,
                    last_failed_login_at, created_at, updated_at
             FROM users
             WHERE username = $1 OR lower(email) = lower($1)
             ORDER BY (username = $1) DESC
             LIMIT 1",
            name_or_email.trim()
        )
        .fetch_optional(&self.pool)
        .await
        .map_err(error::db)?;
        convert_opt(row)
    }

    async fn list_users(&self) -> StoreResult<Vec<User>> {
        let rows = sqlx::query_as!(
            UserRow,
            "SELECT id, email, username, full_name, is_active, is_superuser, is_verified,
                    failed_login_attempts, account_locked_until, last_login_at, last_login_ip,
                    last_failed_login_at, created_at, updated_at
             FROM users WHERE is_active ORDER BY username"
        )
        .fetch_all(&self.pool)
        .await
        .map_err(error::db)?;
        convert_all(rows)
    }

    async fn settings(&self, user: UserId) -> StoreResult<UserSettings> {
        let mut tx = self.user_tx(user).await?;
        let row = Self::ensure_settings(&mut *tx, user).await?;
        tx.commit().await.map_err(error::db)?;
        row.try_into()
    }

    async fn update_settings(&self, user: UserId, patch: &SettingsPatch) -> StoreResult<UserSettings> {
        patch.validate()?;
        let mut tx = self.user_tx(user).await?;
        Self::ensure_settings(&mut *tx, user).await?;
        let p = patch;
        let row = sqlx::query_as!(
            SettingsRow,
            "UPDATE user_settings SET
                       email_notifications_enabled = COALESCE($2, email_notifications_enabled),
                       price_alert_emails = COALESCE($3, price_alert_emails),
                       bsr_alert_emails = COALESCE($4, bsr_alert_emails),
                       stock_alert_emails = COALESCE($5, stock_alert_emails),
                       daily_summary_emails = COALESCE($6, daily_summary_emails),
                       weekly_report_emails = COALESCE($7, weekly_report_emails),
                       default_price_threshold = COALESCE($8, default_price_threshold),
                       default_bsr_threshold = COALESCE($9, default_bsr_threshold),
                       theme = COALESCE($10, theme),
                       language = COALESCE($11, language),
                       timezone = COALESCE($12, timezone),
                       date_format = COALESCE($13, date_format),
                       currency_display = COALESCE($14, currency_display),
                       products_per_page = COALESCE($15, products_per_page),
                       default_sort_by = COALESCE($16, default_sort_by),
                       default_sort_order = COALESCE($17, default_sort_order),
                       show_inactive_products = COALESCE($18, show_inactive_products),
                       auto_refresh_dashboard = COALESCE($19, auto_refresh_dashboard),
                       refresh_interval_minutes = COALESCE($20, refresh_interval_minutes),
                       share_analytics = COALESCE($21, share_analytics)
                   WHERE user_id = $1
                   RETURNING *",
            user.0,
            p.email_notifications_enabled,
            p.price_alert_emails,
            p.bsr_alert_emails,
            p.stock_alert_emails,
            p.daily_summary_emails,
            p.weekly_report_emails,
            p.default_price_threshold,
            p.default_bsr_threshold,
            p.theme.as_deref(),
            p.language.as_deref(),
            p.timezone.as_deref(),
            p.date_format.as_deref(),
            p.currency_display.as_deref(),
            p.products_per_page,
            p.default_sort_by.as_deref(),
            p.default_sort_order.as_deref(),
            p.show_inactive_products,
            p.auto_refresh_dashboard,
            p.refresh_interval_minutes,
            p.share_analytics
        )
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| {
            error::map(
                e,
                &ErrCtx::new()
                    .opt_value("default_price_threshold", p.default_price_threshold)
                    .opt_value("default_bsr_threshold", p.default_bsr_threshold)
                    .opt_value("theme", p.theme.as_ref())
                    .opt_value("default_sort_order", p.default_sort_order.as_ref())
                    .opt_value("products_per_page", p.products_per_page)
                    .opt_value("refresh_interval_minutes", p.refresh_interval_minutes),
            )
        })?;
        tx.commit().await.map_err(error::db)?;
        row.try_into()
    }

    // ---- Settings reset (issue 13, command line). ----

    async fn reset_settings(&self, user: UserId) -> StoreResult<UserSettings> {
        // One statement: a missing row is created with the defaults, an existing one gets
        // every setting set to DEFAULT, so the defaults stay written once, in the schema.
        // `id`, `user_id` and `created_at` are kept; `updated_at` is the trigger's.
        let mut tx = self.user_tx(user).await?;
        let row = sqlx::query_as!(
            SettingsRow,
            "INSERT INTO user_settings (user_id) VALUES ($1)
                   ON CONFLICT ON CONSTRAINT uq_user_settings_user DO UPDATE SET
                       email_notifications_enabled = DEFAULT,
                       price_alert_emails = DEFAULT,
                       bsr_alert_emails = DEFAULT,
                       stock_alert_emails = DEFAULT,
                       daily_summary_emails = DEFAULT,
                       weekly_report_emails = DEFAULT,
                       default_price_threshold = DEFAULT,
                       default_bsr_threshold = DEFAULT,
                       theme = DEFAULT,
                       language = DEFAULT,
                       timezone = DEFAULT,
                       date_format = DEFAULT,
                       currency_display = DEFAULT,
                       products_per_page = DEFAULT,
                       default_sort_by = DEFAULT,
                       default_sort_order = DEFAULT,
                       show_inactive_products = DEFAULT,
                       auto_refresh_dashboard = DEFAULT,
                       refresh_interval_minutes = DEFAULT,
                       share_analytics = DEFAULT
                   RETURNING *",
            user.0
        )
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| error::map(e, &ErrCtx::new().value("user_id", user)))?;
        tx.commit().await.map_err(error::db)?;
        row.try_into()
    }
}
