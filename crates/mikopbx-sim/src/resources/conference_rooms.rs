//! `conference-rooms` as `src/PBXCoreREST/Lib/ConferenceRooms/*` serves it, over a typed
//! `m_ConferenceRooms` store ([`ConferenceRoom`]).
//!
//! * `GET conference-rooms` (`GetListAction` → `executeStandardList`): a bare array of
//!   `DataStructure::createForList()` rows `{id, extension, name, represent, pinCode}` (all
//!   strings; `represent` is `RecordRepresentationTrait::getRepresent()`, HTML kept);
//!   `search` is SQL `LIKE '%term%'` on `name` only, order `name|extension|id` (default
//!   `name ASC`), paging only with `limit` / `offset`.
//! * `GET conference-rooms/{id}` (`GetRecordAction`): `createFromModel()` `{id, extension,
//!   name, pinCode}` plus `isNew: "0"`; a missing id is 404 'Conference room not found'.
//! * `GET conference-rooms:getDefault` (`GetDefaultAction`): `{id, uniqid, extension, name,
//!   pinCode, isNew, represent}` literally, with a fresh `CONFERENCE-` uniqid and the next free
//!   application number (2200100…); no schema formatting, so `uniqid` stays.
//! * `DELETE conference-rooms/{id}` (`AbstractDeleteAction::executeStandardDelete`): the
//!   CONFERENCE extension first (`Extensions::delete()` refuses with 409 and an HTML list when
//!   the number is a routing target elsewhere), then the room; `data = {deleted_extension:
//!   true}`. A missing id is 404 `Conference room not found (ID: <id>)`.
//! * POST / PUT / PATCH: `SaveRecordAction::main()`, see [`save`].
//!
//! The model (src/Common/Models/ConferenceRooms.php) has no `description` property, so the
//! column does not exist: `SaveRecordAction` accepts and sanitises `description` and sets it
//! on the model object, where it is a dynamic property that is not saved. It shows in the
//! write's own answer (`createFromModel($savedRoom)` sees it through `isset()`) and never
//! again. This reading of the source is ours; no PBX was asked.

use serde_json::{Map, Value};

use super::Call;
use super::call_queues::{
    next_free_application_number, renumber, restrict_list, sqlite_like, taken_numbers,
};
use super::ordering;
use super::php::{
    PhpVal, php_empty, php_int, php_string, sanitize_string, search_term, value_empty,
};
use super::text_fields::{is_dangerous, sanitize_for_storage};
use crate::envelope::ApiResult;
use crate::state::{ConferenceRoom, Store};

/// `MikoPBX\PBXCoreREST\Lib\ConferenceRooms\<class>::main`.
fn processor(class: &str) -> String {
    format!("MikoPBX\\PBXCoreREST\\Lib\\ConferenceRooms\\{class}::main")
}

pub(crate) fn handle(call: &Call<'_>) -> ApiResult {
    match call.action {
        "getList" => list(call),
        "getRecord" => get_record(call),
        "getDefault" => get_default(call),
        "delete" => delete(call),
        "create" => create(call),
        "update" => update(call),
        "patch" => patch(call),
        other => ApiResult::fail(
            other,
            "MikoPBX\\PBXCoreREST\\Lib\\ConferenceRoomsManagementProcessor::callBack",
            format!(
                "Unknown action - {other} in MikoPBX\\PBXCoreREST\\Lib\\ConferenceRoomsManagementProcessor"
            ),
        ),
    }
}

fn ok(call: &Call<'_>, class: &str, data: &PhpVal) -> ApiResult {
    let mut r = ApiResult::ok(call.action, &processor(class), data.to_value());
    r.data_raw = Some(data.to_json());
    r
}

fn fail(call: &Call<'_>, class: &str, msg: impl Into<String>) -> ApiResult {
    ApiResult::fail(call.action, &processor(class), msg)
}

fn find<'s>(s: &'s Store, uniqid: &str) -> Option<&'s ConferenceRoom> {
    s.conference_rooms.iter().find(|c| c.uniqid == uniqid)
}

fn route_id(call: &Call<'_>) -> String {
    call.route.id.clone().unwrap_or_default()
}

/// `ModelsBase::generateUniqueID('CONFERENCE-')`: the prefix + `strtoupper(Random::hex(4))`.
fn generate_unique_id() -> String {
    format!("CONFERENCE-{}", crate::util::random_hex(4).to_uppercase())
}

/// `RecordRepresentationTrait::getRepresent()` for a saved room (`mo_ConferenceRoomsShort4Dropdown`
/// is "Conference" in English).
pub(crate) fn represent(c: &ConferenceRoom) -> String {
    format!(
        "<i class=\"phone volume icon\"></i> Conference: {} <{}>",
        c.name.as_deref().unwrap_or(""),
        c.extension.as_deref().unwrap_or("")
    )
}

/// `createBaseStructure()` without `uniqid`: id, extension, then name only when not NULL.
fn base(c: &ConferenceRoom) -> Vec<(String, PhpVal)> {
    let mut o = vec![
        ("id".to_string(), PhpVal::s(c.uniqid.as_str())),
        (
            "extension".into(),
            PhpVal::s(c.extension.clone().unwrap_or_default()),
        ),
    ];
    if let Some(n) = &c.name {
        o.push(("name".into(), PhpVal::s(n.as_str())));
    }
    o
}

/// `DataStructure::createFromModel()`; `description` only in a write's answer (see the module
/// comment).
fn detail(c: &ConferenceRoom, description: Option<&str>) -> Vec<(String, PhpVal)> {
    let mut o = base(c);
    if let Some(d) = description {
        o.push(("description".into(), PhpVal::s(d)));
    }
    o.push((
        "pinCode".into(),
        PhpVal::s(c.pin_code.clone().unwrap_or_default()),
    ));
    o
}

/// `DataStructure::createForList()`.
fn list_item(c: &ConferenceRoom) -> PhpVal {
    let mut o = base(c);
    o.push(("represent".into(), PhpVal::s(represent(c))));
    o.push((
        "pinCode".into(),
        PhpVal::s(c.pin_code.clone().unwrap_or_default()),
    ));
    PhpVal::Obj(o)
}

/// `AbstractGetListAction::executeStandardList()`.
fn list(call: &Call<'_>) -> ApiResult {
    let ctx = call.ctx;
    let data = call.app.read(|s| {
        let mut rows: Vec<&ConferenceRoom> = s.conference_rooms.iter().collect();
        let term = search_term(ctx.params.get("search"));
        if let Some(t) = term {
            let pattern = format!("%{t}%");
            rows.retain(|c| c.name.as_deref().is_some_and(|n| sqlite_like(n, &pattern)));
        }
        let (field, desc) =
            ordering(ctx, &["name", "extension", "id"]).unwrap_or_else(|| ("name".into(), false));
        rows.sort_by(|a, b| {
            let key = |c: &ConferenceRoom| match field.as_str() {
                "extension" => c.extension.clone(),
                "name" => c.name.clone(),
                _ => None,
            };
            let o = if field == "id" {
                a.id.cmp(&b.id)
            } else {
                key(a).cmp(&key(b))
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
        PhpVal::List(rows.into_iter().map(list_item).collect())
    });
    ok(call, "GetListAction", &data)
}

fn get_record(call: &Call<'_>) -> ApiResult {
    let id = route_id(call);
    match call.app.read(|s| find(s, &id).cloned()) {
        Some(c) => {
            let mut o = detail(&c, None);
            o.push(("isNew".into(), PhpVal::s("0")));
            ok(call, "GetRecordAction", &PhpVal::Obj(o))
        }
        None => fail(call, "GetRecordAction", "Conference room not found").code(404),
    }
}

fn get_default(call: &Call<'_>) -> ApiResult {
    let extension = call.app.read(next_free_application_number);
    let uniqid = generate_unique_id();
    let s = |v: &str| PhpVal::s(v);
    let data = PhpVal::Obj(
        [
            ("id", s(uniqid.as_str())),
            ("uniqid", s(uniqid.as_str())),
            ("extension", s(extension.as_str())),
            ("name", s("")),
            ("pinCode", s("")),
            ("isNew", s("1")),
            ("represent", s("New Conference Room")),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect(),
    );
    ok(call, "GetDefaultAction", &data)
}

fn delete(call: &Call<'_>) -> ApiResult {
    let id = route_id(call);
    let Some(c) = call.app.read(|s| find(s, &id).cloned()) else {
        return fail(
            call,
            "DeleteRecordAction",
            format!("Conference room not found (ID: {id})"),
        )
        .code(404);
    };
    let number = c.extension.clone().filter(|e| !php_empty(e));
    if let Some(n) = &number {
        let blockers = call.app.read(|s| restrict_list(s, n));
        if !blockers.is_empty() {
            let items: String = blockers.iter().map(|b| format!("<li>{b}</li>")).collect();
            return fail(
                call,
                "DeleteRecordAction",
                format!(
                    "<div class=\"ui header\">Logical integrity violation</div><ul class=\"list\">{items}</ul>"
                ),
            )
            .code(409);
        }
    }
    call.app
        .write(|s| s.conference_rooms.retain(|x| x.uniqid != c.uniqid));
    let mut data = Vec::new();
    if number.is_some() {
        data.push(("deleted_extension".to_string(), PhpVal::Bool(true)));
    }
    ok(call, "DeleteRecordAction", &PhpVal::Obj(data)).code(200)
}

// ---------------------------------------------------------------------------------------------
// Writes (SaveRecordAction.php)

/// A `TypeError` escaping the action (an array where a string is expected).
fn type_error(message: String) -> ApiResult {
    ApiResult::fail(
        "",
        "MikoPBX\\PBXCoreREST\\Lib\\ConferenceRoomsManagementProcessor",
        format!("TypeError: {message}"),
    )
}

/// `^[0-9]{2,8}$`.
fn extension_pattern(v: &str) -> bool {
    (2..=8).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_digit())
}

/// `POST conference-rooms` (`AbstractCreateAction`: drops `uniqid`, then saves; a body `id`
/// that exists makes it an update, one that does not is the new room's uniqid).
fn create(call: &Call<'_>) -> ApiResult {
    if call.ctx.bad_json {
        return fail(call, "SaveRecordAction", "Invalid JSON in request body").code(400);
    }
    let mut data = call.ctx.params.clone();
    data.remove("uniqid");
    save(call, data, "POST")
}

/// `PUT conference-rooms/{id}` (`UpdateRecordAction` → `SaveRecordAction` with the path's id):
/// a missing id is 404 (`validateRecordExistence('PUT')`).
fn update(call: &Call<'_>) -> ApiResult {
    if call.ctx.bad_json {
        return fail(call, "SaveRecordAction", "Invalid JSON in request body").code(400);
    }
    let mut data = call.ctx.params.clone();
    data.insert("id".into(), Value::String(route_id(call)));
    save(call, data, "PUT")
}

/// `PATCH conference-rooms/{id}` (`PatchRecordAction`): the current record
/// (`GetRecordAction`: id, extension, name, pinCode, isNew) with the request's values for
/// **those keys only** (`array_key_exists($key, $fullData)`), so `description` and unknown
/// keys are dropped, and the body's `id` is ignored.
fn patch(call: &Call<'_>) -> ApiResult {
    if call.ctx.bad_json {
        return fail(call, "SaveRecordAction", "Invalid JSON in request body").code(400);
    }
    let id = route_id(call);
    let Some(c) = call.app.read(|s| find(s, &id).cloned()) else {
        return fail(call, "PatchRecordAction", "Conference room not found").code(404);
    };
    let mut full = Map::new();
    for (k, v) in detail(&c, None) {
        full.insert(k, v.to_value());
    }
    full.insert("isNew".into(), Value::String("0".into()));
    for (k, v) in &call.ctx.params {
        if k != "id" && full.contains_key(k) {
            full.insert(k.clone(), v.clone());
        }
    }
    save(call, full, "POST")
}

/// A sanitised string field: `None` when not `isset()`, a `TypeError` for arrays.
fn field(
    data: &Map<String, Value>,
    name: &str,
    pattern: Option<fn(&str) -> bool>,
    max: Option<usize>,
) -> Result<Option<String>, Box<ApiResult>> {
    match data.get(name).filter(|v| !v.is_null()) {
        None => Ok(None),
        Some(v) => match php_string(v) {
            Some(s) => Ok(Some(sanitize_string(&s, pattern, max))),
            None => Err(Box::new(type_error(format!(
                "Field '{name}': string expected, array given"
            )))),
        },
    }
}

/// `SaveRecordAction::main()`:
///
/// 1. sanitise (`getSanitizationRules()` from the field definitions): strings trimmed and cut
///    to `maxLength` (`name` 100, `pinCode` 20, `description` 500: cut, never refused);
///    `extension` trimmed and, when it does not match its `^[0-9]{2,8}$` pattern, stripped to
///    its digits (`BaseActionHelper::sanitizeData`'s `regex:` fallback: `" 2345 "` and
///    `"23-45"` become `2345`, `"abc"` becomes empty); `name` / `description` through
///    `TextFieldProcessor` (still dangerous → 422 'Dangerous content detected in fields: …').
///    Only `id` is put back as sent (unlike call-queues, whose action also restores
///    `extension`).
/// 2. existence: an `id` that is not a room is 404 for PUT / PATCH, a new room's uniqid for
///    POST.
/// 3. required, keyed by field (422): `name` 'Conference room name is required'; for a new
///    room also `extension` 'Extension number is required' / 'Extension must be 2-8 digits'.
///    An existing room keeps its extension when none is given; a new extension of an
///    existing room is not checked against the pattern (the rule is only added for new rooms
///    and `validateInputData()` checks no patterns), as on the server.
/// 4. uniqueness against every number of the PBX (employees, queues, IVR menus, rooms,
///    system numbers): 409 'Extension number already exists'.
/// 5. save: the CONFERENCE extension is created or renumbered (references follow,
///    `Extensions::afterUpdate`), columns written with `isset()` semantics; 201 for a new
///    room, 200 otherwise, `reload` = `conference-rooms/modify/<uniqid>`.
fn save(call: &Call<'_>, data: Map<String, Value>, method: &str) -> ApiResult {
    let class = "SaveRecordAction";
    // In the order of the field definitions, which is the order they are sanitised in.
    let (name, extension, pin_code, description) = match (
        field(&data, "name", None, Some(100)),
        field(&data, "extension", Some(extension_pattern), None),
        field(&data, "pinCode", None, Some(20)),
        field(&data, "description", None, Some(500)),
    ) {
        (Ok(n), Ok(x), Ok(p), Ok(d)) => (n, x, p, d),
        (Err(e), ..) | (_, Err(e), ..) | (_, _, Err(e), _) | (.., Err(e)) => return *e,
    };
    let name = name.map(|n| sanitize_for_storage(&n));
    let description = description.map(|d| sanitize_for_storage(&d));
    let dangerous: Vec<&str> = [("name", &name), ("description", &description)]
        .into_iter()
        .filter(|(_, v)| v.as_deref().is_some_and(is_dangerous))
        .map(|(k, _)| k)
        .collect();
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
    let raw_id = data.get("id").filter(|v| !v.is_null()).cloned();

    // Existence.
    let uniqid = match raw_id.as_ref().filter(|v| !value_empty(v)) {
        None => None,
        Some(v) => match php_string(v) {
            Some(u) => Some(u),
            None => return type_error("Invalid bind parameter for uniqid (array given)".into()),
        },
    };
    let existing = uniqid
        .as_deref()
        .and_then(|u| call.app.read(|s| find(s, u).cloned()));
    if uniqid.is_some() && existing.is_none() && matches!(method, "PUT" | "PATCH") {
        return fail(call, class, "Conference room not found").code(404);
    }
    let is_new = existing.is_none();

    // Required fields.
    let mut required = Vec::new();
    if name.as_deref().is_none_or(php_empty) {
        required.push((
            "name".to_string(),
            "Conference room name is required".to_string(),
        ));
    }
    if is_new {
        match extension.as_deref() {
            None => required.push(("extension".into(), "Extension number is required".into())),
            Some(e) if php_empty(e) => {
                required.push(("extension".into(), "Extension number is required".into()));
            }
            Some(e) if !extension_pattern(e) => {
                required.push(("extension".into(), "Extension must be 2-8 digits".into()));
            }
            Some(_) => {}
        }
    }
    if !required.is_empty() {
        let mut r = fail(call, class, String::new()).code(422);
        r.errors.clear();
        r.keyed_errors = required;
        return r;
    }

    let mut extension = extension;
    let current_extension = existing.as_ref().and_then(|c| c.extension.clone());
    if !is_new && extension.as_deref().is_none_or(php_empty) {
        extension = current_extension.clone();
    }
    let extension = extension.unwrap_or_default();
    if current_extension.as_deref() != Some(extension.as_str())
        && call.app.read(taken_numbers).contains(&extension)
    {
        return fail(call, class, "Extension number already exists").code(409);
    }

    let mut room = existing.clone().unwrap_or_else(|| ConferenceRoom {
        id: 0,
        uniqid: uniqid.clone().unwrap_or_else(generate_unique_id),
        extension: Some(String::new()),
        name: Some(String::new()),
        pin_code: Some(String::new()),
    });
    room.extension = Some(extension.clone());
    if let Some(n) = name {
        room.name = Some(n);
    }
    if let Some(p) = pin_code {
        room.pin_code = Some(p);
    }
    let old = current_extension.filter(|o| !o.is_empty());
    let saved = call.app.write(|s| {
        if let Some(old) = old.as_deref()
            && old != extension
        {
            renumber(s, old, &extension);
        }
        match s
            .conference_rooms
            .iter()
            .position(|x| x.uniqid == room.uniqid)
        {
            Some(i) => s.conference_rooms[i] = room.clone(),
            None => {
                room.id = s.next_conference_id.max(1);
                s.next_conference_id = room.id + 1;
                s.conference_rooms.push(room.clone());
            }
        }
        room
    });
    let data = PhpVal::Obj(detail(&saved, description.as_deref()));
    let mut r = ok(call, class, &data).code(if is_new { 201 } else { 200 });
    r.reload = Some(format!("conference-rooms/modify/{}", saved.uniqid));
    r
}

/// A state.json written before conference rooms had a typed store keeps them as loose JSON
/// under `records["conference-rooms"]`: move them over.
pub(crate) fn migrate_legacy(s: &mut Store) {
    let Some(old) = s.records.remove("conference-rooms") else {
        return;
    };
    if !s.conference_rooms.is_empty() {
        return;
    }
    let st = |r: &Value, k: &str| r.get(k).and_then(php_string);
    for r in old {
        let id = s.next_conference_id.max(1);
        s.next_conference_id = id + 1;
        s.conference_rooms.push(ConferenceRoom {
            id,
            uniqid: st(&r, "uniqid")
                .filter(|u| !u.is_empty())
                .or_else(|| st(&r, "id"))
                .unwrap_or_default(),
            extension: st(&r, "extension"),
            name: st(&r, "name"),
            pin_code: Some(st(&r, "pinCode").unwrap_or_default()),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn legacy_state_moves_to_the_typed_store() {
        let mut s = Store::default();
        s.records.insert(
            "conference-rooms".into(),
            vec![
                json!({"id": "CONFERENCE-00AA", "uniqid": "CONFERENCE-00AA", "name": "Old",
                        "extension": "2444", "pinCode": "12", "description": "gone"}),
            ],
        );
        migrate_legacy(&mut s);
        assert!(!s.records.contains_key("conference-rooms"));
        let c = find(&s, "CONFERENCE-00AA").unwrap();
        assert_eq!((c.id, c.extension.as_deref()), (1, Some("2444")));
        assert_eq!(c.pin_code.as_deref(), Some("12"));
        assert_eq!(s.next_conference_id, 2);
    }

    #[test]
    fn seeded_list_row_matches_the_php_shape() {
        let s = Store::fresh();
        let row = list_item(find(&s, "CONFERENCE-7C3D9E10").unwrap()).to_json();
        assert_eq!(
            row,
            r#"{"id":"CONFERENCE-7C3D9E10","extension":"2100","name":"Weekly meeting","represent":"<i class=\"phone volume icon\"><\/i> Conference: Weekly meeting <2100>","pinCode":""}"#
        );
    }
}

#[cfg(test)]
mod wire_tests {
    use crate::test_support::*;
    use crate::{RunningSimulator, Simulator};
    use serde_json::{Value, json};

    async fn sim() -> RunningSimulator {
        Simulator::builder().cdr_records(10).start().await.unwrap()
    }

    /// GetListAction: a bare array of createForList() rows, byte for byte.
    #[tokio::test]
    async fn list_record_and_default_shapes() {
        let sim = sim().await;
        let c = client(&sim, LOCAL);
        let (s, body) = send(c.get(api(&sim, "conference-rooms"))).await;
        assert_eq!(s, 200, "{body}");
        assert!(
            body.starts_with(r#"{"result":true,"data":[{"id":"CONFERENCE-7C3D9E10","extension":"2100","name":"Weekly meeting","represent":"<i class=\"phone volume icon\"><\/i> Conference: Weekly meeting <2100>","pinCode":""}],"#),
            "{body}"
        );
        assert!(
            body.contains(
                r#""processor":"MikoPBX\\PBXCoreREST\\Lib\\ConferenceRooms\\GetListAction::main""#
            ),
            "{body}"
        );
        let (s, body) = send(c.get(api(&sim, "conference-rooms/CONFERENCE-7C3D9E10"))).await;
        assert_eq!(s, 200, "{body}");
        assert!(
            body.starts_with(r#"{"result":true,"data":{"id":"CONFERENCE-7C3D9E10","extension":"2100","name":"Weekly meeting","pinCode":"","isNew":"0"},"#),
            "{body}"
        );
        let (s, v) = json(c.get(api(&sim, "conference-rooms:getDefault"))).await;
        assert_eq!(s, 200);
        let d = &v["data"];
        assert_eq!(d["extension"], "2200100");
        assert_eq!(d["isNew"], "1");
        assert_eq!(d["represent"], "New Conference Room");
        assert_eq!(d["id"], d["uniqid"]);
        assert!(d["id"].as_str().unwrap().starts_with("CONFERENCE-"));
        let (s, v) = json(c.get(api(&sim, "conference-rooms/CONFERENCE-00000000"))).await;
        assert_eq!(s, 404);
        assert_eq!(v["messages"]["error"], json!(["Conference room not found"]));
    }

    /// `extension` goes through `sanitizeData` (trim, then digits only when it does not match
    /// `^[0-9]{2,8}$`) before it is validated: unlike call-queues, the action does not put it
    /// back as sent.
    #[tokio::test]
    async fn extension_is_sanitised_before_validation() {
        let sim = sim().await;
        let c = client(&sim, LOCAL);
        for (sent, saved) in [(" 2346 ", "2346"), ("23-47", "2347")] {
            let (s, v) = json(
                c.post(api(&sim, "conference-rooms"))
                    .json(&json!({"name": "Sanitised", "extension": sent})),
            )
            .await;
            assert_eq!(s, 201, "{sent:?}: {v}");
            assert_eq!(v["data"]["extension"], saved, "{sent:?}");
        }
        // Nothing left but an empty string: "required", not "2-8 digits"; "1a" keeps one digit.
        let (s, v) = json(
            c.post(api(&sim, "conference-rooms"))
                .json(&json!({"name": "X", "extension": "abc"})),
        )
        .await;
        assert_eq!(s, 422, "{v}");
        assert_eq!(
            v["messages"]["error"],
            json!({"extension": "Extension number is required"})
        );
        // An existing room: a value that sanitises to nothing keeps the current number; one
        // that sanitises to other digits renumbers the room.
        let path = "conference-rooms/CONFERENCE-7C3D9E10";
        let (s, v) = json(
            c.put(api(&sim, path))
                .json(&json!({"name": "Weekly meeting", "extension": "abc"})),
        )
        .await;
        assert_eq!(s, 200, "{v}");
        assert_eq!(v["data"]["extension"], "2100");
        let (s, v) = json(
            c.patch(api(&sim, path))
                .json(&json!({"extension": " 21-01 "})),
        )
        .await;
        assert_eq!(s, 200, "{v}");
        assert_eq!(v["data"]["extension"], "2101");
    }

    /// SaveRecordAction: keyed required messages, cut values, 409 on a taken number, PATCH
    /// merging only known keys, DELETE freeing the number.
    #[tokio::test]
    async fn writes_follow_save_record_action() {
        let sim = sim().await;
        let c = client(&sim, LOCAL);
        let (s, v) = json(c.post(api(&sim, "conference-rooms")).json(&json!({}))).await;
        assert_eq!(s, 422, "{v}");
        assert_eq!(
            v["messages"]["error"],
            json!({"name": "Conference room name is required", "extension": "Extension number is required"})
        );
        let (s, v) = json(
            c.post(api(&sim, "conference-rooms"))
                .json(&json!({"name": "X", "extension": "1a"})),
        )
        .await;
        assert_eq!(s, 422);
        assert_eq!(
            v["messages"]["error"],
            json!({"extension": "Extension must be 2-8 digits"})
        );
        // 201 (employee) and 2100 (the seeded room) are taken.
        for ext in ["201", "2100", "2001"] {
            let (s, v) = json(
                c.post(api(&sim, "conference-rooms"))
                    .json(&json!({"name": "X", "extension": ext})),
            )
            .await;
            assert_eq!(s, 409, "{ext}: {v}");
            assert_eq!(
                v["messages"]["error"],
                json!(["Extension number already exists"])
            );
        }
        let long_pin = "1".repeat(30);
        let (s, body) = send(c.post(api(&sim, "conference-rooms")).json(&json!({
            "name": format!("  {}  ", "n".repeat(120)), "extension": "2345",
            "pinCode": long_pin, "description": "Board"
        })))
        .await;
        assert_eq!(s, 201, "{body}");
        let v: Value = serde_json::from_str(&body).unwrap();
        let id = v["data"]["id"].as_str().unwrap().to_string();
        assert_eq!(v["data"]["name"], "n".repeat(100));
        assert_eq!(v["data"]["pinCode"], "1".repeat(20));
        assert_eq!(v["data"]["description"], "Board");
        assert_eq!(v["reload"], format!("conference-rooms/modify/{id}"));
        // The model has no description column: gone on the next read.
        let (_, v) = json(c.get(api(&sim, &format!("conference-rooms/{id}")))).await;
        assert!(v["data"].get("description").is_none(), "{v}");
        // The number is now taken for employees too.
        let (_, v) = json(c.get(api(&sim, "extensions?search=2345"))).await;
        assert!(v.to_string().contains("CONFERENCE"), "{v}");

        // PATCH: only keys of the record are merged; the extension stays.
        let (s, v) = json(
            c.patch(api(&sim, &format!("conference-rooms/{id}")))
                .json(&json!({"pinCode": "77", "description": "ignored", "id": "CONFERENCE-X"})),
        )
        .await;
        assert_eq!(s, 200, "{v}");
        assert_eq!(v["data"]["pinCode"], "77");
        assert_eq!(v["data"]["extension"], "2345");
        assert_eq!(v["data"]["id"], id.as_str());
        assert!(v["data"].get("description").is_none(), "{v}");
        // PUT without extension keeps it; a missing id is 404.
        let (s, v) = json(
            c.put(api(&sim, &format!("conference-rooms/{id}")))
                .json(&json!({"name": "Renamed"})),
        )
        .await;
        assert_eq!(s, 200, "{v}");
        assert_eq!(v["data"]["extension"], "2345");
        let (s, v) = json(
            c.put(api(&sim, "conference-rooms/CONFERENCE-00000000"))
                .json(&json!({"name": "Renamed"})),
        )
        .await;
        assert_eq!(s, 404);
        assert_eq!(v["messages"]["error"], json!(["Conference room not found"]));

        let (s, body) = send(c.delete(api(&sim, &format!("conference-rooms/{id}")))).await;
        assert_eq!(s, 200, "{body}");
        assert!(
            body.starts_with(r#"{"result":true,"data":{"deleted_extension":true},"#),
            "{body}"
        );
        let (s, v) = json(c.delete(api(&sim, &format!("conference-rooms/{id}")))).await;
        assert_eq!(s, 404);
        assert_eq!(
            v["messages"]["error"],
            json!([format!("Conference room not found (ID: {id})")])
        );
        // The number is free again.
        let (s, _) = send(
            c.post(api(&sim, "conference-rooms"))
                .json(&json!({"name": "Again", "extension": "2345"})),
        )
        .await;
        assert_eq!(s, 201);
    }
}
