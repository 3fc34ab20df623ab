//! One module per resource API, each with one `api!` block (grammar in
//! `crates/mikopbx/src/api.rs`) that defines its handle (`client.extensions()`, …), its operations and their methods, beside its models.
//!
//! A resource is registered once, in the `resources!` list below: that line declares the module
//! and adds its operations to the table, to the Python dispatch and to
//! [`operations`](crate::operations) (its constants are re-exported there). The module name is
//! the handle's accessor on [`Client`](crate::Client).

use serde_json::Value;

use crate::operations::OperationSpec;

macro_rules! resources {
    ($($(#[doc = $doc:literal])* $module:ident),* $(,)?) => {
        $( $(#[doc = $doc])* pub mod $module; )*

        /// Each resource's operations, in registration order.
        pub(crate) static RESOURCES: &[&[&OperationSpec]] = &[$($module::OPERATIONS),*];

        /// Every public item of every resource module (handles, models, cursors, operation
        /// constants), re-exported at the crate root.
        pub mod prelude {
            $( pub use super::$module::*; )*
        }

        /// Every operation constant, re-exported by [`crate::operations`].
        pub(crate) mod specs {
            $( pub use super::$module::specs::*; )*
        }

        /// Starts `handle.method` by name, JSON in and out (see [`crate::dynamic`]).
        pub(crate) fn json_call(
            client: &crate::Client,
            handle: &str,
            method: &str,
            args: Value,
        ) -> Option<Result<crate::dynamic::DynCall, crate::Error>> {
            match handle {
                $( stringify!($module) => client.$module().json_call(method, args), )*
                _ => None,
            }
        }

        /// Runs `handle.method` from Python: the arguments are the method's, by name.
        #[cfg(feature = "python")]
        pub(crate) fn python_call(
            client: &crate::Client,
            handle: &str,
            method: &str,
            args: Value,
        ) -> Option<Result<crate::python::PyCall, crate::Error>> {
            match handle {
                $( stringify!($module) => client.$module().python_call(method, args), )*
                _ => None,
            }
        }
    };
}

resources! {
    /// `system`: liveness and credentials.
    system,
    /// `sysinfo`: information about the PBX.
    sysinfo,
    /// `extensions`: the read-only directory of numbers.
    extensions,
    /// `employees`: users and their SIP extensions.
    employees,
    /// `cdr`: call history.
    cdr,
    /// `pbx-status`: calls and channels in progress.
    pbx_status,
    /// `api-keys`: the keys themselves.
    api_keys,
    /// `call-queues`: queues of agents.
    call_queues,
    /// `network-filters`: the named networks keys and peers refer to (read-only).
    network_filters,
    /// `asterisk-managers`: AMI users.
    asterisk_managers,
    /// `conference-rooms`: meeting rooms callers dial into.
    conference_rooms,
    /// `ivr-menu`: voice menus that route callers by the digits they press.
    ivr_menu,
    /// `incoming-routes`: where calls from providers go, by number and provider.
    incoming_routes,
    /// `sip`: whether phones and trunks are online.
    sip,
}

/// Removes `null` members so that optional fields are left out of request bodies.
pub(crate) fn without_nulls(v: Value) -> Value {
    match v {
        Value::Object(map) => {
            Value::Object(map.into_iter().filter(|(_, v)| !v.is_null()).collect())
        }
        other => other,
    }
}
