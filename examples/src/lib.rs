//! Library part of the `amazcope` command line: pieces that the binary, the demo and the
//! end-to-end tests share.
#![warn(missing_docs)]

pub mod serve;
pub mod storefront;
