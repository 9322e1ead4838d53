//! `amazcope history ASIN --marketplace M [--user U] [--days N] [--csv] [--json]`.

use crate::common;
use amazcope_core::TimeRange;
use amazcope_core::model::snapshot::ProductSnapshot;
use amazcope_core::service::TrackService;
use clap::Args;
use std::sync::Arc;

/// Arguments of `amazcope history`.
#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// The ASIN, or the product's Amazon URL.
    pub asin: String,
    /// Marketplace (com, co.uk, de, ...) of a bare ASIN; default com.
    #[arg(long, short)]
    pub marketplace: Option<String>,
    /// Read as this user: only a product the user tracks is found.
    #[arg(long, short)]
    pub user: Option<String>,
    /// Only the last N days (all history when not given).
    #[arg(long)]
    pub days: Option<u32>,
    /// Print CSV.
    #[arg(long, conflicts_with = "json")]
    pub csv: bool,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// Prints a product's snapshots, oldest first.
pub async fn run(args: HistoryArgs) -> anyhow::Result<()> {
    let amazcope_core::ProductRef { asin, marketplace: mp } =
        common::product_ref(&args.asin, args.marketplace.as_deref())?;
    let store = Arc::new(common::store().await?);
    let product = TrackService::new(Arc::clone(&store)).product(&asin, mp).await?;
    let range = args.days.map(|d| TimeRange::last_days(chrono::Utc::now(), d)).unwrap_or_default();
    let history = common::history(&store, args.user.as_deref(), &product, range).await?;
    if args.json {
        return common::print_json(&history);
    }
    if args.csv {
        outln!("scraped_at,price,currency,list_price,bsr,rating,review_count,in_stock,prime,amazons_choice");
        for s in &history {
            let d = &s.data;
            outln!(
                "{},{},{},{},{},{},{},{},{},{}",
                d.scraped_at.to_rfc3339(),
                d.price.map(|p| p.to_string()).unwrap_or_default(),
                d.currency,
                d.original_price.map(|p| p.to_string()).unwrap_or_default(),
                d.bsr_main_category.map(|p| p.to_string()).unwrap_or_default(),
                d.rating.map(|p| p.to_string()).unwrap_or_default(),
                d.review_count.map(|p| p.to_string()).unwrap_or_default(),
                d.in_stock,
                d.is_prime,
                d.has_amazons_choice
            );
        }
        return Ok(());
    }
    outln!("{} on amazon.{}: {}", asin, mp.code(), product.title);
    print_table(&history)
}

fn print_table(history: &[ProductSnapshot]) -> anyhow::Result<()> {
    if history.is_empty() {
        outln!("no snapshots yet");
        return Ok(());
    }
    outln!("{:<17} {:>10} {:>9} {:>6} {:>8} {:<5}", "SCRAPED", "PRICE", "BSR", "RATING", "REVIEWS", "STOCK");
    for s in history {
        let d = &s.data;
        outln!(
            "{:<17} {:>10} {:>9} {:>6} {:>8} {:<5}",
            d.scraped_at.format("%Y-%m-%d %H:%M"),
            common::opt(d.price),
            common::opt(d.bsr_main_category),
            common::opt(d.rating),
            common::opt(d.review_count),
            if d.in_stock { "yes" } else { "no" }
        );
    }
    Ok(())
}
