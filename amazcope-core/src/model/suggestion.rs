//! Suggestions (one user's proposed improvement of one product) and their actions.

use crate::model::enums::{
    ActionStatus, ActionType, SuggestionCategory, SuggestionPriority, SuggestionStatus,
};
use crate::{ProductId, SuggestionActionId, SuggestionId, UserId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A stored suggestion with its actions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct Suggestion {
    pub id: SuggestionId,
    /// The owner: only this user sees and reviews it.
    pub user_id: UserId,
    pub product_id: Option<ProductId>,
    pub title: String,
    pub description: String,
    pub reasoning: String,
    pub priority: SuggestionPriority,
    pub category: SuggestionCategory,
    pub status: SuggestionStatus,
    pub reviewed_by_id: Option<UserId>,
    pub reviewed_at: Option<DateTime<Utc>>,
    /// Which generator wrote it (`rules-v1`, or a model name).
    pub ai_model: String,
    /// 0..1.
    pub confidence_score: Option<f64>,
    pub expires_at: Option<DateTime<Utc>>,
    pub estimated_impact: Option<serde_json::Value>,
    /// What makes two suggestions the same (generator + rule + product), for de-duplication.
    pub dedup_key: String,
    pub actions: Vec<SuggestionAction>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A stored action.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct SuggestionAction {
    pub id: SuggestionActionId,
    pub suggestion_id: SuggestionId,
    pub action_type: ActionType,
    pub target_field: String,
    pub current_value: Option<String>,
    pub proposed_value: String,
    pub reasoning: String,
    pub impact_description: Option<String>,
    pub status: ActionStatus,
    pub reviewed_by_id: Option<UserId>,
    pub reviewed_at: Option<DateTime<Utc>>,
    pub applied_at: Option<DateTime<Utc>>,
    pub applied_by_id: Option<UserId>,
    pub application_result: Option<String>,
    pub error_message: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A suggestion to store, with its actions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct NewSuggestion {
    pub user_id: UserId,
    pub product_id: Option<ProductId>,
    pub title: String,
    pub description: String,
    pub reasoning: String,
    pub priority: SuggestionPriority,
    pub category: SuggestionCategory,
    pub ai_model: String,
    pub confidence_score: Option<f64>,
    pub expires_at: Option<DateTime<Utc>>,
    pub estimated_impact: Option<serde_json::Value>,
    pub dedup_key: String,
    pub actions: Vec<NewSuggestionAction>,
}

/// An action to store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct NewSuggestionAction {
    pub action_type: ActionType,
    pub target_field: String,
    pub current_value: Option<String>,
    pub proposed_value: String,
    pub reasoning: String,
    pub impact_description: Option<String>,
}

/// How many suggestions one user has, counted three ways. A value with no suggestion is
/// absent from its map; every map sums to `total`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SuggestionStats {
    /// Every suggestion of the user.
    pub total: u64,
    /// Counts by review status.
    pub by_status: BTreeMap<SuggestionStatus, u64>,
    /// Counts by category.
    pub by_category: BTreeMap<SuggestionCategory, u64>,
    /// Counts by priority.
    pub by_priority: BTreeMap<SuggestionPriority, u64>,
}
