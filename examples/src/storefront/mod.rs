//! A local storefront: a real HTTP server on 127.0.0.1 that serves product, best-seller and
//! review pages in Amazon's markup, whose values move day by day on a simulated clock.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use amazcope_examples::storefront::{Storefront, StorefrontConfig};
//! let shop = Storefront::start(StorefrontConfig::default()).await?;
//! let asin = shop.catalogue().products()[3].asin;
//! shop.set_day(5);
//! let url = shop.product_url(&asin); // http://127.0.0.1:PORT/dp/ASIN
//! let truth = shop.catalogue().product(&asin).unwrap().state_on(5);
//! # let _ = (url, truth); Ok(()) }
//! ```
//!
//! Routes (a leading marketplace segment such as `/de/...` picks the storefront of list pages;
//! product and review pages are found by ASIN alone):
//! - `/dp/{ASIN}`, `/{slug}/dp/{ASIN}`, `/gp/product/{ASIN}`: the product page, or on a
//!   scripted day a captcha (HTTP 200), or the dogs page (HTTP 404) once the product is gone;
//! - `/gp/bestsellers/{slug}`, `/zgbs/{slug}`, `/Best-Sellers-X/zgbs/{slug}`: the list;
//! - `/product-reviews/{ASIN}`: the ten newest reviews;
//! - anything else: the dogs page with HTTP 404.
//!
//! The script of events is in [`catalogue::script`]; optional faults for fetcher tests are
//! in [`Faults`].

pub mod catalogue;
pub mod locale;
pub mod pages;
mod server;

pub use catalogue::{Catalogue, CatalogueProduct, CategoryInfo, DayState, PageState, ReviewTruth, script};

use amazcope_core::{Asin, Marketplace};
use chrono::NaiveDate;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::Duration;

/// Scripted faults, off by default, for testing a fetcher's retries and timeouts.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    /// Answer the first request of each day for a flaky product ([`Faults::is_flaky`]) with
    /// HTTP 503; later requests that day succeed.
    pub first_request_503: bool,
    /// Delay every response for a slow product ([`Faults::is_slow`]) by this long.
    pub slow_response: Option<Duration>,
}

impl Faults {
    /// Products whose first request of a day fails when [`Faults::first_request_503`] is on.
    pub fn is_flaky(index: usize) -> bool {
        index % 10 == 4
    }
    /// Products answered slowly when [`Faults::slow_response`] is set.
    pub fn is_slow(index: usize) -> bool {
        index % 10 == 6
    }
}

/// How to build a storefront.
#[derive(Debug, Clone)]
pub struct StorefrontConfig {
    /// Seed of the catalogue and of every walk.
    pub seed: u64,
    /// Number of products.
    pub products: usize,
    /// The date of day 0 (review dates count from it).
    pub start_date: NaiveDate,
    /// The day served at start.
    pub day: u32,
    /// Scripted faults.
    pub faults: Faults,
}

impl Default for StorefrontConfig {
    fn default() -> Self {
        Self {
            seed: 42,
            products: 60,
            start_date: NaiveDate::from_ymd_opt(2025, 1, 1).unwrap_or_default(),
            day: 0,
            faults: Faults::default(),
        }
    }
}

/// Entry point: [`Storefront::start`].
#[derive(Debug)]
pub struct Storefront;

impl Storefront {
    /// Generates the catalogue and starts serving on `127.0.0.1` at a free port, until the
    /// returned handle is stopped or dropped. Needs a running tokio runtime.
    pub async fn start(config: StorefrontConfig) -> std::io::Result<StorefrontHandle> {
        let catalogue = Catalogue::generate(config.seed, config.products, config.start_date);
        let shared = Arc::new(Shared {
            catalogue,
            day: AtomicU32::new(config.day),
            requests: AtomicU64::new(0),
            faults: config.faults,
            failed_once: std::sync::Mutex::new(std::collections::HashSet::new()),
            counts: std::sync::Mutex::new(Counts::default()),
        });
        let (addr, task) = server::serve(shared.clone()).await?;
        Ok(StorefrontHandle { addr, shared, task })
    }
}

pub(crate) struct Shared {
    pub(crate) catalogue: Catalogue,
    pub(crate) day: AtomicU32,
    pub(crate) requests: AtomicU64,
    pub(crate) faults: Faults,
    /// `(product, day)` pairs whose scripted 503 has been served.
    pub(crate) failed_once: std::sync::Mutex<std::collections::HashSet<(usize, u32)>>,
    /// Product page requests counted per ASIN and per second per marketplace.
    pub(crate) counts: std::sync::Mutex<Counts>,
}

/// What the storefront counts of product page requests (the checks of exactly-once
/// fetching and of the fleet's request budget read them).
#[derive(Debug, Default)]
pub(crate) struct Counts {
    per_asin: std::collections::HashMap<Asin, u32>,
    /// `(marketplace, whole seconds since the Unix epoch)` → requests started in it.
    per_second: std::collections::BTreeMap<(Marketplace, u64), u32>,
    /// Start times per marketplace (seconds since the Unix epoch, as f64), for windows
    /// that do not start on a whole second.
    starts: std::collections::HashMap<Marketplace, Vec<f64>>,
}

impl Shared {
    pub(crate) fn count_product_request(&self, asin: Asin, marketplace: Marketplace) {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs_f64())
            .unwrap_or_default();
        let mut c = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        *c.per_asin.entry(asin).or_default() += 1;
        *c.per_second.entry((marketplace, now as u64)).or_default() += 1;
        c.starts.entry(marketplace).or_default().push(now);
    }
}

/// A running storefront. Dropping it stops the server.
#[derive(Debug)]
pub struct StorefrontHandle {
    addr: SocketAddr,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared")
            .field("day", &self.day)
            .field("requests", &self.requests)
            .finish_non_exhaustive()
    }
}

impl StorefrontHandle {
    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The base URL to give a fetcher for `marketplace` (`http://127.0.0.1:PORT/de/`): the
    /// leading segment picks that storefront's list pages; product pages work under any.
    pub fn base_url_for(&self, marketplace: Marketplace) -> String {
        format!("{}/{}/", self.base_url(), marketplace.code())
    }

    /// The socket address served.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The catalogue, the ground truth of every page.
    pub fn catalogue(&self) -> &Catalogue {
        &self.shared.catalogue
    }

    /// Moves the simulated clock: from now on every page shows `day`'s values.
    pub fn set_day(&self, day: u32) {
        self.shared.day.store(day, Ordering::SeqCst);
    }

    /// The day served now.
    pub fn day(&self) -> u32 {
        self.shared.day.load(Ordering::SeqCst)
    }

    /// Requests answered so far (any path, any status).
    pub fn requests(&self) -> u64 {
        self.shared.requests.load(Ordering::SeqCst)
    }

    /// Product page requests for `asin` so far (any status: a captcha or a 503 counts).
    pub fn product_requests(&self, asin: &Asin) -> u32 {
        let c = self.shared.counts.lock().unwrap_or_else(|p| p.into_inner());
        c.per_asin.get(asin).copied().unwrap_or(0)
    }

    /// Product page requests so far, per ASIN asked for (ASINs never asked for are absent).
    pub fn product_request_counts(&self) -> std::collections::HashMap<Asin, u32> {
        self.shared.counts.lock().unwrap_or_else(|p| p.into_inner()).per_asin.clone()
    }

    /// Product page requests for products of `marketplace`, per whole second of the
    /// system clock (seconds since the Unix epoch), in time order.
    pub fn requests_per_second(&self, marketplace: Marketplace) -> Vec<(u64, u32)> {
        let c = self.shared.counts.lock().unwrap_or_else(|p| p.into_inner());
        c.per_second.iter().filter(|((m, _), _)| *m == marketplace).map(|((_, s), n)| (*s, *n)).collect()
    }

    /// The most product page requests for `marketplace` that started within any window of
    /// `window` (sliding, not aligned to whole seconds).
    pub fn max_requests_in_window(&self, marketplace: Marketplace, window: Duration) -> usize {
        let c = self.shared.counts.lock().unwrap_or_else(|p| p.into_inner());
        let Some(starts) = c.starts.get(&marketplace) else { return 0 };
        let mut t = starts.clone();
        t.sort_by(f64::total_cmp);
        let w = window.as_secs_f64();
        let (mut best, mut lo) = (0, 0);
        for hi in 0..t.len() {
            while t[hi] - t[lo] >= w {
                lo += 1;
            }
            best = best.max(hi - lo + 1);
        }
        best
    }

    /// Forgets the counts (a new due period).
    pub fn reset_counts(&self) {
        *self.shared.counts.lock().unwrap_or_else(|p| p.into_inner()) = Counts::default();
    }

    /// The product page URL of `asin`.
    pub fn product_url(&self, asin: &Asin) -> String {
        format!("{}/dp/{asin}", self.base_url())
    }

    /// The reviews page URL of `asin`.
    pub fn reviews_url(&self, asin: &Asin) -> String {
        format!("{}/product-reviews/{asin}", self.base_url())
    }

    /// The best-seller list URL of a category slug on `marketplace`.
    pub fn bestsellers_url(&self, marketplace: Marketplace, slug: &str) -> String {
        format!("{}/{}/gp/bestsellers/{slug}", self.base_url(), marketplace.code())
    }

    /// Stops serving now.
    pub fn stop(self) {
        drop(self);
    }
}

impl Drop for StorefrontHandle {
    fn drop(&mut self) {
        // Aborting the accept loop drops its JoinSet, which aborts every open connection.
        self.task.abort();
    }
}
