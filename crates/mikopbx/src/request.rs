//! The escape hatch: `Client::request(method, path, body)` for what the typed API does not cover,
//! above all the endpoints PBX modules add (`/pbxcore/api/v3/<module-resource>`, and the legacy
//! `/pbxcore/api/modules/{Module}/{action}`, `../shared/v3-endpoints.md` "Endpoints from
//! modules").
//!
//! It is the same pipeline as every typed call: the governor, the retries (by the matched
//! operation's flag, else by the verb: POST and PATCH are never re-sent after an ambiguous
//! failure), the timeout, the error mapping, the permission pre-check from the key's known
//! permissions, and the dangerous-action gate. A path that is an operation of the table is run
//! under that operation's name and flags, so `request` can never reach `system:reboot` where
//! `client.system().reboot()` could not.
//!
//! The path is checked before anything is sent: it must sit under the API's prefixes, be plain
//! ASCII, and hold no empty, `.` or `..` segment and no percent-encoded `.`, `/`, `\` or `%`.
//! The server's permission check (`ApiKeyPermissionChecker`) reads the raw URL while the router
//! reads the decoded one; a path that means one thing to the first and another to the second
//! would let the check and the action disagree.

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::client::Client;
use crate::describe::{ReturnType, Returns};
use crate::error::{DenialOrigin, Diagnosis, Error, UnauthorizedCause};
use crate::operations::{self, HttpMethod, OperationSpec, ResponseShape};
use crate::permissions::{Access, Resource, normalize_path};

/// The prefix of the core's and the modules' v3 resources.
const V3_PREFIX: &str = "/pbxcore/api/v3/";
/// The prefix of the legacy module actions (`GET|POST /pbxcore/api/modules/{Module}/{action}`).
const LEGACY_MODULES_PREFIX: &str = "/pbxcore/api/modules/";
/// Longest path (with its query string) accepted.
const MAX_PATH: usize = 2048;

/// The answer of [`Client::request`]: the envelope's `data`, untouched, and its messages.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct ApiResponse {
    /// The HTTP status (2xx: anything else is an error).
    pub status: u16,
    /// `data` as the PBX sent it, as JSON text (`null` when there was none).
    pub data_json: String,
    /// The envelope's messages (warnings and notices of a successful call).
    pub messages: Vec<String>,
}

impl ApiResponse {
    /// `data` as a JSON value.
    pub fn data(&self) -> Value {
        serde_json::from_str(&self.data_json).unwrap_or(Value::Null)
    }

    /// `data` decoded into `T`; a mismatch is a `Decode` error.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, Error> {
        serde_json::from_str(&self.data_json).map_err(|e| Error::Decode {
            operation: Some(REQUEST.into()),
            status: Some(self.status),
            detail: format!("data does not have the type asked for: {e}"),
            excerpt: crate::error::excerpt(self.data_json.as_bytes(), 200),
        })
    }
}

/// The name errors carry for a request that is no operation of the table.
const REQUEST: &str = "request";

/// Actions that can stop or destroy a PBX, refused unless the client allows dangerous actions:
/// `../shared/v3-endpoints.md`'s "dangerous" list and its "extra destructive actions". The
/// table's `dangerous` flags must agree with it (a test checks): this is the one list.
const DANGEROUS: &[(Dangerous, &str)] = &[
    (
        Dangerous::Action("system", "executeBashCommand"),
        "runs a shell command",
    ),
    (
        Dangerous::Action("system", "executeSqlRequest"),
        "runs SQL on the configuration",
    ),
    (Dangerous::Action("system", "reboot"), "reboots the PBX"),
    (
        Dangerous::Action("system", "shutdown"),
        "powers the PBX off",
    ),
    (
        Dangerous::Action("system", "restoreDefault"),
        "erases the configuration",
    ),
    (
        Dangerous::Action("system", "upgrade"),
        "replaces the firmware",
    ),
    (Dangerous::Action("storage", "mkfs"), "formats a disk"),
    (
        Dangerous::Action("storage", "umount"),
        "unmounts the storage",
    ),
    (
        Dangerous::Action("syslog", "eraseFile"),
        "erases a log file",
    ),
    (
        Dangerous::Action("employees", "batchDelete"),
        "deletes employees in bulk",
    ),
    (
        Dangerous::Action("license", "resetKey"),
        "drops the licence key",
    ),
    (
        Dangerous::IdAction("modules", "uninstall"),
        "uninstalls a module",
    ),
    (
        Dangerous::Record(HttpMethod::Put, "files"),
        "overwrites any file",
    ),
    (
        Dangerous::Record(HttpMethod::Delete, "files"),
        "deletes any file",
    ),
    (
        Dangerous::Bare(HttpMethod::Delete, "mail-settings"),
        "resets the mail settings",
    ),
];

/// How a dangerous action is addressed.
#[derive(Clone, Copy, Debug)]
enum Dangerous {
    /// `<resource>:<action>`, by any verb (the action, not the verb, does the harm).
    Action(&'static str, &'static str),
    /// `<resource>/{id}:<action>`, by any verb.
    IdAction(&'static str, &'static str),
    /// `<verb> <resource>/{id}`.
    Record(HttpMethod, &'static str),
    /// `<verb> <resource>` (a singleton).
    Bare(HttpMethod, &'static str),
}

/// A checked request path.
#[derive(Debug, PartialEq, Eq)]
struct Target {
    /// The path without its query string.
    path: String,
    /// The query string's pairs.
    query: Vec<(String, String)>,
    /// The v3 resource segment (`employees`, `module-example`), `None` for legacy module paths.
    resource_segment: Option<String>,
    /// The record segment after the resource, without its action.
    id: Option<String>,
    /// The action after the last `:` (`getForSelect`).
    action: Option<String>,
}

impl Target {
    fn parse(path: &str) -> Result<Target, Error> {
        let bad = |why: &str| {
            Error::config(format!(
                "request: path {:?} {why}",
                path.chars().take(120).collect::<String>()
            ))
        };
        if path.len() > MAX_PATH {
            return Err(bad(&format!("is longer than {MAX_PATH} bytes")));
        }
        if let Some(c) = path
            .chars()
            .find(|c| !c.is_ascii_graphic() || matches!(c, '#' | '\\' | '"' | '<' | '>' | '`'))
        {
            return Err(bad(&format!(
                "holds {c:?}: percent-encode it (spaces and control characters are never sent)"
            )));
        }
        let (path_only, query) = path.split_once('?').unwrap_or((path, ""));
        let rest = if let Some(rest) = path_only.strip_prefix(V3_PREFIX) {
            rest
        } else if let Some(rest) = path_only.strip_prefix(LEGACY_MODULES_PREFIX) {
            rest
        } else {
            return Err(bad(&format!(
                "is not under the API: it must start with {V3_PREFIX} (core and module \
                 resources) or {LEGACY_MODULES_PREFIX} (legacy module actions)"
            )));
        };
        let segments: Vec<&str> = rest.split('/').collect();
        for seg in &segments {
            if seg.is_empty() {
                return Err(bad("has an empty segment (`//` or a trailing `/`)"));
            }
            if matches!(*seg, "." | "..") {
                return Err(bad("has a `.` or `..` segment"));
            }
            check_percent_escapes(seg).map_err(|why| bad(&why))?;
        }
        let query = url::form_urlencoded::parse(query.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let legacy = !path_only.starts_with(V3_PREFIX);
        let split_action = |seg: &str| match seg.split_once(':') {
            Some((name, action)) => (name.to_owned(), Some(action.to_owned())),
            None => (seg.to_owned(), None),
        };
        let (resource_segment, id, action) = if legacy {
            (None, None, None)
        } else {
            let (resource, mut action) = split_action(segments[0]);
            let id = segments.get(1).map(|seg| {
                let (id, a) = split_action(seg);
                action = a;
                id
            });
            (Some(resource), id, action)
        };
        Ok(Target {
            path: path_only.to_owned(),
            query,
            resource_segment,
            id,
            action,
        })
    }

    /// The catalogue's resource, for a core v3 path.
    fn resource(&self) -> Option<Resource> {
        self.resource_segment
            .as_deref()
            .and_then(Resource::from_segment)
    }

    /// Why this request is dangerous, if it is.
    fn danger(&self, method: HttpMethod) -> Option<&'static str> {
        let segment = self.resource_segment.as_deref()?;
        let same = |a: &str, b: &str| a.eq_ignore_ascii_case(b);
        DANGEROUS.iter().find_map(|(d, why)| {
            let hit = match *d {
                Dangerous::Action(r, a) => {
                    same(segment, r)
                        && self.id.is_none()
                        && self.action.as_deref().is_some_and(|x| same(x, a))
                }
                Dangerous::IdAction(r, a) => {
                    same(segment, r)
                        && self.id.is_some()
                        && self.action.as_deref().is_some_and(|x| same(x, a))
                }
                Dangerous::Record(m, r) => {
                    m == method && same(segment, r) && self.id.is_some() && self.action.is_none()
                }
                Dangerous::Bare(m, r) => {
                    m == method && same(segment, r) && self.id.is_none() && self.action.is_none()
                }
            };
            hit.then_some(*why)
        })
    }

    /// The operation of the table this request is, if any.
    fn operation(&self, method: HttpMethod) -> Option<&'static OperationSpec> {
        operations::OPERATIONS
            .iter()
            .copied()
            .find(|op| op.method == method && template_matches(op.path_template, &self.path))
    }
}

/// `%` must start a two-digit escape, and the escape must not hide a character the router and
/// the permission check would read differently.
fn check_percent_escapes(seg: &str) -> Result<(), String> {
    let bytes = seg.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = seg.get(i + 1..i + 3).filter(|h| h.len() == 2);
            let Some(value) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) else {
                return Err("has a `%` that does not start an escape like %20".into());
            };
            if matches!(value, b'.' | b'/' | b'\\' | b'%') || value < 0x20 || value == 0x7f {
                return Err(format!(
                    "has the escape %{:02X}, which could reach another endpoint than the one \
                     the permission check sees",
                    value
                ));
            }
            i += 3;
        } else {
            i += 1;
        }
    }
    Ok(())
}

/// Whether `path` is an instance of `template` (`{id}` standing for one segment without `:`).
fn template_matches(template: &str, path: &str) -> bool {
    match template.split_once("{id}") {
        None => template == path,
        Some((before, after)) => path
            .strip_prefix(before)
            .and_then(|rest| rest.strip_suffix(after))
            .is_some_and(|id| !id.is_empty() && !id.contains(['/', ':'])),
    }
}

impl Client {
    /// Sends a request the typed API does not cover: an endpoint a PBX module adds, or one this
    /// SDK does not model yet. `path` starts with `/pbxcore/api/v3/` or `/pbxcore/api/modules/`
    /// and may carry a query string; `body` is sent as JSON. Returns the envelope's `data` and
    /// messages; every failure is the same typed error as for a typed call.
    ///
    /// The key's known permissions are checked first (nothing is sent without them), a path
    /// that is an operation of the table runs as that operation (its name, retries and
    /// dangerous-action gate), and the other dangerous system actions are refused unless the
    /// client allows dangerous actions. POST and PATCH are never re-sent after an ambiguous
    /// failure.
    pub async fn request(
        &self,
        method: HttpMethod,
        path: &str,
        body: Option<&Value>,
    ) -> Result<ApiResponse, Error> {
        let target = Target::parse(path)?;
        if body.is_some() && matches!(method, HttpMethod::Get | HttpMethod::Head) {
            return Err(Error::config(format!(
                "request: a {method} has no body; put the arguments in the path's query string"
            )));
        }
        let known = target.operation(method);
        let name = known.map_or(REQUEST, |op| op.name);
        let danger = target.danger(method);
        self.refuse_if_dangerous(
            danger.is_some() || known.is_some_and(|op| op.dangerous),
            &format!("{method} {}", target.path),
            danger.unwrap_or_else(|| known.map_or("", |op| op.summary)),
        )?;
        // Before the pre-check, as for typed calls (crate::usage): the operation's name, or the
        // request's permission key.
        self.record_usage(match known {
            Some(op) => crate::usage::Usage::Operation(op),
            None => crate::usage::Usage::request(method, &target.path),
        });
        let public = known.is_some_and(|op| op.public);
        let needed = normalize_path(&target.path);
        if !public {
            self.check_request_permission(method, &target, &needed)
                .map_err(|e| e.with_operation(name))?;
        }
        // The facts the pipeline needs about a request that is no operation of the table.
        let ad_hoc = OperationSpec {
            name: REQUEST,
            wire: REQUEST,
            method,
            path_template: "",
            // Only read to describe a JSON 403, which `resolve_denial` rewrites below.
            resource: target.resource().unwrap_or(Resource::Modules),
            access: Access::for_method(method),
            idempotent: method.is_idempotent(),
            public: false,
            dangerous: false,
            shape: ResponseShape::Object,
            summary: "",
            doc: "",
            handle: "",
            handle_type: "",
            method_name: REQUEST,
            params: &[],
            returns: ReturnType {
                form: Returns::One,
                ty: "ApiResponse",
                model: None,
                cursor: None,
            },
        };
        let op = known.unwrap_or(&ad_hoc);
        let result = self.send_json(op, &target.path, &target.query, body).await;
        let reply = match (result, known) {
            (Ok(reply), _) => reply,
            // A session's 401 is already explained (the key diagnosis is for API keys).
            (Err(e @ Error::Unauthorized { .. }), _) if self.uses_session() => {
                return Err(e.with_operation(name));
            }
            (Err(Error::Unauthorized { .. }), Some(op)) if self.diagnoses() => {
                let diagnosed =
                    Box::pin(crate::diagnose::diagnose_401(self, op, &target.path)).await;
                return Err(diagnosed.with_operation(name));
            }
            (Err(Error::Unauthorized { status, .. }), None) => {
                return Err(self.unauthorized_request(method, &target, &needed, status));
            }
            (Err(e), Some(_)) => return Err(e.with_operation(name)),
            (Err(e), None) => return Err(resolve_denial(e, &target, &needed).with_operation(name)),
        };
        Ok(ApiResponse {
            status: reply.status,
            data_json: reply.envelope.raw_data().to_owned(),
            messages: reply.envelope.all_messages(),
        })
    }

    /// The local permission check of a request, from the key's known permissions.
    fn check_request_permission(
        &self,
        method: HttpMethod,
        target: &Target,
        needed: &str,
    ) -> Result<(), Error> {
        let Some(p) = self.permissions() else {
            return Ok(());
        };
        if p.allows_request(method, &target.path) {
            return Ok(());
        }
        let required = Access::for_method(method);
        match target.resource() {
            // A core resource: what a typed call would say.
            Some(resource) if needed == resource.allowed_path() => Err(Error::permission_denied(
                resource,
                required,
                p.access_for(resource),
                DenialOrigin::Local,
                None,
            )),
            // The key holds the resource, but the server will not take the last segment for a
            // record id (ids ending in A–F), so it checks a path no key can hold.
            Some(resource)
                if needed.starts_with(&format!("{}/", resource.allowed_path()))
                    && p.access_for(resource).is_some_and(|a| a.includes(required)) =>
            {
                Err(id_quirk(target, resource, required))
            }
            // A module's path (or a core sub-path): the `allowed_paths` key itself.
            _ if target.resource_segment.is_some() => Err(Error::PermissionDenied {
                operation: None,
                status: None,
                resource: target.resource().filter(|r| needed == r.allowed_path()),
                allowed_path: needed.to_owned(),
                required,
                granted: p.access_for_path(needed),
                origin: DenialOrigin::Local,
            }),
            // Legacy module actions cannot be granted to a restricted key at all: `allowed_paths`
            // keys are `/api/v<n>/…` (`ApiKeys/SaveRecordAction.php`). The server decides (a
            // module may declare the route public); a 401 is explained below.
            _ => Ok(()),
        }
    }

    /// A 401 on a request that is no operation of the table, explained as far as the known
    /// permissions allow (the table's probes do not apply to a module's path).
    fn unauthorized_request(
        &self,
        method: HttpMethod,
        target: &Target,
        needed: &str,
        status: Option<u16>,
    ) -> Error {
        let required = Access::for_method(method);
        let legacy = target.resource_segment.is_none();
        match self.permissions() {
            Some(p) if !p.is_full() && !legacy && !p.allows_request(method, &target.path) => {
                Error::PermissionDenied {
                    operation: Some(REQUEST.into()),
                    status,
                    resource: None,
                    allowed_path: needed.to_owned(),
                    required,
                    granted: p.access_for_path(needed),
                    origin: DenialOrigin::Server,
                }
            }
            _ => Error::Unauthorized {
                messages: Vec::new(),
                operation: Some(REQUEST.into()),
                status,
                diagnosis: Diagnosis {
                    cause: UnauthorizedCause::Undetermined,
                    ruled_out: vec!["TLS and reachability (the PBX answered)".into()],
                    remaining: vec![
                        "a wrong or revoked key".into(),
                        if legacy {
                            "a restricted key: legacy module actions (/pbxcore/api/modules/…) \
                             need a key with full permissions"
                                .into()
                        } else {
                            format!("a missing permission: {required} on {needed}")
                        },
                        "a network filter that refuses this address".into(),
                    ],
                    advice: "Check the key in System → API Keys; `mikopbx doctor` tests the \
                             key itself"
                        .into(),
                }
                .into(),
            },
        }
    }
}

/// The ID-heuristic refusal, for a path outside the table.
fn id_quirk(target: &Target, resource: Resource, required: Access) -> Error {
    Error::Unauthorized {
        messages: Vec::new(),
        operation: None,
        status: None,
        diagnosis: Diagnosis {
            cause: UnauthorizedCause::IdQuirk,
            ruled_out: vec![format!(
                "a missing permission (the key holds {required} on {resource})"
            )],
            remaining: Vec::new(),
            advice: format!(
                "The PBX does not recognise {:?} as a record id (ids ending in A–F fail its \
                 check), so it refuses every key without full permissions on that record. Use a \
                 key with full permissions for this call",
                target.id.as_deref().unwrap_or_default()
            ),
        }
        .into(),
    }
}

/// A JSON 403 from the server names the placeholder resource of an ad-hoc request: name the
/// path the request really needed.
fn resolve_denial(e: Error, target: &Target, needed: &str) -> Error {
    match e {
        Error::PermissionDenied {
            operation,
            status,
            required,
            granted,
            origin,
            ..
        } => Error::PermissionDenied {
            operation,
            status,
            resource: target.resource().filter(|r| needed == r.allowed_path()),
            allowed_path: needed.to_owned(),
            required,
            granted,
            origin,
        },
        other => other,
    }
}

/// Kotlin/Swift: `client.request(method, path, bodyJson)`, the body and `data` as JSON text.
#[cfg(feature = "uniffi")]
#[uniffi::export(async_runtime = "tokio")]
impl Client {
    /// Sends a request the typed API does not cover (an endpoint a PBX module adds): `path`
    /// under `/pbxcore/api/v3/` or `/pbxcore/api/modules/`, with an optional query string;
    /// `body_json` sent as the JSON body. The same checks, retries and typed errors as every
    /// call; dangerous system actions stay refused unless the client allows them.
    #[uniffi::method(name = "request")]
    pub async fn ffi_request(
        &self,
        method: HttpMethod,
        path: String,
        body_json: Option<String>,
    ) -> Result<ApiResponse, Error> {
        let body = body_json
            .map(|text| {
                serde_json::from_str::<Value>(&text)
                    .map_err(|e| Error::config(format!("request: body_json is not JSON: {e}")))
            })
            .transpose()?;
        self.request(method, &path, body.as_ref()).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_under_the_api_are_split() {
        let t =
            Target::parse("/pbxcore/api/v3/module-example/TASK-12:run?limit=5&q=a%20b").unwrap();
        assert_eq!(t.path, "/pbxcore/api/v3/module-example/TASK-12:run");
        assert_eq!(t.resource_segment.as_deref(), Some("module-example"));
        assert_eq!(t.id.as_deref(), Some("TASK-12"));
        assert_eq!(t.action.as_deref(), Some("run"));
        assert_eq!(
            t.query,
            vec![("limit".into(), "5".into()), ("q".into(), "a b".into())]
        );
        let t = Target::parse("/pbxcore/api/v3/extensions:getForSelect").unwrap();
        assert_eq!((t.id, t.action.as_deref()), (None, Some("getForSelect")));
        let t = Target::parse("/pbxcore/api/modules/ModuleBackup/status").unwrap();
        assert_eq!(t.resource_segment, None);
    }

    #[test]
    fn paths_that_could_mean_two_things_are_refused() {
        for path in [
            "/api/v3/extensions",
            "https://pbx.example/pbxcore/api/v3/extensions",
            "/pbxcore/api/v3/../v2/x",
            "/pbxcore/api/v3/./extensions",
            "/pbxcore/api/v3//extensions",
            "/pbxcore/api/v3/extensions/",
            "/pbxcore/api/v3/extensions%2F201",
            "/pbxcore/api/v3/%2e%2e/x",
            "/pbxcore/api/v3/system%3Areboot%",
            "/pbxcore/api/v3/a%00b",
            "/pbxcore/api/v3/a b",
            "/pbxcore/api/v3/a\nb",
            "/pbxcore/api/v3/a\\b",
            "/pbxcore/api/v3/a#b",
            "/pbxcore/api/v3/é",
        ] {
            let e = Target::parse(path).unwrap_err();
            assert_eq!(e.kind(), crate::ErrorKind::Config, "{path}");
            assert!(e.to_string().contains("request: path"), "{e}");
        }
        let long = format!("/pbxcore/api/v3/{}", "a".repeat(MAX_PATH));
        assert!(Target::parse(&long).is_err());
    }

    #[test]
    fn dangerous_actions_are_found_by_any_verb_and_case() {
        let danger = |m, p: &str| Target::parse(p).unwrap().danger(m);
        assert!(
            danger(
                HttpMethod::Post,
                "/pbxcore/api/v3/system:executeBashCommand"
            )
            .is_some()
        );
        assert!(danger(HttpMethod::Get, "/pbxcore/api/v3/system:REBOOT").is_some());
        assert!(danger(HttpMethod::Post, "/pbxcore/api/v3/storage:mkfs?dev=sdb").is_some());
        assert!(
            danger(
                HttpMethod::Post,
                "/pbxcore/api/v3/modules/ModuleX:uninstall"
            )
            .is_some()
        );
        assert!(danger(HttpMethod::Delete, "/pbxcore/api/v3/files/etc-passwd").is_some());
        assert!(danger(HttpMethod::Get, "/pbxcore/api/v3/files/etc-passwd").is_none());
        assert!(danger(HttpMethod::Delete, "/pbxcore/api/v3/mail-settings").is_some());
        assert!(danger(HttpMethod::Get, "/pbxcore/api/v3/mail-settings").is_none());
        assert!(danger(HttpMethod::Get, "/pbxcore/api/v3/system:ping").is_none());
        assert!(danger(HttpMethod::Post, "/pbxcore/api/modules/ModuleX/reboot").is_none());
    }

    /// One list: every operation of the table is dangerous exactly when the escape hatch
    /// finds it so (an operation added for `storage:mkfs` must carry `dangerous`).
    #[test]
    fn the_table_agrees_with_the_dangerous_list() {
        for op in operations::OPERATIONS.iter() {
            let target = Target::parse(&op.path(Some("SAMPLE-1"))).unwrap();
            assert_eq!(
                target.danger(op.method).is_some(),
                op.dangerous,
                "{}: its `dangerous` flag and request.rs DANGEROUS disagree",
                op.name
            );
        }
    }

    #[test]
    fn table_operations_are_recognised() {
        let op = |m, p: &str| Target::parse(p).unwrap().operation(m).map(|o| o.name);
        assert_eq!(
            op(HttpMethod::Get, "/pbxcore/api/v3/employees/12"),
            Some("employees.get")
        );
        assert_eq!(
            op(HttpMethod::Get, "/pbxcore/api/v3/call-queues/QUEUE-1A:copy"),
            Some("call_queues.copy")
        );
        assert_eq!(
            op(HttpMethod::Post, "/pbxcore/api/v3/system:reboot"),
            Some("system.reboot")
        );
        assert_eq!(op(HttpMethod::Get, "/pbxcore/api/v3/module-x/tasks"), None);
    }
}
