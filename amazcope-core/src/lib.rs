//! Amazcope's domain: the types of every entity, validated values, the rules that turn a
//! new snapshot into alerts, the repository traits and the services written against them.
//!
//! This crate does no I/O: storage is `amazcope-pg`, pages come from `amazcope-scrape`.
#![warn(missing_docs)]

pub mod analytics;
pub mod delivery;
mod error;
mod ids;
pub mod keepa;
mod marketplace;
pub mod model;
pub mod money;
mod product_ref;
pub mod repo;
pub mod rules;
pub mod secret;
pub mod service;
mod source;
pub mod suggest;
mod values;

pub use error::{FetchFailure, ServiceError, StoreError, Unavailable, ValidationError};
pub use ids::*;
pub use marketplace::Marketplace;
pub use model::enums::*;
pub use money::{Currency, Money};
pub use product_ref::ProductRef;
pub use repo::*;
pub use source::PageSource;
pub use values::{Asin, Percent, Rating};
