//! The refresh queue: products due for a refresh, claimed under a lease so that any number
//! of workers share the work without fetching one product twice at once.

use crate::model::enums::TrackFrequency;
use crate::repo::StoreResult;
use crate::{Asin, Marketplace, ProductId, UserId};
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// A claim on due products.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimRequest {
    /// Who claims (recorded as `lease_owner`).
    pub worker_id: String,
    /// At most this many products.
    pub limit: u32,
    /// How long the lease lasts; a worker that dies loses its claims after this.
    pub lease: Duration,
    /// The time "due" is measured against.
    pub now: DateTime<Utc>,
    /// Only products this user tracks.
    pub user: Option<UserId>,
}

/// A product claimed for a refresh.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimedProduct {
    /// The product.
    pub product_id: ProductId,
    /// Its ASIN.
    pub asin: Asin,
    /// Its marketplace.
    pub marketplace: Marketplace,
    /// How often it is refreshed.
    pub track_frequency: TrackFrequency,
    /// When the lease runs out.
    pub lease_expires_at: DateTime<Utc>,
}

/// The work queue.
#[async_trait]
pub trait WorkQueue: Send + Sync + 'static {
    /// Claims up to `limit` products that are active, tracked by at least one active user,
    /// due (`next_refresh_at` unset or past) and not leased (or whose lease has run out),
    /// oldest due first. Claims never overlap between concurrent callers.
    async fn claim_due(&self, request: &ClaimRequest) -> StoreResult<Vec<ClaimedProduct>>;
    /// Ends `worker_id`'s lease and schedules the next refresh. `false` when the lease was
    /// no longer held (it ran out and another worker took the product).
    async fn complete(
        &self,
        product: ProductId,
        worker_id: &str,
        next_refresh_at: DateTime<Utc>,
    ) -> StoreResult<bool>;
    /// Ends `worker_id`'s lease without rescheduling (the product stays due).
    async fn release(&self, product: ProductId, worker_id: &str) -> StoreResult<bool>;
}

/// The end of a lease, written with the page that ends it: the product is rescheduled to
/// `next_refresh_at` and its lease cleared, if `worker_id` still holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeaseCompletion {
    /// The leased product.
    pub product_id: ProductId,
    /// The lease holder.
    pub worker_id: String,
    /// When the product is due next.
    pub next_refresh_at: DateTime<Utc>,
}

/// A request budget per marketplace shared by every worker process (kept in the database):
/// together they never start requests to one marketplace closer than its spacing, and a
/// captcha seen by one holds them all back.
#[async_trait]
pub trait RequestBudget: Send + Sync + std::fmt::Debug + 'static {
    /// Reserves the next request slot of `marketplace`, the fleet keeping `spacing` between
    /// slots (and the slots after any cool-down); returns how long to wait before it starts.
    async fn reserve(
        &self,
        marketplace: Marketplace,
        spacing: std::time::Duration,
    ) -> StoreResult<std::time::Duration>;
    /// Holds every request to `marketplace` back for `cooldown` from now (a captcha).
    async fn block(&self, marketplace: Marketplace, cooldown: std::time::Duration) -> StoreResult<()>;
    /// How long `marketplace` stays blocked from now (zero when it is not).
    async fn blocked_for(&self, marketplace: Marketplace) -> StoreResult<std::time::Duration>;
}
