//! `employees`: the write path for users and their SIP extensions (mikopbx-api.md §5,
//! `Lib/Employees/*`).
//!
//! List shape: `data = {"data":[…],"recordsTotal":N,"recordsFiltered":M}`; ordering is read
//! from `order_by` / `order_direction` only (`Lib/Employees/GetListAction.php`). Creating an
//! employee creates its SIP extension (and an EXTERNAL one for a mobile number).
//!
//! Validation follows `Lib/Employees/SaveRecordAction.php`: `user_username`, `number`
//! (digits) and, on create only, `sip_secret` are required, with the English texts of
//! `ex_ValidateUsernameEmpty`, `ex_ValidateNumberIsEmpty`, `ex_ValidateExtensionNumber`,
//! `ex_ValidateSecretEmpty` (`src/Common/Messages/en/Extensions.php`); then schema (2–8 digit
//! number, mobile pattern, transport enum) and business rules (uniqueness, email), whose
//! texts are the simulator's. Statuses: 422 for validation, 201 on create (with `reload`), 200
//! with `httpCode` on update, 404 on PUT/PATCH of a missing record, 409 when a delete would
//! break a reference (a queue member).

use serde_json::{Map, Value, json};

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
                None => call.fail(format!("Employee with ID {id} not found")),
            }
        }
        "getDefault" => {
            let number = call.app.read(next_free_number);
            call.ok(json!({"id": "", "number": number, "user_username": "", "user_email": "", "mobile_number": "",
                           "sip_secret": crate::util::random_hex(8), "sip_transport": "udp,tcp", "sip_dtmfmode": "auto",
                           "sip_enableRecording": true, "sip_networkfilterid": "none", "fwd_ringlength": 45}))
        }
        "create" => save(call, None, true),
        "update" => save(call, Some(parse_id(call)), true),
        "patch" => save(call, Some(parse_id(call)), false),
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

fn next_free_number(s: &Store) -> String {
    let taken: Vec<String> = super::extensions::all(s)
        .into_iter()
        .map(|e| e.number)
        .collect();
    (201..100_000)
        .map(|n: u32| n.to_string())
        .find(|n| !taken.contains(n))
        .unwrap_or_default()
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

fn text(params: &Map<String, Value>, key: &str) -> Option<String> {
    match params.get(key)? {
        Value::String(s) => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn valid_mobile(m: &str) -> bool {
    // ^\+?[1-9]\d{1,14}$
    let digits = m.strip_prefix('+').unwrap_or(m);
    (2..=15).contains(&digits.len())
        && digits.chars().all(|c| c.is_ascii_digit())
        && !digits.starts_with('0')
}

fn save(call: &Call<'_>, id: Option<u64>, full: bool) -> ApiResult {
    let p = &call.ctx.params;
    if call.ctx.bad_json {
        return call.fail("Invalid JSON in request body").code(400);
    }
    let existing = match id {
        Some(id) => match call.app.read(|s| s.employees.get(&id).cloned()) {
            Some(e) => Some(e),
            None => return call.fail("Employee not found").code(404),
        },
        None => None,
    };
    // PUT / POST replace everything (required fields must be present); PATCH keeps what is
    // not sent (`isset()` semantics).
    let base = existing.clone().unwrap_or(Employee {
        id: 0,
        username: String::new(),
        email: String::new(),
        number: String::new(),
        mobile_number: String::new(),
        mobile_dialstring: String::new(),
        sip_secret: String::new(),
        sip_transport: "udp,tcp".into(),
        sip_dtmfmode: "auto".into(),
        sip_enable_recording: true,
        sip_networkfilterid: "none".into(),
        fwd_ringlength: 45,
        fwd_forwarding: String::new(),
        fwd_forwardingonbusy: String::new(),
        fwd_forwardingonunavailable: String::new(),
    });
    // `SaveRecordAction` applies defaults on CREATE only and saves with `isset()`, so a PUT
    // keeps fields it does not send; it only insists on the required ones (below).
    let pick = |key: &str, old: &str| text(p, key).unwrap_or_else(|| old.to_string());
    if full && existing.is_some() {
        let mut missing = Vec::new();
        if text(p, "user_username").is_none_or(|s| s.is_empty()) {
            missing.push("Enter username".to_string());
        }
        if text(p, "number").is_none_or(|s| s.is_empty()) {
            missing.push("Employee internal number is not filled in".to_string());
        }
        if !missing.is_empty() {
            let mut r = call.fail(missing.remove(0));
            r.errors.extend(missing);
            return r;
        }
    }
    let mut e = base.clone();
    e.number = pick("number", &base.number);
    e.username = pick("user_username", &base.username);
    e.email = pick("user_email", &base.email);
    e.mobile_number = pick("mobile_number", &base.mobile_number);
    e.mobile_dialstring = text(p, "mobile_dialstring").unwrap_or_else(|| e.mobile_number.clone());
    e.sip_secret = pick("sip_secret", &base.sip_secret);
    if let Some(t) = text(p, "sip_transport") {
        e.sip_transport = t;
    }
    if let Some(t) = text(p, "sip_dtmfmode") {
        e.sip_dtmfmode = t;
    }
    if let Some(t) = text(p, "sip_networkfilterid") {
        e.sip_networkfilterid = t;
    }
    if let Some(b) = call.ctx.bool("sip_enableRecording") {
        e.sip_enable_recording = b;
    }
    if let Some(n) = call.ctx.int("fwd_ringlength") {
        e.fwd_ringlength = n;
    }
    for (key, slot) in [
        ("fwd_forwarding", &mut e.fwd_forwarding),
        ("fwd_forwardingonbusy", &mut e.fwd_forwardingonbusy),
        (
            "fwd_forwardingonunavailable",
            &mut e.fwd_forwardingonunavailable,
        ),
    ] {
        if let Some(v) = text(p, key) {
            *slot = v;
        }
    }

    let mut errors = Vec::new();
    if !(2..=8).contains(&e.number.len()) || !e.number.chars().all(|c| c.is_ascii_digit()) {
        errors.push(if e.number.is_empty() {
            "Employee internal number is not filled in".to_string()
        } else if !e.number.chars().all(|c| c.is_ascii_digit()) {
            "Extension number must only consist of numbers".to_string()
        } else {
            "Field 'number' must be 2 to 8 digits".to_string()
        });
    }
    if e.username.is_empty() {
        errors.push("Enter username".to_string());
    } else if e.username.chars().count() > 100 {
        errors.push("Field 'user_username' is too long".to_string());
    }
    if e.sip_secret.is_empty() {
        errors.push("The SIP password can't be empty".to_string());
    }
    if !e.mobile_number.is_empty() && !valid_mobile(&e.mobile_number) {
        errors.push("Field 'mobile_number' must match ^\\+?[1-9]\\d{1,14}$".to_string());
    }
    if !(e.email.is_empty() || e.email.contains('@') && e.email.contains('.')) {
        errors.push("Field 'user_email' must be a valid email address".to_string());
    }
    if !["udp", "tcp", "tls", "udp,tcp"].contains(&e.sip_transport.as_str()) {
        errors.push("Field 'sip_transport' must be one of udp, tcp, tls, udp,tcp".to_string());
    }
    if !errors.is_empty() {
        let mut r = call.fail(errors.remove(0));
        r.errors.extend(errors);
        return r;
    }
    let own_id = existing.as_ref().map(|x| x.id);
    let conflict = call.app.read(|s| {
        super::extensions::all(s).into_iter().find(|x| {
            let clash = x.number == e.number
                || (!e.mobile_number.is_empty() && x.number == e.mobile_number);
            clash && (own_id.is_none() || x.userid != own_id)
        })
    });
    if let Some(x) = conflict {
        return call.fail(format!("Extension number {} is already taken", x.number));
    }
    let saved = call.app.write(|s| {
        if e.id == 0 {
            e.id = s.next_user_id;
            s.next_user_id += 1;
        }
        s.employees.insert(e.id, e.clone());
        e
    });
    // 201 on create, with `reload` pointing at the web form (`Lib/Employees/SaveRecordAction`).
    let mut r = call.ok(to_json(&saved, true));
    if id.is_none() {
        r.reload = Some(format!("extensions/modify/{}", saved.id));
        r.code(201)
    } else {
        r.code(200)
    }
}

fn delete(call: &Call<'_>) -> ApiResult {
    let id = parse_id(call);
    let Some(e) = call.app.read(|s| s.employees.get(&id).cloned()) else {
        return call.fail("Employee not found").code(404);
    };
    // A delete that would leave a queue pointing at a missing extension is a constraint
    // violation: 409 (mikopbx-api.md §4).
    let used_in = call.app.read(|s| {
        s.records
            .get("call-queues")
            .into_iter()
            .flatten()
            .find_map(|q| {
                let members = q.get("members")?.as_array()?;
                members
                    .iter()
                    .any(|m| m.get("extension").and_then(Value::as_str) == Some(e.number.as_str()))
                    .then(|| {
                        q.get("name")
                            .and_then(Value::as_str)
                            .unwrap_or("")
                            .to_string()
                    })
            })
    });
    if let Some(queue) = used_in {
        return call
            .fail(format!(
                "Extension {} is a member of call queue '{queue}'",
                e.number
            ))
            .code(409);
    }
    call.app.write(|s| s.employees.remove(&id));
    call.ok(json!({"id": id.to_string(), "deleted": true}))
}
