//! `asterisk-managers` (AMI users), every operation in depth, against the simulator over real
//! TLS. The shapes and rules are the server's (`src/PBXCoreREST/Lib/AsteriskManagers/` in
//! mikopbx/Core): the secret comes back in clear and must never print, the system managers are
//! refused with 403, usernames are unique.

mod common;

use std::sync::Arc;

use common::*;
use mikopbx::{
    Access, AmiPermissions, AmiPermissionsInput, AsteriskManager, AsteriskManagerInput, ErrorKind,
    NetworkFilter, Permissions, Resource, Secret,
};

fn input(username: &str) -> AsteriskManagerInput {
    AsteriskManagerInput {
        username: Some(username.into()),
        ..Default::default()
    }
}

fn assert_secret_hidden(m: &AsteriskManager) {
    let secret = m.secret.expose_secret();
    assert!(!secret.is_empty());
    for text in [format!("{m:?}"), format!("{m:#?}")] {
        assert!(!text.contains(secret), "secret in Debug: {text}");
        assert!(text.contains("Secret(<redacted>)"), "{text}");
    }
    assert!(!serde_json::to_string(m).unwrap().contains(secret));
}

#[tokio::test]
async fn list_get_default_and_copy() {
    let sim = sim().await;
    let c = admin(&sim);
    let all = c.asterisk_managers().list().await.unwrap();
    let cami = all
        .iter()
        .find(|m| m.username == "1cami")
        .expect("the shipped 1cami user");
    assert_eq!(cami.id, "1");
    assert_eq!(cami.represent, "1cami - 1C integration");
    assert_eq!(cami.networkfilterid, "none");
    // List rows carry no secret and no booleans; the summaries are kept in `extra`.
    assert!(cami.secret.is_empty());
    assert_eq!(
        cami.extra.get("readPermissionsSummary").map(String::as_str),
        Some("call, cdr, user")
    );

    let record = c.asterisk_managers().get("1").await.unwrap();
    assert_eq!(record.username, "1cami");
    assert_eq!(record.read, "call,cdr,user");
    assert_eq!(record.write, "call,originate,reporting");
    assert!(record.permissions.call_read && record.permissions.call_write);
    assert!(record.permissions.originate_write && !record.permissions.originate_read);
    assert!(!record.is_system);
    assert_secret_hidden(&record);
    // findFirstById on an integer column.
    assert_eq!(c.asterisk_managers().get("001").await.unwrap().id, "1");

    let defaults = c.asterisk_managers().get_default().await.unwrap();
    assert_eq!(defaults.id, "");
    assert_eq!(defaults.networkfilterid, "none");
    assert_eq!(defaults.permissions, AmiPermissions::default());
    assert_eq!(defaults.secret.expose_secret().len(), 11);
    assert_secret_hidden(&defaults);
    let again = c.asterisk_managers().get_default().await.unwrap();
    assert_ne!(again.secret, defaults.secret, "a fresh secret each time");

    let copy = c.asterisk_managers().copy("1").await.unwrap();
    assert_eq!(copy.id, "");
    assert_eq!(copy.username, "");
    assert_eq!(copy.description, "Copy of: 1C integration");
    assert_eq!(copy.permissions, record.permissions);
    assert_ne!(copy.secret, record.secret);
    // Nothing was saved.
    assert_eq!(c.asterisk_managers().list().await.unwrap().len(), all.len());
}

#[tokio::test]
async fn create_update_patch_delete() {
    let sim = sim().await;
    let c = admin(&sim);
    let api = c.asterisk_managers();
    let created = api
        .create(AsteriskManagerInput {
            username: Some("crm".into()),
            secret: Some(Arc::new(Secret::new("Cr-m.s3cret!"))),
            description: Some("CRM link".into()),
            networkfilterid: Some("1".into()),
            eventfilter: Some("Event: Newchannel\nEvent: Hangup".into()),
            permissions: Some(AmiPermissionsInput {
                call_read: true,
                cdr_read: true,
                originate_write: true,
                ..Default::default()
            }),
        })
        .await
        .unwrap();
    assert_eq!(created.username, "crm");
    assert_eq!(created.secret.expose_secret(), "Cr-m.s3cret!");
    assert_eq!(created.read, "call,cdr");
    assert_eq!(created.write, "originate");
    assert_eq!(created.networkfilterid, "1");
    assert!(
        created
            .networkfilter_represent
            .contains("Integration test bench"),
        "{}",
        created.networkfilter_represent
    );
    assert_eq!(created.eventfilter, "Event: Newchannel\nEvent: Hangup");
    assert_secret_hidden(&created);
    let id = created.id.clone();

    // Without a secret the server generates one.
    let generated = api.create(input("crm2")).await.unwrap();
    assert_eq!(generated.secret.expose_secret().len(), 11);
    assert_eq!(generated.read, "");
    assert_eq!(generated.networkfilterid, "none");

    // PUT: fields left out keep their values; permissions replace all flags; an empty secret
    // keeps the password.
    let updated = api
        .update(
            &id,
            AsteriskManagerInput {
                username: Some("crm".into()),
                secret: Some(Arc::new(Secret::new(""))),
                permissions: Some(AmiPermissionsInput {
                    user_read: true,
                    ..Default::default()
                }),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(updated.read, "user");
    assert_eq!(updated.write, "");
    assert_eq!(updated.description, "CRM link");
    assert_eq!(updated.secret.expose_secret(), "Cr-m.s3cret!");

    // PATCH: only what is given; `none` on an existing user is not written (the server's
    // isset() on the NULL it became), so the filter stays.
    let patched = api
        .patch(
            &id,
            AsteriskManagerInput {
                description: Some("renamed".into()),
                networkfilterid: Some("none".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(patched.description, "renamed");
    assert_eq!(patched.networkfilterid, "1");
    assert_eq!(patched.read, "user");
    let patched = api
        .patch(
            &id,
            AsteriskManagerInput {
                networkfilterid: Some("2".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(patched.networkfilterid, "2");
    assert_eq!(api.get(&id).await.unwrap(), patched);

    api.delete(&id).await.unwrap();
    let e = api.get(&id).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
    let e = api.delete(&id).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
}

#[tokio::test]
async fn validation_not_found_and_duplicates() {
    let sim = sim().await;
    let c = admin(&sim);
    let api = c.asterisk_managers();
    // Username is required to create.
    let e = api
        .create(AsteriskManagerInput {
            description: Some("nameless".into()),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Validation, "{e}");
    assert!(format!("{e}").contains("Username is required"), "{e}");
    // Unique usernames: 409, on create and on a rename.
    let e = api.create(input("1cami")).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Conflict, "{e}");
    assert!(format!("{e}").contains("already exists"), "{e}");
    let other = api.create(input("other")).await.unwrap();
    let e = api.patch(&other.id, input("1cami")).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Conflict, "{e}");
    // Keeping one's own name is no conflict.
    api.patch(&other.id, input("other")).await.unwrap();
    // Dangerous content in a text field.
    let e = api
        .create(input("<script>alert(1)</script>x"))
        .await
        .map(|m| m.username)
        .unwrap_or_else(|e| format!("{:?}", e.kind()));
    assert!(!e.contains("<script>"), "{e}");
    // Unknown ids.
    for r in [
        api.get("999").await.map(|_| ()),
        api.copy("999").await.map(|_| ()),
        api.update("999", input("x")).await.map(|_| ()),
        api.patch("999", input("x")).await.map(|_| ()),
        api.delete("999").await,
    ] {
        let e = r.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
    }
    // A `localhost` filter is not a filter to the server: reduced to nothing, i.e. any address.
    let lh = api
        .create(AsteriskManagerInput {
            networkfilterid: Some("localhost".into()),
            ..input("lh")
        })
        .await
        .unwrap();
    assert_eq!(lh.networkfilterid, "none");
}

#[tokio::test]
async fn system_managers_are_refused() {
    let sim = sim().await;
    let c = admin(&sim);
    let api = c.asterisk_managers();
    // Creating one is not checked by the server; everything after is.
    let admin_user = api.create(input("admin")).await.unwrap();
    assert!(admin_user.is_system);
    for r in [
        api.get(&admin_user.id).await.map(|_| ()),
        api.update(&admin_user.id, input("admin")).await.map(|_| ()),
        api.patch(&admin_user.id, AsteriskManagerInput::default())
            .await
            .map(|_| ()),
        api.delete(&admin_user.id).await,
    ] {
        let e = r.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::PermissionDenied, "{e}");
        assert_eq!(e.status(), Some(403), "{e}");
    }
    // Still there.
    assert!(
        api.list()
            .await
            .unwrap()
            .iter()
            .any(|m| m.username == "admin" && m.is_system)
    );
}

#[tokio::test]
async fn a_read_only_key() {
    let sim = sim().await;
    let read = Permissions::none().grant(Resource::AsteriskManagers, Access::Read);
    let (key, _) = create_key(&sim, Some(read.clone()), NetworkFilter::Any).await;
    // Told its permissions: writes are refused before sending.
    let c = builder(&sim, key.expose_secret().to_owned())
        .permissions(read.clone().with_network(NetworkFilter::Any))
        .build()
        .unwrap();
    c.asterisk_managers().list().await.unwrap();
    c.asterisk_managers().get("1").await.unwrap();
    c.asterisk_managers().get_default().await.unwrap();
    c.asterisk_managers().copy("1").await.unwrap();
    let e = c
        .asterisk_managers()
        .create(input("refused"))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::PermissionDenied, "{e}");
    assert_eq!(e.status(), None, "refused locally: {e}");
    let e = c.asterisk_managers().delete("1").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::PermissionDenied, "{e}");
    let e = c
        .asterisk_managers()
        .create_click_to_call_manager("c2c", "1")
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::PermissionDenied, "{e}");

    // Not told: the server refuses, and nothing was created.
    let blind = builder(&sim, key.expose_secret().to_owned())
        .build()
        .unwrap();
    let e = blind
        .asterisk_managers()
        .create(input("refused"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            e.kind(),
            ErrorKind::PermissionDenied | ErrorKind::Unauthorized
        ),
        "{e}"
    );
    let names: Vec<String> = admin(&sim)
        .asterisk_managers()
        .list()
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.username)
        .collect();
    assert!(!names.contains(&"refused".to_string()), "{names:?}");

    // A key for another resource cannot even read.
    let other = Permissions::none().grant(Resource::Extensions, Access::Read);
    let (key, _) = create_key(&sim, Some(other), NetworkFilter::Any).await;
    let c = builder(&sim, key.expose_secret().to_owned())
        .build()
        .unwrap();
    let e = c.asterisk_managers().get("1").await.unwrap_err();
    assert!(
        matches!(
            e.kind(),
            ErrorKind::PermissionDenied | ErrorKind::Unauthorized
        ),
        "{e}"
    );
}

#[tokio::test]
async fn click_to_call_manager_has_the_least_rights() {
    let sim = sim().await;
    let c = admin(&sim);
    let api = c.asterisk_managers();
    let m = api
        .create_click_to_call_manager("click2call", "4")
        .await
        .unwrap();
    assert_eq!(m.username, "click2call");
    assert_eq!(m.read, "call");
    assert_eq!(m.write, "originate");
    assert_eq!(m.permissions, AmiPermissions::click_to_call());
    assert_eq!(m.networkfilterid, "4");
    // The server-generated secret (getDefault) was kept.
    assert_eq!(m.secret.expose_secret().len(), 11);
    assert_secret_hidden(&m);
    assert_eq!(api.get(&m.id).await.unwrap(), m);

    // Never usable from any address: refused before anything is sent.
    let before = api.list().await.unwrap().len();
    for bad in ["none", "", "  ", "localhost", "1; DROP"] {
        let e = api
            .create_click_to_call_manager("c2c-bad", bad)
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Config, "{bad:?}: {e}");
        assert_eq!(e.status(), None);
    }
    // Filters that deny nothing (1-3 permit an address but deny nothing: Asterisk would then
    // admit every address) are refused after reading them, before creating anything.
    for open_filter in ["1", "2", "3"] {
        let e = api
            .create_click_to_call_manager("c2c-open", open_filter)
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Config, "{open_filter}: {e}");
        assert!(e.to_string().contains("denies 0.0.0.0/0"), "{e}");
    }
    assert_eq!(api.list().await.unwrap().len(), before);
    // The same username twice is the server's conflict.
    let e = api
        .create_click_to_call_manager("click2call", "4")
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Conflict, "{e}");
}
