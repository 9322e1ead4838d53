//! `amazcope notifications --user U [--unread] [--json]`, `notifications read [ID|--all]
//! --user U`, `notifications purge --older-than DAYS --user U`: the in-app inbox.

use crate::common;
use amazcope_core::NotificationId;
use amazcope_core::repo::NotificationRepository;
use clap::{Args, Subcommand};

/// Arguments of `amazcope notifications`.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct NotificationsArgs {
    /// Mark read, or purge.
    #[command(subcommand)]
    pub action: Option<NotificationsAction>,
    /// Whose and which.
    #[command(flatten)]
    pub list: common::InboxArgs,
}

/// Changes to notifications.
#[derive(Debug, Subcommand)]
pub enum NotificationsAction {
    /// Mark one notification read, or all of them with `--all`.
    Read {
        /// The notification id.
        #[arg(required_unless_present = "all", conflicts_with = "all")]
        id: Option<String>,
        /// Mark every unread notification read.
        #[arg(long)]
        all: bool,
        /// Whose notifications.
        #[arg(long, short)]
        user: String,
    },
    /// Delete notifications older than some days, read or not.
    Purge {
        /// Delete those created more than this many days ago.
        #[arg(long, value_name = "DAYS")]
        older_than: u32,
        /// Whose notifications.
        #[arg(long, short)]
        user: String,
    },
}

/// Lists or changes notifications.
pub async fn run(args: NotificationsArgs) -> anyhow::Result<()> {
    let store = common::store().await?;
    match args.action {
        Some(NotificationsAction::Read { id: Some(id), user, .. }) => {
            let id: NotificationId = common::id("notification", &id)?;
            let user = common::user(&store, &user).await?;
            let n = store.mark_notification_read(user.id, id).await?;
            outln!("notification {} marked read", n.id);
        }
        Some(NotificationsAction::Read { id: None, user, .. }) => {
            let user = common::user(&store, &user).await?;
            let n = store.mark_all_notifications_read(user.id).await?;
            outln!("{n} notifications marked read");
        }
        Some(NotificationsAction::Purge { older_than, user }) => {
            let user = common::user(&store, &user).await?;
            let before = chrono::Utc::now() - chrono::Duration::days(i64::from(older_than));
            let n = store.purge_notifications(user.id, before).await?;
            outln!("{n} notifications older than {older_than} days deleted");
        }
        None => {
            let Some(name) = args.list.user else { anyhow::bail!("--user is required") };
            let user = common::user(&store, &name).await?;
            let list = store.notifications(user.id, args.list.unread, args.list.limit.max(1)).await?;
            if args.list.json {
                return common::print_json(&list);
            }
            if list.is_empty() {
                outln!("no notifications");
            }
            for n in &list {
                outln!(
                    "{} {} {:<6} {:<16} {}{}",
                    n.id,
                    n.created_at.format("%Y-%m-%d %H:%M"),
                    n.priority,
                    n.notification_type,
                    common::clip(&n.title, 60),
                    if n.is_read { "" } else { "  (unread)" }
                );
            }
        }
    }
    Ok(())
}
