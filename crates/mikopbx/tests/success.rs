//! Success paths of every operation in this issue, against the simulator over real TLS.

mod common;

use common::*;
use futures_util::StreamExt;
use mikopbx::{
    Access, CdrQuery, EmployeePatch, EmployeeQuery, ExtensionQuery, NetworkFilter, NewApiKey,
    NewEmployee, Permissions, Resource,
};

#[tokio::test]
async fn system_sysinfo_and_pbx_status() {
    let sim = sim().await;
    let c = admin(&sim);
    c.system().ping().await.unwrap();
    c.system().check_auth().await.unwrap();
    let info = c.sysinfo().get_info().await.unwrap();
    assert!(!info.raw_json.is_empty());
    c.pbx_status().active_calls().await.unwrap();
    c.pbx_status().active_channels().await.unwrap();
}

#[tokio::test]
async fn extensions_list_get_select_available() {
    let sim = sim().await;
    let c = admin(&sim);
    let all = c
        .extensions()
        .list(ExtensionQuery {
            type_: Some("SIP".into()),
            page_size: Some(7),
            ..Default::default()
        })
        .collect_all()
        .await
        .unwrap();
    assert!(all.len() >= 50, "{}", all.len());
    assert!(all.iter().all(|e| e.type_ == "SIP"));
    // The server ignores `type`; the client filters, and never hands out an empty page.
    let pager = c.extensions().list(ExtensionQuery {
        type_: Some("SIP".into()),
        page_size: Some(10),
        ..Default::default()
    });
    while let Some(page) = pager.next_page().await.unwrap() {
        assert!(!page.is_empty());
    }
    let found = c
        .extensions()
        .list(ExtensionQuery {
            search: Some("201".into()),
            ..Default::default()
        })
        .collect_all()
        .await
        .unwrap();
    assert!(found.iter().any(|e| e.number == "201"));
    let e = c.extensions().get("201").await.unwrap();
    assert_eq!(e.number, "201");
    assert_eq!(e.type_, "SIP");
    let opts = c
        .extensions()
        .get_for_select(Default::default())
        .await
        .unwrap();
    assert!(opts.iter().any(|o| o.value == "201"));
    assert!(c.extensions().available("299").await.unwrap());
    assert!(!c.extensions().available("201").await.unwrap());
}

#[tokio::test]
async fn employees_crud() {
    let sim = sim().await;
    let c = admin(&sim);
    let pager = c.employees().list(EmployeeQuery {
        page_size: Some(9),
        ..Default::default()
    });
    let all: Vec<_> = pager.into_stream().collect().await;
    assert!(all.len() >= 50);
    let created = c
        .employees()
        .create(NewEmployee {
            number: "2970".into(),
            user_username: "Test Person".into(),
            sip_secret: "Xk9mPq2vLr7t".into(),
            mobile_number: Some("79161234567".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(created.number, "2970");
    let got = c.employees().get(&created.id).await.unwrap();
    assert_eq!(got.user_username, "Test Person");
    // The PBX sends the SIP password with the record; a record never keeps it (it is printed).
    assert!(!format!("{got:?}").contains("Xk9mPq2vLr7t"), "{got:?}");
    assert!(!got.extra.contains_key("sip_secret"));
    let patched = c
        .employees()
        .patch(
            &created.id,
            EmployeePatch {
                user_username: Some("Renamed Person".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(patched.user_username, "Renamed Person");
    assert_eq!(patched.number, "2970");
    let updated = c
        .employees()
        .update(
            &created.id,
            NewEmployee {
                number: "2970".into(),
                user_username: "Replaced Person".into(),
                sip_secret: "Xk9mPq2vLr7t".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(updated.user_username, "Replaced Person");
    // The extension came with the employee.
    assert_eq!(c.extensions().get("2970").await.unwrap().number, "2970");
    c.employees().delete(&created.id).await.unwrap();
    let err = c.employees().get(&created.id).await.unwrap_err();
    assert_eq!(err.kind(), mikopbx::ErrorKind::NotFound, "{err}");
}

/// `employees.get_default` then `create`: the defaults make a valid new employee once named.
#[tokio::test]
async fn employees_get_default_then_create() {
    let sim = sim().await;
    let c = admin(&sim);
    let d = c.employees().get_default().await.unwrap();
    assert_eq!(d.id, "");
    let secret = d.sip_secret.expose_secret().to_owned();
    assert_eq!(secret.len(), 20, "Sip::generateSipPassword()");
    assert!(!format!("{d:?}").contains(&secret), "never printed");
    assert!(
        c.extensions().available(&d.number).await.unwrap(),
        "{}",
        d.number
    );
    assert!(d.extra.contains_key("user_avatar"), "{:?}", d.extra);
    let again = c.employees().get_default().await.unwrap();
    assert_ne!(
        again.sip_secret.expose_secret(),
        secret,
        "a fresh secret each time"
    );
    let created = c
        .employees()
        .create(NewEmployee {
            number: d.number.clone(),
            user_username: "From Defaults".into(),
            sip_secret: secret.clone(),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(created.number, d.number);
    assert_eq!(
        created.sip_secret.expose_secret(),
        secret,
        "the record carries it"
    );
    let next = c.employees().get_default().await.unwrap();
    assert_ne!(next.number, d.number, "the number is taken now");
    c.employees().delete(&created.id).await.unwrap();
}

#[tokio::test]
async fn cdr_filters_and_resume() {
    let sim = sim().await;
    let c = admin(&sim);
    let today = c
        .cdr()
        .list(CdrQuery {
            max_items: Some(20),
            ..CdrQuery::today()
        })
        .collect_all()
        .await
        .unwrap();
    assert!(!today.is_empty());
    let pager = c.cdr().list(CdrQuery {
        page_size: Some(10),
        max_items: Some(25),
        ..Default::default()
    });
    let mut first = Vec::new();
    while let Some(page) = pager.next_page().await.unwrap() {
        first.extend(page);
    }
    assert_eq!(first.len(), 25);
    assert!(first.windows(2).all(|w| w[0].id < w[1].id), "id order");
    let checkpoint = pager.checkpoint().await.unwrap();
    assert_eq!(checkpoint, first.last().unwrap().id);
    let next = c
        .cdr()
        .list(CdrQuery {
            resume_after: Some(checkpoint),
            max_items: Some(10),
            ..Default::default()
        })
        .collect_all()
        .await
        .unwrap();
    assert_eq!(next.len(), 10);
    assert!(next.iter().all(|r| r.id > checkpoint));
    let answered = c
        .cdr()
        .list(CdrQuery {
            disposition: Some("ANSWERED".into()),
            max_items: Some(30),
            ..Default::default()
        })
        .collect_all()
        .await
        .unwrap();
    assert!(answered.iter().all(|r| r.disposition == "ANSWERED"));

    // Grouped by call: every call's legs share its linkedid; resumable the same way.
    let calls = c.cdr().list_calls(CdrQuery {
        page_size: Some(20),
        max_items: Some(50),
        ..Default::default()
    });
    let mut seen = Vec::new();
    while let Some(page) = calls.next_page().await.unwrap() {
        seen.extend(page);
    }
    assert_eq!(seen.len(), 50);
    assert!(
        seen.iter().all(|call| !call.records.is_empty()
            && call.records.iter().all(|r| r.linkedid == call.linkedid))
    );
    assert!(seen.windows(2).all(|w| w[0].last_id() < w[1].last_id()));
    assert_eq!(
        calls.checkpoint().await,
        Some(seen.last().unwrap().last_id())
    );
}

#[tokio::test]
async fn api_keys_lifecycle_and_revocation() {
    let sim = sim().await;
    let c = admin(&sim);
    let perms = Permissions::none()
        .grant(Resource::Extensions, Access::Read)
        .grant(Resource::Cdr, Access::Read);
    let (key, info) = create_key(&sim, Some(perms.clone()), NetworkFilter::Any).await;
    assert_eq!(info.key_display, key.key_display());
    assert!(!info.full_permissions);
    assert_eq!(
        info.permissions(),
        perms.clone().with_network(NetworkFilter::Any)
    );
    let got = c.api_keys().get(&info.id).await.unwrap();
    assert_eq!(got.description, "test key");
    let listed = c.api_keys().list().collect_all().await.unwrap();
    assert!(listed.iter().any(|k| k.id == info.id));

    let user = builder(&sim, key.clone()).build().unwrap();
    user.extensions().get("201").await.unwrap();

    let updated = c
        .api_keys()
        .update(
            &info.id,
            NewApiKey::new(
                "renamed",
                key.clone(),
                Some(&perms),
                NetworkFilter::Id { id: 2 },
            ),
        )
        .await
        .unwrap();
    assert_eq!(updated.description, "renamed");
    assert_eq!(updated.network(), NetworkFilter::Id { id: 2 });

    c.api_keys().delete(&info.id).await.unwrap();
    let err = user.extensions().get("201").await.unwrap_err();
    assert_eq!(err.kind(), mikopbx::ErrorKind::Unauthorized, "{err}");
}

#[tokio::test]
async fn full_key_with_ca_from_a_file() {
    let sim = sim().await;
    let (key, _) = create_key(&sim, None, NetworkFilter::Any).await;
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, sim.ca_pem()).unwrap();
    // `from_env` reads the same file format (MIKOPBX_CA_CERT); it is exercised by the CLI tests,
    // since edition 2024 forbids setting variables in-process without `unsafe`.
    let c = mikopbx::ClientBuilder::new(sim.url())
        .api_key(key)
        .trust_certificate(std::fs::read(&ca).unwrap())
        .unwrap()
        .build()
        .unwrap();
    c.employees()
        .list(EmployeeQuery::default())
        .next_page()
        .await
        .unwrap();
}
