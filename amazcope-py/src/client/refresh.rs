//! Fetching the due products from Amazon (or a local storefront).

use super::{Client, count};
use crate::errors::{Error, Result};
use crate::runtime::block_on;
use crate::views;
use amazcope_core::service::{RefreshOptions, RefreshService};
use amazcope_core::{Marketplace, ValidationError};
use amazcope_scrape::fetch::{Fetcher, FetcherConfig};
use chrono::Utc;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::sync::Arc;

/// A server to fetch from: `http://` or `https://`, a host, no white space or control
/// character. Checked here so a bad one is refused even when nothing is due to be fetched.
fn check_base_url(base: &str) -> Result<()> {
    let rest = base.strip_prefix("http://").or_else(|| base.strip_prefix("https://"));
    let reason = match rest {
        None => "must start with http:// or https://",
        Some(r) if r.is_empty() || r.starts_with('/') => "must name a host",
        Some(_) if base.chars().any(|c| c.is_whitespace() || c.is_control()) => {
            "must not contain spaces or control characters"
        }
        Some(_) => return Ok(()),
    };
    let shown: String = base.chars().take(120).collect();
    Err(ValidationError::new("base_url", shown.escape_debug(), reason).into())
}

/// The fetcher `refresh` uses: Amazon with the default politeness, or a local server
/// (`base_url`) without delays, as `amazcope refresh --base-url` does.
pub(crate) fn fetcher(base_url: Option<&str>) -> Result<Fetcher> {
    let mut config = FetcherConfig::default();
    if let Some(base) = base_url {
        check_base_url(base)?;
        config = config
            .with_min_spacing(std::time::Duration::ZERO)
            .with_captcha_cooldown(std::time::Duration::ZERO);
        for mp in Marketplace::ALL {
            config = config
                .with_base_url(*mp, base.trim_end_matches('/'))
                .with_marketplace_spacing(*mp, std::time::Duration::ZERO);
        }
    }
    Fetcher::new(config).map_err(|e| {
        Error::Validation(ValidationError::new("base_url", base_url.unwrap_or(""), e.to_string()))
    })
}

pub(super) fn refresh<'py>(
    c: &Client,
    py: Python<'py>,
    user: Option<String>,
    base_url: Option<String>,
    limit: u32,
) -> Result<Bound<'py, PyDict>> {
    let source = Arc::new(fetcher(base_url.as_deref())?);
    let svc = c.tracker();
    let store = Arc::clone(&c.store);
    let report = block_on(py, async move {
        let user = match user {
            Some(name) => Some(svc.user(super::user_name(&name)?).await?.id),
            None => None,
        };
        let service = RefreshService::new(store, source);
        let worker = format!("refresh-py-{}", std::process::id());
        let mut options = RefreshOptions::new(worker, Utc::now());
        options.user = user;
        options.limit = limit.max(1);
        Ok(service.refresh_due(&options, &mut |_| {}).await?)
    })?;
    Ok(views::refresh_dict(py, &report)?)
}

#[pymethods]
impl Client {
    /// Fetches the pages of the products that are due (only those `user` tracks, when
    /// given), stores them and raises alerts, as `amazcope refresh` does. `base_url` fetches
    /// from that server instead of Amazon (a local storefront; politeness delays off).
    /// Returns a dict: `claimed`, `stored`, `duplicates`, `failures`, `alerts` and `items`
    /// (a table: `asin`, `marketplace`, `outcome`, `detail`, `alerts`). A product that fails
    /// is reported in `items`; only an unusable `base_url` or the database raise.
    #[pyo3(signature = (user=None, *, base_url=None, limit=10_000))]
    fn refresh<'py>(
        &self,
        py: Python<'py>,
        user: Option<String>,
        base_url: Option<String>,
        limit: i64,
    ) -> Result<Bound<'py, PyDict>> {
        refresh(self, py, user, base_url, count("limit", limit)?)
    }
}
