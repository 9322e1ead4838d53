//! `amazcope suggest --user U` runs the suggestion generators over the user's tracked
//! products; `amazcope suggestions list|show|approve|reject|apply` reviews and applies what
//! they proposed. Everything goes through `SuggestService`, scoped to the user: another
//! user's suggestion reads as not found.

use crate::common;
use amazcope_core::model::suggestion::Suggestion;
use amazcope_core::suggest::SuggestService;
use amazcope_core::{SuggestionActionId, SuggestionId, SuggestionStatus};
use anyhow::Context;
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
    s.trim().parse().with_context(|| format!("bad suggestion id {s:?}"))
}

fn action_ids(s: Option<&str>) -> anyhow::Result<Vec<SuggestionActionId>> {
    let Some(s) = s else { return Ok(Vec::new()) };
    let ids = s
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| p.parse().with_context(|| format!("bad action id {p:?}")))
        .collect::<anyhow::Result<Vec<_>>>()?;
    if ids.is_empty() {
        anyhow::bail!("--actions names no action id");
    }
    Ok(ids)
}

fn print_one(s: &Suggestion) {
    println!("{}  [{} · {} · {}]", s.title, s.category, s.priority, s.status);
    println!("id {}", s.id);
    if let Some(c) = s.confidence_score {
        println!("confidence {:.0} %", c * 100.0);
    }
    if let Some(e) = s.expires_at {
        println!("expires {}", e.format("%Y-%m-%d %H:%M UTC"));
    }
    println!("{}", s.description);
    println!("why: {}", s.reasoning);
    if let Some(impact) = &s.estimated_impact {
        println!("impact: {impact}");
    }
    for a in &s.actions {
        println!(
            "  action {}  {} {}: {} -> {}  [{}]",
            a.id,
            a.action_type,
            a.target_field,
            common::clip(a.current_value.as_deref().unwrap_or("-"), 40),
            common::clip(&a.proposed_value, 60),
            a.status
        );
        if let Some(r) = &a.application_result {
            println!("      applied: {r}");
        }
        if let Some(e) = &a.error_message {
            println!("      failed: {e}");
        }
    }
}

fn print_list(list: &[Suggestion]) {
    if list.is_empty() {
        println!("no suggestions");
        return;
    }
    println!("{:<36} {:<8} {:<9} {:<18} {:>7}  TITLE", "ID", "PRIORITY", "CATEGORY", "STATUS", "ACTIONS");
    for s in list {
        println!(
            "{:<36} {:<8} {:<9} {:<18} {:>7}  {}",
            s.id,
            s.priority.as_str(),
            s.category.as_str(),
            s.status.as_str(),
            s.actions.len(),
            common::clip(&s.title, 60)
        );
    }
}

fn print(s: &Suggestion, json: bool) -> anyhow::Result<()> {
    if json {
        return common::print_json(s);
    }
    print_one(s);
    Ok(())
}

/// `amazcope suggest`.
pub async fn suggest(args: SuggestArgs) -> anyhow::Result<()> {
    let store = Arc::new(common::store().await?);
    let user = common::user(&store, &args.user).await?;
    let report = SuggestService::new(store).run(user.id, chrono::Utc::now()).await?;
    if args.json {
        return common::print_json(&report);
    }
    println!(
        "{} products: {} suggestions created, {} already pending, {} errors",
        report.products,
        report.created.len(),
        report.skipped,
        report.errors.len()
    );
    print_list(&report.created);
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
            print_list(&list);
            Ok(())
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
