//! Suggestion generators: from a product's snapshots, history and category to proposed
//! improvements, each with actions a user can review and apply.
//!
//! [`SuggestionGenerator`] is the plug-in point (an LLM-backed generator implements it the
//! same way); the rule-based generators here ([`PricingRules`], [`ContentRules`],
//! [`TrackingRules`]) ship by default and use no network. Review and apply state checks live
//! in [`review`] so every storage backend enforces the same state machine. [`SuggestService`]
//! runs the generators over a user's tracked products and stores what they propose.

mod content;
mod pricing;
pub mod review;
mod service;
mod tracking;

pub use content::{ContentRules, DEFAULT_TITLE_LIMIT, title_limit};
pub use pricing::PricingRules;
pub use review::{
    ActionEffect, ReviewError, ReviewPlan, TransitionError, action_effect, check_action_review, check_apply,
    check_review, check_review_at, plan_review,
};
pub use service::{HISTORY_DAYS, SuggestRunError, SuggestRunReport, SuggestService, SuggestStore};
pub use tracking::TrackingRules;

use crate::analytics::median_decimal;
use crate::model::category::{BestsellerSnapshot, CategoryMetric};
use crate::model::enums::{AlertType, SuggestionCategory, SuggestionPriority};
use crate::model::product::Product;
use crate::model::snapshot::{NewSnapshot, ProductSnapshot};
use crate::model::suggestion::{NewSuggestion, NewSuggestionAction};
use crate::model::tracking::{Tracker, UserProduct};
use crate::{Asin, CategoryId, UserId};
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

/// `ai_model` of the rule-based generators.
pub const RULES_MODEL: &str = "rules-v1";

/// How long a rule-based suggestion stays open before it expires.
pub const DEFAULT_EXPIRY_DAYS: i64 = 14;

/// What the category around a product looks like, for pricing and rating comparisons.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CategoryContext {
    /// The category, when known.
    pub category_id: Option<CategoryId>,
    /// Its name.
    pub name: Option<String>,
    /// The rank band (inclusive) the median price was taken over; `None` for the whole list.
    pub band: Option<(i32, i32)>,
    /// Median price of the band's products (other than this one).
    pub median_price: Option<Decimal>,
    /// How many prices the median is over.
    pub band_size: usize,
    /// Mean rating of the category's products.
    pub avg_rating: Option<f64>,
    /// Mean review count of the category's products.
    pub avg_review_count: Option<i32>,
}

/// The rank band a best-seller rank falls in: 1–10, 11–25, 26–50, 51–100; `None` beyond
/// the top 100 (a best-seller list has no more).
pub fn rank_band(rank: i32) -> Option<(i32, i32)> {
    [(1, 10), (11, 25), (26, 50), (51, 100)].into_iter().find(|(lo, hi)| (*lo..=*hi).contains(&rank))
}

impl CategoryContext {
    /// Fewest prices a band median is taken over; below it the whole list is used.
    pub const MIN_BAND: usize = 3;

    /// From a stored metrics row: the whole-category median, no band.
    pub fn from_metric(m: &CategoryMetric, name: Option<String>) -> Self {
        Self {
            category_id: Some(m.category_id),
            name,
            band: None,
            median_price: m.median_price,
            band_size: usize::try_from(m.product_count).unwrap_or(0),
            avg_rating: m.avg_rating,
            avg_review_count: m.avg_review_count,
        }
    }

    /// From a best-seller list. The product's rank is its position in the list when its
    /// ASIN is there, else `fallback_rank` (its BSR in that category, say); the median price
    /// is over the other products of its rank band, or over the whole list when the band has
    /// fewer than [`Self::MIN_BAND`] prices.
    pub fn from_bestsellers(
        entries: &[BestsellerSnapshot],
        asin: Option<&Asin>,
        fallback_rank: Option<i32>,
        name: Option<String>,
    ) -> Self {
        let own_rank =
            asin.and_then(|a| entries.iter().find(|e| &e.asin == a)).map(|e| e.rank).or(fallback_rank);
        let others: Vec<&BestsellerSnapshot> =
            entries.iter().filter(|e| asin.is_none_or(|a| &e.asin != a)).collect();
        let prices_in = |band: Option<(i32, i32)>| -> Vec<Decimal> {
            others
                .iter()
                .filter(|e| band.is_none_or(|(lo, hi)| (lo..=hi).contains(&e.rank)))
                .filter_map(|e| e.price.filter(|p| !p.is_zero()))
                .collect()
        };
        let mut band = own_rank.and_then(rank_band);
        let mut prices = prices_in(band);
        if prices.len() < Self::MIN_BAND {
            band = None;
            prices = prices_in(None);
        }
        let ratings: Vec<f64> = entries.iter().filter_map(|e| e.rating).filter(|r| *r > 0.0).collect();
        let reviews: Vec<i64> =
            entries.iter().filter_map(|e| e.review_count).filter(|r| *r > 0).map(i64::from).collect();
        Self {
            category_id: entries.first().map(|e| e.category_id),
            name,
            band,
            median_price: median_decimal(&prices).map(crate::analytics::round_money),
            band_size: prices.len(),
            avg_rating: (!ratings.is_empty()).then(|| ratings.iter().sum::<f64>() / ratings.len() as f64),
            avg_review_count: (!reviews.is_empty()).then(|| {
                i32::try_from(reviews.iter().sum::<i64>() / reviews.len() as i64).unwrap_or(i32::MAX)
            }),
        }
    }
}

/// Everything a generator sees for one user and one product.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SuggestionInput {
    /// Who the suggestions are for.
    pub user_id: UserId,
    /// The product, with its content fields (title, brand, features, description).
    pub product: Product,
    /// The user's tracking row (switch, own listing or competitor's).
    pub tracking: UserProduct,
    /// The user's effective thresholds and target price.
    pub tracker: Tracker,
    /// The product's snapshots, any order; 90 days or more for the pricing rules. The
    /// newest one at or before `now` is the "latest".
    pub history: Vec<ProductSnapshot>,
    /// The category around the product, when known.
    pub category: Option<CategoryContext>,
    /// Number of images on the listing, when known (the product row keeps only the main
    /// image); `None` keeps the image rule silent.
    pub image_count: Option<usize>,
    /// This user's alerts on this product in the last 7 days, by type.
    pub alerts_last_7d: BTreeMap<AlertType, u32>,
    /// The time the suggestions are made at (expiry is counted from it).
    pub now: DateTime<Utc>,
}

impl SuggestionInput {
    /// The newest snapshot at or before `now`.
    pub fn latest(&self) -> Option<&NewSnapshot> {
        self.history.iter().map(|s| &s.data).filter(|s| s.scraped_at <= self.now).max_by_key(|s| s.scraped_at)
    }

    /// Snapshots of the last `days` days up to `now`, oldest first.
    pub fn window(&self, days: i64) -> Vec<&NewSnapshot> {
        let from = self.now - Duration::days(days);
        let mut v: Vec<&NewSnapshot> = self
            .history
            .iter()
            .map(|s| &s.data)
            .filter(|s| s.scraped_at >= from && s.scraped_at <= self.now)
            .collect();
        v.sort_by_key(|s| s.scraped_at);
        v
    }

    /// How many alerts of this type the user got in the last 7 days.
    pub fn alerts_of(&self, t: AlertType) -> u32 {
        self.alerts_last_7d.get(&t).copied().unwrap_or(0)
    }
}

/// A generator failed (an LLM timing out, say). Rule-based generators never fail.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("suggestion generator {generator} failed: {message}")]
pub struct SuggestError {
    /// The generator's name.
    pub generator: String,
    /// What went wrong.
    pub message: String,
}

/// Proposes improvements for one user's product. Implement it to plug in another source
/// (an LLM, say); keep `dedup_key`s stable so re-runs do not duplicate pending suggestions.
#[async_trait]
pub trait SuggestionGenerator: Send + Sync + 'static {
    /// A short stable name, the first part of every `dedup_key` it writes.
    fn name(&self) -> &str;
    /// The suggestions for this input (possibly none).
    async fn generate(&self, input: &SuggestionInput) -> Result<Vec<NewSuggestion>, SuggestError>;
}

/// The shipped rule-based generators: pricing, content and tracking, with default settings.
pub fn default_generators() -> Vec<Arc<dyn SuggestionGenerator>> {
    vec![
        Arc::new(PricingRules::default()),
        Arc::new(ContentRules::default()),
        Arc::new(TrackingRules::default()),
    ]
}

/// Runs every generator on the input and merges the results, keeping the first suggestion
/// of each `dedup_key`. A failing generator does not stop the others; its error is returned
/// alongside.
pub async fn generate_all(
    generators: &[Arc<dyn SuggestionGenerator>],
    input: &SuggestionInput,
) -> (Vec<NewSuggestion>, Vec<SuggestError>) {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    let mut keys = HashSet::new();
    for g in generators {
        match g.generate(input).await {
            Ok(list) => out.extend(list.into_iter().filter(|s| keys.insert(s.dedup_key.clone()))),
            Err(e) => errors.push(e),
        }
    }
    (out, errors)
}

/// Priority from the size of the estimated impact in percent: high from 30, medium from
/// 15, low below.
pub fn priority_for(impact_percent: f64) -> SuggestionPriority {
    let p = impact_percent.abs();
    if p >= 30.0 {
        SuggestionPriority::High
    } else if p >= 15.0 {
        SuggestionPriority::Medium
    } else {
        SuggestionPriority::Low
    }
}

/// A suggestion before the fields every rule-based one shares.
#[derive(Debug)]
pub(crate) struct Draft {
    pub rule: &'static str,
    pub category: SuggestionCategory,
    pub priority: SuggestionPriority,
    pub confidence: f64,
    pub title: String,
    pub description: String,
    pub reasoning: String,
    pub impact: serde_json::Value,
    pub actions: Vec<NewSuggestionAction>,
}

impl Draft {
    /// The stored form: owner, product, `rules-v1`, expiry, and the key
    /// `<generator>:<rule>:<product id>`.
    pub fn finish(self, generator: &str, input: &SuggestionInput) -> NewSuggestion {
        NewSuggestion {
            user_id: input.user_id,
            product_id: Some(input.product.id),
            title: self.title,
            description: self.description,
            reasoning: self.reasoning,
            priority: self.priority,
            category: self.category,
            ai_model: RULES_MODEL.to_owned(),
            confidence_score: Some(self.confidence.clamp(0.0, 1.0)),
            expires_at: Some(input.now + Duration::days(DEFAULT_EXPIRY_DAYS)),
            estimated_impact: Some(self.impact),
            dedup_key: format!("{generator}:{}:{}", self.rule, input.product.id),
            actions: self.actions,
        }
    }
}

/// The first `n` characters of a title, for suggestion titles.
pub(crate) fn short(title: &str, n: usize) -> String {
    let t = title.trim();
    match t.char_indices().nth(n) {
        Some((i, _)) => format!("{}…", &t[..i]),
        None => t.to_owned(),
    }
}

/// An action with its fields.
pub(crate) fn action(
    action_type: crate::ActionType,
    target_field: &str,
    current: Option<String>,
    proposed: String,
    reasoning: &str,
    impact: Option<String>,
) -> NewSuggestionAction {
    NewSuggestionAction {
        action_type,
        target_field: target_field.to_owned(),
        current_value: current,
        proposed_value: proposed,
        reasoning: reasoning.to_owned(),
        impact_description: impact,
    }
}
