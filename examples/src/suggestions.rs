//! `amazcope suggest --user U` runs the suggestion generators over the user's tracked
//! products; `amazcope suggestions list|show|approve|reject|apply` reviews and applies what
//! they proposed; `suggestions stats` counts them. Everything goes through `SuggestService`, scoped to the user: another
//! user's suggestion reads as not found.

use crate::common;
use amazcope_core::model::suggestion::Suggestion;
use amazcope_core::suggest::SuggestService;
use amazcope_core::{SuggestionActionId, SuggestionId, SuggestionRepository, SuggestionStatus};
use clap::{Args, Subcommand};
use std::sync::Arc;

/// Arguments of `amazcope suggest`.
#[derive(Debug, Args)]
pub struct SuggestArgs {
    /// The user to make suggestions for.
    #[arg(long, short)]
    pub user: String,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `amazcope suggestions ...`.
#[derive(Debug, Subcommand)]
pub enum SuggestionsCommand {
    /// The user's open suggestions, by priority then newest (expired ones left out).
    List {
        /// The user.
        #[arg(long, short)]
        user: String,
        /// Only this status (pending, approved, rejected, partially_approved).
        #[arg(long)]
        status: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// How many suggestions the user has, by status, category and priority.
    Stats {
        /// The user.
        #[arg(long, short)]
        user: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// One suggestion with its actions.
    Show {
        /// The suggestion id.
        id: String,
        /// The user.
        #[arg(long, short)]
        user: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Approve every action, or only `--actions` (the others are rejected).
    Approve {
        /// The suggestion id.
        id: String,
        /// Comma-separated action ids to approve (a partial approval).
        #[arg(long)]
        actions: Option<String>,
        /// The user.
        #[arg(long, short)]
        user: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Reject the suggestion and every action.
    Reject {
        /// The suggestion id.
        id: String,
        /// The user.
        #[arg(long, short)]
        user: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Apply the approved actions (or only `--actions`), all in one transaction.
    Apply {
        /// The suggestion id.
        id: String,
        /// Comma-separated action ids to apply.
        #[arg(long)]
        actions: Option<String>,
        /// The user.
        #[arg(long, short)]
        user: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

fn suggestion_id(s: &str) -> anyhow::Result<SuggestionId> {
    common::id("suggestion", s)
}

fn action_ids(s: Option<&str>) -> anyhow::Result<Vec<SuggestionActionId>> {
    let Some(s) = s else { return Ok(Vec::new()) };
    let ids = s
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| common::id("action", p))
        .collect::<anyhow::Result<Vec<_>>>()?;
    if ids.is_empty() {
        anyhow::bail!("--actions names no action id");
    }
    Ok(ids)
}

fn print_one(s: &Suggestion) -> anyhow::Result<()> {
    outln!("{}  [{} · {} · {}]", s.title, s.category, s.priority, s.status);
    outln!("id {}", s.id);
    if let Some(c) = s.confidence_score {
        outln!("confidence {:.0} %", c * 100.0);
    }
    if let Some(e) = s.expires_at {
        outln!("expires {}", e.format("%Y-%m-%d %H:%M UTC"));
    }
    outln!("{}", s.description);
    outln!("why: {}", s.reasoning);
    if let Some(impact) = &s.estimated_impact {
        outln!("impact: {impact}");
    }
    for a in &s.actions {
        outln!(
            "  action {}  {} {}: {} -> {}  [{}]",
            a.id,
            a.action_type,
            a.target_field,
            common::clip(a.current_value.as_deref().unwrap_or("-"), 40),
            common::clip(&a.proposed_value, 60),
            a.status
        );
        if let Some(r) = &a.application_result {
            outln!("      applied: {r}");
        }
        if let Some(e) = &a.error_message {
            outln!("      failed: {e}");
        }
    }
    Ok(())
}

fn print_list(list: &[Suggestion]) -> anyhow::Result<()> {
    if list.is_empty() {
        outln!("no suggestions");
        return Ok(());
    }
    outln!("{:<36} {:<8} {:<9} {:<18} {:>7}  TITLE", "ID", "PRIORITY", "CATEGORY", "STATUS", "ACTIONS");
    for s in list {
        outln!(
            "{:<36} {:<8} {:<9} {:<18} {:>7}  {}",
            s.id,
            s.priority.as_str(),
            s.category.as_str(),
            s.status.as_str(),
            s.actions.len(),
            common::clip(&s.title, 60)
        );
    }
    Ok(())
}

/// One line of counts: `by status: pending 3, rejected 1`.
fn print_counts<'a>(what: &str, counts: impl Iterator<Item = (&'a str, u64)>) -> anyhow::Result<()> {
    let parts: Vec<String> = counts.map(|(k, n)| format!("{k} {n}")).collect();
    outln!("by {what:<9} {}", if parts.is_empty() { "-".to_owned() } else { parts.join(", ") });
    Ok(())
}

fn print(s: &Suggestion, json: bool) -> anyhow::Result<()> {
    if json {
        return common::print_json(s);
    }
    print_one(s)
}

/// `amazcope suggest`.
pub async fn suggest(args: SuggestArgs) -> anyhow::Result<()> {
    let store = Arc::new(common::store().await?);
    let user = common::user(&store, &args.user).await?;
    let report = SuggestService::new(store).run(user.id, chrono::Utc::now()).await?;
    if args.json {
        return common::print_json(&report);
    }
    outln!(
        "{} products: {} suggestions created, {} already pending, {} errors",
        report.products,
        report.created.len(),
        report.skipped,
        report.errors.len()
    );
    print_list(&report.created)?;
    for e in &report.errors {
        eprintln!(
            "error: {}{}: {}",
            common::opt(e.asin.as_ref()),
            e.generator.as_deref().map(|g| format!(" ({g})")).unwrap_or_default(),
            e.message
        );
    }
    Ok(())
}

/// `amazcope suggestions ...`.
pub async fn run(cmd: SuggestionsCommand) -> anyhow::Result<()> {
    let store = Arc::new(common::store().await?);
    let service = SuggestService::new(Arc::clone(&store));
    match cmd {
        SuggestionsCommand::List { user, status, json } => {
            let status: Option<SuggestionStatus> = status.as_deref().map(str::parse).transpose()?;
            let user = common::user(&store, &user).await?;
            let list = service.list(user.id, status).await?;
            if json {
                return common::print_json(&list);
            }
            print_list(&list)
        }
        SuggestionsCommand::Stats { user, json } => {
            let user = common::user(&store, &user).await?;
            let stats = store.suggestion_stats(user.id).await?;
            if json {
                return common::print_json(&stats);
            }
            outln!("{} suggestions", stats.total);
            let by_status = stats.by_status.iter().map(|(k, n)| (k.as_str(), *n));
            let by_category = stats.by_category.iter().map(|(k, n)| (k.as_str(), *n));
            let by_priority = stats.by_priority.iter().map(|(k, n)| (k.as_str(), *n));
            print_counts("status", by_status)?;
            print_counts("category", by_category)?;
            print_counts("priority", by_priority)
        }
        SuggestionsCommand::Show { id, user, json } => {
            let id = suggestion_id(&id)?;
            let user = common::user(&store, &user).await?;
            print(&service.show(user.id, id).await?, json)
        }
        SuggestionsCommand::Approve { id, actions, user, json } => {
            let (id, actions) = (suggestion_id(&id)?, action_ids(actions.as_deref())?);
            let user = common::user(&store, &user).await?;
            print(&service.approve(user.id, id, &actions).await?, json)
        }
        SuggestionsCommand::Reject { id, user, json } => {
            let id = suggestion_id(&id)?;
            let user = common::user(&store, &user).await?;
            print(&service.reject(user.id, id).await?, json)
        }
        SuggestionsCommand::Apply { id, actions, user, json } => {
            let (id, actions) = (suggestion_id(&id)?, action_ids(actions.as_deref())?);
            let user = common::user(&store, &user).await?;
            print(&service.apply(user.id, id, &actions).await?, json)
        }
    }
}
