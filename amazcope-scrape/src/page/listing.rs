//! Search, browse and offers pages: lists of products.

use crate::locale::parse_money;
use crate::page::detect::canonical;
use crate::selectors as sel;
use crate::text::{first_text, fragment};
use amazcope_core::model::page::{Field, ListingItem, ListingPage};
use amazcope_core::{Asin, Marketplace};
use scraper::ElementRef;

fn price(el: ElementRef<'_>, sel: &scraper::Selector, mp: Marketplace) -> Field<amazcope_core::Money> {
    match first_text(el, sel) {
        Some(t) => parse_money(&t, Some(mp))
            .map_or_else(|_| Field::Unparseable { selector: "price".into(), text: t }, Field::Read),
        None => Field::Absent,
    }
}

pub(crate) fn parse_search(html: &str, marketplace: Marketplace) -> ListingPage {
    let doc = fragment(html);
    let mut items = Vec::new();
    for r in doc.root_element().select(&sel::SEARCH_RESULT) {
        let Some(asin) = r.value().attr("data-asin").and_then(|a| a.parse::<Asin>().ok()) else { continue };
        if items.iter().any(|i: &ListingItem| i.asin == asin) {
            continue;
        }
        items.push(ListingItem {
            asin,
            title: first_text(r, &sel::RESULT_TITLE).map_or(Field::Absent, Field::Read),
            price: price(r, &sel::RESULT_PRICE, marketplace),
        });
    }
    ListingPage { marketplace, asin: None, items }
}

pub(crate) fn parse_offers(html: &str, marketplace: Marketplace) -> ListingPage {
    let doc = fragment(html);
    let asin = canonical(html).and_then(Asin::from_url).or_else(|| {
        memchr::memmem::find(html.as_bytes(), b"/offer-listing/")
            .and_then(|i| Asin::from_url(&html[i..(i + 40).min(html.len())]))
    });
    let items = match asin {
        Some(a) => doc
            .root_element()
            .select(&sel::OFFER)
            .map(|o| ListingItem {
                asin: a,
                title: Field::Absent,
                price: price(o, &sel::OFFER_PRICE, marketplace),
            })
            .collect(),
        None => Vec::new(),
    };
    ListingPage { marketplace, asin, items }
}
