//! One generator per page class of issue #17: each takes a saved page and its truth rows and
//! returns the edited page with what it must now give, or `None` where the page lacks the
//! structure the edit needs.

use crate::edit::{
    element_range, prepend_into, rename_id, replace_element, without_buy_actions, without_price_regions,
};
use crate::{Expect, Generated, base_expect, is_absent};
use amazcope_core::model::page::TrackedField;
use amazcope_scrape::locale::parse_decimal;
use rust_decimal::Decimal;
use std::collections::BTreeMap;

pub(crate) fn symbol(mp: &str) -> &'static str {
    match mp {
        "com" => "$",
        "ca" => "CDN$ ",
        "co.uk" => "£",
        "ae" => "AED ",
        "sa" => "SAR ",
        "in" => "₹",
        "co.jp" => "￥",
        "com.br" => "R$ ",
        _ => "EUR ",
    }
}

/// "N used & new from $X" with a "See All Buying Options" button, and no control that buys.
pub(crate) fn no_buy_box(base: &str, html: &str, t: &BTreeMap<String, String>) -> Option<Generated> {
    let price = t.get("price").filter(|v| !is_absent(v))?;
    let mp = t.get("marketplace")?;
    if t.get("in_stock").map(String::as_str) != Some("true") || !html.contains("id=\"buybox\"") {
        return None;
    }
    let from = parse_decimal(price, 2).ok()? * Decimal::new(7, 1);
    let from = from.round_dp(2);
    let mut h = without_buy_actions(html);
    // The page's own price block now shows the lowest used / new offer, as such pages do.
    let olp = format!(
        r#"<div id="corePrice_feature_div"><div class="a-section"><span class="a-size-base a-color-base">2 used &amp; new from</span> <span class="a-price" data-a-size="m"><span class="a-offscreen">{}{from}</span></span></div></div>"#,
        symbol(mp)
    );
    h = without_price_regions(&h);
    h = prepend_into(&h, "buybox", &olp)?;
    h = prepend_into(
        &h,
        "buybox",
        r#"<span id="buybox-see-all-buying-choices" class="a-button a-button-primary"><span class="a-button-inner"><a href="/gp/offer-listing/X" class="a-button-text">See All Buying Options</a></span></span>"#,
    )?;
    let mut expect = base_expect(t);
    expect.price = Some(None);
    expect.in_stock = Some(false);
    Some(Generated { class: "no_buy_box", base: base.to_owned(), html: h, expect })
}

pub(crate) fn unavailable_words(mp: &str) -> &'static str {
    match mp {
        "de" => "Derzeit nicht verfügbar.",
        "fr" => "Actuellement indisponible.",
        "it" => "Attualmente non disponibile.",
        "es" => "No disponible por el momento.",
        "com.br" => "Não disponível.",
        "co.jp" => "現在お取り扱いできません。",
        "sa" => "غير متوفر حاليًا.",
        _ => "Currently unavailable.",
    }
}

/// The main offer's availability only in the all-offers display, out of stock; no buy box
/// price and no control that buys.
pub(crate) fn aod_only(base: &str, html: &str, t: &BTreeMap<String, String>) -> Option<Generated> {
    let mp = t.get("marketplace")?;
    if !html.contains("id=\"availability\"") || !html.contains("id=\"all-offers-display\"") {
        return None;
    }
    let mut h = without_buy_actions(html);
    h = without_price_regions(&h);
    // The page's own availability block stays, empty.
    h = replace_element(&h, "availability", r#"<div id="availability" class="a-section"> </div>"#)?;
    h = rename_id(&h, "outOfStock", "gone-outOfStock");
    let aod = format!(
        r#"<div id="aod-pinned-offer" class="a-section"><div id="aod-offer-heading"><h5>Other sellers</h5></div><div id="aod-offer-availability" class="a-section a-spacing-none"><span class="a-size-base a-color-price">{}</span></div></div>"#,
        unavailable_words(mp)
    );
    h = prepend_into(&h, "all-offers-display", &aod)?;
    let mut expect = base_expect(t);
    expect.price = Some(None);
    expect.in_stock = Some(false);
    Some(Generated { class: "aod_only", base: base.to_owned(), html: h, expect })
}

/// The newer books layout: the title in `#title` without `#productTitle`, the stars block
/// without `#acrPopover` (inside `#averageCustomerReviews`), the count in
/// `#acrCustomerReviewLink`, the availability line in `#availabilityInsideBuyBox_feature_div`.
pub(crate) fn books(base: &str, html: &str, t: &BTreeMap<String, String>) -> Option<Generated> {
    let title = t.get("title")?;
    let (a, b) = element_range(html, "productTitle")?;
    if html[..a].rfind("id=\"title\"").is_none_or(|i| a - i >= 400) {
        return None;
    }
    let main = format!(r#"<span class="a-size-extra-large celwidget">{title}</span>"#);
    let mut h = format!(
        r#"{}{main} <span class="a-size-large a-color-secondary">Paperback – 1 Jan. 2020</span>{}"#,
        &html[..a],
        &html[b..]
    );
    h = rename_id(&h, "acrPopover", "books-acr-popover");
    h = rename_id(&h, "acrCustomerReviewText", "books-acr-text");
    h = rename_id(&h, "availability", "availabilityInsideBuyBox_feature_div");
    let mut expect = base_expect(t);
    expect.title = Some(title.clone());
    Some(Generated { class: "books", base: base.to_owned(), html: h, expect })
}

pub(crate) fn sold_by_words(mp: &str) -> (&'static str, &'static str) {
    match mp {
        "de" => ("Verkauf durch", "Versand durch"),
        "fr" => ("Vendu par", "Expédié par"),
        "es" => ("Vendido por", "Enviado desde"),
        "com.br" => ("Vendido por", "Enviado por"),
        "co.jp" => ("販売元", "出荷元"),
        _ => ("Sold by", "Ships from"),
    }
}

/// An offer sold and shipped by Amazon in the 2022+ offer display: the name stands without a
/// seller link, and the hidden side sheet repeats label and name.
pub(crate) fn amazon_seller(base: &str, html: &str, t: &BTreeMap<String, String>) -> Option<Generated> {
    let mp = t.get("marketplace")?;
    let name = format!("Amazon.{mp}");
    let (sold, ships) = sold_by_words(mp);
    let row = |id: &str, label: &str| {
        format!(
            r#"<div id="{id}" class="celwidget"><div class="offer-display-feature-label"><span class="a-size-small a-color-tertiary">{label}</span></div><div class="offer-display-feature-text"><span class="a-size-small offer-display-feature-text-message">{name}</span></div><div class="aok-hidden offer-display-feature-side-sheet"><span>{name}</span> <span>{label} {name}</span></div></div>"#
        )
    };
    let h = replace_element(
        html,
        "merchantInfoFeature_feature_div",
        &row("merchantInfoFeature_feature_div", sold),
    )?;
    let h = replace_element(
        &h,
        "fulfillerInfoFeature_feature_div",
        &row("fulfillerInfoFeature_feature_div", ships),
    )?;
    let mut expect = base_expect(t);
    expect.seller = Some(name.clone());
    expect.ships_from = Some(name);
    Some(Generated { class: "seller_text", base: base.to_owned(), html: h, expect })
}

/// The pre-2022 merchant sentence ("Ships from and sold by Amazon.ca.").
pub(crate) fn merchant_sentence(base: &str, html: &str, t: &BTreeMap<String, String>) -> Option<Generated> {
    let mp = t.get("marketplace")?;
    let name = format!("Amazon.{mp}");
    let sentence = match mp.as_str() {
        "de" => format!("Verkauf und Versand durch {name}. Geschenkverpackung verfügbar."),
        "fr" => format!("Expédié et vendu par {name}. Emballage cadeau disponible."),
        _ => format!("Ships from and sold by {name}. Gift-wrap available."),
    };
    let h = replace_element(
        html,
        "merchant-info",
        &format!(r#"<div id="merchant-info" class="a-section a-spacing-mini"> {sentence} </div>"#),
    )?;
    let h = rename_id(&h, "merchantInfoFeature_feature_div", "gone-merchant");
    let h = rename_id(&h, "fulfillerInfoFeature_feature_div", "gone-fulfiller");
    let h = rename_id(&h, "sellerProfileTriggerId", "gone-seller-link");
    let mut expect = base_expect(t);
    expect.seller = Some(name.clone());
    expect.ships_from = Some(name);
    Some(Generated { class: "seller_text", base: base.to_owned(), html: h, expect })
}

/// The embedded buy-box price made to differ from the visible one: the price is unparsed.
pub(crate) fn price_disagrees(base: &str, html: &str, t: &BTreeMap<String, String>) -> Option<Generated> {
    t.get("price").filter(|v| !is_absent(v))?;
    let at = html.find("twister-plus-buying-options-price-data")?;
    let key = "\"priceAmount\":";
    let p = at + html[at..].find(key)? + key.len();
    let end = p + html[p..].find([',', '}'])?;
    let h = format!("{}{}{}", &html[..p], "1.23", &html[end..]);
    let mut expect = base_expect(t);
    expect.price = Some(None);
    expect.disagree = vec![TrackedField::Price];
    Some(Generated { class: "disagree", base: base.to_owned(), html: h, expect })
}

/// The review summary made to name another rating and count than the stars block.
pub(crate) fn reviews_disagree(base: &str, html: &str, t: &BTreeMap<String, String>) -> Option<Generated> {
    t.get("rating").filter(|v| !is_absent(v))?;
    let rating_hook = "data-hook=\"rating-out-of-text\"";
    let at = html.find(rating_hook)?;
    let gt = at + html[at..].find('>')? + 1;
    let lt = gt + html[gt..].find('<')?;
    let original = &html[gt..lt];
    if !original.contains(" 5") {
        return None;
    }
    let h = format!("{}1.2{}", &html[..gt], &original[original.find(' ')?..]) + &html[lt..];
    let mut expect = base_expect(t);
    expect.rating = Some(None);
    expect.disagree = vec![TrackedField::Rating];
    let count_hook = "data-hook=\"total-review-count\"";
    let h = match h.find(count_hook) {
        Some(c) if t.get("review_count").is_some_and(|v| !is_absent(v)) => {
            let gt = c + h[c..].find('>')? + 1;
            let lt = gt + h[gt..].find('<')?;
            let words =
                h[gt..lt].trim_start_matches(|ch: char| ch.is_ascii_digit() || ch == ',' || ch == '.');
            expect.review_count = Some(None);
            expect.disagree.push(TrackedField::ReviewCount);
            format!("{}987654{}{}", &h[..gt], words, &h[lt..])
        }
        _ => h,
    };
    Some(Generated { class: "disagree", base: base.to_owned(), html: h, expect })
}

pub(crate) const ERROR_MARKETPLACES: &[(&str, &str)] = &[
    ("co.uk", "Sorry! Something went wrong!"),
    ("de", "Tut uns Leid!"),
    ("fr", "Toutes nos excuses"),
    ("it", "Siamo spiacenti!"),
    ("es", "¡Lo sentimos!"),
    ("co.jp", "申し訳ありません"),
    ("in", "Sorry! Something went wrong!"),
    ("com.br", "Desculpe!"),
    ("ca", "Sorry! Something went wrong!"),
    ("com.mx", "¡Lo sentimos!"),
    ("com.au", "Sorry! Something went wrong!"),
    ("ae", "Sorry! Something went wrong!"),
    ("nl", "Sorry!"),
    ("sa", "عذرًا"),
];

/// The saved error page, told as another storefront's: by the logo's alt text, by absolute
/// links, or by the title alone.
pub(crate) fn error_pages(html: &str) -> Vec<Generated> {
    let mut out = Vec::new();
    for (i, (mp, title)) in ERROR_MARKETPLACES.iter().enumerate() {
        let titled =
            html.replace("<title>Sorry! Something went wrong!</title>", &format!("<title>{title}</title>"));
        let variants = [
            ("logo", titled.replace("alt=\"Amazon.com\"", &format!("alt=\"Amazon.{mp}\""))),
            (
                "links",
                titled
                    .replace("alt=\"Amazon.com\"", "alt=\"Amazon\"")
                    .replace("href=\"/", &format!("href=\"https://www.amazon.{mp}/")),
            ),
            (
                "title",
                html.replace(
                    "<title>Sorry! Something went wrong!</title>",
                    &format!("<title>Amazon.{mp}: {title}</title>"),
                )
                .replace("alt=\"Amazon.com\"", "alt=\"Amazon\""),
            ),
        ];
        for (j, (how, h)) in variants.into_iter().enumerate() {
            // The first marketplaces' logo variants were the development set.
            let base = if i < 2 && j == 0 { "dev".to_owned() } else { format!("error:{mp}:{how}") };
            out.push(Generated {
                class: "error_page",
                base,
                html: h,
                expect: Expect {
                    kind: Some("error_page"),
                    marketplace: Some((*mp).to_owned()),
                    ..Expect::default()
                },
            });
        }
    }
    out
}
