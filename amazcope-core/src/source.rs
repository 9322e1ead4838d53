//! Where pages come from: the fetcher in `amazcope-scrape`, a local storefront, saved files.

use crate::model::page::FetchedPage;
use crate::{Asin, FetchFailure, Marketplace};
use async_trait::async_trait;

/// Something that can fetch and parse a product page.
#[async_trait]
pub trait PageSource: Send + Sync + 'static {
    /// Fetches and parses the detail page of `asin` on `marketplace`. A page that is not a
    /// product (captcha, not found) is returned as such in [`FetchedPage::page`] when it
    /// came back with HTTP 200; transport-level failures are [`FetchFailure`]s.
    async fn product_page(&self, asin: &Asin, marketplace: Marketplace) -> Result<FetchedPage, FetchFailure>;
}
