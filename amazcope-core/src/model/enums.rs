//! Closed value sets, stored as text (or as PostgreSQL enums for the suggestion tables) and
//! checked by the database with `chk_*` constraints.

use crate::ValidationError;

/// Declares a string-backed enum with `as_str`, `FromStr`, `Display` and serde as that text.
#[macro_export]
#[doc(hidden)]
macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident, $field:literal { $($(#[$vmeta:meta])* $variant:ident => $text:literal,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($(#[$vmeta])* $variant,)* }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];
            /// The stored text.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text,)* }
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::ValidationError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s.trim() {
                    $($text => Ok($name::$variant),)*
                    _ => Err($crate::ValidationError::new(
                        $field,
                        s,
                        format!("expected one of {}", [$($text),*].join(", ")),
                    )),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <String as serde::Deserialize>::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

string_enum! {
    /// What an alert is about (`alerts.alert_type`, `chk_alerts_alert_type`).
    AlertType, "alert_type" {
        /// Price moved by at least the user's price threshold.
        PriceChange => "price_change",
        /// Main best-seller rank moved by at least the user's BSR threshold.
        BsrChange => "bsr_change",
        /// Average rating fell.
        RatingDrop => "rating_drop",
        /// Review count jumped.
        ReviewSpike => "review_spike",
        /// The product can no longer be bought.
        OutOfStock => "out_of_stock",
        /// The product can be bought again.
        BackInStock => "back_in_stock",
        /// The product page is gone.
        Unlisted => "unlisted",
        /// The Amazon's Choice badge was lost.
        AmazonsChoiceLost => "amazons_choice_lost",
        /// The Amazon's Choice badge was gained.
        AmazonsChoiceGained => "amazons_choice_gained",
        /// The price is at or below the user's target price.
        TargetPriceReached => "target_price_reached",
    }
}

string_enum! {
    /// How much an alert matters (`alerts.severity`).
    Severity, "severity" {
        /// Worth knowing.
        Info => "info",
        /// Worth a look today.
        Warning => "warning",
        /// Act now.
        Critical => "critical",
    }
}

string_enum! {
    /// `notifications.notification_type`.
    NotificationType, "notification_type" {
        /// From a price or target-price alert.
        PriceChange => "price_change",
        /// From a BSR alert.
        BsrChange => "bsr_change",
        /// From a stock or unlisted alert.
        StockChange => "stock_change",
        /// From a rating or review alert.
        ReviewChange => "review_change",
        /// From an Amazon's Choice alert.
        BadgeChange => "badge_change",
        /// System message.
        System => "system",
        /// Daily summary.
        DailySummary => "daily_summary",
        /// Weekly report.
        WeeklyReport => "weekly_report",
        /// The daily report.
        DailyReport => "daily_report",
    }
}

string_enum! {
    /// `notifications.priority`.
    NotificationPriority, "priority" {
        /// Low.
        Low => "low",
        /// Normal (default).
        Normal => "normal",
        /// High.
        High => "high",
        /// Urgent.
        Urgent => "urgent",
    }
}

string_enum! {
    /// `notifications.status`; `is_read` is derived from it by the database.
    NotificationStatus, "status" {
        /// Not read yet.
        Unread => "unread",
        /// Read.
        Read => "read",
        /// Read and put away.
        Archived => "archived",
    }
}

string_enum! {
    /// `suggestions.category` (PostgreSQL enum `suggestioncategory`).
    SuggestionCategory, "category" {
        /// Price of the listing.
        Pricing => "pricing",
        /// Title, bullets, images, description.
        Content => "content",
        /// The user's own tracking set-up.
        Tracking => "tracking",
    }
}

string_enum! {
    /// `suggestions.priority` (PostgreSQL enum `suggestionpriority`).
    SuggestionPriority, "priority" {
        /// Low.
        Low => "low",
        /// Medium.
        Medium => "medium",
        /// High.
        High => "high",
    }
}

string_enum! {
    /// `suggestions.status` (PostgreSQL enum `suggestionstatus`).
    SuggestionStatus, "status" {
        /// Waiting for review.
        Pending => "pending",
        /// Seen, not decided (kept from the original's enum).
        Reviewed => "reviewed",
        /// Every action approved.
        Approved => "approved",
        /// Every action rejected.
        Rejected => "rejected",
        /// Some actions approved, some rejected.
        PartiallyApproved => "partially_approved",
        /// Expired without review.
        Expired => "expired",
    }
}

string_enum! {
    /// `suggestion_actions.action_type` (PostgreSQL enum `actiontype`).
    ActionType, "action_type" {
        /// Change the listing's price (on Amazon; recorded here).
        UpdatePrice => "update_price",
        /// Change the title (on Amazon; recorded here).
        UpdateTitle => "update_title",
        /// Change the description (on Amazon; recorded here).
        UpdateDescription => "update_description",
        /// Change the brand (on Amazon; recorded here).
        UpdateBrand => "update_brand",
        /// Change the category (on Amazon; recorded here).
        UpdateCategory => "update_category",
        /// Add feature bullets (on Amazon; recorded here).
        UpdateFeatures => "update_features",
        /// Add images (on Amazon; recorded here).
        UpdateImages => "update_images",
        /// Change the user's price threshold.
        AdjustPriceThreshold => "adjust_price_threshold",
        /// Change the user's BSR threshold.
        AdjustBsrThreshold => "adjust_bsr_threshold",
        /// Turn the user's tracking on or off.
        ToggleTracking => "toggle_tracking",
    }
}

string_enum! {
    /// `suggestion_actions.status` (PostgreSQL enum `actionstatus`).
    ActionStatus, "action_status" {
        /// Waiting for review.
        Pending => "pending",
        /// Approved, not applied yet.
        Approved => "approved",
        /// Applied.
        Applied => "applied",
        /// Rejected.
        Rejected => "rejected",
        /// Applying failed; `error_message` says why.
        Failed => "failed",
    }
}

string_enum! {
    /// `products.track_frequency`.
    TrackFrequency, "track_frequency" {
        /// Once a day.
        Daily => "daily",
        /// Once an hour.
        Hourly => "hourly",
    }
}

impl TrackFrequency {
    /// The refresh interval this frequency means.
    pub fn interval(self) -> chrono::Duration {
        match self {
            TrackFrequency::Daily => chrono::Duration::days(1),
            TrackFrequency::Hourly => chrono::Duration::hours(1),
        }
    }
}

string_enum! {
    /// `category_metrics.category_level`.
    CategoryLevel, "category_level" {
        /// A main (root) category.
        Main => "main",
        /// A sub-category.
        Subcategory => "subcategory",
    }
}

string_enum! {
    /// What happened the last time a product was fetched (`products.last_fetch_status`).
    FetchStatus, "last_fetch_status" {
        /// A product page was read and stored.
        Ok => "ok",
        /// A robot check came back; nothing stored.
        Captcha => "captcha",
        /// The page is gone; the product is marked unlisted.
        NotFound => "not_found",
        /// Throttled or failed after retries; nothing stored.
        Failed => "failed",
        /// The page came back but could not be read as a product.
        ParseError => "parse_error",
    }
}

/// Parses an optional enum value from stored text, naming the field on error.
pub fn parse_opt<T: std::str::FromStr<Err = ValidationError>>(
    s: Option<&str>,
) -> Result<Option<T>, ValidationError> {
    s.map(str::parse).transpose()
}
