//! Row types of suggestions and their conversions into core types.

use super::*;
use amazcope_core::model::suggestion::{Suggestion, SuggestionAction};
use serde_json::Value;
use uuid::Uuid;

/// A `suggestions` row; the enum columns are selected as text (`status::text`), because
/// PostgreSQL enums do not decode into `String`.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct SuggestionRow {
    pub(crate) id: Uuid,
    pub(crate) user_id: Uuid,
    pub(crate) product_id: Option<Uuid>,
    pub(crate) title: String,
    pub(crate) description: String,
    pub(crate) reasoning: String,
    pub(crate) priority: String,
    pub(crate) category: String,
    pub(crate) status: String,
    pub(crate) reviewed_by_id: Option<Uuid>,
    pub(crate) reviewed_at: Option<Ts>,
    pub(crate) ai_model: String,
    pub(crate) confidence_score: Option<f64>,
    pub(crate) expires_at: Option<Ts>,
    pub(crate) estimated_impact: Option<Value>,
    pub(crate) dedup_key: String,
    pub(crate) created_at: Ts,
    pub(crate) updated_at: Ts,
}

impl SuggestionRow {
    /// The suggestion with its actions.
    pub(crate) fn into_suggestion(self, actions: Vec<SuggestionAction>) -> Result<Suggestion, StoreError> {
        Ok(Suggestion {
            id: self.id.into(),
            user_id: self.user_id.into(),
            product_id: self.product_id.map(Into::into),
            title: self.title,
            description: self.description,
            reasoning: self.reasoning,
            priority: parse(&self.priority)?,
            category: parse(&self.category)?,
            status: parse(&self.status)?,
            reviewed_by_id: self.reviewed_by_id.map(Into::into),
            reviewed_at: self.reviewed_at,
            ai_model: self.ai_model,
            confidence_score: self.confidence_score,
            expires_at: self.expires_at,
            estimated_impact: self.estimated_impact,
            dedup_key: self.dedup_key,
            actions,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

/// A `suggestion_actions` row, enum columns as text.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct ActionRow {
    pub(crate) id: Uuid,
    pub(crate) suggestion_id: Uuid,
    pub(crate) action_type: String,
    pub(crate) target_field: String,
    pub(crate) current_value: Option<String>,
    pub(crate) proposed_value: String,
    pub(crate) reasoning: String,
    pub(crate) impact_description: Option<String>,
    pub(crate) status: String,
    pub(crate) reviewed_by_id: Option<Uuid>,
    pub(crate) reviewed_at: Option<Ts>,
    pub(crate) applied_at: Option<Ts>,
    pub(crate) applied_by_id: Option<Uuid>,
    pub(crate) application_result: Option<String>,
    pub(crate) error_message: Option<String>,
    pub(crate) created_at: Ts,
    pub(crate) updated_at: Ts,
}

impl TryFrom<ActionRow> for SuggestionAction {
    type Error = StoreError;
    fn try_from(r: ActionRow) -> Result<Self, StoreError> {
        Ok(SuggestionAction {
            id: r.id.into(),
            suggestion_id: r.suggestion_id.into(),
            action_type: parse(&r.action_type)?,
            target_field: r.target_field,
            current_value: r.current_value,
            proposed_value: r.proposed_value,
            reasoning: r.reasoning,
            impact_description: r.impact_description,
            status: parse(&r.status)?,
            reviewed_by_id: r.reviewed_by_id.map(Into::into),
            reviewed_at: r.reviewed_at,
            applied_at: r.applied_at,
            applied_by_id: r.applied_by_id.map(Into::into),
            application_result: r.application_result,
            error_message: r.error_message,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}
