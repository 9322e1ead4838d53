//! What a page parser reads off an Amazon page: one typed outcome per kind of page, and for
//! every field its state (read, absent, or present but unparseable). Nothing defaults to 0.
//!
//! These types are produced by `amazcope-scrape` (or any other [`crate::PageSource`]) and
//! consumed by the services in this crate.

use crate::{Asin, Marketplace, Money, Rating};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

mod quality;
pub use quality::{FieldQuality, Quality, Reading, TrackedField};

/// The state of one field read from a page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(tag = "state", content = "value", rename_all = "snake_case")]
pub enum Field<T> {
    /// Read and parsed.
    Read(T),
    /// The page does not show it.
    #[default]
    Absent,
    /// The page shows something there that could not be read.
    Unparseable {
        /// The selector (or rule) that found the text.
        selector: String,
        /// The text found, trimmed.
        text: String,
    },
}

impl<T> Field<T> {
    /// The value, if read.
    pub fn value(&self) -> Option<&T> {
        match self {
            Field::Read(v) => Some(v),
            _ => None,
        }
    }
    /// The value, if read, by value.
    pub fn into_value(self) -> Option<T> {
        match self {
            Field::Read(v) => Some(v),
            _ => None,
        }
    }
    /// Whether the field was read.
    pub fn is_read(&self) -> bool {
        matches!(self, Field::Read(_))
    }
    /// Maps a read value.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Field<U> {
        match self {
            Field::Read(v) => Field::Read(f(v)),
            Field::Absent => Field::Absent,
            Field::Unparseable { selector, text } => Field::Unparseable { selector, text },
        }
    }
    /// `Read(v)` for `Some(v)`, `Absent` for `None`.
    pub fn from_option(v: Option<T>) -> Self {
        v.map_or(Field::Absent, Field::Read)
    }
}

/// One best-sellers rank line: `#1,234 in Electronics`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SalesRank {
    /// The rank, 1 = best.
    pub rank: u32,
    /// The category as shown.
    pub category: String,
    /// The category's best-seller list link, when the page gives one.
    pub link: Option<String>,
}

/// Whether the main item can be bought.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StockStatus {
    /// Add to Cart / Buy Now present, "In Stock", "Only 3 left".
    InStock,
    /// Temporarily out of stock.
    OutOfStock,
    /// "Currently unavailable", no buy box offer.
    Unavailable,
}

impl StockStatus {
    /// `true` only when the item can be bought now.
    pub fn in_stock(self) -> bool {
        matches!(self, StockStatus::InStock)
    }
}

/// Availability: the status and the text the page shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Availability {
    /// The status.
    pub status: StockStatus,
    /// The text as shown, in the page's language.
    pub text: Option<String>,
}

/// One variation of a product with its dimension values (`{"Size": "M", "Color": "Red"}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Variation {
    /// The child ASIN.
    pub asin: Asin,
    /// Dimension name to value.
    pub dimensions: BTreeMap<String, String>,
    /// Whether this is the variation the page shows.
    pub selected: bool,
}

/// A name/value pair from the details tables.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NameValue {
    /// The row label.
    pub name: String,
    /// The value.
    pub value: String,
}

/// A product detail page (`/dp/ASIN`, `/gp/product/ASIN`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScrapedProduct {
    /// The product the page is about (the selected variation, if any): the page's own ASIN,
    /// which may differ from the one requested (see [`ScrapedProduct::shows`]).
    pub asin: Asin,
    /// The parent ASIN of a variation family, when the page names one.
    #[serde(default)]
    pub parent_asin: Option<Asin>,
    /// The marketplace of the page.
    pub marketplace: Marketplace,
    /// The canonical URL, when the page gives one.
    pub url: Option<String>,
    /// `#productTitle`, whitespace collapsed.
    pub title: Field<String>,
    /// The byline brand, without "Visit the ... Store" / "Brand:".
    pub brand: Field<String>,
    /// The buy-box price of the main offer.
    pub price: Field<Money>,
    /// The struck-through reference price (List Price, Was, RRP, M.R.P., UVP...).
    pub list_price: Field<Money>,
    /// Average star rating.
    pub rating: Field<Rating>,
    /// Number of ratings.
    pub review_count: Field<u32>,
    /// Best-sellers ranks, main first.
    pub ranks: Field<Vec<SalesRank>>,
    /// Availability.
    pub availability: Field<Availability>,
    /// Prime badge on the main offer.
    pub is_prime: Field<bool>,
    /// Amazon's Choice badge keywords (`Read(vec![])` when the badge has none).
    pub amazons_choice: Field<Vec<String>>,
    /// Coupon text ("Save 5% with coupon").
    pub coupon: Field<String>,
    /// Deal badge text ("Limited time deal").
    pub deal_badge: Field<String>,
    /// Feature bullets.
    pub features: Field<Vec<String>>,
    /// Product description.
    pub description: Field<String>,
    /// Image URLs, main first.
    pub images: Field<Vec<String>>,
    /// Variations (child ASINs and their dimension values).
    pub variations: Field<Vec<Variation>>,
    /// Breadcrumb categories, root first.
    pub categories: Field<Vec<String>>,
    /// Seller ("Sold by").
    pub seller: Field<String>,
    /// Ships from.
    pub ships_from: Field<String>,
    /// Product dimensions as shown.
    pub dimensions: Field<String>,
    /// Item weight as shown.
    pub weight: Field<String>,
    /// Item model number.
    pub model_number: Field<String>,
    /// Technical details / product information rows.
    pub technical_details: Field<Vec<NameValue>>,
    /// "10K+ bought in past month".
    pub past_sales: Field<String>,
    /// Delivery message.
    pub delivery_message: Field<String>,
    /// Quality of the tracked values (price, list price, BSR, rating, review count, stock).
    #[serde(default)]
    pub quality: Quality,
}

impl ScrapedProduct {
    /// An empty page for `asin`: every field absent.
    pub fn empty(asin: Asin, marketplace: Marketplace) -> Self {
        Self {
            asin,
            marketplace,
            url: None,
            title: Field::Absent,
            brand: Field::Absent,
            price: Field::Absent,
            list_price: Field::Absent,
            rating: Field::Absent,
            review_count: Field::Absent,
            ranks: Field::Absent,
            availability: Field::Absent,
            is_prime: Field::Absent,
            amazons_choice: Field::Absent,
            coupon: Field::Absent,
            deal_badge: Field::Absent,
            features: Field::Absent,
            description: Field::Absent,
            images: Field::Absent,
            variations: Field::Absent,
            categories: Field::Absent,
            seller: Field::Absent,
            ships_from: Field::Absent,
            dimensions: Field::Absent,
            weight: Field::Absent,
            model_number: Field::Absent,
            technical_details: Field::Absent,
            past_sales: Field::Absent,
            delivery_message: Field::Absent,
            parent_asin: None,
            quality: Quality::default(),
        }
    }

    /// The quality to store with this page's snapshot: the parser's flags reconciled with the
    /// values present. A value that was read counts as `ok` unless its flag says `unparsed`
    /// or `blocked`; a flag `ok` without a value is `absent`; a value the page shows but that
    /// was not read ([`Field::Unparseable`]) is `unparsed`. So a page built in code (a test,
    /// an import from another source) gets flags that agree with its values.
    pub fn effective_quality(&self) -> Quality {
        let mut q = self.quality.clone();
        for f in TrackedField::ALL {
            let (read, unreadable) = match f {
                TrackedField::Price => {
                    (self.price.is_read(), matches!(self.price, Field::Unparseable { .. }))
                }
                TrackedField::ListPrice => {
                    (self.list_price.is_read(), matches!(self.list_price, Field::Unparseable { .. }))
                }
                TrackedField::Bsr => (
                    self.ranks.value().is_some_and(|r| !r.is_empty()),
                    matches!(self.ranks, Field::Unparseable { .. }),
                ),
                TrackedField::Rating => {
                    (self.rating.is_read(), matches!(self.rating, Field::Unparseable { .. }))
                }
                TrackedField::ReviewCount => {
                    (self.review_count.is_read(), matches!(self.review_count, Field::Unparseable { .. }))
                }
                TrackedField::Stock => {
                    (self.availability.is_read(), matches!(self.availability, Field::Unparseable { .. }))
                }
            };
            let flag = q.get(f);
            let fixed = match (flag, read) {
                (FieldQuality::Unparsed | FieldQuality::Blocked, _) => flag,
                (_, true) => FieldQuality::Ok,
                (_, false) if unreadable => FieldQuality::Unparsed,
                (_, false) => FieldQuality::Absent,
            };
            q.set(f, fixed);
        }
        q
    }

    /// The child ASINs of the page's variation family (the page's own included when listed).
    pub fn variation_asins(&self) -> Vec<Asin> {
        self.variations.value().map(|v| v.iter().map(|v| v.asin).collect()).unwrap_or_default()
    }

    /// Whether this page is about `requested`: its own ASIN, its parent, or one of its
    /// variations. Amazon may serve the selected child or the parent for a requested ASIN;
    /// a page that `shows` the requested ASIN belongs to the requested product.
    pub fn shows(&self, requested: Asin) -> bool {
        self.asin == requested
            || self.parent_asin == Some(requested)
            || self.variations.value().is_some_and(|v| v.iter().any(|v| v.asin == requested))
    }
}

/// One entry of a best-seller list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BestsellerItem {
    /// Position in the list, 1 = best.
    pub rank: u32,
    /// The product.
    pub asin: Asin,
    /// Name as listed.
    pub title: Field<String>,
    /// Price as listed (the low end of a range).
    pub price: Field<Money>,
    /// Rating.
    pub rating: Field<Rating>,
    /// Number of ratings.
    pub review_count: Field<u32>,
    /// Thumbnail.
    pub image_url: Option<String>,
}

/// A best-seller list page (zgbs).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BestsellerPage {
    /// The marketplace.
    pub marketplace: Marketplace,
    /// The category name as shown.
    pub category: Field<String>,
    /// The category path from the list's navigation, root first, when shown.
    pub category_path: Vec<String>,
    /// The category slug of `/gp/bestsellers/<slug>/...`, or its browse-node id.
    pub category_id: Option<String>,
    /// The list's URL, when the page gives one.
    pub url: Option<String>,
    /// Entries in rank order.
    pub items: Vec<BestsellerItem>,
}

/// One review as shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScrapedReview {
    /// Amazon's review id (`R1ABC...`).
    pub review_id: String,
    /// Stars.
    pub rating: Field<Rating>,
    /// Title.
    pub title: Field<String>,
    /// Body.
    pub text: Field<String>,
    /// Author.
    pub author: Field<String>,
    /// Review date (localized on the page).
    pub date: Field<NaiveDate>,
    /// "Verified Purchase".
    pub verified_purchase: bool,
    /// "12 people found this helpful".
    pub helpful_votes: Field<u32>,
    /// The variation reviewed ("Size: M | Color: Red").
    pub variant: Field<String>,
}

/// A product-reviews page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReviewPage {
    /// The marketplace.
    pub marketplace: Marketplace,
    /// The reviewed product, when the page says.
    pub asin: Option<Asin>,
    /// Reviews in page order.
    pub items: Vec<ScrapedReview>,
}

/// One product on a search, browse or offers page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ListingItem {
    /// The product.
    pub asin: Asin,
    /// Title as listed.
    pub title: Field<String>,
    /// Price as listed.
    pub price: Field<Money>,
}

/// A search, browse or offers page: not a product, but a list of products.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ListingPage {
    /// The marketplace.
    pub marketplace: Marketplace,
    /// The product the page is about (offers pages).
    pub asin: Option<Asin>,
    /// Products in page order.
    pub items: Vec<ListingItem>,
}

/// The kind of a page, as `amazcope parse --json` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PageKind {
    /// Product detail page.
    Product,
    /// Best-seller list.
    Bestsellers,
    /// Product reviews.
    Reviews,
    /// All offers.
    Offers,
    /// Category / browse / store page.
    Browse,
    /// Search results.
    Search,
    /// Robot check, captcha, WAF challenge.
    Captcha,
    /// 404 / dogs of Amazon.
    NotFound,
    /// "Sorry! Something went wrong".
    ErrorPage,
}

impl PageKind {
    /// The name used in JSON (`not_found`).
    pub fn as_str(self) -> &'static str {
        match self {
            PageKind::Product => "product",
            PageKind::Bestsellers => "bestsellers",
            PageKind::Reviews => "reviews",
            PageKind::Offers => "offers",
            PageKind::Browse => "browse",
            PageKind::Search => "search",
            PageKind::Captcha => "captcha",
            PageKind::NotFound => "not_found",
            PageKind::ErrorPage => "error_page",
        }
    }
}

/// What a page turned out to be. Pages that are not what was asked for get their own
/// variant, never a product with empty fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ParsedPage {
    /// A product detail page.
    Product(Box<ScrapedProduct>),
    /// A best-seller list.
    Bestsellers(BestsellerPage),
    /// A reviews page.
    Reviews(ReviewPage),
    /// An all-offers page.
    Offers(ListingPage),
    /// A search results page.
    Search(ListingPage),
    /// A category / browse page.
    Browse(ListingPage),
    /// A robot check or captcha.
    Captcha {
        /// The marketplace, when recognisable.
        marketplace: Option<Marketplace>,
    },
    /// A 404 page.
    NotFound {
        /// The marketplace, when recognisable.
        marketplace: Option<Marketplace>,
    },
    /// "Sorry! Something went wrong".
    ErrorPage {
        /// The marketplace, when recognisable.
        marketplace: Option<Marketplace>,
    },
}

impl ParsedPage {
    /// The page's kind.
    pub fn kind(&self) -> PageKind {
        match self {
            ParsedPage::Product(_) => PageKind::Product,
            ParsedPage::Bestsellers(_) => PageKind::Bestsellers,
            ParsedPage::Reviews(_) => PageKind::Reviews,
            ParsedPage::Offers(_) => PageKind::Offers,
            ParsedPage::Search(_) => PageKind::Search,
            ParsedPage::Browse(_) => PageKind::Browse,
            ParsedPage::Captcha { .. } => PageKind::Captcha,
            ParsedPage::NotFound { .. } => PageKind::NotFound,
            ParsedPage::ErrorPage { .. } => PageKind::ErrorPage,
        }
    }

    /// The page's marketplace, when known.
    pub fn marketplace(&self) -> Option<Marketplace> {
        match self {
            ParsedPage::Product(p) => Some(p.marketplace),
            ParsedPage::Bestsellers(p) => Some(p.marketplace),
            ParsedPage::Reviews(p) => Some(p.marketplace),
            ParsedPage::Offers(p) | ParsedPage::Search(p) | ParsedPage::Browse(p) => Some(p.marketplace),
            ParsedPage::Captcha { marketplace }
            | ParsedPage::NotFound { marketplace }
            | ParsedPage::ErrorPage { marketplace } => *marketplace,
        }
    }
}

/// A page together with where and when it was had.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FetchedPage {
    /// URL or file path it came from.
    pub source: String,
    /// When it was fetched (or, for a saved file, the time the caller assigns).
    pub fetched_at: DateTime<Utc>,
    /// What it is.
    pub page: ParsedPage,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quality_serializes_snake_case_with_readings_only_when_unparsed() {
        let mut q = Quality::default();
        q.set(TrackedField::Price, FieldQuality::Unparsed);
        q.set(TrackedField::Stock, FieldQuality::Ok);
        q.readings.insert(
            TrackedField::Price,
            vec![
                Reading { source: "buy box".into(), text: "8.99 USD".into() },
                Reading { source: "priceAmount".into(), text: "1.23".into() },
            ],
        );
        let v = serde_json::to_value(&q).expect("json");
        assert_eq!(v["price"], "unparsed");
        assert_eq!(v["list_price"], "absent");
        assert_eq!(v["stock"], "ok");
        assert_eq!(v["readings"]["price"][1]["text"], "1.23");
        let back: Quality = serde_json::from_value(v).expect("round trip");
        assert_eq!(back, q);
        // Snapshots stored before quality existed read as all absent.
        assert_eq!(serde_json::from_str::<Quality>("{}").expect("empty"), Quality::default());
        assert_eq!(Quality::blocked().get(TrackedField::Bsr), FieldQuality::Blocked);
    }

    #[test]
    fn a_page_shows_its_own_asin_its_parent_and_its_variations() {
        let asin = |s: &str| s.parse::<Asin>().expect("asin");
        let mut p = ScrapedProduct::empty(asin("B0057OC5O8"), Marketplace::Com);
        p.parent_asin = Some(asin("B0B31MHVGM"));
        p.variations = Field::Read(vec![Variation {
            asin: asin("B0057OC5O9"),
            dimensions: BTreeMap::new(),
            selected: false,
        }]);
        for a in ["B0057OC5O8", "B0B31MHVGM", "B0057OC5O9"] {
            assert!(p.shows(asin(a)), "{a}");
        }
        assert!(!p.shows(asin("B000000000")));
        assert_eq!(p.variation_asins(), [asin("B0057OC5O9")]);
    }
}
