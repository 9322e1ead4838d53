//! Row types of users and their conversions into core types.

use super::*;
use amazcope_core::model::user::{User, UserSettings};
use uuid::Uuid;

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct UserRow {
    pub(crate) id: Uuid,
    pub(crate) email: String,
    pub(crate) username: String,
    pub(crate) full_name: Option<String>,
    pub(crate) is_active: bool,
    pub(crate) is_superuser: bool,
    pub(crate) is_verified: bool,
    pub(crate) failed_login_attempts: i32,
    pub(crate) account_locked_until: Option<Ts>,
    pub(crate) last_login_at: Option<Ts>,
    pub(crate) last_login_ip: Option<String>,
    pub(crate) last_failed_login_at: Option<Ts>,
    pub(crate) created_at: Ts,
    pub(crate) updated_at: Ts,
}

impl TryFrom<UserRow> for User {
    type Error = StoreError;
    fn try_from(r: UserRow) -> Result<Self, StoreError> {
        Ok(User {
            id: r.id.into(),
            email: r.email,
            username: r.username,
            full_name: r.full_name,
            is_active: r.is_active,
            is_superuser: r.is_superuser,
            is_verified: r.is_verified,
            failed_login_attempts: r.failed_login_attempts,
            account_locked_until: r.account_locked_until,
            last_login_at: r.last_login_at,
            last_login_ip: r.last_login_ip,
            last_failed_login_at: r.last_failed_login_at,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct SettingsRow {
    pub(crate) id: Uuid,
    pub(crate) user_id: Uuid,
    pub(crate) email_notifications_enabled: bool,
    pub(crate) price_alert_emails: bool,
    pub(crate) bsr_alert_emails: bool,
    pub(crate) stock_alert_emails: bool,
    pub(crate) daily_summary_emails: bool,
    pub(crate) weekly_report_emails: bool,
    pub(crate) default_price_threshold: f64,
    pub(crate) default_bsr_threshold: f64,
    pub(crate) theme: String,
    pub(crate) language: String,
    pub(crate) timezone: String,
    pub(crate) date_format: String,
    pub(crate) currency_display: String,
    pub(crate) products_per_page: i32,
    pub(crate) default_sort_by: String,
    pub(crate) default_sort_order: String,
    pub(crate) show_inactive_products: bool,
    pub(crate) auto_refresh_dashboard: bool,
    pub(crate) refresh_interval_minutes: i32,
    pub(crate) share_analytics: bool,
    pub(crate) created_at: Ts,
    pub(crate) updated_at: Ts,
}

impl TryFrom<SettingsRow> for UserSettings {
    type Error = StoreError;
    fn try_from(r: SettingsRow) -> Result<Self, StoreError> {
        Ok(UserSettings {
            id: r.id.into(),
            user_id: r.user_id.into(),
            email_notifications_enabled: r.email_notifications_enabled,
            price_alert_emails: r.price_alert_emails,
            bsr_alert_emails: r.bsr_alert_emails,
            stock_alert_emails: r.stock_alert_emails,
            daily_summary_emails: r.daily_summary_emails,
            weekly_report_emails: r.weekly_report_emails,
            default_price_threshold: r.default_price_threshold,
            default_bsr_threshold: r.default_bsr_threshold,
            theme: r.theme,
            language: r.language,
            timezone: r.timezone,
            date_format: r.date_format,
            currency_display: r.currency_display,
            products_per_page: r.products_per_page,
            default_sort_by: r.default_sort_by,
            default_sort_order: r.default_sort_order,
            show_inactive_products: r.show_inactive_products,
            auto_refresh_dashboard: r.auto_refresh_dashboard,
            refresh_interval_minutes: r.refresh_interval_minutes,
            share_analytics: r.share_analytics,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}
