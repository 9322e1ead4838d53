//! Amazon marketplaces: the domain suffix, its host and its currency.

use crate::{Currency, ValidationError};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

macro_rules! marketplaces {
    ($($variant:ident => $code:literal, $currency:literal, $lang:literal;)*) => {
        /// An Amazon marketplace, named by its domain suffix (`com`, `co.uk`, `de`, ...).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum Marketplace { $(
            #[doc = concat!("amazon.", $code)]
            $variant,
        )* }

        impl Marketplace {
            /// Every marketplace we know, in a stable order.
            pub const ALL: &'static [Marketplace] = &[$(Marketplace::$variant,)*];

            /// The domain suffix as stored in `products.marketplace` (`co.uk`).
            pub fn code(self) -> &'static str {
                match self { $(Marketplace::$variant => $code,)* }
            }

            /// The currency prices are shown in.
            pub fn currency(self) -> Currency {
                match self { $(Marketplace::$variant => Currency::from_static($currency),)* }
            }

            /// The main language of the storefront (ISO 639-1).
            pub fn language(self) -> &'static str {
                match self { $(Marketplace::$variant => $lang,)* }
            }
        }

        impl FromStr for Marketplace {
            type Err = ValidationError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                let t = s.trim().to_ascii_lowercase();
                let t = t.trim_start_matches("https://").trim_start_matches("http://");
                let t = t.trim_start_matches("www.").trim_start_matches("amazon.").trim_end_matches('/');
                match t {
                    $($code => Ok(Marketplace::$variant),)*
                    "us" => Ok(Marketplace::Com),
                    "uk" => Ok(Marketplace::CoUk),
                    "jp" => Ok(Marketplace::CoJp),
                    "au" => Ok(Marketplace::ComAu),
                    "mx" => Ok(Marketplace::ComMx),
                    "br" => Ok(Marketplace::ComBr),
                    "tr" => Ok(Marketplace::ComTr),
                    "be" => Ok(Marketplace::ComBe),
                    _ => Err(ValidationError::new(
                        "marketplace",
                        s,
                        format!("unknown marketplace, expected one of {}", Marketplace::ALL.iter().map(|m| m.code()).collect::<Vec<_>>().join(", ")),
                    )),
                }
            }
        }
    };
}

marketplaces! {
    Com => "com", "USD", "en";
    CoUk => "co.uk", "GBP", "en";
    De => "de", "EUR", "de";
    Fr => "fr", "EUR", "fr";
    It => "it", "EUR", "it";
    Es => "es", "EUR", "es";
    CoJp => "co.jp", "JPY", "ja";
    In => "in", "INR", "en";
    Ca => "ca", "CAD", "en";
    ComAu => "com.au", "AUD", "en";
    ComMx => "com.mx", "MXN", "es";
    ComBr => "com.br", "BRL", "pt";
    Nl => "nl", "EUR", "nl";
    Sg => "sg", "SGD", "en";
    Ae => "ae", "AED", "en";
    Sa => "sa", "SAR", "ar";
    Se => "se", "SEK", "sv";
    Pl => "pl", "PLN", "pl";
    ComTr => "com.tr", "TRY", "tr";
    ComBe => "com.be", "EUR", "fr";
    Eg => "eg", "EGP", "ar";
    Cn => "cn", "CNY", "zh";
}

impl Marketplace {
    /// The storefront host (`www.amazon.co.uk`).
    pub fn host(self) -> String {
        format!("www.amazon.{}", self.code())
    }

    /// The canonical product URL (`https://www.amazon.de/dp/B00004YS4O`).
    pub fn product_url(self, asin: &crate::Asin) -> String {
        format!("https://{}/dp/{}", self.host(), asin)
    }

    /// Finds the marketplace of an `amazon.<suffix>` host or URL, if it is one we know.
    pub fn from_host(host_or_url: &str) -> Option<Self> {
        let lower = host_or_url.to_ascii_lowercase();
        let at = lower.find("amazon.")? + "amazon.".len();
        let rest = &lower[at..];
        let end = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '.')).unwrap_or(rest.len());
        let suffix = rest[..end].trim_end_matches('.');
        // Longest match first: "com.au" before "com".
        let mut best: Option<Self> = None;
        for m in Self::ALL {
            let code = m.code();
            let matches = suffix == code || suffix.starts_with(&format!("{code}."));
            if matches && best.is_none_or(|b| b.code().len() < code.len()) {
                best = Some(*m);
            }
        }
        best
    }
}

impl fmt::Display for Marketplace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl Serialize for Marketplace {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for Marketplace {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_round_trips() {
        for m in Marketplace::ALL {
            assert_eq!(m.code().parse::<Marketplace>().unwrap(), *m, "{}", m.code());
        }
    }

    #[test]
    fn unknown_marketplace_names_the_value() {
        let err = "amazon.xx".parse::<Marketplace>().unwrap_err();
        assert_eq!(err.field, "marketplace");
        assert_eq!(err.value, "amazon.xx");
    }

    #[test]
    fn host_detection_prefers_the_longest_suffix() {
        assert_eq!(Marketplace::from_host("https://www.amazon.com.au/dp/X"), Some(Marketplace::ComAu));
        assert_eq!(Marketplace::from_host("www.amazon.com"), Some(Marketplace::Com));
        assert_eq!(Marketplace::from_host("https://www.amazon.co.uk/gp/product/X"), Some(Marketplace::CoUk));
        assert_eq!(Marketplace::from_host("example.org"), None);
    }

    #[test]
    fn currencies_follow_the_storefront() {
        assert_eq!(Marketplace::CoJp.currency().as_str(), "JPY");
        assert_eq!(Marketplace::De.currency().as_str(), "EUR");
        assert_eq!(Marketplace::ComBr.currency().as_str(), "BRL");
    }
}
