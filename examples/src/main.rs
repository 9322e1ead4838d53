//! `amazcope`: the command line a user drives the library with.
//!
//! Every command reads `DATABASE_URL`, or else uses the private cluster under
//! `AMAZCOPE_HOME` (see `amazcope db --help`).

/// mimalloc rather than glibc's malloc: the web service allocates per response (rows, JSON,
/// gzip state), and glibc's allocator took ~7% of its CPU under load (benches/serve_load.sh).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[macro_use]
mod common;

mod alerts;
mod analytics;
mod archive;
mod categories;
mod chart;
mod db;
mod db_stats;
mod deliver;
mod demo;
mod export;
mod history;
mod import;
mod import_keepa;
mod notifications;
mod parse;
mod refresh;
mod replay;
mod report;
mod search;
mod serve_cmd;
mod settings;
mod stats;
mod suggestions;
mod track;
mod user;
mod worker;

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
    /// Users: add, list.
    #[command(subcommand)]
    User(user::UserCommand),
    /// Tracked products: add, list, remove.
    #[command(subcommand)]
    Track(track::TrackCommand),
    /// Fetch and store the due products now.
    Refresh(refresh::RefreshArgs),
    /// Work the refresh queue until stopped (any number of workers may share it).
    Worker(worker::WorkerArgs),
    /// Store saved pages as if fetched at a given time.
    Import(import::ImportArgs),
    /// Import Keepa product histories (API JSON) as snapshots marked `keepa`.
    ImportKeepa(import_keepa::ImportKeepaArgs),
    /// Write a product's or a user's history (raw or daily) to CSV or Parquet.
    Export(export::ExportArgs),
    /// A user's alerts; `alerts read ID` marks one read.
    Alerts(alerts::AlertsArgs),
    /// A user's notifications; `read ID|--all` marks read, `purge --older-than DAYS` deletes.
    Notifications(notifications::NotificationsArgs),
    /// A user's settings: thresholds, e-mail switches; `--set KEY=VALUE`, `--reset`.
    Settings(settings::SettingsArgs),
    /// A product's history: raw snapshots, and daily points before them (`--daily`: days only).
    History(history::HistoryArgs),
    /// A product's price statistics over 30, 90, 180 and 365 days.
    Stats(stats::StatsArgs),
    /// A Keepa-style chart of a product's history (price, list price, rank, stock) as SVG or PNG.
    Chart(chart::ChartArgs),
    /// The alerts a user's rules would have raised over a product's history.
    Replay(replay::ReplayArgs),
    /// The daily report: what changed, alerts, biggest movers.
    Report(report::ReportArgs),
    /// A product's latest price, BSR, rating and reviews with their 7- and 30-day change.
    Summary(analytics::SummaryArgs),
    /// The trend of snapshot fields over N days, raw or by day or week.
    Trends(analytics::TrendsArgs),
    /// Up to 10 tracked products side by side on one metric, with the category average.
    Compare(analytics::CompareArgs),
    /// Search products by words, ASIN or title (full text, typo tolerant).
    Search(search::SearchArgs),
    /// Run the suggestion generators over a user's tracked products.
    Suggest(suggestions::SuggestArgs),
    /// Categories: the tree of a marketplace, and their metrics from best-seller lists.
    #[command(subcommand)]
    Categories(categories::CategoriesCommand),
    /// A user's suggestions: list, stats, show, approve, reject, apply.
    #[command(subcommand)]
    Suggestions(suggestions::SuggestionsCommand),
    /// Where a user's alerts are delivered: add, list, remove, test (e-mail, webhooks).
    #[command(subcommand)]
    Channels(deliver::ChannelsCommand),
    /// Send the deliveries that are due (`--once [--now T]`: once, then exit).
    Deliver(deliver::DeliverArgs),
    /// A user's delivery log; `--failed` for failed and dead ones.
    Deliveries(deliver::DeliveriesArgs),
    /// The web service: JSON API, OpenAPI document and dashboard (`--bind ADDR`).
    Serve(serve_cmd::ServeArgs),
    /// API tokens of the web service: create (printed once), list, revoke.
    #[command(subcommand)]
    Token(serve_cmd::TokenCommand),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    common::init_log();
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
            Command::User(cmd) => user::run(cmd).await,
            Command::Track(cmd) => track::run(cmd).await,
            Command::Refresh(args) => refresh::run(args).await,
            Command::Worker(args) => worker::run(args).await,
            Command::Import(args) => import::run(args).await,
            Command::ImportKeepa(args) => import_keepa::run(args).await,
            Command::Export(args) => export::run(args).await,
            Command::Alerts(args) => alerts::run(args).await,
            Command::Notifications(args) => notifications::run(args).await,
            Command::Settings(args) => settings::run(args).await,
            Command::History(args) => history::run(args).await,
            Command::Stats(args) => stats::run(args).await,
            Command::Chart(args) => chart::run(args).await,
            Command::Replay(args) => replay::run(args).await,
            Command::Report(args) => report::run(args).await,
            Command::Summary(args) => analytics::summary(args).await,
            Command::Trends(args) => analytics::trends(args).await,
            Command::Compare(args) => analytics::compare(args).await,
            Command::Search(args) => search::run(args).await,
            Command::Categories(cmd) => categories::run(cmd).await,
            Command::Suggest(args) => suggestions::suggest(args).await,
            Command::Suggestions(cmd) => suggestions::run(cmd).await,
            Command::Channels(cmd) => deliver::channels(cmd).await,
            Command::Deliver(args) => deliver::deliver(args).await,
            Command::Deliveries(args) => deliver::deliveries(args).await,
            Command::Serve(args) => serve_cmd::run(args).await,
            Command::Token(cmd) => serve_cmd::token(cmd).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        // The reader of our output has gone (`amazcope … | head`): it had what it wanted.
        Err(e) if common::is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            // No secret in what is printed: the DATABASE_URL's password (a driver may echo
            // its input) and any URL credentials in the message are masked.
            let redactor = amazcope_core::secret::Redactor::new()
                .with_url(&std::env::var("DATABASE_URL").unwrap_or_default());
            eprintln!("error: {}", redactor.scrub(&common::message(&e)));
            ExitCode::FAILURE
        }
    }
}
