//! Every write of the schema, once. Each table's writes are set-wise functions over a
//! connection inside the caller's transaction (a single row is a batch of one); the
//! repository methods of [`crate::PgStore`] and batch ingest ([`crate::ingest`]) both call
//! them, so a write that must change beside another (rollups beside snapshots, deliveries
//! beside notifications) is added in one place.
//!
//! Runtime SQL (`sqlx::query`) here, not the checked macros: the statements take UNNEST
//! arrays built from column lists, or COPY.

pub(crate) mod alerts;
pub(crate) mod api_tokens;
pub(crate) mod bestsellers;
pub(crate) mod categories;
pub(crate) mod channels;
mod copy;
pub(crate) mod deliveries;
pub(crate) mod notifications;
pub(crate) mod products;
pub(crate) mod reviews;
pub(crate) mod rollups;
pub(crate) mod snapshots;
