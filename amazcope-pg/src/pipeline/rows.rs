//! Rows only the pipeline reads back. Each wraps the repositories' row of the same table
//! (`crate::repos::rows`) with the key the pipeline groups by, so the conversions into core
//! types exist once.

use crate::repos::rows::{NewSnapshotRow, parse};
use amazcope_core::StoreError;
use amazcope_core::rules::PriorAlert;
use chrono::{DateTime, Utc};
use uuid::Uuid;

type Ts = DateTime<Utc>;

/// The previous snapshot of a new one: the newest with an earlier `scraped_at`.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct PreviousRow {
    /// `scraped_at` of the new snapshot it is the previous of.
    pub(crate) for_scraped_at: Ts,
    #[sqlx(flatten)]
    pub(crate) snapshot: NewSnapshotRow,
}

/// An earlier alert, for cool-down and dead-band.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct PriorRow {
    pub(crate) product_id: Uuid,
    user_id: Uuid,
    alert_type: String,
    created_at: Ts,
    old_value: Option<String>,
    new_value: Option<String>,
    snapshot_id: Option<Uuid>,
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
