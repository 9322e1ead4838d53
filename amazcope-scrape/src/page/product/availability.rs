//! Whether the main item can be bought now, in every storefront language.

use super::{Readings, disagree, root, unparseable};
use crate::region::IdIndex;
use crate::text::{fragment, text};
use amazcope_core::model::page::{Availability, Field, StockStatus, TrackedField};

pub(super) const UNAVAILABLE: &[&str] = &[
    "currently unavailable",
    "derzeit nicht verfügbar",
    "actuellement indisponible",
    "attualmente non disponibile",
    "no disponible",
    "não disponível",
    "indisponível",
    "現在お取り扱いできません",
    "momenteel niet verkrijgbaar",
    "niet beschikbaar",
    "غير متوفر",
    "obecnie niedostępny",
    "för närvarande inte tillgänglig",
    "şu anda mevcut değil",
];
pub(super) const OUT_OF_STOCK: &[&str] = &[
    "out of stock",
    "nicht auf lager",
    "rupture de stock",
    "non disponibile",
    "agotado",
    "sem estoque",
    "esgotado",
    "在庫切れ",
    "niet op voorraad",
    "tijdelijk uitverkocht",
    "temporarily out",
    "nicht vorrätig",
    "sin stock",
    // Portuguese of Portugal, before IN_STOCK's "em stock".
    "sem stock",
    "fora de estoque",
    // Before IN_STOCK's "dostępny", "i lager" and "متوفر", which these contain.
    "chwilowo niedostępny",
    "niedostępn",
    "slut i lager",
    "stokta yok",
    "نفدت الكمية",
];
pub(super) const IN_STOCK: &[&str] = &[
    "in stock",
    "auf lager",
    "en stock",
    "disponibilità immediata",
    "disponibile",
    "em estoque",
    "em stock",
    "en existencia",
    "disponible",
    "在庫あり",
    "op voorraad",
    "left in stock",
    "only ",
    "nur noch",
    "il ne reste plus",
    "usually dispatched",
    "usually ships",
    "ships within",
    "versandfertig",
    "available",
    "verfügbar",
    "disponível",
    "متوفر",
    "dostępny",
    "i lager",
    "stokta",
];

/// Classifies an availability text in any storefront language.
pub(crate) fn stock_status(t: &str) -> Option<StockStatus> {
    let l = t.to_lowercase();
    if UNAVAILABLE.iter().any(|k| l.contains(k)) {
        return Some(StockStatus::Unavailable);
    }
    if OUT_OF_STOCK.iter().any(|k| l.contains(k)) {
        return Some(StockStatus::OutOfStock);
    }
    if IN_STOCK.iter().any(|k| l.contains(k)) {
        return Some(StockStatus::InStock);
    }
    None
}

/// Ids of the controls that buy the main offer now: desktop Add to Cart / Buy Now /
/// 1-Click, the unified buy box's add button, Kindle's instant order.
const BUY_ACTIONS: &[&str] = &[
    "add-to-cart-button",
    "addToCart",
    "buy-now-button",
    "one-click-button",
    "buyOneClick",
    "add-to-cart-button-ubb",
    "ebooksInstantOrderUpdate",
];

/// Whether the page has a control that buys the main offer now.
pub(super) fn has_buy_action(idx: &IdIndex<'_>) -> bool {
    BUY_ACTIONS.iter().any(|id| idx.has(id))
}

/// A listing without a buy box: no control buys the main offer, and the page sends the
/// shopper to the other offers instead ("See All Buying Options" button of the 2019+ buy box,
/// `#buybox-see-all-buying-choices`; the 2023+ unqualified buy box `#unqualifiedBuyBox`).
/// Any price such a page shows is some other offer's ("2 used & new from $X"), never a
/// buy-box price.
pub(super) fn no_buy_box_offer(idx: &IdIndex<'_>) -> bool {
    !has_buy_action(idx)
        && !idx.has("dv-action-box")
        && (idx.has("buybox-see-all-buying-choices")
            || idx.has("buybox-see-all-buying-choices-announce")
            || idx.has("unqualifiedBuyBox"))
}

/// The availability line of the main offer in the all-offers display (AOD) widget that a
/// page embeds when its buy box shows none: `#aod-pinned-offer` is the main offer, its
/// `#aod-offer-availability` the line.
fn aod_availability(idx: &IdIndex<'_>) -> Option<String> {
    let region = idx.element("aod-pinned-offer").or_else(|| idx.element("aod-offer-availability"))?;
    let h = fragment(region);
    let t = match h.select(&crate::selectors::AOD_AVAILABILITY).next() {
        Some(e) => text(e),
        None => text(root(&h)),
    };
    (!t.is_empty()).then_some(t)
}

pub(super) fn read_availability(
    idx: &IdIndex<'_>,
    has_price: bool,
    readings: &mut Readings,
) -> Field<Availability> {
    let text_of = |id: &str| idx.element(id).map(|r| text(root(&fragment(r)))).filter(|t| !t.is_empty());
    // `#outOfStock` replaces the buy box when nothing can be bought (2019+ layouts).
    if let Some(t) = text_of("outOfStock") {
        let status = stock_status(&t).filter(|s| !s.in_stock()).unwrap_or(StockStatus::Unavailable);
        return Field::Read(Availability { status, text: Some(t) });
    }
    // No buy box: whatever the availability line says, nothing can be bought from the page.
    if no_buy_box_offer(idx) {
        let t = text_of("availability").or_else(|| aod_availability(idx));
        return Field::Read(Availability { status: StockStatus::Unavailable, text: t });
    }
    // Books layouts put the line in `#availabilityInsideBuyBox_feature_div` or
    // `#booksAvailability` (no `#availability`).
    let t = [
        "availability",
        "availability_feature_div",
        "availabilityInsideBuyBox_feature_div",
        "booksAvailability",
    ]
    .iter()
    .find_map(|id| text_of(id));
    let buy = has_buy_action(idx);
    if let Some(t) = &t
        && let Some(status) = stock_status(t)
    {
        // The line says in stock but nothing on the page buys it, and the all-offers
        // display says the main offer is not available: two sources disagree.
        if status.in_stock()
            && !buy
            && let Some(a) = aod_availability(idx).filter(|a| stock_status(a).is_some_and(|s| !s.in_stock()))
        {
            return disagree(
                readings,
                TrackedField::Stock,
                &[("#availability", t), ("#aod-offer-availability", &a)],
            );
        }
        return Field::Read(Availability { status, text: Some(t.clone()) });
    }
    // Prime Video: the action box offers watching / buying now.
    if buy && has_price || idx.has("dv-action-box") {
        return Field::Read(Availability { status: StockStatus::InStock, text: t });
    }
    // Only the AOD widget says (the main offer's line there): a negative line is taken; a
    // positive one is not enough, as no control on the page buys the item.
    if !buy
        && let Some(a) = aod_availability(idx)
        && let Some(status) = stock_status(&a).filter(|s| !s.in_stock())
    {
        return Field::Read(Availability { status, text: Some(a) });
    }
    if !has_price && !buy && idx.has("buybox") {
        return Field::Read(Availability { status: StockStatus::Unavailable, text: t });
    }
    match t {
        Some(t) => unparseable("#availability", &t),
        None => Field::Absent,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Availability lines of the storefronts no saved page covers (Polish, Swedish, Turkish,
    /// Arabic), beside the negations that contain an in-stock word.
    #[test]
    fn stock_words_of_every_storefront_language() {
        use StockStatus::{InStock, OutOfStock, Unavailable};
        for (text, want) in [
            ("Dostępny.", InStock),
            ("Chwilowo niedostępny.", OutOfStock),
            ("Obecnie niedostępny.", Unavailable),
            ("I lager.", InStock),
            ("Endast 3 kvar i lager.", InStock),
            ("Tillfälligt slut i lager.", OutOfStock),
            ("För närvarande inte tillgänglig.", Unavailable),
            ("Stokta var.", InStock),
            ("Stokta sadece 2 adet kaldı.", InStock),
            ("Geçici olarak stokta yok.", OutOfStock),
            ("Şu anda mevcut değil.", Unavailable),
            ("متوفر", InStock),
            ("غير متوفر حاليًا.", Unavailable),
            ("نفدت الكمية", OutOfStock),
            ("Temporalmente sin stock.", OutOfStock),
            ("Fora de estoque", OutOfStock),
            ("Derzeit nicht auf Lager.", OutOfStock),
            ("In stock", InStock),
            ("Em stock.", InStock),
            ("Sem stock.", OutOfStock),
        ] {
            assert_eq!(stock_status(text), Some(want), "{text}");
        }
        assert_eq!(stock_status("Lieferung Dienstag"), None);
    }

    #[test]
    fn stock_words() {
        assert_eq!(stock_status("Currently unavailable."), Some(StockStatus::Unavailable));
        assert_eq!(stock_status("Non disponibile."), Some(StockStatus::OutOfStock));
        assert_eq!(stock_status("Disponibile"), Some(StockStatus::InStock));
        assert_eq!(stock_status("Only 3 left in stock - order soon."), Some(StockStatus::InStock));
        assert_eq!(stock_status("Auf Lager"), Some(StockStatus::InStock));
        assert_eq!(stock_status("現在在庫切れです。"), Some(StockStatus::OutOfStock));
    }
}
