//! Widths of the schema's `varchar(n)` columns and the helpers that cut text to them, read by
//! every write (ingest and repositories alike), so a long scraped text never fails a batch
//! and both sides cut the same column at the same width.

/// `s` cut to at most `n` characters (the `varchar(n)` of its column).
pub(crate) fn cut(s: &str, n: usize) -> &str {
    // No more bytes than the limit: no more characters either (the usual case, no scan).
    if s.len() <= n {
        return s;
    }
    match s.char_indices().nth(n) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// [`cut`], owned.
pub(crate) fn clip(s: &str, n: usize) -> String {
    cut(s, n).to_owned()
}

/// An optional text cut to `n` characters.
pub(crate) fn clip_opt(s: Option<&str>, n: usize) -> Option<String> {
    s.map(|s| clip(s, n))
}

/// `products` columns.
pub(crate) mod products {
    pub(crate) const TITLE: usize = 500;
    pub(crate) const BRAND: usize = 200;
    pub(crate) const URL: usize = 1000;
    pub(crate) const CATEGORY: usize = 200;
    pub(crate) const BSR_LINK: usize = 500;
    pub(crate) const WEIGHT: usize = 100;
    pub(crate) const MODEL: usize = 100;
    pub(crate) const IMAGE_URL: usize = 1000;
    pub(crate) const STOCK_STATUS: usize = 50;
    pub(crate) const SELLER_NAME: usize = 255;
}

/// `product_snapshots` columns.
pub(crate) mod snapshots {
    pub(crate) const CATEGORY_NAME: usize = 200;
    pub(crate) const STOCK_STATUS: usize = 100;
    pub(crate) const SELLER_NAME: usize = 200;
    pub(crate) const SELLER_ID: usize = 100;
    pub(crate) const SELLER_STORE_URL: usize = 1000;
    pub(crate) const FULFILLED_BY: usize = 200;
    pub(crate) const COUPON_TEXT: usize = 500;
    pub(crate) const DEAL_TYPE: usize = 100;
    pub(crate) const PAST_SALES: usize = 200;
    pub(crate) const DELIVERY_MESSAGE: usize = 500;
    pub(crate) const PRODUCT_TYPE: usize = 50;
}

/// `categories` columns.
pub(crate) mod categories {
    pub(crate) const CATEGORY_ID: usize = 100;
    pub(crate) const NAME: usize = 200;
    pub(crate) const URL: usize = 1000;
}

/// `bestseller_snapshots` columns.
pub(crate) mod bestsellers {
    pub(crate) const TITLE: usize = 500;
    pub(crate) const IMAGE_URL: usize = 1000;
}

/// `reviews` columns.
pub(crate) mod reviews {
    pub(crate) const REVIEW_ID: usize = 100;
    pub(crate) const REVIEWER_NAME: usize = 200;
    pub(crate) const TITLE: usize = 500;
    pub(crate) const VARIANT: usize = 500;
}

/// `alerts` columns.
pub(crate) mod alerts {
    pub(crate) const TITLE: usize = 200;
    pub(crate) const VALUE: usize = 100;
}

/// `notifications` columns.
pub(crate) mod notifications {
    pub(crate) const TITLE: usize = 255;
    pub(crate) const ACTION_URL: usize = 500;
}

#[cfg(test)]
mod tests {
    use super::cut;

    #[test]
    fn cut_counts_characters_not_bytes() {
        assert_eq!(cut("abc", 3), "abc");
        assert_eq!(cut("abcd", 3), "abc");
        // Six bytes, five characters: nothing to cut at five, two cut at three.
        assert_eq!(cut("héllo", 5), "héllo");
        assert_eq!(cut("héllo", 3), "hél");
        assert_eq!(cut("日本語", 2), "日本");
        assert_eq!(cut("日本語", 3), "日本語");
        assert_eq!(cut("", 0), "");
        assert_eq!(cut("a", 0), "");
    }
}
