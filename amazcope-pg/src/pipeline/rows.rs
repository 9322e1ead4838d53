//! Rows the pipeline reads back, converted into core types. Kept apart from the
//! repositories' rows so that the pipeline's SQL can change without touching theirs.

use amazcope_core::model::alert::Alert;
use amazcope_core::model::snapshot::NewSnapshot;
use amazcope_core::model::tracking::Tracker;
use amazcope_core::rules::PriorAlert;
use amazcope_core::{StoreError, ValidationError};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde_json::Value;
use uuid::Uuid;

type Ts = DateTime<Utc>;

fn parse<T: std::str::FromStr<Err = ValidationError>>(s: &str) -> Result<T, StoreError> {
    Ok(s.parse::<T>()?)
}

/// The previous snapshot of a new one: the newest with an earlier `scraped_at`.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct PreviousRow {
    /// `scraped_at` of the new snapshot it is the previous of.
    pub(crate) for_scraped_at: Ts,
    pub(crate) product_id: Uuid,
    scraped_at: Ts,
    price: Option<Decimal>,
    original_price: Option<Decimal>,
    buybox_price: Option<Decimal>,
    currency: String,
    discount_percentage: Option<f64>,
    bsr_main_category: Option<i32>,
    bsr_small_category: Option<i32>,
    main_category_name: Option<String>,
    small_category_name: Option<String>,
    rating: Option<f64>,
    review_count: Option<i32>,
    in_stock: bool,
    stock_quantity: Option<i32>,
    stock_status: Option<String>,
    seller_name: Option<String>,
    seller_id: Option<String>,
    seller_store_url: Option<String>,
    is_amazon_seller: bool,
    is_fba: bool,
    fulfilled_by: Option<String>,
    coupon_text: Option<String>,
    coupon_available: bool,
    deal_type: Option<String>,
    is_deal: bool,
    is_prime: bool,
    amazons_choice_keywords: Option<Value>,
    has_amazons_choice: bool,
    past_sales: Option<String>,
    delivery_message: Option<String>,
    product_type: Option<String>,
    is_used: bool,
    category_avg_price: Option<Decimal>,
    category_avg_rating: Option<f64>,
    category_avg_reviews: Option<i32>,
}

impl TryFrom<PreviousRow> for NewSnapshot {
    type Error = StoreError;
    fn try_from(r: PreviousRow) -> Result<Self, StoreError> {
        let keywords = match r.amazons_choice_keywords {
            Some(v) => Some(serde_json::from_value::<Vec<String>>(v.clone()).map_err(|e| {
                StoreError::Invalid(ValidationError::new("amazons_choice_keywords", v, e.to_string()))
            })?),
            None => None,
        };
        Ok(NewSnapshot {
            product_id: r.product_id.into(),
            scraped_at: r.scraped_at,
            price: r.price,
            original_price: r.original_price,
            buybox_price: r.buybox_price,
            currency: parse(&r.currency)?,
            discount_percentage: r.discount_percentage,
            bsr_main_category: r.bsr_main_category,
            bsr_small_category: r.bsr_small_category,
            main_category_name: r.main_category_name,
            small_category_name: r.small_category_name,
            rating: r.rating,
            review_count: r.review_count,
            in_stock: r.in_stock,
            stock_quantity: r.stock_quantity,
            stock_status: r.stock_status,
            seller_name: r.seller_name,
            seller_id: r.seller_id,
            seller_store_url: r.seller_store_url,
            is_amazon_seller: r.is_amazon_seller,
            is_fba: r.is_fba,
            fulfilled_by: r.fulfilled_by,
            coupon_text: r.coupon_text,
            coupon_available: r.coupon_available,
            deal_type: r.deal_type,
            is_deal: r.is_deal,
            is_prime: r.is_prime,
            amazons_choice_keywords: keywords,
            has_amazons_choice: r.has_amazons_choice,
            past_sales: r.past_sales,
            delivery_message: r.delivery_message,
            product_type: r.product_type,
            is_used: r.is_used,
            category_avg_price: r.category_avg_price,
            category_avg_rating: r.category_avg_rating,
            category_avg_reviews: r.category_avg_reviews,
        })
    }
}

/// A tracker of one of the products touched.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct TrackerRow {
    pub(crate) product_id: Uuid,
    user_id: Uuid,
    user_product_id: Uuid,
    price_change_threshold: f64,
    bsr_change_threshold: f64,
    target_price: Option<Decimal>,
}

impl From<TrackerRow> for Tracker {
    fn from(r: TrackerRow) -> Self {
        Tracker {
            user_id: r.user_id.into(),
            user_product_id: r.user_product_id.into(),
            price_change_threshold: r.price_change_threshold,
            bsr_change_threshold: r.bsr_change_threshold,
            target_price: r.target_price,
        }
    }
}

/// An earlier alert, for cool-down and dead-band.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct PriorRow {
    pub(crate) product_id: Uuid,
    user_id: Uuid,
    alert_type: String,
    created_at: Ts,
    old_value: Option<String>,
    new_value: Option<String>,
    snapshot_id: Option<Uuid>,
}

impl TryFrom<PriorRow> for PriorAlert {
    type Error = StoreError;
    fn try_from(r: PriorRow) -> Result<Self, StoreError> {
        Ok(PriorAlert {
            user_id: r.user_id.into(),
            alert_type: parse(&r.alert_type)?,
            created_at: r.created_at,
            old_value: r.old_value,
            new_value: r.new_value,
            snapshot_id: r.snapshot_id.map(Into::into),
        })
    }
}

/// A stored alert.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct AlertRow {
    id: Uuid,
    alert_type: String,
    severity: String,
    title: String,
    message: String,
    old_value: Option<String>,
    new_value: Option<String>,
    change_percentage: Option<f64>,
    is_read: bool,
    is_dismissed: bool,
    notified_at: Option<Ts>,
    product_id: Uuid,
    user_id: Uuid,
    snapshot_id: Option<Uuid>,
    snapshot_scraped_at: Option<Ts>,
    created_at: Ts,
    updated_at: Ts,
}

impl TryFrom<AlertRow> for Alert {
    type Error = StoreError;
    fn try_from(r: AlertRow) -> Result<Self, StoreError> {
        Ok(Alert {
            id: r.id.into(),
            alert_type: parse(&r.alert_type)?,
            severity: parse(&r.severity)?,
            title: r.title,
            message: r.message,
            old_value: r.old_value,
            new_value: r.new_value,
            change_percentage: r.change_percentage,
            is_read: r.is_read,
            is_dismissed: r.is_dismissed,
            notified_at: r.notified_at,
            product_id: r.product_id.into(),
            user_id: r.user_id.into(),
            snapshot_id: r.snapshot_id.map(Into::into),
            snapshot_scraped_at: r.snapshot_scraped_at,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

/// A stored snapshot (history reads).
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct HistoryRow {
    id: Uuid,
    #[sqlx(flatten)]
    data: PreviousRow,
    created_at: Ts,
    updated_at: Ts,
}

impl TryFrom<HistoryRow> for amazcope_core::model::snapshot::ProductSnapshot {
    type Error = StoreError;
    fn try_from(r: HistoryRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: r.id.into(),
            data: r.data.try_into()?,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}
