//! `amazcope user add NAME [--email E]`, `amazcope user list [--json]`.

use crate::common;
use amazcope_core::model::user::NewUser;
use amazcope_core::repo::UserRepository;
use clap::Subcommand;

/// User commands.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user.
    Add {
        /// User name (no spaces).
        name: String,
        /// E-mail (default NAME@localhost).
        #[arg(long)]
        email: Option<String>,
        /// Print the user as JSON.
        #[arg(long)]
        json: bool,
    },
    /// List active users.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Runs a user command.
pub async fn run(cmd: UserCommand) -> anyhow::Result<()> {
    let store = common::store().await?;
    match cmd {
        UserCommand::Add { name, email, json } => {
            let mut new = NewUser::named(&name)?;
            if let Some(e) = email {
                new.email = e;
                new.validate()?;
            }
            let user = store.create_user(&new).await?;
            if json {
                common::print_json(&user)?;
            } else {
                outln!("created user {} ({})", user.username, user.id);
            }
        }
        UserCommand::List { json } => {
            let users = store.list_users().await?;
            if json {
                common::print_json(&users)?;
            } else {
                for u in &users {
                    outln!("{:<20} {:<30} {}", u.username, u.email, u.id);
                }
            }
        }
    }
    Ok(())
}
