//! Validated scalar values: ASIN, rating, percent thresholds.

use crate::ValidationError;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// An Amazon Standard Identification Number: 10 characters A–Z, 0–9 (ISBN-10s included).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Asin([u8; 10]);

impl Asin {
    /// The ASIN text.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("")
    }

    /// Finds the ASIN in a product URL (`/dp/X`, `/gp/product/X`, `/product/X`, `asin=X`),
    /// upper-cased, as the original's URL parser did.
    pub fn from_url(url: &str) -> Option<Self> {
        let lower = url.to_ascii_lowercase();
        for marker in [
            "/dp/",
            "/gp/product/",
            "/product/",
            "asin=",
            "/product-reviews/",
            "/offer-listing/",
            "/gp/aw/d/",
        ] {
            let mut from = 0;
            while let Some(i) = lower[from..].find(marker) {
                let start = from + i + marker.len();
                let cand: String = url[start..].chars().take(10).collect();
                let next = url[start..].chars().nth(10);
                if cand.len() == 10
                    && cand.chars().all(|c| c.is_ascii_alphanumeric())
                    && next.is_none_or(|c| !c.is_ascii_alphanumeric())
                    && let Ok(a) = cand.parse()
                {
                    return Some(a);
                }
                from = start;
            }
        }
        None
    }
}

impl FromStr for Asin {
    type Err = ValidationError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim().to_ascii_uppercase();
        let b = t.as_bytes();
        if b.len() != 10 {
            return Err(ValidationError::new(
                "asin",
                s,
                format!("must be 10 characters, got {}", t.chars().count()),
            ));
        }
        if let Some(c) = t.chars().find(|c| !(c.is_ascii_uppercase() || c.is_ascii_digit())) {
            return Err(ValidationError::new("asin", s, format!("must be A-Z or 0-9, found {c:?}")));
        }
        let mut out = [0u8; 10];
        out.copy_from_slice(b);
        Ok(Asin(out))
    }
}

impl fmt::Debug for Asin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Asin({})", self.as_str())
    }
}

impl fmt::Display for Asin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Asin {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Asin {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?.parse().map_err(serde::de::Error::custom)
    }
}

/// An average star rating, 0 to 5 inclusive.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Serialize)]
#[serde(transparent)]
pub struct Rating(f64);

impl Rating {
    /// Checks `0 <= value <= 5` (and not NaN).
    pub fn new(value: f64) -> Result<Self, ValidationError> {
        if (0.0..=5.0).contains(&value) {
            Ok(Rating(value))
        } else {
            Err(ValidationError::new("rating", value, "must be between 0 and 5"))
        }
    }
    /// The value.
    pub fn get(self) -> f64 {
        self.0
    }
}

impl<'de> Deserialize<'de> for Rating {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Rating::new(f64::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

/// A percentage threshold, 0 to 100 inclusive (`chk_user_products_price_change_threshold`).
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Serialize)]
#[serde(transparent)]
pub struct Percent(f64);

impl Percent {
    /// Checks `0 <= value <= 100`; `field` names the threshold in the error.
    pub fn new(field: &'static str, value: f64) -> Result<Self, ValidationError> {
        if (0.0..=100.0).contains(&value) {
            Ok(Percent(value))
        } else {
            Err(ValidationError::new(field, value, "must be between 0 and 100"))
        }
    }
    /// The value.
    pub fn get(self) -> f64 {
        self.0
    }
}

impl<'de> Deserialize<'de> for Percent {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Percent::new("threshold", f64::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn asin_is_upper_cased_and_checked() {
        assert_eq!("b00004ys4o".parse::<Asin>().unwrap().as_str(), "B00004YS4O");
        let e = "B0000".parse::<Asin>().unwrap_err();
        assert_eq!((e.field, e.value.as_str()), ("asin", "B0000"));
        assert!("B00004YS4-".parse::<Asin>().unwrap_err().reason.contains("'-'"));
    }

    #[test]
    fn asin_from_urls() {
        let cases = [
            ("https://www.amazon.com/dp/B07FNW9FGJ?th=1", Some("B07FNW9FGJ")),
            ("https://www.amazon.de/Some-Name/dp/b00004ys4o/ref=sr_1", Some("B00004YS4O")),
            ("https://amazon.co.uk/gp/product/1849757097", Some("1849757097")),
            ("https://www.amazon.com/s?k=x&asin=B0011UCPM4", Some("B0011UCPM4")),
            ("https://www.amazon.com/dp/B07FNW9FGJX", None),
            ("https://example.org/", None),
        ];
        for (url, want) in cases {
            assert_eq!(Asin::from_url(url).map(|a| a.to_string()).as_deref(), want, "{url}");
        }
    }

    #[test]
    fn rating_seven_is_rejected() {
        let e = Rating::new(7.0).unwrap_err();
        assert_eq!((e.field, e.value.as_str()), ("rating", "7"));
        assert!(Rating::new(f64::NAN).is_err());
        assert_eq!(Rating::new(4.5).unwrap().get(), 4.5);
    }

    #[test]
    fn threshold_101_is_rejected() {
        let e = Percent::new("price_change_threshold", 101.0).unwrap_err();
        assert_eq!((e.field, e.value.as_str()), ("price_change_threshold", "101"));
    }
}
