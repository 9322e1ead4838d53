//! Product detail pages (`/dp/ASIN`, `/gp/product/ASIN`).
//!
//! Only the regions that hold fields are cut out of the page (see [`crate::region`]) and
//! parsed into small DOMs.

use crate::locale::{currency_of, money_in, parse_count, parse_money, parse_rating};
use crate::region::{IdIndex, attr_in_tag, tags_containing};
use crate::selectors as sel;
use crate::text::{collapse, first_text, fragment, lines, text};
use crate::{ParseError, page::detect::canonical};
use amazcope_core::model::page::{
    Availability, Field, NameValue, SalesRank, ScrapedProduct, StockStatus, Variation,
};
use amazcope_core::{Asin, Marketplace, Money, Rating};
use memchr::memmem;
use scraper::{ElementRef, Html};
use std::collections::BTreeMap;

/// Offset of a sub-slice inside the page.
fn offset(html: &str, part: &str) -> usize {
    part.as_ptr() as usize - html.as_ptr() as usize
}

fn root(h: &Html) -> ElementRef<'_> {
    h.root_element()
}

fn unparseable<T>(selector: &str, text: &str) -> Field<T> {
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

    // Title: 2015+ `#productTitle`; Kindle 2016 `#ebooksProductTitle`; mobile Kindle
    // `#ebooksTitle`; pre-2015 `#btAsinTitle`; Prime Video `#aiv-content-title`.
    p.title = ["productTitle", "ebooksProductTitle", "ebooksTitle", "btAsinTitle", "aiv-content-title"]
        .iter()
        .find_map(|id| idx.element(id))
        .map(|r| text(root(&fragment(r))))
        .filter(|t| !t.is_empty())
        .map_or(Field::Absent, Field::Read);

    p.brand = read_brand(idx);
    let (price, list_price, prime) = read_prices(idx, marketplace);
    p.price = price;
    p.list_price = list_price;
    let (rating, count) = read_rating(idx);
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

    p.availability = read_availability(idx, p.price.is_read());
    p.is_prime = Field::Read(prime || buybox_has_prime(idx));
    p.amazons_choice = read_choice(idx);
    p.coupon = read_text_containing(
        idx,
        &["promoPriceBlockMessage_feature_div", "couponBadgeRegularVpc", "vpcButton"],
        &["coupon", "gutschein", "cupón", "buono", "cupom", "クーポン"],
    );
    p.deal_badge = read_text(idx, &["dealBadge_feature_div", "dealBadgeSupportingText"]);
    p.features = read_list(idx, "feature-bullets");
    p.description = read_text(idx, &["productDescription", "bookDescription_feature_div"]);
    p.images = read_images(idx, html);
    p.variations = read_variations(html, asin);
    p.categories = read_breadcrumbs(idx);
    p.seller =
        read_text(idx, &["sellerProfileTriggerId", "merchantInfoFeature_feature_div", "merchant-info"])
            .map(|s| strip_label(&s));
    p.ships_from = read_text(idx, &["fulfillerInfoFeature_feature_div"]).map(|s| strip_label(&s));
    p.past_sales = read_text(idx, &["socialProofingAsinFaceout_feature_div"]);
    p.delivery_message = read_text(idx, &["mir-layout-DELIVERY_BLOCK", "deliveryBlockMessage"]);
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

fn strip_label(s: &str) -> String {
    let s = s.trim();
    match s.split_once(':') {
        Some((label, rest)) if label.len() < 40 && !rest.trim().is_empty() => rest.trim().to_owned(),
        _ => s.to_owned(),
    }
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

/// Price regions of the buy box, newest layout first.
const PRICE_REGIONS: &[&str] = &[
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

struct PriceRead {
    price: Field<Money>,
    list: Field<Money>,
    prime: bool,
}

/// Buy-box price, strikethrough list price, and whether a Prime badge sits by the price.
fn read_prices(idx: &IdIndex<'_>, mp: Marketplace) -> (Field<Money>, Field<Money>, bool) {
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
fn old_table_list_price(idx: &IdIndex<'_>, mp: Marketplace) -> Field<Money> {
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

fn inside(el: ElementRef<'_>, s: &scraper::Selector) -> bool {
    el.ancestors().filter_map(ElementRef::wrap).any(|a| s.matches(&a))
}

fn price_in_region(h: &Html, id: &str, mp: Marketplace) -> PriceRead {
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

fn is_range(t: &str) -> bool {
    t.contains(" - ") || t.contains(" – ") || t.contains('～')
}

/// Reads one `.a-price`: its `.a-offscreen` full text, else whole + fraction.
fn price_of_a_price(b: ElementRef<'_>, mp: Marketplace, id: &str) -> Field<Money> {
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

fn buybox_has_prime(idx: &IdIndex<'_>) -> bool {
    ["prime-badge", "primeBadge", "bbop-sbbop-container"].iter().any(|id| idx.has(id))
        || idx.element("buybox").is_some_and(|r| memmem::find(r.as_bytes(), b"a-icon-prime").is_some())
}

fn read_rating(idx: &IdIndex<'_>) -> (Field<Rating>, Field<u32>) {
    // 2016+ `#acrPopover`; mobile pages `#acrCustomerReviewLink`; Prime Video `#reviewStars`.
    let stars = ["acrPopover", "acrCustomerReviewLink", "reviewStars"].iter().find_map(|id| idx.element(id));
    let rating = match stars {
        Some(region) => {
            let title = attr_in_tag(region, 0, "title").map(str::to_owned);
            let h = fragment(region);
            let t = title
                .filter(|t| !t.is_empty())
                .or_else(|| first_text(root(&h), &sel::ICON_ALT))
                .unwrap_or_default();
            if t.is_empty() {
                Field::Absent
            } else {
                match parse_rating(&t).and_then(|v| Rating::new(v).ok()) {
                    Some(r) => Field::Read(r),
                    None => unparseable("#acrPopover", &t),
                }
            }
        }
        None => Field::Absent,
    };
    // Count beside the stars: `#acrCustomerReviewText`; mobile `#acrCustomerReviewLink`
    // ("(58)" after the stars' alt text); Prime Video `#reviewLink` ("(84 customer reviews)").
    let counts = ["acrCustomerReviewText", "acrCustomerReviewLink", "reviewLink"]
        .iter()
        .find_map(|id| idx.element(id));
    let count = match counts {
        Some(region) => {
            let h = fragment(region);
            let mut t = text(root(&h));
            if let Some(alt) = first_text(root(&h), &sel::ICON_ALT) {
                t = t.replacen(&alt, "", 1).trim().to_owned();
            }
            match parse_count(&t).and_then(|n| u32::try_from(n).ok()) {
                Some(n) => Field::Read(n),
                None if t.is_empty() => Field::Absent,
                None => unparseable("#acrCustomerReviewText", &t),
            }
        }
        None => Field::Absent,
    };
    (rating, count)
}

/// Rows of the product-details tables and bullet lists, in page order.
struct Details {
    rows: Vec<NameValue>,
    /// The best-sellers row, as lines (one rank per line).
    rank_lines: Option<Vec<String>>,
}

/// Details regions by layout: 2019+ bullets (`#detailBulletsWrapper_feature_div`,
/// `#detailBullets_feature_div`), 2018+ tables (`#productDetails_feature_div`, `#prodDetails`,
/// `#productDetails_detailBullets_sections1`, `#productDetails_techSpec_section_1`), the old
/// `#detail-bullets` / `#detail_bullets_id`, and the stand-alone `#SalesRank` line.
const DETAIL_REGIONS: &[&str] = &[
    "detailBulletsWrapper_feature_div",
    "detailBullets_feature_div",
    "productDetails_feature_div",
    "prodDetails",
    "productDetails_detailBullets_sections1",
    "productDetails_techSpec_section_1",
    "productDetails_techSpec_section_2",
    "productDetails_db_sections",
    "technicalSpecifications_feature_div",
    "detail-bullets",
    "detail_bullets_id",
    "audibleProductDetails",
    "SalesRank",
];

const RANK_LABELS: &[&str] = &[
    "best sellers rank",
    "bestsellers rank",
    "amazon bestseller",
    "bestseller-rang",
    "classement des meilleures ventes",
    "posizione nella classifica",
    "clasificación en los más vendidos",
    "ranking dos mais vendidos",
    "classificação dos produtos mais vendidos",
    "売れ筋ランキング",
    "plaats in bestsellerlijst",
    "bestsellerrang",
    "ranking najlepiej",
    "rangordning",
    "en çok satanlar",
    "الأكثر مبيع",
];

impl Details {
    fn read(html: &str, idx: &IdIndex<'_>) -> Self {
        let mut rows = Vec::new();
        let mut rank_lines = None;
        let mut seen: Vec<(usize, usize)> = Vec::new();
        for id in DETAIL_REGIONS {
            let Some(region) = idx.element(id) else { continue };
            let start = offset(html, region);
            let end = start + region.len();
            if seen.iter().any(|(s, e)| *s <= start && end <= *e) {
                continue;
            }
            seen.push((start, end));
            let h = fragment(region);
            let r = root(&h);
            for tr in r.select(&sel::TABLE_ROW) {
                // 2018+ tables: `<th>` name, `<td>` value; 2016 tables: `td.label`, `td.value`.
                let mut tds = tr.select(&sel::ROW_VALUE);
                let (name, value) = match tr.select(&sel::ROW_NAME).next() {
                    Some(th) => (Some(th), tds.next()),
                    None => (tds.next(), tds.next()),
                };
                let (Some(name), Some(value)) = (name, value) else {
                    continue;
                };
                let name = text(name);
                let is_rank = is_rank_row(&name, value);
                if is_rank && rank_lines.is_none() {
                    rank_lines = Some(lines(value));
                }
                rows.push(NameValue {
                    name: name.trim_end_matches(':').trim().to_owned(),
                    value: text(value),
                });
            }
            let bullet_items: Vec<ElementRef<'_>> =
                if *id == "SalesRank" { vec![r] } else { r.select(&sel::BULLET_ITEM).collect() };
            for li in bullet_items {
                // Nested lists (the sub-ranks of a rank bullet) are read with their parent.
                if *id != "SalesRank"
                    && li
                        .ancestors()
                        .filter_map(ElementRef::wrap)
                        .any(|a| a.value().name() == "li" || a.value().classes().any(|c| c == "zg_hrsr"))
                {
                    continue;
                }
                let label = li.select(&sel::BULLET_LABEL).next().map(text).unwrap_or_default();
                let all = text(li);
                if is_rank_row(&label, li) || (*id == "SalesRank" && rank_lines.is_none()) {
                    if rank_lines.is_none() {
                        rank_lines = Some(lines(li));
                    }
                    continue;
                }
                if label.is_empty() {
                    continue;
                }
                let value =
                    all.strip_prefix(label.as_str()).unwrap_or(&all).trim().trim_start_matches(':').trim();
                let name = label.trim().trim_end_matches(':').trim().trim_end_matches(':').trim();
                if !name.is_empty() && !value.is_empty() {
                    rows.push(NameValue { name: name.to_owned(), value: value.to_owned() });
                }
            }
        }
        Details { rows, rank_lines }
    }

    fn find(&self, names: &[&str]) -> Field<String> {
        self.rows
            .iter()
            .find(|r| {
                let n = r.name.to_lowercase();
                names.iter().any(|w| n.contains(w))
            })
            .map_or(Field::Absent, |r| Field::Read(r.value.clone()))
    }

    fn ranks(&self) -> Field<Vec<SalesRank>> {
        let Some(lines) = &self.rank_lines else { return Field::Absent };
        let ranks = ranks_from_lines(lines);
        if ranks.is_empty() {
            unparseable("best sellers rank row", &lines.join(" | "))
        } else {
            Field::Read(ranks)
        }
    }
}

fn is_rank_row(label: &str, value: ElementRef<'_>) -> bool {
    let l = label.to_lowercase();
    if RANK_LABELS.iter().any(|k| l.contains(k)) {
        return true;
    }
    // Language-independent: a row whose links go to best-seller lists (`pd_zg_ts`,
    // `pd_zg_hrsr`), whatever its label says.
    value.select(&sel::ANCHOR).any(|a| {
        a.value()
            .attr("href")
            .is_some_and(|h| h.contains("pd_zg_ts") || h.contains("pd_zg_hrsr") || h.contains("zg_hrsr"))
    })
}

/// Drops "(See Top 100 in X)" groups in every language (they hold "100"); keeps category
/// parentheses like "Political Fiction (Kindle Store)".
fn drop_top100(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(open) = rest.find('(') {
        let Some(close_rel) = rest[open..].find(')') else { break };
        let inner = &rest[open + 1..open + close_rel];
        out.push_str(&rest[..open]);
        if !(inner.contains("100") || inner.contains("ランキング") || inner.contains("売れ筋")) {
            out.push_str(&rest[open..=open + close_rel]);
        }
        rest = &rest[open + close_rel + 1..];
    }
    out.push_str(rest);
    collapse(&out)
}

const PREPOSITIONS: &[&str] =
    &["in der ", "in ", "en ", "em ", "dans ", "nella ", "na ", "no ", "i ", "w ", "op ", "di "];

/// `#1,234 in Electronics`, `Nr. 1.234 in Küche`, `n°66 dans X`, `Nº 172 em Y`, `4位ゲーム`.
pub(crate) fn ranks_from_lines(lines: &[String]) -> Vec<SalesRank> {
    let mut out = Vec::new();
    for line in lines {
        let line = drop_top100(line);
        // Old layouts put several ranks on one line: split before each "#<digit>".
        let mut parts = Vec::new();
        let mut last = 0;
        for (i, _) in line.match_indices('#') {
            if i > last && line[i + 1..].starts_with(|c: char| c.is_ascii_digit()) {
                parts.push(&line[last..i]);
                last = i;
            }
        }
        parts.push(&line[last..]);
        for part in parts {
            if let Some(r) = rank_of(part) {
                out.push(r);
            }
        }
    }
    out
}

fn rank_of(part: &str) -> Option<SalesRank> {
    let start = part.find(|c: char| c.is_ascii_digit())?;
    // The label before the number must not itself be a number-bearing sentence.
    let prefix = &part[..start];
    if prefix.chars().filter(|c| c.is_alphabetic()).count() > 40 {
        return None;
    }
    let rest = &part[start..];
    let num_len = rest
        .char_indices()
        .find(|(_, c)| !(c.is_ascii_digit() || matches!(c, ',' | '.' | ' ' | '\u{a0}' | '\u{202f}')))
        .map_or(rest.len(), |(i, _)| i);
    let (num, mut cat) = rest.split_at(num_len);
    // Trailing separators belong to the sentence, not the number ("4, in").
    let num = num.trim_end_matches([',', '.', ' ', '\u{a0}', '\u{202f}']);
    let digits: String = num.chars().filter(char::is_ascii_digit).collect();
    let rank: u32 = digits.parse().ok()?;
    cat = cat.trim_start();
    cat = cat.strip_prefix('位').unwrap_or(cat).trim_start();
    for p in PREPOSITIONS {
        if cat.len() > p.len() && cat.get(..p.len()).is_some_and(|h| h.eq_ignore_ascii_case(p)) {
            cat = &cat[p.len()..];
            break;
        }
    }
    let cat = cat.trim().trim_end_matches([':', ',', ';']).trim();
    if cat.is_empty() || rank == 0 {
        return None;
    }
    Some(SalesRank { rank, category: cat.to_owned(), link: None })
}

const UNAVAILABLE: &[&str] = &[
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
const OUT_OF_STOCK: &[&str] = &[
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
    "fora de estoque",
    // Before IN_STOCK's "dostępny", "i lager" and "متوفر", which these contain.
    "chwilowo niedostępny",
    "niedostępn",
    "slut i lager",
    "stokta yok",
    "نفدت الكمية",
];
const IN_STOCK: &[&str] = &[
    "in stock",
    "auf lager",
    "en stock",
    "disponibilità immediata",
    "disponibile",
    "em estoque",
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

fn read_availability(idx: &IdIndex<'_>, has_price: bool) -> Field<Availability> {
    let text_of = |id: &str| idx.element(id).map(|r| text(root(&fragment(r)))).filter(|t| !t.is_empty());
    // `#outOfStock` replaces the buy box when nothing can be bought (2019+ layouts).
    if let Some(t) = text_of("outOfStock") {
        let status = stock_status(&t).filter(|s| !s.in_stock()).unwrap_or(StockStatus::Unavailable);
        return Field::Read(Availability { status, text: Some(t) });
    }
    let t = text_of("availability").or_else(|| text_of("availability_feature_div"));
    if let Some(t) = &t
        && let Some(status) = stock_status(t)
    {
        return Field::Read(Availability { status, text: Some(t.clone()) });
    }
    // No availability line (Kindle, digital, some media): a buy button with a price means
    // it can be bought now.
    let buy = [
        "add-to-cart-button",
        "addToCart",
        "buy-now-button",
        "one-click-button",
        "buyOneClick",
        "add-to-cart-button-ubb",
        "ebooksInstantOrderUpdate",
    ]
    .iter()
    .any(|id| idx.has(id));
    // Prime Video: the action box offers watching / buying now.
    if buy && has_price || idx.has("dv-action-box") {
        return Field::Read(Availability { status: StockStatus::InStock, text: t });
    }
    if !has_price && !buy && idx.has("buybox") {
        return Field::Read(Availability { status: StockStatus::Unavailable, text: t });
    }
    match t {
        Some(t) => unparseable("#availability", &t),
        None => Field::Absent,
    }
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

/// The listing's images in gallery order: one URL per entry of the gallery JSON
/// (`'colorImages': { 'initial': [{"hiRes": .., "large": ..}, ..] }`, the hi-res version
/// where the page has one, else the large one), so their number is the number of images the
/// listing shows. Pages without the gallery JSON give the main image (`#landingImage`) alone.
fn read_images(idx: &IdIndex<'_>, html: &str) -> Field<Vec<String>> {
    let gallery = gallery_images(html);
    if !gallery.is_empty() {
        return Field::Read(gallery);
    }
    for id in ["landingImage", "imgBlkFront", "ebooksImgBlkFront", "main-image"] {
        if let Some(r) = idx.element(id) {
            let src = attr_in_tag(r, 0, "data-old-hires")
                .filter(|s| !s.is_empty())
                .or_else(|| attr_in_tag(r, 0, "src"));
            if let Some(s) = src.filter(|s| s.starts_with("http")) {
                return Field::Read(vec![s.to_owned()]);
            }
        }
    }
    Field::Absent
}

/// One entry of the gallery JSON.
#[derive(serde::Deserialize)]
struct GalleryImage {
    #[serde(rename = "hiRes")]
    hi_res: Option<String>,
    large: Option<String>,
}

fn gallery_images(html: &str) -> Vec<String> {
    let Some(at) = memmem::find(html.as_bytes(), b"'colorImages'") else { return Vec::new() };
    let Some(initial) = memmem::find(&html.as_bytes()[at..], b"'initial'").map(|i| at + i) else {
        return Vec::new();
    };
    let Some(array) = json_value_after(html, initial) else { return Vec::new() };
    let Ok(entries) = serde_json::from_str::<Vec<GalleryImage>>(array) else { return Vec::new() };
    let mut out: Vec<String> = Vec::with_capacity(entries.len());
    for e in entries {
        let url = e.hi_res.filter(|u| u.starts_with("http")).or(e.large.filter(|u| u.starts_with("http")));
        if let Some(url) = url
            && !out.contains(&url)
        {
            out.push(url);
        }
    }
    out
}

/// Child ASINs with their dimension values, from the twister's `dimensionValuesDisplayData`
/// JSON (2018+ twister) and `dimensionsDisplay` names.
fn read_variations(html: &str, selected: Asin) -> Field<Vec<Variation>> {
    let Some(at) = memmem::find(html.as_bytes(), b"\"dimensionValuesDisplayData\"") else {
        return Field::Absent;
    };
    let Some(obj) = json_value_after(html, at) else { return Field::Absent };
    let Ok(map) = serde_json::from_str::<BTreeMap<String, Vec<String>>>(obj) else {
        return unparseable("dimensionValuesDisplayData", obj);
    };
    let names: Vec<String> = memmem::find(html.as_bytes(), b"\"dimensionsDisplay\"")
        .and_then(|a| json_value_after(html, a))
        .and_then(|v| serde_json::from_str(v).ok())
        .unwrap_or_default();
    let mut out = Vec::new();
    for (asin, values) in map {
        let Ok(a) = asin.parse::<Asin>() else { continue };
        let dimensions = values
            .into_iter()
            .enumerate()
            .map(|(i, v)| (names.get(i).cloned().unwrap_or_else(|| format!("dimension_{i}")), v))
            .collect();
        out.push(Variation { asin: a, dimensions, selected: a == selected });
    }
    if out.is_empty() { Field::Absent } else { Field::Read(out) }
}

/// The JSON value (object or array) after the `:` following `at`.
fn json_value_after(html: &str, at: usize) -> Option<&str> {
    let rest = &html[at..];
    let colon = rest.find(':')?;
    let body = rest[colon + 1..].trim_start();
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
        ] {
            assert_eq!(stock_status(text), Some(want), "{text}");
        }
        assert_eq!(stock_status("Lieferung Dienstag"), None);
    }

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

    #[test]
    fn ranks_in_many_languages() {
        let lines: Vec<String> = [
            "Best Sellers Rank: #16,222 in Kitchen (See Top 100 in Kitchen)",
            "#24 in Centrifugal Juicers",
            "Nr. 1.234.207 in Küche, Haushalt & Wohnen (Siehe Top 100 in Küche, Haushalt & Wohnen)",
            "n°66 dans Children's Self-Esteem Books (Livres anglais et étrangers)",
            "Nº 12,212 em Ferramentas e Materiais de Construção (Conheça o Top 100 na categoria X)",
            "- 4位ゲーム (の売れ筋ランキングを見るゲーム)",
            "1 892 338 en Cuisine & Maison",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let got: Vec<(u32, String)> =
            ranks_from_lines(&lines).into_iter().map(|r| (r.rank, r.category)).collect();
        assert_eq!(
            got,
            vec![
                (16222, "Kitchen".to_owned()),
                (24, "Centrifugal Juicers".to_owned()),
                (1234207, "Küche, Haushalt & Wohnen".to_owned()),
                (66, "Children's Self-Esteem Books (Livres anglais et étrangers)".to_owned()),
                (12212, "Ferramentas e Materiais de Construção".to_owned()),
                (4, "ゲーム".to_owned()),
                (1892338, "Cuisine & Maison".to_owned()),
            ]
        );
    }

    #[test]
    fn several_ranks_on_one_line_are_split() {
        let got =
            ranks_from_lines(&["#41,328 in Kindle Store #41 in Political Fiction (Kindle Store)".to_owned()]);
        assert_eq!(got.iter().map(|r| r.rank).collect::<Vec<_>>(), [41328, 41]);
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
