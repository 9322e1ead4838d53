//! Backtest: one user's rules over a stored history, without writing anything.

use crate::model::alert::NewAlert;
use crate::model::snapshot::ProductSnapshot;
use crate::model::tracking::Tracker;
use crate::rules::config::RuleConfig;
use crate::rules::evaluate::{AlertContext, PriorAlert, evaluate};

/// The alerts `tracker`'s user would have got over `history` (any order; sorted by
/// `scraped_at` here), pair by consecutive pair, with cool-down and dead-band applied
/// against the alerts raised earlier in the same replay. The first snapshot can only raise a
/// target-price alert (nothing before it to compare with).
///
/// Messages say "This product" where the live path names the product: the history carries
/// no title.
pub fn replay(history: &[ProductSnapshot], tracker: &Tracker, config: &RuleConfig) -> Vec<NewAlert> {
    let mut ordered: Vec<&ProductSnapshot> = history.iter().collect();
    // Ties keep their input order (stable sort): same-instant snapshots are one scrape.
    ordered.sort_by_key(|s| s.data.scraped_at);
    let trackers = std::slice::from_ref(tracker);
    let mut raised: Vec<NewAlert> = Vec::new();
    let mut prior: Vec<PriorAlert> = Vec::new();
    let mut previous: Option<&ProductSnapshot> = None;
    for snap in ordered {
        let ctx = AlertContext {
            product_id: snap.data.product_id,
            product_title: "",
            previous: previous.map(|p| &p.data),
            current: &snap.data,
            current_id: snap.id,
            trackers,
            recent_alerts: &prior,
            config,
        };
        let new = evaluate(&ctx);
        prior.extend(new.iter().map(PriorAlert::from));
        raised.extend(new);
        previous = Some(snap);
    }
    raised
}
