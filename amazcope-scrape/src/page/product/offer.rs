//! Who sells and who ships the main offer: the names alone ("Amazon.com"), never the labels
//! or the hidden side-sheet copies the offer-display rows repeat them in.

use super::root;
use crate::region::IdIndex;
use crate::selectors as sel;
use crate::text::{collapse, fragment, text};
use amazcope_core::model::page::Field;
use scraper::Selector;

/// Labels that name one party for both roles ("Ships from and sold by"): tried before the
/// single labels, which they contain.
const BOTH: &[&str] = &[
    "ships from and sold by",
    "shipper / seller",
    "verkauf und versand durch",
    "vendu et expédié par",
    "vendido y enviado por",
    "dispatched from and sold by",
    "versand und verkauf durch",
    "expédié et vendu par",
    "venduto e spedito da",
    "enviado y vendido por",
    "vendido e enviado por",
    "verzonden en verkocht door",
];

/// "Sold by" in the storefront languages.
const SOLD_BY: &[&str] = &[
    "sold by",
    "verkauf durch",
    "verkäufer",
    "vendu par",
    "venduto da",
    "vendido por",
    "verkocht door",
    "販売元",
    "البائع",
    "sprzedawca",
    "säljs av",
    "satıcı",
];

/// "Ships from" in the storefront languages.
const SHIPS_FROM: &[&str] = &[
    "ships from",
    "dispatches from",
    "fulfilled by",
    "versand durch",
    "versand",
    "expédié par",
    "spedito da",
    "enviado desde",
    "enviado por",
    "verzonden door",
    "出荷元",
    "الشحن من",
    "wysyłka",
    "skickas från",
    "gönderici",
];

/// Words that end a name inside a sentence ("Sold by X and Fulfilled by Amazon.").
const NAME_ENDS: &[&str] = &[" and ", " und ", " et ", " e ", " y ", " en ", ". ", " | "];

/// The seller of the main offer.
pub(super) fn read_seller(idx: &IdIndex<'_>) -> Field<String> {
    // The seller link inside the main offer row: a few bytes to parse instead of the row. A
    // link elsewhere (a second offer's) is not the main offer's seller.
    if let (Some(row), Some(link)) =
        (idx.element("merchantInfoFeature_feature_div"), idx.element("sellerProfileTriggerId"))
        && within(row, link)
        && let Some(n) = name_in(&text(root(&fragment(link))), SOLD_BY, false)
    {
        return Field::Read(n);
    }
    // 2022+ offer display (`#merchantInfoFeature_feature_div`), the seller link of 2016+
    // pages (`#sellerProfileTriggerId`), the all-offers display's pinned offer, the pre-2022
    // merchant sentence (`#merchant-info`).
    read_name(
        idx,
        &[
            ("merchantInfoFeature_feature_div", &sel::OFFER_DISPLAY_TEXT),
            ("sellerProfileTriggerId", &sel::OFFER_DISPLAY_TEXT),
            ("aod-offer-soldBy", &sel::AOD_NAME),
        ],
        SOLD_BY,
    )
}

/// Whether the slice `inner` lies inside the slice `outer` of the same page.
fn within(outer: &str, inner: &str) -> bool {
    let (o, i) = (outer.as_ptr() as usize, inner.as_ptr() as usize);
    i >= o && i + inner.len() <= o + outer.len()
}

/// Who ships the main offer.
pub(super) fn read_ships_from(idx: &IdIndex<'_>) -> Field<String> {
    let own = read_name(
        idx,
        &[
            ("fulfillerInfoFeature_feature_div", &sel::OFFER_DISPLAY_TEXT),
            ("aod-offer-shipsFrom", &sel::AOD_NAME),
        ],
        SHIPS_FROM,
    );
    if own.is_read() {
        return own;
    }
    // One offer-display row for both parties ("Shipper / Seller", amazon.sa 2025): the
    // seller's row names the shipper too.
    if let Some(region) = idx.element("merchantInfoFeature_feature_div")
        && BOTH.iter().any(|l| text(root(&fragment(region))).to_lowercase().contains(l))
    {
        return read_seller(idx);
    }
    own
}

/// The name from the first of `cells` (region id, selector of its value) the page has,
/// else from the pre-2022 merchant sentence.
fn read_name(idx: &IdIndex<'_>, cells: &[(&str, &Selector)], labels: &[&str]) -> Field<String> {
    for (id, value) in cells {
        let Some(region) = idx.element(id) else { continue };
        let h = fragment(region);
        // The first value cell is the visible one; the side sheet repeats it hidden.
        let t = match h.select(value).map(text).find(|t| !t.is_empty()) {
            Some(t) => t,
            None => text(root(&h)),
        };
        if let Some(n) = name_in(&t, labels, false) {
            return Field::Read(n);
        }
    }
    if let Some(region) = idx.element("merchant-info") {
        let t = text(root(&fragment(region)));
        // A sentence names the party only after its label; without the label it says nothing
        // about this party ("Ships from and sold by" answers both).
        if find_label(&t, labels).is_some()
            && let Some(n) = name_in(&t, labels, true)
        {
            return Field::Read(n);
        }
    }
    Field::Absent
}

/// Byte range of the first label found (case-insensitive) in `t`.
fn find_label(t: &str, labels: &[&str]) -> Option<(usize, usize)> {
    let lower = t.to_lowercase();
    // Lower-casing keeps byte offsets only where it keeps lengths; else no label is cut.
    if lower.len() != t.len() {
        return None;
    }
    BOTH.iter().chain(labels).find_map(|l| lower.find(l).map(|at| (at, at + l.len())))
}

/// The name in a seller / shipper text: after its label (up to a sentence's next clause),
/// with a repeated copy ("Amazon.com Amazon.com") said once.
pub(super) fn name_in(t: &str, labels: &[&str], sentence: bool) -> Option<String> {
    let t = collapse(t);
    let mut s = t.as_str();
    if let Some((_, end)) = find_label(s, labels) {
        s = &s[end..];
    }
    // Labels of other languages or a second label after the name ("X Sold by X").
    if let Some((start, _)) = find_label(s, labels)
        && start > 0
    {
        s = &s[..start];
    }
    let s = s.trim_start_matches([':', ' ']);
    // Names stand alone in value cells ("Barnes and Noble"); only a sentence goes on after.
    let cut =
        if sentence { NAME_ENDS.iter().filter_map(|e| s.find(e)).min().unwrap_or(s.len()) } else { s.len() };
    let s = s[..cut].trim().trim_end_matches(['.', ',', ';', ':']).trim();
    let s = said_once(s);
    (!s.is_empty() && s.chars().count() <= 120).then_some(s)
}

/// "Amazon.com Amazon.com" -> "Amazon.com": a text that is one phrase repeated.
fn said_once(s: &str) -> String {
    let words: Vec<&str> = s.split_whitespace().collect();
    let n = words.len();
    for k in 1..=n / 2 {
        if n.is_multiple_of(k) && words.chunks(k).all(|c| c == &words[..k]) {
            return words[..k].join(" ");
        }
    }
    words.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seller_names_alone_in_every_layout() {
        for (t, want) in [
            ("Sold by Amazon.com Amazon.com Sold by Amazon.com", "Amazon.com"),
            ("Amazon.com Amazon.com", "Amazon.com"),
            ("Ships from and sold by Amazon.com.", "Amazon.com"),
            ("Sold by SainSmart Official and Fulfilled by Amazon.", "SainSmart Official"),
            ("Verkauf durch Amazon.de", "Amazon.de"),
            ("Versand und Verkauf durch Amazon.", "Amazon"),
            ("Verkauf und Versand durch Amazon. Geschenkverpackung verfügbar.", "Amazon"),
            (
                "Ships from and sold by Amazon Digital Services LLC. Gift-wrap available.",
                "Amazon Digital Services LLC",
            ),
            ("Vendu par Amazon.fr Vendu par Amazon.fr", "Amazon.fr"),
            ("販売元 Amazon.co.jp", "Amazon.co.jp"),
            ("EGKStore", "EGKStore"),
        ] {
            assert_eq!(name_in(t, SOLD_BY, true).as_deref(), Some(want), "{t}");
        }
        for (t, want) in [
            ("Ships from Amazon.com Amazon.com Ships from Amazon.com", "Amazon.com"),
            ("Ships from and sold by Amazon.com.", "Amazon.com"),
            ("Expédié par Amazon", "Amazon"),
            ("Shipper / Seller Amazon.sa", "Amazon.sa"),
        ] {
            assert_eq!(name_in(t, SHIPS_FROM, true).as_deref(), Some(want), "{t}");
        }
        assert_eq!(name_in("Barnes and Noble", SOLD_BY, false).as_deref(), Some("Barnes and Noble"));
    }
}
