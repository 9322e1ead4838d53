//! What a user types to name a product: an ASIN (with a marketplace) or an Amazon product URL.

use crate::{Asin, Marketplace, ValidationError};
use std::fmt;

/// A product as the user named it: its ASIN on one marketplace.
///
/// [`ProductRef::parse`] accepts either a bare ASIN (`B00FLYWNYQ`, any case) or a product URL
/// as people paste it (`https://www.amazon.com/Instant-Pot/dp/B00FLYWNYQ?th=1`); a URL gives
/// both the ASIN and the marketplace. `Display` writes it the way errors name it:
/// `B00FLYWNYQ on amazon.com`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ProductRef {
    /// The ASIN.
    pub asin: Asin,
    /// The marketplace.
    pub marketplace: Marketplace,
}

impl ProductRef {
    /// Builds one from parts already validated.
    pub fn new(asin: Asin, marketplace: Marketplace) -> Self {
        Self { asin, marketplace }
    }

    /// Reads `text` as an ASIN or an Amazon product URL. `marketplace` is the one the user
    /// named separately (a command line flag, a keyword argument): a bare ASIN takes it, or
    /// `default` when none was named; a URL's own host wins over `default`, and a URL whose
    /// host disagrees with an explicitly named marketplace is refused.
    pub fn parse(
        text: &str,
        marketplace: Option<Marketplace>,
        default: Marketplace,
    ) -> Result<Self, ValidationError> {
        let t = text.trim();
        if !looks_like_url(t) {
            let asin: Asin = t.parse()?;
            return Ok(Self::new(asin, marketplace.unwrap_or(default)));
        }
        let Some(asin) = Asin::from_url(t) else {
            return Err(ValidationError::new(
                "url",
                t,
                "has no ASIN (a product URL has /dp/ASIN or /gp/product/ASIN in it)",
            ));
        };
        let from_url = Marketplace::from_host(host_of(t));
        match (from_url, marketplace) {
            (Some(u), Some(m)) if u != m => Err(ValidationError::new(
                "url",
                t,
                format!("is on amazon.{} but the marketplace given is amazon.{}", u.code(), m.code()),
            )),
            (Some(u), _) => Ok(Self::new(asin, u)),
            (None, m) if host_of(t).to_ascii_lowercase().contains("amazon.") => Err(ValidationError::new(
                "url",
                t,
                format!(
                    "is on an Amazon marketplace Amazcope does not know{}",
                    m.map(|_| "").unwrap_or("; name one with the marketplace option")
                ),
            )),
            (None, m) => Ok(Self::new(asin, m.unwrap_or(default))),
        }
    }
}

impl fmt::Display for ProductRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} on amazon.{}", self.asin, self.marketplace.code())
    }
}

fn looks_like_url(t: &str) -> bool {
    let l = t.to_ascii_lowercase();
    l.contains("://") || l.starts_with("www.") || l.starts_with("amazon.") || t.contains('/')
}

/// The host part of a URL-like text (`www.amazon.de` of `https://www.amazon.de/dp/X`).
fn host_of(t: &str) -> &str {
    let rest = t.split_once("://").map_or(t, |(_, r)| r);
    rest.split(['/', '?', '#']).next().unwrap_or(rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(t: &str, m: Option<Marketplace>) -> Result<ProductRef, ValidationError> {
        ProductRef::parse(t, m, Marketplace::Com)
    }

    #[test]
    fn a_bare_asin_takes_the_named_or_default_marketplace() {
        let r = parse("b00flywnyq", None).unwrap();
        assert_eq!((r.asin.as_str(), r.marketplace), ("B00FLYWNYQ", Marketplace::Com));
        assert_eq!(parse("B00FLYWNYQ", Some(Marketplace::De)).unwrap().marketplace, Marketplace::De);
        assert_eq!(r.to_string(), "B00FLYWNYQ on amazon.com");
    }

    #[test]
    fn a_url_gives_the_asin_and_the_marketplace() {
        let r = parse("https://www.amazon.co.uk/Instant-Pot/dp/B00FLYWNYQ?th=1", None).unwrap();
        assert_eq!((r.asin.as_str(), r.marketplace), ("B00FLYWNYQ", Marketplace::CoUk));
        let r = parse("www.amazon.de/gp/product/b00004ys4o", Some(Marketplace::De)).unwrap();
        assert_eq!((r.asin.as_str(), r.marketplace), ("B00004YS4O", Marketplace::De));
    }

    #[test]
    fn a_url_without_an_asin_says_so() {
        let e = parse("https://www.amazon.com/s?k=instant+pot", None).unwrap_err();
        assert_eq!(e.field, "url");
        assert!(e.reason.contains("has no ASIN"), "{e}");
    }

    #[test]
    fn a_url_on_another_marketplace_than_named_is_refused() {
        let e = parse("https://www.amazon.de/dp/B00004YS4O", Some(Marketplace::Com)).unwrap_err();
        assert!(e.reason.contains("amazon.de") && e.reason.contains("amazon.com"), "{e}");
    }

    #[test]
    fn a_bad_asin_is_reported_as_an_asin() {
        let e = parse("B0000", None).unwrap_err();
        assert_eq!((e.field, e.value.as_str()), ("asin", "B0000"));
    }
}
