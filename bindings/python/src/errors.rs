//! Core errors → the Python exception tree in `mikopbx._errors`.
//!
//! The core has already classified the error; this module only reads its accessors (`kind()`,
//! `operation()`, `status()`, `tls_kind()`, `messages()`, `retry_after()`, `resource()`,
//! `required_access()`, `diagnosis()`) and hands them over as keyword arguments, so a new error
//! kind or field needs no change here. The classes live in Python so that they are ordinary,
//! typed, picklable exceptions.

use mikopbx::Error;
use pyo3::IntoPyObjectExt;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyDict;

static FROM_NATIVE: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// The Python exception for a core error.
pub fn to_pyerr(py: Python<'_>, err: &Error) -> PyErr {
    match build(py, err) {
        Ok(exc) => PyErr::from_value(exc),
        Err(e) => e,
    }
}

/// `InvalidKey` → `invalid_key`: the snake_case name of a unit variant, from its `Debug` form.
fn snake(value: impl std::fmt::Debug) -> String {
    let mut out = String::new();
    for (i, c) in format!("{value:?}").chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

fn build<'py>(py: Python<'py>, err: &Error) -> PyResult<Bound<'py, PyAny>> {
    let from_native = FROM_NATIVE
        .get_or_try_init(py, || -> PyResult<Py<PyAny>> {
            Ok(py
                .import("mikopbx._errors")?
                .getattr("_from_native")?
                .unbind())
        })?
        .bind(py);
    let fields = PyDict::new(py);
    fields.set_item("operation", err.operation())?;
    fields.set_item("status", err.status())?;
    fields.set_item("tls_kind", err.tls_kind().map(|k| k.as_str()))?;
    fields.set_item("messages", err.messages().to_vec())?;
    fields.set_item("retry_after", err.retry_after().map(|d| d.as_secs_f64()))?;
    fields.set_item("resource", err.resource().map(|r| r.segment()))?;
    fields.set_item("required", err.required_access().map(|a| a.as_str()))?;
    if let Some(diagnosis) = err.diagnosis() {
        fields.set_item("cause", snake(diagnosis.cause))?;
        fields.set_item("ruled_out", diagnosis.ruled_out.clone())?;
        fields.set_item("remaining", diagnosis.remaining.clone())?;
    }
    // The core has no accessors for these two (yet).
    if let Error::PermissionDenied {
        granted,
        origin,
        allowed_path,
        ..
    } = err
    {
        fields.set_item("allowed_path", allowed_path)?;
        fields.set_item("granted", granted.map(|a| a.as_str()))?;
        fields.set_item("origin", snake(origin))?;
    }
    from_native.call1((err.kind().as_str(), err.to_string(), fields))
}

/// The kind names of the core's errors, for the test that every kind has its exception class.
#[pyfunction]
pub fn error_kinds() -> Vec<&'static str> {
    mikopbx::ErrorKind::ALL.iter().map(|k| k.as_str()).collect()
}

/// A core result on its way to Python: converting it raises the matching exception. It is `Send`,
/// so it can be the output of a `future_into_py` future; the exception object is built only once
/// the GIL is held.
pub struct Reply<T>(pub Result<T, Error>);

impl<'py, T> IntoPyObject<'py> for Reply<T>
where
    T: IntoPyObject<'py>,
{
    type Target = PyAny;
    type Output = Bound<'py, PyAny>;
    type Error = PyErr;

    fn into_pyobject(self, py: Python<'py>) -> PyResult<Self::Output> {
        match self.0 {
            Ok(value) => value.into_bound_py_any(py),
            Err(err) => Err(to_pyerr(py, &err)),
        }
    }
}

/// A value the core builds once the GIL is held (`mikopbx::python::PyValue`).
pub struct Built(pub mikopbx::python::PyValue);

impl<'py> IntoPyObject<'py> for Built {
    type Target = PyAny;
    type Output = Bound<'py, PyAny>;
    type Error = PyErr;

    fn into_pyobject(self, py: Python<'py>) -> PyResult<Self::Output> {
        Ok((self.0)(py)?.into_bound(py))
    }
}
