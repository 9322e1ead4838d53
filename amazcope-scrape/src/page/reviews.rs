//! Product-review pages (`/product-reviews/ASIN`).

use crate::locale::{parse_count, parse_date, parse_rating};
use crate::page::detect::canonical;
use crate::region::IdIndex;
use crate::selectors as sel;
use crate::text::{first_text, fragment, text};
use amazcope_core::model::page::{Field, ReviewPage, ScrapedReview};
use amazcope_core::{Asin, Marketplace, Rating};
use scraper::ElementRef;

pub(crate) fn parse(html: &str, marketplace: Marketplace) -> ReviewPage {
    let idx = IdIndex::new(html);
    let asin = canonical(html).and_then(Asin::from_url);
    let region = idx.element("cm_cr-review_list").unwrap_or(html);
    let doc = fragment(region);
    let items = doc.root_element().select(&sel::REVIEW).filter_map(read_review).collect();
    ReviewPage { marketplace, asin, items }
}

fn field<T>(v: Option<T>) -> Field<T> {
    v.map_or(Field::Absent, Field::Read)
}

fn read_review(r: ElementRef<'_>) -> Option<ScrapedReview> {
    let review_id = r.value().id()?.trim_start_matches("customer_review-").to_owned();
    let stars_text = first_text(r, &sel::REVIEW_STARS)
        .or_else(|| r.select(&sel::REVIEW_TITLE).next().and_then(|t| first_text(t, &sel::ICON_ALT)));
    let rating = match &stars_text {
        Some(t) => parse_rating(t).and_then(|v| Rating::new(v).ok()).map_or_else(
            || Field::Unparseable { selector: "[data-hook=review-star-rating]".into(), text: t.clone() },
            Field::Read,
        ),
        None => Field::Absent,
    };
    // The title link holds the stars' alt text, a spacer and the title.
    let title = r.select(&sel::REVIEW_TITLE).next().map(|t| {
        let all = text(t);
        match first_text(t, &sel::ICON_ALT) {
            Some(alt) => all.replacen(&alt, "", 1).trim().to_owned(),
            None => all,
        }
    });
    let date_text = first_text(r, &sel::REVIEW_DATE);
    let date = match &date_text {
        Some(t) => parse_date(t).map_or_else(
            || Field::Unparseable { selector: "[data-hook=review-date]".into(), text: t.clone() },
            Field::Read,
        ),
        None => Field::Absent,
    };
    let helpful = first_text(r, &sel::REVIEW_HELPFUL).map(|t| helpful_votes(&t));
    Some(ScrapedReview {
        review_id,
        rating,
        title: field(title.filter(|t| !t.is_empty())),
        text: field(first_text(r, &sel::REVIEW_BODY)),
        author: field(first_text(r, &sel::REVIEW_AUTHOR)),
        date,
        verified_purchase: r.select(&sel::REVIEW_VERIFIED).next().is_some(),
        helpful_votes: helpful.unwrap_or(Field::Absent),
        variant: field(first_text(r, &sel::REVIEW_VARIANT)),
    })
}

/// "12 people found this helpful", "One person found this helpful", "Una persona lo ha
/// trovato utile", "Eine Person fand diese Informationen hilfreich".
fn helpful_votes(t: &str) -> Field<u32> {
    if let Some(n) = parse_count(t).and_then(|n| u32::try_from(n).ok()) {
        return Field::Read(n);
    }
    let l = t.to_lowercase();
    let one =
        ["one person", "eine person", "une personne", "una persona", "uma pessoa", "één persoon", "1人"];
    if one.iter().any(|w| l.contains(w)) {
        return Field::Read(1);
    }
    Field::Unparseable { selector: "[data-hook=helpful-vote-statement]".into(), text: t.to_owned() }
}
