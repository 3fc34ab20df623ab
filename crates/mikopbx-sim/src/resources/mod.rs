//! The v3 resources the simulator serves, one module each, and the route table that ties them
//! to the router.

pub(crate) mod api_keys;
pub(crate) mod asterisk_managers;
pub(crate) mod auth;
pub(crate) mod call_queues;
pub(crate) mod catalog;
pub(crate) mod cdr;
pub(crate) mod conference_rooms;
pub(crate) mod employees;
pub(crate) mod extensions;
pub(crate) mod incoming_routes;
pub(crate) mod ivr_menu;
pub(crate) mod network_filters;
pub(crate) mod password;
pub(crate) mod pbx_status;
pub(crate) mod php;
pub(crate) mod sip;
pub(crate) mod system;
pub(crate) mod text_fields;

use http::Method;
use serde_json::Value;

use crate::app::App;
use crate::envelope::ApiResult;
use crate::request::Ctx;
use crate::router::{ResourceSpec, Route, any_id, number_id, numeric_id, prefixed_hex};

/// Everything a handler gets.
pub(crate) struct Call<'a> {
    pub(crate) app: &'a App,
    pub(crate) ctx: &'a Ctx,
    pub(crate) route: &'a Route,
    pub(crate) action: &'a str,
    pub(crate) spec: &'a ResourceSpec,
}

impl Call<'_> {
    /// `MikoPBX\PBXCoreREST\Lib\<Ns>\<Action>Action::main`.
    pub(crate) fn processor(&self) -> String {
        let mut a = self.action.to_string();
        if let Some(first) = a.get_mut(0..1) {
            first.make_ascii_uppercase();
        }
        format!(
            "MikoPBX\\PBXCoreREST\\Lib\\{}\\{}Action::main",
            self.spec.lib, a
        )
    }

    /// A success result for this call.
    pub(crate) fn ok(&self, data: Value) -> ApiResult {
        ApiResult::ok(self.action, &self.processor(), data)
    }

    /// A failure result for this call (422 unless a code is set).
    pub(crate) fn fail(&self, msg: impl Into<String>) -> ApiResult {
        ApiResult::fail(self.action, &self.processor(), msg)
    }
}

const G: Method = Method::GET;
const P: Method = Method::POST;

fn queue_id(s: &str) -> bool {
    prefixed_hex(s, &["QUEUE-"])
}
fn ivr_id(s: &str) -> bool {
    prefixed_hex(s, &["IVR-"])
}
fn conference_id(s: &str) -> bool {
    s.starts_with("CONFERENCE") && any_id(s)
}
fn sip_provider_id(s: &str) -> bool {
    (s.starts_with("SIP-")) && any_id(s)
}
/// `idPattern: '[0-9A-Za-z_-]+'` of the sip controller.
fn sip_peer_id(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}
fn module_id(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_alphabetic()) && s.chars().all(|c| c.is_ascii_alphanumeric())
}
fn setting_key(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_alphabetic() || c == '_')
}

const CRUD_GET: &[&str] = &["getList", "getRecord", "getDefault", "copy"];

/// The route table (`#[ApiResource]` + `#[HttpMapping]` of each controller, mikopbx-api.md §5).
pub(crate) static SPECS: &[ResourceSpec] = &[
    ResourceSpec {
        name: "system",
        verbs: &[
            (
                G,
                &["ping", "checkAuth", "datetime", "getAvailableLanguages"],
            ),
            (Method::PUT, &["datetime"]),
            // The controller's other POST actions (updateMailSettings, upgrade, restoreDefault,
            // executeBashCommand, …) are not simulated yet: they answer the router's 404.
            (P, &["reboot", "shutdown", "changeLanguage"]),
            (Method::PATCH, &["changeLanguage"]),
        ],
        record_methods: &[],
        public_methods: &["ping", "getAvailableLanguages"],
        id_ok: any_id,
        lib: "System",
    },
    ResourceSpec {
        name: "sysinfo",
        verbs: &[(G, &["getInfo"])],
        record_methods: &[],
        public_methods: &[],
        id_ok: any_id,
        lib: "SysInfo",
    },
    ResourceSpec {
        name: "auth",
        verbs: &[
            (P, &["login", "refresh", "logout"]),
            (G, &["validateToken"]),
        ],
        record_methods: &[],
        public_methods: &["login", "refresh", "validateToken"],
        id_ok: any_id,
        lib: "Auth",
    },
    ResourceSpec {
        name: "extensions",
        verbs: &[
            (G, &["getList", "getRecord", "getForSelect"]),
            (P, &["available", "getPhonesRepresent", "getPhoneRepresent"]),
        ],
        record_methods: &["getPhoneRepresent"],
        public_methods: &[],
        id_ok: number_id,
        lib: "Extensions",
    },
    ResourceSpec {
        name: "employees",
        verbs: &[
            (G, &["getList", "getRecord", "getDefault"]),
            (P, &["create"]),
            (Method::PUT, &["update"]),
            (Method::PATCH, &["patch"]),
            (Method::DELETE, &["delete"]),
        ],
        record_methods: &[],
        public_methods: &[],
        id_ok: numeric_id,
        lib: "Employees",
    },
    ResourceSpec {
        name: "api-keys",
        verbs: &[
            (G, &["getList", "getRecord", "getDefault"]),
            (P, &["create", "generateKey"]),
            (Method::PUT, &["update"]),
            (Method::PATCH, &["patch"]),
            (Method::DELETE, &["delete"]),
        ],
        record_methods: &[],
        public_methods: &[],
        id_ok: numeric_id,
        lib: "ApiKeys",
    },
    ResourceSpec {
        name: "cdr",
        verbs: &[
            (
                G,
                &[
                    "getList",
                    "getRecord",
                    "getMetadata",
                    "playback",
                    "download",
                ],
            ),
            (Method::HEAD, &["playback"]),
            (Method::DELETE, &["delete"]),
        ],
        record_methods: &[],
        public_methods: &["playback", "download"],
        id_ok: any_id,
        lib: "Cdr",
    },
    ResourceSpec {
        name: "pbx-status",
        verbs: &[(G, &["getActiveCalls", "getActiveChannels"])],
        record_methods: &[],
        public_methods: &[],
        id_ok: any_id,
        lib: "PbxStatus",
    },
    ResourceSpec {
        name: "sip",
        // `Controllers/Sip/RestController.php` maps more GET and POST actions; only these two
        // are simulated, the rest answer the router's 404 (see `sip.rs`).
        verbs: &[(G, &["getPeersStatuses", "getRegistry"])],
        record_methods: &[],
        public_methods: &[],
        id_ok: sip_peer_id,
        lib: "Sip",
    },
    ResourceSpec {
        name: "call-queues",
        verbs: &[
            (G, CRUD_GET),
            (P, &["create"]),
            (Method::PUT, &["update"]),
            (Method::PATCH, &["patch"]),
            (Method::DELETE, &["delete"]),
        ],
        record_methods: &["copy"],
        public_methods: &[],
        id_ok: queue_id,
        lib: "CallQueues",
    },
    ResourceSpec {
        name: "network-filters",
        verbs: &[(G, &["getList", "getRecord", "getForSelect"])],
        record_methods: &[],
        public_methods: &[],
        id_ok: numeric_id,
        lib: "NetworkFilters",
    },
    ResourceSpec {
        name: "asterisk-managers",
        verbs: &[
            (G, CRUD_GET),
            (P, &["create"]),
            (Method::PUT, &["update"]),
            (Method::PATCH, &["patch"]),
            (Method::DELETE, &["delete"]),
        ],
        record_methods: &["copy"],
        public_methods: &[],
        id_ok: numeric_id,
        lib: "AsteriskManagers",
    },
    ResourceSpec {
        name: "ivr-menu",
        verbs: &[
            (G, CRUD_GET),
            (P, &["create"]),
            (Method::PUT, &["update"]),
            (Method::PATCH, &["patch"]),
            (Method::DELETE, &["delete"]),
        ],
        record_methods: &["copy"],
        public_methods: &[],
        id_ok: ivr_id,
        lib: "IvrMenu",
    },
    // Controllers/IncomingRoutes/RestController.php: `copy` is a POST here (a GET elsewhere).
    ResourceSpec {
        name: "incoming-routes",
        verbs: &[
            (
                G,
                &[
                    "getList",
                    "getRecord",
                    "getDefault",
                    "getDefaultRoute",
                    "getUniqueDIDs",
                ],
            ),
            (P, &["create", "changePriority", "copy"]),
            (Method::PUT, &["update"]),
            (Method::PATCH, &["patch"]),
            (Method::DELETE, &["delete"]),
        ],
        record_methods: &["copy"],
        public_methods: &[],
        id_ok: numeric_id,
        lib: "IncomingRoutes",
    },
    ResourceSpec {
        name: "conference-rooms",
        verbs: &[
            (G, &["getList", "getRecord", "getDefault"]),
            (P, &["create"]),
            (Method::PUT, &["update"]),
            (Method::PATCH, &["patch"]),
            (Method::DELETE, &["delete"]),
        ],
        record_methods: &[],
        public_methods: &[],
        id_ok: conference_id,
        lib: "ConferenceRooms",
    },
    ResourceSpec {
        name: "sip-providers",
        verbs: &[
            (G, CRUD_GET),
            (P, &["create"]),
            (Method::PUT, &["update"]),
            (Method::PATCH, &["patch"]),
            (Method::DELETE, &["delete"]),
        ],
        record_methods: &["copy"],
        public_methods: &[],
        id_ok: sip_provider_id,
        lib: "SipProviders",
    },
    ResourceSpec {
        name: "modules",
        verbs: &[(G, &["getList", "getRecord", "getDefault"])],
        record_methods: &[],
        public_methods: &[],
        id_ok: module_id,
        lib: "Modules",
    },
    ResourceSpec {
        name: "general-settings",
        verbs: &[
            (G, &["getList", "getRecord", "getDefault"]),
            (Method::PUT, &["update"]),
            (Method::PATCH, &["patch"]),
        ],
        record_methods: &[],
        public_methods: &[],
        id_ok: setting_key,
        lib: "GeneralSettings",
    },
];

/// Run the action of a routed, authenticated request.
pub(crate) fn dispatch(call: &Call<'_>) -> ApiResult {
    if call.route.method.is_none()
        && !crate::router::crud_supported(call.spec, &call.ctx.method, call.action)
    {
        // The worker's processor does not know the action (e.g. `POST /extensions`).
        let class = format!(
            "MikoPBX\\PBXCoreREST\\Lib\\{}ManagementProcessor",
            call.spec.lib
        );
        return ApiResult::fail(
            call.action,
            &format!("{class}::callBack"),
            format!("Unknown action - {} in {class}", call.action),
        );
    }
    match call.route.resource {
        "system" => system::handle(call),
        "sysinfo" => system::sysinfo(call),
        "auth" => auth::handle(call),
        "extensions" => extensions::handle(call),
        "employees" => employees::handle(call),
        "api-keys" => api_keys::handle(call),
        "cdr" => cdr::handle(call),
        "pbx-status" => pbx_status::handle(call),
        "sip" => sip::handle(call),
        "call-queues" => call_queues::handle(call),
        "network-filters" => network_filters::handle(call),
        "asterisk-managers" => asterisk_managers::handle(call),
        "conference-rooms" => conference_rooms::handle(call),
        "ivr-menu" => ivr_menu::handle(call),
        "incoming-routes" => incoming_routes::handle(call),
        "general-settings" => catalog::general_settings(call),
        _ => catalog::handle(call),
    }
}

/// Standard list paging (`AbstractGetListAction::executeStandardList`): only when `limit` or
/// `offset` is given; then `limit` defaults to 50 and is capped at 1000.
pub(crate) fn page<T>(items: Vec<T>, ctx: &Ctx) -> Vec<T> {
    if ctx.params.get("limit").is_none() && ctx.params.get("offset").is_none() {
        return items;
    }
    let limit = ctx.int("limit").filter(|l| *l > 0).unwrap_or(50).min(1000) as usize;
    let offset = ctx.int("offset").unwrap_or(0).max(0) as usize;
    items.into_iter().skip(offset).take(limit).collect()
}

/// `AbstractGetListAction::applyOrdering()` (src/PBXCoreREST/Lib/Common/AbstractGetListAction.php):
/// the field is `order_by ?? order` (PHP `??`: a present `order_by` wins even when it is empty);
/// an empty or not-allowed field means the resource's default order (`None` here), whatever
/// the direction says. Otherwise the direction is `order_direction ?? orderWay`, upper-cased,
/// and anything but `ASC` / `DESC` is `ASC`. Returns `(field, descending)`.
pub(crate) fn ordering(ctx: &Ctx, allowed: &[&str]) -> Option<(String, bool)> {
    fn present<'k>(ctx: &Ctx, k: &'k str) -> Option<&'k str> {
        ctx.params.get(k).filter(|v| !v.is_null()).map(|_| k)
    }
    let field = present(ctx, "order_by")
        .or_else(|| present(ctx, "order"))
        .and_then(|k| ctx.str(k))
        .unwrap_or_default();
    if field.is_empty() || !allowed.contains(&field.as_str()) {
        return None;
    }
    let dir = present(ctx, "order_direction")
        .or_else(|| present(ctx, "orderWay"))
        .and_then(|k| ctx.str(k))
        .unwrap_or_default()
        .to_uppercase();
    Some((field, dir == "DESC"))
}

/// SQLite's default (BINARY) collation for `ORDER BY` on a TEXT column: byte order, so
/// `'1000' < '201' < '79161234567' < '99'`.
pub(crate) fn sql_text_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    a.as_bytes().cmp(b.as_bytes())
}

/// Case-insensitive `LIKE '%needle%'`.
pub(crate) fn like(hay: &str, needle: &str) -> bool {
    hay.to_lowercase().contains(&needle.to_lowercase())
}
