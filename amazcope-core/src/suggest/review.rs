//! The review and apply state machine of suggestions, as pure checks every storage
//! backend reuses (SCHEMA §2.10 describes the original's broken one).
//!
//! Suggestion: `pending` → `approved` | `rejected` | `partially_approved` (once), or
//! `expired` when its time passes. Action: `pending` → `approved` | `rejected` at review;
//! `approved` → `applied` | `failed` at apply; `failed` may be applied again.

use crate::model::enums::{ActionStatus, ActionType, SuggestionStatus};
use crate::repo::ReviewDecision;
use crate::{Percent, StoreError, SuggestionActionId, SuggestionId, ValidationError};
use chrono::{DateTime, Utc};
use std::collections::HashSet;

/// A state change the state machine does not allow.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot {action} {entity} {id}: it is {state}")]
pub struct TransitionError {
    /// `suggestion` or `suggestion action`.
    pub entity: &'static str,
    /// Its id.
    pub id: String,
    /// The attempted change (`review`, `apply`).
    pub action: &'static str,
    /// The state it is in.
    pub state: String,
}

impl From<TransitionError> for StoreError {
    fn from(e: TransitionError) -> Self {
        StoreError::InvalidTransition { entity: e.entity, id: e.id, action: e.action, state: e.state }
    }
}

/// Why a review decision cannot be carried out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReviewError {
    /// The suggestion is not pending (or has expired).
    #[error(transparent)]
    Transition(#[from] TransitionError),
    /// A partial approval names an action that is not one of the suggestion's.
    #[error("suggestion {suggestion} has no action {action}")]
    UnknownAction {
        /// The suggestion reviewed.
        suggestion: SuggestionId,
        /// The action id that is not among its actions.
        action: SuggestionActionId,
    },
}

impl From<ReviewError> for StoreError {
    fn from(e: ReviewError) -> Self {
        match e {
            ReviewError::Transition(t) => t.into(),
            ReviewError::UnknownAction { action, .. } => StoreError::not_found("suggestion action", action),
        }
    }
}

/// A suggestion may be reviewed only while pending.
pub fn check_review(id: SuggestionId, status: SuggestionStatus) -> Result<(), TransitionError> {
    match status {
        SuggestionStatus::Pending => Ok(()),
        other => Err(TransitionError {
            entity: "suggestion",
            id: id.to_string(),
            action: "review",
            state: other.to_string(),
        }),
    }
}

/// [`check_review`], and a pending suggestion whose `expires_at` has passed is expired.
pub fn check_review_at(
    id: SuggestionId,
    status: SuggestionStatus,
    expires_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<(), TransitionError> {
    check_review(id, status)?;
    if expires_at.is_some_and(|e| e <= now) {
        return Err(TransitionError {
            entity: "suggestion",
            id: id.to_string(),
            action: "review",
            state: SuggestionStatus::Expired.to_string(),
        });
    }
    Ok(())
}

/// An action may be reviewed on its own only while pending.
pub fn check_action_review(id: SuggestionActionId, status: ActionStatus) -> Result<(), TransitionError> {
    match status {
        ActionStatus::Pending => Ok(()),
        other => Err(TransitionError {
            entity: "suggestion action",
            id: id.to_string(),
            action: "review",
            state: other.to_string(),
        }),
    }
}

/// An action may be applied when approved, or again after a failed attempt; never when
/// pending, rejected or already applied.
pub fn check_apply(id: SuggestionActionId, status: ActionStatus) -> Result<(), TransitionError> {
    match status {
        ActionStatus::Approved | ActionStatus::Failed => Ok(()),
        other => Err(TransitionError {
            entity: "suggestion action",
            id: id.to_string(),
            action: "apply",
            state: other.to_string(),
        }),
    }
}

/// What a review decision changes: the suggestion's new status and each action's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewPlan {
    /// The suggestion's status after the review.
    pub status: SuggestionStatus,
    /// Every action with its status after the review, in the order given.
    pub actions: Vec<(SuggestionActionId, ActionStatus)>,
}

/// Plans a review: approve all, reject all, or approve the listed actions and reject the
/// rest. A partial approval that approves every action is `approved`, one that approves
/// none is `rejected`.
pub fn plan_review(
    id: SuggestionId,
    status: SuggestionStatus,
    actions: &[SuggestionActionId],
    decision: &ReviewDecision,
) -> Result<ReviewPlan, ReviewError> {
    check_review(id, status)?;
    let approved: HashSet<SuggestionActionId> = match decision {
        ReviewDecision::Approve => actions.iter().copied().collect(),
        ReviewDecision::Reject => HashSet::new(),
        ReviewDecision::Partial { approved } => {
            if let Some(unknown) = approved.iter().find(|a| !actions.contains(a)) {
                return Err(ReviewError::UnknownAction { suggestion: id, action: *unknown });
            }
            approved.iter().copied().collect()
        }
    };
    let planned: Vec<(SuggestionActionId, ActionStatus)> = actions
        .iter()
        .map(|a| (*a, if approved.contains(a) { ActionStatus::Approved } else { ActionStatus::Rejected }))
        .collect();
    let n_approved = planned.iter().filter(|(_, s)| *s == ActionStatus::Approved).count();
    let status = match decision {
        ReviewDecision::Approve => SuggestionStatus::Approved,
        ReviewDecision::Reject => SuggestionStatus::Rejected,
        ReviewDecision::Partial { .. } if n_approved == planned.len() && n_approved > 0 => {
            SuggestionStatus::Approved
        }
        ReviewDecision::Partial { .. } if n_approved == 0 => SuggestionStatus::Rejected,
        ReviewDecision::Partial { .. } => SuggestionStatus::PartiallyApproved,
    };
    Ok(ReviewPlan { status, actions: planned })
}

/// What applying an action does.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ActionEffect {
    /// Set the user's price threshold (percent).
    PriceThreshold(Percent),
    /// Set the user's BSR threshold (percent).
    BsrThreshold(Percent),
    /// Turn the user's tracking on or off.
    Tracking(bool),
    /// A change to the seller's listing on Amazon: recorded as applied, and later snapshots
    /// show whether it happened.
    Listing,
}

/// The effect of an action with its proposed value, validated (a threshold must be a
/// percent in 0..100, a toggle `true` or `false`).
pub fn action_effect(action_type: ActionType, proposed_value: &str) -> Result<ActionEffect, ValidationError> {
    let percent = |field: &'static str| -> Result<Percent, ValidationError> {
        let v: f64 = proposed_value
            .trim()
            .trim_end_matches('%')
            .trim()
            .parse()
            .map_err(|_| ValidationError::new(field, proposed_value, "expected a number"))?;
        Percent::new(field, v)
    };
    match action_type {
        ActionType::AdjustPriceThreshold => {
            percent("price_change_threshold").map(ActionEffect::PriceThreshold)
        }
        ActionType::AdjustBsrThreshold => percent("bsr_change_threshold").map(ActionEffect::BsrThreshold),
        ActionType::ToggleTracking => match proposed_value.trim().to_ascii_lowercase().as_str() {
            "true" | "on" | "1" | "yes" | "active" | "enable" | "enabled" => Ok(ActionEffect::Tracking(true)),
            "false" | "off" | "0" | "no" | "inactive" | "disable" | "disabled" => {
                Ok(ActionEffect::Tracking(false))
            }
            _ => Err(ValidationError::new("is_active", proposed_value, "expected true or false")),
        },
        ActionType::UpdatePrice
        | ActionType::UpdateTitle
        | ActionType::UpdateDescription
        | ActionType::UpdateBrand
        | ActionType::UpdateCategory
        | ActionType::UpdateFeatures
        | ActionType::UpdateImages => Ok(ActionEffect::Listing),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threshold_proposals_accept_a_percent_sign_with_spaces() {
        let e = action_effect(ActionType::AdjustPriceThreshold, " 15 % ").expect("valid");
        assert!(matches!(e, ActionEffect::PriceThreshold(p) if p.get() == 15.0), "{e:?}");
        let err = action_effect(ActionType::AdjustBsrThreshold, "101").expect_err("over 100");
        assert_eq!((err.field, err.value.as_str()), ("bsr_change_threshold", "101"));
    }

    #[test]
    fn tracking_proposals_accept_common_words_and_reject_others() {
        assert_eq!(action_effect(ActionType::ToggleTracking, "Disabled"), Ok(ActionEffect::Tracking(false)));
        assert_eq!(action_effect(ActionType::ToggleTracking, "yes"), Ok(ActionEffect::Tracking(true)));
        assert_eq!(
            action_effect(ActionType::ToggleTracking, "maybe").expect_err("not a switch").field,
            "is_active"
        );
        assert_eq!(action_effect(ActionType::UpdateTitle, "anything"), Ok(ActionEffect::Listing));
    }
}
