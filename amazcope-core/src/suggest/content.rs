//! Content rules: title length, feature bullets, images, brand, description, rating.

use crate::Marketplace;
use crate::model::enums::{ActionType, SuggestionCategory, SuggestionPriority};
use crate::model::suggestion::NewSuggestion;
use crate::suggest::{Draft, SuggestError, SuggestionGenerator, SuggestionInput, action, short};
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// Amazon's title policy caps titles at 200 characters, spaces included.
pub const DEFAULT_TITLE_LIMIT: usize = 200;

/// Stores whose cap differs from [`DEFAULT_TITLE_LIMIT`]; none known today, the table is
/// where one goes.
const TITLE_LIMITS: &[(Marketplace, usize)] = &[];

/// The longest title a marketplace accepts, in characters including spaces.
pub fn title_limit(marketplace: Marketplace) -> usize {
    TITLE_LIMITS.iter().find(|(m, _)| *m == marketplace).map_or(DEFAULT_TITLE_LIMIT, |(_, n)| *n)
}

/// Settings of the content rules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContentRules {
    /// A title shorter than this many characters is too short (default 80, the original's
    /// fallback heuristic).
    pub min_title_chars: usize,
    /// Fewer feature bullets than this is too few (default 5).
    pub min_features: usize,
    /// Fewer images than this is too few (default 6).
    pub min_images: usize,
    /// A rating this many stars below the category average is "below" (default 0.2).
    pub rating_gap: f64,
}

impl Default for ContentRules {
    fn default() -> Self {
        Self { min_title_chars: 80, min_features: 5, min_images: 6, rating_gap: 0.2 }
    }
}

fn blank(s: Option<&str>) -> bool {
    s.is_none_or(|s| s.trim().is_empty())
}

/// The non-empty text bullets of the product's `features` JSON array.
fn features(input: &SuggestionInput) -> Vec<String> {
    match &input.product.features {
        Some(serde_json::Value::Array(items)) => items
            .iter()
            .filter_map(|v| v.as_str())
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    }
}

/// Cuts `text` to at most `limit` characters at a word boundary.
fn cut_words(text: &str, limit: usize) -> String {
    if text.chars().count() <= limit {
        return text.to_owned();
    }
    let hard: String = text.chars().take(limit).collect();
    match hard.rfind(' ') {
        Some(i) if i > limit / 2 => hard[..i].trim_end_matches([',', ';', '-', '–', ' ']).to_owned(),
        _ => hard,
    }
}

#[async_trait]
impl SuggestionGenerator for ContentRules {
    fn name(&self) -> &str {
        "content"
    }

    async fn generate(&self, input: &SuggestionInput) -> Result<Vec<NewSuggestion>, SuggestError> {
        // A product never read from a page has no content to judge yet.
        if input.product.last_snapshot_at.is_none() || input.product.title.trim().is_empty() {
            return Ok(Vec::new());
        }
        let drafts = [
            self.title(input),
            self.bullets(input),
            self.images(input),
            self.brand(input),
            self.description(input),
            self.rating(input),
        ];
        Ok(drafts.into_iter().flatten().map(|d| d.finish(self.name(), input)).collect())
    }
}

impl ContentRules {
    fn title(&self, input: &SuggestionInput) -> Option<Draft> {
        let title = input.product.title.trim();
        let len = title.chars().count();
        let limit = title_limit(input.product.marketplace);
        if len > limit {
            let proposed = cut_words(title, limit);
            let reasoning = format!(
                "The title has {len} characters; amazon.{} accepts at most {limit}. Listings \
                 over the limit can be suppressed from search.",
                input.product.marketplace
            );
            return Some(Draft {
                rule: "title_too_long",
                category: SuggestionCategory::Content,
                priority: SuggestionPriority::High,
                confidence: 0.9,
                title: format!("Title too long for {}", short(title, 40)),
                description: format!("Shorten the title to at most {limit} characters"),
                impact: json!({ "title_length": len, "limit": limit }),
                actions: vec![action(
                    ActionType::UpdateTitle,
                    "title",
                    Some(title.to_owned()),
                    proposed,
                    &reasoning,
                    None,
                )],
                reasoning,
            });
        }
        if len >= self.min_title_chars {
            return None;
        }
        let mut proposed = title.to_owned();
        if let Some(brand) = input.product.brand.as_deref().map(str::trim).filter(|b| !b.is_empty())
            && !title.to_lowercase().contains(&brand.to_lowercase())
        {
            proposed = format!("{brand} {proposed}");
        }
        if let Some(first) = features(input).first() {
            // The first clause of the first bullet usually names the key attribute.
            let clause = first.split([',', '.', ';', ':']).next().unwrap_or(first).trim();
            proposed = format!("{proposed} – {}", cut_words(clause, 60));
        }
        let proposed = cut_words(&proposed, limit);
        let reasoning = format!(
            "The title has only {len} characters. Titles that name the brand, product type and \
             key attributes (size, material, count) match more searches."
        );
        Some(Draft {
            rule: "title_too_short",
            category: SuggestionCategory::Content,
            priority: SuggestionPriority::Low,
            confidence: 0.5,
            title: format!("Title too short for {}", short(title, 40)),
            description: "Add the brand and key attributes to the title".to_owned(),
            impact: json!({ "title_length": len, "recommended_min": self.min_title_chars }),
            actions: vec![action(
                ActionType::UpdateTitle,
                "title",
                Some(title.to_owned()),
                if proposed == title { format!("{title} (add size, material or count)") } else { proposed },
                &reasoning,
                None,
            )],
            reasoning,
        })
    }

    fn bullets(&self, input: &SuggestionInput) -> Option<Draft> {
        let have = features(input);
        if have.len() >= self.min_features {
            return None;
        }
        let missing = self.min_features - have.len();
        let reasoning = format!(
            "The listing has {} feature bullet{}; {} or more let shoppers see the main benefits \
             without scrolling and give search more to match.",
            have.len(),
            if have.len() == 1 { "" } else { "s" },
            self.min_features
        );
        Some(Draft {
            rule: "few_feature_bullets",
            category: SuggestionCategory::Content,
            priority: if have.len() <= 2 { SuggestionPriority::Medium } else { SuggestionPriority::Low },
            confidence: 0.7,
            title: format!("Add feature bullets to {}", short(&input.product.title, 40)),
            description: format!("Add {missing} feature bullet{}", if missing == 1 { "" } else { "s" }),
            impact: json!({ "feature_count": have.len(), "recommended": self.min_features }),
            actions: vec![action(
                ActionType::UpdateFeatures,
                "features",
                Some(have.len().to_string()),
                self.min_features.to_string(),
                &reasoning,
                Some(format!("add {missing} bullet(s)")),
            )],
            reasoning,
        })
    }

    fn images(&self, input: &SuggestionInput) -> Option<Draft> {
        let n = input.image_count?;
        if n >= self.min_images {
            return None;
        }
        let reasoning = format!(
            "The listing shows {n} image{}; {} or more (product from several angles, in use, \
             with its size) answer shoppers' questions before they ask them.",
            if n == 1 { "" } else { "s" },
            self.min_images
        );
        Some(Draft {
            rule: "few_images",
            category: SuggestionCategory::Content,
            priority: if n <= 3 { SuggestionPriority::Medium } else { SuggestionPriority::Low },
            confidence: 0.7,
            title: format!("Add images to {}", short(&input.product.title, 40)),
            description: format!("Show at least {} images", self.min_images),
            impact: json!({ "image_count": n, "recommended": self.min_images }),
            actions: vec![action(
                ActionType::UpdateImages,
                "images",
                Some(n.to_string()),
                self.min_images.to_string(),
                &reasoning,
                None,
            )],
            reasoning,
        })
    }

    fn brand(&self, input: &SuggestionInput) -> Option<Draft> {
        if !blank(input.product.brand.as_deref()) {
            return None;
        }
        let manufacturer = input.product.manufacturer.as_deref().map(str::trim).filter(|m| !m.is_empty());
        let reasoning = "The listing names no brand. A brand builds trust, enables brand filters in \
                         search and is required for Brand Registry tools."
            .to_owned();
        Some(Draft {
            rule: "missing_brand",
            category: SuggestionCategory::Content,
            priority: SuggestionPriority::Medium,
            confidence: if manufacturer.is_some() { 0.8 } else { 0.6 },
            title: format!("No brand on {}", short(&input.product.title, 40)),
            description: "Set the brand".to_owned(),
            impact: json!({ "has_brand": false }),
            actions: vec![action(
                ActionType::UpdateBrand,
                "brand",
                None,
                manufacturer.map_or_else(|| "your brand name".to_owned(), str::to_owned),
                &reasoning,
                None,
            )],
            reasoning,
        })
    }

    fn description(&self, input: &SuggestionInput) -> Option<Draft> {
        if !blank(input.product.product_description.as_deref()) {
            return None;
        }
        let bullets = features(input);
        let proposed = if bullets.is_empty() {
            format!(
                "{}. Describe what it is, who it is for and what is in the box.",
                input.product.title.trim()
            )
        } else {
            format!("{}. {}", input.product.title.trim(), bullets.join(" "))
        };
        let reasoning = "The listing has no product description. The description is indexed for \
                         search and is where shoppers look for details the bullets leave out."
            .to_owned();
        Some(Draft {
            rule: "missing_description",
            category: SuggestionCategory::Content,
            priority: SuggestionPriority::Medium,
            confidence: 0.7,
            title: format!("No description on {}", short(&input.product.title, 40)),
            description: "Write a product description".to_owned(),
            impact: json!({ "has_description": false }),
            actions: vec![action(
                ActionType::UpdateDescription,
                "description",
                None,
                proposed,
                &reasoning,
                None,
            )],
            reasoning,
        })
    }

    fn rating(&self, input: &SuggestionInput) -> Option<Draft> {
        let avg = input.category.as_ref()?.avg_rating.filter(|r| *r > 0.0)?;
        let rating = input.latest().and_then(|s| s.rating).or(input.product.rating).filter(|r| *r > 0.0)?;
        let gap = avg - rating;
        if gap + 1e-9 < self.rating_gap {
            return None;
        }
        let reasoning = format!(
            "The rating {rating:.1} is {gap:.1} stars below the category average {avg:.1}. \
             Describing the product precisely (size, compatibility, what is included) prevents \
             the mismatched expectations behind many low ratings."
        );
        Some(Draft {
            rule: "rating_below_category",
            category: SuggestionCategory::Content,
            priority: if gap >= 0.5 {
                SuggestionPriority::High
            } else if gap >= 0.3 {
                SuggestionPriority::Medium
            } else {
                SuggestionPriority::Low
            },
            confidence: 0.5,
            title: format!("Rating below the category for {}", short(&input.product.title, 40)),
            description: "Set expectations precisely in the description".to_owned(),
            impact: json!({ "rating": rating, "category_avg_rating": (avg * 100.0).round() / 100.0, "gap": (gap * 100.0).round() / 100.0 }),
            actions: vec![action(
                ActionType::UpdateDescription,
                "description",
                input.product.product_description.clone(),
                "State size, compatibility and contents plainly; answer the top complaints of recent reviews"
                    .to_owned(),
                &reasoning,
                None,
            )],
            reasoning,
        })
    }
}
