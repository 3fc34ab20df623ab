//! `api_keys().create_for(description, operations, network)`: least-privilege provisioning
//! against the simulator, which stores a REST-created `localhost` key as unrestricted, as the
//! real server does.

mod common;

use common::{REMOTE, admin, builder, sim};
use mikopbx::{ErrorKind, ExtensionQuery, NetworkFilter};

fn ops(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| s.to_string()).collect()
}

#[tokio::test]
async fn a_localhost_key_for_two_operations_is_exactly_that() {
    let sim = sim().await;
    let created = admin(&sim)
        .api_keys()
        .create_for(
            "crm sync".into(),
            ops(&["extensions.list", "cdr.list"]),
            NetworkFilter::Localhost,
        )
        .await
        .expect("created");
    // `localhost` became the filter that permits only 127.0.0.1 (filter 3 of the seed).
    assert_eq!(created.info.networkfilterid, "3", "{:?}", created.info);
    assert!(!created.info.full_permissions);
    let mut paths: Vec<(String, String)> = created.info.allowed_paths.clone().into_iter().collect();
    paths.sort();
    assert_eq!(
        paths,
        [
            ("/api/v3/cdr".to_string(), "read".to_string()),
            ("/api/v3/extensions".to_string(), "read".to_string()),
        ]
    );
    assert!(!format!("{created:?}").contains(created.key.expose_secret()));

    let key = created.key.expose_secret().to_owned();
    let local = builder(&sim, key.clone()).build().unwrap();
    local
        .extensions()
        .list(ExtensionQuery::default())
        .collect_all()
        .await
        .expect("allowed from 127.0.0.1");
    // Nothing more: the employees resource is refused by the server.
    let e = local.employees().get("1").await.unwrap_err();
    assert!(
        matches!(
            e.kind(),
            ErrorKind::PermissionDenied | ErrorKind::Unauthorized
        ),
        "{e}"
    );
    // And not from another address.
    let remote = builder(&sim, key).local_address(REMOTE).build().unwrap();
    let e = remote
        .extensions()
        .list(ExtensionQuery::default())
        .collect_all()
        .await
        .unwrap_err();
    assert!(
        matches!(
            e.kind(),
            ErrorKind::NetworkRestricted | ErrorKind::Unauthorized
        ),
        "{e}"
    );
}

#[tokio::test]
async fn unknown_or_public_operations_create_nothing() {
    let sim = sim().await;
    let api = admin(&sim).api_keys();
    let before = api.list().collect_all().await.unwrap().len();
    let e = api
        .create_for("x".into(), ops(&["extensions.nope"]), NetworkFilter::Any)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config, "{e}");
    let e = api
        .create_for("x".into(), ops(&["system.ping"]), NetworkFilter::Any)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config, "{e}");
    let any = api
        .create_for("any".into(), ops(&["cdr.list"]), NetworkFilter::Any)
        .await
        .unwrap();
    assert_eq!(any.info.network(), NetworkFilter::Any);
    assert_eq!(api.list().collect_all().await.unwrap().len(), before + 1);
}
