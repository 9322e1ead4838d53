//! Sends Amazcope notifications (issue 14): e-mail over SMTP with `lettre`, webhooks with
//! `reqwest` (HMAC-SHA256 signatures with `hmac` + `sha2`), retries with exponential
//! back-off and jitter from `backon`, and the worker loop over the outbox of
//! [`amazcope_pg::delivery`].
//!
//! A separate crate rather than a module of `amazcope-scrape` (which also owns reqwest):
//! scraping and delivery share no code, and the SMTP stack (lettre, its TLS) should not be
//! built into every user of the page parser.
//!
//! Delivery is at least once: a worker that dies between its send and its record leaves
//! the row leased; once the lease runs out another worker sends it again. Receivers dedupe
//! on the `Idempotency-Key` header (the delivery id, the same on every attempt).
#![warn(missing_docs)]

mod config;
mod run;
mod send;
#[cfg(feature = "sinks")]
pub mod sinks;

pub use config::{DeliveryConfig, SmtpConfig};
pub use run::Deliverer;
pub use send::{SendReport, Sender, SenderError, sign};
