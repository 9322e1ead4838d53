//! Row types of notifications and their conversions into core types.

use super::*;
use amazcope_core::model::notification::Notification;
use serde_json::Value;
use uuid::Uuid;

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct NotificationRow {
    pub(crate) id: Uuid,
    pub(crate) user_id: Uuid,
    pub(crate) product_id: Option<Uuid>,
    pub(crate) alert_id: Option<Uuid>,
    pub(crate) notification_type: String,
    pub(crate) title: String,
    pub(crate) message: String,
    pub(crate) data: Value,
    pub(crate) priority: String,
    pub(crate) status: String,
    pub(crate) is_read: bool,
    pub(crate) read_at: Option<Ts>,
    pub(crate) email_sent: bool,
    pub(crate) email_sent_at: Option<Ts>,
    pub(crate) email_error: Option<String>,
    pub(crate) action_url: Option<String>,
    pub(crate) created_at: Ts,
    pub(crate) updated_at: Ts,
}

impl TryFrom<NotificationRow> for Notification {
    type Error = StoreError;
    fn try_from(r: NotificationRow) -> Result<Self, StoreError> {
        Ok(Notification {
            id: r.id.into(),
            user_id: r.user_id.into(),
            product_id: r.product_id.map(Into::into),
            alert_id: r.alert_id.map(Into::into),
            notification_type: parse(&r.notification_type)?,
            title: r.title,
            message: r.message,
            data: r.data,
            priority: parse(&r.priority)?,
            status: parse(&r.status)?,
            is_read: r.is_read,
            read_at: r.read_at,
            email_sent: r.email_sent,
            email_sent_at: r.email_sent_at,
            email_error: r.email_error,
            action_url: r.action_url,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}
