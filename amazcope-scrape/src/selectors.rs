//! Every CSS selector the parsers use, compiled once. Fallback chains name the page layout
//! each entry covers.

use scraper::Selector;
use std::sync::LazyLock;

macro_rules! selectors {
    ($($(#[$doc:meta])* $name:ident = $css:literal;)*) => {
        $(
            $(#[$doc])*
            pub(crate) static $name: LazyLock<Selector> = LazyLock::new(|| {
                // Literals are checked by the test below; a typo fails `cargo test`.
                Selector::parse($css).unwrap_or_else(|e| panic!("selector {:?}: {e:?}", $css))
            });
        )*

        /// Name and CSS text of every selector, for the parse test.
        #[cfg(test)]
        pub(crate) const ALL: &[(&str, &str)] = &[$((stringify!($name), $css),)*];

        #[cfg(test)]
        fn force_all() {
            $(LazyLock::force(&$name);)*
        }
    };
}

selectors! {
    // ---- price blocks ----
    /// 2023+ desktop core price (`.priceToPay`), and the 2021 apex table (`.apexPriceToPay`).
    PRICE_TO_PAY_BOX = ".priceToPay, .apexPriceToPay";
    /// Any non-strikethrough `.a-price` (compact `#corePrice_feature_div` of books/media).
    A_PRICE = ".a-price:not(.a-text-price)";
    /// The screen-reader full text of an `.a-price`.
    OFFSCREEN = ".a-offscreen";
    /// Visible whole part of a split price.
    PRICE_WHOLE = ".a-price-whole";
    /// Visible fraction of a split price.
    PRICE_FRACTION = ".a-price-fraction";
    /// Visible currency symbol of a split price.
    PRICE_SYMBOL = ".a-price-symbol";
    /// Strikethrough reference price (2021+ layouts: List Price, Was, RRP, M.R.P., UVP...).
    STRIKE_PRICE = ".a-text-price[data-a-strike=\"true\"] .a-offscreen, .basisPrice .a-text-price .a-offscreen";
    /// Strikethrough cell of the pre-2021 price table ("List Price:" row).
    STRIKE_CELL = ".a-text-strike, .priceBlockStrikePriceString";
    /// Per-unit prices, never the price (`($0.25 / Count)`).
    PER_UNIT = ".pricePerUnit, [data-a-size=\"mini\"], .a-size-mini";
    /// Price shown as coloured text (Kindle, mobile, accordion buy boxes).
    COLOR_PRICE = ".header-price, .offer-price, .a-color-price";
    /// Selected format of a book / media page (`#tmmSwatches`).
    TMM_SELECTED = ".swatchElement.selected, .a-button-selected";
    /// Price inside a format swatch.
    TMM_PRICE = ".a-color-price, .slot-price, .a-color-base";

    // ---- text blocks ----
    /// Brand byline's author spans: books and media have authors, not a brand.
    AUTHOR = ".author, .contributorNameID, [data-asin-author]";
    /// Star rating alt text (`4.5 out of 5 stars`).
    ICON_ALT = ".a-icon-alt";
    /// Amazon's Choice keyword link.
    AC_KEYWORD = ".ac-keyword-link, .ac-for-text .ac-keyword-link";
    /// Feature bullets.
    FEATURE_ITEM = "li";
    /// Breadcrumb links.
    BREADCRUMB = "li a, a.a-link-normal";
    /// Rows of the product-details tables.
    TABLE_ROW = "tr";
    /// Header cell of a details row.
    ROW_NAME = "th";
    /// Value cell of a details row.
    ROW_VALUE = "td";
    /// Items of the details bullet lists (2019+ media/books layout, `#detailBullets_feature_div`).
    BULLET_ITEM = "li";
    /// Label of a details bullet.
    BULLET_LABEL = ".a-text-bold, b";
    /// Anchor elements.
    ANCHOR = "a";
    /// Image elements.
    IMG = "img";

    /// Availability line of the pinned (main) offer in the all-offers display widget.
    AOD_AVAILABILITY = "#aod-offer-availability span, #aod-offer-availability";
    /// Value text of a 2022+ offer-display row (`Sold by` / `Ships from` name), and the
    /// seller link of the older merchant line.
    OFFER_DISPLAY_TEXT = ".offer-display-feature-text-message, #sellerProfileTriggerId";
    /// Seller or shipper name in an all-offers display row (`#aod-offer-soldBy`).
    AOD_NAME = "a.a-link-normal, .a-size-small.a-color-base";
    /// Visible rating number beside the stars (2023+ `#acrPopover`).
    RATING_NUMBER = ".a-size-base.a-color-base, .a-size-small.a-color-base";
    /// Star icon of a rating block, its alt text or `data-rating` (books layouts).
    STAR_ICON = "i.a-icon-star .a-icon-alt, i.a-icon-star-small .a-icon-alt, [data-rating]";

    /// Main title span of the 2024+ books layout (`#title` without `#productTitle`), not the
    /// format / date beside it.
    BOOKS_TITLE = "span.a-size-extra-large, span.a-size-large:not(.a-color-secondary)";

    // ---- best-seller lists ----
    /// 2021+ grid item (`#gridItemRoot`), and the 2019 list item (`.zg-item-immersion`).
    ZG_ITEM = "#gridItemRoot, .zg-item-immersion, li.zg_itemImmersion, div.zg_itemImmersion";
    /// Rank badge of a list item.
    ZG_RANK = ".zg-bdg-text, .zg-badge-text, .zg_rankNumber";
    /// Element carrying the item's ASIN.
    DATA_ASIN = "[data-asin]";
    /// The item's price.
    ZG_PRICE = "[class*=\"p13n-sc-price\"], .p13n-sc-price, .a-color-price";
    /// Link to the item's reviews (its text is the count).
    REVIEWS_LINK = "a[href*=\"product-reviews\"]";
    /// Best-seller list title (`Best Sellers in Tools & Home Improvement`).
    ZG_TITLE = "#zg_banner_text, h1";
    /// Product links.
    DP_LINK = "a[href*=\"/dp/\"]";

    // ---- reviews ----
    /// One review (2019+ layout `data-hook=review`).
    REVIEW = "[data-hook=\"review\"]";
    /// Review stars.
    REVIEW_STARS = "[data-hook=\"review-star-rating\"], [data-hook=\"cmps-review-star-rating\"]";
    /// Review title.
    REVIEW_TITLE = "[data-hook=\"review-title\"]";
    /// Review body.
    REVIEW_BODY = "[data-hook=\"review-body\"]";
    /// Review author.
    REVIEW_AUTHOR = ".a-profile-name";
    /// Review date line.
    REVIEW_DATE = "[data-hook=\"review-date\"]";
    /// Verified purchase badge.
    REVIEW_VERIFIED = "[data-hook=\"avp-badge\"], [data-hook=\"avp-badge-linkless\"]";
    /// Helpful votes.
    REVIEW_HELPFUL = "[data-hook=\"helpful-vote-statement\"]";
    /// Reviewed variation.
    REVIEW_VARIANT = "[data-hook=\"format-strip\"], [data-hook=\"format-strip-linkless\"]";

    // ---- listings ----
    /// Search result (2019+ `s-search-result`) and the pre-2019 `s-result-item`.
    SEARCH_RESULT = "[data-component-type=\"s-search-result\"][data-asin], li.s-result-item[data-asin]";
    /// Result title.
    RESULT_TITLE = "h2";
    /// First price of a result.
    RESULT_PRICE = ".a-price .a-offscreen, .a-color-price";
    /// One offer on an offers page (2019 `.olpOffer`, 2021 all-offers display `#aod-offer`).
    OFFER = ".olpOffer, #aod-offer, .aod-offer";
    /// Offer price.
    OFFER_PRICE = ".olpOfferPrice, .a-price .a-offscreen";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_selector_parses() {
        for (name, css) in ALL {
            assert!(Selector::parse(css).is_ok(), "selector {name} = {css:?} does not parse");
        }
        force_all();
    }

    #[test]
    fn price_selectors_find_the_price_not_the_strike() {
        let html = scraper::Html::parse_fragment(
            r#"<div><span class="a-price a-text-price" data-a-strike="true"><span class="a-offscreen">$329.55</span></span>
            <span class="a-price priceToPay"><span class="a-offscreen">$262.00</span></span></div>"#,
        );
        let price: Vec<_> = html
            .select(&PRICE_TO_PAY_BOX)
            .flat_map(|b| b.select(&OFFSCREEN))
            .map(|e| e.text().collect::<String>())
            .collect();
        assert_eq!(price, ["$262.00"]);
        let strike: Vec<_> = html.select(&STRIKE_PRICE).map(|e| e.text().collect::<String>()).collect();
        assert_eq!(strike, ["$329.55"]);
        assert_eq!(html.select(&A_PRICE).count(), 1);
    }

    #[test]
    fn review_selectors_match_hooks() {
        let html = scraper::Html::parse_fragment(
            r#"<div data-hook="review" id="R1"><span data-hook="review-body">Good</span><span class="a-profile-name">Ann</span></div>"#,
        );
        let r = html.select(&REVIEW).next().expect("review");
        assert_eq!(r.select(&REVIEW_BODY).next().map(|e| e.text().collect::<String>()), Some("Good".into()));
        assert_eq!(r.select(&REVIEW_AUTHOR).count(), 1);
    }

    #[test]
    fn list_selectors_match_items() {
        let html = scraper::Html::parse_fragment(
            r#"<div id="gridItemRoot"><span class="zg-bdg-text">#1</span><div data-asin="B08N5NQ869"></div></div>
               <div data-component-type="s-search-result" data-asin="B000000001"><h2>T</h2></div>"#,
        );
        assert_eq!(html.select(&ZG_ITEM).count(), 1);
        assert_eq!(html.select(&ZG_RANK).count(), 1);
        assert_eq!(html.select(&DATA_ASIN).count(), 2);
        assert_eq!(html.select(&SEARCH_RESULT).count(), 1);
    }
}
