//! Private row types: what `sqlx` decodes, converted into core types with `TryFrom`. A stored
//! value that no longer passes the core rules (an unknown marketplace, a bad ASIN) becomes
//! [`StoreError::Invalid`], never a panic. Core types derive nothing from sqlx.

mod alerts;
mod categories;
mod notifications;
mod products;
mod reviews;
mod snapshots;
mod suggestions;
mod tracking;
mod users;

pub(crate) use alerts::*;
pub(crate) use categories::*;
pub(crate) use notifications::*;
pub(crate) use products::*;
pub(crate) use reviews::*;
pub(crate) use snapshots::*;
pub(crate) use suggestions::*;
pub(crate) use tracking::*;
pub(crate) use users::*;

use amazcope_core::{StoreError, ValidationError};
use chrono::{DateTime, Utc};
use serde_json::Value;

type Ts = DateTime<Utc>;

pub(crate) fn parse<T: std::str::FromStr<Err = ValidationError>>(s: &str) -> Result<T, StoreError> {
    Ok(s.parse::<T>()?)
}

fn parse_opt<T: std::str::FromStr<Err = ValidationError>>(s: Option<&str>) -> Result<Option<T>, StoreError> {
    s.map(parse).transpose()
}

/// A JSON array of strings (`amazons_choice_keywords`) as stored.
fn string_list(field: &'static str, v: Option<Value>) -> Result<Option<Vec<String>>, StoreError> {
    v.map(|v| {
        serde_json::from_value::<Vec<String>>(v.clone())
            .map_err(|e| StoreError::Invalid(ValidationError::new(field, v, e.to_string())))
    })
    .transpose()
}

/// Converts every row, failing on the first bad one.
pub(crate) fn convert_all<R, T>(rows: Vec<R>) -> Result<Vec<T>, StoreError>
where
    T: TryFrom<R, Error = StoreError>,
{
    rows.into_iter().map(T::try_from).collect()
}

/// Converts an optional row.
pub(crate) fn convert_opt<R, T>(row: Option<R>) -> Result<Option<T>, StoreError>
where
    T: TryFrom<R, Error = StoreError>,
{
    row.map(T::try_from).transpose()
}
