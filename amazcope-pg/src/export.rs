//! `amazcope export`: a product's or a user's stored history as CSV or Parquet, raw
//! snapshots (every column, with the product's ASIN and marketplace first) or daily rollups
//! (`product_daily`). The Parquet file is written by the archive's writer
//! ([`crate::archive::table::ParquetSink`]), with the same column types.

use crate::PgStore;
use crate::archive::table::{
    self, Batcher, Column, CsvSink, Kind, ParquetSink, SNAPSHOT_COLUMNS, TableError,
};
use crate::history::readable_tracking;
use amazcope_core::{ProductId, StoreError, StoreResult, UserId};
use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use sqlx::AssertSqlSafe;
use std::io::Write;

/// Whose history to export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportScope {
    /// One product of the catalogue.
    Product(ProductId),
    /// Every product `user` tracks (the tenancy rule of every per-user read).
    User(UserId),
}

/// The file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// Comma-separated, header row first; money as exact decimals, times RFC 3339 UTC.
    Csv,
    /// Parquet (zstd), the archive's column types.
    Parquet,
}

/// What to export.
#[derive(Debug, Clone, Copy)]
pub struct ExportRequest {
    /// Whose.
    pub scope: ExportScope,
    /// From this time on (inclusive); the daily export takes its UTC day.
    pub from: Option<DateTime<Utc>>,
    /// Before this time (exclusive); the daily export takes the days before its UTC day,
    /// and that day too when it is not midnight.
    pub to: Option<DateTime<Utc>>,
    /// Daily rollups instead of raw snapshots.
    pub daily: bool,
    /// The format.
    pub format: ExportFormat,
}

const fn c(name: &'static str, sql: &'static str, kind: Kind, nullable: bool) -> Column {
    Column { name, sql, kind, nullable }
}

/// The product's identity, first in every export row.
const PRODUCT_COLUMNS: [Column; 2] =
    [c("asin", "p.asin", Kind::Text, false), c("marketplace", "p.marketplace", Kind::Text, false)];

/// The columns of a daily export (after [`PRODUCT_COLUMNS`]).
const DAILY_COLUMNS: [Column; 17] = [
    c("day", "d.day", Kind::Day, false),
    c("currency", "d.currency", Kind::Text, false),
    c("price_min", "d.price_min", Kind::Money, true),
    c("price_max", "d.price_max", Kind::Money, true),
    c("price_close", "d.price_close", Kind::Money, true),
    // The mean of the day's snapshot prices (not time-weighted), rounded to the cent.
    c("price_mean", "round(d.price_sum / NULLIF(d.price_count, 0), 2)", Kind::Money, true),
    c("list_price_close", "d.list_price_close", Kind::Money, true),
    c("bsr_min", "d.bsr_min", Kind::Int, true),
    c("bsr_max", "d.bsr_max", Kind::Int, true),
    c("bsr_close", "d.bsr_close", Kind::Int, true),
    c("bsr_category", "d.bsr_category", Kind::Text, true),
    c("rating_close", "d.rating_close", Kind::Float, true),
    c("review_count_close", "d.review_count_close", Kind::Int, true),
    c("in_stock_share", "d.in_stock_count::float8 / NULLIF(d.snapshots, 0)", Kind::Float, true),
    c("snapshots", "d.snapshots", Kind::Int, false),
    c("first_at", "d.first_at", Kind::Time, false),
    c("last_at", "d.last_at", Kind::Time, false),
];

fn list(columns: &[Column], alias: &str) -> String {
    columns
        .iter()
        .map(|c| {
            if c.sql.contains('.') || c.sql.contains('(') {
                format!("{} AS {}", c.sql, c.name)
            } else {
                format!("{alias}.{} AS {}", c.sql, c.name)
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn table_error(e: TableError) -> StoreError {
    StoreError::Backend { message: format!("export: {e}"), source: Some(Box::new(e)) }
}

enum Sink<W: Write + Send> {
    Csv(CsvSink<W>),
    // Boxed: the Parquet writer's state is a few hundred bytes, the CSV sink's a handful.
    Parquet(Box<ParquetSink<W>>),
}

impl PgStore {
    /// Writes the export to `out` and returns the number of rows. A user who does not
    /// track anything exports a header (CSV) or an empty file (Parquet), not an error.
    pub async fn export<W: Write + Send>(&self, request: &ExportRequest, out: W) -> StoreResult<(u64, W)> {
        let columns: Vec<Column> = PRODUCT_COLUMNS
            .iter()
            .chain(if request.daily { &DAILY_COLUMNS[..] } else { &SNAPSHOT_COLUMNS[..] })
            .copied()
            .collect();
        let scope = match request.scope {
            ExportScope::Product(_) => "p.id = $1".to_string(),
            ExportScope::User(_) => format!(
                "p.id IN (SELECT up.product_id FROM user_products up WHERE up.user_id = $1 AND {})",
                readable_tracking!()
            ),
        };
        let id = match request.scope {
            ExportScope::Product(p) => p.0,
            ExportScope::User(u) => u.0,
        };
        // Runtime SQL: the column list is built from our constants.
        let sql = if request.daily {
            format!(
                "SELECT {}, {} FROM product_daily d JOIN products p ON p.id = d.product_id
                 WHERE {scope} AND ($2::timestamptz IS NULL OR d.day >= ($2 AT TIME ZONE 'UTC')::date)
                   AND ($3::timestamptz IS NULL OR d.day < ($3 AT TIME ZONE 'UTC')::date
                        OR (d.day = ($3 AT TIME ZONE 'UTC')::date AND ($3 AT TIME ZONE 'UTC')::time > '00:00'))
                 ORDER BY p.asin, p.marketplace, d.day",
                list(&PRODUCT_COLUMNS, "p"),
                list(&DAILY_COLUMNS, "d")
            )
        } else {
            format!(
                "SELECT {}, {} FROM product_snapshots s JOIN products p ON p.id = s.product_id
                 WHERE {scope} AND ($2::timestamptz IS NULL OR s.scraped_at >= $2)
                   AND ($3::timestamptz IS NULL OR s.scraped_at < $3)
                 ORDER BY p.asin, p.marketplace, s.scraped_at",
                list(&PRODUCT_COLUMNS, "p"),
                table::select_list(&SNAPSHOT_COLUMNS, Some("s"))
            )
        };
        let mut batcher = Batcher::new(&columns);
        let mut sink = match request.format {
            ExportFormat::Csv => Sink::Csv(CsvSink::new(out)),
            ExportFormat::Parquet => {
                Sink::Parquet(Box::new(ParquetSink::new(out, batcher.schema()).map_err(table_error)?))
            }
        };
        let write = |sink: &mut Sink<W>, batch: &arrow_array::RecordBatch| match sink {
            Sink::Csv(s) => s.write(batch),
            Sink::Parquet(s) => s.write(batch),
        };
        // From the read replica while it keeps up; a user's export acts as that user
        // (row-level security on user_products).
        let mut tx = match request.scope {
            ExportScope::User(user) => self.read_user_tx(user).await?,
            ExportScope::Product(_) => self.read_pool().await.begin().await.map_err(crate::error::db)?,
        };
        let mut rows = 0u64;
        let mut stream =
            sqlx::query(AssertSqlSafe(sql)).bind(id).bind(request.from).bind(request.to).fetch(&mut *tx);
        while let Some(row) = stream.try_next().await.map_err(crate::error::db)? {
            batcher.push(&row).map_err(table_error)?;
            rows += 1;
            if batcher.len() >= table::BATCH_ROWS {
                let batch = batcher.finish().map_err(table_error)?;
                write(&mut sink, &batch).map_err(table_error)?;
            }
        }
        drop(stream);
        tx.commit().await.map_err(crate::error::db)?;
        if batcher.len() > 0 || rows == 0 {
            let batch = batcher.finish().map_err(table_error)?;
            write(&mut sink, &batch).map_err(table_error)?;
        }
        let out = match sink {
            Sink::Csv(s) => s.finish(),
            Sink::Parquet(s) => s.finish(),
        }
        .map_err(table_error)?;
        Ok((rows, out))
    }
}
