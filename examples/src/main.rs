//! `amazcope`: the command line a user drives the library with.
//!
//! Every command reads `DATABASE_URL`, or else uses the private cluster under
//! `AMAZCOPE_HOME` (see `amazcope db --help`).

mod db;
mod demo;
mod parse;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(name = "amazcope", version, about = "Track Amazon products: scrape, store history, alert, suggest")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Database: migrations, inspection, partitions, the embedded cluster.
    #[command(subcommand)]
    Db(db::DbCommand),
    /// Parse saved Amazon pages (no network) and print what they hold.
    Parse(parse::ParseArgs),
    /// Run the demo: a local storefront, two users, 50 products, 30 simulated days.
    Demo(demo::DemoArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Db(cmd) => db::run(cmd).await,
            Command::Parse(args) => parse::run(args),
            Command::Demo(args) => demo::run(args).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
