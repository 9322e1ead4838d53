//! `amazcope report --user U [--hours H] [--json]`: the daily report.

use crate::common;
use amazcope_core::service::daily_report;
use clap::Args;

/// Arguments of `amazcope report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Whose report.
    #[arg(long, short)]
    pub user: String,
    /// Window length in hours.
    #[arg(long, default_value_t = 24)]
    pub hours: i64,
    /// End of the window (default now; 2025-03-01 or RFC 3339).
    #[arg(long)]
    pub at: Option<String>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// Prints the report.
pub async fn run(args: ReportArgs) -> anyhow::Result<()> {
    if args.hours <= 0 {
        anyhow::bail!("--hours must be positive, got {}", args.hours);
    }
    let store = common::store().await?;
    let user = common::user(&store, &args.user).await?;
    let now = args.at.as_deref().map(common::time).transpose()?.unwrap_or_else(chrono::Utc::now);
    let report = daily_report(&store, &user, now, args.hours).await?;
    if args.json {
        return common::print_json(&report);
    }
    outln!(
        "Report for {} from {} to {}: {} products tracked, {} changed, {} alerts ({} unread)",
        report.username,
        report.since.format("%Y-%m-%d %H:%M"),
        report.until.format("%Y-%m-%d %H:%M"),
        report.products_tracked,
        report.changed.len(),
        report.alerts.len(),
        report.unread_alerts
    );
    if !report.alerts_by_type.is_empty() {
        let counts: Vec<String> = report.alerts_by_type.iter().map(|(k, v)| format!("{k} {v}")).collect();
        outln!("Alerts: {}", counts.join(", "));
    }
    if !report.biggest_movers.is_empty() {
        outln!("Biggest movers:");
        for m in &report.biggest_movers {
            outln!(
                "  {:<10} price {} → {} ({})  BSR {} → {} ({})  {}",
                m.asin,
                common::opt(m.old_price),
                common::opt(m.new_price),
                common::opt(m.price_change_pct.map(|p| format!("{p:+.1} %"))),
                common::opt(m.old_bsr),
                common::opt(m.new_bsr),
                common::opt(m.bsr_change_pct.map(|p| format!("{p:+.1} %"))),
                common::clip(&m.title, 40)
            );
        }
    }
    for m in report.changed.iter().filter(|m| m.stock_changed() || m.is_unlisted) {
        let what = if m.is_unlisted {
            "unlisted"
        } else if m.in_stock == Some(true) {
            "back in stock"
        } else {
            "out of stock"
        };
        outln!("  {:<10} {what}  {}", m.asin, common::clip(&m.title, 40));
    }
    Ok(())
}
