//! `extensions`: read-only views of the numbering plan (mikopbx-api.md §5). Writes happen
//! through `employees` (and the queue / IVR / conference resources).
//!
//! Each employee has a SIP extension and, when a mobile number is set, an EXTERNAL extension
//! for it (as MikoPBX creates); queues, IVR menus and conference rooms add theirs.

use serde_json::{Value, json};

use super::{Call, like, ordering, page, sql_text_cmp};
use crate::envelope::ApiResult;
use crate::state::Store;

/// One row of `m_Extensions` as the simulator derives it.
#[derive(Debug, Clone)]
pub(crate) struct Extension {
    pub(crate) id: u64,
    pub(crate) number: String,
    pub(crate) kind: &'static str,
    pub(crate) callerid: String,
    pub(crate) userid: Option<u64>,
}

impl Extension {
    fn represent(&self) -> String {
        let icon = match self.kind {
            "SIP" => "icon user outline",
            "EXTERNAL" => "icon mobile alternate",
            "QUEUE" => "icon users",
            "IVR MENU" => "icon sitemap",
            "CONFERENCE" => "icon phone volume",
            _ => "icon phone",
        };
        format!(
            "<i class=\"{icon}\"></i> {} <{}>",
            self.callerid, self.number
        )
    }

    /// `DataStructure::createForList()`: the list shows only these four fields; `id` is the number.
    fn to_list_json(&self) -> Value {
        json!({"id": self.number, "number": self.number, "type": self.kind, "callerid": self.callerid})
    }

    /// `DropdownsAction::processExtension()`'s category: employees' numbers are `_USER`
    /// (`Text::underscore(strtoupper(' USER'))`), `IVR MENU` is `IVR_MENU`.
    fn category(&self) -> &'static str {
        if self.userid.is_some() {
            "_USER"
        } else if self.kind == "IVR MENU" {
            "IVR_MENU"
        } else {
            self.kind
        }
    }

    /// `DropdownsAction::processExtension()`.
    fn to_select_json(&self) -> Value {
        let category = self.category();
        json!({"name": self.represent(), "text": self.represent(), "value": self.number,
               "type": category, "typeLocalized": type_localized(category)})
    }
}

/// Every extension in the store, in id order.
pub(crate) fn all(store: &Store) -> Vec<Extension> {
    let mut out = Vec::new();
    for e in store.employees.values() {
        out.push(Extension {
            id: e.id * 10 + 1,
            number: e.number.clone(),
            kind: "SIP",
            callerid: e.username.clone(),
            userid: Some(e.id),
        });
        if !e.mobile_number.is_empty() {
            out.push(Extension {
                id: e.id * 10 + 2,
                number: e.mobile_number.clone(),
                kind: "EXTERNAL",
                callerid: e.username.clone(),
                userid: Some(e.id),
            });
        }
    }
    let mut next = 100_000;
    for q in &store.call_queues {
        next += 1;
        let number = q.extension.clone().unwrap_or_default();
        if number.is_empty() {
            continue;
        }
        // createOrUpdateExtension(): the QUEUE extension's callerid is the queue name.
        out.push(Extension {
            id: next,
            number,
            kind: "QUEUE",
            callerid: q.name.clone().unwrap_or_default(),
            userid: None,
        });
    }
    for c in &store.conference_rooms {
        next += 1;
        let number = c.extension.clone().unwrap_or_default();
        if number.is_empty() {
            continue;
        }
        // createOrUpdateExtension(): the CONFERENCE extension's callerid is the room name.
        out.push(Extension {
            id: next,
            number,
            kind: "CONFERENCE",
            callerid: c.name.clone().unwrap_or_default(),
            userid: None,
        });
    }
    // The `IVR MENU` rows are kept apart from the menus (a PATCH changes a menu's number
    // without them): `type` is `Extensions::TYPE_IVR_MENU`, the caller id the menu's name as
    // last saved by SaveRecordAction.
    for r in &store.ivr_numbers {
        next += 1;
        out.push(Extension {
            id: next,
            number: r.number.clone(),
            kind: "IVR MENU",
            callerid: r.callerid.clone(),
            userid: None,
        });
    }
    out.sort_by_key(|e| e.id);
    out
}

pub(crate) fn handle(call: &Call<'_>) -> ApiResult {
    let exts = call.app.read(all);
    let ctx = call.ctx;
    match call.action {
        "getList" => {
            // `Lib/Extensions/GetListAction::main()` → `executeStandardList(Extensions, …,
            // order [number, callerid, type], search [number, callerid, type], 'number ASC')`:
            // there is NO `type` filter (the controller only documents the parameter), so every
            // type comes back; `search` LIKE-matches the type column too.
            let mut list: Vec<Extension> = exts;
            if let Some(q) = ctx.str("search").filter(|q| !q.is_empty()) {
                list.retain(|e| like(&e.number, &q) || like(&e.callerid, &q) || like(e.kind, &q));
            }
            // SQL `ORDER BY` on TEXT columns (byte order); ties keep row order (stable sort
            // over the id-ordered rows).
            let (field, desc) = ordering(ctx, &["number", "callerid", "type"])
                .unwrap_or_else(|| ("number".into(), false));
            let key = |e: &Extension| -> String {
                match field.as_str() {
                    "callerid" => e.callerid.clone(),
                    "type" => e.kind.to_string(),
                    _ => e.number.clone(),
                }
            };
            list.sort_by(|a, b| {
                let o = sql_text_cmp(&key(a), &key(b));
                if desc { o.reverse() } else { o }
            });
            call.ok(Value::Array(
                page(list, ctx)
                    .iter()
                    .map(Extension::to_list_json)
                    .collect(),
            ))
        }
        "getRecord" => {
            // `ExtensionsManagementProcessor::callBack()` has no `getRecord` case (release tag
            // 2026.1.223 and develop): the controller maps `GET extensions/{id}` to it, the
            // processor answers "Unknown action" (422, no httpCode) for every number.
            // Real source: src/PBXCoreREST/Lib/ExtensionsManagementProcessor.php:callBack.
            processor_unknown_action(call.action)
        }
        "getForSelect" => {
            // `DropdownsAction::getForSelect()`: type all (default) | phones | phone | internal |
            // routing; optional `query` filters by text.
            let filter = ctx.str("type").unwrap_or_else(|| "all".into());
            let query = ctx.str("query").unwrap_or_default();
            let mut items: Vec<&Extension> = exts
                .iter()
                .filter(|e| match filter.as_str() {
                    "phones" | "phone" => matches!(e.kind, "SIP" | "EXTERNAL"),
                    "internal" => e.kind == "SIP",
                    _ => true,
                })
                .filter(|e| query.is_empty() || like(&e.represent(), &query))
                .collect();
            let sorter = |e: &Extension| format!("{}{}{}", e.category(), e.callerid, e.number);
            items.sort_by_cached_key(|e| sorter(e));
            call.ok(Value::Array(
                items.iter().map(|e| e.to_select_json()).collect(),
            ))
        }
        "available" => {
            // `ExtensionsManagementProcessor::callBack()` case 'available': `!empty($data['number'])`
            // (so "" and "0" count as missing) else 422 without httpCode, processor `callBack`.
            let Some(number) = ctx.str("number").filter(|n| !n.is_empty() && n != "0") else {
                return ApiResult::fail(
                    call.action,
                    &format!("{PROCESSOR}::callBack"),
                    "Empty number value in POST/GET data",
                );
            };
            // `Extensions/Utils::ifNumberAvailable()` (src/PBXCoreREST/Lib/Extensions/Utils.php):
            // SIP/EXTERNAL give userId + represent, PARKING 'ex_ThisNumberOverlapWithParkingSlots'
            // (the simulator has no parking slots), any other type 'ex_ThisNumberIsNotFree'.
            let processor = "MikoPBX\\PBXCoreREST\\Lib\\Extensions\\Utils::ifNumberAvailable";
            let data = match exts.iter().find(|e| e.number == number) {
                None => json!({"available": true}),
                Some(e) if matches!(e.kind, "SIP" | "EXTERNAL") => json!({"available": false,
                    "userId": e.userid.map(|u| u.to_string()), "represent": e.represent()}),
                Some(e) if e.kind == "PARKING" => json!({"available": false,
                    "represent": "ex_ThisNumberOverlapWithParkingSlots"}),
                Some(_) => json!({"available": false, "represent": "ex_ThisNumberIsNotFree"}),
            };
            ApiResult::ok(call.action, processor, data)
        }
        "getPhonesRepresent" => {
            let numbers: Vec<String> = match ctx.params.get("numbers") {
                Some(Value::Array(a)) => a
                    .iter()
                    .filter_map(|v| {
                        v.as_str()
                            .map(str::to_string)
                            .or_else(|| v.as_i64().map(|n| n.to_string()))
                    })
                    .collect(),
                Some(Value::String(s)) => s.split(',').map(|x| x.trim().to_string()).collect(),
                _ => return call.fail("Parameter 'numbers' is required").code(400),
            };
            let mut map = serde_json::Map::new();
            for n in numbers {
                map.insert(
                    n.clone(),
                    json!({"number": n, "represent": represent_phone(&exts, &n)}),
                );
            }
            call.ok(Value::Object(map))
        }
        "getPhoneRepresent" => {
            let n = call.route.id.clone().unwrap_or_default();
            call.ok(json!([represent_phone(&exts, &n)]))
        }
        _ => call.fail("Unknown action"),
    }
}

/// `MikoPBX\PBXCoreREST\Lib\ExtensionsManagementProcessor`.
const PROCESSOR: &str = "MikoPBX\\PBXCoreREST\\Lib\\ExtensionsManagementProcessor";

/// The processor's `default:` branch: `Unknown action - <action> in <class>`, 422.
fn processor_unknown_action(action: &str) -> ApiResult {
    ApiResult::fail(
        action,
        &format!("{PROCESSOR}::callBack"),
        format!("Unknown action - {action} in {PROCESSOR}"),
    )
}

/// `Utils::getPhoneRepresent()`: numbers longer than 10 digits match on their last 9.
fn represent_phone(exts: &[Extension], n: &str) -> String {
    let found = if n.len() > 10 {
        let tail = n.get(n.len() - 9..).unwrap_or(n);
        exts.iter().find(|e| e.number.ends_with(tail))
    } else {
        exts.iter().find(|e| e.number == n)
    };
    found
        .map(Extension::represent)
        .unwrap_or_else(|| n.to_string())
}

fn type_localized(kind: &str) -> &'static str {
    match kind {
        "_USER" => "Employees",
        "SIP" => "Extensions",
        "EXTERNAL" => "Mobile numbers",
        "QUEUE" => "Call queues",
        "IVR_MENU" => "Interactive Voice Response (IVR) Menu",
        "CONFERENCE" => "Conference rooms",
        _ => "Other",
    }
}
