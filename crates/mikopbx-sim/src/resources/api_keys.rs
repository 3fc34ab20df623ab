//! `api-keys` (mikopbx-api.md §2b; `Lib/ApiKeys/*`, `Common/Models/ApiKeys.php`).
//!
//! * `POST api-keys:generateKey` returns `{"key": "<64 hex>"}`: the only time a plaintext key is
//!   ever returned. `key` is write-only; records show `key_display`.
//! * `POST api-keys` creates (201); without `key` the server generates one nobody can see.
//! * `allowed_paths` keys must match `^/api/v[0-9]+/[a-z0-9-]+(/[a-z0-9-]+)*$` (10–255
//!   characters, no `/pbxcore` prefix) and values be `read` / `write`; else 422. The old list
//!   form is accepted when saving (and then denies everything).
//! * `networkfilterid`'s schema pattern is not enforced (the UI sends `localhost`).
//! * Every save / delete clears the validation cache: revocation is immediate.

use serde_json::{Value, json};

use super::{Call, descending, like, page};
use crate::auth::keys::{NETWORK_FILTERS, generate_key, hash_key, key_display, key_suffix};
use crate::envelope::ApiResult;
use crate::state::ApiKeyRecord;

fn to_json(k: &ApiKeyRecord) -> Value {
    let filter_name = match k.networkfilterid.as_str() {
        "" | "none" => "Any network".to_string(),
        "localhost" => "Localhost only".to_string(),
        id => NETWORK_FILTERS
            .iter()
            .find(|f| f.0 == id)
            .map(|f| f.3.to_string())
            .unwrap_or_else(|| format!("Filter #{id}")),
    };
    // `json_decode(..., false)`: an object, else (empty, old list form) `{}`.
    let allowed = match &k.allowed_paths {
        Value::Object(m) => Value::Object(m.clone()),
        _ => json!({}),
    };
    let count = allowed.as_object().map_or(0, |m| m.len());
    json!({
        "id": k.id.to_string(),
        "description": k.description,
        "key_display": k.key_display,
        "has_key": !k.key_hash.is_empty(),
        "full_permissions": k.full_permissions,
        "allowed_paths": allowed,
        "allowed_paths_count": count,
        "networkfilterid": k.networkfilterid,
        "has_network_filter": !matches!(k.networkfilterid.as_str(), "" | "none"),
        "networkfilter_represent": format!("<i class=\"icon filter\"></i> {filter_name}"),
        "created_at": k.created_at,
        "last_used_at": k.last_used_at.clone().unwrap_or_default(),
        "represent": format!("<i class=\"icon key\"></i> {}", k.description),
    })
}

pub(crate) fn handle(call: &Call<'_>) -> ApiResult {
    match call.action {
        "generateKey" => call.ok(json!({"key": generate_key()})),
        "getDefault" => call.ok(json!({"id": "", "description": "", "full_permissions": false, "allowed_paths": [],
                                       "networkfilterid": "none", "key_display": "", "has_key": false})),
        "getList" => {
            let ctx = call.ctx;
            let mut keys: Vec<ApiKeyRecord> = call.app.read(|s| s.api_keys.clone());
            if let Some(q) = ctx.str("search").filter(|q| !q.is_empty()) {
                keys.retain(|k| like(&k.description, &q));
            }
            match ctx.str("order").or_else(|| ctx.str("order_by")).as_deref() {
                Some("description") => keys.sort_by(|a, b| a.description.cmp(&b.description)),
                _ => keys.sort_by_key(|k| k.id),
            }
            if descending(ctx) {
                keys.reverse();
            }
            call.ok(Value::Array(page(keys, ctx).iter().map(to_json).collect()))
        }
        "getRecord" => match find(call) {
            Some(k) => call.ok(to_json(&k)),
            // `executeStandardGetRecord()`: generic not-found, no httpCode → 422.
            None => call.fail(format!("API key not found (ID: {})", id(call))),
        },
        "create" => save(call, None, true),
        "update" => save(call, Some(id(call)), true),
        "patch" => save(call, Some(id(call)), false),
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

fn save(call: &Call<'_>, id: Option<u64>, full: bool) -> ApiResult {
    let ctx = call.ctx;
    if ctx.bad_json {
        return call.fail("Invalid JSON in request body").code(400);
    }
    let existing = match id {
        Some(_) => match find(call) {
            Some(k) => Some(k),
            None => return call.fail("API Key not found").code(404),
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
    match ctx.str("description") {
        Some(d) => k.description = d,
        None if full => k.description = String::new(),
        None => {}
    }
    if k.description.is_empty() {
        return call.fail("Description is required");
    }
    if k.description.chars().count() > 255 {
        return call.fail("Field 'description' must be at most 255 characters");
    }
    if let Some(b) = ctx.bool("full_permissions") {
        k.full_permissions = b;
    }
    if let Some(v) = ctx.params.get("allowed_paths") {
        match validate_paths(v) {
            Ok(p) => k.allowed_paths = p,
            Err(mut errors) => {
                let mut r = call.fail(errors.remove(0)).code(422);
                r.errors.extend(errors);
                return r;
            }
        }
    }
    if let Some(f) = ctx.str("networkfilterid") {
        k.networkfilterid = if f.is_empty() { "none".into() } else { f };
    }
    let key = ctx.str("key").filter(|s| !s.is_empty());
    if let Some(key) = &key
        && key.chars().count() > 255
    {
        return call.fail("Field 'key' must be at most 255 characters");
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
    let r = call.ok(to_json(&saved));
    if id.is_none() { r.code(201) } else { r }
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
