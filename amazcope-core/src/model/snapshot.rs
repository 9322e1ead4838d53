//! The time series: one row per product per scrape (`product_snapshots`).

use crate::model::page::{FieldQuality, Quality, Reading, ScrapedProduct, TrackedField};
use crate::{Asin, Currency, ProductId, SnapshotId};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// A stored snapshot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProductSnapshot {
    /// Key (unique together with `scraped_at`, the partition key).
    pub id: SnapshotId,
    /// The data.
    #[serde(flatten)]
    pub data: NewSnapshot,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

/// A snapshot to store. (product_id, scraped_at) identifies it: storing the same pair twice
/// keeps one row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct NewSnapshot {
    pub product_id: ProductId,
    pub scraped_at: DateTime<Utc>,
    pub price: Option<Decimal>,
    pub original_price: Option<Decimal>,
    pub buybox_price: Option<Decimal>,
    pub currency: Currency,
    pub discount_percentage: Option<f64>,
    pub bsr_main_category: Option<i32>,
    pub bsr_small_category: Option<i32>,
    pub main_category_name: Option<String>,
    pub small_category_name: Option<String>,
    pub rating: Option<f64>,
    /// Number of ratings; `None` when the page showed none (never a made-up 0).
    pub review_count: Option<i32>,
    pub in_stock: bool,
    pub stock_quantity: Option<i32>,
    pub stock_status: Option<String>,
    pub seller_name: Option<String>,
    pub seller_id: Option<String>,
    pub seller_store_url: Option<String>,
    pub is_amazon_seller: bool,
    pub is_fba: bool,
    pub fulfilled_by: Option<String>,
    pub coupon_text: Option<String>,
    pub coupon_available: bool,
    pub deal_type: Option<String>,
    pub is_deal: bool,
    pub is_prime: bool,
    pub amazons_choice_keywords: Option<Vec<String>>,
    pub has_amazons_choice: bool,
    pub past_sales: Option<String>,
    pub delivery_message: Option<String>,
    pub product_type: Option<String>,
    pub is_used: bool,
    pub category_avg_price: Option<Decimal>,
    pub category_avg_rating: Option<f64>,
    pub category_avg_reviews: Option<i32>,
    /// How far each tracked value can be trusted (`None`: not from a parsed page, or stored
    /// before quality was recorded; treated as [`FieldQuality::Ok`]).
    pub quality: Option<Quality>,
    /// The ASIN the page showed, when it was filed under a requested product that is one of
    /// its variations (`None`: the page is the product's own).
    pub page_asin: Option<Asin>,
    /// Where the values come from: a product page (scraped or saved), or an imported Keepa
    /// history.
    #[serde(default)]
    pub source: SnapshotSource,
}

/// Where a snapshot's values come from (`product_snapshots.source`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SnapshotSource {
    /// A product page, fetched or saved (the default).
    #[default]
    Page,
    /// A point of a Keepa price history (`amazcope import-keepa`).
    Keepa,
}

impl SnapshotSource {
    /// The stored name (`page`, `keepa`).
    pub fn as_str(self) -> &'static str {
        match self {
            SnapshotSource::Page => "page",
            SnapshotSource::Keepa => "keepa",
        }
    }
}

impl std::str::FromStr for SnapshotSource {
    type Err = crate::ValidationError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "page" => Ok(SnapshotSource::Page),
            "keepa" => Ok(SnapshotSource::Keepa),
            _ => Err(crate::ValidationError::new("snapshot source", s, "expected page or keepa")),
        }
    }
}

impl NewSnapshot {
    /// An empty snapshot: nothing known, in stock unknown treated as not in stock.
    pub fn empty(product_id: ProductId, scraped_at: DateTime<Utc>, currency: Currency) -> Self {
        Self {
            product_id,
            scraped_at,
            price: None,
            original_price: None,
            buybox_price: None,
            currency,
            discount_percentage: None,
            bsr_main_category: None,
            bsr_small_category: None,
            main_category_name: None,
            small_category_name: None,
            rating: None,
            review_count: None,
            in_stock: false,
            stock_quantity: None,
            stock_status: None,
            seller_name: None,
            seller_id: None,
            seller_store_url: None,
            is_amazon_seller: false,
            is_fba: false,
            fulfilled_by: None,
            coupon_text: None,
            coupon_available: false,
            deal_type: None,
            is_deal: false,
            is_prime: false,
            amazons_choice_keywords: None,
            has_amazons_choice: false,
            past_sales: None,
            delivery_message: None,
            product_type: None,
            is_used: false,
            category_avg_price: None,
            category_avg_rating: None,
            category_avg_reviews: None,
            quality: None,
            page_asin: None,
            source: SnapshotSource::Page,
        }
    }

    /// The snapshot a product page yields. Prices in another currency than the page's main
    /// one keep their own currency in `currency` (the price's); the list price is kept only
    /// when it is in that same currency.
    pub fn from_page(product_id: ProductId, scraped_at: DateTime<Utc>, page: &ScrapedProduct) -> Self {
        let price = page.price.value();
        let currency = price.map(|m| m.currency).unwrap_or_else(|| page.marketplace.currency());
        let mut s = Self::empty(product_id, scraped_at, currency);
        s.price = price.map(|m| m.amount);
        s.original_price = page.list_price.value().filter(|m| m.currency == currency).map(|m| m.amount);
        s.discount_percentage = match (s.price, s.original_price) {
            (Some(p), Some(o)) if o > p => crate::money::percent_change(o, p).map(|d| -d),
            _ => None,
        };
        if let Some(ranks) = page.ranks.value() {
            s.bsr_main_category = ranks.first().and_then(|r| i32::try_from(r.rank).ok());
            s.main_category_name = ranks.first().map(|r| r.category.clone());
            s.bsr_small_category = ranks.get(1).and_then(|r| i32::try_from(r.rank).ok());
            s.small_category_name = ranks.get(1).map(|r| r.category.clone());
        }
        s.rating = page.rating.value().map(|r| r.get());
        s.review_count = page.review_count.value().and_then(|n| i32::try_from(*n).ok());
        if let Some(a) = page.availability.value() {
            s.in_stock = a.status.in_stock();
            s.stock_status = a.text.clone();
        }
        s.seller_name = page.seller.value().cloned();
        s.is_amazon_seller = s.seller_name.as_deref().is_some_and(|n| n.to_lowercase().contains("amazon"));
        s.fulfilled_by = page.ships_from.value().cloned();
        s.is_fba = s.fulfilled_by.as_deref().is_some_and(|n| n.to_lowercase().contains("amazon"));
        s.coupon_text = page.coupon.value().cloned();
        s.coupon_available = s.coupon_text.is_some();
        s.deal_type = page.deal_badge.value().cloned();
        s.is_deal = s.deal_type.is_some();
        s.is_prime = page.is_prime.value().copied().unwrap_or(false);
        s.amazons_choice_keywords = page.amazons_choice.value().cloned();
        s.has_amazons_choice = page.amazons_choice.is_read();
        s.past_sales = page.past_sales.value().cloned();
        s.delivery_message = page.delivery_message.value().cloned();
        s.quality = Some(page.effective_quality());
        s
    }

    /// Marks this snapshot, filed under a requested variation, as showing another variation's
    /// offer: its price, list price and stock belong to another item, so they are dropped and
    /// flagged `unparsed`, with what was shown kept as readings (`page_asin` names the item).
    pub fn not_this_variation(&mut self) {
        let shown = self.page_asin.map(|a| a.to_string()).unwrap_or_default();
        let q = self.quality.get_or_insert_with(Quality::default);
        let mut note = |field: TrackedField, text: Option<String>| {
            q.set(field, FieldQuality::Unparsed);
            if let Some(text) = text {
                q.readings
                    .entry(field)
                    .or_default()
                    .push(Reading { source: format!("the page of variation {shown}"), text });
            }
        };
        note(TrackedField::Price, self.price.map(|p| p.to_string()));
        note(TrackedField::ListPrice, self.original_price.map(|p| p.to_string()));
        note(TrackedField::Stock, self.stock_status.clone());
        self.price = None;
        self.original_price = None;
        self.buybox_price = None;
        self.discount_percentage = None;
        self.in_stock = false;
        self.stock_status = None;
    }

    /// Whether `field` of this snapshot can be acted on: its quality is `ok`, or unknown
    /// (a snapshot from before quality was recorded, or from no page).
    pub fn is_ok(&self, field: TrackedField) -> bool {
        self.quality.as_ref().is_none_or(|q| q.get(field) == FieldQuality::Ok)
    }
}

/// One product's day (UTC) summarised from its snapshots (`product_daily`): kept beside the
/// snapshots and never dropped by retention. The mean price is the arithmetic mean of the
/// day's snapshot prices, exact: `price_sum / price_count`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct DailyRollup {
    pub product_id: ProductId,
    pub day: chrono::NaiveDate,
    /// The currency of the day's last snapshot.
    pub currency: Currency,
    pub price_min: Option<Decimal>,
    pub price_max: Option<Decimal>,
    pub price_close: Option<Decimal>,
    pub price_sum: Decimal,
    pub price_count: i32,
    pub list_price_close: Option<Decimal>,
    pub bsr_min: Option<i32>,
    pub bsr_max: Option<i32>,
    pub bsr_close: Option<i32>,
    pub bsr_category: Option<String>,
    pub rating_close: Option<f64>,
    pub review_count_close: Option<i32>,
    pub in_stock_count: i32,
    /// Whether the day's last snapshot was in stock (what decides the day in `stats`).
    pub in_stock_close: bool,
    pub snapshots: i32,
    pub first_at: DateTime<Utc>,
    pub last_at: DateTime<Utc>,
}

impl DailyRollup {
    /// The mean of the day's prices, exact (`None` when no snapshot had a price).
    pub fn price_mean(&self) -> Option<Decimal> {
        (self.price_count > 0).then(|| self.price_sum / Decimal::from(self.price_count))
    }

    /// The share of the day's snapshots that were in stock, 0 to 1.
    pub fn in_stock_share(&self) -> f64 {
        f64::from(self.in_stock_count) / f64::from(self.snapshots.max(1))
    }
}
