//! POST / PUT / PATCH `incoming-routes`: the processor sends all three straight to
//! `SaveRecordAction::main()` (src/PBXCoreREST/Lib/IncomingRoutes/SaveRecordAction.php), with
//! the path's id over any body `id` and the controller's `httpMethod`. Phase by phase:
//!
//! 1. sanitise (`sanitizeInputData()`: only the fields with rules are kept): strings trimmed
//!    and cut (`rulename` 100, `number` 50, `note` 1024, `extension` 20 characters),
//!    `extension` to its digits unless it matches `^([0-9]*|hangup|busy|did2user|voicemail)$`,
//!    `audio_message_id` to its digits, integers `(int)`; `note` through `TextFieldProcessor`
//!    (what stays dangerous is refused: 422 'Dangerous content detected in fields: note').
//!    `providerid` becomes the `provider` column: `''` / `none` is NULL (any provider) — and
//!    **so is a request without `providerid`**, also for PUT and PATCH.
//! 2. nothing is required.
//! 3. an `id` that exists makes even a POST an update (200); one that does not is 404
//!    'Incoming route not found' for PUT / PATCH, a new route with a new id for POST.
//! 4. defaults (create only): `priority` 1, `timeout` 120; then a priority that is 0 or 1
//!    becomes the highest below 9999 plus one.
//! 5. `validateInputData()`: `priority` 0–9999, `timeout` 0–7400, lengths (422 with httpCode,
//!    messages a list, not keyed by field).
//! 6. save with `isset()` semantics (`number`, `extension`, `note` `?: ''`); route 1 always
//!    gets priority 9999. Neither the extension nor the provider is checked to exist
//!    (`NO_ACTION` relations).

use serde_json::{Map, Value};

use super::super::call_queues::{sanitize_extension, valid_extension};
use super::super::php::{php_empty, php_int, php_string, sanitize_string, value_empty};
use super::super::text_fields::{is_dangerous, sanitize_for_storage};
use super::{Call, MANAGEMENT_PROCESSOR, detail, fail, find, next_priority, ok};
use crate::envelope::ApiResult;
use crate::state::IncomingRoute;

/// `PATTERN_EXTENSION_WITH_SYSTEM_OR_EMPTY`: `^([0-9]*|hangup|busy|did2user|voicemail)$`.
fn extension_pattern(v: &str) -> bool {
    v.bytes().all(|b| b.is_ascii_digit())
        || matches!(v, "hangup" | "busy" | "did2user" | "voicemail")
}

/// `^[0-9]*$`.
fn digits_pattern(v: &str) -> bool {
    v.bytes().all(|b| b.is_ascii_digit())
}

/// A PHP `TypeError` escaping the action: the worker's own answer.
fn type_error(message: &str) -> ApiResult {
    ApiResult::fail("", MANAGEMENT_PROCESSOR, format!("TypeError: {message}"))
}

/// The sanitised request: strings and integers as `BaseActionHelper::sanitizeData()` leaves
/// them (`None`: not sent).
#[derive(Default)]
struct Clean {
    rulename: Option<String>,
    number: Option<String>,
    providerid: Option<String>,
    priority: Option<i64>,
    timeout: Option<i64>,
    extension: Option<String>,
    audio_message_id: Option<String>,
    note: Option<String>,
}

fn sanitize(data: &Map<String, Value>) -> Result<Clean, Box<ApiResult>> {
    let isset = |k: &str| data.get(k).filter(|v| !v.is_null());
    let text = |k: &str, pattern: Option<fn(&str) -> bool>, max: Option<usize>| match isset(k) {
        None => Ok(None),
        // Phalcon's trim filter maps over an array; `preg_match()` / the model's typed
        // property then refuse it.
        Some(v) => match php_string(v) {
            Some(s) => Ok(Some(sanitize_string(&s, pattern, max))),
            None => Err(Box::new(type_error(&format!(
                "Field '{k}': string expected, array given"
            )))),
        },
    };
    let int = |k: &str| isset(k).map(php_int);
    Ok(Clean {
        rulename: text("rulename", None, Some(100))?,
        number: text("number", None, Some(50))?,
        providerid: text("providerid", None, None)?,
        priority: int("priority"),
        timeout: int("timeout"),
        extension: text("extension", Some(extension_pattern), Some(20))?,
        audio_message_id: text("audio_message_id", Some(digits_pattern), None)?,
        note: text("note", None, Some(1024))?,
    })
}

/// `SaveRecordAction::main()` for `create`, `update` and `patch`.
pub(super) fn save(call: &Call<'_>) -> ApiResult {
    let class = "SaveRecordAction";
    if call.ctx.bad_json {
        return fail(call, class, "Invalid JSON in request body").code(400);
    }
    let method = match call.action {
        "update" => "PUT",
        "patch" => "PATCH",
        _ => "POST",
    };
    let mut data = call.ctx.params.clone();
    if let Some(id) = &call.route.id {
        data.insert("id".into(), Value::String(id.clone()));
    }

    // PHASE 1.
    let mut clean = match sanitize(&data) {
        Ok(c) => c,
        Err(e) => return *e,
    };
    if let Some(note) = clean.note.as_mut() {
        *note = sanitize_for_storage(note);
        if is_dangerous(note) {
            // Thrown inside the action's first `try`: no httpCode.
            return fail(call, class, "Dangerous content detected in fields: note");
        }
    }
    // `providerid` (API) → `provider` (column); absent is NULL as well.
    let provider = clean
        .providerid
        .take()
        .filter(|p| !php_empty(p) && p != "none");
    if let Some(e) = clean.extension.as_mut()
        && !php_empty(e)
        && !valid_extension(e)
    {
        *e = sanitize_extension(e);
        if !valid_extension(e) {
            return fail(call, class, "Invalid extension value after sanitization");
        }
    }

    // PHASE 3.
    let raw_id = data.get("id").filter(|v| !value_empty(v));
    let existing = match raw_id {
        None => None,
        Some(v) => {
            let Some(id) = php_string(v) else {
                return type_error("Invalid bind parameter for id (array given)");
            };
            match call.app.read(|s| find(s, &id).cloned()) {
                Some(r) => Some(r),
                None if method != "POST" => {
                    return fail(call, class, "Incoming route not found").code(404);
                }
                // POST with an id that does not exist: a new route (the id is not used).
                None => None,
            }
        }
    };
    let is_new = existing.is_none();

    // PHASE 4.
    if is_new {
        clean.timeout.get_or_insert(120);
        let p = clean.priority.get_or_insert(1);
        if *p == 0 || *p == 1 {
            *p = call.app.read(next_priority);
        }
    }

    // PHASE 5: in definition order.
    let mut errors = Vec::new();
    let len = |v: &Option<String>| v.as_deref().map_or(0, |s| s.chars().count());
    for (name, value, max) in [
        ("rulename", &clean.rulename, 100),
        ("number", &clean.number, 50),
    ] {
        if len(value) > max {
            errors.push(format!(
                "Field '{name}' must be at most {max} characters (got {})",
                len(value)
            ));
        }
    }
    for (name, value, max) in [
        ("priority", clean.priority, 9999),
        ("timeout", clean.timeout, 7400),
    ] {
        if let Some(n) = value {
            if n < 0 {
                errors.push(format!("Field '{name}' must be at least 0 (got {n})"));
            }
            if n > max {
                errors.push(format!("Field '{name}' must be at most {max} (got {n})"));
            }
        }
    }
    for (name, value, max) in [
        ("extension", &clean.extension, 20),
        ("note", &clean.note, 1024),
    ] {
        if len(value) > max {
            errors.push(format!(
                "Field '{name}' must be at most {max} characters (got {})",
                len(value)
            ));
        }
    }
    if !errors.is_empty() {
        let mut r = fail(call, class, errors.remove(0)).code(422);
        r.errors.extend(errors);
        return r;
    }

    // PHASE 6.
    let mut route = existing.clone().unwrap_or_else(new_model);
    if let Some(v) = clean.rulename {
        route.rulename = Some(v);
    }
    if let Some(v) = clean.number {
        route.number = Some(if php_empty(&v) { String::new() } else { v });
    }
    route.provider = provider;
    if let Some(p) = clean.priority {
        route.priority = Some(p.to_string());
    }
    if route.id == 1 {
        route.priority = Some("9999".into());
    }
    if let Some(t) = clean.timeout {
        route.timeout = Some(t.to_string());
    }
    if let Some(v) = clean.extension {
        route.extension = Some(if php_empty(&v) { String::new() } else { v });
    }
    if let Some(v) = clean.audio_message_id {
        route.audio_message_id = Some(v);
    }
    if let Some(v) = clean.note {
        route.note = Some(if php_empty(&v) { String::new() } else { v });
    }
    let saved = call.app.write(|s| {
        match s
            .incoming_routes
            .iter_mut()
            .find(|r| r.id == route.id && !is_new)
        {
            Some(slot) => *slot = route.clone(),
            None => {
                route.id = s.next_incoming_route_id.max(1);
                s.next_incoming_route_id = route.id + 1;
                s.incoming_routes.push(route.clone());
            }
        }
        route
    });
    let data = call.app.read(|s| detail(s, &saved, &saved.id.to_string()));
    let mut r = ok(call, class, &data).code(if is_new { 201 } else { 200 });
    r.reload = Some(format!("incoming-routes/modify/{}", saved.id));
    r
}

/// A new `IncomingRoutingTable` model: the columns' defaults.
fn new_model() -> IncomingRoute {
    let e = || Some(String::new());
    IncomingRoute {
        id: 0,
        rulename: e(),
        number: e(),
        extension: e(),
        provider: e(),
        priority: Some("0".into()),
        timeout: Some("300".into()),
        action: e(),
        note: e(),
        audio_message_id: e(),
    }
}
