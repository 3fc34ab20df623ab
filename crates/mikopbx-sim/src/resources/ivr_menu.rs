//! `ivr-menu` as `src/PBXCoreREST/Lib/IvrMenu/*` serves it (mikopbx/Core develop e26e6b9; the
//! release tag 2026.1.223 has the same files, the controller, the processor and the two models
//! unchanged), over a typed `m_IvrMenu` / `m_IvrMenuActions` store ([`IvrMenu`]) and the menus'
//! `IVR MENU` rows of `m_Extensions` ([`crate::state::IvrNumber`]).
//!
//! * `GET ivr-menu` (`GetListAction` → `executeStandardList`): a bare array of
//!   `DataStructure::createForList()` rows `{id, extension, name, description, represent,
//!   timeout, number_of_repeat, timeout_extension, timeout_extension_represent,
//!   timeoutExtensionRepresent, actions:[{digits, represent}], search_index}`; `search` is SQL
//!   `LIKE '%term%'` on name / description, order `name|extension|id` (default `name ASC`),
//!   paging only with `limit` / `offset`.
//! * `GET ivr-menu/{id}` (`GetRecordAction`): `createFromModel($menu, $actions)` plus `isNew:
//!   "0"`; actions `{id, digits, extension, extension_represent}` ('' for a number that is not
//!   an extension). A missing id is **422** 'IVR menu not found': the action sets no httpCode
//!   (unlike conference rooms and call queues).
//! * `GET ivr-menu:getDefault` (`GetDefaultAction`): a literal array of strings (`timeout`
//!   "7", `number_of_repeat` "3", `allow_enter_any_internal_extension` "0"), with a fresh
//!   `IVR-` uniqid, the next free application number, `isNew` "1" and `represent` 'New IVR
//!   Menu'; no schema formatting.
//! * `GET ivr-menu/{id}:copy` (`AbstractCopyRecordAction::executeStandardCopy`): nothing is
//!   saved; a new uniqid, the next free number, `copy of <name>`, the actions with `id: ""`. A
//!   missing id is 422 `IVR menu not found: <id>`.
//! * `DELETE ivr-menu/{id}` (`AbstractDeleteAction::executeStandardDelete` with the actions
//!   removed first): the menu's extension (`Extensions::delete()` refuses with 409 and an HTML
//!   list when the number is a routing target elsewhere), then the menu; `data =
//!   {deleted_count, deleted_type: "IVR menu action", deleted_extension: true}`. A missing id is
//!   404 with the untranslated key: `api_IvrMenuNotFound (ID: <id>)`.
//! * POST / PUT: `SaveRecordAction`; PATCH: the separate `PatchAction`. See [`save`].
//!
//! Types follow `formatBySchema()`: `timeout` and `number_of_repeat` integers (the raw value
//! when not numeric), `allow_enter_any_internal_extension` a boolean, everything else strings;
//! action items are not converted (their schema is a `$ref`). Keys come in the PHP order, so
//! records are rendered as [`PhpVal`]. The simulator has no sound files, so
//! `audio_message_id_represent` is always '' (as on a PBX for an id that does not exist).

mod save;

use std::collections::HashSet;

use serde_json::Value;

use super::call_queues::{
    bool_field, int_field, ivr_represent, next_free_application_number, number_represent,
    restrict_list, sqlite_like, standard_delete_answer, str_field,
};
use super::php::{PhpVal, php_empty, php_int, php_string, search_term, strip_tags};
use super::text_fields::{normalize_search_index, number_parts, search_string};
use super::{Call, ordering};
use crate::envelope::ApiResult;
use crate::state::{IvrMenu, IvrMenuAction, IvrNumber, Store};

/// `MikoPBX\PBXCoreREST\Lib\IvrMenu\<class>::main`.
fn processor(class: &str) -> String {
    format!("MikoPBX\\PBXCoreREST\\Lib\\IvrMenu\\{class}::main")
}

/// `MikoPBX\PBXCoreREST\Lib\IvrMenuManagementProcessor`.
const MANAGEMENT_PROCESSOR: &str = "MikoPBX\\PBXCoreREST\\Lib\\IvrMenuManagementProcessor";

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
        other => ApiResult::fail(
            other,
            &format!("{MANAGEMENT_PROCESSOR}::callBack"),
            format!("Unknown action - {other} in {MANAGEMENT_PROCESSOR}"),
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

fn find<'s>(s: &'s Store, uniqid: &str) -> Option<&'s IvrMenu> {
    s.ivr_menus.iter().find(|m| m.uniqid == uniqid)
}

fn route_id(call: &Call<'_>) -> String {
    call.route.id.clone().unwrap_or_default()
}

/// `IvrMenu::generateUniqueID(Extensions::PREFIX_IVR)`: `IVR-` + `strtoupper(Random::hex(4))`.
fn generate_unique_id() -> String {
    format!("IVR-{}", crate::util::random_hex(4).to_uppercase())
}

/// `getExtensionRepresentation()`: '' for an empty number or one that is not an extension.
fn extension_represent(s: &Store, n: Option<&str>) -> String {
    n.filter(|n| !php_empty(n))
        .and_then(|n| number_represent(s, n))
        .unwrap_or_default()
}

// ---------------------------------------------------------------------------------------------
// Record shapes (src/PBXCoreREST/Lib/IvrMenu/DataStructure.php)

/// How `createFromModel()` gets the actions.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Actions {
    /// `GetRecordAction`: an array built from the rows (ids as strings), represented through
    /// `Extensions::findFirstByNumber()` ('' when there is none).
    Record,
    /// `CopyRecordAction`: the same with `id: ""`.
    Copy,
    /// The answer of a save: `$model->IvrMenuActions` (the relation), 'ERROR' for a number that
    /// is not an extension.
    Saved,
}

/// The rows as the queries fetch them (`order: digits ASC`, SQLite: NULL first, then byte
/// order), then PHP's stable `usort` on `(int)digits` (so `*` and `#` count as 0).
fn sorted_actions(m: &IvrMenu) -> Vec<&IvrMenuAction> {
    let mut rows: Vec<&IvrMenuAction> = m.actions.iter().collect();
    rows.sort_by(|a, b| {
        a.digits
            .as_deref()
            .map(str::as_bytes)
            .cmp(&b.digits.as_deref().map(str::as_bytes))
    });
    let int = |a: &IvrMenuAction| a.digits.as_deref().map_or(0, |d| php_int(&Value::from(d)));
    rows.sort_by_key(|a| int(a));
    rows
}

fn detail_actions(s: &Store, m: &IvrMenu, mode: Actions) -> Vec<PhpVal> {
    sorted_actions(m)
        .into_iter()
        .map(|a| {
            let (digits, extension, represent) = if mode == Actions::Saved {
                let represent = a
                    .extension
                    .as_deref()
                    .and_then(|n| number_represent(s, n))
                    .unwrap_or_else(|| "ERROR".into());
                let opt = |v: &Option<String>| v.clone().map_or(PhpVal::Null, PhpVal::Str);
                (opt(&a.digits), opt(&a.extension), represent)
            } else {
                let ext = a.extension.clone().unwrap_or_default();
                let represent = extension_represent(s, Some(&ext));
                (str_field(&a.digits), PhpVal::s(ext), represent)
            };
            let id = if mode == Actions::Copy {
                String::new()
            } else {
                a.id.to_string()
            };
            PhpVal::Obj(vec![
                ("id".into(), PhpVal::s(id)),
                ("digits".into(), digits),
                ("extension".into(), extension),
                ("extension_represent".into(), PhpVal::s(represent)),
            ])
        })
        .collect()
}

/// `createBaseStructure()` with `id` = the uniqid and `uniqid` removed: id, extension, then
/// name / description only when the column is not NULL (`isset()`).
fn base(m: &IvrMenu) -> Vec<(String, PhpVal)> {
    let mut o = vec![
        ("id".to_string(), PhpVal::s(m.uniqid.as_str())),
        ("extension".into(), str_field(&m.extension)),
    ];
    if let Some(n) = &m.name {
        o.push(("name".into(), PhpVal::s(n.as_str())));
    }
    if let Some(d) = &m.description {
        o.push(("description".into(), PhpVal::s(d.as_str())));
    }
    o
}

/// `DataStructure::createFromModel()`, formatted by the detail schema.
fn detail(s: &Store, m: &IvrMenu, mode: Actions) -> Vec<(String, PhpVal)> {
    let mut o = base(m);
    let mut put = |k: &str, v: PhpVal| o.push((k.to_string(), v));
    put("timeout", int_field(&m.timeout));
    put("number_of_repeat", int_field(&m.number_of_repeat));
    put(
        "allow_enter_any_internal_extension",
        bool_field(&m.allow_enter_any_internal_extension),
    );
    put("timeout_extension", str_field(&m.timeout_extension));
    put(
        "timeout_extension_represent",
        PhpVal::s(extension_represent(s, m.timeout_extension.as_deref())),
    );
    put("audio_message_id", str_field(&m.audio_message_id));
    put("audio_message_id_represent", PhpVal::s(""));
    put("actions", PhpVal::List(detail_actions(s, m, mode)));
    let index = auto_search_index(&o);
    o.push(("search_index".into(), PhpVal::s(index)));
    o
}

/// `DataStructure::createForList()`, formatted by the list schema.
fn list_item(s: &Store, m: &IvrMenu) -> PhpVal {
    let mut o = base(m);
    let represent = extension_represent(s, m.timeout_extension.as_deref());
    let actions = sorted_actions(m)
        .into_iter()
        .map(|a| {
            let r = a
                .extension
                .as_deref()
                .and_then(|n| number_represent(s, n))
                .unwrap_or_else(|| "ERROR".into());
            PhpVal::Obj(vec![
                (
                    "digits".into(),
                    a.digits.clone().map_or(PhpVal::Null, PhpVal::Str),
                ),
                ("represent".into(), PhpVal::s(r)),
            ])
        })
        .collect();
    let mut put = |k: &str, v: PhpVal| o.push((k.to_string(), v));
    put("represent", PhpVal::s(ivr_represent(m)));
    put("timeout", int_field(&m.timeout));
    put("number_of_repeat", int_field(&m.number_of_repeat));
    put("timeout_extension", str_field(&m.timeout_extension));
    // `getExtensionRepresentation()` and `$model->TimeoutExtensions?->getRepresent() ?? ''`:
    // the same text by two routes.
    put("timeout_extension_represent", PhpVal::s(represent.as_str()));
    put("timeoutExtensionRepresent", PhpVal::s(represent));
    put("actions", PhpVal::List(actions));
    let index = auto_search_index(&o);
    o.push(("search_index".into(), PhpVal::s(index)));
    PhpVal::Obj(o)
}

/// `SearchIndexTrait::valueToSearchString()`.
fn search_value(v: &PhpVal) -> String {
    match v {
        PhpVal::Null => String::new(),
        PhpVal::Bool(b) => if *b { "true" } else { "false" }.into(),
        PhpVal::Int(n) => search_string(&n.to_string()),
        PhpVal::Str(s) => search_string(s),
        PhpVal::List(items) => items.iter().map(search_value).collect::<Vec<_>>().join(" "),
        PhpVal::Obj(fields) => fields
            .iter()
            .map(|(_, v)| search_value(v))
            .collect::<Vec<_>>()
            .join(" "),
    }
}

/// `SearchIndexTrait::processArrayForSearch()`.
fn array_search_parts(items: &[PhpVal]) -> String {
    let mut parts: Vec<String> = Vec::new();
    for item in items {
        let PhpVal::Obj(fields) = item else {
            parts.push(search_value(item));
            continue;
        };
        let get = |k: &str| {
            fields
                .iter()
                .find(|(n, v)| n == k && *v != PhpVal::Null)
                .map(|(_, v)| v)
        };
        if let Some(PhpVal::Str(r)) = get("represent") {
            parts.push(strip_tags(r));
            parts.extend(number_parts(r));
        }
        // `$parts[] = $item['extension']; $parts[] = '<' . $item['extension'] . '>';`
        if let Some(e) = get("extension") {
            let e = match e {
                PhpVal::Str(s) => s.clone(),
                PhpVal::Int(n) => n.to_string(),
                other => search_value(other),
            };
            let bracketed = format!("<{e}>");
            parts.push(e);
            parts.push(bracketed);
        }
        for (k, v) in fields {
            if k != "represent" && k != "extension" && matches!(v, PhpVal::Str(s) if !php_empty(s))
            {
                parts.push(search_value(v));
            }
        }
    }
    parts.retain(|p| !php_empty(p));
    parts.join(" ")
}

/// `SearchIndexTrait::generateAutoSearchIndex()`: the `*_represent` texts, then name,
/// extension, description (… when they have no `_represent`), then the arrays.
pub(crate) fn auto_search_index(data: &[(String, PhpVal)]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut processed: HashSet<&str> = HashSet::new();
    for (k, v) in data {
        if let (Some(base), PhpVal::Str(s)) = (k.strip_suffix("_represent"), v)
            && !php_empty(s)
        {
            let clean = strip_tags(s);
            if !php_empty(&clean) {
                parts.push(clean);
                processed.insert(base);
            }
        }
    }
    for field in [
        "name",
        "extension",
        "description",
        "number",
        "username",
        "email",
    ] {
        if processed.contains(field) {
            continue;
        }
        if let Some((_, v)) = data.iter().find(|(k, v)| k == field && *v != PhpVal::Null) {
            let value = search_value(v);
            if !php_empty(&value) {
                parts.push(value);
                processed.insert(field);
            }
        }
    }
    for (k, v) in data {
        if let PhpVal::List(items) = v
            && !processed.contains(k.as_str())
        {
            let joined = array_search_parts(items);
            if !php_empty(&joined) {
                parts.push(joined);
            }
        }
    }
    normalize_search_index(&parts.join(" "))
}

// ---------------------------------------------------------------------------------------------
// Reads

/// `GetListAction::main()` → `executeStandardList(IvrMenu, …, order [name, extension, id],
/// search [name, description], 'name ASC')`.
fn list(call: &Call<'_>) -> ApiResult {
    let ctx = call.ctx;
    let data = call.app.read(|s| {
        let mut rows: Vec<&IvrMenu> = s.ivr_menus.iter().collect();
        if let Some(t) = search_term(ctx.params.get("search")) {
            let pattern = format!("%{t}%");
            rows.retain(|m| {
                [&m.name, &m.description]
                    .into_iter()
                    .flatten()
                    .any(|v| sqlite_like(v, &pattern))
            });
        }
        // TEXT columns in byte order (NULL first); ties stay in id order.
        let (field, desc) =
            ordering(ctx, &["name", "extension", "id"]).unwrap_or_else(|| ("name".into(), false));
        rows.sort_by(|a, b| {
            let text = |m: &IvrMenu| match field.as_str() {
                "extension" => m.extension.clone(),
                _ => m.name.clone(),
            };
            let o = if field == "id" {
                a.id.cmp(&b.id)
            } else {
                text(a)
                    .as_deref()
                    .map(str::as_bytes)
                    .cmp(&text(b).as_deref().map(str::as_bytes))
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
        PhpVal::List(rows.into_iter().map(|m| list_item(s, m)).collect())
    });
    ok(call, "GetListAction", &data)
}

/// `GetRecordAction::main()`: `findRecordById()` (uniqid, or the integer id, which the route's
/// `IVR-` pattern never lets through), then `isNew: "0"` after the formatting.
fn get_record(call: &Call<'_>) -> ApiResult {
    let id = route_id(call);
    let data = call
        .app
        .read(|s| find(s, &id).map(|m| detail(s, m, Actions::Record)));
    match data {
        Some(mut o) => {
            o.push(("isNew".into(), PhpVal::s("0")));
            ok(call, "GetRecordAction", &PhpVal::Obj(o))
        }
        // No httpCode: 422.
        None => fail(call, "GetRecordAction", "IVR menu not found"),
    }
}

/// `GetDefaultAction::main()`: a literal array, strings only.
fn get_default(call: &Call<'_>) -> ApiResult {
    let extension = call.app.read(next_free_application_number);
    let s = |v: &str| PhpVal::s(v);
    let data = PhpVal::Obj(
        [
            ("id", s(&generate_unique_id())),
            ("extension", s(&extension)),
            ("name", s("")),
            ("audio_message_id", s("")),
            ("timeout", s("7")),
            ("timeout_extension", s("")),
            ("allow_enter_any_internal_extension", s("0")),
            ("number_of_repeat", s("3")),
            ("description", s("")),
            ("actions", PhpVal::List(Vec::new())),
            ("isNew", s("1")),
            ("represent", s("New IVR Menu")),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect(),
    );
    ok(call, "GetDefaultAction", &data)
}

/// `CopyRecordAction::main()` → `executeStandardCopy()`: a new `IvrMenu` (model defaults) with
/// a new uniqid and number, the copied columns (`name` prefixed when not empty) and the source's
/// actions with `id: ""`.
fn copy(call: &Call<'_>) -> ApiResult {
    let id = route_id(call);
    let data = call.app.read(|s| {
        let src = find(s, &id)?;
        let name = match &src.name {
            Some(n) if !php_empty(n) => Some(format!("copy of {n}")),
            other => other.clone(),
        };
        let copy = IvrMenu {
            id: 0,
            uniqid: generate_unique_id(),
            extension: Some(next_free_application_number(s)),
            name,
            ..src.clone()
        };
        Some(detail(s, &copy, Actions::Copy))
    });
    match data {
        Some(o) => ok(call, "CopyRecordAction", &PhpVal::Obj(o)),
        // No httpCode: 422.
        None => fail(
            call,
            "CopyRecordAction",
            format!("IVR menu not found: {id}"),
        ),
    }
}

/// `DeleteRecordAction::main()` → `executeStandardDelete()`, in one transaction: the menu's
/// actions, then its extension (`Extensions::delete()`: every ACTION_RESTRICT referrer of the
/// number blocks it, 409 with the list), then the menu.
///
/// The extension deleted is the `m_Extensions` row whose number is the menu's `extension`
/// column. After a PATCH changed that column, the menu's own `IVR MENU` row may have another
/// number: it then stays behind, as on the server. If the column names another record's number
/// (an employee's, a queue's), the PBX would delete that record's extension with its cascades;
/// the simulator does not: it leaves the other record alone.
fn delete(call: &Call<'_>) -> ApiResult {
    let id = route_id(call);
    let Some(m) = call.app.read(|s| find(s, &id).cloned()) else {
        return fail(
            call,
            "DeleteRecordAction",
            format!("api_IvrMenuNotFound (ID: {id})"),
        )
        .code(404);
    };
    let number = m.extension.clone().filter(|e| !php_empty(e));
    if let Some(n) = &number {
        let blockers = call.app.read(|s| {
            let mut list = restrict_list(s, n);
            // The menu's own actions are already gone when the extension is deleted.
            let own = format!(
                "IVR menu member - <a href='/admin-cabinet/ivr-menu//modify//{}'>{}</a>",
                m.uniqid,
                ivr_represent(&m)
            );
            for _ in m
                .actions
                .iter()
                .filter(|a| a.extension.as_deref() == Some(n))
            {
                if let Some(i) = list.iter().position(|x| *x == own) {
                    list.remove(i);
                }
            }
            list
        });
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
        s.ivr_menus.retain(|x| x.uniqid != m.uniqid);
        if let Some(n) = &number {
            s.ivr_numbers.retain(|r| &r.number != n);
        }
    });
    let data = standard_delete_answer(m.actions.len(), "IVR menu action", number.is_some());
    ok(call, "DeleteRecordAction", &data).code(200)
}

/// A state.json written before IVR menus had a typed store keeps them as loose JSON under
/// `records["ivr-menu"]` (`{id, uniqid, name, extension, timeout, number_of_repeat,
/// audio_message_id, timeout_extension, allow_enter_any_internal_extension, actions:[{digits,
/// extension}]}`): move them over, each with its `IVR MENU` extension row.
pub(crate) fn migrate_legacy(s: &mut Store) {
    let Some(old) = s.records.remove("ivr-menu") else {
        return;
    };
    if !s.ivr_menus.is_empty() {
        return;
    }
    let st = |r: &Value, k: &str| r.get(k).and_then(php_string);
    for r in old {
        let id = s.next_ivr_id.max(1);
        s.next_ivr_id = id + 1;
        let mut m = IvrMenu {
            id,
            uniqid: st(&r, "uniqid")
                .filter(|u| !u.is_empty())
                .or_else(|| st(&r, "id"))
                .unwrap_or_default(),
            extension: st(&r, "extension"),
            audio_message_id: Some(st(&r, "audio_message_id").unwrap_or_default()),
            name: st(&r, "name"),
            timeout: Some(st(&r, "timeout").unwrap_or_else(|| "7".into())),
            timeout_extension: Some(st(&r, "timeout_extension").unwrap_or_default()),
            // `(string)true` is "1", `(string)false` ""; the model stores '1' / '0'.
            allow_enter_any_internal_extension: Some(
                if st(&r, "allow_enter_any_internal_extension").as_deref() == Some("1") {
                    "1"
                } else {
                    "0"
                }
                .into(),
            ),
            number_of_repeat: Some(st(&r, "number_of_repeat").unwrap_or_else(|| "3".into())),
            description: Some(st(&r, "description").unwrap_or_default()),
            actions: Vec::new(),
        };
        for a in r
            .get("actions")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let aid = s.next_ivr_action_id.max(1);
            s.next_ivr_action_id = aid + 1;
            m.actions.push(IvrMenuAction {
                id: aid,
                digits: st(a, "digits"),
                extension: st(a, "extension"),
            });
        }
        if let Some(n) = m.extension.clone().filter(|n| !n.is_empty()) {
            s.ivr_numbers.push(IvrNumber {
                number: n,
                callerid: m.name.clone().unwrap_or_default(),
            });
        }
        s.ivr_menus.push(m);
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
            "ivr-menu".into(),
            vec![json!({"id": "IVR-5E0F1A22", "uniqid": "IVR-5E0F1A22", "name": "Main menu",
                "extension": "2000", "timeout": 7, "number_of_repeat": 3, "audio_message_id": "1",
                "timeout_extension": "201", "allow_enter_any_internal_extension": true,
                "actions": [{"digits": "1", "extension": "2001"}, {"digits": "2", "extension": "2002"}]})],
        );
        migrate_legacy(&mut s);
        assert!(!s.records.contains_key("ivr-menu"));
        let m = find(&s, "IVR-5E0F1A22").unwrap();
        assert_eq!((m.id, m.extension.as_deref()), (1, Some("2000")));
        assert_eq!(m.timeout.as_deref(), Some("7"));
        assert_eq!(m.allow_enter_any_internal_extension.as_deref(), Some("1"));
        assert_eq!(m.actions.len(), 2);
        assert_eq!(m.actions[1].extension.as_deref(), Some("2002"));
        assert_eq!(
            s.ivr_numbers,
            vec![IvrNumber {
                number: "2000".into(),
                callerid: "Main menu".into()
            }]
        );
        assert_eq!((s.next_ivr_id, s.next_ivr_action_id), (2, 3));
    }

    #[test]
    fn seeded_list_row_matches_the_php_shape() {
        let s = Store::fresh();
        let row = list_item(&s, find(&s, "IVR-3C9D2B7E").unwrap()).to_json();
        assert_eq!(
            row,
            concat!(
                r#"{"id":"IVR-3C9D2B7E","extension":"2010","name":"Support line","description":"Technical support hotline","#,
                r#""represent":"<i class=\"sitemap icon\"><\/i> IVR menu: Support line <2010>","timeout":10,"number_of_repeat":2,"#,
                r#""timeout_extension":"2002","timeout_extension_represent":"<i class=\"users icon\"><\/i> Queue: Support <2002>","#,
                r#""timeoutExtensionRepresent":"<i class=\"users icon\"><\/i> Queue: Support <2002>","#,
                r#""actions":[{"digits":"*","represent":"<i class=\"sitemap icon\"><\/i> IVR menu: Main menu <2000>"},"#,
                r#"{"digits":"1","represent":"<i class=\"users icon\"><\/i> Queue: Support <2002>"},"#,
                r#"{"digits":"2","represent":"<i class=\"icons\"><i class=\"user outline icon\"><\/i><\/i> Tatiana Morozova <210>"}],"#,
                r#""search_index":"queue support support line 2010 technical support hotline ivr menu main menu 2000 <2000> * queue support 2002 <2002> 1 tatiana morozova 210 <210> 2"}"#
            )
        );
    }

    #[test]
    fn actions_sort_by_their_integer_value_and_stay_stable() {
        let a = |id, d: &str| IvrMenuAction {
            id,
            digits: Some(d.into()),
            extension: Some("201".into()),
        };
        let m = IvrMenu {
            actions: vec![a(1, "10"), a(2, "#"), a(3, "2"), a(4, "*"), a(5, "1*")],
            ..IvrMenu::default()
        };
        let order: Vec<&str> = sorted_actions(&m)
            .iter()
            .map(|a| a.digits.as_deref().unwrap())
            .collect();
        // Fetched as "#", "*", "10", "1*", "2" (byte order); (int) is 0, 0, 10, 1, 2.
        assert_eq!(order, ["#", "*", "1*", "2", "10"]);
    }
}

#[cfg(test)]
mod wire_tests {
    use crate::test_support::*;
    use crate::{RunningSimulator, Simulator};
    use serde_json::{Value, json};

    const MAIN: &str = "IVR-5E0F1A22";
    const SUPPORT_LINE: &str = "IVR-3C9D2B7E";

    async fn sim() -> RunningSimulator {
        Simulator::builder().cdr_records(10).start().await.unwrap()
    }

    fn ids(v: &Value) -> Vec<&str> {
        v["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["id"].as_str().unwrap())
            .collect()
    }

    /// GetRecordAction: createFromModel() byte for byte, `isNew` last; a missing id is 422
    /// (no httpCode), an id outside the route's pattern never reaches the action.
    #[tokio::test]
    async fn record_and_list_shapes() {
        let sim = sim().await;
        let c = client(&sim, LOCAL);
        let (s, body) = send(c.get(api(&sim, &format!("ivr-menu/{MAIN}")))).await;
        assert_eq!(s, 200, "{body}");
        assert!(
            body.starts_with(concat!(
                r#"{"result":true,"data":{"id":"IVR-5E0F1A22","extension":"2000","name":"Main menu","#,
                r#""description":"Greeting, then sales or support","timeout":7,"number_of_repeat":3,"#,
                r#""allow_enter_any_internal_extension":true,"timeout_extension":"201","#,
                r#""timeout_extension_represent":"<i class=\"icons\"><i class=\"user outline icon\"><\/i><\/i> Alexey Ivanov <201>","#,
                r#""audio_message_id":"1","audio_message_id_represent":"","#,
                r#""actions":[{"id":"1","digits":"1","extension":"2001","extension_represent":"<i class=\"users icon\"><\/i> Queue: Sales <2001>"},"#,
                r#"{"id":"2","digits":"2","extension":"2002","extension_represent":"<i class=\"users icon\"><\/i> Queue: Support <2002>"}],"#,
                r#""search_index":"alexey ivanov main menu 2000 greeting then sales or support 2001 <2001> 1 1 queue sales 2002 <2002> 2 2 queue support","#,
                r#""isNew":"0"},"messages":[],"function":"getRecord","#,
                r#""processor":"MikoPBX\\PBXCoreREST\\Lib\\IvrMenu\\GetRecordAction::main","#
            )),
            "{body}"
        );
        let (s, v) = json(c.get(api(&sim, "ivr-menu/IVR-0000AAAA"))).await;
        assert_eq!((s, v["httpCode"].as_u64()), (422, None), "{v}");
        assert_eq!(v["messages"]["error"], json!(["IVR menu not found"]));
        // `idPattern: 'IVR-[A-Fa-f0-9]{4,}'`: no route, the router's own 404.
        for bad in ["ivr-menu/IVR-XYZ1", "ivr-menu/1", "ivr-menu/IVR-12"] {
            let (s, v) = json(c.get(api(&sim, bad))).await;
            assert_eq!(
                (s, v["success"].as_bool()),
                (404, Some(false)),
                "{bad}: {v}"
            );
        }

        // GetListAction: a bare array of createForList() rows, name ASC.
        let (s, body) = send(c.get(api(&sim, "ivr-menu"))).await;
        assert_eq!(s, 200, "{body}");
        assert!(
            body.starts_with(concat!(
                r#"{"result":true,"data":[{"id":"IVR-5E0F1A22","extension":"2000","name":"Main menu","#,
                r#""description":"Greeting, then sales or support","#,
                r#""represent":"<i class=\"sitemap icon\"><\/i> IVR menu: Main menu <2000>","timeout":7,"#,
                r#""number_of_repeat":3,"timeout_extension":"201","#
            )),
            "{body}"
        );
        assert!(
            body.contains(
                r#""processor":"MikoPBX\\PBXCoreREST\\Lib\\IvrMenu\\GetListAction::main""#
            ),
            "{body}"
        );
        let v: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(ids(&v), [MAIN, SUPPORT_LINE]);
        let row = &v["data"][0];
        assert_eq!(
            row["timeoutExtensionRepresent"],
            row["timeout_extension_represent"]
        );
        assert!(
            row.get("allow_enter_any_internal_extension").is_none(),
            "{row}"
        );
        assert_eq!(
            row["actions"][0],
            json!({"digits": "1", "represent": "<i class=\"users icon\"></i> Queue: Sales <2001>"})
        );
    }

    /// `search` (name, description), `order` (name, extension, id only) and paging.
    #[tokio::test]
    async fn search_order_and_paging() {
        let sim = sim().await;
        let c = client(&sim, LOCAL);
        let get = |q: &str| json(c.get(api(&sim, &format!("ivr-menu?{q}"))));
        let (_, v) = get("search=SUPPORT").await;
        assert_eq!(ids(&v), [MAIN, SUPPORT_LINE], "description matches too");
        let (_, v) = get("search=hotline").await;
        assert_eq!(ids(&v), [SUPPORT_LINE]);
        let (_, v) = get("search=2010").await;
        assert!(ids(&v).is_empty(), "the number is not searched: {v}");
        let (_, v) = get("order=extension&orderWay=desc").await;
        assert_eq!(ids(&v), [SUPPORT_LINE, MAIN]);
        let (_, v) = get("order_by=id&order_direction=DESC").await;
        assert_eq!(ids(&v), [SUPPORT_LINE, MAIN]);
        // `timeout` is in the OpenAPI enum but not allowed by the action: default order.
        let (_, v) = get("order=timeout&orderWay=DESC").await;
        assert_eq!(ids(&v), [MAIN, SUPPORT_LINE]);
        let (_, v) = get("limit=1&offset=1").await;
        assert_eq!(ids(&v), [SUPPORT_LINE]);
        let (_, v) = get("offset=5").await;
        assert!(ids(&v).is_empty());
    }

    /// GetDefaultAction: strings only, `represent` 'New IVR Menu'; CopyRecordAction: nothing
    /// saved, `copy of`, actions without ids; a missing source is 422.
    #[tokio::test]
    async fn default_and_copy() {
        let sim = sim().await;
        let c = client(&sim, LOCAL);
        let (s, body) = send(c.get(api(&sim, "ivr-menu:getDefault"))).await;
        assert_eq!(s, 200, "{body}");
        let v: Value = serde_json::from_str(&body).unwrap();
        let id = v["data"]["id"].as_str().unwrap().to_string();
        assert!(
            id.starts_with("IVR-")
                && id.len() == 12
                && id[4..]
                    .chars()
                    .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_lowercase()),
            "{id}"
        );
        assert!(
            body.starts_with(&format!(
                concat!(
                    r#"{{"result":true,"data":{{"id":"{}","extension":"2200100","name":"","audio_message_id":"","#,
                    r#""timeout":"7","timeout_extension":"","allow_enter_any_internal_extension":"0","#,
                    r#""number_of_repeat":"3","description":"","actions":[],"isNew":"1","represent":"New IVR Menu"}},"#
                ),
                id
            )),
            "{body}"
        );

        let (s, v) = json(c.get(api(&sim, &format!("ivr-menu/{SUPPORT_LINE}:copy")))).await;
        assert_eq!(s, 200, "{v}");
        assert_eq!(
            v["processor"],
            "MikoPBX\\PBXCoreREST\\Lib\\IvrMenu\\CopyRecordAction::main"
        );
        let d = &v["data"];
        let copy_id = d["id"].as_str().unwrap();
        assert!(copy_id.starts_with("IVR-") && copy_id != SUPPORT_LINE);
        assert_eq!(d["name"], "copy of Support line");
        assert_eq!(d["extension"], "2200100");
        assert_eq!(
            (d["timeout"].as_i64(), d["number_of_repeat"].as_i64()),
            (Some(10), Some(2))
        );
        assert_eq!(d["allow_enter_any_internal_extension"], false);
        assert_eq!(d["timeout_extension"], "2002");
        assert!(d.get("isNew").is_none(), "{d}");
        let digits: Vec<&str> = d["actions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| {
                assert_eq!(a["id"], "", "{a}");
                a["digits"].as_str().unwrap()
            })
            .collect();
        assert_eq!(digits, ["*", "1", "2"]);
        // Not saved.
        let (s, _) = json(c.get(api(&sim, &format!("ivr-menu/{copy_id}")))).await;
        assert_eq!(s, 422);
        let (_, a) = json(
            c.post(api(&sim, "extensions:available"))
                .json(&json!({"number": "2200100"})),
        )
        .await;
        assert_eq!(a["data"]["available"], true);
        let (s, v) = json(c.get(api(&sim, "ivr-menu/IVR-0000AAAA:copy"))).await;
        assert_eq!((s, v["httpCode"].as_u64()), (422, None));
        assert_eq!(
            v["messages"]["error"],
            json!(["IVR menu not found: IVR-0000AAAA"])
        );
    }

    /// DeleteRecordAction: the untranslated not-found key, the RESTRICT list (the menu's own
    /// actions do not count, its own timeout does), the statistics, the number freed.
    #[tokio::test]
    async fn delete_semantics() {
        let sim = sim().await;
        let c = client(&sim, LOCAL);
        let (s, v) = json(c.delete(api(&sim, "ivr-menu/IVR-0000AAAA"))).await;
        assert_eq!((s, v["httpCode"].as_u64()), (404, Some(404)));
        assert_eq!(
            v["messages"]["error"],
            json!(["api_IvrMenuNotFound (ID: IVR-0000AAAA)"])
        );
        // 2000 is the Support queue's timeout target, two incoming routes' destination and
        // the Support line's `*`.
        let (s, v) = json(c.delete(api(&sim, &format!("ivr-menu/{MAIN}")))).await;
        assert_eq!((s, v["httpCode"].as_u64()), (409, Some(409)), "{v}");
        assert_eq!(
            v["messages"]["error"][0],
            concat!(
                "<div class=\"ui header\">Logical integrity violation</div><ul class=\"list\">",
                "<li>Call queue - <a href='/admin-cabinet/call-queues//modify//QUEUE-1A2B3C4D'><i class=\"users icon\"></i> Queue: Support <2002></a></li>",
                "<li><a href='/admin-cabinet/incoming-routes//modify//2'><i class=\"map signs icon\"></i> Main number</a></li>",
                "<li><a href='/admin-cabinet/incoming-routes//modify//4'><i class=\"map signs icon\"></i> Backup trunk</a></li>",
                "<li>IVR menu member - <a href='/admin-cabinet/ivr-menu//modify//IVR-3C9D2B7E'><i class=\"sitemap icon\"></i> IVR menu: Support line <2010></a></li></ul>"
            )
        );
        let (s, body) = send(c.delete(api(&sim, &format!("ivr-menu/{SUPPORT_LINE}")))).await;
        assert_eq!(s, 200, "{body}");
        assert!(
            body.starts_with(r#"{"result":true,"data":{"deleted_count":3,"deleted_type":"IVR menu action","deleted_extension":true},"messages":[],"function":"delete","processor":"MikoPBX\\PBXCoreREST\\Lib\\IvrMenu\\DeleteRecordAction::main","#),
            "{body}"
        );
        let (_, a) = json(
            c.post(api(&sim, "extensions:available"))
                .json(&json!({"number": "2010"})),
        )
        .await;
        assert_eq!(a["data"]["available"], true);

        // A menu whose actions call itself goes; one whose timeout is itself does not.
        let (s, v) = json(c.post(api(&sim, "ivr-menu")).json(&json!({
            "name": "Loop", "extension": "2011",
            "actions": [{"digits": "9", "extension": "2011"}]
        })))
        .await;
        assert_eq!(s, 201, "{v}");
        let id = v["data"]["id"].as_str().unwrap().to_string();
        let (s, v) = json(c.delete(api(&sim, &format!("ivr-menu/{id}")))).await;
        assert_eq!(s, 200, "{v}");
        assert_eq!(v["data"]["deleted_count"], 1);
        let (_, v) = json(c.post(api(&sim, "ivr-menu")).json(&json!({
            "name": "Loop", "extension": "2011", "timeout_extension": "2011"
        })))
        .await;
        let id = v["data"]["id"].as_str().unwrap().to_string();
        let (s, v) = json(c.delete(api(&sim, &format!("ivr-menu/{id}")))).await;
        assert_eq!(s, 409, "{v}");
        assert!(
            v["messages"]["error"][0]
                .as_str()
                .unwrap()
                .contains("<li>IVR menu - <a href='/admin-cabinet/ivr-menu//modify//"),
            "{v}"
        );
    }
}
