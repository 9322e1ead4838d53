//! Row types of alerts and their conversions into core types.

use super::*;
use amazcope_core::model::alert::{Alert, AlertView};
use amazcope_core::rules::PriorAlert;
use uuid::Uuid;

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct AlertRow {
    pub(crate) id: Uuid,
    pub(crate) alert_type: String,
    pub(crate) severity: String,
    pub(crate) title: String,
    pub(crate) message: String,
    pub(crate) old_value: Option<String>,
    pub(crate) new_value: Option<String>,
    pub(crate) change_percentage: Option<f64>,
    pub(crate) is_read: bool,
    pub(crate) is_dismissed: bool,
    pub(crate) notified_at: Option<Ts>,
    pub(crate) product_id: Uuid,
    pub(crate) user_id: Uuid,
    pub(crate) snapshot_id: Option<Uuid>,
    pub(crate) snapshot_scraped_at: Option<Ts>,
    pub(crate) created_at: Ts,
    pub(crate) updated_at: Ts,
}

impl TryFrom<AlertRow> for Alert {
    type Error = StoreError;
    fn try_from(r: AlertRow) -> Result<Self, StoreError> {
        Ok(Alert {
            id: r.id.into(),
            alert_type: parse(&r.alert_type)?,
            severity: parse(&r.severity)?,
            title: r.title,
            message: r.message,
            old_value: r.old_value,
            new_value: r.new_value,
            change_percentage: r.change_percentage,
            is_read: r.is_read,
            is_dismissed: r.is_dismissed,
            notified_at: r.notified_at,
            product_id: r.product_id.into(),
            user_id: r.user_id.into(),
            snapshot_id: r.snapshot_id.map(Into::into),
            snapshot_scraped_at: r.snapshot_scraped_at,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

/// `alerts.*` with the product's ASIN, marketplace and title.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct AlertViewRow {
    #[sqlx(flatten)]
    pub(crate) alert: AlertRow,
    pub(crate) asin: String,
    pub(crate) marketplace: String,
    pub(crate) product_title: String,
}

impl TryFrom<AlertViewRow> for AlertView {
    type Error = StoreError;
    fn try_from(r: AlertViewRow) -> Result<Self, StoreError> {
        Ok(AlertView {
            alert: r.alert.try_into()?,
            asin: parse(&r.asin)?,
            marketplace: parse(&r.marketplace)?,
            product_title: r.product_title,
        })
    }
}

/// An earlier alert, for cool-down and dead-band.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct PriorRow {
    pub(crate) product_id: Uuid,
    pub(crate) user_id: Uuid,
    pub(crate) alert_type: String,
    pub(crate) created_at: Ts,
    pub(crate) old_value: Option<String>,
    pub(crate) new_value: Option<String>,
    pub(crate) snapshot_id: Option<Uuid>,
}

impl TryFrom<PriorRow> for PriorAlert {
    type Error = StoreError;
    fn try_from(r: PriorRow) -> Result<Self, StoreError> {
        Ok(PriorAlert {
            user_id: r.user_id.into(),
            alert_type: parse(&r.alert_type)?,
            created_at: r.created_at,
            old_value: r.old_value,
            new_value: r.new_value,
            snapshot_id: r.snapshot_id.map(Into::into),
        })
    }
}
