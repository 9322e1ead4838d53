//! Alerts raised for a user when a new snapshot moves past their thresholds.

use crate::model::enums::{AlertType, Severity};
use crate::{AlertId, Asin, Marketplace, ProductId, SnapshotId, UserId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A stored alert.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct Alert {
    pub id: AlertId,
    pub alert_type: AlertType,
    pub severity: Severity,
    pub title: String,
    pub message: String,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
    /// Signed percent; `None` for stock and badge alerts.
    pub change_percentage: Option<f64>,
    pub is_read: bool,
    pub is_dismissed: bool,
    pub notified_at: Option<DateTime<Utc>>,
    pub product_id: ProductId,
    pub user_id: UserId,
    /// The snapshot that caused it; cleared when that snapshot is dropped.
    pub snapshot_id: Option<SnapshotId>,
    /// `scraped_at` of that snapshot (part of the reference to the partitioned table).
    pub snapshot_scraped_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// An alert with the product it is about, for lists.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertView {
    /// The alert.
    #[serde(flatten)]
    pub alert: Alert,
    /// The product's ASIN.
    pub asin: Asin,
    /// The product's marketplace.
    pub marketplace: Marketplace,
    /// The product's title.
    pub product_title: String,
}

/// An alert to store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct NewAlert {
    pub user_id: UserId,
    pub product_id: ProductId,
    pub snapshot_id: Option<SnapshotId>,
    pub snapshot_scraped_at: Option<DateTime<Utc>>,
    pub alert_type: AlertType,
    pub severity: Severity,
    pub title: String,
    pub message: String,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
    pub change_percentage: Option<f64>,
    /// When the change happened (the snapshot's time), used as `created_at`.
    pub created_at: DateTime<Utc>,
}

/// Filter for alert lists.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AlertQuery {
    /// Only unread alerts.
    pub unread_only: bool,
    /// Only this product.
    pub product_id: Option<ProductId>,
    /// Only alerts created at or after this time.
    pub since: Option<DateTime<Utc>>,
    /// At most this many (default 100).
    pub limit: Option<u32>,
}
