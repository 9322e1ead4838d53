//! Column-wise tables out: rows are gathered into Arrow arrays in Rust and handed to Python
//! as a `pyarrow.Table` through the Arrow PyCapsule stream interface, so no Python object is
//! made per row and `pl.from_arrow` / `.to_pandas()` read the buffers as they are.
//!
//! The hand-over is arrow-rs's own C stream export (`ffi_stream`): a small object whose
//! `__arrow_c_stream__` returns the stream in a capsule named `arrow_array_stream`, passed to
//! `pyarrow.table()`, which accepts such objects from pyarrow 14 (the floor in pyproject.toml)
//! and imports them with `RecordBatchReader._import_from_c_capsule(..).read_all()`. Going
//! through `pyarrow.table()` rather than calling that private importer directly keeps what
//! Python sees as it was with pyo3-arrow, whose `into_pyarrow` made the same call (pyo3-arrow
//! did no more for us than this, and cost arrow-cast, arrow-select and arrow-ord in the build).

use crate::convert::decimal_to_i128;
use amazcope_core::analytics::{FieldKind, TrendValue};
use amazcope_core::model::suggestion::SuggestionAction;
use arrow_array::builder::{
    ArrayBuilder, BooleanBuilder, Decimal128Builder, Float64Builder, Int32Builder, Int64Builder, ListBuilder,
    StringBuilder, StructBuilder, TimestampMicrosecondBuilder,
};
use arrow_array::ffi_stream::FFI_ArrowArrayStream;
use arrow_array::{ArrayRef, RecordBatch, RecordBatchIterator};
use arrow_schema::{DataType, Field, Fields, Schema, TimeUnit};
use chrono::{DateTime, Utc};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::PyCapsule;
use rust_decimal::Decimal;
use std::ffi::CStr;
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
    /// The number of rows (of the first column; 0 without columns).
    pub fn rows(&self) -> usize {
        self.arrays.first().map_or(0, |a| a.len())
    }

    /// Adds a finished array as the next column.
    pub fn push(&mut self, name: &str, array: ArrayRef) {
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

    /// A column of trend values of one kind: `decimal128(10,2)` for money, `int64`,
    /// `float64` or `bool` (a value of another kind than `kind` is left null).
    pub fn trend(&mut self, name: &str, kind: FieldKind, values: Vec<Option<TrendValue>>) {
        match kind {
            FieldKind::Money => self.money(
                name,
                values.into_iter().map(|v| match v {
                    Some(TrendValue::Money(d)) => Some(d),
                    _ => None,
                }),
            ),
            FieldKind::Integer => self.i64(
                name,
                values.into_iter().map(|v| match v {
                    Some(TrendValue::Integer(i)) => Some(i),
                    _ => None,
                }),
            ),
            FieldKind::Float => self.f64(
                name,
                values.into_iter().map(|v| match v {
                    Some(TrendValue::Float(f)) => Some(f),
                    Some(TrendValue::Integer(i)) => Some(i as f64),
                    _ => None,
                }),
            ),
            FieldKind::Boolean => self.bool(
                name,
                values.into_iter().map(|v| match v {
                    Some(TrendValue::Boolean(b)) => Some(b),
                    _ => None,
                }),
            ),
        }
    }

    /// A `list<struct<id, action_type, target_field, current_value, proposed_value,
    /// reasoning, impact_description, status, applied_at, error_message>>` column: the
    /// actions of each suggestion, nested so one table row stays one suggestion.
    pub fn actions<'a>(&mut self, name: &str, values: impl IntoIterator<Item = &'a [SuggestionAction]>) {
        const TEXT: [&str; 8] = [
            "id",
            "action_type",
            "target_field",
            "current_value",
            "proposed_value",
            "reasoning",
            "impact_description",
            "status",
        ];
        let mut fields: Vec<Field> = TEXT.iter().map(|n| Field::new(*n, DataType::Utf8, true)).collect();
        fields.push(Field::new(
            "applied_at",
            DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            true,
        ));
        fields.push(Field::new("error_message", DataType::Utf8, true));
        let fields = Fields::from(fields);
        let mut builders: Vec<Box<dyn ArrayBuilder>> =
            TEXT.iter().map(|_| Box::new(StringBuilder::new()) as Box<dyn ArrayBuilder>).collect();
        builders.push(Box::new(TimestampMicrosecondBuilder::new().with_timezone("UTC")));
        builders.push(Box::new(StringBuilder::new()));
        let item = Field::new("item", DataType::Struct(fields.clone()), true);
        let mut list = ListBuilder::new(StructBuilder::new(fields, builders)).with_field(Arc::new(item));
        for actions in values {
            let st = list.values();
            for a in actions {
                let text: [Option<String>; 8] = [
                    Some(a.id.to_string()),
                    Some(a.action_type.as_str().to_owned()),
                    Some(a.target_field.clone()),
                    a.current_value.clone(),
                    Some(a.proposed_value.clone()),
                    Some(a.reasoning.clone()),
                    a.impact_description.clone(),
                    Some(a.status.as_str().to_owned()),
                ];
                for (i, v) in text.into_iter().enumerate() {
                    if let Some(b) = st.field_builder::<StringBuilder>(i) {
                        b.append_option(v);
                    }
                }
                if let Some(b) = st.field_builder::<TimestampMicrosecondBuilder>(TEXT.len()) {
                    b.append_option(a.applied_at.map(|t| t.timestamp_micros()));
                }
                if let Some(b) = st.field_builder::<StringBuilder>(TEXT.len() + 1) {
                    b.append_option(a.error_message.clone());
                }
                st.append(true);
            }
            list.append(true);
        }
        self.push(name, Arc::new(list.finish()));
    }

    /// The schema and one record batch.
    pub fn finish(self) -> PyResult<(Arc<Schema>, Vec<RecordBatch>)> {
        let schema = Arc::new(Schema::new(self.fields));
        let batch = RecordBatch::try_new(schema.clone(), self.arrays)
            .map_err(|e| crate::errors::DatabaseError::new_err(format!("cannot build the table: {e}")))?;
        Ok((schema, vec![batch]))
    }

    /// Tables of the same columns into one `pyarrow.Table`, one record batch each (no
    /// copy: a batch becomes a chunk of every column).
    pub fn concat_into_pyarrow(parts: Vec<Columns>, py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
        let mut schema = None;
        let mut batches = Vec::with_capacity(parts.len());
        for part in parts {
            let (s, b) = part.finish()?;
            schema.get_or_insert(s);
            batches.extend(b);
        }
        let schema = schema.ok_or_else(|| crate::errors::DatabaseError::new_err("no table to build"))?;
        batches_into_pyarrow(py, schema, batches)
    }

    /// Into a `pyarrow.Table`.
    pub fn into_pyarrow(self, py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
        let (schema, batches) = self.finish()?;
        batches_into_pyarrow(py, schema, batches)
    }
}

/// The capsule name the Arrow PyCapsule interface gives a C stream (`ArrowArrayStream`).
const STREAM_CAPSULE_NAME: &CStr = c"arrow_array_stream";

/// Record batches of one schema, exported to Python through the Arrow PyCapsule stream
/// interface. Not registered in the module: Python only ever sees the `pyarrow.Table` built
/// from it.
#[pyclass(frozen)]
#[derive(Debug)]
struct ArrowStream {
    schema: Arc<Schema>,
    batches: Vec<RecordBatch>,
}

#[pymethods]
impl ArrowStream {
    /// The batches as an `ArrowArrayStream` capsule. Each call exports the same batches again
    /// (a batch clone shares its buffers). `requested_schema` is ignored, as the interface
    /// allows: `pyarrow.table()` passes one only when it is given a schema, and we never do.
    #[pyo3(signature = (requested_schema = None))]
    fn __arrow_c_stream__<'py>(
        &self,
        py: Python<'py>,
        requested_schema: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyCapsule>> {
        drop(requested_schema);
        let reader =
            RecordBatchIterator::new(self.batches.clone().into_iter().map(Ok), Arc::clone(&self.schema));
        // pyarrow moves the stream out of the capsule (leaving its release callback null), so
        // the capsule's destructor, which drops this value, releases it only if never imported.
        PyCapsule::new_with_value(py, FFI_ArrowArrayStream::new(Box::new(reader)), STREAM_CAPSULE_NAME)
    }
}

/// Record batches of one schema into a `pyarrow.Table` whose chunks are the batches, without
/// copying a buffer.
fn batches_into_pyarrow(
    py: Python<'_>,
    schema: Arc<Schema>,
    batches: Vec<RecordBatch>,
) -> PyResult<Bound<'_, PyAny>> {
    let stream = Bound::new(py, ArrowStream { schema, batches })?;
    py.import(intern!(py, "pyarrow"))?.getattr(intern!(py, "table"))?.call1((stream,))
}
