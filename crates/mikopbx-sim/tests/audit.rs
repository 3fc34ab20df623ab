//! Behaviours corrected after the 2026-11-29 audit against the real MikoPBX sources (tag
//! 2026.1.223); each test names the real source it follows.
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

const SECRET: &str = "Xk9mPq2vLr7t";

fn numbers(v: &Value) -> Vec<String> {
    v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["number"].as_str().unwrap().to_string())
        .collect()
}

/// src/PBXCoreREST/Lib/ExtensionsManagementProcessor.php:callBack has no 'getRecord' case.
#[tokio::test]
async fn extensions_get_record_is_an_unknown_action() {
    let sim = sim().await;
    let c = client(&sim, LOCAL);
    for n in ["201", "2001", "298"] {
        let (s, body) = send(c.get(api(&sim, &format!("extensions/{n}")))).await;
        assert_eq!(s, 422, "{body}");
        assert!(
            body.starts_with(r#"{"result":false,"data":[],"messages":{"error":["Unknown action - getRecord in MikoPBX\\PBXCoreREST\\Lib\\ExtensionsManagementProcessor"]},"function":"getRecord","processor":"MikoPBX\\PBXCoreREST\\Lib\\ExtensionsManagementProcessor::callBack","#),
            "{body}"
        );
        assert!(!body.contains("httpCode"), "{body}");
    }
}

/// Lib/Extensions/GetListAction.php:main + Lib/Common/AbstractGetListAction.php:applyOrdering:
/// no `type` filter; `number ASC` on a TEXT column; `order_by` wins over `order`; the
/// direction only applies with an allowed field.
#[tokio::test]
async fn extensions_list_ignores_type_and_orders_as_text() {
    let sim = sim().await;
    let c = client(&sim, LOCAL);
    let (_, v) = json(c.get(api(&sim, "extensions?type=SIP"))).await;
    let types: std::collections::BTreeSet<&str> = v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert!(
        types.contains("QUEUE") && types.contains("EXTERNAL") && types.contains("SIP"),
        "{types:?}"
    );
    // Default order: byte order of the text ('2001' < '201' < '79…').
    let all = numbers(&json(c.get(api(&sim, "extensions"))).await.1);
    let mut sorted = all.clone();
    sorted.sort();
    assert_eq!(all, sorted);
    let p2001 = all.iter().position(|n| n == "2001").unwrap();
    let p201 = all.iter().position(|n| n == "201").unwrap();
    let p250 = all.iter().position(|n| n == "250").unwrap();
    assert!(p2001 < p201 && p201 < p250, "{all:?}");
    // DESC with a valid field reverses; with no / an unknown field it is ignored.
    let desc = numbers(
        &json(c.get(api(&sim, "extensions?order=number&orderWay=DESC")))
            .await
            .1,
    );
    let mut rev = sorted.clone();
    rev.reverse();
    assert_eq!(desc, rev);
    let ignored = numbers(
        &json(c.get(api(&sim, "extensions?order_direction=DESC")))
            .await
            .1,
    );
    assert_eq!(ignored, sorted);
    let ignored = numbers(
        &json(c.get(api(&sim, "extensions?order=userid&order_direction=DESC")))
            .await
            .1,
    );
    assert_eq!(ignored, sorted);
    // order_by wins over order (`order_by ?? order`), even when it names no allowed field.
    let v = json(c.get(api(&sim, "extensions?order_by=type&order=number")))
        .await
        .1;
    let kinds: Vec<&str> = v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    let mut k2 = kinds.clone();
    k2.sort();
    assert_eq!(kinds, k2);
    let v = numbers(
        &json(c.get(api(
            &sim,
            "extensions?order_by=bogus&order=number&order_direction=DESC",
        )))
        .await
        .1,
    );
    assert_eq!(v, sorted);
    // Invalid direction → ASC.
    let v = numbers(
        &json(c.get(api(
            &sim,
            "extensions?order=number&order_direction=sideways",
        )))
        .await
        .1,
    );
    assert_eq!(v, sorted);
}

/// ExtensionsManagementProcessor::callBack 'available' + Lib/Extensions/Utils.php:ifNumberAvailable.
#[tokio::test]
async fn extensions_available_without_number_is_422() {
    let sim = sim().await;
    let c = client(&sim, LOCAL);
    for body in [json!({}), json!({"number": ""}), json!({"number": "0"})] {
        let (s, v) = json(c.post(api(&sim, "extensions:available")).json(&body)).await;
        assert_eq!(s, 422, "{v}");
        assert_eq!(
            v["messages"]["error"][0],
            "Empty number value in POST/GET data"
        );
        assert!(v.get("httpCode").is_none(), "{v}");
        assert_eq!(v["function"], "available");
    }
    let (_, v) = json(
        c.post(api(&sim, "extensions:available"))
            .json(&json!({"number": "2001"})),
    )
    .await;
    assert_eq!(
        v["data"],
        json!({"available": false, "represent": "ex_ThisNumberIsNotFree"})
    );
    assert_eq!(
        v["processor"],
        "MikoPBX\\PBXCoreREST\\Lib\\Extensions\\Utils::ifNumberAvailable"
    );
}

/// Lib/ApiKeys/GetListAction.php:main + DataStructure.php:createForList / createFromModel,
/// Http/Response.php:send (empty objects → []).
#[tokio::test]
async fn api_keys_list_rows_are_summaries_and_empty_objects_are_arrays() {
    let sim = sim().await;
    let admin = sim.admin_key().to_string();
    let c = client(&sim, LOCAL);
    let (_, b_id) = make_key(
        &sim,
        json!({"description": "b restricted", "allowed_paths": {"/api/v3/cdr": "read"}, "networkfilterid": "1"}),
    )
    .await;
    let (_, a_id) = make_key(
        &sim,
        json!({"description": "a full", "full_permissions": true}),
    )
    .await;
    let (_, a2_id) = make_key(
        &sim,
        json!({"description": "a full", "full_permissions": true}),
    )
    .await;
    let (s, v) = json(c.get(api(&sim, "api-keys")).bearer_auth(&admin)).await;
    assert_eq!(s, 200);
    let rows = v["data"].as_array().unwrap();
    for r in rows {
        let keys: std::collections::BTreeSet<&str> =
            r.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "id",
                "description",
                "represent",
                "created_at",
                "last_used_at",
                "allowed_paths_count",
                "has_network_filter",
                "has_key",
                "key_display",
                "full_permissions"
            ]
            .into_iter()
            .collect(),
            "{r}"
        );
        assert!(
            r["represent"]
                .as_str()
                .unwrap()
                .starts_with("<i class=\"key icon\"></i> API key - ")
        );
    }
    // Default order: description ASC, then id DESC.
    let ids: Vec<&str> = rows.iter().map(|r| r["id"].as_str().unwrap()).collect();
    let pos = |id: &str| ids.iter().position(|x| *x == id).unwrap();
    assert!(
        pos(&a2_id) < pos(&a_id) && pos(&a_id) < pos(&b_id),
        "{ids:?}"
    );
    let b = &rows[pos(&b_id)];
    assert_eq!(
        (
            b["allowed_paths_count"].as_u64(),
            b["has_network_filter"].as_bool()
        ),
        (Some(1), Some(true))
    );
    // Search also matches key_display.
    let display = b["key_display"].as_str().unwrap()[..5].to_string();
    let (_, v) = json(
        c.get(api(&sim, &format!("api-keys?search={display}")))
            .bearer_auth(&admin),
    )
    .await;
    assert!(
        v["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["id"] == b_id.as_str())
    );
    // order=id&order_direction=DESC.
    let (_, v) = json(
        c.get(api(&sim, "api-keys?order=id&order_direction=DESC"))
            .bearer_auth(&admin),
    )
    .await;
    let ids: Vec<u64> = v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().parse().unwrap())
        .collect();
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "{ids:?}");
    // The record: no represent; an empty allowed_paths goes out as [] (not {}).
    let (_, text) = send(
        c.get(api(&sim, &format!("api-keys/{a_id}")))
            .bearer_auth(&admin),
    )
    .await;
    assert!(text.contains(r#""allowed_paths":[]"#), "{text}");
    let rec: Value = serde_json::from_str(&text).unwrap();
    assert!(rec["data"].get("represent").is_none());
    assert_eq!(
        rec["data"]["networkfilter_represent"],
        "<i class=\"globe icon\"></i> Connections from any addresses are allowed"
    );
    let (_, rec) = json(
        c.get(api(&sim, &format!("api-keys/{b_id}")))
            .bearer_auth(&admin),
    )
    .await;
    assert_eq!(rec["data"]["allowed_paths"], json!({"/api/v3/cdr": "read"}));
    assert_eq!(rec["data"]["networkfilterid"], "1");
}

/// Lib/ApiKeysManagementProcessor.php:callBack (PATCH → SaveRecordAction::main) and
/// Lib/ApiKeys/SaveRecordAction.php:main (required description, then existence; httpCode;
/// reload; `max:255` truncation).
#[tokio::test]
async fn api_keys_save_rules() {
    let sim = sim().await;
    let admin = sim.admin_key().to_string();
    let c = client(&sim, LOCAL);
    let (s, v) = json(
        c.post(api(&sim, "api-keys"))
            .bearer_auth(&admin)
            .json(&json!({"description": "d".repeat(300), "full_permissions": true})),
    )
    .await;
    assert_eq!(s, 201, "{v}");
    let id = v["data"]["id"].as_str().unwrap().to_string();
    assert_eq!(v["reload"], format!("api-keys/modify/{id}"));
    assert_eq!(v["httpCode"], 201);
    assert_eq!(v["data"]["description"].as_str().unwrap().len(), 255);
    // PATCH without description: 422, keyed by field, no httpCode.
    for path in [format!("api-keys/{id}"), "api-keys/9999".to_string()] {
        let (s, v) = json(
            c.patch(api(&sim, &path))
                .bearer_auth(&admin)
                .json(&json!({"full_permissions": false})),
        )
        .await;
        assert_eq!(s, 422, "{v}");
        assert_eq!(
            v["messages"]["error"],
            json!({"description": "Description is required"})
        );
        assert!(v.get("httpCode").is_none());
    }
    let (s, v) = json(
        c.patch(api(&sim, "api-keys/9999"))
            .bearer_auth(&admin)
            .json(&json!({"description": "x"})),
    )
    .await;
    assert_eq!(
        (s, v["messages"]["error"][0].as_str()),
        (404, Some("API Key not found"))
    );
    let (s, v) = json(
        c.patch(api(&sim, &format!("api-keys/{id}")))
            .bearer_auth(&admin)
            .json(&json!({"description": "patched", "networkfilterid": "none"})),
    )
    .await;
    assert_eq!(
        (s, v["httpCode"].as_u64(), v["data"]["description"].as_str()),
        (200, Some(200), Some("patched"))
    );
    assert!(v.get("reload").is_none());
    // A JSON string that is no JSON is `[]`: accepted, no paths.
    let (s, v) = json(
        c.put(api(&sim, &format!("api-keys/{id}")))
            .bearer_auth(&admin)
            .json(&json!({"description": "p", "allowed_paths": "nope"})),
    )
    .await;
    assert_eq!((s, &v["data"]["allowed_paths"]), (200, &json!([])), "{v}");
}

/// Lib/Employees/SaveRecordAction.php:main with BaseActionHelper::sanitizeData (pattern
/// fallback, `max:` truncation) and validateData (keyed required-field errors).
#[tokio::test]
async fn employees_input_is_sanitised_not_rejected() {
    let sim = sim().await;
    let c = client(&sim, LOCAL);
    let create = |number: &str, name: &str| json!({"number": number, "user_username": name, "sip_secret": SECRET});
    let (s, v) = json(
        c.post(api(&sim, "employees"))
            .json(&create("1", "One Digit")),
    )
    .await;
    assert_eq!((s, v["data"]["number"].as_str()), (201, Some("1")), "{v}");
    let (s, v) = json(
        c.post(api(&sim, "employees"))
            .json(&create("123456789", &"N".repeat(150))),
    )
    .await;
    assert_eq!(
        (s, v["data"]["number"].as_str()),
        (201, Some("12345678")),
        "{v}"
    );
    assert_eq!(v["data"]["user_username"].as_str().unwrap().len(), 100);
    let (s, v) = json(
        c.post(api(&sim, "employees"))
            .json(&create("37a", "Letters")),
    )
    .await;
    assert_eq!((s, v["data"]["number"].as_str()), (201, Some("37")), "{v}");
    // "+7 (916) …" loses its non-digits (pattern fallback), "+7916…" keeps the plus.
    let mut body = create("38", "Mobile");
    body["mobile_number"] = json!("+7 (900) 555-00-11");
    let (s, v) = json(c.post(api(&sim, "employees")).json(&body)).await;
    assert_eq!(
        (s, v["data"]["mobile_number"].as_str()),
        (201, Some("79005550011")),
        "{v}"
    );
    // Nothing numeric left: required-field failure, keyed object, untranslated, no httpCode.
    let (s, v) = json(c.post(api(&sim, "employees")).json(&create("abc", "Nope"))).await;
    assert_eq!(s, 422);
    assert_eq!(
        v["messages"]["error"],
        json!({"number": "ex_ValidateNumberIsEmpty"})
    );
    assert!(v.get("httpCode").is_none());
    let (s, v) = json(c.post(api(&sim, "employees")).json(&json!({}))).await;
    assert_eq!(s, 422);
    assert_eq!(
        v["messages"]["error"],
        json!({"user_username": "ex_ValidateUsernameEmpty", "number": "ex_ValidateNumberIsEmpty",
               "sip_secret": "ex_ValidateSecretEmpty"})
    );
    // Required fields are checked before existence: PUT of a missing id without them is 422.
    let (s, v) = json(
        c.put(api(&sim, "employees/99999"))
            .json(&json!({"user_username": "x"})),
    )
    .await;
    assert_eq!(
        (s, &v["messages"]["error"]),
        (422, &json!({"number": "ex_ValidateNumberIsEmpty"}))
    );
    let (s, v) = json(c.put(api(&sim, "employees/99999")).json(&create("39", "x"))).await;
    assert_eq!(
        (
            s,
            v["messages"]["error"][0].as_str(),
            v["httpCode"].as_u64()
        ),
        (404, Some("Employee not found"), Some(404))
    );
    let (s, v) = json(
        c.patch(api(&sim, "employees/99999"))
            .json(&json!({"user_username": "x"})),
    )
    .await;
    assert_eq!(
        (s, v["messages"]["error"][0].as_str()),
        (
            404,
            Some("Employee not found for patch operation (ID: 99999)")
        )
    );
}

/// Lib/Employees/SaveRecordAction.php:validateEmployeeData + src/Core/System/PasswordService.php.
#[tokio::test]
async fn employees_business_rules_and_sip_secret_strength() {
    let sim = sim().await;
    let c = client(&sim, LOCAL);
    let post = |body: Value| c.post(api(&sim, "employees")).json(&body);
    let errors = |v: &Value| -> Vec<String> {
        v["messages"]["error"]
            .as_array()
            .unwrap_or_else(|| panic!("{v}"))
            .iter()
            .map(|m| m.as_str().unwrap().to_string())
            .collect()
    };
    let (s, v) = json(post(
        json!({"number": "40", "user_username": "W", "sip_secret": "1234"}),
    ))
    .await;
    assert_eq!((s, v["httpCode"].as_u64()), (422, Some(422)));
    assert_eq!(
        errors(&v),
        [
            "SIP password must be longer than 4 characters",
            "Default password is being used",
            "For security, password must have at least fair strength"
        ]
    );
    let (_, v) = json(post(
        json!({"number": "40", "user_username": "W", "sip_secret": "abcdefgh"}),
    ))
    .await;
    assert_eq!(
        errors(&v),
        ["For security, password must have at least fair strength"]
    );
    let (_, v) = json(post(
        json!({"number": "40", "user_username": "W", "sip_secret": "qwerty123"}),
    ))
    .await;
    assert!(
        errors(&v).contains(&"This password is too common and easily guessable.".to_string()),
        "{v}"
    );
    // Duplicates, mobile, e-mail, forwarding: the English texts, all at once.
    let (s, v) = json(post(json!({"number": "201", "user_username": "Dup", "sip_secret": SECRET,
        "mobile_number": "0123", "user_email": "not-an-email", "fwd_forwarding": "201", "fwd_ringlength": 2}))).await;
    assert_eq!(s, 422);
    assert_eq!(
        errors(&v),
        [
            "Extension already occupied",
            "Likely the email address is invalid",
            "Check the correctness of entering the mobile number",
            "In the routing settings, the time before forwarding is specified incorrectly. Choose a value between 3-180.",
            "You cannot set up forwarding to your own number"
        ]
    );
    let (_, seeded) = json(c.get(api(&sim, "employees/1"))).await;
    let taken_mobile = seeded["data"]["mobile_number"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, v) = json(post(
        json!({"number": "41", "user_username": "M", "sip_secret": SECRET,
        "mobile_number": taken_mobile}),
    ))
    .await;
    assert_eq!(
        errors(&v),
        ["The mobile number is already used by another employee"]
    );
    // Placeholder e-mails are cleared silently; schema enums are checked.
    let (s, v) = json(post(
        json!({"number": "42", "user_username": "P", "sip_secret": SECRET,
        "user_email": "_@_._"}),
    ))
    .await;
    assert_eq!(
        (s, v["data"]["user_email"].as_str()),
        (201, Some("")),
        "{v}"
    );
    let id = v["data"]["id"].as_str().unwrap().to_string();
    let (s, v) = json(post(
        json!({"number": "43", "user_username": "T", "sip_secret": SECRET,
        "sip_transport": "sctp"}),
    ))
    .await;
    assert_eq!(
        (s, errors(&v)),
        (
            422,
            vec!["Field 'sip_transport' must be one of: udp, tcp, tls, udp,tcp".to_string()]
        )
    );
    // PATCH: an empty secret keeps the old one; a weak one is refused.
    let (s, _) = json(
        c.patch(api(&sim, &format!("employees/{id}")))
            .json(&json!({"sip_secret": ""})),
    )
    .await;
    assert_eq!(s, 200);
    let (s, v) = json(
        c.patch(api(&sim, &format!("employees/{id}")))
            .json(&json!({"sip_secret": "secret"})),
    )
    .await;
    assert_eq!(s, 422, "{v}");
    // Seeded employees can be patched (their stored secrets pass the PasswordService).
    let (s, v) = json(
        c.patch(api(&sim, "employees/2"))
            .json(&json!({"user_email": "x@example.org"})),
    )
    .await;
    assert_eq!(s, 200, "{v}");
}

/// Lib/Employees/SaveRecordAction.php:main (deleteMobileNumber, saveForwardingRights) and
/// PatchRecordAction.php:intelligentMerge.
#[tokio::test]
async fn employees_put_drops_mobile_and_ringlength_patch_keeps_them() {
    let sim = sim().await;
    let c = client(&sim, LOCAL);
    let (s, v) = json(
        c.post(api(&sim, "employees"))
            .json(&json!({"number": "44", "user_username": "Mo Bile",
        "sip_secret": SECRET, "mobile_number": "79005550044", "fwd_ringlength": 30})),
    )
    .await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["data"]["fwd_ringlength"], 30);
    let id = v["data"]["id"].as_str().unwrap().to_string();
    // PATCH keeps the mobile and the ring length.
    let (_, v) = json(
        c.patch(api(&sim, &format!("employees/{id}")))
            .json(&json!({"user_username": "Mo Bile 2"})),
    )
    .await;
    assert_eq!(
        (
            v["data"]["mobile_number"].as_str(),
            v["data"]["fwd_ringlength"].as_i64()
        ),
        (Some("79005550044"), Some(30))
    );
    // PUT without them: the mobile (and its EXTERNAL extension) is gone, ring length 0.
    let (s, v) = json(
        c.put(api(&sim, &format!("employees/{id}")))
            .json(&json!({"number": "44", "user_username": "Mo Bile 3"})),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        (
            v["data"]["mobile_number"].as_str(),
            v["data"]["fwd_ringlength"].as_i64()
        ),
        (Some(""), Some(0))
    );
    let (_, v) = json(c.get(api(&sim, "extensions?search=79005550044"))).await;
    assert_eq!(v["data"], json!([]));
    // PUT with forwarding but no ring length: validateEmployeeData reads (int)null = 0 → 422.
    let (s, v) = json(
        c.put(api(&sim, &format!("employees/{id}")))
            .json(&json!({"number": "44", "user_username": "Mo", "fwd_forwarding": "201"})),
    )
    .await;
    assert_eq!(s, 422, "{v}");
    // PATCH with forwarding but no ring length: intelligentMerge sets 45.
    let (s, v) = json(
        c.patch(api(&sim, &format!("employees/{id}")))
            .json(&json!({"fwd_forwarding": "201"})),
    )
    .await;
    assert_eq!(
        (s, v["data"]["fwd_ringlength"].as_i64()),
        (200, Some(45)),
        "{v}"
    );
}

/// Lib/Employees/DeleteRecordAction.php:main and GetRecordAction.php:main.
#[tokio::test]
async fn employees_missing_and_deleted() {
    let sim = sim().await;
    let c = client(&sim, LOCAL);
    let (s, v) = json(c.delete(api(&sim, "employees/99999"))).await;
    assert_eq!(
        (s, v["messages"]["error"][0].as_str()),
        (422, Some("Employee not found (ID: 99999)"))
    );
    assert!(v.get("httpCode").is_none());
    let (s, v) = json(c.get(api(&sim, "employees/99999"))).await;
    assert_eq!(
        (s, v["messages"]["error"][0].as_str()),
        (422, Some("Employee with user_id 99999 not found"))
    );
    let (_, v) = json(
        c.post(api(&sim, "employees"))
            .json(&json!({"number": "45", "user_username": "Gone",
        "sip_secret": SECRET})),
    )
    .await;
    let id = v["data"]["id"].as_str().unwrap().to_string();
    let (s, v) = json(c.delete(api(&sim, &format!("employees/{id}")))).await;
    assert_eq!((s, &v["data"]), (200, &json!({"deleted_id": id})));
    assert_eq!(
        v["processor"],
        "MikoPBX\\PBXCoreREST\\Lib\\Employees\\DeleteRecordAction::main"
    );
}

/// unified-security.lua: release tag (default) vs develop 68d57de (`develop_waf(true)`).
#[tokio::test]
async fn develop_waf_scans_bodies_release_does_not() {
    let body = json!({"description": "update CDR settings", "full_permissions": true});
    for (develop, expect) in [(false, 201), (true, 403)] {
        let sim = Simulator::builder()
            .cdr_records(1000)
            .develop_waf(develop)
            .start()
            .await
            .unwrap();
        let remote = client(&sim, REMOTE);
        let (s, text) = send(
            remote
                .post(api(&sim, "api-keys"))
                .bearer_auth(sim.admin_key())
                .json(&body),
        )
        .await;
        assert_eq!(s, expect, "develop={develop}: {text}");
        if expect == 403 {
            assert_eq!(text, "Security violation detected\n");
        }
        // Harmless bodies pass; localhost is exempt either way.
        let (s, _) = send(
            remote
                .post(api(&sim, "api-keys"))
                .bearer_auth(sim.admin_key())
                .json(&json!({"description": "Sales team key"})),
        )
        .await;
        assert_eq!(s, 201);
        let (s, _) = send(client(&sim, LOCAL).post(api(&sim, "api-keys")).json(&body)).await;
        assert_eq!(s, 201);
        // `//` in the path is merged by nginx before Lua runs: no WAF 403.
        let (s, _) = send(
            remote
                .get(format!("{}/pbxcore//api/v3/system:ping", sim.url()))
                .bearer_auth(sim.admin_key()),
        )
        .await;
        assert_ne!(s, 403);
        sim.shutdown().await;
    }
}

/// LEAD DECISION 21:22: the `localhost` network-filter bug is reproduced by default and can be
/// switched off (`network_filter_quirk(false)`, CLI `--no-network-filter-quirk`).
#[tokio::test]
async fn network_filter_quirk_on_and_off() {
    for quirk in [true, false] {
        let sim = Simulator::builder()
            .cdr_records(1000)
            .network_filter_quirk(quirk)
            .start()
            .await
            .unwrap();
        let (key, id) = make_key(
            &sim,
            json!({"description": "local only", "full_permissions": true, "networkfilterid": "localhost"}),
        )
        .await;
        let (_, rec) = json(
            client(&sim, LOCAL)
                .get(api(&sim, &format!("api-keys/{id}")))
                .bearer_auth(sim.admin_key()),
        )
        .await;
        let url = api(&sim, "extensions?limit=1");
        let local = send(client(&sim, LOCAL).get(&url).bearer_auth(&key))
            .await
            .0;
        let remote = send(client(&sim, REMOTE).get(&url).bearer_auth(&key))
            .await
            .0;
        if quirk {
            assert_eq!(rec["data"]["networkfilterid"], "none", "{rec}");
            assert_eq!(rec["data"]["has_network_filter"], false);
            assert_eq!((local, remote), (200, 200));
        } else {
            assert_eq!(rec["data"]["networkfilterid"], "localhost", "{rec}");
            assert_eq!(rec["data"]["has_network_filter"], true);
            assert_eq!(
                rec["data"]["networkfilter_represent"],
                "<i class=\"home icon\"></i> Localhost connections only"
            );
            assert_eq!((local, remote), (200, 401));
        }
        sim.shutdown().await;
    }
}

/// src/Common/Models/Extensions.php:initialize: queue membership cascades, a routing target
/// restricts (ModelsBase HTML message, DeleteRecordAction's 409 branch).
#[tokio::test]
async fn employee_delete_cascades_membership_but_not_routing_targets() {
    let sim = sim().await;
    let c = client(&sim, LOCAL);
    // 202 is only a member of the Sales queue: deleted, and gone from the queue.
    let (s, v) = json(c.delete(api(&sim, "employees/2"))).await;
    assert_eq!((s, &v["data"]), (200, &json!({"deleted_id": "2"})), "{v}");
    let (_, q) = json(c.get(api(&sim, "call-queues/QUEUE-1A2B3C41"))).await;
    let members: Vec<&str> = q["data"]["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["extension"].as_str().unwrap())
        .collect();
    assert!(!members.contains(&"202") && members.contains(&"201"), "{q}");
    // 201 is the Main menu IVR's timeout target: 409 with the integrity-violation list.
    let (s, v) = json(c.delete(api(&sim, "employees/1"))).await;
    assert_eq!((s, v["httpCode"].as_u64()), (409, Some(409)));
    let msg = v["messages"]["error"][0].as_str().unwrap();
    assert!(
        msg.starts_with(
            "<div class=\"ui header\">Logical integrity violation</div><ul class='list'><li>"
        ) && msg.contains("IVR menu: Main menu <2000>"),
        "{msg}"
    );
    // Forwarding to a colleague restricts the colleague's deletion.
    let (_, v) = json(
        c.post(api(&sim, "employees"))
            .json(&json!({"number": "46", "user_username": "Fwd",
        "sip_secret": SECRET, "fwd_forwarding": "203", "fwd_ringlength": 20})),
    )
    .await;
    assert_eq!(v["data"]["fwd_forwarding"], "203", "{v}");
    let (s, v) = json(c.delete(api(&sim, "employees/3"))).await;
    assert_eq!(s, 409, "{v}");
    assert!(
        v["messages"]["error"][0]
            .as_str()
            .unwrap()
            .contains("Fwd <46>")
    );
}

/// TokenValidationService::validatePermissions: the last-used buffer is updated before the
/// network and path checks, so a refused request still marks the key as used.
#[tokio::test]
async fn refused_key_use_still_updates_last_used_at() {
    let sim = sim().await;
    let (key, id) = make_key(
        &sim,
        json!({"description": "bench only", "full_permissions": true, "networkfilterid": "1"}),
    )
    .await;
    let local = client(&sim, LOCAL);
    let (_, rec) = json(
        local
            .get(api(&sim, &format!("api-keys/{id}")))
            .bearer_auth(sim.admin_key()),
    )
    .await;
    assert_eq!(rec["data"]["last_used_at"], "");
    // From 127.0.0.1 the filter (127.0.0.2 only) refuses the key: 401 …
    assert_eq!(
        send(local.get(api(&sim, "extensions?limit=1")).bearer_auth(&key))
            .await
            .0,
        401
    );
    // … yet last_used_at moved.
    let (_, rec) = json(
        local
            .get(api(&sim, &format!("api-keys/{id}")))
            .bearer_auth(sim.admin_key()),
    )
    .await;
    assert_ne!(rec["data"]["last_used_at"], "", "{rec}");
}

/// Lib/Cdr/GetListAction.php:handleRestRequest/groupByLinkedId: a grouped page lists its calls
/// in the order their legs are met in `find(linkedid IN …, order "<sort> <order>")`.
#[tokio::test]
async fn grouped_cdr_pages_list_calls_in_first_leg_order() {
    let sim = sim().await;
    let c = client(&sim, LOCAL);
    let from = (chrono::Utc::now() - chrono::Duration::days(300)).format("%Y-%m-%d");
    for (order, desc) in [("ASC", false), ("DESC", true)] {
        let (s, v) = json(c.get(api(
            &sim,
            &format!("cdr?dateFrom={from}&sort=duration&order={order}&limit=100"),
        )))
        .await;
        assert_eq!(s, 200, "{v}");
        let groups = v["data"]["records"].as_array().unwrap();
        assert!(groups.len() > 10);
        // Each call's extreme leg duration, in the direction of the sort.
        let firsts: Vec<i64> = groups
            .iter()
            .map(|g| {
                let d = g["records"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|r| r["duration"].as_i64().unwrap());
                if desc {
                    d.max().unwrap()
                } else {
                    d.min().unwrap()
                }
            })
            .collect();
        let mut sorted = firsts.clone();
        sorted.sort();
        if desc {
            sorted.reverse();
        }
        assert_eq!(firsts, sorted, "{order}");
        // lastId: the last-by-start leg of the last group.
        let last = groups.last().unwrap()["records"].as_array().unwrap();
        assert_eq!(
            v["data"]["pagination"]["lastId"],
            last.last().unwrap()["id"]
        );
    }
}
