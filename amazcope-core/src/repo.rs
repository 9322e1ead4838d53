//! Repository traits: what the services need from storage. `amazcope-pg` implements them
//! for PostgreSQL; tests and embedders may supply their own.
//!
//! Every call that reads or changes tenant data takes the acting [`UserId`] and never
//! returns or touches another user's rows: a row of another user is reported as
//! [`StoreError::NotFound`], exactly like a missing one.

use crate::model::alert::{Alert, AlertQuery, AlertView, NewAlert};
use crate::model::category::{
    BestsellerSnapshot, Category, CategoryMetric, NewBestsellerEntry, NewCategory, NewCategoryMetric,
};
use crate::model::enums::{FetchStatus, SuggestionStatus};
use crate::model::notification::{NewNotification, Notification};
use crate::model::product::{Product, ProductQuery, ProductUpsert};
use crate::model::review::{NewReview, Review};
use crate::model::snapshot::{NewSnapshot, ProductSnapshot};
use crate::model::suggestion::{NewSuggestion, Suggestion, SuggestionStats};
use crate::model::tracking::{TrackOptions, TrackedProduct, Tracker, TrackingPatch, UserProduct};
use crate::model::user::{NewUser, SettingsPatch, User, UserSettings};
use crate::{
    AlertId, Asin, CategoryId, Marketplace, NotificationId, ProductId, SnapshotId, StoreError,
    SuggestionActionId, SuggestionId, UserId,
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Result of a repository call.
pub type StoreResult<T> = Result<T, StoreError>;

/// A half-open time range `[from, to)`; `None` ends are open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeRange {
    /// Inclusive start.
    pub from: Option<DateTime<Utc>>,
    /// Exclusive end.
    pub to: Option<DateTime<Utc>>,
}

impl TimeRange {
    /// The last `days` days up to `now`.
    pub fn last_days(now: DateTime<Utc>, days: u32) -> Self {
        Self { from: Some(now - chrono::Duration::days(i64::from(days))), to: None }
    }
}

/// Users and their settings.
#[async_trait]
pub trait UserRepository: Send + Sync + 'static {
    /// Creates a user. Duplicate e-mail or user name is a [`StoreError::Conflict`].
    async fn create_user(&self, new: &NewUser) -> StoreResult<User>;
    /// A user by id ([`StoreError::NotFound`] when missing).
    async fn user(&self, id: UserId) -> StoreResult<User>;
    /// A user by user name or e-mail.
    async fn user_by_name(&self, name_or_email: &str) -> StoreResult<Option<User>>;
    /// Every active user, by user name.
    async fn list_users(&self) -> StoreResult<Vec<User>>;
    /// The user's settings, created with defaults on first use.
    async fn settings(&self, user: UserId) -> StoreResult<UserSettings>;
    /// Changes the given settings (validated first).
    async fn update_settings(&self, user: UserId, patch: &SettingsPatch) -> StoreResult<UserSettings>;
    /// Puts every setting back to its default (the schema's), creating the row when missing.
    async fn reset_settings(&self, user: UserId) -> StoreResult<UserSettings>;
}

/// Products: the shared catalogue, one row per (ASIN, marketplace). Which user tracks what
/// is in [`TrackingRepository`].
#[async_trait]
pub trait ProductRepository: Send + Sync + 'static {
    /// A product by id.
    async fn product(&self, id: ProductId) -> StoreResult<Option<Product>>;
    /// A product by ASIN and marketplace.
    async fn product_by_asin(&self, asin: &Asin, marketplace: Marketplace) -> StoreResult<Option<Product>>;
    /// Creates the product, or updates the metadata given (fields that are `None` keep
    /// their stored value). Never changes `created_by_id` of an existing product.
    async fn upsert_product(&self, product: &ProductUpsert) -> StoreResult<Product>;
    /// Creates a product; an existing (ASIN, marketplace) is a [`StoreError::Conflict`]
    /// naming both.
    async fn create_product(&self, product: &ProductUpsert) -> StoreResult<Product>;
    /// Soft delete: `is_active = false`. The product leaves every active list.
    async fn deactivate_product(&self, id: ProductId) -> StoreResult<()>;
    /// Records the outcome of a fetch; `NotFound` also marks the product unlisted
    /// (`is_unlisted`, `unlisted_at`), `Ok` clears the unlisted mark.
    async fn record_fetch(
        &self,
        id: ProductId,
        status: FetchStatus,
        error: Option<&str>,
        at: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// Searches the catalogue.
    async fn search_products(&self, query: &ProductQuery) -> StoreResult<Vec<Product>>;
}

/// Who tracks which product, with which thresholds.
#[async_trait]
pub trait TrackingRepository: Send + Sync + 'static {
    /// Starts tracking. Tracking a product twice is a [`StoreError::Conflict`]
    /// (`uq_user_product`); a row the user had untracked is re-activated with the new options.
    async fn track(
        &self,
        user: UserId,
        product: ProductId,
        options: &TrackOptions,
    ) -> StoreResult<UserProduct>;
    /// Changes the user's tracking of a product.
    async fn update_tracking(
        &self,
        user: UserId,
        product: ProductId,
        patch: &TrackingPatch,
    ) -> StoreResult<UserProduct>;
    /// Stops tracking (soft: the row stays with `is_active = false`).
    async fn untrack(&self, user: UserId, product: ProductId) -> StoreResult<()>;
    /// The user's tracking row for a product, active or not.
    async fn tracking(&self, user: UserId, product: ProductId) -> StoreResult<Option<UserProduct>>;
    /// The user's tracked products with their latest values, newest first. Soft-deleted
    /// products and untracked rows are left out unless `include_inactive`.
    async fn tracked_products(
        &self,
        user: UserId,
        include_inactive: bool,
    ) -> StoreResult<Vec<TrackedProduct>>;
    /// Every active user actively tracking an active product, with thresholds resolved
    /// (tracking row, then the user's settings, then the defaults). Used by the alert engine.
    async fn trackers(&self, product: ProductId) -> StoreResult<Vec<Tracker>>;
}

/// What a snapshot insert did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotInsert {
    /// The snapshot's id (the existing one when it was a duplicate).
    pub id: SnapshotId,
    /// `false` when a snapshot with the same (product, scraped_at) already existed.
    pub inserted: bool,
}

/// What a batch insert did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchReport {
    /// Rows written.
    pub inserted: u64,
    /// Rows skipped because (product, scraped_at) was already stored.
    pub duplicates: u64,
}

/// The snapshot time series.
#[async_trait]
pub trait SnapshotRepository: Send + Sync + 'static {
    /// Stores one snapshot and, in the same transaction, the product's denormalised latest
    /// values when this snapshot is the newest. Idempotent on (product, scraped_at).
    async fn insert_snapshot(&self, snapshot: &NewSnapshot) -> StoreResult<SnapshotInsert>;
    /// Stores many snapshots in one transaction (bulk, never a row loop), then refreshes the
    /// latest values of every product touched. Idempotent on (product, scraped_at).
    async fn insert_snapshots(&self, snapshots: &[NewSnapshot]) -> StoreResult<BatchReport>;
    /// The newest snapshot of a product.
    async fn latest_snapshot(&self, product: ProductId) -> StoreResult<Option<ProductSnapshot>>;
    /// The newest snapshot strictly before `before` (the intent of the original's
    /// "previous snapshot").
    async fn previous_snapshot(
        &self,
        product: ProductId,
        before: DateTime<Utc>,
    ) -> StoreResult<Option<ProductSnapshot>>;
    /// A product's snapshots in a time range, oldest first, for a user who tracks it
    /// ([`StoreError::NotFound`] otherwise).
    async fn snapshot_history(
        &self,
        user: UserId,
        product: ProductId,
        range: TimeRange,
    ) -> StoreResult<Vec<ProductSnapshot>>;
}

/// Categories, best-seller lists and category metrics.
#[async_trait]
pub trait CategoryRepository: Send + Sync + 'static {
    /// Finds or creates a category (by marketplace + slug, else marketplace + parent + name);
    /// sets `level` from the parent.
    async fn upsert_category(&self, category: &NewCategory) -> StoreResult<Category>;
    /// A category by id.
    async fn category(&self, id: CategoryId) -> StoreResult<Option<Category>>;
    /// The categories of a marketplace, parents before children.
    async fn category_tree(&self, marketplace: Marketplace) -> StoreResult<Vec<Category>>;
    /// Stores best-seller entries; (category, scraped_at, rank) already stored is skipped.
    async fn insert_bestsellers(&self, entries: &[NewBestsellerEntry]) -> StoreResult<BatchReport>;
    /// The newest list of a category.
    async fn latest_bestsellers(&self, category: CategoryId) -> StoreResult<Vec<BestsellerSnapshot>>;
    /// Stores one metrics row.
    async fn insert_category_metric(&self, metric: &NewCategoryMetric) -> StoreResult<CategoryMetric>;
    /// The newest metrics of a category.
    async fn latest_category_metric(&self, category: CategoryId) -> StoreResult<Option<CategoryMetric>>;
}

/// Customer reviews.
#[async_trait]
pub trait ReviewRepository: Send + Sync + 'static {
    /// Inserts or updates reviews by Amazon's review id.
    async fn upsert_reviews(&self, reviews: &[NewReview]) -> StoreResult<BatchReport>;
    /// A tracked product's reviews, newest first.
    async fn reviews(&self, user: UserId, product: ProductId, limit: u32) -> StoreResult<Vec<Review>>;
}

/// Alerts. Creating an alert also creates its notification, in the same transaction.
#[async_trait]
pub trait AlertRepository: Send + Sync + 'static {
    /// Stores alerts and one notification each (built by
    /// [`crate::rules::notification_for`]); an alert of the same (user, snapshot, type)
    /// already stored is skipped. Returns the alerts written.
    async fn create_alerts(&self, alerts: &[NewAlert]) -> StoreResult<Vec<Alert>>;
    /// The user's alerts, newest first.
    async fn alerts(&self, user: UserId, query: &AlertQuery) -> StoreResult<Vec<AlertView>>;
    /// Marks one of the user's alerts read.
    async fn mark_alert_read(&self, user: UserId, alert: AlertId) -> StoreResult<Alert>;
    /// Marks all the user's alerts read; returns how many changed.
    async fn mark_all_alerts_read(&self, user: UserId) -> StoreResult<u64>;
}

/// Notifications.
#[async_trait]
pub trait NotificationRepository: Send + Sync + 'static {
    /// Stores a notification.
    async fn create_notification(&self, notification: &NewNotification) -> StoreResult<Notification>;
    /// The user's notifications, newest first.
    async fn notifications(
        &self,
        user: UserId,
        unread_only: bool,
        limit: u32,
    ) -> StoreResult<Vec<Notification>>;
    /// Marks one of the user's notifications read.
    async fn mark_notification_read(
        &self,
        user: UserId,
        notification: NotificationId,
    ) -> StoreResult<Notification>;
    /// Marks all the user's notifications read; returns how many changed.
    async fn mark_all_notifications_read(&self, user: UserId) -> StoreResult<u64>;
    /// Deletes one of the user's notifications (another user's is [`StoreError::NotFound`]).
    async fn delete_notification(&self, user: UserId, notification: NotificationId) -> StoreResult<()>;
    /// Deletes all the user's notifications; returns how many.
    async fn delete_all_notifications(&self, user: UserId) -> StoreResult<u64>;
    /// Deletes the user's notifications created before `older_than`, read or not; returns
    /// how many.
    async fn purge_notifications(&self, user: UserId, older_than: DateTime<Utc>) -> StoreResult<u64>;
}

/// A review decision on a suggestion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReviewDecision {
    /// Approve every action.
    Approve,
    /// Reject every action.
    Reject,
    /// Approve some actions and reject the rest.
    Partial {
        /// Actions approved; every other action is rejected.
        approved: Vec<SuggestionActionId>,
    },
}

/// Suggestions and their actions.
#[async_trait]
pub trait SuggestionRepository: Send + Sync + 'static {
    /// Stores a suggestion with its actions, unless the user already has a pending one with
    /// the same `dedup_key` (then `None`).
    async fn create_suggestion(&self, suggestion: &NewSuggestion) -> StoreResult<Option<Suggestion>>;
    /// The user's suggestions, by priority then newest; expired ones are left out.
    async fn suggestions(
        &self,
        user: UserId,
        status: Option<SuggestionStatus>,
    ) -> StoreResult<Vec<Suggestion>>;
    /// One of the user's suggestions.
    async fn suggestion(&self, user: UserId, id: SuggestionId) -> StoreResult<Suggestion>;
    /// Reviews a pending suggestion ([`StoreError::InvalidTransition`] otherwise).
    async fn review_suggestion(
        &self,
        user: UserId,
        id: SuggestionId,
        decision: &ReviewDecision,
    ) -> StoreResult<Suggestion>;
    /// Applies approved actions (all approved ones when `actions` is empty), each in one
    /// transaction with the change it makes.
    async fn apply_suggestion(
        &self,
        user: UserId,
        id: SuggestionId,
        actions: &[SuggestionActionId],
    ) -> StoreResult<Suggestion>;
    /// How many suggestions the user has, by status, category and priority. A pending
    /// suggestion past its `expires_at` counts as expired.
    async fn suggestion_stats(&self, user: UserId) -> StoreResult<SuggestionStats>;
}

/// Everything a service needs, as one object (`Arc<dyn Store>`).
pub trait Store:
    UserRepository
    + ProductRepository
    + TrackingRepository
    + SnapshotRepository
    + CategoryRepository
    + ReviewRepository
    + AlertRepository
    + NotificationRepository
    + SuggestionRepository
{
}

impl<T> Store for T where
    T: UserRepository
        + ProductRepository
        + TrackingRepository
        + SnapshotRepository
        + CategoryRepository
        + ReviewRepository
        + AlertRepository
        + NotificationRepository
        + SuggestionRepository
{
}
