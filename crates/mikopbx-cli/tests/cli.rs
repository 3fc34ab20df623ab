//! The `mikopbx` command end to end: demo, operations, minimal, recordings, calls, call and keys
//! (configured through MIKOPBX_* variables, which also exercises `Client::from_env`); doctor is
//! in `doctor.rs`.

use std::process::Command;

use mikopbx::{ApiKey, Client};
use mikopbx_sim::Simulator;

fn mikopbx() -> Command {
    Command::new(env!("CARGO_BIN_EXE_mikopbx"))
}

fn run(cmd: &mut Command) -> (i32, String) {
    let out = cmd.output().expect("mikopbx runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

#[test]
fn demo_runs_and_explains_refusals() {
    let (code, out) = run(mikopbx().arg("demo"));
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("Grant Write for Employees in System → API Keys"),
        "{out}"
    );
    assert!(out.contains("refused locally"), "{out}");
    assert!(out.contains("refused by the PBX"), "{out}");
    assert!(out.contains("calls today"), "{out}");
}

#[test]
fn operations_and_minimal() {
    let (code, out) = run(mikopbx().arg("operations"));
    assert_eq!(code, 0);
    assert!(
        out.contains("`extensions.available` | `extensions.available` | POST"),
        "{out}"
    );
    // The JSON form: one object per operation with exactly the keys tooling relies on.
    let (code, out) = run(mikopbx().args(["operations", "--json"]));
    assert_eq!(code, 0);
    let table: serde_json::Value = serde_json::from_str(&out).expect("operations --json is JSON");
    let ops = table.as_array().expect("an array");
    assert_eq!(ops.len(), mikopbx::operations::OPERATIONS.len());
    for op in ops {
        for key in [
            "name",
            "wire",
            "method",
            "path",
            "resource",
            "access",
            "idempotent",
            "public",
            "parameters",
        ] {
            assert!(op.get(key).is_some(), "{key} missing in {op}");
        }
    }
    let get = ops
        .iter()
        .find(|o| o["name"] == "employees.get")
        .expect("employees.get");
    assert_eq!(get["method"], "GET");
    assert_eq!(get["access"], "read");
    assert_eq!(get["path"], "/pbxcore/api/v3/employees/{id}");
    assert_eq!(get["parameters"][0]["in"], "path");
    let cdr = ops
        .iter()
        .find(|o| o["name"] == "cdr.list")
        .expect("cdr.list");
    let date_from = cdr["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "date_from")
        .expect("date_from");
    assert_eq!(
        date_from["wire"], "dateFrom",
        "query parameters carry their wire name"
    );
    let (code, out) = run(mikopbx().args(["minimal", "extensions.list", "cdr.list"]));
    assert_eq!(code, 0);
    assert!(out.contains("\"/api/v3/cdr\": \"read\""), "{out}");
    let (code, _) = run(mikopbx().args(["minimal", "nope.nothing"]));
    assert_ne!(code, 0);
}

/// `mikopbx <args>` against `sim`, configured through the MIKOPBX_* variables (admin key).
fn against(sim: &mikopbx_sim::RunningSimulator, ca: &std::path::Path, args: &[&str]) -> Command {
    let mut c = mikopbx();
    c.args(args)
        .env("MIKOPBX_URL", sim.url())
        .env("MIKOPBX_API_KEY", sim.admin_key())
        .env("MIKOPBX_CA_CERT", ca)
        .env_remove("MIKOPBX_CERT_SHA256");
    c
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recordings_download_saves_each_recording_once_and_resumes() {
    let sim = Simulator::builder()
        .cdr_records(3000)
        .start()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, sim.ca_pem()).unwrap();
    let out = dir.path().join("recordings");
    let today = chrono::Local::now().date_naive();
    let from = (today - chrono::Days::new(3))
        .format("%Y-%m-%d")
        .to_string();
    let to = (today + chrono::Days::new(1))
        .format("%Y-%m-%d")
        .to_string();

    // What the SDK says the window holds.
    let client = Client::builder(sim.url())
        .api_key(ApiKey::new(sim.admin_key()))
        .trust_certificate_pem(sim.ca_pem())
        .unwrap()
        .build()
        .unwrap();
    let recorded: Vec<i64> = client
        .cdr()
        .list(mikopbx::CdrQuery {
            date_from: Some(from.clone()),
            date_to: Some(to.clone()),
            ..Default::default()
        })
        .collect_all()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.has_recording)
        .map(|r| r.id)
        .collect();
    assert!(
        recorded.len() >= 3,
        "the window has recordings: {recorded:?}"
    );

    let args = [
        "recordings",
        "download",
        "--from",
        &from,
        "--to",
        &to,
        "--out",
        out.to_str().unwrap(),
        "--json",
    ];
    let mut cmd = against(&sim, &ca, &args);
    let (code, text) = tokio::task::spawn_blocking(move || run(&mut cmd))
        .await
        .unwrap();
    assert_eq!(code, 0, "{text}");
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON lines"))
        .collect();
    let summary = lines.last().unwrap();
    assert_eq!(summary["saved"], recorded.len(), "{text}");
    assert_eq!(summary["skipped"], 0);
    for id in &recorded {
        let bytes = std::fs::read(out.join(format!("cdr-{id}.mp3"))).expect("saved");
        assert_eq!(&bytes[..2], &[0xFF, 0xFB], "cdr-{id}.mp3 is MPEG audio");
    }
    assert!(
        !text.contains(sim.admin_key()) && !text.contains("token="),
        "{text}"
    );

    // Interrupted: one file missing and a half-written `.part` left behind. The next run saves
    // exactly that one and skips the others.
    let lost = recorded[1];
    std::fs::remove_file(out.join(format!("cdr-{lost}.mp3"))).unwrap();
    std::fs::write(out.join(format!("cdr-{lost}.mp3.part")), b"half").unwrap();
    let mut cmd = against(&sim, &ca, &args);
    let (code, text) = tokio::task::spawn_blocking(move || run(&mut cmd))
        .await
        .unwrap();
    assert_eq!(code, 0, "{text}");
    let summary: serde_json::Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
    assert_eq!(summary["saved"], 1, "{text}");
    assert_eq!(summary["skipped"], recorded.len() - 1);
    assert!(text.contains(&format!("\"id\":{lost}")), "{text}");
    assert!(!out.join(format!("cdr-{lost}.mp3.part")).exists());

    // A bad format is refused before anything is sent.
    let mut cmd = against(
        &sim,
        &ca,
        &[
            "recordings",
            "download",
            "--from",
            &from,
            "--to",
            &to,
            "--out",
            out.to_str().unwrap(),
            "--format",
            "flac",
        ],
    );
    let (code, text) = tokio::task::spawn_blocking(move || run(&mut cmd))
        .await
        .unwrap();
    assert_eq!(code, 2, "a bad --format is a usage error");
    assert!(text.contains("original, webm, mp3, wav, ogg"), "{text}");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_watch_prints_json_lines() {
    // The simulator's background traffic: calls between 201-250 and outside numbers.
    let sim = Simulator::builder().cdr_records(500).start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, sim.ca_pem()).unwrap();
    let mut cmd = against(
        &sim,
        &ca,
        &[
            "calls",
            "watch",
            "--json",
            "--count",
            "2",
            "--poll-ms",
            "200",
        ],
    );
    let watched = tokio::task::spawn_blocking(move || run(&mut cmd));
    let (code, text) = tokio::time::timeout(std::time::Duration::from_secs(120), watched)
        .await
        .expect("two events within 120 s")
        .unwrap();
    assert_eq!(code, 0, "{text}");
    let events: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON lines"))
        .collect();
    assert_eq!(events.len(), 2, "{text}");
    for e in &events {
        assert!(
            ["ringing", "answered", "transferred", "ended"].contains(&e["type"].as_str().unwrap()),
            "{e}"
        );
        assert!(!e["linkedid"].as_str().unwrap().is_empty());
    }
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn call_places_a_click_to_call_and_prints_its_linkedid() {
    let sim = Simulator::builder().cdr_records(200).start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, sim.ca_pem()).unwrap();
    let admin = Client::builder(sim.url())
        .api_key(ApiKey::new(sim.admin_key()))
        .trust_certificate_pem(sim.ca_pem().as_bytes())
        .unwrap()
        .build()
        .unwrap();
    let manager = admin
        .asterisk_managers()
        .create_click_to_call_manager("cli-c2c", "4")
        .await
        .unwrap();
    let secret = manager.secret.expose_secret().to_owned();
    let port = sim
        .ajam_url()
        .unwrap()
        .rsplit(':')
        .next()
        .unwrap()
        .to_owned();
    let call = |from: &str, to: &str| {
        let mut cmd = against(
            &sim,
            &ca,
            &["call", from, to, "--ajam-port", &port, "--json"],
        );
        cmd.env("MIKOPBX_AMI_USERNAME", "cli-c2c")
            .env("MIKOPBX_AMI_SECRET", &secret);
        run(&mut cmd)
    };
    let (code, out) = tokio::task::block_in_place(|| call("201", "+79161234567"));
    assert_eq!(code, 0, "{out}");
    let v: serde_json::Value = serde_json::from_str(out.trim()).expect("JSON");
    let linkedid = v["linkedid"].as_str().unwrap();
    assert!(linkedid.starts_with("sdk-"), "{out}");
    assert_eq!(sim.ajam_log()["originates"][0]["linkedid"], linkedid);

    let (code, out) = tokio::task::block_in_place(|| call("201", "7916,__x=1"));
    assert_ne!(code, 0, "{out}");
    assert!(out.contains("to_number"), "{out}");
    assert!(!out.contains(&secret), "{out}");
    assert_eq!(sim.ajam_log()["originates"].as_array().unwrap().len(), 1);
    sim.shutdown().await;
}

/// `keys create --for`, then the key at work through `mikopbx api`, `keys list`, `keys rotate`
/// and `keys revoke`, as an administrator would chain them in a shell.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_are_created_least_privilege_used_rotated_and_revoked() {
    let sim = Simulator::builder().cdr_records(50).start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, sim.ca_pem()).unwrap();
    let blocking = |mut cmd: Command| tokio::task::block_in_place(move || run(&mut cmd));
    let stdout = |cmd: &mut Command| {
        let out = cmd.output().expect("mikopbx runs");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };

    // The key alone on stdout: what `KEY=$(mikopbx keys create …)` captures.
    let mut create = against(
        &sim,
        &ca,
        &[
            "keys",
            "create",
            "--for",
            "extensions.list",
            "--network",
            "any",
        ],
    );
    let (code, key, err) = tokio::task::block_in_place(|| stdout(&mut create));
    assert_eq!(code, 0, "{err}");
    let key = key.trim().to_owned();
    assert_eq!(key.len(), 64, "{key}");
    assert!(err.contains("/api/v3/extensions: read"), "{err}");
    assert!(!err.contains(&key), "the key only on stdout");

    let as_key = |args: &[&str], key: &str| {
        let mut c = against(&sim, &ca, args);
        c.env("MIKOPBX_API_KEY", key);
        c
    };
    let (code, out) = blocking(as_key(
        &["api", "GET", "/pbxcore/api/v3/extensions?limit=1"],
        &key,
    ));
    assert_eq!(code, 0, "{out}");
    let rows: serde_json::Value = serde_json::from_str(&out).expect("data as JSON");
    assert_eq!(rows.as_array().map(Vec::len), Some(1), "{out}");
    let (code, out) = blocking(as_key(&["api", "GET", "/pbxcore/api/v3/cdr"], &key));
    assert_ne!(code, 0, "{out}");
    assert!(!out.contains(&key), "{out}");

    // The escape hatch keeps dangerous actions refused, whatever the key.
    let (code, out) = blocking(against(
        &sim,
        &ca,
        &[
            "api",
            "POST",
            "/pbxcore/api/v3/system:executeBashCommand",
            "--data",
            "{}",
        ],
    ));
    assert_ne!(code, 0);
    assert!(out.contains("dangerous action"), "{out}");

    let (code, out) = blocking(against(&sim, &ca, &["keys", "list", "--json"]));
    assert_eq!(code, 0, "{out}");
    let listed: Vec<serde_json::Value> = out
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let mine = listed
        .iter()
        .find(|k| k["description"] == "mikopbx keys create")
        .expect("the new key is listed");
    let id = mine["id"].as_str().unwrap().to_owned();
    assert_eq!(mine["allowed_paths_count"], 1);
    assert!(!out.contains(&key), "list never shows a key");

    // Rotate: a new key with the same permission, the old one revoked.
    let mut rotate = against(&sim, &ca, &["keys", "rotate", &id, "--yes", "--json"]);
    let (code, out, err) = tokio::task::block_in_place(|| stdout(&mut rotate));
    assert_eq!(code, 0, "{err}");
    let rotated: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    let new_key = rotated["key"].as_str().unwrap().to_owned();
    let new_id = rotated["id"].as_str().unwrap().to_owned();
    assert_eq!(
        rotated["allowed_paths"],
        serde_json::json!({"/api/v3/extensions": "read"})
    );
    let (code, _) = blocking(as_key(
        &["api", "GET", "/pbxcore/api/v3/extensions"],
        &new_key,
    ));
    assert_eq!(code, 0);
    let (code, _) = blocking(as_key(&["api", "GET", "/pbxcore/api/v3/extensions"], &key));
    assert_ne!(code, 0, "the old key no longer works");

    // Revoking asks; without a terminal and without --yes nothing happens.
    let (code, out) = blocking(against(&sim, &ca, &["keys", "revoke", &new_id]));
    assert_ne!(code, 0);
    assert!(out.contains("pass --yes"), "{out}");
    let (code, _) = blocking(as_key(
        &["api", "GET", "/pbxcore/api/v3/extensions"],
        &new_key,
    ));
    assert_eq!(code, 0, "still valid");
    let (code, out) = blocking(against(&sim, &ca, &["keys", "revoke", &new_id, "--yes"]));
    assert_eq!(code, 0, "{out}");
    let (code, _) = blocking(as_key(
        &["api", "GET", "/pbxcore/api/v3/extensions"],
        &new_key,
    ));
    assert_ne!(code, 0, "revoked at once");
    sim.shutdown().await;
}
