//! Products (`products`): one row per (ASIN, marketplace), shared by every user who tracks
//! it, with the latest values denormalised from the newest snapshot.

use crate::model::enums::{FetchStatus, TrackFrequency};
use crate::{Asin, Marketplace, ProductId, UserId};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// A product row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct Product {
    pub id: ProductId,
    pub asin: Asin,
    pub marketplace: Marketplace,
    pub title: String,
    pub brand: Option<String>,
    pub manufacturer: Option<String>,
    pub category: Option<String>,
    pub small_category: Option<String>,
    pub bsr_category_link: Option<String>,
    pub bsr_subcategory_link: Option<String>,
    pub amazons_choice_keywords: Option<serde_json::Value>,
    pub has_amazons_choice: bool,
    pub product_dimensions: Option<serde_json::Value>,
    pub item_weight: Option<String>,
    pub model_number: Option<String>,
    pub has_variations: bool,
    pub variation_types: Option<serde_json::Value>,
    pub total_variations: i32,
    pub url: String,
    pub image_url: Option<String>,
    /// Every image of the listing in page order (`None` until a page has shown them).
    pub image_urls: Option<Vec<String>>,
    pub seller_store_url: Option<String>,
    pub product_description: Option<String>,
    pub features: Option<serde_json::Value>,
    pub product_overview: Option<serde_json::Value>,
    pub technical_details: Option<serde_json::Value>,
    pub rating: Option<f64>,
    pub review_count: Option<i32>,
    pub current_price: Option<Decimal>,
    pub original_price: Option<Decimal>,
    pub currency: String,
    pub discount_percentage: Option<f64>,
    pub current_bsr: Option<i32>,
    pub bsr_category_name: Option<String>,
    pub in_stock: bool,
    pub stock_status: Option<String>,
    pub is_prime: bool,
    pub seller_name: Option<String>,
    pub is_amazon_seller: bool,
    pub is_fba: bool,
    pub last_snapshot_at: Option<DateTime<Utc>>,
    pub is_active: bool,
    pub track_frequency: TrackFrequency,
    pub price_change_threshold: f64,
    pub bsr_change_threshold: f64,
    pub created_by_id: Option<UserId>,
    pub is_competitor: bool,
    pub is_unlisted: bool,
    pub unlisted_at: Option<DateTime<Utc>>,
    /// When the product is next due for a refresh (work queue).
    pub next_refresh_at: Option<DateTime<Utc>>,
    /// What happened at the last fetch.
    pub last_fetch_status: Option<FetchStatus>,
    /// When the last fetch happened.
    pub last_fetch_at: Option<DateTime<Utc>>,
    /// The last fetch's error, if any.
    pub last_fetch_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A product's identity and latest values: the columns of [`Product`] a list of products
/// shows, under the same names, without the listing's long text (description, features,
/// technical details, images) that one product's page shows. A page of 100 of these is
/// about a tenth of 100 whole products even when those texts are empty.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct ProductLatest {
    pub id: ProductId,
    pub asin: Asin,
    pub marketplace: Marketplace,
    pub title: String,
    pub brand: Option<String>,
    pub url: String,
    pub image_url: Option<String>,
    pub currency: String,
    pub current_price: Option<Decimal>,
    pub original_price: Option<Decimal>,
    pub discount_percentage: Option<f64>,
    pub current_bsr: Option<i32>,
    pub bsr_category_name: Option<String>,
    pub rating: Option<f64>,
    pub review_count: Option<i32>,
    pub in_stock: bool,
    pub is_prime: bool,
    pub is_active: bool,
    pub is_unlisted: bool,
    pub last_snapshot_at: Option<DateTime<Utc>>,
    pub last_fetch_status: Option<FetchStatus>,
    pub last_fetch_at: Option<DateTime<Utc>>,
}

/// The product metadata a page (or a caller) supplies. `None` leaves a stored value alone
/// (the original overwrote with NULLs; the intent is to keep what we knew).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct ProductData {
    pub title: Option<String>,
    pub brand: Option<String>,
    pub manufacturer: Option<String>,
    pub category: Option<String>,
    pub small_category: Option<String>,
    pub bsr_category_link: Option<String>,
    pub bsr_subcategory_link: Option<String>,
    pub product_dimensions: Option<serde_json::Value>,
    pub item_weight: Option<String>,
    pub model_number: Option<String>,
    pub variation_types: Option<Vec<String>>,
    pub total_variations: Option<i32>,
    pub image_url: Option<String>,
    pub image_urls: Option<Vec<String>>,
    pub seller_store_url: Option<String>,
    pub product_description: Option<String>,
    pub features: Option<Vec<String>>,
    pub product_overview: Option<serde_json::Value>,
    pub technical_details: Option<serde_json::Value>,
}

/// Create-or-update of a product by (ASIN, marketplace).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProductUpsert {
    /// The ASIN.
    pub asin: Asin,
    /// The marketplace.
    pub marketplace: Marketplace,
    /// The URL (the canonical product URL when not given).
    pub url: Option<String>,
    /// Metadata to set where present.
    pub data: ProductData,
    /// Recorded as creator when the product is new (never changed afterwards).
    pub created_by: Option<UserId>,
    /// A product first seen on a best-seller list, not tracked by anyone.
    pub is_competitor: bool,
}

impl ProductUpsert {
    /// A bare product: ASIN and marketplace only; its data comes with the first page.
    pub fn bare(asin: Asin, marketplace: Marketplace, created_by: Option<UserId>) -> Self {
        Self { asin, marketplace, url: None, data: ProductData::default(), created_by, is_competitor: false }
    }
}

/// Search filter for products.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProductQuery {
    /// Case-insensitive substring of title, brand or ASIN.
    pub text: Option<String>,
    /// Only this marketplace.
    pub marketplace: Option<Marketplace>,
    /// Include soft-deleted products.
    pub include_inactive: bool,
    /// At most this many (default 100).
    pub limit: Option<u32>,
    /// Skip this many.
    pub offset: Option<u32>,
}
