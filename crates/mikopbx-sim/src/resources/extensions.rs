//! `extensions`: read-only views of the numbering plan (mikopbx-api.md §5). Writes happen
//! through `employees` (and the queue / IVR / conference resources).
//!
//! Each employee has a SIP extension and, when a mobile number is set, an EXTERNAL extension
//! for it (as MikoPBX creates); queues, IVR menus and conference rooms add theirs.

use serde_json::{Value, json};

use super::{Call, descending, like, page};
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
            "IVR" => "icon sitemap",
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

    /// `DataStructure::createFromModel()`, booleans converted by `formatBySchema()`.
    fn to_json(&self) -> Value {
        json!({
            "id": self.number,
            "number": self.number,
            "type": self.kind,
            "callerid": self.callerid,
            "userid": self.userid.map(|u| u.to_string()).unwrap_or_default(),
            "show_in_phonebook": true,
            "public_access": false,
            "is_general_user_number": self.userid.is_some(),
        })
    }

    /// `DropdownsAction::processExtension()`: employees' numbers are category `_USER`
    /// (`Text::underscore(strtoupper(' USER'))`).
    fn to_select_json(&self) -> Value {
        let category = if self.userid.is_some() {
            "_USER"
        } else {
            self.kind
        };
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
    for (res, kind) in [
        ("call-queues", "QUEUE"),
        ("ivr-menu", "IVR"),
        ("conference-rooms", "CONFERENCE"),
    ] {
        for r in store.records.get(res).into_iter().flatten() {
            next += 1;
            let number = r
                .get("extension")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            if number.is_empty() {
                continue;
            }
            out.push(Extension {
                id: next,
                number,
                kind,
                callerid: r
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string(),
                userid: None,
            });
        }
    }
    out.sort_by_key(|e| e.id);
    out
}

pub(crate) fn handle(call: &Call<'_>) -> ApiResult {
    let exts = call.app.read(all);
    let ctx = call.ctx;
    match call.action {
        "getList" => {
            let mut list: Vec<Extension> = exts;
            if let Some(t) = ctx.str("type").filter(|t| !t.is_empty()) {
                list.retain(|e| e.kind.eq_ignore_ascii_case(&t));
            }
            if let Some(q) = ctx.str("search").filter(|q| !q.is_empty()) {
                // Searchable fields: number, callerid, type (`GetListAction`).
                list.retain(|e| like(&e.number, &q) || like(&e.callerid, &q) || like(e.kind, &q));
            }
            let order = ctx
                .str("order")
                .or_else(|| ctx.str("order_by"))
                .unwrap_or_else(|| "number".into());
            match order.as_str() {
                "type" => list.sort_by(|a, b| a.kind.cmp(b.kind).then(a.number.cmp(&b.number))),
                "callerid" => list.sort_by(|a, b| a.callerid.cmp(&b.callerid)),
                // Numeric order for digit strings (201 < 2000 < 79161234567).
                _ => list
                    .sort_by(|a, b| (a.number.len(), &a.number).cmp(&(b.number.len(), &b.number))),
            }
            if descending(ctx) {
                list.reverse();
            }
            call.ok(Value::Array(
                page(list, ctx)
                    .iter()
                    .map(Extension::to_list_json)
                    .collect(),
            ))
        }
        "getRecord" => {
            let number = call.route.id.as_deref().unwrap_or("");
            match exts.iter().find(|e| e.number == number) {
                Some(e) => call.ok(e.to_json()),
                // Generic "not found" without httpCode: 422 (mikopbx-api.md §4).
                None => call.fail(format!("Extension {number} not found")),
            }
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
            let sorter = |e: &Extension| {
                let cat = if e.userid.is_some() { "_USER" } else { e.kind };
                format!("{cat}{}{}", e.callerid, e.number)
            };
            items.sort_by_cached_key(|e| sorter(e));
            call.ok(Value::Array(
                items.iter().map(|e| e.to_select_json()).collect(),
            ))
        }
        "available" => {
            let Some(number) = ctx.str("number").filter(|n| !n.is_empty()) else {
                return call.fail("Parameter 'number' is required").code(400);
            };
            // `Extensions/Utils::ifNumberAvailable()`.
            match exts.iter().find(|e| e.number == number) {
                None => call.ok(json!({"available": true})),
                Some(e) if e.userid.is_some() => call.ok(json!({"available": false,
                    "userId": e.userid.map(|u| u.to_string()), "represent": e.represent()})),
                Some(_) => {
                    call.ok(json!({"available": false, "represent": "ex_ThisNumberIsNotFree"}))
                }
            }
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
        "IVR" => "IVR menu",
        "CONFERENCE" => "Conference rooms",
        _ => "Other",
    }
}
