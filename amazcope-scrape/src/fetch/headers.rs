//! Browser-like request headers.

use amazcope_core::Marketplace;

/// Desktop browser User-Agents rotated when the configuration gives none. A handful of
/// current, common ones: a rare agent stands out more than a repeated one.
pub const DEFAULT_USER_AGENTS: &[&str] = &[
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:143.0) Gecko/20100101 Firefox/143.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.6 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36",
];

/// The `Accept` header of a top-level navigation in current browsers.
pub(crate) const ACCEPT: &str =
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8";

/// The `Accept-Language` a shopper of `marketplace` would send: the storefront's locale
/// first, its language next, English last (Amazon serves English alternates on most
/// storefronts, and a locale-less list looks automated).
pub fn accept_language(marketplace: Marketplace) -> String {
    let locale = match marketplace {
        Marketplace::Com => "en-US",
        Marketplace::CoUk => "en-GB",
        Marketplace::De => "de-DE",
        Marketplace::Fr => "fr-FR",
        Marketplace::It => "it-IT",
        Marketplace::Es => "es-ES",
        Marketplace::CoJp => "ja-JP",
        Marketplace::In => "en-IN",
        Marketplace::Ca => "en-CA",
        Marketplace::ComAu => "en-AU",
        Marketplace::ComMx => "es-MX",
        Marketplace::ComBr => "pt-BR",
        Marketplace::Nl => "nl-NL",
        Marketplace::Sg => "en-SG",
        Marketplace::Ae => "en-AE",
        Marketplace::Sa => "ar-SA",
        Marketplace::Se => "sv-SE",
        Marketplace::Pl => "pl-PL",
        Marketplace::ComTr => "tr-TR",
        Marketplace::ComBe => "fr-BE",
        Marketplace::Eg => "ar-EG",
        Marketplace::Cn => "zh-CN",
        // `Marketplace` is non-exhaustive: a new storefront gets its bare language.
        _ => marketplace.language(),
    };
    let lang = marketplace.language();
    if lang == "en" { format!("{locale},en;q=0.9") } else { format!("{locale},{lang};q=0.9,en;q=0.8") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn german_store_asks_for_german_first() {
        assert_eq!(accept_language(Marketplace::De), "de-DE,de;q=0.9,en;q=0.8");
    }

    #[test]
    fn english_stores_name_their_region() {
        assert_eq!(accept_language(Marketplace::CoUk), "en-GB,en;q=0.9");
        assert_eq!(accept_language(Marketplace::Com), "en-US,en;q=0.9");
    }

    #[test]
    fn every_marketplace_starts_with_its_language() {
        for m in Marketplace::ALL {
            let al = accept_language(*m);
            assert!(al.starts_with(m.language()), "{m}: {al}");
        }
    }
}
