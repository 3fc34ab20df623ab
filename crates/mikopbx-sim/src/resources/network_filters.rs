//! `network-filters` as `src/PBXCoreREST/Lib/NetworkFilters/*` serves it (release 2026.1.223),
//! read-only, over the simulator's `m_NetworkFilters` rows ([`NETWORK_FILTERS`], which the key
//! checks also use) and their `m_FirewallRules` ([`FIREWALL`]).
//!
//! * `GET network-filters` (`GetListAction`): `{"items", "total", "offset", "limit"}`, rows of
//!   `Firewall\DataStructure::createForList()` in `id ASC` order; `search` is `LIKE` on
//!   description or permit; paging (`array_slice`) only when `limit > 0`.
//! * `GET network-filters/{id}` (`GetRecordAction`): `createFromModel()`; an unknown id is 422
//!   `Network filter with ID <id> not found`, and `0` is 422 `ID is required` (PHP `empty("0")`).
//! * `GET network-filters:getForSelect` (`GetForSelectAction`): `none`, then `localhost` when
//!   asked for with AMI / API, then the filters with an `allow` rule in one of `categories`.

use serde_json::Value;

use super::php::{PhpVal, php_int, value_empty};
use super::text_fields::normalize_search_index;
use super::{Call, like};
use crate::auth::keys::NETWORK_FILTERS;
use crate::envelope::ApiResult;

/// The traffic categories of `FirewallRules::getDefaultRules()`, in the order the firewall saves
/// a filter's rules, with how many `m_FirewallRules` rows each has (SIP: SIP udp/tcp, TLS and
/// RTP ports; WEB: HTTP and HTTPS; AJAM: plain and TLS).
const CATEGORIES: &[(&str, usize)] = &[
    ("SIP", 4),
    ("IAX", 1),
    ("WEB", 2),
    ("SSH", 1),
    ("AMI", 1),
    ("AJAM", 2),
    ("ICMP", 1),
];

/// The firewall side of each filter: `(id, newer_block_ip, local_network, allowed categories)`;
/// every other category is `block`.
const FIREWALL: &[(&str, bool, bool, &[&str])] = &[
    ("1", false, false, &["SIP", "WEB", "AMI", "AJAM", "ICMP"]),
    (
        "2",
        true,
        true,
        &["SIP", "IAX", "WEB", "SSH", "AMI", "AJAM", "ICMP"],
    ),
    ("3", true, false, &["WEB", "AMI", "AJAM", "ICMP"]),
    ("4", false, false, &["WEB", "AJAM"]),
];

/// `(category, action, rows)`: one category's rules of a filter.
type Rule = (&'static str, &'static str, usize);

/// One `m_NetworkFilters` row with its firewall side.
struct Filter {
    id: &'static str,
    permit: &'static str,
    deny: &'static str,
    description: &'static str,
    newer_block_ip: bool,
    local_network: bool,
    rules: Vec<Rule>,
}

fn filters() -> impl Iterator<Item = Filter> {
    NETWORK_FILTERS
        .iter()
        .map(|&(id, permit, deny, description)| {
            let fw = FIREWALL.iter().find(|f| f.0 == id);
            Filter {
                id,
                permit,
                deny,
                description,
                newer_block_ip: fw.is_some_and(|f| f.1),
                local_network: fw.is_some_and(|f| f.2),
                // A filter without firewall rows has no rules at all.
                rules: fw.map_or(Vec::new(), |f| {
                    CATEGORIES
                        .iter()
                        .map(|&(cat, rows)| {
                            let action = if f.3.contains(&cat) { "allow" } else { "block" };
                            (cat, action, rows)
                        })
                        .collect()
                }),
            }
        })
}

pub(crate) fn handle(call: &Call<'_>) -> ApiResult {
    match call.action {
        "getList" => list(call),
        "getRecord" => get_record(call),
        "getForSelect" => get_for_select(call),
        // NetworkFiltersManagementProcessor::getErrorResult().
        other => ApiResult::fail(
            other,
            "MikoPBX\\PBXCoreREST\\Lib\\NetworkFiltersManagementProcessor::getErrorResult",
            format!("Unknown action - {other}"),
        ),
    }
}

/// A successful result whose `data` keeps PHP key order.
fn ok(call: &Call<'_>, data: &PhpVal) -> ApiResult {
    let mut r = call.ok(data.to_value());
    r.data_raw = Some(data.to_json());
    r
}

/// The firewall data structure's `represent` (not the model's `getRepresent()`).
fn shield(f: &Filter) -> String {
    let label = if f.description.is_empty() {
        f.permit
    } else {
        f.description
    };
    format!("<i class=\"shield alternate icon\"></i> {label}")
}

/// `NetworkFilters::getRepresent()` (RecordRepresentationTrait), `fw_PermitNetwork` in English.
fn model_represent(f: &Filter) -> String {
    format!(
        "<i class=\"globe icon\"></i> {}(subnet: {})",
        f.description, f.permit
    )
}

/// `DataStructure::createForList()`: `createBaseStructure()` (id, uniqid, extension,
/// description), the model's represent (then replaced), permit, active_rules, search_index.
fn list_row(f: &Filter) -> PhpVal {
    let active: usize = f.rules.iter().filter(|r| r.1 == "allow").map(|r| r.2).sum();
    PhpVal::Obj(vec![
        ("id".into(), PhpVal::s(f.id)),
        ("uniqid".into(), PhpVal::s("")),
        ("extension".into(), PhpVal::s("")),
        ("description".into(), PhpVal::s(f.description)),
        ("represent".into(), PhpVal::s(shield(f))),
        ("permit".into(), PhpVal::s(f.permit)),
        ("active_rules".into(), PhpVal::Int(active as i64)),
        (
            "search_index".into(),
            PhpVal::s(normalize_search_index(f.description)),
        ),
    ])
}

/// `DataStructure::createFromModel()`: the search index is the description and every rule's
/// action (`generateAutoSearchIndex()` walks the `rules` array).
fn record(f: &Filter) -> PhpVal {
    let rules: Vec<(String, PhpVal)> = f
        .rules
        .iter()
        .map(|(cat, action, _)| ((*cat).to_string(), PhpVal::s(*action)))
        .collect();
    let mut index = vec![f.description.to_string()];
    index.extend(f.rules.iter().map(|r| r.1.to_string()));
    let index: Vec<String> = index.into_iter().filter(|p| !p.is_empty()).collect();
    PhpVal::Obj(vec![
        ("id".into(), PhpVal::s(f.id)),
        ("permit".into(), PhpVal::s(f.permit)),
        ("deny".into(), PhpVal::s(f.deny)),
        ("description".into(), PhpVal::s(f.description)),
        ("newer_block_ip".into(), PhpVal::Bool(f.newer_block_ip)),
        ("local_network".into(), PhpVal::Bool(f.local_network)),
        ("rules".into(), PhpVal::Obj(rules)),
        ("represent".into(), PhpVal::s(shield(f))),
        (
            "search_index".into(),
            PhpVal::s(normalize_search_index(&index.join(" "))),
        ),
    ])
}

fn param(call: &Call<'_>, name: &str) -> Option<Value> {
    call.ctx.params.get(name).cloned()
}

/// `GetListAction::main()`.
fn list(call: &Call<'_>) -> ApiResult {
    let search = param(call, "search").filter(|v| !value_empty(v));
    let needle = search.as_ref().map(|v| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    });
    let items: Vec<PhpVal> = filters()
        .filter(|f| {
            needle
                .as_deref()
                .is_none_or(|n| like(f.description, n) || like(f.permit, n))
        })
        .map(|f| list_row(&f))
        .collect();
    let total = items.len();
    let offset = param(call, "offset").map_or(0, |v| php_int(&v));
    let limit = param(call, "limit").map_or(0, |v| php_int(&v));
    let items = if limit > 0 {
        // array_slice(): a negative offset counts from the end.
        let start = if offset < 0 {
            (total as i64 + offset).max(0) as usize
        } else {
            offset as usize
        };
        items.into_iter().skip(start).take(limit as usize).collect()
    } else {
        items
    };
    ok(
        call,
        &PhpVal::Obj(vec![
            ("items".into(), PhpVal::List(items)),
            ("total".into(), PhpVal::Int(total as i64)),
            ("offset".into(), PhpVal::Int(offset)),
            ("limit".into(), PhpVal::Int(limit)),
        ]),
    )
}

/// `GetRecordAction::main()`: `findFirstById()` compares as an integer column does.
fn get_record(call: &Call<'_>) -> ApiResult {
    let id = call.route.id.clone().unwrap_or_default();
    if id.is_empty() || id == "0" {
        return call.fail("ID is required");
    }
    let wanted = id.trim_start_matches('0');
    match filters().find(|f| f.id == wanted) {
        Some(f) => ok(call, &record(&f)),
        None => call.fail(format!("Network filter with ID {id} not found")),
    }
}

/// `GetForSelectAction::main()`.
fn get_for_select(call: &Call<'_>) -> ApiResult {
    let categories: Vec<String> = match param(call, "categories") {
        None | Some(Value::Null) => vec!["SIP".into()],
        Some(Value::Array(a)) => a.iter().map(text).collect(),
        Some(v) => vec![text(&v)],
    }
    .into_iter()
    .map(|c| c.to_uppercase())
    .collect();
    let machine = categories.iter().any(|c| c == "AMI" || c == "API");
    // `$data['includeLocalhost'] ?? false` tested as is: the query string's text, so PHP
    // truthiness ("" and "0" are false, "false" is true).
    let include_localhost =
        machine && param(call, "includeLocalhost").is_some_and(|v| !value_empty(&v));

    let none = "Connections from any addresses are allowed";
    let mut out = vec![PhpVal::Obj(vec![
        ("value".into(), PhpVal::s("none")),
        (
            "represent".into(),
            PhpVal::s(format!("<i class=\"globe icon\"></i> {none}")),
        ),
        ("name".into(), PhpVal::s(none)),
        ("text".into(), PhpVal::s(none)),
    ])];
    if include_localhost {
        let local = "Localhost connections only";
        // `fw_LocalhostOnlyDescription` has no translation in the source tree, and the
        // translator returns an unknown key as is, so the `??` fallback text never shows.
        out.push(PhpVal::Obj(vec![
            ("value".into(), PhpVal::s("localhost")),
            (
                "represent".into(),
                PhpVal::s(format!("<i class=\"home icon\"></i> {local}")),
            ),
            ("name".into(), PhpVal::s(local)),
            ("text".into(), PhpVal::s(local)),
            (
                "description".into(),
                PhpVal::s("fw_LocalhostOnlyDescription"),
            ),
        ]));
    }
    // getAllowedFiltersForType(): an INNER JOIN on allowing rules of those categories, no
    // ORDER BY (SQLite walks m_NetworkFilters by id); duplicates are skipped.
    for f in filters().filter(|f| {
        f.rules
            .iter()
            .any(|(cat, action, _)| *action == "allow" && categories.iter().any(|c| c == cat))
    }) {
        out.push(PhpVal::Obj(vec![
            ("value".into(), PhpVal::s(f.id)),
            ("represent".into(), PhpVal::s(model_represent(&f))),
            ("name".into(), PhpVal::s(f.description)),
            ("text".into(), PhpVal::s(f.description)),
            ("network".into(), PhpVal::s(f.permit)),
        ]));
    }
    ok(call, &PhpVal::List(out))
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The wire behaviour, as src/PBXCoreREST/Lib/NetworkFilters/* (release 2026.1.223) answers:
/// the `items` list shape and its paging, records with their firewall rules, the select options
/// per category, the read-only routes and the API-key checks.
#[cfg(test)]
mod wire_tests {
    use crate::test_support::*;
    use crate::{RunningSimulator, Simulator};
    use serde_json::{Value, json};

    async fn sim() -> RunningSimulator {
        Simulator::builder().cdr_records(10).start().await.unwrap()
    }

    fn values(v: &Value) -> Vec<&str> {
        v["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["value"].as_str().unwrap())
            .collect()
    }

    /// GetListAction: `{items, total, offset, limit}` of createForList() rows, byte for byte.
    #[tokio::test]
    async fn list_shape_search_and_paging() {
        let sim = sim().await;
        let c = client(&sim, LOCAL);
        let (s, body) = send(c.get(api(&sim, "network-filters"))).await;
        assert_eq!(s, 200, "{body}");
        let first = concat!(
            r#"{"result":true,"data":{"items":[{"id":"1","uniqid":"","extension":"","#,
            r#""description":"Integration test bench (127.0.0.2)","#,
            r#""represent":"<i class=\"shield alternate icon\"><\/i> Integration test bench (127.0.0.2)","#,
            r#""permit":"127.0.0.2\/32","active_rules":10,"search_index":"integration test bench 127 0 0 2"},"#
        );
        assert!(body.starts_with(first), "{body}");
        assert!(
            body.contains(r#"],"total":4,"offset":0,"limit":0},"messages":[],"function":"getList","processor":"MikoPBX\\PBXCoreREST\\Lib\\NetworkFilters\\GetListAction::main""#),
            "{body}"
        );
        let v: Value = serde_json::from_str(&body).unwrap();
        let ids: Vec<&str> = v["data"]["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, ["1", "2", "3", "4"]);
        // Office LAN allows everything: 4 SIP + 1 IAX + 2 WEB + 1 SSH + 1 AMI + 2 AJAM + 1 ICMP rows.
        assert_eq!(v["data"]["items"][1]["active_rules"], 12);

        // `search` is LIKE on description or permit.
        let (_, v) = json(c.get(api(&sim, "network-filters?search=127.0.0.1"))).await;
        assert_eq!(v["data"]["total"], 2);
        assert_eq!(v["data"]["items"][0]["permit"], "127.0.0.1/32");
        assert_eq!(v["data"]["items"][1]["id"], "4");
        let (_, v) = json(c.get(api(&sim, "network-filters?search=office"))).await;
        assert_eq!(v["data"]["items"][0]["id"], "2");
        // PHP empty("0"): no filter at all.
        let (_, v) = json(c.get(api(&sim, "network-filters?search=0"))).await;
        assert_eq!(v["data"]["total"], 4);

        // Paging: array_slice only when limit > 0; total counts every match.
        let (_, v) = json(c.get(api(&sim, "network-filters?limit=2&offset=1"))).await;
        assert_eq!(v["data"]["total"], 4);
        assert_eq!(v["data"]["offset"], 1);
        assert_eq!(v["data"]["limit"], 2);
        let page: Vec<&str> = v["data"]["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_str().unwrap())
            .collect();
        assert_eq!(page, ["2", "3"]);
        let (_, v) = json(c.get(api(&sim, "network-filters?offset=2"))).await;
        assert_eq!(v["data"]["items"].as_array().unwrap().len(), 4);
        let (_, v) = json(c.get(api(&sim, "network-filters?limit=1&offset=-1"))).await;
        assert_eq!(v["data"]["items"][0]["id"], "4");
    }

    /// GetRecordAction: createFromModel() with the rules by category; the not-found quirks.
    #[tokio::test]
    async fn get_record_and_missing_ids() {
        let sim = sim().await;
        let c = client(&sim, LOCAL);
        let (s, body) = send(c.get(api(&sim, "network-filters/3"))).await;
        assert_eq!(s, 200, "{body}");
        let expected = concat!(
            r#"{"result":true,"data":{"id":"3","permit":"127.0.0.1\/32","deny":"","#,
            r#""description":"Localhost (127.0.0.1)","newer_block_ip":true,"local_network":false,"#,
            r#""rules":{"SIP":"block","IAX":"block","WEB":"allow","SSH":"block","AMI":"allow","AJAM":"allow","ICMP":"allow"},"#,
            r#""represent":"<i class=\"shield alternate icon\"><\/i> Localhost (127.0.0.1)","#,
            r#""search_index":"localhost 127 0 0 1 block block allow block allow allow allow"},"#,
            r#""messages":[],"function":"getRecord","processor":"MikoPBX\\PBXCoreREST\\Lib\\NetworkFilters\\GetRecordAction::main","pid":"#
        );
        assert!(body.starts_with(expected), "{body}");
        // findFirstById() on an integer column: "002" is row 2.
        let (s, v) = json(c.get(api(&sim, "network-filters/002"))).await;
        assert_eq!(s, 200);
        assert_eq!(v["data"]["id"], "2");
        assert_eq!(v["data"]["local_network"], true);

        let (s, body) = send(c.get(api(&sim, "network-filters/99"))).await;
        assert_eq!(s, 422, "{body}");
        assert!(
            body.starts_with(r#"{"result":false,"data":[],"messages":{"error":["Network filter with ID 99 not found"]},"function":"getRecord""#),
            "{body}"
        );
        assert!(!body.contains("httpCode"));
        let (s, v) = json(c.get(api(&sim, "network-filters/0"))).await;
        assert_eq!(s, 422);
        assert_eq!(v["messages"]["error"][0], "ID is required");
        // Ids outside [0-9]+ have no route.
        let (s, body) = send(c.get(api(&sim, "network-filters/abc"))).await;
        assert_eq!(s, 404);
        assert!(body.starts_with(r#"{"success":false"#), "{body}");
    }

    /// GetForSelectAction: `none`, `localhost` (AMI/API with includeLocalhost), then the filters
    /// whose firewall rules allow a category asked for.
    #[tokio::test]
    async fn for_select_by_category() {
        let sim = sim().await;
        let c = client(&sim, LOCAL);
        let (s, body) = send(c.get(api(&sim, "network-filters:getForSelect"))).await;
        assert_eq!(s, 200);
        let expected = concat!(
            r#"{"result":true,"data":[{"value":"none","represent":"<i class=\"globe icon\"><\/i> Connections from any addresses are allowed","#,
            r#""name":"Connections from any addresses are allowed","text":"Connections from any addresses are allowed"},"#,
            r#"{"value":"1","represent":"<i class=\"globe icon\"><\/i> Integration test bench (127.0.0.2)(subnet: 127.0.0.2\/32)","#,
            r#""name":"Integration test bench (127.0.0.2)","text":"Integration test bench (127.0.0.2)","network":"127.0.0.2\/32"},"#,
            r#"{"value":"2","#
        );
        assert!(body.starts_with(expected), "{body}");
        let v: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(values(&v), ["none", "1", "2"]); // SIP by default: filter 3 blocks SIP

        let get = |q: &str| json(c.get(api(&sim, &format!("network-filters:getForSelect?{q}"))));
        assert_eq!(values(&get("categories=IAX").await.1), ["none", "2"]);
        assert_eq!(
            values(&get("categories=ami").await.1),
            ["none", "1", "2", "3"]
        );
        assert_eq!(
            values(&get("categories[]=IAX&categories[]=AMI").await.1),
            ["none", "1", "2", "3"]
        );
        // The firewall has no API category: only the pseudo filters.
        let (_, v) = get("categories=API&includeLocalhost=true").await;
        assert_eq!(values(&v), ["none", "localhost"]);
        assert_eq!(v["data"][1]["name"], "Localhost connections only");
        assert_eq!(v["data"][1]["description"], "fw_LocalhostOnlyDescription");
        // Raw PHP truthiness of the query text; SIP never gets localhost.
        assert_eq!(
            values(&get("categories=API&includeLocalhost=0").await.1),
            ["none"]
        );
        assert_eq!(
            values(&get("categories=API&includeLocalhost=false").await.1),
            ["none", "localhost"]
        );
        assert_eq!(
            values(&get("categories=SIP&includeLocalhost=1").await.1),
            ["none", "1", "2"]
        );
    }

    /// Read-only: no write verb is routed; a key needs read on network-filters.
    #[tokio::test]
    async fn read_only_and_key_permissions() {
        let sim = sim().await;
        let c = client(&sim, LOCAL);
        for req in [
            c.post(api(&sim, "network-filters"))
                .json(&json!({"permit": "1.2.3.4/32"})),
            c.put(api(&sim, "network-filters/1")).json(&json!({})),
            c.delete(api(&sim, "network-filters/1")),
        ] {
            let (s, body) = send(req.bearer_auth(sim.admin_key())).await;
            assert_eq!(s, 404, "{body}");
            assert!(body.starts_with(r#"{"success":false"#), "{body}");
        }

        let (read, _) = make_key(
            &sim,
            json!({"description": "nf ro", "allowed_paths": {"/api/v3/network-filters": "read"}}),
        )
        .await;
        let (other, _) = make_key(
            &sim,
            json!({"description": "no nf", "allowed_paths": {"/api/v3/extensions": "read"}}),
        )
        .await;
        let remote = client(&sim, REMOTE);
        for path in [
            "network-filters",
            "network-filters/1",
            "network-filters:getForSelect",
        ] {
            let (s, body) = send(remote.get(api(&sim, path)).bearer_auth(&read)).await;
            assert_eq!(s, 200, "{path}: {body}");
            let (s, body) = send(remote.get(api(&sim, path)).bearer_auth(&other)).await;
            assert_eq!(s, 401, "{path}: {body}");
            assert_401_shape(&body);
        }
    }
}
