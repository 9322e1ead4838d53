//! Page objects: what kind of page a text is, and one parser per kind.

mod bestsellers;
mod detect;
mod listing;
mod product;
mod reviews;

pub use detect::{detect_kind, detect_marketplace};

use crate::ParseError;
use amazcope_core::{Marketplace, model::page::PageKind, model::page::ParsedPage};

/// Parses a saved or fetched Amazon page.
///
/// `hint` is the marketplace the caller knows the page came from; when `None` it is
/// detected from the page (canonical link, storefront host, currency). Pages that are not
/// what was asked (captcha, 404, error) come back as their own variants, never as a product
/// with empty fields.
///
/// Text larger than [`crate::MAX_PAGE_BYTES`] is [`ParseError::TooLarge`] (checked first), and
/// a page whose regions read into DOMs nest deeper than [`crate::MAX_DEPTH`] is
/// [`ParseError::TooDeep`] (checked on each region before its DOM is built).
/// Callers holding bytes convert them with `String::from_utf8_lossy`: invalid sequences
/// become U+FFFD, which no marker or field contains.
pub fn parse_page(html: &str, hint: Option<Marketplace>) -> Result<ParsedPage, ParseError> {
    use crate::limits::{MAX_DEPTH, MAX_PAGE_BYTES, take_too_deep};
    if html.len() > MAX_PAGE_BYTES {
        return Err(ParseError::TooLarge { bytes: html.len(), limit: MAX_PAGE_BYTES });
    }
    take_too_deep();
    let parsed = parse_checked(html, hint);
    match take_too_deep() {
        Some(depth) => Err(ParseError::TooDeep { depth, limit: MAX_DEPTH }),
        None => parsed,
    }
}

/// [`parse_page`] once the size is checked.
fn parse_checked(html: &str, hint: Option<Marketplace>) -> Result<ParsedPage, ParseError> {
    let idx = crate::region::IdIndex::new(html);
    let kind = detect::kind_with(html, &idx).ok_or(ParseError::Unrecognised { bytes: html.len() })?;
    let marketplace = hint.or_else(|| detect_marketplace(html));
    let need = |page: &'static str| marketplace.ok_or(ParseError::UnknownMarketplace { page });
    Ok(match kind {
        PageKind::Captcha => ParsedPage::Captcha { marketplace },
        PageKind::NotFound => ParsedPage::NotFound { marketplace },
        PageKind::ErrorPage => ParsedPage::ErrorPage { marketplace },
        PageKind::Product => ParsedPage::Product(Box::new(product::parse(html, &idx, need("product")?)?)),
        PageKind::Bestsellers => ParsedPage::Bestsellers(bestsellers::parse(html, need("bestsellers")?)),
        PageKind::Reviews => ParsedPage::Reviews(reviews::parse(html, need("reviews")?)),
        PageKind::Offers => ParsedPage::Offers(listing::parse_offers(html, need("offers")?)),
        PageKind::Search => ParsedPage::Search(listing::parse_search(html, need("search")?)),
        PageKind::Browse => ParsedPage::Browse(listing::parse_search(html, need("browse")?)),
    })
}
