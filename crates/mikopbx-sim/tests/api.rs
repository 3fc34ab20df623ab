//! Envelopes, status codes and resources over real TLS (mikopbx-api.md §4, §5).
#![allow(clippy::disallowed_methods)] // test clients are built here, not in the core's transport

mod common;

use common::*;
use mikopbx_sim::Simulator;
use serde_json::{Value, json};

#[tokio::test]
async fn envelope_byte_shapes() {
    let sim = Simulator::builder()
        .cdr_records(1000)
        .start()
        .await
        .unwrap();
    let c = client(&sim, LOCAL);
    let resp = c.get(api(&sim, "system:ping")).send().await.unwrap();
    assert_eq!(resp.headers()["content-type"], "application/json");
    assert_eq!(resp.headers()["access-control-allow-origin"], "*");
    let etag = resp.headers()["e-tag"].to_str().unwrap().to_string();
    let body = resp.text().await.unwrap();
    assert!(body.starts_with(r#"{"result":true,"data":[],"messages":[],"function":"ping","processor":"MikoPBX\\PBXCoreREST\\Lib\\SystemManagementProcessor::handlePing","pid":"#), "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    assert!(v["pid"].is_u64());
    let ts = v["meta"]["timestamp"].as_str().unwrap();
    assert!(ts.len() == 25 && ts.ends_with("+00:00"), "{ts}");
    assert_eq!(v["meta"]["hash"].as_str().unwrap().len(), 40);
    assert_eq!(etag.len(), 40);

    // The unknown-route handler: `success`, not `result`; no auth needed (even remote). PHP's
    // json_encode escapes slashes; Http\Response::send() appends meta.
    let remote = client(&sim, REMOTE);
    for url in [
        api(&sim, "no-such-thing?x=1"),
        format!("{}/pbxcore/api/v2/extensions", sim.url()),
        api(&sim, "extensions/1"),
    ] {
        let (s, body) = send(remote.get(&url)).await;
        let path = url.trim_start_matches(sim.url()).replace('/', "\\/");
        assert_eq!(s, 404);
        let head = format!(
            r#"{{"success":false,"messages":{{"error":["Endpoint not found: {path}"]}},"data":null,"meta":{{"timestamp":""#
        );
        assert!(body.starts_with(&head), "{body}");
    }
    // A verb the resource does not map has no route: 404.
    assert_eq!(send(c.delete(api(&sim, "extensions/201"))).await.0, 404);
    // A mapped verb with an action it does not allow: 405 from sendErrorResponse.
    let (s, body) = send(c.post(api(&sim, "extensions:getForSelect"))).await;
    assert_eq!(s, 405);
    assert!(body.starts_with(r#"{"result":false,"messages":{"error":["Method 'getForSelect' is not allowed with HTTP POST"]},"meta":{"#), "{body}");
    // A CRUD route on a mapped verb the processor does not implement: its 422.
    let (s, body) = send(
        c.post(api(&sim, "extensions"))
            .json(&json!({"number": "299"})),
    )
    .await;
    assert_eq!(s, 422);
    assert!(body.contains(r#""messages":{"error":["Unknown action - create in MikoPBX\\PBXCoreREST\\Lib\\ExtensionsManagementProcessor"]}"#), "{body}");
    // A resource-level method without an id: 400.
    let (s, body) = send(c.post(api(&sim, "extensions:getPhoneRepresent"))).await;
    assert_eq!(s, 400);
    assert!(
        body.contains("Method 'getPhoneRepresent' requires a resource ID"),
        "{body}"
    );
    // Validation failure: 422 with result false, messages.error, data [].
    let (s, body) = send(
        c.post(api(&sim, "api-keys"))
            .json(&json!({"description": ""})),
    )
    .await;
    assert_eq!(s, 422);
    // A required-field failure keys `messages.error` by field (`BaseActionHelper::validateData`).
    assert!(
        body.starts_with(
            r#"{"result":false,"data":[],"messages":{"error":{"description":"Description is required"}},"#
        ),
        "{body}"
    );
    // Create: 201 with httpCode in the body.
    let (s, v) = json(
        c.post(api(&sim, "call-queues"))
            .json(&json!({"name": "New", "extension": "2950"})),
    )
    .await;
    assert_eq!((s, v["httpCode"].as_u64()), (201, Some(201)));
    // Garbage input never breaks the server.
    let (s, _) = send(
        c.post(api(&sim, "employees"))
            .header("Content-Type", "application/json")
            .body("{\"number\": ["),
    )
    .await;
    assert_eq!(s, 400);
    let (s, _) = send(c.get(api(&sim, "cdr?limit=abc&offset=-5&dateFrom=%FF%FE"))).await;
    assert!(s == 200 || s == 422);
}

#[tokio::test]
async fn api_keys_lifecycle() {
    let sim = Simulator::builder()
        .cdr_records(1000)
        .start()
        .await
        .unwrap();
    let c = client(&sim, REMOTE);
    let admin = sim.admin_key().to_string();
    assert_eq!(admin.len(), 64);
    let (s, v) = json(
        c.post(api(&sim, "api-keys:generateKey"))
            .bearer_auth(&admin),
    )
    .await;
    assert_eq!(s, 200);
    let key = v["data"]["key"].as_str().unwrap().to_string();
    assert!(
        key.len() == 64
            && key
                .chars()
                .all(|ch| ch.is_ascii_digit() || ('a'..='f').contains(&ch))
    );

    let body = json!({"description": "CRM sync", "key": key, "allowed_paths": {"/api/v3/extensions": "read"}, "networkfilterid": "none"});
    let (s, v) = json(
        c.post(api(&sim, "api-keys"))
            .bearer_auth(&admin)
            .json(&body),
    )
    .await;
    assert_eq!(s, 201, "{v}");
    let rec = &v["data"];
    let id = rec["id"].as_str().unwrap().to_string();
    assert!(id.parse::<u64>().is_ok());
    assert!(rec.get("key").is_none(), "key is write-only");
    assert_eq!(
        rec["key_display"],
        format!("{}...{}", &key[..5], &key[59..])
    );
    assert_eq!(rec["full_permissions"], false);
    assert_eq!(rec["allowed_paths"], json!({"/api/v3/extensions": "read"}));
    assert!(!v.to_string().contains(&key));

    let (s, v) = json(c.get(api(&sim, "api-keys")).bearer_auth(&admin)).await;
    assert_eq!(s, 200);
    assert!(v["data"].as_array().unwrap().len() >= 2);
    assert!(!v.to_string().contains(&key) && !v.to_string().contains(&admin));
    let (s, v) = json(
        c.get(api(&sim, "api-keys?search=CRM&limit=5"))
            .bearer_auth(&admin),
    )
    .await;
    assert_eq!((s, v["data"].as_array().unwrap().len()), (200, 1));
    assert_eq!(
        json(
            c.get(api(&sim, &format!("api-keys/{id}")))
                .bearer_auth(&admin)
        )
        .await
        .0,
        200
    );

    // allowed_paths validation: pattern (no /pbxcore prefix) and level.
    // (PATCH is `SaveRecordAction` like PUT: `description` is required every time.)
    for bad in [
        json!({"/pbxcore/api/v3/cdr": "read"}),
        json!({"/api/v3/cdr": "admin"}),
        json!({"/api/v3/CDR": "read"}),
    ] {
        let (s, v) = json(
            c.patch(api(&sim, &format!("api-keys/{id}")))
                .bearer_auth(&admin)
                .json(&json!({"description": "CRM sync", "allowed_paths": bad})),
        )
        .await;
        assert_eq!(s, 422, "{v}");
        assert_eq!(v["result"], false);
    }
    // The server's own messages (`ApiKeys/SaveRecordAction::validateAllowedPaths()`).
    let (_, v) = json(
        c.patch(api(&sim, &format!("api-keys/{id}")))
            .bearer_auth(&admin)
            .json(&json!({"description": "CRM sync", "allowed_paths": {"/api/v3/cdr": "admin"}})),
    )
    .await;
    assert_eq!(
        v["messages"]["error"][0],
        "Invalid permission at path '/api/v3/cdr': 'admin'. Must be 'read' or 'write'"
    );
    // GET of a missing key: the generic not-found (422); DELETE of one: 404.
    let (s, v) = json(c.get(api(&sim, "api-keys/9999")).bearer_auth(&admin)).await;
    assert_eq!(
        (s, v["messages"]["error"][0].as_str()),
        (422, Some("API key not found (ID: 9999)"))
    );
    // PUT/PATCH on a missing id: 404 "API Key not found".
    let (s, v) = json(
        c.put(api(&sim, "api-keys/9999"))
            .bearer_auth(&admin)
            .json(&json!({"description": "x"})),
    )
    .await;
    assert_eq!(
        (s, v["messages"]["error"][0].as_str()),
        (404, Some("API Key not found"))
    );
    // PUT replaces; a new `key` re-keys it.
    let (s, v) = json(
        c.put(api(&sim, &format!("api-keys/{id}")))
            .bearer_auth(&admin)
            .json(&json!({"description": "renamed", "full_permissions": true})),
    )
    .await;
    assert_eq!(
        (s, v["data"]["description"].as_str()),
        (200, Some("renamed"))
    );
    assert_eq!(send(c.get(api(&sim, "cdr")).bearer_auth(&key)).await.0, 200);
    // The stored hash is bcrypt, never the key.
    let state = std::fs::read_to_string(sim.state_dir().join("state.json")).unwrap();
    assert!(state.contains("$2y$04$") && !state.contains(&key) && !state.contains(&admin));
    // Create without a key: the server makes one nobody sees.
    let (s, v) = json(
        c.post(api(&sim, "api-keys"))
            .bearer_auth(&admin)
            .json(&json!({"description": "blind"})),
    )
    .await;
    assert_eq!((s, v["data"]["has_key"].as_bool()), (201, Some(true)));
    assert_eq!(
        send(c.delete(api(&sim, "api-keys/9999")).bearer_auth(&admin))
            .await
            .0,
        404
    );
}

/// Hostile and malformed input gets an answer (never a panic, never a hung connection).
#[tokio::test]
async fn garbage_input_never_breaks_the_server() {
    let sim = Simulator::builder()
        .cdr_records(1000)
        .start()
        .await
        .unwrap();
    let c = client(&sim, LOCAL);
    let paths = [
        "extensions/%FF%FE",
        "extensions/99999999999999999999",
        "employees/18446744073709551616",
        "employees/-1",
        "cdr/mikopbx-.",
        "cdr/%00",
        "api-keys/1:%E2%82%AC",
        "extensions:",
        ":x",
        "extensions/201:",
        "extensions/201:get-x",
        "general-settings/%C3%A9",
        "call-queues/QUEUE-",
        "extensions:getForSelect?type=%FF",
        "cdr?dateFrom=9999-99-99&dateTo=0000-00-00",
        "cdr?limit=-1&offset=99999999999999999999",
        "cdr?offset=9223372036854775807&limit=1000",
        "employees?offset=9223372036854775807&limit=9223372036854775807",
        "extensions?offset=9223372036854775807&limit=1000",
        "cdr?idFrom=18446744073709551615",
        "extensions?limit=99999999999&offset=-3&order=%00",
        "employees?order_by[]=x&limit[a]=b",
        "cdr:playback?token=zz",
        "cdr:playback?token=%E2%82%AC%E2%82%AC%E2%82%AC%E2%82%AC%E2%82%AC%E2%82%AC%E2%82%AC%E2%82%AC%E2%82%AC%E2%82%AC%E2%82%AC",
    ];
    for p in paths {
        let r = c
            .get(api(&sim, p))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{p}: {e}"));
        assert!(r.status().as_u16() < 500, "{p}: {}", r.status());
    }
    let bodies = [
        "[1,2,3]",
        "null",
        "\"text\"",
        "{\"number\": {\"a\": [1]}, \"user_username\": 5, \"sip_secret\": true}",
        "{\"allowed_paths\": {\"/api/v3/x\": 5}, \"description\": [\"a\"]}",
        "{\"numbers\": \"201,,,\"}",
        "\u{0}\u{1}",
    ];
    for (i, b) in bodies.iter().enumerate() {
        for path in [
            "employees",
            "api-keys",
            "extensions:getPhonesRepresent",
            "extensions:available",
            "auth:login",
            "call-queues",
        ] {
            let ct = if i % 2 == 0 {
                "application/json"
            } else {
                "application/x-www-form-urlencoded"
            };
            let r = c
                .post(api(&sim, path))
                .header("Content-Type", ct)
                .body(b.to_string())
                .send()
                .await
                .unwrap();
            assert!(r.status().as_u16() < 500, "{path} {b}: {}", r.status());
        }
    }
    let long = "9".repeat(10_000);
    assert!(
        c.get(api(&sim, &format!("extensions?search={long}")))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
            < 500
    );
    assert_eq!(send(c.get(api(&sim, "system:ping"))).await.0, 200);
}
