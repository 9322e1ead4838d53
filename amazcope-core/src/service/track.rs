//! Tracking: which user follows which product, by user name and ASIN.

use crate::model::product::{Product, ProductUpsert};
use crate::model::tracking::{TrackOptions, TrackedProduct};
use crate::model::user::{NewUser, User};
use crate::repo::Store;
use crate::{Asin, Marketplace, ServiceError, StoreError};
use std::sync::Arc;

/// Tracks and untracks products for users named by user name.
#[derive(Debug)]
pub struct TrackService<S: ?Sized> {
    store: Arc<S>,
}

impl<S: ?Sized> Clone for TrackService<S> {
    fn clone(&self) -> Self {
        Self { store: Arc::clone(&self.store) }
    }
}

impl<S: Store + ?Sized> TrackService<S> {
    /// A service over `store`.
    pub fn new(store: Arc<S>) -> Self {
        Self { store }
    }

    /// Creates a user with just a name (e-mail `<name>@localhost`).
    pub async fn add_user(&self, username: &str) -> Result<User, ServiceError> {
        let new = NewUser::named(username)?;
        Ok(self.store.create_user(&new).await?)
    }

    /// The active user called `username` ([`StoreError::NotFound`] otherwise).
    pub async fn user(&self, username: &str) -> Result<User, ServiceError> {
        match self.store.user_by_name(username).await? {
            Some(u) if u.is_active => Ok(u),
            _ => Err(StoreError::not_found("user", username).into()),
        }
    }

    /// The product `asin` on `marketplace` ([`StoreError::NotFound`] when not in the catalogue).
    pub async fn product(&self, asin: &Asin, marketplace: Marketplace) -> Result<Product, ServiceError> {
        self.store.product_by_asin(asin, marketplace).await?.ok_or_else(|| {
            StoreError::not_found("product", format!("{asin} on amazon.{}", marketplace.code())).into()
        })
    }

    /// Starts tracking `asin` on `marketplace` for `username`, creating the product when it
    /// is new (its data comes with the first refresh or import; the user is its creator).
    /// Tracking a product already tracked is a [`StoreError::Conflict`].
    pub async fn track(
        &self,
        username: &str,
        asin: Asin,
        marketplace: Marketplace,
        options: &TrackOptions,
    ) -> Result<TrackedProduct, ServiceError> {
        let user = self.user(username).await?;
        let product = match self.store.product_by_asin(&asin, marketplace).await? {
            Some(p) => p,
            None => self.store.upsert_product(&ProductUpsert::bare(asin, marketplace, Some(user.id))).await?,
        };
        let tracking = self.store.track(user.id, product.id, options).await?;
        Ok(TrackedProduct { tracking, product })
    }

    /// Stops tracking (the history stays).
    pub async fn untrack(
        &self,
        username: &str,
        asin: &Asin,
        marketplace: Marketplace,
    ) -> Result<(), ServiceError> {
        let user = self.user(username).await?;
        let product = self.product(asin, marketplace).await?;
        Ok(self.store.untrack(user.id, product.id).await?)
    }

    /// The user's tracked products with their latest values.
    pub async fn list(&self, username: &str) -> Result<Vec<TrackedProduct>, ServiceError> {
        let user = self.user(username).await?;
        Ok(self.store.tracked_products(user.id, false).await?)
    }
}
