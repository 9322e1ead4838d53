//! Errors of the page parsers.

/// A page could not be turned into any typed outcome.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// The text is not an Amazon page we recognise (no product, list, review, search,
    /// captcha or error markers).
    #[error("page not recognised as an amazon page ({bytes} bytes)")]
    Unrecognised {
        /// Length of the text.
        bytes: usize,
    },
    /// A page of a known kind lacks the field that identifies it.
    #[error("{page} page: cannot read {field} (looked at {selector})")]
    MissingField {
        /// The page kind (`product`).
        page: &'static str,
        /// The field (`asin`).
        field: &'static str,
        /// Where it was looked for.
        selector: &'static str,
    },
    /// The marketplace could not be told from the page and none was given.
    #[error("{page} page: cannot tell its marketplace (no canonical link or amazon host); pass one")]
    UnknownMarketplace {
        /// The page kind.
        page: &'static str,
    },
    /// The page is larger than [`crate::MAX_PAGE_BYTES`]; refused before any scan, so a
    /// runaway download or a wrong file cannot exhaust memory.
    #[error("page is {bytes} bytes, more than the {limit} a page may have")]
    TooLarge {
        /// Length of the text.
        bytes: usize,
        /// The limit it passed.
        limit: usize,
    },
    /// The page nests elements deeper than [`crate::MAX_DEPTH`]; refused before any DOM is
    /// built (tree construction slows quadratically with nesting).
    #[error("page nests elements more than {limit} deep (reached {depth} before the check stopped)")]
    TooDeep {
        /// The depth at which the check stopped.
        depth: usize,
        /// The limit it passed.
        limit: usize,
    },
}
