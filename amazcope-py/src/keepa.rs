//! `amazcope.decode_keepa(text)`: Keepa product histories decoded as `import_keepa` stores
//! them, without a database (for checking a file, and for comparing with the `keepa`
//! package's own conversion).

use crate::arrow::Columns;
use crate::errors::{Error, Result};
use amazcope_core::ValidationError;
use amazcope_core::keepa::{KeepaError, KeepaProduct, decode_file};
use pyo3::prelude::*;

/// A Keepa error as the validation error it is, naming the product and array index.
pub(crate) fn keepa_error(e: KeepaError) -> Error {
    match e {
        KeepaError::File { reason } => {
            Error::Validation(ValidationError::new("Keepa file", "the JSON", reason))
        }
        KeepaError::Product { product, at, reason } => Error::Validation(ValidationError::new(
            "Keepa product",
            product,
            at.map_or(reason.clone(), |a| format!("{a}: {reason}")),
        )),
    }
}

/// Decodes every product of `text`; the first malformed one is an error.
pub(crate) fn decode_all(text: &str, marketplace: Option<&str>) -> Result<Vec<KeepaProduct>> {
    let marketplace = marketplace.map(str::parse).transpose()?;
    decode_file(text, marketplace).map_err(keepa_error)?.into_iter().map(|p| p.map_err(keepa_error)).collect()
}

/// Decodes a Keepa product file (a JSON list of product objects or `{"products": [...]}`)
/// into one row per product and change time: `asin`, `marketplace`, `time` (UTC), `price`
/// (decimal; null when out of stock or unknown), `in_stock`, `list_price`, `sales_rank`,
/// `rating` (stars), `review_count`. A malformed product raises `ValidationError` naming it
/// and the array index.
#[pyfunction]
#[pyo3(signature = (text, marketplace=None))]
pub fn decode_keepa<'py>(
    py: Python<'py>,
    text: &str,
    marketplace: Option<String>,
) -> Result<Bound<'py, PyAny>> {
    let products = decode_all(text, marketplace.as_deref())?;
    let rows: Vec<(&KeepaProduct, &amazcope_core::keepa::KeepaPoint)> =
        products.iter().flat_map(|p| p.points.iter().map(move |x| (p, x))).collect();
    let mut c = Columns::default();
    c.utf8("asin", rows.iter().map(|(p, _)| Some(p.asin.as_str())));
    c.utf8("marketplace", rows.iter().map(|(p, _)| Some(p.marketplace.code())));
    c.time("time", rows.iter().map(|(_, x)| Some(x.at)));
    c.money("price", rows.iter().map(|(_, x)| x.price));
    c.bool("in_stock", rows.iter().map(|(_, x)| Some(x.in_stock)));
    c.money("list_price", rows.iter().map(|(_, x)| x.list_price));
    c.i32("sales_rank", rows.iter().map(|(_, x)| x.sales_rank));
    c.f64("rating", rows.iter().map(|(_, x)| x.rating));
    c.i32("review_count", rows.iter().map(|(_, x)| x.review_count));
    Ok(c.into_pyarrow(py)?)
}
