//! POST / PUT / PATCH `call-queues`: `CreateRecordAction`, `UpdateRecordAction`,
//! `PatchRecordAction`, all ending in `SaveRecordAction::main()`
//! (src/PBXCoreREST/Lib/CallQueues/SaveRecordAction.php), phase by phase:
//!
//! 1. sanitise with the rules `AbstractDataStructure::getSanitizationRules()` derives from
//!    `DataStructure::getAllFieldDefinitions()`: strings trimmed and cut to `maxLength`
//!    (`name` 100, `description` 500, `callerid_prefix` 50), integers `(int)`, booleans
//!    `FILTER_VALIDATE_BOOLEAN`; the routing fields fall back to their digits when they do not
//!    match `^([0-9]{2,8}|hangup|busy|did2user|voicemail)$`; `name` / `description` /
//!    `callerid_prefix` go through `TextFieldProcessor` (dangerous content is removed, what is
//!    still dangerous is refused: 422 'Dangerous content detected in fields: …'). `id` and
//!    `extension` are then put back **unsanitised**. Members: `{extension, priority}` with the
//!    extension reduced to digits (or a system number), invalid ones dropped, priority clamped
//!    to 0..10.
//! 2. required (422 without httpCode, `messages.error` keyed by field): `name` ('Queue name is
//!    required'); only when there is no `id` (a plain create) also `extension` ('Extension
//!    number is required', 'Extension must be 2-8 digits'). So PUT / PATCH store any extension
//!    string as given.
//! 3. existence: an `id` that exists makes even a POST an update (200); a body `id` that differs
//!    from the record's is 400; extension uniqueness against every extension is 409
//!    'Extension number already exists'.
//! 4. defaults (create only), 5. `validateInputData()`: enums and integer ranges (422 with
//!    httpCode, messages a list), 6. save: the QUEUE extension is created or renumbered
//!    (renumbering rewrites every reference, `Extensions::afterUpdate`), columns are written
//!    with `isset()` semantics except the two sound ids (always written, so a PUT without them
//!    clears them), members are replaced when given.
//!
//! `UpdateRecordAction` answers a missing id with 422 `Call queue not found: <id>` (no
//! httpCode); `PatchRecordAction` with 404; PATCH merges the current record
//! (`createFromModel()`) under the request first.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::super::php::{php_bool, php_empty, php_int, php_string, sanitize_string, value_empty};
use super::super::text_fields::{is_dangerous, sanitize_for_storage};
use super::{
    Call, SYSTEM_EXTENSIONS, detail, detail_members, fail, find, ok, renumber, route_id,
    taken_numbers,
};
use crate::envelope::ApiResult;
use crate::state::{CallQueue, QueueMember};

/// `^[0-9]{2,8}$`.
fn extension_pattern(v: &str) -> bool {
    (2..=8).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_digit())
}

/// `PATTERN_EXTENSION_WITH_SYSTEM_SHORT`: `^([0-9]{2,8}|hangup|busy|did2user|voicemail)$`.
pub(crate) fn routing_pattern(v: &str) -> bool {
    extension_pattern(v) || is_system(v)
}

fn is_system(v: &str) -> bool {
    SYSTEM_EXTENSIONS.iter().any(|(n, _)| *n == v)
}

/// `SystemSanitizer::isValidExtension()`: a system number or `^[0-9]{1,20}$`.
pub(crate) fn valid_extension(v: &str) -> bool {
    is_system(v) || ((1..=20).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_digit()))
}

/// `SystemSanitizer::sanitizeExtension()`: trim; a system number as is; else its digits, at
/// most 20.
pub(crate) fn sanitize_extension(v: &str) -> String {
    let v = v.trim();
    if is_system(v) {
        return v.to_string();
    }
    v.chars().filter(char::is_ascii_digit).take(20).collect()
}

enum Kind {
    Str {
        pattern: Option<fn(&str) -> bool>,
        max: Option<usize>,
        one_of: &'static [&'static str],
    },
    Int {
        min: i64,
        max: i64,
    },
    Bool,
}

/// A sanitised value.
#[derive(Clone, Debug)]
enum San {
    Str(String),
    Int(i64),
    Bool(bool),
}

const fn text(max: usize) -> Kind {
    Kind::Str {
        pattern: None,
        max: Some(max),
        one_of: &[],
    }
}
const fn plain() -> Kind {
    Kind::Str {
        pattern: None,
        max: None,
        one_of: &[],
    }
}
const fn routing() -> Kind {
    Kind::Str {
        pattern: Some(routing_pattern),
        max: None,
        one_of: &[],
    }
}

/// The writable fields in definition order (validation messages come in this order), with
/// their schema defaults. `extension` and `members` are handled apart.
const FIELDS: &[(&str, Kind, Option<Def>)] = &[
    (
        "strategy",
        Kind::Str {
            pattern: None,
            max: None,
            one_of: &[
                "ringall",
                "leastrecent",
                "fewestcalls",
                "random",
                "rrmemory",
                "linear",
            ],
        },
        Some(Def::Str("ringall")),
    ),
    ("name", text(100), None),
    ("description", text(500), None),
    (
        "seconds_to_ring_each_member",
        Kind::Int { min: 1, max: 300 },
        Some(Def::Int(15)),
    ),
    (
        "seconds_for_wrapup",
        Kind::Int { min: 0, max: 300 },
        Some(Def::Int(15)),
    ),
    (
        "recive_calls_while_on_a_call",
        Kind::Bool,
        Some(Def::Bool(false)),
    ),
    (
        "caller_hear",
        Kind::Str {
            pattern: None,
            max: None,
            one_of: &["ringing", "moh"],
        },
        Some(Def::Str("ringing")),
    ),
    ("announce_position", Kind::Bool, Some(Def::Bool(false))),
    ("announce_hold_time", Kind::Bool, Some(Def::Bool(false))),
    ("moh_sound_id", plain(), None),
    ("periodic_announce_sound_id", plain(), None),
    (
        "periodic_announce_frequency",
        Kind::Int { min: 0, max: 600 },
        None,
    ),
    (
        "timeout_to_redirect_to_extension",
        Kind::Int { min: 0, max: 3600 },
        Some(Def::Int(0)),
    ),
    ("timeout_extension", routing(), None),
    ("redirect_to_extension_if_empty", routing(), None),
    ("redirect_to_extension_if_unanswered", routing(), None),
    (
        "number_unanswered_calls_to_redirect",
        Kind::Int { min: 1, max: 100 },
        Some(Def::Int(3)),
    ),
    ("redirect_to_extension_if_repeat_exceeded", routing(), None),
    (
        "number_repeat_unanswered_to_redirect",
        Kind::Int { min: 1, max: 100 },
        Some(Def::Int(3)),
    ),
    ("callerid_prefix", text(50), None),
];

const TEXT_FIELDS: [&str; 3] = ["name", "description", "callerid_prefix"];
const ROUTING_FIELDS: [&str; 4] = [
    "timeout_extension",
    "redirect_to_extension_if_empty",
    "redirect_to_extension_if_unanswered",
    "redirect_to_extension_if_repeat_exceeded",
];

#[derive(Clone, Copy)]
enum Def {
    Str(&'static str),
    Int(i64),
    Bool(bool),
}

/// A `TypeError` escaping the action: the worker answers with its own result (processor = the
/// management processor, no function) and the Whoops description, which is approximated here.
fn type_error(message: String) -> ApiResult {
    ApiResult::fail(
        "",
        "MikoPBX\\PBXCoreREST\\Lib\\CallQueuesManagementProcessor",
        format!("TypeError: {message}"),
    )
}

/// `POST call-queues` (`AbstractCreateAction::main()`: drops `uniqid`, then saves).
pub(super) fn create(call: &Call<'_>) -> ApiResult {
    if call.ctx.bad_json {
        return fail(call, "SaveRecordAction", "Invalid JSON in request body").code(400);
    }
    let mut data = call.ctx.params.clone();
    data.remove("uniqid");
    let body_id = data.get("id").filter(|v| !v.is_null()).cloned();
    save(call, data, body_id, "POST")
}

/// `PUT call-queues/{id}` (`UpdateRecordAction::main()`).
pub(super) fn update(call: &Call<'_>) -> ApiResult {
    if call.ctx.bad_json {
        return fail(call, "SaveRecordAction", "Invalid JSON in request body").code(400);
    }
    let id = route_id(call);
    if call.app.read(|s| find(s, &id).is_none()) {
        // No httpCode here (unlike PATCH): 422.
        return fail(
            call,
            "UpdateRecordAction",
            format!("Call queue not found: {id}"),
        );
    }
    let mut data = call.ctx.params.clone();
    let body_id = data.get("id").filter(|v| !v.is_null()).cloned();
    data.insert("id".into(), Value::String(id));
    save(call, data, body_id, "PUT")
}

/// `PATCH call-queues/{id}` (`PatchRecordAction::main()`): the current record as
/// `createFromModel()` sees it (members `{extension, priority}` in id order, unless the patch
/// has `members`), overlaid with the request (`array_merge`).
pub(super) fn patch(call: &Call<'_>) -> ApiResult {
    if call.ctx.bad_json {
        return fail(call, "SaveRecordAction", "Invalid JSON in request body").code(400);
    }
    let id = route_id(call);
    let has_members = call.ctx.params.get("members").is_some_and(|m| !m.is_null());
    let current = call.app.read(|s| {
        find(s, &id).map(|q| {
            let members = if has_members {
                Vec::new()
            } else {
                q.members
                    .iter()
                    .map(|m| {
                        super::PhpVal::Obj(vec![
                            ("extension".into(), super::PhpVal::s(m.extension.as_str())),
                            ("priority".into(), super::PhpVal::s(m.priority.to_string())),
                        ])
                    })
                    .collect()
            };
            detail(s, q, members).to_value()
        })
    });
    let Some(Value::Object(mut data)) = current else {
        return fail(
            call,
            "PatchRecordAction",
            format!("Call queue not found: {id}"),
        )
        .code(404);
    };
    let body_id = call.ctx.params.get("id").filter(|v| !v.is_null()).cloned();
    for (k, v) in &call.ctx.params {
        data.insert(k.clone(), v.clone());
    }
    data.insert("id".into(), Value::String(id));
    save(call, data, body_id, "PATCH")
}

/// PHP string interpolation of a request value (`"{$v}"`).
fn interpolate(v: &Value) -> String {
    php_string(v).unwrap_or_else(|| "Array".into())
}

fn save(
    call: &Call<'_>,
    data: Map<String, Value>,
    body_id: Option<Value>,
    method: &str,
) -> ApiResult {
    let class = "SaveRecordAction";
    let isset = |k: &str| data.get(k).filter(|v| !v.is_null());

    // PHASE 1: sanitisation.
    let mut san: HashMap<&'static str, San> = HashMap::new();
    for (name, kind, _) in FIELDS {
        let Some(v) = isset(name) else { continue };
        let value = match kind {
            Kind::Str { pattern, max, .. } => {
                // Arrays reach `preg_match()` / typed parameters further on: a TypeError.
                let Some(s) = php_string(v) else {
                    return type_error(format!("Field '{name}': string expected, array given"));
                };
                San::Str(sanitize_string(&s, *pattern, *max))
            }
            Kind::Int { .. } => San::Int(php_int(v)),
            Kind::Bool => San::Bool(php_bool(v)),
        };
        san.insert(name, value);
    }
    let mut dangerous = Vec::new();
    for f in TEXT_FIELDS {
        if let Some(San::Str(s)) = san.get_mut(f) {
            *s = sanitize_for_storage(s);
            if is_dangerous(s) {
                dangerous.push(f);
            }
        }
    }
    if !dangerous.is_empty() {
        return fail(
            call,
            class,
            format!(
                "Dangerous content detected in fields: {}",
                dangerous.join(", ")
            ),
        );
    }
    // `id` and `extension` are restored as sent.
    let raw_id = isset("id").cloned();
    let raw_extension = isset("extension").cloned();
    for f in ROUTING_FIELDS {
        if let Some(San::Str(s)) = san.get_mut(f)
            && !php_empty(s)
            && !valid_extension(s)
        {
            *s = sanitize_extension(s);
            if !valid_extension(s) {
                return fail(call, class, format!("Invalid {f} value after sanitization"));
            }
        }
    }
    let members: Option<Vec<(String, i64)>> = match isset("members") {
        None => None,
        Some(m) => {
            let decoded;
            let list: Vec<&Value> = match m {
                Value::String(s) => {
                    decoded = serde_json::from_str::<Value>(s).unwrap_or(Value::Null);
                    match &decoded {
                        Value::Array(a) => a.iter().collect(),
                        Value::Object(o) => o.values().collect(),
                        _ => Vec::new(),
                    }
                }
                Value::Array(a) => a.iter().collect(),
                Value::Object(o) => o.values().collect(),
                _ => Vec::new(),
            };
            let mut out = Vec::new();
            for item in list {
                let Some(ext) = item.get("extension").filter(|e| !value_empty(e)) else {
                    continue;
                };
                let Some(ext) = php_string(ext) else {
                    return type_error(
                        "MikoPBX\\PBXCoreREST\\Lib\\Common\\SystemSanitizer::sanitizeExtension(): Argument #1 ($value) must be of type string, array given".into(),
                    );
                };
                let ext = sanitize_extension(&ext);
                if valid_extension(&ext) {
                    let priority = item
                        .get("priority")
                        .filter(|p| !p.is_null())
                        .map_or(0, php_int);
                    out.push((ext, priority.clamp(0, 10)));
                }
            }
            Some(out)
        }
    };

    // PHASE 2: required fields.
    let name = match san.get("name") {
        Some(San::Str(n)) if !php_empty(n) => n.clone(),
        _ => String::new(),
    };
    let id_empty = raw_id.as_ref().is_none_or(value_empty);
    let mut required = Vec::new();
    if name.is_empty() {
        required.push(("name".to_string(), "Queue name is required".to_string()));
    }
    if id_empty {
        match raw_extension.as_ref() {
            None => required.push(("extension".into(), "Extension number is required".into())),
            Some(v) if value_empty(v) => {
                required.push(("extension".into(), "Extension number is required".into()));
            }
            Some(v) if !php_string(v).is_some_and(|e| extension_pattern(&e)) => {
                required.push(("extension".into(), "Extension must be 2-8 digits".into()));
            }
            Some(_) => {}
        }
    }
    if !required.is_empty() {
        let mut r = fail(call, class, String::new());
        r.errors.clear();
        r.keyed_errors = required;
        return r;
    }

    // PHASE 3: create or update.
    let uniqid = if id_empty {
        None
    } else {
        match raw_id.as_ref().and_then(php_string) {
            Some(u) => Some(u),
            None => return type_error("Invalid bind parameter for uniqid (array given)".into()),
        }
    };
    let existing = uniqid
        .as_deref()
        .and_then(|u| call.app.read(|s| find(s, u).cloned()));
    if uniqid.is_some() && existing.is_none() && matches!(method, "PUT" | "PATCH") {
        // `validateRecordExistence()` (unreachable through the wrappers, which check first).
        return fail(call, class, "Call queue not found").code(404);
    }
    if let Some(q) = &existing
        && let Some(b) = &body_id
        && b.as_str() != Some(q.uniqid.as_str())
    {
        return fail(
            call,
            class,
            format!(
                "Cannot change ID of existing record. ID in request body ('{}') doesn't match existing ID ('{}')",
                interpolate(b),
                q.uniqid
            ),
        )
        .code(400);
    }
    let is_new = existing.is_none();
    let current_extension = existing
        .as_ref()
        .map_or(Some(String::new()), |q| q.extension.clone());
    let mut extension = raw_extension.as_ref().map(interpolate);
    if !is_new && extension.as_deref().is_none_or(php_empty) {
        extension = current_extension.clone();
    }
    if let Some(e) = extension.as_deref().filter(|e| !php_empty(e))
        && current_extension.as_deref() != Some(e)
        && call.app.read(taken_numbers).iter().any(|n| n == e)
    {
        return fail(call, class, "Extension number already exists").code(409);
    }

    // PHASE 4: defaults (create only).
    if is_new {
        for (name, _, default) in FIELDS {
            if let Some(d) = default {
                san.entry(name).or_insert(match d {
                    Def::Str(s) => San::Str(s.to_string()),
                    Def::Int(n) => San::Int(*n),
                    Def::Bool(b) => San::Bool(*b),
                });
            }
        }
    }

    // PHASE 5: schema constraints.
    let mut errors = Vec::new();
    for (name, kind, _) in FIELDS {
        let Some(v) = san.get(name) else { continue };
        match (kind, v) {
            (Kind::Str { one_of, max, .. }, San::Str(s)) => {
                if !one_of.is_empty() && !one_of.contains(&s.as_str()) {
                    errors.push(format!(
                        "Field '{name}' must be one of: {}",
                        one_of.join(", ")
                    ));
                }
                let len = s.chars().count();
                if let Some(max) = max
                    && len > *max
                {
                    errors.push(format!(
                        "Field '{name}' must be at most {max} characters (got {len})"
                    ));
                }
            }
            (Kind::Int { min, max }, San::Int(n)) => {
                if n < min {
                    errors.push(format!("Field '{name}' must be at least {min} (got {n})"));
                }
                if n > max {
                    errors.push(format!("Field '{name}' must be at most {max} (got {n})"));
                }
            }
            _ => {}
        }
    }
    if !errors.is_empty() {
        let mut r = fail(call, class, errors.remove(0)).code(422);
        r.errors.extend(errors);
        return r;
    }

    // PHASE 6: save.
    let Some(extension) = extension else {
        // A POST with a new custom `id` and no extension: `$sanitizedData['extension']` is
        // undefined, so null reaches a `string` parameter.
        return type_error("MikoPBX\\PBXCoreREST\\Lib\\Common\\AbstractSaveRecordAction::createOrUpdateExtension(): Argument #1 ($extension) must be of type string, null given".into());
    };
    let mut q = existing.clone().unwrap_or_else(|| CallQueue {
        uniqid: uniqid.clone().unwrap_or_else(super::generate_unique_id),
        name: Some(String::new()),
        extension: Some(String::new()),
        ..new_model()
    });
    q.extension = Some(extension.clone());
    q.name = Some(name);
    assign(&mut q, &san);
    if let Some(list) = &members {
        // CallQueueMembers::validation: (queue, extension) is unique, so a repeated number
        // fails the save and rolls everything back. The message key has no English text.
        let kept: Vec<&String> = list
            .iter()
            .map(|(e, _)| e)
            .filter(|e| !php_empty(e))
            .collect();
        if kept.iter().enumerate().any(|(i, e)| kept[..i].contains(e)) {
            return fail(
                call,
                class,
                "Failed to save queue member: mo_ThisQueueAndMemberMustBeUniqueForCallQueuesModels",
            );
        }
    }
    let old_extension = existing.as_ref().and_then(|e| e.extension.clone());
    let saved = call.app.write(|s| {
        if let Some(old) = old_extension.as_deref().filter(|o| !o.is_empty())
            && old != extension
        {
            renumber(s, old, &extension);
        }
        let slot = s.call_queues.iter().position(|x| x.uniqid == q.uniqid);
        // Members not replaced keep their (possibly renumbered) rows.
        q.members = slot
            .map(|i| s.call_queues[i].members.clone())
            .unwrap_or_default();
        if let Some(list) = &members {
            q.members.clear();
            for (ext, priority) in list.iter().filter(|(e, _)| !php_empty(e)) {
                let id = s.next_queue_member_id.max(1);
                s.next_queue_member_id = id + 1;
                q.members.push(QueueMember {
                    id,
                    extension: ext.clone(),
                    priority: *priority,
                });
            }
        }
        match slot {
            Some(i) => s.call_queues[i] = q.clone(),
            None => {
                q.id = s.next_queue_id.max(1);
                s.next_queue_id = q.id + 1;
                s.call_queues.push(q.clone());
            }
        }
        q
    });
    let data = call
        .app
        .read(|s| detail(s, &saved, detail_members(s, &saved, true)));
    let mut r = ok(call, class, &data).code(if is_new { 201 } else { 200 });
    r.reload = Some(format!("call-queues/modify/{}", saved.uniqid));
    r
}

/// A new `CallQueues` model: every column `''` except `caller_hear` ('ringing').
fn new_model() -> CallQueue {
    let e = || Some(String::new());
    CallQueue {
        id: 0,
        uniqid: String::new(),
        name: e(),
        extension: e(),
        strategy: e(),
        seconds_to_ring_each_member: e(),
        seconds_for_wrapup: e(),
        recive_calls_while_on_a_call: e(),
        caller_hear: Some("ringing".into()),
        announce_position: e(),
        announce_hold_time: e(),
        periodic_announce_sound_id: e(),
        moh_sound_id: e(),
        periodic_announce_frequency: e(),
        timeout_to_redirect_to_extension: e(),
        timeout_extension: e(),
        redirect_to_extension_if_empty: e(),
        number_unanswered_calls_to_redirect: e(),
        redirect_to_extension_if_unanswered: e(),
        number_repeat_unanswered_to_redirect: e(),
        redirect_to_extension_if_repeat_exceeded: e(),
        callerid_prefix: e(),
        description: e(),
        members: Vec::new(),
    }
}

/// The column writes of PHASE 6 (`isset()` each, except the sound ids).
fn assign(q: &mut CallQueue, san: &HashMap<&'static str, San>) {
    let text = |k: &str| match san.get(k) {
        Some(San::Str(s)) => Some(s.clone()),
        Some(San::Int(n)) => Some(n.to_string()),
        Some(San::Bool(b)) => Some(if *b { "1".into() } else { String::new() }),
        None => None,
    };
    // `$x ?: null`: '' and '0' become NULL.
    let or_null = |v: String| (!php_empty(&v)).then_some(v);
    let int = |k: &str| match san.get(k) {
        Some(San::Int(n)) => Some(*n),
        _ => None,
    };
    if let Some(v) = text("strategy") {
        q.strategy = Some(v);
    }
    if let Some(v) = text("seconds_to_ring_each_member") {
        q.seconds_to_ring_each_member = Some(v);
    }
    if let Some(v) = text("seconds_for_wrapup") {
        q.seconds_for_wrapup = Some(v);
    }
    if let Some(v) = text("caller_hear") {
        q.caller_hear = Some(v);
    }
    // convertBooleanFields(): '1' / '0'.
    let flag = |k: &str| match san.get(k) {
        Some(San::Bool(b)) => Some(if *b { "1" } else { "0" }.to_string()),
        _ => None,
    };
    if let Some(v) = flag("recive_calls_while_on_a_call") {
        q.recive_calls_while_on_a_call = Some(v);
    }
    if let Some(v) = flag("announce_position") {
        q.announce_position = Some(v);
    }
    if let Some(v) = flag("announce_hold_time") {
        q.announce_hold_time = Some(v);
    }
    // Always written: `!empty(...) ? ... : null`.
    q.periodic_announce_sound_id = text("periodic_announce_sound_id").and_then(or_null);
    q.moh_sound_id = text("moh_sound_id").and_then(or_null);
    if let Some(n) = int("periodic_announce_frequency") {
        q.periodic_announce_frequency = (n != 0).then(|| n.to_string());
    }
    // 0 means "wait forever" and is stored as ''.
    if let Some(n) = int("timeout_to_redirect_to_extension") {
        q.timeout_to_redirect_to_extension =
            Some(if n == 0 { String::new() } else { n.to_string() });
    }
    for (field, slot) in ROUTING_FIELDS.iter().zip(q.redirects_mut()) {
        if let Some(v) = text(field) {
            *slot = or_null(v);
        }
    }
    if let Some(v) = text("number_unanswered_calls_to_redirect") {
        q.number_unanswered_calls_to_redirect = Some(v);
    }
    if let Some(v) = text("number_repeat_unanswered_to_redirect") {
        q.number_repeat_unanswered_to_redirect = Some(v);
    }
    if let Some(v) = text("callerid_prefix") {
        q.callerid_prefix = or_null(v);
    }
    if let Some(v) = text("description") {
        q.description = or_null(v);
    }
}
