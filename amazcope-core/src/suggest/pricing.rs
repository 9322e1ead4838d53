//! Pricing rules: the price against the category, its own history, its list price and the
//! buy box.

use crate::analytics::{median_decimal, real_price, round_money};
use crate::model::enums::{ActionType, SuggestionCategory, SuggestionPriority};
use crate::model::snapshot::NewSnapshot;
use crate::model::suggestion::{NewSuggestion, NewSuggestionAction};
use crate::money::percent_change;
use crate::rules::format_money;
use crate::suggest::{
    Draft, SuggestError, SuggestionGenerator, SuggestionInput, action, priority_for, short,
};
use async_trait::async_trait;
use chrono::Duration;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::HashMap;

/// Settings of the pricing rules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PricingRules {
    /// A price this many percent above or below the band median is "far" (default 25).
    pub far_from_median_percent: f64,
    /// The BSR worsened by at least this percent over 90 days (default 20) for the
    /// "90-day high" rule.
    pub bsr_worse_percent: f64,
    /// A discount of at least this percent on every snapshot of the last 30 days is a
    /// persistent deep discount (default 40).
    pub deep_discount_percent: f64,
    /// A buy box at least this many percent below the usual price is an undercut (default 1).
    pub buybox_gap_percent: f64,
}

impl Default for PricingRules {
    fn default() -> Self {
        Self {
            far_from_median_percent: 25.0,
            bsr_worse_percent: 20.0,
            deep_discount_percent: 40.0,
            buybox_gap_percent: 1.0,
        }
    }
}

fn pct(old: Decimal, new: Decimal) -> f64 {
    percent_change(old, new).unwrap_or(0.0)
}

fn money_text(d: Decimal) -> String {
    round_money(d).to_string()
}

#[async_trait]
impl SuggestionGenerator for PricingRules {
    fn name(&self) -> &str {
        "pricing"
    }

    async fn generate(&self, input: &SuggestionInput) -> Result<Vec<NewSuggestion>, SuggestError> {
        let Some(latest) = input.latest() else { return Ok(Vec::new()) };
        let Some(price) = real_price(latest.price) else { return Ok(Vec::new()) };
        let drafts = [
            self.category_median(input, latest, price),
            self.high_while_rank_worsens(input, latest, price),
            self.list_price_gap(input, latest, price),
            self.buy_box(input, latest, price),
        ];
        Ok(drafts.into_iter().flatten().map(|d| d.finish(self.name(), input)).collect())
    }
}

impl PricingRules {
    fn category_median(
        &self,
        input: &SuggestionInput,
        latest: &NewSnapshot,
        price: Decimal,
    ) -> Option<Draft> {
        let cat = input.category.as_ref()?;
        let median = cat.median_price.filter(|m| !m.is_zero())?;
        if cat.band_size < crate::suggest::CategoryContext::MIN_BAND {
            return None;
        }
        let gap = pct(median, price);
        if gap.abs() < self.far_from_median_percent {
            return None;
        }
        let cur = latest.currency;
        let band = match cat.band {
            Some((lo, hi)) => format!("products ranked #{lo}–#{hi}"),
            None => "the best-seller list".to_owned(),
        };
        let confidence = (0.4 + 0.05 * cat.band_size as f64).min(0.85);
        let title = short(&input.product.title, 50);
        let (rule, proposed, title, reasoning) = if gap > 0.0 {
            (
                "above_category_median",
                median,
                format!("Price far above the category for {title}"),
                format!(
                    "The price {} is {:.0}% above the median {} of {band} in {}. Shoppers comparing \
                     similar products see it as expensive; moving toward the median should win \
                     more buy-box views and conversions.",
                    format_money(price, cur),
                    gap,
                    format_money(median, cur),
                    cat.name.as_deref().unwrap_or("its category")
                ),
            )
        } else {
            // Stay a little under the median: the low price is probably part of why it sells.
            let proposed = round_money(median * Decimal::new(95, 2));
            (
                "below_category_median",
                proposed,
                format!("Price far below the category for {title}"),
                format!(
                    "The price {} is {:.0}% below the median {} of {band} in {}. Raising it to {} \
                     would still undercut most of them while earning more per sale.",
                    format_money(price, cur),
                    gap.abs(),
                    format_money(median, cur),
                    cat.name.as_deref().unwrap_or("its category"),
                    format_money(proposed, cur)
                ),
            )
        };
        Some(Draft {
            rule,
            category: SuggestionCategory::Pricing,
            priority: priority_for(gap),
            confidence: if gap > 0.0 { confidence } else { confidence - 0.05 },
            title,
            description: format!("Adjust the price to {}", format_money(proposed, cur)),
            impact: json!({
                "price_gap_percent": round1(gap),
                "category_median_price": money_text(median),
                "band_size": cat.band_size,
                "proposed_price_change_percent": round1(pct(price, proposed)),
            }),
            actions: vec![price_action(
                price,
                proposed,
                &reasoning,
                Some(format!("price moves {:.1}% toward the category median", pct(price, proposed))),
            )],
            reasoning,
        })
    }

    fn high_while_rank_worsens(
        &self,
        input: &SuggestionInput,
        latest: &NewSnapshot,
        price: Decimal,
    ) -> Option<Draft> {
        let window = input.window(90);
        let priced: Vec<Decimal> = window
            .iter()
            .filter(|s| s.currency == latest.currency)
            .filter_map(|s| real_price(s.price))
            .collect();
        let first = window.first()?;
        // Need a real history: three prices over two weeks, and a price that moved.
        if priced.len() < 3 || latest.scraped_at - first.scraped_at < Duration::days(14) {
            return None;
        }
        let (min, max) = (priced.iter().min()?, priced.iter().max()?);
        if price < *max || min == max {
            return None;
        }
        let old_bsr = window.iter().find_map(|s| s.bsr_main_category.filter(|b| *b > 0))?;
        let new_bsr = latest.bsr_main_category.filter(|b| *b > 0)?;
        let worse = pct(Decimal::from(old_bsr), Decimal::from(new_bsr));
        if worse < self.bsr_worse_percent {
            return None;
        }
        let median = round_money(median_decimal(&priced)?);
        let cur = latest.currency;
        let reasoning = format!(
            "The price {} is the highest of the last 90 days (low {}), while the best-seller rank \
             went from #{old_bsr} to #{new_bsr} ({worse:.0}% worse). Sales are likely suffering \
             from the price; the 90-day median {} sold better.",
            format_money(price, cur),
            format_money(*min, cur),
            format_money(median, cur)
        );
        Some(Draft {
            rule: "high_price_rank_worsens",
            category: SuggestionCategory::Pricing,
            priority: priority_for(worse),
            confidence: 0.6,
            title: format!("Price at a 90-day high while rank drops for {}", short(&input.product.title, 40)),
            description: format!("Return the price to about {}", format_money(median, cur)),
            impact: json!({
                "bsr_change_percent": round1(worse),
                "ninety_day_high": money_text(*max),
                "ninety_day_median": money_text(median),
            }),
            actions: vec![price_action(
                price,
                median,
                &reasoning,
                Some(format!("rank worsened {worse:.0}% at this price")),
            )],
            reasoning,
        })
    }

    fn list_price_gap(&self, input: &SuggestionInput, latest: &NewSnapshot, price: Decimal) -> Option<Draft> {
        let list = real_price(latest.original_price)?;
        let cur = latest.currency;
        let title = short(&input.product.title, 50);
        if price > list {
            let above = pct(list, price);
            let reasoning = format!(
                "The price {} is above the list price {}: shoppers see a mark-up instead of a \
                 saving. Selling at or below the list price removes that.",
                format_money(price, cur),
                format_money(list, cur)
            );
            return Some(Draft {
                rule: "above_list_price",
                category: SuggestionCategory::Pricing,
                priority: priority_for(above).max(SuggestionPriority::Medium),
                confidence: 0.7,
                title: format!("Price above list price for {title}"),
                description: format!("Lower the price to the list price {}", format_money(list, cur)),
                impact: json!({ "above_list_percent": round1(above) }),
                actions: vec![price_action(price, list, &reasoning, None)],
                reasoning,
            });
        }
        // A discount that never ends: every snapshot of the last 30 days (three or more, over
        // three weeks) at least `deep_discount_percent` below list.
        let month = input.window(30);
        let first = month.first()?;
        if month.len() < 3 || latest.scraped_at - first.scraped_at < Duration::days(21) {
            return None;
        }
        let all_deep = month.iter().all(|s| match (real_price(s.price), real_price(s.original_price)) {
            (Some(p), Some(l)) => -pct(l, p) >= self.deep_discount_percent,
            _ => false,
        });
        if !all_deep {
            return None;
        }
        let discount = -pct(list, price);
        let proposed = round_money((price * Decimal::new(110, 2)).min(list));
        let reasoning = format!(
            "For 30 days the price {} has been {discount:.0}% below the list price {}. A \
             permanent discount this deep trains shoppers to expect it and leaves margin \
             unused; a 10% increase to {} keeps a visible saving.",
            format_money(price, cur),
            format_money(list, cur),
            format_money(proposed, cur)
        );
        Some(Draft {
            rule: "persistent_deep_discount",
            category: SuggestionCategory::Pricing,
            priority: SuggestionPriority::Low,
            confidence: 0.4,
            title: format!("Permanent deep discount on {title}"),
            description: format!("Try a price of {}", format_money(proposed, cur)),
            impact: json!({ "discount_percent": round1(discount), "proposed_price_change_percent": round1(pct(price, proposed)) }),
            actions: vec![price_action(price, proposed, &reasoning, None)],
            reasoning,
        })
    }

    fn buy_box(&self, input: &SuggestionInput, latest: &NewSnapshot, price: Decimal) -> Option<Draft> {
        let cur = latest.currency;
        let title = short(&input.product.title, 50);
        if let Some(bb) = real_price(latest.buybox_price) {
            let gap = pct(price, bb);
            if -gap >= self.buybox_gap_percent {
                let reasoning = format!(
                    "The buy box is held at {}, {:.1}% below the listing price {}: another offer \
                     is cheaper and takes most sales. Matching it wins the buy box back.",
                    format_money(bb, cur),
                    gap.abs(),
                    format_money(price, cur)
                );
                return Some(Draft {
                    rule: "buybox_undercut",
                    category: SuggestionCategory::Pricing,
                    priority: priority_for(gap).max(SuggestionPriority::Medium),
                    confidence: 0.75,
                    title: format!("Competitor holds the buy box on {title}"),
                    description: format!("Match the buy box price {}", format_money(bb, cur)),
                    impact: json!({ "buybox_gap_percent": round1(gap) }),
                    actions: vec![price_action(
                        price,
                        bb,
                        &reasoning,
                        Some("win back the buy box".to_owned()),
                    )],
                    reasoning,
                });
            }
        }
        // The usual seller: the one named most often over the history (three sightings or more).
        let seller = latest.seller_name.as_deref()?;
        let mut counts: HashMap<&str, usize> = HashMap::new();
        for s in input.window(90) {
            if let Some(n) = s.seller_name.as_deref() {
                *counts.entry(n).or_default() += 1;
            }
        }
        let (usual, seen) = counts.iter().max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))?;
        if *seen < 3 || *usual == seller {
            return None;
        }
        let usual_prices: Vec<Decimal> = input
            .window(90)
            .iter()
            .filter(|s| s.seller_name.as_deref() == Some(*usual) && s.currency == cur)
            .filter_map(|s| real_price(s.price))
            .collect();
        let usual_price = round_money(median_decimal(&usual_prices)?);
        if price >= usual_price {
            return None;
        }
        let gap = pct(usual_price, price);
        let reasoning = format!(
            "The buy box moved from {usual} to {seller}, who sells at {} against {usual}'s usual \
             {}. Matching that price is the quickest way to win it back.",
            format_money(price, cur),
            format_money(usual_price, cur)
        );
        Some(Draft {
            rule: "buybox_lost",
            category: SuggestionCategory::Pricing,
            priority: priority_for(gap).max(SuggestionPriority::Medium),
            confidence: 0.6,
            title: format!("Buy box lost to {} on {title}", short(seller, 30)),
            description: format!("Match {}", format_money(price, cur)),
            impact: json!({ "usual_seller": usual, "buybox_seller": seller, "price_gap_percent": round1(gap) }),
            actions: vec![price_action(
                usual_price,
                price,
                &reasoning,
                Some("win back the buy box".to_owned()),
            )],
            reasoning,
        })
    }
}

fn round1(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

/// The action of a pricing suggestion: the listing's price from `current` to `proposed`.
fn price_action(
    current: Decimal,
    proposed: Decimal,
    reasoning: &str,
    impact: Option<String>,
) -> NewSuggestionAction {
    action(
        ActionType::UpdatePrice,
        "price",
        Some(money_text(current)),
        money_text(proposed),
        reasoning,
        impact,
    )
}
