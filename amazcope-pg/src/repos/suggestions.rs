//! [`SuggestionRepository`]: suggestions owned by one user, their review state machine and
//! the application of approved actions.
//!
//! States: a suggestion is reviewed only while `pending` (approve → every action
//! `approved`; reject → every action `rejected`; partial → the listed actions `approved`,
//! the rest `rejected`). Only an `approved` action can be applied; applying it makes its
//! change and marks it `applied` in one transaction, or marks it `failed` with the reason.

use super::error::{self, ErrCtx};
use super::rows::{ActionRow, SuggestionRow};
use crate::PgStore;
use amazcope_core::model::suggestion::{NewSuggestion, Suggestion, SuggestionAction};
use amazcope_core::{
    ActionStatus, ActionType, Percent, ReviewDecision, StoreError, StoreResult, SuggestionActionId,
    SuggestionId, SuggestionRepository, SuggestionStatus, UserId,
};
use async_trait::async_trait;
use sqlx::PgConnection;
use std::collections::HashMap;
use uuid::Uuid;

/// Suggestion columns with the enum columns as text.
macro_rules! suggestion_columns {
    () => {
        "id, user_id, product_id, title, description, reasoning, priority::text AS priority,
         category::text AS category, status::text AS status, reviewed_by_id, reviewed_at,
         ai_model, confidence_score, expires_at, estimated_impact, dedup_key, created_at,
         updated_at"
    };
}

/// Action columns with the enum columns as text.
macro_rules! action_columns {
    () => {
        "id, suggestion_id, action_type::text AS action_type, target_field, current_value,
         proposed_value, reasoning, impact_description, status::text AS status, reviewed_by_id,
         reviewed_at, applied_at, applied_by_id, application_result, error_message, created_at,
         updated_at"
    };
}

/// What a listing-side action records: we cannot change a seller's listing on Amazon.
const RECORDED: &str = "recorded; verify on the next snapshot";

/// The actions of the given suggestions, in creation order, grouped by suggestion.
async fn load_actions(
    conn: &mut PgConnection,
    suggestions: &[Uuid],
) -> StoreResult<HashMap<Uuid, Vec<SuggestionAction>>> {
    // Action ids are UUIDv7 (time-ordered, made in creation order), so `id` breaks the tie
    // between actions created in one statement.
    // language=PostgreSQL
    let sql = concat!(
        "SELECT ",
        action_columns!(),
        " FROM suggestion_actions WHERE suggestion_id = ANY($1) ORDER BY created_at, id"
    );
    let rows = sqlx::query_as::<_, ActionRow>(sql)
        .bind(suggestions)
        .fetch_all(&mut *conn)
        .await
        .map_err(error::db)?;
    let mut out: HashMap<Uuid, Vec<SuggestionAction>> = HashMap::new();
    for r in rows {
        let key = r.suggestion_id;
        out.entry(key).or_default().push(r.try_into()?);
    }
    Ok(out)
}

/// One of `user`'s suggestions (row only); another user's is NotFound. `lock` takes a row
/// lock so a concurrent review waits.
async fn load_row(
    conn: &mut PgConnection,
    user: UserId,
    id: SuggestionId,
    lock: bool,
) -> StoreResult<SuggestionRow> {
    // language=PostgreSQL
    let plain = concat!("SELECT ", suggestion_columns!(), " FROM suggestions WHERE id = $1 AND user_id = $2");
    // language=PostgreSQL
    let locked = concat!(
        "SELECT ",
        suggestion_columns!(),
        " FROM suggestions WHERE id = $1 AND user_id = $2 FOR UPDATE"
    );
    sqlx::query_as::<_, SuggestionRow>(if lock { locked } else { plain })
        .bind(id.0)
        .bind(user.0)
        .fetch_optional(&mut *conn)
        .await
        .map_err(error::db)?
        .ok_or_else(|| StoreError::not_found("suggestion", id))
}

/// One of `user`'s suggestions with its actions.
async fn load_full(conn: &mut PgConnection, user: UserId, id: SuggestionId) -> StoreResult<Suggestion> {
    let row = load_row(conn, user, id, false).await?;
    let mut actions = load_actions(conn, &[row.id]).await?;
    let list = actions.remove(&row.id).unwrap_or_default();
    row.into_suggestion(list)
}

/// A number as a suggestion proposes it ("15", "15.5", "15 %").
fn parse_percent(field: &'static str, text: &str) -> Result<Percent, String> {
    let t = text.trim().trim_end_matches('%').trim();
    let v: f64 = t.parse().map_err(|_| format!("proposed value {text:?} is not a number"))?;
    Percent::new(field, v).map_err(|e| e.to_string())
}

/// A switch as a suggestion proposes it.
fn parse_switch(text: &str) -> Result<bool, String> {
    match text.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" | "active" | "enable" | "enabled" => Ok(true),
        "false" | "0" | "no" | "off" | "inactive" | "disable" | "disabled" => Ok(false),
        _ => Err(format!("proposed value {text:?} is not true or false")),
    }
}

/// The outcome of applying one action.
enum Outcome {
    Applied(String),
    Failed(String),
}

/// Makes the change of one approved action, inside the caller's transaction.
async fn make_change(
    conn: &mut PgConnection,
    user: UserId,
    product: Option<Uuid>,
    action: &ActionRow,
) -> StoreResult<Outcome> {
    let kind: ActionType = action.action_type.parse()?;
    let (column, value): (&str, ChangeValue) = match kind {
        ActionType::AdjustPriceThreshold => {
            match parse_percent("price_change_threshold", &action.proposed_value) {
                Ok(p) => ("price_change_threshold", ChangeValue::Number(p.get())),
                Err(e) => return Ok(Outcome::Failed(e)),
            }
        }
        ActionType::AdjustBsrThreshold => match parse_percent("bsr_change_threshold", &action.proposed_value)
        {
            Ok(p) => ("bsr_change_threshold", ChangeValue::Number(p.get())),
            Err(e) => return Ok(Outcome::Failed(e)),
        },
        ActionType::ToggleTracking => match parse_switch(&action.proposed_value) {
            Ok(b) => ("is_active", ChangeValue::Switch(b)),
            Err(e) => return Ok(Outcome::Failed(e)),
        },
        ActionType::UpdatePrice
        | ActionType::UpdateTitle
        | ActionType::UpdateDescription
        | ActionType::UpdateBrand
        | ActionType::UpdateCategory
        | ActionType::UpdateFeatures
        | ActionType::UpdateImages => return Ok(Outcome::Applied(RECORDED.to_owned())),
    };
    let Some(product) = product else {
        return Ok(Outcome::Failed("the suggestion names no product".to_owned()));
    };
    // The old value is read under the same row lock as the write and kept in the result.
    // language=PostgreSQL
    let price = "UPDATE user_products up SET price_change_threshold = $3
                 FROM (SELECT id, price_change_threshold::text AS old FROM user_products
                       WHERE user_id = $1 AND product_id = $2 FOR UPDATE) o
                 WHERE up.id = o.id RETURNING o.old";
    // language=PostgreSQL
    let bsr = "UPDATE user_products up SET bsr_change_threshold = $3
               FROM (SELECT id, bsr_change_threshold::text AS old FROM user_products
                     WHERE user_id = $1 AND product_id = $2 FOR UPDATE) o
               WHERE up.id = o.id RETURNING o.old";
    // language=PostgreSQL
    let active = "UPDATE user_products up SET is_active = $3
                  FROM (SELECT id, is_active::text AS old FROM user_products
                        WHERE user_id = $1 AND product_id = $2 FOR UPDATE) o
                  WHERE up.id = o.id RETURNING o.old";
    let (sql, shown) = match (&value, column) {
        (ChangeValue::Number(_), "price_change_threshold") => (price, value.to_string()),
        (ChangeValue::Number(_), _) => (bsr, value.to_string()),
        (ChangeValue::Switch(_), _) => (active, value.to_string()),
    };
    let q = sqlx::query_scalar::<_, Option<String>>(sql).bind(user.0).bind(product);
    let q = match value {
        ChangeValue::Number(v) => q.bind(v),
        ChangeValue::Switch(b) => q.bind(b),
    };
    let old = q
        .fetch_optional(&mut *conn)
        .await
        .map_err(|e| error::map(e, &ErrCtx::new().value(leak_column(column), &shown)))?;
    Ok(match old {
        Some(old) => Outcome::Applied(format!(
            "{column} changed from {} to {shown}",
            old.as_deref().unwrap_or("default")
        )),
        None => Outcome::Failed(format!("user does not track product {product}")),
    })
}

/// The static name of a column `make_change` writes (for error context).
fn leak_column(column: &str) -> &'static str {
    match column {
        "price_change_threshold" => "price_change_threshold",
        "bsr_change_threshold" => "bsr_change_threshold",
        _ => "is_active",
    }
}

enum ChangeValue {
    Number(f64),
    Switch(bool),
}

impl std::fmt::Display for ChangeValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ChangeValue::Number(v) => write!(f, "{v}"),
            ChangeValue::Switch(b) => write!(f, "{b}"),
        }
    }
}

#[async_trait]
impl SuggestionRepository for PgStore {
    async fn create_suggestion(&self, s: &NewSuggestion) -> StoreResult<Option<Suggestion>> {
        let mut tx = self.pool.begin().await.map_err(error::db)?;
        // A pending suggestion past its expiry no longer blocks a fresh one of the same key.
        // language=PostgreSQL
        let sql = "UPDATE suggestions SET status = 'expired'
                   WHERE user_id = $1 AND dedup_key = $2 AND status = 'pending'
                     AND expires_at <= now()";
        sqlx::query(sql).bind(s.user_id.0).bind(&s.dedup_key).execute(&mut *tx).await.map_err(error::db)?;

        // The conflict target names the partial unique index uq_suggestions_user_dedup_pending
        // by its columns and predicate; a pending duplicate inserts nothing.
        // language=PostgreSQL
        let sql = "INSERT INTO suggestions (user_id, product_id, title, description, reasoning,
                       priority, category, ai_model, confidence_score, expires_at,
                       estimated_impact, dedup_key)
                   VALUES ($1, $2, $3, $4, $5, $6::suggestionpriority, $7::suggestioncategory, $8,
                       $9, $10, $11, $12)
                   ON CONFLICT (user_id, dedup_key) WHERE status = 'pending' DO NOTHING
                   RETURNING id";
        let id: Option<Uuid> = sqlx::query_scalar(sql)
            .bind(s.user_id.0)
            .bind(s.product_id.map(|p| p.0))
            .bind(&s.title)
            .bind(&s.description)
            .bind(&s.reasoning)
            .bind(s.priority.as_str())
            .bind(s.category.as_str())
            .bind(&s.ai_model)
            .bind(s.confidence_score)
            .bind(s.expires_at)
            .bind(&s.estimated_impact)
            .bind(&s.dedup_key)
            .fetch_optional(&mut *tx)
            .await
            .map_err(|e| {
                error::map(
                    e,
                    &ErrCtx::new()
                        .value("user_id", s.user_id)
                        .opt_value("product_id", s.product_id)
                        .opt_value("confidence_score", s.confidence_score),
                )
            })?;
        let Some(id) = id else {
            return Ok(None);
        };

        if !s.actions.is_empty() {
            // UUIDv7 ids keep the actions in the order given (see load_actions).
            let ids: Vec<Uuid> = s.actions.iter().map(|_| Uuid::now_v7()).collect();
            let kind: Vec<&str> = s.actions.iter().map(|a| a.action_type.as_str()).collect();
            let field: Vec<&str> = s.actions.iter().map(|a| a.target_field.as_str()).collect();
            let current: Vec<Option<&str>> = s.actions.iter().map(|a| a.current_value.as_deref()).collect();
            let proposed: Vec<&str> = s.actions.iter().map(|a| a.proposed_value.as_str()).collect();
            let reasoning: Vec<&str> = s.actions.iter().map(|a| a.reasoning.as_str()).collect();
            let impact: Vec<Option<&str>> =
                s.actions.iter().map(|a| a.impact_description.as_deref()).collect();
            // language=PostgreSQL
            let sql = "INSERT INTO suggestion_actions (id, suggestion_id, action_type, target_field,
                           current_value, proposed_value, reasoning, impact_description)
                       SELECT u.id, $1, u.kind::actiontype, u.field, u.current, u.proposed,
                           u.reasoning, u.impact
                       FROM UNNEST($2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[],
                           $7::text[], $8::text[])
                           AS u(id, kind, field, current, proposed, reasoning, impact)";
            sqlx::query(sql)
                .bind(id)
                .bind(&ids)
                .bind(&kind)
                .bind(&field)
                .bind(&current)
                .bind(&proposed)
                .bind(&reasoning)
                .bind(&impact)
                .execute(&mut *tx)
                .await
                .map_err(error::db)?;
        }
        let created = load_full(&mut tx, s.user_id, SuggestionId(id)).await?;
        tx.commit().await.map_err(error::db)?;
        Ok(Some(created))
    }

    async fn suggestions(
        &self,
        user: UserId,
        status: Option<SuggestionStatus>,
    ) -> StoreResult<Vec<Suggestion>> {
        // suggestionpriority is declared (low, medium, high), and enums sort in declaration
        // order, so `priority DESC` is high > medium > low. Qualified, because a bare
        // `priority` in ORDER BY would name the text output column and sort alphabetically.
        // language=PostgreSQL
        let sql = concat!(
            "SELECT ",
            suggestion_columns!(),
            " FROM suggestions
              WHERE user_id = $1
                AND ($2::text IS NULL OR status = $2::suggestionstatus)
                AND (expires_at IS NULL OR expires_at > now())
              ORDER BY suggestions.priority DESC, created_at DESC, id"
        );
        let mut conn = self.pool.acquire().await.map_err(error::db)?;
        let rows = sqlx::query_as::<_, SuggestionRow>(sql)
            .bind(user.0)
            .bind(status.map(|s| s.as_str()))
            .fetch_all(&mut *conn)
            .await
            .map_err(error::db)?;
        let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
        let mut actions = load_actions(&mut conn, &ids).await?;
        rows.into_iter()
            .map(|r| {
                let list = actions.remove(&r.id).unwrap_or_default();
                r.into_suggestion(list)
            })
            .collect()
    }

    async fn suggestion(&self, user: UserId, id: SuggestionId) -> StoreResult<Suggestion> {
        let mut conn = self.pool.acquire().await.map_err(error::db)?;
        load_full(&mut conn, user, id).await
    }

    async fn review_suggestion(
        &self,
        user: UserId,
        id: SuggestionId,
        decision: &ReviewDecision,
    ) -> StoreResult<Suggestion> {
        let verb = match decision {
            ReviewDecision::Approve => "approve",
            ReviewDecision::Reject => "reject",
            ReviewDecision::Partial { .. } => "partially approve",
        };
        let mut tx = self.pool.begin().await.map_err(error::db)?;
        let row = load_row(&mut tx, user, id, true).await?;
        if row.status != SuggestionStatus::Pending.as_str() {
            return Err(StoreError::InvalidTransition {
                entity: "suggestion",
                id: id.to_string(),
                action: verb,
                state: row.status,
            });
        }
        if row.expires_at.is_some_and(|t| t <= chrono::Utc::now()) {
            // Record the lapse, so lists agree with what review just said.
            // language=PostgreSQL
            let sql = "UPDATE suggestions SET status = 'expired' WHERE id = $1";
            sqlx::query(sql).bind(id.0).execute(&mut *tx).await.map_err(error::db)?;
            tx.commit().await.map_err(error::db)?;
            return Err(StoreError::InvalidTransition {
                entity: "suggestion",
                id: id.to_string(),
                action: verb,
                state: SuggestionStatus::Expired.as_str().to_owned(),
            });
        }

        // language=PostgreSQL
        let sql = "SELECT id FROM suggestion_actions WHERE suggestion_id = $1";
        let all: Vec<Uuid> =
            sqlx::query_scalar(sql).bind(id.0).fetch_all(&mut *tx).await.map_err(error::db)?;
        let (approved, status): (Vec<Uuid>, SuggestionStatus) = match decision {
            ReviewDecision::Approve => (all.clone(), SuggestionStatus::Approved),
            ReviewDecision::Reject => (Vec::new(), SuggestionStatus::Rejected),
            ReviewDecision::Partial { approved } => {
                if let Some(unknown) = approved.iter().find(|a| !all.contains(&a.0)) {
                    return Err(StoreError::not_found("suggestion action", unknown));
                }
                (approved.iter().map(|a| a.0).collect(), SuggestionStatus::PartiallyApproved)
            }
        };
        // language=PostgreSQL
        let sql = "UPDATE suggestion_actions SET
                       status = (CASE WHEN id = ANY($2) THEN 'approved' ELSE 'rejected' END)::actionstatus,
                       reviewed_by_id = $3,
                       reviewed_at = now()
                   WHERE suggestion_id = $1";
        sqlx::query(sql)
            .bind(id.0)
            .bind(&approved)
            .bind(user.0)
            .execute(&mut *tx)
            .await
            .map_err(error::db)?;
        // language=PostgreSQL
        let sql = "UPDATE suggestions SET status = $2::suggestionstatus, reviewed_by_id = $3,
                       reviewed_at = now()
                   WHERE id = $1";
        sqlx::query(sql)
            .bind(id.0)
            .bind(status.as_str())
            .bind(user.0)
            .execute(&mut *tx)
            .await
            .map_err(error::db)?;
        let out = load_full(&mut tx, user, id).await?;
        tx.commit().await.map_err(error::db)?;
        Ok(out)
    }

    async fn apply_suggestion(
        &self,
        user: UserId,
        id: SuggestionId,
        actions: &[SuggestionActionId],
    ) -> StoreResult<Suggestion> {
        let current = {
            let mut conn = self.pool.acquire().await.map_err(error::db)?;
            load_full(&mut conn, user, id).await?
        };
        // Check every requested action before applying any, so a bad request changes nothing.
        let targets: Vec<SuggestionActionId> = if actions.is_empty() {
            current.actions.iter().filter(|a| a.status == ActionStatus::Approved).map(|a| a.id).collect()
        } else {
            for wanted in actions {
                let Some(a) = current.actions.iter().find(|a| a.id == *wanted) else {
                    return Err(StoreError::not_found("suggestion action", wanted));
                };
                if a.status != ActionStatus::Approved {
                    return Err(StoreError::InvalidTransition {
                        entity: "suggestion action",
                        id: wanted.to_string(),
                        action: "apply",
                        state: a.status.as_str().to_owned(),
                    });
                }
            }
            actions.to_vec()
        };

        for action_id in targets {
            let mut tx = self.pool.begin().await.map_err(error::db)?;
            // Re-read under a lock: another caller may have applied it meanwhile.
            // language=PostgreSQL
            let sql = concat!(
                "SELECT ",
                action_columns!(),
                " FROM suggestion_actions WHERE id = $1 AND suggestion_id = $2 FOR UPDATE"
            );
            let action = sqlx::query_as::<_, ActionRow>(sql)
                .bind(action_id.0)
                .bind(id.0)
                .fetch_optional(&mut *tx)
                .await
                .map_err(error::db)?
                .ok_or_else(|| StoreError::not_found("suggestion action", action_id))?;
            if action.status != ActionStatus::Approved.as_str() {
                return Err(StoreError::InvalidTransition {
                    entity: "suggestion action",
                    id: action_id.to_string(),
                    action: "apply",
                    state: action.status,
                });
            }
            match make_change(&mut tx, user, current.product_id.map(|p| p.0), &action).await? {
                Outcome::Applied(result) => {
                    // language=PostgreSQL
                    let sql = "UPDATE suggestion_actions SET status = 'applied', applied_by_id = $2,
                                   applied_at = now(), application_result = $3, error_message = NULL
                               WHERE id = $1";
                    sqlx::query(sql)
                        .bind(action_id.0)
                        .bind(user.0)
                        .bind(result)
                        .execute(&mut *tx)
                        .await
                        .map_err(error::db)?;
                }
                Outcome::Failed(reason) => {
                    // language=PostgreSQL
                    let sql = "UPDATE suggestion_actions SET status = 'failed', error_message = $2
                               WHERE id = $1";
                    sqlx::query(sql)
                        .bind(action_id.0)
                        .bind(reason)
                        .execute(&mut *tx)
                        .await
                        .map_err(error::db)?;
                }
            }
            tx.commit().await.map_err(error::db)?;
        }
        let mut conn = self.pool.acquire().await.map_err(error::db)?;
        load_full(&mut conn, user, id).await
    }
}
