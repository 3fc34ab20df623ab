//! `incoming-routes` as `src/PBXCoreREST/Lib/IncomingRoutes/*` serves it (mikopbx/Core
//! develop e26e6b9), over a typed `m_IncomingRoutingTable` store ([`IncomingRoute`]).
//!
//! * `GET incoming-routes` (`GetListAction` → `executeStandardList` with `id>1`): a bare array
//!   of `createForList()` rows `{id, number, priority, timeout, extension, note, rulename,
//!   providerid, providerid_represent, provider_disabled, extension_represent, rule_represent,
//!   search_index}` **without the default route**; `search` is SQL `LIKE` on rulename / number
//!   / note, order `priority|rulename|number` (default `priority ASC`), paging only with
//!   `limit` / `offset`. The controller documents a `providerid` filter that the action
//!   ignores.
//! * `GET incoming-routes/{id}` (`GetRecordAction`): `createFromModel()`; id `1` goes through
//!   its private `getDefaultRoute()`. A missing id is **422** `Incoming route not found (ID:
//!   <id>)` (no httpCode).
//! * `GET :getDefault`: `createFromModel()` of a new model (`id` "", any provider, timeout
//!   120, priority `getMaxNewPriority()` = the highest of every route but id 1, plus one).
//! * `GET :getDefaultRoute` (`GetDefaultRouteAction`): row 1 (created `busy` / 9999 when it
//!   is missing, which it never is here: it cannot be deleted).
//! * `POST {id}:copy` (`CopyRecordAction`): nothing saved; `id` "", **no rulename** (not
//!   copied), priority the highest below 9999 plus one, the other columns copied. A missing id
//!   is 422 `Source incoming route not found: <id>`.
//! * `POST :changePriority`: `{"priorities": {"<id>": n}}`, in one transaction; see
//!   [`change_priority`].
//! * `GET :getUniqueDIDs?providerid=`: the DIDs of the call history from that provider; see
//!   [`unique_dids`].
//! * `DELETE incoming-routes/{id}`: id 1 is refused, a missing id is 422
//!   `api_IncomingRouteNotFound` (untranslated, no httpCode), else `{deleted_id}`.
//! * POST / PUT / PATCH: [`save`].
//!
//! Referential rules: the model's `belongsTo` relations to `Extensions` and `Providers` are
//! `NO_ACTION`, which Phalcon does not check on save, so a route may name an extension or a
//! provider that does not exist (its `*_represent` is then '' / the "any provider" text). The
//! other way round, `Extensions` has a RESTRICT `hasMany` on routes: a routed number cannot be
//! deleted (`call_queues::restrict_list`), and renumbering an extension rewrites the routes.

mod save;

use serde_json::Value;

use super::call_queues::{int_field, number_represent, sqlite_like, str_field};
use super::ivr_menu::auto_search_index;
use super::php::{PhpVal, php_empty, php_int, search_term};
use super::{Call, ordering};
use crate::envelope::ApiResult;
use crate::state::{IncomingRoute, Store};

/// `MikoPBX\PBXCoreREST\Lib\IncomingRoutes\<class>::main`.
fn processor(class: &str) -> String {
    format!("MikoPBX\\PBXCoreREST\\Lib\\IncomingRoutes\\{class}::main")
}

const MANAGEMENT_PROCESSOR: &str = "MikoPBX\\PBXCoreREST\\Lib\\IncomingRoutesManagementProcessor";

pub(crate) fn handle(call: &Call<'_>) -> ApiResult {
    match call.action {
        "getList" => list(call),
        "getRecord" => get_record(call),
        "getDefault" => get_default(call),
        "getDefaultRoute" => get_default_route(call),
        "copy" => copy(call),
        "delete" => delete(call),
        "changePriority" => change_priority(call),
        "getUniqueDIDs" => unique_dids(call),
        "create" | "update" | "patch" => save::save(call),
        other => ApiResult::fail(
            other,
            &format!("{MANAGEMENT_PROCESSOR}::callBack"),
            format!("Unknown action - {other} in {MANAGEMENT_PROCESSOR}"),
        ),
    }
}

/// A result whose `data` keeps PHP key order, from `IncomingRoutes\<class>::<method>`.
fn ok_from(call: &Call<'_>, processor: &str, data: &PhpVal) -> ApiResult {
    let mut r = ApiResult::ok(call.action, processor, data.to_value());
    r.data_raw = Some(data.to_json());
    r
}

fn ok(call: &Call<'_>, class: &str, data: &PhpVal) -> ApiResult {
    ok_from(call, &processor(class), data)
}

fn fail(call: &Call<'_>, class: &str, msg: impl Into<String>) -> ApiResult {
    ApiResult::fail(call.action, &processor(class), msg)
}

fn route_id(call: &Call<'_>) -> String {
    call.route.id.clone().unwrap_or_default()
}

/// `findFirstById($id)`: the integer key, as SQLite compares `'02'` with `2`.
fn find<'s>(s: &'s Store, id: &str) -> Option<&'s IncomingRoute> {
    let id: u64 = id.trim().parse().ok()?;
    s.incoming_routes.iter().find(|r| r.id == id)
}

/// The `priority` column as SQLite's INTEGER affinity reads it.
fn priority_of(r: &IncomingRoute) -> i64 {
    r.priority
        .as_deref()
        .map_or(0, |p| php_int(&Value::from(p)))
}

/// `IncomingRoutingTable::maximum(['column' => 'priority', 'conditions' => 'priority != 9999'])`
/// plus one, or 1 (SaveRecordAction, CopyRecordAction).
pub(crate) fn next_priority(s: &Store) -> i64 {
    s.incoming_routes
        .iter()
        .filter(|r| r.priority.is_some() && priority_of(r) != 9999)
        .map(priority_of)
        .max()
        .filter(|m| *m != 0)
        .map_or(1, |m| m + 1)
}

// ---------------------------------------------------------------------------------------------
// Representations

/// `ir_AnyProvider_v2` (src/Common/Messages/en/Route.php).
const ANY_PROVIDER: &str = "<i class=\"globe icon\"></i> No provider binding, no authorization";

/// A provider of the sip-providers store, as `Providers` + `Sip` read it: (represent, type,
/// disabled). `Providers::getRepresent()` → `Sip::getRepresent()`: `SIP: <description>`, with
/// ` (disabled)` (`mo_Disabled`) when the account is disabled.
fn provider(s: &Store, uniqid: &str) -> Option<(String, String, bool)> {
    let p = s.records.get("sip-providers")?.iter().find(|p| {
        p.get("uniqid")
            .or_else(|| p.get("id"))
            .and_then(Value::as_str)
            == Some(uniqid)
    })?;
    let description = p.get("description").and_then(Value::as_str).unwrap_or("");
    let disabled = matches!(p.get("disabled"), Some(Value::Bool(true)))
        || p.get("disabled").and_then(Value::as_str) == Some("1");
    let represent = if disabled {
        format!("<i class=\"server icon\"></i> SIP: {description} (disabled)")
    } else {
        format!("<i class=\"server icon\"></i> SIP: {description}")
    };
    Some((represent, "SIP".into(), disabled))
}

/// `DataStructure::getProviderData()`: the "any provider" text when the column is NULL or
/// names no provider.
fn provider_data(s: &Store, r: &IncomingRoute) -> (String, String, bool) {
    r.provider
        .as_deref()
        .filter(|p| *p != "none")
        .and_then(|p| provider(s, p))
        .unwrap_or_else(|| (ANY_PROVIDER.into(), String::new(), false))
}

/// `(!empty($model->provider)) ? $model->provider : 'none'`.
fn providerid(r: &IncomingRoute) -> String {
    r.provider
        .clone()
        .filter(|p| !php_empty(p))
        .unwrap_or_else(|| "none".into())
}

/// `$model->Extensions?->getRepresent() ?? ''`.
fn extension_represent(s: &Store, r: &IncomingRoute) -> String {
    r.extension
        .as_deref()
        .and_then(|n| number_represent(s, n))
        .unwrap_or_default()
}

/// `IncomingRoutingTable::getRepresent()` (RecordRepresentationTrait): the rule's name, the
/// default route's fixed text, or `Incoming processing rule - N<id>`.
pub(crate) fn route_represent(r: &IncomingRoute) -> String {
    let name = match r.rulename.as_deref() {
        Some("default action") => "Default incoming processing rule".to_string(),
        Some(n) if !php_empty(n) => n.to_string(),
        _ => format!("Incoming processing rule - N{}", r.id),
    };
    format!("<i class=\"map signs icon\"></i> {name}")
}

/// PHP `htmlspecialchars()` (ENT_QUOTES | ENT_SUBSTITUTE | ENT_HTML401).
fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#039;")
}

/// `DataStructure::generateRuleDescription()` with the English `ir_RuleDescription*_v2`
/// texts. The destination is always the escaped number: the code looks for
/// `$data['extensionRepresent']`, a key `createForList()` never sets (it sets
/// `extension_represent`).
fn rule_represent(r: &IncomingRoute, provider_represent: &str) -> String {
    let callerid = match r.extension.as_deref() {
        Some(e) if !php_empty(e) => format!("<span class=\"callerid\">{}</span>", html_escape(e)),
        _ => String::new(),
    };
    let provider = format!("<span class=\"provider\">{provider_represent}</span>");
    let number = r.number.as_deref().filter(|n| !php_empty(n));
    let has_provider = r.provider.as_deref().is_some_and(|p| !php_empty(p));
    let to = "will be routed to&nbsp&nbsp&nbsp";
    match (number, has_provider) {
        (None, false) => {
            format!("Call without provider binding to <b>any number</b> {to}<b>{callerid}</b>")
        }
        (None, true) => format!(
            "Call to <b>any number</b> via&nbsp&nbsp&nbsp<b>{provider}</b> {to}<b>{callerid}</b>"
        ),
        (Some(n), false) => format!(
            "Call without provider binding to number <b>{}</b> {to}<b>{callerid}</b>",
            html_escape(n)
        ),
        (Some(n), true) => format!(
            "Call to number <b>{}</b> via&nbsp&nbsp&nbsp<b>{provider}</b> {to}<b>{callerid}</b>",
            html_escape(n)
        ),
    }
}

/// `DataStructure::createFromModel()`, formatted by the detail schema (`priority`, `timeout`
/// integers, `provider_disabled` a boolean). The simulator has no sound files, so
/// `audio_message_id_represent` is '' (as on a PBX for an id that does not exist).
pub(crate) fn detail(s: &Store, r: &IncomingRoute, id: &str) -> PhpVal {
    let (represent, kind, disabled) = provider_data(s, r);
    let mut o: Vec<(String, PhpVal)> = vec![
        ("id".into(), PhpVal::s(id)),
        ("rulename".into(), str_field(&r.rulename)),
        ("number".into(), str_field(&r.number)),
        ("providerid".into(), PhpVal::s(providerid(r))),
        ("priority".into(), PhpVal::Int(priority_of(r))),
        ("timeout".into(), int_or_zero(&r.timeout)),
        ("extension".into(), str_field(&r.extension)),
        ("audio_message_id".into(), str_field(&r.audio_message_id)),
        ("note".into(), str_field(&r.note)),
        ("providerid_represent".into(), PhpVal::s(represent)),
        ("provider_type".into(), PhpVal::s(kind)),
        ("provider_disabled".into(), PhpVal::Bool(disabled)),
        (
            "extension_represent".into(),
            PhpVal::s(extension_represent(s, r)),
        ),
        ("audio_message_id_represent".into(), PhpVal::s("")),
    ];
    let index = auto_search_index(&o);
    o.push(("search_index".into(), PhpVal::s(index)));
    PhpVal::Obj(o)
}

/// `(int)$model->timeout`, then the schema's integer conversion.
fn int_or_zero(v: &Option<String>) -> PhpVal {
    match int_field(v) {
        PhpVal::Int(n) => PhpVal::Int(n),
        _ => PhpVal::Int(v.as_deref().map_or(0, |t| php_int(&Value::from(t)))),
    }
}

/// `DataStructure::createForList()`, formatted by the list schema.
fn list_item(s: &Store, r: &IncomingRoute) -> PhpVal {
    let (represent, _, disabled) = provider_data(s, r);
    let rule = rule_represent(r, &represent);
    let mut o: Vec<(String, PhpVal)> = vec![
        ("id".into(), PhpVal::s(r.id.to_string())),
        ("number".into(), str_field(&r.number)),
        ("priority".into(), PhpVal::Int(priority_of(r))),
        ("timeout".into(), int_or_zero(&r.timeout)),
        ("extension".into(), str_field(&r.extension)),
        ("note".into(), str_field(&r.note)),
        ("rulename".into(), str_field(&r.rulename)),
        ("providerid".into(), PhpVal::s(providerid(r))),
        ("providerid_represent".into(), PhpVal::s(represent)),
        ("provider_disabled".into(), PhpVal::Bool(disabled)),
        (
            "extension_represent".into(),
            PhpVal::s(extension_represent(s, r)),
        ),
        ("rule_represent".into(), PhpVal::s(rule)),
    ];
    let index = auto_search_index(&o);
    o.push(("search_index".into(), PhpVal::s(index)));
    PhpVal::Obj(o)
}

// ---------------------------------------------------------------------------------------------
// Reads

/// `GetListAction::main()`: `executeStandardList(IncomingRoutingTable, …, ['conditions' =>
/// 'id>1'], order [priority, rulename, number], search [rulename, number, note])`.
fn list(call: &Call<'_>) -> ApiResult {
    let ctx = call.ctx;
    let data = call.app.read(|s| {
        let mut rows: Vec<&IncomingRoute> = s.incoming_routes.iter().filter(|r| r.id > 1).collect();
        if let Some(t) = search_term(ctx.params.get("search")) {
            let pattern = format!("%{t}%");
            rows.retain(|r| {
                [&r.rulename, &r.number, &r.note]
                    .into_iter()
                    .flatten()
                    .any(|v| sqlite_like(v, &pattern))
            });
        }
        let (field, desc) = ordering(ctx, &["priority", "rulename", "number"])
            .unwrap_or_else(|| ("priority".into(), false));
        // Ties stay in id order (SQLite's scan order).
        rows.sort_by(|a, b| {
            let o = match field.as_str() {
                "rulename" => a
                    .rulename
                    .as_deref()
                    .map(str::as_bytes)
                    .cmp(&b.rulename.as_deref().map(str::as_bytes)),
                "number" => a
                    .number
                    .as_deref()
                    .map(str::as_bytes)
                    .cmp(&b.number.as_deref().map(str::as_bytes)),
                _ => priority_of(a).cmp(&priority_of(b)),
            };
            if desc { o.reverse() } else { o }
        });
        let set = |k: &str| ctx.params.get(k).filter(|v| !v.is_null());
        if set("limit").is_some() || set("offset").is_some() {
            let limit = set("limit").map_or(50, php_int);
            let limit = if limit <= 0 { 50 } else { limit.min(1000) } as usize;
            let offset = set("offset").map_or(0, php_int).max(0) as usize;
            rows = rows.into_iter().skip(offset).take(limit).collect();
        }
        PhpVal::List(rows.into_iter().map(|r| list_item(s, r)).collect())
    });
    ok(call, "GetListAction", &data)
}

/// `GetRecordAction::main()`.
fn get_record(call: &Call<'_>) -> ApiResult {
    let id = route_id(call);
    if id == "1" {
        let data = call.app.read(|s| find(s, "1").map(|r| detail(s, r, "1")));
        return match data {
            Some(d) => ok_from(
                call,
                "MikoPBX\\PBXCoreREST\\Lib\\IncomingRoutes\\GetRecordAction::getDefaultRoute",
                &d,
            ),
            None => fail(call, "GetRecordAction", "Incoming route not found (ID: 1)"),
        };
    }
    let data = call
        .app
        .read(|s| find(s, &id).map(|r| detail(s, r, &r.id.to_string())));
    match data {
        Some(d) => ok(call, "GetRecordAction", &d),
        // No httpCode: 422.
        None => fail(
            call,
            "GetRecordAction",
            format!("Incoming route not found (ID: {id})"),
        ),
    }
}

/// `GetRecordAction::main(null)` → `executeStandardGetRecord()` for a new record, with
/// `getMaxNewPriority()`: `(int)maximum(priority, 'id!=1') + 1`.
fn get_default(call: &Call<'_>) -> ApiResult {
    let data = call.app.read(|s| {
        let max = s
            .incoming_routes
            .iter()
            .filter(|r| r.id != 1 && r.priority.is_some())
            .map(priority_of)
            .max()
            .unwrap_or(0);
        let model = IncomingRoute {
            id: 0,
            rulename: Some(String::new()),
            number: Some(String::new()),
            extension: Some(String::new()),
            provider: None,
            priority: Some((max + 1).to_string()),
            timeout: Some("120".into()),
            action: Some(String::new()),
            note: Some(String::new()),
            audio_message_id: None,
        };
        detail(s, &model, "")
    });
    ok(call, "GetRecordAction", &data)
}

/// `GetDefaultRouteAction::main()`.
fn get_default_route(call: &Call<'_>) -> ApiResult {
    let data = call.app.write(|s| {
        if find(s, "1").is_none() {
            // Never reached through the API (route 1 cannot be deleted), kept as the action
            // does it.
            s.incoming_routes.insert(
                0,
                IncomingRoute {
                    id: 1,
                    rulename: Some("default action".into()),
                    number: Some(String::new()),
                    extension: Some("busy".into()),
                    provider: None,
                    priority: Some("9999".into()),
                    timeout: Some("0".into()),
                    action: Some("extension".into()),
                    note: Some(String::new()),
                    audio_message_id: None,
                },
            );
        }
        let r = find(s, "1").cloned().unwrap_or_default();
        detail(s, &r, "1")
    });
    ok(call, "GetDefaultRouteAction", &data)
}

/// `CopyRecordAction::main()`: a new model (defaults: rulename '') with the source's provider,
/// number, extension, timeout, audio and note, and the next priority; not saved.
fn copy(call: &Call<'_>) -> ApiResult {
    let id = route_id(call);
    let data = call.app.read(|s| {
        let src = find(s, &id)?;
        let copy = IncomingRoute {
            id: 0,
            rulename: Some(String::new()),
            priority: Some(next_priority(s).to_string()),
            action: Some(String::new()),
            ..src.clone()
        };
        Some(detail(s, &copy, ""))
    });
    match data {
        Some(d) => ok(call, "CopyRecordAction", &d),
        None => fail(
            call,
            "CopyRecordAction",
            format!("Source incoming route not found: {id}"),
        ),
    }
}

/// `DeleteRecordAction::main()`: no httpCode on any failure (422); the time conditions linked
/// to the route (`OutWorkTimesRouts`, cascade) would go with it; the simulator has none.
fn delete(call: &Call<'_>) -> ApiResult {
    let id = route_id(call);
    let class = "DeleteRecordAction";
    if php_empty(&id) {
        return fail(call, class, "Empty ID in request data");
    }
    if php_int(&Value::from(id.as_str())) == 1 {
        return fail(call, class, "Cannot delete default incoming route");
    }
    let Some(found) = call.app.read(|s| find(s, &id).map(|r| r.id)) else {
        return fail(call, class, "api_IncomingRouteNotFound");
    };
    call.app
        .write(|s| s.incoming_routes.retain(|r| r.id != found));
    let data = PhpVal::Obj(vec![("deleted_id".into(), PhpVal::s(id))]);
    ok(call, class, &data)
}

/// `ChangePriorityAction::main()`: `$data['priorities'] ?? $data`, each `"<id>" => n` set to
/// `(int)n` (no range check) in one transaction; id 1 is skipped silently, an unknown id is an
/// error and rolls everything back (422, the errors listed).
///
/// Without `priorities` the action would read the whole request, which always holds the
/// controller's `httpMethod` entry: that fails as `Route ID httpMethod not found`. A list
/// (`[{"id": "2", "priority": 1}]`, the OpenAPI example) is read by its indexes: index 0 is no
/// route, so it fails as `Route ID 0 not found`. Both follow from the source; neither was seen
/// on a PBX.
fn change_priority(call: &Call<'_>) -> ApiResult {
    let class = "ChangePriorityAction";
    let pairs: Option<Vec<(String, Value)>> = match call.ctx.params.get("priorities") {
        Some(Value::Null) | None => {
            let mut all: Vec<(String, Value)> = call
                .ctx
                .params
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            if call.ctx.params.contains_key("id") {
                all.push(("_idFromRequestBody".into(), call.ctx.params["id"].clone()));
            }
            all.push(("httpMethod".into(), Value::from("POST")));
            Some(all)
        }
        Some(Value::Object(m)) if !m.is_empty() => {
            Some(m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        }
        Some(Value::Array(a)) if !a.is_empty() => Some(
            a.iter()
                .enumerate()
                .map(|(i, v)| (i.to_string(), v.clone()))
                .collect(),
        ),
        _ => None,
    };
    let Some(pairs) = pairs else {
        return fail(call, class, "No priority data provided");
    };
    let result = call.app.write(|s| {
        let mut updated = 0;
        let mut errors = Vec::new();
        let mut changes = Vec::new();
        for (id, value) in &pairs {
            if php_int(&Value::from(id.as_str())) == 1 {
                continue;
            }
            match find(s, id) {
                Some(r) => {
                    changes.push((r.id, php_int(value)));
                    updated += 1;
                }
                None => errors.push(format!("Route ID {id} not found")),
            }
        }
        if errors.is_empty() {
            for (id, p) in changes {
                if let Some(r) = s.incoming_routes.iter_mut().find(|r| r.id == id) {
                    r.priority = Some(p.to_string());
                }
            }
        }
        (updated, errors)
    });
    match result {
        (updated, errors) if errors.is_empty() => {
            let data = PhpVal::Obj(vec![
                ("updated".into(), PhpVal::Int(updated)),
                (
                    "message".into(),
                    PhpVal::s(format!("Successfully updated {updated} route priorities")),
                ),
            ]);
            ok(call, class, &data)
        }
        (_, mut errors) => {
            let mut r = fail(call, class, errors.remove(0));
            r.errors.extend(errors);
            r
        }
    }
}

/// `GetUniqueDIDsAction::main()`: `SELECT did FROM cdr_general WHERE did <> '' AND
/// from_account = <the provider's endpoint> [AND did <> <its username>] GROUP BY did LIMIT
/// 20`, as `{value, name}`. Any provider (`none`, empty) or an unknown one has the endpoint
/// `''`, which no call from a provider has: nothing. The simulated history has incoming calls
/// only from `SIP-TRUNK-ABCDEF12` (the generated CDR); calls placed through the simulator's
/// call API are not searched.
fn unique_dids(call: &Call<'_>) -> ApiResult {
    let provider_id = call.ctx.str("providerid").unwrap_or_default();
    let (endpoint, username) = if php_empty(&provider_id) || provider_id == "none" {
        (String::new(), String::new())
    } else {
        call.app.read(|s| {
            s.records
                .get("sip-providers")
                .and_then(|list| {
                    list.iter().find(|p| {
                        p.get("uniqid")
                            .or_else(|| p.get("id"))
                            .and_then(Value::as_str)
                            == Some(provider_id.as_str())
                    })
                })
                .map(|p| {
                    let user = p.get("username").and_then(Value::as_str).unwrap_or("");
                    (provider_id.clone(), user.to_string())
                })
                .unwrap_or_default()
        })
    };
    let mut dids = std::collections::BTreeSet::new();
    if !endpoint.is_empty() {
        let g = &call.app.cdr;
        let max = g.max_id(chrono::Utc::now().timestamp());
        let deleted: std::collections::HashSet<u64> =
            call.app.read(|s| s.cdr_deleted.iter().copied().collect());
        for id in 1..=max {
            if deleted.contains(&id) {
                continue;
            }
            let c = g.call(id);
            // `record_text()`: a caller that is no extension came in over the trunk.
            if !c.src_ext
                && endpoint == crate::cdr_gen::TRUNK
                && !c.did.is_empty()
                && c.did != username
            {
                dids.insert(c.did);
            }
        }
    }
    let data = PhpVal::List(
        dids.into_iter()
            .take(20)
            .map(|d| {
                PhpVal::Obj(vec![
                    ("value".into(), PhpVal::s(d.as_str())),
                    ("name".into(), PhpVal::s(d)),
                ])
            })
            .collect(),
    );
    ok(call, "GetUniqueDIDsAction", &data)
}

#[cfg(test)]
mod wire_tests;
