//! Profiles, the web login, and the generated help (completions, man page, exit codes), driving
//! the real binary. The password prompt is typed into a real terminal (tmux).

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use mikopbx_sim::Simulator;

fn mikopbx(config: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_mikopbx"));
    // Nothing from the environment of whoever runs the tests: the profile file is the test's,
    // and with no session bus the key goes to the kernel keyring (what a CI machine has).
    c.env("MIKOPBX_CONFIG", config)
        .env_remove("MIKOPBX_URL")
        .env_remove("MIKOPBX_API_KEY")
        .env_remove("MIKOPBX_CA_CERT")
        .env_remove("MIKOPBX_CERT_SHA256")
        .env_remove("MIKOPBX_PROFILE")
        .env_remove("MIKOPBX_USER")
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .env("XDG_RUNTIME_DIR", "/nonexistent");
    c
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(cmd: &mut Command, stdin: Option<&str>) -> Run {
    use std::io::Write;
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("mikopbx runs");
    let mut input = child.stdin.take().expect("stdin");
    if let Some(text) = stdin {
        input.write_all(text.as_bytes()).expect("stdin written");
    }
    drop(input);
    let out = child.wait_with_output().expect("mikopbx finishes");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A profile name no other run (or person) on this machine uses: the kernel keyring is per user.
fn unique_name() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("test-{}-{nanos}", std::process::id())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_profile_keeps_url_and_trust_in_the_file_and_the_key_in_the_keyring() {
    let sim = Simulator::builder().start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("mikopbx").join("profiles.toml");
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, sim.ca_pem()).unwrap();
    let name = unique_name();
    let key = sim.admin_key().to_owned();
    let blocking = |mut cmd: Command, stdin: Option<String>| {
        tokio::task::block_in_place(move || run(&mut cmd, stdin.as_deref()))
    };

    let mut add = mikopbx(&config);
    add.args(["profile", "add", &name, "--url", sim.url(), "--ca-cert"])
        .arg(&ca)
        .arg("--key-stdin");
    let r = blocking(add, Some(format!("{key}\n")));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("stored the key"), "{}", r.stderr);
    let file = std::fs::read_to_string(&config).unwrap();
    assert!(file.contains(sim.url()), "{file}");
    assert!(!file.contains(&key), "the key never goes in the file");
    assert!(!r.stderr.contains(&key) && !r.stdout.contains(&key));
    let mut again = mikopbx(&config);
    again.args(["profile", "set-key", &name, "--key-stdin", "--json"]);
    let r = blocking(again, Some(format!("{key}\n")));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let stored: serde_json::Value = serde_json::from_str(&r.stdout).expect("set-key --json");
    assert_eq!(stored["profile"], name.as_str());
    assert!(stored["key_store"].is_string(), "{stored}");
    assert!(!r.stdout.contains(&key) && !r.stderr.contains(&key));

    // Used from anywhere on the line, with no MIKOPBX_* variable and no key flag.
    let mut list = mikopbx(&config);
    list.args([
        "--profile",
        &name,
        "api",
        "GET",
        "/pbxcore/api/v3/extensions?limit=1",
    ]);
    let r = blocking(list, None);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let rows: serde_json::Value = serde_json::from_str(&r.stdout).expect("JSON");
    assert_eq!(rows.as_array().map(Vec::len), Some(1), "{}", r.stdout);
    let mut after = mikopbx(&config);
    after
        .args([
            "api",
            "GET",
            "/pbxcore/api/v3/extensions?limit=1",
            "--profile",
            &name,
        ])
        .env("MIKOPBX_PROFILE", "ignored-when-the-flag-is-given");
    assert_eq!(blocking(after, None).code, 0);

    let mut listed = mikopbx(&config);
    listed.args(["profile", "list", "--json"]);
    let r = blocking(listed, None);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let entry: serde_json::Value = r
        .stdout
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|v| v["name"] == name.as_str())
        .expect("the profile is listed");
    assert_eq!(entry["url"], sim.url());
    assert_eq!(entry["key"], "kernel keyring");
    assert!(!r.stdout.contains(&key));

    // The profile's key belongs to its PBX: --url with a profile is refused before any request.
    let mut elsewhere = mikopbx(&config);
    elsewhere.args([
        "--profile",
        &name,
        "api",
        "GET",
        "/pbxcore/api/v3/extensions",
        "--url",
        "https://127.0.0.1:9",
    ]);
    let r = blocking(elsewhere, None);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("two PBXs"), "{}", r.stderr);

    // An unknown profile names the ones there are.
    let mut unknown = mikopbx(&config);
    unknown.args(["--profile", "nope", "keys", "list"]);
    let r = blocking(unknown, None);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains(&name), "{}", r.stderr);

    // Removing the profile removes its key: the keyring entry is gone, not just the file's.
    let mut remove = mikopbx(&config);
    remove.args(["profile", "remove", &name]);
    let r = blocking(remove, None);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("and its key"), "{}", r.stderr);
    let mut readd = mikopbx(&config);
    readd
        .args(["profile", "add", &name, "--url", sim.url(), "--ca-cert"])
        .arg(&ca)
        .args(["--no-key", "--json"]);
    let r = blocking(readd, None);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let added: serde_json::Value = serde_json::from_str(&r.stdout).expect("add --json is JSON");
    assert_eq!(added["profile"], name.as_str());
    assert_eq!(added["replaced"], false);
    assert!(added["key_store"].is_null(), "{added}");
    assert!(r.stderr.is_empty(), "--json says it all: {}", r.stderr);
    let mut relisted = mikopbx(&config);
    relisted.args(["profile", "list", "--json"]);
    let r = blocking(relisted, None);
    assert!(
        r.stdout.contains(r#""key":"MIKOPBX_API_KEY""#),
        "no key stored any more: {}",
        r.stdout
    );
    let mut with_env = mikopbx(&config);
    with_env
        .args([
            "--profile",
            &name,
            "api",
            "GET",
            "/pbxcore/api/v3/extensions?limit=1",
        ])
        .env("MIKOPBX_API_KEY", &key);
    assert_eq!(
        blocking(with_env, None).code,
        0,
        "the environment supplies the key"
    );
    let mut cleanup = mikopbx(&config);
    cleanup.args(["profile", "remove", &name, "--json"]);
    let r = blocking(cleanup, None);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let removed: serde_json::Value = serde_json::from_str(&r.stdout).expect("JSON");
    assert_eq!(removed["removed"], true);
    assert_eq!(removed["key_removed"], false);
}

#[test]
fn a_key_written_into_the_profiles_file_is_refused_not_used() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("profiles.toml");
    std::fs::write(
        &config,
        "[profiles.office]\nurl = \"https://pbx.example\"\napi_key = \"0123456789abcdef\"\n",
    )
    .unwrap();
    let r = run(mikopbx(&config).args(["profile", "list"]), None);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("api_key"), "{}", r.stderr);
    assert!(
        r.stderr.contains("keys never go in this file"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("0123456789abcdef"), "{}", r.stderr);

    let bad = run(
        mikopbx(&config).args(["profile", "add", "../x", "--url", "https://a", "--no-key"]),
        None,
    );
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    let plain = run(
        mikopbx(&dir.path().join("other.toml")).args([
            "profile",
            "add",
            "remote",
            "--url",
            "http://192.0.2.1",
            "--no-key",
        ]),
        None,
    );
    assert_ne!(
        plain.code, 0,
        "plain http to a remote host: {}",
        plain.stderr
    );
    assert!(!dir.path().join("other.toml").exists(), "nothing saved");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_administrator_logs_in_with_a_password_to_create_the_first_key() {
    let sim = Simulator::builder().start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("profiles.toml");
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, sim.ca_pem()).unwrap();
    let login_for = |operation: &str, password: &str| {
        let mut c = mikopbx(&config);
        // The SDK's session log says when the session starts and ends (never a token).
        c.env("RUST_LOG", "mikopbx::session=debug")
            .args([
                "keys",
                "create",
                "--for",
                operation,
                "--network",
                "any",
                "--user",
                "admin",
                "--password-stdin",
                "--url",
                sim.url(),
                "--ca-cert",
            ])
            .arg(&ca);
        let password = format!("{password}\n");
        tokio::task::block_in_place(move || run(&mut c, Some(&password)))
    };
    let login = |password: &str| login_for("extensions.list", password);

    let wrong = login("not-the-password");
    assert_eq!(wrong.code, 3, "{}", wrong.stderr);
    assert!(!wrong.stderr.contains("not-the-password"));

    let r = login("admin");
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains("session ended"),
        "the web session is logged out after the command: {}",
        r.stderr
    );
    let key = r.stdout.trim().to_owned();
    assert_eq!(key.len(), 64, "{}", r.stdout);
    assert!(!r.stderr.contains("admin\n"));
    let mut works = mikopbx(&config);
    works
        .args([
            "api",
            "GET",
            "/pbxcore/api/v3/extensions?limit=1",
            "--url",
            sim.url(),
            "--ca-cert",
        ])
        .arg(&ca)
        .env("MIKOPBX_API_KEY", &key);
    let r = tokio::task::block_in_place(|| run(&mut works, None));
    assert_eq!(r.code, 0, "the new key works: {}", r.stderr);

    // A command that fails after the login still ends the session.
    let r = login_for("no.such_operation", "admin");
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("session ended"), "{}", r.stderr);

    // Without a terminal and without --password-stdin there is nobody to ask: a usage error.
    let mut no_tty = mikopbx(&config);
    no_tty
        .args([
            "keys",
            "list",
            "--user",
            "admin",
            "--url",
            sim.url(),
            "--ca-cert",
        ])
        .arg(&ca);
    let r = tokio::task::block_in_place(|| run(&mut no_tty, None));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("--password-stdin"), "{}", r.stderr);

    // Commands that need a key say so instead of logging in.
    let mut call = mikopbx(&config);
    call.args(["call", "201", "100", "--user", "admin", "--url", sim.url()])
        .env("MIKOPBX_AMI_USERNAME", "x")
        .env("MIKOPBX_AMI_SECRET", "y");
    let r = tokio::task::block_in_place(|| run(&mut call, None));
    assert_eq!(r.code, 2, "{}", r.stderr);
}

/// The password typed at a real terminal: asked for, not echoed, used once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_password_prompt_in_a_real_terminal_does_not_echo() {
    if Command::new("tmux").arg("-V").output().is_err() {
        eprintln!("skipped: tmux is not installed");
        return;
    }
    let sim = Simulator::builder().start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, sim.ca_pem()).unwrap();
    let socket = dir.path().join("tmux.sock");
    let done = dir.path().join("done");
    let script = format!(
        "env -u MIKOPBX_API_KEY -u MIKOPBX_URL MIKOPBX_CONFIG={config} {bin} keys list \
         --user admin --url {url} --ca-cert {ca}; echo \"exit=$?\" > {done}; sleep 30",
        config = dir.path().join("profiles.toml").display(),
        bin = env!("CARGO_BIN_EXE_mikopbx"),
        url = sim.url(),
        ca = ca.display(),
        done = done.display(),
    );
    let tmux = |args: &[&str]| {
        Command::new("tmux")
            .arg("-S")
            .arg(&socket)
            .args(args)
            .output()
            .expect("tmux runs")
    };
    let started = tmux(&["new-session", "-d", "-x", "120", "-y", "30", &script]);
    assert!(started.status.success(), "{started:?}");
    let pane = || String::from_utf8_lossy(&tmux(&["capture-pane", "-p"]).stdout).into_owned();
    let wait_for = |what: &dyn Fn(&str) -> bool| {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let text = pane();
            if what(&text) || Instant::now() > deadline {
                return text;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    };
    let text =
        tokio::task::block_in_place(|| wait_for(&|t: &str| t.contains("Password for admin")));
    assert!(text.contains("Password for admin on "), "{text}");
    tmux(&["send-keys", "admin", "Enter"]);
    tokio::task::block_in_place(|| {
        let deadline = Instant::now() + Duration::from_secs(60);
        while !done.exists() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(100));
        }
    });
    let text = pane();
    tmux(&["kill-server"]);
    assert_eq!(
        std::fs::read_to_string(&done).unwrap_or_default().trim(),
        "exit=0",
        "{text}"
    );
    let prompt_line = text
        .lines()
        .find(|l| l.contains("Password for admin"))
        .expect("the prompt stays on screen");
    assert!(
        !prompt_line.trim_end().ends_with("admin"),
        "the password was echoed: {prompt_line:?}"
    );
    assert!(
        text.contains("mikopbx-sim admin key"),
        "the key list after the login: {text}"
    );
}

#[test]
fn completions_man_page_and_exit_codes_are_generated_from_the_commands() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("profiles.toml");
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let r = run(mikopbx(&config).args(["completions", shell]), None);
        assert_eq!(r.code, 0, "{shell}: {}", r.stderr);
        for word in ["keys", "profile", "recordings"] {
            assert!(r.stdout.contains(word), "{shell} completes {word}");
        }
    }
    let man = run(mikopbx(&config).arg("man"), None);
    assert_eq!(man.code, 0, "{}", man.stderr);
    assert!(man.stdout.starts_with(".ie") || man.stdout.contains(".TH mikopbx 1"));
    assert!(
        man.stdout.contains("\\-\\-profile"),
        "global flags in the page"
    );

    // The README's table is the binary's table.
    let codes = run(mikopbx(&config).args(["exit-codes", "--json"]), None);
    assert_eq!(codes.code, 0);
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md"))
        .expect("README.md");
    let mut seen = 0;
    for line in codes.stdout.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let row = format!("| {} | {} |", v["code"], v["meaning"].as_str().unwrap());
        assert!(readme.contains(&row), "README.md lacks the row {row}");
        seen += 1;
    }
    assert_eq!(seen, 8);
}
