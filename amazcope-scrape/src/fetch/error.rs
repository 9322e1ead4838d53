//! What a fetch can end in, and what building a fetcher can fail with.

use amazcope_core::{FetchFailure, Marketplace};
use std::time::Duration;

/// How one request failed without giving a usable answer; kept as the cause of
/// [`FetchError::GaveUp`].
#[derive(Debug, thiserror::Error)]
pub enum AttemptError {
    /// The request (connect, send and body) took longer than the per-request timeout.
    #[error("timed out after {0:?}")]
    Timeout(Duration),
    /// The connection failed, was reset, or the body could not be read or decoded.
    #[error("network error: {0}")]
    Network(#[source] reqwest::Error),
}

/// Why [`crate::fetch::Fetcher`] returned no page. Every variant names the URL asked for and how many
/// requests were made for it (`attempts`, counting the first).
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The URL could not be built or is not an http(s) URL.
    #[error("invalid url {url}: {reason}")]
    InvalidUrl {
        /// The URL or URL part given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The server answered with a status that is not retried (403, 410...) or a 5xx that
    /// lasted through every retry.
    #[error("{url} answered http {status} after {attempts} attempts")]
    Status {
        /// The URL asked for.
        url: String,
        /// The last HTTP status.
        status: u16,
        /// Requests made.
        attempts: u32,
    },
    /// The answer was a robot check or WAF challenge; the marketplace is now backed off.
    #[error("captcha page from {url} (http {status}) after {attempts} attempts")]
    Captcha {
        /// The URL asked for.
        url: String,
        /// The marketplace that was backed off, when the URL belongs to one.
        marketplace: Option<Marketplace>,
        /// The HTTP status the captcha came with (Amazon sends 200 as often as 503).
        status: u16,
        /// Requests made.
        attempts: u32,
    },
    /// The server answered 429 or 503 until the retry budget ran out.
    #[error("throttled by {url} (http {status}) after {attempts} attempts")]
    Throttled {
        /// The URL asked for.
        url: String,
        /// The last HTTP status (429 or 503).
        status: u16,
        /// Requests made.
        attempts: u32,
    },
    /// HTTP 404: the page does not exist. Not retried.
    #[error("{url} not found (http 404)")]
    NotFound {
        /// The URL asked for.
        url: String,
        /// Requests made.
        attempts: u32,
    },
    /// Every attempt timed out.
    #[error("timed out fetching {url} after {attempts} attempts of {timeout:?} each")]
    Timeout {
        /// The URL asked for.
        url: String,
        /// Requests made.
        attempts: u32,
        /// The per-request timeout.
        timeout: Duration,
    },
    /// The retry budget ran out on network failures; `last` is the last one.
    #[error("gave up on {url} after {attempts} attempts: {last}")]
    GaveUp {
        /// The URL asked for.
        url: String,
        /// Requests made.
        attempts: u32,
        /// How the last attempt failed.
        #[source]
        last: AttemptError,
    },
    /// The caller cancelled the fetch (while waiting for a turn, during a request or while
    /// sleeping in a backoff).
    #[error("fetch of {url} cancelled after {attempts} attempts")]
    Cancelled {
        /// The URL asked for.
        url: String,
        /// Requests made before the cancellation.
        attempts: u32,
    },
}

impl FetchError {
    /// The URL the fetch was for.
    pub fn url(&self) -> &str {
        match self {
            FetchError::InvalidUrl { url, .. }
            | FetchError::Status { url, .. }
            | FetchError::Captcha { url, .. }
            | FetchError::Throttled { url, .. }
            | FetchError::NotFound { url, .. }
            | FetchError::Timeout { url, .. }
            | FetchError::GaveUp { url, .. }
            | FetchError::Cancelled { url, .. } => url,
        }
    }

    /// How many requests were made (0 when the URL was invalid or the fetch was cancelled
    /// before its first request).
    pub fn attempts(&self) -> u32 {
        match self {
            FetchError::InvalidUrl { .. } => 0,
            FetchError::Status { attempts, .. }
            | FetchError::Captcha { attempts, .. }
            | FetchError::Throttled { attempts, .. }
            | FetchError::NotFound { attempts, .. }
            | FetchError::Timeout { attempts, .. }
            | FetchError::GaveUp { attempts, .. }
            | FetchError::Cancelled { attempts, .. } => *attempts,
        }
    }
}

impl From<FetchError> for FetchFailure {
    fn from(e: FetchError) -> Self {
        let attempts = e.attempts();
        match e {
            FetchError::Captcha { url, .. } => FetchFailure::Captcha { url },
            FetchError::Throttled { url, status, attempts } => {
                FetchFailure::Throttled { url, status, attempts }
            }
            FetchError::NotFound { url, .. } => FetchFailure::NotFound { url },
            FetchError::Cancelled { url, .. } => FetchFailure::Cancelled { url },
            // Core has no separate variants for these; `last` keeps the detail.
            FetchError::InvalidUrl { url, reason } => {
                FetchFailure::GaveUp { url, attempts, last: format!("invalid url: {reason}") }
            }
            FetchError::Status { url, status, .. } => {
                FetchFailure::GaveUp { url, attempts, last: format!("http {status}") }
            }
            FetchError::Timeout { url, timeout, .. } => {
                FetchFailure::GaveUp { url, attempts, last: format!("timed out after {timeout:?}") }
            }
            FetchError::GaveUp { url, last, .. } => {
                FetchFailure::GaveUp { url, attempts, last: last.to_string() }
            }
        }
    }
}

/// Why a [`crate::fetch::Fetcher`] could not be built from its configuration.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// A proxy URL was rejected.
    #[error("invalid proxy {proxy}")]
    Proxy {
        /// The proxy as configured, its password masked
        /// ([`amazcope_core::secret::redact_url`]): this text reaches messages and logs.
        proxy: String,
        /// reqwest's reason.
        #[source]
        source: reqwest::Error,
    },
    /// A base URL override is not an absolute http(s) URL.
    #[error("invalid base url {url} for amazon.{marketplace}: {reason}")]
    BaseUrl {
        /// The marketplace it was given for.
        marketplace: Marketplace,
        /// The URL as configured.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A setting is out of range (`setting` names it).
    #[error("invalid fetcher setting {setting}: {reason}")]
    Setting {
        /// The setting's name.
        setting: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// reqwest could not build its client (TLS backend, resolver).
    #[error("could not build the http client: {0}")]
    Client(#[source] reqwest::Error),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttled_maps_to_core_throttled_with_its_counts() {
        let e = FetchError::Throttled { url: "u".into(), status: 503, attempts: 4 };
        assert_eq!(
            FetchFailure::from(e),
            FetchFailure::Throttled { url: "u".into(), status: 503, attempts: 4 }
        );
    }

    #[test]
    fn status_maps_to_gave_up_naming_the_status() {
        let e = FetchError::Status { url: "u".into(), status: 500, attempts: 3 };
        assert_eq!(
            FetchFailure::from(e),
            FetchFailure::GaveUp { url: "u".into(), attempts: 3, last: "http 500".into() }
        );
    }

    #[test]
    fn captcha_not_found_and_cancelled_keep_their_kind() {
        let c = FetchError::Captcha { url: "a".into(), marketplace: None, status: 200, attempts: 1 };
        assert_eq!(FetchFailure::from(c), FetchFailure::Captcha { url: "a".into() });
        let n = FetchError::NotFound { url: "b".into(), attempts: 1 };
        assert_eq!(FetchFailure::from(n), FetchFailure::NotFound { url: "b".into() });
        let x = FetchError::Cancelled { url: "c".into(), attempts: 0 };
        assert_eq!(FetchFailure::from(x), FetchFailure::Cancelled { url: "c".into() });
    }

    #[test]
    fn timeout_maps_to_gave_up_with_attempts() {
        let e = FetchError::Timeout { url: "u".into(), attempts: 2, timeout: Duration::from_millis(50) };
        let f = FetchFailure::from(e);
        assert!(
            matches!(f, FetchFailure::GaveUp { ref url, attempts: 2, ref last } if url == "u" && last.contains("timed out")),
            "{f:?}"
        );
    }
}
