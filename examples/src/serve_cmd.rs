//! `amazcope serve [--bind ADDR]` and `amazcope token create|list|revoke`.

use crate::common;
use amazcope_core::ApiTokenId;
use amazcope_examples::serve::{self, AppState};
use clap::{Args, Subcommand};

/// Arguments of `amazcope serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on (`127.0.0.1:8080`; port 0 picks a free one, printed at start).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub bind: String,
    /// Fetch pages for `POST /api/v1/products/{id}/refresh` from this base URL (the demo
    /// storefront) instead of Amazon.
    #[arg(long)]
    pub base_url: Option<String>,
    /// Serve `POST .../refresh` by fetching from Amazon itself (off by default).
    #[arg(long, conflicts_with = "base_url")]
    pub fetch: bool,
    /// Database connections (default: twice the machine's cores). More only queue more
    /// work on the same cores: on 2 cores, 4 connections answered 50 clients with a p99 of
    /// 71 ms, 20 with 124 ms at fewer requests per second (benches/serve_load.sh).
    #[arg(long)]
    pub pool: Option<u32>,
}

/// Runs the web service until SIGTERM or Ctrl-C.
pub async fn run(args: ServeArgs) -> anyhow::Result<()> {
    // RUST_LOG tunes the log; the default records each request's method, path, status and
    // latency (tower-http's trace layer never logs headers, so tokens stay out of it).
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,tower_http=info".into()),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
    let store = common::store_with(serve::pool_config(args.pool)).await?;
    let mut state = AppState::new(store);
    if args.fetch || args.base_url.is_some() {
        state = state.with_fetcher(crate::refresh::fetcher(args.base_url.as_deref())?);
    }
    let listener = tokio::net::TcpListener::bind(&args.bind)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", args.bind))?;
    let addr = listener.local_addr()?;
    outln!("amazcope serving on http://{addr}");
    serve::serve(listener, state, serve::shutdown_signal()).await?;
    eprintln!("amazcope serve stopped");
    Ok(())
}

/// API token commands.
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Make a token for a user and print it once (only its hash is stored).
    Create {
        /// Whose token.
        #[arg(long, short)]
        user: String,
        /// A name to tell it apart (`laptop`, `ci`).
        #[arg(long, short, default_value = "default")]
        name: String,
        /// Print JSON (with the token).
        #[arg(long)]
        json: bool,
    },
    /// A user's tokens (never the tokens themselves: their first characters).
    List {
        /// Whose tokens.
        #[arg(long, short)]
        user: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Revoke a token by id.
    Revoke {
        /// The token id `token list` shows.
        id: String,
        /// Whose token.
        #[arg(long, short)]
        user: String,
    },
}

/// Runs a token command.
pub async fn token(cmd: TokenCommand) -> anyhow::Result<()> {
    let store = common::store().await?;
    match cmd {
        TokenCommand::Create { user, name, json } => {
            let u = common::user(&store, &user).await?;
            let (token, secret) = store.create_api_token(u.id, &name).await?;
            if json {
                return common::print_json(&serde_json::json!({ "token": secret.expose(), "info": token }));
            }
            outln!("{}", secret.expose());
            eprintln!(
                "token {:?} ({}) for {user}: shown once, keep it now; send it as `Authorization: Bearer TOKEN`",
                token.name, token.id
            );
        }
        TokenCommand::List { user, json } => {
            let u = common::user(&store, &user).await?;
            let tokens = store.api_tokens(u.id).await?;
            if json {
                return common::print_json(&tokens);
            }
            if tokens.is_empty() {
                outln!("no tokens");
            }
            for t in &tokens {
                outln!(
                    "{} {:<14} {:<20} created {} last used {} {}",
                    t.id,
                    format!("{}…", t.prefix),
                    common::clip(&t.name, 20),
                    t.created_at.format("%Y-%m-%d %H:%M"),
                    common::opt(t.last_used_at.map(|x| x.format("%Y-%m-%d %H:%M"))),
                    t.revoked_at.map_or(String::new(), |r| format!("revoked {}", r.format("%Y-%m-%d %H:%M")))
                );
            }
        }
        TokenCommand::Revoke { id, user } => {
            let u = common::user(&store, &user).await?;
            let id: ApiTokenId = common::id("token", &id)?;
            let t = store.revoke_api_token(u.id, id).await?;
            outln!("token {} ({}) revoked", t.id, t.name);
        }
    }
    Ok(())
}
