//! The uniffi layer of the MikoPBX SDK: what the Kotlin and Swift packages call.
//!
//! Thin by design: every method forwards to the core crate [`mikopbx`], which owns transport, TLS
//! trust, retries, the rate governor, pagination and error classification. This crate only
//! adapts shapes for uniffi:
//!
//! - [`ClientBuilder`] → [`Client`], with per-resource views (`client.extensions().list(…)`),
//!   named after the operations table;
//! - list cursors ([`pagers`]) with `nextPage()`, wrapped by a hand-written Kotlin `Flow` and
//!   Swift `AsyncSequence`;
//! - one error enum, [`MikoPbxError`], whose `Display` (the core's message) is exported;
//! - [`ApiKey`], an opaque secret that never prints.
//!
//! The bindings are generated from the built library by `bindings/ffi/generate.sh`.

// `MikoPbxError` is large by design (it carries the core's structured fields) and crosses the FFI
// serialized, so its in-memory size costs nothing that boxing would save; uniffi cannot lift a
// boxed error anyway.
#![allow(clippy::result_large_err)]

uniffi::setup_scaffolding!();

mod builder;
mod client;
mod error;
pub mod pagers;
mod secret;

pub use builder::ClientBuilder;
pub use client::{
    ApiKeysApi, CdrApi, Client, EmployeesApi, ExtensionsApi, PbxStatusApi, SysinfoApi, SystemApi,
    minimal_permissions, operation_names,
};
pub use error::MikoPbxError;
pub use secret::ApiKey;

/// The version of this SDK (`0.1.0`).
#[uniffi::export]
pub fn sdk_version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}
