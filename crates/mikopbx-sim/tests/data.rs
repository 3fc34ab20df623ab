//! Seeded data and the resources that serve it: extensions, employees, CDR, live status.
#![allow(clippy::disallowed_methods)] // test clients are built here, not in the core's transport

mod common;

use common::*;
use mikopbx_sim::Simulator;
use serde_json::{Value, json};

#[tokio::test]
async fn extensions_and_employees() {
    let sim = Simulator::builder()
        .cdr_records(1000)
        .start()
        .await
        .unwrap();
    let c = client(&sim, LOCAL);
    // No getRecord in ExtensionsManagementProcessor: 422 "Unknown action" for every number.
    let (s, v) = json(c.get(api(&sim, "extensions/201"))).await;
    assert_eq!(
        (
            s,
            v["messages"]["error"][0].as_str(),
            v["function"].as_str()
        ),
        (
            422,
            Some(
                "Unknown action - getRecord in MikoPBX\\PBXCoreREST\\Lib\\ExtensionsManagementProcessor"
            ),
            Some("getRecord")
        ),
        "{v}"
    );
    let (_, v) = json(c.get(api(&sim, "extensions"))).await;
    let all = v["data"].as_array().unwrap();
    let sip: Vec<&Value> = all.iter().filter(|e| e["type"] == "SIP").collect();
    assert!(sip.len() >= 50);
    for n in (201..=250).map(|n: u32| n.to_string()) {
        assert!(sip.iter().any(|e| e["number"] == n.as_str()), "{n}");
    }
    // `Extensions::TYPE_IVR_MENU` is "IVR MENU" (the extensions schema's enum says "IVR").
    for t in ["QUEUE", "IVR MENU", "CONFERENCE", "EXTERNAL"] {
        assert!(all.iter().any(|e| e["type"] == t), "{t}");
    }
    assert!(
        all.iter()
            .all(|e| e["id"].as_str().is_some_and(|i| i.parse::<u64>().is_ok()))
    );
    let (_, v) = json(c.get(api(&sim, "extensions?limit=10&offset=5&order=number"))).await;
    let page = v["data"].as_array().unwrap();
    assert_eq!(page.len(), 10);
    let (_, v) = json(c.get(api(&sim, "extensions?search=Sales"))).await;
    assert_eq!(v["data"][0]["number"], "2001");
    let (_, v) = json(c.get(api(&sim, "extensions:getForSelect?type=phones"))).await;
    let opts = v["data"].as_array().unwrap();
    // Employees' numbers (SIP and mobile) are category `_USER`; no queues among phones.
    assert!(opts.iter().all(|e| e["type"] == "_USER"), "{v}");
    assert!(opts.iter().any(|e| e["value"] == "201") && opts.iter().all(|e| e["value"] != "2001"));
    let (_, v) = json(c.get(api(&sim, "extensions:getForSelect"))).await;
    assert!(
        v["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["type"] == "QUEUE")
    );
    // The list shows id (= number), number, type, callerid.
    let (_, v) = json(c.get(api(&sim, "extensions?limit=1"))).await;
    assert_eq!(v["data"][0].as_object().unwrap().len(), 4);
    assert_eq!(v["data"][0]["id"], v["data"][0]["number"]);
    let (_, v) = json(
        c.post(api(&sim, "extensions:available"))
            .json(&json!({"number": "299"})),
    )
    .await;
    assert_eq!(v["data"]["available"], true);
    let (_, v) = json(
        c.post(api(&sim, "extensions:available"))
            .json(&json!({"number": "201"})),
    )
    .await;
    assert_eq!(
        (
            v["data"]["available"].as_bool(),
            v["data"]["userId"].as_str()
        ),
        (Some(false), Some("1"))
    );
    let (_, v) = json(
        c.post(api(&sim, "extensions:getPhonesRepresent"))
            .json(&json!({"numbers": ["201", "555"]})),
    )
    .await;
    assert!(
        v["data"]["201"]["represent"]
            .as_str()
            .unwrap()
            .contains("<201>")
    );
    assert_eq!(v["data"]["555"]["represent"], "555");

    // Employees: recordsTotal list shape, order_by / order_direction.
    let (_, v) = json(c.get(api(
        &sim,
        "employees?limit=5&order_by=number&order_direction=DESC",
    )))
    .await;
    assert!(v["data"]["recordsTotal"].as_u64().unwrap() >= 50);
    assert_eq!(v["data"]["data"].as_array().unwrap().len(), 5);
    assert_eq!(v["data"]["data"][0]["number"], "250");
    let (_, everyone) = json(c.get(api(&sim, "employees"))).await;
    for e in everyone["data"]["data"].as_array().unwrap() {
        // The list casts the user id to int (`createDataTableRecord`); records keep strings.
        assert!(e["id"].is_u64(), "{e}");
        assert!(e["user_username"].as_str().unwrap().contains(' '), "{e}");
        assert!(
            e["user_email"].as_str().unwrap().ends_with("@example.com"),
            "{e}"
        );
        assert!(e["mobile"].as_str().unwrap().len() == 11, "{e}");
        assert_eq!(e.as_object().unwrap().len(), 7, "{e}");
    }
    let first = &v["data"]["data"][0];
    assert!(first["user_email"].as_str().unwrap().contains('@'));
    let (_, one) = json(c.get(api(&sim, "employees?search=number:201"))).await;
    assert_eq!(
        (
            one["data"]["recordsTotal"].as_u64(),
            one["data"]["data"][0]["id"].as_u64()
        ),
        (Some(1), Some(1))
    );
    let (_, one) = json(c.get(api(&sim, "employees/1"))).await;
    assert_eq!(
        (one["data"]["id"].as_str(), one["data"]["number"].as_str()),
        (Some("1"), Some("201"))
    );
    // Create: 201, the extension appears, 299 is no longer free.
    let new = json!({"number": "299", "user_username": "Test User", "user_email": "t@example.com", "sip_secret": "S3cret!x", "mobile_number": "+79001234567"});
    let (s, v) = json(c.post(api(&sim, "employees")).json(&new)).await;
    assert_eq!(s, 201, "{v}");
    let id = v["data"]["id"].as_str().unwrap().to_string();
    assert_eq!(v["reload"], format!("extensions/modify/{id}"));
    let (_, v) = json(c.get(api(&sim, "extensions?search=299"))).await;
    assert!(
        v["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["number"] == "299")
    );
    // PUT needs the required fields and keeps most of what it does not send (isset
    // semantics) — but not the mobile number, which it deletes.
    let (s, v) = json(
        c.put(api(&sim, &format!("employees/{id}")))
            .json(&json!({"number": "299", "user_username": "Put User"})),
    )
    .await;
    assert_eq!(
        (s, v["data"]["sip_secret"].as_str(), v["httpCode"].as_u64()),
        (200, Some("S3cret!x"), Some(200))
    );
    assert_eq!(v["data"]["mobile_number"], "");
    assert_eq!(
        json(
            c.put(api(&sim, &format!("employees/{id}")))
                .json(&json!({"user_username": "No Number"}))
        )
        .await
        .0,
        422
    );
    let (_, v) = json(
        c.post(api(&sim, "extensions:available"))
            .json(&json!({"number": "299"})),
    )
    .await;
    assert_eq!(v["data"]["available"], false);
    // Duplicate number and bad fields: 422 with every message.
    let (s, v) = json(c.post(api(&sim, "employees")).json(&new)).await;
    assert_eq!(s, 422, "{v}");
    let (s, v) = json(
        c.post(api(&sim, "employees"))
            .json(&json!({"number": "1", "mobile_number": "0123"})),
    )
    .await;
    assert_eq!(s, 422);
    // Required-field failures: an object keyed by field ("1" itself is a valid number).
    assert_eq!(
        v["messages"]["error"],
        json!({"user_username": "ex_ValidateUsernameEmpty", "sip_secret": "ex_ValidateSecretEmpty"})
    );
    // PATCH keeps other fields; PUT on a missing id is 404.
    let (s, v) = json(
        c.patch(api(&sim, &format!("employees/{id}")))
            .json(&json!({"user_username": "Renamed"})),
    )
    .await;
    assert_eq!(
        (
            s,
            v["data"]["user_username"].as_str(),
            v["data"]["number"].as_str()
        ),
        (200, Some("Renamed"), Some("299"))
    );
    assert_eq!(
        json(c.put(api(&sim, "employees/99999")).json(&new)).await.0,
        404
    );
    assert_eq!(json(c.get(api(&sim, "employees/99999"))).await.0, 422);
    // A queue member cannot be deleted: 409. The new employee can.
    let (s, v) = json(c.delete(api(&sim, "employees/1"))).await;
    assert_eq!((s, v["httpCode"].as_u64()), (409, Some(409)));
    let (s, v) = json(c.delete(api(&sim, &format!("employees/{id}")))).await;
    assert_eq!((s, &v["data"]), (200, &json!({"deleted_id": id})));
    let (_, v) = json(
        c.post(api(&sim, "extensions:available"))
            .json(&json!({"number": "299"})),
    )
    .await;
    assert_eq!(v["data"]["available"], true);
}

#[tokio::test]
async fn cdr_list_filters_and_pagination() {
    let sim = Simulator::builder().start().await.unwrap();
    let c = client(&sim, LOCAL);
    // Default: grouped by linkedid, limit 50, newest first, the last 30 days.
    let (s, v) = json(c.get(api(&sim, "cdr"))).await;
    assert_eq!(s, 200);
    let p = &v["data"]["pagination"];
    assert_eq!(p["limit"], 50);
    assert!(p["hasMore"].as_bool().unwrap());
    let groups = v["data"]["records"].as_array().unwrap();
    assert_eq!(groups.len(), 50);
    for k in [
        "linkedid",
        "start",
        "src_num",
        "src_name",
        "dst_num",
        "dst_name",
        "did",
        "disposition",
        "totalDuration",
        "totalBillsec",
        "records",
    ] {
        assert!(groups[0].get(k).is_some(), "{k}");
    }
    let last_group = groups[49]["records"].as_array().unwrap();
    assert_eq!(p["lastId"], last_group[last_group.len() - 1]["id"]);
    assert!(
        groups[0]["records"][0]["id"].as_u64().unwrap()
            > groups[1]["records"][0]["id"].as_u64().unwrap()
    );
    let month_ago = (chrono::Utc::now() - chrono::Duration::days(31))
        .format("%Y-%m-%d")
        .to_string();
    let (_, all30) = json(c.get(api(&sim, "cdr?limit=1000&offset=100000"))).await;
    assert!(all30["data"]["records"].as_array().unwrap().is_empty());
    let total30 = all30["data"]["pagination"]["total"].as_u64().unwrap();
    assert!((7_000..=9_500).contains(&total30), "{total30}");
    assert!(
        json(c.get(api(&sim, &format!("cdr?dateFrom={month_ago}"))))
            .await
            .1["data"]["pagination"]["total"]
            .as_u64()
            .unwrap()
            > total30
    );
    // A queue call is one group of two legs with the same linkedid.
    let (_, v) = json(c.get(api(&sim, "cdr?dst_num=2001&limit=5"))).await;
    // (The newest queue call may still be waiting for its agent leg.)
    let g0 = v["data"]["records"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["records"].as_array().unwrap().len() == 2)
        .expect("a two-leg queue call");
    let legs = g0["records"].as_array().unwrap();
    assert_eq!(legs[0]["linkedid"], legs[1]["linkedid"]);
    assert_eq!(g0["dst_num"], g0["did"]);
    assert!(legs[0]["start"].as_str() <= legs[1]["start"].as_str());

    // Flat records with grouped=false.
    let (_, v) = json(c.get(api(&sim, "cdr?grouped=false&limit=20"))).await;
    let recs = v["data"]["records"].as_array().unwrap();
    assert_eq!(recs.len(), 20);
    assert_eq!(v["data"]["pagination"]["lastId"], recs[19]["id"]);
    for k in [
        "id",
        "start",
        "answer",
        "endtime",
        "src_num",
        "src_name",
        "dst_num",
        "dst_name",
        "did",
        "disposition",
        "duration",
        "billsec",
        "linkedid",
        "recordingfile",
        "src_chan",
        "dst_chan",
        "UNIQUEID",
        "playback_url",
    ] {
        assert!(recs[0].get(k).is_some(), "{k}");
    }
    assert!(recs[0]["id"].is_u64() && recs[0]["duration"].is_i64());
    // Today is included.
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let (_, v) = json(c.get(api(&sim, &format!("cdr?dateFrom={today}&grouped=0")))).await;
    assert!(!v["data"]["records"].as_array().unwrap().is_empty());
    // 100 000 records over the last year (the whole year in one range); limit capped at 1000.
    let from = (chrono::Utc::now() - chrono::Duration::days(364))
        .format("%Y-%m-%d")
        .to_string();
    let (s, v) = json(c.get(api(
        &sim,
        &format!("cdr?dateFrom={from}&dateTo={today}&limit=5000&grouped=false"),
    )))
    .await;
    assert_eq!(s, 200, "{v}");
    assert!(v["data"]["pagination"]["total"].as_u64().unwrap() >= 99_000);
    assert_eq!(v["data"]["pagination"]["limit"], 1000);
    // More than 365 days, a bad date with both bounds, or a negative offset: 422.
    for q in [
        "cdr?dateFrom=2020-01-01&dateTo=2021-06-01",
        "cdr?dateFrom=yesterday-ish&dateTo=2021-06-01",
        "cdr?offset=-1",
    ] {
        let (s, v) = json(c.get(api(&sim, q))).await;
        assert_eq!(
            (s, v["result"].as_bool(), v["httpCode"].as_u64()),
            (422, Some(false), Some(422)),
            "{q}"
        );
    }
    // Filters.
    let (_, v) = json(c.get(api(
        &sim,
        &format!("cdr?dateFrom={from}&disposition=BUSY&src_num=2&limit=50&grouped=false"),
    )))
    .await;
    assert!(!v["data"]["records"].as_array().unwrap().is_empty());
    for r in v["data"]["records"].as_array().unwrap() {
        assert_eq!(r["disposition"], "BUSY");
        assert!(r["src_num"].as_str().unwrap().contains('2'));
    }
    // `search` by employee name finds that employee's calls.
    let (_, v) = json(c.get(api(
        &sim,
        "cdr?search=Alexey%20Ivanov&grouped=false&limit=20",
    )))
    .await;
    for r in v["data"]["records"].as_array().unwrap() {
        assert!(
            r["src_num"] == "201"
                || r["dst_num"] == "201"
                || r["src_num"] == "79165550000"
                || r["dst_num"] == "79165550000",
            "{r}"
        );
    }
    // Resume with idFrom = lastId: ascending, no overlap, no gap.
    let (_, a) = json(c.get(api(
        &sim,
        &format!("cdr?dateFrom={from}&sort=id&order=ASC&limit=3&grouped=false"),
    )))
    .await;
    let last = a["data"]["pagination"]["lastId"].as_u64().unwrap();
    let (_, b) = json(c.get(api(
        &sim,
        &format!("cdr?dateFrom={from}&sort=id&order=ASC&limit=3&idFrom={last}&grouped=false"),
    )))
    .await;
    assert_eq!(b["data"]["records"][0]["id"].as_u64().unwrap(), last + 1);
    // Deterministic: the same query twice gives the same records.
    let (_, again) = json(c.get(api(
        &sim,
        &format!("cdr?dateFrom={from}&sort=id&order=ASC&limit=3&grouped=false"),
    )))
    .await;
    assert_eq!(a["data"]["records"], again["data"]["records"]);
    // GET /cdr/{id} is the server's stub.
    let (s, body) = send(c.get(api(&sim, "cdr/5"))).await;
    assert!(s == 200 && body.contains(r#""data":[]"#));
    // Active calls / channels: arrays with the documented fields.
    let (s, v) = json(c.get(api(&sim, "pbx-status:getActiveCalls"))).await;
    assert_eq!(s, 200);
    for call in v["data"].as_array().unwrap() {
        for k in [
            "start", "answer", "endtime", "src_num", "src_name", "dst_num", "dst_name", "did",
            "linkedid",
        ] {
            assert!(call.get(k).is_some(), "{k}");
        }
    }
    assert!(
        json(c.get(api(&sim, "pbx-status:getActiveChannels")))
            .await
            .1["data"]
            .is_array()
    );
    let (s, v) = json(c.get(api(&sim, "sysinfo:getInfo"))).await;
    assert!(s == 200 && v["data"]["content"].is_string());
}
