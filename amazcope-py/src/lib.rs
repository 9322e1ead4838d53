//! Python bindings for Amazcope: `amazcope.parse` (pure), `amazcope.connect` (PostgreSQL),
//! the exception tree of `amazcope.errors` and Arrow tables out.
//!
//! Every call releases the GIL while Rust parses or waits on the database, on one
//! process-wide tokio runtime (`runtime.rs`).
#![warn(missing_docs)]

mod arrow;
mod client;
mod convert;
mod copy;
mod errors;
mod fetch;
mod keepa;
mod page;
mod runtime;
mod views;

use amazcope_core::Marketplace;
use amazcope_core::model::page::ParsedPage;
use errors::{Error, Result};
use page::Page;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

/// HTML given as `str` or as raw `bytes` (decoded as UTF-8, invalid bytes replaced).
#[derive(Debug)]
struct Html(String);

impl<'a, 'py> FromPyObject<'a, 'py> for Html {
    type Error = PyErr;
    fn extract(ob: pyo3::Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        if let Ok(b) = ob.cast::<PyBytes>() {
            return Ok(Html(String::from_utf8_lossy(b.as_bytes()).into_owned()));
        }
        Ok(Html(ob.extract::<String>()?))
    }
}

fn parse_marketplace(m: Option<&str>) -> Result<Option<Marketplace>> {
    Ok(m.map(str::parse).transpose()?)
}

fn parse_html(html: &str, marketplace: Option<Marketplace>) -> Result<ParsedPage> {
    amazcope_scrape::parse_page(html, marketplace).map_err(Error::Parse)
}

/// Parses one saved or fetched Amazon page (HTML as `str` or `bytes`). `marketplace` (a
/// domain suffix such as `"de"` or `"co.uk"`) is used when the page does not say. Pure: no
/// database, no network. The GIL is released while parsing.
#[pyfunction]
#[pyo3(signature = (html, marketplace=None))]
fn parse(py: Python<'_>, html: Html, marketplace: Option<String>) -> Result<Page> {
    let hint = parse_marketplace(marketplace.as_deref())?;
    let page = runtime::detached(py, move || parse_html(&html.0, hint))?;
    Ok(Page::from(&page))
}

/// The native module; the public API is the `amazcope` package that re-exports it.
#[pymodule]
mod _amazcope {
    #[pymodule_export]
    use super::client::{Client, Db, connect};
    #[pymodule_export]
    use super::errors::{AmazcopeError, CaptchaError, ConflictError, DatabaseError, FetchError};
    #[pymodule_export]
    use super::fetch::fetch;
    #[pymodule_export]
    use super::keepa::decode_keepa;
    #[pymodule_export]
    use super::page::Page;
    #[pymodule_export]
    use super::parse;
    use pyo3::prelude::*;

    #[pymodule_init]
    fn init(m: &Bound<'_, PyModule>) -> PyResult<()> {
        let py = m.py();
        m.add("ValidationError", super::errors::validation_error_type(py)?)?;
        m.add("NotFound", super::errors::not_found_type(py)?)?;
        m.add("ParseError", super::errors::parse_error_type(py)?)?;
        m.add("__version__", env!("CARGO_PKG_VERSION"))?;
        Ok(())
    }
}
