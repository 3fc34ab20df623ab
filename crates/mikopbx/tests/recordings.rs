//! `client.cdr().recording(&record)` against the simulator over TLS: the recording of a call
//! placed through `POST /_sim/calls` downloads with the exact bytes and type the PBX serves
//! (compared with a bare HTTP request that does not use the SDK), waits while the PBX converts
//! it, resumes a cut download with `Range`, converts formats, refuses what has no recording,
//! never uses the legacy `view=` path, and shows its token nowhere. The simulated clock is stepped with `POST /_sim/clock`.

mod common;

use std::time::Duration;

use common::{create_key, raw_get};
use mikopbx::{
    Access, CdrQuery, CdrRecord, Client, ErrorKind, NetworkFilter, Permissions, RecordingFormat,
    RecordingOptions, Resource,
};
use mikopbx_sim::{RunningSimulator, Simulator};
use serde_json::{Value, json};

const HANG_GUARD: Duration = Duration::from_secs(60);

async fn control(sim: &RunningSimulator, path: &str, body: Value) -> Value {
    let (status, text) = common::post_control(sim, path, &body.to_string()).await;
    assert_eq!(status, 200, "{path}: {text}");
    serde_json::from_str(&text).expect("control answers JSON")
}

async fn advance(sim: &RunningSimulator, ms: u64) {
    control(sim, "clock", json!({ "advance_ms": ms })).await;
}

/// A simulator, a client holding only `read` on `cdr` (what a CRM needs), and an answered call
/// of 2.5 s that has ended and been written to the CDR, but not yet converted.
async fn ended_call() -> (RunningSimulator, Client, CdrRecord) {
    let sim = Simulator::builder()
        .cdr_records(500)
        .start()
        .await
        .expect("sim");
    let perms = Permissions::none().grant(Resource::Cdr, Access::Read);
    let (key, _) = create_key(&sim, Some(perms.clone()), NetworkFilter::Any).await;
    let client = common::builder(&sim, key)
        .permissions(perms)
        .build()
        .expect("client");
    let linkedid = control(
        &sim,
        "calls",
        json!({"from": "79161234567", "to": "201", "answer_after_ms": 800, "talk_ms": 2500}),
    )
    .await["linkedid"]
        .as_str()
        .expect("linkedid")
        .to_string();
    // Ring 0.8 s + talk 2.5 s, then WorkerCdr's lag.
    advance(&sim, 5000).await;
    let record = record_of(&client, &linkedid).await;
    (sim, client, record)
}

async fn record_of(client: &Client, linkedid: &str) -> CdrRecord {
    let rows = client
        .cdr()
        .list(CdrQuery {
            linkedid: Some(linkedid.into()),
            ..Default::default()
        })
        .collect_all()
        .await
        .expect("cdr list");
    assert_eq!(rows.len(), 1, "{rows:?}");
    rows.into_iter().next().unwrap()
}

/// The recording as the PBX serves it, fetched without the SDK: list with the admin key, then
/// GET the `download_url` (no key). Returns the header block and the body.
async fn served(sim: &RunningSimulator, linkedid: &str, format: Option<&str>) -> (String, Vec<u8>) {
    let auth = format!("Bearer {}", sim.admin_key());
    let (status, _, body) = raw_get(
        sim,
        &format!("/pbxcore/api/v3/cdr?linkedid={linkedid}&grouped=false"),
        Some(&auth),
    )
    .await;
    assert_eq!(status, 200);
    let list: Value = serde_json::from_slice(&body).unwrap();
    let url = list["data"]["records"][0]["download_url"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(!url.is_empty(), "published: {list}");
    let url = match format {
        Some(f) => format!("{url}&format={f}"),
        None => url,
    };
    let (status, head, body) = raw_get(sim, &url, None).await;
    assert_eq!(status, 200, "{head}");
    (head, body)
}

fn legacy_view_requests(sim: &RunningSimulator) -> u64 {
    let state = std::fs::read(sim.state_dir().join("state.json")).unwrap_or_default();
    let state: Value = serde_json::from_slice(&state).unwrap_or_default();
    state["legacy_view_requests"].as_u64().unwrap_or(0)
}

#[tokio::test]
async fn a_recording_waits_for_the_conversion_and_downloads_exactly() {
    let (sim, client, record) = ended_call().await;
    assert!(!record.has_recording, "not converted yet: {record:?}");
    assert_eq!(record.recordingfile, "");

    // The download waits (polling the list) until WorkerWav2Webm has published the recording.
    let recording = client.cdr().recording(&record);
    let download = tokio::spawn({
        let recording = recording.clone();
        async move { recording.bytes().await }
    });
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert!(!download.is_finished(), "it waits for the recording");
    advance(&sim, 6000).await;
    let bytes = tokio::time::timeout(HANG_GUARD, download)
        .await
        .expect("no hang")
        .unwrap()
        .expect("the recording downloads");

    let (head, expected) = served(&sim, &record.linkedid, None).await;
    assert_eq!(bytes, expected, "the exact bytes the PBX serves");
    assert!(head.contains("content-type: audio/mpeg"), "{head}");
    assert_eq!(&bytes[..2], &[0xFF, 0xFB], "an MPEG audio frame");

    // save(): the same bytes in the file, the metadata of the answer, no `.part` left.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("call.mp3");
    let info = recording.save_to(&path).await.expect("save");
    assert_eq!(std::fs::read(&path).unwrap(), expected);
    assert!(!dir.path().join("call.mp3.part").exists());
    assert_eq!(info.content_type, "audio/mpeg");
    assert_eq!(info.size, expected.len() as u64);
    assert!(
        info.filename.starts_with("call_79161234567_to_201_") && info.filename.ends_with(".mp3"),
        "{info:?}"
    );
    assert_eq!(info.duration_seconds, Some(2.5));

    // Another format, converted by the PBX.
    let wav = client
        .cdr()
        .recording_with(
            &record,
            RecordingOptions {
                format: Some(RecordingFormat::Wav),
                wait_ms: Some(0),
            },
        )
        .bytes()
        .await
        .expect("wav");
    assert_eq!(wav, served(&sim, &record.linkedid, Some("wav")).await.1);
    assert_eq!(&wav[..4], b"RIFF");
    // WebM and Ogg (Opus), with their types and the extension a saved file gets.
    let dir = tempfile::tempdir().unwrap();
    for (format, wire, ctype, magic) in [
        (
            RecordingFormat::Webm,
            "webm",
            "audio/webm",
            &[0x1A, 0x45, 0xDF, 0xA3][..],
        ),
        (RecordingFormat::Ogg, "ogg", "audio/ogg", &b"OggS"[..]),
    ] {
        let rec = client.cdr().recording_with(
            &record,
            RecordingOptions {
                format: Some(format),
                wait_ms: Some(0),
            },
        );
        let (path, info) = rec.save_into(dir.path(), "call").await.expect(wire);
        assert_eq!(info.content_type, ctype);
        assert_eq!(path.extension().and_then(|e| e.to_str()), Some(wire));
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(&bytes[..magic.len()], magic);
        assert_eq!(
            bytes,
            served(&sim, &record.linkedid, Some(wire)).await.1,
            "{wire}: the exact bytes the PBX serves"
        );
    }

    assert_eq!(legacy_view_requests(&sim), 0, "never the view= path");
    sim.shutdown().await;
}

#[tokio::test]
async fn a_cut_download_resumes_and_a_stream_yields_each_byte_once() {
    let (sim, client, record) = ended_call().await;
    advance(&sim, 6000).await;
    let recording = client.cdr().recording(&record);
    let whole = recording.bytes().await.expect("first download");

    // The token is cached now: the next request is the download itself, cut halfway.
    sim.faults().truncate_next(1);
    let stream = recording.open().await.expect("open");
    assert_eq!(stream.info().size, whole.len() as u64);
    let mut got = Vec::new();
    let mut chunks = 0;
    while let Some(chunk) = stream.next_chunk().await.expect("resumed, not failed") {
        got.extend_from_slice(&chunk);
        chunks += 1;
    }
    assert_eq!(
        got, whole,
        "resumed with Range: nothing lost, nothing repeated"
    );
    assert!(chunks >= 2, "the body came in two answers");
    assert_eq!(
        stream.next_chunk().await.unwrap(),
        None,
        "the end stays the end"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn an_expired_token_is_replaced_and_what_has_no_recording_is_refused() {
    let (sim, client, record) = ended_call().await;
    advance(&sim, 6000).await;
    let recording = client.cdr().recording(&record);
    let first = recording.bytes().await.expect("download");
    // Two hours later the cached token has expired (3600 s, sliding only on use).
    advance(&sim, 7_200_000).await;
    assert_eq!(
        recording.bytes().await.expect("a fresh token"),
        first,
        "the same recording"
    );

    // An unanswered call: refused at once, naming the record; nothing downloaded.
    let linkedid = control(
        &sim,
        "calls",
        json!({"from": "79161234567", "to": "202", "ring_ms": 1000}),
    )
    .await["linkedid"]
        .as_str()
        .unwrap()
        .to_string();
    advance(&sim, 10_000).await;
    let missed = record_of(&client, &linkedid).await;
    let e = client.cdr().recording(&missed).bytes().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    assert!(e.to_string().contains("not answered"), "{e}");

    // A record whose recording never appears: refused once the wait is over.
    let mut ghost = record.clone();
    ghost.id += 1;
    let e = client
        .cdr()
        .recording_with(
            &ghost,
            RecordingOptions {
                wait_ms: Some(0),
                ..Default::default()
            },
        )
        .bytes()
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    assert!(e.to_string().contains(&ghost.id.to_string()), "{e}");
    sim.shutdown().await;
}

#[tokio::test]
async fn the_token_is_shown_nowhere() {
    let (sim, client, record) = ended_call().await;
    advance(&sim, 6000).await;
    let recording = client.cdr().recording(&record);
    let stream = recording.open().await.expect("open");
    // The token the PBX issues now (every list mints one; the recording holds another).
    let auth = format!("Bearer {}", sim.admin_key());
    let (_, _, body) = raw_get(
        &sim,
        &format!(
            "/pbxcore/api/v3/cdr?linkedid={}&grouped=false",
            record.linkedid
        ),
        Some(&auth),
    )
    .await;
    let list: Value = serde_json::from_slice(&body).unwrap();
    let url = list["data"]["records"][0]["download_url"].as_str().unwrap();
    let issued = url.rsplit('=').next().unwrap();
    assert_eq!(issued.len(), 32);

    // Records never carry the URLs; the handles' Debug shows no token.
    let listed = record_of(&client, &record.linkedid).await;
    assert!(listed.has_recording);
    let shown = format!("{listed:?} {recording:?} {stream:?}");
    assert!(!shown.contains("token="), "{shown}");
    assert!(!shown.contains(&issued[..12]), "{shown}");
    for (k, v) in &listed.extra {
        assert!(!v.contains("token="), "{k} = {v}");
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn the_seeded_history_has_recordings_too() {
    let sim = Simulator::builder()
        .cdr_records(500)
        .start()
        .await
        .expect("sim");
    let client = common::admin(&sim);
    let pager = client.cdr().list(CdrQuery {
        page_size: Some(100),
        ..Default::default()
    });
    let record = loop {
        let page = pager
            .next_page()
            .await
            .expect("page")
            .expect("a recorded call");
        if let Some(r) = page.into_iter().find(|r| r.has_recording) {
            break r;
        }
    };
    let recording = client.cdr().recording(&record);
    let stream = recording.open().await.expect("open");
    let info = stream.info();
    let bytes = recording.bytes().await.expect("bytes");
    assert_eq!(info.content_type, "audio/mpeg");
    assert_eq!(info.size, bytes.len() as u64);
    assert_eq!(
        info.duration_seconds,
        Some(record.billsec.max(1) as f64),
        "{record:?}"
    );
    assert_eq!(&bytes[..2], &[0xFF, 0xFB]);
    sim.shutdown().await;
}
