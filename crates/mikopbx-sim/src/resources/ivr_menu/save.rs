//! POST / PUT `ivr-menu` (`IvrMenuManagementProcessor` sends `create` and `update` straight to
//! `SaveRecordAction::main()`, src/PBXCoreREST/Lib/IvrMenu/SaveRecordAction.php) and PATCH
//! (`PatchAction::main()`, a separate and much looser action), phase by phase:
//!
//! 1. sanitise with the rules `getSanitizationRules()` derives from the field definitions:
//!    strings trimmed, `name` cut to 255 and `description` to 500 characters, `timeout` and
//!    `number_of_repeat` `(int)`, the flag `FILTER_VALIDATE_BOOLEAN`, `timeout_extension`
//!    reduced to its digits when it does not match `^([0-9]{2,8}|hangup|busy|did2user|
//!    voicemail)$` (then refused, 422 'Invalid timeout_extension value after sanitization',
//!    if that is not 1–20 digits); `name` / `description` through `TextFieldProcessor`
//!    (dangerous content removed, what is still dangerous refused: 422 'Dangerous content
//!    detected in fields: …'). `id` and `extension` are then put back **as sent**. Actions:
//!    `digits` keeps `0-9 * #` (10 at most), `extension` its digits (20 at most) unless it is a
//!    system number; an action is kept only when both are non-empty in PHP's sense, so digit
//!    `0` (`empty("0")`) is always dropped.
//! 2. required (422 without httpCode, `messages.error` keyed by field): `name` ('IVR menu name
//!    is required'); only when there is no `id` (a plain create) also `extension` ('Extension
//!    number is required', 'Extension must be 2-8 digits', on the value as sent). So a PUT
//!    stores any extension string, and a POST with an `id` skips the extension rules.
//! 3. existence: an `id` that exists makes even a POST an update; a PUT on a missing id is 404
//!    'IVR menu not found' (after the required check). Uniqueness against every number of the
//!    PBX: 409 'Extension number already exists'.
//! 4. defaults (create only): `timeout` 7, `number_of_repeat` 3, the flag false.
//! 5. `validateInputData()`: `timeout` 1–60, `number_of_repeat` 0–10 (422 with httpCode,
//!    messages a list).
//! 6. save: the `IVR MENU` extension row is created or renumbered (references follow,
//!    `Extensions::afterUpdate`), columns written with `isset()` semantics, and the actions
//!    **replaced by the ones sent**: a PUT without `actions` deletes them all. Rows whose digits
//!    are sent again keep their ids. 201 for a new menu, 200 otherwise, `reload` =
//!    `ivr-menu/modify/<uniqid>`.
//!
//! PATCH is none of that: `PatchAction` writes the given keys of `name`, `extension`,
//! `audio_message_id`, `timeout`, `timeout_extension`, `allow_enter_any_internal_extension`,
//! `number_of_repeat`, `description` to the menu as they are (no sanitising, no range check, no
//! uniqueness check, `null` allowed), leaves the `m_Extensions` row alone (a new `extension` or
//! `name` is not carried to it), replaces the actions with the ones sent (also unsanitised:
//! empty, `0`, duplicate digits all saved) when `actions` is an array, and answers `{id}` only,
//! 200. A missing id is 404 `IVR menu not found: <id>`.
//!
//! A body that is not valid JSON is read as no data (`Request::getData()`), so it fails the
//! required checks rather than being refused as such.

use serde_json::{Map, Value};

use super::super::call_queues::{
    renumber, routing_pattern, sanitize_extension, taken_numbers, valid_extension,
};
use super::super::php::{php_bool, php_empty, php_int, php_string, sanitize_string, value_empty};
use super::super::text_fields::{is_dangerous, sanitize_for_storage};
use super::{
    Actions, Call, MANAGEMENT_PROCESSOR, PhpVal, detail, fail, find, generate_unique_id, ok,
    route_id,
};
use crate::envelope::ApiResult;
use crate::state::{IvrMenu, IvrMenuAction, IvrNumber, Store};

/// `^[0-9]{2,8}$`.
fn extension_pattern(v: &str) -> bool {
    (2..=8).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_digit())
}

/// An error escaping the action (a PHP `TypeError`, or an `Exception` thrown outside its
/// `try`): the worker answers with its own result (processor = the management processor, no
/// function) and the Whoops description, approximated here as `<class>: <message>`.
fn thrown(class: &str, message: &str) -> ApiResult {
    ApiResult::fail("", MANAGEMENT_PROCESSOR, format!("{class}: {message}"))
}

/// `POST ivr-menu`.
pub(super) fn create(call: &Call<'_>) -> ApiResult {
    save(call, call.ctx.params.clone(), "POST")
}

/// `PUT ivr-menu/{id}`: the path's id replaces any `id` in the body.
pub(super) fn update(call: &Call<'_>) -> ApiResult {
    let mut data = call.ctx.params.clone();
    data.insert("id".into(), Value::String(route_id(call)));
    save(call, data, "PUT")
}

/// The sanitised request (`$sanitizedData` without `id` / `extension`).
#[derive(Default)]
struct Clean {
    name: Option<String>,
    description: Option<String>,
    timeout: Option<i64>,
    timeout_extension: Option<String>,
    number_of_repeat: Option<i64>,
    allow: Option<bool>,
    audio_message_id: Option<String>,
}

/// PHASE 1 for the columns: `BaseActionHelper::sanitizeData()` with the definitions' rules (in
/// their order), then `TextFieldProcessor` and `sanitizeRoutingDestinations()`.
fn sanitize(call: &Call<'_>, data: &Map<String, Value>) -> Result<Clean, Box<ApiResult>> {
    let isset = |k: &str| data.get(k).filter(|v| !v.is_null());
    let text = |k: &str, pattern: Option<fn(&str) -> bool>, max: Option<usize>| match isset(k) {
        None => Ok(None),
        // Phalcon's trim filter on an array: a TypeError.
        Some(v) => match php_string(v) {
            Some(s) => Ok(Some(sanitize_string(&s, pattern, max))),
            None => Err(Box::new(thrown(
                "TypeError",
                &format!("Field '{k}': string expected, array given"),
            ))),
        },
    };
    let mut c = Clean {
        name: text("name", None, Some(255))?,
        ..Clean::default()
    };
    // Sanitised like the others, then replaced by the value as sent.
    text("extension", Some(extension_pattern), None)?;
    c.description = text("description", None, Some(500))?;
    c.timeout = isset("timeout").map(php_int);
    c.timeout_extension = text("timeout_extension", Some(routing_pattern), None)?;
    c.number_of_repeat = isset("number_of_repeat").map(php_int);
    c.allow = isset("allow_enter_any_internal_extension").map(php_bool);
    c.audio_message_id = text("audio_message_id", None, None)?;

    c.name = c.name.map(|n| sanitize_for_storage(&n));
    c.description = c.description.map(|d| sanitize_for_storage(&d));
    let dangerous: Vec<&str> = [("name", &c.name), ("description", &c.description)]
        .into_iter()
        .filter(|(_, v)| v.as_deref().is_some_and(is_dangerous))
        .map(|(k, _)| k)
        .collect();
    if !dangerous.is_empty() {
        return Err(Box::new(fail(
            call,
            "SaveRecordAction",
            format!(
                "Dangerous content detected in fields: {}",
                dangerous.join(", ")
            ),
        )));
    }
    if let Some(t) = c.timeout_extension.as_mut()
        && !php_empty(t)
        && !valid_extension(t)
    {
        *t = sanitize_extension(t);
        if !valid_extension(t) {
            return Err(Box::new(fail(
                call,
                "SaveRecordAction",
                "Invalid timeout_extension value after sanitization",
            )));
        }
    }
    Ok(c)
}

/// `SaveRecordAction::sanitizeActionsData($data['actions'] ?? [])`: `(digits, extension)`
/// pairs in the order sent. A JSON string is decoded first (invalid JSON throws outside the
/// action's `try`); anything but an array gives no actions.
fn sanitize_actions(v: Option<&Value>) -> Result<Vec<(String, String)>, Box<ApiResult>> {
    let decoded;
    let items: Vec<&Value> = match v {
        Some(Value::Array(a)) => a.iter().collect(),
        Some(Value::Object(o)) => o.values().collect(),
        Some(Value::String(s)) => {
            decoded = serde_json::from_str::<Value>(s)
                .map_err(|_| thrown("Exception", "Invalid actions JSON format: Syntax error"))?;
            match &decoded {
                Value::Array(a) => a.iter().collect(),
                Value::Object(o) => o.values().collect(),
                // `foreach` over a scalar: a warning, no iteration.
                _ => Vec::new(),
            }
        }
        _ => Vec::new(),
    };
    // `(string)` of an array is "Array" (with a warning).
    let cast = |v: &Value| php_string(v).unwrap_or_else(|| "Array".into());
    let mut out = Vec::new();
    for item in items {
        // A JSON list is a PHP array too, but has no `digits` key: dropped below.
        let Value::Object(action) = item else {
            continue;
        };
        let isset = |k: &str| action.get(k).filter(|v| !v.is_null());
        let digits: String = isset("digits")
            .map(|d| {
                cast(d)
                    .chars()
                    .filter(|c| c.is_ascii_digit() || *c == '*' || *c == '#')
                    .take(10)
                    .collect()
            })
            .unwrap_or_default();
        let mut extension = isset("extension")
            .map(|e| sanitize_extension(cast(e).trim()))
            .unwrap_or_default();
        if !php_empty(&extension) && !valid_extension(&extension) {
            extension.clear();
        }
        if !php_empty(&digits) && !php_empty(&extension) {
            out.push((digits, extension));
        }
    }
    Ok(out)
}

/// `SaveRecordAction::main()`.
fn save(call: &Call<'_>, data: Map<String, Value>, method: &str) -> ApiResult {
    let class = "SaveRecordAction";
    // PHASE 1.
    let clean = match sanitize(call, &data) {
        Ok(c) => c,
        Err(r) => return *r,
    };
    let raw_id = data.get("id").filter(|v| !v.is_null()).cloned();
    let raw_extension = data.get("extension").filter(|v| !v.is_null()).cloned();
    let actions = match sanitize_actions(data.get("actions").filter(|v| !v.is_null())) {
        Ok(a) => a,
        Err(r) => return *r,
    };

    // PHASE 2: required fields, keyed by field.
    let id_empty = raw_id.as_ref().is_none_or(value_empty);
    let mut required = Vec::new();
    if clean.name.as_deref().is_none_or(php_empty) {
        required.push(("name".to_string(), "IVR menu name is required".to_string()));
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
            None => {
                return thrown(
                    "TypeError",
                    "Invalid bind parameter for uniqid (array given)",
                );
            }
        }
    };
    let existing = uniqid
        .as_deref()
        .and_then(|u| call.app.read(|s| find(s, u).cloned()));
    if uniqid.is_some() && existing.is_none() && matches!(method, "PUT" | "PATCH") {
        // `validateRecordExistence()`.
        return fail(call, class, "IVR menu not found").code(404);
    }
    let is_new = existing.is_none();
    let mut menu = existing.clone().unwrap_or_else(|| IvrMenu {
        uniqid: uniqid.clone().unwrap_or_else(generate_unique_id),
        ..new_model()
    });
    // `$ivrMenu->extension` before the save: '' for a new model.
    let current = menu.extension.clone().unwrap_or_default();
    // `checkExtensionUniqueness(string $newExtension, …)` coerces a JSON number to a string.
    let mut extension = raw_extension
        .as_ref()
        .map(|v| php_string(v).unwrap_or_default());
    if !is_new && raw_extension.as_ref().is_none_or(value_empty) {
        extension = menu.extension.clone();
    }
    if let Some(e) = extension.as_deref().filter(|e| !php_empty(e))
        && e != current
        && call.app.read(taken_numbers).iter().any(|n| n == e)
    {
        return fail(call, class, "Extension number already exists").code(409);
    }

    // PHASE 4: defaults (create only).
    let mut clean = clean;
    if is_new {
        clean.timeout.get_or_insert(7);
        clean.number_of_repeat.get_or_insert(3);
        clean.allow.get_or_insert(false);
    }

    // PHASE 5: ranges (`validateInputData()`, in definition order).
    let mut errors = Vec::new();
    for (field, value, min, max) in [
        ("timeout", clean.timeout, 1, 60),
        ("number_of_repeat", clean.number_of_repeat, 0, 10),
    ] {
        let Some(n) = value else { continue };
        if n < min {
            errors.push(format!("Field '{field}' must be at least {min} (got {n})"));
        }
        if n > max {
            errors.push(format!("Field '{field}' must be at most {max} (got {n})"));
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
        return thrown(
            "TypeError",
            "MikoPBX\\PBXCoreREST\\Lib\\Common\\AbstractSaveRecordAction::createOrUpdateExtension(): Argument #1 ($extension) must be of type string, null given",
        );
    };
    let name = clean.name.clone().unwrap_or_default();
    // `$x ?: ''`: '' and '0' are stored as ''.
    let or_empty = |v: String| if php_empty(&v) { String::new() } else { v };
    menu.extension = Some(extension.clone());
    menu.name = Some(name.clone());
    if let Some(v) = clean.audio_message_id {
        menu.audio_message_id = Some(or_empty(v));
    }
    if let Some(n) = clean.timeout {
        menu.timeout = Some(n.to_string());
    }
    if let Some(v) = clean.timeout_extension {
        menu.timeout_extension = Some(or_empty(v));
    }
    if let Some(n) = clean.number_of_repeat {
        menu.number_of_repeat = Some(n.to_string());
    }
    if let Some(v) = clean.description {
        menu.description = Some(or_empty(v));
    }
    if let Some(b) = clean.allow {
        menu.allow_enter_any_internal_extension = Some(if b { "1" } else { "0" }.into());
    }
    let saved = call.app.write(|s| {
        create_or_update_extension(s, &extension, &name, &current);
        let slot = s.ivr_menus.iter().position(|x| x.uniqid == menu.uniqid);
        // The rows as they are now (a renumbering may have rewritten them).
        let rows = slot
            .map(|i| s.ivr_menus[i].actions.clone())
            .unwrap_or_default();
        menu.actions = replace_actions(s, rows, &actions);
        match slot {
            Some(i) => s.ivr_menus[i] = menu.clone(),
            None => {
                menu.id = s.next_ivr_id.max(1);
                s.next_ivr_id = menu.id + 1;
                s.ivr_menus.push(menu.clone());
            }
        }
        menu
    });
    let data = call
        .app
        .read(|s| PhpVal::Obj(detail(s, &saved, Actions::Saved)));
    let mut r = ok(call, class, &data).code(if is_new { 201 } else { 200 });
    r.reload = Some(format!("ivr-menu/modify/{}", saved.uniqid));
    r
}

/// A new `IvrMenu` model: the property defaults of src/Common/Models/IvrMenu.php.
fn new_model() -> IvrMenu {
    let s = |v: &str| Some(v.to_string());
    IvrMenu {
        id: 0,
        uniqid: String::new(),
        extension: s(""),
        audio_message_id: s(""),
        name: s(""),
        timeout: s("7"),
        timeout_extension: s(""),
        allow_enter_any_internal_extension: s("0"),
        number_of_repeat: s("3"),
        description: s(""),
        actions: Vec::new(),
    }
}

/// `AbstractSaveRecordAction::createOrUpdateExtension($extension, $name, TYPE_IVR_MENU,
/// $current)`: the row numbered `$current` gets the new number and caller id (renumbering the
/// references, `Extensions::afterUpdate`), or a new row is made.
///
/// Only `IVR MENU` rows are looked up: a `$current` that is another record's number (possible
/// only after a PATCH wrote it into the menu) would renumber that record's extension on the
/// PBX; the simulator makes a new row instead.
fn create_or_update_extension(s: &mut Store, extension: &str, name: &str, current: &str) {
    match s.ivr_numbers.iter().position(|r| r.number == current) {
        Some(i) => {
            let old = std::mem::replace(
                &mut s.ivr_numbers[i],
                IvrNumber {
                    number: extension.to_string(),
                    callerid: name.to_string(),
                },
            );
            if old.number != extension {
                renumber(s, &old.number, extension);
            }
        }
        None => s.ivr_numbers.push(IvrNumber {
            number: extension.to_string(),
            callerid: name.to_string(),
        }),
    }
}

/// `updateIvrMenuActions()` (or, for no actions, deleting them all): each sent pair updates the
/// first row with those digits or adds one; then rows whose digits were not sent go (`digits NOT
/// IN (…)`, which a NULL `digits` never satisfies).
fn replace_actions(
    s: &mut Store,
    mut rows: Vec<IvrMenuAction>,
    sent: &[(String, String)],
) -> Vec<IvrMenuAction> {
    if sent.is_empty() {
        return Vec::new();
    }
    for (digits, extension) in sent {
        match rows
            .iter_mut()
            .find(|r| r.digits.as_deref() == Some(digits))
        {
            Some(r) => r.extension = Some(extension.clone()),
            None => {
                let id = s.next_ivr_action_id.max(1);
                s.next_ivr_action_id = id + 1;
                rows.push(IvrMenuAction {
                    id,
                    digits: Some(digits.clone()),
                    extension: Some(extension.clone()),
                });
            }
        }
    }
    rows.retain(|r| {
        r.digits
            .as_deref()
            .is_none_or(|d| sent.iter().any(|(x, _)| x == d))
    });
    rows
}

/// A PatchAction value for a `?string` property: PHP's coercive assignment (`true` → "1",
/// `false` → "", numbers as written), `null` allowed; an array is a `TypeError`.
fn property(class: &str, field: &str, v: &Value) -> Result<Option<String>, Box<ApiResult>> {
    match v {
        Value::Null => Ok(None),
        Value::Array(_) | Value::Object(_) => Err(Box::new(thrown(
            "TypeError",
            &format!(
                "Cannot assign array to property MikoPBX\\Common\\Models\\{class}::${field} of type ?string"
            ),
        ))),
        other => Ok(php_string(other)),
    }
}

/// `PATCH ivr-menu/{id}` (`PatchAction::main()`). Arrays for the two untyped properties
/// (`number_of_repeat`, `description`) would fail later, in the ORM; the simulator refuses them
/// the same way as the typed ones. A failing PATCH changes nothing here; on the PBX its old
/// actions are deleted outside the transaction, so an error among the new actions may leave
/// the menu without them (not reproduced).
pub(super) fn patch(call: &Call<'_>) -> ApiResult {
    let class = "PatchAction";
    let id = route_id(call);
    let Some(mut menu) = call.app.read(|s| find(s, &id).cloned()) else {
        return fail(call, class, format!("IVR menu not found: {id}")).code(404);
    };
    let params = &call.ctx.params;
    let fields: [(&str, &mut Option<String>); 8] = [
        ("name", &mut menu.name),
        ("extension", &mut menu.extension),
        ("audio_message_id", &mut menu.audio_message_id),
        ("timeout", &mut menu.timeout),
        ("timeout_extension", &mut menu.timeout_extension),
        (
            "allow_enter_any_internal_extension",
            &mut menu.allow_enter_any_internal_extension,
        ),
        ("number_of_repeat", &mut menu.number_of_repeat),
        ("description", &mut menu.description),
    ];
    for (field, slot) in fields {
        // `array_key_exists()`: a `null` is written too.
        if let Some(v) = params.get(field) {
            match property("IvrMenu", field, v) {
                Ok(value) => *slot = value,
                Err(r) => return *r,
            }
        }
    }
    // `isset($data['actions']) && is_array($data['actions'])`: replaced, as sent.
    let actions: Option<Vec<(Option<String>, Option<String>)>> = match params.get("actions") {
        Some(Value::Array(_) | Value::Object(_)) => {
            let items: Vec<&Value> = match &params["actions"] {
                Value::Array(a) => a.iter().collect(),
                Value::Object(o) => o.values().collect(),
                _ => Vec::new(),
            };
            let mut out = Vec::new();
            for item in items {
                // `$actionData['digits'] ?? ''`: '' unless the item is an object with the key.
                let get = |k: &str| match item {
                    Value::Object(o) => o.get(k).cloned().unwrap_or(Value::Null),
                    _ => Value::Null,
                };
                let digits = match get("digits") {
                    Value::Null => Some(String::new()),
                    v => match property("IvrMenuActions", "digits", &v) {
                        Ok(d) => d,
                        Err(r) => return *r,
                    },
                };
                let extension = match get("extension") {
                    Value::Null => Some(String::new()),
                    v => match property("IvrMenuActions", "extension", &v) {
                        Ok(e) => e,
                        Err(r) => return *r,
                    },
                };
                out.push((digits, extension));
            }
            Some(out)
        }
        _ => None,
    };
    call.app.write(|s| {
        if let Some(list) = actions {
            menu.actions = list
                .into_iter()
                .map(|(digits, extension)| {
                    let id = s.next_ivr_action_id.max(1);
                    s.next_ivr_action_id = id + 1;
                    IvrMenuAction {
                        id,
                        digits,
                        extension,
                    }
                })
                .collect();
        }
        if let Some(slot) = s.ivr_menus.iter_mut().find(|m| m.uniqid == menu.uniqid) {
            *slot = menu.clone();
        }
    });
    let data = PhpVal::Obj(vec![("id".into(), PhpVal::s(menu.uniqid.as_str()))]);
    ok(call, class, &data)
}

#[cfg(test)]
mod wire_tests {
    use crate::test_support::*;
    use crate::{RunningSimulator, Simulator};
    use serde_json::{Value, json};

    const MAIN: &str = "IVR-5E0F1A22";

    async fn sim() -> RunningSimulator {
        Simulator::builder().cdr_records(10).start().await.unwrap()
    }

    async fn available(c: &reqwest::Client, sim: &RunningSimulator, n: &str) -> bool {
        let (_, v) = json(
            c.post(api(sim, "extensions:available"))
                .json(&json!({"number": n})),
        )
        .await;
        v["data"]["available"].as_bool().unwrap()
    }

    fn digits_and_numbers(record: &Value) -> Vec<(String, String)> {
        record["actions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| {
                (
                    a["digits"].as_str().unwrap_or("null").to_string(),
                    a["extension"].as_str().unwrap_or("null").to_string(),
                )
            })
            .collect()
    }

    /// Required fields keyed by field, the extension checked as sent, uniqueness, ranges,
    /// dangerous text, and a body that is not JSON read as no data.
    #[tokio::test]
    async fn create_validation() {
        let sim = sim().await;
        let c = client(&sim, LOCAL);
        let post = |body: Value| json(c.post(api(&sim, "ivr-menu")).json(&body));
        let (s, v) = post(json!({})).await;
        assert_eq!((s, v["httpCode"].as_u64()), (422, None), "{v}");
        assert_eq!(
            v["messages"]["error"],
            json!({"name": "IVR menu name is required", "extension": "Extension number is required"})
        );
        // Put back as sent before the check: "23-45" is not sanitised to 2345 (conference
        // rooms do that), a number is read as its text.
        let (_, v) = post(json!({"name": "X", "extension": "23-45"})).await;
        assert_eq!(
            v["messages"]["error"],
            json!({"extension": "Extension must be 2-8 digits"})
        );
        let (s, v) = post(json!({"name": "Numeric", "extension": 2345})).await;
        assert_eq!(
            (s, v["data"]["extension"].as_str()),
            (201, Some("2345")),
            "{v}"
        );
        for taken in ["201", "2001", "2000", "2100", "voicemail"] {
            let (s, v) = post(json!({"name": "Clash", "extension": taken})).await;
            let expected = if taken == "voicemail" { 422 } else { 409 };
            assert_eq!(s, expected, "{taken}: {v}");
        }
        let (s, v) = post(json!({"name": "Clash", "extension": "2001"})).await;
        assert_eq!((s, v["httpCode"].as_u64()), (409, Some(409)));
        assert_eq!(
            v["messages"]["error"],
            json!(["Extension number already exists"])
        );
        // validateInputData(): after the defaults, with httpCode.
        let (s, v) =
            post(json!({"name": "R", "extension": "2400", "timeout": 0, "number_of_repeat": "11"}))
                .await;
        assert_eq!((s, v["httpCode"].as_u64()), (422, Some(422)), "{v}");
        assert_eq!(
            v["messages"]["error"],
            json!([
                "Field 'timeout' must be at least 1 (got 0)",
                "Field 'number_of_repeat' must be at most 10 (got 11)"
            ])
        );
        let (_, v) = post(json!({"name": "R", "extension": "2400", "timeout": "61s"})).await;
        assert_eq!(
            v["messages"]["error"],
            json!(["Field 'timeout' must be at most 60 (got 61)"])
        );
        // TextFieldProcessor: script removed (then nothing is left: required), SQL-like text refused.
        let (_, v) = post(json!({"name": "<script>alert(1)</script>", "extension": "2400"})).await;
        assert_eq!(
            v["messages"]["error"],
            json!({"name": "IVR menu name is required"})
        );
        let (s, v) =
            post(json!({"name": "Please delete it from the list", "extension": "2400"})).await;
        assert_eq!(s, 422);
        assert_eq!(
            v["messages"]["error"],
            json!(["Dangerous content detected in fields: name"])
        );
        // Not JSON: no data (Request::getData()), so the required checks answer.
        let (s, v) = json(
            c.post(api(&sim, "ivr-menu"))
                .header("content-type", "application/json")
                .body("{\"name\": "),
        )
        .await;
        assert_eq!(s, 422, "{v}");
        assert_eq!(v["messages"]["error"]["name"], "IVR menu name is required");
        // Arrays where strings are expected escape the action.
        let (s, v) = post(json!({"name": ["x"], "extension": "2400"})).await;
        assert_eq!((s, v["function"].as_str()), (422, Some("")), "{v}");
        // `actions` as a JSON string is decoded; invalid JSON there throws.
        let (s, v) =
            post(json!({"name": "A", "extension": "2400", "actions": "[{\"digits\":\"1\""})).await;
        assert_eq!(s, 422);
        assert_eq!(
            v["messages"]["error"],
            json!(["Exception: Invalid actions JSON format: Syntax error"])
        );
        assert!(available(&c, &sim, "2400").await, "nothing was saved");
    }

    /// A full create: sanitising, defaults, the actions kept, the extension row, 201.
    #[tokio::test]
    async fn create_saves_menu_extension_and_actions() {
        let sim = sim().await;
        let c = client(&sim, LOCAL);
        let (s, v) = json(c.post(api(&sim, "ivr-menu")).json(&json!({
            "name": format!("  {}  ", "n".repeat(300)),
            "extension": "2400",
            "description": "Night menu",
            "timeout_extension": "20-1",
            "audio_message_id": "0",
            "actions": [
                {"digits": "1", "extension": "2001"},
                {"digits": "0", "extension": "201"},
                {"digits": "2#x", "extension": " 20-2 "},
                {"digits": "3", "extension": "voicemail"},
                {"digits": "4"},
                "5",
                ["6", "203"],
                {"digits": "7", "extension": "9999"},
                {"digits": "1234567890123", "extension": "204"},
            ]
        })))
        .await;
        assert_eq!((s, v["httpCode"].as_u64()), (201, Some(201)), "{v}");
        let d = &v["data"];
        let id = d["id"].as_str().unwrap().to_string();
        assert_eq!(v["reload"], format!("ivr-menu/modify/{id}"));
        assert_eq!(d["name"], "n".repeat(255));
        assert_eq!(
            (d["timeout"].as_i64(), d["number_of_repeat"].as_i64()),
            (Some(7), Some(3))
        );
        assert_eq!(d["allow_enter_any_internal_extension"], false);
        assert_eq!(d["timeout_extension"], "201");
        assert_eq!(d["audio_message_id"], "", "'0' ?: ''");
        assert_eq!(
            digits_and_numbers(d),
            [
                ("1", "2001"),
                ("2#", "202"),
                ("3", "voicemail"),
                ("7", "9999"),
                ("1234567890", "204"),
            ]
            .map(|(a, b)| (a.to_string(), b.to_string()))
        );
        // The save's answer uses the relation ('ERROR' for a number that is no extension), a
        // read the array path ('').
        assert_eq!(d["actions"][3]["extension_represent"], "ERROR");
        assert_eq!(
            d["actions"][2]["extension_represent"],
            "<i class=\"cogs icon\"></i> Voicemail"
        );
        let (_, r) = json(c.get(api(&sim, &format!("ivr-menu/{id}")))).await;
        assert_eq!(r["data"]["actions"][3]["extension_represent"], "");
        // The number is an `IVR MENU` extension named after the menu.
        assert!(!available(&c, &sim, "2400").await);
        let (_, e) = json(c.get(api(&sim, "extensions?search=2400"))).await;
        assert_eq!(e["data"][0]["type"], "IVR MENU", "{e}");
        assert_eq!(e["data"][0]["callerid"], "n".repeat(255));

        // A POST with an `id`: no extension rules, that uniqid kept; the same id again updates.
        let (s, v) = json(c.post(api(&sim, "ivr-menu")).json(&json!({
            "id": "IVR-ABCD0001", "name": "Imported", "extension": "abc"
        })))
        .await;
        assert_eq!(s, 201, "{v}");
        assert_eq!(
            (v["data"]["id"].as_str(), v["data"]["extension"].as_str()),
            (Some("IVR-ABCD0001"), Some("abc"))
        );
        let (s, v) = json(c.post(api(&sim, "ivr-menu")).json(&json!({
            "id": "IVR-ABCD0001", "name": "Imported again"
        })))
        .await;
        assert_eq!(
            (s, v["data"]["extension"].as_str()),
            (200, Some("abc")),
            "{v}"
        );
        // ... and without an extension a new one cannot be saved.
        let (s, v) = json(c.post(api(&sim, "ivr-menu")).json(&json!({
            "id": "IVR-ABCD0002", "name": "No number"
        })))
        .await;
        assert_eq!((s, v["function"].as_str()), (422, Some("")), "{v}");
        assert!(
            v["messages"]["error"][0]
                .as_str()
                .unwrap()
                .starts_with("TypeError: ")
        );
    }

    /// PUT: no defaults, the extension kept or renumbered (references follow), and the actions
    /// replaced by what is sent: none sent, none left.
    #[tokio::test]
    async fn update_replaces_the_actions() {
        let sim = sim().await;
        let c = client(&sim, LOCAL);
        let url = api(&sim, &format!("ivr-menu/{MAIN}"));
        let (s, v) = json(c.put(&url).json(&json!({"name": "Main"}))).await;
        assert_eq!((s, v["httpCode"].as_u64()), (200, Some(200)), "{v}");
        let d = &v["data"];
        assert_eq!(
            (d["extension"].as_str(), d["timeout"].as_i64()),
            (Some("2000"), Some(7))
        );
        assert_eq!(
            d["allow_enter_any_internal_extension"], true,
            "no defaults on update"
        );
        assert_eq!(d["description"], "Greeting, then sales or support");
        assert_eq!(
            d["actions"],
            json!([]),
            "a PUT without actions deletes them"
        );
        // So the Sales queue is no longer an IVR target.
        let (s, _) = json(c.delete(api(&sim, "call-queues/QUEUE-1A2B3C41"))).await;
        assert_eq!(s, 200);

        let (_, v) = json(c.put(&url).json(&json!({"name": "Main", "actions": [
            {"digits": "1", "extension": "202"}, {"digits": "2", "extension": "203"}]})))
        .await;
        let first: Vec<String> = v["data"]["actions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["id"].as_str().unwrap().to_string())
            .collect();
        let (_, v) = json(c.put(&url).json(&json!({"name": "Main", "actions": [
            {"digits": "3", "extension": "204"}, {"digits": "2", "extension": "205"}]})))
        .await;
        let a = v["data"]["actions"].as_array().unwrap();
        assert_eq!(
            digits_and_numbers(&v["data"]),
            [("2", "205"), ("3", "204")].map(|(x, y)| (x.to_string(), y.to_string()))
        );
        assert_eq!(a[0]["id"], first[1].as_str(), "the row for 2 is kept");
        assert!(
            a[1]["id"].as_str().unwrap().parse::<u64>().unwrap() > first[1].parse::<u64>().unwrap()
        );

        // Renumbering: the Support queue's timeout and the Support line's `*` follow.
        let (s, v) = json(
            c.put(&url)
                .json(&json!({"name": "Main", "extension": "2005"})),
        )
        .await;
        assert_eq!(
            (s, v["data"]["extension"].as_str()),
            (200, Some("2005")),
            "{v}"
        );
        assert!(available(&c, &sim, "2000").await && !available(&c, &sim, "2005").await);
        let (_, q) = json(c.get(api(&sim, "call-queues/QUEUE-1A2B3C4D"))).await;
        assert_eq!(q["data"]["timeout_extension"], "2005");
        let (_, m) = json(c.get(api(&sim, "ivr-menu/IVR-3C9D2B7E"))).await;
        assert_eq!(m["data"]["actions"][0]["extension"], "2005");
        // Not pattern-checked on update; a taken number is still refused.
        let (s, v) = json(c.put(&url).json(&json!({"name": "Main", "extension": "9"}))).await;
        assert_eq!(
            (s, v["data"]["extension"].as_str()),
            (200, Some("9")),
            "{v}"
        );
        let (s, _) = json(
            c.put(&url)
                .json(&json!({"name": "Main", "extension": "201"})),
        )
        .await;
        assert_eq!(s, 409);
        // A missing id: the name is checked first, then 404.
        let missing = api(&sim, "ivr-menu/IVR-0000AAAA");
        let (s, v) = json(c.put(&missing).json(&json!({"extension": "2401"}))).await;
        assert_eq!(s, 422, "{v}");
        assert_eq!(
            v["messages"]["error"],
            json!({"name": "IVR menu name is required"})
        );
        let (s, v) = json(c.put(&missing).json(&json!({"name": "Ghost"}))).await;
        assert_eq!((s, v["httpCode"].as_u64()), (404, Some(404)));
        assert_eq!(v["messages"]["error"], json!(["IVR menu not found"]));
    }

    /// PatchAction: values written as given, `{id}` answered, the extension row untouched.
    #[tokio::test]
    async fn patch_writes_as_given() {
        let sim = sim().await;
        let c = client(&sim, LOCAL);
        let url = api(&sim, &format!("ivr-menu/{MAIN}"));
        let (s, body) = send(
            c.patch(&url)
                .json(&json!({"timeout": 99, "name": null, "description": "  x  "})),
        )
        .await;
        assert_eq!(s, 200, "{body}");
        assert!(
            body.starts_with(r#"{"result":true,"data":{"id":"IVR-5E0F1A22"},"messages":[],"function":"patch","processor":"MikoPBX\\PBXCoreREST\\Lib\\IvrMenu\\PatchAction::main","#),
            "{body}"
        );
        let (_, v) = json(c.get(&url)).await;
        let d = &v["data"];
        assert_eq!(d["timeout"], 99, "no range check");
        assert!(d.get("name").is_none(), "NULL name: {d}");
        assert_eq!(d["description"], "x", "trimmed by the controller only");
        assert_eq!(
            d["actions"].as_array().unwrap().len(),
            2,
            "untouched without `actions`"
        );

        // Actions as sent: "0", empty values and non-objects saved too.
        let (s, _) = json(c.patch(&url).json(&json!({"actions": [
            {"digits": "0", "extension": "abc"}, {"digits": 1}, "x"]})))
        .await;
        assert_eq!(s, 200);
        let (_, v) = json(c.get(&url)).await;
        assert_eq!(
            digits_and_numbers(&v["data"]),
            [("", ""), ("0", "abc"), ("1", "")].map(|(a, b)| (a.to_string(), b.to_string()))
        );
        let (_, _) = json(c.patch(&url).json(&json!({"actions": []}))).await;
        let (_, v) = json(c.get(&url)).await;
        assert_eq!(v["data"]["actions"], json!([]));

        // A new extension: the menu's column only; 2000 stays taken, 2099 stays free, and
        // 2000's label falls back to the caller id.
        let (s, _) = json(
            c.patch(&url)
                .json(&json!({"extension": "2099", "name": "Renamed"})),
        )
        .await;
        assert_eq!(s, 200);
        let (_, v) = json(c.get(&url)).await;
        assert_eq!(v["data"]["extension"], "2099");
        assert!(!available(&c, &sim, "2000").await && available(&c, &sim, "2099").await);
        let (_, q) = json(c.get(api(&sim, "call-queues/QUEUE-1A2B3C4D"))).await;
        assert_eq!(q["data"]["timeout_extension_represent"], "Main menu <2000>");
        // No uniqueness check either.
        let (s, _) = json(c.patch(&url).json(&json!({"extension": "201"}))).await;
        assert_eq!(s, 200);

        let (s, v) = json(
            c.patch(api(&sim, "ivr-menu/IVR-0000AAAA"))
                .json(&json!({"name": "x"})),
        )
        .await;
        assert_eq!((s, v["httpCode"].as_u64()), (404, Some(404)));
        assert_eq!(
            v["messages"]["error"],
            json!(["IVR menu not found: IVR-0000AAAA"])
        );
        let (s, v) = json(c.patch(&url).json(&json!({"timeout": [1]}))).await;
        assert_eq!((s, v["function"].as_str()), (422, Some("")), "{v}");
        let (_, v) = json(c.get(&url)).await;
        assert_eq!(v["data"]["timeout"], 99, "unchanged");
    }
}
