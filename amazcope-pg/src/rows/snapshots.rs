//! Row types of snapshots and their conversions into core types.

use super::*;
use amazcope_core::model::page::{FieldQuality, Quality, TrackedField};
use amazcope_core::model::snapshot::{NewSnapshot, ProductSnapshot};
use rust_decimal::Decimal;
use serde_json::Value;
use uuid::Uuid;

/// The columns of a `product_snapshots` row that make a [`NewSnapshot`]; shared by the
/// repositories' [`SnapshotRow`] and the pipeline's previous-snapshot read.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct NewSnapshotRow {
    pub(crate) product_id: Uuid,
    pub(crate) scraped_at: Ts,
    pub(crate) price: Option<Decimal>,
    pub(crate) original_price: Option<Decimal>,
    pub(crate) buybox_price: Option<Decimal>,
    pub(crate) currency: String,
    pub(crate) discount_percentage: Option<f64>,
    pub(crate) bsr_main_category: Option<i32>,
    pub(crate) bsr_small_category: Option<i32>,
    pub(crate) main_category_name: Option<String>,
    pub(crate) small_category_name: Option<String>,
    pub(crate) rating: Option<f64>,
    pub(crate) review_count: Option<i32>,
    pub(crate) in_stock: bool,
    pub(crate) stock_quantity: Option<i32>,
    pub(crate) stock_status: Option<String>,
    pub(crate) seller_name: Option<String>,
    pub(crate) seller_id: Option<String>,
    pub(crate) seller_store_url: Option<String>,
    pub(crate) is_amazon_seller: bool,
    pub(crate) is_fba: bool,
    pub(crate) fulfilled_by: Option<String>,
    pub(crate) coupon_text: Option<String>,
    pub(crate) coupon_available: bool,
    pub(crate) deal_type: Option<String>,
    pub(crate) is_deal: bool,
    pub(crate) is_prime: bool,
    pub(crate) amazons_choice_keywords: Option<Value>,
    pub(crate) has_amazons_choice: bool,
    pub(crate) past_sales: Option<String>,
    pub(crate) delivery_message: Option<String>,
    pub(crate) product_type: Option<String>,
    pub(crate) is_used: bool,
    pub(crate) category_avg_price: Option<Decimal>,
    pub(crate) category_avg_rating: Option<f64>,
    pub(crate) category_avg_reviews: Option<i32>,
    pub(crate) price_quality: Option<String>,
    pub(crate) list_price_quality: Option<String>,
    pub(crate) bsr_quality: Option<String>,
    pub(crate) rating_quality: Option<String>,
    pub(crate) review_count_quality: Option<String>,
    pub(crate) stock_quality: Option<String>,
    pub(crate) quality_readings: Option<Value>,
    pub(crate) page_asin: Option<String>,
    /// `page` or `keepa`; absent from reads that do not select it (a page then).
    #[sqlx(default)]
    pub(crate) source: Option<String>,
}

impl NewSnapshotRow {
    /// The stored quality: `None` when no flag was stored (rows from before migration 0007,
    /// or from no page); a flag missing beside stored ones reads as `ok`.
    fn quality(&mut self) -> Result<Option<Quality>, StoreError> {
        let flags = [
            self.price_quality.take(),
            self.list_price_quality.take(),
            self.bsr_quality.take(),
            self.rating_quality.take(),
            self.review_count_quality.take(),
            self.stock_quality.take(),
        ];
        if flags.iter().all(Option::is_none) {
            return Ok(None);
        }
        let mut q = Quality::default();
        for (field, flag) in TrackedField::ALL.into_iter().zip(flags) {
            q.set(field, flag.as_deref().map(parse::<FieldQuality>).transpose()?.unwrap_or(FieldQuality::Ok));
        }
        if let Some(readings) = self.quality_readings.take() {
            q.readings = serde_json::from_value(readings).map_err(|e| {
                StoreError::Invalid(ValidationError::new("quality_readings", "stored value", e.to_string()))
            })?;
        }
        Ok(Some(q))
    }
}

impl TryFrom<NewSnapshotRow> for NewSnapshot {
    type Error = StoreError;
    fn try_from(mut r: NewSnapshotRow) -> Result<Self, StoreError> {
        let quality = r.quality()?;
        let page_asin = r.page_asin.as_deref().map(parse).transpose()?;
        let source = r.source.as_deref().map(parse).transpose()?.unwrap_or_default();
        Ok(NewSnapshot {
            source,
            quality,
            page_asin,
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
            amazons_choice_keywords: string_list("amazons_choice_keywords", r.amazons_choice_keywords)?,
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

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct SnapshotRow {
    pub(crate) id: Uuid,
    #[sqlx(flatten)]
    pub(crate) data: NewSnapshotRow,
    pub(crate) created_at: Ts,
    pub(crate) updated_at: Ts,
}

impl TryFrom<SnapshotRow> for ProductSnapshot {
    type Error = StoreError;
    fn try_from(r: SnapshotRow) -> Result<Self, StoreError> {
        Ok(ProductSnapshot {
            id: r.id.into(),
            data: r.data.try_into()?,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

/// The previous snapshot of a new one: the newest with an earlier `scraped_at`.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct PreviousRow {
    /// `scraped_at` of the new snapshot it is the previous of.
    pub(crate) for_scraped_at: Ts,
    #[sqlx(flatten)]
    pub(crate) snapshot: NewSnapshotRow,
}
