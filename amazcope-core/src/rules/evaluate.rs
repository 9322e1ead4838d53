//! Snapshot pair → alerts, for every user tracking the product, by each user's thresholds.

use crate::model::alert::{Alert, NewAlert};
use crate::model::enums::{AlertType, Severity};
use crate::model::page::TrackedField;
use crate::model::snapshot::NewSnapshot;
use crate::model::tracking::Tracker;
use crate::rules::config::RuleConfig;
use crate::rules::format::{abs_percent, fixed, format_money, group_thousands};
use crate::{ProductId, SnapshotId, UserId};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// Slack for comparing computed percents and star differences with thresholds, so that a
/// change that meets a threshold exactly (4.5 → 4.4 against 0.1 stars) is not lost to binary
/// floating point.
const EPS: f64 = 1e-9;

/// An alert already raised for a user on this product: what cool-down, dead-band and
/// de-duplication are checked against.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PriorAlert {
    /// Whose alert.
    pub user_id: UserId,
    /// Its type.
    pub alert_type: AlertType,
    /// When it was raised (its snapshot's time).
    pub created_at: DateTime<Utc>,
    /// The value before, as text.
    pub old_value: Option<String>,
    /// The value the user was told about, as text (the dead-band centre).
    pub new_value: Option<String>,
    /// The snapshot that caused it.
    pub snapshot_id: Option<SnapshotId>,
}

impl From<&Alert> for PriorAlert {
    fn from(a: &Alert) -> Self {
        Self {
            user_id: a.user_id,
            alert_type: a.alert_type,
            created_at: a.created_at,
            old_value: a.old_value.clone(),
            new_value: a.new_value.clone(),
            snapshot_id: a.snapshot_id,
        }
    }
}

impl From<&NewAlert> for PriorAlert {
    fn from(a: &NewAlert) -> Self {
        Self {
            user_id: a.user_id,
            alert_type: a.alert_type,
            created_at: a.created_at,
            old_value: a.old_value.clone(),
            new_value: a.new_value.clone(),
            snapshot_id: a.snapshot_id,
        }
    }
}

/// Everything [`evaluate`] looks at for one new snapshot of one product.
#[derive(Debug, Clone, Copy)]
pub struct AlertContext<'a> {
    /// The product.
    pub product_id: ProductId,
    /// Its title, for messages (empty: "this product").
    pub product_title: &'a str,
    /// The newest snapshot with an earlier `scraped_at`, if any. Without one only the
    /// target-price rule can fire (a first sighting below target).
    pub previous: Option<&'a NewSnapshot>,
    /// The new snapshot (already stored, or about to be, under `current_id`).
    pub current: &'a NewSnapshot,
    /// The new snapshot's id.
    pub current_id: SnapshotId,
    /// Every user tracking the product, with their effective thresholds.
    pub trackers: &'a [Tracker],
    /// Recent alerts of these users on this product (at least the last `cool_down`, plus
    /// the newest of each type for the dead-band). Alerts of other users are ignored.
    pub recent_alerts: &'a [PriorAlert],
    /// Noise control and severity bands.
    pub config: &'a RuleConfig,
}

/// The value an alert reports, kept typed for the dead-band comparison.
#[derive(Debug, Clone, Copy)]
enum Centre {
    Price(Decimal),
    Rank(i32),
    Stars(f64),
}

/// An alert before noise control.
#[derive(Debug, Clone)]
struct Candidate {
    alert_type: AlertType,
    severity: Severity,
    title: String,
    message: String,
    old_value: Option<String>,
    new_value: Option<String>,
    change_percentage: Option<f64>,
    centre: Option<Centre>,
}

/// The alerts a new snapshot raises, one list for all users tracking the product.
///
/// Rules, each by the tracker's own thresholds where it has one (bands in [`RuleConfig`]):
/// * **price_change**: both prices known, non-zero and in the same currency, signed percent
///   `(new − old) / old × 100` (exact decimals) non-zero and `|pct| ≥` the user's price
///   threshold. Severity `info` below 5 %, `warning` below 20 %, `critical` from 20 %.
/// * **bsr_change**: on the *main* category rank, both known and non-zero, `|pct| ≥` the
///   user's BSR threshold (negative = improved). `info` below 30 %, `warning` from 30 %,
///   `critical` for a decline of 100 % or more (the rank doubled).
/// * **rating_drop**: the rating fell by at least 0.1 stars; `info`, `warning` from 0.3,
///   `critical` from 0.5.
/// * **review_spike**: the review count rose by at least 50, or by at least 20 % from a
///   base of 10 or more; `info`, `warning` at twice either bar. A missing count never fires.
/// * **out_of_stock** (`critical`) / **back_in_stock** (`info`) when `in_stock` flips.
/// * **amazons_choice_lost** (`warning`) / **amazons_choice_gained** (`info`).
/// * **target_price_reached** (`warning`): the price is at or below the user's target and
///   was above it before (or there is no previous snapshot): it fires on the crossing only.
///
/// Quality: a rule reads a value only when its quality is `ok` on both snapshots (unknown,
/// for snapshots from before quality was recorded, counts as ok): an `absent`, `unparsed`
/// or `blocked` value never fires an alert, so a price that disappears is no drop to zero
/// and an unreadable stock line no `out_of_stock`.
///
/// Noise control, per (user, product, type): no alert for a snapshot that already has one of
/// that type for the user; none within `cool_down` of the last one; and for price, rank and
/// rating none whose new value lies strictly inside the dead-band around the value of the
/// user's last alert of that type (a bounce back to what the user already knows).
pub fn evaluate(ctx: &AlertContext<'_>) -> Vec<NewAlert> {
    let mut out = Vec::new();
    let mut users = HashSet::new();
    for tracker in ctx.trackers {
        // One tracking row per (user, product) is the schema's rule; a repeated user here
        // would only duplicate alerts.
        if !users.insert(tracker.user_id) {
            continue;
        }
        let prior: Vec<&PriorAlert> =
            ctx.recent_alerts.iter().filter(|a| a.user_id == tracker.user_id).collect();
        for c in candidates(ctx, tracker) {
            if suppressed(&c, &prior, Some(ctx.current_id), ctx.current.scraped_at, ctx.config) {
                continue;
            }
            out.push(NewAlert {
                user_id: tracker.user_id,
                product_id: ctx.product_id,
                snapshot_id: Some(ctx.current_id),
                snapshot_scraped_at: Some(ctx.current.scraped_at),
                alert_type: c.alert_type,
                severity: c.severity,
                title: c.title,
                message: c.message,
                old_value: c.old_value,
                new_value: c.new_value,
                change_percentage: c.change_percentage,
                created_at: ctx.current.scraped_at,
            });
        }
    }
    out
}

/// One `unlisted` alert (`critical`, no snapshot) per user tracking a product whose page is
/// gone, at time `at`. Call it when the product turns unlisted; a repeat within the cool-down
/// of a previous `unlisted` alert (or at the same time) is suppressed.
pub fn unlisted_alerts(
    product_id: ProductId,
    product_title: &str,
    at: DateTime<Utc>,
    trackers: &[Tracker],
    recent_alerts: &[PriorAlert],
    config: &RuleConfig,
) -> Vec<NewAlert> {
    let name = display_title(product_title);
    let mut users = HashSet::new();
    let mut out = Vec::new();
    for tracker in trackers {
        if !users.insert(tracker.user_id) {
            continue;
        }
        let prior: Vec<&PriorAlert> = recent_alerts.iter().filter(|a| a.user_id == tracker.user_id).collect();
        let c = Candidate {
            alert_type: AlertType::Unlisted,
            severity: Severity::Critical,
            title: "Product unlisted".to_owned(),
            message: format!("{name} is no longer listed on Amazon: its product page is gone"),
            old_value: Some("listed".to_owned()),
            new_value: Some("unlisted".to_owned()),
            change_percentage: None,
            centre: None,
        };
        if suppressed(&c, &prior, None, at, config) {
            continue;
        }
        out.push(NewAlert {
            user_id: tracker.user_id,
            product_id,
            snapshot_id: None,
            snapshot_scraped_at: None,
            alert_type: c.alert_type,
            severity: c.severity,
            title: c.title,
            message: c.message,
            old_value: c.old_value,
            new_value: c.new_value,
            change_percentage: None,
            created_at: at,
        });
    }
    out
}

fn display_title(title: &str) -> String {
    let t = title.trim();
    if t.is_empty() {
        return "This product".to_owned();
    }
    // Long Amazon titles drown the message; the alert view carries the full title anyway.
    match t.char_indices().nth(80) {
        Some((i, _)) => format!("{}…", &t[..i]),
        None => t.to_owned(),
    }
}

fn meets(value: f64, threshold: f64) -> bool {
    value + EPS >= threshold
}

/// Exact signed percent change as f64, `None` when `old` is zero.
fn pct(old: Decimal, new: Decimal) -> Option<f64> {
    crate::money::percent_change(old, new)
}

fn stars(r: f64) -> String {
    let rounded = (r * 100.0).round() / 100.0;
    format!("{rounded}")
}

fn candidates(ctx: &AlertContext<'_>, tracker: &Tracker) -> Vec<Candidate> {
    let cfg = ctx.config;
    let cur = ctx.current;
    let mut out = Vec::new();
    if let Some(prev) = ctx.previous {
        if let Some(c) = price_rule(prev, cur, tracker.price_change_threshold, cfg) {
            out.push(c);
        }
        if let Some(c) = bsr_rule(prev, cur, tracker.bsr_change_threshold, cfg) {
            out.push(c);
        }
        if let Some(c) = rating_rule(prev, cur, cfg) {
            out.push(c);
        }
        if let Some(c) = review_rule(prev, cur, cfg) {
            out.push(c);
        }
        let name = display_title(ctx.product_title);
        if prev.in_stock != cur.in_stock && prev.is_ok(TrackedField::Stock) && cur.is_ok(TrackedField::Stock)
        {
            out.push(if cur.in_stock {
                Candidate {
                    alert_type: AlertType::BackInStock,
                    severity: Severity::Info,
                    title: "Product back in stock".to_owned(),
                    message: format!("{name} can be bought again"),
                    old_value: Some("out of stock".to_owned()),
                    new_value: Some("in stock".to_owned()),
                    change_percentage: None,
                    centre: None,
                }
            } else {
                Candidate {
                    alert_type: AlertType::OutOfStock,
                    severity: Severity::Critical,
                    title: "Product out of stock".to_owned(),
                    message: format!("{name} can no longer be bought"),
                    old_value: Some("in stock".to_owned()),
                    new_value: Some("out of stock".to_owned()),
                    change_percentage: None,
                    centre: None,
                }
            });
        }
        if prev.has_amazons_choice != cur.has_amazons_choice {
            let (alert_type, severity, title, message) = if cur.has_amazons_choice {
                (
                    AlertType::AmazonsChoiceGained,
                    Severity::Info,
                    "Amazon's Choice badge gained",
                    format!("{name} now carries the Amazon's Choice badge"),
                )
            } else {
                (
                    AlertType::AmazonsChoiceLost,
                    Severity::Warning,
                    "Amazon's Choice badge lost",
                    format!("{name} no longer carries the Amazon's Choice badge"),
                )
            };
            out.push(Candidate {
                alert_type,
                severity,
                title: title.to_owned(),
                message,
                old_value: Some(prev.has_amazons_choice.to_string()),
                new_value: Some(cur.has_amazons_choice.to_string()),
                change_percentage: None,
                centre: None,
            });
        }
    }
    if let Some(c) = target_rule(ctx.previous, cur, tracker) {
        out.push(c);
    }
    out
}

/// Both snapshots' `field` can be acted on ([`NewSnapshot::is_ok`]): no alert fires on a value
/// that is absent, unparsed or blocked, on either side.
fn both_ok(prev: &NewSnapshot, cur: &NewSnapshot, field: TrackedField) -> bool {
    prev.is_ok(field) && cur.is_ok(field)
}

fn price_rule(prev: &NewSnapshot, cur: &NewSnapshot, threshold: f64, cfg: &RuleConfig) -> Option<Candidate> {
    if !both_ok(prev, cur, TrackedField::Price) {
        return None;
    }
    let (old, new) = (prev.price?, cur.price?);
    // A zero price is "no offer", not a price; and two currencies cannot be compared.
    if old.is_zero() || new.is_zero() || prev.currency != cur.currency {
        return None;
    }
    let p = pct(old, new)?;
    if p == 0.0 || !meets(p.abs(), threshold) {
        return None;
    }
    let severity = if meets(p.abs(), cfg.price_critical_percent) {
        Severity::Critical
    } else if meets(p.abs(), cfg.price_warning_percent) {
        Severity::Warning
    } else {
        Severity::Info
    };
    let verb = if p > 0.0 { "increased" } else { "decreased" };
    let title = format!("Price {verb} by {}", abs_percent(p));
    let digits = cur.currency.minor_digits();
    Some(Candidate {
        alert_type: AlertType::PriceChange,
        severity,
        message: format!(
            "{title}: {} → {}",
            format_money(old, prev.currency),
            format_money(new, cur.currency)
        ),
        title,
        old_value: Some(fixed(old, digits)),
        new_value: Some(fixed(new, digits)),
        change_percentage: Some(p),
        centre: Some(Centre::Price(new)),
    })
}

fn bsr_rule(prev: &NewSnapshot, cur: &NewSnapshot, threshold: f64, cfg: &RuleConfig) -> Option<Candidate> {
    if !both_ok(prev, cur, TrackedField::Bsr) {
        return None;
    }
    let (old, new) = (prev.bsr_main_category?, cur.bsr_main_category?);
    if old <= 0 || new <= 0 {
        return None;
    }
    let p = pct(Decimal::from(old), Decimal::from(new))?;
    if p == 0.0 || !meets(p.abs(), threshold) {
        return None;
    }
    let severity = if p > 0.0 && meets(p, cfg.bsr_critical_percent) {
        Severity::Critical
    } else if meets(p.abs(), cfg.bsr_warning_percent) {
        Severity::Warning
    } else {
        Severity::Info
    };
    // A lower rank number is a better rank.
    let verb = if p < 0.0 { "improved" } else { "declined" };
    let category = cur
        .main_category_name
        .as_deref()
        .or(prev.main_category_name.as_deref())
        .unwrap_or("its main category");
    let title = format!("BSR {verb} by {}", abs_percent(p));
    Some(Candidate {
        alert_type: AlertType::BsrChange,
        severity,
        message: format!(
            "Best-seller rank {verb} from #{} to #{} in {category}",
            group_thousands(old.into()),
            group_thousands(new.into())
        ),
        title,
        old_value: Some(old.to_string()),
        new_value: Some(new.to_string()),
        change_percentage: Some(p),
        centre: Some(Centre::Rank(new)),
    })
}

fn rating_rule(prev: &NewSnapshot, cur: &NewSnapshot, cfg: &RuleConfig) -> Option<Candidate> {
    if !both_ok(prev, cur, TrackedField::Rating) {
        return None;
    }
    let (old, new) = (prev.rating?, cur.rating?);
    if !old.is_finite() || !new.is_finite() || old <= 0.0 {
        return None;
    }
    let drop = old - new;
    if drop <= 0.0 || !meets(drop, cfg.rating_drop) {
        return None;
    }
    let severity = if meets(drop, cfg.rating_critical_drop) {
        Severity::Critical
    } else if meets(drop, cfg.rating_warning_drop) {
        Severity::Warning
    } else {
        Severity::Info
    };
    Some(Candidate {
        alert_type: AlertType::RatingDrop,
        severity,
        title: format!("Rating dropped by {} stars", stars(drop)),
        message: format!("Average rating fell from {} to {} stars", stars(old), stars(new)),
        old_value: Some(stars(old)),
        new_value: Some(stars(new)),
        change_percentage: Some((new - old) / old * 100.0),
        centre: Some(Centre::Stars(new)),
    })
}

fn review_rule(prev: &NewSnapshot, cur: &NewSnapshot, cfg: &RuleConfig) -> Option<Candidate> {
    if !both_ok(prev, cur, TrackedField::ReviewCount) {
        return None;
    }
    let (old, new) = (prev.review_count?, cur.review_count?);
    let delta = new.checked_sub(old)?;
    if delta <= 0 {
        return None;
    }
    let p = if old > 0 { pct(Decimal::from(old), Decimal::from(new)) } else { None };
    let by_count = delta >= cfg.review_spike_count;
    let by_percent =
        old >= cfg.review_spike_min_base && p.is_some_and(|p| meets(p, cfg.review_spike_percent));
    if !by_count && !by_percent {
        return None;
    }
    let big = delta >= cfg.review_spike_count.saturating_mul(2)
        || (by_percent && p.is_some_and(|p| meets(p, cfg.review_spike_percent * 2.0)));
    let percent_text = p.map(|p| format!(" (+{})", abs_percent(p))).unwrap_or_default();
    Some(Candidate {
        alert_type: AlertType::ReviewSpike,
        severity: if big { Severity::Warning } else { Severity::Info },
        title: format!("Reviews jumped by {}{percent_text}", group_thousands(delta.into())),
        message: format!(
            "Review count rose from {} to {} since the last refresh",
            group_thousands(old.into()),
            group_thousands(new.into())
        ),
        old_value: Some(old.to_string()),
        new_value: Some(new.to_string()),
        change_percentage: p,
        centre: None,
    })
}

fn target_rule(prev: Option<&NewSnapshot>, cur: &NewSnapshot, tracker: &Tracker) -> Option<Candidate> {
    let target = tracker.target_price?;
    if !cur.is_ok(TrackedField::Price) {
        return None;
    }
    let new = cur.price.filter(|p| !p.is_zero())?;
    if new > target {
        return None;
    }
    let old = match prev {
        None => None,
        // Only the crossing alerts: a price that was already at or below target (or not
        // known) before has been reported, or cannot be said to have crossed.
        Some(p) => match p.price {
            Some(old) if old > target => Some(old),
            _ => return None,
        },
    };
    let digits = cur.currency.minor_digits();
    let new_text = format_money(new, cur.currency);
    let change_percentage = old.and_then(|o| pct(o, new));
    Some(Candidate {
        alert_type: AlertType::TargetPriceReached,
        severity: Severity::Warning,
        title: format!("Target price reached: {new_text}"),
        message: format!(
            "Price is {new_text}, at or below your target of {}",
            format_money(target, cur.currency)
        ),
        old_value: old.map(|o| fixed(o, digits)),
        new_value: Some(fixed(new, digits)),
        change_percentage,
        centre: None,
    })
}

fn suppressed(
    c: &Candidate,
    prior: &[&PriorAlert],
    snapshot: Option<SnapshotId>,
    at: DateTime<Utc>,
    cfg: &RuleConfig,
) -> bool {
    let same_type = prior.iter().filter(|a| a.alert_type == c.alert_type);
    let mut last: Option<&PriorAlert> = None;
    for a in same_type {
        if snapshot.is_some() && a.snapshot_id == snapshot {
            return true;
        }
        if a.created_at == at || (a.created_at - at).abs() < cfg.cool_down {
            return true;
        }
        if a.created_at <= at && last.is_none_or(|l| l.created_at < a.created_at) {
            last = Some(a);
        }
    }
    let (Some(centre), Some(last)) = (c.centre, last) else { return false };
    let Some(told) = last.new_value.as_deref() else { return false };
    match centre {
        Centre::Price(new) => {
            let Ok(told) = told.parse::<Decimal>() else { return false };
            pct(told, new).is_some_and(|p| p.abs() < cfg.dead_band_percent)
        }
        Centre::Rank(new) => {
            let Ok(told) = told.parse::<i32>() else { return false };
            pct(Decimal::from(told), Decimal::from(new)).is_some_and(|p| p.abs() < cfg.dead_band_percent)
        }
        Centre::Stars(new) => {
            let Ok(told) = told.parse::<f64>() else { return false };
            (new - told).abs() + EPS < cfg.dead_band_rating
        }
    }
}

/// The alerts as [`PriorAlert`]s (for feeding a batch's own output back as history).
pub fn as_prior(alerts: &[NewAlert]) -> Vec<PriorAlert> {
    alerts.iter().map(PriorAlert::from).collect()
}
