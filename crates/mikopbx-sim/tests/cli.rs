//! The `mikopbx-sim` binary: flags, files in the state dir and the printed URL line.
#![allow(clippy::disallowed_methods)] // test clients are built here, not in the core's transport

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

#[tokio::test]
async fn binary_writes_state_and_prints_url() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("nested/state");
    let mut child = Command::new(env!("CARGO_BIN_EXE_mikopbx-sim"))
        .args(["--addr", "127.0.0.1:0", "--state-dir"])
        .arg(&state)
        .args([
            "--clock-scale",
            "2",
            "--admin-password",
            "pw",
            "--cdr-records",
            "500",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line.trim().rsplit(' ').next().unwrap().to_string();
    assert!(
        line.starts_with("mikopbx-sim listening on https://127.0.0.1:") && !url.ends_with(":0"),
        "{line}"
    );
    let ca = std::fs::read_to_string(state.join("ca.pem")).unwrap();
    let key = std::fs::read_to_string(state.join("admin-key.txt")).unwrap();
    assert_eq!(key.lines().count(), 1);
    assert_eq!(key.trim().len(), 64);
    assert!(
        !std::fs::read_to_string(state.join("control-token.txt"))
            .unwrap()
            .trim()
            .is_empty()
    );
    let c = common::client_with(&ca, common::REMOTE);
    let resp = c
        .get(format!("{url}/pbxcore/api/v3/extensions?search=201"))
        .bearer_auth(key.trim())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let resp = c
        .post(format!("{url}/pbxcore/api/v3/auth:login"))
        .json(&serde_json::json!({"login": "admin", "password": "pw"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let _ = child.kill();
    let _ = child.wait();
}

/// SIGTERM ends the process within a few seconds even with a keep-alive connection open
/// (ffi 21:22: harnesses hung on a graceful shutdown that waited for clients).
#[cfg(unix)]
#[tokio::test]
async fn sigterm_exits_promptly_with_open_connections() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_mikopbx-sim"))
        .args([
            "--addr",
            "127.0.0.1:0",
            "--cdr-records",
            "100",
            "--state-dir",
        ])
        .arg(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line.trim().rsplit(' ').next().unwrap().to_string();
    let ca = std::fs::read_to_string(dir.path().join("ca.pem")).unwrap();
    // A keep-alive client from a "remote" address, left connected.
    let c = common::client_with(&ca, common::REMOTE);
    let r = c
        .get(format!("{url}/pbxcore/api/v3/system:ping"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let start = std::time::Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        assert!(
            start.elapsed() < std::time::Duration::from_secs(5),
            "still running 5 s after SIGTERM"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    drop(c);
}
