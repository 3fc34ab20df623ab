//! Core errors → the Python exception tree in `mikopbx._errors`.
//!
//! The core has already classified the error (`Error::kind()`); this module only carries the kind,
//! the message and the structured fields across. The Python classes live in Python so that they
//! are ordinary, typed, picklable exceptions.

use mikopbx::{DenialOrigin, Error, UnauthorizedCause};
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

fn build<'py>(py: Python<'py>, err: &Error) -> PyResult<Bound<'py, PyAny>> {
    let from_native = FROM_NATIVE
        .get_or_try_init(py, || -> PyResult<Py<PyAny>> {
            Ok(py
                .import("mikopbx._errors")?
                .getattr("_from_native")?
                .unbind())
        })?
        .bind(py);
    let details = PyDict::new(py);
    if !err.messages().is_empty() {
        details.set_item("messages", err.messages().to_vec())?;
    }
    if let Some(after) = err.retry_after() {
        details.set_item("retry_after", after.as_secs_f64())?;
    }
    if let Some(kind) = err.tls_kind() {
        details.set_item("kind", kind.as_str())?;
    }
    if let Some(diagnosis) = err.diagnosis() {
        let cause = match diagnosis.cause {
            UnauthorizedCause::NoKey => "no_key",
            UnauthorizedCause::InvalidKey => "invalid_key",
            UnauthorizedCause::IdQuirk => "id_quirk",
            UnauthorizedCause::Undetermined => "undetermined",
        };
        details.set_item("cause", cause)?;
        details.set_item("ruled_out", diagnosis.ruled_out.clone())?;
        details.set_item("remaining", diagnosis.remaining.clone())?;
    }
    if let Error::PermissionDenied {
        resource,
        required,
        granted,
        origin,
        ..
    } = err
    {
        details.set_item("resource", resource.segment())?;
        details.set_item("required", required.as_str())?;
        details.set_item("granted", granted.map(|a| a.as_str()))?;
        let origin = match origin {
            DenialOrigin::Local => "local",
            DenialOrigin::Server => "server",
        };
        details.set_item("origin", origin)?;
    }
    from_native.call1((
        err.kind().as_str(),
        err.to_string(),
        err.status(),
        err.operation(),
        details,
    ))
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
