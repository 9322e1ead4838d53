//! The text form of `amazcope db stats`: one block per monitoring view of
//! DATABASE_DESIGN.md ("Monitoring"), in the order the JSON keys come.

use amazcope_pg::inspect::DbStats;
use chrono::{DateTime, Utc};
use std::fmt::Write as _;

fn human_bytes(n: i64) -> String {
    const UNITS: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];
    let mut v = n as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit < UNITS.len() - 1 {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 { format!("{n} B") } else { format!("{v:.1} {}", UNITS[unit]) }
}

fn when(t: Option<DateTime<Utc>>) -> String {
    t.map_or_else(|| "never".to_string(), |t| t.format("%Y-%m-%d %H:%M").to_string())
}

/// A column: its title and width; text columns are left-aligned, numbers right-aligned.
struct Col(&'static str, usize, Align);

#[derive(Clone, Copy)]
enum Align {
    Left,
    Right,
}

/// Writes a header line and one line per row, cells padded to their column's width.
fn write_table(
    out: &mut String,
    cols: &[Col],
    rows: impl IntoIterator<Item = Vec<String>>,
) -> std::fmt::Result {
    let line = |out: &mut String, cells: &[String]| -> std::fmt::Result {
        let mut text = String::new();
        for (Col(_, width, align), cell) in cols.iter().zip(cells) {
            if !text.is_empty() {
                text.push(' ');
            }
            match align {
                Align::Left => write!(text, "{cell:<width$}")?,
                Align::Right => write!(text, "{cell:>width$}")?,
            }
        }
        writeln!(out, "{}", text.trim_end())
    };
    line(out, &cols.iter().map(|c| c.0.to_string()).collect::<Vec<_>>())?;
    for row in rows {
        line(out, &row)?;
    }
    Ok(())
}

/// Writes `stats` as aligned text blocks.
pub fn write_text(stats: &DbStats, out: &mut String) -> std::fmt::Result {
    use Align::{Left, Right};
    write_table(
        out,
        &[
            Col("table", 28, Left),
            Col("size", 12, Right),
            Col("live rows", 12, Right),
            Col("partitions", 10, Right),
        ],
        stats.tables.iter().map(|t| {
            vec![
                t.table.clone(),
                human_bytes(t.total_bytes),
                t.live_rows.to_string(),
                t.partitions.to_string(),
            ]
        }),
    )?;
    writeln!(out)?;
    write_table(
        out,
        &[
            Col("table", 24, Left),
            Col("index", 46, Left),
            Col("scans", 10, Right),
            Col("tup read", 12, Right),
            Col("tup fetch", 12, Right),
            Col("size", 10, Right),
        ],
        stats.indexes.iter().map(|i| {
            vec![
                i.table.clone(),
                i.index.clone(),
                i.idx_scan.to_string(),
                i.idx_tup_read.to_string(),
                i.idx_tup_fetch.to_string(),
                human_bytes(i.size_bytes),
            ]
        }),
    )?;
    writeln!(out)?;
    match &stats.slow_queries_note {
        Some(note) => writeln!(out, "{note}")?,
        None => {
            let over = stats.slow_queries.iter().filter(|q| q.over_threshold).count();
            writeln!(
                out,
                "slow queries: {over} over {:.0} ms (pg_stat_statements, slowest first)",
                stats.slow_query_threshold_ms
            )?;
            writeln!(out, "{:>8} {:>10} {:>10} {:>10}  statement", "calls", "mean ms", "max ms", "rows")?;
            for q in &stats.slow_queries {
                let statement: String = q.statement.split_whitespace().collect::<Vec<_>>().join(" ");
                writeln!(
                    out,
                    "{:>8} {:>10.1} {:>10.1} {:>10}  {}{}",
                    q.calls,
                    q.mean_ms,
                    q.max_ms,
                    q.rows,
                    if q.over_threshold { "SLOW " } else { "" },
                    statement.chars().take(100).collect::<String>()
                )?;
            }
        }
    }
    writeln!(out)?;
    write_table(
        out,
        &[
            Col("bloat", 28, Left),
            Col("live", 10, Right),
            Col("dead", 10, Right),
            Col("wasted (est.)", 13, Right),
            Col("last vacuum", 16, Right),
            Col("last autovacuum", 16, Right),
        ],
        stats.bloat.iter().map(|b| {
            vec![
                b.table.clone(),
                b.live_rows.to_string(),
                b.dead_rows.to_string(),
                human_bytes(b.wasted_bytes_estimate),
                when(b.last_vacuum),
                when(b.last_autovacuum),
            ]
        }),
    )?;
    match stats.cache_hit_ratio {
        Some(r) => writeln!(out, "cache hit ratio: {:.2}%", r * 100.0)?,
        None => writeln!(out, "cache hit ratio: no block reads yet")?,
    }
    writeln!(out)?;
    let p = &stats.connections.pool;
    writeln!(out, "pool: {} open of {} max, {} in use, {} idle", p.size, p.max, p.in_use, p.idle)?;
    let sessions: Vec<String> =
        stats.connections.sessions.iter().map(|s| format!("{} {}", s.sessions, s.state)).collect();
    writeln!(out, "amazcope sessions on this database: {}", sessions.join(", "))?;
    if stats.replication.is_empty() {
        writeln!(out, "replication: no standbys")?;
    }
    for r in &stats.replication {
        writeln!(
            out,
            "replica {} ({}): {}, replay lag {} s, {} bytes behind",
            r.name,
            r.client_addr.as_deref().unwrap_or("local socket"),
            r.state.as_deref().unwrap_or("-"),
            r.replay_lag_seconds.map_or_else(|| "0".to_string(), |s| format!("{s:.3}")),
            r.replay_lag_bytes.map_or_else(|| "-".to_string(), |b| b.to_string())
        )?;
    }
    Ok(())
}
