//! `client.calls().watch()` against the simulator over TLS: calls placed through
//! `POST /_sim/calls` give every ringing, answered and ended event exactly once, with the CDR
//! row of the same linkedid; a failure injected mid-watch loses and repeats nothing; a new
//! watcher resumed from a checkpoint goes on where the first stopped. The simulated clock is
//! stepped with `POST /_sim/clock`, so no assertion depends on timing; timeouts only guard
//! against hangs.

mod common;

use std::collections::HashMap;
use std::time::Duration;

use common::create_key;
use mikopbx::{
    Access, CallEvent, CallEventType, CallWatcher, Client, NetworkFilter, Permissions, Resource,
    WatchOptions,
};
use mikopbx_sim::{RunningSimulator, Simulator};
use serde_json::{Value, json};

const HANG_GUARD: Duration = Duration::from_secs(60);

/// A control call over the simulator's loopback control API (the sim's own reqwest client is
/// not ours to build, so this speaks HTTP/1.1 over the SDK-independent TLS helper).
async fn control(sim: &RunningSimulator, path: &str, body: Value) -> Value {
    let (status, text) = common::post_control(sim, path, &body.to_string()).await;
    assert_eq!(status, 200, "{path}: {text}");
    serde_json::from_str(&text).expect("control answers JSON")
}

async fn place(sim: &RunningSimulator, body: Value) -> String {
    control(sim, "calls", body).await["linkedid"]
        .as_str()
        .expect("linkedid")
        .to_string()
}

async fn advance(sim: &RunningSimulator, ms: u64) {
    control(sim, "clock", json!({ "advance_ms": ms })).await;
}

/// Everything a test saw: events in order, and how many polls failed.
#[derive(Default)]
struct Log {
    events: Vec<CallEvent>,
    errors: usize,
}

impl Log {
    /// The event of `linkedid` with type `wanted`, already seen or read until it comes.
    /// (Events of different calls have no fixed order between them.)
    async fn until(&mut self, w: &CallWatcher, linkedid: &str, wanted: CallEventType) -> CallEvent {
        if let Some(e) = self
            .events
            .iter()
            .find(|e| e.linkedid == linkedid && e.event_type == wanted)
        {
            return e.clone();
        }
        let wait = async {
            loop {
                match w.next_event().await {
                    Ok(e) => {
                        self.events.push(e.clone());
                        if e.linkedid == linkedid && e.event_type == wanted {
                            return e;
                        }
                    }
                    Err(_) => self.errors += 1,
                }
            }
        };
        match tokio::time::timeout(HANG_GUARD, wait).await {
            Ok(e) => e,
            Err(_) => {
                let seen: Vec<String> = self
                    .events
                    .iter()
                    .map(|e| format!("{} {:?} {}", e.sequence, e.event_type, e.linkedid))
                    .collect();
                panic!(
                    "no {wanted:?} for {linkedid} (hang guard); seen {seen:?}, {} errors",
                    self.errors
                )
            }
        }
    }

    /// The event types of one call, in order.
    fn of(&self, linkedid: &str) -> Vec<CallEventType> {
        self.events
            .iter()
            .filter(|e| e.linkedid == linkedid)
            .map(|e| e.event_type)
            .collect()
    }
}

/// A simulator with a small CDR history (the watcher's look-ups stay cheap) and a client for it.
async fn start() -> (RunningSimulator, Client) {
    let sim = Simulator::builder()
        .cdr_records(2000)
        .start()
        .await
        .expect("sim");
    let client = watcher_client(&sim).await;
    (sim, client)
}

async fn watcher_client(sim: &RunningSimulator) -> Client {
    // Exactly what the watcher needs: read on pbx-status and cdr.
    let perms = Permissions::none()
        .grant(Resource::PbxStatus, Access::Read)
        .grant(Resource::Cdr, Access::Read);
    let (key, _) = create_key(sim, Some(perms), NetworkFilter::Any).await;
    common::builder(sim, key)
        .max_retries(0)
        .build()
        .expect("client")
}

fn options(resume_from: Option<String>) -> WatchOptions {
    WatchOptions {
        // Extensions the seeded background traffic (201–250) never uses.
        extensions: vec!["260".into(), "261".into()],
        poll_interval_ms: Some(100),
        cdr_wait_ms: Some(30_000),
        cdr_retry_ms: Some(100),
        resume_from,
        ..Default::default()
    }
}

#[tokio::test]
async fn every_event_exactly_once_across_a_failure_and_a_restart() {
    let (sim, client) = start().await;
    let mut log = Log::default();
    let w = client.calls().watch(options(None)).expect("watch");

    // Call A rings for 10 simulated minutes: no poll can miss it.
    let a = place(
        &sim,
        json!({"from": "79161234567", "to": "260", "answer_after_ms": 600_000, "talk_ms": 2500}),
    )
    .await;
    let ringing = log.until(&w, &a, CallEventType::Ringing).await;
    assert_eq!(ringing.extension, "260");
    assert_eq!(ringing.caller, "79161234567");
    assert_eq!(ringing.called, "260");
    assert_eq!(ringing.did, "74951234567");
    assert!(ringing.started_at_ms.is_some(), "{ringing:?}");
    assert!(ringing.answered_at_ms.is_none());

    // A failure in the middle: the next polls get 500s (the client does not retry here).
    sim.faults().status_burst(500, 3);
    advance(&sim, 600_000).await;
    let answered = log.until(&w, &a, CallEventType::Answered).await;
    assert!(log.errors >= 1, "the injected failures reached the watcher");
    assert!(answered.answered_at_ms >= ringing.started_at_ms);

    // Hang up; the CDR row follows (the watcher's bounded wait covers the lag).
    advance(&sim, 2500).await;
    let ended = log.until(&w, &a, CallEventType::Ended).await;
    let cdr = ended
        .cdr
        .as_ref()
        .expect("the CDR row came within the wait");
    assert_eq!(cdr.linkedid, a);
    assert_eq!(ended.disposition.as_deref(), Some("ANSWERED"));
    assert_eq!(ended.billsec, Some(cdr.billsec));
    assert!(cdr.billsec >= 2, "{cdr:?}");
    assert_eq!(ended.duration_secs, Some(cdr.duration));
    // The CDR row comes before the recording is converted (a `Recording` waits for that); the
    // recording URL's token is never kept in a record.
    assert!(!cdr.extra.contains_key("download_url") && !cdr.extra.contains_key("playback_url"));
    assert_eq!(
        log.of(&a),
        [
            CallEventType::Ringing,
            CallEventType::Answered,
            CallEventType::Ended
        ]
    );

    // Restart: B and C ring in the same snapshot; the first watcher stops after B's ringing
    // (C's may still be pending inside it), and a second one goes on from the checkpoint.
    let b = place(
        &sim,
        json!({"from": "79169876543", "to": "261", "answer_after_ms": 600_000, "talk_ms": 4000}),
    )
    .await;
    let c = place(
        &sim,
        json!({"from": "260", "to": "79160000001", "answer_after_ms": null, "ring_ms": 600_000}),
    )
    .await;
    log.until(&w, &b, CallEventType::Ringing).await;
    let checkpoint = w.checkpoint().await;
    assert!(!checkpoint.contains(sim.admin_key()));
    drop(w);

    let w2 = client
        .calls()
        .watch(options(Some(checkpoint)))
        .expect("resume");
    log.until(&w2, &c, CallEventType::Ringing).await;
    advance(&sim, 600_000).await;
    log.until(&w2, &b, CallEventType::Answered).await;
    advance(&sim, 4000).await;
    let ended_b = log.until(&w2, &b, CallEventType::Ended).await;
    assert_eq!(
        ended_b.cdr.as_ref().map(|r| r.linkedid.as_str()),
        Some(b.as_str())
    );
    let ended_c = log.until(&w2, &c, CallEventType::Ended).await;
    assert_eq!(ended_c.disposition.as_deref(), Some("NO ANSWER"));
    assert_eq!(
        ended_c.extension, "260",
        "an outgoing call's extension is the caller's"
    );
    assert_eq!(ended_c.cdr.as_ref().map(|r| r.billsec), Some(0));

    assert_eq!(
        log.of(&b),
        [
            CallEventType::Ringing,
            CallEventType::Answered,
            CallEventType::Ended
        ]
    );
    assert_eq!(log.of(&c), [CallEventType::Ringing, CallEventType::Ended]);
    // Sequence numbers run on across the restart, without a gap or a repeat.
    let seqs: Vec<u64> = log.events.iter().map(|e| e.sequence).collect();
    let expected: Vec<u64> = (1..=seqs.len() as u64).collect();
    assert_eq!(seqs, expected);
    // Only the filtered extensions were reported.
    let mut by_call: HashMap<&str, usize> = HashMap::new();
    for e in &log.events {
        assert!(["260", "261"].contains(&e.extension.as_str()), "{e:?}");
        *by_call.entry(e.linkedid.as_str()).or_default() += 1;
    }
    assert_eq!(by_call.len(), 3);
    sim.shutdown().await;
}

#[tokio::test]
async fn the_stream_adapter_and_a_key_without_pbx_status() {
    use futures_util::StreamExt;
    let (sim, client) = start().await;
    let a = place(
        &sim,
        json!({"from": "79161234567", "to": "260", "answer_after_ms": 600_000, "talk_ms": 1000}),
    )
    .await;
    let stream = client
        .calls()
        .watch(options(None))
        .expect("watch")
        .into_stream();
    let mut stream = std::pin::pin!(stream);
    let first = tokio::time::timeout(HANG_GUARD, stream.next())
        .await
        .expect("hang guard")
        .expect("an item")
        .expect("an event");
    assert_eq!(
        (first.linkedid.as_str(), first.event_type),
        (a.as_str(), CallEventType::Ringing)
    );

    // A key that may read only the CDR is refused before anything is sent.
    let perms = Permissions::none().grant(Resource::Cdr, Access::Read);
    let (key, _) = create_key(&sim, Some(perms.clone()), NetworkFilter::Any).await;
    let narrow = common::builder(&sim, key)
        .permissions(perms)
        .build()
        .unwrap();
    let w = narrow.calls().watch(WatchOptions::default()).unwrap();
    let err = w.next_event().await.unwrap_err();
    assert_eq!(err.kind(), mikopbx::ErrorKind::PermissionDenied);
    assert!(!format!("{w:?}").contains(sim.admin_key()));
    // A checkpoint of something else is refused.
    let bad = WatchOptions {
        resume_from: Some("{}".into()),
        ..Default::default()
    };
    assert!(client.calls().watch(bad).is_err());
    sim.shutdown().await;
}
