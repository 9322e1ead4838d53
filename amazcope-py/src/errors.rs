//! The Python exception tree (`amazcope.errors`) and the mapping of every core error into it.
//!
//! `ValidationError`, `NotFound` and `ParseError` also subclass a builtin (`ValueError`,
//! `LookupError`), as pydantic's `ValidationError` does, so `except ValueError` keeps working
//! for callers who do not know our tree. `create_exception!` takes one base only, so those
//! three are made at first use with `type(name, (AmazcopeError, builtin), ...)`.
//!
//! Messages say a thing once: the error's own words, and its causes (a driver's message)
//! as the Python exception's `__cause__`, never glued into one line. Anything shown passes
//! through [`mask_passwords`], so no database password reaches a traceback.

use amazcope_core::{FetchFailure, ProductRef, ServiceError, StoreError, ValidationError};
use amazcope_pg::backup::BackupError;
use amazcope_pg::cluster::ClusterError;
use amazcope_pg::inspect::InspectError;
use amazcope_pg::partitions::PartitionError;
use amazcope_pg::{ConnectError, MigrationError};
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
    /// A product the acting user does not track (or that does not exist: the same answer,
    /// so one user cannot probe another's products).
    NotTracked {
        /// The user as they named themselves.
        user: String,
        /// The product as the user named it.
        product: ProductRef,
    },
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
    Parse(amazcope_scrape::ParseError),
    /// The database could not be reached or is unusable.
    Connect(ConnectError),
    /// Applying or reading migrations failed.
    Migration(MigrationError),
    /// The private PostgreSQL cluster could not be used.
    Cluster(ClusterError),
    /// Reading table sizes failed.
    Inspect(InspectError),
    /// Reading the partitions failed.
    Partition(PartitionError),
    /// A backup or a restore failed (`client.db.backup()`/`.restore()`).
    Backup(BackupError),
    /// The history COPY stream was not what PostgreSQL's binary format says.
    HistoryStream {
        /// What was wrong with it.
        what: String,
    },
    /// The process-wide async runtime could not start, or one of its tasks died.
    Runtime(String),
    /// A chart could not be drawn (no history in the range, a bad size).
    Chart(String),
    /// A Python error raised while we ran (Ctrl-C, a failed conversion).
    Py(PyErr),
}

macro_rules! from_error {
    ($($ty:ty => $variant:ident),* $(,)?) => {
        $(impl From<$ty> for Error {
            fn from(e: $ty) -> Self {
                Error::$variant(e)
            }
        })*
    };
}

from_error!(
    ValidationError => Validation,
    FetchFailure => Fetch,
    amazcope_scrape::ParseError => Parse,
    ConnectError => Connect,
    MigrationError => Migration,
    ClusterError => Cluster,
    InspectError => Inspect,
    PartitionError => Partition,
    BackupError => Backup,
    PyErr => Py,
);

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Invalid(v) => Error::Validation(v),
            other => Error::Store(other),
        }
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

impl Error {
    /// A product not found for `user` becomes [`Error::NotTracked`], in the user's words.
    pub fn not_tracked(self, user: &str, product: ProductRef) -> Self {
        match self {
            Error::Store(StoreError::NotFound { entity: "product", .. }) => {
                Error::NotTracked { user: user.to_owned(), product }
            }
            other => other,
        }
    }
}

/// `text` with the password of every `scheme://user:password@host` in it replaced by `***`.
pub fn mask_passwords(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        let (head, tail) = rest.split_at(i + 3);
        out.push_str(head);
        // The credentials end at the last '@' before the path; a ':' in them starts the
        // password.
        let authority_end = tail.find(['/', '?', '#', ' ', '\n', '"', '\'']).unwrap_or(tail.len());
        let authority = &tail[..authority_end];
        match authority.rfind('@').map(|at| (at, authority[..at].find(':'))) {
            Some((at, Some(colon))) => {
                out.push_str(&authority[..=colon]);
                out.push_str("***");
                out.push_str(&authority[at..]);
            }
            _ => out.push_str(authority),
        }
        rest = &tail[authority_end..];
    }
    out.push_str(rest);
    out
}

/// Builds an instance of `ty` with `message` (passwords masked) and sets `attrs` on it.
fn instance(ty: &Bound<'_, PyType>, message: String, attrs: &[(&str, Option<String>)]) -> PyErr {
    let build = || -> PyResult<PyErr> {
        let exc = ty.call1((mask_passwords(&message),))?;
        for (name, value) in attrs {
            exc.setattr(*name, value.clone())?;
        }
        Ok(PyErr::from_value(exc))
    };
    build().unwrap_or_else(|e| e)
}

/// A `DatabaseError` saying `e`, with `e`'s sources (the driver's own words) as its
/// `__cause__`.
fn database_error(py: Python<'_>, e: &dyn std::error::Error) -> PyErr {
    let err = DatabaseError::new_err(mask_passwords(&e.to_string()));
    let mut causes: Vec<String> = Vec::new();
    let mut next = e.source();
    while let Some(s) = next {
        // A wrapper often shows its source's text already (sqlx's I/O error does): say it once.
        let text = s.to_string();
        if !causes.last().is_some_and(|prev| prev.contains(&text)) {
            causes.push(text);
        }
        next = s.source();
    }
    if !causes.is_empty() {
        err.set_cause(py, Some(DatabaseError::new_err(mask_passwords(&causes.join(": ")))));
    }
    err
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
            Error::NotTracked { user, product } => match not_found_type(py) {
                Ok(ty) => instance(
                    &ty,
                    format!("{user} does not track {product}"),
                    &[("entity", Some("product".into())), ("id", Some(product.to_string()))],
                ),
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
                // The detail says what collided; the constraint is an attribute, not words.
                StoreError::Conflict { constraint, detail } => {
                    instance(&py.get_type::<ConflictError>(), detail, &[("constraint", Some(constraint))])
                }
                StoreError::InvalidTransition { .. } => {
                    instance(&py.get_type::<ConflictError>(), s.to_string(), &[("constraint", None)])
                }
                StoreError::Invalid(v) => Error::Validation(v).into_pyerr(py),
                StoreError::Backend { ref message, .. } => {
                    DatabaseError::new_err(mask_passwords(&format!("database error: {message}")))
                }
            },
            Error::Fetch(f) => {
                let url = match &f {
                    FetchFailure::Captcha { url }
                    | FetchFailure::Throttled { url, .. }
                    | FetchFailure::NotFound { url }
                    | FetchFailure::GaveUp { url, .. }
                    | FetchFailure::Cancelled { url } => url.clone(),
                };
                // The captcha is known from the failure's variant, never from its text.
                let ty = if matches!(f, FetchFailure::Captcha { .. }) {
                    py.get_type::<CaptchaError>()
                } else {
                    py.get_type::<FetchError>()
                };
                instance(&ty, f.to_string(), &[("url", Some(url))])
            }
            Error::Page { source_name, what } => instance(
                &py.get_type::<FetchError>(),
                format!("unusable page {source_name}: {what}"),
                &[("url", Some(source_name))],
            ),
            Error::Parse(e) => match parse_error_type(py) {
                Ok(ty) => instance(&ty, e.to_string(), &[]),
                Err(err) => err,
            },
            Error::Connect(e) => database_error(py, &e),
            Error::Migration(e) => database_error(py, &e),
            Error::Cluster(e) => database_error(py, &e),
            Error::Inspect(e) => database_error(py, &e),
            Error::Partition(e) => database_error(py, &e),
            Error::Backup(e) => database_error(py, &e),
            Error::HistoryStream { what } => {
                DatabaseError::new_err(format!("the history stream from the database is malformed: {what}"))
            }
            Error::Runtime(what) => AmazcopeError::new_err(what),
            Error::Chart(what) => PyValueError::new_err(what),
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

#[cfg(test)]
mod tests {
    use super::mask_passwords;

    #[test]
    fn passwords_are_masked_wherever_a_url_appears() {
        assert_eq!(
            mask_passwords("cannot use postgres://ana:s3cr@t@db.example:5432/x?sslmode=require now"),
            "cannot use postgres://ana:***@db.example:5432/x?sslmode=require now"
        );
        assert_eq!(mask_passwords("postgres://ana@h/x and http://h/p"), "postgres://ana@h/x and http://h/p");
        assert_eq!(mask_passwords("no url"), "no url");
    }
}
