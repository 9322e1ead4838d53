//! `amazcope report --user U [--hours H] [--json]`: the daily report.

use crate::common;
use amazcope_core::delivery::digest::report_text;
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
    // The same text as the daily digest e-mail (one rendering: `report_text`).
    outln!("Report for {}", report.username);
    outln!("{}", report_text(&report).trim_end());
    Ok(())
}
