//! Typed identifiers. Every entity has its own UUID newtype, so a `ProductId` can never be
//! passed where an `AlertId` is expected.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$doc:meta] $name:ident,)*) => {$(
        #[$doc]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A new random (v4) id; the database generates its own when none is given.
            pub fn new_random() -> Self {
                Self(Uuid::new_v4())
            }
            /// The inner UUID.
            pub fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl From<Uuid> for $name {
            fn from(u: Uuid) -> Self {
                Self(u)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = crate::ValidationError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s.trim())
                    .map(Self)
                    .map_err(|e| crate::ValidationError::new(stringify!($name), s, e.to_string()))
            }
        }
    )*};
}

id_type! {
    /// Key of `users`.
    UserId,
    /// Key of `user_settings`.
    UserSettingsId,
    /// Key of `products`.
    ProductId,
    /// Key of `user_products` (one user tracking one product).
    UserProductId,
    /// Key of `product_snapshots`.
    SnapshotId,
    /// Key of `reviews` (our key; Amazon's review id is [`crate::model::review::Review::review_id`]).
    ReviewId,
    /// Key of `categories`.
    CategoryId,
    /// Key of `bestseller_snapshots`.
    BestsellerSnapshotId,
    /// Key of `category_metrics`.
    CategoryMetricId,
    /// Key of `alerts`.
    AlertId,
    /// Key of `notifications`.
    NotificationId,
    /// Key of `suggestions`.
    SuggestionId,
    /// Key of `suggestion_actions`.
    SuggestionActionId,
    /// Key of `api_tokens`.
    ApiTokenId,
}
