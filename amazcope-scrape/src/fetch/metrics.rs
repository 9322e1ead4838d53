//! Counters the command line shows: requests, retries and captchas per marketplace.

use amazcope_core::Marketplace;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

/// Counts for one marketplace (or for every URL outside a known marketplace).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct MarketplaceMetrics {
    /// HTTP requests sent (every attempt).
    pub requests: u64,
    /// Requests that were retries of an earlier one.
    pub retries: u64,
    /// Captcha or WAF challenge answers.
    pub captchas: u64,
    /// 429 and 503 answers.
    pub throttled: u64,
    /// Fetches that returned a page.
    pub succeeded: u64,
    /// Fetches that ended in an error (cancellations excluded).
    pub failed: u64,
}

impl MarketplaceMetrics {
    fn add(&mut self, o: &MarketplaceMetrics) {
        self.requests += o.requests;
        self.retries += o.retries;
        self.captchas += o.captchas;
        self.throttled += o.throttled;
        self.succeeded += o.succeeded;
        self.failed += o.failed;
    }
}

/// A point-in-time copy of a fetcher's counters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FetchMetricsSnapshot {
    /// Marketplaces that saw at least one request.
    pub marketplaces: BTreeMap<Marketplace, MarketplaceMetrics>,
    /// URLs that belong to no known marketplace.
    pub other: MarketplaceMetrics,
}

impl FetchMetricsSnapshot {
    /// The sum over every marketplace and `other`.
    pub fn total(&self) -> MarketplaceMetrics {
        let mut t = self.other;
        for m in self.marketplaces.values() {
            t.add(m);
        }
        t
    }

    /// The counts of one marketplace (zeros when it saw no request).
    pub fn marketplace(&self, m: Marketplace) -> MarketplaceMetrics {
        self.marketplaces.get(&m).copied().unwrap_or_default()
    }
}

#[derive(Debug, Default)]
struct Counters {
    requests: AtomicU64,
    retries: AtomicU64,
    captchas: AtomicU64,
    throttled: AtomicU64,
    succeeded: AtomicU64,
    failed: AtomicU64,
}

impl Counters {
    fn load(&self) -> MarketplaceMetrics {
        MarketplaceMetrics {
            requests: self.requests.load(Ordering::Relaxed),
            retries: self.retries.load(Ordering::Relaxed),
            captchas: self.captchas.load(Ordering::Relaxed),
            throttled: self.throttled.load(Ordering::Relaxed),
            succeeded: self.succeeded.load(Ordering::Relaxed),
            failed: self.failed.load(Ordering::Relaxed),
        }
    }
}

/// What to count.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Event {
    Request,
    Retry,
    Captcha,
    Throttled,
    Succeeded,
    Failed,
}

/// One slot per known marketplace plus one for the rest; lock-free so counting never
/// waits.
#[derive(Debug)]
pub(crate) struct FetchMetrics {
    slots: Vec<Counters>,
}

impl Default for FetchMetrics {
    fn default() -> Self {
        Self { slots: (0..=Marketplace::ALL.len()).map(|_| Counters::default()).collect() }
    }
}

impl FetchMetrics {
    fn slot(&self, m: Option<Marketplace>) -> &Counters {
        let i =
            m.and_then(|m| Marketplace::ALL.iter().position(|x| *x == m)).unwrap_or(Marketplace::ALL.len());
        &self.slots[i]
    }

    pub(crate) fn record(&self, m: Option<Marketplace>, event: Event) {
        let c = self.slot(m);
        let counter = match event {
            Event::Request => &c.requests,
            Event::Retry => &c.retries,
            Event::Captcha => &c.captchas,
            Event::Throttled => &c.throttled,
            Event::Succeeded => &c.succeeded,
            Event::Failed => &c.failed,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn snapshot(&self) -> FetchMetricsSnapshot {
        let mut marketplaces = BTreeMap::new();
        for (m, c) in Marketplace::ALL.iter().zip(&self.slots) {
            let v = c.load();
            if v != MarketplaceMetrics::default() {
                marketplaces.insert(*m, v);
            }
        }
        FetchMetricsSnapshot { marketplaces, other: self.slots[Marketplace::ALL.len()].load() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_land_in_their_marketplace_and_sum_in_total() {
        let m = FetchMetrics::default();
        m.record(Some(Marketplace::De), Event::Request);
        m.record(Some(Marketplace::De), Event::Request);
        m.record(Some(Marketplace::De), Event::Retry);
        m.record(Some(Marketplace::CoJp), Event::Captcha);
        m.record(None, Event::Request);
        let s = m.snapshot();
        assert_eq!(s.marketplace(Marketplace::De).requests, 2);
        assert_eq!(s.marketplace(Marketplace::De).retries, 1);
        assert_eq!(s.marketplace(Marketplace::CoJp).captchas, 1);
        assert_eq!(s.marketplace(Marketplace::Fr), MarketplaceMetrics::default());
        assert!(!s.marketplaces.contains_key(&Marketplace::Fr));
        assert_eq!(s.other.requests, 1);
        assert_eq!(s.total().requests, 3);
    }

    #[test]
    fn snapshot_serializes_with_marketplace_codes_as_keys() {
        let m = FetchMetrics::default();
        m.record(Some(Marketplace::CoUk), Event::Request);
        let json = serde_json::to_value(m.snapshot()).unwrap();
        assert_eq!(json["marketplaces"]["co.uk"]["requests"], 1);
    }
}
