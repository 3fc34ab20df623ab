//! The core's log records (`mikopbx::log_queue`) handed to Python `logging`.
//!
//! The core queues its records without ever taking the GIL (its module docs say why); the Python
//! package drains the queue on its own thread, with the GIL, after every call and every page, and
//! hands the records to `logging.getLogger("mikopbx…")` (`mikopbx._logging.flush`).

use mikopbx::log_queue;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use tracing::Level;

/// (target, Python level, formatted message)
type PyLogRecord = (String, i32, String);

fn python_level(level: Level) -> i32 {
    match level {
        Level::ERROR => 40,
        Level::WARN => 30,
        Level::INFO => 20,
        Level::DEBUG => 10,
        Level::TRACE => 5,
    }
}

/// Installs the core's queueing layer as the process-wide `tracing` subscriber.
pub fn install() {
    log_queue::install();
}

/// Takes every queued record: `[(target, level, message), ...]`. Called by `mikopbx._logging`.
#[pyfunction]
pub fn drain_logs() -> Vec<PyLogRecord> {
    log_queue::drain()
        .into_iter()
        .map(|r| (r.target, python_level(r.level), r.message))
        .collect()
}

static FLUSH: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// Hands the queued records to Python `logging` (`mikopbx._logging.flush`). Called with the GIL
/// after every blocking call and page; asyncio results flush in `mikopbx._bridge._deliver`. A
/// failing log handler is reported as unraisable, never as the call's error.
pub fn flush(py: Python<'_>) {
    let flushed = FLUSH
        .get_or_try_init(py, || -> PyResult<Py<PyAny>> {
            Ok(py.import("mikopbx._logging")?.getattr("flush")?.unbind())
        })
        .and_then(|f| f.call0(py));
    if let Err(err) = flushed {
        err.write_unraisable(py, None);
    }
}

/// Sets the lowest Python level anyone listens to; records below it are not even formatted.
#[pyfunction]
pub fn set_log_level(level: i32) {
    // The least severe `tracing` level whose Python level is at least `level`.
    let least = [
        Level::TRACE,
        Level::DEBUG,
        Level::INFO,
        Level::WARN,
        Level::ERROR,
    ]
    .into_iter()
    .find(|l| python_level(*l) >= level);
    log_queue::set_min_level(least);
}
