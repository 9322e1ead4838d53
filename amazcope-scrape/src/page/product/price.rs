//! Buy-box price, struck-through list price and the Prime badge beside them.

use super::{Readings, disagree, json_value_at, root, unparseable};
use crate::locale::{currency_of, money_in, parse_money};
use crate::region::{IdIndex, attr_in_tag};
use crate::selectors as sel;
use crate::text::{first_text, fragment, text};
use amazcope_core::model::page::{Field, TrackedField};
use amazcope_core::{Marketplace, Money};
use memchr::memmem;
use rust_decimal::Decimal;
use scraper::{ElementRef, Html};
use std::collections::BTreeMap;
use std::str::FromStr;

/// Price regions of the buy box, newest layout first.
pub(super) const PRICE_REGIONS: &[&str] = &[
    // 2023+ desktop: `.priceToPay` with `.basisPrice` strike.
    "corePriceDisplay_desktop_feature_div",
    // 2021-2022 apex table: rows "List Price:", "Price:", "You Save:".
    "corePrice_desktop",
    // Compact core price of books / media / some marketplaces.
    "corePrice_feature_div",
    // Older buy boxes.
    "price_inside_buybox",
    "newBuyBoxPrice",
    // Kindle books; the mobile Kindle page (`#ebooksPrice_feature_div`).
    "kindle-price",
    "ebooksPrice_feature_div",
    // Textbooks with a rent / buy accordion: the "Buy new" row.
    "newOfferAccordionRow",
    "buyNewSection",
    // Pre-2021 price table.
    "priceblock_ourprice",
    "priceblock_dealprice",
    "priceblock_saleprice",
];

pub(super) struct PriceRead {
    price: Field<Money>,
    list: Field<Money>,
    prime: bool,
}

/// Buy-box price, strikethrough list price, and whether a Prime badge sits by the price.
pub(super) fn read_prices(idx: &IdIndex<'_>, mp: Marketplace) -> (Field<Money>, Field<Money>, bool) {
    let mut list: Field<Money> = Field::Absent;
    for id in PRICE_REGIONS {
        let Some(region) = idx.element(id) else { continue };
        let h = fragment(region);
        let r = price_in_region(&h, id, mp);
        if list == Field::Absent {
            list = r.list.clone();
        }
        if r.price != Field::Absent {
            if list == Field::Absent {
                list = old_table_list_price(idx, mp);
            }
            return (r.price, list, r.prime);
        }
    }
    // Books / media with several formats: the selected swatch of `#tmmSwatches`.
    if let Some(region) = idx.element("tmmSwatches") {
        let h = fragment(region);
        if let Some(sw) = h.select(&sel::TMM_SELECTED).next()
            && let Some(t) = sw.select(&sel::TMM_PRICE).map(text).find(|t| currency_of(t, Some(mp)).is_some())
        {
            let price = match parse_money(&t, Some(mp)) {
                Ok(m) => Field::Read(m),
                Err(_) => unparseable("#tmmSwatches .selected .a-color-price", &t),
            };
            if list == Field::Absent {
                list = old_table_list_price(idx, mp);
            }
            return (price, list, false);
        }
    }
    (Field::Absent, list, false)
}

/// "List Price:" / "M.R.P.:" row of the pre-2021 table, outside the price span itself.
pub(super) fn old_table_list_price(idx: &IdIndex<'_>, mp: Marketplace) -> Field<Money> {
    // 2016 `#price` table; 2018 books buy box (`#buyBoxInner`, `#buyNewSection`); 2022 books
    // "De:" / "List Price:" line under the price (`#listPriceSection`).
    for id in ["price", "buyBoxInner", "buyNewSection", "listPriceSection"] {
        let Some(region) = idx.element(id) else { continue };
        let h = fragment(region);
        if let Some(t) = first_text(root(&h), &sel::STRIKE_CELL) {
            return parse_money(&t, Some(mp))
                .map_or_else(|_| unparseable(&format!("#{id} .a-text-strike"), &t), Field::Read);
        }
    }
    Field::Absent
}

pub(super) fn inside(el: ElementRef<'_>, s: &scraper::Selector) -> bool {
    el.ancestors().filter_map(ElementRef::wrap).any(|a| s.matches(&a))
}

pub(super) fn price_in_region(h: &Html, id: &str, mp: Marketplace) -> PriceRead {
    let r = root(h);
    let prime = h.html().contains("a-icon-prime");
    let list = match h.select(&sel::STRIKE_PRICE).map(text).find(|t| !t.is_empty()) {
        Some(t) => parse_money(&t, Some(mp))
            .map_or_else(|_| unparseable(&format!("#{id} .a-text-price"), &t), Field::Read),
        None => match first_text(r, &sel::STRIKE_CELL) {
            Some(t) => parse_money(&t, Some(mp))
                .map_or_else(|_| unparseable(&format!("#{id} .a-text-strike"), &t), Field::Read),
            None => Field::Absent,
        },
    };
    // `.priceToPay` / `.apexPriceToPay` name the price to pay; else the first `.a-price`
    // that is neither struck through nor a per-unit price.
    let boxed = h.select(&sel::PRICE_TO_PAY_BOX).next().or_else(|| {
        h.select(&sel::A_PRICE).find(|e| !inside(*e, &sel::PER_UNIT) && !sel::PER_UNIT.matches(e))
    });
    let price = if let Some(b) = boxed {
        price_of_a_price(b, mp, id)
    } else if let Some(t) = (!id.starts_with("priceblock") && id != "price_inside_buybox")
        .then(|| first_text(r, &sel::COLOR_PRICE))
        .flatten()
    {
        // Kindle, mobile and accordion buy boxes show the price as `.a-color-price` text.
        if is_range(&t) {
            unparseable(&format!("#{id} .a-color-price"), &t)
        } else {
            parse_money(&t, Some(mp))
                .map_or_else(|_| unparseable(&format!("#{id} .a-color-price"), &t), Field::Read)
        }
    } else if id.starts_with("priceblock") || id == "price_inside_buybox" || id == "newBuyBoxPrice" {
        let t = text(r);
        if t.is_empty() {
            Field::Absent
        } else if is_range(&t) {
            unparseable(&format!("#{id}"), &t)
        } else {
            parse_money(&t, Some(mp)).map_or_else(|_| unparseable(&format!("#{id}"), &t), Field::Read)
        }
    } else {
        Field::Absent
    };
    PriceRead { price, list, prime }
}

pub(super) fn is_range(t: &str) -> bool {
    t.contains(" - ") || t.contains(" – ") || t.contains('～')
}

/// Reads one `.a-price`: its `.a-offscreen` full text, else whole + fraction.
pub(super) fn price_of_a_price(b: ElementRef<'_>, mp: Marketplace, id: &str) -> Field<Money> {
    let selector = format!("#{id} .a-price .a-offscreen");
    if let Some(t) = first_text(b, &sel::OFFSCREEN) {
        if is_range(&t) {
            return unparseable(&selector, &t);
        }
        return parse_money(&t, Some(mp)).map_or_else(|_| unparseable(&selector, &t), Field::Read);
    }
    // Split form: `<span class=a-price-whole>1,106<span class=a-price-decimal>.</span></span>
    // <span class=a-price-fraction>18</span>`; the symbol names the currency.
    let whole = first_text(b, &sel::PRICE_WHOLE);
    let frac = first_text(b, &sel::PRICE_FRACTION);
    let symbol = first_text(b, &sel::PRICE_SYMBOL).unwrap_or_default();
    let Some(whole) = whole else { return Field::Absent };
    let whole_digits: String = whole.chars().filter(char::is_ascii_digit).collect();
    let currency = currency_of(&symbol, Some(mp)).unwrap_or_else(|| mp.currency());
    let frac_digits: String = frac.unwrap_or_default().chars().filter(char::is_ascii_digit).collect();
    let composed =
        if frac_digits.is_empty() { whole_digits.clone() } else { format!("{whole_digits}.{frac_digits}") };
    if whole_digits.is_empty() {
        return unparseable(&format!("#{id} .a-price-whole"), &whole);
    }
    money_in(&composed, currency)
        .map_or_else(|_| unparseable(&format!("#{id} .a-price-whole"), &whole), Field::Read)
}

pub(super) fn buybox_has_prime(idx: &IdIndex<'_>) -> bool {
    ["prime-badge", "primeBadge", "bbop-sbbop-container"].iter().any(|id| idx.has(id))
        || idx.element("buybox").is_some_and(|r| memmem::find(r.as_bytes(), b"a-icon-prime").is_some())
}

/// One buying option of the embedded price JSON (`twister-plus-buying-options-price-data`).
#[derive(serde::Deserialize)]
struct EmbeddedOffer {
    #[serde(rename = "priceAmount")]
    price_amount: Option<serde_json::Number>,
    #[serde(rename = "displayPrice")]
    display_price: Option<String>,
    #[serde(rename = "buyingOptionType")]
    buying_option_type: Option<String>,
}

/// The embedded JSON after `MARK`: an array of offers (2022 layout) or an object of
/// groups of them (`{"desktop_buybox_group_1": [..]}`, 2023+); the buy box's new offer.
fn embedded_offer(html: &str) -> Option<EmbeddedOffer> {
    const MARK: &[u8] = b"twister-plus-buying-options-price-data";
    let at = memmem::find(html.as_bytes(), MARK)?;
    let gt = at + html.get(at..)?.find('>')?;
    let body = json_value_at(html.get(gt + 1..)?)?;
    let offers: Vec<EmbeddedOffer> = match body.chars().next()? {
        '[' => serde_json::from_str(body).ok()?,
        _ => {
            let groups: BTreeMap<String, Vec<EmbeddedOffer>> = serde_json::from_str(body).ok()?;
            let mut groups = groups.into_iter();
            let first = groups.next()?;
            first.1
        }
    };
    offers.into_iter().find(|o| o.buying_option_type.as_deref().is_none_or(|t| t == "NEW"))
}

/// The buy-box price the page embeds for its scripts, apart from the visible one: the
/// 2022+ buying-options JSON (the first new offer of the desktop buy box), else the hidden
/// `#twister-plus-price-data-price` input. Returns the candidate amounts (the input is in
/// major units on some storefronts, `8.99`, and in minor units on others, `43190` for
/// R$ 431,90), the source, and the text.
fn embedded_price(html: &str, idx: &IdIndex<'_>) -> Option<(Vec<Decimal>, &'static str, String)> {
    if let Some(o) = embedded_offer(html)
        && let Some(n) = &o.price_amount
        && let Ok(d) = Decimal::from_str(&n.to_string())
    {
        // The amount compared, with the display text the scripts would show beside it.
        let shown = match &o.display_price {
            Some(t) => format!("{n} ({t})"),
            None => n.to_string(),
        };
        return Some((vec![d], "twister-plus-buying-options-price-data priceAmount", shown));
    }
    let v = attr_in_tag(idx.element("twister-plus-price-data-price")?, 0, "value")?.trim();
    let d = Decimal::from_str(v).ok()?;
    let mut amounts = vec![d];
    if !v.contains('.') {
        amounts.push(d / Decimal::ONE_HUNDRED);
    }
    Some((amounts, "#twister-plus-price-data-price", v.to_owned()))
}

/// Checks the visible buy-box price against the embedded one: when both are there and
/// differ, the price is unparsed with both readings.
pub(super) fn cross_check(
    price: Field<Money>,
    html: &str,
    idx: &IdIndex<'_>,
    readings: &mut Readings,
) -> Field<Money> {
    let Field::Read(m) = &price else { return price };
    let Some((embedded, source, shown)) = embedded_price(html, idx) else { return price };
    if embedded.contains(&m.amount) {
        return price;
    }
    let visible = format!("{} {}", m.amount, m.currency);
    disagree(readings, TrackedField::Price, &[("buy box", &visible), (source, &shown)])
}
