//! Learn mode end to end with the real binary: an integration (here `mikopbx api`) run with
//! `MIKOPBX_RECORD_USAGE=FILE`, then `keys create --from-usage FILE` and `keys audit ID --usage
//! FILE` against the simulator.

use std::path::Path;
use std::process::Command;

use mikopbx_sim::{RunningSimulator, Simulator};

/// `mikopbx <args>` against `sim` with its admin key (MIKOPBX_* variables), learn mode off.
fn against(sim: &RunningSimulator, ca: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_mikopbx"));
    c.args(args)
        .env("MIKOPBX_URL", sim.url())
        .env("MIKOPBX_API_KEY", sim.admin_key())
        .env("MIKOPBX_CA_CERT", ca)
        .env_remove("MIKOPBX_CERT_SHA256")
        .env_remove("MIKOPBX_RECORD_USAGE");
    c
}

/// Exit code, stdout, stderr.
fn run(mut cmd: Command) -> (i32, String, String) {
    let out = tokio::task::block_in_place(|| cmd.output().expect("mikopbx runs"));
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recorded_integration_gets_exactly_its_key_and_audits_against_it() {
    let sim = Simulator::builder().cdr_records(20).start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, sim.ca_pem()).unwrap();
    let file = dir.path().join("usage.txt");
    let file_arg = file.to_str().unwrap();

    // The "integration": three processes sharing one file through the variable.
    for (method, path) in [
        ("GET", "/pbxcore/api/v3/extensions?limit=1"),
        ("GET", "/pbxcore/api/v3/cdr?limit=1"),
        ("GET", "/pbxcore/api/v3/extensions?limit=2"),
    ] {
        let mut c = against(&sim, &ca, &["api", method, path]);
        c.env("MIKOPBX_RECORD_USAGE", &file);
        let (code, _, err) = run(c);
        assert_eq!(code, 0, "{err}");
    }
    // A module's endpoint: the simulator has none (404), but the call was made, so it counts.
    let mut c = against(
        &sim,
        &ca,
        &[
            "api",
            "POST",
            "/pbxcore/api/v3/module-example/tasks?token=abc",
            "--data",
            "{}",
        ],
    );
    c.env("MIKOPBX_RECORD_USAGE", &file);
    let (code, _, _) = run(c);
    assert_ne!(code, 0);
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.starts_with("# mikopbx usage v1\n"), "{text}");
    assert!(
        !text.contains(sim.admin_key()) && !text.contains("abc"),
        "{text}"
    );
    assert_eq!(
        text.matches("extensions.list").count(),
        2,
        "one per process"
    );

    // The least-privilege key for it.
    let (code, out, err) = run(against(
        &sim,
        &ca,
        &[
            "keys",
            "create",
            "--from-usage",
            file_arg,
            "--network",
            "any",
            "--json",
        ],
    ));
    assert_eq!(code, 0, "{err}");
    let created: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(
        created["allowed_paths"],
        serde_json::json!({
            "/api/v3/extensions": "read",
            "/api/v3/cdr": "read",
            "/api/v3/module-example/tasks": "write",
        })
    );
    let key = created["key"].as_str().unwrap().to_owned();
    let id = created["id"].as_str().unwrap().to_owned();
    let mut with_key = against(&sim, &ca, &["api", "GET", "/pbxcore/api/v3/cdr?limit=1"]);
    with_key.env("MIKOPBX_API_KEY", &key);
    assert_eq!(run(with_key).0, 0, "the integration works with its key");

    // Exactly minimal: exit 0.
    let (code, out, err) = run(against(
        &sim,
        &ca,
        &["keys", "audit", &id, "--usage", file_arg],
    ));
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("exactly the least privilege"), "{out}");
    assert!(!out.contains(&key) && !err.contains(&key));

    // An integration that used less: the key is wider (exit 1; --json says which).
    let less = dir.path().join("less.txt");
    std::fs::write(&less, "# mikopbx usage v1\nextensions.list\n").unwrap();
    let less_arg = less.to_str().unwrap();
    let (code, out, _) = run(against(
        &sim,
        &ca,
        &["keys", "audit", &id, "--usage", less_arg],
    ));
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("unused: /api/v3/cdr: read (never used)"),
        "{out}"
    );
    let (code, out, _) = run(against(
        &sim,
        &ca,
        &["keys", "audit", &id, "--usage", less_arg, "--json"],
    ));
    assert_eq!(code, 1);
    let report: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(report["wider"], true);
    assert_eq!(report["narrower"], false);
    assert_eq!(report["missing"], serde_json::json!([]));
    assert_eq!(report["unused"].as_array().unwrap().len(), 2, "{report}");

    // One that used more: the key lacks something, even if also wider.
    let more = dir.path().join("more.txt");
    std::fs::write(&more, "extensions.list\nemployees.create\n").unwrap();
    let (code, out, err) = run(against(
        &sim,
        &ca,
        &["keys", "audit", &id, "--usage", more.to_str().unwrap()],
    ));
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("missing: /api/v3/employees: write"), "{out}");
    assert!(err.contains("lacks permissions"), "{err}");

    // The admin key (full permissions) is wider than any restricted usage.
    let (code, out, err) = run(against(&sim, &ca, &["keys", "list", "--json"]));
    assert_eq!(code, 0, "{err}");
    let full: Vec<String> = out
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|k| k["full_permissions"] == true)
        .map(|k| k["id"].as_str().unwrap().to_owned())
        .collect();
    let admin_id = full.first().expect("the simulator's admin key is listed");
    let (code, out, _) = run(against(
        &sim,
        &ca,
        &["keys", "audit", admin_id, "--usage", file_arg],
    ));
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("wider: full permissions, where"), "{out}");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn from_usage_refuses_what_no_restricted_key_could_do() {
    let sim = Simulator::builder().start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, sim.ca_pem()).unwrap();
    let file = dir.path().join("usage.txt");
    let arg = file.to_str().unwrap();

    // Exactly one of --for and --from-usage (clap's usage error: exit 2).
    std::fs::write(&file, "extensions.list\n").unwrap();
    let (code, _, err) = run(against(
        &sim,
        &ca,
        &["keys", "create", "--for", "cdr.list", "--from-usage", arg],
    ));
    assert_eq!(code, 2, "{err}");
    let (code, _, err) = run(against(&sim, &ca, &["keys", "create"]));
    assert_eq!(code, 2, "{err}");

    // A legacy module action needs full permissions: no key is made.
    std::fs::write(&file, "extensions.list\nGET /api/modules/{id}/status\n").unwrap();
    let (code, out, err) = run(against(
        &sim,
        &ca,
        &["keys", "create", "--from-usage", arg, "--network", "any"],
    ));
    assert_eq!(code, 1, "{out}{err}");
    assert!(err.contains("no restricted key can make"), "{err}");
    assert!(out.is_empty(), "no key printed: {out}");

    // A bad line is named (a bad argument: exit 2).
    std::fs::write(
        &file,
        "# mikopbx usage v1\nextensions.list\nextensions.lisst\n",
    )
    .unwrap();
    let (code, _, err) = run(against(
        &sim,
        &ca,
        &["keys", "create", "--from-usage", arg, "--network", "any"],
    ));
    assert_eq!(code, 2);
    assert!(err.contains("line 3: unknown operation"), "{err}");
    sim.shutdown().await;
}
