//! How far each tracked value of a product page can be trusted: the per-field quality that is
//! stored with every snapshot and that the alert rules act on.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How far one tracked value of a product page can be trusted. Stored with every snapshot;
/// alert rules act only on [`FieldQuality::Ok`] values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum FieldQuality {
    /// Read, and every source the page has for it agrees.
    Ok,
    /// The page shows no such value (no ratings yet, no list price, no buy-box price).
    #[default]
    Absent,
    /// The page shows something but it was not read, or two sources on the page disagree;
    /// the raw readings are in [`Quality::readings`].
    Unparsed,
    /// The page was no product page (captcha, robot check, error page): nothing was read.
    Blocked,
}

impl FieldQuality {
    /// The name used in JSON and in the database (`ok`, `absent`, `unparsed`, `blocked`).
    pub fn as_str(self) -> &'static str {
        match self {
            FieldQuality::Ok => "ok",
            FieldQuality::Absent => "absent",
            FieldQuality::Unparsed => "unparsed",
            FieldQuality::Blocked => "blocked",
        }
    }
}

impl std::str::FromStr for FieldQuality {
    type Err = crate::ValidationError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [FieldQuality::Ok, FieldQuality::Absent, FieldQuality::Unparsed, FieldQuality::Blocked]
            .into_iter()
            .find(|q| q.as_str() == s)
            .ok_or_else(|| {
                crate::ValidationError::new("field quality", s, "must be ok, absent, unparsed or blocked")
            })
    }
}

/// The values whose quality is tracked (the ones alert rules read).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TrackedField {
    /// [`ScrapedProduct::price`].
    Price,
    /// [`ScrapedProduct::list_price`].
    ListPrice,
    /// [`ScrapedProduct::ranks`].
    Bsr,
    /// [`ScrapedProduct::rating`].
    Rating,
    /// [`ScrapedProduct::review_count`].
    ReviewCount,
    /// [`ScrapedProduct::availability`].
    Stock,
}

impl TrackedField {
    /// Every tracked field, in the order reports list them.
    pub const ALL: [TrackedField; 6] = [
        TrackedField::Price,
        TrackedField::ListPrice,
        TrackedField::Bsr,
        TrackedField::Rating,
        TrackedField::ReviewCount,
        TrackedField::Stock,
    ];

    /// The name used in JSON (`list_price`).
    pub fn as_str(self) -> &'static str {
        match self {
            TrackedField::Price => "price",
            TrackedField::ListPrice => "list_price",
            TrackedField::Bsr => "bsr",
            TrackedField::Rating => "rating",
            TrackedField::ReviewCount => "review_count",
            TrackedField::Stock => "stock",
        }
    }
}

/// One raw reading of a value that was not taken: where on the page, and the text found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reading {
    /// The source: a selector, an embedded JSON key, a data attribute.
    pub source: String,
    /// The text found there, trimmed (at most 200 characters).
    pub text: String,
}

/// Per-field quality of the tracked values of one product page, plus the raw readings of
/// the unparsed ones (two or more when sources disagreed). Serialized as
/// `{"price": "ok", ..., "readings": {"price": [{"source": .., "text": ..}, ..]}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct Quality {
    /// Buy-box price.
    pub price: FieldQuality,
    /// Struck-through reference price.
    pub list_price: FieldQuality,
    /// Best-sellers ranks.
    pub bsr: FieldQuality,
    /// Star rating.
    pub rating: FieldQuality,
    /// Number of ratings.
    pub review_count: FieldQuality,
    /// Availability (in stock or not).
    pub stock: FieldQuality,
    /// The competing or unreadable texts of each `unparsed` field.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub readings: BTreeMap<TrackedField, Vec<Reading>>,
}

impl Quality {
    /// Every field `blocked`: the quality of a captcha or error page.
    pub fn blocked() -> Self {
        let b = FieldQuality::Blocked;
        Self {
            price: b,
            list_price: b,
            bsr: b,
            rating: b,
            review_count: b,
            stock: b,
            readings: BTreeMap::new(),
        }
    }

    /// The quality of one field.
    pub fn get(&self, f: TrackedField) -> FieldQuality {
        match f {
            TrackedField::Price => self.price,
            TrackedField::ListPrice => self.list_price,
            TrackedField::Bsr => self.bsr,
            TrackedField::Rating => self.rating,
            TrackedField::ReviewCount => self.review_count,
            TrackedField::Stock => self.stock,
        }
    }

    /// Sets the quality of one field.
    pub fn set(&mut self, f: TrackedField, q: FieldQuality) {
        let slot = match f {
            TrackedField::Price => &mut self.price,
            TrackedField::ListPrice => &mut self.list_price,
            TrackedField::Bsr => &mut self.bsr,
            TrackedField::Rating => &mut self.rating,
            TrackedField::ReviewCount => &mut self.review_count,
            TrackedField::Stock => &mut self.stock,
        };
        *slot = q;
    }
}
