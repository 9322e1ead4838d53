//! `amazcope channels …`, `amazcope deliver --once [--now T]`, `amazcope deliveries`: where a
//! user's alerts go, sending what is due, and the delivery log (issue 14). Mail goes through
//! `AMAZCOPE_SMTP_URL` / `AMAZCOPE_MAIL_FROM`; secrets are never printed.

use crate::common;
use amazcope_core::delivery::{Channel, ChannelKind, Message, NewChannel, WebhookFormat};
use amazcope_core::model::enums::{NotificationPriority, NotificationType};
use amazcope_deliver::{Deliverer, DeliveryConfig, Sender};
use amazcope_pg::PgStore;
use clap::{Args, Subcommand};
use std::time::Duration;

/// `amazcope channels`.
#[derive(Debug, Subcommand)]
pub enum ChannelsCommand {
    /// Add an e-mail address or a webhook URL to a user's channels.
    Add(AddArgs),
    /// A user's channels (targets masked).
    List {
        /// Whose channels.
        #[arg(long, short)]
        user: String,
        /// JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Remove a channel (its pending deliveries go with it).
    Remove {
        /// Whose channel.
        #[arg(long, short)]
        user: String,
        /// The channel id, as `channels list` shows it.
        id: String,
    },
    /// Send a test message through a channel now and print the outcome.
    Test {
        /// Whose channel.
        #[arg(long, short)]
        user: String,
        /// The channel id.
        id: String,
    },
}

/// Arguments of `channels add`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("target").required(true).args(["email", "webhook"])))]
pub struct AddArgs {
    /// Whose channel.
    #[arg(long, short)]
    pub user: String,
    /// Deliver by e-mail to this address.
    #[arg(long, value_name = "ADDRESS")]
    pub email: Option<String>,
    /// Deliver by HTTP POST to this URL.
    #[arg(long, value_name = "URL")]
    pub webhook: Option<String>,
    /// Webhook body: json (default), slack, discord, ntfy.
    #[arg(long, requires = "webhook")]
    pub format: Option<String>,
    /// Webhook signing key (X-Amazcope-Signature: sha256=HMAC of the body).
    #[arg(long, requires = "webhook")]
    pub secret: Option<String>,
    /// Only notifications of at least this priority: low, normal, high, urgent.
    #[arg(long, value_name = "P")]
    pub min_priority: Option<String>,
    /// Only these notification types (comma-separated: price_change,stock_change,…).
    #[arg(long, value_name = "T,...", value_delimiter = ',')]
    pub types: Vec<String>,
}

/// Arguments of `amazcope deliver`.
#[derive(Debug, Args)]
pub struct DeliverArgs {
    /// Deliver everything due, then exit (without it: deliver until Ctrl-C).
    #[arg(long)]
    pub once: bool,
    /// Deliver what is due at this time instead of now (simulated time).
    #[arg(long, value_name = "T", requires = "once")]
    pub now: Option<String>,
    /// Print the counts as JSON.
    #[arg(long)]
    pub json: bool,
    /// Lease owner name (default: host and process id).
    #[arg(long)]
    pub id: Option<String>,
}

/// Arguments of `amazcope deliveries`.
#[derive(Debug, Args)]
pub struct DeliveriesArgs {
    /// Whose deliveries.
    #[arg(long, short)]
    pub user: String,
    /// Only failed and dead ones.
    #[arg(long)]
    pub failed: bool,
    /// JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// At most this many, newest first.
    #[arg(long, default_value_t = 50)]
    pub limit: u32,
}

fn sender(config: &DeliveryConfig) -> anyhow::Result<Sender> {
    Ok(Sender::new(config)?)
}

/// A deliverer over `store` with the environment's SMTP settings.
pub fn deliverer(store: PgStore, worker_id: String) -> anyhow::Result<Deliverer> {
    let config = DeliveryConfig::from_env();
    let sender = sender(&config)?;
    Ok(Deliverer::new(store, sender, config, worker_id))
}

/// Delivers until the process ends, beside `amazcope worker`'s refreshes: the returned
/// task polls the outbox every 250 ms when idle. Abort it to stop.
pub fn spawn_beside_worker(store: &PgStore, worker_id: &str) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    let d = deliverer(store.clone(), format!("{worker_id}/deliver"))?;
    Ok(tokio::spawn(async move { d.run_until(Duration::from_millis(250), std::future::pending()).await }))
}

fn show(c: &Channel) -> String {
    let filters = {
        let mut f = Vec::new();
        if let Some(p) = c.min_priority {
            f.push(format!("priority>={p}"));
        }
        if let Some(t) = &c.types {
            f.push(t.iter().map(|t| t.as_str()).collect::<Vec<_>>().join(","));
        }
        if f.is_empty() { "all".to_owned() } else { f.join(" ") }
    };
    format!(
        "{} {:<7} {:<7} {:<44} {:<24} {}{}{}",
        c.id,
        c.kind,
        c.format.map_or("-", |f| f.as_str()),
        common::clip(&c.masked_target(), 44),
        filters,
        if c.secret.is_some() { "signed " } else { "" },
        if c.is_active { "" } else { "inactive " },
        match (&c.last_error, c.last_success_at) {
            (Some(e), _) => format!("last error: {}", common::clip(e, 60)),
            (None, Some(t)) => format!("last sent {}", t.format("%Y-%m-%d %H:%M")),
            (None, None) => String::new(),
        }
    )
}

/// `amazcope channels …`.
pub async fn channels(cmd: ChannelsCommand) -> anyhow::Result<()> {
    let store = common::store().await?;
    match cmd {
        ChannelsCommand::Add(a) => {
            let user = common::user(&store, &a.user).await?;
            let (kind, target) = match (a.email, a.webhook) {
                (Some(e), None) => (ChannelKind::Email, e),
                (None, Some(w)) => (ChannelKind::Webhook, w),
                _ => anyhow::bail!("give one of --email ADDRESS or --webhook URL"),
            };
            let types = a
                .types
                .iter()
                .filter(|t| !t.trim().is_empty())
                .map(|t| t.parse::<NotificationType>())
                .collect::<Result<Vec<_>, _>>()?;
            let channel = store
                .add_channel(NewChannel {
                    user_id: user.id,
                    kind,
                    target,
                    format: a.format.as_deref().map(str::parse::<WebhookFormat>).transpose()?,
                    min_priority: a
                        .min_priority
                        .as_deref()
                        .map(str::parse::<NotificationPriority>)
                        .transpose()?,
                    types: (!types.is_empty()).then_some(types),
                    secret: a.secret,
                })
                .await?;
            outln!(
                "channel {} added for {}: {} {}",
                channel.id,
                a.user,
                channel.kind,
                channel.masked_target()
            );
        }
        ChannelsCommand::List { user, json } => {
            let u = common::user(&store, &user).await?;
            let list = store.channels(u.id).await?;
            if json {
                return common::print_json(&list);
            }
            if list.is_empty() {
                outln!("no channels (add one with `amazcope channels add --user {user} --webhook URL`)");
            }
            for c in &list {
                outln!("{}", show(c));
            }
        }
        ChannelsCommand::Remove { user, id } => {
            let u = common::user(&store, &user).await?;
            let id: uuid::Uuid = common::id("channel", &id)?;
            store.remove_channel(u.id, id).await?;
            outln!("channel {id} removed");
        }
        ChannelsCommand::Test { user, id } => {
            let u = common::user(&store, &user).await?;
            let id: uuid::Uuid = common::id("channel", &id)?;
            let channel = store.channel(u.id, id).await?;
            let message = Message::channel_test(&user, uuid::Uuid::now_v7(), chrono::Utc::now());
            let config = DeliveryConfig::from_env();
            let report = sender(&config)?.send(&channel, &message, uuid::Uuid::now_v7()).await;
            if report.ok {
                let code = report.code.map(|c| format!(" (HTTP {c})")).unwrap_or_default();
                outln!("test message sent to {} {}{code}", channel.kind, channel.masked_target());
            } else {
                anyhow::bail!(
                    "test message to {} {} failed: {}",
                    channel.kind,
                    channel.masked_target(),
                    report.error.unwrap_or_default()
                );
            }
        }
    }
    Ok(())
}

/// `amazcope deliver`.
pub async fn deliver(args: DeliverArgs) -> anyhow::Result<()> {
    let store = common::store().await?;
    let id = args.id.unwrap_or_else(|| crate::refresh::worker_id("deliver"));
    let d = deliverer(store, id)?;
    if !args.once {
        eprintln!("delivering (Ctrl-C to stop)");
        d.run_until(Duration::from_millis(250), async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await;
        return Ok(());
    }
    let now = match &args.now {
        Some(t) => common::time(t)?,
        None => chrono::Utc::now(),
    };
    let s = d.run_once(now).await?;
    if args.json {
        return common::print_json(&s);
    }
    outln!("sent {}, failed {}, dead {}", s.sent, s.failed, s.dead);
    Ok(())
}

/// `amazcope deliveries`.
pub async fn deliveries(args: DeliveriesArgs) -> anyhow::Result<()> {
    let store = common::store().await?;
    let u = common::user(&store, &args.user).await?;
    let list = store.deliveries(u.id, args.failed, args.limit).await?;
    if args.json {
        return common::print_json(&list);
    }
    if list.is_empty() {
        outln!("no deliveries");
    }
    for d in &list {
        let when = match (d.sent_at, d.status) {
            (Some(t), _) => format!("sent {}", t.format("%Y-%m-%d %H:%M:%S")),
            (None, amazcope_core::delivery::DeliveryStatus::Dead) => "gave up".to_owned(),
            (None, _) => format!("next {}", d.next_attempt_at.format("%Y-%m-%d %H:%M:%S")),
        };
        outln!(
            "{} {:<7} {:<7} {:<36} attempts {} {}{}{}  {}",
            d.id,
            d.status,
            d.channel_kind,
            common::clip(&d.target, 36),
            d.attempts,
            when,
            d.response_code.map(|c| format!(" HTTP {c}")).unwrap_or_default(),
            d.last_error.as_deref().map(|e| format!(" ({})", common::clip(e, 80))).unwrap_or_default(),
            common::clip(&d.title, 50),
        );
    }
    Ok(())
}
