//! `mikopbx doctor` end to end against the simulator (configured through the MIKOPBX_*
//! variables, which also exercises `Client::from_env`): the web port's TLS, the key, every
//! operation of the catalogue, the Asterisk TLS port, `--json`, and the exit codes.

use std::path::Path;
use std::process::Command;

use mikopbx::{Access, ApiKey, Client, NetworkFilter, NewApiKey, Permissions, Resource};
use mikopbx_sim::{RunningSimulator, Simulator};
use serde_json::Value;

struct Outcome {
    code: i32,
    stdout: String,
    /// stdout then stderr.
    all: String,
}

fn run(mut cmd: Command) -> Outcome {
    let out = tokio::task::block_in_place(|| cmd.output().expect("mikopbx runs"));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let all = format!("{stdout}{}", String::from_utf8_lossy(&out.stderr));
    Outcome {
        code: out.status.code().unwrap_or(-1),
        stdout,
        all,
    }
}

/// `mikopbx doctor <args>` against `url` with `key`, trusting `ca` when given.
fn doctor(url: &str, key: &str, ca: Option<&Path>, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_mikopbx"));
    c.arg("doctor")
        .args(args)
        .env("MIKOPBX_URL", url)
        .env("MIKOPBX_API_KEY", key)
        .env_remove("MIKOPBX_CA_CERT")
        .env_remove("MIKOPBX_CERT_SHA256")
        .env_remove("MIKOPBX_PROFILE");
    if let Some(ca) = ca {
        c.env("MIKOPBX_CA_CERT", ca);
    }
    c
}

/// `mikopbx doctor <args>` against `sim` with `key`, trusting its CA, its AJAM port checked.
fn against(sim: &RunningSimulator, ca: &Path, key: &str, args: &[&str]) -> Outcome {
    let port = ajam_port(sim).to_string();
    let mut all = vec!["--ajam-port", &port];
    all.extend_from_slice(args);
    run(doctor(sim.url(), key, Some(ca), &all))
}

fn ajam_port(sim: &RunningSimulator) -> u16 {
    let url = sim.ajam_url().expect("the simulator serves AJAM");
    url.rsplit(':').next().unwrap().parse().unwrap()
}

fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

async fn start(builder: mikopbx_sim::SimulatorBuilder) -> (RunningSimulator, tempfile::TempDir) {
    let sim = builder.cdr_records(50).start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ca.pem"), sim.ca_pem()).unwrap();
    (sim, dir)
}

fn admin(sim: &RunningSimulator) -> Client {
    Client::builder(sim.url())
        .api_key(ApiKey::new(sim.admin_key()))
        .trust_certificate_pem(sim.ca_pem().as_bytes())
        .unwrap()
        .build()
        .unwrap()
}

async fn create_key(sim: &RunningSimulator, p: &Permissions, network: NetworkFilter) -> String {
    let admin = admin(sim);
    let key = admin.api_keys().generate_key().await.unwrap();
    admin
        .api_keys()
        .create(NewApiKey::new("doctor test", key.clone(), Some(p), network))
        .await
        .unwrap();
    key.expose_secret().to_owned()
}

fn json(out: &Outcome) -> Value {
    serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", out.all))
}

/// The text's summary line of every resource says what the JSON says, and the refused
/// operations are the JSON's.
fn text_matches_json(text: &str, report: &Value) {
    let ops = report["operations"].as_array().unwrap();
    let mut resources: Vec<&str> = ops
        .iter()
        .map(|o| o["resource"].as_str().unwrap())
        .collect();
    resources.dedup();
    for res in resources {
        let mine: Vec<&Value> = ops.iter().filter(|o| o["resource"] == res).collect();
        let yes = mine.iter().filter(|o| o["allowed"] == true).count();
        let noun = if mine.len() == 1 {
            "operation"
        } else {
            "operations"
        };
        let line = format!("  {res:<28} {yes}/{} {noun}", mine.len());
        let found = text
            .lines()
            .find(|l| l.starts_with(&line))
            .unwrap_or_else(|| panic!("no {line:?} in {text}"));
        let refused: Vec<&str> = mine
            .iter()
            .filter(|o| o["allowed"] == false)
            .map(|o| o["name"].as_str().unwrap())
            .collect();
        if !refused.is_empty() && refused.len() < mine.len() {
            assert!(
                found.ends_with(&format!("refused: {}", refused.join(", "))),
                "{found}"
            );
        }
    }
    let usable = if report["usable"] == true {
        "usable: yes"
    } else {
        "usable: no"
    };
    assert!(text.contains(usable), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_key_may_perform_every_operation_and_ajam_shares_the_certificate() {
    let (sim, dir) = start(Simulator::builder()).await;
    let ca = dir.path().join("ca.pem");
    let key = sim.admin_key().to_owned();

    let out = against(&sim, &ca, &key, &["--json"]);
    assert_eq!(out.code, 0, "{}", out.all);
    let report = json(&out);
    assert_eq!(report["usable"], true);
    assert_eq!(report["exit_code"], 0);
    assert_eq!(report["tls"]["verified"], true);
    assert_eq!(report["api"]["ping"], true);
    assert_eq!(report["key"]["own_record"], true);
    assert_eq!(report["key"]["full_permissions"], true);
    let ops = report["operations"].as_array().unwrap();
    assert_eq!(ops.len(), mikopbx::operations::OPERATIONS.len());
    for op in ops {
        assert_eq!(op["allowed"], true, "{op}");
        assert_eq!(op["how"], "judged", "{op}");
        for k in ["name", "resource", "access"] {
            assert!(op[k].is_string(), "{op}");
        }
    }
    let ajam = &report["ajam"];
    assert_eq!(ajam["port"], ajam_port(&sim));
    assert_eq!(ajam["reachable"], true);
    assert_eq!(ajam["verified"], true);
    assert_eq!(ajam["same_certificate_as_web"], true);
    assert_eq!(ajam["asterisk"], true, "{ajam}");
    assert_eq!(
        ajam["certificates"][0]["sha256"],
        report["tls"]["certificates"][0]["sha256"]
    );
    assert!(
        ajam["answer"]
            .as_str()
            .unwrap()
            .contains("Permission denied"),
        "Asterisk refuses Ping before a login: {ajam}"
    );
    assert!(ajam["pin"].is_null());

    // The same in text: compact by default, every operation with --verbose.
    let text = against(&sim, &ca, &key, &[]);
    assert_eq!(text.code, 0, "{}", text.all);
    text_matches_json(&text.stdout, &report);
    assert!(
        text.stdout.contains("certificate verified") && text.stdout.contains("SHA-256"),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout.contains("the same certificate as the web port"),
        "{}",
        text.stdout
    );
    assert!(text.stdout.contains("AJAM is on"), "{}", text.stdout);
    assert!(
        !text.stdout.contains("      yes*     extensions.list"),
        "no list of operations by default"
    );
    let verbose = against(&sim, &ca, &key, &["--verbose"]);
    assert!(
        verbose.stdout.contains("extensions.list (read, judged)"),
        "{}",
        verbose.stdout
    );
    for out in [&out, &text, &verbose] {
        assert!(!out.all.contains(&key), "the key is never printed");
    }
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_least_privilege_key_may_perform_only_its_operations() {
    let (sim, dir) = start(Simulator::builder()).await;
    let ca = dir.path().join("ca.pem");
    let granted = [Resource::ApiKeys, Resource::Extensions, Resource::Cdr];
    let p = granted
        .iter()
        .fold(Permissions::none(), |p, r| p.grant(*r, Access::Read));
    let key = create_key(&sim, &p, NetworkFilter::Any).await;

    let out = against(&sim, &ca, &key, &["--json"]);
    assert_eq!(out.code, 0, "{}", out.all);
    let report = json(&out);
    assert_eq!(report["key"]["own_record"], true);
    assert_eq!(report["key"]["full_permissions"], false);
    assert_eq!(report["key"]["allowed_paths"]["/api/v3/cdr"], "read");
    let mut refused = 0;
    for op in report["operations"].as_array().unwrap() {
        let spec = mikopbx::operations::find(op["name"].as_str().unwrap()).unwrap();
        let expected =
            spec.public || (granted.contains(&spec.resource) && spec.access == Access::Read);
        assert_eq!(op["allowed"], expected, "{op}");
        assert_eq!(op["how"], "judged");
        refused += usize::from(!expected);
    }
    assert!(refused > 0);

    let text = against(&sim, &ca, &key, &[]);
    assert_eq!(text.code, 0, "{}", text.all);
    text_matches_json(&text.stdout, &report);
    let extensions_line = text
        .stdout
        .lines()
        .find(|l| l.trim_start().starts_with("extensions "))
        .unwrap();
    assert!(
        extensions_line.contains("refused: extensions."),
        "{extensions_line}"
    );
    assert!(!text.all.contains(&key));

    // A key that cannot read its own record: reads from the probes, writes unknown.
    let blind = create_key(
        &sim,
        &Permissions::none().grant(Resource::Extensions, Access::Read),
        NetworkFilter::Any,
    )
    .await;
    let out = against(&sim, &ca, &blind, &["--json"]);
    assert_eq!(out.code, 0, "{}", out.all);
    let report = json(&out);
    assert_eq!(report["key"]["own_record"], false);
    let ops = report["operations"].as_array().unwrap();
    let find = |name: &str| ops.iter().find(|o| o["name"] == name).unwrap().clone();
    assert_eq!(find("extensions.list")["allowed"], true);
    assert_eq!(find("extensions.list")["how"], "probed");
    assert_eq!(find("cdr.list")["allowed"], false);
    assert_eq!(find("cdr.list")["how"], "probed");
    for op in ops.iter().filter(|o| o["access"] == "write") {
        let public = mikopbx::operations::find(op["name"].as_str().unwrap())
            .unwrap()
            .public;
        if !public {
            assert!(op["allowed"].is_null() && op["how"] == "unknown", "{op}");
        }
    }
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_asterisk_port_is_information_not_a_failure() {
    let (sim, dir) = start(Simulator::builder()).await;
    let ca = dir.path().join("ca.pem");
    let port = closed_port().to_string();
    let key = sim.admin_key();
    let out = run(doctor(sim.url(), key, Some(&ca), &["--ajam-port", &port]));
    assert_eq!(out.code, 0, "REST still works: {}", out.all);
    assert!(
        out.stdout
            .contains("click-to-call and AJAM events are unavailable from here")
            && out.stdout.contains("AJAMPortTLS"),
        "{}",
        out.stdout
    );
    let out = run(doctor(
        sim.url(),
        key,
        Some(&ca),
        &["--ajam-port", &port, "--json"],
    ));
    assert_eq!(out.code, 0);
    let report = json(&out);
    assert_eq!(report["usable"], true);
    assert_eq!(report["ajam"]["reachable"], false);
    assert!(report["ajam"]["verified"].is_null());
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_certificate_on_the_asterisk_port_fails_that_section_and_names_its_pin() {
    // The PBX's fallback mode: nginx and Asterisk each made their own certificate.
    let (sim, dir) = start(Simulator::builder().ajam_fallback_certificate(true)).await;
    let ca = dir.path().join("ca.pem");
    let key = sim.admin_key().to_owned();

    let out = against(&sim, &ca, &key, &["--json"]);
    assert_eq!(out.code, 5, "{}", out.all);
    let report = json(&out);
    assert_eq!(report["usable"], false);
    assert_eq!(report["tls"]["verified"], true, "the web port is fine");
    assert_eq!(report["api"]["ping"], true);
    let ajam = &report["ajam"];
    assert_eq!(ajam["reachable"], true);
    assert_eq!(ajam["verified"], false);
    assert_eq!(ajam["same_certificate_as_web"], false);
    let pin = ajam["pin"].as_str().expect("the pin to use").to_owned();
    assert_eq!(
        pin,
        ajam["certificates"][0]["sha256"]
            .as_str()
            .unwrap()
            .replace(':', "")
    );
    let text = against(&sim, &ca, &key, &[]);
    assert_eq!(text.code, 5);
    text_matches_json(&text.stdout, &report);
    assert!(
        text.stdout.contains(&format!("--ajam-cert-sha256 {pin}"))
            && text.stdout.contains("fallback mode"),
        "{}",
        text.stdout
    );

    // With that pin the port verifies, and it is still not the web port's certificate.
    let out = against(&sim, &ca, &key, &["--ajam-cert-sha256", &pin, "--json"]);
    assert_eq!(out.code, 0, "{}", out.all);
    let report = json(&out);
    assert_eq!(report["ajam"]["verified"], true);
    assert_eq!(report["ajam"]["pinned"], true);
    assert_eq!(report["ajam"]["same_certificate_as_web"], false);
    assert_eq!(report["ajam"]["asterisk"], true);
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doctor_reports_and_fails_when_unusable() {
    let (sim, dir) = start(Simulator::builder()).await;
    let ca = dir.path().join("ca.pem");
    let url = sim.url().to_string();
    let admin_key = sim.admin_key().to_string();
    let port = ajam_port(&sim).to_string();
    let ajam = ["--ajam-port", port.as_str()];

    // Untrusted certificate: exit 5, and the pin to use; the JSON says the same.
    let out = run(doctor(&url, &admin_key, None, &ajam));
    assert_eq!(out.code, 5, "{}", out.all);
    assert!(
        out.stdout.contains("MIKOPBX_CERT_SHA256="),
        "{}",
        out.stdout
    );
    let mut json_args = ajam.to_vec();
    json_args.push("--json");
    let report = json(&run(doctor(&url, &admin_key, None, &json_args)));
    assert_eq!(report["usable"], false);
    assert_eq!(report["tls"]["verified"], false);
    assert!(report["tls"]["pin"].is_string());
    assert!(
        report["api"].is_null(),
        "nothing is sent over a refused certificate"
    );

    // A wrong pin: exit 5.
    let mut c = doctor(&url, &admin_key, None, &ajam);
    c.env("MIKOPBX_CERT_SHA256", "00".repeat(32));
    let out = run(c);
    assert_eq!(out.code, 5, "{}", out.all);

    // Nothing listening at the URL: exit 6.
    let nowhere = format!("https://127.0.0.1:{}", closed_port());
    let out = run(doctor(&nowhere, &admin_key, Some(&ca), &[]));
    assert_eq!(out.code, 6, "{}", out.all);
    let report = json(&run(doctor(&nowhere, &admin_key, Some(&ca), &["--json"])));
    assert_eq!(report["exit_code"], 6);
    assert_eq!(report["tls"]["reachable"], false);
    assert_eq!(report["ajam"]["reachable"], false);

    // A bogus key: exit 3.
    let bogus = "cd".repeat(32);
    let out = run(doctor(&url, &bogus, Some(&ca), &ajam));
    assert_eq!(out.code, 3, "{}", out.all);
    assert!(out.stdout.contains("FAIL"), "{}", out.stdout);
    assert!(!out.all.contains(&bogus));

    // A key limited to the simulator's network filter #1 (127.0.0.2 only) that may read its
    // own record, used from 127.0.0.2: the filter is seen.
    let secret = create_key(
        &sim,
        &Permissions::none()
            .grant(Resource::ApiKeys, Access::Read)
            .grant(Resource::Extensions, Access::Read),
        NetworkFilter::Id { id: 1 },
    )
    .await;
    let mut args = ajam.to_vec();
    args.extend(["--bind", "127.0.0.2"]);
    let out = run(doctor(&url, &secret, Some(&ca), &args));
    assert_eq!(out.code, 0, "{}", out.all);
    assert!(out.stdout.contains("network filter #1"), "{}", out.stdout);
    assert!(out.stdout.contains("a remote address"), "{}", out.stdout);
    assert!(
        out.stdout.contains("Extensions") && out.stdout.contains("no"),
        "{}",
        out.stdout
    );
    assert!(!out.all.contains(&secret) && !out.all.contains(&admin_key));

    // A malformed Asterisk pin is a usage error before anything is sent.
    let out = run(doctor(
        &url,
        &admin_key,
        Some(&ca),
        &["--ajam-cert-sha256", "nope"],
    ));
    assert_eq!(out.code, 2, "{}", out.all);
    sim.shutdown().await;
}
