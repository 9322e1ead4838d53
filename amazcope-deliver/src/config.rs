//! Delivery settings, read by the adapters (command line, Python) and passed in.

use amazcope_core::delivery::mask;
use std::time::Duration;

/// Where mail goes: lettre's SMTP URL (`smtp://user:pass@host:587?tls=required`,
/// `smtps://…:465`, `smtp://127.0.0.1:2525` for a plain local relay) and the sender.
#[derive(Clone)]
pub struct SmtpConfig {
    /// lettre's connection URL (holds the password: never printed, see [`Self::masked_url`]).
    pub url: String,
    /// The `From:` mailbox (`Amazcope <alerts@example.com>`).
    pub from: String,
}

impl SmtpConfig {
    /// The URL with its password masked.
    pub fn masked_url(&self) -> String {
        mask::url(&self.url)
    }
}

impl std::fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpConfig").field("url", &self.masked_url()).field("from", &self.from).finish()
    }
}

/// How deliveries are sent and retried.
#[derive(Debug, Clone)]
pub struct DeliveryConfig {
    /// SMTP, when e-mail is configured (`AMAZCOPE_SMTP_URL`, `AMAZCOPE_MAIL_FROM`).
    pub smtp: Option<SmtpConfig>,
    /// Timeout of each HTTP request and SMTP session.
    pub timeout: Duration,
    /// First retry delay (doubling, with jitter, up to `max_backoff`).
    pub min_backoff: Duration,
    /// Longest retry delay.
    pub max_backoff: Duration,
    /// Attempts before a delivery is dead.
    pub max_attempts: u32,
    /// How long a claim holds (a worker killed mid-send leaves its rows for this long).
    pub lease: Duration,
    /// Rows claimed at once.
    pub batch: u32,
    /// Sends in flight at once.
    pub concurrency: usize,
}

impl Default for DeliveryConfig {
    fn default() -> Self {
        Self {
            smtp: None,
            timeout: Duration::from_secs(10),
            min_backoff: Duration::from_secs(30),
            max_backoff: Duration::from_secs(3600),
            max_attempts: amazcope_core::delivery::retry::MAX_ATTEMPTS,
            lease: Duration::from_secs(60),
            batch: 256,
            concurrency: 64,
        }
    }
}

impl DeliveryConfig {
    /// The defaults with SMTP from `AMAZCOPE_SMTP_URL` / `AMAZCOPE_MAIL_FROM` (the sender
    /// defaults to `amazcope@localhost`).
    pub fn from_env() -> Self {
        let smtp =
            std::env::var("AMAZCOPE_SMTP_URL").ok().filter(|u| !u.trim().is_empty()).map(|url| SmtpConfig {
                url,
                from: std::env::var("AMAZCOPE_MAIL_FROM")
                    .unwrap_or_else(|_| "Amazcope <amazcope@localhost>".to_owned()),
            });
        Self { smtp, ..Self::default() }
    }
}
