//! `mikopbx cdr export` end to end, driving the real binary against the simulator: full exports
//! in both formats, resuming a torn `.part` (made by hand and by killing the process), the
//! refusals, and the progress bar in a real terminal (tmux) and its absence without one.
//!
//! The period ends days ago, so the simulator (which keeps making calls) serves the same
//! records on every run and exports can be compared byte for byte.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use mikopbx::{ApiKey, CdrQuery, Client};
use mikopbx_sim::{RunningSimulator, Simulator};
use serde_json::Value;

fn mikopbx() -> Command {
    Command::new(env!("CARGO_BIN_EXE_mikopbx"))
}

fn run(cmd: &mut Command) -> (i32, String, String) {
    let out = cmd.output().expect("mikopbx runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `mikopbx <args>` against `sim`, configured through the MIKOPBX_* variables (admin key).
fn against(sim: &RunningSimulator, ca: &Path, args: &[&str]) -> Command {
    let mut c = mikopbx();
    c.args(args)
        .env("MIKOPBX_URL", sim.url())
        .env("MIKOPBX_API_KEY", sim.admin_key())
        .env("MIKOPBX_CA_CERT", ca)
        .env_remove("MIKOPBX_CERT_SHA256");
    c
}

/// A simulator with 100 calls a day, its CA file, and a past period of a week.
struct Setup {
    sim: RunningSimulator,
    dir: tempfile::TempDir,
    ca: PathBuf,
    from: String,
    to: String,
    client: Client,
}

async fn setup() -> Setup {
    let sim = Simulator::builder()
        .cdr_records(36_500)
        .start()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, sim.ca_pem()).unwrap();
    let today = chrono::Utc::now().date_naive();
    let day = |n: u64| {
        (today - chrono::Days::new(n))
            .format("%Y-%m-%d")
            .to_string()
    };
    let client = Client::builder(sim.url())
        .api_key(ApiKey::new(sim.admin_key()))
        .trust_certificate_pem(sim.ca_pem())
        .unwrap()
        .build()
        .unwrap();
    Setup {
        sim,
        dir,
        ca,
        from: day(9),
        to: day(3),
        client,
    }
}

impl Setup {
    /// The ids the SDK lists for the period.
    async fn expected_ids(&self) -> Vec<i64> {
        self.client
            .cdr()
            .list(CdrQuery {
                date_from: Some(self.from.clone()),
                date_to: Some(self.to.clone()),
                ..Default::default()
            })
            .collect_all()
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.id)
            .collect()
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn args<'a>(&'a self, format: &'a str, out: &'a Path, extra: &[&'a str]) -> Vec<&'a str> {
        let mut a = vec![
            "cdr",
            "export",
            "--from",
            &self.from,
            "--to",
            &self.to,
            "--format",
            format,
            "--out",
            out.to_str().unwrap(),
        ];
        a.extend_from_slice(extra);
        a
    }

    /// Runs an export; (exit code, stdout, stderr).
    async fn export(&self, format: &str, out: &Path, extra: &[&str]) -> (i32, String, String) {
        let mut cmd = against(&self.sim, &self.ca, &self.args(format, out, extra));
        tokio::task::spawn_blocking(move || run(&mut cmd))
            .await
            .unwrap()
    }

    /// The sidecar an interrupted export of this period leaves.
    fn sidecar(&self, format: &str) -> String {
        serde_json::json!({"format": format, "from": self.from, "to": self.to,
                           "url": self.client.base_url()})
        .to_string()
    }
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// A strict RFC 4180 reader: rows of fields, CRLF line ends, quoted fields with doubled quotes.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let (mut rows, mut row, mut field) = (Vec::new(), Vec::new(), String::new());
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => {
                assert!(field.is_empty(), "a quote inside an unquoted field");
                quoted = true;
            }
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') => {
                assert_eq!(chars.next(), Some('\n'), "CR without LF");
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, '\n') => panic!("a bare LF ends a row"),
            (false, c) => field.push(c),
        }
    }
    assert!(
        !quoted && field.is_empty() && row.is_empty(),
        "the file ends with a row end"
    );
    rows
}

fn jsonl_ids(text: &str) -> Vec<i64> {
    text.lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).expect("each line is JSON")["id"]
                .as_i64()
                .expect("an integer id")
        })
        .collect()
}

fn summary(stdout: &str) -> Value {
    serde_json::from_str(stdout.trim()).expect("--json prints one summary object")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_exports_in_both_formats_hold_every_record_once() {
    let s = setup().await;
    let expected = s.expected_ids().await;
    assert!(expected.len() > 500, "a week of calls: {}", expected.len());
    assert!(expected.windows(2).all(|w| w[0] < w[1]));

    // JSON lines.
    let out = s.path("week.jsonl");
    let (code, stdout, stderr) = s.export("jsonl", &out, &["--json"]).await;
    assert_eq!(code, 0, "{stderr}");
    let sum = summary(&stdout);
    assert_eq!(sum["records"], expected.len(), "{sum}");
    assert_eq!(sum["written"], expected.len());
    assert_eq!(sum["resumed_from"], Value::Null);
    assert_eq!(sum["out"], out.to_str().unwrap());
    let text = std::fs::read_to_string(&out).unwrap();
    assert_eq!(jsonl_ids(&text), expected, "every record once, in id order");
    assert!(!with_suffix(&out, ".part").exists() && !with_suffix(&out, ".part.json").exists());
    assert!(
        !text.contains("download_url") && !text.contains("token"),
        "no bearer URL"
    );
    let first: Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();

    // CSV: the header is the JSON keys, in the record's field order, and every row parses.
    let csv = s.path("week.csv");
    let (code, stdout, stderr) = s
        .export("csv", &csv, &["--json", "--page-size", "97"])
        .await;
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(summary(&stdout)["records"], expected.len());
    let rows = parse_csv(&std::fs::read_to_string(&csv).unwrap());
    let header = &rows[0];
    assert_eq!(header[0], "id");
    let mut keys: Vec<&String> = first.as_object().unwrap().keys().collect();
    let mut cols: Vec<&String> = header.iter().collect();
    keys.sort();
    cols.sort();
    assert_eq!(keys, cols, "CSV columns = JSON keys");
    assert!(rows[1..].iter().all(|r| r.len() == header.len()));
    let ids: Vec<i64> = rows[1..].iter().map(|r| r[0].parse().unwrap()).collect();
    assert_eq!(ids, expected);
    // The first row says what the first JSON line says.
    for (col, value) in header.iter().zip(&rows[1]) {
        let json = match &first[col] {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        assert_eq!(&json, value, "column {col}");
    }

    // An existing file is kept unless --force; with it, the same bytes again.
    let before = std::fs::read(&csv).unwrap();
    let (code, _, stderr) = s.export("csv", &csv, &[]).await;
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("already exists") && stderr.contains("--force"),
        "{stderr}"
    );
    let (code, _, stderr) = s.export("csv", &csv, &["--force"]).await;
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(std::fs::read(&csv).unwrap(), before);
    // Without a terminal: no bar, one summary line.
    assert!(
        !stderr.contains('\r') && !stderr.contains(" left"),
        "{stderr:?}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains(&format!("{} records", expected.len())),
        "{stderr}"
    );

    // Bad arguments are usage errors, before anything is written.
    let bad = s.path("bad.jsonl");
    let mut cmd = against(
        &s.sim,
        &s.ca,
        &[
            "cdr",
            "export",
            "--from",
            "yesterday",
            "--to",
            &s.to,
            "--out",
            bad.to_str().unwrap(),
        ],
    );
    let (code, _, stderr) = tokio::task::spawn_blocking(move || run(&mut cmd))
        .await
        .unwrap();
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("YYYY-MM-DD"), "{stderr}");
    let mut cmd = against(
        &s.sim,
        &s.ca,
        &[
            "cdr",
            "export",
            "--from",
            "2025-01-01",
            "--to",
            "2026-06-01",
            "--out",
            bad.to_str().unwrap(),
        ],
    );
    let (code, _, stderr) = tokio::task::spawn_blocking(move || run(&mut cmd))
        .await
        .unwrap();
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("365 days"), "{stderr}");
    assert!(!bad.exists() && !with_suffix(&bad, ".part").exists());

    // A PBX that cannot be reached: exit 6 (unreachable), saying why, and no files left behind.
    let mut cmd = against(&s.sim, &s.ca, &s.args("jsonl", &bad, &[]));
    cmd.env("MIKOPBX_URL", "https://127.0.0.1:1");
    let (code, _, stderr) = tokio::task::spawn_blocking(move || run(&mut cmd))
        .await
        .unwrap();
    assert_eq!(code, 6, "{stderr}");
    assert!(
        stderr.contains("cannot reach") && stderr.contains("nothing was written"),
        "{stderr}"
    );
    assert!(!with_suffix(&bad, ".part").exists() && !with_suffix(&bad, ".part.json").exists());
    s.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_torn_part_resumes_to_the_same_bytes_and_a_foreign_one_is_refused() {
    let s = setup().await;
    for format in ["jsonl", "csv"] {
        let clean = s.path(&format!("clean.{format}"));
        let (code, _, stderr) = s.export(format, &clean, &["--page-size", "50"]).await;
        assert_eq!(code, 0, "{stderr}");
        let clean = std::fs::read(&clean).unwrap();
        let line_ends: Vec<usize> = clean
            .iter()
            .enumerate()
            .filter(|(_, b)| **b == b'\n')
            .map(|(i, _)| i + 1)
            .collect();
        // 123 records (plus the CSV header) and half of the next line, as a kill leaves it.
        let kept = if format == "csv" { 124 } else { 123 };
        let torn_at = line_ends[kept - 1] + (line_ends[kept] - line_ends[kept - 1]) / 2;
        let out = s.path(&format!("resumed.{format}"));
        std::fs::write(with_suffix(&out, ".part"), &clean[..torn_at]).unwrap();
        std::fs::write(with_suffix(&out, ".part.json"), s.sidecar(format)).unwrap();
        let last_kept = &clean[line_ends[kept - 2]..line_ends[kept - 1]];
        let last_id: i64 = String::from_utf8_lossy(last_kept)
            .trim_start_matches("{\"id\":")
            .split([',', '}'])
            .next()
            .unwrap()
            .parse()
            .unwrap();

        let (code, stdout, stderr) = s
            .export(format, &out, &["--json", "--page-size", "50"])
            .await;
        assert_eq!(code, 0, "{stderr}");
        let sum = summary(&stdout);
        assert_eq!(sum["resumed_from"], last_id, "{sum}");
        assert_eq!(
            sum["written"].as_u64().unwrap() + 123,
            sum["records"].as_u64().unwrap()
        );
        assert_eq!(
            std::fs::read(&out).unwrap(),
            clean,
            "{format}: byte for byte"
        );
        assert!(!with_suffix(&out, ".part.json").exists());
    }

    // A .part of another format, another period, or without its sidecar is never resumed.
    let out = s.path("mixed.jsonl");
    let part = with_suffix(&out, ".part");
    let sidecar = with_suffix(&out, ".part.json");
    let csv = std::fs::read(s.path("clean.csv")).unwrap();
    std::fs::write(&part, &csv[..csv.len() / 2]).unwrap();
    std::fs::write(&sidecar, s.sidecar("csv")).unwrap();
    let (code, _, stderr) = s.export("jsonl", &out, &[]).await;
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("format") && stderr.contains("delete"),
        "{stderr}"
    );
    let mut cmd = against(
        &s.sim,
        &s.ca,
        &[
            "cdr",
            "export",
            "--from",
            &s.from,
            "--to",
            &s.from,
            "--format",
            "csv",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    let (code, _, stderr) = tokio::task::spawn_blocking(move || run(&mut cmd))
        .await
        .unwrap();
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("with to"), "{stderr}");
    // The sidecar says jsonl, the content is CSV.
    std::fs::write(&sidecar, s.sidecar("jsonl")).unwrap();
    let (code, _, stderr) = s.export("jsonl", &out, &[]).await;
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("does not hold jsonl"), "{stderr}");
    std::fs::remove_file(&sidecar).unwrap();
    let (code, _, stderr) = s.export("csv", &out, &[]).await;
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("missing"), "{stderr}");
    assert_eq!(
        std::fs::read(&part).unwrap(),
        &csv[..csv.len() / 2],
        "refusals touch nothing"
    );
    assert!(!out.exists());
    s.sim.shutdown().await;
}

#[cfg(unix)]
fn complete_lines(path: &Path) -> usize {
    std::fs::read(path).map_or(0, |b| b.iter().filter(|c| **c == b'\n').count())
}

#[cfg(unix)] // signals, `kill` and tmux
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_mid_export_then_resumed_loses_and_repeats_nothing() {
    let s = setup().await;
    let clean = s.path("clean.jsonl");
    let (code, _, stderr) = s.export("jsonl", &clean, &[]).await;
    assert_eq!(code, 0, "{stderr}");
    let clean = std::fs::read(&clean).unwrap();
    let total = clean.iter().filter(|c| **c == b'\n').count();

    // Small, slow pages. Stopped twice once some lines are on disk: by Ctrl-C (SIGINT: the
    // export says where it stopped), then, resumed, by SIGKILL (no handler runs, as in a crash).
    s.sim.faults().set_latency(Duration::from_millis(40));
    let out = s.path("killed.jsonl");
    let part = with_suffix(&out, ".part");
    let stop_after = |lines: usize, signal: &str| {
        let mut child = against(
            &s.sim,
            &s.ca,
            &s.args("jsonl", &out, &["--page-size", "10"]),
        )
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
        let mut polls = 0;
        while complete_lines(&part) < lines {
            assert!(
                child.try_wait().unwrap().is_none(),
                "the export ended before the {signal}"
            );
            polls += 1;
            assert!(polls < 30_000, "no progress in .part");
            std::thread::sleep(Duration::from_millis(1));
        }
        let sent = Command::new("kill")
            .args([signal, &child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
        let done = child.wait_with_output().unwrap();
        let left = complete_lines(&part);
        assert!(
            left >= lines && left < total,
            "interrupted: {left} of {total}"
        );
        assert!(!out.exists());
        (
            done.status,
            String::from_utf8_lossy(&done.stderr).into_owned(),
        )
    };
    let (status, stderr) = tokio::task::block_in_place(|| stop_after(100, "-INT"));
    assert_eq!(status.code(), Some(130), "Ctrl-C: {stderr}");
    assert!(
        stderr.contains("interrupted") && stderr.contains("run the same command again"),
        "{stderr}"
    );
    let (status, stderr) = tokio::task::block_in_place(|| stop_after(300, "-KILL"));
    assert_eq!(status.code(), None, "killed: {stderr}");
    assert!(stderr.contains("resuming"), "{stderr}");
    s.sim.faults().clear();

    let (code, stdout, stderr) = s.export("jsonl", &out, &["--json"]).await;
    assert_eq!(code, 0, "{stderr}");
    let sum = summary(&stdout);
    assert_eq!(sum["records"], total, "{sum}");
    assert!(sum["resumed_from"].is_i64(), "{sum}");
    assert_eq!(std::fs::read(&out).unwrap(), clean, "byte for byte");
    s.sim.shutdown().await;
}

#[cfg(unix)]
fn tmux(socket: &Path, args: &[&str]) -> std::process::Output {
    // A private server without the user's configuration.
    Command::new("tmux")
        .args(["-f", "/dev/null", "-S"])
        .arg(socket)
        .args(args)
        .env("TERM", "xterm-256color")
        .output()
        .expect("tmux runs")
}

#[cfg(unix)] // signals, `kill` and tmux
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_progress_bar_is_drawn_in_a_terminal() {
    if Command::new("tmux").arg("-V").output().is_err() {
        eprintln!("skipped: tmux is not on PATH (the progress bar needs a terminal to test)");
        return;
    }
    let s = setup().await;
    let out = s.path("tty.jsonl");
    let rc = s.path("rc");
    // The pane runs a script (a private tmux server would not inherit this test's variables).
    let script = s.path("run.sh");
    let quoted: Vec<String> = s
        .args("jsonl", &out, &["--page-size", "10"])
        .iter()
        .map(|a| format!("'{a}'"))
        .collect();
    std::fs::write(
        &script,
        format!(
            "export MIKOPBX_URL='{}' MIKOPBX_API_KEY='{}' MIKOPBX_CA_CERT='{}'\n\
             unset MIKOPBX_CERT_SHA256\n'{}' {} >/dev/null\necho $? > '{}'\nsleep 120\n",
            s.sim.url(),
            s.sim.admin_key(),
            s.ca.display(),
            env!("CARGO_BIN_EXE_mikopbx"),
            quoted.join(" "),
            rc.display()
        ),
    )
    .unwrap();
    s.sim.faults().set_latency(Duration::from_millis(40));
    let socket = s.path("tmux.sock");
    let started = tmux(
        &socket,
        &[
            "new-session",
            "-d",
            "-s",
            "export",
            "-x",
            "120",
            "-y",
            "30",
            &format!("sh '{}'", script.display()),
        ],
    );
    assert!(
        started.status.success(),
        "{}",
        String::from_utf8_lossy(&started.stderr)
    );
    let capture = || {
        String::from_utf8_lossy(&tmux(&socket, &["capture-pane", "-p", "-t", "export"]).stdout)
            .into_owned()
    };

    // While it runs: the bar, with a total, a rate and the time left.
    let mut seen = None;
    for _ in 0..3000 {
        let screen = capture();
        if screen.contains("rec/s") && screen.contains(" left") {
            seen = Some(screen);
            break;
        }
        assert!(
            !rc.exists(),
            "the export ended before a bar was seen:\n{screen}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let screen = seen.expect("a progress bar on the terminal");
    let bar = screen.lines().find(|l| l.contains("rec/s")).unwrap();
    eprintln!("the bar: {bar}");
    assert!(bar.starts_with("[#") || bar.starts_with("[ "), "{bar}");
    assert!(bar.contains(" records"), "{bar}");
    let (done, total) = bar
        .split("] ")
        .nth(1)
        .and_then(|r| r.split(' ').next())
        .and_then(|r| r.split_once('/'))
        .expect("done/total");
    assert!(
        done.parse::<u64>().unwrap() <= total.parse::<u64>().unwrap(),
        "{bar}"
    );

    // At the end: the bar is gone and the summary is there.
    for _ in 0..6000 {
        if rc.exists() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    s.sim.faults().clear();
    assert_eq!(std::fs::read_to_string(&rc).unwrap().trim(), "0");
    let screen = capture();
    assert!(screen.contains(&format!("{total} records in")), "{screen}");
    assert!(!screen.contains(" left"), "the bar is cleared:\n{screen}");
    let _ = tmux(&socket, &["kill-server"]);
    s.sim.shutdown().await;
}
