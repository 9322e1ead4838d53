//! Exact money: a decimal amount with its ISO 4217 currency. Never `f64`.

use crate::ValidationError;
use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// An ISO 4217 currency code: three ASCII upper-case letters.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency([u8; 3]);

impl Currency {
    /// Builds a currency from a code known to be valid at compile time.
    ///
    /// # Panics
    /// On a code that is not three upper-case ASCII letters; only for literals.
    pub const fn from_static(code: &'static str) -> Self {
        let b = code.as_bytes();
        assert!(
            b.len() == 3
                && b[0].is_ascii_uppercase()
                && b[1].is_ascii_uppercase()
                && b[2].is_ascii_uppercase()
        );
        Currency([b[0], b[1], b[2]])
    }

    /// The code (`EUR`).
    pub fn as_str(&self) -> &str {
        // Only ASCII upper-case letters are ever stored.
        std::str::from_utf8(&self.0).unwrap_or("XXX")
    }

    /// Number of minor-unit digits shown for this currency (JPY 0, most 2).
    pub fn minor_digits(&self) -> u32 {
        match self.as_str() {
            "JPY" | "KRW" | "CLP" | "VND" | "ISK" => 0,
            "BHD" | "KWD" | "OMR" | "JOD" | "TND" => 3,
            _ => 2,
        }
    }
}

impl FromStr for Currency {
    type Err = ValidationError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim().to_ascii_uppercase();
        let b = t.as_bytes();
        if b.len() == 3 && b.iter().all(u8::is_ascii_uppercase) {
            Ok(Currency([b[0], b[1], b[2]]))
        } else {
            Err(ValidationError::new("currency", s, "expected a three-letter ISO 4217 code"))
        }
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Currency({})", self.as_str())
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Currency {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?.parse().map_err(serde::de::Error::custom)
    }
}

/// An exact amount of money. Amounts are non-negative (prices).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Money {
    /// The amount, exact (serialised as a decimal string, `"1106.18"`).
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    /// Its currency.
    pub currency: Currency,
}

/// Largest amount that fits `numeric(10,2)`, the spec's money column.
pub const MAX_AMOUNT: Decimal = Decimal::from_parts(1_410_065_407, 2, 0, false, 2); // 99_999_999.99

impl Money {
    /// A price: non-negative and within `numeric(10,2)`.
    pub fn new(amount: Decimal, currency: Currency) -> Result<Self, ValidationError> {
        if amount.is_sign_negative() && !amount.is_zero() {
            return Err(ValidationError::new("price", amount, "must not be negative"));
        }
        if amount > MAX_AMOUNT {
            return Err(ValidationError::new("price", amount, "exceeds 99999999.99"));
        }
        Ok(Self { amount: amount.normalize(), currency })
    }

    /// Percent change from `self` to `new`, `None` when the currencies differ or `self` is 0.
    pub fn percent_change_to(&self, new: &Money) -> Option<f64> {
        if self.currency != new.currency || self.amount.is_zero() {
            return None;
        }
        percent_change(self.amount, new.amount)
    }
}

/// `(new - old) / old * 100`, `None` when `old` is zero. Computed exactly, then rounded to f64.
pub fn percent_change(old: Decimal, new: Decimal) -> Option<f64> {
    use rust_decimal::prelude::ToPrimitive;
    if old.is_zero() {
        return None;
    }
    ((new - old) / old * Decimal::ONE_HUNDRED).to_f64()
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = self.currency.minor_digits();
        write!(f, "{} {}", self.amount.round_dp(digits.max(self.amount.scale().min(digits))), self.currency)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_amount_is_numeric_10_2() {
        assert_eq!(MAX_AMOUNT.to_string(), "99999999.99");
    }

    #[test]
    fn negative_price_is_rejected_with_its_value() {
        let err = Money::new(Decimal::new(-5, 0), Currency::from_static("USD")).unwrap_err();
        assert_eq!((err.field, err.value.as_str()), ("price", "-5"));
    }

    #[test]
    fn percent_change_is_exact() {
        let p = percent_change(Decimal::new(2999, 2), Decimal::new(3499, 2)).unwrap();
        assert!((p - 16.672_224).abs() < 1e-5, "{p}");
        assert_eq!(percent_change(Decimal::ZERO, Decimal::ONE), None);
    }

    #[test]
    fn money_serialises_amount_as_string() {
        let m = Money::new(Decimal::new(110618, 2), Currency::from_static("EUR")).unwrap();
        assert_eq!(serde_json::to_string(&m).unwrap(), r#"{"amount":"1106.18","currency":"EUR"}"#);
    }

    #[test]
    fn bad_currency_names_field() {
        assert_eq!("EURO".parse::<Currency>().unwrap_err().field, "currency");
    }
}
