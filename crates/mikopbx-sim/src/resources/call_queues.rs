//! `call-queues` as `src/PBXCoreREST/Lib/CallQueues/*` serves it (release 2026.1.223 = develop
//! e26e6b9 for every file involved), over a typed `m_CallQueues` store ([`CallQueue`]).
//!
//! * `GET call-queues` (`GetListAction`): a bare array of `DataStructure::createForList()` rows
//!   `{id, extension, name, [description], represent, strategy, members:[{extension,
//!   represent}], search_index}`; `search` is SQL `LIKE '%term%'` on name / description, order
//!   `name|extension|id` (default `name ASC`), paging only with `limit` / `offset`.
//! * `GET call-queues/{id}` (`GetRecordAction`): `createFromModel()` with `*_represent` fields
//!   and members `{id, extension, priority, represent}` ('ERROR' for a number that does not
//!   exist); a missing id is 404 'Call queue not found'.
//! * `GET call-queues:getDefault`: `createFromSchema('detail')` with a fresh uniqid, the next
//!   free application number (2200100…) and `isNew: "1"`.
//! * `GET call-queues/{id}:copy` (`AbstractCopyRecordAction`): nothing is saved; the copy has a
//!   new uniqid, the next free application number, `copy of <name>` and the members with
//!   `id: ""`. A missing id is 422 `Call queue not found: <id>`.
//! * `DELETE call-queues/{id}` (`AbstractDeleteAction`): members, then the QUEUE extension
//!   (`Extensions::delete()` refuses with 409 and an HTML list when the number is a routing
//!   target elsewhere), then the queue; the number also leaves every other queue's members.
//! * POST / PUT / PATCH: [`save`].
//!
//! Types follow `formatBySchema()`: integers for the numeric settings (but `""` / `null` where
//! the column holds that), booleans for the three flags, strings for the rest. Keys come in the
//! PHP order, so records are rendered as [`PhpVal`].

mod numbers;
mod save;

use serde_json::{Value, json};

use super::php::{PhpVal, php_empty, php_int, php_string, search_term};
use super::text_fields::{normalize_search_index, number_parts, search_string};
use super::{Call, ordering};
use crate::envelope::ApiResult;
use crate::state::{CallQueue, QueueMember, Store};

pub(crate) use numbers::{
    SYSTEM_EXTENSIONS, ivr_represent, next_free_application_number, number_represent,
    queue_represent, renumber, restrict_list, standard_delete_answer, taken_numbers,
};
pub(crate) use save::{routing_pattern, sanitize_extension, valid_extension};

/// `MikoPBX\PBXCoreREST\Lib\CallQueues\<class>::main`.
fn processor(class: &str) -> String {
    format!("MikoPBX\\PBXCoreREST\\Lib\\CallQueues\\{class}::main")
}

pub(crate) fn handle(call: &Call<'_>) -> ApiResult {
    match call.action {
        "getList" => list(call),
        "getRecord" => get_record(call),
        "getDefault" => get_default(call),
        "copy" => copy(call),
        "delete" => delete(call),
        "create" => save::create(call),
        "update" => save::update(call),
        "patch" => save::patch(call),
        // CallQueuesManagementProcessor::callBack: `CallQueueAction::tryFrom()` failed.
        other => ApiResult::fail(
            other,
            "MikoPBX\\PBXCoreREST\\Lib\\CallQueuesManagementProcessor::callBack",
            format!(
                "Unknown action - {other} in MikoPBX\\PBXCoreREST\\Lib\\CallQueuesManagementProcessor"
            ),
        ),
    }
}

/// A successful result whose `data` keeps PHP key order.
fn ok(call: &Call<'_>, class: &str, data: &PhpVal) -> ApiResult {
    let mut r = ApiResult::ok(call.action, &processor(class), data.to_value());
    r.data_raw = Some(data.to_json());
    r
}

fn fail(call: &Call<'_>, class: &str, msg: impl Into<String>) -> ApiResult {
    ApiResult::fail(call.action, &processor(class), msg)
}

fn find<'s>(s: &'s Store, uniqid: &str) -> Option<&'s CallQueue> {
    s.call_queues.iter().find(|q| q.uniqid == uniqid)
}

fn route_id(call: &Call<'_>) -> String {
    call.route.id.clone().unwrap_or_default()
}

/// `ModelsBase::generateUniqueID('QUEUE')`: `QUEUE-` + `strtoupper(Random::hex(4))`.
fn generate_unique_id() -> String {
    format!("QUEUE-{}", crate::util::random_hex(4).to_uppercase())
}

// ---------------------------------------------------------------------------------------------
// Record shapes (src/PBXCoreREST/Lib/CallQueues/DataStructure.php)

/// PHP `is_numeric()` for a stored column value.
pub(crate) fn is_numeric(s: &str) -> bool {
    let t = s.trim_start_matches([' ', '\t', '\n', '\r', '\u{0b}', '\u{0c}']);
    let t = t.trim_end_matches([' ', '\t', '\n', '\r', '\u{0b}', '\u{0c}']);
    t.bytes().any(|b| b.is_ascii_digit())
        && t.bytes().all(|b| b"0123456789+-.eE".contains(&b))
        && t.parse::<f64>().is_ok()
}

/// `formatBySchema()` for an `integer` field: `(int)` when numeric, else the raw value.
pub(crate) fn int_field(v: &Option<String>) -> PhpVal {
    match v {
        Some(s) if is_numeric(s) => PhpVal::Int(php_int(&json!(s))),
        Some(s) => PhpVal::s(s.as_str()),
        None => PhpVal::Null,
    }
}

/// `formatBySchema()` for a `boolean` field: `in_array($v, ['1', 1, true, 'true'], true)`.
pub(crate) fn bool_field(v: &Option<String>) -> PhpVal {
    PhpVal::Bool(matches!(v.as_deref(), Some("1" | "true")))
}

/// A `string` field: `(string)` of the value, so NULL is `""`.
pub(crate) fn str_field(v: &Option<String>) -> PhpVal {
    PhpVal::s(v.clone().unwrap_or_default())
}

/// `createBaseStructure()` minus `uniqid`: id, extension, then name / description only when
/// the column is not NULL (`isset()`).
fn base(q: &CallQueue) -> Vec<(String, PhpVal)> {
    let mut o = vec![
        ("id".to_string(), PhpVal::s(q.uniqid.as_str())),
        ("extension".into(), str_field(&q.extension)),
    ];
    if let Some(n) = &q.name {
        o.push(("name".into(), PhpVal::s(n.as_str())));
    }
    if let Some(d) = &q.description {
        o.push(("description".into(), PhpVal::s(d.as_str())));
    }
    o
}

/// The members as `GetRecordAction` builds them: by priority, `{id, extension, priority,
/// represent}` with 'ERROR' for a number that is not an extension.
fn detail_members(s: &Store, q: &CallQueue, with_ids: bool) -> Vec<PhpVal> {
    let mut rows: Vec<&QueueMember> = q.members.iter().collect();
    rows.sort_by_key(|m| (m.priority, m.id));
    rows.iter()
        .map(|m| {
            PhpVal::Obj(vec![
                (
                    "id".into(),
                    PhpVal::s(if with_ids {
                        m.id.to_string()
                    } else {
                        String::new()
                    }),
                ),
                ("extension".into(), PhpVal::s(m.extension.as_str())),
                ("priority".into(), PhpVal::Int(m.priority)),
                (
                    "represent".into(),
                    PhpVal::s(number_represent(s, &m.extension).unwrap_or_else(|| "ERROR".into())),
                ),
            ])
        })
        .collect()
}

/// `DataStructure::createFromModel($model, $members)`.
fn detail(s: &Store, q: &CallQueue, members: Vec<PhpVal>) -> PhpVal {
    let mut o = base(q);
    let mut put = |k: &str, v: PhpVal| o.push((k.to_string(), v));
    put("strategy", str_field(&q.strategy));
    put(
        "seconds_to_ring_each_member",
        int_field(&q.seconds_to_ring_each_member),
    );
    put("seconds_for_wrapup", int_field(&q.seconds_for_wrapup));
    put(
        "recive_calls_while_on_a_call",
        bool_field(&q.recive_calls_while_on_a_call),
    );
    put("announce_position", bool_field(&q.announce_position));
    put("announce_hold_time", bool_field(&q.announce_hold_time));
    put("caller_hear", str_field(&q.caller_hear));
    put(
        "periodic_announce_frequency",
        int_field(&q.periodic_announce_frequency),
    );
    put(
        "timeout_to_redirect_to_extension",
        int_field(&q.timeout_to_redirect_to_extension),
    );
    put(
        "number_unanswered_calls_to_redirect",
        int_field(&q.number_unanswered_calls_to_redirect),
    );
    put(
        "number_repeat_unanswered_to_redirect",
        int_field(&q.number_repeat_unanswered_to_redirect),
    );
    put("callerid_prefix", str_field(&q.callerid_prefix));
    let names = [
        "timeout_extension",
        "redirect_to_extension_if_empty",
        "redirect_to_extension_if_unanswered",
        "redirect_to_extension_if_repeat_exceeded",
    ];
    for (name, value) in names.into_iter().zip(q.redirects()) {
        let number = value.clone().unwrap_or_default();
        let represent = number_represent(s, &number).unwrap_or_default();
        put(name, PhpVal::s(number));
        put(&format!("{name}_represent"), PhpVal::s(represent));
    }
    // `addSoundFileField()`: the simulator has no sound files, so `SoundFiles::findFirstById()`
    // finds nothing and the representation is '' (as on a PBX for an id that does not exist).
    for (name, value) in [
        ("periodic_announce_sound_id", &q.periodic_announce_sound_id),
        ("moh_sound_id", &q.moh_sound_id),
    ] {
        put(name, str_field(value));
        put(&format!("{name}_represent"), PhpVal::s(""));
    }
    put("members", PhpVal::List(members));
    PhpVal::Obj(o)
}

/// `DataStructure::createForList()`.
fn list_item(s: &Store, q: &CallQueue) -> PhpVal {
    let mut o = base(q);
    let name = q.name.clone().unwrap_or_default();
    let ext = q.extension.clone().unwrap_or_default();
    o.push((
        "represent".into(),
        PhpVal::s(format!("<i class=\"users icon\"></i> {name} <{ext}>")),
    ));
    o.push(("strategy".into(), str_field(&q.strategy)));
    let mut rows: Vec<&QueueMember> = q.members.iter().collect();
    rows.sort_by_key(|m| (m.priority, m.id));
    let members: Vec<(String, String)> = rows
        .iter()
        .map(|m| {
            (
                m.extension.clone(),
                number_represent(s, &m.extension).unwrap_or_default(),
            )
        })
        .collect();
    // `generateAutoSearchIndex()`: no `*_represent` keys here (`represent` has no underscore);
    // main fields name, extension, description (non-empty); then the members array.
    let mut parts: Vec<String> = Vec::new();
    for v in [&q.name, &q.extension, &q.description]
        .into_iter()
        .flatten()
    {
        let v = search_string(v);
        if !php_empty(&v) {
            parts.push(v);
        }
    }
    let mut member_parts: Vec<String> = Vec::new();
    for (ext, rep) in &members {
        member_parts.push(super::php::strip_tags(rep));
        member_parts.extend(number_parts(rep));
        member_parts.push(ext.clone());
        member_parts.push(format!("<{ext}>"));
    }
    member_parts.retain(|p| !php_empty(p));
    if !member_parts.is_empty() {
        parts.push(member_parts.join(" "));
    }
    o.push((
        "members".into(),
        PhpVal::List(
            members
                .into_iter()
                .map(|(e, r)| {
                    PhpVal::Obj(vec![
                        ("extension".into(), PhpVal::s(e)),
                        ("represent".into(), PhpVal::s(r)),
                    ])
                })
                .collect(),
        ),
    ));
    o.push((
        "search_index".into(),
        PhpVal::s(normalize_search_index(&parts.join(" "))),
    ));
    PhpVal::Obj(o)
}

// ---------------------------------------------------------------------------------------------
// Actions

/// SQLite `LIKE` (no ESCAPE): `%` any run, `_` one character, ASCII case-insensitive.
pub(crate) fn sqlite_like(hay: &str, pattern: &str) -> bool {
    let h: Vec<char> = hay.chars().collect();
    let p: Vec<char> = pattern.chars().collect();
    // dp[j]: pattern[..i] matches hay[..j]
    let mut dp = vec![false; h.len() + 1];
    dp[0] = true;
    for &pc in &p {
        let mut next = vec![false; h.len() + 1];
        match pc {
            '%' => {
                let mut any = false;
                for j in 0..=h.len() {
                    any |= dp[j];
                    next[j] = any;
                }
            }
            _ => {
                for j in 1..=h.len() {
                    next[j] = dp[j - 1] && (pc == '_' || h[j - 1].eq_ignore_ascii_case(&pc));
                }
            }
        }
        dp = next;
    }
    dp[h.len()]
}

/// `GetListAction::executeStandardListWithRelations()`.
fn list(call: &Call<'_>) -> ApiResult {
    let ctx = call.ctx;
    let data = call.app.read(|s| {
        let mut rows: Vec<&CallQueue> = s.call_queues.iter().collect();
        // applySearchFilters(['name', 'description']): `empty()`, then trim, then `empty()`.
        let term = search_term(ctx.params.get("search"));
        if let Some(t) = term {
            let pattern = format!("%{t}%");
            rows.retain(|q| {
                [&q.name, &q.description]
                    .into_iter()
                    .flatten()
                    .any(|v| sqlite_like(v, &pattern))
            });
        }
        // applyOrdering(['name', 'extension', 'id'], 'name ASC'): TEXT columns in byte order
        // (NULL first); ties stay in id order.
        let (field, desc) =
            ordering(ctx, &["name", "extension", "id"]).unwrap_or_else(|| ("name".into(), false));
        rows.sort_by(|a, b| {
            let o = match field.as_str() {
                "id" => a.id.cmp(&b.id),
                "extension" => a
                    .extension
                    .as_deref()
                    .map(str::as_bytes)
                    .cmp(&b.extension.as_deref().map(str::as_bytes)),
                _ => a
                    .name
                    .as_deref()
                    .map(str::as_bytes)
                    .cmp(&b.name.as_deref().map(str::as_bytes)),
            };
            if desc { o.reverse() } else { o }
        });
        // applyPagination(): only when `limit` or `offset` is set; (int) casts, limit ≤ 0 → 50,
        // capped at 1000, a negative offset → 0.
        let set = |k: &str| ctx.params.get(k).filter(|v| !v.is_null());
        if set("limit").is_some() || set("offset").is_some() {
            let limit = set("limit").map_or(50, php_int);
            let limit = if limit <= 0 { 50 } else { limit.min(1000) } as usize;
            let offset = set("offset").map_or(0, php_int).max(0) as usize;
            rows = rows.into_iter().skip(offset).take(limit).collect();
        }
        PhpVal::List(rows.into_iter().map(|q| list_item(s, q)).collect())
    });
    ok(call, "GetListAction", &data)
}

fn get_record(call: &Call<'_>) -> ApiResult {
    let id = route_id(call);
    match call
        .app
        .read(|s| find(s, &id).map(|q| detail(s, q, detail_members(s, q, true))))
    {
        Some(data) => ok(call, "GetRecordAction", &data),
        None => fail(call, "GetRecordAction", "Call queue not found").code(404),
    }
}

/// `GetDefaultAction::main()`: `createFromSchema('detail', {id, extension, isNew})`, i.e. the
/// detail schema's properties in order (request fields, then the read-only ones) with their
/// defaults (`default`, else the type's zero value).
fn get_default(call: &Call<'_>) -> ApiResult {
    let extension = call.app.read(next_free_application_number);
    let s = PhpVal::s;
    let data = PhpVal::Obj(
        [
            ("strategy", s("ringall")),
            ("name", s("")),
            ("extension", s(&extension)),
            ("description", s("")),
            ("seconds_to_ring_each_member", PhpVal::Int(15)),
            ("seconds_for_wrapup", PhpVal::Int(15)),
            ("recive_calls_while_on_a_call", PhpVal::Bool(false)),
            ("caller_hear", s("ringing")),
            ("announce_position", PhpVal::Bool(false)),
            ("announce_hold_time", PhpVal::Bool(false)),
            ("moh_sound_id", s("")),
            ("periodic_announce_sound_id", s("")),
            ("periodic_announce_frequency", PhpVal::Int(0)),
            ("timeout_to_redirect_to_extension", PhpVal::Int(0)),
            ("timeout_extension", s("")),
            ("redirect_to_extension_if_empty", s("")),
            ("redirect_to_extension_if_unanswered", s("")),
            ("number_unanswered_calls_to_redirect", PhpVal::Int(3)),
            ("redirect_to_extension_if_repeat_exceeded", s("")),
            ("number_repeat_unanswered_to_redirect", PhpVal::Int(3)),
            ("callerid_prefix", s("")),
            ("members", PhpVal::List(Vec::new())),
            ("id", s(&generate_unique_id())),
            ("timeout_extension_represent", s("")),
            ("redirect_to_extension_if_empty_represent", s("")),
            ("redirect_to_extension_if_unanswered_represent", s("")),
            ("redirect_to_extension_if_repeat_exceeded_represent", s("")),
            ("periodic_announce_sound_id_represent", s("")),
            ("moh_sound_id_represent", s("")),
            ("isNew", s("1")),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect(),
    );
    ok(call, "GetDefaultAction", &data)
}

/// `CopyRecordAction::main()` → `AbstractCopyRecordAction::executeStandardCopy()`.
fn copy(call: &Call<'_>) -> ApiResult {
    let id = route_id(call);
    let data = call.app.read(|s| {
        let src = find(s, &id)?;
        let name = match &src.name {
            Some(n) if !php_empty(n) => Some(format!("copy of {n}")),
            other => other.clone(),
        };
        let copy = CallQueue {
            id: 0,
            uniqid: generate_unique_id(),
            extension: Some(next_free_application_number(s)),
            name,
            members: Vec::new(),
            ..src.clone()
        };
        Some(detail(s, &copy, detail_members(s, src, false)))
    });
    match data {
        Some(d) => ok(call, "CopyRecordAction", &d),
        None => fail(
            call,
            "CopyRecordAction",
            format!("Call queue not found: {id}"),
        ),
    }
}

/// `DeleteRecordAction::main()` → `AbstractDeleteAction::executeStandardDelete()`.
fn delete(call: &Call<'_>) -> ApiResult {
    let id = route_id(call);
    let Some(q) = call.app.read(|s| find(s, &id).cloned()) else {
        return fail(
            call,
            "DeleteRecordAction",
            format!("Call queue not found (ID: {id})"),
        )
        .code(404);
    };
    let number = q.extension.clone().filter(|e| !php_empty(e));
    if let Some(n) = &number {
        let blockers = call.app.read(|s| restrict_list(s, n));
        if !blockers.is_empty() {
            let items: String = blockers.iter().map(|b| format!("<li>{b}</li>")).collect();
            // handleDeleteError(): 'ui header' marks a constraint violation → 409.
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
    call.app.write(|s| {
        s.call_queues.retain(|x| x.uniqid != q.uniqid);
        // The QUEUE extension's CASCADE relation CallQueueMembers: the number leaves every
        // other queue's member list too.
        if let Some(n) = &number {
            for other in &mut s.call_queues {
                other.members.retain(|m| &m.extension != n);
            }
        }
    });
    let data = standard_delete_answer(q.members.len(), "queue member", number.is_some());
    ok(call, "DeleteRecordAction", &data).code(200)
}

/// A state.json written before call queues had a typed store keeps them as loose JSON under
/// `records["call-queues"]`: move them over.
pub(crate) fn migrate_legacy(s: &mut Store) {
    let Some(old) = s.records.remove("call-queues") else {
        return;
    };
    if !s.call_queues.is_empty() {
        return;
    }
    let st = |r: &Value, k: &str| r.get(k).and_then(php_string);
    for r in old {
        let id = s.next_queue_id.max(1);
        s.next_queue_id = id + 1;
        let mut q = CallQueue {
            id,
            uniqid: st(&r, "id").unwrap_or_default(),
            ..CallQueue::default()
        };
        q.name = st(&r, "name");
        q.extension = st(&r, "extension");
        q.strategy = st(&r, "strategy");
        q.seconds_to_ring_each_member = st(&r, "seconds_to_ring_each_member");
        q.timeout_extension = st(&r, "timeout_extension");
        q.moh_sound_id = st(&r, "moh_sound_id");
        q.description = st(&r, "description");
        for m in r
            .get("members")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let mid = s.next_queue_member_id.max(1);
            s.next_queue_member_id = mid + 1;
            q.members.push(QueueMember {
                id: mid,
                extension: st(m, "extension").unwrap_or_default(),
                priority: m.get("priority").map_or(0, php_int),
            });
        }
        s.call_queues.push(q);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_like_and_is_numeric() {
        assert!(sqlite_like("Sales department", "%DEPART%"));
        assert!(sqlite_like("abc", "%a_c%"));
        assert!(!sqlite_like("abc", "%abd%"));
        assert!(sqlite_like("x", "%%"));
        assert!(is_numeric("15") && is_numeric(" 3") && !is_numeric("") && !is_numeric("inf"));
    }

    #[test]
    fn seeded_list_row_matches_the_php_shape() {
        let s = Store::fresh();
        let q = find(&s, "QUEUE-1A2B3C41").unwrap();
        let row = list_item(&s, q).to_json();
        assert!(
            row.starts_with(r#"{"id":"QUEUE-1A2B3C41","extension":"2001","name":"Sales","description":"Sales department","represent":"<i class=\"users icon\"><\/i> Sales <2001>","strategy":"ringall","members":[{"extension":"201","represent":"<i class=\"icons\"><i class=\"user outline icon\"><\/i><\/i> Alexey Ivanov <201>"}"#),
            "{row}"
        );
        assert!(
            row.ends_with(r#""search_index":"sales 2001 sales department alexey ivanov 201 <201> 201 <201> maria petrova 202 <202> 202 <202> ivan smirnov 203 <203> 203 <203>"}"#),
            "{row}"
        );
    }

    #[test]
    fn legacy_state_moves_to_the_typed_store() {
        let mut s = Store::default();
        s.records.insert(
            "call-queues".into(),
            vec![
                json!({"id": "QUEUE-00AA", "name": "Old", "extension": "2444",
                        "members": [{"extension": "201", "priority": 2}]}),
            ],
        );
        migrate_legacy(&mut s);
        assert!(!s.records.contains_key("call-queues"));
        let q = find(&s, "QUEUE-00AA").unwrap();
        assert_eq!((q.id, q.extension.as_deref()), (1, Some("2444")));
        assert_eq!(q.members[0].priority, 2);
        assert_eq!((s.next_queue_id, s.next_queue_member_id), (2, 2));
    }
}
