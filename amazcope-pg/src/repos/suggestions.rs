//! [`SuggestionRepository`]: suggestions owned by one user, their review state machine and
//! the application of approved actions.
//!
//! States: a suggestion is reviewed only while `pending` (approve → every action
//! `approved`; reject → every action `rejected`; partial → the listed actions `approved`,
//! the rest `rejected`; a partial approval of all or none is `approved` or `rejected`, as the
//! core's `plan_review` says). Only an `approved` (or previously `failed`) action can be
//! applied. One apply call is all or nothing: every change it makes (thresholds and
//! tracking in the user's `user_products` row; listing changes recorded with who and when)
//! commits in one transaction with the actions' `applied` marks. A proposal that is not a
//! valid value fails the whole call; that action is marked `failed` with the reason and
//! nothing else changes.

use crate::PgStore;
use crate::error::{self, ErrCtx};
use crate::rows::{ActionRow, SuggestionRow, parse};
use amazcope_core::model::suggestion::{NewSuggestion, Suggestion, SuggestionAction, SuggestionStats};
use amazcope_core::suggest::{ActionEffect, action_effect, check_apply, check_review_at, plan_review};
use amazcope_core::{
    ActionStatus, ReviewDecision, StoreError, StoreResult, SuggestionActionId, SuggestionId,
    SuggestionRepository, SuggestionStatus, UserId, ValidationError,
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

/// Makes the change of one validated action inside the caller's transaction and says what
/// it did; `None` when the user has no tracking row for the product (or the suggestion
/// names no product) for a tracking change.
async fn make_change(
    conn: &mut PgConnection,
    user: UserId,
    product: Option<Uuid>,
    effect: ActionEffect,
) -> StoreResult<Option<String>> {
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
    let (sql, column, shown) = match effect {
        ActionEffect::Listing => return Ok(Some(RECORDED.to_owned())),
        ActionEffect::PriceThreshold(p) => (price, "price_change_threshold", p.get().to_string()),
        ActionEffect::BsrThreshold(p) => (bsr, "bsr_change_threshold", p.get().to_string()),
        ActionEffect::Tracking(b) => (active, "is_active", b.to_string()),
    };
    let Some(product) = product else { return Ok(None) };
    let q = sqlx::query_scalar::<_, Option<String>>(sql).bind(user.0).bind(product);
    let q = match effect {
        ActionEffect::PriceThreshold(p) | ActionEffect::BsrThreshold(p) => q.bind(p.get()),
        ActionEffect::Tracking(b) => q.bind(b),
        ActionEffect::Listing => q,
    };
    let old = q
        .fetch_optional(&mut *conn)
        .await
        .map_err(|e| error::map(e, &ErrCtx::new().value(column, &shown)))?;
    Ok(old.map(|old| format!("{column} changed from {} to {shown}", old.as_deref().unwrap_or("default"))))
}

#[async_trait]
impl SuggestionRepository for PgStore {
    async fn create_suggestion(&self, s: &NewSuggestion) -> StoreResult<Option<Suggestion>> {
        let mut tx = self.user_tx(s.user_id).await?;
        // A pending suggestion past its expiry no longer blocks a fresh one of the same key.
        sqlx::query!(
            "UPDATE suggestions SET status = 'expired'
             WHERE user_id = $1 AND dedup_key = $2 AND status = 'pending'
               AND expires_at <= now()",
            s.user_id.0,
            s.dedup_key.as_str()
        )
        .execute(&mut *tx)
        .await
        .map_err(error::db)?;

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
            // Runtime SQL: an UNNEST batch whose arrays hold NULLs (`current`, `impact`),
            // which query!'s `&[String]` parameters cannot carry.
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
        let mut conn = self.user_tx(user).await?;
        let rows = sqlx::query_as::<_, SuggestionRow>(sql)
            .bind(user.0)
            .bind(status.map(|s| s.as_str()))
            .fetch_all(&mut *conn)
            .await
            .map_err(error::db)?;
        let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
        let mut actions = load_actions(&mut conn, &ids).await?;
        conn.commit().await.map_err(error::db)?;
        rows.into_iter()
            .map(|r| {
                let list = actions.remove(&r.id).unwrap_or_default();
                r.into_suggestion(list)
            })
            .collect()
    }

    async fn suggestion(&self, user: UserId, id: SuggestionId) -> StoreResult<Suggestion> {
        let mut tx = self.user_tx(user).await?;
        let out = load_full(&mut tx, user, id).await?;
        tx.commit().await.map_err(error::db)?;
        Ok(out)
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
        let mut tx = self.user_tx(user).await?;
        let row = load_row(&mut tx, user, id, true).await?;
        let status: SuggestionStatus = row.status.parse()?;
        let now = chrono::Utc::now();
        if let Err(mut e) = check_review_at(id, status, row.expires_at, now) {
            e.action = verb;
            if status == SuggestionStatus::Pending {
                // A pending suggestion past its expiry: record the lapse, so lists agree
                // with what review just said.
                sqlx::query!("UPDATE suggestions SET status = 'expired' WHERE id = $1", id.0)
                    .execute(&mut *tx)
                    .await
                    .map_err(error::db)?;
                tx.commit().await.map_err(error::db)?;
            }
            return Err(e.into());
        }

        let all: Vec<SuggestionActionId> = sqlx::query_scalar!(
            "SELECT id FROM suggestion_actions WHERE suggestion_id = $1 ORDER BY created_at, id",
            id.0
        )
        .fetch_all(&mut *tx)
        .await
        .map_err(error::db)?
        .into_iter()
        .map(SuggestionActionId)
        .collect();
        // The core's plan: a partial approval of every action is `approved`, of none
        // `rejected`; an action id that is not this suggestion's is NotFound.
        let plan = plan_review(id, status, &all, decision)?;
        let approved: Vec<Uuid> =
            plan.actions.iter().filter(|(_, s)| *s == ActionStatus::Approved).map(|(a, _)| a.0).collect();
        sqlx::query!(
            "UPDATE suggestion_actions SET
                 status = (CASE WHEN id = ANY($2) THEN 'approved' ELSE 'rejected' END)::actionstatus,
                 reviewed_by_id = $3,
                 reviewed_at = now()
             WHERE suggestion_id = $1",
            id.0,
            &approved,
            user.0
        )
        .execute(&mut *tx)
        .await
        .map_err(error::db)?;
        sqlx::query!(
            "UPDATE suggestions SET status = $2::text::suggestionstatus, reviewed_by_id = $3,
                 reviewed_at = now()
             WHERE id = $1",
            id.0,
            plan.status.as_str(),
            user.0
        )
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
        // All or nothing: every requested action is checked, and every change is made, in one
        // transaction under the suggestion's row lock. Any refusal rolls back all of it.
        let mut tx = self.user_tx(user).await?;
        let row = load_row(&mut tx, user, id, true).await?;
        // language=PostgreSQL
        let sql = concat!(
            "SELECT ",
            action_columns!(),
            " FROM suggestion_actions WHERE suggestion_id = $1 ORDER BY created_at, id FOR UPDATE"
        );
        let rows =
            sqlx::query_as::<_, ActionRow>(sql).bind(id.0).fetch_all(&mut *tx).await.map_err(error::db)?;
        let targets: Vec<&ActionRow> = if actions.is_empty() {
            let applicable: Vec<&ActionRow> = rows
                .iter()
                .filter(|a| {
                    a.status
                        .parse::<ActionStatus>()
                        .is_ok_and(|s| check_apply(SuggestionActionId(a.id), s).is_ok())
                })
                .collect();
            if applicable.is_empty() {
                return Err(StoreError::InvalidTransition {
                    entity: "suggestion",
                    id: id.to_string(),
                    action: "apply",
                    state: format!("{} with no approved action", row.status),
                });
            }
            applicable
        } else {
            let mut out = Vec::with_capacity(actions.len());
            for wanted in actions {
                let Some(a) = rows.iter().find(|a| a.id == wanted.0) else {
                    return Err(StoreError::not_found("suggestion action", wanted));
                };
                check_apply(*wanted, a.status.parse()?)?;
                if !out.iter().any(|o: &&ActionRow| o.id == a.id) {
                    out.push(a);
                }
            }
            out
        };

        // Validate every proposal before changing anything. Invalid ones are recorded as
        // `failed` with the reason (after rolling the rest back) and the call fails.
        let mut effects = Vec::with_capacity(targets.len());
        let mut invalid: Vec<(Uuid, ValidationError)> = Vec::new();
        for a in &targets {
            match action_effect(a.action_type.parse()?, &a.proposed_value) {
                Ok(e) => effects.push((*a, e)),
                Err(v) => invalid.push((a.id, v)),
            }
        }
        if let Some((_, first)) = invalid.first().cloned() {
            tx.rollback().await.map_err(error::db)?;
            let ids: Vec<Uuid> = invalid.iter().map(|(i, _)| *i).collect();
            let reasons: Vec<String> = invalid.iter().map(|(_, v)| v.to_string()).collect();
            let mut tx = self.user_tx(user).await?;
            sqlx::query!(
                "UPDATE suggestion_actions a SET status = 'failed', error_message = u.reason
                 FROM UNNEST($1::uuid[], $2::text[]) AS u(id, reason)
                 WHERE a.id = u.id AND a.status IN ('approved', 'failed')",
                &ids,
                &reasons
            )
            .execute(&mut *tx)
            .await
            .map_err(error::db)?;
            tx.commit().await.map_err(error::db)?;
            return Err(first.into());
        }

        for (a, effect) in effects {
            let result = match make_change(&mut tx, user, row.product_id, effect).await? {
                Some(r) => r,
                // The user no longer has a tracking row for the product: nothing applied.
                None => {
                    return Err(StoreError::not_found(
                        "tracked product",
                        row.product_id.map_or_else(|| "none".to_owned(), |p| p.to_string()),
                    ));
                }
            };
            sqlx::query!(
                "UPDATE suggestion_actions SET status = 'applied', applied_by_id = $2,
                     applied_at = now(), application_result = $3, error_message = NULL
                 WHERE id = $1",
                a.id,
                user.0,
                result
            )
            .execute(&mut *tx)
            .await
            .map_err(error::db)?;
        }
        let out = load_full(&mut tx, user, id).await?;
        tx.commit().await.map_err(error::db)?;
        Ok(out)
    }

    // ---- Statistics (issue 13, command line). ----

    async fn suggestion_stats(&self, user: UserId) -> StoreResult<SuggestionStats> {
        // One scan: each grouping set yields rows where only its own column is non-NULL
        // (the three columns are NOT NULL, so a NULL always means "not this grouping"). A
        // pending suggestion past `expires_at` counts as expired, as review treats it
        // (`check_review_at`).
        // language=PostgreSQL
        let sql = "SELECT state, category::text, priority::text, count(*)
                   FROM (SELECT CASE WHEN status = 'pending' AND expires_at <= now()
                                     THEN 'expired' ELSE status::text END AS state,
                                category, priority
                         FROM suggestions
                         WHERE user_id = $1) s
                   GROUP BY GROUPING SETS ((state), (category), (priority))";
        let mut tx = self.user_tx(user).await?;
        let rows = sqlx::query_as::<_, (Option<String>, Option<String>, Option<String>, i64)>(sql)
            .bind(user.0)
            .fetch_all(&mut *tx)
            .await
            .map_err(error::db)?;
        tx.commit().await.map_err(error::db)?;
        let mut stats = SuggestionStats::default();
        for (status, category, priority, n) in rows {
            let n = u64::try_from(n).unwrap_or_default();
            if let Some(s) = status {
                stats.by_status.insert(parse(&s)?, n);
                stats.total += n;
            } else if let Some(c) = category {
                stats.by_category.insert(parse(&c)?, n);
            } else if let Some(p) = priority {
                stats.by_priority.insert(parse(&p)?, n);
            }
        }
        Ok(stats)
    }
}
