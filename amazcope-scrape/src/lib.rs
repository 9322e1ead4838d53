//! Reads Amazon pages into `amazcope-core` types (sync, pure: HTML text in, typed page out)
//! and fetches them politely (async, reqwest).
#![warn(missing_docs)]

pub mod fetch;
