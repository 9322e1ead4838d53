//! The Python exception tree (`amazcope.errors`) and the mapping of every core error into it.
//!
//! `ValidationError`, `NotFound` and `ParseError` also subclass a builtin (`ValueError`,
//! `LookupError`), as pydantic's `ValidationError` does, so `except ValueError` keeps working
//! for callers who do not know our tree. `create_exception!` takes one base only, so those
//! three are made at first use with `type(name, (AmazcopeError, builtin), ...)`.

use amazcope_core::{FetchFailure, ServiceError, StoreError, ValidationError};
use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyLookupError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyTuple, PyType};

create_exception!(
    amazcope.errors,
    AmazcopeError,
    PyException,
    "Base class of every error raised by amazcope."
);
create_exception!(
    amazcope.errors,
    ConflictError,
    AmazcopeError,
    "A uniqueness or state rule refused the change (tracking a product twice, a user name taken)."
);
create_exception!(
    amazcope.errors,
    DatabaseError,
    AmazcopeError,
    "The database failed for a reason that is not about the data (connection, I/O, migration)."
);
create_exception!(
    amazcope.errors,
    FetchError,
    AmazcopeError,
    "A page could not be fetched or read (throttled, gone, cancelled, unusable)."
);
create_exception!(
    amazcope.errors,
    CaptchaError,
    FetchError,
    "Amazon answered with a robot check instead of the page."
);

static VALIDATION_ERROR: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static NOT_FOUND: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static PARSE_ERROR: PyOnceLock<Py<PyType>> = PyOnceLock::new();

fn make_type<'py>(
    py: Python<'py>,
    cell: &'static PyOnceLock<Py<PyType>>,
    name: &str,
    builtin: Bound<'py, PyType>,
    doc: &str,
) -> PyResult<Bound<'py, PyType>> {
    let ty = cell.get_or_try_init(py, || -> PyResult<Py<PyType>> {
        let bases = PyTuple::new(py, [py.get_type::<AmazcopeError>(), builtin])?;
        let ns = PyDict::new(py);
        ns.set_item("__module__", "amazcope.errors")?;
        ns.set_item("__doc__", doc)?;
        let made = py.get_type::<PyType>().call1((name, bases, ns))?;
        Ok(made.cast_into::<PyType>()?.unbind())
    })?;
    Ok(ty.bind(py).clone())
}

/// `ValidationError(AmazcopeError, ValueError)`.
pub fn validation_error_type(py: Python<'_>) -> PyResult<Bound<'_, PyType>> {
    make_type(
        py,
        &VALIDATION_ERROR,
        "ValidationError",
        py.get_type::<PyValueError>(),
        "A value broke its rule; `.field` names the field and `.value` holds the value given.",
    )
}

/// `NotFound(AmazcopeError, LookupError)`.
pub fn not_found_type(py: Python<'_>) -> PyResult<Bound<'_, PyType>> {
    make_type(
        py,
        &NOT_FOUND,
        "NotFound",
        py.get_type::<PyLookupError>(),
        "The entity does not exist or belongs to another user; `.entity` and `.id` say which.",
    )
}

/// `ParseError(AmazcopeError, ValueError)`.
pub fn parse_error_type(py: Python<'_>) -> PyResult<Bound<'_, PyType>> {
    make_type(
        py,
        &PARSE_ERROR,
        "ParseError",
        py.get_type::<PyValueError>(),
        "A page could not be read at all (not HTML, or no recognisable Amazon page).",
    )
}

/// Every failure a binding call can end with, converted into the Python tree at the
/// boundary (`From<Error> for PyErr`), so no Rust error or panic reaches Python as a bare
/// `RuntimeError`.
#[derive(Debug)]
pub enum Error {
    /// A value broke its rule.
    Validation(ValidationError),
    /// Storage failed or refused.
    Store(StoreError),
    /// Fetching failed.
    Fetch(FetchFailure),
    /// A page was fetched or read but is unusable.
    Page {
        /// File or URL.
        source_name: String,
        /// Why.
        what: String,
    },
    /// A page could not be parsed.
    Parse(String),
    /// A database-level failure outside the repositories (connect, migrate, cluster).
    Database(String),
    /// A Python error raised while we ran (Ctrl-C, a failed conversion).
    Py(PyErr),
}

impl From<ValidationError> for Error {
    fn from(e: ValidationError) -> Self {
        Error::Validation(e)
    }
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Invalid(v) => Error::Validation(v),
            other => Error::Store(other),
        }
    }
}

impl From<FetchFailure> for Error {
    fn from(e: FetchFailure) -> Self {
        Error::Fetch(e)
    }
}

impl From<ServiceError> for Error {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::Invalid(v) => Error::Validation(v),
            ServiceError::Store(s) => s.into(),
            ServiceError::Fetch(f) => Error::Fetch(f),
            ServiceError::Page { source_name, what } => Error::Page { source_name, what },
        }
    }
}

impl From<PyErr> for Error {
    fn from(e: PyErr) -> Self {
        Error::Py(e)
    }
}

/// Builds an instance of `ty` with `message` and sets `attrs` on it.
fn instance(ty: &Bound<'_, PyType>, message: String, attrs: &[(&str, Option<String>)]) -> PyErr {
    let build = || -> PyResult<PyErr> {
        let exc = ty.call1((message,))?;
        for (name, value) in attrs {
            exc.setattr(*name, value.clone())?;
        }
        Ok(PyErr::from_value(exc))
    };
    build().unwrap_or_else(|e| e)
}

impl Error {
    fn into_pyerr(self, py: Python<'_>) -> PyErr {
        match self {
            Error::Validation(v) => match validation_error_type(py) {
                Ok(ty) => {
                    let msg = v.to_string();
                    instance(
                        &ty,
                        msg,
                        &[
                            ("field", Some(v.field.to_string())),
                            ("value", Some(v.value)),
                            ("reason", Some(v.reason)),
                        ],
                    )
                }
                Err(e) => e,
            },
            Error::Store(s) => match s {
                StoreError::NotFound { entity, ref id } => match not_found_type(py) {
                    Ok(ty) => {
                        let id = id.clone();
                        instance(
                            &ty,
                            s.to_string(),
                            &[("entity", Some(entity.to_string())), ("id", Some(id))],
                        )
                    }
                    Err(e) => e,
                },
                StoreError::Conflict { ref constraint, .. } => {
                    let constraint = constraint.clone();
                    instance(
                        &py.get_type::<ConflictError>(),
                        s.to_string(),
                        &[("constraint", Some(constraint))],
                    )
                }
                StoreError::InvalidTransition { .. } => {
                    instance(&py.get_type::<ConflictError>(), s.to_string(), &[("constraint", None)])
                }
                StoreError::Invalid(v) => Error::Validation(v).into_pyerr(py),
                StoreError::Backend { .. } => DatabaseError::new_err(s.to_string()),
            },
            Error::Fetch(f) => {
                let url = match &f {
                    FetchFailure::Captcha { url }
                    | FetchFailure::Throttled { url, .. }
                    | FetchFailure::NotFound { url }
                    | FetchFailure::GaveUp { url, .. }
                    | FetchFailure::Cancelled { url } => url.clone(),
                };
                let ty = if matches!(f, FetchFailure::Captcha { .. }) {
                    py.get_type::<CaptchaError>()
                } else {
                    py.get_type::<FetchError>()
                };
                instance(&ty, f.to_string(), &[("url", Some(url))])
            }
            Error::Page { source_name, what } => {
                let ty = if what.contains("captcha") {
                    py.get_type::<CaptchaError>()
                } else {
                    py.get_type::<FetchError>()
                };
                instance(&ty, format!("unusable page {source_name}: {what}"), &[("url", Some(source_name))])
            }
            Error::Parse(msg) => match parse_error_type(py) {
                Ok(ty) => instance(&ty, msg, &[]),
                Err(e) => e,
            },
            Error::Database(msg) => DatabaseError::new_err(msg),
            Error::Py(e) => e,
        }
    }
}

impl From<Error> for PyErr {
    fn from(e: Error) -> Self {
        Python::attach(|py| e.into_pyerr(py))
    }
}

/// Result of a binding call.
pub type Result<T, E = Error> = std::result::Result<T, E>;
