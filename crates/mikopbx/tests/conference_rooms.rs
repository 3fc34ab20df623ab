//! `conference-rooms`, every operation in depth, against the simulator over real TLS. The shapes
//! and rules are the server's (`src/PBXCoreREST/Lib/ConferenceRooms/` in mikopbx/Core): ids are
//! the rooms' `CONFERENCE-…` uniqids, `name` and (for a new room) `extension` are required, the
//! number is unique across the PBX, `description` is echoed but never stored, and a room whose
//! number is a routing target cannot be deleted.

mod common;

use common::*;
use mikopbx::{
    Access, CallQueueInput, ConferenceRoomInput, ConferenceRoomQuery, ErrorKind, NetworkFilter,
    Permissions, Resource, UnauthorizedCause,
};

/// The room the simulator seeds (its id ends in a digit).
const SEEDED: &str = "CONFERENCE-7C3D9E10";

fn room(name: &str, extension: &str) -> ConferenceRoomInput {
    ConferenceRoomInput {
        name: Some(name.into()),
        extension: Some(extension.into()),
        ..Default::default()
    }
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
async fn list_get_and_get_default() {
    let sim = sim().await;
    let c = admin(&sim);
    let api = c.conference_rooms();
    api.create(room("Board", "2301")).await.unwrap();
    api.create(room("All hands", "2302")).await.unwrap();

    // Pages of one: every room, in the server's default order (name ASC).
    let all = api
        .list(ConferenceRoomQuery {
            page_size: Some(1),
            ..Default::default()
        })
        .collect_all()
        .await
        .unwrap();
    assert_eq!(
        all.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(),
        ["All hands", "Board", "Weekly meeting"]
    );
    let weekly = all.iter().find(|r| r.id == SEEDED).expect("seeded room");
    assert_eq!(weekly.extension, "2100");
    assert_eq!(weekly.pin_code, "");
    assert_eq!(
        weekly.represent,
        "<i class=\"phone volume icon\"></i> Conference: Weekly meeting <2100>"
    );
    assert_eq!(weekly.description, None);

    // Ordering, search (name only, case-insensitive) and the item cap.
    let by_number = api
        .list(ConferenceRoomQuery {
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
            .map(|r| r.extension.as_str())
            .collect::<Vec<_>>(),
        ["2302", "2301", "2100"]
    );
    let found = api
        .list(ConferenceRoomQuery {
            search: Some("WEEKLY".into()),
            ..Default::default()
        })
        .collect_all()
        .await
        .unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].id, SEEDED);
    let none = api
        .list(ConferenceRoomQuery {
            search: Some("2100".into()),
            ..Default::default()
        })
        .collect_all()
        .await
        .unwrap();
    assert!(none.is_empty(), "the number is not searched: {none:?}");
    let capped = api
        .list(ConferenceRoomQuery {
            page_size: Some(2),
            max_items: Some(2),
            ..Default::default()
        })
        .collect_all()
        .await
        .unwrap();
    assert_eq!(capped.len(), 2);

    // A record: no `represent`; `isNew` is kept in `extra`.
    let record = api.get(SEEDED).await.unwrap();
    assert_eq!(record.id, SEEDED);
    assert_eq!(record.name, "Weekly meeting");
    assert_eq!(record.extension, "2100");
    assert_eq!(record.represent, "");
    assert_eq!(record.extra.get("isNew").map(String::as_str), Some("0"));

    // Defaults: the next free application number and a fresh id, nothing saved.
    let defaults = api.get_default().await.unwrap();
    assert!(defaults.id.starts_with("CONFERENCE-"), "{}", defaults.id);
    assert_eq!(defaults.extension, "2200100");
    assert_eq!(
        (defaults.name.as_str(), defaults.pin_code.as_str()),
        ("", "")
    );
    assert_eq!(defaults.represent, "New Conference Room");
    assert_eq!(defaults.extra.get("isNew").map(String::as_str), Some("1"));
    assert_eq!(defaults.extra.get("uniqid"), Some(&defaults.id));
    let again = api.get_default().await.unwrap();
    assert_ne!(again.id, defaults.id, "a fresh id each time");
    let e = api.get(&defaults.id).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "not saved: {e}");
    assert!(c.extensions().available("2200100").await.unwrap());
}

#[tokio::test]
async fn create_update_patch_delete() {
    let sim = sim().await;
    let c = admin(&sim);
    let api = c.conference_rooms();
    let created = api
        .create(ConferenceRoomInput {
            pin_code: Some("4321".into()),
            description: Some("Monday board".into()),
            ..room("Board", "2310")
        })
        .await
        .unwrap();
    assert!(created.id.starts_with("CONFERENCE-"), "{}", created.id);
    assert_eq!(created.name, "Board");
    assert_eq!(created.extension, "2310");
    assert_eq!(created.pin_code, "4321");
    // Echoed by the write, but the PBX has no column for it.
    assert_eq!(created.description.as_deref(), Some("Monday board"));
    let id = created.id.clone();
    let stored = api.get(&id).await.unwrap();
    assert_eq!(stored.description, None);
    assert_eq!(stored.pin_code, "4321");
    // The room's number is now taken.
    assert!(!c.extensions().available("2310").await.unwrap());

    // PUT: the name is required; extension and PIN left out keep their values.
    let updated = api
        .update(
            &id,
            ConferenceRoomInput {
                name: Some("Board room".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(updated.name, "Board room");
    assert_eq!(updated.extension, "2310");
    assert_eq!(updated.pin_code, "4321");
    // A new number moves the room's extension.
    let moved = api.update(&id, room("Board room", "2311")).await.unwrap();
    assert_eq!(moved.extension, "2311");
    assert!(c.extensions().available("2310").await.unwrap());
    assert!(!c.extensions().available("2311").await.unwrap());

    // PATCH: only what is given; an empty PIN removes it; `description` is dropped.
    let patched = api
        .patch(
            &id,
            ConferenceRoomInput {
                pin_code: Some(String::new()),
                description: Some("dropped".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(patched.pin_code, "");
    assert_eq!(
        patched.name, "Board room",
        "a patch keeps what it does not name"
    );
    assert_eq!(patched.extension, "2311");
    assert_eq!(patched.description, None);
    let renamed = api
        .patch(
            &id,
            ConferenceRoomInput {
                name: Some("Boardroom".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(renamed.name, "Boardroom");
    let mut read_back = api.get(&id).await.unwrap();
    assert_eq!(read_back.extra.remove("isNew").as_deref(), Some("0"));
    assert_eq!(read_back, renamed);

    api.delete(&id).await.unwrap();
    let e = api.get(&id).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
    let e = api.delete(&id).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
    assert!(
        e.messages()
            .iter()
            .any(|m| m == &format!("Conference room not found (ID: {id})")),
        "{e}"
    );
    // The number is free again.
    assert!(c.extensions().available("2311").await.unwrap());
}

#[tokio::test]
async fn validation_conflicts_and_not_found() {
    let sim = sim().await;
    let c = admin(&sim);
    let api = c.conference_rooms();
    // Nothing given: both required fields, each with its message (the server keys them by
    // field: `{"name": …, "extension": …}`).
    let e = api
        .create(ConferenceRoomInput::default())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Validation, "{e}");
    assert_eq!(e.status(), Some(422), "{e}");
    assert_messages(
        &e,
        &[
            "Conference room name is required",
            "Extension number is required",
        ],
    );
    // A number that is not 2–8 digits once the server kept only its digits.
    let e = api.create(room("Short", "1a")).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Validation, "{e}");
    assert_eq!(e.messages(), ["Extension must be 2-8 digits"]);
    let e = api.create(room("Letters", "abc")).await.unwrap_err();
    assert_eq!(e.messages(), ["Extension number is required"]);
    // What remains a valid number is saved as its digits.
    let trimmed = api.create(room("Trimmed", " 23-20 ")).await.unwrap();
    assert_eq!(trimmed.extension, "2320");
    // Long values are cut, not refused.
    let long = api
        .create(ConferenceRoomInput {
            pin_code: Some("9".repeat(30)),
            ..room(&"n".repeat(120), "2321")
        })
        .await
        .unwrap();
    assert_eq!(long.name, "n".repeat(100));
    assert_eq!(long.pin_code, "9".repeat(20));
    // An existing room needs a name on PUT too.
    let e = api
        .update(
            &trimmed.id,
            ConferenceRoomInput {
                extension: Some("2322".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Validation, "{e}");
    assert_eq!(e.messages(), ["Conference room name is required"]);

    // Numbers used anywhere in the PBX: an employee, a queue, another room.
    for taken in ["201", "2001", "2100"] {
        let e = api.create(room("Clash", taken)).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Conflict, "{taken}: {e}");
        assert_eq!(e.status(), Some(409));
        assert_eq!(e.messages(), ["Extension number already exists"]);
    }
    let e = api
        .patch(
            &trimmed.id,
            ConferenceRoomInput {
                extension: Some("2100".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Conflict, "{e}");
    // Keeping one's own number is no conflict.
    api.update(&trimmed.id, room("Trimmed", "2320"))
        .await
        .unwrap();

    // The server strips script from a name (`TextFieldProcessor::sanitizeForStorage`).
    let scripted = api
        .create(room("<script>alert(1)</script>Room", "2323"))
        .await
        .unwrap();
    assert_eq!(scripted.name, "Room");

    // Unknown ids.
    let missing = "CONFERENCE-00000000";
    for r in [
        api.get(missing).await.map(|_| ()),
        api.update(missing, room("x", "2330")).await.map(|_| ()),
        api.patch(missing, room("x", "2330")).await.map(|_| ()),
        api.delete(missing).await,
    ] {
        let e = r.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
        assert_eq!(e.status(), Some(404), "{e}");
    }
    // None of them created anything.
    assert!(c.extensions().available("2330").await.unwrap());
}

#[tokio::test]
async fn a_routed_room_cannot_be_deleted() {
    let sim = sim().await;
    let c = admin(&sim);
    let api = c.conference_rooms();
    let target = api.create(room("Overflow", "2340")).await.unwrap();
    // A queue sends callers who waited too long to the room.
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
    assert_eq!(e.status(), Some(409), "{e}");
    let text = e.messages().join(" ");
    assert!(text.contains("Logical integrity violation"), "{text}");
    assert!(text.contains("Hotline"), "names the queue: {text}");
    // Still there, number and all.
    assert_eq!(api.get(&target.id).await.unwrap().extension, "2340");
    assert!(!c.extensions().available("2340").await.unwrap());

    // Once nothing routes to it, it goes.
    c.call_queues().delete(&queue.id).await.unwrap();
    api.delete(&target.id).await.unwrap();
    assert!(c.extensions().available("2340").await.unwrap());
}

#[tokio::test]
async fn permissions_and_the_id_quirk() {
    let sim = sim().await;
    let admin = admin(&sim);
    // Room ids are random hex: create rooms until one ends in A–F (each does with 6/16).
    let mut hex_tail = None;
    for n in 0..60 {
        let r = admin
            .conference_rooms()
            .create(room(&format!("Room {n}"), &format!("{}", 2400 + n)))
            .await
            .unwrap();
        if r.id.ends_with(|ch: char| ('A'..='F').contains(&ch)) {
            hex_tail = Some(r.id);
            break;
        }
    }
    let hex_tail = hex_tail.expect("a room id ending in A–F");

    let read = Permissions::none().grant(Resource::ConferenceRooms, Access::Read);
    let (key, _) = create_key(&sim, Some(read.clone()), NetworkFilter::Any).await;
    let c = builder(&sim, key.expose_secret().to_owned())
        .permissions(read.with_network(NetworkFilter::Any))
        .build()
        .unwrap();
    let api = c.conference_rooms();
    // Read is enough for the list, the defaults and a record whose id ends in a digit.
    assert!(
        !api.list(ConferenceRoomQuery::default())
            .collect_all()
            .await
            .unwrap()
            .is_empty()
    );
    api.get_default().await.unwrap();
    assert_eq!(api.get(SEEDED).await.unwrap().name, "Weekly meeting");
    let e = api.get("CONFERENCE-00000000").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
    // Writes are refused before sending.
    for r in [
        api.create(room("Refused", "2390")).await.map(|_| ()),
        api.update(SEEDED, room("Refused", "2390"))
            .await
            .map(|_| ()),
        api.patch(SEEDED, room("Refused", "2390")).await.map(|_| ()),
        api.delete(SEEDED).await,
    ] {
        let e = r.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::PermissionDenied, "{e}");
        assert_eq!(e.status(), None, "refused locally: {e}");
    }
    // An id ending in A–F trips the server's id check for every restricted key: explained.
    let e = api.get(&hex_tail).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unauthorized, "{e}");
    assert_eq!(e.diagnosis().unwrap().cause, UnauthorizedCause::IdQuirk);
    // The admin key reads it.
    assert_eq!(
        admin.conference_rooms().get(&hex_tail).await.unwrap().id,
        hex_tail
    );

    // Not told its permissions: the server refuses the write, and nothing was created.
    let blind = builder(&sim, key.expose_secret().to_owned())
        .build()
        .unwrap();
    let e = blind
        .conference_rooms()
        .create(room("Refused", "2390"))
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
    let e = c.conference_rooms().get(SEEDED).await.unwrap_err();
    assert!(
        matches!(
            e.kind(),
            ErrorKind::PermissionDenied | ErrorKind::Unauthorized
        ),
        "{e}"
    );
}
