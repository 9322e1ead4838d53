//! Star rating and the number of ratings beside it.

use super::{Readings, disagree, root, unparseable};
use crate::locale::{parse_count, parse_rating};
use crate::region::{IdIndex, attr_in_tag, element_at, tags_containing};
use crate::selectors as sel;
use crate::text::{first_text, fragment, text};
use amazcope_core::Rating;
use amazcope_core::model::page::{Field, TrackedField};

/// Text of the first element in `region` whose start tag holds `needle`.
fn hook_text(region: &str, needle: &str) -> Option<String> {
    let lt = tags_containing(region, needle).next()?;
    let el = element_at(region, lt)?;
    Some(text(root(&fragment(el)))).filter(|t| !t.is_empty())
}

/// The review summary's own reading (`#reviewsMedley`, 2019+): "4.6 out of 5" and
/// "422 global ratings" / "8 customer reviews", a second source for the stars above.
fn medley(idx: &IdIndex<'_>) -> (Option<String>, Option<String>) {
    let Some(region) = idx.element("reviewsMedley") else { return (None, None) };
    let rating = hook_text(region, "data-hook=\"rating-out-of-text\"");
    let count = hook_text(region, "data-hook=\"total-review-count\"");
    (rating, count)
}

fn rating_of(t: &str) -> Option<Rating> {
    parse_rating(t).and_then(|v| Rating::new(v).ok())
}

fn count_of(t: &str) -> Option<u32> {
    parse_count(t).and_then(|n| u32::try_from(n).ok())
}

/// Star rating and number of ratings, each checked against the review summary where the
/// page has one; readings that disagree make the field unparsed (both kept in `readings`).
pub(super) fn read_rating(idx: &IdIndex<'_>, readings: &mut Readings) -> (Field<Rating>, Field<u32>) {
    let (medley_rating, medley_count) = medley(idx);
    // 2016+ `#acrPopover`; mobile pages `#acrCustomerReviewLink`; Prime Video `#reviewStars`;
    // books layout `#averageCustomerReviews` (stars without the popover id).
    let stars = ["acrPopover", "acrCustomerReviewLink", "reviewStars", "averageCustomerReviews"]
        .iter()
        .filter_map(|id| idx.element(id).map(|r| (*id, r)));
    let mut rating_text = String::new();
    let mut rating = Field::Absent;
    for (id, region) in stars {
        let title = attr_in_tag(region, 0, "title").map(str::to_owned);
        let h = fragment(region);
        let r = root(&h);
        let t = title
            .filter(|t| !t.is_empty())
            .or_else(|| first_text(r, &sel::ICON_ALT))
            .or_else(|| star_icon(r))
            .unwrap_or_default();
        // A block without stars (the count link of the books layout): try the next.
        if t.is_empty() {
            continue;
        }
        rating_text.clone_from(&t);
        // 2023+: the number also stands visibly beside the stars.
        let visible = first_text(r, &sel::RATING_NUMBER).filter(|v| rating_of(v).is_some());
        rating = match rating_of(&t) {
            Some(v) => match visible {
                Some(vis) if rating_of(&vis).is_some_and(|w| (w.get() - v.get()).abs() >= 0.05) => disagree(
                    readings,
                    TrackedField::Rating,
                    &[(&format!("#{id} title"), &t), (&format!("#{id} .a-color-base"), &vis)],
                ),
                _ => Field::Read(v),
            },
            None => unparseable(&format!("#{id}"), &t),
        };
        break;
    }
    rating = cross_check(
        rating,
        &rating_text,
        medley_rating.as_deref(),
        readings,
        TrackedField::Rating,
        rating_of,
        |a, b| (a.get() - b.get()).abs() < 0.05,
    );
    // Count beside the stars: `#acrCustomerReviewText`; mobile `#acrCustomerReviewLink`
    // ("(58)" after the stars' alt text); Prime Video `#reviewLink` ("(84 customer reviews)").
    let counts = ["acrCustomerReviewText", "acrCustomerReviewLink", "reviewLink"]
        .iter()
        .find_map(|id| idx.element(id));
    let mut count_text = String::new();
    let mut count = match counts {
        Some(region) => {
            let h = fragment(region);
            let mut t = text(root(&h));
            if let Some(alt) = first_text(root(&h), &sel::ICON_ALT) {
                t = t.replacen(&alt, "", 1).trim().to_owned();
            }
            count_text.clone_from(&t);
            match count_of(&t) {
                Some(n) => Field::Read(n),
                None if t.is_empty() => Field::Absent,
                None => unparseable("#acrCustomerReviewText", &t),
            }
        }
        None => Field::Absent,
    };
    count = cross_check(
        count,
        &count_text,
        medley_count.as_deref(),
        readings,
        TrackedField::ReviewCount,
        count_of,
        |a, b| a == b,
    );
    (rating, count)
}

/// Alt text or `data-rating` of a star icon (books layouts).
fn star_icon(r: scraper::ElementRef<'_>) -> Option<String> {
    let e = r.select(&sel::STAR_ICON).next()?;
    e.value().attr("data-rating").map(str::to_owned).or_else(|| Some(text(e))).filter(|t| !t.is_empty())
}

/// Checks a field read from the main block against the review summary: agreeing readings
/// stay, a disagreeing one makes the field unparsed, and the summary alone is taken when the
/// main block shows nothing (books layouts without the stars block).
fn cross_check<T: Clone>(
    main: Field<T>,
    main_text: &str,
    second: Option<&str>,
    readings: &mut Readings,
    field: TrackedField,
    read: impl Fn(&str) -> Option<T>,
    same: impl Fn(&T, &T) -> bool,
) -> Field<T> {
    let Some(second) = second else { return main };
    let Some(b) = read(second) else { return main };
    match &main {
        Field::Read(a) if same(a, &b) => main,
        Field::Read(_) => {
            disagree(readings, field, &[("stars block", main_text), ("#reviewsMedley", second)])
        }
        Field::Absent => Field::Read(b),
        Field::Unparseable { .. } => main,
    }
}
