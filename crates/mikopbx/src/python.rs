//! What the Python package needs from the core (feature `python`, turned on only by
//! `bindings/python`): the models are `pyclass`es (`cfg_attr(feature = "python", pyclass)` on
//! each), and every operation is reachable by its name through [`call`], which the `api!` blocks
//! generate. Results become Python objects here, straight from the Rust values: no JSON on the
//! way out. Waiting (GIL released, asyncio) and the exception tree are the binding's.

use std::future::Future;
use std::pin::Pin;

use pyo3::prelude::*;
use pyo3::types::PyList;
use pyo3::{PyClass, pyclass_init::PyClassInitializer};
use serde::de::DeserializeOwned;

use crate::auth::ApiKey;
use crate::error::Error;
use crate::operations;
use crate::pagination::Pager;

/// Builds the Python value of a result, once the GIL is held.
pub type PyValue = Box<dyn FnOnce(Python<'_>) -> PyResult<Py<PyAny>> + Send>;

/// A future that resolves to a [`PyValue`].
pub type PyFuture = Pin<Box<dyn Future<Output = Result<PyValue, Error>> + Send>>;

/// One started operation: a future, or a lazy pager (nothing is sent until its first page).
pub enum PyCall {
    /// A single call.
    Future(PyFuture),
    /// A list operation.
    Pager(Box<dyn PyPages>),
}

impl PyCall {
    pub(crate) fn future<T, F>(f: F) -> Self
    where
        T: IntoPython + 'static,
        F: Future<Output = Result<T, Error>> + Send + 'static,
    {
        PyCall::Future(Box::pin(async move {
            let value = f.await?;
            Ok(Box::new(move |py: Python<'_>| value.into_python(py)) as PyValue)
        }))
    }

    pub(crate) fn pager<T>(pager: Pager<T>) -> Self
    where
        T: PyClass + Into<PyClassInitializer<T>> + DeserializeOwned + Send + 'static,
    {
        PyCall::Pager(Box::new(pager))
    }
}

/// A pager whose pages become Python lists of records.
pub trait PyPages: Send {
    /// The next page as a Python list, or `None` at the end.
    fn next_page(
        &mut self,
    ) -> Pin<Box<dyn Future<Output = Result<Option<PyValue>, Error>> + Send + '_>>;
    /// The highest record id seen (CDR lists).
    fn checkpoint(&self) -> Option<i64>;
    /// The total the server reported.
    fn total(&self) -> Option<u64>;
}

impl<T> PyPages for Pager<T>
where
    T: PyClass + Into<PyClassInitializer<T>> + DeserializeOwned + Send + 'static,
{
    fn next_page(
        &mut self,
    ) -> Pin<Box<dyn Future<Output = Result<Option<PyValue>, Error>> + Send + '_>> {
        Box::pin(async move {
            let page = Pager::next_page(self).await?;
            Ok(page.map(|items| Box::new(move |py: Python<'_>| list_of(py, items)) as PyValue))
        })
    }
    fn checkpoint(&self) -> Option<i64> {
        Pager::checkpoint(self)
    }
    fn total(&self) -> Option<u64> {
        Pager::total(self)
    }
}

fn list_of<T: PyClass + Into<PyClassInitializer<T>>>(
    py: Python<'_>,
    items: Vec<T>,
) -> PyResult<Py<PyAny>> {
    let objects = items
        .into_iter()
        .map(|item| Py::new(py, item))
        .collect::<PyResult<Vec<_>>>()?;
    Ok(PyList::new(py, objects)?.into_any().unbind())
}

/// A result as a Python object.
pub trait IntoPython: Send {
    /// Converts, with the GIL held.
    fn into_python(self, py: Python<'_>) -> PyResult<Py<PyAny>>;
}

impl IntoPython for () {
    fn into_python(self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        Ok(py.None())
    }
}

impl IntoPython for bool {
    fn into_python(self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        Ok(pyo3::types::PyBool::new(py, self)
            .to_owned()
            .into_any()
            .unbind())
    }
}

/// A generated key is handed to Python as its text: the caller must store it (the PBX keeps only
/// a hash). It is never logged on the way.
impl IntoPython for ApiKey {
    fn into_python(self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        Ok(pyo3::types::PyString::new(py, self.expose_secret())
            .into_any()
            .unbind())
    }
}

/// Records (`pyclass` models) become instances of their class.
pub struct Record<T>(pub T);

impl<T: PyClass + Into<PyClassInitializer<T>> + Send> IntoPython for Record<T> {
    fn into_python(self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        Ok(Py::new(py, self.0)?.into_any())
    }
}

/// Lists of records become Python lists of instances.
pub struct Records<T>(pub Vec<T>);

impl<T: PyClass + Into<PyClassInitializer<T>> + Send> IntoPython for Records<T> {
    fn into_python(self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        list_of(py, self.0)
    }
}

pub(crate) use crate::dynamic::arguments;

/// Starts the operation named `name` (`"employees.get"`) with `args`: an object keyed by the Rust
/// method's argument names (`{"id": "12"}`, `{"query": {...}}`, `{"employee": {...}}`), as the
/// generated Python methods build it from the manifest.
pub fn call(client: &crate::Client, name: &str, args: serde_json::Value) -> Result<PyCall, Error> {
    let op = operations::find(name).ok_or_else(|| {
        Error::config(format!(
            "unknown operation {name:?}; see mikopbx.operations() for the known ones"
        ))
    })?;
    crate::resources::python_call(client, op.handle, op.method_name, args).unwrap_or_else(|| {
        Err(Error::config(format!(
            "{}: not callable from Python",
            op.name
        )))
    })
}
