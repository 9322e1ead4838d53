//! `amazcope stats ASIN [--marketplace M] [--user U] [--json]`: min / max / average price over 30, 90,
//! 180 and 365 days, lowest price, share of days out of stock; from the raw snapshots and,
//! before them, the daily rollups.

use crate::common;
use amazcope_core::service::TrackService;
use clap::Args;
use std::sync::Arc;

/// Arguments of `amazcope stats`.
#[derive(Debug, Args)]
pub struct StatsArgs {
    /// The ASIN, or the product's Amazon URL.
    pub asin: String,
    /// Marketplace (com, co.uk, de, ...) of a bare ASIN; default com.
    #[arg(long, short)]
    pub marketplace: Option<String>,
    /// Read as this user: only a product the user tracks is found.
    #[arg(long, short)]
    pub user: Option<String>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// Prints the window statistics of a product.
pub async fn run(args: StatsArgs) -> anyhow::Result<()> {
    let amazcope_core::ProductRef { asin, marketplace: mp } =
        common::product_ref(&args.asin, args.marketplace.as_deref())?;
    let store = Arc::new(common::store().await?);
    let product = TrackService::new(Arc::clone(&store)).product(&asin, mp).await?;
    // Raw snapshots and, before them, the daily rollups: windows longer than the raw
    // retention still see their true lowest, highest, mean and out-of-stock share.
    let stats = common::long_window_stats(&store, args.user.as_deref(), &product).await?;
    if args.json {
        return common::print_json(&serde_json::json!({
            "asin": asin, "marketplace": mp.code(), "title": product.title, "stats": stats,
        }));
    }
    outln!("{} on amazon.{}: {} ({})", asin, mp.code(), product.title, common::opt(stats.currency));
    outln!(
        "{:>5} {:>9} {:>10} {:>10} {:>10} {:>17} {:>11}",
        "DAYS",
        "SNAPSHOTS",
        "MIN",
        "MAX",
        "AVG",
        "LOWEST AT",
        "OUT STOCK"
    );
    for w in &stats.windows {
        outln!(
            "{:>5} {:>9} {:>10} {:>10} {:>10} {:>17} {:>11}",
            w.days,
            w.snapshot_count,
            common::opt(w.min_price),
            common::opt(w.max_price),
            common::opt(w.avg_price),
            common::opt(w.min_price_at.map(|t| t.format("%Y-%m-%d %H:%M"))),
            common::opt(w.out_of_stock_share.map(|s| format!("{:.0} %", s * 100.0)))
        );
    }
    Ok(())
}
