//! Mapping of `sqlx` errors to [`StoreError`], by the constraint names of the migrations
//! (`uq_*` → conflict, `chk_*` → invalid value, `fk_*` → missing referenced entity).
//!
//! PostgreSQL reports which constraint failed but not the value we sent, so each call site
//! passes an [`ErrCtx`] with the values it bound and the words for a conflict. The context
//! is built inside `map_err` closures, so the success path pays nothing for it.

use amazcope_core::{StoreError, Unavailable, ValidationError};
use sqlx::error::ErrorKind;

/// What a call site knows about the values it sent, to make error messages say what and
/// where.
#[derive(Debug, Default)]
pub(crate) struct ErrCtx {
    /// Column name → the value sent, as text.
    values: Vec<(&'static str, String)>,
    /// Constraint name → what collided, in words.
    conflicts: Vec<(&'static str, String)>,
}

impl ErrCtx {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Records the value sent for `column` (used for `chk_*` and `fk_*` messages).
    pub(crate) fn value(mut self, column: &'static str, value: impl std::fmt::Display) -> Self {
        self.values.push((column, value.to_string()));
        self
    }

    /// Records an optional value; `None` records nothing.
    pub(crate) fn opt_value(self, column: &'static str, value: Option<impl std::fmt::Display>) -> Self {
        match value {
            Some(v) => self.value(column, v),
            None => self,
        }
    }

    /// Records the words for a violation of the unique `constraint`.
    pub(crate) fn conflict(mut self, constraint: &'static str, detail: impl Into<String>) -> Self {
        self.conflicts.push((constraint, detail.into()));
        self
    }

    fn value_of(&self, column: &str) -> Option<(&'static str, &str)> {
        self.values.iter().find(|(c, _)| *c == column).map(|(c, v)| (*c, v.as_str()))
    }
}

/// Tables named in our constraint names, longest first so that `user_products` wins over
/// `products` when the prefix is stripped.
const TABLES: &[&str] = &[
    "notification_deliveries",
    "notification_channels",
    "bestseller_snapshots",
    "suggestion_actions",
    "product_snapshots",
    "product_daily",
    "category_metrics",
    "user_settings",
    "user_products",
    "notifications",
    "api_tokens",
    "suggestions",
    "categories",
    "products",
    "reviews",
    "alerts",
    "users",
];

/// Columns that carry a check constraint or a foreign key, so that a constraint name can be
/// turned into the `&'static str` field of a [`ValidationError`] even when the call site did
/// not record the value.
const KNOWN_COLUMNS: &[&str] = &[
    "rating",
    "price_change_threshold",
    "bsr_change_threshold",
    "default_price_threshold",
    "default_bsr_threshold",
    "scraped_at",
    "price",
    "original_price",
    "buybox_price",
    "current_price",
    "target_price",
    "review_count",
    "rank",
    "level",
    "confidence_score",
    "helpful_count",
    "products_per_page",
    "refresh_interval_minutes",
    "theme",
    "default_sort_order",
    "alert_type",
    "severity",
    "notification_type",
    "priority",
    "status",
    "track_frequency",
    "category_level",
    "last_fetch_status",
    "marketplace",
    "asin",
    "currency",
    "discount_percentage",
    "bsr_main_category",
    "bsr_small_category",
    "total_variations",
    "product_count",
    "stock_quantity",
    "email",
    "username",
];

/// A unique violation inside a partition names the partition's index
/// (`product_snapshots_2025_06_product_id_scraped_at_key`); callers know the parent's
/// constraint, so report that.
fn parent_constraint<'a>(table: Option<&str>, constraint: &'a str) -> &'a str {
    let in_snapshots = table.is_some_and(|t| t.starts_with("product_snapshots_"));
    if in_snapshots && constraint.ends_with("_product_id_scraped_at_key") {
        "uq_product_snapshots_product_scraped"
    } else {
        constraint
    }
}

/// The column part of `chk_<table>_<column>` / `fk_<table>_<column>`.
fn column_of(constraint: &str, prefix: &str) -> Option<String> {
    let rest = constraint.strip_prefix(prefix)?;
    TABLES.iter().find_map(|t| rest.strip_prefix(t).and_then(|r| r.strip_prefix('_'))).map(str::to_owned)
}

/// The entity a foreign-key column refers to.
fn entity_of(column: &str) -> &'static str {
    match column {
        "user_id" | "created_by_id" | "reviewed_by_id" | "applied_by_id" => "user",
        "product_id" => "product",
        "snapshot_id" | "snapshot_scraped_at" => "snapshot",
        "category_id" | "parent_id" => "category",
        "suggestion_id" => "suggestion",
        "alert_id" => "alert",
        _ => "row",
    }
}

/// The value of PostgreSQL's key detail: `Key (product_id)=(5b0c...) is not present ...`
/// gives `5b0c...`. For a composite key the values are comma-separated.
fn key_value(detail: &str) -> Option<String> {
    let start = detail.find(")=(")? + 3;
    let len = detail[start..].find(')')?;
    Some(detail[start..start + len].to_owned())
}

fn backend(e: sqlx::Error) -> StoreError {
    let message = e.to_string();
    let source: Box<dyn std::error::Error + Send + Sync> =
        if unreachable(&e) { Box::new(Unavailable(Box::new(e))) } else { Box::new(e) };
    StoreError::Backend { message, source: Some(source) }
}

/// The server could not be reached or went away: connection refused or reset, the pool
/// found no live connection in time, or the server is shutting down, crashed or is still
/// starting (class 08 and 57P01-57P03). A read-only transaction (25006), a full disk
/// (53100) or a missing privilege (42501) are not: they will not pass by themselves.
fn unreachable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::Tls(_) => true,
        sqlx::Error::Protocol(m) => m.contains("unexpected") || m.contains("closed"),
        sqlx::Error::Database(d) => {
            d.code().is_some_and(|c| c.starts_with("08") || matches!(c.as_ref(), "57P01" | "57P02" | "57P03"))
        }
        _ => false,
    }
}

/// Maps a `sqlx` error without call-site context.
pub(crate) fn db(e: sqlx::Error) -> StoreError {
    map(e, &ErrCtx::new())
}

/// Maps a `sqlx` error, using `ctx` for the values and conflict wording.
pub(crate) fn map(e: sqlx::Error, ctx: &ErrCtx) -> StoreError {
    let sqlx::Error::Database(dbe) = &e else {
        return backend(e);
    };
    let constraint = dbe.constraint().map(|c| parent_constraint(dbe.table(), c).to_owned());
    let code = dbe.code().map(|c| c.into_owned()).unwrap_or_default();
    let message = dbe.message().to_owned();
    let kind = dbe.kind();

    match (kind, constraint) {
        (ErrorKind::UniqueViolation, Some(c)) => {
            let detail =
                ctx.conflicts.iter().find(|(name, _)| *name == c).map(|(_, d)| d.clone()).unwrap_or_else(
                    || {
                        // PostgreSQL's detail ("Key (email)=(a@b) already exists.") names the key.
                        dbe.try_downcast_ref::<sqlx::postgres::PgDatabaseError>()
                            .and_then(|p| p.detail().map(str::to_owned))
                            .unwrap_or(message)
                            .trim_end_matches('.')
                            .to_lowercase()
                    },
                );
            StoreError::Conflict { constraint: c, detail }
        }
        (ErrorKind::CheckViolation, Some(c)) if c.starts_with("chk_") => {
            let column = column_of(&c, "chk_").unwrap_or_else(|| c.clone());
            let (field, value) = match ctx.value_of(&column) {
                Some((f, v)) => (f, v.to_owned()),
                None => (
                    KNOWN_COLUMNS.iter().copied().find(|k| *k == column).unwrap_or("value"),
                    "(not recorded)".to_owned(),
                ),
            };
            StoreError::Invalid(ValidationError::new(field, value, format!("rejected by {c}")))
        }
        (ErrorKind::ForeignKeyViolation, Some(c)) => {
            let column = column_of(&c, "fk_").unwrap_or_default();
            // On insert/update the referenced row is missing; the id is the value we sent.
            let id = ctx.value_of(&column).map(|(_, v)| v.to_owned()).unwrap_or_else(|| {
                dbe.try_downcast_ref::<sqlx::postgres::PgDatabaseError>()
                    .and_then(|p| p.detail())
                    .and_then(key_value)
                    .unwrap_or(message)
            });
            StoreError::NotFound { entity: entity_of(&column), id }
        }
        // A row whose partition key falls outside every partition is reported as a check
        // violation without a constraint name.
        (ErrorKind::CheckViolation, None) if message.contains("no partition") => {
            let value = ctx.value_of("scraped_at").map(|(_, v)| v.to_owned()).unwrap_or_default();
            StoreError::Invalid(ValidationError::new(
                "scraped_at",
                value,
                "no snapshot partition covers this time; create partitions first",
            ))
        }
        // 22001 string too long, 22003 numeric overflow: the value does not fit its column.
        _ if code == "22001" || code == "22003" => {
            let column = dbe
                .try_downcast_ref::<sqlx::postgres::PgDatabaseError>()
                .and_then(|p| p.column())
                .and_then(|c| KNOWN_COLUMNS.iter().copied().find(|k| *k == c))
                .unwrap_or("value");
            StoreError::Invalid(ValidationError::new(column, "(too large)", message))
        }
        // Refusals of the server as a whole, said in words the operator can act on.
        _ if code == "25006" => refused(e, "the database refuses writes: it is read-only (a standby, or default_transaction_read_only is on)".to_owned()),
        _ if code == "53100" => refused(e, "the database server is out of disk space; free some and run the command again".to_owned()),
        _ if code == "42501" => refused(e, format!("the database role lacks a privilege: {message}")),
        _ => backend(e),
    }
}

fn refused(e: sqlx::Error, message: String) -> StoreError {
    StoreError::Backend { message, source: Some(Box::new(e)) }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A write the typed API cannot make (core's `Percent` refuses 101 first) still maps
    /// by constraint name when the database refuses it.
    #[sqlx::test(migrator = "crate::MIGRATOR")]
    async fn threshold_101_maps_to_invalid_naming_field_and_value(pool: sqlx::PgPool) {
        // language=PostgreSQL
        let sql = "WITH u AS (INSERT INTO users (email, username, hashed_password)
                              VALUES ('a@b', 'a', '!') RETURNING id),
                        p AS (INSERT INTO products (asin, title, url)
                              VALUES ('B000000001', 't', 'u') RETURNING id)
                   INSERT INTO user_products (user_id, product_id, price_change_threshold)
                   SELECT u.id, p.id, $1 FROM u, p";
        let e = sqlx::query(sql).bind(101.0_f64).execute(&pool).await.unwrap_err();
        let ctx = ErrCtx::new().value("price_change_threshold", 101.0_f64);
        match map(e, &ctx) {
            StoreError::Invalid(v) => {
                assert_eq!((v.field, v.value.as_str()), ("price_change_threshold", "101"));
                assert!(v.reason.contains("chk_user_products_price_change_threshold"), "{}", v.reason);
            }
            other => panic!("expected invalid, got {other:?}"),
        }
        let e = sqlx::query(sql).bind(-1.0_f64).execute(&pool).await.unwrap_err();
        match db(e) {
            StoreError::Invalid(v) => assert_eq!(v.field, "price_change_threshold"),
            other => panic!("expected invalid, got {other:?}"),
        }
    }

    #[sqlx::test(migrator = "crate::MIGRATOR")]
    async fn unique_violation_without_context_quotes_the_key(pool: sqlx::PgPool) {
        // language=PostgreSQL
        let sql =
            "INSERT INTO products (asin, marketplace, title, url) VALUES ('B000000009', 'de', 't', 'u')";
        sqlx::query(sql).execute(&pool).await.unwrap();
        let e = sqlx::query(sql).execute(&pool).await.unwrap_err();
        match db(e) {
            StoreError::Conflict { constraint, detail } => {
                assert_eq!(constraint, "uq_product_asin_marketplace");
                assert!(detail.contains("b000000009") && detail.contains("de"), "{detail}");
            }
            other => panic!("expected conflict, got {other:?}"),
        }
    }

    #[test]
    fn constraint_names_split_into_table_and_column() {
        assert_eq!(column_of("chk_products_rating", "chk_").as_deref(), Some("rating"));
        assert_eq!(
            column_of("chk_user_products_price_change_threshold", "chk_").as_deref(),
            Some("price_change_threshold")
        );
        assert_eq!(column_of("fk_alerts_snapshot_id", "fk_").as_deref(), Some("snapshot_id"));
        assert_eq!(column_of("uq_x", "chk_"), None);
    }

    #[test]
    fn key_detail_gives_the_value() {
        assert_eq!(
            key_value("Key (product_id)=(5b0c) is not present in table \"products\".").as_deref(),
            Some("5b0c")
        );
        assert_eq!(key_value("nothing"), None);
    }

    #[test]
    fn foreign_key_columns_name_their_entity() {
        assert_eq!(entity_of("created_by_id"), "user");
        assert_eq!(entity_of("product_id"), "product");
        assert_eq!(entity_of("parent_id"), "category");
    }
}
