//! Every repository method of `PgStore` against a real database (one per test, migrated by
//! `#[sqlx::test]`): values round-trip, writes are idempotent, errors name what failed.

#[allow(dead_code)]
pub(crate) mod common;

mod alerts;

mod categories;

mod errors;
mod notifications;
mod products;

mod reviews;

mod snapshots;

mod suggestions;

mod tracking;

mod users;
