//! The daily report: what changed on a user's products since yesterday, their alerts, and the
//! biggest movers.

use crate::model::alert::{AlertQuery, AlertView};
use crate::model::user::User;
use crate::money::percent_change;
use crate::repo::Store;
use crate::{Asin, Marketplace, ProductId, ServiceError};
use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How one tracked product moved over the report's window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Mover {
    /// The product.
    pub product_id: ProductId,
    /// ASIN.
    pub asin: Asin,
    /// Marketplace.
    pub marketplace: Marketplace,
    /// Title.
    pub title: String,
    /// Price at the start of the window (newest snapshot before it).
    pub old_price: Option<Decimal>,
    /// Latest price.
    pub new_price: Option<Decimal>,
    /// Signed percent.
    pub price_change_pct: Option<f64>,
    /// Main BSR at the start.
    pub old_bsr: Option<i32>,
    /// Latest main BSR.
    pub new_bsr: Option<i32>,
    /// Signed percent (negative = better rank).
    pub bsr_change_pct: Option<f64>,
    /// In stock at the start.
    pub was_in_stock: Option<bool>,
    /// In stock now.
    pub in_stock: Option<bool>,
    /// Latest rating.
    pub rating: Option<f64>,
    /// Marked unlisted.
    pub is_unlisted: bool,
}

impl Mover {
    /// The size of the move, for ranking: the larger of |price %| and |BSR %|.
    pub fn magnitude(&self) -> f64 {
        self.price_change_pct.unwrap_or(0.0).abs().max(self.bsr_change_pct.unwrap_or(0.0).abs())
    }

    /// Whether stock flipped inside the window (a first sighting is no flip).
    pub fn stock_changed(&self) -> bool {
        self.was_in_stock.is_some() && self.in_stock.is_some() && self.was_in_stock != self.in_stock
    }

    /// Whether anything the report shows changed.
    pub fn changed(&self) -> bool {
        self.magnitude() > 0.0 || self.stock_changed() || self.is_unlisted
    }
}

/// The daily report of one user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DailyReport {
    /// User name.
    pub username: String,
    /// Start of the window.
    pub since: DateTime<Utc>,
    /// End of the window.
    pub until: DateTime<Utc>,
    /// Products tracked.
    pub products_tracked: usize,
    /// Products that changed (price, rank, stock or listing), biggest move first.
    pub changed: Vec<Mover>,
    /// The five biggest movers.
    pub biggest_movers: Vec<Mover>,
    /// The window's alerts, newest first.
    pub alerts: Vec<AlertView>,
    /// Alert counts by type.
    pub alerts_by_type: BTreeMap<String, usize>,
    /// Unread alerts in the window.
    pub unread_alerts: usize,
}

/// Builds `user`'s report for the `hours` up to `now`.
pub async fn daily_report<S: Store + ?Sized>(
    store: &S,
    user: &User,
    now: DateTime<Utc>,
    hours: i64,
) -> Result<DailyReport, ServiceError> {
    let since = now - Duration::hours(hours);
    let tracked = store.tracked_products(user.id, false).await?;
    let mut movers = Vec::with_capacity(tracked.len());
    for t in &tracked {
        let p = &t.product;
        let latest = store.previous_snapshot(p.id, now + Duration::microseconds(1)).await?;
        let base = store.previous_snapshot(p.id, since).await?;
        let (new, old) = (latest.as_ref().map(|s| &s.data), base.as_ref().map(|s| &s.data));
        let old_price = old.and_then(|s| s.price);
        let new_price = new.and_then(|s| s.price);
        let old_bsr = old.and_then(|s| s.bsr_main_category);
        let new_bsr = new.and_then(|s| s.bsr_main_category);
        movers.push(Mover {
            product_id: p.id,
            asin: p.asin,
            marketplace: p.marketplace,
            title: p.title.clone(),
            old_price,
            new_price,
            price_change_pct: old_price.zip(new_price).and_then(|(o, n)| percent_change(o, n)),
            old_bsr,
            new_bsr,
            bsr_change_pct: old_bsr
                .zip(new_bsr)
                .and_then(|(o, n)| percent_change(Decimal::from(o), Decimal::from(n))),
            was_in_stock: old.map(|s| s.in_stock),
            in_stock: new.map(|s| s.in_stock),
            rating: new.and_then(|s| s.rating),
            is_unlisted: p.is_unlisted && p.unlisted_at.is_some_and(|t| t >= since),
        });
    }
    movers.sort_by(|a, b| b.magnitude().total_cmp(&a.magnitude()));
    let changed: Vec<Mover> = movers.into_iter().filter(Mover::changed).collect();
    let biggest_movers = changed.iter().filter(|m| m.magnitude() > 0.0).take(5).cloned().collect();
    let alerts = store
        .alerts(user.id, &AlertQuery { since: Some(since), limit: Some(1000), ..AlertQuery::default() })
        .await?;
    let mut alerts_by_type = BTreeMap::new();
    for a in &alerts {
        *alerts_by_type.entry(a.alert.alert_type.to_string()).or_insert(0) += 1;
    }
    let unread_alerts = alerts.iter().filter(|a| !a.alert.is_read).count();
    Ok(DailyReport {
        username: user.username.clone(),
        since,
        until: now,
        products_tracked: tracked.len(),
        changed,
        biggest_movers,
        alerts,
        alerts_by_type,
        unread_alerts,
    })
}
