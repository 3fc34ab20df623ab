//! Every error kind, produced against the simulator (TLS kinds are in tls.rs).

mod common;

use std::time::Duration;

use common::*;
use mikopbx::{
    Access, DenialOrigin, Error, ErrorKind, ExtensionQuery, NetworkFilter, NewEmployee,
    Permissions, RateLimit, Resource, UnauthorizedCause,
};

fn new_employee(number: &str) -> NewEmployee {
    NewEmployee {
        number: number.into(),
        user_username: "Err Test".into(),
        sip_secret: "Xk9mPq2vLr7t".into(),
        ..Default::default()
    }
}

fn read_only(resource: Resource) -> Option<Permissions> {
    Some(Permissions::none().grant(resource, Access::Read))
}

#[tokio::test]
async fn unauthorized_for_a_key_the_server_never_issued() {
    let sim = sim().await;
    let c = builder(&sim, "ab".repeat(32)).build().unwrap();
    let e = c.system().check_auth().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unauthorized);
    assert_eq!(e.status(), Some(401));
    assert_eq!(e.operation(), Some("system.check_auth"));
    let d = e.diagnosis().unwrap();
    assert!(!d.remaining.is_empty(), "says what remains possible: {e}");
    assert!(!e.to_string().contains(&"ab".repeat(32)));
}

#[tokio::test]
async fn no_key_from_a_remote_address() {
    let sim = sim().await;
    let c = mikopbx::Client::builder(sim.url())
        .trust_certificate_pem(sim.ca_pem().as_bytes())
        .unwrap()
        .local_address(REMOTE)
        .build()
        .unwrap();
    let e = c.extensions().get("201").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unauthorized);
    assert_eq!(e.diagnosis().unwrap().cause, UnauthorizedCause::NoKey);
}

#[tokio::test]
async fn permission_denied_locally_and_by_diagnosis() {
    let sim = sim().await;
    let (key, info) = create_key(&sim, read_only(Resource::Employees), NetworkFilter::Any).await;

    let knowing = builder(&sim, key.clone())
        .permissions(info.permissions())
        .build()
        .unwrap();
    let e = knowing
        .employees()
        .create(new_employee("2960"))
        .await
        .unwrap_err();
    match &e {
        Error::PermissionDenied {
            resource,
            required,
            granted,
            origin,
            status,
            ..
        } => {
            assert_eq!(*resource, Some(Resource::Employees));
            assert_eq!(*required, Access::Write);
            assert_eq!(*granted, Some(Access::Read));
            assert_eq!(*origin, DenialOrigin::Local);
            assert_eq!(*status, None);
        }
        other => panic!("{other:?}"),
    }
    assert!(
        e.to_string()
            .contains("Grant Write for Employees in System → API Keys"),
        "{e}"
    );

    let blind = builder(&sim, key).build().unwrap();
    let e = blind
        .employees()
        .create(new_employee("2961"))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::PermissionDenied, "{e}");
    assert_eq!(e.status(), Some(401));
    assert!(matches!(
        e,
        Error::PermissionDenied {
            origin: DenialOrigin::Server,
            granted: Some(Access::Read),
            ..
        }
    ));
    // Nothing was created by either attempt.
    let admin = admin(&sim);
    assert!(admin.extensions().available("2960").await.unwrap());
    assert!(admin.extensions().available("2961").await.unwrap());
}

#[tokio::test]
async fn permission_denied_read_from_the_keys_own_record() {
    let sim = sim().await;
    // A key that may read api-keys: the client learns its permissions from the server.
    let perms = Permissions::none()
        .grant(Resource::ApiKeys, Access::Read)
        .grant(Resource::Extensions, Access::Read);
    let (key, _) = create_key(&sim, Some(perms), NetworkFilter::Any).await;
    let c = builder(&sim, key).build().unwrap();
    let e = c
        .cdr()
        .list(Default::default())
        .next_page()
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            Error::PermissionDenied {
                resource: Some(Resource::Cdr),
                required: Access::Read,
                granted: None,
                ..
            }
        ),
        "{e:?}"
    );
}

#[tokio::test]
async fn id_quirk_is_explained_not_guessed() {
    let p = Permissions::none().grant(Resource::Employees, Access::Read);
    let sim = sim().await;
    let c = builder(&sim, "x".repeat(64))
        .permissions(p)
        .build()
        .unwrap();
    // Employees ids are numeric; an id like this one trips the server's ID heuristic.
    let e = c.employees().get("QUEUE-1A2B3C4D").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unauthorized);
    assert_eq!(
        e.diagnosis().unwrap().cause,
        UnauthorizedCause::IdQuirk,
        "{e}"
    );
}

#[tokio::test]
async fn network_restricted_key_from_a_refused_address() {
    let sim = sim().await;
    // The simulator's network filter #1 admits only 127.0.0.2; #2 is an office LAN.
    let (key, _) = create_key(
        &sim,
        read_only(Resource::Extensions),
        NetworkFilter::Id { id: 1 },
    )
    .await;
    builder(&sim, key.clone())
        .local_address(REMOTE)
        .build()
        .unwrap()
        .extensions()
        .get("201")
        .await
        .unwrap();
    let (key, info) = create_key(
        &sim,
        read_only(Resource::Extensions),
        NetworkFilter::Id { id: 2 },
    )
    .await;
    // With the key's permissions and filter known: diagnosed as a network restriction.
    let c = builder(&sim, key.clone())
        .local_address(REMOTE)
        .permissions(info.permissions())
        .build()
        .unwrap();
    let e = c.extensions().get("201").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NetworkRestricted, "{e}");
    assert_eq!(e.status(), Some(401));
    assert!(e.to_string().contains("127.0.0.2"), "{e}");
    // Without knowledge: unauthorized, and the message names the network filter as possible.
    let c = builder(&sim, key).local_address(REMOTE).build().unwrap();
    let e = c.extensions().get("201").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unauthorized, "{e}");
    assert!(e.to_string().contains("network filter"), "{e}");
}

#[tokio::test]
async fn localhost_key_diagnosis_from_127_0_0_2() {
    // What the client concludes for a key known to be localhost-only, used from 127.0.0.2.
    let sim = sim().await;
    let perms = Permissions::none()
        .grant(Resource::Extensions, Access::Read)
        .with_network(NetworkFilter::Localhost);
    let c = builder(&sim, "ef".repeat(32))
        .local_address(REMOTE)
        .permissions(perms)
        .build()
        .unwrap();
    let e = c.extensions().get("201").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NetworkRestricted, "{e}");
    assert!(e.to_string().contains("localhost only"), "{e}");
}

#[tokio::test]
async fn a_network_filter_the_pbx_did_not_store_is_refused_and_undone() {
    let sim = sim().await;
    let admin = admin(&sim);
    let key = admin.api_keys().generate_key().await.unwrap();
    let before = admin.api_keys().list().collect_all().await.unwrap().len();
    let result = admin
        .api_keys()
        .create(mikopbx::NewApiKey::new(
            "localhost only",
            key,
            read_only(Resource::Extensions).as_ref(),
            NetworkFilter::Localhost,
        ))
        .await;
    // The simulator reproduces the server by default: `localhost` is dropped on a REST create.
    let e = result.expect_err("an unrestricted key must not be reported as created");
    assert_eq!(e.kind(), ErrorKind::Server, "{e}");
    assert!(e.to_string().contains("localhost"), "{e}");
    assert!(e.to_string().contains("removed again"), "{e}");
    let after = admin.api_keys().list().collect_all().await.unwrap().len();
    assert_eq!(before, after, "the unrestricted key was deleted again");
}

#[tokio::test]
async fn not_found_validation_conflict() {
    let sim = sim().await;
    let c = admin(&sim);
    let e = c
        .employees()
        .patch("999999", Default::default())
        .await
        .unwrap_err();
    assert_eq!(
        (e.kind(), e.status()),
        (ErrorKind::NotFound, Some(404)),
        "{e}"
    );
    let e = c.extensions().get("99999").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");

    // The PBX would silently strip/truncate a bad number: refused before sending.
    let e = c.employees().create(new_employee("1")).await.unwrap_err();
    assert_eq!((e.kind(), e.status()), (ErrorKind::Validation, None), "{e}");
    assert!(e.to_string().contains("2 to 8 digits"), "{e}");
    // The server's own 422: the number is taken.
    let e = c.employees().create(new_employee("201")).await.unwrap_err();
    assert_eq!(
        (e.kind(), e.status()),
        (ErrorKind::Validation, Some(422)),
        "{e}"
    );
    assert!(!e.messages().is_empty());

    // Extension 201 is a routing target (the Main menu IVR falls back to it): deleting its
    // employee is a conflict.
    let emp = c
        .employees()
        .list(mikopbx::EmployeeQuery {
            search: Some("201".into()),
            ..Default::default()
        })
        .collect_all()
        .await
        .unwrap()
        .into_iter()
        .find(|e| e.number == "201")
        .unwrap();
    let e = c.employees().delete(&emp.id).await.unwrap_err();
    assert_eq!(
        (e.kind(), e.status()),
        (ErrorKind::Conflict, Some(409)),
        "{e}"
    );
}

#[tokio::test]
async fn firewall_rate_limit_busy_server() {
    // The WAF of MikoPBX develop: it decodes the query and scans request bodies.
    let sim = mikopbx_sim::Simulator::builder()
        .clock_scale(60.0)
        .develop_waf(true)
        .start()
        .await
        .unwrap();
    let remote = |limit: RateLimit| {
        builder(&sim, sim.admin_key().to_string())
            .local_address(REMOTE)
            .rate_limit(limit)
            .max_retries(0)
            .build()
            .unwrap()
    };
    let c = remote(RateLimit::disabled());
    let e = c
        .extensions()
        .list(ExtensionQuery {
            search: Some("' or 1=1".into()),
            ..Default::default()
        })
        .next_page()
        .await
        .unwrap_err();
    assert_eq!(
        (e.kind(), e.status()),
        (ErrorKind::BlockedByFirewall, Some(403)),
        "{e}"
    );

    // A request body with an SQL-looking phrase (develop-based PBX builds scan bodies).
    let e = c
        .employees()
        .create(NewEmployee {
            number: "2940".into(),
            user_username: "Please update CDR settings".into(),
            sip_secret: "Xk9mPq2vLr7t".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::BlockedByFirewall, "{e}");
    assert!(e.to_string().contains("request body"), "{e}");

    sim.faults().status_burst(503, 5);
    let e = c.system().check_auth().await.unwrap_err();
    assert_eq!(
        (e.kind(), e.status()),
        (ErrorKind::ServiceBusy, Some(503)),
        "{e}"
    );
    sim.faults().clear();
    sim.faults().status_burst(500, 5);
    let e = c.system().check_auth().await.unwrap_err();
    assert_eq!(
        (e.kind(), e.status()),
        (ErrorKind::Server, Some(500)),
        "{e}"
    );
    sim.faults().clear();

    // Without the governor a remote burst hits nginx's limit.
    let mut limited = None;
    for _ in 0..400 {
        if let Err(e) = c.system().ping().await {
            limited = Some(e);
            break;
        }
    }
    let e = limited.expect("the simulator's rate limit answered 429");
    assert_eq!(
        (e.kind(), e.status()),
        (ErrorKind::RateLimited, Some(429)),
        "{e}"
    );
}

#[tokio::test]
async fn firewall_of_the_release_build_sees_the_user_agent() {
    // The release WAF checks the raw (still percent-encoded) query, so a search term rarely trips
    // it; the User-Agent is checked as sent.
    let sim = sim().await;
    let c = builder(&sim, sim.admin_key().to_string())
        .local_address(REMOTE)
        .user_agent_suffix("crm' or 1=1")
        .build()
        .unwrap();
    let e = c.system().check_auth().await.unwrap_err();
    assert_eq!(
        (e.kind(), e.status()),
        (ErrorKind::BlockedByFirewall, Some(403)),
        "{e}"
    );
}

#[tokio::test]
async fn connect_timeout_decode() {
    let sim = sim().await;
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let c = mikopbx::Client::builder(format!("https://127.0.0.1:{port}"))
        .max_retries(1)
        .build()
        .unwrap();
    let e = c.system().ping().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Connect, "{e}");

    let slow = builder(&sim, sim.admin_key().to_string())
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    sim.faults().set_latency(Duration::from_secs(2));
    let e = slow.system().check_auth().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
    sim.faults().clear();

    let once = builder(&sim, sim.admin_key().to_string())
        .max_retries(0)
        .build()
        .unwrap();
    sim.faults().truncate_next(1);
    let e = once.extensions().get("201").await.unwrap_err();
    // A cut-off answer is a decode error when the head arrived, a broken connection when the
    // server's buffering cut it before the head went out; both are reported, never a panic.
    assert!(
        matches!(e.kind(), ErrorKind::Decode | ErrorKind::Connect),
        "{e}"
    );
    // An idempotent read is retried past a cut-off answer.
    let admin = admin(&sim);
    sim.faults().truncate_next(1);
    admin.extensions().get("201").await.unwrap();
    sim.faults().reset_next(1);
    admin.extensions().get("201").await.unwrap();
}

#[tokio::test]
async fn insecure_transport_and_config() {
    let e = mikopbx::Client::builder("http://pbx.example.invalid")
        .build()
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InsecureTransport);
    let e = mikopbx::Client::builder("not a url").build().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config);
    let e = mikopbx::Client::builder("https://x")
        .pin_certificate_sha256("12:34")
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config);
    let e = mikopbx::Client::builder("https://x/pbxcore/api/v3")
        .build()
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config);
    for k in ErrorKind::ALL {
        assert!(!k.as_str().is_empty());
    }
}

#[tokio::test]
async fn plain_http_redirect_says_to_use_https() {
    let sim = mikopbx_sim::Simulator::builder()
        .http_addr("127.0.0.1:0".parse().unwrap())
        .start()
        .await
        .unwrap();
    let http = sim.http_url().expect("plain port").to_string();
    // On the PBX itself (localhost) plain HTTP is served.
    let local = mikopbx::Client::builder(&http)
        .api_key(sim.admin_key().to_string())
        .build()
        .unwrap();
    local.extensions().get("201").await.unwrap();
    // From another address the PBX redirects to HTTPS; the client does not follow.
    let remote = mikopbx::Client::builder(&http)
        .api_key(sim.admin_key().to_string())
        .local_address(REMOTE)
        .build()
        .unwrap();
    let e = remote.system().check_auth().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InsecureTransport, "{e}");
    assert!(e.to_string().contains("https://"), "{e}");
}

#[tokio::test]
async fn an_unparseable_answer_is_a_decode_error_with_a_bounded_excerpt() {
    let p = pki(&["localhost", "127.0.0.1"], None);
    let handler: Handler = std::sync::Arc::new(|_| {
        let mut body = b"<html><body>Bad gateway page from some proxy".to_vec();
        body.extend(std::iter::repeat_n(b'x', 50_000));
        body
    });
    let server = tls_server_with(
        vec![rustls::pki_types::CertificateDer::from(p.leaf_der.clone())],
        rustls::pki_types::PrivateKeyDer::Pkcs8(p.leaf_key_der.clone().into()),
        handler,
    )
    .await;
    let c = mikopbx::Client::builder(&server.url)
        .trust_certificate_pem(p.ca_pem.as_bytes())
        .unwrap()
        .build()
        .unwrap();
    let e = c.extensions().get("201").await.unwrap_err();
    assert_eq!(
        (e.kind(), e.status()),
        (ErrorKind::Decode, Some(200)),
        "{e}"
    );
    assert_eq!(e.operation(), Some("extensions.get"));
    match &e {
        Error::Decode { excerpt, .. } => {
            assert!(excerpt.starts_with("<html>"));
            assert!(excerpt.chars().count() <= 201);
        }
        other => panic!("{other:?}"),
    }
    // Valid JSON of the wrong shape is a decode error too, never a panic.
    let handler: Handler = std::sync::Arc::new(|_| {
        br#"{"result":true,"data":{"number":{"a":[1]},"type":7}}"#.to_vec()
    });
    let server = tls_server_with(
        vec![rustls::pki_types::CertificateDer::from(p.leaf_der.clone())],
        rustls::pki_types::PrivateKeyDer::Pkcs8(p.leaf_key_der.clone().into()),
        handler,
    )
    .await;
    let c = mikopbx::Client::builder(&server.url)
        .trust_certificate_pem(p.ca_pem.as_bytes())
        .unwrap()
        .build()
        .unwrap();
    // Lenient fields take what they can: an object where a string was expected becomes its JSON.
    let emp = c.employees().get("1").await.unwrap();
    assert_eq!(emp.number, r#"{"a":[1]}"#);
    let list = c.employees().list(Default::default()).next_page().await;
    assert!(
        list.is_ok(),
        "an object where a list was expected is an empty page: {list:?}"
    );
}

/// A key's permissions are always stated: never full by omission, never both.
#[tokio::test]
async fn a_new_key_states_its_permissions() {
    let sim = sim().await;
    let admin = admin(&sim);
    let key = std::sync::Arc::new(admin.api_keys().generate_key().await.unwrap());
    let before = admin.api_keys().list().collect_all().await.unwrap().len();
    for (full, paths) in [
        (false, std::collections::HashMap::new()),
        (
            true,
            std::collections::HashMap::from([("extensions".to_owned(), Access::Read)]),
        ),
    ] {
        let e = admin
            .api_keys()
            .create(mikopbx::NewApiKey {
                description: "ambiguous".into(),
                key: key.clone(),
                full_permissions: full,
                allowed_paths: paths,
                network: NetworkFilter::Any,
            })
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Config, "{e}");
    }
    let after = admin.api_keys().list().collect_all().await.unwrap().len();
    assert_eq!(before, after, "nothing was created");
}
