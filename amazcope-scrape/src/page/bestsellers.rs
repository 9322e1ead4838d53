//! Best-seller list pages (`/gp/bestsellers/...`, `/zgbs/...`).

use crate::locale::{parse_count, parse_money, parse_rating};
use crate::page::detect::canonical;
use crate::selectors as sel;
use crate::text::{first_text, fragment, text};
use amazcope_core::model::page::{BestsellerItem, BestsellerPage, Field};
use amazcope_core::{Asin, Marketplace, Rating};
use scraper::ElementRef;

pub(crate) fn parse(html: &str, marketplace: Marketplace) -> BestsellerPage {
    let doc = fragment(html);
    let root = doc.root_element();
    // The list's heading ("Best Sellers in Tools & Home Improvement") rather than the page
    // banner before it ("Amazon Best Sellers"), which names no category.
    let titles: Vec<String> = root.select(&sel::ZG_TITLE).map(text).filter(|t| !t.is_empty()).collect();
    let category = titles
        .iter()
        .find_map(|t| category_in_title(t))
        .or_else(|| titles.first().map(|t| t.trim().to_owned()));
    let url = canonical(html).map(str::to_owned);
    let category_id = url.as_deref().and_then(category_slug);
    let mut items = Vec::new();
    for (i, item) in root.select(&sel::ZG_ITEM).enumerate() {
        if let Some(it) = read_item(item, i, marketplace) {
            items.push(it);
        }
    }
    if items.is_empty() {
        items = carousel_items(html);
    }
    BestsellerPage {
        marketplace,
        category: category.filter(|c| !c.is_empty()).map_or(Field::Absent, Field::Read),
        category_path: Vec::new(),
        category_id,
        url,
        items,
    }
}

/// "Best Sellers in Tools & Home Improvement" / "Bestseller in Elektronik & Foto" → the
/// category; `None` for a heading that names none.
fn category_in_title(t: &str) -> Option<String> {
    [" in der ", " in ", " en ", " em ", " dans ", " nella "]
        .iter()
        .find_map(|sep| t.split_once(sep))
        .map(|(_, c)| c.trim().to_owned())
        .filter(|c| !c.is_empty())
}

fn category_slug(url: &str) -> Option<String> {
    for marker in ["/zgbs/", "/gp/bestsellers/"] {
        if let Some(i) = url.find(marker) {
            let rest = &url[i + marker.len()..];
            let slug: String = rest.chars().take_while(|c| *c != '/' && *c != '?' && *c != '&').collect();
            if !slug.is_empty() && !slug.starts_with("ref=") {
                return Some(slug);
            }
        }
    }
    None
}

fn read_item(item: ElementRef<'_>, index: usize, mp: Marketplace) -> Option<BestsellerItem> {
    let asin: Asin = item
        .select(&sel::DATA_ASIN)
        .filter_map(|e| e.value().attr("data-asin"))
        .chain(item.value().attr("data-asin"))
        .find_map(|a| a.parse().ok())
        .or_else(|| {
            item.select(&sel::DP_LINK).find_map(|a| a.value().attr("href").and_then(Asin::from_url))
        })?;
    let rank = first_text(item, &sel::ZG_RANK)
        .and_then(|t| parse_count(&t))
        .and_then(|n| u32::try_from(n).ok())
        .unwrap_or(u32::try_from(index + 1).unwrap_or(u32::MAX));
    let title = item
        .select(&sel::IMG)
        .filter_map(|i| i.value().attr("alt"))
        .map(str::trim)
        .find(|a| !a.is_empty())
        .map(str::to_owned)
        .or_else(|| {
            item.select(&sel::DP_LINK).map(text).find(|t| t.len() > 3 && parse_money(t, Some(mp)).is_err())
        });
    let price = match first_text(item, &sel::ZG_PRICE) {
        Some(t) => parse_money(&t, Some(mp))
            .map_or_else(|_| Field::Unparseable { selector: "p13n-sc-price".into(), text: t }, Field::Read),
        None => Field::Absent,
    };
    let rating = item
        .select(&sel::ICON_ALT)
        .map(text)
        .find_map(|t| parse_rating(&t))
        .and_then(|v| Rating::new(v).ok())
        .map_or(Field::Absent, Field::Read);
    let review_count = item
        .select(&sel::REVIEWS_LINK)
        .map(text)
        .filter(|t| !t.contains(' ') || t.chars().filter(|c| c.is_alphabetic()).count() < 3)
        .find_map(|t| parse_count(&t))
        .and_then(|n| u32::try_from(n).ok())
        .map_or(Field::Absent, Field::Read);
    let image_url = item.select(&sel::IMG).find_map(|i| i.value().attr("src")).map(str::to_owned);
    Some(BestsellerItem {
        rank,
        asin,
        title: title.map_or(Field::Absent, Field::Read),
        price,
        rating,
        review_count,
        image_url,
    })
}

/// The best-sellers landing page (`/gp/bestsellers` without a category) renders no items:
/// each category's list is a carousel whose `data-a-carousel-options` JSON names the ASINs
/// with `render.zg.rank`. The first carousel is the page's first list.
fn carousel_items(html: &str) -> Vec<BestsellerItem> {
    let Some(lt) = crate::region::tags_containing(html, "data-a-carousel-options=").next() else {
        return Vec::new();
    };
    let Some(raw) = crate::region::attr_in_tag(html, lt, "data-a-carousel-options") else {
        return Vec::new();
    };
    let json = raw.replace("&quot;", "\"").replace("&amp;", "&");
    let Ok(v) = serde_json::from_str::<serde_json::Value>(&json) else { return Vec::new() };
    let Some(list) = v.pointer("/ajax/id_list").and_then(|l| l.as_array()) else { return Vec::new() };
    let mut out = Vec::new();
    for (i, entry) in list.iter().enumerate() {
        let parsed: Option<serde_json::Value> = match entry {
            serde_json::Value::String(s) => serde_json::from_str(s).ok(),
            other => Some(other.clone()),
        };
        let Some(e) = parsed else { continue };
        let Some(asin) = e.get("id").and_then(|a| a.as_str()).and_then(|a| a.parse::<Asin>().ok()) else {
            continue;
        };
        let rank = e
            .pointer("/metadataMap/render.zg.rank")
            .and_then(|r| r.as_str())
            .and_then(|r| r.parse().ok())
            .unwrap_or(u32::try_from(i + 1).unwrap_or(u32::MAX));
        out.push(BestsellerItem {
            rank,
            asin,
            title: Field::Absent,
            price: Field::Absent,
            rating: Field::Absent,
            review_count: Field::Absent,
            image_url: None,
        });
    }
    out
}
