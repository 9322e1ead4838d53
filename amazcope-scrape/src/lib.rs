//! Reads Amazon pages into `amazcope-core` types (sync, pure: HTML text in, typed page out)
//! and fetches them politely (async, reqwest).
//!
//! Parsing entry point: [`parse_page`]. It never panics on any input and never defaults a
//! field to 0: each field is read, absent, or unparseable with the selector and the text.
#![warn(missing_docs)]

mod error;
pub mod fetch;
pub mod locale;
mod page;
mod region;
mod selectors;
mod text;

pub use error::ParseError;
pub use page::{detect_kind, detect_marketplace, parse_page};
