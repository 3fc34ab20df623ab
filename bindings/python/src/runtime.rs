//! The one tokio runtime every client shares, and the two ways Python waits on it.
//!
//! Blocking calls run `block_on` with the GIL released (`py.detach`), waking every 100 ms to let
//! Python deliver Ctrl-C: on `KeyboardInterrupt` the Rust future is dropped (the request is
//! abandoned) and the exception propagates. Async calls go through `bridge::future_into_py`;
//! cancelling the asyncio future drops the Rust future the same way.

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use pyo3::prelude::*;
use tokio::runtime::Runtime;

/// How often a blocking call looks for pending Python signals.
const SIGNAL_POLL: Duration = Duration::from_millis(100);

static IN_FLIGHT: AtomicUsize = AtomicUsize::new(0);

/// The shared multi-threaded runtime (pyo3-async-runtimes' global one).
pub fn runtime() -> &'static Runtime {
    pyo3_async_runtimes::tokio::get_runtime()
}

/// Counts a running SDK future; dropping the guard (completion or cancellation) uncounts it.
pub struct InFlight(());

impl InFlight {
    pub fn enter() -> Self {
        IN_FLIGHT.fetch_add(1, Ordering::SeqCst);
        InFlight(())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        IN_FLIGHT.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Number of SDK futures alive right now (the tests use it to prove cancellation drops them).
#[pyfunction]
pub fn in_flight() -> usize {
    IN_FLIGHT.load(Ordering::SeqCst)
}

/// Why a blocking wait ended without the future's output.
pub enum Interrupted {
    /// A Python signal handler raised (KeyboardInterrupt, ...).
    Signal(PyErr),
}

/// Runs `fut` to completion on the shared runtime with the GIL released.
pub fn block_on<F>(py: Python<'_>, fut: F) -> Result<F::Output, Interrupted>
where
    F: Future + Send,
    F::Output: Send,
{
    py.detach(|| {
        runtime().block_on(async {
            tokio::pin!(fut);
            loop {
                tokio::select! {
                    out = &mut fut => return Ok(out),
                    () = tokio::time::sleep(SIGNAL_POLL) => {
                        // try_attach: never block (or panic) on an interpreter shutting down.
                        if let Some(Err(err)) = Python::try_attach(|py| py.check_signals()) {
                            return Err(Interrupted::Signal(err));
                        }
                    }
                }
            }
        })
    })
}

/// `work` as a Python awaitable (asyncio), counted in flight; cancelling it drops the core
/// future (every core future is cancel-safe: a download keeps nothing half-written).
pub fn awaitable<'py, T>(
    py: Python<'py>,
    work: impl Future<Output = Result<T, mikopbx::Error>> + Send + 'static,
) -> PyResult<Bound<'py, PyAny>>
where
    T: for<'a> IntoPyObject<'a> + Send + 'static,
{
    crate::bridge::future_into_py(py, async move {
        let _guard = InFlight::enter();
        crate::errors::Reply(work.await)
    })
}

/// One core call from a blocking Python method: run with the GIL released and counted in flight,
/// the queued log records handed to Python, and a core error raised as its Python exception.
pub fn call_blocking<T, F>(py: Python<'_>, work: F) -> PyResult<T>
where
    F: Future<Output = Result<T, mikopbx::Error>> + Send,
    T: Send,
{
    let result = block_on(py, async move {
        let _guard = InFlight::enter();
        work.await
    });
    crate::logging::flush(py);
    match result {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(e)) => Err(crate::errors::to_pyerr(py, &e)),
        Err(Interrupted::Signal(err)) => Err(err),
    }
}
