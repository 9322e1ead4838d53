//! [`SuggestService`]: runs the generators over a user's tracked products and stores what
//! they propose, and wraps review and apply, written once against the repository traits so
//! the command line and the Python bindings share it.

use crate::analytics::AnalyticsRepository;
use crate::model::alert::AlertQuery;
use crate::model::enums::{AlertType, SuggestionStatus};
use crate::model::suggestion::Suggestion;
use crate::model::tracking::{Thresholds, TrackedProduct, Tracker};
use crate::repo::{ReviewDecision, Store, TimeRange};
use crate::suggest::{
    CategoryContext, SuggestionGenerator, SuggestionInput, default_generators, generate_all,
};
use crate::{Asin, ProductId, ServiceError, SuggestionActionId, SuggestionId, UserId};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Days of history a generator sees: the pricing rules look at 90 days, plus slack so the
/// 90-day window has a baseline before its start.
pub const HISTORY_DAYS: i64 = 120;

/// Most alerts read per product when counting the last week's (far above any threshold a
/// rule compares with).
const ALERT_LIMIT: u32 = 1000;

/// Storage the suggestion service needs: every repository plus the analytics queries.
pub trait SuggestStore: Store + AnalyticsRepository {}

impl<T: Store + AnalyticsRepository + ?Sized> SuggestStore for T {}

/// Something that went wrong for one product (or one generator) during a run; the run goes
/// on with the others.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SuggestRunError {
    /// The product, when the failure is about one.
    pub product_id: Option<ProductId>,
    /// Its ASIN.
    pub asin: Option<Asin>,
    /// The generator, when one failed.
    pub generator: Option<String>,
    /// What went wrong.
    pub message: String,
}

/// What a run did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SuggestRunReport {
    /// The user it ran for.
    pub user_id: UserId,
    /// Active tracked products looked at.
    pub products: usize,
    /// Suggestions the generators proposed.
    pub proposed: usize,
    /// Suggestions stored.
    pub created: Vec<Suggestion>,
    /// Proposals skipped because the user already has a pending one with the same key.
    pub skipped: usize,
    /// Failures (a product whose data could not be read, a generator, a store refusal).
    pub errors: Vec<SuggestRunError>,
}

/// Runs suggestion generators for users and carries out their reviews.
pub struct SuggestService<S: ?Sized> {
    store: Arc<S>,
    generators: Vec<Arc<dyn SuggestionGenerator>>,
}

impl<S: ?Sized> Clone for SuggestService<S> {
    fn clone(&self) -> Self {
        Self { store: Arc::clone(&self.store), generators: self.generators.clone() }
    }
}

impl<S: ?Sized> std::fmt::Debug for SuggestService<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.generators.iter().map(|g| g.name()).collect();
        f.debug_struct("SuggestService").field("generators", &names).finish_non_exhaustive()
    }
}

impl<S: SuggestStore + ?Sized> SuggestService<S> {
    /// A service with the shipped rule-based generators.
    pub fn new(store: Arc<S>) -> Self {
        Self::with_generators(store, default_generators())
    }

    /// A service with the caller's generators (an LLM-backed one, say) instead.
    pub fn with_generators(store: Arc<S>, generators: Vec<Arc<dyn SuggestionGenerator>>) -> Self {
        Self { store, generators }
    }

    /// The generators this service runs.
    pub fn generators(&self) -> &[Arc<dyn SuggestionGenerator>] {
        &self.generators
    }

    /// Builds what the generators see for one of the user's tracked products at `now`:
    /// 120 days of history, the effective thresholds, the category around it and the
    /// user's alerts of the last 7 days on it.
    pub async fn input_for(
        &self,
        user: UserId,
        tracked: &TrackedProduct,
        now: DateTime<Utc>,
    ) -> Result<SuggestionInput, ServiceError> {
        let product = &tracked.product;
        let range = TimeRange {
            from: Some(now - Duration::days(HISTORY_DAYS)),
            to: Some(now + Duration::seconds(1)),
        };
        let history = self.store.snapshot_history(user, product.id, range).await?;
        let tracker = match self.store.trackers(product.id).await?.into_iter().find(|t| t.user_id == user) {
            Some(t) => t,
            // Not in the alert engine's list (inactive product, say): the same fallback
            // as the engine's, from the row, the user's settings and the defaults.
            None => {
                let s = self.store.settings(user).await?;
                let t = Thresholds::resolve(
                    tracked.tracking.price_change_threshold,
                    tracked.tracking.bsr_change_threshold,
                    Some(Thresholds { price: s.default_price_threshold, bsr: s.default_bsr_threshold }),
                );
                Tracker {
                    user_id: user,
                    user_product_id: tracked.tracking.id,
                    price_change_threshold: t.price,
                    bsr_change_threshold: t.bsr,
                    target_price: tracked.tracking.target_price,
                }
            }
        };
        let category = self.category_context(user, tracked, &history, now).await?;
        let query = AlertQuery {
            unread_only: false,
            product_id: Some(product.id),
            since: Some(now - Duration::days(7)),
            limit: Some(ALERT_LIMIT),
        };
        let mut alerts_last_7d: BTreeMap<AlertType, u32> = BTreeMap::new();
        for a in self.store.alerts(user, &query).await? {
            if a.alert.created_at <= now {
                *alerts_last_7d.entry(a.alert.alert_type).or_default() += 1;
            }
        }
        Ok(SuggestionInput {
            user_id: user,
            product: product.clone(),
            tracking: tracked.tracking.clone(),
            tracker,
            history,
            category,
            image_count: product.image_urls.as_ref().map(Vec::len),
            alerts_last_7d,
            now,
        })
    }

    /// The category context: the product's best-seller list when it has one (median price
    /// of its rank band), completed by the category's stored metrics; else the metrics alone.
    async fn category_context(
        &self,
        user: UserId,
        tracked: &TrackedProduct,
        history: &[crate::model::snapshot::ProductSnapshot],
        now: DateTime<Utc>,
    ) -> Result<Option<CategoryContext>, ServiceError> {
        let Some(category) = self.store.product_category(user, tracked.product.id).await? else {
            return Ok(None);
        };
        let metric = self.store.latest_category_metric(category.id).await?;
        let list: Vec<_> = self
            .store
            .latest_bestsellers(category.id)
            .await?
            .into_iter()
            .filter(|e| e.scraped_at <= now)
            .collect();
        let own_bsr = history
            .iter()
            .filter(|s| s.data.scraped_at <= now)
            .max_by_key(|s| s.data.scraped_at)
            .and_then(|s| s.data.bsr_main_category);
        let ctx = if list.is_empty() {
            match &metric {
                Some(m) => CategoryContext::from_metric(m, Some(category.name.clone())),
                None => return Ok(None),
            }
        } else {
            let mut c = CategoryContext::from_bestsellers(
                &list,
                Some(&tracked.product.asin),
                own_bsr,
                Some(category.name.clone()),
            );
            c.category_id = Some(category.id);
            if let Some(m) = &metric {
                c.avg_rating = c.avg_rating.or(m.avg_rating);
                c.avg_review_count = c.avg_review_count.or(m.avg_review_count);
            }
            c
        };
        Ok(Some(ctx))
    }

    /// Runs every generator over each of the user's active tracked products at `now` and
    /// stores the proposals. A proposal whose key matches one of the user's pending
    /// suggestions is skipped, so running twice creates nothing new. Failures of one
    /// product or generator are reported and the run goes on.
    pub async fn run(&self, user: UserId, now: DateTime<Utc>) -> Result<SuggestRunReport, ServiceError> {
        // Fails early (NotFound) for an unknown user.
        self.store.user(user).await?;
        let tracked = self.store.tracked_products(user, false).await?;
        let mut report = SuggestRunReport {
            user_id: user,
            products: 0,
            proposed: 0,
            created: Vec::new(),
            skipped: 0,
            errors: Vec::new(),
        };
        for t in tracked.iter().filter(|t| t.tracking.is_active && t.product.is_active) {
            report.products += 1;
            let fail = |generator: Option<String>, message: String| SuggestRunError {
                product_id: Some(t.product.id),
                asin: Some(t.product.asin),
                generator,
                message,
            };
            let input = match self.input_for(user, t, now).await {
                Ok(i) => i,
                Err(e) => {
                    report.errors.push(fail(None, e.to_string()));
                    continue;
                }
            };
            let (proposals, errors) = generate_all(&self.generators, &input).await;
            report.errors.extend(errors.into_iter().map(|e| fail(Some(e.generator), e.message)));
            report.proposed += proposals.len();
            for p in proposals {
                match self.store.create_suggestion(&p).await {
                    Ok(Some(s)) => report.created.push(s),
                    Ok(None) => report.skipped += 1,
                    Err(e) => report.errors.push(fail(None, format!("storing {}: {e}", p.dedup_key))),
                }
            }
        }
        Ok(report)
    }

    /// The user's open suggestions (expired ones left out), by priority then newest.
    pub async fn list(
        &self,
        user: UserId,
        status: Option<SuggestionStatus>,
    ) -> Result<Vec<Suggestion>, ServiceError> {
        Ok(self.store.suggestions(user, status).await?)
    }

    /// One of the user's suggestions.
    pub async fn show(&self, user: UserId, id: SuggestionId) -> Result<Suggestion, ServiceError> {
        Ok(self.store.suggestion(user, id).await?)
    }

    /// Approves every action, or only `actions` (a partial approval: the rest are rejected).
    pub async fn approve(
        &self,
        user: UserId,
        id: SuggestionId,
        actions: &[SuggestionActionId],
    ) -> Result<Suggestion, ServiceError> {
        let decision = if actions.is_empty() {
            ReviewDecision::Approve
        } else {
            ReviewDecision::Partial { approved: actions.to_vec() }
        };
        Ok(self.store.review_suggestion(user, id, &decision).await?)
    }

    /// Rejects the suggestion and every action.
    pub async fn reject(&self, user: UserId, id: SuggestionId) -> Result<Suggestion, ServiceError> {
        Ok(self.store.review_suggestion(user, id, &ReviewDecision::Reject).await?)
    }

    /// Applies approved actions (all of them when `actions` is empty).
    pub async fn apply(
        &self,
        user: UserId,
        id: SuggestionId,
        actions: &[SuggestionActionId],
    ) -> Result<Suggestion, ServiceError> {
        Ok(self.store.apply_suggestion(user, id, actions).await?)
    }
}
