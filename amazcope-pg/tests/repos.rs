//! Every repository method of `PgStore` against a real database (one per test, migrated by
//! `#[sqlx::test]`): values round-trip, writes are idempotent, errors name what failed.

#[path = "repos/common.rs"]
mod common;

#[path = "repos/alerts.rs"]
mod alerts;
#[path = "repos/categories.rs"]
mod categories;
#[path = "repos/errors.rs"]
mod errors;
#[path = "repos/notifications.rs"]
mod notifications;
#[path = "repos/products.rs"]
mod products;
#[path = "repos/reviews.rs"]
mod reviews;
#[path = "repos/snapshots.rs"]
mod snapshots;
#[path = "repos/suggestions.rs"]
mod suggestions;
#[path = "repos/tracking.rs"]
mod tracking;
#[path = "repos/users.rs"]
mod users;
