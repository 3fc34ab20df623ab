//! `incoming-routes` on the wire: bytes and statuses, not through the SDK.

use crate::test_support::*;
use crate::{RunningSimulator, Simulator};
use serde_json::{Value, json};

async fn sim() -> RunningSimulator {
    Simulator::builder().cdr_records(200).start().await.unwrap()
}

fn ids(v: &Value) -> Vec<&str> {
    v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect()
}

/// createFromModel() and createForList() byte for byte; the list leaves out route 1 and goes
/// by priority.
#[tokio::test]
async fn record_and_list_shapes() {
    let sim = sim().await;
    let c = client(&sim, LOCAL);
    let (s, body) = send(c.get(api(&sim, "incoming-routes/2"))).await;
    assert_eq!(s, 200, "{body}");
    assert!(
        body.starts_with(concat!(
            r#"{"result":true,"data":{"id":"2","rulename":"Main number","number":"74951234567","#,
            r#""providerid":"SIP-TRUNK-ABCDEF12","priority":1,"timeout":120,"extension":"2000","#,
            r#""audio_message_id":"","note":"Office main line, to the voice menu","#,
            r#""providerid_represent":"<i class=\"server icon\"><\/i> SIP: Main trunk","provider_type":"SIP","#,
            r#""provider_disabled":false,"extension_represent":"<i class=\"sitemap icon\"><\/i> IVR menu: Main menu <2000>","#,
            r#""audio_message_id_represent":"","#,
            r#""search_index":"sip main trunk ivr menu main menu 74951234567"},"messages":[],"function":"getRecord","#,
            r#""processor":"MikoPBX\\PBXCoreREST\\Lib\\IncomingRoutes\\GetRecordAction::main","#
        )),
        "{body}"
    );
    let (s, v) = json(c.get(api(&sim, "incoming-routes/42"))).await;
    assert_eq!((s, v["httpCode"].as_u64()), (422, None), "{v}");
    assert_eq!(
        v["messages"]["error"],
        json!(["Incoming route not found (ID: 42)"])
    );
    // `idPattern: '[0-9]+'`.
    let (s, v) = json(c.get(api(&sim, "incoming-routes/abc"))).await;
    assert_eq!((s, v["success"].as_bool()), (404, Some(false)), "{v}");

    let (s, body) = send(c.get(api(&sim, "incoming-routes"))).await;
    assert_eq!(s, 200, "{body}");
    assert!(
        body.starts_with(concat!(
            r#"{"result":true,"data":[{"id":"2","number":"74951234567","priority":1,"timeout":120,"#,
            r#""extension":"2000","note":"Office main line, to the voice menu","rulename":"Main number","#,
            r#""providerid":"SIP-TRUNK-ABCDEF12","providerid_represent":"<i class=\"server icon\"><\/i> SIP: Main trunk","#,
            r#""provider_disabled":false,"extension_represent":"<i class=\"sitemap icon\"><\/i> IVR menu: Main menu <2000>","#,
            r#""rule_represent":"Call to number <b>74951234567<\/b> via&nbsp&nbsp&nbsp<b><span class=\"provider\"><i class=\"server icon\"><\/i> SIP: Main trunk<\/span><\/b> will be routed to&nbsp&nbsp&nbsp<b><span class=\"callerid\">2000<\/span><\/b>","#
        )),
        "{body}"
    );
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(ids(&v), ["2", "3", "4"], "no default route, by priority");
    assert_eq!(
        v["data"][2]["rule_represent"],
        "Call to <b>any number</b> via&nbsp&nbsp&nbsp<b><span class=\"provider\"><i class=\"server icon\"></i> SIP: Backup trunk</span></b> will be routed to&nbsp&nbsp&nbsp<b><span class=\"callerid\">2000</span></b>"
    );
    assert!(v["data"][0].get("audio_message_id").is_none());
}

/// `search` (rulename, number, note), `order` (priority, rulename, number), paging; the
/// documented `providerid` filter does nothing.
#[tokio::test]
async fn search_order_and_paging() {
    let sim = sim().await;
    let c = client(&sim, LOCAL);
    let get = |q: &str| json(c.get(api(&sim, &format!("incoming-routes?{q}"))));
    assert_eq!(ids(&get("search=4570").await.1), ["3"]);
    assert_eq!(ids(&get("search=backup").await.1), ["4"]);
    assert_eq!(ids(&get("search=voice").await.1), ["2"], "the note");
    assert!(
        ids(&get("search=2000").await.1).is_empty(),
        "not the extension"
    );
    assert_eq!(ids(&get("order=rulename").await.1), ["4", "3", "2"]);
    assert_eq!(
        ids(&get("order=priority&orderWay=DESC").await.1),
        ["4", "3", "2"]
    );
    assert_eq!(
        ids(&get("order=timeout&orderWay=DESC").await.1),
        ["2", "3", "4"]
    );
    assert_eq!(ids(&get("limit=1&offset=1").await.1), ["3"]);
    assert_eq!(
        ids(&get("providerid=SIP-TRUNK-ABCDEF1A").await.1),
        ["2", "3", "4"]
    );
}

/// The default route: through `getRecord` 1 (its own processor) and `:getDefaultRoute`;
/// `:getDefault` is a new model with the next priority.
#[tokio::test]
async fn default_route_and_defaults() {
    let sim = sim().await;
    let c = client(&sim, LOCAL);
    let (s, body) = send(c.get(api(&sim, "incoming-routes:getDefaultRoute"))).await;
    assert_eq!(s, 200, "{body}");
    assert!(
        body.starts_with(concat!(
            r#"{"result":true,"data":{"id":"1","rulename":"default action","number":"","providerid":"none","#,
            r#""priority":9999,"timeout":0,"extension":"busy","audio_message_id":"","note":"","#,
            r#""providerid_represent":"<i class=\"globe icon\"><\/i> No provider binding, no authorization","#,
            r#""provider_type":"","provider_disabled":false,"extension_represent":"<i class=\"cogs icon\"><\/i> Play busy signal","#,
            r#""audio_message_id_represent":"","search_index":"#
        )),
        "{body}"
    );
    let (_, v) = json(c.get(api(&sim, "incoming-routes/1"))).await;
    assert_eq!(
        v["processor"],
        "MikoPBX\\PBXCoreREST\\Lib\\IncomingRoutes\\GetRecordAction::getDefaultRoute"
    );
    assert_eq!(v["data"]["extension"], "busy");

    let (s, v) = json(c.get(api(&sim, "incoming-routes:getDefault"))).await;
    assert_eq!(s, 200, "{v}");
    let d = &v["data"];
    assert_eq!(
        (d["id"].as_str(), d["priority"].as_i64()),
        (Some(""), Some(4))
    );
    assert_eq!(
        (d["timeout"].as_i64(), d["providerid"].as_str()),
        (Some(120), Some("none"))
    );
    assert_eq!(d["extension"], "");
}

/// `copy` is a POST here (GET is refused by the controller); nothing is saved, the rule's
/// name is not copied.
#[tokio::test]
async fn copy_semantics() {
    let sim = sim().await;
    let c = client(&sim, LOCAL);
    let (s, v) = json(c.get(api(&sim, "incoming-routes/3:copy"))).await;
    assert_eq!(s, 405, "{v}");
    let (s, v) = json(c.post(api(&sim, "incoming-routes:copy"))).await;
    assert_eq!(s, 400, "{v}");
    let (s, v) = json(c.post(api(&sim, "incoming-routes/3:copy"))).await;
    assert_eq!(s, 200, "{v}");
    let d = &v["data"];
    assert_eq!(d["id"], "");
    assert_eq!(d["rulename"], "", "not copied");
    assert_eq!(
        (
            d["number"].as_str(),
            d["extension"].as_str(),
            d["timeout"].as_i64()
        ),
        (Some("74951234570"), Some("230"), Some(30))
    );
    assert_eq!(d["providerid"], "SIP-TRUNK-ABCDEF12");
    assert_eq!(d["priority"], 4);
    let (_, l) = json(c.get(api(&sim, "incoming-routes"))).await;
    assert_eq!(ids(&l).len(), 3, "not saved");
    let (s, v) = json(c.post(api(&sim, "incoming-routes/77:copy"))).await;
    assert_eq!((s, v["httpCode"].as_u64()), (422, None));
    assert_eq!(
        v["messages"]["error"],
        json!(["Source incoming route not found: 77"])
    );
}

/// Create: nothing required, defaults, priority 0/1 → next, values cut rather than refused,
/// no existence check of the extension or the provider.
#[tokio::test]
async fn create_sanitises_and_defaults() {
    let sim = sim().await;
    let c = client(&sim, LOCAL);
    let (s, body) = send(c.post(api(&sim, "incoming-routes")).json(&json!({}))).await;
    assert_eq!(s, 201, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["data"]["id"], "5");
    assert_eq!(v["data"]["priority"], 4);
    assert_eq!(v["data"]["timeout"], 120);
    assert_eq!(v["data"]["providerid"], "none");
    assert_eq!(v["reload"], "incoming-routes/modify/5");

    let long = "x".repeat(150);
    let (s, v) = json(c.post(api(&sim, "incoming-routes")).json(&json!({
        "rulename": format!("  {long} "), "number": " +7 (495) 765-43-21 ",
        "providerid": "SIP-NOPE", "priority": 1, "timeout": "45",
        "extension": "2-9-9", "audio_message_id": "none", "note": "ok <script>x</script>"
    })))
    .await;
    assert_eq!(s, 201, "{v}");
    let d = &v["data"];
    assert_eq!(d["rulename"].as_str().unwrap().len(), 100);
    assert_eq!(d["number"], "+7 (495) 765-43-21", "trimmed, not checked");
    assert_eq!(d["providerid"], "SIP-NOPE", "not checked");
    assert_eq!(
        d["providerid_represent"],
        "<i class=\"globe icon\"></i> No provider binding, no authorization"
    );
    assert_eq!(d["priority"], 5, "1 means next");
    assert_eq!(d["extension"], "299", "its digits");
    assert_eq!(d["extension_represent"], "", "no such extension: accepted");
    assert_eq!(d["audio_message_id"], "");
    assert_eq!(d["note"], "ok ", "trimmed before the script went");

    let (s, v) = json(c.post(api(&sim, "incoming-routes")).json(&json!({
        "priority": 12000, "timeout": -1
    })))
    .await;
    assert_eq!((s, v["httpCode"].as_u64()), (422, Some(422)), "{v}");
    assert_eq!(
        v["messages"]["error"],
        json!([
            "Field 'priority' must be at most 9999 (got 12000)",
            "Field 'timeout' must be at least 0 (got -1)"
        ])
    );
    let (s, v) = json(c.post(api(&sim, "incoming-routes")).json(&json!({
        "note": "1 union select password"
    })))
    .await;
    assert_eq!((s, v["httpCode"].as_u64()), (422, None), "{v}");
    assert_eq!(
        v["messages"]["error"],
        json!(["Dangerous content detected in fields: note"])
    );
}

/// PUT / PATCH write what is given, but a missing `providerid` resets the provider; a POST
/// with an existing id updates; route 1 keeps priority 9999; a missing id is 404.
#[tokio::test]
async fn update_patch_and_the_provider_reset() {
    let sim = sim().await;
    let c = client(&sim, LOCAL);
    let (s, v) = json(
        c.patch(api(&sim, "incoming-routes/3"))
            .json(&json!({"timeout": 40})),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["data"]["timeout"], 40);
    assert_eq!(v["data"]["number"], "74951234570", "kept");
    assert_eq!(v["data"]["providerid"], "none", "reset: no providerid sent");

    let (s, v) = json(c.put(api(&sim, "incoming-routes/3")).json(&json!({
        "providerid": "SIP-TRUNK-ABCDEF1A", "priority": 7, "id": "99"
    })))
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["data"]["id"], "3", "the path's id wins");
    assert_eq!(v["data"]["priority"], 7);
    assert_eq!(v["data"]["timeout"], 40);

    let (s, v) = json(
        c.post(api(&sim, "incoming-routes"))
            .json(&json!({"id": "3", "note": "via POST"})),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        (v["data"]["id"].as_str(), v["data"]["note"].as_str()),
        (Some("3"), Some("via POST"))
    );

    let (s, v) = json(
        c.put(api(&sim, "incoming-routes/1"))
            .json(&json!({"extension": "2000", "priority": 3})),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        (
            v["data"]["priority"].as_i64(),
            v["data"]["extension"].as_str()
        ),
        (Some(9999), Some("2000"))
    );

    for verb in ["PUT", "PATCH"] {
        let req = c.request(verb.parse().unwrap(), api(&sim, "incoming-routes/77"));
        let (s, v) = json(req.json(&json!({"note": "x"}))).await;
        assert_eq!((s, v["httpCode"].as_u64()), (404, Some(404)), "{verb}: {v}");
        assert_eq!(v["messages"]["error"], json!(["Incoming route not found"]));
    }
}

/// Delete: route 1 refused, the untranslated not-found key (422), `{deleted_id}`; a routed
/// number cannot be deleted elsewhere until the route goes.
#[tokio::test]
async fn delete_and_referential_rules() {
    let sim = sim().await;
    let c = client(&sim, LOCAL);
    let (s, v) = json(c.delete(api(&sim, "incoming-routes/1"))).await;
    assert_eq!(
        (s, v["messages"]["error"][0].as_str()),
        (422, Some("Cannot delete default incoming route"))
    );
    let (s, v) = json(c.delete(api(&sim, "incoming-routes/77"))).await;
    assert_eq!((s, v["httpCode"].as_u64()), (422, None));
    assert_eq!(v["messages"]["error"], json!(["api_IncomingRouteNotFound"]));

    // Employee 230 (user id 30) is route 3's destination.
    let emp = "30";
    let (s, v) = json(c.delete(api(&sim, &format!("employees/{emp}")))).await;
    assert_eq!(s, 409, "{v}");
    assert!(
        v["messages"]["error"][0]
            .as_str()
            .unwrap()
            .contains("Direct line Ksenia Nikolaeva"),
        "{v}"
    );

    let (s, body) = send(c.delete(api(&sim, "incoming-routes/3"))).await;
    assert_eq!(s, 200, "{body}");
    assert!(
        body.starts_with(r#"{"result":true,"data":{"deleted_id":"3"},"messages":[],"function":"delete","processor":"MikoPBX\\PBXCoreREST\\Lib\\IncomingRoutes\\DeleteRecordAction::main","#),
        "{body}"
    );
    let (s, v) = json(c.delete(api(&sim, &format!("employees/{emp}")))).await;
    assert_eq!(s, 200, "{v}");
}

/// changePriority: the map form, all or nothing, route 1 skipped; the list form of the OpenAPI
/// example and a body without `priorities` fail as the source reads them.
#[tokio::test]
async fn change_priority_semantics() {
    let sim = sim().await;
    let c = client(&sim, LOCAL);
    let url = api(&sim, "incoming-routes:changePriority");
    let (s, v) = json(
        c.post(&url)
            .json(&json!({"priorities": {"4": 1, "2": 2, "3": 3, "1": 0}})),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        v["data"],
        json!({"updated": 3, "message": "Successfully updated 3 route priorities"})
    );
    let (_, l) = json(c.get(api(&sim, "incoming-routes"))).await;
    assert_eq!(ids(&l), ["4", "2", "3"]);
    let (_, d) = json(c.get(api(&sim, "incoming-routes/1"))).await;
    assert_eq!(d["data"]["priority"], 9999);

    let (s, v) = json(c.post(&url).json(&json!({"priorities": {"2": 9, "77": 1}}))).await;
    assert_eq!((s, v["httpCode"].as_u64()), (422, None), "{v}");
    assert_eq!(v["messages"]["error"], json!(["Route ID 77 not found"]));
    let (_, d) = json(c.get(api(&sim, "incoming-routes/2"))).await;
    assert_eq!(d["data"]["priority"], 2, "rolled back");

    let (s, v) = json(
        c.post(&url)
            .json(&json!({"priorities": [{"id": "2", "priority": 1}]})),
    )
    .await;
    assert_eq!(s, 422);
    assert_eq!(v["messages"]["error"], json!(["Route ID 0 not found"]));
    let (s, v) = json(c.post(&url).json(&json!({"2": 1}))).await;
    assert_eq!(s, 422);
    assert_eq!(
        v["messages"]["error"],
        json!(["Route ID httpMethod not found"])
    );
    let (s, v) = json(c.post(&url).json(&json!({"priorities": {}}))).await;
    assert_eq!(s, 422);
    assert_eq!(v["messages"]["error"], json!(["No priority data provided"]));
}

/// getUniqueDIDs: the DIDs of calls that came in over the provider; none for any provider.
#[tokio::test]
async fn unique_dids() {
    let sim = sim().await;
    let c = client(&sim, LOCAL);
    let (s, v) = json(c.get(api(
        &sim,
        "incoming-routes:getUniqueDIDs?providerid=SIP-TRUNK-ABCDEF12",
    )))
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        v["data"],
        json!([{"value": "74951234567", "name": "74951234567"}, {"value": "74951234568", "name": "74951234568"}])
    );
    for q in [
        "",
        "?providerid=none",
        "?providerid=SIP-TRUNK-ABCDEF1A",
        "?providerid=SIP-NOPE",
    ] {
        let (s, v) = json(c.get(api(&sim, &format!("incoming-routes:getUniqueDIDs{q}")))).await;
        assert_eq!((s, v["data"].clone()), (200, json!([])), "{q}");
    }
}
