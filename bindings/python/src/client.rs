//! `NativeClient` and `NativePager`: the core client and its pagers as Python objects.
//!
//! Each SDK call is named by its operation (`"extensions.get"`, the core's operations table) and
//! takes its arguments as a dict; one async dispatch serves the blocking and the asyncio paths.
//! The typed Python API lives in `python/mikopbx/_client.py`.

use std::net::IpAddr;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use mikopbx::{ApiKey, Client, ClientBuilder, Error, NetworkFilter, Permissions, RateLimit};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyDict, PyString, PyTuple};
use serde_json::Value;

use crate::bridge;
use crate::convert::{Json, to_json};
use crate::dispatch::{self, PageSource};
use crate::errors::{Reply, to_pyerr};
use crate::runtime::{self, InFlight, Interrupted};

fn config(detail: impl Into<String>) -> Error {
    Error::Config {
        detail: detail.into(),
    }
}

fn seconds(name: &str, value: f64) -> Result<Duration, Error> {
    Duration::try_from_secs_f64(value)
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or_else(|| {
            config(format!(
                "{name} must be a positive number of seconds, not {value}"
            ))
        })
}

/// `permissions=`: "full", or a map whose keys are short resource names or `/api/v3/...` paths.
pub fn permissions_from_py(value: &Bound<'_, PyAny>) -> PyResult<Result<Permissions, Error>> {
    if let Ok(s) = value.cast::<PyString>() {
        let s = s.to_cow()?;
        return Ok(if s == "full" {
            Ok(Permissions::full())
        } else {
            Err(config(format!(
                "permissions must be \"full\" or a map like {{\"extensions\": \"read\"}}, not {s:?}"
            )))
        });
    }
    let dict = value
        .cast::<PyDict>()
        .map_err(|_| PyTypeError::new_err("permissions must be \"full\" or a dict"))?;
    let mut entries = Vec::with_capacity(dict.len());
    for (k, v) in dict.iter() {
        entries.push((k.extract::<String>()?, v.extract::<String>()?));
    }
    Ok(Permissions::from_short_map(entries))
}

/// `network=` / `key_network=`: "any", "localhost" or a network filter id.
pub fn network_from_value(value: &Value) -> Result<NetworkFilter, Error> {
    match value {
        Value::String(s) if s == "any" || s == "none" => Ok(NetworkFilter::Any),
        Value::String(s) if s == "localhost" => Ok(NetworkFilter::Localhost),
        Value::Number(n) if n.as_i64().is_some() => Ok(NetworkFilter::Id {
            id: n.as_i64().unwrap_or_default(),
        }),
        other => Err(config(format!(
            "network must be \"any\", \"localhost\" or a network filter id, not {other}"
        ))),
    }
}

fn apply_options(
    mut b: ClientBuilder,
    options: &Bound<'_, PyDict>,
) -> PyResult<Result<ClientBuilder, Error>> {
    let mut permissions: Option<Permissions> = None;
    let mut network: Option<NetworkFilter> = None;
    for (name, value) in options.iter() {
        let name: String = name.extract()?;
        let step: Result<ClientBuilder, Error> = match name.as_str() {
            "api_key" => Ok(b.api_key(ApiKey::new(value.extract::<String>()?))),
            "ca_cert" => b.trust_certificate(value.cast::<PyBytes>()?.as_bytes()),
            "cert_sha256" => b.pin_certificate_sha256(&value.extract::<String>()?),
            "timeout" => seconds("timeout", value.extract()?).map(|d| b.timeout(d)),
            "connect_timeout" => {
                seconds("connect_timeout", value.extract()?).map(|d| b.connect_timeout(d))
            }
            "max_retries" => Ok(b.max_retries(value.extract()?)),
            "user_agent" => Ok(b.user_agent_suffix(value.extract::<String>()?)),
            "local_address" => {
                let text: String = value.extract()?;
                match text.parse::<IpAddr>() {
                    Ok(ip) => Ok(b.local_address(ip)),
                    Err(_) => Err(config(format!(
                        "local_address must be an IP address such as \"127.0.0.2\", not {text:?}"
                    ))),
                }
            }
            "rate_limit" => {
                if let Ok(flag) = value.cast::<PyBool>() {
                    if flag.is_true() {
                        Err(config(
                            "rate_limit=True is the default; pass False or (count, period_s, burst)",
                        ))
                    } else {
                        Ok(b.rate_limit(RateLimit::disabled()))
                    }
                } else {
                    let t = value.cast::<PyTuple>()?;
                    let (count, period, burst): (u32, f64, u32) = t.extract()?;
                    seconds("rate_limit period", period)
                        .map(|p| b.rate_limit(RateLimit::new(count, p, burst)))
                }
            }
            "permissions" => match permissions_from_py(&value)? {
                Ok(p) => {
                    permissions = Some(p);
                    Ok(b)
                }
                Err(e) => Err(e),
            },
            "key_network" => match network_from_value(&to_json(&value)?) {
                Ok(n) => {
                    network = Some(n);
                    Ok(b)
                }
                Err(e) => Err(e),
            },
            other => {
                return Err(PyTypeError::new_err(format!(
                    "unknown client option {other:?}"
                )));
            }
        };
        b = match step {
            Ok(b) => b,
            Err(e) => return Ok(Err(e)),
        };
    }
    match (network, permissions.take()) {
        (Some(network), Some(p)) => permissions = Some(p.with_network(network)),
        (Some(_), None) => {
            return Ok(Err(config(
                "key_network= describes a key together with its permissions=; pass both",
            )));
        }
        (None, p) => permissions = p,
    }
    if let Some(p) = permissions {
        b = b.permissions(p);
    }
    Ok(Ok(b))
}

/// A MikoPBX client (the core's `Client`), shared by the sync and async Python classes.
#[pyclass(frozen, module = "mikopbx._native")]
pub struct NativeClient {
    url: String,
    client: RwLock<Option<Client>>,
}

impl NativeClient {
    fn from_builder(
        py: Python<'_>,
        built: PyResult<Result<ClientBuilder, Error>>,
    ) -> PyResult<Self> {
        let client = built?
            .and_then(ClientBuilder::build)
            .map_err(|e| to_pyerr(py, &e))?;
        Ok(NativeClient {
            url: client.base_url().to_owned(),
            client: RwLock::new(Some(client)),
        })
    }

    fn client(&self) -> Result<Client, Error> {
        self.client
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
            .ok_or_else(|| config("this client is closed; create a new one"))
    }
}

#[pymethods]
impl NativeClient {
    #[new]
    fn new(py: Python<'_>, url: &str, options: &Bound<'_, PyDict>) -> PyResult<Self> {
        Self::from_builder(py, apply_options(Client::builder(url), options))
    }

    /// From the `MIKOPBX_*` variables, plus the given options.
    #[staticmethod]
    fn from_env(py: Python<'_>, options: &Bound<'_, PyDict>) -> PyResult<Self> {
        let built = match ClientBuilder::from_env() {
            Ok(b) => apply_options(b, options),
            Err(e) => Ok(Err(e)),
        };
        Self::from_builder(py, built)
    }

    #[getter]
    fn url(&self) -> &str {
        &self.url
    }

    /// Runs one operation, blocking with the GIL released.
    fn call(
        &self,
        py: Python<'_>,
        operation: &str,
        args: &Bound<'_, PyDict>,
    ) -> PyResult<Py<PyAny>> {
        let args = to_json(args.as_any())?;
        let op = operation.to_owned();
        let result = match self.client() {
            Ok(client) => runtime::block_on(py, async move {
                let _guard = InFlight::enter();
                dispatch::call(&client, &op, args).await
            }),
            Err(e) => Ok(Err(e)),
        };
        match result {
            Ok(reply) => Ok(Reply(reply.map(Json)).into_pyobject(py)?.unbind()),
            Err(Interrupted::Signal(err)) => Err(err),
        }
    }

    /// Runs one operation; returns an awaitable. Cancelling it drops the Rust future.
    fn call_async<'py>(
        &self,
        py: Python<'py>,
        operation: &str,
        args: &Bound<'py, PyDict>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let args = to_json(args.as_any())?;
        let op = operation.to_owned();
        let client = self.client();
        bridge::future_into_py(py, async move {
            let _guard = InFlight::enter();
            let result = match client {
                Ok(client) => dispatch::call(&client, &op, args).await,
                Err(e) => Err(e),
            };
            Reply(result.map(Json))
        })
    }

    /// A lazy pager over a list operation; nothing is sent until the first page is asked for.
    fn pager(
        &self,
        py: Python<'_>,
        operation: &str,
        args: &Bound<'_, PyDict>,
    ) -> PyResult<NativePager> {
        let args = to_json(args.as_any())?;
        let source = self
            .client()
            .and_then(|client| dispatch::pager(&client, operation, &args))
            .map_err(|e| to_pyerr(py, &e))?;
        Ok(NativePager {
            source: Arc::new(tokio::sync::Mutex::new(source)),
            progress: Arc::new(Mutex::new(Progress::default())),
        })
    }

    /// Drops this handle's connection pool (calls already running finish).
    fn close(&self) {
        self.client
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .take();
    }

    fn __repr__(&self) -> String {
        format!("NativeClient(url={:?})", self.url)
    }
}

type SharedSource = Arc<tokio::sync::Mutex<Box<dyn PageSource>>>;

/// What the pager knew after its last page (readable without waiting for a page in flight).
#[derive(Default, Clone, Copy)]
struct Progress {
    checkpoint: Option<i64>,
    total: Option<u64>,
}

/// One lazy list: pages are fetched on demand, one at a time.
#[pyclass(frozen, module = "mikopbx._native")]
pub struct NativePager {
    source: SharedSource,
    progress: Arc<Mutex<Progress>>,
}

async fn next_page(
    source: SharedSource,
    progress: Arc<Mutex<Progress>>,
) -> Result<Option<Value>, Error> {
    let _guard = InFlight::enter();
    let mut source = source.lock().await;
    let page = source.next_page().await?;
    *progress.lock().unwrap_or_else(|p| p.into_inner()) = Progress {
        checkpoint: source.checkpoint(),
        total: source.total(),
    };
    Ok(page.map(Value::Array))
}

struct Page(Option<Value>);

impl<'py> IntoPyObject<'py> for Page {
    type Target = PyAny;
    type Output = Bound<'py, PyAny>;
    type Error = PyErr;

    fn into_pyobject(self, py: Python<'py>) -> PyResult<Self::Output> {
        match self.0 {
            Some(v) => Json(v).into_pyobject(py),
            None => Ok(py.None().into_bound(py)),
        }
    }
}

impl NativePager {
    fn progress(&self) -> Progress {
        *self.progress.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[pymethods]
impl NativePager {
    /// The highest record id seen (CDR lists), as a string, for `resume_after=`.
    #[getter]
    fn checkpoint(&self) -> Option<String> {
        self.progress().checkpoint.map(|id| id.to_string())
    }

    /// The number of items the server says the list has, for shapes that report one.
    #[getter]
    fn total(&self) -> Option<u64> {
        self.progress().total
    }

    /// The next page as a list of dicts, or None at the end (blocking, GIL released).
    fn next_page(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let fut = next_page(self.source.clone(), self.progress.clone());
        match runtime::block_on(py, fut) {
            Ok(reply) => Ok(Reply(reply.map(Page)).into_pyobject(py)?.unbind()),
            Err(Interrupted::Signal(err)) => Err(err),
        }
    }

    /// The next page, awaitable.
    fn next_page_async<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let fut = next_page(self.source.clone(), self.progress.clone());
        bridge::future_into_py(py, async move { Reply(fut.await.map(Page)) })
    }
}
