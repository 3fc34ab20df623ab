//! The operations table: one entry per API operation.
//!
//! The entries are written once, in each resource module's `api!` block (grammar in
//! `crates/mikopbx/src/api.rs`);
//! this module gathers them into [`OPERATIONS`] (resources in the order of
//! `resources::RESOURCES`). Everything else is derived from an entry: the URL of each request,
//! the local permission pre-check, [`Permissions::minimal_for`](crate::Permissions::minimal_for),
//! retry eligibility, the 401 probe, the "which permission does this call need" table
//! ([`markdown_table`]), the manifest ([`crate::describe`]) and every binding's method.

use std::fmt;
use std::sync::LazyLock;

use crate::describe::{Param, ReturnType};
use crate::permissions::{Access, Resource};

/// HTTP verbs used by the API.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum HttpMethod {
    /// GET
    Get,
    /// HEAD
    Head,
    /// POST
    Post,
    /// PUT
    Put,
    /// PATCH
    Patch,
    /// DELETE
    Delete,
}

impl HttpMethod {
    /// The verb in upper case.
    pub fn as_str(self) -> &'static str {
        match self {
            HttpMethod::Get => "GET",
            HttpMethod::Head => "HEAD",
            HttpMethod::Post => "POST",
            HttpMethod::Put => "PUT",
            HttpMethod::Patch => "PATCH",
            HttpMethod::Delete => "DELETE",
        }
    }
}

impl HttpMethod {
    /// Every verb.
    pub const ALL: &'static [HttpMethod] = &[
        HttpMethod::Get,
        HttpMethod::Head,
        HttpMethod::Post,
        HttpMethod::Put,
        HttpMethod::Patch,
        HttpMethod::Delete,
    ];

    /// Reads a verb, in any case (`"get"`, `"POST"`); `None` for anything else.
    pub fn parse(s: &str) -> Option<HttpMethod> {
        HttpMethod::ALL
            .iter()
            .copied()
            .find(|m| m.as_str().eq_ignore_ascii_case(s.trim()))
    }

    /// Whether repeating the request is harmless by HTTP's definition (RFC 9110 §9.2.2).
    pub fn is_idempotent(self) -> bool {
        !matches!(self, HttpMethod::Post | HttpMethod::Patch)
    }
}

impl fmt::Display for HttpMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The shape of `data` in a successful response.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum ResponseShape {
    /// A single object.
    Object,
    /// A bare array with no total (standard lists).
    BareList,
    /// `{"data": [...], "recordsTotal": N, "recordsFiltered": N}` (employees).
    RecordsTotal,
    /// `{"records": [...], "pagination": {total, limit, offset, hasMore, lastId}}` (cdr).
    CdrRecords,
    /// `{"items": [...], "total": N, ...}` (asterisk-rest-users, network-filters, firewall).
    Items,
    /// Nothing useful (`[]` or a message).
    Empty,
}

/// One API operation.
#[derive(Clone, Copy, Debug)]
pub struct OperationSpec {
    /// Canonical name: the SDK method, `<resource>.<method>` in snake_case, e.g.
    /// `"extensions.get_for_select"`, identical in every language. Used in errors, logs, scenarios
    /// and `minimal_permissions`.
    pub name: &'static str,
    /// The server's name for it, `<resource>.<action>` (e.g. `"extensions.getForSelect"`);
    /// [`find`] accepts it too.
    pub wire: &'static str,
    /// HTTP verb.
    pub method: HttpMethod,
    /// Path template with `{id}` placeholders, e.g. `/pbxcore/api/v3/extensions/{id}`.
    pub path_template: &'static str,
    /// The resource whose permission the server checks.
    pub resource: Resource,
    /// The access the server demands (decided by the verb, exactly as the server does).
    pub access: Access,
    /// Whether sending it twice is harmless, so that it may be retried after an ambiguous failure.
    pub idempotent: bool,
    /// Public endpoints need no key and no permission.
    pub public: bool,
    /// A system action that can destroy or stop a PBX (reboot, shutdown, shell, SQL, factory
    /// reset, upgrade): refused locally unless the client was built with
    /// `allow_dangerous_actions` (cargo feature `dangerous-actions`).
    pub dangerous: bool,
    /// The shape of `data`.
    pub shape: ResponseShape,
    /// One line for the docs table.
    pub summary: &'static str,
    /// The method's doc comment (carried into every language).
    pub doc: &'static str,
    /// The resource handle's accessor (`employees` in `client.employees()`).
    pub handle: &'static str,
    /// The resource handle's type (`EmployeesApi`), the same in every language.
    pub handle_type: &'static str,
    /// The method on the handle (`get_for_select`).
    pub method_name: &'static str,
    /// The method's arguments.
    pub params: &'static [Param],
    /// What the method returns.
    pub returns: ReturnType,
}

/// Operations are equal when their names are (names are unique in the table).
impl PartialEq for OperationSpec {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for OperationSpec {}

impl OperationSpec {
    /// The `allowed_paths` key the server checks for this operation.
    pub fn allowed_path(&self) -> String {
        self.resource.allowed_path()
    }

    /// The request path with `{id}` replaced by `id` (percent-encoded). URLs are built by string
    /// concatenation: `extensions:getForSelect` must never go through URL joining.
    pub fn path(&self, id: Option<&str>) -> String {
        match id {
            Some(id) => self.path_template.replace("{id}", &encode_segment(id)),
            None => self.path_template.to_owned(),
        }
    }

    /// Whether the template has an `{id}` placeholder.
    pub fn needs_id(&self) -> bool {
        self.path_template.contains("{id}")
    }
}

impl fmt::Display for OperationSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)
    }
}

/// Percent-encodes one path segment (everything but unreserved characters).
pub(crate) fn encode_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

pub use crate::resources::specs::*;

/// Every operation the client knows, resource by resource, in definition order.
pub static OPERATIONS: LazyLock<Vec<&'static OperationSpec>> = LazyLock::new(|| {
    crate::resources::RESOURCES
        .iter()
        .flat_map(|r| r.iter().copied())
        .collect()
});

/// Finds an operation by its canonical name (`"api_keys.generate_key"`) or its wire alias
/// (`"api-keys.generateKey"`); always returns the canonical spec.
pub fn find(name: &str) -> Option<&'static OperationSpec> {
    let name = name.trim();
    OPERATIONS
        .iter()
        .find(|o| o.name == name)
        .or_else(|| OPERATIONS.iter().find(|o| o.wire == name))
        .copied()
}

/// Finds several operations by name; an unknown name is a `Config` error listing the known ones.
pub fn find_all<S: AsRef<str>>(names: &[S]) -> Result<Vec<&'static OperationSpec>, crate::Error> {
    names
        .iter()
        .map(|n| {
            find(n.as_ref()).ok_or_else(|| {
                let known: Vec<&str> = OPERATIONS.iter().map(|o| o.name).collect();
                crate::Error::config(format!(
                    "unknown operation {:?}; known: {}",
                    n.as_ref(),
                    known.join(", ")
                ))
            })
        })
        .collect()
}

/// The "which permission does this call need" table, in Markdown, generated from [`OPERATIONS`].
pub fn markdown_table() -> String {
    let mut out = String::from(
        "| operation | server action | HTTP | path | allowed_paths key | access | retried | what |\n|---|---|---|---|---|---|---|---|\n",
    );
    for o in OPERATIONS.iter() {
        let perm = if o.public {
            "public".to_owned()
        } else {
            format!("`{}`", o.allowed_path())
        };
        let summary = if o.dangerous {
            format!(
                "**dangerous** (needs `allow_dangerous_actions`): {}",
                o.summary
            )
        } else {
            o.summary.to_owned()
        };
        out.push_str(&format!(
            "| `{}` | `{}` | {} | `{}` | {} | {} | {} | {} |\n",
            o.name,
            o.wire,
            o.method,
            o.path_template,
            perm,
            if o.public { "-" } else { o.access.as_str() },
            if o.idempotent { "yes" } else { "503 only" },
            summary
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_access_follows_the_verb() {
        let mut names: Vec<_> = OPERATIONS.iter().map(|o| o.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), OPERATIONS.len());
        for &o in OPERATIONS.iter() {
            assert_eq!(o.access, Access::for_method(o.method), "{}", o.name);
            assert!(o.path_template.starts_with("/pbxcore/api/v3/"));
            assert!(o.wire.starts_with(o.resource.segment()), "{}", o.wire);
            assert!(
                o.name.starts_with(&o.resource.segment().replace('-', "_")),
                "{}",
                o.name
            );
            if !["extensions.get", "cdr.list_calls", "system.set_datetime"].contains(&o.name) {
                // These share the server action of extensions.list, cdr.list and system.datetime
                // (the server's `datetime` answers GET and PUT).
                assert_eq!(find(o.wire), Some(o));
            }
            assert_eq!(find(o.name), Some(o));
        }
    }

    #[test]
    fn paths_are_concatenated_not_joined() {
        assert_eq!(
            crate::resources::extensions::EXTENSIONS_GET_FOR_SELECT.path(None),
            "/pbxcore/api/v3/extensions:getForSelect"
        );
        assert_eq!(
            crate::resources::employees::EMPLOYEES_GET.path(Some("12/../x")),
            "/pbxcore/api/v3/employees/12%2F..%2Fx"
        );
    }

    #[test]
    fn every_operation_is_reachable_by_name_with_checked_arguments() {
        let client = crate::Client::builder("https://127.0.0.1:9")
            .build()
            .unwrap();
        for &o in OPERATIONS.iter() {
            assert_eq!(o.name, format!("{}.{}", o.handle, o.method_name));
            let started = crate::resources::json_call(
                &client,
                o.handle,
                o.method_name,
                serde_json::json!({"no_such_argument": 1}),
            )
            .unwrap_or_else(|| panic!("{} is missing from the by-name dispatch", o.name));
            let Err(e) = started else {
                panic!("{}: an unknown argument was accepted", o.name)
            };
            assert!(
                e.to_string().contains("no_such_argument"),
                "{}: {e}",
                o.name
            );
        }
    }

    #[test]
    fn list_calls_has_its_own_entry() {
        let ops = find_all(&["cdr.list_calls"]).unwrap();
        let p = crate::Permissions::minimal_for(&ops).to_allowed_paths();
        assert_eq!(p.get("/api/v3/cdr").map(String::as_str), Some("read"));
    }

    #[test]
    fn table_lists_every_operation() {
        let t = markdown_table();
        for o in OPERATIONS.iter() {
            assert!(t.contains(o.name));
        }
    }
}
