//! One attempt to deliver one message to one channel: webhooks with reqwest, e-mail with
//! lettre. Nothing here touches the database; [`crate::Deliverer`] records the outcome.

use crate::config::DeliveryConfig;
use amazcope_core::delivery::retry::{FailureClass, classify_http, classify_smtp, retry_after_seconds};
use amazcope_core::delivery::{Channel, ChannelKind, Message, WebhookFormat, format, mask};
use hmac::{Hmac, KeyInit, Mac};
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use sha2::Sha256;
use std::time::Duration;
use uuid::Uuid;

/// Longest part of a receiver's error body quoted in `last_error`.
const ERROR_BODY_CHARS: usize = 200;

/// What one attempt did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendReport {
    /// Delivered.
    pub ok: bool,
    /// The HTTP status (webhooks) or SMTP reply code of a refusal.
    pub code: Option<u16>,
    /// Why it failed (secrets masked).
    pub error: Option<String>,
    /// Whether a failure is worth retrying.
    pub class: FailureClass,
    /// The receiver's `Retry-After` (429 / 503).
    pub retry_after: Option<Duration>,
}

impl SendReport {
    fn sent(code: Option<u16>) -> Self {
        Self { ok: true, code, error: None, class: FailureClass::Transient, retry_after: None }
    }

    fn failed(class: FailureClass, code: Option<u16>, error: String) -> Self {
        Self { ok: false, code, error: Some(error), class, retry_after: None }
    }
}

/// The sender could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum SenderError {
    /// `AMAZCOPE_SMTP_URL` is not a URL lettre takes (shown masked).
    #[error(
        "AMAZCOPE_SMTP_URL {url} is not usable: {reason} (expected e.g. smtp://user:pass@host:587?tls=required)"
    )]
    SmtpUrl {
        /// The URL, password masked.
        url: String,
        /// What lettre said, masked.
        reason: String,
    },
    /// `AMAZCOPE_MAIL_FROM` is not a mailbox.
    #[error("AMAZCOPE_MAIL_FROM {from:?} is not a mailbox (expected e.g. Amazcope <alerts@example.com>)")]
    MailFrom {
        /// What was given.
        from: String,
    },
    /// The HTTP client could not be built.
    #[error("could not build the HTTP client: {0}")]
    Http(String),
}

/// `sha256=<hex HMAC-SHA256 of body under secret>`, the `X-Amazcope-Signature` header.
pub fn sign(secret: &str, body: &[u8]) -> String {
    let mut mac =
        <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(body);
    let digest = mac.finalize().into_bytes();
    let mut hex = String::with_capacity(7 + digest.len() * 2);
    hex.push_str("sha256=");
    for b in digest.iter() {
        hex.push_str(&format!("{b:02x}"));
    }
    hex
}

struct Smtp {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    url: String,
}

/// Sends messages; cheap to share (`&Sender` across concurrent sends).
pub struct Sender {
    http: reqwest::Client,
    smtp: Option<Smtp>,
}

impl std::fmt::Debug for Sender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sender").field("smtp", &self.smtp.as_ref().map(|s| mask::url(&s.url))).finish()
    }
}

impl Sender {
    /// Builds the HTTP client and, when configured, the SMTP transport (connections are
    /// made per send; nothing is contacted here).
    pub fn new(config: &DeliveryConfig) -> Result<Self, SenderError> {
        if rustls::crypto::CryptoProvider::get_default().is_none() {
            let _ = rustls::crypto::ring::default_provider().install_default();
        }
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout)
            .user_agent(concat!("amazcope/", env!("CARGO_PKG_VERSION"), " (webhooks)"))
            .pool_max_idle_per_host(config.concurrency.max(1))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| SenderError::Http(e.without_url().to_string()))?;
        let smtp = match &config.smtp {
            None => None,
            Some(s) => {
                let masked = s.masked_url();
                let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&s.url)
                    .map_err(|e| SenderError::SmtpUrl {
                        url: masked.clone(),
                        reason: mask::text(&e.to_string(), &[&s.url]),
                    })?
                    .timeout(Some(config.timeout))
                    .build();
                let from: Mailbox =
                    s.from.parse().map_err(|_| SenderError::MailFrom { from: s.from.clone() })?;
                Some(Smtp { transport, from, url: s.url.clone() })
            }
        };
        Ok(Self { http, smtp })
    }

    /// Whether e-mail is configured.
    pub fn has_smtp(&self) -> bool {
        self.smtp.is_some()
    }

    /// One attempt to deliver `message` to `channel`; `key` is the `Idempotency-Key`.
    pub async fn send(&self, channel: &Channel, message: &Message, key: Uuid) -> SendReport {
        match channel.kind {
            ChannelKind::Webhook => self.webhook(channel, message, key).await,
            ChannelKind::Email => self.email(channel, message, key).await,
        }
    }

    async fn webhook(&self, channel: &Channel, message: &Message, key: Uuid) -> SendReport {
        let format = channel.format.unwrap_or(WebhookFormat::Json);
        let (url, topic) = match format {
            WebhookFormat::Ntfy => format::ntfy_target(&channel.target),
            _ => (channel.target.clone(), None),
        };
        let body = format::webhook_body(format, message, topic.as_deref());
        let body = serde_json::to_vec(&body).expect("a JSON value serialises");
        let mut request = self
            .http
            .post(&url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header("Idempotency-Key", key.to_string());
        if let Some(secret) = &channel.secret {
            request = request.header("X-Amazcope-Signature", sign(secret, &body));
        }
        let secrets: Vec<&str> =
            [Some(channel.target.as_str()), channel.secret.as_deref()].into_iter().flatten().collect();
        match request.body(body).send().await {
            Ok(response) => {
                let status = response.status().as_u16();
                if response.status().is_success() {
                    return SendReport::sent(Some(status));
                }
                let retry_after = response
                    .headers()
                    .get(reqwest::header::RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(retry_after_seconds)
                    .filter(|_| matches!(status, 429 | 503))
                    .map(Duration::from_secs);
                let text = response.text().await.unwrap_or_default();
                let text: String = text.chars().take(ERROR_BODY_CHARS).collect();
                let reason = response_reason(status, text.trim());
                let mut report =
                    SendReport::failed(classify_http(status), Some(status), mask::text(&reason, &secrets));
                report.retry_after = retry_after;
                report
            }
            Err(e) => {
                let what = if e.is_timeout() {
                    "timed out".to_owned()
                } else if e.is_connect() {
                    "could not connect".to_owned()
                } else {
                    "request failed".to_owned()
                };
                let detail = error_chain(&e.without_url());
                let text = format!("{what} to {}: {detail}", mask::url(&url));
                SendReport::failed(FailureClass::Transient, None, mask::text(&text, &secrets))
            }
        }
    }

    async fn email(&self, channel: &Channel, message: &Message, key: Uuid) -> SendReport {
        let Some(smtp) = &self.smtp else {
            // Not configured: worth retrying (the operator may set AMAZCOPE_SMTP_URL).
            return SendReport::failed(
                FailureClass::Transient,
                None,
                "e-mail is not configured: set AMAZCOPE_SMTP_URL (and AMAZCOPE_MAIL_FROM)".to_owned(),
            );
        };
        let to: Mailbox = match channel.target.parse() {
            Ok(to) => to,
            Err(_) => {
                return SendReport::failed(
                    FailureClass::Permanent,
                    None,
                    format!("{} is not an e-mail address", channel.target),
                );
            }
        };
        let email = lettre::Message::builder()
            .from(smtp.from.clone())
            .to(to)
            .subject(format::subject(message))
            .message_id(Some(format!("<{key}@amazcope>")))
            .multipart(MultiPart::alternative_plain_html(
                format::email_text(message),
                format::email_html(message),
            ));
        let email = match email {
            Ok(e) => e,
            Err(e) => {
                return SendReport::failed(
                    FailureClass::Permanent,
                    None,
                    format!("could not build the mail: {e}"),
                );
            }
        };
        match smtp.transport.send(email).await {
            Ok(_) => SendReport::sent(None),
            Err(e) => {
                let code = e.status().map(|c| c.to_string().parse::<u16>().unwrap_or(0)).filter(|c| *c > 0);
                let class = match code {
                    Some(c) => classify_smtp(c),
                    None if e.is_permanent() => FailureClass::Permanent,
                    None => FailureClass::Transient,
                };
                let text = format!("SMTP {}: {}", mask::url(&smtp.url), error_chain(&e));
                SendReport::failed(class, code, mask::text(&text, &[&smtp.url]))
            }
        }
    }
}

/// `HTTP 404 Not Found: <body>`.
fn response_reason(status: u16, body: &str) -> String {
    let reason = reqwest::StatusCode::from_u16(status).ok().and_then(|s| s.canonical_reason()).unwrap_or("");
    if body.is_empty() {
        format!("HTTP {status} {reason}")
    } else {
        format!("HTTP {status} {reason}: {body}")
    }
}

/// An error and its sources, joined, without repeats.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut parts: Vec<String> = vec![e.to_string()];
    let mut source = e.source();
    while let Some(s) = source {
        let t = s.to_string();
        if !parts.iter().any(|p| p.contains(&t)) {
            parts.push(t);
        }
        source = s.source();
    }
    parts.join(": ")
}
