//! Star rating and the number of ratings beside it.

use super::{root, unparseable};
use crate::locale::{parse_count, parse_rating};
use crate::region::{IdIndex, attr_in_tag};
use crate::selectors as sel;
use crate::text::{first_text, fragment, text};
use amazcope_core::Rating;
use amazcope_core::model::page::Field;

pub(super) fn read_rating(idx: &IdIndex<'_>) -> (Field<Rating>, Field<u32>) {
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
