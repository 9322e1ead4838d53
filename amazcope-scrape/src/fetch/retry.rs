//! Backoff delays and the `Retry-After` header.

use crate::fetch::RetryPolicy;
use chrono::{DateTime, Utc};
use rand::Rng;
use std::time::Duration;

impl RetryPolicy {
    /// The backoff ceiling before retry number `retry` (1 = the first retry):
    /// `min(max_delay, base_delay * 2^(retry-1))`.
    pub fn ceiling(&self, retry: u32) -> Duration {
        let factor = 2u32.saturating_pow(retry.saturating_sub(1));
        self.base_delay.saturating_mul(factor).min(self.max_delay)
    }

    /// A delay before retry number `retry`, drawn uniformly from `[0, ceiling]` ("full
    /// jitter"), so many clients throttled at once do not come back in step.
    pub fn backoff(&self, retry: u32) -> Duration {
        let ceiling = self.ceiling(retry);
        let nanos = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
        Duration::from_nanos(rand::rng().random_range(0..=nanos))
    }
}

/// Reads a `Retry-After` value: delta-seconds (`120`) or an HTTP date
/// (`Wed, 21 Oct 2015 07:28:00 GMT`, measured from `now`; a date in the past gives zero).
/// Anything else gives `None`.
pub fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let v = value.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    // IMF-fixdate is a subset of RFC 2822, which chrono reads.
    let at = DateTime::parse_from_rfc2822(v).ok()?.with_timezone(&Utc);
    Some((at - now).to_std().unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(1000),
            ..RetryPolicy::default()
        }
    }

    #[test]
    fn ceiling_doubles_then_stops_at_the_cap() {
        let p = policy();
        let got: Vec<u128> = (1..=6).map(|r| p.ceiling(r).as_millis()).collect();
        assert_eq!(got, vec![100, 200, 400, 800, 1000, 1000]);
    }

    #[test]
    fn ceiling_does_not_overflow_for_huge_retry_numbers() {
        assert_eq!(policy().ceiling(u32::MAX), Duration::from_millis(1000));
    }

    #[test]
    fn backoff_stays_within_the_ceiling_and_varies() {
        let p = policy();
        let draws: Vec<Duration> = (0..200).map(|_| p.backoff(3)).collect();
        assert!(draws.iter().all(|d| *d <= Duration::from_millis(400)), "{draws:?}");
        let first = draws[0];
        assert!(draws.iter().any(|d| *d != first), "full jitter should not give one value 200 times");
    }

    #[test]
    fn retry_after_reads_seconds() {
        let now = Utc::now();
        assert_eq!(parse_retry_after(" 7 ", now), Some(Duration::from_secs(7)));
        assert_eq!(parse_retry_after("0", now), Some(Duration::ZERO));
    }

    #[test]
    fn retry_after_reads_http_dates_relative_to_now() {
        let now = Utc.with_ymd_and_hms(2015, 10, 21, 7, 27, 0).unwrap();
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now), Some(Duration::from_secs(60)));
        let later = Utc.with_ymd_and_hms(2015, 10, 21, 8, 0, 0).unwrap();
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", later), Some(Duration::ZERO));
    }

    #[test]
    fn retry_after_rejects_garbage() {
        let now = Utc::now();
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-5", now), None);
        assert_eq!(parse_retry_after("", now), None);
    }
}
