//! The uniffi layer of the MikoPBX SDK: what the Kotlin and Swift packages call besides the core.
//!
//! The core crate [`mikopbx`] exports itself (feature `uniffi`): its `Client`, the resource
//! handles with one method per operation, the list cursors, the models, `ApiKey` and the error
//! `MikoPbxError`. This crate adds only what has no home in the core:
//!
//! - [`ClientBuilder`], a lockable wrapper of the core's builder (uniffi objects are shared);
//! - [`minimal_permissions`], [`operation_names`] and [`sdk_version`];
//! - the `uniffi-bindgen` binary that `generate.sh` runs, pinned to the workspace's uniffi.

// The core's error is large by design (it carries structured fields) and crosses the FFI
// serialized; uniffi cannot lift a boxed error anyway.
#![allow(clippy::result_large_err)]

use std::collections::HashMap;

use mikopbx::{Error, Permissions, operations};

uniffi::setup_scaffolding!();

mod builder;

pub use builder::ClientBuilder;

/// The least `allowed_paths` (`"/api/v3/extensions"` → `"read"`/`"write"`) that lets a key make
/// the named operations (`"extensions.list"`, `"cdr.list"`, …).
#[uniffi::export]
pub fn minimal_permissions(operations: Vec<String>) -> Result<HashMap<String, String>, Error> {
    let specs = operations::find_all(&operations)?;
    Ok(Permissions::minimal_for(&specs)
        .to_allowed_paths()
        .into_iter()
        .collect())
}

/// The operation names the client knows, in the table's order (`"extensions.list"`, …).
#[uniffi::export]
pub fn operation_names() -> Vec<String> {
    operations::OPERATIONS
        .iter()
        .map(|op| op.name.to_owned())
        .collect()
}

/// The version of this SDK (`0.1.0`).
#[uniffi::export]
pub fn sdk_version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}
