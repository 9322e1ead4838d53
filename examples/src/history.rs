//! `amazcope history ASIN --marketplace M [--user U] [--days N] [--daily] [--csv] [--json]`:
//! the raw snapshots still stored and, before them, one point per day from the daily rollups;
//! every row says which (`resolution`: `raw` / `daily`).

use crate::common;
use amazcope_core::TimeRange;
use amazcope_core::model::history::{HistoryPoint, LongHistory, Resolution};
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
    /// Daily points only (one per UTC day, from the rollups), also where raw snapshots exist.
    #[arg(long)]
    pub daily: bool,
    /// Print CSV.
    #[arg(long, conflicts_with = "json")]
    pub csv: bool,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// Prints a product's history, oldest first.
pub async fn run(args: HistoryArgs) -> anyhow::Result<()> {
    let amazcope_core::ProductRef { asin, marketplace: mp } =
        common::product_ref(&args.asin, args.marketplace.as_deref())?;
    let store = Arc::new(common::store().await?);
    let product = TrackService::new(Arc::clone(&store)).product(&asin, mp).await?;
    let range = args.days.map(|d| TimeRange::last_days(chrono::Utc::now(), d)).unwrap_or_default();
    let history = common::long_history(&store, args.user.as_deref(), &product, range, args.daily).await?;
    let points = history.points();
    if args.json {
        return common::print_json(&json_rows(&history, &points)?);
    }
    if args.csv {
        outln!(
            "scraped_at,price,currency,list_price,bsr,rating,review_count,in_stock,prime,amazons_choice,resolution"
        );
        let mut raw = history.raw.iter();
        for p in &points {
            // A raw row keeps the snapshot's own flags; a day has none.
            let flags = match p.resolution {
                Resolution::Raw => {
                    raw.next().map(|s| (s.data.is_prime.to_string(), s.data.has_amazons_choice.to_string()))
                }
                Resolution::Daily => None,
            };
            let (prime, choice) = flags.unwrap_or_default();
            outln!(
                "{},{},{},{},{},{},{},{},{},{},{}",
                p.at.to_rfc3339(),
                p.price.map(|p| p.to_string()).unwrap_or_default(),
                p.currency,
                p.list_price.map(|p| p.to_string()).unwrap_or_default(),
                p.bsr.map(|p| p.to_string()).unwrap_or_default(),
                p.rating.map(|p| p.to_string()).unwrap_or_default(),
                p.review_count.map(|p| p.to_string()).unwrap_or_default(),
                p.in_stock,
                prime,
                choice,
                p.resolution
            );
        }
        return Ok(());
    }
    outln!("{} on amazon.{}: {}", asin, mp.code(), product.title);
    print_table(&points)
}

/// The JSON rows: every row has the fields of a [`HistoryPoint`] (`at`, `resolution`,
/// `price`, `price_min`, ...); a raw row also has all of its snapshot's fields.
fn json_rows(history: &LongHistory, points: &[HistoryPoint]) -> anyhow::Result<Vec<serde_json::Value>> {
    let mut raw = history.raw.iter();
    points
        .iter()
        .map(|p| {
            let mut row = match p.resolution {
                Resolution::Raw => raw.next().map(serde_json::to_value).transpose()?,
                Resolution::Daily => None,
            }
            .unwrap_or_else(|| serde_json::json!({}));
            if let (Some(row), serde_json::Value::Object(point)) =
                (row.as_object_mut(), serde_json::to_value(p)?)
            {
                row.extend(point);
            }
            Ok(row)
        })
        .collect()
}

fn print_table(points: &[HistoryPoint]) -> anyhow::Result<()> {
    if points.is_empty() {
        outln!("no snapshots yet");
        return Ok(());
    }
    outln!(
        "{:<17} {:<5} {:>10} {:>10} {:>10} {:>9} {:>6} {:>8} {:<5}",
        "AT",
        "RES",
        "PRICE",
        "MIN",
        "MAX",
        "BSR",
        "RATING",
        "REVIEWS",
        "STOCK"
    );
    for p in points {
        outln!(
            "{:<17} {:<5} {:>10} {:>10} {:>10} {:>9} {:>6} {:>8} {:<5}",
            p.at.format("%Y-%m-%d %H:%M"),
            p.resolution,
            common::opt(p.price),
            common::opt(p.price_min),
            common::opt(p.price_max),
            common::opt(p.bsr),
            common::opt(p.rating),
            common::opt(p.review_count),
            if p.in_stock { "yes" } else { "no" }
        );
    }
    Ok(())
}
