//! What every tracking command shares: the database, users by name, argument parsing and
//! output.

/// `println!` that returns from the calling function (with `?`) when stdout is closed,
/// instead of panicking; see [`write_line`].
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::common::write_line(format_args!($($arg)*))?
    };
}

use amazcope_core::model::user::User;
use amazcope_core::repo::UserRepository;
use amazcope_core::{Marketplace, ProductRef, ServiceError, StoreError};
use amazcope_pg::PgStore;
use amazcope_pg::cluster::{self, ClusterSettings};
use anyhow::Context;
use chrono::{DateTime, NaiveDate, Utc};
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use std::io::IsTerminal;

/// The private cluster's settings, from the environment (`AMAZCOPE_HOME`,
/// `AMAZCOPE_PG_BINDIR`, `AMAZCOPE_PG_USER`, `PATH`).
pub fn cluster_settings() -> ClusterSettings {
    ClusterSettings::from_lookup(|k| std::env::var_os(k))
}

/// `DATABASE_URL`, else the private cluster's database (created and migrated on first use).
pub async fn database_url() -> anyhow::Result<String> {
    let url = std::env::var("DATABASE_URL").ok();
    cluster::database_url_or_local(url.as_deref(), &cluster_settings()).await.context("no database to use")
}

/// Opens `url` with the default pool.
pub async fn connect(url: &str) -> anyhow::Result<PgStore> {
    Ok(PgStore::connect_url(url).await?)
}

/// The database every command uses, checked to have this build's schema (a database without
/// it is answered with one line naming `amazcope db upgrade`).
pub async fn store() -> anyhow::Result<PgStore> {
    store_with(amazcope_pg::PoolConfig::default()).await
}

/// [`store`] with the pool `config` (the web service sizes it to the machine's cores).
pub async fn store_with(config: amazcope_pg::PoolConfig) -> anyhow::Result<PgStore> {
    // ConnectError already says "cannot connect to postgresql at HOST:PORT database DB"
    // (never the password); a second "cannot open the database" would repeat it.
    let mut store = PgStore::connect_url_with(&database_url().await?, config).await?;
    store.check_schema().await?;
    // Analytics reads (history, stats, trends, reports, exports, search) from a replica
    // while it keeps up; AMAZCOPE_READ_MAX_LAG (seconds, default 30) bounds its lag.
    if let Some(url) = std::env::var("AMAZCOPE_READ_URL").ok().filter(|u| !u.trim().is_empty()) {
        let mut config = amazcope_pg::replica::ReplicaConfig::default();
        if let Ok(s) = std::env::var("AMAZCOPE_READ_MAX_LAG") {
            let secs: f64 =
                s.trim().parse().ok().filter(|v: &f64| v.is_finite() && *v >= 0.0).ok_or_else(|| {
                    anyhow::anyhow!("bad AMAZCOPE_READ_MAX_LAG {s:?}: expected seconds, e.g. 30")
                })?;
            config.max_lag = std::time::Duration::from_secs_f64(secs);
        }
        store = store.with_read_url(&url, config).context("AMAZCOPE_READ_URL")?;
    }
    Ok(store)
}

/// Warnings of the library (a read replica that lags and is left) on stderr as
/// `warning: ...`, and its other notes with `AMAZCOPE_LOG=info`. Only amazcope's own
/// targets: sqlx's statement logs are not for users.
pub fn init_log() {
    struct Stderr;
    impl log::Log for Stderr {
        fn enabled(&self, m: &log::Metadata<'_>) -> bool {
            m.level() <= log::max_level() && m.target().starts_with("amazcope")
        }
        fn log(&self, r: &log::Record<'_>) {
            if self.enabled(r.metadata()) {
                eprintln!("{}: {}", r.level().as_str().to_ascii_lowercase(), r.args());
            }
        }
        fn flush(&self) {}
    }
    static LOGGER: Stderr = Stderr;
    let level = match std::env::var("AMAZCOPE_LOG").as_deref() {
        Ok("info") => log::LevelFilter::Info,
        Ok("debug") => log::LevelFilter::Debug,
        _ => log::LevelFilter::Warn,
    };
    if log::set_logger(&LOGGER).is_ok() {
        log::set_max_level(level);
    }
}

/// The active user called `name`.
pub async fn user(store: &PgStore, name: &str) -> anyhow::Result<User> {
    match store.user_by_name(name).await? {
        Some(u) if u.is_active => Ok(u),
        _ => Err(unknown_user(name)),
    }
}

/// The error for a user name that names no active user.
pub fn unknown_user(name: &str) -> anyhow::Error {
    anyhow::anyhow!("unknown user {name:?} (add it with `amazcope user add {name}`)")
}

/// [`store`] with a pool of at most `max_connections` (a worker process running many tasks
/// sizes it to them; several such processes must stay under the server's limit).
pub async fn store_with_pool(max_connections: u32) -> anyhow::Result<PgStore> {
    let config = amazcope_pg::PoolConfig { max_connections: max_connections.max(1), ..Default::default() };
    let store = PgStore::connect_url_with(&database_url().await?, config).await?;
    store.check_schema().await?;
    Ok(store)
}

/// The store's answer for a product `user` must track, with a missing tracking row said in
/// the user's words.
fn tracked<T>(
    r: amazcope_core::StoreResult<T>,
    name: &str,
    product: &amazcope_core::model::product::Product,
) -> anyhow::Result<T> {
    r.map_err(|e| match e {
        amazcope_core::StoreError::NotFound { .. } => {
            anyhow::anyhow!("{name} does not track {} on amazon.{}", product.asin, product.marketplace.code())
        }
        e => e.into(),
    })
}

/// A product's long history (raw snapshots, daily rollups before them), read as `user`
/// when given (only a product the user tracks), else as the operator.
pub async fn long_history(
    store: &PgStore,
    user: Option<&str>,
    product: &amazcope_core::model::product::Product,
    range: amazcope_core::TimeRange,
    daily_only: bool,
) -> anyhow::Result<amazcope_core::model::history::LongHistory> {
    match user {
        Some(name) => {
            let u = self::user(store, name).await?;
            tracked(store.long_history(Some(u.id), product.id, range, daily_only).await, name, product)
        }
        None => Ok(store.long_history(None, product.id, range, daily_only).await?),
    }
}

/// A product's window statistics over its long history, read as `user` or the operator.
pub async fn long_window_stats(
    store: &PgStore,
    user: Option<&str>,
    product: &amazcope_core::model::product::Product,
) -> anyhow::Result<amazcope_core::analytics::WindowStats> {
    match user {
        Some(name) => {
            let u = self::user(store, name).await?;
            tracked(store.long_window_stats(Some(u.id), product.id).await, name, product)
        }
        None => Ok(store.long_window_stats(None, product.id).await?),
    }
}

/// The marketplace of a bare ASIN when the user names none.
pub const DEFAULT_MARKETPLACE: Marketplace = Marketplace::Com;

/// A product argument: an ASIN or an Amazon product URL (`https://www.amazon.de/…/dp/X`),
/// with the `--marketplace` the user gave, if any. A URL's host names the marketplace; a
/// bare ASIN takes `--marketplace`, else amazon.com.
pub fn product_ref(text: &str, marketplace: Option<&str>) -> anyhow::Result<ProductRef> {
    let flag = marketplace.map(self::marketplace).transpose()?;
    Ok(ProductRef::parse(text, flag, DEFAULT_MARKETPLACE)?)
}

/// A marketplace argument (`com`, `co.uk`, `amazon.de`...). The error names the value and
/// the accepted ones, once.
pub fn marketplace(s: &str) -> anyhow::Result<Marketplace> {
    Ok(s.parse::<Marketplace>()?)
}

/// An id argument (a UUID) of `what` (`alert`, `notification`, `suggestion`).
pub fn id<T: std::str::FromStr>(what: &str, s: &str) -> anyhow::Result<T> {
    s.trim().parse().map_err(|_| anyhow::anyhow!("bad {what} id {s:?}: expected a UUID as the list shows it"))
}

/// A time argument: RFC 3339 (`2025-03-01T08:00:00Z`) or a date (midnight UTC).
pub fn time(s: &str) -> anyhow::Result<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s.trim()) {
        return Ok(t.with_timezone(&Utc));
    }
    let Ok(d) = NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d") else {
        anyhow::bail!("bad time {s:?}: expected 2025-03-01 or 2025-03-01T08:00:00Z");
    };
    Ok(d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc())
}

/// Writes one line to stdout for [`outln!`]. Unlike `println!`, which panics when the reader
/// has gone (`amazcope … | head -3`), this returns the `BrokenPipe` error, and `main` ends
/// such a run quietly with success, as Unix tools do.
pub fn write_line(args: std::fmt::Arguments<'_>) -> std::io::Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    out.write_fmt(args)?;
    out.write_all(b"\n")
}

/// Whether `e` comes from writing to a closed stdout.
pub fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// `e` as one line: its contexts and sources joined by `: `, leaving out a source whose text
/// is already said (thiserror and sqlx errors often repeat their source in their own text).
/// A conflict says what collided, without the constraint's name.
pub fn message(e: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in e.chain() {
        let store = cause.downcast_ref::<StoreError>().or(match cause.downcast_ref::<ServiceError>() {
            Some(ServiceError::Store(s)) => Some(s),
            _ => None,
        });
        let text = match store {
            Some(StoreError::Conflict { detail, .. }) => detail.clone(),
            _ => cause.to_string(),
        };
        if text.is_empty() || out.contains(&text) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
    }
    out
}

/// A progress bar of `len` steps (a spinner when `len` is `None`) on standard error when it
/// is a terminal and `quiet` is false; hidden otherwise (pipes, CI, tests, `--json`), so
/// nothing but the command's output is written there. Lines meant for the user while it runs
/// go through `bar.suspend(|| eprintln!(..))`, which works either way.
pub fn progress(len: Option<u64>, template: &str, quiet: bool) -> ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = match len {
        Some(n) => ProgressBar::new(n),
        None => {
            let b = ProgressBar::new_spinner();
            b.enable_steady_tick(std::time::Duration::from_millis(120));
            b
        }
    };
    let fallback =
        if len.is_some() { ProgressStyle::default_bar() } else { ProgressStyle::default_spinner() };
    bar.set_style(ProgressStyle::with_template(template).unwrap_or(fallback));
    bar
}

/// How `alerts` and `notifications` list a user's inbox.
#[derive(Debug, clap::Args)]
pub struct InboxArgs {
    /// Whose inbox.
    #[arg(long, short)]
    pub user: Option<String>,
    /// Only unread entries.
    #[arg(long)]
    pub unread: bool,
    /// At most this many, newest first.
    #[arg(long, default_value_t = 100)]
    pub limit: u32,
    /// Print a JSON array.
    #[arg(long)]
    pub json: bool,
}

/// Prints `value` as pretty JSON.
pub fn print_json<T: Serialize + ?Sized>(value: &T) -> anyhow::Result<()> {
    outln!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

/// An optional value as text, `-` when missing.
pub fn opt<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map_or_else(|| "-".to_owned(), |v| v.to_string())
}

/// `s` cut to `n` characters with an ellipsis.
pub fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_owned()
    } else {
        format!("{}…", s.chars().take(n - 1).collect::<String>())
    }
}
