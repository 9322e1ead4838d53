//! Column-wise tables out: rows are gathered into Arrow arrays in Rust and handed to Python
//! as a `pyarrow.Table` through the Arrow PyCapsule stream interface, so no Python object is
//! made per row and `pl.from_arrow` / `.to_pandas()` read the buffers as they are.

use crate::convert::decimal_to_i128;
use arrow_array::builder::{
    BooleanBuilder, Decimal128Builder, Float64Builder, Int32Builder, Int64Builder, StringBuilder,
    TimestampMicrosecondBuilder,
};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{Field, Schema};
use chrono::{DateTime, Utc};
use pyo3::prelude::*;
use pyo3_arrow::PyTable;
use rust_decimal::Decimal;
use std::sync::Arc;

/// Precision and scale of money columns: the schema's `numeric(10,2)`.
pub const MONEY_PRECISION: u8 = 10;
/// See [`MONEY_PRECISION`].
pub const MONEY_SCALE: i8 = 2;

/// A table under construction, one column at a time.
#[derive(Default)]
pub struct Columns {
    fields: Vec<Field>,
    arrays: Vec<ArrayRef>,
}

impl std::fmt::Debug for Columns {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Columns").field("fields", &self.fields).finish()
    }
}

impl Columns {
    fn push(&mut self, name: &str, array: ArrayRef) {
        self.fields.push(Field::new(name, array.data_type().clone(), true));
        self.arrays.push(array);
    }

    /// A text column.
    pub fn utf8<S: AsRef<str>>(&mut self, name: &str, values: impl IntoIterator<Item = Option<S>>) {
        let mut b = StringBuilder::new();
        for v in values {
            b.append_option(v);
        }
        self.push(name, Arc::new(b.finish()));
    }

    /// A `decimal128(10, 2)` money column.
    pub fn money(&mut self, name: &str, values: impl IntoIterator<Item = Option<Decimal>>) {
        let mut b = Decimal128Builder::new();
        for v in values {
            b.append_option(v.map(|d| decimal_to_i128(d, MONEY_SCALE as u32)));
        }
        let arr = b.finish().with_precision_and_scale(MONEY_PRECISION, MONEY_SCALE);
        match arr {
            Ok(a) => self.push(name, Arc::new(a)),
            // Precision 10 / scale 2 are constants within arrow's limits; keep the column
            // rather than panic if that ever changes.
            Err(_) => self.utf8(name, std::iter::empty::<Option<&str>>()),
        }
    }

    /// A `timestamp[us, tz=UTC]` column.
    pub fn time(&mut self, name: &str, values: impl IntoIterator<Item = Option<DateTime<Utc>>>) {
        let mut b = TimestampMicrosecondBuilder::new();
        for v in values {
            b.append_option(v.map(|t| t.timestamp_micros()));
        }
        self.push(name, Arc::new(b.finish().with_timezone("UTC")));
    }

    /// An `int32` column.
    pub fn i32(&mut self, name: &str, values: impl IntoIterator<Item = Option<i32>>) {
        let mut b = Int32Builder::new();
        for v in values {
            b.append_option(v);
        }
        self.push(name, Arc::new(b.finish()));
    }

    /// An `int64` column.
    pub fn i64(&mut self, name: &str, values: impl IntoIterator<Item = Option<i64>>) {
        let mut b = Int64Builder::new();
        for v in values {
            b.append_option(v);
        }
        self.push(name, Arc::new(b.finish()));
    }

    /// A `float64` column.
    pub fn f64(&mut self, name: &str, values: impl IntoIterator<Item = Option<f64>>) {
        let mut b = Float64Builder::new();
        for v in values {
            b.append_option(v);
        }
        self.push(name, Arc::new(b.finish()));
    }

    /// A `bool` column.
    pub fn bool(&mut self, name: &str, values: impl IntoIterator<Item = Option<bool>>) {
        let mut b = BooleanBuilder::new();
        for v in values {
            b.append_option(v);
        }
        self.push(name, Arc::new(b.finish()));
    }

    /// The schema and one record batch.
    pub fn finish(self) -> PyResult<(Arc<Schema>, Vec<RecordBatch>)> {
        let schema = Arc::new(Schema::new(self.fields));
        let batch = RecordBatch::try_new(schema.clone(), self.arrays)
            .map_err(|e| crate::errors::DatabaseError::new_err(format!("cannot build the table: {e}")))?;
        Ok((schema, vec![batch]))
    }

    /// Into a `pyarrow.Table`.
    pub fn into_pyarrow(self, py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
        let (schema, batches) = self.finish()?;
        PyTable::try_new(batches, schema)?.into_pyarrow(py)
    }
}
