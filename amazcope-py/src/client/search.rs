//! `client.search(...)`: product search (full text, ASIN, exact title, similar titles).

use super::{Client, count};
use crate::arrow::Columns;
use crate::errors::Result;
use crate::runtime::block_on;
use amazcope_core::Marketplace;
use amazcope_pg::search::{MatchKind, SearchQuery};
use pyo3::prelude::*;
use std::sync::Arc;

pub(super) fn search<'py>(
    c: &Client,
    py: Python<'py>,
    text: String,
    marketplace: Option<Marketplace>,
    user: Option<String>,
    limit: u32,
) -> Result<Bound<'py, PyAny>> {
    super::no_nul("text", &text)?;
    let svc = c.tracker();
    let store = Arc::clone(&c.store);
    let hits = block_on(py, async move {
        let mut query = SearchQuery::new(text);
        query.marketplace = marketplace;
        query.limit = limit;
        if let Some(name) = user {
            query.user = Some(svc.user(super::user_name(&name)?).await?.id);
        }
        Ok(store.search(&query).await?)
    })?;
    let mut t = Columns::default();
    t.utf8("asin", hits.iter().map(|h| Some(&h.asin)));
    t.utf8("marketplace", hits.iter().map(|h| Some(h.marketplace.code())));
    t.utf8("title", hits.iter().map(|h| Some(&h.title)));
    t.utf8("brand", hits.iter().map(|h| h.brand.as_ref()));
    t.money("price", hits.iter().map(|h| h.price));
    t.utf8("currency", hits.iter().map(|h| Some(h.currency.to_string())));
    t.utf8(
        "matched",
        hits.iter().map(|h| {
            Some(match h.matched {
                MatchKind::Asin => "asin",
                MatchKind::Title => "title",
                MatchKind::Text => "text",
                MatchKind::Similar => "similar",
            })
        }),
    );
    t.f64("rank", hits.iter().map(|h| Some(f64::from(h.rank))));
    t.f64("similarity", hits.iter().map(|h| Some(f64::from(h.similarity))));
    Ok(t.into_pyarrow(py)?)
}

#[pymethods]
impl Client {
    /// Products matching `text` (words, an ASIN or a title), best first, as a table (`asin`,
    /// `marketplace`, `title`, `brand`, `price`, `currency`, `matched`: asin, title, text or
    /// similar, `rank`, `similarity`). `marketplace` keeps to one marketplace (and its
    /// language's stemming); `user` to that user's tracked products.
    #[pyo3(signature = (text, marketplace=None, user=None, limit=20))]
    fn search<'py>(
        &self,
        py: Python<'py>,
        text: String,
        marketplace: Option<String>,
        user: Option<String>,
        limit: i64,
    ) -> Result<Bound<'py, PyAny>> {
        search(self, py, text, super::marketplace(marketplace.as_deref())?, user, count("limit", limit)?)
    }
}
