//! Fetching pages politely: URLs per marketplace, browser-like headers, cookies, a rate
//! limit per marketplace and a global concurrency limit, retries with backoff and jitter, a
//! cool-down after a captcha, proxies, timeouts and cancellation.
//!
//! The entry point is [`Fetcher`], built from a [`FetcherConfig`]. A fetcher is an
//! [`amazcope_core::PageSource`] with the crate's parser; [`ScrapeSource`] joins it with any
//! other parse function.

mod captcha;
mod client;
mod config;
mod error;
mod headers;
mod metrics;
mod retry;
mod source;
mod throttle;
mod tls;
mod urls;

pub use captcha::looks_like_captcha;
pub use client::{FetchedHtml, Fetcher};
pub use config::{FetcherConfig, RetryPolicy};
pub use error::{AttemptError, BuildError, FetchError};
pub use headers::{DEFAULT_USER_AGENTS, accept_language};
pub use metrics::{FetchMetricsSnapshot, MarketplaceMetrics};
pub use retry::parse_retry_after;
pub use source::{AmazonParser, PageParser, ScrapeSource};
pub use tls::install_tls_provider;
pub use urls::ReviewSort;
