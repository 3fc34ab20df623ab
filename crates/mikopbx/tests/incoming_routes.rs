//! `incoming-routes`, every operation in depth, against the simulator over real TLS. The shapes
//! and rules are the server's (`src/PBXCoreREST/Lib/IncomingRoutes/` in mikopbx/Core): ids are
//! integers as strings, route `1` is the default route (priority 9999, left out of the list,
//! not deletable), nothing is required on create, values are cut rather than refused, a write
//! without `providerid` binds the rule to any provider, `changePriority` is all or nothing, and
//! the server checks neither the destination nor the provider exists.

mod common;

use common::*;
use mikopbx::{
    Access, ErrorKind, IncomingRouteInput, IncomingRoutePriorities, IncomingRoutePriority,
    IncomingRouteQuery, NetworkFilter, Permissions, Resource, UniqueDidsQuery,
};

/// The seeded rules, by priority: the main number, a direct line, the backup trunk.
const MAIN_NUMBER: &str = "2";
const DIRECT_LINE: &str = "3";
const BACKUP_TRUNK: &str = "4";
const MAIN_TRUNK: &str = "SIP-TRUNK-ABCDEF12";

fn ids(list: &[mikopbx::IncomingRoute]) -> Vec<&str> {
    list.iter().map(|r| r.id.as_str()).collect()
}

fn priorities(list: &[(&str, i64)]) -> IncomingRoutePriorities {
    IncomingRoutePriorities {
        priorities: list
            .iter()
            .map(|(id, priority)| IncomingRoutePriority {
                id: (*id).into(),
                priority: *priority,
            })
            .collect(),
    }
}

#[tokio::test]
async fn list_get_and_the_default_route() {
    let sim = sim().await;
    let c = admin(&sim);
    let api = c.incoming_routes();

    let all = api
        .list(IncomingRouteQuery::default())
        .collect_all()
        .await
        .unwrap();
    assert_eq!(ids(&all), [MAIN_NUMBER, DIRECT_LINE, BACKUP_TRUNK]);
    let main = &all[0];
    assert_eq!(
        (
            main.number.as_str(),
            main.providerid.as_str(),
            main.extension.as_str()
        ),
        ("74951234567", MAIN_TRUNK, "2000")
    );
    assert_eq!((main.priority, main.timeout), (Some(1), Some(120)));
    assert!(
        main.rule_represent.contains("<b>74951234567</b>"),
        "{main:?}"
    );
    assert!(main.extension_represent.contains("IVR menu: Main menu"));
    assert!(main.extra.contains_key("search_index"));

    let page = api
        .list(IncomingRouteQuery {
            search: Some("backup".into()),
            ..Default::default()
        })
        .collect_all()
        .await
        .unwrap();
    assert_eq!(ids(&page), [BACKUP_TRUNK]);
    let by_name = api
        .list(IncomingRouteQuery {
            order_by: Some("rulename".into()),
            order_direction: Some("DESC".into()),
            page_size: Some(1),
            ..Default::default()
        })
        .collect_all()
        .await
        .unwrap();
    assert_eq!(ids(&by_name), [MAIN_NUMBER, DIRECT_LINE, BACKUP_TRUNK]);

    let direct = api.get(DIRECT_LINE).await.unwrap();
    assert_eq!(direct.rulename, "Direct line Ksenia Nikolaeva");
    assert_eq!(direct.provider_type, "SIP");
    assert_eq!(direct.provider_disabled, Some(false));
    assert_eq!(
        direct.providerid_represent,
        "<i class=\"server icon\"></i> SIP: Main trunk"
    );
    assert!(direct.rule_represent.is_empty(), "records have no sentence");

    let default = api.get_default_route().await.unwrap();
    assert_eq!(
        (
            default.id.as_str(),
            default.rulename.as_str(),
            default.extension.as_str()
        ),
        ("1", "default action", "busy")
    );
    assert_eq!(
        (default.priority, default.providerid.as_str()),
        (Some(9999), "none")
    );
    assert_eq!(api.get("1").await.unwrap(), default);

    let e = api.get("42").await.unwrap_err();
    assert_eq!(
        (e.kind(), e.status()),
        (ErrorKind::NotFound, Some(422)),
        "{e}"
    );
}

#[tokio::test]
async fn defaults_copy_and_create() {
    let sim = sim().await;
    let c = admin(&sim);
    let api = c.incoming_routes();

    let fresh = api.get_default().await.unwrap();
    assert_eq!(
        (fresh.id.as_str(), fresh.priority, fresh.timeout),
        ("", Some(4), Some(120))
    );
    assert_eq!(fresh.providerid, "none");

    let copy = api.copy(DIRECT_LINE).await.unwrap();
    assert_eq!((copy.id.as_str(), copy.rulename.as_str()), ("", ""));
    assert_eq!(
        (copy.number.as_str(), copy.extension.as_str()),
        ("74951234570", "230")
    );
    assert_eq!(copy.priority, Some(4));
    let e = api.copy("77").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");

    // The copy's values, renamed, make a new rule; priority 1 means "after the others".
    let created = api
        .create(IncomingRouteInput {
            rulename: Some("Second direct line".into()),
            number: Some("74951234571".into()),
            providerid: Some(copy.providerid.clone()),
            priority: Some(1),
            timeout: Some(copy.timeout.unwrap() as u32),
            extension: Some(copy.extension.clone()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(created.id, "5");
    assert_eq!((created.priority, created.timeout), (Some(4), Some(30)));
    assert_eq!(created.providerid, MAIN_TRUNK);
    assert_eq!(api.get("5").await.unwrap(), created);

    // Nothing is required; texts are cut, the destination reduced to its digits, and neither
    // it nor the provider is checked to exist.
    let loose = api
        .create(IncomingRouteInput {
            rulename: Some(format!("  {}  ", "r".repeat(120))),
            providerid: Some("SIP-NOPE".into()),
            extension: Some("2-9-9".into()),
            note: Some("n".repeat(1100)),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(loose.rulename.chars().count(), 100);
    assert_eq!(loose.note.chars().count(), 1024);
    assert_eq!(
        (loose.extension.as_str(), loose.extension_represent.as_str()),
        ("299", "")
    );
    assert_eq!(loose.providerid, "SIP-NOPE");
    assert!(loose.providerid_represent.contains("No provider binding"));
    assert_eq!(loose.priority, Some(5));
    api.create(IncomingRouteInput::default()).await.unwrap();
}

#[tokio::test]
async fn update_patch_and_validation() {
    let sim = sim().await;
    let c = admin(&sim);
    let api = c.incoming_routes();

    // PATCH keeps what is not sent, except the provider: without `providerid` the rule is
    // bound to any provider (the server's rule).
    let patched = api
        .patch(
            DIRECT_LINE,
            IncomingRouteInput {
                timeout: Some(45),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        (patched.timeout, patched.number.as_str()),
        (Some(45), "74951234570")
    );
    assert_eq!(patched.providerid, "none");
    let updated = api
        .update(
            DIRECT_LINE,
            IncomingRouteInput {
                providerid: Some(MAIN_TRUNK.into()),
                note: Some("  back on the main trunk ".into()),
                extension: Some("voicemail".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(updated.providerid, MAIN_TRUNK);
    assert_eq!(updated.note, "back on the main trunk");
    assert_eq!(updated.extension, "voicemail");
    assert!(updated.extension_represent.contains("Voicemail"));
    assert_eq!(updated.timeout, Some(45));

    // The default route can be changed, but keeps priority 9999.
    let default = api
        .update(
            "1",
            IncomingRouteInput {
                extension: Some("2000".into()),
                priority: Some(3),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        (default.priority, default.extension.as_str()),
        (Some(9999), "2000")
    );

    // Ranges: 422, every message listed.
    let e = api
        .create(IncomingRouteInput {
            priority: Some(12_000),
            timeout: Some(8000),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(
        (e.kind(), e.status()),
        (ErrorKind::Validation, Some(422)),
        "{e}"
    );
    assert_eq!(
        e.messages(),
        [
            "Field 'priority' must be at most 9999 (got 12000)",
            "Field 'timeout' must be at most 7400 (got 8000)"
        ]
    );
    let e = api
        .patch(
            DIRECT_LINE,
            IncomingRouteInput {
                note: Some("1 union select password".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Validation, "{e}");
    assert!(e.messages()[0].contains("Dangerous content"), "{e}");

    for e in [
        api.update("77", IncomingRouteInput::default())
            .await
            .unwrap_err(),
        api.patch("77", IncomingRouteInput::default())
            .await
            .unwrap_err(),
    ] {
        assert_eq!(
            (e.kind(), e.status()),
            (ErrorKind::NotFound, Some(404)),
            "{e}"
        );
    }
}

#[tokio::test]
async fn delete_and_what_routes_hold() {
    let sim = sim().await;
    let c = admin(&sim);
    let api = c.incoming_routes();

    let e = api.delete("1").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Validation, "{e}");
    assert!(
        e.to_string()
            .contains("Cannot delete default incoming route"),
        "{e}"
    );
    let e = api.delete("77").await.unwrap_err();
    assert_eq!(
        (e.kind(), e.status()),
        (ErrorKind::NotFound, Some(422)),
        "{e}"
    );

    // A routed extension cannot be deleted: employee 230 is the direct line's destination.
    let e = c.employees().delete("30").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Conflict, "{e}");
    assert!(
        e.to_string().contains("Direct line Ksenia Nikolaeva"),
        "{e}"
    );
    api.delete(DIRECT_LINE).await.unwrap();
    let e = api.get(DIRECT_LINE).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    c.employees().delete("30").await.unwrap();
}

#[tokio::test]
async fn change_priority_and_unique_dids() {
    let sim = sim().await;
    let c = admin(&sim);
    let api = c.incoming_routes();

    let change = api
        .change_priority(priorities(&[
            (BACKUP_TRUNK, 1),
            (MAIN_NUMBER, 2),
            (DIRECT_LINE, 3),
            ("1", 0),
        ]))
        .await
        .unwrap();
    assert_eq!(change.updated, 3, "the default route is skipped");
    assert_eq!(change.message, "Successfully updated 3 route priorities");
    let order = api
        .list(IncomingRouteQuery::default())
        .collect_all()
        .await
        .unwrap();
    assert_eq!(ids(&order), [BACKUP_TRUNK, MAIN_NUMBER, DIRECT_LINE]);

    // All or nothing.
    let e = api
        .change_priority(priorities(&[(MAIN_NUMBER, 9), ("77", 1)]))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Validation, "{e}");
    assert_eq!(e.messages(), ["Route ID 77 not found"]);
    assert_eq!(api.get(MAIN_NUMBER).await.unwrap().priority, Some(2));
    let e = api.change_priority(priorities(&[])).await.unwrap_err();
    assert_eq!(e.messages(), ["No priority data provided"]);

    let dids = api
        .get_unique_dids(UniqueDidsQuery {
            providerid: Some(MAIN_TRUNK.into()),
        })
        .await
        .unwrap();
    let values: Vec<&str> = dids.iter().map(|d| d.value.as_str()).collect();
    assert_eq!(values, ["74951234567", "74951234568"]);
    assert_eq!(dids[0].name, "74951234567");
    assert!(
        api.get_unique_dids(UniqueDidsQuery::default())
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn permissions() {
    let sim = sim().await;
    let read = Permissions::none().grant(Resource::IncomingRoutes, Access::Read);
    let (key, _) = create_key(&sim, Some(read.clone()), NetworkFilter::Any).await;
    let c = builder(&sim, key.expose_secret().to_owned())
        .permissions(read.with_network(NetworkFilter::Any))
        .build()
        .unwrap();
    let api = c.incoming_routes();
    // Read: the list, records, the defaults, the default route, the DIDs.
    assert_eq!(
        api.list(IncomingRouteQuery::default())
            .collect_all()
            .await
            .unwrap()
            .len(),
        3
    );
    api.get(MAIN_NUMBER).await.unwrap();
    api.get_default().await.unwrap();
    api.get_default_route().await.unwrap();
    api.get_unique_dids(UniqueDidsQuery::default())
        .await
        .unwrap();
    // `copy` and `changePriority` are POSTs: write, refused before sending.
    for r in [
        api.copy(MAIN_NUMBER).await.map(|_| ()),
        api.create(IncomingRouteInput::default()).await.map(|_| ()),
        api.update(MAIN_NUMBER, IncomingRouteInput::default())
            .await
            .map(|_| ()),
        api.patch(MAIN_NUMBER, IncomingRouteInput::default())
            .await
            .map(|_| ()),
        api.delete(MAIN_NUMBER).await,
        api.change_priority(priorities(&[(MAIN_NUMBER, 1)]))
            .await
            .map(|_| ()),
    ] {
        let e = r.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::PermissionDenied, "{e}");
        assert_eq!(e.status(), None, "refused locally: {e}");
    }

    // Not told its permissions: the server refuses the write.
    let blind = builder(&sim, key.expose_secret().to_owned())
        .build()
        .unwrap();
    let e = blind.incoming_routes().copy(MAIN_NUMBER).await.unwrap_err();
    assert!(
        matches!(
            e.kind(),
            ErrorKind::PermissionDenied | ErrorKind::Unauthorized
        ),
        "{e}"
    );
}
