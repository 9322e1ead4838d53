//! Reads Amazon pages into `amazcope-core` types (sync, pure: HTML text in, typed page out)
//! and fetches them politely (async, reqwest).
//!
//! Parsing entry point: [`parse_page`]. It never panics on any input and never defaults a
//! field to 0: each field is read, absent, or unparseable with the selector and the text.
//! Pages over [`MAX_PAGE_BYTES`] or nested deeper than [`MAX_DEPTH`] are refused with a typed
//! error before any DOM is built (`tests/no_panic.rs` fuzzes it with mutated saved pages).
#![warn(missing_docs)]

// The gzip backend choice only (Cargo.toml): no code of ours calls flate2.
use flate2 as _;

mod error;
pub mod fetch;
mod limits;
pub mod locale;
mod page;
mod region;
mod selectors;
mod text;

pub use error::ParseError;
pub use limits::{MAX_DEPTH, MAX_PAGE_BYTES};
pub use page::{detect_kind, detect_marketplace, parse_page};
