//! The operations table: one entry per API operation.
//!
//! Everything else is derived from it: the URL of each request, the local permission pre-check,
//! [`Permissions::minimal_for`](crate::Permissions::minimal_for), retry eligibility and the
//! "which permission does this call need" table ([`markdown_table`]).

use std::fmt;

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
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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
    /// The shape of `data`.
    pub shape: ResponseShape,
    /// One line for the docs table.
    pub summary: &'static str,
}

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

/// `names` is (canonical name, server alias).
const fn op(
    names: (&'static str, &'static str),
    method: HttpMethod,
    path_template: &'static str,
    resource: Resource,
    idempotent: bool,
    shape: ResponseShape,
    summary: &'static str,
) -> OperationSpec {
    let access = match method {
        HttpMethod::Get | HttpMethod::Head => Access::Read,
        _ => Access::Write,
    };
    OperationSpec {
        name: names.0,
        wire: names.1,
        method,
        path_template,
        resource,
        access,
        idempotent,
        public: false,
        shape,
        summary,
    }
}

const fn public(mut spec: OperationSpec) -> OperationSpec {
    spec.public = true;
    spec
}

use HttpMethod::{Delete, Get, Patch, Post, Put};
use ResponseShape::{BareList, CdrRecords, Object, RecordsTotal};

/// `system.ping`.
pub const SYSTEM_PING: OperationSpec = public(op(
    ("system.ping", "system.ping"),
    Get,
    "/pbxcore/api/v3/system:ping",
    Resource::System,
    true,
    ResponseShape::Empty,
    "Is the API up? (public)",
));
/// The system.checkAuth operation.
pub const SYSTEM_CHECK_AUTH: OperationSpec = op(
    ("system.check_auth", "system.checkAuth"),
    Get,
    "/pbxcore/api/v3/system:checkAuth",
    Resource::System,
    true,
    Object,
    "Are these credentials accepted?",
);
/// The sysinfo.getInfo operation.
pub const SYSINFO_GET_INFO: OperationSpec = op(
    ("sysinfo.get_info", "sysinfo.getInfo"),
    Get,
    "/pbxcore/api/v3/sysinfo:getInfo",
    Resource::Sysinfo,
    true,
    Object,
    "System information",
);
/// The extensions.list operation.
pub const EXTENSIONS_LIST: OperationSpec = op(
    ("extensions.list", "extensions.list"),
    Get,
    "/pbxcore/api/v3/extensions",
    Resource::Extensions,
    true,
    BareList,
    "List extensions (search, type, paging)",
);
/// The extensions.get operation.
/// The server has no `getRecord` for extensions (every `GET extensions/{n}` answers 422 "Unknown
/// action"), so this is a search of the list for the exact number.
pub const EXTENSIONS_GET: OperationSpec = op(
    ("extensions.get", "extensions.getList"),
    Get,
    "/pbxcore/api/v3/extensions",
    Resource::Extensions,
    true,
    BareList,
    "One extension by number (a search of the list: the server has no getRecord)",
);
/// The extensions.getForSelect operation.
pub const EXTENSIONS_GET_FOR_SELECT: OperationSpec = op(
    ("extensions.get_for_select", "extensions.getForSelect"),
    Get,
    "/pbxcore/api/v3/extensions:getForSelect",
    Resource::Extensions,
    true,
    BareList,
    "Extensions as select options",
);
/// The extensions.available operation. A POST, so the server demands write even though it is a
/// lookup; retrying it is harmless because it changes nothing.
pub const EXTENSIONS_AVAILABLE: OperationSpec = op(
    ("extensions.available", "extensions.available"),
    Post,
    "/pbxcore/api/v3/extensions:available",
    Resource::Extensions,
    true,
    Object,
    "Is a number free? (POST: needs write)",
);
/// The employees.list operation.
pub const EMPLOYEES_LIST: OperationSpec = op(
    ("employees.list", "employees.list"),
    Get,
    "/pbxcore/api/v3/employees",
    Resource::Employees,
    true,
    RecordsTotal,
    "List employees",
);
/// The employees.get operation.
pub const EMPLOYEES_GET: OperationSpec = op(
    ("employees.get", "employees.get"),
    Get,
    "/pbxcore/api/v3/employees/{id}",
    Resource::Employees,
    true,
    Object,
    "One employee",
);
/// The employees.create operation.
pub const EMPLOYEES_CREATE: OperationSpec = op(
    ("employees.create", "employees.create"),
    Post,
    "/pbxcore/api/v3/employees",
    Resource::Employees,
    false,
    Object,
    "Create an employee (and its extension)",
);
/// The employees.update operation.
pub const EMPLOYEES_UPDATE: OperationSpec = op(
    ("employees.update", "employees.update"),
    Put,
    "/pbxcore/api/v3/employees/{id}",
    Resource::Employees,
    true,
    Object,
    "Replace an employee",
);
/// The employees.patch operation. Not retried: a partial update is not guaranteed idempotent.
pub const EMPLOYEES_PATCH: OperationSpec = op(
    ("employees.patch", "employees.patch"),
    Patch,
    "/pbxcore/api/v3/employees/{id}",
    Resource::Employees,
    false,
    Object,
    "Change some fields of an employee",
);
/// The employees.delete operation.
pub const EMPLOYEES_DELETE: OperationSpec = op(
    ("employees.delete", "employees.delete"),
    Delete,
    "/pbxcore/api/v3/employees/{id}",
    Resource::Employees,
    true,
    ResponseShape::Empty,
    "Delete an employee",
);
/// The cdr.list operation.
pub const CDR_LIST: OperationSpec = op(
    ("cdr.list", "cdr.list"),
    Get,
    "/pbxcore/api/v3/cdr",
    Resource::Cdr,
    true,
    CdrRecords,
    "Call history with filters",
);
/// The pbx-status.getActiveCalls operation.
pub const PBX_STATUS_ACTIVE_CALLS: OperationSpec = op(
    ("pbx_status.active_calls", "pbx-status.getActiveCalls"),
    Get,
    "/pbxcore/api/v3/pbx-status:getActiveCalls",
    Resource::PbxStatus,
    true,
    BareList,
    "Calls in progress",
);
/// The pbx-status.getActiveChannels operation.
pub const PBX_STATUS_ACTIVE_CHANNELS: OperationSpec = op(
    ("pbx_status.active_channels", "pbx-status.getActiveChannels"),
    Get,
    "/pbxcore/api/v3/pbx-status:getActiveChannels",
    Resource::PbxStatus,
    true,
    BareList,
    "Channels in progress",
);
/// The api-keys.generateKey operation. Stateless on the server, so a retry is harmless.
pub const API_KEYS_GENERATE: OperationSpec = op(
    ("api_keys.generate_key", "api-keys.generateKey"),
    Post,
    "/pbxcore/api/v3/api-keys:generateKey",
    Resource::ApiKeys,
    true,
    Object,
    "Generate a new key (returned once)",
);
/// The api-keys.create operation.
pub const API_KEYS_CREATE: OperationSpec = op(
    ("api_keys.create", "api-keys.create"),
    Post,
    "/pbxcore/api/v3/api-keys",
    Resource::ApiKeys,
    false,
    Object,
    "Register a key with its permissions",
);
/// The api-keys.list operation.
pub const API_KEYS_LIST: OperationSpec = op(
    ("api_keys.list", "api-keys.list"),
    Get,
    "/pbxcore/api/v3/api-keys",
    Resource::ApiKeys,
    true,
    BareList,
    "List keys",
);
/// The api-keys.get operation.
pub const API_KEYS_GET: OperationSpec = op(
    ("api_keys.get", "api-keys.get"),
    Get,
    "/pbxcore/api/v3/api-keys/{id}",
    Resource::ApiKeys,
    true,
    Object,
    "One key",
);
/// The api-keys.update operation.
pub const API_KEYS_UPDATE: OperationSpec = op(
    ("api_keys.update", "api-keys.update"),
    Put,
    "/pbxcore/api/v3/api-keys/{id}",
    Resource::ApiKeys,
    true,
    Object,
    "Replace a key's settings",
);
/// The api-keys.delete operation.
pub const API_KEYS_DELETE: OperationSpec = op(
    ("api_keys.delete", "api-keys.delete"),
    Delete,
    "/pbxcore/api/v3/api-keys/{id}",
    Resource::ApiKeys,
    true,
    ResponseShape::Empty,
    "Revoke a key",
);

/// Every operation the client knows.
pub static OPERATIONS: &[OperationSpec] = &[
    SYSTEM_PING,
    SYSTEM_CHECK_AUTH,
    SYSINFO_GET_INFO,
    EXTENSIONS_LIST,
    EXTENSIONS_GET,
    EXTENSIONS_GET_FOR_SELECT,
    EXTENSIONS_AVAILABLE,
    EMPLOYEES_LIST,
    EMPLOYEES_GET,
    EMPLOYEES_CREATE,
    EMPLOYEES_UPDATE,
    EMPLOYEES_PATCH,
    EMPLOYEES_DELETE,
    CDR_LIST,
    PBX_STATUS_ACTIVE_CALLS,
    PBX_STATUS_ACTIVE_CHANNELS,
    API_KEYS_GENERATE,
    API_KEYS_CREATE,
    API_KEYS_LIST,
    API_KEYS_GET,
    API_KEYS_UPDATE,
    API_KEYS_DELETE,
];

/// Finds an operation by its canonical name (`"api_keys.generate_key"`) or its wire alias
/// (`"api-keys.generateKey"`); always returns the canonical spec.
pub fn find(name: &str) -> Option<&'static OperationSpec> {
    let name = name.trim();
    OPERATIONS
        .iter()
        .find(|o| o.name == name)
        .or_else(|| OPERATIONS.iter().find(|o| o.wire == name))
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
    for o in OPERATIONS {
        let perm = if o.public {
            "public".to_owned()
        } else {
            format!("`{}`", o.allowed_path())
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
            o.summary
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
        for o in OPERATIONS {
            assert_eq!(o.access, Access::for_method(o.method), "{}", o.name);
            assert!(o.path_template.starts_with("/pbxcore/api/v3/"));
            assert!(o.wire.starts_with(o.resource.segment()), "{}", o.wire);
            assert!(
                o.name.starts_with(&o.resource.segment().replace('-', "_")),
                "{}",
                o.name
            );
            if o.name != "extensions.get" {
                // extensions.get shares the server action of extensions.list.
                assert_eq!(find(o.wire), Some(o));
            }
            assert_eq!(find(o.name), Some(o));
        }
    }

    #[test]
    fn paths_are_concatenated_not_joined() {
        assert_eq!(
            EXTENSIONS_GET_FOR_SELECT.path(None),
            "/pbxcore/api/v3/extensions:getForSelect"
        );
        assert_eq!(
            EMPLOYEES_GET.path(Some("12/../x")),
            "/pbxcore/api/v3/employees/12%2F..%2Fx"
        );
    }

    #[test]
    fn table_lists_every_operation() {
        let t = markdown_table();
        for o in OPERATIONS {
            assert!(t.contains(o.name));
        }
    }
}
