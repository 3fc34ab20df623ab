//! `Client::request`, the escape hatch for what the typed API does not cover (module endpoints),
//! against the simulator over real TLS: the same permission pre-check, dangerous-action gate,
//! retries and typed errors as every typed call.

mod common;

use common::*;
use mikopbx::{Access, DenialOrigin, Error, ErrorKind, HttpMethod, Permissions, Resource};
use serde_json::json;

#[tokio::test]
async fn reads_writes_and_deletes_through_the_raw_path() {
    let sim = sim().await;
    let c = admin(&sim);

    let page = c
        .request(
            HttpMethod::Get,
            "/pbxcore/api/v3/extensions?limit=2&offset=0",
            None,
        )
        .await
        .unwrap();
    assert_eq!(page.status, 200);
    let rows: Vec<serde_json::Value> = page.json().unwrap();
    assert_eq!(rows.len(), 2, "{}", page.data_json);
    assert!(rows[0]["number"].is_string(), "{}", rows[0]);

    // A POST with a body: the typed API's own create, reached by path.
    let created = c
        .request(
            HttpMethod::Post,
            "/pbxcore/api/v3/call-queues",
            Some(&json!({"name": "Escape hatch", "extension": "2299"})),
        )
        .await
        .unwrap();
    let id = created.data()["id"].as_str().unwrap().to_owned();
    let typed = c.call_queues().get(&id).await.unwrap();
    assert_eq!(typed.name, "Escape hatch");

    // Server validation comes back as the typed error, keyed messages kept.
    let e = c
        .request(
            HttpMethod::Post,
            "/pbxcore/api/v3/call-queues",
            Some(&json!({"name": ""})),
        )
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Validation, "{e}");
    assert!(!e.messages().is_empty(), "{e:?}");

    let path = format!("/pbxcore/api/v3/call-queues/{id}");
    c.request(HttpMethod::Delete, &path, None).await.unwrap();
    // A path of the table runs as that operation: its name in the error.
    let e = c.request(HttpMethod::Get, &path, None).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
    assert_eq!(e.operation(), Some("call_queues.get"));
}

#[tokio::test]
async fn an_unknown_endpoint_is_not_found_with_the_routers_message() {
    let sim = sim().await;
    let e = admin(&sim)
        .request(
            HttpMethod::Get,
            "/pbxcore/api/v3/module-example-rest-api-v3/tasks",
            None,
        )
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
    assert_eq!(e.operation(), Some("request"));
    assert!(
        e.messages()
            .iter()
            .any(|m| m.starts_with("Endpoint not found")),
        "{e:?}"
    );
}

#[tokio::test]
async fn dangerous_actions_stay_behind_the_opt_in() {
    let sim = sim().await;
    let c = admin(&sim);
    for (method, path) in [
        // In the table (system.reboot)...
        (HttpMethod::Post, "/pbxcore/api/v3/system:reboot"),
        // ...in another case...
        (HttpMethod::Post, "/pbxcore/api/v3/system:Reboot"),
        // ...and actions the typed API does not have.
        (
            HttpMethod::Post,
            "/pbxcore/api/v3/system:executeBashCommand",
        ),
        (HttpMethod::Post, "/pbxcore/api/v3/storage:mkfs"),
        (HttpMethod::Delete, "/pbxcore/api/v3/mail-settings"),
    ] {
        let e = c.request(method, path, Some(&json!({}))).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Config, "{path}: {e}");
        assert!(e.to_string().contains("dangerous action"), "{e}");
        assert!(e.to_string().contains("allow_dangerous_actions"), "{e}");
    }
    assert!(system_actions(&sim).is_empty(), "nothing reached the PBX");
}

#[cfg(feature = "dangerous-actions")]
#[tokio::test]
async fn an_allowed_client_reaches_a_dangerous_action_by_path() {
    let sim = sim().await;
    let c = builder(&sim, sim.admin_key())
        .allow_dangerous_actions(true)
        .build()
        .unwrap();
    c.request(HttpMethod::Post, "/pbxcore/api/v3/system:reboot", None)
        .await
        .unwrap();
    assert_eq!(system_actions(&sim), ["reboot"]);
}

#[tokio::test]
async fn known_permissions_are_checked_before_sending() {
    let sim = sim().await;
    let perms = Permissions::from_short_map([
        ("extensions", "read"),
        ("/api/v3/module-example/tasks", "read"),
    ])
    .unwrap();
    let (key, _) = create_key(&sim, Some(perms.clone()), mikopbx::NetworkFilter::Any).await;
    let c = builder(&sim, key).permissions(perms).build().unwrap();

    c.request(HttpMethod::Get, "/pbxcore/api/v3/extensions", None)
        .await
        .unwrap();

    // A core resource: the same error a typed call gives.
    let e = c
        .request(HttpMethod::Get, "/pbxcore/api/v3/call-queues", None)
        .await
        .unwrap_err();
    let Error::PermissionDenied {
        resource,
        allowed_path,
        required,
        origin,
        ..
    } = &e
    else {
        panic!("{e:?}")
    };
    assert_eq!(*resource, Some(Resource::CallQueues));
    assert_eq!(allowed_path, "/api/v3/call-queues");
    assert_eq!((*required, *origin), (Access::Read, DenialOrigin::Local));

    // A module's path: the `allowed_paths` key it needs, and the access held there.
    let e = c
        .request(
            HttpMethod::Post,
            "/pbxcore/api/v3/module-example/tasks",
            Some(&json!({"title": "x"})),
        )
        .await
        .unwrap_err();
    let Error::PermissionDenied {
        resource,
        allowed_path,
        required,
        granted,
        origin,
        ..
    } = &e
    else {
        panic!("{e:?}")
    };
    assert_eq!(*resource, None);
    assert_eq!(allowed_path, "/api/v3/module-example/tasks");
    assert_eq!((*required, *granted), (Access::Write, Some(Access::Read)));
    assert_eq!(*origin, DenialOrigin::Local);
    assert!(
        e.to_string()
            .contains("Grant Write for /api/v3/module-example/tasks"),
        "{e}"
    );

    // A record id the server's heuristic does not take for one (ends in A–F).
    let quirky = Permissions::from_short_map([("call-queues", "read")]).unwrap();
    let (key, _) = create_key(&sim, Some(quirky.clone()), mikopbx::NetworkFilter::Any).await;
    let c = builder(&sim, key).permissions(quirky).build().unwrap();
    let e = c
        .request(
            HttpMethod::Get,
            "/pbxcore/api/v3/call-queues/QUEUE-1A2B3C4D",
            None,
        )
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unauthorized, "{e}");
    assert!(e.to_string().contains("ids ending in A–F"), "{e}");
}

/// A 401 on a path outside the table (`api-keys:getDefault` is not modelled yet; a module's
/// path gets the same treatment, but the simulator has no module installed, and the server's
/// router answers 404 for an unknown route before it looks at the key).
#[tokio::test]
async fn the_servers_refusal_of_an_unmodelled_path_names_the_missing_grant() {
    let sim = sim().await;
    let path = "/pbxcore/api/v3/api-keys:getDefault";
    let defaults = admin(&sim)
        .request(HttpMethod::Get, path, None)
        .await
        .unwrap();
    assert!(defaults.data().is_object(), "{}", defaults.data_json);

    let perms = Permissions::from_short_map([("extensions", "read")]).unwrap();
    let (key, _) = create_key(&sim, Some(perms.clone()), mikopbx::NetworkFilter::Any).await;
    // Permissions unknown to the client: the server refuses (401), and the client cannot tell
    // a missing grant from a wrong key, so it names both.
    let blind = builder(&sim, key.clone()).build().unwrap();
    let e = blind
        .request(HttpMethod::Get, path, None)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unauthorized, "{e}");
    assert_eq!(e.status(), Some(401));
    assert!(
        e.to_string()
            .contains("a missing permission: Read on /api/v3/api-keys"),
        "{e}"
    );
    // Known: refused before sending, as a typed call would be.
    let known = builder(&sim, key).permissions(perms).build().unwrap();
    let e = known
        .request(HttpMethod::Get, path, None)
        .await
        .unwrap_err();
    assert_eq!(e.resource(), Some(Resource::ApiKeys), "{e}");
    assert_eq!(e.status(), None);
}

#[tokio::test]
async fn bad_arguments_are_refused_before_sending() {
    let sim = sim().await;
    let c = admin(&sim);
    for path in [
        "/pbxcore/api/v2/extensions",
        "/pbxcore/api/v3/extensions/..",
        "/pbxcore/api/v3/extensions%2F..%2Fapi-keys",
        "/pbxcore/api/v3/extensions\r\nX-Injected: 1",
    ] {
        let e = c.request(HttpMethod::Get, path, None).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Config, "{path}: {e}");
        assert!(e.to_string().contains("request: path"), "{e}");
    }
    let e = c
        .request(
            HttpMethod::Get,
            "/pbxcore/api/v3/extensions",
            Some(&json!({"a": 1})),
        )
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config, "{e}");
}
