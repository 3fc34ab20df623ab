//! `NativeClient`: the core client as a Python object, and its options.
//!
//! Every operation is started by its name and the dict of its arguments through the core's
//! `mikopbx::python::call`, which the core derives from its `api!` definitions; this module only
//! waits for it (blocking with the GIL released, or as an asyncio future). The typed methods are
//! generated into `python/mikopbx/_api.py` from the core's manifest.

use std::sync::RwLock;

use mikopbx::python::PyCall;
use mikopbx::{CLIENT_OPTIONS, Client, ClientBuilder, Error};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::bridge;
use crate::calls::NativeCallWatcher;
use crate::convert::to_json;
use crate::errors::{Built, Reply, to_pyerr};
use crate::logging;
use crate::pager::{AsyncPager, Pager};
use crate::recordings::NativeRecording;
use crate::runtime::{self, InFlight};

fn config(detail: impl Into<String>) -> Error {
    Error::Config {
        detail: detail.into(),
    }
}

/// The keyword options, applied by the core's `ClientBuilder::options`. A name that is not an
/// option is a `TypeError`, as for any unexpected keyword argument in Python.
fn apply_options(
    b: ClientBuilder,
    options: &Bound<'_, PyDict>,
) -> PyResult<Result<ClientBuilder, Error>> {
    for name in options.keys() {
        let name: String = name.extract()?;
        if !CLIENT_OPTIONS.contains(&name.as_str()) {
            return Err(PyTypeError::new_err(format!(
                "unknown client option {name:?}; the options are {}",
                CLIENT_OPTIONS.join(", ")
            )));
        }
    }
    let serde_json::Value::Object(map) = to_json(options.as_any())? else {
        return Err(PyTypeError::new_err("client options must be a dict"));
    };
    Ok(b.options(&map))
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

/// The verb and the JSON body of `request`; a verb that is not one is `ConfigurationError`.
fn request_args(
    py: Python<'_>,
    method: &str,
    body: &Bound<'_, PyAny>,
) -> PyResult<(mikopbx::HttpMethod, Option<serde_json::Value>)> {
    let verb = mikopbx::HttpMethod::parse(method).ok_or_else(|| {
        to_pyerr(
            py,
            &config(format!(
                "request: method {method:?} is not one of GET, HEAD, POST, PUT, PATCH, DELETE"
            )),
        )
    })?;
    let body = if body.is_none() {
        None
    } else {
        Some(to_json(body)?)
    };
    Ok((verb, body))
}

/// A session as Python receives it: the user and the expiry in Unix seconds.
fn session_tuple(info: mikopbx::SessionInfo) -> (String, f64) {
    let expires_at = info
        .expires_at
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64());
    (info.login, expires_at)
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
        runtime::call_blocking(py, future).and_then(|build| build(py))
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

    /// A watcher of live calls (`mikopbx::WatchOptions` by name; nothing is sent yet).
    fn watch_calls(
        &self,
        py: Python<'_>,
        options: &Bound<'_, PyDict>,
    ) -> PyResult<NativeCallWatcher> {
        let watched = serde_json::from_value::<mikopbx::WatchOptions>(to_json(options.as_any())?)
            .map_err(|e| config(format!("calls.watch: {e}")))
            .and_then(|options| {
                let client = self
                    .client
                    .read()
                    .unwrap_or_else(|p| p.into_inner())
                    .clone();
                client
                    .ok_or_else(|| config("this client is closed; create a new one"))?
                    .calls()
                    .watch(options)
            });
        match watched {
            Ok(watcher) => Ok(NativeCallWatcher(std::sync::Arc::new(watcher))),
            Err(e) => Err(to_pyerr(py, &e)),
        }
    }

    /// The recording of a CDR record (`format` by name, `wait_ms` the bound on waiting for the
    /// PBX to publish it; nothing is sent yet).
    #[pyo3(signature = (record, format, wait_ms))]
    fn recording(
        &self,
        py: Python<'_>,
        record: &Bound<'_, mikopbx::CdrRecord>,
        format: &str,
        wait_ms: Option<u64>,
    ) -> PyResult<NativeRecording> {
        let made = mikopbx::RecordingFormat::parse(format).and_then(|format| {
            let client = self
                .client
                .read()
                .unwrap_or_else(|p| p.into_inner())
                .clone();
            let options = mikopbx::RecordingOptions {
                format: Some(format),
                wait_ms,
            };
            Ok(client
                .ok_or_else(|| config("this client is closed; create a new one"))?
                .cdr()
                .recording_with(record.get(), options))
        });
        match made {
            Ok(recording) => Ok(NativeRecording(recording)),
            Err(e) => Err(to_pyerr(py, &e)),
        }
    }

    /// Click-to-call (`mikopbx::CallsApi::originate`): the call's linkedid.
    fn originate(
        &self,
        py: Python<'_>,
        from_extension: String,
        to_number: String,
    ) -> PyResult<String> {
        let calls = self.live(py)?.calls();
        crate::runtime::call_blocking(py, async move {
            calls.originate(&from_extension, &to_number).await
        })
    }

    fn originate_async<'py>(
        &self,
        py: Python<'py>,
        from_extension: String,
        to_number: String,
    ) -> PyResult<Bound<'py, PyAny>> {
        let calls = self.live(py)?.calls();
        crate::runtime::awaitable(py, async move {
            calls.originate(&from_extension, &to_number).await
        })
    }

    /// `mikopbx::AsteriskManagersApi::create_click_to_call_manager`.
    fn create_click_to_call_manager(
        &self,
        py: Python<'_>,
        username: String,
        network_filter_id: String,
    ) -> PyResult<mikopbx::AsteriskManager> {
        let api = self.live(py)?.asterisk_managers();
        crate::runtime::call_blocking(py, async move {
            api.create_click_to_call_manager(&username, &network_filter_id)
                .await
        })
    }

    fn create_click_to_call_manager_async<'py>(
        &self,
        py: Python<'py>,
        username: String,
        network_filter_id: String,
    ) -> PyResult<Bound<'py, PyAny>> {
        let api = self.live(py)?.asterisk_managers();
        crate::runtime::awaitable(py, async move {
            api.create_click_to_call_manager(&username, &network_filter_id)
                .await
        })
    }

    /// `mikopbx::ApiKeysApi::create_for`: `(key, info)`; `network` is `"any"`, `"localhost"` or
    /// a filter id.
    fn create_api_key_for(
        &self,
        py: Python<'_>,
        description: String,
        operations: Vec<String>,
        network: &Bound<'_, PyAny>,
    ) -> PyResult<(String, mikopbx::ApiKeyInfo)> {
        let network = serde_json::from_value::<mikopbx::NetworkFilter>(to_json(network)?)
            .map_err(|e| to_pyerr(py, &config(format!("api_keys.create_for: network {e}"))))?;
        let api = self.live(py)?.api_keys();
        let created = crate::runtime::call_blocking(py, async move {
            api.create_for(description, operations, network).await
        })?;
        Ok((created.key.expose_secret().to_owned(), created.info))
    }

    fn create_api_key_for_async<'py>(
        &self,
        py: Python<'py>,
        description: String,
        operations: Vec<String>,
        network: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let network = serde_json::from_value::<mikopbx::NetworkFilter>(to_json(network)?)
            .map_err(|e| to_pyerr(py, &config(format!("api_keys.create_for: network {e}"))))?;
        let api = self.live(py)?.api_keys();
        crate::runtime::awaitable(py, async move {
            api.create_for(description, operations, network)
                .await
                .map(|c| (c.key.expose_secret().to_owned(), c.info))
        })
    }

    /// `mikopbx::Client::request`, the escape hatch: `(status, data as JSON text, messages)`.
    /// `method` is a verb in any case; `body` any JSON-able value or `None`.
    fn request(
        &self,
        py: Python<'_>,
        method: &str,
        path: String,
        body: &Bound<'_, PyAny>,
    ) -> PyResult<(u16, String, Vec<String>)> {
        let (method, body) = request_args(py, method, body)?;
        let client = self.live(py)?;
        let answer = crate::runtime::call_blocking(py, async move {
            client.request(method, &path, body.as_ref()).await
        })?;
        Ok((answer.status, answer.data_json, answer.messages))
    }

    fn request_async<'py>(
        &self,
        py: Python<'py>,
        method: &str,
        path: String,
        body: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (method, body) = request_args(py, method, body)?;
        let client = self.live(py)?;
        crate::runtime::awaitable(py, async move {
            client
                .request(method, &path, body.as_ref())
                .await
                .map(|a| (a.status, a.data_json, a.messages))
        })
    }

    /// `mikopbx::Client::login`: `(login, expires_at as Unix seconds)`; never a token.
    fn login(&self, py: Python<'_>, username: String, password: String) -> PyResult<(String, f64)> {
        let client = self.live(py)?;
        crate::runtime::call_blocking(py, async move {
            client.login(&username, &password).await.map(session_tuple)
        })
    }

    fn login_async<'py>(
        &self,
        py: Python<'py>,
        username: String,
        password: String,
    ) -> PyResult<Bound<'py, PyAny>> {
        let client = self.live(py)?;
        crate::runtime::awaitable(py, async move {
            client.login(&username, &password).await.map(session_tuple)
        })
    }

    /// `mikopbx::Client::logout`.
    fn logout(&self, py: Python<'_>) -> PyResult<()> {
        let client = self.live(py)?;
        crate::runtime::call_blocking(py, async move { client.logout().await })
    }

    fn logout_async<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let client = self.live(py)?;
        crate::runtime::awaitable(py, async move { client.logout().await })
    }

    /// `mikopbx::Client::session`: `(login, expires_at as Unix seconds)` while logged in.
    fn session(&self, py: Python<'_>) -> PyResult<Option<(String, f64)>> {
        Ok(self.live(py)?.session().map(session_tuple))
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

impl NativeClient {
    /// The core client, or `ConfigurationError` once `close()` was called.
    fn live(&self, py: Python<'_>) -> PyResult<mikopbx::Client> {
        self.client
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
            .ok_or_else(|| to_pyerr(py, &config("this client is closed; create a new one")))
    }
}
