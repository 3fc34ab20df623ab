//! `ivr-menu`, every operation in depth, against the simulator over real TLS. The shapes and
//! rules are the server's (`src/PBXCoreREST/Lib/IvrMenu/` in mikopbx/Core): ids are the menus'
//! `IVR-…` uniqids, `name` and (for a new menu) `extension` are required, the number is unique
//! across the PBX, create and update replace the actions with the ones sent, patch writes what
//! it is given and answers only the id, a missing menu reads as 422, and a menu whose number is
//! a routing target cannot be deleted.

mod common;

use common::*;
use mikopbx::{
    Access, CallQueueInput, ErrorKind, IvrMenuActionInput, IvrMenuInput, IvrMenuPatch,
    IvrMenuQuery, NetworkFilter, Permissions, Resource, UnauthorizedCause,
};

/// The seeded main menu (its id ends in a digit).
const MAIN: &str = "IVR-5E0F1A22";
/// The seeded support line (its id ends in a hex letter: the A–F quirk).
const SUPPORT_LINE: &str = "IVR-3C9D2B7E";

fn actions(list: &[(&str, &str)]) -> Vec<IvrMenuActionInput> {
    list.iter()
        .map(|(d, e)| IvrMenuActionInput {
            digits: (*d).into(),
            extension: (*e).into(),
        })
        .collect()
}

fn menu(name: &str, extension: &str, choices: &[(&str, &str)]) -> IvrMenuInput {
    IvrMenuInput {
        name: Some(name.into()),
        extension: Some(extension.into()),
        actions: actions(choices),
        ..Default::default()
    }
}

/// `(digits, extension)` of each action, as returned.
fn choices(m: &mikopbx::IvrMenu) -> Vec<(&str, &str)> {
    m.actions
        .iter()
        .map(|a| (a.digits.as_str(), a.extension.as_str()))
        .collect()
}

fn assert_messages(e: &mikopbx::Error, expected: &[&str]) {
    for m in expected {
        assert!(
            e.messages().iter().any(|x| x == m),
            "{m:?} not in {:?}",
            e.messages()
        );
    }
}

#[tokio::test]
async fn list_get_default_and_copy() {
    let sim = sim().await;
    let c = admin(&sim);
    let api = c.ivr_menu();
    api.create(menu("After hours", "2301", &[])).await.unwrap();

    // Pages of one: every menu, in the server's default order (name ASC).
    let all = api
        .list(IvrMenuQuery {
            page_size: Some(1),
            ..Default::default()
        })
        .collect_all()
        .await
        .unwrap();
    assert_eq!(
        all.iter().map(|m| m.name.as_str()).collect::<Vec<_>>(),
        ["After hours", "Main menu", "Support line"]
    );
    let main = all.iter().find(|m| m.id == MAIN).expect("seeded menu");
    assert_eq!(main.extension, "2000");
    assert_eq!((main.timeout, main.number_of_repeat), (Some(7), Some(3)));
    assert_eq!(main.timeout_extension.as_deref(), Some("201"));
    assert_eq!(
        main.represent,
        "<i class=\"sitemap icon\"></i> IVR menu: Main menu <2000>"
    );
    // A list row has no flag, no greeting and actions without their numbers.
    assert_eq!(main.allow_enter_any_internal_extension, None);
    assert_eq!(main.audio_message_id, None);
    assert_eq!(main.actions.len(), 2);
    assert_eq!(main.actions[0].digits, "1");
    assert_eq!(main.actions[0].extension, "");
    assert_eq!(
        main.actions[0].represent,
        "<i class=\"users icon\"></i> Queue: Sales <2001>"
    );
    assert!(main.extra.contains_key("search_index"), "{:?}", main.extra);

    // Ordering, search (name and description) and the item cap.
    let by_number = api
        .list(IvrMenuQuery {
            order_by: Some("extension".into()),
            order_direction: Some("DESC".into()),
            ..Default::default()
        })
        .collect_all()
        .await
        .unwrap();
    assert_eq!(
        by_number
            .iter()
            .map(|m| m.extension.as_str())
            .collect::<Vec<_>>(),
        ["2301", "2010", "2000"]
    );
    let found = api
        .list(IvrMenuQuery {
            search: Some("HOTLINE".into()),
            ..Default::default()
        })
        .collect_all()
        .await
        .unwrap();
    assert_eq!(
        found.iter().map(|m| m.id.as_str()).collect::<Vec<_>>(),
        [SUPPORT_LINE]
    );
    let none = api
        .list(IvrMenuQuery {
            search: Some("2000".into()),
            ..Default::default()
        })
        .collect_all()
        .await
        .unwrap();
    assert!(none.is_empty(), "the number is not searched: {none:?}");
    let capped = api
        .list(IvrMenuQuery {
            page_size: Some(2),
            max_items: Some(2),
            ..Default::default()
        })
        .collect_all()
        .await
        .unwrap();
    assert_eq!(capped.len(), 2);

    // A record: the flag, the greeting, actions with ids and numbers; `isNew` in `extra`.
    let record = api.get(MAIN).await.unwrap();
    assert_eq!(record.name, "Main menu");
    assert_eq!(record.description, "Greeting, then sales or support");
    assert_eq!(record.allow_enter_any_internal_extension, Some(true));
    assert_eq!(record.audio_message_id.as_deref(), Some("1"));
    assert_eq!(record.represent, "");
    assert_eq!(choices(&record), [("1", "2001"), ("2", "2002")]);
    assert_eq!(record.actions[1].id.as_deref(), Some("2"));
    assert_eq!(
        record.actions[1].represent,
        "<i class=\"users icon\"></i> Queue: Support <2002>"
    );
    assert_eq!(record.extra.get("isNew").map(String::as_str), Some("0"));
    // `*` counts as 0 in the server's ordering.
    let support = api.get(SUPPORT_LINE).await.unwrap();
    assert_eq!(
        choices(&support),
        [("*", "2000"), ("1", "2002"), ("2", "210")]
    );

    // Defaults: the next free application number and a fresh id, nothing saved. The server
    // sends them as strings; the model reads them as numbers and a flag.
    let defaults = api.get_default().await.unwrap();
    assert!(defaults.id.starts_with("IVR-"), "{}", defaults.id);
    assert_eq!(defaults.extension, "2200100");
    assert_eq!(
        (defaults.timeout, defaults.number_of_repeat),
        (Some(7), Some(3))
    );
    assert_eq!(defaults.allow_enter_any_internal_extension, Some(false));
    assert_eq!(defaults.represent, "New IVR Menu");
    assert!(defaults.actions.is_empty());
    assert_eq!(defaults.extra.get("isNew").map(String::as_str), Some("1"));
    let e = api.get(&defaults.id).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "not saved: {e}");
    assert_eq!(
        e.status(),
        Some(422),
        "the server sets no 404 on a read: {e}"
    );

    // A copy: new id and number, the settings and actions, not saved.
    let copy = api.copy(SUPPORT_LINE).await.unwrap();
    assert!(copy.id.starts_with("IVR-") && copy.id != SUPPORT_LINE);
    assert_eq!(copy.name, "copy of Support line");
    assert_eq!(copy.extension, "2200100");
    assert_eq!(copy.timeout, Some(10));
    assert_eq!(copy.timeout_extension.as_deref(), Some("2002"));
    assert_eq!(choices(&copy), choices(&support));
    assert!(copy.actions.iter().all(|a| a.id.is_none()), "{copy:?}");
    assert_eq!(
        api.get(&copy.id).await.unwrap_err().kind(),
        ErrorKind::NotFound
    );
    // Handed to `create`, it becomes a menu.
    let created = api
        .create(IvrMenuInput {
            name: Some(copy.name.clone()),
            extension: Some(copy.extension.clone()),
            timeout: copy.timeout.map(|t| t as u32),
            timeout_extension: copy.timeout_extension.clone(),
            actions: copy
                .actions
                .iter()
                .map(|a| IvrMenuActionInput {
                    digits: a.digits.clone(),
                    extension: a.extension.clone(),
                })
                .collect(),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(choices(&created), choices(&support));
}

#[tokio::test]
async fn create_update_patch_delete() {
    let sim = sim().await;
    let c = admin(&sim);
    let api = c.ivr_menu();
    let created = api
        .create(IvrMenuInput {
            description: Some("Night service".into()),
            timeout_extension: Some("voicemail".into()),
            allow_enter_any_internal_extension: Some(true),
            ..menu(
                "Night",
                "2310",
                &[("1", "201"), ("9", "hangup"), ("#", "2001")],
            )
        })
        .await
        .unwrap();
    assert!(created.id.starts_with("IVR-"), "{}", created.id);
    assert_eq!(created.name, "Night");
    assert_eq!(created.extension, "2310");
    assert_eq!(created.description, "Night service");
    assert_eq!(
        (created.timeout, created.number_of_repeat),
        (Some(7), Some(3)),
        "the server's defaults"
    );
    assert_eq!(created.allow_enter_any_internal_extension, Some(true));
    assert_eq!(created.timeout_extension.as_deref(), Some("voicemail"));
    assert_eq!(
        choices(&created),
        [("#", "2001"), ("1", "201"), ("9", "hangup")]
    );
    let id = created.id.clone();
    let mut stored = api.get(&id).await.unwrap();
    assert_eq!(stored.extra.remove("isNew").as_deref(), Some("0"));
    assert_eq!(stored, created, "the answer is the stored record");
    // The menu's number is now taken.
    assert!(!c.extensions().available("2310").await.unwrap());

    // PUT: the name is required; settings left out keep their values; the actions become
    // exactly the ones sent (rows for digits sent again keep their ids).
    let one_id = created.actions[1].id.clone();
    let updated = api
        .update(
            &id,
            IvrMenuInput {
                name: Some("Night line".into()),
                actions: actions(&[("1", "202"), ("2", "203")]),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(updated.name, "Night line");
    assert_eq!(updated.extension, "2310");
    assert_eq!(updated.description, "Night service");
    assert_eq!(updated.allow_enter_any_internal_extension, Some(true));
    assert_eq!(choices(&updated), [("1", "202"), ("2", "203")]);
    assert_eq!(updated.actions[0].id, one_id);
    // No actions sent: none left.
    let emptied = api
        .update(
            &id,
            IvrMenuInput {
                name: Some("Night line".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(emptied.actions.is_empty(), "{emptied:?}");
    // A new number moves the menu's extension.
    let moved = api
        .update(&id, menu("Night line", "2311", &[]))
        .await
        .unwrap();
    assert_eq!(moved.extension, "2311");
    assert!(c.extensions().available("2310").await.unwrap());
    assert!(!c.extensions().available("2311").await.unwrap());

    // PATCH: only what is given, unchecked, answered with the id only.
    api.patch(
        &id,
        IvrMenuPatch {
            timeout: Some(15),
            number_of_repeat: Some(0),
            actions: Some(actions(&[("5", "205")])),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let patched = api.get(&id).await.unwrap();
    assert_eq!(
        (patched.timeout, patched.number_of_repeat),
        (Some(15), Some(0))
    );
    assert_eq!(
        patched.name, "Night line",
        "a patch keeps what it does not name"
    );
    assert_eq!(patched.extension, "2311");
    assert_eq!(choices(&patched), [("5", "205")]);
    api.patch(
        &id,
        IvrMenuPatch {
            description: Some(String::new()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let patched = api.get(&id).await.unwrap();
    assert_eq!(patched.description, "");
    assert_eq!(choices(&patched), [("5", "205")], "actions not given: kept");

    api.delete(&id).await.unwrap();
    let e = api.get(&id).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
    let e = api.delete(&id).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
    assert_eq!(e.status(), Some(404));
    // The server's untranslated message key.
    assert_messages(&e, &[&format!("api_IvrMenuNotFound (ID: {id})")]);
    // The number is free again.
    assert!(c.extensions().available("2311").await.unwrap());
}

#[tokio::test]
async fn validation_conflicts_and_not_found() {
    let sim = sim().await;
    let c = admin(&sim);
    let api = c.ivr_menu();
    // Nothing given: both required fields, each with its message (keyed by field).
    let e = api.create(IvrMenuInput::default()).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Validation, "{e}");
    assert_eq!(e.status(), Some(422), "{e}");
    assert_messages(
        &e,
        &["IVR menu name is required", "Extension number is required"],
    );
    // The number is checked as sent (not reduced to its digits first).
    let e = api.create(menu("Dashed", "23-20", &[])).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Validation, "{e}");
    assert_eq!(e.messages(), ["Extension must be 2-8 digits"]);
    // Ranges, checked after the defaults.
    let e = api
        .create(IvrMenuInput {
            timeout: Some(0),
            number_of_repeat: Some(11),
            ..menu("Ranges", "2320", &[])
        })
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Validation, "{e}");
    assert_eq!(
        e.messages(),
        [
            "Field 'timeout' must be at least 1 (got 0)",
            "Field 'number_of_repeat' must be at most 10 (got 11)"
        ]
    );
    // Sanitised, not refused: long names cut, script removed, bad choices dropped (digit `0`
    // always: PHP's `empty("0")`), digits and numbers reduced to what is allowed.
    let cleaned = api
        .create(menu(
            &format!("<script>x</script>{}", "n".repeat(300)),
            "2321",
            &[
                ("0", "201"),
                ("1x", " 2-02 "),
                ("2", ""),
                ("", "203"),
                ("3", "busy"),
            ],
        ))
        .await
        .unwrap();
    // Cut to 255 characters first, then the script (18 of them) removed.
    assert_eq!(cleaned.name, "n".repeat(255 - 18));
    assert_eq!(choices(&cleaned), [("1", "202"), ("3", "busy")]);
    // An existing menu needs a name on PUT too; a PUT does not check the number's pattern.
    let e = api
        .update(
            &cleaned.id,
            IvrMenuInput {
                extension: Some("2322".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Validation, "{e}");
    assert_eq!(e.messages(), ["IVR menu name is required"]);

    // Numbers used anywhere in the PBX: an employee, a queue, a room, another menu.
    for taken in ["201", "2001", "2100", "2000"] {
        let e = api.create(menu("Clash", taken, &[])).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Conflict, "{taken}: {e}");
        assert_eq!(e.status(), Some(409));
        assert_eq!(e.messages(), ["Extension number already exists"]);
    }
    let e = api
        .update(&cleaned.id, menu("Clash", "2010", &[]))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Conflict, "{e}");
    // Keeping one's own number is no conflict.
    api.update(&cleaned.id, menu("Kept", "2321", &[]))
        .await
        .unwrap();

    // Unknown ids: 404 for writes, 422 for the reads (no httpCode there), NotFound all.
    let missing = "IVR-0000AAAA";
    for (r, status) in [
        (api.get(missing).await.map(|_| ()), 422),
        (api.copy(missing).await.map(|_| ()), 422),
        (
            api.update(missing, menu("x", "2330", &[]))
                .await
                .map(|_| ()),
            404,
        ),
        (api.patch(missing, IvrMenuPatch::default()).await, 404),
        (api.delete(missing).await, 404),
    ] {
        let e = r.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
        assert_eq!(e.status(), Some(status), "{e}");
    }
    // None of them created anything.
    assert!(c.extensions().available("2330").await.unwrap());
}

#[tokio::test]
async fn a_routed_menu_cannot_be_deleted() {
    let sim = sim().await;
    let c = admin(&sim);
    let api = c.ivr_menu();
    // The main menu is the Support queue's timeout target and the support line's `*`.
    let e = api.delete(MAIN).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Conflict, "{e}");
    assert_eq!(e.status(), Some(409), "{e}");
    let text = e.messages().join(" ");
    assert!(text.contains("Logical integrity violation"), "{text}");
    assert!(text.contains("Queue: Support"), "names the queue: {text}");
    assert!(
        text.contains("IVR menu: Support line"),
        "names the menu: {text}"
    );
    assert_eq!(api.get(MAIN).await.unwrap().extension, "2000");

    // A new menu a queue overflows to; its own choices do not hold it back.
    let target = api
        .create(menu("Overflow", "2340", &[("1", "2340")]))
        .await
        .unwrap();
    let queue = c
        .call_queues()
        .create(CallQueueInput {
            name: Some("Hotline".into()),
            extension: Some("2341".into()),
            timeout_to_redirect_to_extension: Some(60),
            timeout_extension: Some("2340".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    let e = api.delete(&target.id).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Conflict, "{e}");
    assert!(e.messages().join(" ").contains("Hotline"), "{e}");
    assert!(!c.extensions().available("2340").await.unwrap());
    // Once nothing else routes to it, it goes.
    c.call_queues().delete(&queue.id).await.unwrap();
    api.delete(&target.id).await.unwrap();
    assert!(c.extensions().available("2340").await.unwrap());
}

#[tokio::test]
async fn permissions_and_the_id_quirk() {
    let sim = sim().await;
    let admin = admin(&sim);
    let read = Permissions::none().grant(Resource::IvrMenu, Access::Read);
    let (key, _) = create_key(&sim, Some(read.clone()), NetworkFilter::Any).await;
    let c = builder(&sim, key.expose_secret().to_owned())
        .permissions(read.with_network(NetworkFilter::Any))
        .build()
        .unwrap();
    let api = c.ivr_menu();
    // Read is enough for the list, the defaults, a record whose id ends in a digit and its
    // copy (a GET).
    assert_eq!(
        api.list(IvrMenuQuery::default())
            .collect_all()
            .await
            .unwrap()
            .len(),
        2
    );
    api.get_default().await.unwrap();
    assert_eq!(api.get(MAIN).await.unwrap().name, "Main menu");
    assert_eq!(api.copy(MAIN).await.unwrap().name, "copy of Main menu");
    // Writes are refused before sending.
    for r in [
        api.create(menu("Refused", "2390", &[])).await.map(|_| ()),
        api.update(MAIN, menu("Refused", "2390", &[]))
            .await
            .map(|_| ()),
        api.patch(MAIN, IvrMenuPatch::default()).await,
        api.delete(MAIN).await,
    ] {
        let e = r.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::PermissionDenied, "{e}");
        assert_eq!(e.status(), None, "refused locally: {e}");
    }
    // The support line's id ends in `E`: the server's id check refuses every restricted key,
    // for the record and its copy alike; explained.
    for e in [
        api.get(SUPPORT_LINE).await.unwrap_err(),
        api.copy(SUPPORT_LINE).await.unwrap_err(),
    ] {
        assert_eq!(e.kind(), ErrorKind::Unauthorized, "{e}");
        assert_eq!(e.diagnosis().unwrap().cause, UnauthorizedCause::IdQuirk);
    }
    // The admin key reads it.
    assert_eq!(
        admin.ivr_menu().get(SUPPORT_LINE).await.unwrap().id,
        SUPPORT_LINE
    );

    // Not told its permissions: the server refuses the write, and nothing was created.
    let blind = builder(&sim, key.expose_secret().to_owned())
        .build()
        .unwrap();
    let e = blind
        .ivr_menu()
        .create(menu("Refused", "2390", &[]))
        .await
        .unwrap_err();
    assert!(
        matches!(
            e.kind(),
            ErrorKind::PermissionDenied | ErrorKind::Unauthorized
        ),
        "{e}"
    );
    assert!(admin.extensions().available("2390").await.unwrap());

    // A key for another resource cannot even read.
    let other = Permissions::none().grant(Resource::CallQueues, Access::Write);
    let (key, _) = create_key(&sim, Some(other), NetworkFilter::Any).await;
    let c = builder(&sim, key.expose_secret().to_owned())
        .build()
        .unwrap();
    let e = c.ivr_menu().get(MAIN).await.unwrap_err();
    assert!(
        matches!(
            e.kind(),
            ErrorKind::PermissionDenied | ErrorKind::Unauthorized
        ),
        "{e}"
    );
}
