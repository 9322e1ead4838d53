//! Rows of a query as typed columns: one description of each column ([`Column`]: its SQL,
//! its Arrow type) from which the archive's and the export's Parquet files and the export's
//! CSV are written, and from which archived batches are bound again for a restore. The
//! Parquet writer ([`ParquetSink`]) is the one both `db partitions --archive` and `export`
//! use.
//!
//! Types: money is `Decimal128(10, 2)` (the columns' `numeric(10,2)`), times are
//! `Timestamp(µs, "UTC")`, days `Date32`, ids 16-byte `FixedSizeBinary`, JSON as its text.

use arrow_array::builder::{
    BooleanBuilder, Date32Builder, Decimal128Builder, FixedSizeBinaryBuilder, Float64Builder, Int32Builder,
    StringBuilder, TimestampMicrosecondBuilder,
};
use arrow_array::{
    Array, ArrayRef, BooleanArray, Date32Array, Decimal128Array, FixedSizeBinaryArray, Float64Array,
    Int32Array, RecordBatch, StringArray, TimestampMicrosecondArray,
};
use arrow_schema::{ArrowError, DataType, Field, Schema, SchemaRef, TimeUnit};
use chrono::{DateTime, NaiveDate, Utc};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;
use rust_decimal::Decimal;
use sqlx::Row;
use sqlx::postgres::PgRow;
use std::io::Write;
use std::sync::Arc;
use uuid::Uuid;

/// Rows per Arrow batch (and so per Parquet write).
pub(crate) const BATCH_ROWS: usize = 65_536;

/// How a column is read from PostgreSQL and stored in Arrow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// `uuid` as 16 bytes.
    Uuid,
    /// `timestamptz` in microseconds, UTC.
    Time,
    /// `date`.
    Day,
    /// `numeric(10,2)`.
    Money,
    /// `varchar` / `text`.
    Text,
    /// `jsonb`, selected as text.
    Json,
    /// `integer`.
    Int,
    /// `double precision`.
    Float,
    /// `boolean`.
    Bool,
}

/// A column of an archive or export: its name, the SQL that selects it, its kind.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Column {
    pub(crate) name: &'static str,
    pub(crate) sql: &'static str,
    pub(crate) kind: Kind,
    pub(crate) nullable: bool,
}

const fn col(name: &'static str, kind: Kind, nullable: bool) -> Column {
    Column { name, sql: name, kind, nullable }
}

/// Every column of `product_snapshots`, in table order: what the archive keeps of each row.
pub(crate) const SNAPSHOT_COLUMNS: [Column; 48] = {
    use Kind::*;
    [
        col("id", Uuid, false),
        col("product_id", Uuid, false),
        col("scraped_at", Time, false),
        col("price", Money, true),
        col("original_price", Money, true),
        col("buybox_price", Money, true),
        col("currency", Text, false),
        col("discount_percentage", Float, true),
        col("bsr_main_category", Int, true),
        col("bsr_small_category", Int, true),
        col("main_category_name", Text, true),
        col("small_category_name", Text, true),
        col("rating", Float, true),
        col("review_count", Int, true),
        col("in_stock", Bool, false),
        col("stock_quantity", Int, true),
        col("stock_status", Text, true),
        col("seller_name", Text, true),
        col("seller_id", Text, true),
        col("seller_store_url", Text, true),
        col("is_amazon_seller", Bool, false),
        col("is_fba", Bool, false),
        col("fulfilled_by", Text, true),
        col("coupon_text", Text, true),
        col("coupon_available", Bool, false),
        col("deal_type", Text, true),
        col("is_deal", Bool, false),
        col("is_prime", Bool, false),
        Column {
            name: "amazons_choice_keywords",
            sql: "amazons_choice_keywords::text",
            kind: Json,
            nullable: true,
        },
        col("has_amazons_choice", Bool, false),
        col("past_sales", Text, true),
        col("delivery_message", Text, true),
        col("product_type", Text, true),
        col("is_used", Bool, false),
        col("category_avg_price", Money, true),
        col("category_avg_rating", Float, true),
        col("category_avg_reviews", Int, true),
        col("price_quality", Text, true),
        col("list_price_quality", Text, true),
        col("bsr_quality", Text, true),
        col("rating_quality", Text, true),
        col("review_count_quality", Text, true),
        col("stock_quality", Text, true),
        Column { name: "quality_readings", sql: "quality_readings::text", kind: Json, nullable: true },
        col("page_asin", Text, true),
        col("source", Text, false),
        col("created_at", Time, false),
        col("updated_at", Time, false),
    ]
};

/// The SELECT list of `columns`, each aliased to its name, prefixed by `alias.` when given.
pub(crate) fn select_list(columns: &[Column], alias: Option<&str>) -> String {
    columns
        .iter()
        .map(|c| match alias {
            Some(a) if c.sql == c.name => format!("{a}.{}", c.name),
            Some(a) => format!("{a}.{} AS {}", c.sql, c.name),
            None if c.sql == c.name => c.name.to_string(),
            None => format!("{} AS {}", c.sql, c.name),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The Arrow schema of `columns`.
pub(crate) fn schema(columns: &[Column]) -> SchemaRef {
    Arc::new(Schema::new(
        columns
            .iter()
            .map(|c| {
                let t = match c.kind {
                    Kind::Uuid => DataType::FixedSizeBinary(16),
                    Kind::Time => DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
                    Kind::Day => DataType::Date32,
                    Kind::Money => DataType::Decimal128(10, 2),
                    Kind::Text | Kind::Json => DataType::Utf8,
                    Kind::Int => DataType::Int32,
                    Kind::Float => DataType::Float64,
                    Kind::Bool => DataType::Boolean,
                };
                Field::new(c.name, t, c.nullable)
            })
            .collect::<Vec<_>>(),
    ))
}

/// Why rows could not be turned into a file.
#[derive(Debug, thiserror::Error)]
pub(crate) enum TableError {
    #[error("reading column {column}")]
    Read {
        column: &'static str,
        #[source]
        source: sqlx::Error,
    },
    #[error("column {column}: {reason}")]
    Value { column: &'static str, reason: String },
    #[error("building arrow data")]
    Arrow(#[from] ArrowError),
    #[error("writing parquet")]
    Parquet(#[from] parquet::errors::ParquetError),
    #[error("writing csv")]
    Io(#[from] std::io::Error),
}

const EPOCH_DAY: NaiveDate = NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid date");

fn money_units(column: &'static str, d: Decimal) -> Result<i128, TableError> {
    let mut d = d;
    d.rescale(2);
    if d.scale() != 2 {
        return Err(TableError::Value { column, reason: format!("{d} does not fit numeric(10,2)") });
    }
    Ok(d.mantissa())
}

enum Builder {
    Uuid(FixedSizeBinaryBuilder),
    Time(TimestampMicrosecondBuilder),
    Day(Date32Builder),
    Money(Decimal128Builder),
    Text(StringBuilder),
    Int(Int32Builder),
    Float(Float64Builder),
    Bool(BooleanBuilder),
}

/// Arrow builders for `columns`, filled row by row from query rows.
pub(crate) struct Batcher {
    columns: Vec<Column>,
    schema: SchemaRef,
    builders: Vec<Builder>,
    rows: usize,
}

impl std::fmt::Debug for Batcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Batcher").field("rows", &self.rows).finish_non_exhaustive()
    }
}

impl Batcher {
    pub(crate) fn new(columns: &[Column]) -> Self {
        let mut b =
            Batcher { columns: columns.to_vec(), schema: schema(columns), builders: Vec::new(), rows: 0 };
        b.reset();
        b
    }

    fn reset(&mut self) {
        self.rows = 0;
        self.builders = self
            .columns
            .iter()
            .map(|c| match c.kind {
                Kind::Uuid => Builder::Uuid(FixedSizeBinaryBuilder::new(16)),
                Kind::Time => Builder::Time(TimestampMicrosecondBuilder::new().with_timezone("UTC")),
                Kind::Day => Builder::Day(Date32Builder::new()),
                Kind::Money => {
                    Builder::Money(Decimal128Builder::new().with_data_type(DataType::Decimal128(10, 2)))
                }
                Kind::Text | Kind::Json => Builder::Text(StringBuilder::new()),
                Kind::Int => Builder::Int(Int32Builder::new()),
                Kind::Float => Builder::Float(Float64Builder::new()),
                Kind::Bool => Builder::Bool(BooleanBuilder::new()),
            })
            .collect();
    }

    pub(crate) fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }

    pub(crate) fn len(&self) -> usize {
        self.rows
    }

    /// Appends one query row (its columns in the order of `columns`).
    pub(crate) fn push(&mut self, row: &PgRow) -> Result<(), TableError> {
        for (i, (c, b)) in self.columns.iter().zip(self.builders.iter_mut()).enumerate() {
            let read = |source| TableError::Read { column: c.name, source };
            match b {
                Builder::Uuid(b) => match row.try_get::<Option<Uuid>, _>(i).map_err(read)? {
                    Some(v) => b.append_value(v.as_bytes())?,
                    None => b.append_null(),
                },
                Builder::Time(b) => b.append_option(
                    row.try_get::<Option<DateTime<Utc>>, _>(i).map_err(read)?.map(|t| t.timestamp_micros()),
                ),
                Builder::Day(b) => b.append_option(
                    row.try_get::<Option<NaiveDate>, _>(i)
                        .map_err(read)?
                        .map(|d| (d - EPOCH_DAY).num_days() as i32),
                ),
                Builder::Money(b) => match row.try_get::<Option<Decimal>, _>(i).map_err(read)? {
                    Some(d) => b.append_value(money_units(c.name, d)?),
                    None => b.append_null(),
                },
                Builder::Text(b) => b.append_option(row.try_get::<Option<String>, _>(i).map_err(read)?),
                Builder::Int(b) => b.append_option(row.try_get::<Option<i32>, _>(i).map_err(read)?),
                Builder::Float(b) => b.append_option(row.try_get::<Option<f64>, _>(i).map_err(read)?),
                Builder::Bool(b) => b.append_option(row.try_get::<Option<bool>, _>(i).map_err(read)?),
            }
        }
        self.rows += 1;
        Ok(())
    }

    /// The rows pushed since the last call, as one batch.
    pub(crate) fn finish(&mut self) -> Result<RecordBatch, TableError> {
        let arrays: Vec<ArrayRef> = self
            .builders
            .iter_mut()
            .map(|b| -> ArrayRef {
                match b {
                    Builder::Uuid(b) => Arc::new(b.finish()),
                    Builder::Time(b) => Arc::new(b.finish()),
                    Builder::Day(b) => Arc::new(b.finish()),
                    Builder::Money(b) => Arc::new(b.finish()),
                    Builder::Text(b) => Arc::new(b.finish()),
                    Builder::Int(b) => Arc::new(b.finish()),
                    Builder::Float(b) => Arc::new(b.finish()),
                    Builder::Bool(b) => Arc::new(b.finish()),
                }
            })
            .collect();
        self.rows = 0;
        Ok(RecordBatch::try_new(self.schema(), arrays)?)
    }
}

/// The writer properties of every Parquet file we write: zstd (level 3).
fn properties() -> Result<WriterProperties, TableError> {
    Ok(WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::try_new(3)?))
        .set_created_by(format!("amazcope {}", env!("CARGO_PKG_VERSION")))
        .build())
}

/// Batches into a Parquet file: the one Parquet writer of the archive and the export.
pub(crate) struct ParquetSink<W: Write + Send> {
    writer: ArrowWriter<W>,
}

impl<W: Write + Send> std::fmt::Debug for ParquetSink<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ParquetSink").finish_non_exhaustive()
    }
}

impl<W: Write + Send> ParquetSink<W> {
    pub(crate) fn new(out: W, schema: SchemaRef) -> Result<Self, TableError> {
        Ok(ParquetSink { writer: ArrowWriter::try_new(out, schema, Some(properties()?))? })
    }

    pub(crate) fn write(&mut self, batch: &RecordBatch) -> Result<(), TableError> {
        Ok(self.writer.write(batch)?)
    }

    /// Writes the footer and returns the output.
    pub(crate) fn finish(self) -> Result<W, TableError> {
        Ok(self.writer.into_inner()?)
    }
}

/// Batches as CSV with a header row: money as exact decimals, times in RFC 3339 UTC.
pub(crate) struct CsvSink<W: Write> {
    out: W,
    header_written: bool,
}

impl<W: Write> std::fmt::Debug for CsvSink<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CsvSink").finish_non_exhaustive()
    }
}

fn csv_field(out: &mut impl Write, s: &str) -> std::io::Result<()> {
    if s.contains([',', '"', '\n', '\r']) {
        write!(out, "\"{}\"", s.replace('"', "\"\""))
    } else {
        out.write_all(s.as_bytes())
    }
}

impl<W: Write> CsvSink<W> {
    pub(crate) fn new(out: W) -> Self {
        CsvSink { out, header_written: false }
    }

    pub(crate) fn write(&mut self, batch: &RecordBatch) -> Result<(), TableError> {
        let schema = batch.schema();
        if !self.header_written {
            let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
            for (i, n) in names.iter().enumerate() {
                if i > 0 {
                    self.out.write_all(b",")?;
                }
                csv_field(&mut self.out, n)?;
            }
            self.out.write_all(b"\n")?;
            self.header_written = true;
        }
        for row in 0..batch.num_rows() {
            for (i, array) in batch.columns().iter().enumerate() {
                if i > 0 {
                    self.out.write_all(b",")?;
                }
                if let Some(text) = cell_text(array.as_ref(), row) {
                    csv_field(&mut self.out, &text)?;
                }
            }
            self.out.write_all(b"\n")?;
        }
        Ok(())
    }

    pub(crate) fn finish(mut self) -> Result<W, TableError> {
        self.out.flush()?;
        Ok(self.out)
    }
}

/// One cell as text (`None` for NULL).
fn cell_text(array: &dyn Array, row: usize) -> Option<String> {
    if array.is_null(row) {
        return None;
    }
    let any = array.as_any();
    if let Some(a) = any.downcast_ref::<StringArray>() {
        return Some(a.value(row).to_string());
    }
    if let Some(a) = any.downcast_ref::<Decimal128Array>() {
        return Some(Decimal::from_i128_with_scale(a.value(row), a.scale() as u32).to_string());
    }
    if let Some(a) = any.downcast_ref::<TimestampMicrosecondArray>() {
        return DateTime::from_timestamp_micros(a.value(row))
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true));
    }
    if let Some(a) = any.downcast_ref::<Date32Array>() {
        return EPOCH_DAY
            .checked_add_signed(chrono::Duration::days(i64::from(a.value(row))))
            .map(|d| d.to_string());
    }
    if let Some(a) = any.downcast_ref::<FixedSizeBinaryArray>() {
        return Uuid::from_slice(a.value(row)).ok().map(|u| u.to_string());
    }
    if let Some(a) = any.downcast_ref::<Int32Array>() {
        return Some(a.value(row).to_string());
    }
    if let Some(a) = any.downcast_ref::<Float64Array>() {
        return Some(a.value(row).to_string());
    }
    if let Some(a) = any.downcast_ref::<BooleanArray>() {
        return Some(a.value(row).to_string());
    }
    None
}

/// A column of an archived batch as a PostgreSQL array parameter.
pub(crate) enum Bind {
    Uuid(Vec<Option<Uuid>>),
    Time(Vec<Option<DateTime<Utc>>>),
    Money(Vec<Option<Decimal>>),
    Text(Vec<Option<String>>),
    Int(Vec<Option<i32>>),
    Float(Vec<Option<f64>>),
    Bool(Vec<Option<bool>>),
}

impl std::fmt::Debug for Bind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Bind")
    }
}

impl Bind {
    /// The array type to cast the parameter to.
    pub(crate) fn sql_type(&self) -> &'static str {
        match self {
            Bind::Uuid(_) => "uuid[]",
            Bind::Time(_) => "timestamptz[]",
            Bind::Money(_) => "numeric[]",
            Bind::Text(_) => "text[]",
            Bind::Int(_) => "int4[]",
            Bind::Float(_) => "float8[]",
            Bind::Bool(_) => "bool[]",
        }
    }

    pub(crate) fn bind<'q>(
        self,
        q: sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments>,
    ) -> sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments> {
        match self {
            Bind::Uuid(v) => q.bind(v),
            Bind::Time(v) => q.bind(v),
            Bind::Money(v) => q.bind(v),
            Bind::Text(v) => q.bind(v),
            Bind::Int(v) => q.bind(v),
            Bind::Float(v) => q.bind(v),
            Bind::Bool(v) => q.bind(v),
        }
    }
}

fn wrong(column: &str, array: &dyn Array) -> TableError {
    TableError::Value {
        column: "archive",
        reason: format!("column {column} has type {}, not the archive's", array.data_type()),
    }
}

/// Column `name` of an archived batch (written with [`SNAPSHOT_COLUMNS`]) as a parameter.
pub(crate) fn bind_column(batch: &RecordBatch, c: &Column) -> Result<Bind, TableError> {
    let array = batch.column_by_name(c.name).ok_or_else(|| TableError::Value {
        column: "archive",
        reason: format!("the file has no column {}", c.name),
    })?;
    let any = array.as_any();
    let n = array.len();
    macro_rules! each {
        ($t:ty, $f:expr) => {{
            let a = any.downcast_ref::<$t>().ok_or_else(|| wrong(c.name, array.as_ref()))?;
            (0..n).map(|i| (!a.is_null(i)).then(|| $f(a, i))).collect::<Vec<_>>()
        }};
    }
    Ok(match c.kind {
        Kind::Uuid => {
            Bind::Uuid(each!(FixedSizeBinaryArray, |a: &FixedSizeBinaryArray, i| Uuid::from_slice(
                a.value(i)
            )
            .unwrap_or_default()))
        }
        Kind::Time => Bind::Time(each!(TimestampMicrosecondArray, |a: &TimestampMicrosecondArray, i| {
            DateTime::from_timestamp_micros(a.value(i)).unwrap_or_default()
        })),
        Kind::Money => {
            Bind::Money(each!(Decimal128Array, |a: &Decimal128Array, i| Decimal::from_i128_with_scale(
                a.value(i),
                a.scale() as u32
            )))
        }
        Kind::Text | Kind::Json => {
            Bind::Text(each!(StringArray, |a: &StringArray, i| a.value(i).to_string()))
        }
        Kind::Int => Bind::Int(each!(Int32Array, |a: &Int32Array, i| a.value(i))),
        Kind::Float => Bind::Float(each!(Float64Array, |a: &Float64Array, i| a.value(i))),
        Kind::Bool => Bind::Bool(each!(BooleanArray, |a: &BooleanArray, i| a.value(i))),
        Kind::Day => {
            return Err(TableError::Value { column: c.name, reason: "days are not restored".into() });
        }
    })
}
