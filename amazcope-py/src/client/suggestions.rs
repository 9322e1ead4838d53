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

#[pymethods]
impl Client {
    /// Runs the suggestion generators over `user`'s tracked products and stores what they
    /// propose (a proposal matching one of the user's pending suggestions is skipped, so a
    /// second run adds nothing). Returns a dict: `products`, `proposed`, `skipped`,
    /// `created` (a table as :meth:`suggestions` returns) and `errors` (list of
    /// (asin, generator, message)).
    fn suggest<'py>(&self, py: Python<'py>, user: String) -> Result<Bound<'py, PyDict>> {
        suggest(self, py, user)
    }

    /// `user`'s suggestions (expired ones left out; only `status` ones when given:
    /// `pending`, `approved`, `rejected`, `applied`, ...), by priority then newest, as a
    /// table; each row's `actions` column lists its actions (`id`, `action_type`,
    /// `target_field`, `current_value`, `proposed_value`, `status`, ...).
    #[pyo3(signature = (user, status=None))]
    fn suggestions<'py>(
        &self,
        py: Python<'py>,
        user: String,
        status: Option<String>,
    ) -> Result<Bound<'py, PyAny>> {
        suggestions(self, py, user, status)
    }

    /// How many suggestions `user` has: a dict with `total` and the counts `by_status`,
    /// `by_category` and `by_priority` (dicts; a value with none is left out). A pending
    /// suggestion past its expiry counts as `expired`.
    fn suggestion_stats<'py>(&self, py: Python<'py>, user: String) -> Result<Bound<'py, PyAny>> {
        suggestion_stats(self, py, user)
    }

    /// One of `user`'s suggestions as a dict, with its `actions` as a list of dicts.
    /// Another user's suggestion is `NotFound`.
    fn suggestion<'py>(
        &self,
        py: Python<'py>,
        user: String,
        suggestion_id: String,
    ) -> Result<Bound<'py, PyDict>> {
        review(self, py, user, suggestion_id, Review::Show)
    }

    /// Approves one of `user`'s pending suggestions: every action, or only `actions` (ids;
    /// the others are rejected). Returns the suggestion as a dict. Reviewing a suggestion
    /// that is not pending is a `ConflictError`.
    #[pyo3(signature = (user, suggestion_id, actions=None))]
    fn approve<'py>(
        &self,
        py: Python<'py>,
        user: String,
        suggestion_id: String,
        actions: Option<Vec<String>>,
    ) -> Result<Bound<'py, PyDict>> {
        review(self, py, user, suggestion_id, Review::Approve(actions))
    }

    /// Rejects one of `user`'s pending suggestions and all its actions. Returns the
    /// suggestion as a dict.
    fn reject<'py>(
        &self,
        py: Python<'py>,
        user: String,
        suggestion_id: String,
    ) -> Result<Bound<'py, PyDict>> {
        review(self, py, user, suggestion_id, Review::Reject)
    }

    /// Applies the approved actions of one of `user`'s suggestions (all of them, or only
    /// `actions`), all or nothing. Returns the suggestion as a dict.
    #[pyo3(signature = (user, suggestion_id, actions=None))]
    fn apply<'py>(
        &self,
        py: Python<'py>,
        user: String,
        suggestion_id: String,
        actions: Option<Vec<String>>,
    ) -> Result<Bound<'py, PyDict>> {
        review(self, py, user, suggestion_id, Review::Apply(actions))
    }
}
