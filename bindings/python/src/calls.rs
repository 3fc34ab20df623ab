//! `NativeCallWatcher`: the core's [`mikopbx::CallWatcher`] for Python. `mikopbx._calls` makes
//! it an iterator (`for event in client.calls.watch()`) and an async iterator; the events are
//! the core's own `CallEvent` class.

use std::sync::Arc;

use mikopbx::{CallEvent, CallWatcher};
use pyo3::prelude::*;

use crate::bridge;
use crate::errors::Reply;
use crate::runtime::{self, InFlight, Interrupted};

/// A watcher of live calls (see `mikopbx.CallWatch`).
#[pyclass(frozen, module = "mikopbx._native")]
pub struct NativeCallWatcher(pub Arc<CallWatcher>);

#[pymethods]
impl NativeCallWatcher {
    /// The next event, blocking with the GIL released until it comes.
    fn next_event(&self, py: Python<'_>) -> PyResult<CallEvent> {
        let watcher = self.0.clone();
        runtime::call_blocking(py, async move { watcher.next_event().await })
    }

    /// The next event, as an awaitable; cancelling it loses nothing.
    fn next_event_async<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let watcher = self.0.clone();
        bridge::future_into_py(py, async move {
            let _guard = InFlight::enter();
            Reply(watcher.next_event().await)
        })
    }

    /// The JSON text to resume from (`resume_from=`), after the last event returned.
    fn checkpoint(&self, py: Python<'_>) -> PyResult<String> {
        let watcher = self.0.clone();
        match runtime::block_on(py, async move { watcher.checkpoint().await }) {
            Ok(text) => Ok(text),
            Err(Interrupted::Signal(err)) => Err(err),
        }
    }

    fn __repr__(&self) -> String {
        format!("{:?}", self.0)
    }
}
