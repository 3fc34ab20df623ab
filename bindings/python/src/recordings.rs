//! `NativeRecording`: the core's [`mikopbx::Recording`] for Python. `mikopbx._recordings` gives
//! it the blocking and the asyncio faces (`client.cdr.recording(record)`); the metadata is the
//! core's own `RecordingInfo` class. Bytes cross as `bytes`; waits release the GIL.

use std::sync::Arc;

use mikopbx::{Recording, RecordingInfo, RecordingStream};
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::runtime::{self, awaitable};

/// The recording of one CDR record (see `mikopbx.Recording`).
#[pyclass(frozen, module = "mikopbx._native")]
pub struct NativeRecording(pub Recording);

#[pymethods]
impl NativeRecording {
    /// Downloads to `path` (via `<path>.part`, renamed when complete).
    fn save(&self, py: Python<'_>, path: String) -> PyResult<RecordingInfo> {
        let r = self.0.clone();
        runtime::call_blocking(py, async move { r.save(path).await })
    }

    fn save_async<'py>(&self, py: Python<'py>, path: String) -> PyResult<Bound<'py, PyAny>> {
        let r = self.0.clone();
        awaitable(py, async move { r.save(path).await })
    }

    /// The whole recording as `bytes`.
    fn bytes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        let r = self.0.clone();
        let bytes = runtime::call_blocking(py, async move { r.bytes().await })?;
        Ok(PyBytes::new(py, &bytes))
    }

    fn bytes_async<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let r = self.0.clone();
        awaitable(py, async move { r.bytes().await })
    }

    /// Starts the download (the answer's metadata is known once it returns).
    fn open(&self, py: Python<'_>) -> PyResult<NativeRecordingStream> {
        let r = self.0.clone();
        runtime::call_blocking(py, async move { r.open().await }).map(NativeRecordingStream)
    }

    fn open_async<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let r = self.0.clone();
        awaitable(py, async move { r.open().await.map(NativeRecordingStream) })
    }

    #[getter]
    fn record_id(&self) -> i64 {
        self.0.record_id()
    }

    fn __repr__(&self) -> String {
        format!("{:?}", self.0)
    }
}

/// A recording being downloaded: its chunks in order, resuming a cut connection.
#[pyclass(frozen, module = "mikopbx._native")]
pub struct NativeRecordingStream(pub Arc<RecordingStream>);

#[pymethods]
impl NativeRecordingStream {
    #[getter]
    fn info(&self) -> RecordingInfo {
        self.0.info()
    }

    /// The next chunk, `None` at the end.
    fn next_chunk<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyBytes>>> {
        let s = self.0.clone();
        let chunk = runtime::call_blocking(py, async move { s.next_chunk().await })?;
        Ok(chunk.map(|c| PyBytes::new(py, &c)))
    }

    fn next_chunk_async<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let s = self.0.clone();
        awaitable(py, async move { s.next_chunk().await })
    }

    fn __repr__(&self) -> String {
        format!("{:?}", self.0)
    }
}
