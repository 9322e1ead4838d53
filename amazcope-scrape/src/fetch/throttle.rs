//! Per-marketplace spacing and captcha cool-downs. The state is a map under a std mutex that
//! is never held across an await: callers ask "may I send now?" and sleep outside the lock.

use amazcope_core::Marketplace;
use std::collections::HashMap;
use std::sync::Mutex;
use tokio::time::Instant;

/// What requests are spaced by: a marketplace, or the host of a URL outside any.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Key {
    Market(Marketplace),
    Host(String),
}

impl Key {
    pub(crate) fn marketplace(&self) -> Option<Marketplace> {
        match self {
            Key::Market(m) => Some(*m),
            Key::Host(_) => None,
        }
    }
}

#[derive(Debug, Default, Clone, Copy)]
struct Gate {
    /// The earliest start of the next request (spacing, `Retry-After`).
    next_allowed: Option<Instant>,
    /// Set by a captcha.
    blocked_until: Option<Instant>,
}

#[derive(Debug, Default)]
pub(crate) struct Throttle {
    gates: Mutex<HashMap<Key, Gate>>,
}

impl Throttle {
    fn gates(&self) -> std::sync::MutexGuard<'_, HashMap<Key, Gate>> {
        // A panic elsewhere cannot leave a gate half-written (plain copies), so a poisoned
        // lock is still usable.
        self.gates.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Claims the right to start a request to `key` at `now`, reserving `spacing` after it;
    /// or says when to ask again.
    pub(crate) fn try_claim(
        &self,
        key: &Key,
        spacing: std::time::Duration,
        now: Instant,
    ) -> Result<(), Instant> {
        let mut gates = self.gates();
        let gate = gates.entry(key.clone()).or_default();
        let ready = [gate.next_allowed, gate.blocked_until].into_iter().flatten().max();
        match ready {
            Some(at) if at > now => Err(at),
            _ => {
                gate.next_allowed = Some(now + spacing);
                Ok(())
            }
        }
    }

    /// Holds every request to `key` back until `until` (captcha cool-down).
    pub(crate) fn block_until(&self, key: &Key, until: Instant) {
        let mut gates = self.gates();
        let gate = gates.entry(key.clone()).or_default();
        gate.blocked_until = Some(gate.blocked_until.map_or(until, |b| b.max(until)));
    }

    /// Pushes the next start for `key` to at least `at` (a `Retry-After` from the server
    /// applies to everyone talking to it, not just the request that got it).
    pub(crate) fn defer_until(&self, key: &Key, at: Instant) {
        let mut gates = self.gates();
        let gate = gates.entry(key.clone()).or_default();
        gate.next_allowed = Some(gate.next_allowed.map_or(at, |n| n.max(at)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn second_claim_waits_for_the_spacing() {
        let t = Throttle::default();
        let k = Key::Market(Marketplace::De);
        let t0 = Instant::now();
        assert_eq!(t.try_claim(&k, 100 * MS, t0), Ok(()));
        assert_eq!(t.try_claim(&k, 100 * MS, t0 + 10 * MS), Err(t0 + 100 * MS));
        assert_eq!(t.try_claim(&k, 100 * MS, t0 + 100 * MS), Ok(()));
    }

    #[test]
    fn marketplaces_are_spaced_independently() {
        let t = Throttle::default();
        let t0 = Instant::now();
        assert!(t.try_claim(&Key::Market(Marketplace::De), 100 * MS, t0).is_ok());
        assert!(t.try_claim(&Key::Market(Marketplace::Fr), 100 * MS, t0).is_ok());
        assert!(t.try_claim(&Key::Host("127.0.0.1".into()), 100 * MS, t0).is_ok());
    }

    #[test]
    fn a_block_outlasts_the_spacing() {
        let t = Throttle::default();
        let k = Key::Market(Marketplace::Com);
        let t0 = Instant::now();
        assert!(t.try_claim(&k, 10 * MS, t0).is_ok());
        t.block_until(&k, t0 + 500 * MS);
        assert_eq!(t.try_claim(&k, 10 * MS, t0 + 20 * MS), Err(t0 + 500 * MS));
        // A shorter block later does not shorten the first.
        t.block_until(&k, t0 + 100 * MS);
        assert_eq!(t.try_claim(&k, 10 * MS, t0 + 200 * MS), Err(t0 + 500 * MS));
        assert!(t.try_claim(&k, 10 * MS, t0 + 500 * MS).is_ok());
    }

    #[test]
    fn defer_pushes_the_next_start() {
        let t = Throttle::default();
        let k = Key::Market(Marketplace::It);
        let t0 = Instant::now();
        t.defer_until(&k, t0 + 300 * MS);
        assert_eq!(t.try_claim(&k, 10 * MS, t0), Err(t0 + 300 * MS));
    }
}
