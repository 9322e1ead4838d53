//! Tracking rules: noisy thresholds, dead listings, reached targets.

use crate::analytics::real_price;
use crate::model::enums::{ActionType, AlertType, SuggestionCategory, SuggestionPriority};
use crate::model::suggestion::NewSuggestion;
use crate::rules::format_money;
use crate::suggest::{Draft, SuggestError, SuggestionGenerator, SuggestionInput, action, short};
use async_trait::async_trait;
use chrono::Duration;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// Settings of the tracking rules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrackingRules {
    /// More alerts of one kind than this in 7 days means the threshold is too tight
    /// (default 5).
    pub max_alerts_per_week: u32,
    /// A product unlisted for this many days is dead (default 7).
    pub unlisted_days: i64,
}

impl Default for TrackingRules {
    fn default() -> Self {
        Self { max_alerts_per_week: 5, unlisted_days: 7 }
    }
}

/// The next threshold: half again as wide, at least 5 points more, whole percent, at most 100.
fn raised(current: f64) -> f64 {
    (current * 1.5).max(current + 5.0).round().min(100.0)
}

#[async_trait]
impl SuggestionGenerator for TrackingRules {
    fn name(&self) -> &str {
        "tracking"
    }

    async fn generate(&self, input: &SuggestionInput) -> Result<Vec<NewSuggestion>, SuggestError> {
        if !input.tracking.is_active {
            return Ok(Vec::new());
        }
        let drafts = [
            self.threshold(input, AlertType::PriceChange),
            self.threshold(input, AlertType::BsrChange),
            self.unlisted(input),
            self.target_reached(input),
        ];
        Ok(drafts.into_iter().flatten().map(|d| d.finish(self.name(), input)).collect())
    }
}

impl TrackingRules {
    fn threshold(&self, input: &SuggestionInput, kind: AlertType) -> Option<Draft> {
        let count = input.alerts_of(kind);
        if count <= self.max_alerts_per_week {
            return None;
        }
        let (rule, field, action_type, what, current) = match kind {
            AlertType::PriceChange => (
                "raise_price_threshold",
                "price_change_threshold",
                ActionType::AdjustPriceThreshold,
                "price",
                input.tracker.price_change_threshold,
            ),
            _ => (
                "raise_bsr_threshold",
                "bsr_change_threshold",
                ActionType::AdjustBsrThreshold,
                "BSR",
                input.tracker.bsr_change_threshold,
            ),
        };
        let proposed = raised(current);
        if proposed <= current {
            return None;
        }
        let reasoning = format!(
            "Your {what} threshold of {current}% raised {count} alerts in the last 7 days, more \
             than {} a week. At {proposed}% only the larger moves alert.",
            self.max_alerts_per_week
        );
        Some(Draft {
            rule,
            category: SuggestionCategory::Tracking,
            priority: if count > self.max_alerts_per_week * 2 {
                SuggestionPriority::Medium
            } else {
                SuggestionPriority::Low
            },
            confidence: 0.8,
            title: format!("Too many {what} alerts for {}", short(&input.product.title, 40)),
            description: format!("Raise the {what} threshold to {proposed}%"),
            impact: json!({ "alerts_last_7d": count, "current_threshold": current, "proposed_threshold": proposed }),
            actions: vec![action(
                action_type,
                field,
                Some(current.to_string()),
                proposed.to_string(),
                &reasoning,
                Some("fewer, larger alerts".to_owned()),
            )],
            reasoning,
        })
    }

    fn unlisted(&self, input: &SuggestionInput) -> Option<Draft> {
        let since = input.product.unlisted_at.filter(|_| input.product.is_unlisted)?;
        let days = (input.now - since).num_days();
        if input.now - since < Duration::days(self.unlisted_days) {
            return None;
        }
        let reasoning = format!(
            "The product page has been gone for {days} days; refreshing it finds nothing. \
             Stop tracking it (you can track it again if it comes back)."
        );
        Some(Draft {
            rule: "stop_tracking_unlisted",
            category: SuggestionCategory::Tracking,
            priority: SuggestionPriority::Medium,
            confidence: 0.9,
            title: format!("{} is no longer listed", short(&input.product.title, 40)),
            description: "Stop tracking this product".to_owned(),
            impact: json!({ "unlisted_days": days }),
            actions: vec![action(
                ActionType::ToggleTracking,
                "is_active",
                Some("true".to_owned()),
                "false".to_owned(),
                &reasoning,
                None,
            )],
            reasoning,
        })
    }

    fn target_reached(&self, input: &SuggestionInput) -> Option<Draft> {
        let target = input.tracker.target_price?;
        let latest = input.latest()?;
        let price = real_price(latest.price)?;
        if price > target {
            return None;
        }
        let reasoning = format!(
            "The price {} is at or below your target {}. If you bought it, stop tracking; if \
             not, now is the time.",
            format_money(price, latest.currency),
            format_money(target, latest.currency)
        );
        Some(Draft {
            rule: "target_price_reached",
            category: SuggestionCategory::Tracking,
            priority: SuggestionPriority::Low,
            confidence: 0.7,
            title: format!("Target price reached for {}", short(&input.product.title, 40)),
            description: "Stop tracking once you have acted on the price".to_owned(),
            impact: json!({ "price": price.to_string(), "target_price": target.to_string() }),
            actions: vec![action(
                ActionType::ToggleTracking,
                "is_active",
                Some("true".to_owned()),
                "false".to_owned(),
                &reasoning,
                None,
            )],
            reasoning,
        })
    }
}
