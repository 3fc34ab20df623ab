//! `asterisk-managers` as `src/PBXCoreREST/Lib/AsteriskManagers/*` serves it (release
//! 2026.1.223), over the typed `m_AsteriskManagerUsers` store ([`AsteriskManager`], which the
//! AJAM listener reads too).
//!
//! * `GET asterisk-managers` (`GetListAction` → `AbstractGetListAction::executeStandardList`):
//!   a bare array of `DataStructure::createForList()` rows; `search` is `LIKE` on username /
//!   description, order `username|id` (default `username ASC`), paging only with `limit` /
//!   `offset`.
//! * `GET asterisk-managers/{id}` (`GetRecordAction`): a system manager (`mikopbxuser`,
//!   `phpagi`, `admin`, `DataStructure::SYSTEM_MANAGERS`) is 403; an unknown id is 422
//!   `Manager with ID <id> not found (ID: <id>)` (no httpCode); `0` (PHP `empty()`) is a blank
//!   new record. The record carries the secret in clear (`DataStructure.php:65`).
//! * `GET asterisk-managers:getDefault` (`DataStructure::createForNewManager()`): a fresh
//!   `generateAMIPassword()` secret, no permissions, `networkfilterid: "none"`.
//! * `GET asterisk-managers/{id}:copy` (`CopyRecordAction`): nothing is saved; `createFromModel()`
//!   with `id` and `username` blank, a new secret, `Copy of: ` before a non-empty description,
//!   `isSystem: false`. No system-manager check (the source has none). Unknown: 422 `AMI user
//!   with ID <id> not found`.
//! * `DELETE` (`DeleteRecordAction`): unknown 422 `Manager with ID <id> not found`; a system
//!   manager 403 `Cannot delete system manager '<name>'`; else `{"deleted_id": "<id>"}`.
//! * POST / PUT / PATCH all end in `SaveRecordAction::main()`, phase by phase (see [`save`]).

use serde_json::{Map, Value};

use super::php::{PhpVal, php_empty, php_int, php_string, sanitize_string, search_term};
use super::text_fields::{is_dangerous, sanitize_for_storage};
use super::{Call, ordering};
use crate::auth::keys::NETWORK_FILTERS;
use crate::envelope::ApiResult;
use crate::state::{AsteriskManager, Store};

/// `DataStructure::SYSTEM_MANAGERS` (DataStructure.php:40).
const SYSTEM_MANAGERS: [&str; 3] = ["mikopbxuser", "phpagi", "admin"];

/// `DataStructure::getAvailablePermissions()`, in its order (the order of `read` / `write` and
/// of the permission booleans).
const CLASSES: [&str; 13] = [
    "call",
    "cdr",
    "originate",
    "reporting",
    "agent",
    "config",
    "dialplan",
    "dtmf",
    "log",
    "system",
    "user",
    "verbose",
    "command",
];

fn processor(class: &str) -> String {
    format!("MikoPBX\\PBXCoreREST\\Lib\\AsteriskManagers\\{class}::main")
}

fn ok(call: &Call<'_>, class: &str, data: &PhpVal) -> ApiResult {
    let mut r = ApiResult::ok(call.action, &processor(class), data.to_value());
    r.data_raw = Some(data.to_json());
    r
}

fn fail(call: &Call<'_>, class: &str, msg: impl Into<String>) -> ApiResult {
    ApiResult::fail(call.action, &processor(class), msg)
}

pub(crate) fn handle(call: &Call<'_>) -> ApiResult {
    match call.action {
        "getList" => list(call),
        "getRecord" => get_record(call),
        "getDefault" => get_default(call),
        "copy" => copy(call),
        "delete" => delete(call),
        "create" | "update" | "patch" => save(call),
        other => ApiResult::fail(
            other,
            "MikoPBX\\PBXCoreREST\\Lib\\AsteriskManagersManagementProcessor::callBack",
            format!(
                "Unknown action - {other} in MikoPBX\\PBXCoreREST\\Lib\\AsteriskManagersManagementProcessor"
            ),
        ),
    }
}

fn is_system(username: &str) -> bool {
    SYSTEM_MANAGERS.contains(&username)
}

/// `findFirstById()` on the INTEGER `id` column: `"002"` is row 2, `"abc"` none.
fn find<'s>(s: &'s Store, id: &str) -> Option<&'s AsteriskManager> {
    let n: u64 = id.trim().parse().ok()?;
    s.asterisk_managers.iter().find(|m| m.id == n)
}

fn route_id(call: &Call<'_>) -> String {
    call.route.id.clone().unwrap_or_default()
}

/// `AsteriskManagerUsers::generateAMIPassword()`: `Random::base64Safe(8)`, 8 random bytes in
/// URL-safe base64 without padding (11 characters).
fn generate_ami_password() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let hex = crate::util::random_hex(8);
    let bytes: Vec<u8> = (0..8)
        .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap_or(0))
        .collect();
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let chars = chunk.len() + 1;
        for i in 0..chars {
            out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Shapes (src/PBXCoreREST/Lib/AsteriskManagers/DataStructure.php)

/// `extractPermissionsFromModel()`: the classes whose column contains `read` / `write`.
fn read_write(m: &AsteriskManager) -> (String, String) {
    let has = |c: &str, w: &str| m.classes.get(c).is_some_and(|v| v.contains(w));
    let read: Vec<&str> = CLASSES.into_iter().filter(|c| has(c, "read")).collect();
    let write: Vec<&str> = CLASSES.into_iter().filter(|c| has(c, "write")).collect();
    (read.join(","), write.join(","))
}

/// `parsePermissionsToBoolean()`: `<class>_read`, `<class>_write` per class.
fn permission_booleans(read: &str, write: &str) -> PhpVal {
    let r: Vec<&str> = read.split(',').map(str::trim).collect();
    let w: Vec<&str> = write.split(',').map(str::trim).collect();
    let mut o = Vec::new();
    for c in CLASSES {
        let rr = !read.is_empty() && (r.contains(&c) || r.contains(&"all"));
        let ww = !write.is_empty() && (w.contains(&c) || w.contains(&"all"));
        o.push((format!("{c}_read"), PhpVal::Bool(rr)));
        o.push((format!("{c}_write"), PhpVal::Bool(ww)));
    }
    PhpVal::Obj(o)
}

/// The column as `!empty() ? (string) : 'none'` shows it.
fn filter_id(m: &AsteriskManager) -> String {
    match m.networkfilterid.as_deref() {
        Some(v) if !php_empty(v) => v.to_string(),
        _ => "none".into(),
    }
}

/// `AbstractDataStructure::getNetworkFilterRepresentation()` in English: `ex_NoNetworkFilter`
/// for empty / `none`, `fw_LocalhostOnly` for `localhost`, the filter's `getRepresent()`
/// (as network_filters.rs renders it), or `''` for an id with no row.
fn filter_represent(id: Option<&str>) -> String {
    match id {
        None => "<i class=\"globe icon\"></i> Connections from any addresses are allowed".into(),
        Some(v) if php_empty(v) || v == "none" => {
            "<i class=\"globe icon\"></i> Connections from any addresses are allowed".into()
        }
        Some("localhost") => "<i class=\"home icon\"></i> Localhost connections only".into(),
        Some(v) => {
            let wanted = v.trim_start_matches('0');
            NETWORK_FILTERS
                .iter()
                .find(|f| f.0 == wanted)
                .map(|&(_, permit, _, description)| {
                    format!("<i class=\"globe icon\"></i> {description}(subnet: {permit})")
                })
                .unwrap_or_default()
        }
    }
}

/// `createFromModel()`: `createBaseStructure()` minus `uniqid` / `extension` (so `id`, then
/// `description` when the column is not NULL), then the manager fields.
fn detail(m: &AsteriskManager, id: String) -> Vec<(String, PhpVal)> {
    let (read, write) = read_write(m);
    let mut o = vec![("id".to_string(), PhpVal::s(id))];
    if let Some(d) = &m.description {
        o.push(("description".into(), PhpVal::s(d.as_str())));
    }
    o.push(("username".into(), PhpVal::s(m.username.as_str())));
    o.push(("secret".into(), PhpVal::s(m.secret.as_str())));
    o.push(("read".into(), PhpVal::s(read.as_str())));
    o.push(("write".into(), PhpVal::s(write.as_str())));
    o.push(("networkfilterid".into(), PhpVal::s(filter_id(m))));
    o.push((
        "eventfilter".into(),
        PhpVal::s(m.eventfilter.clone().unwrap_or_default()),
    ));
    o.push((
        "networkfilter_represent".into(),
        PhpVal::s(filter_represent(m.networkfilterid.as_deref())),
    ));
    o.push(("permissions".into(), permission_booleans(&read, &write)));
    o.push(("isSystem".into(), PhpVal::Bool(is_system(&m.username))));
    o
}

fn record(m: &AsteriskManager) -> PhpVal {
    PhpVal::Obj(detail(m, m.id.to_string()))
}

/// `getPermissionsSummary()`: `none`, `all`, or the classes joined with `, `.
fn summary(perms: &str) -> String {
    if perms.is_empty() {
        return "none".into();
    }
    let list: Vec<&str> = perms.split(',').map(str::trim).collect();
    if list.contains(&"all") {
        return "all".into();
    }
    list.join(", ")
}

/// `createForList()`: the parent's base (id, description) and `represent` (set first by the
/// parent from the model's `getRepresent()`, then overwritten, so it keeps that position; the
/// source does not show whether `AsteriskManagerUsers` has `getRepresent()`, most models do
/// through `RecordRepresentationTrait`), then username, networkfilterid, the two summaries and
/// `isSystem`.
fn list_row(m: &AsteriskManager) -> PhpVal {
    let (read, write) = read_write(m);
    let description = m.description.clone().unwrap_or_default();
    let represent = if php_empty(&description) {
        m.username.clone()
    } else {
        format!("{} - {description}", m.username)
    };
    let mut o = vec![("id".to_string(), PhpVal::s(m.id.to_string()))];
    if let Some(d) = &m.description {
        o.push(("description".into(), PhpVal::s(d.as_str())));
    }
    o.push(("represent".into(), PhpVal::s(represent)));
    o.push(("username".into(), PhpVal::s(m.username.as_str())));
    o.push(("networkfilterid".into(), PhpVal::s(filter_id(m))));
    o.push(("readPermissionsSummary".into(), PhpVal::s(summary(&read))));
    o.push(("writePermissionsSummary".into(), PhpVal::s(summary(&write))));
    o.push(("isSystem".into(), PhpVal::Bool(is_system(&m.username))));
    PhpVal::Obj(o)
}

// ---------------------------------------------------------------------------------------------
// Read actions

fn list(call: &Call<'_>) -> ApiResult {
    let ctx = call.ctx;
    let data = call.app.read(|s| {
        let mut rows: Vec<&AsteriskManager> = s.asterisk_managers.iter().collect();
        // applySearchFilters(['username', 'description']): `LIKE '%term%'`.
        let term = search_term(ctx.params.get("search")).map(|t| t.to_lowercase());
        if let Some(t) = term {
            rows.retain(|m| {
                m.username.to_lowercase().contains(&t)
                    || m.description
                        .as_deref()
                        .is_some_and(|d| d.to_lowercase().contains(&t))
            });
        }
        let (field, desc) =
            ordering(ctx, &["username", "id"]).unwrap_or_else(|| ("username".into(), false));
        rows.sort_by(|a, b| {
            let o = if field == "id" {
                a.id.cmp(&b.id)
            } else {
                a.username.as_bytes().cmp(b.username.as_bytes())
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
        PhpVal::List(rows.into_iter().map(list_row).collect())
    });
    ok(call, "GetListAction", &data)
}

fn get_record(call: &Call<'_>) -> ApiResult {
    let id = route_id(call);
    let class = "GetRecordAction";
    if php_empty(&id) {
        // `executeStandardGetRecord()` with an empty id: a new model with the action's
        // defaults (secret '', networkfilterid 'none', every class '').
        let blank = AsteriskManager {
            description: Some(String::new()),
            networkfilterid: Some("none".into()),
            ..AsteriskManager::default()
        };
        return ok(call, class, &PhpVal::Obj(detail(&blank, String::new())));
    }
    match call.app.read(|s| find(s, &id).cloned()) {
        Some(m) if is_system(&m.username) => fail(
            call,
            class,
            format!("System manager '{}' cannot be accessed via API", m.username),
        )
        .code(403),
        Some(m) => ok(call, class, &record(&m)),
        None => fail(
            call,
            class,
            format!("Manager with ID {id} not found (ID: {id})"),
        ),
    }
}

/// `DataStructure::createForNewManager()`.
fn get_default(call: &Call<'_>) -> ApiResult {
    let s = PhpVal::s;
    let data = PhpVal::Obj(vec![
        ("id".into(), s("")),
        ("username".into(), s("")),
        ("secret".into(), PhpVal::s(generate_ami_password())),
        ("read".into(), s("")),
        ("write".into(), s("")),
        ("description".into(), s("")),
        ("networkfilterid".into(), s("none")),
        (
            "networkfilter_represent".into(),
            PhpVal::s(filter_represent(Some("none"))),
        ),
        ("permissions".into(), permission_booleans("", "")),
        ("isSystem".into(), PhpVal::Bool(false)),
    ]);
    ok(call, "GetDefaultAction", &data)
}

fn copy(call: &Call<'_>) -> ApiResult {
    let id = route_id(call);
    let class = "CopyRecordAction";
    if php_empty(&id) {
        return fail(call, class, "ID is required for copy operation");
    }
    let Some(m) = call.app.read(|s| find(s, &id).cloned()) else {
        return fail(call, class, format!("AMI user with ID {id} not found"));
    };
    let mut o = detail(&m, String::new());
    for (k, v) in &mut o {
        match k.as_str() {
            "username" => *v = PhpVal::s(""),
            "secret" => *v = PhpVal::s(generate_ami_password()),
            "description" => {
                if let PhpVal::Str(d) = v
                    && !php_empty(d)
                {
                    *v = PhpVal::s(format!("Copy of: {d}"));
                }
            }
            "isSystem" => *v = PhpVal::Bool(false),
            _ => {}
        }
    }
    ok(call, class, &PhpVal::Obj(o))
}

fn delete(call: &Call<'_>) -> ApiResult {
    let id = route_id(call);
    let class = "DeleteRecordAction";
    if php_empty(&id) {
        return fail(call, class, "Record ID is required");
    }
    let Some(m) = call.app.read(|s| find(s, &id).cloned()) else {
        return fail(call, class, format!("Manager with ID {id} not found"));
    };
    if is_system(&m.username) {
        return fail(
            call,
            class,
            format!("Cannot delete system manager '{}'", m.username),
        )
        .code(403);
    }
    call.app
        .write(|s| s.asterisk_managers.retain(|x| x.id != m.id));
    ok(
        call,
        class,
        &PhpVal::Obj(vec![("deleted_id".into(), PhpVal::s(id))]),
    )
}

// ---------------------------------------------------------------------------------------------
// SaveRecordAction::main() (src/PBXCoreREST/Lib/AsteriskManagers/SaveRecordAction.php)

/// `^([0-9]+|none)$`, the `networkfilterid` pattern.
fn filter_pattern(v: &str) -> bool {
    v == "none" || (!v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))
}

/// `processPermissions()`: `true`, `'true'`, `1`, `'1'` count, nothing else.
fn truthy(v: Option<&Value>) -> bool {
    match v {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s == "true" || s == "1",
        Some(Value::Number(n)) => n.as_i64() == Some(1),
        _ => false,
    }
}

/// POST (`CreateRecordAction`: drops `uniqid`), PUT and PATCH (`UpdateRecordAction`,
/// `PatchRecordAction`: straight to the save), with the controller's `httpMethod` and the
/// route's `id`:
///
/// 1. sanitise (`getSanitizationRules()`): only the schema's fields are kept; strings trimmed
///    and cut to `maxLength` (username 50, secret 255, description 255, eventfilter 2000 — so
///    an overlong eventfilter is cut, not refused); `networkfilterid` that does not match
///    `^([0-9]+|none)$` is reduced to its digits (`localhost` → `''`); username / description
///    through `TextFieldProcessor` (422 'Dangerous content detected in fields: …'); then
///    `none` / `''` become NULL.
/// 2. an `id` that exists makes it an update, and a system manager is 403 `Cannot modify system
///    manager '<name>'`; an unknown id is 404 `asterisk-managers not found` for PUT / PATCH,
///    and a create with that id for POST.
/// 3. create only: `username` required (422, `messages.error` keyed by field).
/// 4. a username that changes must be unique: 409 `Manager with username '<u>' already exists`.
/// 5. create only: schema defaults for missing keys (`array_key_exists`, so an explicit
///    `none`, already NULL, stays NULL but a missing one becomes the string `'none'`), and a
///    generated secret when it is empty.
/// 6. `validateInputData()`: only maxLength here, which the sanitiser already enforced.
/// 7. save with `isset()` semantics: so on an update, `networkfilterid: "none"` (NULL by then)
///    is **not** written and the old filter stays (a quirk of the source, reproduced); an
///    empty secret keeps the old one; `permissions`, when set, replace all 13 columns.
fn save(call: &Call<'_>) -> ApiResult {
    let class = "SaveRecordAction";
    if call.ctx.bad_json {
        return fail(call, class, "Invalid JSON in request body").code(400);
    }
    let method = call.ctx.method.as_str().to_string();
    let mut data: Map<String, Value> = call.ctx.params.clone();
    if call.action == "create" {
        data.remove("uniqid");
    } else {
        data.insert("id".into(), Value::String(route_id(call)));
    }
    let isset = |k: &str| data.get(k).filter(|v| !v.is_null());

    // PHASE 1.
    let text = |k: &str, max: usize, pattern: Option<fn(&str) -> bool>| {
        isset(k)
            .and_then(php_string)
            .map(|s| sanitize_string(&s, pattern, Some(max)))
    };
    let mut username = text("username", 50, None);
    let secret = text("secret", 255, None);
    let mut description = text("description", 255, None);
    let eventfilter = text("eventfilter", 2000, None);
    // `networkfilterid` present (even as null) is a key of the sanitised data.
    let filter_key = data.contains_key("networkfilterid");
    let mut networkfilterid = text("networkfilterid", usize::MAX, Some(filter_pattern));
    let permissions: Option<Map<String, Value>> = match isset("permissions") {
        None => None,
        Some(Value::Object(o)) => Some(o.clone()),
        Some(Value::Array(a)) if a.is_empty() => Some(Map::new()),
        Some(_) => {
            return fail(
                call,
                class,
                "TypeError: SaveRecordAction::processPermissions(): Argument #2 ($permissions) must be of type array",
            );
        }
    };
    let mut dangerous = Vec::new();
    for (name, field) in [
        ("username", &mut username),
        ("description", &mut description),
    ] {
        if let Some(s) = field {
            *s = sanitize_for_storage(s);
            if is_dangerous(s) {
                dangerous.push(name);
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
    if networkfilterid
        .as_deref()
        .is_some_and(|v| v == "none" || v.is_empty())
    {
        networkfilterid = None;
    }

    // PHASE 2.
    let raw_id = isset("id").and_then(php_string).unwrap_or_default();
    let existing = if php_empty(&raw_id) {
        None
    } else {
        match call.app.read(|s| find(s, &raw_id).cloned()) {
            Some(m) => Some(m),
            None if method == "PUT" || method == "PATCH" => {
                return fail(call, class, "asterisk-managers not found").code(404);
            }
            None => None,
        }
    };
    if let Some(m) = &existing
        && is_system(&m.username)
    {
        return fail(
            call,
            class,
            format!("Cannot modify system manager '{}'", m.username),
        )
        .code(403);
    }
    let is_new = existing.is_none();

    // PHASE 3.
    if is_new && username.as_deref().is_none_or(php_empty) {
        let mut r = fail(call, class, String::new());
        r.errors.clear();
        r.keyed_errors = vec![("username".into(), "Username is required".into())];
        return r;
    }

    // Uniqueness (SQLite `=`: case-sensitive).
    if let Some(u) = &username {
        let changed = existing.as_ref().is_none_or(|m| &m.username != u);
        let current = existing.as_ref().map_or(0, |m| m.id);
        if changed
            && call.app.read(|s| {
                s.asterisk_managers
                    .iter()
                    .any(|m| &m.username == u && m.id != current)
            })
        {
            return fail(
                call,
                class,
                format!("Manager with username '{u}' already exists"),
            )
            .code(409);
        }
    }

    // PHASE 4: defaults for missing keys (create only).
    let mut filter_set = networkfilterid.is_some();
    if is_new && !filter_key {
        networkfilterid = Some("none".into());
        filter_set = true;
    }

    // PHASE 6.
    let mut m = existing.clone().unwrap_or_default();
    if let Some(u) = username {
        m.username = u;
    }
    match secret.filter(|s| !php_empty(s)) {
        Some(s) => m.secret = s,
        None if is_new && php_empty(&m.secret) => m.secret = generate_ami_password(),
        None => {}
    }
    if let Some(d) = description {
        m.description = Some(d);
    } else if is_new {
        m.description = Some(String::new());
    }
    if let Some(p) = &permissions {
        m.classes.clear();
        for c in CLASSES {
            let r = truthy(p.get(&format!("{c}_read")));
            let w = truthy(p.get(&format!("{c}_write")));
            let v = match (r, w) {
                (true, true) => "readwrite",
                (true, false) => "read",
                (false, true) => "write",
                (false, false) => continue,
            };
            m.classes.insert(c.to_string(), v.to_string());
        }
    } else if is_new {
        m.classes.clear();
    }
    if filter_set || is_new {
        // processNetworkFilter(): `!empty()` keeps the value (even an id with no row, or the
        // default 'none'); otherwise NULL.
        m.networkfilterid = networkfilterid.filter(|v| !php_empty(v));
    }
    if let Some(e) = eventfilter {
        m.eventfilter = Some(e);
    } else if is_new {
        m.eventfilter = Some(String::new());
    }
    let custom_id = (!php_empty(&raw_id))
        .then(|| raw_id.trim().parse::<u64>().ok())
        .flatten();
    let saved = call.app.write(|s| {
        if is_new {
            m.id = custom_id.unwrap_or_else(|| s.next_manager_id.max(1));
            s.next_manager_id = s.next_manager_id.max(m.id + 1);
            s.asterisk_managers.push(m.clone());
            s.asterisk_managers.sort_by_key(|x| x.id);
        } else if let Some(slot) = s.asterisk_managers.iter_mut().find(|x| x.id == m.id) {
            *slot = m.clone();
        }
        m
    });
    let mut r = ok(call, class, &record(&saved)).code(if is_new { 201 } else { 200 });
    if is_new {
        r.reload = Some(format!("asterisk-managers/modify/{}", saved.id));
    }
    r
}

/// The wire behaviour, as src/PBXCoreREST/Lib/AsteriskManagers/* (release 2026.1.223) answers.
#[cfg(test)]
mod wire_tests {
    use crate::test_support::*;
    use crate::{RunningSimulator, Simulator};
    use serde_json::{Value, json};

    async fn sim() -> RunningSimulator {
        Simulator::builder().cdr_records(10).start().await.unwrap()
    }

    /// The list is a bare array of createForList() rows, byte for byte, without secrets.
    #[tokio::test]
    async fn list_rows_and_record_shape() {
        let sim = sim().await;
        let c = client(&sim, LOCAL);
        let (s, body) = send(c.get(api(&sim, "asterisk-managers"))).await;
        assert_eq!(s, 200, "{body}");
        let expected = concat!(
            r#"{"result":true,"data":[{"id":"1","description":"1C integration","#,
            r#""represent":"1cami - 1C integration","username":"1cami","networkfilterid":"none","#,
            r#""readPermissionsSummary":"call, cdr, user","writePermissionsSummary":"call, originate, reporting","#,
            r#""isSystem":false}],"messages":[],"function":"getList","#,
            r#""processor":"MikoPBX\\PBXCoreREST\\Lib\\AsteriskManagers\\GetListAction::main""#
        );
        assert!(body.starts_with(expected), "{body}");
        assert!(!body.contains("secret"));

        let (s, v) = json(c.get(api(&sim, "asterisk-managers/1"))).await;
        assert_eq!(s, 200);
        let d = &v["data"];
        let keys: Vec<&str> = d.as_object().unwrap().keys().map(String::as_str).collect();
        // serde_json sorts; the order is checked on the text below.
        assert_eq!(keys.len(), 11, "{keys:?}");
        assert_eq!(d["read"], "call,cdr,user");
        assert_eq!(d["write"], "call,originate,reporting");
        assert_eq!(d["permissions"]["call_read"], true);
        assert_eq!(d["permissions"]["call_write"], true);
        assert_eq!(d["permissions"]["originate_read"], false);
        assert_eq!(d["secret"].as_str().unwrap().len(), 32);
        let (_, body) = send(c.get(api(&sim, "asterisk-managers/1"))).await;
        assert!(
            body.starts_with(r#"{"result":true,"data":{"id":"1","description":"1C integration","username":"1cami","secret":""#),
            "{body}"
        );
        assert!(body.contains(r#""networkfilterid":"none","eventfilter":"","networkfilter_represent":"<i class=\"globe icon\"><\/i> Connections from any addresses are allowed","permissions":{"call_read":true,"call_write":true,"cdr_read":true,"cdr_write":false,"#), "{body}");

        // Unknown: 422 without httpCode; no route for non-numeric ids.
        let (s, body) = send(c.get(api(&sim, "asterisk-managers/99"))).await;
        assert_eq!(s, 422, "{body}");
        assert!(
            body.contains(r#""error":["Manager with ID 99 not found (ID: 99)"]"#),
            "{body}"
        );
        let (s, _) = send(c.get(api(&sim, "asterisk-managers/abc"))).await;
        assert_eq!(s, 404);
    }

    /// create → 201 with defaults; uniqueness 409; required username keyed; PUT/PATCH on an
    /// unknown id 404; networkfilterid sanitising; system managers 403.
    #[tokio::test]
    async fn save_rules() {
        let sim = sim().await;
        let c = client(&sim, LOCAL);
        let post = |b: Value| c.post(api(&sim, "asterisk-managers")).json(&b);
        let (s, v) = json(post(json!({"username": "crm", "networkfilterid": "2",
            "permissions": {"originate_write": true, "call_read": "1", "cdr_read": "yes"}})))
        .await;
        assert_eq!(s, 201, "{v}");
        let d = &v["data"];
        assert_eq!(d["id"], "2");
        assert_eq!(d["read"], "call");
        assert_eq!(d["write"], "originate");
        assert_eq!(d["networkfilterid"], "2");
        assert_eq!(
            d["networkfilter_represent"],
            "<i class=\"globe icon\"></i> Office LAN(subnet: 192.168.0.0/16,10.0.0.0/8)"
        );
        assert_eq!(d["secret"].as_str().unwrap().len(), 11);
        assert_eq!(v["reload"], "asterisk-managers/modify/2");

        let (s, v) = json(post(json!({"username": "crm"}))).await;
        assert_eq!(s, 409);
        assert_eq!(
            v["messages"]["error"][0],
            "Manager with username 'crm' already exists"
        );
        let (s, body) = send(post(json!({"description": "x"}))).await;
        assert_eq!(s, 422);
        assert!(
            body.contains(r#""messages":{"error":{"username":"Username is required"}}"#),
            "{body}"
        );
        let (s, v) = json(
            c.put(api(&sim, "asterisk-managers/77"))
                .json(&json!({"username": "x"})),
        )
        .await;
        assert_eq!(s, 404);
        assert_eq!(v["messages"]["error"][0], "asterisk-managers not found");

        // `localhost` fails the pattern: digits only, i.e. '' → NULL; eventfilter cut at 2000.
        let (s, v) = json(post(
            json!({"username": "lh", "networkfilterid": "localhost",
            "eventfilter": "x".repeat(2100)}),
        ))
        .await;
        assert_eq!(s, 201);
        assert_eq!(v["data"]["networkfilterid"], "none");
        assert_eq!(v["data"]["eventfilter"].as_str().unwrap().len(), 2000);
        // A PATCH with "none" does not write the column (isset(null)): the filter stays.
        let (s, v) = json(
            c.patch(api(&sim, "asterisk-managers/2"))
                .json(&json!({"networkfilterid": "none", "description": "d"})),
        )
        .await;
        assert_eq!(s, 200);
        assert_eq!(v["data"]["networkfilterid"], "2");
        assert_eq!(v["data"]["read"], "call");

        // A manager named admin can be created, then never read, changed or deleted.
        let (s, v) = json(post(json!({"username": "admin"}))).await;
        assert_eq!(s, 201);
        let id = v["data"]["id"].as_str().unwrap().to_string();
        assert_eq!(v["data"]["isSystem"], true);
        let path = format!("asterisk-managers/{id}");
        let (s, v) = json(c.get(api(&sim, &path))).await;
        assert_eq!(s, 403);
        assert_eq!(
            v["messages"]["error"][0],
            "System manager 'admin' cannot be accessed via API"
        );
        let (s, v) = json(c.patch(api(&sim, &path)).json(&json!({"description": "x"}))).await;
        assert_eq!(s, 403);
        assert_eq!(
            v["messages"]["error"][0],
            "Cannot modify system manager 'admin'"
        );
        let (s, v) = json(c.delete(api(&sim, &path))).await;
        assert_eq!(s, 403);
        assert_eq!(
            v["messages"]["error"][0],
            "Cannot delete system manager 'admin'"
        );
    }

    /// getDefault, copy and delete.
    #[tokio::test]
    async fn default_copy_delete() {
        let sim = sim().await;
        let c = client(&sim, LOCAL);
        let (s, body) = send(c.get(api(&sim, "asterisk-managers:getDefault"))).await;
        assert_eq!(s, 200);
        assert!(
            body.starts_with(r#"{"result":true,"data":{"id":"","username":"","secret":""#),
            "{body}"
        );
        let v: Value = serde_json::from_str(&body).unwrap();
        let secret = v["data"]["secret"].as_str().unwrap();
        assert_eq!(secret.len(), 11);
        assert!(
            secret
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
        assert_eq!(v["data"]["networkfilterid"], "none");

        let (s, v) = json(c.get(api(&sim, "asterisk-managers/1:copy"))).await;
        assert_eq!(s, 200, "{v}");
        assert_eq!(v["data"]["id"], "");
        assert_eq!(v["data"]["username"], "");
        assert_eq!(v["data"]["description"], "Copy of: 1C integration");
        assert_eq!(v["data"]["write"], "call,originate,reporting");
        let (s, v) = json(c.get(api(&sim, "asterisk-managers/9:copy"))).await;
        assert_eq!(s, 422);
        assert_eq!(v["messages"]["error"][0], "AMI user with ID 9 not found");
        // Nothing was saved.
        let (_, v) = json(c.get(api(&sim, "asterisk-managers"))).await;
        assert_eq!(v["data"].as_array().unwrap().len(), 1);

        let (s, v) = json(c.delete(api(&sim, "asterisk-managers/1"))).await;
        assert_eq!(s, 200);
        assert_eq!(v["data"]["deleted_id"], "1");
        let (s, v) = json(c.delete(api(&sim, "asterisk-managers/1"))).await;
        assert_eq!(s, 422);
        assert_eq!(v["messages"]["error"][0], "Manager with ID 1 not found");
    }
}
