//! Delivery (issue 14): a user's channels, sending what is due, and the delivery log.

use super::{Client, count, json_to_py};
use crate::arrow::Columns;
use crate::errors::{Error, Result};
use crate::runtime::block_on;
use amazcope_core::ValidationError;
use amazcope_core::delivery::{ChannelKind, Message, NewChannel};
use amazcope_core::model::enums::{NotificationPriority, NotificationType};
use amazcope_deliver::{Deliverer, DeliveryConfig, Sender, SenderError, SmtpConfig};
use chrono::{DateTime, Utc};
use pyo3::prelude::*;

fn config(smtp_url: Option<String>, mail_from: Option<String>) -> DeliveryConfig {
    let mut cfg = DeliveryConfig::from_env();
    if let Some(url) = smtp_url {
        let from = mail_from.clone().or_else(|| cfg.smtp.as_ref().map(|s| s.from.clone()));
        cfg.smtp =
            Some(SmtpConfig { url, from: from.unwrap_or_else(|| "Amazcope <amazcope@localhost>".into()) });
    } else if let (Some(from), Some(s)) = (mail_from, cfg.smtp.as_mut()) {
        s.from = from;
    }
    cfg
}

/// A channel id as the user gave it: a UUID, else a `ValidationError` naming `id`.
fn channel_id(id: &str) -> Result<uuid::Uuid> {
    id.trim().parse().map_err(|_| {
        let shown: String = id.chars().take(80).collect();
        ValidationError::new("id", shown.escape_debug(), "must be a channel id (a UUID)").into()
    })
}

/// The sender of `deliver` and `test_channel`. A bad `smtp_url` or `mail_from` is the caller's
/// value: a `ValidationError` naming it (the URL masked), checked even when nothing is sent.
fn sender(cfg: &DeliveryConfig, mail_from: Option<&str>) -> Result<Sender> {
    if let Some(from) = mail_from
        && (!from.contains('@') || from.chars().any(char::is_control))
    {
        let shown: String = from.chars().take(120).collect();
        let why = "expected a mailbox such as Amazcope <alerts@example.com>";
        return Err(ValidationError::new("mail_from", shown.escape_debug(), why).into());
    }
    Sender::new(cfg).map_err(|e| match e {
        SenderError::SmtpUrl { url, reason } => ValidationError::new("smtp_url", url, reason).into(),
        SenderError::MailFrom { from } => ValidationError::new(
            "mail_from",
            from,
            "expected a mailbox such as Amazcope <alerts@example.com>",
        )
        .into(),
        other => Error::Runtime(other.to_string()),
    })
}

#[allow(clippy::too_many_arguments)]
pub(super) fn add<'py>(
    c: &Client,
    py: Python<'py>,
    user: String,
    email: Option<String>,
    webhook: Option<String>,
    format: Option<String>,
    secret: Option<String>,
    min_priority: Option<String>,
    types: Option<Vec<String>>,
) -> Result<Bound<'py, PyAny>> {
    let (kind, target) = match (email, webhook) {
        (Some(e), None) => (ChannelKind::Email, e),
        (None, Some(w)) => (ChannelKind::Webhook, w),
        (e, w) => {
            let given = if e.is_some() && w.is_some() { "both" } else { "neither" };
            return Err(
                ValidationError::new("target", given, "give exactly one of email= or webhook=").into()
            );
        }
    };
    super::no_nul(if matches!(kind, ChannelKind::Email) { "email" } else { "webhook" }, &target)?;
    if let Some(s) = &secret {
        super::no_nul("secret", s)?;
    }
    let format = format.as_deref().map(str::parse).transpose()?;
    let min_priority = min_priority.as_deref().map(str::parse::<NotificationPriority>).transpose()?;
    let types = types
        .map(|t| t.iter().map(|t| t.parse::<NotificationType>()).collect::<std::result::Result<Vec<_>, _>>())
        .transpose()?;
    let ch = c.as_user(py, user, |store, u| async move {
        Ok(store
            .add_channel(NewChannel { user_id: u.id, kind, target, format, min_priority, types, secret })
            .await?)
    })?;
    json_to_py(py, &ch)
}

pub(super) fn list<'py>(c: &Client, py: Python<'py>, user: String) -> Result<Bound<'py, PyAny>> {
    let list = c.as_user(py, user, |store, u| async move { Ok(store.channels(u.id).await?) })?;
    json_to_py(py, &list)
}

pub(super) fn remove(c: &Client, py: Python<'_>, user: String, id: String) -> Result<()> {
    let id: uuid::Uuid = channel_id(&id)?;
    c.as_user(py, user, |store, u| async move { Ok(store.remove_channel(u.id, id).await?) })
}

pub(super) fn test<'py>(
    c: &Client,
    py: Python<'py>,
    user: String,
    id: String,
    smtp_url: Option<String>,
    mail_from: Option<String>,
) -> Result<Bound<'py, PyAny>> {
    let id: uuid::Uuid = channel_id(&id)?;
    let from = mail_from.clone();
    let s = sender(&config(smtp_url, mail_from), from.as_deref())?;
    let name = user.clone();
    let report = c.as_user(py, user, |store, u| async move {
        let ch = store.channel(u.id, id).await?;
        let message = Message::channel_test(&name, uuid::Uuid::now_v7(), Utc::now());
        Ok(s.send(&ch, &message, uuid::Uuid::now_v7()).await)
    })?;
    json_to_py(py, &serde_json::json!({"ok": report.ok, "code": report.code, "error": report.error}))
}

pub(super) fn deliver<'py>(
    c: &Client,
    py: Python<'py>,
    now: Option<DateTime<Utc>>,
    smtp_url: Option<String>,
    mail_from: Option<String>,
) -> Result<Bound<'py, PyAny>> {
    let from = mail_from.clone();
    let cfg = config(smtp_url, mail_from);
    let store = amazcope_pg::PgStore::clone(&c.store);
    let d =
        Deliverer::new(store, sender(&cfg, from.as_deref())?, cfg, format!("python-{}", std::process::id()));
    let summary =
        block_on(py, async move { Ok::<_, Error>(d.run_once(now.unwrap_or_else(Utc::now)).await?) })?;
    json_to_py(py, &summary)
}

pub(super) fn deliveries<'py>(
    c: &Client,
    py: Python<'py>,
    user: String,
    failed: bool,
    limit: u32,
) -> Result<Bound<'py, PyAny>> {
    let rows =
        c.as_user(py, user, |store, u| async move { Ok(store.deliveries(u.id, failed, limit).await?) })?;
    let mut t = Columns::default();
    t.utf8("id", rows.iter().map(|d| Some(d.id.to_string())));
    t.utf8("notification_id", rows.iter().map(|d| Some(d.notification_id.to_string())));
    t.utf8("title", rows.iter().map(|d| Some(&d.title)));
    t.utf8("channel_id", rows.iter().map(|d| Some(d.channel_id.to_string())));
    t.utf8("channel_kind", rows.iter().map(|d| Some(d.channel_kind.as_str())));
    t.utf8("target", rows.iter().map(|d| Some(&d.target)));
    t.utf8("status", rows.iter().map(|d| Some(d.status.as_str())));
    t.i64("attempts", rows.iter().map(|d| Some(i64::from(d.attempts))));
    t.i32("response_code", rows.iter().map(|d| d.response_code.map(i32::from)));
    t.utf8("last_error", rows.iter().map(|d| d.last_error.as_ref()));
    t.time("next_attempt_at", rows.iter().map(|d| Some(d.next_attempt_at)));
    t.time("sent_at", rows.iter().map(|d| d.sent_at));
    t.time("created_at", rows.iter().map(|d| Some(d.created_at)));
    Ok(t.into_pyarrow(py)?)
}

#[pymethods]
impl Client {
    /// Adds a delivery channel: `email=ADDRESS` or `webhook=URL` (with `format` json, slack,
    /// discord or ntfy, and a signing `secret`); `min_priority` and `types` filter. Returns
    /// the channel as a dict (target masked; `has_secret` instead of the secret).
    #[pyo3(signature = (user, *, email=None, webhook=None, format=None, secret=None, min_priority=None, types=None))]
    #[allow(clippy::too_many_arguments)]
    fn add_channel<'py>(
        &self,
        py: Python<'py>,
        user: String,
        email: Option<String>,
        webhook: Option<String>,
        format: Option<String>,
        secret: Option<String>,
        min_priority: Option<String>,
        types: Option<Vec<String>>,
    ) -> Result<Bound<'py, PyAny>> {
        add(self, py, user, email, webhook, format, secret, min_priority, types)
    }

    /// The user's channels as dicts (targets masked; `has_secret` instead of the secret).
    fn channels<'py>(&self, py: Python<'py>, user: String) -> Result<Bound<'py, PyAny>> {
        list(self, py, user)
    }

    /// Removes one of the user's channels.
    fn remove_channel(&self, py: Python<'_>, user: String, id: String) -> Result<()> {
        remove(self, py, user, id)
    }

    /// Sends a test message through one of the user's channels now: `{ok, code, error}`.
    #[pyo3(signature = (user, id, *, smtp_url=None, mail_from=None))]
    fn test_channel<'py>(
        &self,
        py: Python<'py>,
        user: String,
        id: String,
        smtp_url: Option<String>,
        mail_from: Option<String>,
    ) -> Result<Bound<'py, PyAny>> {
        test(self, py, user, id, smtp_url, mail_from)
    }

    /// Delivers everything due at `now` (default: now), like `amazcope deliver --once`:
    /// `{sent, failed, dead}`. SMTP from `smtp_url`/`mail_from`, else `AMAZCOPE_SMTP_URL`.
    #[pyo3(signature = (now=None, *, smtp_url=None, mail_from=None))]
    fn deliver<'py>(
        &self,
        py: Python<'py>,
        now: Option<DateTime<Utc>>,
        smtp_url: Option<String>,
        mail_from: Option<String>,
    ) -> Result<Bound<'py, PyAny>> {
        deliver(self, py, now, smtp_url, mail_from)
    }

    /// The user's delivery log as a pyarrow.Table, newest first; `failed=True` keeps failed
    /// and dead ones.
    #[pyo3(signature = (user, failed=false, limit=1000))]
    fn deliveries<'py>(
        &self,
        py: Python<'py>,
        user: String,
        failed: bool,
        limit: i64,
    ) -> Result<Bound<'py, PyAny>> {
        deliveries(self, py, user, failed, count("limit", limit)?)
    }
}
