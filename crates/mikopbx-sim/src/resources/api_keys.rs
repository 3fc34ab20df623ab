//! `api-keys` (mikopbx-api.md §2b; `Lib/ApiKeys/*`, `Common/Models/ApiKeys.php`).
//!
//! * `POST api-keys:generateKey` returns `{"key": "<64 hex>"}`: the only time a plaintext key is
//!   ever returned. `key` is write-only; records show `key_display`.
//! * `POST api-keys` creates (201); without `key` the server generates one nobody can see.
//! * `allowed_paths` keys must match `^/api/v[0-9]+/[a-z0-9-]+(/[a-z0-9-]+)*$` (10–255
//!   characters, no `/pbxcore` prefix) and values be `read` / `write`; else 422. The old list
//!   form is accepted when saving (and then denies everything).
//! * Saving sanitises like `BaseActionHelper::sanitizeData()` with the schema rules of
//!   `Lib/ApiKeys/DataStructure.php`: strings are trimmed, `description` / `key` over 255
//!   characters are silently cut (`max:` rule), and `networkfilterid` must match
//!   `^([0-9]+|none)$` or loses every non-digit (`regex:` fallback) — so `"localhost"` becomes
//!   `""`, then NULL: a key created with it has **no** network filter, an update keeps the old
//!   one (`Lib/ApiKeys/SaveRecordAction.php:main`). It reads back as `"none"`.
//! * List rows are `DataStructure::createForList()` summaries (no `allowed_paths`, no
//!   `networkfilterid`); records are `createFromModel()`.
//! * Every save / delete clears the validation cache: revocation is immediate.

use serde_json::{Value, json};

use super::php::sanitize_string;
use super::{Call, like, ordering, page, sql_text_cmp};
use crate::auth::keys::{NETWORK_FILTERS, generate_key, hash_key, key_display, key_suffix};
use crate::envelope::ApiResult;
use crate::state::ApiKeyRecord;

/// `AbstractDataStructure::getNetworkFilterRepresentation()`.
fn network_filter_represent(id: &str) -> String {
    match id {
        "" | "none" => {
            "<i class=\"globe icon\"></i> Connections from any addresses are allowed".into()
        }
        "localhost" => "<i class=\"home icon\"></i> Localhost connections only".into(),
        id => NETWORK_FILTERS
            .iter()
            .find(|f| f.0 == id)
            .map(|f| format!("<i class=\"globe icon\"></i> {}(subnet: {})", f.3, f.1))
            // Unknown filter id: empty string.
            .unwrap_or_default(),
    }
}

/// `empty($apiKey->networkfilterid) || === 'none'` → no filter.
fn has_filter(k: &ApiKeyRecord) -> bool {
    !matches!(k.networkfilterid.as_str(), "" | "none")
}

fn paths_count(k: &ApiKeyRecord) -> usize {
    match &k.allowed_paths {
        Value::Object(m) => m.len(),
        // `count(json_decode(..., true))`: the old list form counts its entries.
        Value::Array(a) => a.len(),
        _ => 0,
    }
}

/// `DataStructure::createFromModel()` (src/PBXCoreREST/Lib/ApiKeys/DataStructure.php): no
/// `represent`; an empty `allowed_paths` is `new stdClass()`, which `Http/Response::send()`
/// turns into `[]` on the wire (envelope.rs).
fn to_json(k: &ApiKeyRecord) -> Value {
    // `json_decode(..., false)`: an object, else (empty, old list form) `{}`.
    let allowed = match &k.allowed_paths {
        Value::Object(m) => Value::Object(m.clone()),
        _ => json!({}),
    };
    let count = allowed.as_object().map_or(0, |m| m.len());
    json!({
        "id": k.id.to_string(),
        "description": k.description,
        "created_at": k.created_at,
        "last_used_at": k.last_used_at.clone().unwrap_or_default(),
        "networkfilterid": if has_filter(k) { k.networkfilterid.as_str() } else { "none" },
        "key_display": k.key_display,
        "full_permissions": k.full_permissions,
        "allowed_paths": allowed,
        "has_key": !k.key_hash.is_empty(),
        "allowed_paths_count": count,
        "networkfilter_represent": network_filter_represent(&k.networkfilterid),
        "has_network_filter": has_filter(k),
    })
}

/// `DataStructure::createForList()`: a summary row — no `allowed_paths`, no `networkfilterid`
/// (`represent` comes from `RecordRepresentationTrait`: 'API key - %represent%' over key_display).
fn to_list_json(k: &ApiKeyRecord) -> Value {
    json!({
        "id": k.id.to_string(),
        "description": k.description,
        "represent": format!("<i class=\"key icon\"></i> API key - {}", k.key_display),
        "created_at": k.created_at,
        "last_used_at": k.last_used_at.clone().unwrap_or_default(),
        "allowed_paths_count": paths_count(k),
        "has_network_filter": has_filter(k),
        "has_key": !k.key_hash.is_empty(),
        "key_display": k.key_display,
        "full_permissions": k.full_permissions,
    })
}

pub(crate) fn handle(call: &Call<'_>) -> ApiResult {
    match call.action {
        "generateKey" => call.ok(json!({"key": generate_key()})),
        "getDefault" => call.ok(json!({"id": "", "description": "", "full_permissions": false, "allowed_paths": [],
                                       "networkfilterid": "none", "key_display": "", "has_key": false})),
        "getList" => {
            // `Lib/ApiKeys/GetListAction::main()`: executeStandardList(order [description, id],
            // search [description, key_display], default 'description ASC, id DESC').
            let ctx = call.ctx;
            let mut keys: Vec<ApiKeyRecord> = call.app.read(|s| s.api_keys.clone());
            if let Some(q) = ctx.str("search").filter(|q| !q.is_empty()) {
                keys.retain(|k| like(&k.description, &q) || like(&k.key_display, &q));
            }
            match ordering(ctx, &["description", "id"]) {
                None => keys.sort_by(|a, b| {
                    sql_text_cmp(&a.description, &b.description).then(b.id.cmp(&a.id))
                }),
                Some((field, desc)) => {
                    keys.sort_by(|a, b| {
                        let o = if field == "id" {
                            a.id.cmp(&b.id)
                        } else {
                            sql_text_cmp(&a.description, &b.description)
                        };
                        if desc { o.reverse() } else { o }
                    });
                }
            }
            call.ok(Value::Array(
                page(keys, ctx).iter().map(to_list_json).collect(),
            ))
        }
        "getRecord" => match find(call) {
            Some(k) => call.ok(to_json(&k)),
            // `executeStandardGetRecord()`: generic not-found, no httpCode → 422.
            None => call.fail(format!("API key not found (ID: {})", id(call))),
        },
        "create" => save(call, None),
        "update" | "patch" => save(call, Some(id(call))),
        "delete" => {
            let id = id(call);
            let removed = call.app.write(|s| {
                let before = s.api_keys.len();
                s.api_keys.retain(|k| k.id != id);
                before != s.api_keys.len()
            });
            call.app.clear_key_cache();
            // `executeStandardDelete()`: 200 with cleanup stats, or 404.
            if removed {
                call.ok(json!([])).code(200)
            } else {
                call.fail(format!("API key not found (ID: {id})")).code(404)
            }
        }
        _ => call.fail("Unknown action"),
    }
}

fn id(call: &Call<'_>) -> u64 {
    call.route
        .id
        .as_deref()
        .and_then(|i| i.parse().ok())
        .unwrap_or(0)
}

fn find(call: &Call<'_>) -> Option<ApiKeyRecord> {
    let id = id(call);
    call.app
        .read(|s| s.api_keys.iter().find(|k| k.id == id).cloned())
}

/// `SaveRecordAction::validateAllowedPaths()`, with its messages; every error is reported.
fn validate_paths(v: &Value) -> Result<Value, Vec<String>> {
    let check_path = |path: &str, errors: &mut Vec<String>| {
        if !path_shape(path) {
            errors.push(format!(
                "Invalid path format '{path}'. Must match pattern /api/v{{number}}/{{resource}}[/{{resource}}]"
            ));
        } else if path.len() < 10 {
            errors.push(format!("Path too short '{path}' (minimum 10 characters)"));
        } else if path.len() > 255 {
            errors.push(format!("Path too long '{path}' (maximum 255 characters)"));
        }
    };
    let mut errors = Vec::new();
    match v {
        Value::Object(map) => {
            for (path, level) in map {
                let Some(level) = level.as_str() else {
                    errors.push("Invalid path or permission type (must be strings)".into());
                    continue;
                };
                if level != "read" && level != "write" {
                    errors.push(format!(
                        "Invalid permission at path '{path}': '{level}'. Must be 'read' or 'write'"
                    ));
                }
                check_path(path, &mut errors);
            }
        }
        // Old list form: accepted (the checker then finds no action and denies).
        Value::Array(a) => {
            for p in a {
                match p.as_str() {
                    Some(path) => check_path(path, &mut errors),
                    None => errors.push("Invalid path type (must be string)".into()),
                }
            }
        }
        Value::Null => return Ok(json!({})),
        Value::String(s) if s.is_empty() => return Ok(json!({})),
        Value::String(s) => match serde_json::from_str::<Value>(s) {
            Ok(inner @ (Value::Object(_) | Value::Array(_))) => return validate_paths(&inner),
            // Unverified: the server's schema check of a non-object value.
            _ => errors.push("allowed_paths must be an object".into()),
        },
        _ => errors.push("allowed_paths must be an object".into()),
    }
    if errors.is_empty() {
        Ok(v.clone())
    } else {
        Err(errors)
    }
}

/// The regex part of the path check: `^/api/v[0-9]+/[a-z0-9-]+(/[a-z0-9-]+)*$`.
fn path_shape(p: &str) -> bool {
    let Some(rest) = p.strip_prefix("/api/v") else {
        return false;
    };
    let Some((version, tail)) = rest.split_once('/') else {
        return false;
    };
    !version.is_empty()
        && version.chars().all(|c| c.is_ascii_digit())
        && tail.split('/').all(|seg| {
            !seg.is_empty()
                && seg
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        })
}

/// `^/api/v[0-9]+/[a-z0-9-]+(/[a-z0-9-]+)*$`, length 10–255.
#[cfg(test)]
fn path_ok(p: &str) -> bool {
    (10..=255).contains(&p.len()) && path_shape(p)
}

/// `^([0-9]+|none)$`.
fn filter_id_pattern(v: &str) -> bool {
    v == "none" || (!v.is_empty() && v.chars().all(|c| c.is_ascii_digit()))
}

/// `Lib/ApiKeys/SaveRecordAction::main()` for create (POST), update (PUT) and patch (PATCH):
/// the processor sends all three there, so PATCH is no partial merge of `description`.
/// Order: sanitise → required `description` (422, `messages.error` keyed by field) →
/// existence (PUT/PATCH of a missing id: 404 'API Key not found') → defaults (create) →
/// `validateAllowedPaths` → save (201 + reload on create, 200 + httpCode on update).
fn save(call: &Call<'_>, id: Option<u64>) -> ApiResult {
    let ctx = call.ctx;
    let processor = "MikoPBX\\PBXCoreREST\\Lib\\ApiKeys\\SaveRecordAction::main";
    let fail = |msg: String| ApiResult::fail(call.action, processor, msg);
    if ctx.bad_json {
        return fail("Invalid JSON in request body".into()).code(400);
    }
    // PHASE 1: sanitisation (`isset()`: a JSON null is as good as absent).
    let description = ctx
        .str("description")
        .map(|d| sanitize_string(&d, None, Some(255)));
    let key = ctx
        .str("key")
        .map(|d| sanitize_string(&d, None, Some(255)))
        .filter(|k| !k.is_empty());
    // `networkfilterid`: the pattern fallback, then ''/'none' → NULL (`None` here).
    // With the quirk switched off (`network_filter_quirk(false)`), "localhost" is kept.
    let keep_localhost = !call.app.cfg.network_filter_quirk;
    let network: Option<Option<String>> = ctx.str("networkfilterid").map(|f| {
        if keep_localhost && f == "localhost" {
            return Some(f);
        }
        let f = sanitize_string(&f, Some(filter_id_pattern), None);
        (!f.is_empty() && f != "none").then_some(f)
    });
    // PHASE 2: required fields (`BaseActionHelper::validateData`, `empty()` semantics).
    if description
        .as_deref()
        .is_none_or(|d| d.is_empty() || d == "0")
    {
        let mut r = fail(String::new());
        r.errors.clear();
        r.keyed_errors = vec![("description".into(), "Description is required".into())];
        return r;
    }
    // PHASE 3: existence.
    let existing = match id {
        Some(_) => match find(call) {
            Some(k) => Some(k),
            None => return fail("API Key not found".into()).code(404),
        },
        None => None,
    };
    let mut k = existing.clone().unwrap_or(ApiKeyRecord {
        id: 0,
        description: String::new(),
        key_hash: String::new(),
        key_suffix: String::new(),
        key_display: String::new(),
        networkfilterid: "none".into(),
        allowed_paths: json!({}),
        // The model default is '1', but the REST create path defaults to '0'.
        full_permissions: false,
        created_at: chrono::Utc::now().format("%Y-%m-%d %H:%M:%S").to_string(),
        last_used_at: None,
    });
    k.description = description.unwrap_or_default();
    if let Some(b) = ctx.bool("full_permissions") {
        k.full_permissions = b;
    }
    if let Some(v) = ctx.params.get("allowed_paths").filter(|v| !v.is_null()) {
        // A JSON string is decoded; anything that does not decode to an array is `[]`.
        let v = match v {
            Value::String(s) => match serde_json::from_str::<Value>(s) {
                Ok(inner @ (Value::Object(_) | Value::Array(_))) => inner,
                _ => json!([]),
            },
            other => other.clone(),
        };
        match validate_paths(&v) {
            Ok(p) => k.allowed_paths = p,
            Err(mut errors) => {
                let mut r = fail(errors.remove(0)).code(422);
                r.errors.extend(errors);
                return r;
            }
        }
    }
    // `isset($sanitizedData['networkfilterid'])`: NULL is not set, so an update keeps the old
    // filter and a create stores NULL ("none").
    if let Some(Some(f)) = network {
        k.networkfilterid = f;
    }
    let key = match (key, existing.is_some()) {
        (Some(key), _) => Some(key),
        // Without `key` on create the server generates one that is never shown.
        (None, false) => Some(generate_key()),
        (None, true) => None,
    };
    if let Some(key) = key {
        k.key_hash = hash_key(&key);
        k.key_suffix = key_suffix(&key);
        k.key_display = key_display(&key);
    }
    let saved = call.app.write(|s| {
        if k.id == 0 {
            k.id = s.next_key_id;
            s.next_key_id += 1;
            s.api_keys.push(k.clone());
        } else if let Some(slot) = s.api_keys.iter_mut().find(|x| x.id == k.id) {
            *slot = k.clone();
        }
        k
    });
    call.app.clear_key_cache();
    let mut r = ApiResult::ok(call.action, processor, to_json(&saved));
    if id.is_none() {
        r.reload = Some(format!("api-keys/modify/{}", saved.id));
        r.code(201)
    } else {
        r.code(200)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_pattern() {
        assert!(path_ok("/api/v3/extensions"));
        assert!(path_ok("/api/v3/module-x/tasks"));
        assert!(!path_ok("/pbxcore/api/v3/extensions"));
        assert!(!path_ok("/api/v3/Extensions"));
        assert!(!path_ok("/api/v3/"));
        assert!(!path_ok("/api/v/x"));
        assert!(!path_ok("/api/v3/a"));
        assert!(validate_paths(&json!({"/api/v3/cdr": "admin"})).is_err());
        assert!(validate_paths(&json!({"/api/v3/cdr": "read"})).is_ok());
        assert!(validate_paths(&json!(["/api/v3/cdr"])).is_ok());
    }
}
