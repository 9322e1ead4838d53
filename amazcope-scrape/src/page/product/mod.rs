//! Product detail pages (`/dp/ASIN`, `/gp/product/ASIN`).
//!
//! Only the regions that hold fields are cut out of the page (see [`crate::region`]) and
//! parsed into small DOMs.

mod availability;
mod details;
mod media;
mod offer;
mod price;
mod rating;
mod variations;

use crate::region::{IdIndex, attr_in_tag, tags_containing};
use crate::selectors as sel;
use crate::text::{collapse, fragment, text};
use crate::{ParseError, page::detect::canonical};
use amazcope_core::model::page::{Field, FieldQuality, Quality, Reading, ScrapedProduct, TrackedField};
use amazcope_core::{Asin, Marketplace};
use details::Details;
use scraper::{ElementRef, Html};
use std::collections::BTreeMap;

/// Competing readings of the tracked fields whose sources disagreed.
pub(super) type Readings = BTreeMap<TrackedField, Vec<Reading>>;

/// Two or more sources on the page disagree about `field`: it is reported unparsed, never
/// guessed, and every reading is kept for [`Quality::readings`].
pub(super) fn disagree<T>(readings: &mut Readings, field: TrackedField, found: &[(&str, &str)]) -> Field<T> {
    let list: Vec<Reading> = found
        .iter()
        .map(|(source, text)| Reading {
            source: (*source).to_owned(),
            text: text.chars().take(200).collect(),
        })
        .collect();
    let selector = list.iter().map(|r| r.source.as_str()).collect::<Vec<_>>().join(" vs ");
    let text = list.iter().map(|r| r.text.as_str()).collect::<Vec<_>>().join(" | ");
    readings.insert(field, list);
    Field::Unparseable { selector, text: text.chars().take(400).collect() }
}

fn quality_of<T>(f: &Field<T>) -> FieldQuality {
    match f {
        Field::Read(_) => FieldQuality::Ok,
        Field::Absent => FieldQuality::Absent,
        Field::Unparseable { .. } => FieldQuality::Unparsed,
    }
}

/// The quality of the tracked fields of a parsed page: each field's state, and for every
/// unparsed one its readings (the competing ones, or the one text that was not read).
fn quality(p: &ScrapedProduct, mut readings: Readings) -> Quality {
    let mut q = Quality::default();
    let mut set = |field: TrackedField, state: FieldQuality, raw: Option<(&String, &String)>| {
        q.set(field, state);
        if state == FieldQuality::Unparsed
            && let Some((source, text)) = raw
        {
            readings
                .entry(field)
                .or_insert_with(|| vec![Reading { source: source.clone(), text: text.clone() }]);
        }
    };
    fn raw<T>(f: &Field<T>) -> Option<(&String, &String)> {
        match f {
            Field::Unparseable { selector, text } => Some((selector, text)),
            _ => None,
        }
    }
    set(TrackedField::Price, quality_of(&p.price), raw(&p.price));
    set(TrackedField::ListPrice, quality_of(&p.list_price), raw(&p.list_price));
    set(TrackedField::Bsr, quality_of(&p.ranks), raw(&p.ranks));
    set(TrackedField::Rating, quality_of(&p.rating), raw(&p.rating));
    set(TrackedField::ReviewCount, quality_of(&p.review_count), raw(&p.review_count));
    set(TrackedField::Stock, quality_of(&p.availability), raw(&p.availability));
    readings.retain(|f, _| q.get(*f) == FieldQuality::Unparsed);
    q.readings = readings;
    q
}

/// Offset of a sub-slice inside the page.
pub(super) fn offset(html: &str, part: &str) -> usize {
    part.as_ptr() as usize - html.as_ptr() as usize
}

pub(super) fn root(h: &Html) -> ElementRef<'_> {
    h.root_element()
}

pub(super) fn unparseable<T>(selector: &str, text: &str) -> Field<T> {
    Field::Unparseable { selector: selector.to_owned(), text: text.chars().take(200).collect() }
}

pub(crate) fn parse(
    html: &str,
    idx: &IdIndex<'_>,
    marketplace: Marketplace,
) -> Result<ScrapedProduct, ParseError> {
    let asin = read_asin(html, idx).ok_or(ParseError::MissingField {
        page: "product",
        field: "asin",
        selector: "input[name=ASIN], link[rel=canonical]",
    })?;
    let mut p = ScrapedProduct::empty(asin, marketplace);
    p.url = canonical(html).map(str::to_owned);

    p.parent_asin = variations::read_parent(html).filter(|a| *a != asin);
    let mut readings = Readings::new();

    // Title: 2015+ `#productTitle`; Kindle 2016 `#ebooksProductTitle`; mobile Kindle
    // `#ebooksTitle`; pre-2015 `#btAsinTitle`; Prime Video `#aiv-content-title`.
    p.title = ["productTitle", "ebooksProductTitle", "ebooksTitle", "btAsinTitle", "aiv-content-title"]
        .iter()
        .find_map(|id| idx.element(id))
        .map(|r| text(root(&fragment(r))))
        .filter(|t| !t.is_empty())
        .map_or_else(|| books_title(idx), Field::Read);

    p.brand = read_brand(idx);
    let (price, list_price, prime) = price::read_prices(idx, marketplace);
    let no_buy_box = availability::no_buy_box_offer(idx);
    // A listing without a buy box shows only other offers' prices ("used & new from $X"):
    // there is no buy-box price to read, and its reference price is no longer the main offer's.
    if no_buy_box {
        p.price = Field::Absent;
        p.list_price = Field::Absent;
    } else {
        p.price = price::cross_check(price, html, idx, &mut readings);
        p.list_price = list_price;
    }
    let (rating, count) = rating::read_rating(idx, &mut readings);
    p.rating = rating;
    p.review_count = count;

    let details = Details::read(html, idx);
    p.ranks = details.ranks();
    p.dimensions = details.find(&[
        "dimensions",
        "abmessungen",
        "dimensioni",
        "dimensiones",
        "dimensões",
        "afmetingen",
        "寸法",
        "サイズ",
    ]);
    p.weight = details.find(&["weight", "gewicht", "poids", "peso", "重量"]);
    p.model_number = details.find(&[
        "model number",
        "modellnummer",
        "numéro du modèle",
        "numero modello",
        "número de modelo",
        "modelnummer",
        "型番",
        "item model",
    ]);
    p.technical_details =
        if details.rows.is_empty() { Field::Absent } else { Field::Read(details.rows.clone()) };

    // A shown price counts even when unparsed (sources disagree about it, or a range).
    p.availability = availability::read_availability(idx, !matches!(p.price, Field::Absent), &mut readings);
    p.is_prime = Field::Read(prime || price::buybox_has_prime(idx));
    p.amazons_choice = read_choice(idx);
    p.coupon = read_text_containing(
        idx,
        &["promoPriceBlockMessage_feature_div", "couponBadgeRegularVpc", "vpcButton"],
        &["coupon", "gutschein", "cupón", "buono", "cupom", "クーポン"],
    );
    p.deal_badge = read_text(idx, &["dealBadge_feature_div", "dealBadgeSupportingText"]);
    p.features = read_list(idx, "feature-bullets");
    p.description = read_text(idx, &["productDescription", "bookDescription_feature_div"]);
    p.images = media::read_images(idx, html);
    p.variations = variations::read_variations(html, asin);
    p.categories = read_breadcrumbs(idx);
    p.seller = offer::read_seller(idx);
    p.ships_from = offer::read_ships_from(idx);
    p.past_sales = read_text(idx, &["socialProofingAsinFaceout_feature_div"]);
    p.delivery_message = read_text(idx, &["mir-layout-DELIVERY_BLOCK", "deliveryBlockMessage"]);
    p.quality = quality(&p, readings);
    Ok(p)
}

/// The ASIN of the shown variation: the hidden `ASIN` form input, else the canonical URL.
fn read_asin(html: &str, idx: &IdIndex<'_>) -> Option<Asin> {
    for lt in tags_containing(html, "name=\"ASIN\"") {
        if html[lt..].starts_with("<input")
            && let Some(a) = attr_in_tag(html, lt, "value").and_then(|v| v.parse().ok())
        {
            return Some(a);
        }
    }
    if let Some(r) = idx.element("ASIN")
        && let Some(a) = attr_in_tag(r, 0, "value").and_then(|v| v.parse().ok())
    {
        return Some(a);
    }
    canonical(html).and_then(Asin::from_url)
}

/// Books layout of 2024+: the title sits in `#title` without `#productTitle`; its main
/// span is the large one, beside the format and date in `.a-color-secondary` spans.
fn books_title(idx: &IdIndex<'_>) -> Field<String> {
    let Some(region) = idx.element("title") else { return Field::Absent };
    let h = fragment(region);
    let t = match h.select(&sel::BOOKS_TITLE).map(text).find(|t| !t.is_empty()) {
        Some(t) => t,
        None => text(root(&h)),
    };
    if t.is_empty() { Field::Absent } else { Field::Read(t) }
}

/// Brand from the byline, without the store wording of each language.
fn read_brand(idx: &IdIndex<'_>) -> Field<String> {
    // 2017+ `#bylineInfo`; pre-2017 `#brand`.
    let Some(region) = idx.element("bylineInfo").or_else(|| idx.element("brand")) else {
        return Field::Absent;
    };
    let h = fragment(region);
    // Books and media: the byline names authors, and authors are not brands.
    if h.select(&sel::AUTHOR).next().is_some() {
        return Field::Absent;
    }
    let t = text(root(&h));
    if t.is_empty() {
        return Field::Absent;
    }
    match brand_from_byline(&t) {
        Some(b) => Field::Read(b),
        None => unparseable("#bylineInfo", &t),
    }
}

/// "Visit the Philips Store", "Brand: SainSmart", "Besuche den Bosch-Store", "Visita lo
/// Store di X", "Visitez la boutique X", "Visita la tienda de X", "Visite a loja X",
/// "Bezoek de X-winkel", "Xのストアを表示".
pub(crate) fn brand_from_byline(t: &str) -> Option<String> {
    let t = collapse(t);
    let prefixes = [
        "Visit the ",
        "Brand: ",
        "Brand : ",
        "Marke: ",
        "Marque : ",
        "Marque: ",
        "Marca: ",
        "Merk: ",
        "ブランド: ",
        "Besuche den ",
        "Besuchen Sie den ",
        "Visitez la boutique ",
        "Visiter la boutique ",
        "Visita lo Store di ",
        "Visita la tienda de ",
        "Visita la Store de ",
        "Visite a loja ",
        "Visite a Loja ",
        "Bezoek de ",
        "Odwiedź sklep ",
        "Besök ",
        "Visita il ",
        "Visite la boutique ",
    ];
    let mut s = t.as_str();
    for p in prefixes {
        if let Some(rest) = s.strip_prefix(p) {
            s = rest;
            break;
        }
    }
    let suffixes = [
        " Store",
        "-Store",
        " Shop",
        "-winkel",
        " winkel",
        "のストアを表示",
        " のストアを表示",
        "ストア",
        " Storefront",
        "-butik",
    ];
    for suf in suffixes {
        if let Some(rest) = s.strip_suffix(suf) {
            s = rest;
            break;
        }
    }
    let s = s.trim().trim_end_matches(':').trim();
    (!s.is_empty() && s.len() < 120).then(|| s.to_owned())
}

fn read_choice(idx: &IdIndex<'_>) -> Field<Vec<String>> {
    let Some(region) = idx.element("acBadge_feature_div") else { return Field::Absent };
    let h = fragment(region);
    let t = text(root(&h));
    if t.is_empty() {
        return Field::Absent;
    }
    Field::Read(h.select(&sel::AC_KEYWORD).map(text).filter(|k| !k.is_empty()).collect())
}

fn read_text(idx: &IdIndex<'_>, ids: &[&str]) -> Field<String> {
    ids.iter()
        .find_map(|id| idx.element(id))
        .map(|r| text(root(&fragment(r))))
        .filter(|t| !t.is_empty())
        .map_or(Field::Absent, Field::Read)
}

fn read_text_containing(idx: &IdIndex<'_>, ids: &[&str], words: &[&str]) -> Field<String> {
    match read_text(idx, ids) {
        Field::Read(t) if words.iter().any(|w| t.to_lowercase().contains(w)) => Field::Read(t),
        _ => Field::Absent,
    }
}

fn read_list(idx: &IdIndex<'_>, id: &str) -> Field<Vec<String>> {
    let Some(region) = idx.element(id) else { return Field::Absent };
    let h = fragment(region);
    let items: Vec<String> = h.select(&sel::FEATURE_ITEM).map(text).filter(|t| !t.is_empty()).collect();
    if items.is_empty() { Field::Absent } else { Field::Read(items) }
}

fn read_breadcrumbs(idx: &IdIndex<'_>) -> Field<Vec<String>> {
    let Some(region) = idx.element("wayfinding-breadcrumbs_feature_div") else { return Field::Absent };
    let h = fragment(region);
    let items: Vec<String> = h.select(&sel::BREADCRUMB).map(text).filter(|t| !t.is_empty()).collect();
    if items.is_empty() { Field::Absent } else { Field::Read(items) }
}

/// The JSON value (object or array) after the `:` following `at`.
pub(super) fn json_value_after(html: &str, at: usize) -> Option<&str> {
    let rest = html.get(at..)?;
    let colon = rest.find(':')?;
    json_value_at(&rest[colon + 1..])
}

/// The JSON value (object or array) that `text` starts with, after white space.
pub(super) fn json_value_at(text: &str) -> Option<&str> {
    let body = text.trim_start();
    let open = body.chars().next()?;
    let close = match open {
        '{' => '}',
        '[' => ']',
        _ => return None,
    };
    let mut depth = 0usize;
    let mut in_str = false;
    let mut esc = false;
    for (i, c) in body.char_indices() {
        if in_str {
            if esc {
                esc = false;
            } else if c == '\\' {
                esc = true;
            } else if c == '"' {
                in_str = false;
            }
            continue;
        }
        if c == '"' {
            in_str = true;
        } else if c == open {
            depth += 1;
        } else if c == close {
            depth -= 1;
            if depth == 0 {
                return Some(&body[..=i]);
            }
        }
        if i > 500_000 {
            return None;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brands_in_many_languages() {
        for (byline, want) in [
            ("Visit the Philips Store", "Philips"),
            ("Brand: SainSmart", "SainSmart"),
            ("Marke: sourcing map", "sourcing map"),
            ("Besuche den Bosch-Store", "Bosch"),
            ("Visita lo Store di Sony", "Sony"),
            ("Visitez la boutique Sourcingmap", "Sourcingmap"),
            ("Visite a loja WAP", "WAP"),
            ("任天堂のストアを表示", "任天堂"),
            ("charmast", "charmast"),
        ] {
            assert_eq!(brand_from_byline(byline).as_deref(), Some(want), "{byline}");
        }
    }
}
