//! The other configuration resources (SIP providers, modules, general settings) with generic
//! in-memory CRUD (call queues, IVR menus and conference rooms have their own modules).
//!
//! They exist so the routing, the ID pattern of each controller and the permission checker's
//! ID heuristic can be exercised on real paths (mikopbx-api.md §3 table); their full field
//! validation comes with the whole API in a later issue. New records get ids the way
//! `ModelsBase::generateUniqueID()` makes them: `<PREFIX>-` + 8 uppercase hex characters, so
//! about 6 in 16 end in a letter A–F and trip the quirk, as on a real PBX.

use serde_json::{Map, Value, json};

use super::{Call, like, page};
use crate::envelope::ApiResult;

fn prefix(resource: &str) -> &'static str {
    match resource {
        "sip-providers" => "SIP-TRUNK-",
        _ => "ID-",
    }
}

fn required(resource: &str) -> &'static [&'static str] {
    match resource {
        "sip-providers" => &["description"],
        _ => &[],
    }
}

pub(crate) fn handle(call: &Call<'_>) -> ApiResult {
    let res = call.route.resource;
    let records: Vec<Value> = call
        .app
        .read(|s| s.records.get(res).cloned().unwrap_or_default());
    let id = call.route.id.clone().unwrap_or_default();
    let find = |id: &str| {
        records
            .iter()
            .find(|r| r.get("id").and_then(Value::as_str) == Some(id))
            .cloned()
    };
    match call.action {
        "getList" => {
            let mut list = records.clone();
            if let Some(q) = call.ctx.str("search").filter(|q| !q.is_empty()) {
                list.retain(|r| {
                    r.as_object().is_some_and(|o| {
                        o.values().any(|v| v.as_str().is_some_and(|s| like(s, &q)))
                    })
                });
            }
            call.ok(Value::Array(page(list, call.ctx)))
        }
        "getRecord" => match find(&id) {
            Some(r) => call.ok(r),
            None => call.fail("Record not found").code(404),
        },
        "getDefault" => call.ok(json!({"id": "", "name": "", "extension": ""})),
        "copy" => match find(&id) {
            Some(mut r) => {
                if let Some(o) = r.as_object_mut() {
                    o.insert("id".into(), json!(""));
                    o.insert("uniqid".into(), json!(new_id(res)));
                    o.insert("extension".into(), json!(""));
                }
                call.ok(r)
            }
            None => call.fail("Record not found").code(404),
        },
        "create" | "update" | "patch" => save(call, &records),
        "delete" => {
            if find(&id).is_none() {
                return call.fail("Record not found").code(404);
            }
            call.app.write(|s| {
                if let Some(list) = s.records.get_mut(res) {
                    list.retain(|r| r.get("id").and_then(Value::as_str) != Some(id.as_str()));
                }
            });
            call.ok(json!({"id": id}))
        }
        _ => call.fail("Unknown action"),
    }
}

fn new_id(resource: &str) -> String {
    format!(
        "{}{}",
        prefix(resource),
        crate::util::random_hex(4).to_uppercase()
    )
}

fn save(call: &Call<'_>, records: &[Value]) -> ApiResult {
    let res = call.route.resource;
    if call.ctx.bad_json {
        return call.fail("Invalid JSON in request body").code(400);
    }
    let existing = match &call.route.id {
        Some(id) => match records
            .iter()
            .find(|r| r.get("id").and_then(Value::as_str) == Some(id))
        {
            Some(r) => Some(r.clone()),
            None => return call.fail("Record not found").code(404),
        },
        None => None,
    };
    let mut obj: Map<String, Value> = match (&existing, call.action) {
        (Some(Value::Object(o)), "patch") => o.clone(),
        _ => Map::new(),
    };
    for (k, v) in &call.ctx.params {
        if k != "id" {
            obj.insert(k.clone(), v.clone());
        }
    }
    for field in required(res) {
        if obj
            .get(*field)
            .and_then(Value::as_str)
            .is_none_or(str::is_empty)
        {
            return call.fail(format!("Field '{field}' is required"));
        }
    }
    let id = existing
        .as_ref()
        .and_then(|r| r.get("id").and_then(Value::as_str).map(str::to_string))
        .unwrap_or_else(|| new_id(res));
    obj.insert("id".into(), json!(id));
    obj.insert("uniqid".into(), json!(id));
    let value = Value::Object(obj);
    call.app.write(|s| {
        let list = s.records.entry(res.to_string()).or_default();
        match list
            .iter_mut()
            .find(|r| r.get("id").and_then(Value::as_str) == Some(id.as_str()))
        {
            Some(slot) => *slot = value.clone(),
            None => list.push(value.clone()),
        }
    });
    let r = call.ok(value);
    if existing.is_none() { r.code(201) } else { r }
}

/// `general-settings`: a singleton (`GET` = all settings, `GET /{key}` = one, PUT/PATCH).
pub(crate) fn general_settings(call: &Call<'_>) -> ApiResult {
    let settings = call.app.read(|s| s.general_settings.clone());
    match call.action {
        "getList" | "getDefault" => call.ok(json!({"settings": settings, "codecs": [
            {"name": "alaw", "type": "audio", "priority": 1, "disabled": false},
            {"name": "ulaw", "type": "audio", "priority": 2, "disabled": false},
            {"name": "opus", "type": "audio", "priority": 3, "disabled": false}],
            "passwordValidation": {"minLength": 8}})),
        "getRecord" => {
            let key = call.route.id.clone().unwrap_or_default();
            match settings.get(&key) {
                Some(v) => call.ok(json!({ key: v })),
                None => call.fail(format!("Setting {key} not found")),
            }
        }
        _ => {
            call.app.write(|s| {
                if let Value::Object(o) = &mut s.general_settings {
                    for (k, v) in &call.ctx.params {
                        if o.contains_key(k) {
                            o.insert(k.clone(), v.clone());
                        }
                    }
                }
            });
            call.ok(call
                .app
                .read(|s| json!({"settings": s.general_settings.clone()})))
        }
    }
}
