//! Operations by name: JSON arguments in, JSON out.
//!
//! Every `api!` block generates its arm of this dispatch, so any operation of the table can be
//! run from its name and the argument names of its Rust method (`{"id": "12"}`,
//! `{"query": {"search": "Lee"}}`, `{"employee": {...}}`). Tools and the shared scenario runners
//! use it; applications use the typed methods. Results are the models' serde form; a list is
//! collected whole (bounded by its query's `max_items`), so exports should use the typed pagers.

use std::future::Future;
use std::pin::Pin;

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::Error;
use crate::operations::{self, OperationSpec};
use crate::pagination::Pager;

type JsonFuture = Pin<Box<dyn Future<Output = Result<Value, Error>> + Send>>;

/// The next page of a [`JsonPages`].
pub type PageFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Option<Vec<Value>>, Error>> + Send + 'a>>;

/// One started operation.
pub enum DynCall {
    /// A single call.
    Future(JsonFuture),
    /// A list: its pages, fetched lazily.
    Pager(Box<dyn JsonPages>),
}

/// A pager whose items come out as JSON.
pub trait JsonPages: Send {
    /// The next page, or `None` at the end.
    fn next_page(&mut self) -> PageFuture<'_>;
}

impl<T: DeserializeOwned + serde::Serialize + Send + 'static> JsonPages for Pager<T> {
    fn next_page(&mut self) -> PageFuture<'_> {
        Box::pin(async move {
            Ok(Pager::next_page(self).await?.map(|items| {
                items
                    .into_iter()
                    .map(|i| serde_json::to_value(i).unwrap_or_default())
                    .collect()
            }))
        })
    }
}

impl DynCall {
    pub(crate) fn future<F>(f: F) -> Self
    where
        F: Future<Output = Result<Value, Error>> + Send + 'static,
    {
        DynCall::Future(Box::pin(f))
    }

    pub(crate) fn pager<T: DeserializeOwned + serde::Serialize + Send + 'static>(
        pager: Pager<T>,
    ) -> Self {
        DynCall::Pager(Box::new(pager))
    }

    /// Runs it to the end: a single value, or every item of a list as an array.
    pub async fn run(self) -> Result<Value, Error> {
        match self {
            DynCall::Future(f) => f.await,
            DynCall::Pager(mut pages) => {
                let mut all = Vec::new();
                while let Some(page) = pages.next_page().await? {
                    all.extend(page);
                }
                Ok(Value::Array(all))
            }
        }
    }
}

/// The arguments of `op`, by the names of its Rust method's parameters. Unknown names are
/// refused, so a typo is never dropped silently.
pub(crate) fn arguments<A: DeserializeOwned>(op: &OperationSpec, args: Value) -> Result<A, Error> {
    let mut args = if args.is_null() {
        Value::Object(Default::default())
    } else {
        args
    };
    // Filters are optional as a whole: a missing query struct is an empty one.
    if let Value::Object(map) = &mut args {
        for p in op.params {
            if p.location == crate::describe::ParamIn::Query && p.model.is_some() {
                map.entry(p.name)
                    .or_insert_with(|| Value::Object(Default::default()));
            }
        }
    }
    serde_json::from_value(args).map_err(|e| Error::config(format!("{}: {e}", op.name)))
}

/// Starts the operation named `name` (`"employees.get"`, or its wire name) with `args`.
pub fn start(client: &crate::Client, name: &str, args: Value) -> Result<DynCall, Error> {
    let op = operations::find(name).ok_or_else(|| unknown(name))?;
    crate::resources::json_call(client, op.handle, op.method_name, args)
        .unwrap_or_else(|| Err(unknown(name)))
}

/// Runs the operation named `name` with `args` to the end (see [`DynCall::run`]).
pub async fn call(client: &crate::Client, name: &str, args: Value) -> Result<Value, Error> {
    start(client, name, args)?.run().await
}

fn unknown(name: &str) -> Error {
    let known: Vec<&str> = operations::OPERATIONS.iter().map(|o| o.name).collect();
    Error::config(format!(
        "unknown operation {name:?}; known: {}",
        known.join(", ")
    ))
}

/// Kotlin/Swift: run an operation by name, JSON text in and out (for tools and the shared
/// scenarios; applications use the typed methods).
#[cfg(feature = "uniffi")]
use crate::Client;

#[cfg(feature = "uniffi")]
#[uniffi::export(async_runtime = "tokio")]
impl Client {
    /// Runs the operation `name` with `args_json` (the Rust method's argument names) and returns
    /// its result as JSON text. Lists are collected whole.
    pub async fn call_operation_json(
        &self,
        name: String,
        args_json: String,
    ) -> Result<String, Error> {
        let args: Value = if args_json.trim().is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&args_json)
                .map_err(|e| Error::config(format!("{name}: arguments are not JSON: {e}")))?
        };
        Ok(call(self, &name, args).await?.to_string())
    }
}
