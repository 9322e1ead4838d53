//! Suggestions: generating them, listing, reviewing and applying.

use super::Client;
use crate::errors::Result;
use crate::views;
use amazcope_core::{
    SuggestionActionId, SuggestionId, SuggestionRepository, SuggestionStatus, ValidationError,
};
use chrono::Utc;
use pyo3::prelude::*;
use pyo3::types::PyDict;

fn ids<T: std::str::FromStr<Err = ValidationError>>(given: Option<Vec<String>>) -> Result<Vec<T>> {
    Ok(given.unwrap_or_default().iter().map(|s| s.parse()).collect::<std::result::Result<_, _>>()?)
}

pub(super) fn suggest<'py>(c: &Client, py: Python<'py>, user: String) -> Result<Bound<'py, PyDict>> {
    let sug = c.suggester();
    let report = c.as_user(py, user, move |_, u| async move { Ok(sug.run(u.id, Utc::now()).await?) })?;
    Ok(views::suggest_run_dict(py, &report)?)
}

pub(super) fn suggestions<'py>(
    c: &Client,
    py: Python<'py>,
    user: String,
    status: Option<String>,
) -> Result<Bound<'py, PyAny>> {
    let status = status.map(|s| s.parse::<SuggestionStatus>()).transpose()?;
    let sug = c.suggester();
    let rows = c.as_user(py, user, move |_, u| async move { Ok(sug.list(u.id, status).await?) })?;
    Ok(views::suggestions_table(&rows).into_pyarrow(py)?)
}

pub(super) fn suggestion_stats<'py>(c: &Client, py: Python<'py>, user: String) -> Result<Bound<'py, PyAny>> {
    let stats = c.as_user(py, user, |store, u| async move { Ok(store.suggestion_stats(u.id).await?) })?;
    super::json_to_py(py, &stats)
}

/// What to do with one suggestion.
pub(super) enum Review {
    Show,
    Approve(Option<Vec<String>>),
    Reject,
    Apply(Option<Vec<String>>),
}

/// Shows, approves, rejects or applies one of `user`'s suggestions; returns it as a dict.
pub(super) fn review<'py>(
    c: &Client,
    py: Python<'py>,
    user: String,
    suggestion_id: String,
    what: Review,
) -> Result<Bound<'py, PyDict>> {
    let id: SuggestionId = suggestion_id.parse()?;
    let actions: Vec<SuggestionActionId> = match &what {
        Review::Approve(a) | Review::Apply(a) => ids(a.clone())?,
        Review::Show | Review::Reject => Vec::new(),
    };
    let sug = c.suggester();
    let s = c.as_user(py, user, move |_, u| async move {
        Ok(match what {
            Review::Show => sug.show(u.id, id).await?,
            Review::Approve(_) => sug.approve(u.id, id, &actions).await?,
            Review::Reject => sug.reject(u.id, id).await?,
            Review::Apply(_) => sug.apply(u.id, id, &actions).await?,
        })
    })?;
    Ok(views::suggestion_dict(py, &s)?)
}
