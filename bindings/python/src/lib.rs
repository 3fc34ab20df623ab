//! `mikopbx._native`: the pyo3 layer of the `mikopbx` Python package.
//!
//! It wraps the core crate and adds no behaviour of its own: requests, permission checks, retries,
//! pagination and error classification all happen in `mikopbx`, and so does the dispatch of an
//! operation by name (`mikopbx::python::call`, derived from the core's `api!` definitions). This
//! layer waits (GIL released, or asyncio on the shared tokio runtime through an exit-safe
//! bridge), iterates pagers, maps the core's errors onto the Python exception tree, and forwards
//! `tracing` records to Python `logging`. The records are the core's own `pyclass`es. The typed
//! API (`python/mikopbx/_api.py`) and the stubs (`_native.pyi`) are generated from the core's
//! manifest by `generate.py`.

mod bridge;
mod calls;
mod classes;
mod client;
mod convert;
mod errors;
mod logging;
mod pager;
mod recordings;
mod runtime;

use mikopbx::Permissions;
use mikopbx::operations;
use pyo3::prelude::*;

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

/// The core's manifest as JSON text (`mikopbx operations --json` plus the models): what
/// `mikopbx.operations()` returns and what the generated API was made from.
#[pyfunction]
fn manifest() -> String {
    mikopbx::describe::manifest_json().to_string()
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    logging::install();
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<client::NativeClient>()?;
    m.add_class::<pager::Pager>()?;
    m.add_class::<pager::AsyncPager>()?;
    m.add_class::<pager::Pages>()?;
    m.add_class::<pager::AsyncPages>()?;
    m.add_class::<calls::NativeCallWatcher>()?;
    m.add_class::<mikopbx::CallEvent>()?;
    m.add_class::<mikopbx::CallEventType>()?;
    m.add_class::<recordings::NativeRecording>()?;
    m.add_class::<recordings::NativeRecordingStream>()?;
    m.add_class::<mikopbx::RecordingInfo>()?;
    classes::add_records(m)?;
    m.add_function(wrap_pyfunction!(minimal_permissions, m)?)?;
    m.add_function(wrap_pyfunction!(manifest, m)?)?;
    m.add_function(wrap_pyfunction!(errors::error_kinds, m)?)?;
    m.add_function(wrap_pyfunction!(logging::drain_logs, m)?)?;
    m.add_function(wrap_pyfunction!(logging::set_log_level, m)?)?;
    m.add_function(wrap_pyfunction!(runtime::in_flight, m)?)?;
    m.add_function(wrap_pyfunction!(bridge::settle, m)?)?;
    Ok(())
}
