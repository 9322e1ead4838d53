//! `amazcope.fetch`: one live product page through the polite fetcher, parsed.

use crate::client::{fetcher, product_ref};
use crate::errors::Result;
use crate::page::Page;
use crate::runtime::block_on;
use amazcope_core::model::page::ParsedPage;
use amazcope_core::{FetchFailure, PageSource};
use pyo3::prelude::*;

/// Fetches and parses the detail page of `asin` on `marketplace` (default amazon.com), or of
/// the product an Amazon product URL names (spacing, retries with
/// backoff, captcha back-off); `base_url` points it at another server, such as a local
/// storefront. Raises `CaptchaError` when Amazon answers with a robot check and `FetchError`
/// when the page cannot be had (not found, throttled, gave up). The GIL is released meanwhile.
#[pyfunction]
#[pyo3(signature = (asin, marketplace = None, *, base_url = None))]
pub fn fetch(
    py: Python<'_>,
    asin: &str,
    marketplace: Option<&str>,
    base_url: Option<String>,
) -> Result<Page> {
    let product = product_ref(asin, marketplace)?;
    let source = fetcher(base_url.as_deref())?;
    let fetched =
        block_on(py, async move { Ok(source.product_page(&product.asin, product.marketplace).await?) })?;
    // A robot check answered with HTTP 200 comes back as a page; to the caller it is a failure.
    if let ParsedPage::Captcha { .. } = fetched.page {
        return Err(FetchFailure::Captcha { url: fetched.source }.into());
    }
    Ok(Page::from(&fetched.page))
}
