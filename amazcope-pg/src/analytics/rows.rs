//! The rows the summary and trend queries read: the snapshot columns they need, turned into
//! the core's `NewSnapshot` for its pure functions.

use super::Ts;
use crate::rows::parse;
use amazcope_core::model::snapshot::NewSnapshot;
use amazcope_core::{Currency, ProductId, StoreResult};
use rust_decimal::Decimal;

/// The summary's columns of one snapshot (latest, 7-day or 30-day baseline), all NULL when
/// there is none.
#[derive(Debug, sqlx::FromRow)]
pub(super) struct SummaryRow {
    pub(super) l_at: Option<Ts>,
    pub(super) l_currency: Option<String>,
    pub(super) l_price: Option<Decimal>,
    pub(super) l_bsr: Option<i32>,
    pub(super) l_rating: Option<f64>,
    pub(super) l_reviews: Option<i32>,
    pub(super) w_at: Option<Ts>,
    pub(super) w_currency: Option<String>,
    pub(super) w_price: Option<Decimal>,
    pub(super) w_bsr: Option<i32>,
    pub(super) w_rating: Option<f64>,
    pub(super) w_reviews: Option<i32>,
    pub(super) m_at: Option<Ts>,
    pub(super) m_currency: Option<String>,
    pub(super) m_price: Option<Decimal>,
    pub(super) m_bsr: Option<i32>,
    pub(super) m_rating: Option<f64>,
    pub(super) m_reviews: Option<i32>,
}

/// The summary fields of a snapshot as a [`NewSnapshot`], so the core's `summarize` reads it.
pub(super) fn summary_snapshot(
    product: ProductId,
    at: Option<Ts>,
    currency: Option<&str>,
    price: Option<Decimal>,
    bsr: Option<i32>,
    rating: Option<f64>,
    reviews: Option<i32>,
) -> StoreResult<Option<NewSnapshot>> {
    let (Some(at), Some(currency)) = (at, currency) else { return Ok(None) };
    let mut s = NewSnapshot::empty(product, at, parse::<Currency>(currency)?);
    s.price = price;
    s.bsr_main_category = bsr;
    s.rating = rating;
    s.review_count = reviews;
    Ok(Some(s))
}

/// The 15 trend fields of one snapshot (NULL columns when a LEFT JOIN found none).
#[derive(Debug, sqlx::FromRow)]
pub(super) struct TrendRow {
    pub(super) scraped_at: Option<Ts>,
    pub(super) currency: Option<String>,
    pub(super) price: Option<Decimal>,
    pub(super) original_price: Option<Decimal>,
    pub(super) buybox_price: Option<Decimal>,
    pub(super) discount_percentage: Option<f64>,
    pub(super) bsr_main_category: Option<i32>,
    pub(super) bsr_small_category: Option<i32>,
    pub(super) rating: Option<f64>,
    pub(super) review_count: Option<i32>,
    pub(super) in_stock: Option<bool>,
    pub(super) stock_quantity: Option<i32>,
    pub(super) is_deal: Option<bool>,
    pub(super) is_prime: Option<bool>,
    pub(super) has_amazons_choice: Option<bool>,
    pub(super) is_amazon_seller: Option<bool>,
    pub(super) is_fba: Option<bool>,
}

/// The snapshot columns of [`TrendRow`], prefixed with the alias `s`.
macro_rules! trend_columns {
    () => {
        "s.scraped_at, s.currency, s.price, s.original_price, s.buybox_price,
         s.discount_percentage, s.bsr_main_category, s.bsr_small_category, s.rating,
         s.review_count, s.in_stock, s.stock_quantity, s.is_deal, s.is_prime,
         s.has_amazons_choice, s.is_amazon_seller, s.is_fba"
    };
}

impl TrendRow {
    pub(super) fn snapshot(&self, product: ProductId) -> StoreResult<Option<NewSnapshot>> {
        let (Some(at), Some(currency)) = (self.scraped_at, self.currency.as_deref()) else {
            return Ok(None);
        };
        let mut s = NewSnapshot::empty(product, at, parse::<Currency>(currency)?);
        s.price = self.price;
        s.original_price = self.original_price;
        s.buybox_price = self.buybox_price;
        s.discount_percentage = self.discount_percentage;
        s.bsr_main_category = self.bsr_main_category;
        s.bsr_small_category = self.bsr_small_category;
        s.rating = self.rating;
        s.review_count = self.review_count;
        s.in_stock = self.in_stock.unwrap_or(false);
        s.stock_quantity = self.stock_quantity;
        s.is_deal = self.is_deal.unwrap_or(false);
        s.is_prime = self.is_prime.unwrap_or(false);
        s.has_amazons_choice = self.has_amazons_choice.unwrap_or(false);
        s.is_amazon_seller = self.is_amazon_seller.unwrap_or(false);
        s.is_fba = self.is_fba.unwrap_or(false);
        Ok(Some(s))
    }
}

/// The rollups of the products `$1` (uuid[]) whose days lie wholly in `[$2, $3)` (NULL:
/// unbounded) and before the product's oldest raw snapshot still stored, by product and
/// day: the part of the range that only the rollups hold. One probe of the
/// (product_id, scraped_at) key per partition for the oldest snapshot, then the
/// (product_id, day) key of `product_daily`.
macro_rules! rollups_before_raw_sql {
    () => {
        concat!(
            "SELECT ",
            crate::daily::daily_columns!(),
            " FROM unnest($1::uuid[]) AS ids(id)
              JOIN product_daily d ON d.product_id = ids.id
              WHERE d.first_at >= COALESCE($2, '-infinity'::timestamptz)
                AND d.last_at < COALESCE($3, 'infinity'::timestamptz)
                AND d.day < COALESCE((SELECT (min(r.scraped_at) AT TIME ZONE 'UTC')::date
                                      FROM product_snapshots r WHERE r.product_id = ids.id),
                                     'infinity'::date)
              ORDER BY d.product_id, d.day"
        )
    };
}
