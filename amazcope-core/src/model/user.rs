//! Users and their settings (`users`, `user_settings`).

use crate::{Percent, UserId, UserSettingsId, ValidationError};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A user (`users`). The password hash never leaves the storage layer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    /// Key.
    pub id: UserId,
    /// Unique e-mail.
    pub email: String,
    /// Unique user name.
    pub username: String,
    /// Display name.
    pub full_name: Option<String>,
    /// Soft-delete switch.
    pub is_active: bool,
    /// Administrator.
    pub is_superuser: bool,
    /// E-mail verified.
    pub is_verified: bool,
    /// Consecutive failed logins.
    pub failed_login_attempts: i32,
    /// Login refused until then.
    pub account_locked_until: Option<DateTime<Utc>>,
    /// Last successful login.
    pub last_login_at: Option<DateTime<Utc>>,
    /// IP of the last login (IPv6 text fits 45 chars).
    pub last_login_ip: Option<String>,
    /// Last failed login.
    pub last_failed_login_at: Option<DateTime<Utc>>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed (maintained by the database).
    pub updated_at: DateTime<Utc>,
}

/// What it takes to create a user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewUser {
    /// E-mail, unique.
    pub email: String,
    /// User name, unique.
    pub username: String,
    /// Display name.
    pub full_name: Option<String>,
    /// A password hash made by the caller; `None` stores an unusable marker (no login).
    pub password_hash: Option<String>,
}

impl NewUser {
    /// A user with just a name; the e-mail defaults to `<username>@localhost`.
    pub fn named(username: &str) -> Result<Self, ValidationError> {
        let u = Self {
            email: format!("{username}@localhost"),
            username: username.to_owned(),
            full_name: None,
            password_hash: None,
        };
        u.validate()?;
        Ok(u)
    }

    /// Checks lengths (`varchar(100)`, `varchar(255)`) and the e-mail shape.
    pub fn validate(&self) -> Result<(), ValidationError> {
        let name = self.username.trim();
        if name.is_empty() || name.len() > 100 {
            return Err(ValidationError::new("username", &self.username, "must be 1 to 100 characters"));
        }
        if name.chars().any(char::is_whitespace) {
            return Err(ValidationError::new("username", &self.username, "must not contain spaces"));
        }
        let at = self.email.find('@');
        if self.email.len() > 255 || at.is_none_or(|i| i == 0 || i + 1 == self.email.len()) {
            return Err(ValidationError::new(
                "email",
                &self.email,
                "must look like name@host and fit 255 characters",
            ));
        }
        Ok(())
    }
}

/// One user's settings (`user_settings`, 1:1 with users, created lazily with these defaults).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserSettings {
    /// Key.
    pub id: UserSettingsId,
    /// Owner.
    pub user_id: UserId,
    /// Master switch for e-mail.
    pub email_notifications_enabled: bool,
    /// E-mail price alerts.
    pub price_alert_emails: bool,
    /// E-mail BSR alerts.
    pub bsr_alert_emails: bool,
    /// E-mail stock alerts.
    pub stock_alert_emails: bool,
    /// E-mail the daily summary.
    pub daily_summary_emails: bool,
    /// E-mail the weekly report.
    pub weekly_report_emails: bool,
    /// Price threshold used when a tracking row has none (percent).
    pub default_price_threshold: f64,
    /// BSR threshold used when a tracking row has none (percent).
    pub default_bsr_threshold: f64,
    /// light / dark / auto.
    pub theme: String,
    /// Language code.
    pub language: String,
    /// IANA time zone.
    pub timezone: String,
    /// Date format.
    pub date_format: String,
    /// Currency to display.
    pub currency_display: String,
    /// 10..100.
    pub products_per_page: i32,
    /// Sort column.
    pub default_sort_by: String,
    /// asc / desc.
    pub default_sort_order: String,
    /// Show inactive products.
    pub show_inactive_products: bool,
    /// Auto-refresh the dashboard.
    pub auto_refresh_dashboard: bool,
    /// 1..60.
    pub refresh_interval_minutes: i32,
    /// Share analytics.
    pub share_analytics: bool,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

/// A partial update of [`UserSettings`]; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct SettingsPatch {
    pub email_notifications_enabled: Option<bool>,
    pub price_alert_emails: Option<bool>,
    pub bsr_alert_emails: Option<bool>,
    pub stock_alert_emails: Option<bool>,
    pub daily_summary_emails: Option<bool>,
    pub weekly_report_emails: Option<bool>,
    pub default_price_threshold: Option<f64>,
    pub default_bsr_threshold: Option<f64>,
    pub theme: Option<String>,
    pub language: Option<String>,
    pub timezone: Option<String>,
    pub date_format: Option<String>,
    pub currency_display: Option<String>,
    pub products_per_page: Option<i32>,
    pub default_sort_by: Option<String>,
    pub default_sort_order: Option<String>,
    pub show_inactive_products: Option<bool>,
    pub auto_refresh_dashboard: Option<bool>,
    pub refresh_interval_minutes: Option<i32>,
    pub share_analytics: Option<bool>,
}

impl SettingsPatch {
    /// Checks the API ranges of the original (thresholds 0..100, page size 10..100, theme,
    /// sort order, refresh 1..60, language 2..10 chars, currency 3..10 chars).
    pub fn validate(&self) -> Result<(), ValidationError> {
        if let Some(v) = self.default_price_threshold {
            Percent::new("default_price_threshold", v)?;
        }
        if let Some(v) = self.default_bsr_threshold {
            Percent::new("default_bsr_threshold", v)?;
        }
        if let Some(t) = &self.theme
            && !["light", "dark", "auto"].contains(&t.as_str())
        {
            return Err(ValidationError::new("theme", t, "expected light, dark or auto"));
        }
        if let Some(o) = &self.default_sort_order
            && !["asc", "desc"].contains(&o.as_str())
        {
            return Err(ValidationError::new("default_sort_order", o, "expected asc or desc"));
        }
        if let Some(n) = self.products_per_page
            && !(10..=100).contains(&n)
        {
            return Err(ValidationError::new("products_per_page", n, "must be between 10 and 100"));
        }
        if let Some(n) = self.refresh_interval_minutes
            && !(1..=60).contains(&n)
        {
            return Err(ValidationError::new("refresh_interval_minutes", n, "must be between 1 and 60"));
        }
        if let Some(l) = &self.language
            && !(2..=10).contains(&l.len())
        {
            return Err(ValidationError::new("language", l, "must be 2 to 10 characters"));
        }
        if let Some(c) = &self.currency_display
            && !(3..=10).contains(&c.len())
        {
            return Err(ValidationError::new("currency_display", c, "must be 3 to 10 characters"));
        }
        Ok(())
    }
}
