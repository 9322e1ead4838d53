//! Delivery of notifications to people (issue 14): channel and delivery types, the message
//! texts and bodies ([`format`]), secret masking ([`mask`]) and the retry rules
//! ([`retry`]). Pure: the sending (SMTP, HTTP) lives in `amazcope-deliver`, the outbox in
//! `amazcope-pg`.

pub mod digest;
pub mod format;
pub mod mask;
pub mod retry;

use crate::model::enums::{AlertType, NotificationPriority, NotificationType};
use crate::{Marketplace, UserId, ValidationError};
use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

crate::string_enum! {
    /// `notification_channels.kind`.
    ChannelKind, "kind" {
        /// E-mail over SMTP.
        Email => "email",
        /// An HTTP POST to a URL.
        Webhook => "webhook",
    }
}

crate::string_enum! {
    /// `notification_channels.format`: the body a webhook receives.
    WebhookFormat, "format" {
        /// Amazcope's own versioned JSON body ([`format::json_body`]).
        Json => "json",
        /// A Slack incoming-webhook message (`text` + `blocks`).
        Slack => "slack",
        /// A Discord webhook message (`content` + `embeds`).
        Discord => "discord",
        /// An ntfy publish (JSON form: `topic`, `title`, `message`, `priority`, `click`).
        Ntfy => "ntfy",
    }
}

crate::string_enum! {
    /// `notification_deliveries.status`.
    DeliveryStatus, "status" {
        /// Not tried yet.
        Pending => "pending",
        /// Delivered (the receiver answered 2xx, the SMTP server accepted the mail).
        Sent => "sent",
        /// The last try failed transiently; tried again at `next_attempt_at`.
        Failed => "failed",
        /// Given up: a permanent refusal, or the last attempt failed.
        Dead => "dead",
    }
}

/// A channel to add, as the user typed it. Its `Debug` masks the target and the secret.
#[derive(Clone)]
pub struct NewChannel {
    /// Owner.
    pub user_id: UserId,
    /// E-mail or webhook.
    pub kind: ChannelKind,
    /// The address or URL.
    pub target: String,
    /// Webhooks: the body's shape (default `json`).
    pub format: Option<WebhookFormat>,
    /// Deliver only notifications of at least this priority.
    pub min_priority: Option<NotificationPriority>,
    /// Deliver only these notification types (all when `None`).
    pub types: Option<Vec<NotificationType>>,
    /// Webhooks: the HMAC key of `X-Amazcope-Signature`.
    pub secret: Option<String>,
}

impl NewChannel {
    /// Checks the target for its kind and the kind's options; returns the channel with the
    /// webhook format defaulted to `json`.
    pub fn validate(mut self) -> Result<Self, ValidationError> {
        self.target = self.target.trim().to_owned();
        match self.kind {
            ChannelKind::Email => {
                validate_email(&self.target)?;
                if self.format.is_some() {
                    return Err(ValidationError::new("format", "", "an e-mail channel has no format"));
                }
                if self.secret.is_some() {
                    return Err(ValidationError::new("secret", "***", "an e-mail channel has no secret"));
                }
            }
            ChannelKind::Webhook => {
                validate_url(&self.target)?;
                self.format = Some(self.format.unwrap_or(WebhookFormat::Json));
                if self.secret.as_deref().is_some_and(|s| s.is_empty()) {
                    return Err(ValidationError::new("secret", "", "an empty secret signs nothing"));
                }
            }
        }
        if self.types.as_ref().is_some_and(|t| t.is_empty()) {
            self.types = None;
        }
        Ok(self)
    }
}

/// `local@domain.tld`, no spaces or angle brackets (the address goes into a mail header).
pub fn validate_email(address: &str) -> Result<(), ValidationError> {
    let bad = |why: &str| ValidationError::new("email", address, why.to_owned());
    if address.len() > 254 || address.chars().any(|c| c.is_whitespace() || "<>,;\"".contains(c)) {
        return Err(bad("expected one address such as alice@example.com"));
    }
    match address.split_once('@') {
        Some((local, domain)) if !local.is_empty() && !domain.is_empty() && !domain.contains('@') => Ok(()),
        _ => Err(bad("expected an address such as alice@example.com")),
    }
}

/// An absolute `http://` or `https://` URL with a host. The error masks the URL's secrets.
pub fn validate_url(url: &str) -> Result<(), ValidationError> {
    let bad = |why: &str| ValidationError::new("webhook URL", mask::url(url), why.to_owned());
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(|| bad("expected an http:// or https:// URL"))?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = host.rsplit('@').next().unwrap_or("");
    if host.is_empty() || url.len() > 2000 || url.chars().any(char::is_whitespace) {
        return Err(bad("expected a URL with a host, at most 2,000 characters, no spaces"));
    }
    Ok(())
}

/// A stored channel. `secret` is never part of its `Debug` or serialised form.
#[derive(Clone, Serialize)]
pub struct Channel {
    /// Id (what `channels remove` and `channels test` take).
    pub id: Uuid,
    /// Owner.
    pub user_id: UserId,
    /// E-mail or webhook.
    pub kind: ChannelKind,
    /// The address or URL, as stored (use [`Channel::masked_target`] for output).
    #[serde(serialize_with = "ser_masked_target")]
    pub target: String,
    /// Webhooks: the body's shape.
    pub format: Option<WebhookFormat>,
    /// Lowest priority delivered.
    pub min_priority: Option<NotificationPriority>,
    /// Types delivered (all when `None`).
    pub types: Option<Vec<NotificationType>>,
    /// Webhooks: the HMAC key. Never in output: serialised as `has_secret`, whether there is
    /// one.
    #[serde(rename = "has_secret", serialize_with = "ser_is_some")]
    pub secret: Option<String>,
    /// Delivered to at all.
    pub is_active: bool,
    /// The last successful send.
    pub last_success_at: Option<DateTime<Utc>>,
    /// Why the last failed send failed.
    pub last_error: Option<String>,
    /// When it was added.
    pub created_at: DateTime<Utc>,
}

fn ser_is_some<S: serde::Serializer>(secret: &Option<String>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_bool(secret.is_some())
}

fn ser_masked_target<S: serde::Serializer>(target: &str, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&mask::url(target))
}

impl Channel {
    /// The target with passwords and tokens masked, for output.
    pub fn masked_target(&self) -> String {
        mask::url(&self.target)
    }

    /// Whether this channel takes a notification of this type and priority (its own filters;
    /// the user's e-mail switches are applied when the delivery rows are written).
    pub fn accepts(&self, kind: NotificationType, priority: NotificationPriority) -> bool {
        self.min_priority.is_none_or(|p| priority >= p)
            && self.types.as_ref().is_none_or(|t| t.contains(&kind))
    }
}

impl std::fmt::Debug for NewChannel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewChannel")
            .field("user_id", &self.user_id)
            .field("kind", &self.kind)
            .field("target", &mask::url(&self.target))
            .field("format", &self.format)
            .field("min_priority", &self.min_priority)
            .field("types", &self.types)
            .field("secret", &self.secret.as_ref().map(|_| "***"))
            .finish()
    }
}

impl std::fmt::Debug for Channel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Channel")
            .field("id", &self.id)
            .field("kind", &self.kind)
            .field("target", &self.masked_target())
            .field("format", &self.format)
            .field("secret", &self.secret.as_ref().map(|_| "***"))
            .finish_non_exhaustive()
    }
}

/// The product a message is about.
#[derive(Debug, Clone, Serialize)]
pub struct MessageProduct {
    /// ASIN.
    pub asin: String,
    /// Marketplace.
    pub marketplace: Marketplace,
    /// Product title (untrusted scraped text: escaped wherever it goes into markup).
    pub title: Option<String>,
    /// The product page.
    pub url: String,
}

/// The alert a message comes from.
#[derive(Debug, Clone, Serialize)]
pub struct MessageAlert {
    /// What changed.
    #[serde(rename = "type")]
    pub alert_type: AlertType,
    /// Value before, as stored (`99.95`, `1234`, `in_stock`).
    pub old: Option<String>,
    /// Value after.
    pub new: Option<String>,
    /// Change in percent (negative: down).
    pub change_percent: Option<f64>,
}

/// Everything a message is made from: a notification with its product and alert.
#[derive(Debug, Clone)]
pub struct Message {
    /// The notification.
    pub notification_id: Uuid,
    /// Its type.
    pub notification_type: NotificationType,
    /// Its priority.
    pub priority: NotificationPriority,
    /// Its title (today's "Price decreased by 16.7%").
    pub title: String,
    /// Its message.
    pub message: String,
    /// The product, when the notification has one.
    pub product: Option<MessageProduct>,
    /// The alert, when the notification came from one.
    pub alert: Option<MessageAlert>,
    /// When the change happened.
    pub created_at: DateTime<Utc>,
}

impl Message {
    /// The message a channel test sends (`amazcope channels test`, the Python client's
    /// `test_channel`, `POST /api/v1/channels/{id}/test`): a normal-priority system message
    /// naming the user, about no product.
    pub fn channel_test(username: &str, id: Uuid, now: DateTime<Utc>) -> Self {
        Self {
            notification_id: id,
            notification_type: NotificationType::System,
            priority: NotificationPriority::Normal,
            title: "Test message from Amazcope".into(),
            message: format!("This channel works: {username}'s alerts will arrive here."),
            product: None,
            alert: None,
            created_at: now,
        }
    }
}

/// A delivery a worker has claimed, with what it needs to send it.
#[derive(Debug, Clone)]
pub struct ClaimedDelivery {
    /// The delivery id (the `Idempotency-Key`).
    pub id: Uuid,
    /// Attempts made before this one.
    pub attempts: u32,
    /// Where to.
    pub channel: Channel,
    /// What.
    pub message: Message,
}

/// How one attempt ended, to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttemptOutcome {
    /// Delivered; the HTTP status for webhooks.
    Sent {
        /// HTTP status (webhooks) or `None` (e-mail).
        code: Option<u16>,
    },
    /// Failed; `retry_at` when to try again, or `None` when the row is dead.
    Failed {
        /// HTTP status when there was one.
        code: Option<u16>,
        /// Why, masked.
        error: String,
        /// The next attempt, or `None`: dead.
        retry_at: Option<DateTime<Utc>>,
    },
}

/// One row of the delivery log (`amazcope deliveries`).
#[derive(Debug, Clone, Serialize)]
pub struct DeliveryLogEntry {
    /// Delivery id.
    pub id: Uuid,
    /// The notification.
    pub notification_id: Uuid,
    /// Its title.
    pub title: String,
    /// The channel.
    pub channel_id: Uuid,
    /// Its kind.
    pub channel_kind: ChannelKind,
    /// Its target, masked.
    pub target: String,
    /// Status.
    pub status: DeliveryStatus,
    /// Attempts made.
    pub attempts: u32,
    /// Next try (pending / failed).
    pub next_attempt_at: DateTime<Utc>,
    /// Why the last try failed.
    pub last_error: Option<String>,
    /// The last HTTP status.
    pub response_code: Option<u16>,
    /// When it was delivered.
    pub sent_at: Option<DateTime<Utc>>,
    /// When the row was written (with the notification).
    pub created_at: DateTime<Utc>,
}

/// Counts of one delivery run (`amazcope deliver --once`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct DeliverySummary {
    /// Delivered.
    pub sent: u64,
    /// Failed, to be retried.
    pub failed: u64,
    /// Given up.
    pub dead: u64,
}

impl std::ops::AddAssign for DeliverySummary {
    fn add_assign(&mut self, o: Self) {
        self.sent += o.sent;
        self.failed += o.failed;
        self.dead += o.dead;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_of_a_channel_to_add_shows_no_secret_and_no_token() {
        let new = NewChannel {
            user_id: UserId(Uuid::nil()),
            kind: ChannelKind::Webhook,
            target: "https://hooks.example.com/x?token=tok-SECRET".into(),
            format: None,
            min_priority: None,
            types: None,
            secret: Some("whsec-SECRET".into()),
        };
        let shown = format!("{new:?}");
        assert!(!shown.contains("SECRET"), "{shown}");
        assert!(shown.contains("hooks.example.com") && shown.contains("secret: Some(\"***\")"), "{shown}");
    }
}
