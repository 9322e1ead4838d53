//! Telling what a page is and which storefront it belongs to, by byte search only.

use crate::region::IdIndex;
use amazcope_core::{Marketplace, model::page::PageKind};
use memchr::memmem;
use std::collections::HashMap;

fn has(html: &str, needle: &str) -> bool {
    memmem::find(html.as_bytes(), needle.as_bytes()).is_some()
}

/// The `<title>` text, raw.
pub(crate) fn title(html: &str) -> Option<&str> {
    let at = memmem::find(html.as_bytes(), b"<title")?;
    let open_end = at + html[at..].find('>')? + 1;
    let close = open_end + html[open_end..].find("</title")?;
    html.get(open_end..close)
}

/// The `<link rel="canonical">` URL.
pub(crate) fn canonical(html: &str) -> Option<&str> {
    let at = memmem::find(html.as_bytes(), b"rel=\"canonical\"")?;
    let lt = html[..at].rfind('<')?;
    crate::region::attr_in_tag(html, lt, "href")
}

/// What kind of page `html` is, or `None` for a text that is no Amazon page we know.
pub fn detect_kind(html: &str) -> Option<PageKind> {
    kind_with(html, &IdIndex::new(html))
}

/// [`detect_kind`] with the page's id index already built: element ids are hash lookups,
/// so a product page costs no extra scan of its megabyte of text.
pub(crate) fn kind_with(html: &str, idx: &IdIndex<'_>) -> Option<PageKind> {
    let canon = canonical(html).unwrap_or("");
    // Desktop `#productTitle`; mobile Kindle `#ebooksTitle`; Prime Video `#dv-dp-title-content`.
    let product = idx.has("productTitle")
        || idx.has("dp-container")
        || idx.has("ebooksTitle")
        || idx.has("dv-dp-title-content");
    let reviews = idx.has("cm_cr-review_list") || idx.has("cm_cr-product_info");
    if product && !reviews {
        return Some(PageKind::Product);
    }
    let title = title(html).unwrap_or("").to_ascii_lowercase();
    // Robot check (`/errors/validateCaptcha`), sign-in captcha, AWS WAF JS challenge.
    let captcha = has(html, "validateCaptcha")
        || has(html, "captchacharacters")
        || idx.has("auth-captcha-image-container")
        || idx.has("auth-captcha-guess")
        || has(html, "AwsWafIntegration")
        || has(html, "awswaf")
        || title.contains("robot check");
    if captcha && !product {
        return Some(PageKind::Captcha);
    }
    // Amazon's 500/503 page: its links and images carry `cs_503` / `500_503`, whatever the
    // storefront's language; the English title as a fallback.
    if title.contains("something went wrong")
        || title.contains("service unavailable")
        || (!product && (has(html, "ref=cs_503") || has(html, "error/500_503")))
    {
        return Some(PageKind::ErrorPage);
    }
    if title.contains("page not found")
        || title.contains("404")
        || title.contains("document not found")
        || title.contains("seite wurde nicht gefunden")
        || title.contains("page introuvable")
        || (has(html, "dogsofamazon") && !product)
    {
        return Some(PageKind::NotFound);
    }
    if reviews {
        return Some(PageKind::Reviews);
    }
    if has(html, "olpOfferList")
        || idx.has("olpOfferList")
        || has(html, "olpOffer\"")
        || has(html, "olpOffer ")
    {
        return Some(PageKind::Offers);
    }
    if idx.has("zg_banner_text")
        || idx.has("zg-ordered-list")
        || has(html, "zg-grid-general-faceout")
        || canon.contains("/zgbs/")
        || canon.contains("/gp/bestsellers")
        || (idx.has("gridItemRoot") && has(html, "zg-bdg-text"))
    {
        return Some(PageKind::Bestsellers);
    }
    if product || canon.contains("/dp/") || canon.contains("/gp/product/") {
        return Some(PageKind::Product);
    }
    if has(html, "data-component-type=\"s-search-result\"")
        || has(html, "s-result-list")
        || idx.has("searchTemplate")
    {
        return Some(PageKind::Search);
    }
    if canon.contains("/b?") || canon.contains("/b/") || canon.contains("node=") || idx.has("nav-subnav") {
        return Some(PageKind::Browse);
    }
    if idx.has("nav-logo") || idx.has("nav-logo-sprites") || has(html, "ue_sn") {
        return Some(PageKind::Browse);
    }
    None
}

/// The storefront of a page: its canonical link, the `ue_sn` host Amazon's metrics script
/// names, the storefront its `<title>` or logo names ("Amazon.de"), else the
/// `amazon.<suffix>` host its links name most often.
pub fn detect_marketplace(html: &str) -> Option<Marketplace> {
    if let Some(m) = canonical(html).and_then(Marketplace::from_host) {
        return Some(m);
    }
    for pat in ["ue_sn = '", "ue_sn='", "ue_sn = \""] {
        if let Some(at) = memmem::find(html.as_bytes(), pat.as_bytes()) {
            let rest = &html[at + pat.len()..];
            let end = rest.find(['\'', '"']).unwrap_or(0).min(80);
            if let Some(m) = Marketplace::from_host(&rest[..end]) {
                return Some(m);
            }
        }
    }
    // Error and captcha pages have neither: their title ("Amazon.co.uk: ...") or the logo's
    // alt text (`alt="Amazon.de"`) names the storefront.
    if let Some(m) = title(html).filter(|t| t.len() < 300).and_then(Marketplace::from_host) {
        return Some(m);
    }
    for lt in crate::region::tags_containing(html, "alt=\"Amazon.") {
        if let Some(m) = crate::region::attr_in_tag(html, lt, "alt").and_then(Marketplace::from_host) {
            return Some(m);
        }
    }
    most_named_host(html, "www.amazon.").or_else(|| most_named_host(html, "amazon."))
}

/// Byte ranges of the HTML comments of a page (`<!-- .. -->`).
fn comments(html: &str) -> Vec<(usize, usize)> {
    let bytes = html.as_bytes();
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(open) = memmem::find(&bytes[from..], b"<!--").map(|i| from + i) {
        let close = memmem::find(&bytes[open..], b"-->").map_or(bytes.len(), |i| open + i + 3);
        out.push((open, close));
        from = close;
    }
    out
}

fn most_named_host(html: &str, needle: &str) -> Option<Marketplace> {
    let bytes = html.as_bytes();
    let mut counts: HashMap<Marketplace, usize> = HashMap::new();
    // The automated-access notice every storefront's error page opens with names amazon.com
    // addresses in a comment; mail addresses name no storefront either.
    let skip = comments(html);
    for pos in memmem::find_iter(bytes, needle.as_bytes()) {
        // CDN hosts (`m.media-amazon.com`, `images-amazon.com`) serve every storefront.
        if pos > 0 && (matches!(bytes[pos - 1], b'-' | b'@') || bytes[pos - 1].is_ascii_alphanumeric()) {
            continue;
        }
        if skip.iter().any(|(a, b)| (*a..*b).contains(&pos)) {
            continue;
        }
        let end = (pos + needle.len() + 12).min(bytes.len());
        let Some(host) = html.get(pos..end).or_else(|| html.get(pos..pos + needle.len() + 3)) else {
            continue;
        };
        if let Some(m) = Marketplace::from_host(host) {
            *counts.entry(m).or_default() += 1;
        }
    }
    counts.into_iter().max_by_key(|(m, n)| (*n, std::cmp::Reverse(*m))).map(|(m, _)| m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_from_markers() {
        assert_eq!(detect_kind("<form action=\"/errors/validateCaptcha\">"), Some(PageKind::Captcha));
        assert_eq!(
            detect_kind("<title>Sorry! Something went wrong!</title><a href=/dogsofamazon>"),
            Some(PageKind::ErrorPage)
        );
        assert_eq!(detect_kind("<title>Page Not Found</title>"), Some(PageKind::NotFound));
        assert_eq!(detect_kind("<span id=\"productTitle\">x</span>"), Some(PageKind::Product));
        assert_eq!(detect_kind("<div data-component-type=\"s-search-result\">"), Some(PageKind::Search));
        assert_eq!(detect_kind("plain text"), None);
        assert_eq!(detect_kind(""), None);
    }

    #[test]
    fn marketplace_from_canonical_then_hosts() {
        assert_eq!(
            detect_marketplace("<link rel=\"canonical\" href=\"https://www.amazon.co.uk/dp/B00004YS4O\" />"),
            Some(Marketplace::CoUk)
        );
        assert_eq!(detect_marketplace("ue_sn = 'www.amazon.de'"), Some(Marketplace::De));
        let html = "https://m.media-amazon.com/x https://m.media-amazon.com/y https://www.amazon.fr/a https://www.amazon.science";
        assert_eq!(detect_marketplace(html), Some(Marketplace::Fr));
        assert_eq!(detect_marketplace("nothing"), None);
    }
}
