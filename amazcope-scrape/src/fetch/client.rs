//! The fetcher: one request loop with throttling, retries and cancellation around reqwest.

use crate::fetch::captcha::looks_like_captcha;
use crate::fetch::error::{AttemptError, BuildError, FetchError};
use crate::fetch::headers::{ACCEPT, DEFAULT_USER_AGENTS, accept_language};
use crate::fetch::metrics::{Event, FetchMetrics, FetchMetricsSnapshot};
use crate::fetch::retry::parse_retry_after;
use crate::fetch::throttle::{Key, Throttle};
use crate::fetch::urls::{ReviewSort, Urls};
use crate::fetch::{FetcherConfig, RetryPolicy};
use amazcope_core::secret::redact_url;
use amazcope_core::service::RequestBudget;
use amazcope_core::{Asin, Marketplace};
use chrono::{DateTime, Utc};
use reqwest::header::{self, HeaderValue};
use reqwest::{StatusCode, Url};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::sync::{Semaphore, SemaphorePermit};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// A page body as fetched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchedHtml {
    /// The URL asked for.
    pub url: String,
    /// The URL answered, after redirects.
    pub final_url: String,
    /// The HTTP status (2xx).
    pub status: u16,
    /// The body, decoded by the response's charset.
    pub body: String,
    /// Requests made, the successful one included.
    pub attempts: u32,
    /// When the body was received.
    pub fetched_at: DateTime<Utc>,
}

/// Fetches Amazon pages politely. Cheap to clone: clones share the cookie jar, throttle,
/// concurrency limit, metrics and cancellation token.
///
/// Every request goes through the same loop: wait until the marketplace may be asked again
/// (spacing, captcha cool-down, `Retry-After`) and a global permit is free; send with a
/// rotated User-Agent and the marketplace's `Accept-Language`; then
/// - 2xx with a page: done; 2xx (or any status) with a robot check: [`FetchError::Captcha`],
///   and the marketplace is backed off for [`FetcherConfig::captcha_cooldown`];
/// - 404: [`FetchError::NotFound`] at once; other 4xx except 408/429: [`FetchError::Status`];
/// - 408, 429, 5xx, timeouts and network errors: retried after a full-jitter backoff (or the
///   server's `Retry-After`), up to [`RetryPolicy::max_attempts`] requests.
///
/// Cancelling ([`Fetcher::cancel`] or a per-call token) ends a fetch promptly wherever it
/// waits, with [`FetchError::Cancelled`].
#[derive(Debug, Clone)]
pub struct Fetcher {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    config: FetcherConfig,
    /// One client per proxy (or one direct), all sharing `jar`.
    clients: Vec<reqwest::Client>,
    next_client: AtomicUsize,
    user_agents: Vec<HeaderValue>,
    next_agent: AtomicUsize,
    urls: Urls,
    throttle: Throttle,
    permits: Semaphore,
    metrics: FetchMetrics,
    cancel: CancellationToken,
    /// The fleet's budget per marketplace, when requests are spaced across processes.
    budget: Option<Arc<dyn RequestBudget>>,
}

/// How waiting for a fleet slot ended.
enum Slot {
    Reached,
    Cancelled,
    /// The budget's store could not be asked.
    Unreachable,
}

/// What one request came to.
enum Attempt {
    Page {
        status: u16,
        final_url: String,
        body: String,
    },
    Captcha {
        status: u16,
    },
    NotFound,
    /// Not worth retrying (403, 410...).
    Fatal {
        status: u16,
    },
    Retry {
        cause: RetryCause,
        retry_after: Option<Duration>,
    },
    Cancelled,
}

enum RetryCause {
    Throttled(u16),
    Status(u16),
    Failed(AttemptError),
}

impl Fetcher {
    /// Builds a fetcher; fails on a bad proxy, base URL or out-of-range setting.
    pub fn new(config: FetcherConfig) -> Result<Self, BuildError> {
        Self::build(config, None)
    }

    /// Builds a fetcher whose per-marketplace spacing and captcha cool-downs are shared
    /// through `budget` with every other fetcher using the same store (all worker processes
    /// of a fleet): each request reserves its marketplace's next slot there, so together
    /// they keep [`FetcherConfig::spacing_for`] between requests, and a captcha one of them
    /// sees holds back all of them for [`FetcherConfig::captcha_cooldown`]. When the store
    /// cannot be asked, the fetcher falls back to spacing its own requests.
    pub fn with_budget(config: FetcherConfig, budget: Arc<dyn RequestBudget>) -> Result<Self, BuildError> {
        Self::build(config, Some(budget))
    }

    fn build(config: FetcherConfig, budget: Option<Arc<dyn RequestBudget>>) -> Result<Self, BuildError> {
        if config.max_concurrency == 0 {
            return Err(BuildError::Setting {
                setting: "max_concurrency",
                reason: "must be at least 1".into(),
            });
        }
        if config.retry.max_attempts == 0 {
            return Err(BuildError::Setting {
                setting: "retry.max_attempts",
                reason: "must be at least 1".into(),
            });
        }
        if config.timeout.is_zero() {
            return Err(BuildError::Setting { setting: "timeout", reason: "must be more than zero".into() });
        }
        let urls = Urls::new(&config.base_urls)?;
        crate::fetch::install_tls_provider();
        let jar = Arc::new(reqwest::cookie::Jar::default());
        let builder = || {
            reqwest::Client::builder()
                .cookie_provider(Arc::clone(&jar))
                .connect_timeout(config.connect_timeout.min(config.timeout))
                .timeout(config.timeout)
        };
        let mut clients = Vec::new();
        for p in &config.proxies {
            let proxy = reqwest::Proxy::all(p.as_str())
                .map_err(|source| BuildError::Proxy { proxy: redact_url(p), source })?;
            clients.push(builder().proxy(proxy).build().map_err(BuildError::Client)?);
        }
        if clients.is_empty() {
            clients.push(builder().no_proxy().build().map_err(BuildError::Client)?);
        }
        let agents: Vec<&str> = if config.user_agents.is_empty() {
            DEFAULT_USER_AGENTS.to_vec()
        } else {
            config.user_agents.iter().map(String::as_str).collect()
        };
        let user_agents = agents
            .into_iter()
            .map(|a| {
                HeaderValue::from_str(a).map_err(|e| BuildError::Setting {
                    setting: "user_agents",
                    reason: format!("{a:?} is not a valid header value: {e}"),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let permits = Semaphore::new(config.max_concurrency);
        Ok(Self {
            inner: Arc::new(Inner {
                config,
                clients,
                next_client: AtomicUsize::new(0),
                user_agents,
                next_agent: AtomicUsize::new(0),
                urls,
                throttle: Throttle::default(),
                permits,
                metrics: FetchMetrics::default(),
                cancel: CancellationToken::new(),
                budget,
            }),
        })
    }

    /// The configuration it was built from.
    pub fn config(&self) -> &FetcherConfig {
        &self.inner.config
    }

    /// Counters so far.
    pub fn metrics(&self) -> FetchMetricsSnapshot {
        self.inner.metrics.snapshot()
    }

    /// Cancels every fetch in progress and every later one, on this fetcher and its clones.
    pub fn cancel(&self) {
        self.inner.cancel.cancel();
    }

    /// The token [`Fetcher::cancel`] cancels; hand it to whatever should stop the fetcher.
    pub fn cancellation_token(&self) -> CancellationToken {
        self.inner.cancel.clone()
    }

    /// The product page URL (`<base>/dp/ASIN`).
    pub fn product_url(&self, marketplace: Marketplace, asin: &Asin) -> Result<Url, FetchError> {
        self.inner.urls.product(marketplace, asin)
    }

    /// A best-seller list URL: all departments for `None`, else a slug (`electronics`) or
    /// `slug/node-id`; `page` starts at 1.
    pub fn bestsellers_url(
        &self,
        marketplace: Marketplace,
        category: Option<&str>,
        page: u32,
    ) -> Result<Url, FetchError> {
        self.inner.urls.bestsellers(marketplace, category, page)
    }

    /// A review page URL; `page` starts at 1.
    pub fn reviews_url(
        &self,
        marketplace: Marketplace,
        asin: &Asin,
        page: u32,
        sort: ReviewSort,
    ) -> Result<Url, FetchError> {
        self.inner.urls.reviews(marketplace, asin, page, sort)
    }

    /// Fetches any URL. Its marketplace (for spacing, cool-down, headers and metrics) comes
    /// from the base-URL overrides or the `amazon.<suffix>` host; other hosts are spaced per
    /// host with [`FetcherConfig::min_spacing`].
    pub async fn fetch_html(&self, url: &str) -> Result<FetchedHtml, FetchError> {
        self.fetch_html_with(url, None).await
    }

    /// [`Fetcher::fetch_html`], also ended by `cancel` besides the fetcher's own token.
    pub async fn fetch_html_with(
        &self,
        url: &str,
        cancel: Option<&CancellationToken>,
    ) -> Result<FetchedHtml, FetchError> {
        let parsed = Url::parse(url)
            .map_err(|e| FetchError::InvalidUrl { url: url.to_string(), reason: e.to_string() })?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(FetchError::InvalidUrl {
                url: url.to_string(),
                reason: format!("scheme {} is not http or https", parsed.scheme()),
            });
        }
        let key = match self.inner.urls.marketplace_of(&parsed) {
            Some(m) => Key::Market(m),
            None => Key::Host(parsed.host_str().unwrap_or_default().to_string()),
        };
        self.run(key, parsed, cancel).await
    }

    /// Fetches the product page of `asin`.
    pub async fn fetch_product(
        &self,
        marketplace: Marketplace,
        asin: &Asin,
        cancel: Option<&CancellationToken>,
    ) -> Result<FetchedHtml, FetchError> {
        let url = self.product_url(marketplace, asin)?;
        self.run(Key::Market(marketplace), url, cancel).await
    }

    /// Fetches a best-seller list page (see [`Fetcher::bestsellers_url`]).
    pub async fn fetch_bestsellers(
        &self,
        marketplace: Marketplace,
        category: Option<&str>,
        page: u32,
        cancel: Option<&CancellationToken>,
    ) -> Result<FetchedHtml, FetchError> {
        let url = self.bestsellers_url(marketplace, category, page)?;
        self.run(Key::Market(marketplace), url, cancel).await
    }

    /// Fetches a review page (see [`Fetcher::reviews_url`]).
    pub async fn fetch_reviews(
        &self,
        marketplace: Marketplace,
        asin: &Asin,
        page: u32,
        sort: ReviewSort,
        cancel: Option<&CancellationToken>,
    ) -> Result<FetchedHtml, FetchError> {
        let url = self.reviews_url(marketplace, asin, page, sort)?;
        self.run(Key::Market(marketplace), url, cancel).await
    }

    async fn run(
        &self,
        key: Key,
        url: Url,
        call: Option<&CancellationToken>,
    ) -> Result<FetchedHtml, FetchError> {
        let cancel = Cancel { root: &self.inner.cancel, call };
        let market = key.marketplace();
        let result = self.attempts(&key, &url, &cancel).await;
        match &result {
            Ok(_) => self.inner.metrics.record(market, Event::Succeeded),
            Err(FetchError::Cancelled { .. }) => {}
            Err(_) => self.inner.metrics.record(market, Event::Failed),
        }
        result
    }

    async fn attempts(&self, key: &Key, url: &Url, cancel: &Cancel<'_>) -> Result<FetchedHtml, FetchError> {
        let policy: &RetryPolicy = &self.inner.config.retry;
        let market = key.marketplace();
        let url_text = url.to_string();
        let cancelled = |attempts| FetchError::Cancelled { url: url_text.clone(), attempts };
        let mut attempts = 0u32;
        let mut captchas = 0u32;
        loop {
            let Some(permit) = self.turn(key, cancel).await else {
                return Err(cancelled(attempts));
            };
            attempts += 1;
            self.inner.metrics.record(market, Event::Request);
            if attempts > 1 {
                self.inner.metrics.record(market, Event::Retry);
            }
            let outcome = self.send(key, url, cancel).await;
            drop(permit);
            let exhausted = attempts >= policy.max_attempts;
            match outcome {
                Attempt::Page { status, final_url, body } => {
                    return Ok(FetchedHtml {
                        url: url_text,
                        final_url,
                        status,
                        body,
                        attempts,
                        fetched_at: Utc::now(),
                    });
                }
                Attempt::Cancelled => return Err(cancelled(attempts)),
                Attempt::NotFound => return Err(FetchError::NotFound { url: url_text, attempts }),
                Attempt::Fatal { status } => {
                    return Err(FetchError::Status { url: url_text, status, attempts });
                }
                Attempt::Captcha { status } => {
                    self.inner.metrics.record(market, Event::Captcha);
                    let cooldown = self.inner.config.captcha_cooldown;
                    self.inner.throttle.block_until(key, Instant::now() + cooldown);
                    if let (Some(budget), Some(m)) = (&self.inner.budget, market)
                        && !cooldown.is_zero()
                    {
                        // The whole fleet backs off; if the store cannot be told, this
                        // process still does (above).
                        let _ = budget.block(m, cooldown).await;
                    }
                    if captchas >= policy.captcha_retries || exhausted {
                        return Err(FetchError::Captcha {
                            url: url_text,
                            marketplace: market,
                            status,
                            attempts,
                        });
                    }
                    // The retry waits out the cool-down in `turn`, like every other request.
                    captchas += 1;
                }
                Attempt::Retry { cause, retry_after } => {
                    if exhausted {
                        return Err(match cause {
                            RetryCause::Throttled(status) => {
                                FetchError::Throttled { url: url_text, status, attempts }
                            }
                            RetryCause::Status(status) => {
                                FetchError::Status { url: url_text, status, attempts }
                            }
                            RetryCause::Failed(AttemptError::Timeout(timeout)) => {
                                FetchError::Timeout { url: url_text, attempts, timeout }
                            }
                            RetryCause::Failed(last) => FetchError::GaveUp { url: url_text, attempts, last },
                        });
                    }
                    let delay = match retry_after {
                        Some(d) => {
                            let d = d.min(policy.max_retry_after);
                            self.inner.throttle.defer_until(key, Instant::now() + d);
                            d
                        }
                        None => policy.backoff(attempts),
                    };
                    tokio::select! {
                        biased;
                        _ = cancel.cancelled() => return Err(cancelled(attempts)),
                        _ = tokio::time::sleep(delay) => {}
                    }
                }
            }
        }
    }

    /// Waits until a request to `key` may start: a global permit is free and the
    /// marketplace's spacing and cool-down have passed. `None` when cancelled.
    ///
    /// The permit is given back while sleeping for the marketplace, so one slow marketplace
    /// does not hold up the others.
    async fn turn(&self, key: &Key, cancel: &Cancel<'_>) -> Option<SemaphorePermit<'_>> {
        let spacing = match key {
            Key::Market(m) => self.inner.config.spacing_for(*m),
            Key::Host(_) => self.inner.config.min_spacing,
        };
        let shared = match (key, &self.inner.budget) {
            (Key::Market(m), Some(b)) => Some((*m, b)),
            _ => None,
        };
        let mut use_shared = shared.is_some();
        loop {
            let permit = self.permit(cancel).await?;
            // With the fleet's budget the spacing is kept there; the local gate keeps this
            // process's own cool-downs and `Retry-After`s.
            let local = if use_shared { Duration::ZERO } else { spacing };
            match self.inner.throttle.try_claim(key, local, Instant::now()) {
                Ok(()) => {
                    let Some((m, budget)) = shared.filter(|_| use_shared) else { return Some(permit) };
                    // Not holding a permit while waiting for the fleet's slot, so other
                    // marketplaces go on meanwhile.
                    drop(permit);
                    match self.shared_slot(m, budget.as_ref(), spacing, cancel).await {
                        Slot::Reached => return self.permit(cancel).await,
                        Slot::Cancelled => return None,
                        Slot::Unreachable => use_shared = false,
                    }
                }
                Err(ready_at) => {
                    drop(permit);
                    tokio::select! {
                        biased;
                        _ = cancel.cancelled() => return None,
                        _ = tokio::time::sleep_until(ready_at) => {}
                    }
                }
            }
        }
    }

    async fn permit(&self, cancel: &Cancel<'_>) -> Option<SemaphorePermit<'_>> {
        tokio::select! {
            biased;
            _ = cancel.cancelled() => None,
            p = self.inner.permits.acquire() => p.ok(),
        }
    }

    /// Reserves the fleet's next slot for `m` and waits for it; a captcha another worker
    /// saw while this one waited holds the slot back too (then a new one is reserved).
    async fn shared_slot(
        &self,
        m: Marketplace,
        budget: &dyn RequestBudget,
        spacing: Duration,
        cancel: &Cancel<'_>,
    ) -> Slot {
        loop {
            let Ok(wait) = budget.reserve(m, spacing).await else { return Slot::Unreachable };
            if wait.is_zero() {
                return Slot::Reached;
            }
            tokio::select! {
                biased;
                _ = cancel.cancelled() => return Slot::Cancelled,
                _ = tokio::time::sleep(wait) => {}
            }
            match budget.blocked_for(m).await {
                Ok(blocked) if !blocked.is_zero() => {
                    tokio::select! {
                        biased;
                        _ = cancel.cancelled() => return Slot::Cancelled,
                        _ = tokio::time::sleep(blocked) => {}
                    }
                }
                _ => return Slot::Reached,
            }
        }
    }

    fn client(&self) -> &reqwest::Client {
        let clients = &self.inner.clients;
        &clients[self.inner.next_client.fetch_add(1, Ordering::Relaxed) % clients.len()]
    }

    fn user_agent(&self) -> HeaderValue {
        let agents = &self.inner.user_agents;
        agents[self.inner.next_agent.fetch_add(1, Ordering::Relaxed) % agents.len()].clone()
    }

    async fn send(&self, key: &Key, url: &Url, cancel: &Cancel<'_>) -> Attempt {
        let language = key.marketplace().map_or_else(|| "en-US,en;q=0.9".to_string(), accept_language);
        let request = self
            .client()
            .get(url.clone())
            .header(header::USER_AGENT, self.user_agent())
            .header(header::ACCEPT, ACCEPT)
            .header(header::ACCEPT_LANGUAGE, language)
            .header(header::UPGRADE_INSECURE_REQUESTS, "1");
        let timeout = self.inner.config.timeout;
        let exchange = async move {
            let response = request.send().await?;
            let status = response.status();
            let final_url = response.url().to_string();
            let retry_after = response
                .headers()
                .get(header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| parse_retry_after(v, Utc::now()));
            let body = response.text().await?;
            Ok::<_, reqwest::Error>((status, final_url, retry_after, body))
        };
        let result = tokio::select! {
            biased;
            _ = cancel.cancelled() => return Attempt::Cancelled,
            r = exchange => r,
        };
        let (status, final_url, retry_after, body) = match result {
            Ok(parts) => parts,
            Err(e) if e.is_timeout() => {
                return Attempt::Retry {
                    cause: RetryCause::Failed(AttemptError::Timeout(timeout)),
                    retry_after: None,
                };
            }
            Err(e) => {
                return Attempt::Retry {
                    cause: RetryCause::Failed(AttemptError::Network(e)),
                    retry_after: None,
                };
            }
        };
        let market = key.marketplace();
        if status == StatusCode::NOT_FOUND {
            return Attempt::NotFound;
        }
        // Amazon serves robot checks with 200 as often as with 503, so every body is checked.
        if looks_like_captcha(&body) {
            return Attempt::Captcha { status: status.as_u16() };
        }
        if status.is_success() {
            return Attempt::Page { status: status.as_u16(), final_url, body };
        }
        match status {
            StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE => {
                self.inner.metrics.record(market, Event::Throttled);
                Attempt::Retry { cause: RetryCause::Throttled(status.as_u16()), retry_after }
            }
            StatusCode::REQUEST_TIMEOUT => Attempt::Retry { cause: RetryCause::Status(408), retry_after },
            s if s.is_server_error() => Attempt::Retry { cause: RetryCause::Status(s.as_u16()), retry_after },
            s => Attempt::Fatal { status: s.as_u16() },
        }
    }
}

/// The fetcher's own token and an optional per-call one: either ends the fetch.
struct Cancel<'a> {
    root: &'a CancellationToken,
    call: Option<&'a CancellationToken>,
}

impl Cancel<'_> {
    async fn cancelled(&self) {
        match self.call {
            Some(call) => tokio::select! {
                _ = self.root.cancelled() => {}
                _ = call.cancelled() => {}
            },
            None => self.root.cancelled().await,
        }
    }
}
