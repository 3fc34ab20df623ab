//! `mikopbx._native`: the pyo3 layer of the `mikopbx` Python package.
//!
//! It wraps the core crate and adds no behaviour of its own: requests, permission checks, retries,
//! pagination and error classification all happen in `mikopbx`. This layer moves arguments and
//! results across (as JSON-shaped data), waits (GIL released, or asyncio on the shared tokio
//! runtime through an exit-safe bridge), maps the core's error kinds onto the Python exception
//! tree, and forwards `tracing` records to Python `logging`. The public, typed API is the
//! pure-Python package in `python/mikopbx/`.

mod bridge;
mod cdr;
mod client;
mod convert;
mod dispatch;
mod errors;
mod keys;
mod logging;
mod records;
mod runtime;

use mikopbx::Permissions;
use mikopbx::operations::{self, OPERATIONS};
use pyo3::prelude::*;
use pyo3::types::PyDict;

/// `mikopbx.minimal_permissions(["extensions.list", ...])`: the `allowed_paths` those operations
/// need, from the core's operations table.
#[pyfunction]
fn minimal_permissions(
    py: Python<'_>,
    operations: Vec<String>,
) -> PyResult<std::collections::BTreeMap<String, String>> {
    let specs = operations::find_all(&operations).map_err(|e| errors::to_pyerr(py, &e))?;
    Ok(Permissions::minimal_for(&specs).to_allowed_paths())
}

/// The operations table: name, method, path, resource, access, idempotent, public, summary.
#[pyfunction(name = "operations")]
fn operations_table(py: Python<'_>) -> PyResult<Vec<Bound<'_, PyDict>>> {
    OPERATIONS
        .iter()
        .map(|op| {
            let d = PyDict::new(py);
            d.set_item("name", op.name)?;
            d.set_item("method", op.method.as_str())?;
            d.set_item("path", op.path_template)?;
            d.set_item("resource", op.resource.segment())?;
            d.set_item("access", op.access.as_str())?;
            d.set_item("idempotent", op.idempotent)?;
            d.set_item("public", op.public)?;
            d.set_item("summary", op.summary)?;
            Ok(d)
        })
        .collect()
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    logging::install();
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<client::NativeClient>()?;
    m.add_class::<client::NativePager>()?;
    m.add_function(wrap_pyfunction!(minimal_permissions, m)?)?;
    m.add_function(wrap_pyfunction!(operations_table, m)?)?;
    m.add_function(wrap_pyfunction!(logging::drain_logs, m)?)?;
    m.add_function(wrap_pyfunction!(logging::set_log_level, m)?)?;
    m.add_function(wrap_pyfunction!(runtime::in_flight, m)?)?;
    m.add_function(wrap_pyfunction!(bridge::settle, m)?)?;
    Ok(())
}
