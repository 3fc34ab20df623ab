//! The core's pagers as Python iterators: `Pager` (`for`, blocking with the GIL released) and
//! `AsyncPager` (`async for`), item by item over lazily fetched pages, each with `pages()` to go
//! page by page, `total` and `checkpoint`. One generic implementation serves every list
//! operation: the pages come from `mikopbx::python::PyPages`, already built as Python lists of
//! the core's record classes.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use mikopbx::Error;
use mikopbx::python::{PyPages, PyValue};
use pyo3::exceptions::{PyStopAsyncIteration, PyStopIteration};
use pyo3::prelude::*;
use pyo3::types::{PyList, PyType};

use crate::bridge;
use crate::errors::to_pyerr;
use crate::logging;
use crate::runtime::{self, InFlight, Interrupted};

/// What the pager knew after its last page (readable while a page is in flight).
#[derive(Default, Clone, Copy)]
struct Progress {
    checkpoint: Option<i64>,
    total: Option<u64>,
    done: bool,
}

/// The state one list shares between its item iterator and its `pages()` iterator.
struct State {
    pages: tokio::sync::Mutex<Box<dyn PyPages>>,
    /// The rest of the page item iteration is in.
    buffer: Mutex<VecDeque<Py<PyAny>>>,
    progress: Mutex<Progress>,
}

type Shared = Arc<State>;

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl State {
    fn new(pages: Box<dyn PyPages>) -> Shared {
        Arc::new(State {
            pages: tokio::sync::Mutex::new(pages),
            buffer: Mutex::new(VecDeque::new()),
            progress: Mutex::new(Progress::default()),
        })
    }

    fn progress(&self) -> Progress {
        *lock(&self.progress)
    }

    fn pop(&self) -> Option<Py<PyAny>> {
        lock(&self.buffer).pop_front()
    }

    /// The buffered rest of the current page as a list, if any.
    fn take_rest(&self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        let rest: Vec<Py<PyAny>> = lock(&self.buffer).drain(..).collect();
        if rest.is_empty() {
            return Ok(None);
        }
        Ok(Some(PyList::new(py, rest)?.into_any().unbind()))
    }

    /// Builds a fetched page and keeps its items for item iteration; returns the first one.
    fn refill(&self, py: Python<'_>, build: PyValue) -> PyResult<Option<Py<PyAny>>> {
        let page = build(py)?;
        let mut buffer = lock(&self.buffer);
        for item in page.bind(py).try_iter()? {
            buffer.push_back(item?.unbind());
        }
        Ok(buffer.pop_front())
    }
}

/// Fetches the next page (no GIL needed): `None` at the end.
async fn fetch(state: Shared) -> Result<Option<PyValue>, Error> {
    let _guard = InFlight::enter();
    let mut pages = state.pages.lock().await;
    let page = pages.next_page().await?;
    *lock(&state.progress) = Progress {
        checkpoint: pages.checkpoint(),
        total: pages.total(),
        done: page.is_none(),
    };
    Ok(page)
}

/// Fetches the next page, blocking with the GIL released.
fn fetch_blocking(py: Python<'_>, state: &Shared) -> PyResult<Option<PyValue>> {
    if state.progress().done {
        return Ok(None);
    }
    let fetched = runtime::block_on(py, fetch(state.clone()));
    logging::flush(py);
    match fetched {
        Ok(result) => result.map_err(|e| to_pyerr(py, &e)),
        Err(Interrupted::Signal(err)) => Err(err),
    }
}

/// What an asyncio fetch delivers: the next item, or the next page.
enum Want {
    Item,
    Page,
}

/// A fetched page on its way to an awaiting coroutine (converted once the GIL is held).
struct Fetched {
    state: Shared,
    want: Want,
    result: Result<Option<PyValue>, Error>,
}

impl<'py> IntoPyObject<'py> for Fetched {
    type Target = PyAny;
    type Output = Bound<'py, PyAny>;
    type Error = PyErr;

    fn into_pyobject(self, py: Python<'py>) -> PyResult<Self::Output> {
        let end = || PyStopAsyncIteration::new_err(());
        let build = self.result.map_err(|e| to_pyerr(py, &e))?.ok_or_else(end)?;
        match self.want {
            Want::Page => Ok(build(py)?.into_bound(py)),
            Want::Item => Ok(self
                .state
                .refill(py, build)?
                .ok_or_else(end)?
                .into_bound(py)),
        }
    }
}

/// An awaitable of the next item or page: ready at once when buffered, else an asyncio future.
fn next_async<'py>(py: Python<'py>, state: &Shared, want: Want) -> PyResult<Bound<'py, PyAny>> {
    let buffered = match want {
        Want::Item => state.pop(),
        Want::Page => state.take_rest(py)?,
    };
    if let Some(value) = buffered {
        return Ok(Bound::new(py, Ready(Mutex::new(Some(value))))?.into_any());
    }
    if state.progress().done {
        return Err(PyStopAsyncIteration::new_err(()));
    }
    let state = state.clone();
    bridge::future_into_py(py, async move {
        let result = fetch(state.clone()).await;
        Fetched {
            state,
            want,
            result,
        }
    })
}

/// An awaitable whose value is already known.
#[pyclass(frozen)]
struct Ready(Mutex<Option<Py<PyAny>>>);

#[pymethods]
impl Ready {
    fn __await__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__(&self) -> PyResult<()> {
        Err(PyStopIteration::new_err((lock(&self.0).take(),)))
    }
}

/// `Pager[T]` in annotations, as for a generic class.
fn generic_alias(cls: &Bound<'_, PyType>, item: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
    let py = cls.py();
    Ok(py
        .import("types")?
        .getattr("GenericAlias")?
        .call1((cls, item))?
        .unbind())
}

/// The items of a list operation (blocking client): `for item in pager`, fetched page by page
/// with the GIL released. Nothing is sent before the first item is asked for.
#[pyclass(frozen, module = "mikopbx._native")]
pub struct Pager(Shared);

/// The items of a list operation (asyncio client): `async for item in pager`.
#[pyclass(frozen, module = "mikopbx._native")]
pub struct AsyncPager(Shared);

/// `pager.pages()`: the rest of the list, one page (a list) at a time.
#[pyclass(frozen, module = "mikopbx._native")]
pub struct Pages(Shared);

/// `async for page in pager.pages()`.
#[pyclass(frozen, module = "mikopbx._native")]
pub struct AsyncPages(Shared);

impl Pager {
    pub fn new(pages: Box<dyn PyPages>) -> Self {
        Pager(State::new(pages))
    }
}

impl AsyncPager {
    pub fn new(pages: Box<dyn PyPages>) -> Self {
        AsyncPager(State::new(pages))
    }
}

/// One `#[pymethods]` block per pager class: the getters both share, plus its own methods.
macro_rules! pager_methods {
    ($class:ident { $($own:tt)* }) => {
        #[pymethods]
        impl $class {
            /// The highest record id seen so far (CDR lists): pass it as `resume_after` to
            /// continue an export later.
            #[getter]
            fn checkpoint(&self) -> Option<i64> {
                self.0.progress().checkpoint
            }

            /// The number of items the PBX reports for the list (after the first page; `None`
            /// for list shapes without a total).
            #[getter]
            fn total(&self) -> Option<u64> {
                self.0.progress().total
            }

            #[classmethod]
            fn __class_getitem__(
                cls: &Bound<'_, PyType>,
                item: &Bound<'_, PyAny>,
            ) -> PyResult<Py<PyAny>> {
                generic_alias(cls, item)
            }

            $($own)*
        }
    };
}

pager_methods!(Pager {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__(&self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        if let Some(item) = self.0.pop() {
            return Ok(Some(item));
        }
        match fetch_blocking(py, &self.0)? {
            Some(build) => self.0.refill(py, build),
            None => Ok(None),
        }
    }

    /// Page by page (each a list), continuing where item iteration stopped.
    fn pages(&self) -> Pages {
        Pages(self.0.clone())
    }
});

#[pymethods]
impl Pages {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__(&self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        if let Some(rest) = self.0.take_rest(py)? {
            return Ok(Some(rest));
        }
        fetch_blocking(py, &self.0)?
            .map(|build| build(py))
            .transpose()
    }
}

pager_methods!(AsyncPager {
    fn __aiter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __anext__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        next_async(py, &self.0, Want::Item)
    }

    /// Page by page (each a list), continuing where item iteration stopped.
    fn pages(&self) -> AsyncPages {
        AsyncPages(self.0.clone())
    }

    /// Every remaining item, in one list (mind the size of what you ask for).
    fn to_list<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let rest = self.0.take_rest(py)?;
        let state = self.0.clone();
        bridge::coroutine_into_py(py, async move {
            let mut pages = Vec::new();
            let mut failed = None;
            while !state.progress().done {
                match fetch(state.clone()).await {
                    Ok(Some(page)) => pages.push(page),
                    Ok(None) => break,
                    Err(e) => {
                        failed = Some(e);
                        break;
                    }
                }
            }
            Collected { rest, pages, failed }
        })
    }
});

/// What `to_list` delivers: the buffered rest and the pages fetched after it.
struct Collected {
    rest: Option<Py<PyAny>>,
    pages: Vec<PyValue>,
    failed: Option<Error>,
}

impl<'py> IntoPyObject<'py> for Collected {
    type Target = PyAny;
    type Output = Bound<'py, PyAny>;
    type Error = PyErr;

    fn into_pyobject(self, py: Python<'py>) -> PyResult<Self::Output> {
        if let Some(e) = self.failed {
            return Err(to_pyerr(py, &e));
        }
        let all = match self.rest {
            Some(rest) => rest.into_bound(py).cast_into::<PyList>()?,
            None => PyList::empty(py),
        };
        for build in self.pages {
            for item in build(py)?.bind(py).try_iter()? {
                all.append(item?)?;
            }
        }
        Ok(all.into_any())
    }
}

#[pymethods]
impl AsyncPages {
    fn __aiter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __anext__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        next_async(py, &self.0, Want::Page)
    }
}
