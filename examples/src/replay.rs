//! `amazcope replay ASIN --user U [--marketplace M] [--json]`: the alerts a user's rules
//! would have raised over the stored history (nothing is written).

use crate::common;
use amazcope_core::TimeRange;
use amazcope_core::repo::TrackingRepository;
use amazcope_core::rules::{RuleConfig, replay};
use amazcope_core::service::TrackService;
use clap::Args;
use std::sync::Arc;

/// Arguments of `amazcope replay`.
#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// The ASIN, or the product's Amazon URL.
    pub asin: String,
    /// Whose rules.
    #[arg(long, short)]
    pub user: String,
    /// Marketplace (com, co.uk, de, ...) of a bare ASIN; default com.
    #[arg(long, short)]
    pub marketplace: Option<String>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// Replays the user's rules over the product's history.
pub async fn run(args: ReplayArgs) -> anyhow::Result<()> {
    let amazcope_core::ProductRef { asin, marketplace: mp } =
        common::product_ref(&args.asin, args.marketplace.as_deref())?;
    let store = Arc::new(common::store().await?);
    let user = common::user(&store, &args.user).await?;
    let product = TrackService::new(Arc::clone(&store)).product(&asin, mp).await?;
    let tracker =
        store.trackers(product.id).await?.into_iter().find(|t| t.user_id == user.id).ok_or_else(|| {
            anyhow::anyhow!("{} does not track {asin} on amazon.{}", user.username, mp.code())
        })?;
    let history = store.product_history(product.id, TimeRange::default()).await?;
    let alerts = replay(&history, &tracker, &RuleConfig::default());
    if args.json {
        return common::print_json(&alerts);
    }
    outln!(
        "{} snapshots of {asin}; {}'s thresholds: price {} %, BSR {} %{}",
        history.len(),
        user.username,
        tracker.price_change_threshold,
        tracker.bsr_change_threshold,
        tracker.target_price.map(|t| format!(", target {t}")).unwrap_or_default()
    );
    for a in &alerts {
        outln!(
            "{} {:<8} {:<22} {} → {}  {}",
            a.created_at.format("%Y-%m-%d %H:%M"),
            a.severity,
            a.alert_type,
            common::opt(a.old_value.as_deref()),
            common::opt(a.new_value.as_deref()),
            a.message
        );
    }
    outln!("{} alerts would have been raised", alerts.len());
    Ok(())
}
