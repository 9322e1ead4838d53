//! Repository implementations on [`crate::PgStore`], one file per trait: reads here, writes
//! through [`crate::write`] (row types in `crate::rows`, error mapping in `crate::error`).
//!
//! SQL is static text run with `sqlx::query`/`query_as` (each string marked
//! `// language=PostgreSQL`); optional filters go through `QueryBuilder`. Bulk writes use
//! UNNEST arrays or binary COPY into a staging table, never a per-row loop.

mod alerts;
mod categories;
mod notifications;
mod products;
mod reviews;
mod snapshots;
mod suggestions;
pub(crate) mod tracking;
mod users;

/// Escapes `%`, `_` and `\` so user text is matched literally by `ILIKE`.
fn like_pattern(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// A `limit` argument as SQL `LIMIT`: at least 1, `default` when not given.
fn limit_of(limit: Option<u32>, default: u32) -> i64 {
    i64::from(limit.unwrap_or(default).max(1))
}
