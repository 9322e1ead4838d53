//! What every tracking command shares: the database, users by name, argument parsing and
//! output.

use amazcope_core::model::user::User;
use amazcope_core::repo::UserRepository;
use amazcope_core::{Asin, Marketplace};
use amazcope_pg::PgStore;
use amazcope_pg::cluster::{self, ClusterSettings};
use anyhow::Context;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

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

/// The database every command uses, checked to have this build's schema (a database without
/// it is answered with one line naming `amazcope db upgrade`).
pub async fn store() -> anyhow::Result<PgStore> {
    let store = PgStore::connect_url(&database_url().await?).await.context("cannot open the database")?;
    store.check_schema().await?;
    Ok(store)
}

/// The active user called `name`.
pub async fn user(store: &PgStore, name: &str) -> anyhow::Result<User> {
    match store.user_by_name(name).await? {
        Some(u) if u.is_active => Ok(u),
        _ => anyhow::bail!("unknown user {name:?} (add it with `amazcope user add {name}`)"),
    }
}

/// A product's snapshots in `range`, oldest first. With a user name, read as that user:
/// only a product the user tracks (or tracked) is found, like every user-scoped read; without,
/// read from the shared catalogue (the operator's view).
pub async fn history(
    store: &PgStore,
    user: Option<&str>,
    product: &amazcope_core::model::product::Product,
    range: amazcope_core::TimeRange,
) -> anyhow::Result<Vec<amazcope_core::model::snapshot::ProductSnapshot>> {
    use amazcope_core::SnapshotRepository;
    match user {
        Some(name) => {
            let u = self::user(store, name).await?;
            store.snapshot_history(u.id, product.id, range).await.map_err(|e| match e {
                amazcope_core::StoreError::NotFound { .. } => {
                    anyhow::anyhow!(
                        "{name} does not track {} on amazon.{}",
                        product.asin,
                        product.marketplace.code()
                    )
                }
                e => e.into(),
            })
        }
        None => Ok(store.product_history(product.id, range).await?),
    }
}

/// An ASIN argument.
pub fn asin(s: &str) -> anyhow::Result<Asin> {
    s.trim().to_ascii_uppercase().parse::<Asin>().with_context(|| format!("bad ASIN {s:?}"))
}

/// A marketplace argument (`com`, `co.uk`, `amazon.de`...).
pub fn marketplace(s: &str) -> anyhow::Result<Marketplace> {
    s.parse::<Marketplace>().with_context(|| format!("bad marketplace {s:?}"))
}

/// A time argument: RFC 3339 (`2025-03-01T08:00:00Z`) or a date (midnight UTC).
pub fn time(s: &str) -> anyhow::Result<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s.trim()) {
        return Ok(t.with_timezone(&Utc));
    }
    let d = NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .with_context(|| format!("bad time {s:?}: expected 2025-03-01 or 2025-03-01T08:00:00Z"))?;
    Ok(d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc())
}

/// Prints `value` as pretty JSON.
pub fn print_json<T: Serialize + ?Sized>(value: &T) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
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
