//! Authentication and authorization over real TLS (mikopbx-api.md §2, §3).
// Test code builds its own reqwest clients (clippy.toml reserves that for the core's transport
// module, which these simulator tests must not depend on).
#![allow(clippy::disallowed_methods)]

mod common;

use common::*;
use mikopbx_sim::Simulator;
use serde_json::json;

#[tokio::test]
async fn localhost_bypass_and_remote_401() {
    let sim = Simulator::builder()
        .cdr_records(1000)
        .start()
        .await
        .unwrap();
    let (local, remote) = (client(&sim, LOCAL), client(&sim, REMOTE));
    let url = api(&sim, "extensions?limit=1");
    assert_eq!(send(local.get(&url)).await.0, 200);
    let (s, body) = send(remote.get(&url)).await;
    assert_eq!(s, 401);
    assert_401_shape(&body);
    // Not `Bearer ` (case-sensitive, one space): no token at all. Localhost passes, remote 401.
    for h in ["Basic YWRtaW46YWRtaW4=", "bearer abc", "Bearer"] {
        assert_eq!(
            send(local.get(&url).header("Authorization", h)).await.0,
            200,
            "{h}"
        );
        assert_eq!(
            send(remote.get(&url).header("Authorization", h)).await.0,
            401,
            "{h}"
        );
    }
    // `Bearer ` with nothing after it: nginx trims the value to `Bearer`, which is no token at
    // all (localhost passes). `Bearer  x` keeps its token " x" untrimmed
    // (`Request::getBearerToken()` is `substr($h, 7)`): 401 even from localhost.
    assert_eq!(
        send(local.get(&url).header("Authorization", "Bearer "))
            .await
            .0,
        200
    );
    for h in ["Bearer  x", "Bearer \tx"] {
        let (s, body) = send(local.get(&url).header("Authorization", h)).await;
        assert_eq!(s, 401, "{h:?}");
        assert_401_shape(&body);
    }
    let padded = format!("Bearer  {}", sim.admin_key());
    assert_eq!(
        send(local.get(&url).header("Authorization", padded))
            .await
            .0,
        401
    );
    // A bad Bearer token is 401 even from localhost.
    let (s, body) = send(local.get(&url).bearer_auth("0123456789abcdef")).await;
    assert_eq!(s, 401);
    assert_401_shape(&body);
    // Public endpoints need nothing, and ignore a bad token.
    assert_eq!(send(remote.get(api(&sim, "system:ping"))).await.0, 200);
    assert_eq!(
        send(remote.get(api(&sim, "system:ping")).bearer_auth("garbage"))
            .await
            .0,
        200
    );
    // The full-permission key works from anywhere.
    assert_eq!(
        send(remote.get(&url).bearer_auth(sim.admin_key())).await.0,
        200
    );
    let (s, body) = send(
        remote
            .get(api(&sim, "system:checkAuth"))
            .bearer_auth(sim.admin_key()),
    )
    .await;
    assert_eq!(s, 200);
    assert!(
        body.starts_with(r#"{"result":true,"data":[],"messages":[],"function":"checkAuth""#),
        "{body}"
    );
}

/// Each row of the verified table in mikopbx-api.md §3, from 127.0.0.1 and 127.0.0.2.
#[tokio::test]
async fn permission_table_rows_from_both_addresses() {
    let sim = Simulator::builder()
        .cdr_records(1000)
        .start()
        .await
        .unwrap();
    let (key, _) = make_key(
        &sim,
        json!({"description": "restricted", "allowed_paths": {
        "/api/v3/extensions": "read", "/api/v3/call-queues": "write", "/api/v3/cdr": "read",
        "/api/v3/modules": "write", "/api/v3/general-settings": "read",
        "/api/v3/sip-providers": "read", "/api/v3/employees": "write"}}),
    )
    .await;
    let rows: &[(&str, &str, bool)] = &[
        ("GET", "extensions", true),
        ("GET", "extensions/201", true),
        ("GET", "extensions:getForSelect", true),
        ("POST", "call-queues", true),
        ("PATCH", "employees/12", true),
        ("GET", "call-queues/QUEUE-1A2B3C41", true),
        ("GET", "sip-providers/SIP-TRUNK-ABCDEF12", true),
        ("POST", "extensions:available", false),
        ("GET", "api-keys", false),
        ("GET", "call-queues/QUEUE-1A2B3C4D", false),
        ("GET", "call-queues/QUEUE-1A2B3C4D:copy", false),
        ("GET", "sip-providers/SIP-TRUNK-ABCDEF1A", false),
        ("GET", "modules/ModuleUsersUI", false),
        ("GET", "general-settings/PBXName", false),
    ];
    for bind in [LOCAL, REMOTE] {
        let c = client(&sim, bind);
        // Each pass creates a queue: a second one on the same number would be 409
        // (SaveRecordAction's extension uniqueness check).
        let queue_number = if bind == LOCAL { "2999" } else { "2998" };
        for (verb, path, allow) in rows {
            let req = c
                .request(verb.parse().unwrap(), api(&sim, path))
                .bearer_auth(&key)
                .json(&json!({"name": "Q", "extension": queue_number, "number": "299"}));
            let (status, body) = send(req).await;
            if *allow && *path == "extensions/201" {
                // Allowed by the checker; the processor has no getRecord (422).
                assert_eq!(status, 422, "{bind} {verb} {path}: {body}");
            } else if *allow {
                assert!(
                    (200..300).contains(&status),
                    "{bind} {verb} {path}: {status} {body}"
                );
            } else {
                assert_eq!(status, 401, "{bind} {verb} {path}: {body}");
                assert_401_shape(&body);
            }
        }
        // HEAD /extensions: the checker allows it (read), but no HEAD route exists: 404.
        let r = c
            .head(api(&sim, "extensions"))
            .bearer_auth(&key)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 404);
    }
    // full_permissions and JWTs are not affected by the quirk.
    let c = client(&sim, REMOTE);
    assert_eq!(
        send(
            c.get(api(&sim, "call-queues/QUEUE-1A2B3C4D"))
                .bearer_auth(sim.admin_key())
        )
        .await
        .0,
        200
    );
}

#[tokio::test]
async fn quirk_can_be_switched_off_and_write_needs_write() {
    let sim = Simulator::builder()
        .id_quirk(false)
        .cdr_records(1000)
        .start()
        .await
        .unwrap();
    let (key, _) = make_key(&sim, json!({"description": "ro", "allowed_paths": {
        "/api/v3/call-queues": "read", "/api/v3/modules": "read", "/api/v3/general-settings": "read"}})).await;
    let c = client(&sim, REMOTE);
    for path in [
        "call-queues/QUEUE-1A2B3C4D",
        "call-queues/QUEUE-1A2B3C4D:copy",
        "modules/ModuleUsersUI",
        "general-settings/PBXName",
    ] {
        assert_eq!(
            send(c.get(api(&sim, path)).bearer_auth(&key)).await.0,
            200,
            "{path}"
        );
    }
    // A read-only key doing a write: 401, not 403.
    let (s, body) = send(
        c.post(api(&sim, "call-queues"))
            .bearer_auth(&key)
            .json(&json!({"name": "X", "extension": "2998"})),
    )
    .await;
    assert_eq!(s, 401);
    assert_401_shape(&body);
}

#[tokio::test]
async fn network_filters_and_immediate_revocation() {
    let sim = Simulator::builder()
        .cdr_records(1000)
        .start()
        .await
        .unwrap();
    let (local, remote) = (client(&sim, LOCAL), client(&sim, REMOTE));
    let url = api(&sim, "extensions");
    // "localhost" cannot be stored through REST: `^([0-9]+|none)$` sanitisation makes it "",
    // i.e. NULL — the key has NO network restriction (Lib/ApiKeys/SaveRecordAction.php:main).
    let (lk, lid) = make_key(&sim, json!({"description": "local only", "full_permissions": true, "networkfilterid": "localhost"})).await;
    assert_eq!(send(local.get(&url).bearer_auth(&lk)).await.0, 200);
    assert_eq!(send(remote.get(&url).bearer_auth(&lk)).await.0, 200);
    let (_, rec) = json(
        local
            .get(api(&sim, &format!("api-keys/{lid}")))
            .bearer_auth(sim.admin_key()),
    )
    .await;
    assert_eq!(rec["data"]["networkfilterid"], "none", "{rec}");
    assert_eq!(rec["data"]["has_network_filter"], false);
    // A NetworkFilters row does it: filter 3 permits only 127.0.0.1.
    let (lk3, lid3) = make_key(
        &sim,
        json!({"description": "local only (filter 3)", "full_permissions": true, "networkfilterid": "3"}),
    )
    .await;
    assert_eq!(send(local.get(&url).bearer_auth(&lk3)).await.0, 200);
    assert_eq!(send(remote.get(&url).bearer_auth(&lk3)).await.0, 401);
    // Updating with "localhost" (→ NULL, not `isset`) keeps the old filter.
    let (s, rec) = json(
        local
            .put(api(&sim, &format!("api-keys/{lid3}")))
            .bearer_auth(sim.admin_key())
            .json(&json!({"description": "still 3", "networkfilterid": "localhost"})),
    )
    .await;
    assert_eq!(
        (s, rec["data"]["networkfilterid"].as_str()),
        (200, Some("3")),
        "{rec}"
    );
    assert_eq!(send(remote.get(&url).bearer_auth(&lk3)).await.0, 401);
    // Filter 1 permits only 127.0.0.2.
    let (fk, _) = make_key(
        &sim,
        json!({"description": "bench", "full_permissions": true, "networkfilterid": "1"}),
    )
    .await;
    assert_eq!(send(remote.get(&url).bearer_auth(&fk)).await.0, 200);
    assert_eq!(send(local.get(&url).bearer_auth(&fk)).await.0, 401);
    // Revocation takes effect at once (the validation cache is cleared on delete).
    let (k, id) = make_key(
        &sim,
        json!({"description": "temp", "full_permissions": true}),
    )
    .await;
    assert_eq!(send(remote.get(&url).bearer_auth(&k)).await.0, 200);
    let (s, _) = send(
        local
            .delete(api(&sim, &format!("api-keys/{id}")))
            .bearer_auth(sim.admin_key()),
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(send(remote.get(&url).bearer_auth(&k)).await.0, 401);
    // Restricting a key also applies at once.
    let (k2, id2) = make_key(
        &sim,
        json!({"description": "temp2", "full_permissions": true}),
    )
    .await;
    assert_eq!(send(remote.get(&url).bearer_auth(&k2)).await.0, 200);
    let patch = json!({"description": "temp2", "full_permissions": false, "allowed_paths": {"/api/v3/cdr": "read"}});
    assert_eq!(
        send(
            local
                .patch(api(&sim, &format!("api-keys/{id2}")))
                .bearer_auth(sim.admin_key())
                .json(&patch)
        )
        .await
        .0,
        200
    );
    assert_eq!(send(remote.get(&url).bearer_auth(&k2)).await.0, 401);
}

#[tokio::test]
async fn jwt_login_refresh_logout_and_acl() {
    let sim = Simulator::builder()
        .admin_password("s3cret")
        .cdr_records(1000)
        .start()
        .await
        .unwrap();
    let remote = client(&sim, REMOTE);
    let (s, v) = json(
        remote
            .post(api(&sim, "auth:login"))
            .json(&json!({"login": "admin", "password": "s3cret"})),
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(v["data"]["tokenType"], "Bearer");
    assert_eq!(v["data"]["expiresIn"], 900);
    assert_eq!(v["data"]["login"], "admin");
    let token = v["data"]["accessToken"].as_str().unwrap().to_string();
    assert_eq!(token.split('.').count(), 3);
    assert_eq!(
        send(remote.get(api(&sim, "api-keys")).bearer_auth(&token))
            .await
            .0,
        200
    );

    // The refresh token is only a cookie: HttpOnly, SameSite=Strict, Secure over HTTPS.
    let resp = remote
        .post(api(&sim, "auth:login"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("login=admin&password=s3cret")
        .send()
        .await
        .unwrap();
    let cookie = resp
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        cookie.starts_with("refreshToken=")
            && cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Strict")
            && cookie.contains("secure"),
        "{cookie}"
    );
    let body = resp.text().await.unwrap();
    let value = cookie.split(';').next().unwrap().to_string();
    assert!(!body.contains(value.trim_start_matches("refreshToken=")));
    let (s, v) = json(
        remote
            .post(api(&sim, "auth:refresh"))
            .header("Cookie", &value),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert!(v["data"]["accessToken"].as_str().is_some());
    // No rotation: the same cookie works again.
    assert_eq!(
        json(
            remote
                .post(api(&sim, "auth:refresh"))
                .header("Cookie", &value)
        )
        .await
        .0,
        200
    );
    let (s, v) = json(remote.post(api(&sim, "auth:refresh"))).await;
    assert_eq!(
        (s, v["messages"]["error"][0].as_str()),
        (401, Some("Refresh token is missing in cookie"))
    );
    // Logout needs a Bearer token, deletes the refresh token and clears the cookie.
    assert_eq!(
        send(
            remote
                .post(api(&sim, "auth:logout"))
                .header("Cookie", &value)
        )
        .await
        .0,
        401
    );
    let (s, v) = json(
        remote
            .post(api(&sim, "auth:logout"))
            .bearer_auth(&token)
            .header("Cookie", &value),
    )
    .await;
    assert_eq!(
        (s, v["data"]["message"].as_str()),
        (200, Some("Successfully logged out"))
    );
    let (s, v) = json(
        remote
            .post(api(&sim, "auth:refresh"))
            .header("Cookie", &value),
    )
    .await;
    assert_eq!(
        (s, v["messages"]["error"][0].as_str()),
        (401, Some("Refresh token expired or not found"))
    );
    // No revocation list: the access token still works after logout.
    assert_eq!(
        send(remote.get(api(&sim, "extensions")).bearer_auth(&token))
            .await
            .0,
        200
    );

    // Missing fields: 400.
    assert_eq!(
        json(
            remote
                .post(api(&sim, "auth:login"))
                .json(&json!({"login": "admin"}))
        )
        .await
        .0,
        400
    );

    // A non-admin role: reads pass the ACL, other actions get 403 remotely (not on localhost).
    let (_, v) = json(
        remote
            .post(api(&sim, "auth:login"))
            .json(&json!({"login": "viewer", "password": "viewer"})),
    )
    .await;
    let viewer = v["data"]["accessToken"].as_str().unwrap().to_string();
    assert_eq!(
        send(remote.get(api(&sim, "extensions")).bearer_auth(&viewer))
            .await
            .0,
        200
    );
    let (s, body) = send(
        remote
            .post(api(&sim, "api-keys:generateKey"))
            .bearer_auth(&viewer),
    )
    .await;
    assert_eq!(s, 403);
    assert!(body.starts_with(r#"{"result":false,"data":[],"messages":{"error":["Access denied. You do not have permission to access this resource."]},"function":"","processor":"","pid":"#), "{body}");
    let local = client(&sim, LOCAL);
    assert_eq!(
        send(
            local
                .post(api(&sim, "api-keys:generateKey"))
                .bearer_auth(&viewer)
        )
        .await
        .0,
        200
    );
}

#[tokio::test]
async fn login_rate_limit() {
    let sim = Simulator::builder()
        .cdr_records(1000)
        .start()
        .await
        .unwrap();
    let c = client(&sim, REMOTE);
    for i in 0..10 {
        let (s, v) = json(
            c.post(api(&sim, "auth:login"))
                .json(&json!({"login": "admin", "password": "wrong"})),
        )
        .await;
        assert_eq!(s, 401, "{v}");
        assert_eq!(
            v["messages"]["error"][0],
            format!("Authorization error, you have {} attempts left", 9 - i)
        );
    }
    // The 11th attempt is refused even with the right password.
    let (s, v) = json(
        c.post(api(&sim, "auth:login"))
            .json(&json!({"login": "admin", "password": "admin"})),
    )
    .await;
    assert_eq!(s, 429, "{v}");
    assert_eq!(v["httpCode"], 429);
    // Another IP is not affected.
    let other = client(&sim, LOCAL);
    assert_eq!(
        json(
            other
                .post(api(&sim, "auth:login"))
                .json(&json!({"login": "admin", "password": "admin"}))
        )
        .await
        .0,
        200
    );
}

#[tokio::test]
async fn jwt_expiry_uses_the_600s_leeway_on_the_scaled_clock() {
    // 1000×: the 900 s token lifetime is 0.9 s, the leeway 0.6 s.
    let sim = Simulator::builder()
        .clock_scale(1000.0)
        .cdr_records(1000)
        .start()
        .await
        .unwrap();
    let c = client(&sim, REMOTE);
    let (_, v) = json(
        c.post(api(&sim, "auth:login"))
            .json(&json!({"login": "admin", "password": "admin"})),
    )
    .await;
    let token = v["data"]["accessToken"].as_str().unwrap().to_string();
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await; // ~1100 s: past exp, within leeway
    assert_eq!(
        send(c.get(api(&sim, "extensions")).bearer_auth(&token))
            .await
            .0,
        200
    );
    tokio::time::sleep(std::time::Duration::from_millis(600)).await; // ~1700 s: past exp + 600
    let (s, body) = send(c.get(api(&sim, "extensions")).bearer_auth(&token)).await;
    assert_eq!(s, 401);
    assert_401_shape(&body);
}

/// The JWT's claims, unchecked (the test reads what the simulator signed).
fn claims(token: &str) -> serde_json::Value {
    use base64::Engine;
    let payload = token.split('.').nth(1).expect("three parts");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .expect("base64url");
    serde_json::from_slice(&bytes).expect("JSON claims")
}

#[tokio::test]
async fn a_shortened_access_token_lifetime_is_reported_signed_and_still_has_the_leeway() {
    let sim = Simulator::builder()
        .access_token_ttl(5)
        .cdr_records(1000)
        .start()
        .await
        .unwrap();
    let c = client(&sim, REMOTE);
    let resp = c
        .post(api(&sim, "auth:login"))
        .json(&json!({"login": "admin", "password": "admin"}))
        .send()
        .await
        .unwrap();
    let cookie = resp.headers()["set-cookie"].to_str().unwrap().to_string();
    let v: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(v["data"]["expiresIn"], 5, "{v}");
    let token = v["data"]["accessToken"].as_str().unwrap().to_string();
    let c1 = claims(&token);
    assert_eq!(c1["exp"].as_i64().unwrap() - c1["iat"].as_i64().unwrap(), 5);
    let value = cookie.split(';').next().unwrap().to_string();
    let (s, v) = json(c.post(api(&sim, "auth:refresh")).header("Cookie", &value)).await;
    assert_eq!((s, v["data"]["expiresIn"].as_i64()), (200, Some(5)), "{v}");
    let c2 = claims(v["data"]["accessToken"].as_str().unwrap());
    assert_eq!(c2["exp"].as_i64().unwrap() - c2["iat"].as_i64().unwrap(), 5);
    // Past `exp` the token still passes for the 600 s leeway, as on the server.
    tokio::time::sleep(std::time::Duration::from_millis(6100)).await;
    assert_eq!(
        send(c.get(api(&sim, "extensions?limit=1")).bearer_auth(&token))
            .await
            .0,
        200
    );
}

#[tokio::test]
async fn the_hundredth_refresh_of_a_window_is_refused() {
    let sim = Simulator::builder()
        .cdr_records(1000)
        .start()
        .await
        .unwrap();
    // From 127.0.0.1: nginx's rate limit does not apply, only RefreshAction's own.
    let c = client(&sim, LOCAL);
    let resp = c
        .post(api(&sim, "auth:login"))
        .json(&json!({"login": "admin", "password": "admin"}))
        .send()
        .await
        .unwrap();
    let cookie = resp.headers()["set-cookie"].to_str().unwrap().to_string();
    let value = cookie.split(';').next().unwrap().to_string();
    // `max(100 - count, 0) <= 0` after counting this attempt: 99 pass, the 100th is refused.
    for i in 1..100 {
        let (s, v) = json(c.post(api(&sim, "auth:refresh")).header("Cookie", &value)).await;
        assert_eq!(s, 200, "refresh {i}: {v}");
    }
    let (s, v) = json(c.post(api(&sim, "auth:refresh")).header("Cookie", &value)).await;
    assert_eq!(s, 429, "{v}");
    assert_eq!(
        v["messages"]["error"][0],
        "Too many authorization attempts. Your IP address is blocked for 300 seconds."
    );
    // Counted before the cookie is looked at: a refresh without one is refused the same way.
    assert_eq!(json(c.post(api(&sim, "auth:refresh"))).await.0, 429);
}

#[tokio::test]
async fn logout_without_a_cookie_succeeds_and_sets_none() {
    let sim = Simulator::builder()
        .cdr_records(1000)
        .start()
        .await
        .unwrap();
    let c = client(&sim, REMOTE);
    let (_, v) = json(
        c.post(api(&sim, "auth:login"))
            .json(&json!({"login": "admin", "password": "admin"})),
    )
    .await;
    let token = v["data"]["accessToken"].as_str().unwrap().to_string();
    let resp = c
        .post(api(&sim, "auth:logout"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.headers().get("set-cookie").is_none(), "{resp:?}");
    let v: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(v["data"]["message"], "Successfully logged out");
}
