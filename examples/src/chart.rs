//! `amazcope chart ASIN --marketplace M [--user U] [--days N] [--daily] --out FILE.svg|FILE.png`:
//! a Keepa-style step chart of the product's long history (raw snapshots, daily rollups
//! before them), drawn by `amazcope-chart`.

use crate::common;
use amazcope_core::TimeRange;
use amazcope_core::service::TrackService;
use anyhow::Context;
use clap::Args;
use std::path::PathBuf;
use std::sync::Arc;

/// Arguments of `amazcope chart`.
#[derive(Debug, Args)]
pub struct ChartArgs {
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
    /// Daily points only, also where raw snapshots exist.
    #[arg(long)]
    pub daily: bool,
    /// Width in pixels.
    #[arg(long, default_value_t = 1200)]
    pub width: u32,
    /// Height in pixels.
    #[arg(long, default_value_t = 600)]
    pub height: u32,
    /// Where to write the chart: a `.svg` or `.png` file.
    #[arg(long)]
    pub out: PathBuf,
}

/// The image formats `--out` may name.
#[derive(Debug, Clone, Copy)]
enum Format {
    Svg,
    Png,
}

/// Draws the chart and writes it to `--out`.
pub async fn run(args: ChartArgs) -> anyhow::Result<()> {
    let format = match args.out.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
        Some("svg") => Format::Svg,
        Some("png") => Format::Png,
        _ => anyhow::bail!("--out {} must end in .svg or .png", args.out.display()),
    };
    let amazcope_core::ProductRef { asin, marketplace: mp } =
        common::product_ref(&args.asin, args.marketplace.as_deref())?;
    let store = Arc::new(common::store().await?);
    let product = TrackService::new(Arc::clone(&store)).product(&asin, mp).await?;
    let range = args.days.map(|d| TimeRange::last_days(chrono::Utc::now(), d)).unwrap_or_default();
    let history = common::long_history(&store, args.user.as_deref(), &product, range, args.daily).await?;
    let points = history.points();
    let title = format!("{asin} on amazon.{}: {}", mp.code(), product.title);
    let chart = amazcope_chart::Chart {
        width: args.width,
        height: args.height,
        ..amazcope_chart::Chart::new(&title, &points)
    };
    let bytes = match format {
        Format::Svg => amazcope_chart::svg(&chart).map(String::into_bytes),
        Format::Png => amazcope_chart::png(&chart),
    }
    .map_err(|e| match e {
        amazcope_chart::ChartError::Empty => {
            anyhow::anyhow!("{asin} on amazon.{} has no history to chart in that range", mp.code())
        }
        e => e.into(),
    })?;
    std::fs::write(&args.out, &bytes).with_context(|| format!("writing {}", args.out.display()))?;
    outln!("wrote {} ({} points, {} bytes)", args.out.display(), points.len(), bytes.len());
    Ok(())
}
