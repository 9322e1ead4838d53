//! Private row types: what `sqlx` decodes, converted into core types with `TryFrom`. A stored
//! value that no longer passes the core rules (an unknown marketplace, a bad ASIN) becomes
//! [`StoreError::Invalid`], never a panic. Core types derive nothing from sqlx.

use amazcope_core::model::alert::{Alert, AlertView};
use amazcope_core::model::category::{BestsellerSnapshot, Category, CategoryMetric};
use amazcope_core::model::notification::Notification;
use amazcope_core::model::product::Product;
use amazcope_core::model::review::Review;
use amazcope_core::model::snapshot::{NewSnapshot, ProductSnapshot};
use amazcope_core::model::suggestion::{Suggestion, SuggestionAction};
use amazcope_core::model::tracking::{TrackedProduct, Tracker, UserProduct};
use amazcope_core::model::user::{User, UserSettings};
use amazcope_core::rules::PriorAlert;
use amazcope_core::{StoreError, ValidationError};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde_json::Value;
use sqlx::types::Json;
use uuid::Uuid;

type Ts = DateTime<Utc>;

pub(crate) fn parse<T: std::str::FromStr<Err = ValidationError>>(s: &str) -> Result<T, StoreError> {
    Ok(s.parse::<T>()?)
}

fn parse_opt<T: std::str::FromStr<Err = ValidationError>>(s: Option<&str>) -> Result<Option<T>, StoreError> {
    s.map(parse).transpose()
}

/// A JSON array of strings (`amazons_choice_keywords`) as stored.
fn string_list(field: &'static str, v: Option<Value>) -> Result<Option<Vec<String>>, StoreError> {
    v.map(|v| {
        serde_json::from_value::<Vec<String>>(v.clone())
            .map_err(|e| StoreError::Invalid(ValidationError::new(field, v, e.to_string())))
    })
    .transpose()
}

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct UserRow {
    id: Uuid,
    email: String,
    username: String,
    full_name: Option<String>,
    is_active: bool,
    is_superuser: bool,
    is_verified: bool,
    failed_login_attempts: i32,
    account_locked_until: Option<Ts>,
    last_login_at: Option<Ts>,
    last_login_ip: Option<String>,
    last_failed_login_at: Option<Ts>,
    created_at: Ts,
    updated_at: Ts,
}

impl TryFrom<UserRow> for User {
    type Error = StoreError;
    fn try_from(r: UserRow) -> Result<Self, StoreError> {
        Ok(User {
            id: r.id.into(),
            email: r.email,
            username: r.username,
            full_name: r.full_name,
            is_active: r.is_active,
            is_superuser: r.is_superuser,
            is_verified: r.is_verified,
            failed_login_attempts: r.failed_login_attempts,
            account_locked_until: r.account_locked_until,
            last_login_at: r.last_login_at,
            last_login_ip: r.last_login_ip,
            last_failed_login_at: r.last_failed_login_at,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct SettingsRow {
    id: Uuid,
    user_id: Uuid,
    email_notifications_enabled: bool,
    price_alert_emails: bool,
    bsr_alert_emails: bool,
    stock_alert_emails: bool,
    daily_summary_emails: bool,
    weekly_report_emails: bool,
    default_price_threshold: f64,
    default_bsr_threshold: f64,
    theme: String,
    language: String,
    timezone: String,
    date_format: String,
    currency_display: String,
    products_per_page: i32,
    default_sort_by: String,
    default_sort_order: String,
    show_inactive_products: bool,
    auto_refresh_dashboard: bool,
    refresh_interval_minutes: i32,
    share_analytics: bool,
    created_at: Ts,
    updated_at: Ts,
}

impl TryFrom<SettingsRow> for UserSettings {
    type Error = StoreError;
    fn try_from(r: SettingsRow) -> Result<Self, StoreError> {
        Ok(UserSettings {
            id: r.id.into(),
            user_id: r.user_id.into(),
            email_notifications_enabled: r.email_notifications_enabled,
            price_alert_emails: r.price_alert_emails,
            bsr_alert_emails: r.bsr_alert_emails,
            stock_alert_emails: r.stock_alert_emails,
            daily_summary_emails: r.daily_summary_emails,
            weekly_report_emails: r.weekly_report_emails,
            default_price_threshold: r.default_price_threshold,
            default_bsr_threshold: r.default_bsr_threshold,
            theme: r.theme,
            language: r.language,
            timezone: r.timezone,
            date_format: r.date_format,
            currency_display: r.currency_display,
            products_per_page: r.products_per_page,
            default_sort_by: r.default_sort_by,
            default_sort_order: r.default_sort_order,
            show_inactive_products: r.show_inactive_products,
            auto_refresh_dashboard: r.auto_refresh_dashboard,
            refresh_interval_minutes: r.refresh_interval_minutes,
            share_analytics: r.share_analytics,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct ProductRow {
    id: Uuid,
    asin: String,
    marketplace: String,
    title: String,
    brand: Option<String>,
    manufacturer: Option<String>,
    category: Option<String>,
    small_category: Option<String>,
    bsr_category_link: Option<String>,
    bsr_subcategory_link: Option<String>,
    amazons_choice_keywords: Option<Value>,
    has_amazons_choice: bool,
    product_dimensions: Option<Value>,
    item_weight: Option<String>,
    model_number: Option<String>,
    has_variations: bool,
    variation_types: Option<Value>,
    total_variations: i32,
    url: String,
    image_url: Option<String>,
    image_urls: Option<Json<Vec<String>>>,
    seller_store_url: Option<String>,
    product_description: Option<String>,
    features: Option<Value>,
    product_overview: Option<Value>,
    technical_details: Option<Value>,
    rating: Option<f64>,
    review_count: Option<i32>,
    current_price: Option<Decimal>,
    original_price: Option<Decimal>,
    currency: String,
    discount_percentage: Option<f64>,
    current_bsr: Option<i32>,
    bsr_category_name: Option<String>,
    in_stock: bool,
    stock_status: Option<String>,
    is_prime: bool,
    seller_name: Option<String>,
    is_amazon_seller: bool,
    is_fba: bool,
    last_snapshot_at: Option<Ts>,
    is_active: bool,
    track_frequency: String,
    price_change_threshold: f64,
    bsr_change_threshold: f64,
    created_by_id: Option<Uuid>,
    is_competitor: bool,
    is_unlisted: bool,
    unlisted_at: Option<Ts>,
    next_refresh_at: Option<Ts>,
    last_fetch_status: Option<String>,
    last_fetch_at: Option<Ts>,
    last_fetch_error: Option<String>,
    created_at: Ts,
    updated_at: Ts,
}

impl TryFrom<ProductRow> for Product {
    type Error = StoreError;
    fn try_from(r: ProductRow) -> Result<Self, StoreError> {
        Ok(Product {
            id: r.id.into(),
            asin: parse(&r.asin)?,
            marketplace: parse(&r.marketplace)?,
            title: r.title,
            brand: r.brand,
            manufacturer: r.manufacturer,
            category: r.category,
            small_category: r.small_category,
            bsr_category_link: r.bsr_category_link,
            bsr_subcategory_link: r.bsr_subcategory_link,
            amazons_choice_keywords: r.amazons_choice_keywords,
            has_amazons_choice: r.has_amazons_choice,
            product_dimensions: r.product_dimensions,
            item_weight: r.item_weight,
            model_number: r.model_number,
            has_variations: r.has_variations,
            variation_types: r.variation_types,
            total_variations: r.total_variations,
            url: r.url,
            image_url: r.image_url,
            image_urls: r.image_urls.map(|j| j.0),
            seller_store_url: r.seller_store_url,
            product_description: r.product_description,
            features: r.features,
            product_overview: r.product_overview,
            technical_details: r.technical_details,
            rating: r.rating,
            review_count: r.review_count,
            current_price: r.current_price,
            original_price: r.original_price,
            currency: r.currency,
            discount_percentage: r.discount_percentage,
            current_bsr: r.current_bsr,
            bsr_category_name: r.bsr_category_name,
            in_stock: r.in_stock,
            stock_status: r.stock_status,
            is_prime: r.is_prime,
            seller_name: r.seller_name,
            is_amazon_seller: r.is_amazon_seller,
            is_fba: r.is_fba,
            last_snapshot_at: r.last_snapshot_at,
            is_active: r.is_active,
            track_frequency: parse(&r.track_frequency)?,
            price_change_threshold: r.price_change_threshold,
            bsr_change_threshold: r.bsr_change_threshold,
            created_by_id: r.created_by_id.map(Into::into),
            is_competitor: r.is_competitor,
            is_unlisted: r.is_unlisted,
            unlisted_at: r.unlisted_at,
            next_refresh_at: r.next_refresh_at,
            last_fetch_status: parse_opt(r.last_fetch_status.as_deref())?,
            last_fetch_at: r.last_fetch_at,
            last_fetch_error: r.last_fetch_error,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct UserProductRow {
    id: Uuid,
    user_id: Uuid,
    product_id: Uuid,
    claimed_at: Ts,
    is_active: bool,
    is_primary: bool,
    price_change_threshold: Option<f64>,
    bsr_change_threshold: Option<f64>,
    target_price: Option<Decimal>,
    notes: Option<String>,
    created_at: Ts,
    updated_at: Ts,
}

impl TryFrom<UserProductRow> for UserProduct {
    type Error = StoreError;
    fn try_from(r: UserProductRow) -> Result<Self, StoreError> {
        Ok(UserProduct {
            id: r.id.into(),
            user_id: r.user_id.into(),
            product_id: r.product_id.into(),
            claimed_at: r.claimed_at,
            is_active: r.is_active,
            is_primary: r.is_primary,
            price_change_threshold: r.price_change_threshold,
            bsr_change_threshold: r.bsr_change_threshold,
            target_price: r.target_price,
            notes: r.notes,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

/// `products.*` joined with the user's `user_products` row, whose columns are prefixed
/// `up_` so they do not collide with the product's.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct TrackedRow {
    #[sqlx(flatten)]
    product: ProductRow,
    up_id: Uuid,
    up_user_id: Uuid,
    up_claimed_at: Ts,
    up_is_active: bool,
    up_is_primary: bool,
    up_price_change_threshold: Option<f64>,
    up_bsr_change_threshold: Option<f64>,
    up_target_price: Option<Decimal>,
    up_notes: Option<String>,
    up_created_at: Ts,
    up_updated_at: Ts,
}

impl TryFrom<TrackedRow> for TrackedProduct {
    type Error = StoreError;
    fn try_from(r: TrackedRow) -> Result<Self, StoreError> {
        let tracking = UserProduct {
            id: r.up_id.into(),
            user_id: r.up_user_id.into(),
            product_id: r.product.id.into(),
            claimed_at: r.up_claimed_at,
            is_active: r.up_is_active,
            is_primary: r.up_is_primary,
            price_change_threshold: r.up_price_change_threshold,
            bsr_change_threshold: r.up_bsr_change_threshold,
            target_price: r.up_target_price,
            notes: r.up_notes,
            created_at: r.up_created_at,
            updated_at: r.up_updated_at,
        };
        Ok(TrackedProduct { tracking, product: r.product.try_into()? })
    }
}

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct TrackerRow {
    user_id: Uuid,
    user_product_id: Uuid,
    price_change_threshold: f64,
    bsr_change_threshold: f64,
    target_price: Option<Decimal>,
}

impl TryFrom<TrackerRow> for Tracker {
    type Error = StoreError;
    fn try_from(r: TrackerRow) -> Result<Self, StoreError> {
        Ok(Tracker {
            user_id: r.user_id.into(),
            user_product_id: r.user_product_id.into(),
            price_change_threshold: r.price_change_threshold,
            bsr_change_threshold: r.bsr_change_threshold,
            target_price: r.target_price,
        })
    }
}

/// A [`TrackerRow`] with the product it tracks, for reads over several products.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct ProductTrackerRow {
    pub(crate) product_id: Uuid,
    #[sqlx(flatten)]
    pub(crate) tracker: TrackerRow,
}

/// The columns of a `product_snapshots` row that make a [`NewSnapshot`]; shared by the
/// repositories' [`SnapshotRow`] and the pipeline's previous-snapshot read.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct NewSnapshotRow {
    product_id: Uuid,
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

impl TryFrom<NewSnapshotRow> for NewSnapshot {
    type Error = StoreError;
    fn try_from(r: NewSnapshotRow) -> Result<Self, StoreError> {
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
    id: Uuid,
    #[sqlx(flatten)]
    data: NewSnapshotRow,
    created_at: Ts,
    updated_at: Ts,
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

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct CategoryRow {
    id: Uuid,
    category_id: Option<String>,
    marketplace: String,
    name: String,
    url: Option<String>,
    parent_id: Option<Uuid>,
    level: i32,
    product_count: i32,
    last_scraped_at: Option<Ts>,
    created_at: Ts,
    updated_at: Ts,
}

impl TryFrom<CategoryRow> for Category {
    type Error = StoreError;
    fn try_from(r: CategoryRow) -> Result<Self, StoreError> {
        Ok(Category {
            id: r.id.into(),
            category_id: r.category_id,
            marketplace: parse(&r.marketplace)?,
            name: r.name,
            url: r.url,
            parent_id: r.parent_id.map(Into::into),
            level: r.level,
            product_count: r.product_count,
            last_scraped_at: r.last_scraped_at,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct BestsellerRow {
    id: Uuid,
    category_id: Uuid,
    scraped_at: Ts,
    rank: i32,
    asin: String,
    product_id: Option<Uuid>,
    title: Option<String>,
    price: Option<Decimal>,
    currency: Option<String>,
    rating: Option<f64>,
    review_count: Option<i32>,
    image_url: Option<String>,
    created_at: Ts,
    updated_at: Ts,
}

impl TryFrom<BestsellerRow> for BestsellerSnapshot {
    type Error = StoreError;
    fn try_from(r: BestsellerRow) -> Result<Self, StoreError> {
        Ok(BestsellerSnapshot {
            id: r.id.into(),
            category_id: r.category_id.into(),
            scraped_at: r.scraped_at,
            rank: r.rank,
            asin: parse(&r.asin)?,
            product_id: r.product_id.map(Into::into),
            title: r.title,
            price: r.price,
            currency: r.currency,
            rating: r.rating,
            review_count: r.review_count,
            image_url: r.image_url,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct CategoryMetricRow {
    id: Uuid,
    category_id: Uuid,
    category_level: String,
    recorded_at: Ts,
    avg_price: Option<Decimal>,
    median_price: Option<Decimal>,
    min_price: Option<Decimal>,
    max_price: Option<Decimal>,
    avg_bsr: Option<i32>,
    median_bsr: Option<i32>,
    avg_rating: Option<f64>,
    avg_review_count: Option<i32>,
    product_count: i32,
    created_at: Ts,
    updated_at: Ts,
}

impl TryFrom<CategoryMetricRow> for CategoryMetric {
    type Error = StoreError;
    fn try_from(r: CategoryMetricRow) -> Result<Self, StoreError> {
        Ok(CategoryMetric {
            id: r.id.into(),
            category_id: r.category_id.into(),
            category_level: parse(&r.category_level)?,
            recorded_at: r.recorded_at,
            avg_price: r.avg_price,
            median_price: r.median_price,
            min_price: r.min_price,
            max_price: r.max_price,
            avg_bsr: r.avg_bsr,
            median_bsr: r.median_bsr,
            avg_rating: r.avg_rating,
            avg_review_count: r.avg_review_count,
            product_count: r.product_count,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct ReviewRow {
    id: Uuid,
    product_id: Uuid,
    review_id: String,
    reviewer_name: Option<String>,
    rating: f64,
    title: Option<String>,
    text: Option<String>,
    review_date: Option<Ts>,
    verified_purchase: bool,
    helpful_count: i32,
    variant: Option<String>,
    created_at: Ts,
    updated_at: Ts,
}

impl TryFrom<ReviewRow> for Review {
    type Error = StoreError;
    fn try_from(r: ReviewRow) -> Result<Self, StoreError> {
        Ok(Review {
            id: r.id.into(),
            product_id: r.product_id.into(),
            review_id: r.review_id,
            reviewer_name: r.reviewer_name,
            rating: r.rating,
            title: r.title,
            text: r.text,
            review_date: r.review_date,
            verified_purchase: r.verified_purchase,
            helpful_count: r.helpful_count,
            variant: r.variant,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

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

/// `alerts.*` with the product's ASIN, marketplace and title.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct AlertViewRow {
    #[sqlx(flatten)]
    alert: AlertRow,
    asin: String,
    marketplace: String,
    product_title: String,
}

impl TryFrom<AlertViewRow> for AlertView {
    type Error = StoreError;
    fn try_from(r: AlertViewRow) -> Result<Self, StoreError> {
        Ok(AlertView {
            alert: r.alert.try_into()?,
            asin: parse(&r.asin)?,
            marketplace: parse(&r.marketplace)?,
            product_title: r.product_title,
        })
    }
}

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct NotificationRow {
    id: Uuid,
    user_id: Uuid,
    product_id: Option<Uuid>,
    alert_id: Option<Uuid>,
    notification_type: String,
    title: String,
    message: String,
    data: Value,
    priority: String,
    status: String,
    is_read: bool,
    read_at: Option<Ts>,
    email_sent: bool,
    email_sent_at: Option<Ts>,
    email_error: Option<String>,
    action_url: Option<String>,
    created_at: Ts,
    updated_at: Ts,
}

impl TryFrom<NotificationRow> for Notification {
    type Error = StoreError;
    fn try_from(r: NotificationRow) -> Result<Self, StoreError> {
        Ok(Notification {
            id: r.id.into(),
            user_id: r.user_id.into(),
            product_id: r.product_id.map(Into::into),
            alert_id: r.alert_id.map(Into::into),
            notification_type: parse(&r.notification_type)?,
            title: r.title,
            message: r.message,
            data: r.data,
            priority: parse(&r.priority)?,
            status: parse(&r.status)?,
            is_read: r.is_read,
            read_at: r.read_at,
            email_sent: r.email_sent,
            email_sent_at: r.email_sent_at,
            email_error: r.email_error,
            action_url: r.action_url,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

/// A `suggestions` row; the enum columns are selected as text (`status::text`), because
/// PostgreSQL enums do not decode into `String`.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct SuggestionRow {
    pub(crate) id: Uuid,
    user_id: Uuid,
    pub(crate) product_id: Option<Uuid>,
    title: String,
    description: String,
    reasoning: String,
    priority: String,
    category: String,
    pub(crate) status: String,
    reviewed_by_id: Option<Uuid>,
    reviewed_at: Option<Ts>,
    ai_model: String,
    confidence_score: Option<f64>,
    pub(crate) expires_at: Option<Ts>,
    estimated_impact: Option<Value>,
    dedup_key: String,
    created_at: Ts,
    updated_at: Ts,
}

impl SuggestionRow {
    /// The suggestion with its actions.
    pub(crate) fn into_suggestion(self, actions: Vec<SuggestionAction>) -> Result<Suggestion, StoreError> {
        Ok(Suggestion {
            id: self.id.into(),
            user_id: self.user_id.into(),
            product_id: self.product_id.map(Into::into),
            title: self.title,
            description: self.description,
            reasoning: self.reasoning,
            priority: parse(&self.priority)?,
            category: parse(&self.category)?,
            status: parse(&self.status)?,
            reviewed_by_id: self.reviewed_by_id.map(Into::into),
            reviewed_at: self.reviewed_at,
            ai_model: self.ai_model,
            confidence_score: self.confidence_score,
            expires_at: self.expires_at,
            estimated_impact: self.estimated_impact,
            dedup_key: self.dedup_key,
            actions,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

/// A `suggestion_actions` row, enum columns as text.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct ActionRow {
    pub(crate) id: Uuid,
    pub(crate) suggestion_id: Uuid,
    pub(crate) action_type: String,
    target_field: String,
    current_value: Option<String>,
    pub(crate) proposed_value: String,
    reasoning: String,
    impact_description: Option<String>,
    pub(crate) status: String,
    reviewed_by_id: Option<Uuid>,
    reviewed_at: Option<Ts>,
    applied_at: Option<Ts>,
    applied_by_id: Option<Uuid>,
    application_result: Option<String>,
    error_message: Option<String>,
    created_at: Ts,
    updated_at: Ts,
}

impl TryFrom<ActionRow> for SuggestionAction {
    type Error = StoreError;
    fn try_from(r: ActionRow) -> Result<Self, StoreError> {
        Ok(SuggestionAction {
            id: r.id.into(),
            suggestion_id: r.suggestion_id.into(),
            action_type: parse(&r.action_type)?,
            target_field: r.target_field,
            current_value: r.current_value,
            proposed_value: r.proposed_value,
            reasoning: r.reasoning,
            impact_description: r.impact_description,
            status: parse(&r.status)?,
            reviewed_by_id: r.reviewed_by_id.map(Into::into),
            reviewed_at: r.reviewed_at,
            applied_at: r.applied_at,
            applied_by_id: r.applied_by_id.map(Into::into),
            application_result: r.application_result,
            error_message: r.error_message,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

/// Converts every row, failing on the first bad one.
pub(crate) fn convert_all<R, T>(rows: Vec<R>) -> Result<Vec<T>, StoreError>
where
    T: TryFrom<R, Error = StoreError>,
{
    rows.into_iter().map(T::try_from).collect()
}

/// Converts an optional row.
pub(crate) fn convert_opt<R, T>(row: Option<R>) -> Result<Option<T>, StoreError>
where
    T: TryFrom<R, Error = StoreError>,
{
    row.map(T::try_from).transpose()
}

/// The previous snapshot of a new one: the newest with an earlier `scraped_at`.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct PreviousRow {
    /// `scraped_at` of the new snapshot it is the previous of.
    pub(crate) for_scraped_at: Ts,
    #[sqlx(flatten)]
    pub(crate) snapshot: NewSnapshotRow,
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
