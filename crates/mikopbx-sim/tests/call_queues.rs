//! `call-queues` on the wire, as src/PBXCoreREST/Lib/CallQueues/* (release 2026.1.223) answers:
//! record and list shapes byte for byte, validation, status codes, copy / delete semantics and
//! the API-key checks (including the A–F id quirk).
#![allow(clippy::disallowed_methods)] // test clients are built here, not in the core's transport

mod common;

use common::*;
use mikopbx_sim::{RunningSimulator, Simulator};
use serde_json::{Value, json};

async fn sim() -> RunningSimulator {
    Simulator::builder()
        .cdr_records(1000)
        .start()
        .await
        .unwrap()
}

const SUPPORT: &str = "QUEUE-1A2B3C4D";
const SALES: &str = "QUEUE-1A2B3C41";

fn ids(v: &Value) -> Vec<&str> {
    v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["id"].as_str().unwrap())
        .collect()
}

/// GetRecordAction: createFromModel() in PHP key order and formatBySchema() types.
#[tokio::test]
async fn get_record_is_create_from_model() {
    let sim = sim().await;
    let c = client(&sim, LOCAL);
    let (s, body) = send(c.get(api(&sim, &format!("call-queues/{SUPPORT}")))).await;
    assert_eq!(s, 200);
    let expected = concat!(
        r#"{"result":true,"data":{"id":"QUEUE-1A2B3C4D","extension":"2002","name":"Support","#,
        r#""description":"Technical support","strategy":"rrmemory","seconds_to_ring_each_member":20,"#,
        r#""seconds_for_wrapup":15,"recive_calls_while_on_a_call":false,"announce_position":false,"#,
        r#""announce_hold_time":false,"caller_hear":"ringing","periodic_announce_frequency":null,"#,
        r#""timeout_to_redirect_to_extension":300,"number_unanswered_calls_to_redirect":3,"#,
        r#""number_repeat_unanswered_to_redirect":3,"callerid_prefix":"SUP:","timeout_extension":"2000","#,
        r#""timeout_extension_represent":"<i class=\"sitemap icon\"><\/i> IVR menu: Main menu <2000>","#,
        r#""redirect_to_extension_if_empty":"","redirect_to_extension_if_empty_represent":"","#,
        r#""redirect_to_extension_if_unanswered":"","redirect_to_extension_if_unanswered_represent":"","#,
        r#""redirect_to_extension_if_repeat_exceeded":"","redirect_to_extension_if_repeat_exceeded_represent":"","#,
        r#""periodic_announce_sound_id":"","periodic_announce_sound_id_represent":"","#,
        r#""moh_sound_id":"","moh_sound_id_represent":"","members":["#,
        r#"{"id":"4","extension":"210","priority":1,"represent":"<i class=\"icons\"><i class=\"user outline icon\"><\/i><\/i> Tatiana Morozova <210>"},"#,
        r#"{"id":"5","extension":"211","priority":1,"represent":"<i class=\"icons\"><i class=\"user outline icon\"><\/i><\/i> John Smith <211>"}]},"#,
        r#""messages":[],"function":"getRecord","processor":"MikoPBX\\PBXCoreREST\\Lib\\CallQueues\\GetRecordAction::main","pid":"#
    );
    assert!(body.starts_with(expected), "{body}");
    assert!(!body.contains("httpCode"), "{body}");

    // Unknown (and differently cased) ids: 404 with httpCode.
    for id in ["QUEUE-FFFF0000", "QUEUE-1a2b3c4d"] {
        let (s, body) = send(c.get(api(&sim, &format!("call-queues/{id}")))).await;
        assert_eq!(s, 404, "{body}");
        assert!(
            body.starts_with(r#"{"result":false,"data":[],"messages":{"error":["Call queue not found"]},"function":"getRecord","processor":"MikoPBX\\PBXCoreREST\\Lib\\CallQueues\\GetRecordAction::main","pid":"#),
            "{body}"
        );
        assert!(body.contains(r#""httpCode":404"#));
    }
    // Ids outside QUEUE-[A-Fa-f0-9]{4,} have no route at all.
    let (s, body) = send(c.get(api(&sim, "call-queues/QUEUE-XYZ1"))).await;
    assert_eq!(s, 404);
    assert!(body.starts_with(r#"{"success":false"#), "{body}");
}

/// GetListAction: createForList() rows, search / order / paging of executeStandardList.
#[tokio::test]
async fn list_shape_search_order_and_paging() {
    let sim = sim().await;
    let c = client(&sim, LOCAL);
    let (s, body) = send(c.get(api(&sim, "call-queues"))).await;
    assert_eq!(s, 200);
    assert!(
        body.starts_with(concat!(
            r#"{"result":true,"data":[{"id":"QUEUE-1A2B3C41","extension":"2001","name":"Sales","#,
            r#""description":"Sales department","represent":"<i class=\"users icon\"><\/i> Sales <2001>","#,
            r#""strategy":"ringall","members":[{"extension":"201","represent":"<i class=\"icons\"><i class=\"user outline icon\"><\/i><\/i> Alexey Ivanov <201>"},"#
        )),
        "{body}"
    );
    assert!(body.contains(r#""search_index":"sales 2001 sales department alexey ivanov 201 <201> 201 <201> maria petrova 202 <202> 202 <202> ivan smirnov 203 <203> 203 <203>"}"#), "{body}");
    assert!(body.contains(r#""function":"getList","processor":"MikoPBX\\PBXCoreREST\\Lib\\CallQueues\\GetListAction::main""#));
    let v: Value = serde_json::from_str(&body).unwrap();
    // A bare array, default order name ASC.
    assert_eq!(ids(&v), vec![SALES, SUPPORT]);
    assert_eq!(
        v["data"][1]["members"][0].as_object().unwrap().len(),
        2,
        "list members are {{extension, represent}}"
    );
    // search: LIKE on name or description (case-insensitive, `_` is a wildcard).
    let (_, v) = json(c.get(api(&sim, "call-queues?search=TECHNICAL"))).await;
    assert_eq!(ids(&v), vec![SUPPORT]);
    let (_, v) = json(c.get(api(&sim, "call-queues?search=S_les"))).await;
    assert_eq!(ids(&v), vec![SALES]);
    let (_, v) = json(c.get(api(&sim, "call-queues?search=2001"))).await;
    assert_eq!(ids(&v), Vec::<&str>::new(), "the extension is not searched");
    // order / orderWay (and order_by / order_direction); an unknown field is the default.
    let (_, v) = json(c.get(api(&sim, "call-queues?order=extension&orderWay=desc"))).await;
    assert_eq!(ids(&v), vec![SUPPORT, SALES]);
    let (_, v) = json(c.get(api(&sim, "call-queues?order_by=name&order_direction=DESC"))).await;
    assert_eq!(ids(&v), vec![SUPPORT, SALES]);
    let (_, v) = json(c.get(api(&sim, "call-queues?order=strategy&orderWay=DESC"))).await;
    assert_eq!(ids(&v), vec![SALES, SUPPORT]);
    // Paging only with limit / offset; limit ≤ 0 is 50.
    let (_, v) = json(c.get(api(&sim, "call-queues?limit=1&offset=1"))).await;
    assert_eq!(ids(&v), vec![SUPPORT]);
    let (_, v) = json(c.get(api(&sim, "call-queues?limit=0&offset=-4"))).await;
    assert_eq!(ids(&v).len(), 2);
}

/// GetDefaultAction: createFromSchema('detail') with a new uniqid and 2200100.
#[tokio::test]
async fn get_default_is_the_detail_schema() {
    let sim = sim().await;
    let c = client(&sim, LOCAL);
    let (s, body) = send(c.get(api(&sim, "call-queues:getDefault"))).await;
    assert_eq!(s, 200);
    assert!(
        body.starts_with(concat!(
            r#"{"result":true,"data":{"strategy":"ringall","name":"","extension":"2200100","description":"","#,
            r#""seconds_to_ring_each_member":15,"seconds_for_wrapup":15,"recive_calls_while_on_a_call":false,"#,
            r#""caller_hear":"ringing","announce_position":false,"announce_hold_time":false,"moh_sound_id":"","#,
            r#""periodic_announce_sound_id":"","periodic_announce_frequency":0,"timeout_to_redirect_to_extension":0,"#,
            r#""timeout_extension":"","redirect_to_extension_if_empty":"","redirect_to_extension_if_unanswered":"","#,
            r#""number_unanswered_calls_to_redirect":3,"redirect_to_extension_if_repeat_exceeded":"","#,
            r#""number_repeat_unanswered_to_redirect":3,"callerid_prefix":"","members":[],"id":"QUEUE-"#
        )),
        "{body}"
    );
    assert!(body.contains(r#""moh_sound_id_represent":"","isNew":"1"},"messages":[],"function":"getDefault","processor":"MikoPBX\\PBXCoreREST\\Lib\\CallQueues\\GetDefaultAction::main""#), "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    let id = v["data"]["id"].as_str().unwrap();
    assert!(
        id.len() == 14
            && id[6..]
                .chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_lowercase()),
        "{id}"
    );
}

/// CopyRecordAction: a new uniqid and number, "copy of", members with id "", nothing saved.
#[tokio::test]
async fn copy_builds_an_unsaved_copy() {
    let sim = sim().await;
    let c = client(&sim, LOCAL);
    let (s, v) = json(c.get(api(&sim, &format!("call-queues/{SALES}:copy")))).await;
    assert_eq!(s, 200, "{v}");
    let d = &v["data"];
    assert_ne!(d["id"], SALES);
    assert!(d["id"].as_str().unwrap().starts_with("QUEUE-"));
    assert_eq!(d["name"], "copy of Sales");
    assert_eq!(d["extension"], "2200100");
    assert_eq!(d["description"], "Sales department");
    assert_eq!(d["strategy"], "ringall");
    assert_eq!(
        d["members"][0],
        json!({"id": "", "extension": "201", "priority": 1,
               "represent": "<i class=\"icons\"><i class=\"user outline icon\"></i></i> Alexey Ivanov <201>"})
    );
    assert_eq!(
        v["processor"],
        "MikoPBX\\PBXCoreREST\\Lib\\CallQueues\\CopyRecordAction::main"
    );
    assert_eq!(v["function"], "copy");
    let (_, list) = json(c.get(api(&sim, "call-queues"))).await;
    assert_eq!(ids(&list).len(), 2, "copy saves nothing");
    // Unknown source: 422 without httpCode.
    let (s, v) = json(c.get(api(&sim, "call-queues/QUEUE-0000AAAA:copy"))).await;
    assert_eq!(s, 422);
    assert_eq!(
        v["messages"]["error"][0],
        "Call queue not found: QUEUE-0000AAAA"
    );
    assert!(v.get("httpCode").is_none());
    // copy is GET only.
    let (s, _) = json(c.post(api(&sim, &format!("call-queues/{SALES}:copy")))).await;
    assert_eq!(s, 405);
}

/// SaveRecordAction on POST: defaults, sanitising, the QUEUE extension, 201 + reload.
#[tokio::test]
async fn create_applies_defaults_and_sanitises() {
    let sim = sim().await;
    let c = client(&sim, LOCAL);
    let (s, v) = json(c.post(api(&sim, "call-queues")).json(&json!({
        "name": format!("  {}  ", "N".repeat(120)),
        "extension": "2950",
        "timeout_extension": "201a",
        "redirect_to_extension_if_empty": "hangup",
        "members": [
            {"extension": "+7 (203)", "priority": 99},
            {"extension": "abc", "priority": 1},
            {"extension": 204, "priority": "-3"},
            "205"
        ]
    })))
    .await;
    assert_eq!((s, v["httpCode"].as_u64()), (201, Some(201)), "{v}");
    let d = &v["data"];
    let id = d["id"].as_str().unwrap().to_string();
    assert_eq!(v["reload"], format!("call-queues/modify/{id}"));
    assert_eq!(
        v["processor"],
        "MikoPBX\\PBXCoreREST\\Lib\\CallQueues\\SaveRecordAction::main"
    );
    assert_eq!(v["function"], "create");
    assert_eq!(d["name"].as_str().unwrap().len(), 100);
    assert_eq!(d["extension"], "2950");
    // Defaults of the schema; columns never written read back as '' (the model's defaults),
    // and 0 seconds to redirect is stored as ''.
    assert_eq!(d["strategy"], "ringall");
    assert_eq!(d["seconds_to_ring_each_member"], 15);
    assert_eq!(d["seconds_for_wrapup"], 15);
    assert_eq!(d["caller_hear"], "ringing");
    assert_eq!(d["recive_calls_while_on_a_call"], false);
    assert_eq!(d["number_unanswered_calls_to_redirect"], 3);
    assert_eq!(d["timeout_to_redirect_to_extension"], "");
    assert_eq!(d["periodic_announce_frequency"], "");
    assert_eq!(d["description"], "");
    assert_eq!(d["timeout_extension"], "201");
    assert_eq!(d["redirect_to_extension_if_empty"], "hangup");
    assert_eq!(
        d["redirect_to_extension_if_empty_represent"],
        "<i class=\"cogs icon\"></i> End call"
    );
    let members: Vec<(&str, i64)> = d["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["extension"].as_str().unwrap(),
                m["priority"].as_i64().unwrap(),
            )
        })
        .collect();
    // Sorted by priority; "abc" and the bare string dropped; priority clamped to 0..10.
    assert_eq!(members, vec![("204", 0), ("7203", 10)]);
    assert_eq!(d["members"][1]["represent"], "ERROR");
    // The QUEUE extension exists now.
    let (_, ext) = json(c.get(api(&sim, "extensions?search=2950"))).await;
    assert_eq!(ext["data"][0]["type"], "QUEUE", "{ext}");
    let (_, av) = json(
        c.post(api(&sim, "extensions:available"))
            .json(&json!({"number": "2950"})),
    )
    .await;
    assert_eq!(av["data"]["available"], false);
    // The same number again, or an employee's: 409.
    for number in ["2950", "201"] {
        let (s, v) = json(
            c.post(api(&sim, "call-queues"))
                .json(&json!({"name": "Dup", "extension": number})),
        )
        .await;
        assert_eq!((s, v["httpCode"].as_u64()), (409, Some(409)), "{v}");
        assert_eq!(
            v["messages"]["error"],
            json!(["Extension number already exists"])
        );
    }
    // A body id that is free creates the queue with that uniqid (migrations)...
    let (s, v) = json(
        c.post(api(&sim, "call-queues"))
            .json(&json!({"id": "QUEUE-ABCD0001", "name": "Imported", "extension": "2951"})),
    )
    .await;
    assert_eq!(
        (s, v["data"]["id"].as_str()),
        (201, Some("QUEUE-ABCD0001")),
        "{v}"
    );
    // ...and one that exists turns the POST into an update (200).
    let (s, v) = json(
        c.post(api(&sim, "call-queues"))
            .json(&json!({"id": "QUEUE-ABCD0001", "name": "Renamed"})),
    )
    .await;
    assert_eq!((s, v["httpCode"].as_u64()), (200, Some(200)), "{v}");
    assert_eq!(
        (v["data"]["name"].as_str(), v["data"]["extension"].as_str()),
        (Some("Renamed"), Some("2951"))
    );
    let (_, list) = json(c.get(api(&sim, "call-queues"))).await;
    assert_eq!(ids(&list).len(), 4);
}

/// The validation phases of SaveRecordAction and their message shapes.
#[tokio::test]
async fn create_validation_errors() {
    let sim = sim().await;
    let c = client(&sim, LOCAL);
    let post = |body: Value| c.post(api(&sim, "call-queues")).json(&body);
    // PHASE 2: keyed by field, 422 without httpCode.
    let (s, body) = send(post(json!({"name": "0"}))).await;
    assert_eq!(s, 422);
    assert!(
        body.starts_with(r#"{"result":false,"data":[],"messages":{"error":{"name":"Queue name is required","extension":"Extension number is required"}},"function":"create","processor":"MikoPBX\\PBXCoreREST\\Lib\\CallQueues\\SaveRecordAction::main","pid":"#),
        "{body}"
    );
    assert!(!body.contains("httpCode"));
    let (s, v) = json(post(json!({"name": "Q", "extension": "12a"}))).await;
    assert_eq!(s, 422);
    assert_eq!(
        v["messages"]["error"],
        json!({"extension": "Extension must be 2-8 digits"})
    );
    let (_, v) = json(post(json!({"name": "Q", "extension": "123456789"}))).await;
    assert_eq!(
        v["messages"]["error"],
        json!({"extension": "Extension must be 2-8 digits"})
    );
    // PHASE 5: a list, 422 with httpCode, in field-definition order.
    let (s, v) = json(post(json!({"name": "Q", "extension": "2960", "strategy": "roundrobin",
        "seconds_to_ring_each_member": 0, "caller_hear": "music", "periodic_announce_frequency": "601",
        "number_repeat_unanswered_to_redirect": 101}))).await;
    assert_eq!((s, v["httpCode"].as_u64()), (422, Some(422)), "{v}");
    assert_eq!(
        v["messages"]["error"],
        json!([
            "Field 'strategy' must be one of: ringall, leastrecent, fewestcalls, random, rrmemory, linear",
            "Field 'seconds_to_ring_each_member' must be at least 1 (got 0)",
            "Field 'caller_hear' must be one of: ringing, moh",
            "Field 'periodic_announce_frequency' must be at most 600 (got 601)",
            "Field 'number_repeat_unanswered_to_redirect' must be at most 100 (got 101)"
        ])
    );
    // TextFieldProcessor: tags are stripped silently, what stays dangerous is refused.
    let (s, v) = json(post(
        json!({"name": "VIP<script>alert(1)</script> line", "extension": "2961"}),
    ))
    .await;
    assert_eq!(
        (s, v["data"]["name"].as_str()),
        (201, Some("VIP line")),
        "{v}"
    );
    let (s, v) = json(post(
        json!({"name": "Q", "description": "select * from x union select 1", "extension": "2962"}),
    ))
    .await;
    assert_eq!(s, 422);
    assert_eq!(
        v["messages"]["error"],
        json!(["Dangerous content detected in fields: description"])
    );
    // A number twice in members: the member save fails and everything is rolled back.
    let (s, v) = json(post(json!({"name": "Q", "extension": "2963",
        "members": [{"extension": "201"}, {"extension": "201", "priority": 2}]})))
    .await;
    assert_eq!(s, 422, "{v}");
    assert_eq!(
        v["messages"]["error"][0],
        "Failed to save queue member: mo_ThisQueueAndMemberMustBeUniqueForCallQueuesModels"
    );
    let (_, av) = json(
        c.post(api(&sim, "extensions:available"))
            .json(&json!({"number": "2963"})),
    )
    .await;
    assert_eq!(av["data"]["available"], true);
    // Garbage never breaks the server.
    for b in [
        "{\"name\": [1], \"extension\": \"2964\"}",
        "{\"members\": {\"a\": [1]}}",
        "[]",
    ] {
        let (s, _) = send(
            c.post(api(&sim, "call-queues"))
                .header("Content-Type", "application/json")
                .body(b),
        )
        .await;
        assert!(s < 500, "{b}: {s}");
    }
}

/// UpdateRecordAction / SaveRecordAction on PUT.
#[tokio::test]
async fn put_updates_with_isset_semantics() {
    let sim = sim().await;
    let c = client(&sim, LOCAL);
    let url = api(&sim, &format!("call-queues/{SUPPORT}"));
    // Missing record: 422 without httpCode (PATCH is 404).
    let (s, v) = json(
        c.put(api(&sim, "call-queues/QUEUE-0000BBBB"))
            .json(&json!({"name": "X"})),
    )
    .await;
    assert_eq!(s, 422);
    assert_eq!(
        v["messages"]["error"],
        json!(["Call queue not found: QUEUE-0000BBBB"])
    );
    assert_eq!(
        v["processor"],
        "MikoPBX\\PBXCoreREST\\Lib\\CallQueues\\UpdateRecordAction::main"
    );
    assert!(v.get("httpCode").is_none());
    // name is required on every save.
    let (s, v) = json(c.put(&url).json(&json!({"strategy": "linear"}))).await;
    assert_eq!(
        (s, &v["messages"]["error"]),
        (422, &json!({"name": "Queue name is required"}))
    );
    // A conflicting body id: 400.
    let (s, v) = json(c.put(&url).json(&json!({"id": SALES, "name": "X"}))).await;
    assert_eq!((s, v["httpCode"].as_u64()), (400, Some(400)));
    assert_eq!(
        v["messages"]["error"][0],
        "Cannot change ID of existing record. ID in request body ('QUEUE-1A2B3C41') doesn't match existing ID ('QUEUE-1A2B3C4D')"
    );
    // Only what is sent changes; the extension stays; members stay when absent.
    let (s, v) = json(c.put(&url).json(
        &json!({"id": SUPPORT, "name": "Helpdesk", "strategy": "linear", "moh_sound_id": "7"}),
    ))
    .await;
    assert_eq!((s, v["httpCode"].as_u64()), (200, Some(200)), "{v}");
    let d = &v["data"];
    assert_eq!(
        (
            d["name"].as_str(),
            d["strategy"].as_str(),
            d["extension"].as_str()
        ),
        (Some("Helpdesk"), Some("linear"), Some("2002"))
    );
    assert_eq!(
        (
            d["seconds_to_ring_each_member"].as_i64(),
            d["timeout_extension"].as_str()
        ),
        (Some(20), Some("2000"))
    );
    assert_eq!(d["moh_sound_id"], "7");
    assert_eq!(d["members"].as_array().unwrap().len(), 2);
    assert_eq!(v["reload"], format!("call-queues/modify/{SUPPORT}"));
    // The sound ids are always written: a PUT without them clears them.
    let (_, v) = json(c.put(&url).json(&json!({"name": "Helpdesk"}))).await;
    assert_eq!(v["data"]["moh_sound_id"], "");
    // The extension is not pattern-checked on update (only on a plain create).
    let (s, v) = json(
        c.put(&url)
            .json(&json!({"name": "Helpdesk", "extension": "9"})),
    )
    .await;
    assert_eq!(
        (s, v["data"]["extension"].as_str()),
        (200, Some("9")),
        "{v}"
    );
    // Renumbering rewrites references (Extensions::afterUpdate): the IVR action to 2001.
    let sales = api(&sim, &format!("call-queues/{SALES}"));
    let (s, _) = json(
        c.put(&sales)
            .json(&json!({"name": "Sales", "extension": "2011", "members": []})),
    )
    .await;
    assert_eq!(s, 200);
    let (s, v) = json(c.delete(&sales)).await;
    assert_eq!(s, 409, "the IVR action now points at 2011: {v}");
    let (_, ext) = json(
        c.post(api(&sim, "extensions:available"))
            .json(&json!({"number": "2001"})),
    )
    .await;
    assert_eq!(ext["data"]["available"], true);
}

/// PatchRecordAction: the current record merged under the request.
#[tokio::test]
async fn patch_merges_the_current_record() {
    let sim = sim().await;
    let c = client(&sim, LOCAL);
    let (s, v) = json(
        c.patch(api(&sim, "call-queues/QUEUE-0000CCCC"))
            .json(&json!({"name": "X"})),
    )
    .await;
    assert_eq!((s, v["httpCode"].as_u64()), (404, Some(404)));
    assert_eq!(
        v["messages"]["error"],
        json!(["Call queue not found: QUEUE-0000CCCC"])
    );
    assert_eq!(
        v["processor"],
        "MikoPBX\\PBXCoreREST\\Lib\\CallQueues\\PatchRecordAction::main"
    );
    let url = api(&sim, &format!("call-queues/{SALES}"));
    let (_, before) = json(c.get(&url)).await;
    let (s, v) = json(
        c.patch(&url)
            .json(&json!({"seconds_to_ring_each_member": "25", "announce_position": "on"})),
    )
    .await;
    assert_eq!((s, v["httpCode"].as_u64()), (200, Some(200)), "{v}");
    let d = &v["data"];
    assert_eq!(
        (
            d["seconds_to_ring_each_member"].as_i64(),
            d["announce_position"].as_bool()
        ),
        (Some(25), Some(true))
    );
    assert_eq!(
        (d["name"].as_str(), d["extension"].as_str()),
        (Some("Sales"), Some("2001"))
    );
    // Members survive (re-inserted, so with new ids).
    let exts = |v: &Value| -> Vec<String> {
        v["members"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["extension"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(exts(d), exts(&before["data"]));
    assert_ne!(d["members"][0]["id"], before["data"]["members"][0]["id"]);
    // An empty description is written as NULL, and a NULL description is left out.
    let (_, v) = json(c.patch(&url).json(&json!({"description": ""}))).await;
    assert!(v["data"].get("description").is_none(), "{v}");
    // Members replaced when given.
    let (_, v) = json(
        c.patch(&url)
            .json(&json!({"members": [{"extension": "220", "priority": 1}]})),
    )
    .await;
    assert_eq!(exts(&v["data"]), vec!["220"]);
}

/// DeleteRecordAction: statistics, 404, and Extensions::delete()'s RESTRICT list as 409.
#[tokio::test]
async fn delete_semantics() {
    let sim = sim().await;
    let c = client(&sim, LOCAL);
    let (s, v) = json(c.delete(api(&sim, "call-queues/QUEUE-0000DDDD"))).await;
    assert_eq!((s, v["httpCode"].as_u64()), (404, Some(404)));
    assert_eq!(
        v["messages"]["error"],
        json!(["Call queue not found (ID: QUEUE-0000DDDD)"])
    );
    // Sales (2001) is an action of the Main menu IVR: refused with the HTML list.
    let (s, v) = json(c.delete(api(&sim, &format!("call-queues/{SALES}")))).await;
    assert_eq!((s, v["httpCode"].as_u64()), (409, Some(409)), "{v}");
    assert_eq!(
        v["messages"]["error"][0],
        "<div class=\"ui header\">Logical integrity violation</div><ul class=\"list\"><li>IVR menu member - <a href='/admin-cabinet/ivr-menu//modify//IVR-5E0F1A22'><i class=\"sitemap icon\"></i> IVR menu: Main menu <2000></a></li></ul>"
    );
    // A new queue that is a member and the timeout target of another: the timeout restricts...
    let (_, a) = json(
        c.post(api(&sim, "call-queues"))
            .json(&json!({"name": "A", "extension": "2970",
        "members": [{"extension": "201"}, {"extension": "202"}]})),
    )
    .await;
    let a_id = a["data"]["id"].as_str().unwrap().to_string();
    let (_, b) = json(
        c.post(api(&sim, "call-queues"))
            .json(&json!({"name": "B", "extension": "2971",
        "timeout_extension": "2970", "members": [{"extension": "2970"}, {"extension": "203"}]})),
    )
    .await;
    let b_id = b["data"]["id"].as_str().unwrap().to_string();
    assert_eq!(
        b["data"]["timeout_extension_represent"],
        "<i class=\"users icon\"></i> Queue: A <2970>"
    );
    let (s, v) = json(c.delete(api(&sim, &format!("call-queues/{a_id}")))).await;
    assert_eq!(s, 409);
    assert!(v["messages"]["error"][0].as_str().unwrap().contains(&format!(
        "<li>Call queue - <a href='/admin-cabinet/call-queues//modify//{b_id}'><i class=\"users icon\"></i> Queue: B <2971></a></li>"
    )), "{v}");
    // ...once cleared, the delete goes through and the number leaves B's members.
    let (s, _) = json(
        c.patch(api(&sim, &format!("call-queues/{b_id}")))
            .json(&json!({"timeout_extension": ""})),
    )
    .await;
    assert_eq!(s, 200);
    let (s, body) = send(c.delete(api(&sim, &format!("call-queues/{a_id}")))).await;
    assert_eq!(s, 200);
    assert!(
        body.starts_with(r#"{"result":true,"data":{"deleted_count":2,"deleted_type":"queue member","deleted_extension":true},"messages":[],"function":"delete","processor":"MikoPBX\\PBXCoreREST\\Lib\\CallQueues\\DeleteRecordAction::main","pid":"#),
        "{body}"
    );
    assert!(body.contains(r#""httpCode":200"#));
    let (_, v) = json(c.get(api(&sim, &format!("call-queues/{b_id}")))).await;
    let members: Vec<&str> = v["data"]["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["extension"].as_str().unwrap())
        .collect();
    assert_eq!(members, vec!["203"]);
    let (s, _) = json(c.get(api(&sim, &format!("call-queues/{a_id}")))).await;
    assert_eq!(s, 404);
    let (_, av) = json(
        c.post(api(&sim, "extensions:available"))
            .json(&json!({"number": "2970"})),
    )
    .await;
    assert_eq!(av["data"]["available"], true);
}

/// ApiKeyPermissionChecker on call-queues, with the A–F quirk on `QUEUE-1A2B3C4D`.
#[tokio::test]
async fn restricted_keys_and_the_id_quirk() {
    let sim = sim().await;
    let (read, _) = make_key(
        &sim,
        json!({"description": "queues ro", "allowed_paths": {"/api/v3/call-queues": "read"}}),
    )
    .await;
    let (write, _) = make_key(
        &sim,
        json!({"description": "queues rw", "allowed_paths": {"/api/v3/call-queues": "write"}}),
    )
    .await;
    let (other, _) = make_key(
        &sim,
        json!({"description": "no queues", "allowed_paths": {"/api/v3/extensions": "read"}}),
    )
    .await;
    let c = client(&sim, REMOTE);
    let status = |r: reqwest::RequestBuilder| async { send(r).await.0 };
    let get = |key: &str, path: &str| c.get(api(&sim, path)).bearer_auth(key.to_string());
    // Read key: reads pass, except on ids ending in a hex letter.
    assert_eq!(status(get(&read, "call-queues")).await, 200);
    assert_eq!(status(get(&read, "call-queues:getDefault")).await, 200);
    assert_eq!(
        status(get(&read, &format!("call-queues/{SALES}"))).await,
        200
    );
    assert_eq!(
        status(get(&read, &format!("call-queues/{SALES}:copy"))).await,
        200
    );
    for path in [
        format!("call-queues/{SUPPORT}"),
        format!("call-queues/{SUPPORT}:copy"),
    ] {
        let (s, body) = send(get(&read, &path)).await;
        assert_eq!(s, 401, "{path}");
        assert_401_shape(&body);
    }
    // ...and no writes.
    let body = json!({"name": "Q", "extension": "2980"});
    assert_eq!(
        status(
            c.post(api(&sim, "call-queues"))
                .bearer_auth(&read)
                .json(&body)
        )
        .await,
        401
    );
    // A key without call-queues: nothing.
    assert_eq!(status(get(&other, "call-queues")).await, 401);
    // Write key: create (with ids chosen on both sides of the quirk), update, delete.
    for (id, ext) in [("QUEUE-ABCD0002", "2981"), ("QUEUE-ABCD000E", "2982")] {
        let (s, v) = json(
            c.post(api(&sim, "call-queues"))
                .bearer_auth(&write)
                .json(&json!({"id": id, "name": "Q", "extension": ext})),
        )
        .await;
        assert_eq!(s, 201, "{v}");
    }
    let patch = json!({"name": "Renamed"});
    assert_eq!(
        status(
            c.patch(api(&sim, &format!("call-queues/{SALES}")))
                .bearer_auth(&write)
                .json(&patch)
        )
        .await,
        200
    );
    assert_eq!(
        status(
            c.patch(api(&sim, &format!("call-queues/{SUPPORT}")))
                .bearer_auth(&write)
                .json(&patch)
        )
        .await,
        401
    );
    assert_eq!(
        status(
            c.delete(api(&sim, "call-queues/QUEUE-ABCD0002"))
                .bearer_auth(&write)
        )
        .await,
        200
    );
    assert_eq!(
        status(
            c.delete(api(&sim, "call-queues/QUEUE-ABCD000E"))
                .bearer_auth(&write)
        )
        .await,
        401
    );
    // The admin key (full permissions) is not affected.
    assert_eq!(
        status(
            c.delete(api(&sim, "call-queues/QUEUE-ABCD000E"))
                .bearer_auth(sim.admin_key())
        )
        .await,
        200
    );
}
