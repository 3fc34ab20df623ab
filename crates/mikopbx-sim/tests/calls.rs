//! The call engine over the control API: `POST /_sim/calls` drives pbx-status, then the CDR
//! row with the same linkedid, then a recording behind the tokens of that row. The clock is
//! stepped with `POST /_sim/clock`, so nothing here depends on how fast the machine is.

#![allow(clippy::disallowed_methods)] // test clients are built here, not in the core's transport

mod common;

use common::{LOCAL, REMOTE, api, client, json, send};
use mikopbx_sim::{RunningSimulator, Simulator};
use serde_json::{Value, json};

async fn control(sim: &RunningSimulator, path: &str, body: Value) -> (u16, Value) {
    json(
        client(sim, LOCAL)
            .post(format!("{}/_sim/{path}", sim.url()))
            .header("X-Sim-Control", sim.control_token())
            .json(&body),
    )
    .await
}

async fn advance(sim: &RunningSimulator, ms: u64) {
    assert_eq!(
        control(sim, "clock", json!({"advance_ms": ms})).await.0,
        200
    );
}

/// The placed call's rows in `pbx-status:<method>`.
async fn live(sim: &RunningSimulator, method: &str, linkedid: &str) -> Vec<Value> {
    let (status, v) = json(
        client(sim, LOCAL)
            .get(api(sim, &format!("pbx-status:{method}")))
            .bearer_auth(sim.admin_key()),
    )
    .await;
    assert_eq!(status, 200, "{v}");
    v["data"]
        .as_array()
        .expect("data is a list")
        .iter()
        .filter(|r| r["linkedid"] == linkedid)
        .cloned()
        .collect()
}

async fn cdr(sim: &RunningSimulator, linkedid: &str, grouped: bool) -> Value {
    let (status, v) = json(
        client(sim, LOCAL)
            .get(api(
                sim,
                &format!("cdr?linkedid={linkedid}&grouped={grouped}"),
            ))
            .bearer_auth(sim.admin_key()),
    )
    .await;
    assert_eq!(status, 200, "{v}");
    v["data"].clone()
}

#[tokio::test]
async fn a_placed_call_rings_talks_ends_and_leaves_a_record_and_a_recording() {
    let sim = Simulator::builder().start().await.expect("starts");
    // Ringing long enough (10 minutes of simulated time) that no poll can miss it.
    let (status, placed) = control(
        &sim,
        "calls",
        json!({"from": "79161234567", "to": "201", "answer_after_ms": 600_000, "talk_ms": 2500}),
    )
    .await;
    assert_eq!(status, 200, "{placed}");
    let keys: Vec<&String> = placed.as_object().expect("object").keys().collect();
    assert_eq!(keys, ["linkedid"]);
    let linkedid = placed["linkedid"].as_str().expect("string").to_string();
    assert!(linkedid.starts_with("mikopbx-"), "{linkedid}");

    let rows = live(&sim, "getActiveChannels", &linkedid).await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    let ringing = &rows[0];
    let mut fields: Vec<&str> = ringing
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    fields.sort_unstable();
    let mut expected = [
        "start", "answer", "src_chan", "dst_chan", "src_num", "src_name", "dst_num", "dst_name",
        "did", "linkedid",
    ];
    expected.sort_unstable();
    assert_eq!(fields, expected);
    assert_eq!(ringing["answer"], "");
    assert_eq!(ringing["src_num"], "79161234567");
    assert_eq!(ringing["dst_num"], "201");
    assert_eq!(ringing["did"], "74951234567");
    assert!(
        ringing["dst_chan"]
            .as_str()
            .unwrap()
            .starts_with("PJSIP/201-")
    );
    let start = ringing["start"].as_str().unwrap();
    assert!(
        chrono::NaiveDateTime::parse_from_str(start, "%Y-%m-%d %H:%M:%S%.3f").is_ok(),
        "{start}"
    );
    assert_eq!(
        live(&sim, "getActiveCalls", &linkedid).await[0]["endtime"],
        ""
    );
    // No CDR while the call is live.
    assert_eq!(cdr(&sim, &linkedid, false).await["records"], json!([]));

    advance(&sim, 600_000).await;
    let up = live(&sim, "getActiveChannels", &linkedid).await;
    assert_eq!(up.len(), 1);
    assert_ne!(up[0]["answer"], "");
    assert_eq!(up[0]["start"], ringing["start"]);

    // Hangup: gone from pbx-status; the CDR row follows WorkerCdr's lag.
    advance(&sim, 2500).await;
    assert!(live(&sim, "getActiveChannels", &linkedid).await.is_empty());
    advance(&sim, 1000).await;
    let flat = cdr(&sim, &linkedid, false).await;
    let rows = flat["records"].as_array().expect("records");
    assert_eq!(rows.len(), 1, "{flat}");
    let row = &rows[0];
    assert_eq!(row["linkedid"], linkedid.as_str());
    assert_eq!(row["disposition"], "ANSWERED");
    assert_eq!(row["answer"], up[0]["answer"]);
    assert!(row["billsec"].as_i64().unwrap() >= 2, "{row}");
    assert!(row["duration"].as_i64().unwrap() >= 602, "{row}");
    assert_eq!(flat["pagination"]["lastId"], row["id"]);
    // The recording is published once WorkerWav2Webm has converted it: until then its three
    // fields are empty.
    for field in ["recordingfile", "playback_url", "download_url"] {
        assert_eq!(row[field], "", "{field} while converting: {row}");
    }
    advance(&sim, 5000).await;
    let flat = cdr(&sim, &linkedid, false).await;
    let row = &flat["records"][0];
    assert!(row["recordingfile"].as_str().unwrap().ends_with(".mp3"));
    let playback = row["playback_url"].as_str().unwrap().to_string();
    let token = playback.rsplit('=').next().unwrap();
    assert_eq!(token.len(), 32);
    assert!(
        token
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    );
    assert_eq!(
        row["download_url"],
        format!("/pbxcore/api/v3/cdr:download?token={token}")
    );

    // Grouped (the default): one group with the row inside; every list call mints a new token.
    let grouped = cdr(&sim, &linkedid, true).await;
    let group = &grouped["records"][0];
    assert_eq!(group["linkedid"], linkedid.as_str());
    assert_eq!(group["dst_num"], "74951234567");
    assert_eq!(group["totalBillsec"], row["billsec"]);
    assert_ne!(group["records"][0]["playback_url"], playback.as_str());

    // The recording, without an Authorization header: a real MP3 of the talk time.
    let c = client(&sim, REMOTE);
    let resp = c
        .get(format!("{}{playback}", sim.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "audio/mpeg");
    assert_eq!(resp.headers()["accept-ranges"], "bytes");
    assert_eq!(resp.headers()["x-audio-duration"], "2.500");
    let mp3 = resp.bytes().await.unwrap();
    assert_eq!(&mp3[..2], &[0xFF, 0xFB]);
    assert_eq!(mp3.len(), 2500usize.div_ceil(36) * 144);

    let dl = format!("{}{}", sim.url(), row["download_url"].as_str().unwrap());
    let resp = c
        .get(&dl)
        .header("Range", "bytes=100-")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 206);
    let disposition = resp.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        disposition.starts_with("attachment; filename=\"call_79161234567_to_201_"),
        "{disposition}"
    );
    assert_eq!(
        resp.headers()["content-range"],
        format!("bytes 100-{}/{}", mp3.len() - 1, mp3.len()).as_str()
    );
    assert_eq!(resp.bytes().await.unwrap(), mp3[100..]);
    assert_eq!(send(c.get(&dl).header("Range", "bytes=-5")).await.0, 416);
    let wav = c.get(format!("{dl}&format=wav")).send().await.unwrap();
    assert_eq!(wav.headers()["content-type"], "audio/wav");
    assert_eq!(&wav.bytes().await.unwrap()[..4], b"RIFF");
    assert_eq!(
        send(c.get(format!(
            "{}/pbxcore/api/v3/cdr:playback?token={}",
            sim.url(),
            "0".repeat(32)
        )))
        .await
        .0,
        403
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn an_unanswered_call_ends_without_a_recording_and_bad_requests_are_refused() {
    let sim = Simulator::builder().start().await.expect("starts");
    let (status, placed) = control(
        &sim,
        "calls",
        json!({"from": "202", "to": "79161234567", "answer_after_ms": null, "ring_ms": 600_000}),
    )
    .await;
    assert_eq!(status, 200);
    let linkedid = placed["linkedid"].as_str().unwrap().to_string();
    let rows = live(&sim, "getActiveChannels", &linkedid).await;
    assert_eq!(rows[0]["did"], "");
    assert!(
        rows[0]["src_chan"]
            .as_str()
            .unwrap()
            .starts_with("PJSIP/202-")
    );
    advance(&sim, 601_000).await;
    let rows = cdr(&sim, &linkedid, false).await;
    let row = &rows["records"][0];
    assert_eq!(row["disposition"], "NO ANSWER");
    assert_eq!(row["billsec"], 0);
    assert_eq!(row["playback_url"], "");
    assert_eq!(row["recordingfile"], "");

    // Another call placed later gets another linkedid.
    let (_, again) = control(&sim, "calls", json!({"from": "203", "to": "204"})).await;
    assert_ne!(again["linkedid"], linkedid.as_str());

    for bad in [
        json!({"from": "7916,1", "to": "201"}),
        json!({"from": "79161234567"}),
        json!({"from": "1", "to": "2", "talk_ms": "long"}),
    ] {
        assert_eq!(control(&sim, "calls", bad.clone()).await.0, 400, "{bad}");
    }
    // The recording routes without a token, and the legacy `view=` path (public, serving any
    // file of the monitor directory on a real PBX): answered as the server does, and counted.
    let c = client(&sim, REMOTE);
    let route = format!("{}/pbxcore/api/v3/cdr:download", sim.url());
    let (status, text) = send(c.get(&route)).await;
    assert_eq!(status, 400, "{text}");
    assert!(
        text.contains("Either token or view parameter must be provided"),
        "{text}"
    );
    let (status, text) = send(c.get(format!("{route}?token={}", "0".repeat(32)))).await;
    assert_eq!(status, 403);
    assert!(text.contains("Invalid or expired playback token"), "{text}");
    let view = format!("{route}?view=/storage/usbdisk1/mikopbx/astspool/monitor/x.mp3");
    assert_eq!(send(c.get(&view)).await.0, 404);
    let state: Value =
        serde_json::from_slice(&std::fs::read(sim.state_dir().join("state.json")).unwrap())
            .unwrap();
    assert_eq!(state["legacy_view_requests"], 1);

    // The control rule: without the token it is the server's ordinary 404.
    let url = format!("{}/_sim/calls", sim.url());
    let body = json!({"from": "1", "to": "2"});
    for token in ["x", ""] {
        let req = client(&sim, LOCAL)
            .post(&url)
            .header("X-Sim-Control", token);
        assert_eq!(send(req.json(&body)).await.0, 404);
    }
    sim.shutdown().await;
}
