//! [`amazcope_core::PageSource`] over a fetcher and a parse function.

use crate::fetch::{FetchError, Fetcher};
use amazcope_core::model::page::{FetchedPage, ParsedPage};
use amazcope_core::{Asin, FetchFailure, Marketplace, PageSource};
use async_trait::async_trait;
use chrono::Utc;
use std::fmt;
use std::sync::Arc;

/// Turns page text into a [`ParsedPage`]. Any `Fn(&str, Option<Marketplace>) ->
/// Result<ParsedPage, E>` is one, so the crate's parser (or a fake in tests) plugs in as a
/// plain function.
pub trait PageParser: Send + Sync + 'static {
    /// Why a page could not be parsed.
    type Error: fmt::Display;
    /// Parses `html`; `hint` is the marketplace the page was fetched from.
    fn parse(&self, html: &str, hint: Option<Marketplace>) -> Result<ParsedPage, Self::Error>;
}

impl<F, E> PageParser for F
where
    F: Fn(&str, Option<Marketplace>) -> Result<ParsedPage, E> + Send + Sync + 'static,
    E: fmt::Display,
{
    type Error = E;
    fn parse(&self, html: &str, hint: Option<Marketplace>) -> Result<ParsedPage, E> {
        self(html, hint)
    }
}

/// A [`PageSource`] that fetches product pages with a [`Fetcher`] and parses them with `P`.
///
/// Parsing runs on tokio's blocking pool: product pages are around a megabyte and parsing
/// one takes milliseconds, too long to hold a runtime worker.
///
/// Outcomes: a robot check that came with a 2xx status is returned as a page of kind
/// [`ParsedPage::Captcha`], as the [`PageSource`] contract asks (the marketplace is backed
/// off all the same); any other [`FetchError`] becomes its [`FetchFailure`]. A body the
/// parser rejects becomes [`FetchFailure::GaveUp`] with the parser's message, since core
/// has no variant for it.
pub struct ScrapeSource<P> {
    fetcher: Fetcher,
    parser: Arc<P>,
}

impl<P> Clone for ScrapeSource<P> {
    fn clone(&self) -> Self {
        Self { fetcher: self.fetcher.clone(), parser: Arc::clone(&self.parser) }
    }
}

impl<P> fmt::Debug for ScrapeSource<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScrapeSource").field("fetcher", &self.fetcher).finish_non_exhaustive()
    }
}

impl<P: PageParser> ScrapeSource<P> {
    /// Joins a fetcher and a parser.
    pub fn new(fetcher: Fetcher, parser: P) -> Self {
        Self { fetcher, parser: Arc::new(parser) }
    }

    /// The fetcher (for its metrics or to cancel it).
    pub fn fetcher(&self) -> &Fetcher {
        &self.fetcher
    }
}

/// The crate's own parser, [`crate::parse_page`], as a [`PageParser`].
#[derive(Debug, Clone, Copy, Default)]
pub struct AmazonParser;

impl PageParser for AmazonParser {
    type Error = crate::ParseError;
    fn parse(&self, html: &str, hint: Option<Marketplace>) -> Result<ParsedPage, crate::ParseError> {
        crate::parse_page(html, hint)
    }
}

#[async_trait]
impl<P: PageParser> PageSource for ScrapeSource<P> {
    async fn product_page(&self, asin: &Asin, marketplace: Marketplace) -> Result<FetchedPage, FetchFailure> {
        product_page(&self.fetcher, &self.parser, asin, marketplace).await
    }
}

/// A fetcher is a [`PageSource`] with the crate's parser ([`AmazonParser`]); see
/// [`ScrapeSource`] for how outcomes map.
#[async_trait]
impl PageSource for Fetcher {
    async fn product_page(&self, asin: &Asin, marketplace: Marketplace) -> Result<FetchedPage, FetchFailure> {
        product_page(self, &Arc::new(AmazonParser), asin, marketplace).await
    }
}

async fn product_page<P: PageParser>(
    fetcher: &Fetcher,
    parser: &Arc<P>,
    asin: &Asin,
    marketplace: Marketplace,
) -> Result<FetchedPage, FetchFailure> {
    let html = match fetcher.fetch_product(marketplace, asin, None).await {
        Ok(html) => html,
        Err(FetchError::Captcha { url, marketplace: m, status, .. }) if (200..300).contains(&status) => {
            return Ok(FetchedPage {
                source: url,
                fetched_at: Utc::now(),
                page: ParsedPage::Captcha { marketplace: m.or(Some(marketplace)) },
            });
        }
        Err(e) => return Err(e.into()),
    };
    let parser = Arc::clone(parser);
    let body = html.body;
    let parsed = tokio::task::spawn_blocking(move || {
        parser.parse(&body, Some(marketplace)).map_err(|e| e.to_string())
    })
    .await;
    let last = match parsed {
        Ok(Ok(page)) => return Ok(FetchedPage { source: html.final_url, fetched_at: html.fetched_at, page }),
        Ok(Err(message)) => format!("unparseable page: {message}"),
        Err(join) => format!("parser failed: {join}"),
    };
    Err(FetchFailure::GaveUp { url: html.url, attempts: html.attempts, last })
}
