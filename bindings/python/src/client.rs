//! `NativeClient`: the core client as a Python object, and its options.
//!
//! Every operation is started by its name and the dict of its arguments through the core's
//! `mikopbx::python::call`, which the core derives from its `api!` definitions; this module only
//! waits for it (blocking with the GIL released, or as an asyncio future). The typed methods are
//! generated into `python/mikopbx/_api.py` from the core's manifest.

use std::net::IpAddr;
use std::sync::RwLock;
use std::time::Duration;

use mikopbx::python::PyCall;
use mikopbx::{ApiKey, Client, ClientBuilder, Error, NetworkFilter, Permissions, RateLimit};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyDict, PyString, PyTuple};

use crate::bridge;
use crate::convert::to_json;
use crate::errors::{Built, Reply, to_pyerr};
use crate::logging;
use crate::pager::{AsyncPager, Pager};
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
fn permissions_from_py(value: &Bound<'_, PyAny>) -> PyResult<Result<Permissions, Error>> {
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
            // "any", "localhost" or a filter id: the core's own parsing of the setting.
            "key_network" => match serde_json::from_value::<NetworkFilter>(to_json(&value)?) {
                Ok(n) => {
                    network = Some(n);
                    Ok(b)
                }
                Err(e) => Err(config(format!("key_network: {e}"))),
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
        let client = built?.and_then(ClientBuilder::build);
        logging::flush(py);
        let client = client.map_err(|e| to_pyerr(py, &e))?;
        Ok(NativeClient {
            url: client.base_url().to_owned(),
            client: RwLock::new(Some(client)),
        })
    }

    /// Starts `operation` with `args` (nothing is sent until the future or pager is polled).
    fn start(&self, operation: &str, args: &Bound<'_, PyDict>) -> PyResult<Result<PyCall, Error>> {
        let args = to_json(args.as_any())?;
        let client = self
            .client
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
            .ok_or_else(|| config("this client is closed; create a new one"));
        Ok(client.and_then(|client| mikopbx::python::call(&client, operation, args)))
    }
}

fn not_a_list(operation: &str) -> Error {
    config(format!("{operation} is not a list operation"))
}

fn a_list(operation: &str) -> Error {
    config(format!("{operation} is a list operation: use its pager"))
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
        let future = match self.start(operation, args)? {
            Ok(PyCall::Future(future)) => future,
            Ok(PyCall::Pager(_)) => return Err(to_pyerr(py, &a_list(operation))),
            Err(e) => return Err(to_pyerr(py, &e)),
        };
        let result = runtime::block_on(py, async move {
            let _guard = InFlight::enter();
            future.await
        });
        logging::flush(py);
        match result {
            Ok(Ok(build)) => build(py),
            Ok(Err(e)) => Err(to_pyerr(py, &e)),
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
        let future = match self.start(operation, args)? {
            Ok(PyCall::Future(future)) => future,
            Ok(PyCall::Pager(_)) => return Err(to_pyerr(py, &a_list(operation))),
            Err(e) => return Err(to_pyerr(py, &e)),
        };
        bridge::future_into_py(py, async move {
            let _guard = InFlight::enter();
            Reply(future.await.map(Built))
        })
    }

    /// The lazy pager of a list operation (blocking iteration).
    fn pager(&self, py: Python<'_>, operation: &str, args: &Bound<'_, PyDict>) -> PyResult<Pager> {
        match self.start(operation, args)? {
            Ok(PyCall::Pager(pages)) => Ok(Pager::new(pages)),
            Ok(PyCall::Future(_)) => Err(to_pyerr(py, &not_a_list(operation))),
            Err(e) => Err(to_pyerr(py, &e)),
        }
    }

    /// The lazy pager of a list operation (asyncio iteration).
    fn pager_async(
        &self,
        py: Python<'_>,
        operation: &str,
        args: &Bound<'_, PyDict>,
    ) -> PyResult<AsyncPager> {
        match self.start(operation, args)? {
            Ok(PyCall::Pager(pages)) => Ok(AsyncPager::new(pages)),
            Ok(PyCall::Future(_)) => Err(to_pyerr(py, &not_a_list(operation))),
            Err(e) => Err(to_pyerr(py, &e)),
        }
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
