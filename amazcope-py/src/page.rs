//! `amazcope.Page`: what `amazcope.parse` returns, with the fields and kinds of
//! `amazcope parse --json`, as typed attributes.

use crate::convert::{field_str, money_amount};
use amazcope_core::model::page::{Field, ParsedPage, ScrapedProduct};
use chrono::NaiveDate;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use rust_decimal::Decimal;
use std::collections::BTreeMap;

/// One entry of a list page (best-sellers, reviews, search, offers, browse).
#[derive(Debug, Clone, Default)]
pub struct Item {
    asin: Option<String>,
    rank: Option<u32>,
    title: Option<String>,
    price: Option<Decimal>,
    currency: Option<String>,
    rating: Option<f64>,
    review_count: Option<u32>,
    image_url: Option<String>,
    review_id: Option<String>,
    author: Option<String>,
    text: Option<String>,
    date: Option<NaiveDate>,
    verified_purchase: Option<bool>,
    helpful_votes: Option<u32>,
    variant: Option<String>,
}

impl Item {
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        // Keys a kind never has are left out, so a review item does not carry `rank: None`.
        macro_rules! put {
            ($($name:ident),*) => {$(
                if let Some(v) = &self.$name {
                    d.set_item(stringify!($name), v)?;
                }
            )*};
        }
        put!(
            rank,
            asin,
            title,
            price,
            currency,
            rating,
            review_count,
            image_url,
            review_id,
            author,
            text,
            date,
            verified_purchase,
            helpful_votes,
            variant
        );
        Ok(d)
    }
}

/// One variation of a product.
#[derive(Debug, Clone)]
struct Variation {
    asin: String,
    dimensions: BTreeMap<String, String>,
    selected: bool,
}

/// A parsed Amazon page. `kind` says what the page is (`product`, `bestsellers`, `reviews`,
/// `offers`, `search`, `browse`, `captcha`, `not_found`, `error_page`); product fields are
/// `None` where the page does not show them, and `unparseable` lists fields whose text was
/// there but could not be read.
/// A parsed Amazon page. `kind` says what the page is (`product`, `bestsellers`, `reviews`,
/// `offers`, `search`, `browse`, `captcha`, `not_found`, `error_page`); product fields are
/// `None` where the page does not show them, and `unparseable` lists fields whose text was
/// there but could not be read.
#[pyclass(module = "amazcope", frozen)]
#[derive(Debug, Clone, Default)]
pub struct Page {
    /// What the page is.
    #[pyo3(get)]
    kind: String,
    /// Domain suffix (`com`, `co.uk`), `None` when unrecognisable.
    #[pyo3(get)]
    marketplace: Option<String>,
    /// The product the page is about.
    #[pyo3(get)]
    asin: Option<String>,
    /// Canonical URL.
    #[pyo3(get)]
    url: Option<String>,
    /// Title, or the category name of a best-seller list.
    #[pyo3(get)]
    title: Option<String>,
    /// Byline brand.
    #[pyo3(get)]
    brand: Option<String>,
    /// Buy-box price.
    #[pyo3(get)]
    price: Option<Decimal>,
    /// Struck-through reference price.
    #[pyo3(get)]
    list_price: Option<Decimal>,
    /// ISO code of `price` (else of `list_price`).
    #[pyo3(get)]
    currency: Option<String>,
    /// Average stars.
    #[pyo3(get)]
    rating: Option<f64>,
    /// Number of ratings.
    #[pyo3(get)]
    review_count: Option<u32>,
    /// Best-sellers ranks, main first, as (rank, category).
    #[pyo3(get)]
    bsr: Vec<(u32, String)>,
    /// Whether the main item can be bought now.
    #[pyo3(get)]
    in_stock: Option<bool>,
    /// Availability text as shown.
    #[pyo3(get)]
    availability: Option<String>,
    /// Prime badge.
    #[pyo3(get)]
    is_prime: Option<bool>,
    /// Amazon's Choice keywords (`[]` for a badge without keywords, `None` without badge).
    #[pyo3(get)]
    amazons_choice: Option<Vec<String>>,
    /// Coupon text.
    #[pyo3(get)]
    coupon: Option<String>,
    /// Deal badge text.
    #[pyo3(get)]
    deal_badge: Option<String>,
    /// Feature bullets.
    #[pyo3(get)]
    features: Vec<String>,
    /// Description.
    #[pyo3(get)]
    description: Option<String>,
    /// Image URLs, main first.
    #[pyo3(get)]
    images: Vec<String>,
    /// Breadcrumb categories, root first (the category path of a best-seller list).
    #[pyo3(get)]
    categories: Vec<String>,
    /// Sold by.
    #[pyo3(get)]
    seller: Option<String>,
    /// Ships from.
    #[pyo3(get)]
    ships_from: Option<String>,
    /// Field name to the text found there that could not be read.
    #[pyo3(get)]
    unparseable: BTreeMap<String, String>,
    variations: Vec<Variation>,
    items: Vec<Item>,
}

/// Attribute names in `to_dict` order (the `amazcope parse --json` fields first).
const FIELDS: &[&str] = &[
    "kind",
    "marketplace",
    "asin",
    "url",
    "title",
    "brand",
    "price",
    "list_price",
    "currency",
    "rating",
    "review_count",
    "bsr",
    "in_stock",
    "availability",
    "is_prime",
    "amazons_choice",
    "coupon",
    "deal_badge",
    "features",
    "description",
    "images",
    "categories",
    "seller",
    "ships_from",
    "unparseable",
];

#[pymethods]
impl Page {
    /// Variations of the product: dicts with `asin`, `dimensions` (name to value) and
    /// `selected`.
    #[getter]
    fn variations<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let list = PyList::empty(py);
        for v in &self.variations {
            let d = PyDict::new(py);
            d.set_item("asin", &v.asin)?;
            d.set_item("dimensions", &v.dimensions)?;
            d.set_item("selected", v.selected)?;
            list.append(d)?;
        }
        Ok(list)
    }

    /// Entries of a list page, in page order, as dicts: best-sellers (`rank`, `asin`,
    /// `title`, `price`, `currency`, `rating`, `review_count`, `image_url`), reviews
    /// (`review_id`, `rating`, `title`, `text`, `author`, `date`, `verified_purchase`,
    /// `helpful_votes`, `variant`), search/offers/browse (`asin`, `title`, `price`,
    /// `currency`). Empty for product pages.
    #[getter]
    fn items<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let list = PyList::empty(py);
        for item in &self.items {
            list.append(item.to_dict(py)?)?;
        }
        Ok(list)
    }

    /// Every attribute as a plain dict (prices stay `decimal.Decimal`).
    fn to_dict<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyDict>> {
        let py = slf.py();
        let d = PyDict::new(py);
        for name in FIELDS {
            d.set_item(*name, slf.getattr(*name)?)?;
        }
        d.set_item("variations", slf.get().variations(py)?)?;
        d.set_item("items", slf.get().items(py)?)?;
        Ok(d)
    }

    fn __repr__(&self) -> String {
        let what = match (&self.asin, &self.title) {
            (Some(a), Some(t)) => format!(" {a} {:?}", t.chars().take(40).collect::<String>()),
            (Some(a), None) => format!(" {a}"),
            (None, _) if !self.items.is_empty() => format!(" {} items", self.items.len()),
            _ => String::new(),
        };
        format!("<Page {} {}{}>", self.kind, self.marketplace.as_deref().unwrap_or("?"), what)
    }
}

fn read<T: Clone>(name: &str, f: &Field<T>, unparseable: &mut BTreeMap<String, String>) -> Option<T> {
    match f {
        Field::Read(v) => Some(v.clone()),
        Field::Absent => None,
        Field::Unparseable { text, .. } => {
            unparseable.insert(name.to_string(), text.clone());
            None
        }
    }
}

fn from_product(p: &ScrapedProduct) -> Page {
    let mut u = BTreeMap::new();
    let price = read("price", &p.price, &mut u);
    let list_price = read("list_price", &p.list_price, &mut u);
    let currency = price.or(list_price).map(|m| m.currency.to_string());
    let availability = read("availability", &p.availability, &mut u);
    Page {
        kind: "product".into(),
        marketplace: Some(p.marketplace.code().to_string()),
        asin: Some(p.asin.to_string()),
        url: p.url.clone(),
        title: read("title", &p.title, &mut u),
        brand: read("brand", &p.brand, &mut u),
        price: money_amount(price),
        list_price: money_amount(list_price),
        currency,
        rating: read("rating", &p.rating, &mut u).map(|r| r.get()),
        review_count: read("review_count", &p.review_count, &mut u),
        bsr: read("bsr", &p.ranks, &mut u)
            .unwrap_or_default()
            .into_iter()
            .map(|r| (r.rank, r.category))
            .collect(),
        in_stock: availability.as_ref().map(|a| a.status.in_stock()),
        availability: availability.and_then(|a| a.text),
        is_prime: read("is_prime", &p.is_prime, &mut u),
        amazons_choice: read("amazons_choice", &p.amazons_choice, &mut u),
        coupon: read("coupon", &p.coupon, &mut u),
        deal_badge: read("deal_badge", &p.deal_badge, &mut u),
        features: read("features", &p.features, &mut u).unwrap_or_default(),
        description: read("description", &p.description, &mut u),
        images: read("images", &p.images, &mut u).unwrap_or_default(),
        categories: read("categories", &p.categories, &mut u).unwrap_or_default(),
        seller: read("seller", &p.seller, &mut u),
        ships_from: read("ships_from", &p.ships_from, &mut u),
        variations: read("variations", &p.variations, &mut u)
            .unwrap_or_default()
            .into_iter()
            .map(|v| Variation { asin: v.asin.to_string(), dimensions: v.dimensions, selected: v.selected })
            .collect(),
        unparseable: u,
        ..Page::default()
    }
}

impl From<&ParsedPage> for Page {
    fn from(page: &ParsedPage) -> Self {
        let kind = page.kind().as_str().to_string();
        let marketplace = page.marketplace().map(|m| m.code().to_string());
        let base = || Page { kind: kind.clone(), marketplace: marketplace.clone(), ..Page::default() };
        match page {
            ParsedPage::Product(p) => from_product(p),
            ParsedPage::Bestsellers(b) => {
                let mut u = BTreeMap::new();
                let title = read("title", &b.category, &mut u);
                let items = b
                    .items
                    .iter()
                    .map(|i| {
                        let price = i.price.value().copied();
                        Item {
                            rank: Some(i.rank),
                            asin: Some(i.asin.to_string()),
                            title: field_str(&i.title),
                            price: price.map(|m| m.amount),
                            currency: price.map(|m| m.currency.to_string()),
                            rating: i.rating.value().map(|r| r.get()),
                            review_count: i.review_count.value().copied(),
                            image_url: i.image_url.clone(),
                            ..Item::default()
                        }
                    })
                    .collect();
                Page {
                    title,
                    url: b.url.clone(),
                    categories: b.category_path.clone(),
                    items,
                    unparseable: u,
                    ..base()
                }
            }
            ParsedPage::Reviews(r) => {
                let items = r
                    .items
                    .iter()
                    .map(|i| Item {
                        review_id: Some(i.review_id.clone()),
                        rating: i.rating.value().map(|r| r.get()),
                        title: field_str(&i.title),
                        text: field_str(&i.text),
                        author: field_str(&i.author),
                        date: i.date.value().copied(),
                        verified_purchase: Some(i.verified_purchase),
                        helpful_votes: i.helpful_votes.value().copied(),
                        variant: field_str(&i.variant),
                        ..Item::default()
                    })
                    .collect();
                Page { asin: r.asin.map(|a| a.to_string()), items, ..base() }
            }
            ParsedPage::Offers(l) | ParsedPage::Search(l) | ParsedPage::Browse(l) => {
                let items = l
                    .items
                    .iter()
                    .map(|i| {
                        let price = i.price.value().copied();
                        Item {
                            asin: Some(i.asin.to_string()),
                            title: field_str(&i.title),
                            price: price.map(|m| m.amount),
                            currency: price.map(|m| m.currency.to_string()),
                            ..Item::default()
                        }
                    })
                    .collect();
                Page { asin: l.asin.map(|a| a.to_string()), items, ..base() }
            }
            ParsedPage::Captcha { .. } | ParsedPage::NotFound { .. } | ParsedPage::ErrorPage { .. } => base(),
        }
    }
}
