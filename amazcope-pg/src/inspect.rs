//! Read-only views of the live database: table sizes, index usage, an ERD in Graphviz dot,
//! and the monitoring figures of [`health`] (slow queries, bloat, connections, replication).

use serde::Serialize;
use sqlx::PgPool;
use std::collections::BTreeMap;
use std::fmt::Write as _;

mod health;
pub use health::{
    Connections, DEFAULT_SLOW_QUERY_THRESHOLD, DbStats, PoolFigures, ReplicaLag, SessionState, SlowQueries,
    SlowQuery, TableBloat, bloat, cache_hit_ratio, connections, db_stats, replication, slow_queries,
};

/// Why an inspection query failed.
#[derive(Debug, thiserror::Error)]
#[error("cannot inspect the database ({what})")]
pub struct InspectError {
    /// Which view was being read.
    pub what: &'static str,
    /// The driver error.
    #[source]
    pub source: sqlx::Error,
}

fn err(what: &'static str) -> impl FnOnce(sqlx::Error) -> InspectError {
    move |source| InspectError { what, source }
}

/// Size and row count of one table, partitions included.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct TableSize {
    /// Table name (a partitioned table's partitions are summed into it).
    pub table: String,
    /// `pg_total_relation_size` (heap, indexes, TOAST) over the table and its partitions.
    pub total_bytes: i64,
    /// Number of partitions (0 for a plain table).
    pub partitions: i64,
    /// Live rows counted by the statistics collector (`pg_stat_user_tables.n_live_tup`),
    /// summed over the partitions. Kept current by every write, not only by ANALYZE.
    pub live_rows: i64,
    /// The planner's estimate (`pg_class.reltuples`), summed; `None` while a table (or one
    /// of its partitions) has never been vacuumed or analyzed, when PostgreSQL stores -1.
    pub row_estimate: Option<i64>,
}

/// Use of one index since statistics were last reset (`pg_stat_user_indexes`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct IndexUsage {
    /// Table the index is on.
    pub table: String,
    /// Index name (a partitioned index sums its per-partition indexes).
    pub index: String,
    /// Index scans started.
    pub idx_scan: i64,
    /// Index entries returned by scans.
    pub idx_tup_read: i64,
    /// Live table rows fetched by simple index scans.
    pub idx_tup_fetch: i64,
    /// On-disk size.
    pub size_bytes: i64,
}

/// Every table of the current schema with its total size and live rows, largest first.
pub async fn table_sizes(pool: &PgPool) -> Result<Vec<TableSize>, InspectError> {
    // pg_partition_tree() returns no row at all for a plain table on PostgreSQL 15, so each
    // top-level table is joined to itself UNION its partition tree: a plain table is its
    // only member, a partitioned one is its parent plus every partition. Live rows come
    // from the statistics collector: reltuples is -1 until the first VACUUM or ANALYZE,
    // which is why every table but the (analyzed) snapshot partitions showed 0 rows.
    // language=PostgreSQL
    sqlx::query_as(
        "WITH tops AS ( \
           SELECT c.oid, c.relname::text AS name FROM pg_class c \
           JOIN pg_namespace n ON n.oid = c.relnamespace \
           WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT c.relispartition), \
         members AS ( \
           SELECT t.oid AS top, t.oid AS relid FROM tops t \
           UNION SELECT t.oid, p.relid FROM tops t, pg_partition_tree(t.oid) p) \
         SELECT t.name AS table, \
           COALESCE(sum(pg_total_relation_size(m.relid)), 0)::bigint AS total_bytes, \
           count(*) FILTER (WHERE m.relid <> t.oid AND r.relkind = 'r') AS partitions, \
           COALESCE(sum(s.n_live_tup), 0)::bigint AS live_rows, \
           CASE WHEN bool_and(r.relkind <> 'r' OR r.reltuples >= 0) \
             THEN COALESCE(sum(r.reltuples) FILTER (WHERE r.relkind = 'r'), 0)::bigint END \
             AS row_estimate \
         FROM tops t JOIN members m ON m.top = t.oid JOIN pg_class r ON r.oid = m.relid \
         LEFT JOIN pg_stat_user_tables s ON s.relid = m.relid \
         GROUP BY t.oid, t.name \
         ORDER BY total_bytes DESC, t.name",
    )
    .fetch_all(pool)
    .await
    .map_err(err("table sizes"))
}

/// Every index of the current schema with its scan counters, most used first. Partition
/// indexes are summed into their partitioned parent index.
pub async fn index_usage(pool: &PgPool) -> Result<Vec<IndexUsage>, InspectError> {
    // language=PostgreSQL
    sqlx::query_as(
        "SELECT t.relname::text AS table, i.relname::text AS index, \
           sum(s.idx_scan)::bigint AS idx_scan, sum(s.idx_tup_read)::bigint AS idx_tup_read, \
           sum(s.idx_tup_fetch)::bigint AS idx_tup_fetch, \
           sum(pg_relation_size(s.indexrelid))::bigint AS size_bytes \
         FROM pg_stat_user_indexes s \
         JOIN pg_class i ON i.oid = COALESCE(pg_partition_root(s.indexrelid), s.indexrelid) \
         JOIN pg_index x ON x.indexrelid = i.oid \
         JOIN pg_class t ON t.oid = x.indrelid \
         WHERE s.schemaname = current_schema() \
         GROUP BY t.relname, i.relname \
         ORDER BY idx_scan DESC, t.relname, i.relname",
    )
    .fetch_all(pool)
    .await
    .map_err(err("index usage"))
}

#[derive(sqlx::FromRow)]
struct ColumnRow {
    table_name: String,
    column_name: String,
    data_type: String,
    not_null: bool,
    is_pk: bool,
}

#[derive(sqlx::FromRow)]
struct ForeignKeyRow {
    name: String,
    from_table: String,
    to_table: String,
    from_columns: String,
    on_delete: String,
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// A Graphviz dot graph of the live schema read from the catalogs: one node per table
/// (partitions folded into their parent) listing columns and types, one edge per foreign key
/// labelled with its name, columns and ON DELETE action. Render with `dot -Tsvg`.
pub async fn erd_dot(pool: &PgPool) -> Result<String, InspectError> {
    // language=PostgreSQL
    let columns: Vec<ColumnRow> = sqlx::query_as(
        "SELECT c.relname::text AS table_name, a.attname::text AS column_name, \
           format_type(a.atttypid, a.atttypmod) AS data_type, a.attnotnull AS not_null, \
           EXISTS (SELECT 1 FROM pg_index x WHERE x.indrelid = c.oid AND x.indisprimary \
                   AND a.attnum = ANY (x.indkey)) AS is_pk \
         FROM pg_class c \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped \
         WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT c.relispartition \
           AND c.relname <> '_sqlx_migrations' \
         ORDER BY c.relname, a.attnum",
    )
    .fetch_all(pool)
    .await
    .map_err(err("columns"))?;

    // conparentid = 0 keeps the constraint declared on the parent and skips the copies
    // PostgreSQL makes for every partition.
    // language=PostgreSQL
    let fks: Vec<ForeignKeyRow> = sqlx::query_as(
        "SELECT k.conname::text AS name, f.relname::text AS from_table, r.relname::text AS to_table, \
           (SELECT string_agg(a.attname, ', ' ORDER BY u.ord) \
              FROM unnest(k.conkey) WITH ORDINALITY u(attnum, ord) \
              JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.attnum) AS from_columns, \
           CASE k.confdeltype WHEN 'c' THEN 'CASCADE' WHEN 'n' THEN 'SET NULL' \
             WHEN 'd' THEN 'SET DEFAULT' WHEN 'r' THEN 'RESTRICT' ELSE 'NO ACTION' END AS on_delete \
         FROM pg_constraint k \
         JOIN pg_class f ON f.oid = k.conrelid \
         JOIN pg_class r ON r.oid = k.confrelid \
         JOIN pg_namespace n ON n.oid = f.relnamespace \
         WHERE k.contype = 'f' AND k.conparentid = 0 AND n.nspname = current_schema() \
           AND NOT f.relispartition AND NOT r.relispartition \
         ORDER BY f.relname, k.conname",
    )
    .fetch_all(pool)
    .await
    .map_err(err("foreign keys"))?;

    let mut tables: BTreeMap<&str, Vec<&ColumnRow>> = BTreeMap::new();
    for c in &columns {
        tables.entry(c.table_name.as_str()).or_default().push(c);
    }

    let mut out = String::new();
    out.push_str("digraph amazcope {\n");
    out.push_str("  graph [rankdir=LR, fontname=\"Helvetica\"];\n");
    out.push_str("  node [shape=plaintext, fontname=\"Helvetica\"];\n");
    out.push_str("  edge [fontname=\"Helvetica\", fontsize=9];\n");
    for (table, cols) in &tables {
        let _ = writeln!(out, "  \"{table}\" [label=<");
        out.push_str("    <table border=\"0\" cellborder=\"1\" cellspacing=\"0\">\n");
        let _ = writeln!(
            out,
            "      <tr><td bgcolor=\"lightblue\" colspan=\"2\"><b>{}</b></td></tr>",
            html_escape(table)
        );
        for c in cols {
            let name = if c.is_pk {
                format!("<u>{}</u>", html_escape(&c.column_name))
            } else {
                html_escape(&c.column_name)
            };
            let ty = format!("{}{}", html_escape(&c.data_type), if c.not_null { "" } else { " ?" });
            let _ = writeln!(
                out,
                "      <tr><td align=\"left\" port=\"{}\">{name}</td><td align=\"left\">{ty}</td></tr>",
                html_escape(&c.column_name)
            );
        }
        out.push_str("    </table>>];\n");
    }
    for fk in &fks {
        let _ = writeln!(
            out,
            "  \"{}\" -> \"{}\" [label=\"{} ({}) {}\"];",
            fk.from_table, fk.to_table, fk.name, fk.from_columns, fk.on_delete
        );
    }
    out.push_str("}\n");
    Ok(out)
}
