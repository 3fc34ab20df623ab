//! `network-filters` on the wire, as src/PBXCoreREST/Lib/NetworkFilters/* (release 2026.1.223)
//! answers: the `items` list shape and its paging, records with their firewall rules, the
//! select options per category, the read-only routes and the API-key checks.
#![allow(clippy::disallowed_methods)] // test clients are built here, not in the core's transport

mod common;

use common::*;
use mikopbx_sim::{RunningSimulator, Simulator};
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
        body.contains(r#"],"total":3,"offset":0,"limit":0},"messages":[],"function":"getList","processor":"MikoPBX\\PBXCoreREST\\Lib\\NetworkFilters\\GetListAction::main""#),
        "{body}"
    );
    let v: Value = serde_json::from_str(&body).unwrap();
    let ids: Vec<&str> = v["data"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["1", "2", "3"]);
    // Office LAN allows everything: 4 SIP + 1 IAX + 2 WEB + 1 SSH + 1 AMI + 2 AJAM + 1 ICMP rows.
    assert_eq!(v["data"]["items"][1]["active_rules"], 12);

    // `search` is LIKE on description or permit.
    let (_, v) = json(c.get(api(&sim, "network-filters?search=127.0.0.1"))).await;
    assert_eq!(v["data"]["total"], 1);
    assert_eq!(v["data"]["items"][0]["permit"], "127.0.0.1/32");
    let (_, v) = json(c.get(api(&sim, "network-filters?search=office"))).await;
    assert_eq!(v["data"]["items"][0]["id"], "2");
    // PHP empty("0"): no filter at all.
    let (_, v) = json(c.get(api(&sim, "network-filters?search=0"))).await;
    assert_eq!(v["data"]["total"], 3);

    // Paging: array_slice only when limit > 0; total counts every match.
    let (_, v) = json(c.get(api(&sim, "network-filters?limit=2&offset=1"))).await;
    assert_eq!(v["data"]["total"], 3);
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
    assert_eq!(v["data"]["items"].as_array().unwrap().len(), 3);
    let (_, v) = json(c.get(api(&sim, "network-filters?limit=1&offset=-1"))).await;
    assert_eq!(v["data"]["items"][0]["id"], "3");
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
