//! In-app notifications (`notifications`): one per alert, plus system messages and reports.

use crate::model::enums::{NotificationPriority, NotificationStatus, NotificationType};
use crate::{AlertId, NotificationId, ProductId, UserId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A stored notification.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct Notification {
    pub id: NotificationId,
    pub user_id: UserId,
    pub product_id: Option<ProductId>,
    /// The alert it announces, if any.
    pub alert_id: Option<AlertId>,
    pub notification_type: NotificationType,
    pub title: String,
    pub message: String,
    pub data: serde_json::Value,
    pub priority: NotificationPriority,
    pub status: NotificationStatus,
    /// Derived from `status` by the database.
    pub is_read: bool,
    pub read_at: Option<DateTime<Utc>>,
    pub email_sent: bool,
    pub email_sent_at: Option<DateTime<Utc>>,
    pub email_error: Option<String>,
    pub action_url: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A notification to store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct NewNotification {
    pub user_id: UserId,
    pub product_id: Option<ProductId>,
    pub alert_id: Option<AlertId>,
    pub notification_type: NotificationType,
    pub title: String,
    pub message: String,
    pub data: serde_json::Value,
    pub priority: NotificationPriority,
    pub action_url: Option<String>,
}
