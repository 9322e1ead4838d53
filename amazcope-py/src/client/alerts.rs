//! A user's alerts and notifications.

use super::{Client, count};
use crate::arrow::Columns;
use crate::errors::Result;
use amazcope_core::model::alert::AlertQuery;
use amazcope_core::{AlertId, AlertRepository, NotificationId, NotificationRepository, ValidationError};
use chrono::TimeDelta;
use pyo3::prelude::*;

pub(super) fn alerts<'py>(
    c: &Client,
    py: Python<'py>,
    user: String,
    unread: bool,
    limit: u32,
) -> Result<Bound<'py, PyAny>> {
    let rows = c.as_user(py, user, |store, u| async move {
        let q = AlertQuery { unread_only: unread, limit: Some(limit), ..AlertQuery::default() };
        Ok(store.alerts(u.id, &q).await?)
    })?;
    let mut t = Columns::default();
    t.utf8("id", rows.iter().map(|a| Some(a.alert.id.to_string())));
    t.utf8("alert_type", rows.iter().map(|a| Some(a.alert.alert_type.as_str())));
    t.utf8("severity", rows.iter().map(|a| Some(a.alert.severity.as_str())));
    t.utf8("title", rows.iter().map(|a| Some(&a.alert.title)));
    t.utf8("message", rows.iter().map(|a| Some(&a.alert.message)));
    t.utf8("old_value", rows.iter().map(|a| a.alert.old_value.as_ref()));
    t.utf8("new_value", rows.iter().map(|a| a.alert.new_value.as_ref()));
    t.f64("change_percentage", rows.iter().map(|a| a.alert.change_percentage));
    t.bool("is_read", rows.iter().map(|a| Some(a.alert.is_read)));
    t.utf8("asin", rows.iter().map(|a| Some(a.asin.to_string())));
    t.utf8("marketplace", rows.iter().map(|a| Some(a.marketplace.code())));
    t.utf8("product_title", rows.iter().map(|a| Some(&a.product_title)));
    t.time("created_at", rows.iter().map(|a| Some(a.alert.created_at)));
    Ok(t.into_pyarrow(py)?)
}

pub(super) fn mark_read(c: &Client, py: Python<'_>, user: String, alert_id: Option<String>) -> Result<u64> {
    let id = alert_id.map(|s| s.parse::<AlertId>()).transpose()?;
    c.as_user(py, user, |store, u| async move {
        Ok(match id {
            Some(id) => {
                store.mark_alert_read(u.id, id).await?;
                1
            }
            None => store.mark_all_alerts_read(u.id).await?,
        })
    })
}

pub(super) fn notifications<'py>(
    c: &Client,
    py: Python<'py>,
    user: String,
    unread: bool,
    limit: u32,
) -> Result<Bound<'py, PyAny>> {
    let rows =
        c.as_user(py, user, |store, u| async move { Ok(store.notifications(u.id, unread, limit).await?) })?;
    let mut t = Columns::default();
    t.utf8("id", rows.iter().map(|n| Some(n.id.to_string())));
    t.utf8("notification_type", rows.iter().map(|n| Some(n.notification_type.as_str())));
    t.utf8("priority", rows.iter().map(|n| Some(n.priority.as_str())));
    t.utf8("title", rows.iter().map(|n| Some(&n.title)));
    t.utf8("message", rows.iter().map(|n| Some(&n.message)));
    t.utf8("alert_id", rows.iter().map(|n| n.alert_id.map(|a| a.to_string())));
    t.bool("is_read", rows.iter().map(|n| Some(n.is_read)));
    t.time("created_at", rows.iter().map(|n| Some(n.created_at)));
    Ok(t.into_pyarrow(py)?)
}

pub(super) fn mark_notifications_read(
    c: &Client,
    py: Python<'_>,
    user: String,
    id: Option<String>,
) -> Result<u64> {
    let id = id.map(|s| s.parse::<NotificationId>()).transpose()?;
    c.as_user(py, user, |store, u| async move {
        Ok(match id {
            Some(id) => {
                store.mark_notification_read(u.id, id).await?;
                1
            }
            None => store.mark_all_notifications_read(u.id).await?,
        })
    })
}

pub(super) fn delete_notification(c: &Client, py: Python<'_>, user: String, id: String) -> Result<()> {
    let id: NotificationId = id.parse()?;
    c.as_user(py, user, |store, u| async move { Ok(store.delete_notification(u.id, id).await?) })
}

pub(super) fn purge_notifications(
    c: &Client,
    py: Python<'_>,
    user: String,
    older_than_days: i64,
) -> Result<u64> {
    if older_than_days < 0 {
        return Err(ValidationError::new("older_than_days", older_than_days, "must not be negative").into());
    }
    let older_than = super::ago(TimeDelta::try_days(older_than_days));
    c.as_user(py, user, |store, u| async move { Ok(store.purge_notifications(u.id, older_than).await?) })
}

#[pymethods]
impl Client {
    /// `user`'s alerts, newest first, as a table (`id`, `alert_type`, `severity`, `title`,
    /// `message`, `old_value`, `new_value`, `change_percentage`, `is_read`, `asin`,
    /// `marketplace`, `product_title`, `created_at`).
    #[pyo3(signature = (user, unread=false, limit=1000))]
    fn alerts<'py>(
        &self,
        py: Python<'py>,
        user: String,
        unread: bool,
        limit: i64,
    ) -> Result<Bound<'py, PyAny>> {
        alerts(self, py, user, unread, count("limit", limit)?)
    }

    /// Marks one of `user`'s alerts read (by id), or all of them when `alert_id` is None.
    /// Returns how many changed. Another user's alert id is `NotFound`.
    #[pyo3(signature = (user, alert_id=None))]
    fn mark_read(&self, py: Python<'_>, user: String, alert_id: Option<String>) -> Result<u64> {
        mark_read(self, py, user, alert_id)
    }

    /// `user`'s notifications, newest first (only unread ones with `unread=True`), as a table
    /// (`id`, `notification_type`, `priority`, `title`, `message`, `alert_id`, `is_read`,
    /// `created_at`).
    #[pyo3(signature = (user, unread=false, limit=1000))]
    fn notifications<'py>(
        &self,
        py: Python<'py>,
        user: String,
        unread: bool,
        limit: i64,
    ) -> Result<Bound<'py, PyAny>> {
        notifications(self, py, user, unread, count("limit", limit)?)
    }

    /// Marks one of `user`'s notifications read (`id`), or all of them when `id` is None.
    /// Returns how many were marked (1 for one id; for all, those that were unread). Another
    /// user's notification id is `NotFound`.
    #[pyo3(signature = (user, id=None))]
    fn mark_notifications_read(&self, py: Python<'_>, user: String, id: Option<String>) -> Result<u64> {
        mark_notifications_read(self, py, user, id)
    }

    /// Deletes one of `user`'s notifications (by id). Another user's notification id is
    /// `NotFound`.
    fn delete_notification(&self, py: Python<'_>, user: String, id: String) -> Result<()> {
        delete_notification(self, py, user, id)
    }

    /// Deletes `user`'s notifications created more than `older_than_days` days ago, read or
    /// not (0: all of them). Returns how many were deleted.
    fn purge_notifications(&self, py: Python<'_>, user: String, older_than_days: i64) -> Result<u64> {
        purge_notifications(self, py, user, older_than_days)
    }
}
