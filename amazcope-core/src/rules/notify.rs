//! The notification that announces an alert.

use crate::AlertId;
use crate::model::alert::NewAlert;
use crate::model::enums::{AlertType, NotificationPriority, NotificationType, Severity};
use crate::model::notification::NewNotification;

/// The in-app notification for an alert: type from the alert type, priority from the
/// severity, the alert's title and message, and its values as data. `id` is the id the
/// alert is stored under (chosen before the insert, so both rows go in one statement).
pub fn notification_for(id: AlertId, alert: &NewAlert) -> NewNotification {
    let notification_type = match alert.alert_type {
        AlertType::PriceChange | AlertType::TargetPriceReached => NotificationType::PriceChange,
        AlertType::BsrChange => NotificationType::BsrChange,
        AlertType::OutOfStock | AlertType::BackInStock | AlertType::Unlisted => NotificationType::StockChange,
        AlertType::RatingDrop | AlertType::ReviewSpike => NotificationType::ReviewChange,
        AlertType::AmazonsChoiceLost | AlertType::AmazonsChoiceGained => NotificationType::BadgeChange,
    };
    let priority = match alert.severity {
        Severity::Info => NotificationPriority::Normal,
        Severity::Warning => NotificationPriority::High,
        Severity::Critical => NotificationPriority::Urgent,
    };
    NewNotification {
        user_id: alert.user_id,
        product_id: Some(alert.product_id),
        alert_id: Some(id),
        notification_type,
        title: alert.title.clone(),
        message: alert.message.clone(),
        data: serde_json::json!({
            "alert_id": id,
            "alert_type": alert.alert_type,
            "severity": alert.severity,
            "old_value": alert.old_value,
            "new_value": alert.new_value,
            "change_percentage": alert.change_percentage,
        }),
        priority,
        action_url: Some(format!("/products/{}", alert.product_id)),
    }
}
