//! `employees`: the write path for users and their SIP extensions (mikopbx-api.md §5,
//! `Lib/Employees/*`).
//!
//! List shape: `data = {"data":[…],"recordsTotal":N,"recordsFiltered":M}`; ordering is read
//! from `order_by` / `order_direction` only (`Lib/Employees/GetListAction.php`). Creating an
//! employee creates its SIP extension (and an EXTERNAL one for a mobile number).
//!
//! Saving follows `Lib/Employees/SaveRecordAction.php:main` (release 2026.1.223) phase by phase:
//! 1. sanitise (`BaseActionHelper::sanitizeData` with the schema rules of
//!    `Lib/Employees/DataStructure.php`): trim; `number` must match `^[0-9]{2,8}$` or loses
//!    every non-digit, then is cut to 8; `mobile_number` likewise with `^\+?[1-9]\d{1,14}$`;
//!    every `maxLength` is a silent cut (`user_username` 100, `sip_secret` 100, …). Nothing
//!    here is an error: "1" is a valid number, "123456789" is saved as "12345678".
//! 2. required fields (`validateData`): 422 without httpCode, `messages.error` an OBJECT keyed
//!    by field with the untranslated keys (`ex_ValidateUsernameEmpty`, …); `sip_secret` only on
//!    create.
//! 3. existence: PUT of a missing id → 404 'Employee not found' (PATCH checks first:
//!    'Employee not found for patch operation (ID: n)').
//! 4. defaults (create only), 5. schema (enums, integer maximum) and business rules
//!    (`validateEmployeeData`: uniqueness, `PasswordService`, e-mail, mobile, forwarding) with the
//!    English texts of src/Common/Messages/en/Extensions.php, 422 with httpCode.
//! 6. save with `isset()` semantics — except that a PUT without `mobile_number` deletes the
//!    mobile (and its EXTERNAL extension) and one without `fwd_ringlength` resets it to 0 (45 when
//!    `fwd_forwarding` is set). PATCH merges the current record first (`PatchRecordAction`), so it
//!    keeps both.
//!
//! Statuses: 201 on create (with `reload`), 200 with `httpCode` on update; DELETE of a missing id
//! is 422 'Employee not found (ID: n)'; 409 when the number is a routing target elsewhere (queue
//! redirects, IVR timeout / actions, forwarding); queue membership alone does not block (cascade).

use serde_json::{Map, Value, json};

use super::php::{php_bool, php_empty, php_int, sanitize_string, text};
use super::{Call, like};
use crate::envelope::ApiResult;
use crate::state::{Employee, Store};

fn to_json(e: &Employee, with_secret: bool) -> Value {
    let mut v = json!({
        "id": e.id.to_string(),
        "number": e.number,
        "user_username": e.username,
        "user_email": e.email,
        "user_avatar": "",
        "extensions_length": 3,
        "mobile_number": e.mobile_number,
        "mobile_dialstring": e.mobile_dialstring,
        "sip_transport": e.sip_transport,
        "sip_dtmfmode": e.sip_dtmfmode,
        "sip_enableRecording": e.sip_enable_recording,
        "sip_networkfilterid": e.sip_networkfilterid,
        "sip_manualattributes": "",
        "fwd_ringlength": e.fwd_ringlength,
        "fwd_forwarding": e.fwd_forwarding,
        "fwd_forwardingonbusy": e.fwd_forwardingonbusy,
        "fwd_forwardingonunavailable": e.fwd_forwardingonunavailable,
    });
    if with_secret && let Some(o) = v.as_object_mut() {
        o.insert("sip_secret".into(), json!(e.sip_secret));
    }
    v
}

pub(crate) fn handle(call: &Call<'_>) -> ApiResult {
    match call.action {
        "getList" => list(call),
        "getRecord" => {
            let id = parse_id(call);
            match call.app.read(|s| s.employees.get(&id).cloned()) {
                Some(e) => call.ok(to_json(&e, true)),
                // `Lib/Employees/GetRecordAction::main()`.
                None => call.fail(format!(
                    "Employee with user_id {} not found",
                    call.route.id.as_deref().unwrap_or("")
                )),
            }
        }
        "getDefault" => {
            let (number, length) = call
                .app
                .read(|s| (next_free_number(s), extension_length(s)));
            call.ok(new_employee_defaults(&number, length))
        }
        "create" => save(call, None, Verb::Post),
        "update" => save(call, Some(parse_id(call)), Verb::Put),
        "patch" => save(call, Some(parse_id(call)), Verb::Patch),
        "delete" => delete(call),
        _ => call.fail("Unknown action"),
    }
}

fn parse_id(call: &Call<'_>) -> u64 {
    call.route
        .id
        .as_deref()
        .and_then(|i| i.parse().ok())
        .unwrap_or(0)
}

/// `Extensions::getNextInternalNumber()`: from the lowest SIP number that belongs to a user (200
/// when there is none) up to the largest number of `PBXInternalExtensionLength` digits, the
/// first that no extension of any type holds; `''` when all are taken.
fn next_free_number(s: &Store) -> String {
    let all = super::extensions::all(s);
    let start = all
        .iter()
        .filter(|e| e.kind == "SIP" && e.userid.is_some())
        .filter_map(|e| e.number.parse::<u64>().ok())
        .min()
        .unwrap_or(200);
    let max = 10u64.saturating_pow(extension_length(s)).saturating_sub(1);
    (start..=max)
        .map(|n| n.to_string())
        .find(|n| all.iter().all(|e| &e.number != n))
        .unwrap_or_default()
}

/// `PbxSettings::PBX_INTERNAL_EXTENSION_LENGTH` (default `'3'`).
fn extension_length(s: &Store) -> u32 {
    s.general_settings["PBXInternalExtensionLength"]
        .as_str()
        .and_then(|v| v.trim().parse().ok())
        .filter(|n| (2..=8).contains(n))
        .unwrap_or(3)
}

/// `DataStructure::createForNewEmployee()`'s fields (the members come out sorted here, not in
/// PHP's order): the next free number, a fresh `Sip::generateSipPassword()`
/// (`PasswordService::generate(length 20, no special)`: Phalcon's `Random::base58(20)`),
/// `sip_transport` `Sip::TRANSPORT_AUTO`, and the `_represent` companions that
/// `addNetworkFilterField()` / `addExtensionField()` append (empty for empty numbers).
fn new_employee_defaults(number: &str, extension_length: u32) -> Value {
    const BASE58: &[u8] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
    let secret: String = crate::util::random_bytes(20)
        .iter()
        .map(|b| BASE58[usize::from(*b) % BASE58.len()] as char)
        .collect();
    json!({
        "id": "",
        "user_username": "",
        "user_email": "",
        "user_avatar": "/admin-cabinet/assets/img/unknownPerson.jpg",
        "number": number,
        "extensions_length": extension_length,
        "sip_secret": secret,
        "sip_enableRecording": true,
        "sip_dtmfmode": "auto",
        "sip_transport": "udp,tcp",
        "sip_manualattributes": "",
        "fwd_ringlength": 45,
        "mobile_number": "",
        "mobile_dialstring": "",
        "sip_networkfilterid": "none",
        "sip_networkfilterid_represent":
            "<i class=\"globe icon\"></i> Connections from any addresses are allowed",
        "fwd_forwarding": "",
        "fwd_forwarding_represent": "",
        "fwd_forwardingonbusy": "",
        "fwd_forwardingonbusy_represent": "",
        "fwd_forwardingonunavailable": "",
        "fwd_forwardingonunavailable_represent": "",
    })
}

/// `Lib/Employees/GetListAction.php`: rows `{id (int), number, user_username, user_email,
/// mobile, avatar, disabled}`; `search` with the prefixes `id:`, `email:`, `number:`,
/// `mobile:` or free text (name or search index); `order_by` ∈ username (default), number,
/// mobile, email; `order_direction` ASC (default) / DESC; paging only when `limit` or
/// `offset` is given (limit ≤ 0 → 50, capped at 1000). `recordsTotal` and `recordsFiltered`
/// are both the filtered count.
fn list(call: &Call<'_>) -> ApiResult {
    let ctx = call.ctx;
    let mut rows: Vec<Employee> = call.app.read(|s| s.employees.values().cloned().collect());
    let q = ctx.str("search").unwrap_or_default().to_lowercase();
    if !q.is_empty() {
        let digits = |s: &str| s.chars().filter(char::is_ascii_digit).collect::<String>();
        if let Some(id) = q.strip_prefix("id:") {
            let id: u64 = id.trim().parse().unwrap_or(0);
            rows.retain(|e| e.id == id);
        } else if let Some(email) = q.strip_prefix("email:") {
            rows.retain(|e| like(&e.email, email));
        } else if let Some(number) = q.strip_prefix("number:") {
            rows.retain(|e| e.number == number);
        } else if let Some(mobile) = q.strip_prefix("mobile:") {
            let m = digits(mobile);
            rows.retain(|e| e.mobile_dialstring.contains(&m));
        } else {
            rows.retain(|e| {
                let index = format!(
                    "{} {} {} {}",
                    e.username, e.number, e.email, e.mobile_number
                );
                like(&e.username, &q) || like(&index, &q)
            });
        }
    }
    let total = rows.len();
    let num = |s: &str| s.parse::<u64>().unwrap_or(0);
    match ctx.str("order_by").as_deref() {
        Some("number") => rows.sort_by_key(|e| num(&e.number)),
        Some("mobile") => rows.sort_by_key(|e| num(&e.mobile_number)),
        Some("email") => rows.sort_by(|a, b| a.email.cmp(&b.email)),
        _ => rows.sort_by(|a, b| a.username.cmp(&b.username)),
    }
    if ctx
        .str("order_direction")
        .is_some_and(|d| d.eq_ignore_ascii_case("desc"))
    {
        rows.reverse();
    }
    let (offset, limit) = if ctx.params.contains_key("limit") || ctx.params.contains_key("offset") {
        let limit = ctx.int("limit").unwrap_or(50);
        let limit = if limit <= 0 { 50 } else { limit.min(1000) } as usize;
        (ctx.int("offset").unwrap_or(0).max(0) as usize, limit)
    } else {
        (0, usize::MAX)
    };
    let data: Vec<Value> = rows
        .iter()
        .skip(offset)
        .take(limit)
        .map(|e| {
            json!({"id": e.id, "number": e.number, "user_username": e.username, "user_email": e.email,
                   "mobile": if e.mobile_dialstring.is_empty() { &e.mobile_number } else { &e.mobile_dialstring },
                   "avatar": "", "disabled": false})
        })
        .collect();
    call.ok(json!({"data": data, "recordsTotal": total, "recordsFiltered": total}))
}

fn valid_mobile(m: &str) -> bool {
    // ^\+?[1-9]\d{1,14}$
    let digits = m.strip_prefix('+').unwrap_or(m);
    (2..=15).contains(&digits.len())
        && digits.chars().all(|c| c.is_ascii_digit())
        && !digits.starts_with('0')
}

/// `^[0-9]{2,8}$`, the schema pattern of `number`.
fn number_pattern(n: &str) -> bool {
    (2..=8).contains(&n.len()) && n.chars().all(|c| c.is_ascii_digit())
}

/// `^([0-9]+|none)$`.
fn filter_pattern(v: &str) -> bool {
    v == "none" || (!v.is_empty() && v.chars().all(|c| c.is_ascii_digit()))
}

/// Which verb reached `SaveRecordAction` (it changes the existence check).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Verb {
    Post,
    Put,
    Patch,
}

/// The sanitised input (`isset()` = `Some`).
#[derive(Default)]
struct Input {
    username: Option<String>,
    email: Option<String>,
    number: Option<String>,
    secret: Option<String>,
    dtmf: Option<String>,
    transport: Option<String>,
    recording: Option<bool>,
    network: Option<String>,
    ringlength: Option<i64>,
    fwd: [Option<String>; 3],
    mobile: Option<String>,
    dialstring: Option<String>,
}

const FWD_KEYS: [&str; 3] = [
    "fwd_forwarding",
    "fwd_forwardingonbusy",
    "fwd_forwardingonunavailable",
];

/// PHASE 1 (`sanitizeInputData`): only fields with rules, each trimmed, pattern fallback, cut.
fn sanitize(p: &Map<String, Value>) -> Input {
    let s = |key: &str, pattern: Option<fn(&str) -> bool>, max: Option<usize>| {
        text(p, key).map(|v| sanitize_string(&v, pattern, max))
    };
    Input {
        username: s("user_username", None, Some(100)),
        email: s("user_email", None, Some(255)),
        number: s("number", Some(number_pattern), Some(8)),
        secret: s("sip_secret", None, Some(100)),
        dtmf: s("sip_dtmfmode", None, None),
        transport: s("sip_transport", None, None),
        recording: p
            .get("sip_enableRecording")
            .filter(|v| !v.is_null())
            .map(php_bool),
        network: s("sip_networkfilterid", Some(filter_pattern), None),
        ringlength: p
            .get("fwd_ringlength")
            .filter(|v| !v.is_null())
            .map(php_int),
        fwd: FWD_KEYS.map(|k| s(k, None, Some(64))),
        mobile: s("mobile_number", Some(valid_mobile), Some(50)),
        dialstring: s("mobile_dialstring", None, Some(255)),
    }
}

/// `PatchRecordAction::intelligentMerge()`: the current record, overlaid with the patch
/// (`sip_secret` only when non-empty; clearing `mobile_number` clears `mobile_dialstring`;
/// `fwd_forwarding` without `fwd_ringlength` sets 45; empty transport → `auto`).
fn merge_patch(existing: &Employee, patch: &Map<String, Value>) -> Map<String, Value> {
    let mut merged = match to_json(existing, true) {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    for (k, v) in patch {
        if k == "id" || k.ends_with("_represent") {
            continue;
        }
        if k == "sip_secret" {
            if v.as_str().is_some_and(|s| !php_empty(s)) || v.as_i64().is_some_and(|n| n != 0) {
                merged.insert(k.clone(), v.clone());
            }
            continue;
        }
        if k == "mobile_number"
            && v.as_str().is_none_or(php_empty)
            && !patch.contains_key("mobile_dialstring")
        {
            merged.insert("mobile_dialstring".into(), json!(""));
        }
        if !v.is_null() {
            merged.insert(k.clone(), v.clone());
        }
    }
    if patch
        .get("fwd_forwarding")
        .and_then(Value::as_str)
        .is_some_and(|f| !php_empty(f))
        && !patch.contains_key("fwd_ringlength")
    {
        merged.insert("fwd_ringlength".into(), json!(45));
    }
    if merged
        .get("sip_transport")
        .and_then(Value::as_str)
        .is_none_or(php_empty)
    {
        merged.insert("sip_transport".into(), json!("auto"));
    }
    merged
}

/// `FILTER_VALIDATE_EMAIL`, approximately: one `@`, a non-empty local part without spaces, a
/// dotted domain of letters, digits and hyphens.
fn valid_email(e: &str) -> bool {
    let Some((local, domain)) = e.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c))
        && domain.contains('.')
        && domain.split('.').all(|l| {
            !l.is_empty()
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

fn save(call: &Call<'_>, id: Option<u64>, verb: Verb) -> ApiResult {
    let processor = "MikoPBX\\PBXCoreREST\\Lib\\Employees\\SaveRecordAction::main";
    let fail = |msg: String| ApiResult::fail(call.action, processor, msg);
    if call.ctx.bad_json {
        return fail("Invalid JSON in request body".into()).code(400);
    }
    let current = id.and_then(|id| call.app.read(|s| s.employees.get(&id).cloned()));
    // PATCH: `PatchRecordAction::main()` loads the record first and merges.
    let merged;
    let p = if verb == Verb::Patch {
        let Some(existing) = &current else {
            return ApiResult::fail(
                call.action,
                "",
                format!(
                    "Employee not found for patch operation (ID: {})",
                    call.route.id.as_deref().unwrap_or("")
                ),
            )
            .code(404);
        };
        merged = merge_patch(existing, &call.ctx.params);
        &merged
    } else {
        &call.ctx.params
    };
    let is_create = id.is_none();
    let mut input = sanitize(p);

    // PHASE 2: required fields, keyed by field, untranslated, 422 without httpCode.
    let mut required = Vec::new();
    if input.username.as_deref().is_none_or(php_empty) {
        required.push((
            "user_username".to_string(),
            "ex_ValidateUsernameEmpty".to_string(),
        ));
    }
    match input.number.as_deref() {
        None => required.push(("number".into(), "ex_ValidateNumberIsEmpty".into())),
        Some(n) if php_empty(n) => {
            required.push(("number".into(), "ex_ValidateNumberIsEmpty".into()));
        }
        Some(n) if !n.chars().all(|c| c.is_ascii_digit()) => {
            required.push(("number".into(), "ex_ValidateExtensionNumber".into()));
        }
        Some(_) => {}
    }
    if is_create && input.secret.as_deref().is_none_or(php_empty) {
        required.push(("sip_secret".into(), "ex_ValidateSecretEmpty".into()));
    }
    if !required.is_empty() {
        let mut r = fail(String::new());
        r.errors.clear();
        r.keyed_errors = required;
        return r;
    }

    // PHASE 3: existence (PUT of a missing id).
    if !is_create && current.is_none() {
        return fail("Employee not found".into()).code(404);
    }

    // PHASE 4: defaults, create only (`DataStructure` defaults).
    if is_create {
        input.dtmf.get_or_insert_with(|| "auto".into());
        input.transport.get_or_insert_with(|| "udp".into());
        input.recording.get_or_insert(true);
        input.network.get_or_insert_with(|| "none".into());
        input.ringlength.get_or_insert(45);
        for f in &mut input.fwd {
            f.get_or_insert_with(String::new);
        }
        input.mobile.get_or_insert_with(String::new);
        input.dialstring.get_or_insert_with(String::new);
    }

    // PHASE 5a: schema (`AbstractDataStructure::validateInputData`).
    let mut errors = Vec::new();
    if let Some(d) = &input.dtmf
        && !["auto", "auto_info", "inband", "rfc4733", "info"].contains(&d.as_str())
    {
        errors.push(
            "Field 'sip_dtmfmode' must be one of: auto, auto_info, inband, rfc4733, info".into(),
        );
    }
    if let Some(t) = &input.transport
        && !["udp", "tcp", "tls", "udp,tcp"].contains(&t.as_str())
    {
        errors.push("Field 'sip_transport' must be one of: udp, tcp, tls, udp,tcp".into());
    }
    if let Some(n) = input.ringlength
        && n > 180
    {
        errors.push(format!(
            "Field 'fwd_ringlength' must be at most 180 (got {n})"
        ));
    }
    if !errors.is_empty() {
        let mut r = fail(errors.remove(0)).code(422);
        r.errors.extend(errors);
        return r;
    }

    // PHASE 5b: business rules (`validateEmployeeData`).
    let number = input.number.clone().unwrap_or_default();
    let own_id = current.as_ref().map(|x| x.id);
    let exts = call.app.read(super::extensions::all);
    // `number = :number: AND userid != :userid:` (the simulator also counts numbers of
    // queues / IVR / conferences as taken).
    let taken = |n: &str| {
        exts.iter()
            .any(|x| x.number == n && (own_id.is_none() || x.userid != own_id))
    };
    if taken(&number) {
        errors.push("Extension already occupied".into());
    }
    if let Some(secret) = input
        .secret
        .as_deref()
        .filter(|s| is_create || !php_empty(s))
    {
        if php_empty(secret) {
            errors.push("The SIP password can't be empty".into());
        } else {
            errors.extend(super::password::sip_secret_errors(secret));
        }
    }
    if let Some(email) = input.email.as_mut().filter(|e| !php_empty(e)) {
        if ["_@_._", "@", "_@_", "___@___.___"].contains(&email.as_str()) {
            email.clear();
        } else if !valid_email(email) {
            errors.push("Likely the email address is invalid".into());
        }
    }
    if let Some(m) = input.mobile.as_deref().filter(|m| !php_empty(m)) {
        if taken(m) {
            errors.push("The mobile number is already used by another employee".into());
        }
        if !valid_mobile(m) {
            errors.push("Check the correctness of entering the mobile number".into());
        }
    }
    if input.fwd[0].as_deref().is_some_and(|f| !php_empty(f)) {
        let ring = input.ringlength.unwrap_or(0);
        if !(3..=180).contains(&ring) {
            errors.push("In the routing settings, the time before forwarding is specified incorrectly. Choose a value between 3-180.".into());
        }
    }
    if input
        .fwd
        .iter()
        .flatten()
        .any(|f| !php_empty(f) && *f == number)
    {
        errors.push("You cannot set up forwarding to your own number".into());
    }
    if !errors.is_empty() {
        let mut r = fail(errors.remove(0)).code(422);
        r.errors.extend(errors);
        return r;
    }

    // PHASE 6: save.
    let mut e = current.clone().unwrap_or(Employee {
        id: 0,
        username: String::new(),
        email: String::new(),
        number: String::new(),
        mobile_number: String::new(),
        mobile_dialstring: String::new(),
        sip_secret: String::new(),
        sip_transport: "udp".into(),
        sip_dtmfmode: "auto".into(),
        sip_enable_recording: true,
        sip_networkfilterid: "none".into(),
        fwd_ringlength: 0,
        fwd_forwarding: String::new(),
        fwd_forwardingonbusy: String::new(),
        fwd_forwardingonunavailable: String::new(),
    });
    e.number = number;
    if let Some(u) = input.username {
        e.username = u;
    }
    if let Some(m) = input.email {
        e.email = m;
    }
    // saveSip(): isset() each.
    if let Some(n) = input.network {
        e.sip_networkfilterid = if n.is_empty() { "none".into() } else { n };
    }
    if let Some(s) = input.secret {
        e.sip_secret = s;
    }
    if let Some(d) = input.dtmf {
        e.sip_dtmfmode = d;
    }
    if let Some(t) = input.transport {
        e.sip_transport = t;
    }
    if let Some(r) = input.recording {
        e.sip_enable_recording = r;
    }
    // saveForwardingRights(): ringlength is always written.
    e.fwd_ringlength = match input.ringlength {
        Some(n) => n,
        None if input.fwd[0].as_deref().is_some_and(|f| !php_empty(f)) => 45,
        None => 0,
    };
    let [f1, f2, f3] = input.fwd;
    for (v, slot) in [
        (f1, &mut e.fwd_forwarding),
        (f2, &mut e.fwd_forwardingonbusy),
        (f3, &mut e.fwd_forwardingonunavailable),
    ] {
        if let Some(v) = v {
            *slot = if v == "-1" { String::new() } else { v };
        }
    }
    // Mobile: saved when non-empty, otherwise the EXTERNAL extension is deleted.
    match input.mobile.filter(|m| !php_empty(m)) {
        Some(m) => {
            let had_mobile = !e.mobile_number.is_empty();
            e.mobile_number = m;
            match input.dialstring.filter(|d| !d.is_empty()) {
                Some(d) => e.mobile_dialstring = d,
                // The simulator dials the number itself when no dial string was ever set.
                None if !had_mobile || e.mobile_dialstring.is_empty() => {
                    e.mobile_dialstring = e.mobile_number.clone();
                }
                None => {}
            }
        }
        None => {
            e.mobile_number.clear();
            e.mobile_dialstring.clear();
        }
    }
    let saved = call.app.write(|s| {
        if e.id == 0 {
            e.id = s.next_user_id;
            s.next_user_id += 1;
        }
        s.employees.insert(e.id, e.clone());
        e
    });
    // 201 on create, with `reload` pointing at the web form.
    let mut r = ApiResult::ok(call.action, processor, to_json(&saved, true));
    if is_create {
        r.reload = Some(format!("extensions/modify/{}", saved.id));
        r.code(201)
    } else {
        r.code(200)
    }
}

/// `Lib/Employees/DeleteRecordAction::main()`: a missing id is 422 (no httpCode) with
/// 'Employee not found (ID: <id>)'; success data is `{"deleted_id": "<id as in the URL>"}`.
fn delete(call: &Call<'_>) -> ApiResult {
    let processor = "MikoPBX\\PBXCoreREST\\Lib\\Employees\\DeleteRecordAction::main";
    let raw_id = call.route.id.clone().unwrap_or_default();
    let id = parse_id(call);
    let Some(e) = call.app.read(|s| s.employees.get(&id).cloned()) else {
        return ApiResult::fail(
            call.action,
            processor,
            format!("Employee not found (ID: {raw_id})"),
        );
    };
    // src/Common/Models/Extensions.php:initialize: queue MEMBERSHIP is ACTION_CASCADE (the
    // member rows go with the extension), but the number as a routing TARGET is
    // ACTION_RESTRICT: queue timeout / if-empty / if-unanswered / repeat-exceeded redirects,
    // IVR timeout and actions, incoming routes, other extensions' forwarding (and off-work
    // times, which the simulator has none of). ModelsBase::onValidationFails turns that into
    // '<div class="ui header">Logical integrity violation</div><ul class='list'>…', which
    // DeleteRecordAction maps to 409 (its 'ui header' check). The <li> items approximate
    // getRepresent(true) (the web-interface link is left out).
    let blockers = call.app.read(|s| restricting_records(s, &e));
    if !blockers.is_empty() {
        let items: String = blockers.iter().map(|b| format!("<li>{b}</li>")).collect();
        return ApiResult::fail(
            call.action,
            processor,
            format!(
                "<div class=\"ui header\">Logical integrity violation</div><ul class='list'>{items}</ul>"
            ),
        )
        .code(409);
    }
    // Cascade: the employee's numbers leave every queue's member list.
    let own: Vec<String> = [e.number.clone(), e.mobile_number.clone()]
        .into_iter()
        .filter(|n| !n.is_empty())
        .collect();
    call.app.write(|s| {
        for q in &mut s.call_queues {
            q.members.retain(|m| !own.contains(&m.extension));
        }
    });
    call.app.write(|s| s.employees.remove(&id));
    ApiResult::ok(call.action, processor, json!({"deleted_id": raw_id}))
}

/// Records that reference the employee's SIP number as a routing target (RESTRICT relations).
fn restricting_records(s: &Store, e: &Employee) -> Vec<String> {
    let n = e.number.as_str();
    let mut out = Vec::new();
    for q in &s.call_queues {
        for target in q.redirects() {
            if target.as_deref() == Some(n) {
                out.push(super::call_queues::queue_represent(q));
            }
        }
    }
    for r in s
        .incoming_routes
        .iter()
        .filter(|r| r.extension.as_deref() == Some(n))
    {
        out.push(super::incoming_routes::route_represent(r));
    }
    for m in &s.ivr_menus {
        let target = |v: &Option<String>| v.as_deref() == Some(n);
        let timeouts = usize::from(target(&m.timeout_extension));
        let actions = m.actions.iter().filter(|a| target(&a.extension)).count();
        for _ in 0..timeouts + actions {
            out.push(super::call_queues::ivr_represent(m));
        }
    }
    for other in s.employees.values().filter(|o| o.id != e.id) {
        for f in [
            &other.fwd_forwarding,
            &other.fwd_forwardingonbusy,
            &other.fwd_forwardingonunavailable,
        ] {
            if f == n {
                out.push(format!(
                    "<i class=\"icons\"><i class=\"user outline icon\"></i></i> {} <{}>",
                    other.username, other.number
                ));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_secrets_pass_the_password_service() {
        // PATCH re-validates the stored secret (the merged record carries it), so seeded
        // employees must have secrets a real PBX would accept.
        let store = crate::state::Store::fresh();
        for e in store.employees.values() {
            assert_eq!(
                super::super::password::sip_secret_errors(&e.sip_secret),
                Vec::<String>::new(),
                "{}",
                e.sip_secret
            );
        }
    }

    /// A default's generated secret is one the server's own create accepts, and the next number
    /// is the first free one of the PBX's extension length.
    #[test]
    fn new_employee_defaults_are_creatable() {
        let store = crate::state::Store::fresh();
        for _ in 0..50 {
            let d = new_employee_defaults(&next_free_number(&store), extension_length(&store));
            let secret = d["sip_secret"].as_str().unwrap();
            assert_eq!(secret.len(), 20);
            assert_eq!(
                super::super::password::sip_secret_errors(secret),
                Vec::<String>::new(),
                "{secret}"
            );
        }
        let taken: Vec<String> = super::super::extensions::all(&store)
            .into_iter()
            .map(|e| e.number)
            .collect();
        let next = next_free_number(&store);
        assert!(!taken.contains(&next) && next.len() == 3, "{next}");
    }

    #[test]
    fn sanitising_numbers_and_mobiles() {
        let p = |v: Value| match v {
            Value::Object(m) => m,
            _ => Map::new(),
        };
        let i = sanitize(&p(
            json!({"number": "1", "mobile_number": "+7 (916) 123-45-67",
                                   "user_username": "x".repeat(150), "sip_networkfilterid": "localhost"}),
        ));
        assert_eq!(i.number.as_deref(), Some("1"));
        assert_eq!(i.mobile.as_deref(), Some("79161234567"));
        assert_eq!(i.username.map(|u| u.chars().count()), Some(100));
        assert_eq!(i.network.as_deref(), Some(""));
        let i = sanitize(&p(json!({"number": "123456789"})));
        assert_eq!(i.number.as_deref(), Some("12345678"));
        let i = sanitize(&p(json!({"number": "12a"})));
        assert_eq!(i.number.as_deref(), Some("12"));
        let i = sanitize(&p(json!({"number": "abc", "fwd_ringlength": "30s"})));
        assert_eq!(i.number.as_deref(), Some(""));
        assert_eq!(i.ringlength, Some(30));
        assert!(valid_email("a.b@example.com"));
        assert!(
            !valid_email("a b@example.com") && !valid_email("ab@example") && !valid_email("@x.y")
        );
    }
}
