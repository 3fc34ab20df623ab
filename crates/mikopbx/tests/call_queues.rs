//! `call-queues`, every operation in depth, against the simulator over real TLS. The shapes and
//! rules are the server's (`src/PBXCoreREST/Lib/CallQueues/` in mikopbx/Core).

mod common;

use common::*;
use mikopbx::{
    Access, CallQueueInput, CallQueueMemberInput, CallQueueQuery, ErrorKind, NetworkFilter,
    Permissions, Resource, UnauthorizedCause,
};

fn queue(name: &str, extension: &str, members: &[&str]) -> CallQueueInput {
    CallQueueInput {
        name: Some(name.into()),
        extension: Some(extension.into()),
        strategy: Some("leastrecent".into()),
        members: Some(
            members
                .iter()
                .enumerate()
                .map(|(i, m)| CallQueueMemberInput {
                    extension: (*m).into(),
                    priority: Some(i as u32 + 1),
                })
                .collect(),
        ),
        ..Default::default()
    }
}

#[tokio::test]
async fn list_get_default_and_copy() {
    let sim = sim().await;
    let c = admin(&sim);
    let all = c
        .call_queues()
        .list(CallQueueQuery {
            page_size: Some(1),
            ..Default::default()
        })
        .collect_all()
        .await
        .unwrap();
    assert!(all.len() >= 2, "{all:?}");
    let sales = all
        .iter()
        .find(|q| q.name == "Sales")
        .expect("seeded Sales");
    assert!(sales.id.starts_with("QUEUE-"));
    assert!(!sales.members.is_empty());
    assert!(sales.represent.contains("Sales"), "{}", sales.represent);

    let found = c
        .call_queues()
        .list(CallQueueQuery {
            search: Some("support".into()),
            ..Default::default()
        })
        .collect_all()
        .await
        .unwrap();
    assert!(
        found
            .iter()
            .all(|q| q.name.to_lowercase().contains("support")
                || q.description.to_lowercase().contains("support"))
    );
    assert!(!found.is_empty());

    let record = c.call_queues().get(&sales.id).await.unwrap();
    assert_eq!(record.extension, sales.extension);
    assert!(record.seconds_to_ring_each_member.is_some(), "{record:?}");
    assert!(record.members.iter().all(|m| m.priority.is_some()));

    let defaults = c.call_queues().get_default().await.unwrap();
    assert_eq!(defaults.strategy, "ringall");
    assert!(!defaults.extension.is_empty());

    let copy = c.call_queues().copy(&sales.id).await.unwrap();
    assert_ne!(copy.id, sales.id);
    assert_ne!(copy.extension, sales.extension);
    assert_eq!(copy.members.len(), record.members.len());
}

#[tokio::test]
async fn create_update_patch_delete() {
    let sim = sim().await;
    let c = admin(&sim);
    let created = c
        .call_queues()
        .create(queue("Billing", "2301", &["201", "202"]))
        .await
        .unwrap();
    assert!(created.id.starts_with("QUEUE-"), "{}", created.id);
    assert_eq!(created.strategy, "leastrecent");
    assert_eq!(
        created
            .members
            .iter()
            .map(|m| m.extension.as_str())
            .collect::<Vec<_>>(),
        ["201", "202"]
    );
    // The queue's number is now taken.
    assert!(!c.extensions().available("2301").await.unwrap());

    let replaced = c
        .call_queues()
        .update(&created.id, queue("Billing 2", "2301", &["203"]))
        .await
        .unwrap();
    assert_eq!(replaced.name, "Billing 2");
    assert_eq!(replaced.members.len(), 1);

    let patched = c
        .call_queues()
        .patch(
            &created.id,
            CallQueueInput {
                description: Some("invoices".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(patched.description, "invoices");
    assert_eq!(
        patched.name, "Billing 2",
        "a patch keeps what it does not name"
    );

    c.call_queues().delete(&created.id).await.unwrap();
    let gone = c.call_queues().get(&created.id).await.unwrap_err();
    assert_eq!(gone.kind(), ErrorKind::NotFound, "{gone}");
    assert!(c.extensions().available("2301").await.unwrap());
}

#[tokio::test]
async fn invalid_input_is_a_validation_error() {
    let sim = sim().await;
    let c = admin(&sim);
    // No name: the server refuses (422) with its messages.
    let e = c
        .call_queues()
        .create(CallQueueInput {
            extension: Some("2302".into()),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Validation, "{e}");
    assert!(e.status().is_some());
    // A number another extension already uses.
    let e = c
        .call_queues()
        .create(queue("Clash", "201", &[]))
        .await
        .unwrap_err();
    assert!(
        matches!(e.kind(), ErrorKind::Validation | ErrorKind::Conflict),
        "{e}"
    );
}

#[tokio::test]
async fn permissions_and_the_id_quirk() {
    let sim = sim().await;
    let read = Permissions::none().grant(Resource::CallQueues, Access::Read);
    let (key, _) = create_key(&sim, Some(read.clone()), NetworkFilter::Any).await;
    let c = builder(&sim, key.expose_secret().to_owned())
        .permissions(read.with_network(NetworkFilter::Any))
        .build()
        .unwrap();
    // Read is enough for the list and for a record whose id ends in a digit.
    c.call_queues()
        .list(CallQueueQuery::default())
        .collect_all()
        .await
        .unwrap();
    c.call_queues().get("QUEUE-1A2B3C41").await.unwrap();
    // Copy is a GET: read is enough.
    c.call_queues().copy("QUEUE-1A2B3C41").await.unwrap();
    // A write is refused before sending.
    let e = c
        .call_queues()
        .create(queue("Refused", "2303", &[]))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::PermissionDenied, "{e}");
    assert_eq!(e.status(), None, "refused locally: {e}");
    // An id ending in A–F trips the server's id check for every restricted key: explained.
    let e = c.call_queues().get("QUEUE-1A2B3C4D").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unauthorized, "{e}");
    assert_eq!(e.diagnosis().unwrap().cause, UnauthorizedCause::IdQuirk);
}
