//! `amazcope alerts --user U [--unread] [--json]`, `amazcope alerts read ID --user U`.

use crate::common;
use amazcope_core::AlertId;
use amazcope_core::model::alert::AlertQuery;
use amazcope_core::repo::AlertRepository;
use clap::{Args, Subcommand};

/// Arguments of `amazcope alerts`.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct AlertsArgs {
    /// Mark an alert read.
    #[command(subcommand)]
    pub action: Option<AlertsAction>,
    /// Whose and which.
    #[command(flatten)]
    pub list: common::InboxArgs,
}

/// Changes to alerts.
#[derive(Debug, Subcommand)]
pub enum AlertsAction {
    /// Mark one alert read.
    Read {
        /// The alert id.
        id: String,
        /// Whose alert.
        #[arg(long, short)]
        user: String,
    },
}

/// Lists or changes alerts.
pub async fn run(args: AlertsArgs) -> anyhow::Result<()> {
    let store = common::store().await?;
    if let Some(AlertsAction::Read { id, user }) = args.action {
        let user = common::user(&store, &user).await?;
        let id: AlertId = common::id("alert", &id)?;
        let alert = store.mark_alert_read(user.id, id).await?;
        outln!("alert {} marked read", alert.id);
        return Ok(());
    }
    let Some(name) = args.list.user else { anyhow::bail!("--user is required") };
    let user = common::user(&store, &name).await?;
    let query = AlertQuery {
        unread_only: args.list.unread,
        limit: Some(args.list.limit.max(1)),
        ..AlertQuery::default()
    };
    let alerts = store.alerts(user.id, &query).await?;
    if args.list.json {
        return common::print_json(&alerts);
    }
    if alerts.is_empty() {
        outln!("no alerts");
    }
    for v in &alerts {
        let a = &v.alert;
        outln!(
            "{} {} {:<8} {:<22} {:<10} {} → {}  {}{}",
            a.id,
            a.created_at.format("%Y-%m-%d %H:%M"),
            a.severity,
            a.alert_type,
            v.asin,
            common::opt(a.old_value.as_deref()),
            common::opt(a.new_value.as_deref()),
            common::clip(&v.product_title, 40),
            if a.is_read { "" } else { "  (unread)" }
        );
    }
    Ok(())
}
