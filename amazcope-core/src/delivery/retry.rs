//! Which failures are retried, and the give-up rule. The back-off delays themselves are
//! computed by the sender (exponential with jitter); this module decides *whether*.

/// What a failed attempt means for the delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureClass {
    /// Worth trying again later (timeouts, connection errors, 408, 429, 5xx, SMTP 4xx).
    Transient,
    /// Will fail the same way again (other 4xx, SMTP 5xx, a refused address): dead at once.
    Permanent,
}

/// The class of an HTTP status that is not a success.
pub fn classify_http(status: u16) -> FailureClass {
    match status {
        408 | 425 | 429 => FailureClass::Transient,
        500..=599 => FailureClass::Transient,
        _ => FailureClass::Permanent,
    }
}

/// The class of an SMTP reply code: 4xx transient, 5xx permanent.
pub fn classify_smtp(code: u16) -> FailureClass {
    if (400..500).contains(&code) { FailureClass::Transient } else { FailureClass::Permanent }
}

/// Attempts per delivery before it is dead (the first try and seven retries: with the
/// default back-off from 30 s doubling, the last retry is about an hour after the first).
pub const MAX_ATTEMPTS: u32 = 8;

/// Whether a delivery that has now made `attempts` attempts (this one included) and failed
/// as `class` is given up.
pub fn is_dead(class: FailureClass, attempts: u32, max_attempts: u32) -> bool {
    class == FailureClass::Permanent || attempts >= max_attempts
}

/// Parses a `Retry-After` header given in seconds (the HTTP-date form is not honoured:
/// receivers of webhooks send seconds). Capped at one day.
pub fn retry_after_seconds(value: &str) -> Option<u64> {
    value.trim().parse::<u64>().ok().map(|s| s.min(86_400))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_statuses_are_classified() {
        for s in [408, 429, 500, 502, 503, 504] {
            assert_eq!(classify_http(s), FailureClass::Transient, "{s}");
        }
        for s in [400, 401, 403, 404, 410, 422] {
            assert_eq!(classify_http(s), FailureClass::Permanent, "{s}");
        }
        assert_eq!(classify_smtp(451), FailureClass::Transient);
        assert_eq!(classify_smtp(550), FailureClass::Permanent);
        assert!(is_dead(FailureClass::Transient, MAX_ATTEMPTS, MAX_ATTEMPTS));
        assert!(!is_dead(FailureClass::Transient, 1, MAX_ATTEMPTS));
        assert_eq!(retry_after_seconds(" 7 "), Some(7));
    }
}
