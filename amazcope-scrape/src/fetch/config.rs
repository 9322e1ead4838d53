//! Settings of a [`crate::fetch::Fetcher`]. Passed in when it is built; nothing is read from the
//! environment here.

use amazcope_core::Marketplace;
use std::collections::HashMap;
use std::time::Duration;

/// When and how often to try a request again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Requests made at most for one fetch, the first included (at least 1).
    pub max_attempts: u32,
    /// The backoff ceiling before the first retry; it doubles for each further retry.
    pub base_delay: Duration,
    /// The backoff ceiling never grows past this.
    pub max_delay: Duration,
    /// A `Retry-After` header is honoured up to this long; longer values are cut to it so a
    /// hostile header cannot park a worker for hours.
    pub max_retry_after: Duration,
    /// How many times a captcha answer is tried again (after the marketplace cool-down).
    /// 0 by default: a captcha means we have been noticed, and hammering makes it worse.
    pub captcha_retries: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 4,
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(120),
            captcha_retries: 0,
        }
    }
}

/// Everything a [`crate::fetch::Fetcher`] is built from. Start from [`FetcherConfig::default`] and
/// change what you need with the `with_*` methods or the public fields.
#[derive(Debug, Clone)]
pub struct FetcherConfig {
    /// Retries and backoff.
    pub retry: RetryPolicy,
    /// Limit for one request: connect, send and the whole body.
    pub timeout: Duration,
    /// Limit for establishing a connection (within `timeout`).
    pub connect_timeout: Duration,
    /// Least time between the starts of two requests to one marketplace.
    pub min_spacing: Duration,
    /// Per-marketplace spacing that replaces `min_spacing`.
    pub spacing: HashMap<Marketplace, Duration>,
    /// Requests in flight at once, over all marketplaces (at least 1).
    pub max_concurrency: usize,
    /// After a captcha, no request goes to that marketplace for this long.
    pub captcha_cooldown: Duration,
    /// Proxy URLs (`http://user:pass@host:port`, `socks5://...` if reqwest supports it),
    /// used round robin, one per request. Empty: direct connections, and the `HTTP_PROXY`
    /// environment variables are ignored so a stray setting cannot reroute traffic.
    pub proxies: Vec<String>,
    /// User-Agent strings, used round robin. Empty: [`crate::fetch::DEFAULT_USER_AGENTS`].
    pub user_agents: Vec<String>,
    /// Base URL per marketplace replacing `https://www.amazon.<suffix>/` (tests, the demo
    /// storefront). It may carry a path prefix (`http://127.0.0.1:8080/de/`).
    pub base_urls: HashMap<Marketplace, String>,
}

impl Default for FetcherConfig {
    fn default() -> Self {
        Self {
            retry: RetryPolicy::default(),
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            min_spacing: Duration::from_secs(2),
            spacing: HashMap::new(),
            max_concurrency: 4,
            captcha_cooldown: Duration::from_secs(300),
            proxies: Vec::new(),
            user_agents: Vec::new(),
            base_urls: HashMap::new(),
        }
    }
}

impl FetcherConfig {
    /// Sets the retry policy.
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }
    /// Sets the per-request timeout.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }
    /// Sets the default spacing between requests to one marketplace.
    pub fn with_min_spacing(mut self, spacing: Duration) -> Self {
        self.min_spacing = spacing;
        self
    }
    /// Sets the spacing for one marketplace.
    pub fn with_marketplace_spacing(mut self, marketplace: Marketplace, spacing: Duration) -> Self {
        self.spacing.insert(marketplace, spacing);
        self
    }
    /// Sets the global concurrency limit.
    pub fn with_max_concurrency(mut self, n: usize) -> Self {
        self.max_concurrency = n;
        self
    }
    /// Sets the captcha cool-down.
    pub fn with_captcha_cooldown(mut self, cooldown: Duration) -> Self {
        self.captcha_cooldown = cooldown;
        self
    }
    /// Adds a proxy URL.
    pub fn with_proxy(mut self, proxy: impl Into<String>) -> Self {
        self.proxies.push(proxy.into());
        self
    }
    /// Replaces the User-Agent list.
    pub fn with_user_agents(mut self, agents: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.user_agents = agents.into_iter().map(Into::into).collect();
        self
    }
    /// Points a marketplace at another base URL.
    pub fn with_base_url(mut self, marketplace: Marketplace, base: impl Into<String>) -> Self {
        self.base_urls.insert(marketplace, base.into());
        self
    }

    /// The spacing that applies to `marketplace`.
    pub fn spacing_for(&self, marketplace: Marketplace) -> Duration {
        self.spacing.get(&marketplace).copied().unwrap_or(self.min_spacing)
    }
}
