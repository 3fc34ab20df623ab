//! Rust futures as asyncio futures, safe at interpreter exit.
//!
//! This is `pyo3_async_runtimes::tokio::future_into_py` with two differences that matter for an
//! SDK whose calls are often abandoned (a `gather` that failed, a task cancelled at shutdown):
//!
//! * a cancelled call never touches Python again: the Rust future is dropped at once and nothing
//!   is delivered (pyo3-async-runtimes still attaches to Python afterwards to look at the
//!   cancelled future, which can race with interpreter finalization and abort the process with
//!   "PyGILState_Release: thread state must be current");
//! * every bridge is counted until its result is handed to the event loop, and an `atexit` hook
//!   (`settle`) waits, with the GIL released, for the count to reach zero before Python starts
//!   finalizing. Results that complete later still use `Python::try_attach`, which refuses to
//!   attach to an interpreter that is shutting down.
//!
//! Delivery goes through `loop.call_soon_threadsafe(_deliver, future, ok, value)`; `_deliver` (in
//! `mikopbx/_bridge.py`) sets the result only if the future is still pending.

use std::future::Future;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use pyo3::IntoPyObjectExt;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use tokio::sync::oneshot;

use crate::runtime::runtime;

static BRIDGES: AtomicUsize = AtomicUsize::new(0);
static DELIVER: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
static COROUTINE: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// Counts a bridge from its creation until its result has been handed over (or dropped).
struct Bridge(());

impl Bridge {
    fn enter() -> Self {
        BRIDGES.fetch_add(1, Ordering::SeqCst);
        Bridge(())
    }
}

impl Drop for Bridge {
    fn drop(&mut self) {
        BRIDGES.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The asyncio future's done-callback: cancelling the future cancels the Rust future.
#[pyclass(frozen)]
struct CancelOnDone {
    cancel: Mutex<Option<oneshot::Sender<()>>>,
}

#[pymethods]
impl CancelOnDone {
    fn __call__(&self, future: &Bound<'_, PyAny>) -> PyResult<()> {
        if future.call_method0("cancelled")?.is_truthy()?
            && let Some(cancel) = self.cancel.lock().unwrap_or_else(|p| p.into_inner()).take()
        {
            let _ = cancel.send(());
        }
        Ok(())
    }
}

/// Runs `fut` on the shared runtime and returns an asyncio future (of the running loop) for its
/// output. The output is converted to Python only when it is delivered; a conversion error (the
/// core's errors are raised that way, see `errors::Reply`) becomes the future's exception.
pub fn future_into_py<F, T>(py: Python<'_>, fut: F) -> PyResult<Bound<'_, PyAny>>
where
    F: Future<Output = T> + Send + 'static,
    T: for<'py> IntoPyObject<'py, Error = PyErr> + Send + 'static,
{
    let deliver = DELIVER
        .get_or_try_init(py, || -> PyResult<Py<PyAny>> {
            Ok(py.import("mikopbx._bridge")?.getattr("_deliver")?.unbind())
        })?
        .clone_ref(py);
    let event_loop = py.import("asyncio")?.call_method0("get_running_loop")?;
    let future = event_loop.call_method0("create_future")?;
    let (cancel_tx, cancel_rx) = oneshot::channel();
    future.call_method1(
        "add_done_callback",
        (CancelOnDone {
            cancel: Mutex::new(Some(cancel_tx)),
        },),
    )?;
    let target = (event_loop.unbind(), future.clone().unbind(), deliver);
    let bridge = Bridge::enter();
    runtime().spawn(async move {
        let output = tokio::select! {
            output = fut => output,
            // Cancelled, or the asyncio future was dropped: nobody is waiting any more.
            _ = cancel_rx => return drop((bridge, target)),
        };
        // Converting and delivering needs the interpreter: not on a tokio worker.
        tokio::task::spawn_blocking(move || {
            let _bridge = bridge;
            let (event_loop, future, deliver) = target;
            Python::try_attach(|py| {
                let (ok, value) = match output.into_py_any(py) {
                    Ok(value) => (true, value),
                    Err(err) => (false, err.into_value(py).into_any()),
                };
                // A closed loop (asyncio.run already returned) raises: nobody is waiting.
                let _ = event_loop
                    .bind(py)
                    .call_method1("call_soon_threadsafe", (deliver, future, ok, value));
            });
        });
    });
    Ok(future)
}

/// `future_into_py` as a coroutine object (`mikopbx._bridge._coroutine`), for the results people
/// hand to `asyncio.create_task`, which takes only coroutines.
pub fn coroutine_into_py<F, T>(py: Python<'_>, fut: F) -> PyResult<Bound<'_, PyAny>>
where
    F: Future<Output = T> + Send + 'static,
    T: for<'py> IntoPyObject<'py, Error = PyErr> + Send + 'static,
{
    let wrap = COROUTINE.get_or_try_init(py, || -> PyResult<Py<PyAny>> {
        Ok(py
            .import("mikopbx._bridge")?
            .getattr("_coroutine")?
            .unbind())
    })?;
    wrap.bind(py).call1((future_into_py(py, fut)?,))
}

/// Waits (GIL released) until every bridge has delivered, at most `timeout` seconds. Registered
/// with `atexit` by `mikopbx._bridge`, so that no tokio thread attaches to a finalizing
/// interpreter.
#[pyfunction]
pub fn settle(py: Python<'_>, timeout: f64) -> bool {
    let deadline = Instant::now() + Duration::from_secs_f64(timeout.clamp(0.0, 60.0));
    py.detach(|| {
        while BRIDGES.load(Ordering::SeqCst) > 0 {
            if Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        true
    })
}
