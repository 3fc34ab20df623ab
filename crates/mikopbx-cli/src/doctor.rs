//! `mikopbx doctor`: can this machine use this PBX with this key?
//!
//! Reachability, the TLS chain and the SHA-256 fingerprint to pin, whether the key is valid, per
//! resource whether the key can read (probed, reads only) or write (judged from the key's own
//! record when it can be read, otherwise "unknown"), the network filter, every operation of the
//! catalogue judged the same way, and the Asterisk TLS port (AJAM: click-to-call and call
//! events). Never writes.
//!
//! The checks fill one [`Report`]; the text and `--json` are two renderings of it
//! ([`render`]), so they cannot disagree. The exit code is the blocking problem's
//! ([`crate::exit`]): 5 a refused certificate (the web port's, or the Asterisk port's), 6 an
//! unreachable PBX, 3 a refused key, 1 anything else; 0 when usable.

mod render;

use clap::Args;
use mikopbx::{
    Access, Client, DEFAULT_AJAM_PORT, ErrorKind, OperationSpec, Permissions, Resource, TlsReport,
};
use serde::Serialize;
use std::process::ExitCode;

use crate::connect::ConnectArgs;
use crate::exit;

/// `doctor`'s flags: the connection, the Asterisk port, and how to print.
#[derive(Args, Debug)]
pub struct DoctorArgs {
    #[command(flatten)]
    connect: ConnectArgs,
    /// The PBX's Asterisk TLS port (AJAMPortTLS), checked on the URL's host.
    #[arg(long, default_value_t = DEFAULT_AJAM_PORT, value_name = "PORT",
          value_parser = clap::value_parser!(u16).range(1..))]
    ajam_port: u16,
    /// SHA-256 pin of the Asterisk port's certificate, when it is not the web port's (the PBX's
    /// fallback mode); without it that port is checked with the web port's trust.
    #[arg(long, value_name = "SHA256")]
    ajam_cert_sha256: Option<String>,
    /// List every operation, not only a summary per resource.
    #[arg(long, short)]
    verbose: bool,
    /// Print one JSON object with every section instead of text.
    #[arg(long)]
    json: bool,
}

/// What the doctor found. Serialised as is by `--json`.
#[derive(Serialize, Debug)]
pub struct Report {
    /// `scheme://host[:port]` of the PBX.
    pbx: String,
    /// No section failed: exit code 0.
    usable: bool,
    /// The exit code (the blocking problem's, 0 when usable).
    exit_code: u8,
    /// The first problem that blocks, in words.
    problem: Option<String>,
    tls: TlsSection,
    /// `None` when TLS already blocked.
    api: Option<ApiSection>,
    /// `None` when the PBX could not be reached.
    key: Option<KeySection>,
    /// Per resource; empty when the key could not be checked.
    permissions: Vec<ResourceAccess>,
    /// Every operation of `mikopbx operations`; empty when the key could not be checked.
    operations: Vec<OperationAccess>,
    /// `None` for plain http (no Asterisk TLS port to check).
    ajam: Option<AjamSection>,
}

#[derive(Serialize, Debug)]
struct Certificate {
    sha256: String,
}

#[derive(Serialize, Debug)]
struct TlsSection {
    /// `false` for plain http to a loopback address.
    https: bool,
    /// Something accepted a connection (`false` also for plain http, where nothing is checked).
    reachable: bool,
    verified: Option<bool>,
    certificates: Vec<Certificate>,
    error: Option<String>,
    /// The `MIKOPBX_CERT_SHA256` value to pin when verification failed.
    pin: Option<String>,
}

#[derive(Serialize, Debug)]
struct ApiSection {
    ping: bool,
    error: Option<String>,
    /// Whether the PBX sees this client as localhost (127.0.0.1/::1).
    localhost_source: bool,
}

#[derive(Serialize, Debug)]
struct KeySection {
    present: bool,
    /// Whether the key could read its own record in `api-keys`.
    own_record: bool,
    full_permissions: Option<bool>,
    /// The record's `allowed_paths` (empty for a full key), when read.
    allowed_paths: Option<std::collections::BTreeMap<String, String>>,
    network_filter: Option<String>,
    /// `None` when nothing said either way.
    valid: Option<bool>,
    error: Option<String>,
}

/// How an answer was reached.
#[derive(Serialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum How {
    /// A read of the resource was tried.
    Probed,
    /// From the key's own record, as the SDK's pre-check decides (public operations: always).
    Judged,
    /// Nothing to go on.
    Unknown,
}

#[derive(Serialize, Debug)]
struct ResourceAccess {
    resource: &'static str,
    label: &'static str,
    read: Option<bool>,
    read_how: How,
    write: Option<bool>,
    write_how: How,
}

#[derive(Serialize, Debug)]
struct OperationAccess {
    name: &'static str,
    resource: &'static str,
    access: &'static str,
    allowed: Option<bool>,
    how: How,
}

#[derive(Serialize, Debug)]
struct AjamSection {
    port: u16,
    /// Whether `--ajam-cert-sha256` was the trust for this port.
    pinned: bool,
    /// Something accepted a connection there.
    reachable: bool,
    verified: Option<bool>,
    same_certificate_as_web: Option<bool>,
    certificates: Vec<Certificate>,
    /// Whether the unauthenticated `rawman?action=Ping` got Asterisk's manager answer.
    asterisk: Option<bool>,
    /// The HTTP status and the first AMI lines of that answer.
    answer: Option<String>,
    error: Option<String>,
    /// The `--ajam-cert-sha256` / `ajam_cert_sha256` value to pin, when this port needs its own.
    pin: Option<String>,
}

/// The first blocking problem: its exit code and what it was.
struct Block {
    code: u8,
    what: String,
}

fn block(blocked: &mut Option<Block>, code: u8, what: impl Into<String>) {
    if blocked.is_none() {
        *blocked = Some(Block {
            code,
            what: what.into(),
        });
    }
}

fn bare_pin(sha256: &str) -> String {
    sha256.replace(':', "")
}

fn certificates(report: &TlsReport) -> Vec<Certificate> {
    report
        .certificates
        .iter()
        .map(|c| Certificate {
            sha256: c.sha256.clone(),
        })
        .collect()
}

pub async fn run(args: DoctorArgs) -> ExitCode {
    if let Some(pin) = &args.ajam_cert_sha256
        && let Err(e) = mikopbx::transport::parse_pin(pin)
    {
        return exit::Failure::usage(format!("--ajam-cert-sha256: {e}")).report();
    }
    // One attempt and a short timeout: the doctor reports what happens, it does not insist.
    let client = match args.connect.builder().and_then(|b| {
        Ok(b.max_retries(0)
            .timeout(std::time::Duration::from_secs(15))
            .build()?)
    }) {
        Ok(c) => c,
        Err(f) => return f.report(),
    };
    let report = examine(&client, &args).await;
    if args.json {
        match serde_json::to_string_pretty(&report) {
            Ok(json) => println!("{json}"),
            Err(e) => return exit::Failure::from(format!("cannot print JSON: {e}")).report(),
        }
    } else {
        print!("{}", render::text(&report, args.verbose));
    }
    exit::code(report.exit_code)
}

async fn examine(client: &Client, args: &DoctorArgs) -> Report {
    let mut blocked = None;
    let https = client.base_url().starts_with("https://");

    let web = if https {
        Some(client.inspect_tls().await)
    } else {
        None
    };
    let tls = match &web {
        None => TlsSection {
            https: false,
            reachable: false,
            verified: None,
            certificates: Vec::new(),
            error: None,
            pin: None,
        },
        Some(r) => {
            let mut s = TlsSection {
                https: true,
                reachable: !matches!(
                    r.outcome.as_ref().map_err(|e| e.kind()),
                    Err(ErrorKind::Connect | ErrorKind::Timeout)
                ),
                verified: Some(r.outcome.is_ok()),
                certificates: certificates(r),
                error: None,
                pin: None,
            };
            if let Err(e) = &r.outcome {
                s.error = Some(e.to_string());
                if e.kind() == ErrorKind::Tls {
                    s.pin = r.certificates.first().map(|c| bare_pin(&c.sha256));
                    block(
                        &mut blocked,
                        exit::TLS,
                        "the web port's certificate was refused",
                    );
                } else {
                    block(
                        &mut blocked,
                        exit::for_kind(e.kind()),
                        "the PBX could not be reached",
                    );
                }
            }
            s
        }
    };

    // The Asterisk port is checked whatever REST said: it is another listener.
    let ajam = match &web {
        Some(web) => Some(ajam_section(client, args, web, &mut blocked).await),
        None => None,
    };

    let mut report = Report {
        pbx: client.base_url().to_owned(),
        usable: false,
        exit_code: exit::FAILURE,
        problem: None,
        tls,
        api: None,
        key: None,
        permissions: Vec::new(),
        operations: Vec::new(),
        ajam,
    };
    // A refused web certificate blocks the API; a refused Asterisk certificate does not.
    let web_blocked = report.tls.error.is_some();
    if !web_blocked {
        let ping = client.system().ping().await;
        if let Err(e) = &ping {
            block(
                &mut blocked,
                exit::for_kind(e.kind()),
                "system:ping did not answer",
            );
        }
        report.api = Some(ApiSection {
            ping: ping.is_ok(),
            error: ping.err().map(|e| e.to_string()),
            localhost_source: client.is_localhost_source(),
        });
        if report.api.as_ref().is_some_and(|a| a.ping) {
            check_key(client, &mut report, &mut blocked).await;
        }
    }
    report.usable = blocked.is_none();
    report.exit_code = blocked.as_ref().map_or(exit::SUCCESS, |b| b.code);
    report.problem = blocked.map(|b| b.what);
    report
}

async fn ajam_section(
    client: &Client,
    args: &DoctorArgs,
    web: &TlsReport,
    blocked: &mut Option<Block>,
) -> AjamSection {
    let pin = args
        .ajam_cert_sha256
        .as_deref()
        .filter(|p| !p.trim().is_empty());
    let r = client.inspect_ajam_tls(args.ajam_port, pin).await;
    let kind = r.outcome.as_ref().err().map(|e| e.kind());
    let reachable = !matches!(
        kind,
        Some(ErrorKind::Connect | ErrorKind::Timeout | ErrorKind::Config)
    );
    let leaf = r.certificates.first().map(|c| c.sha256.clone());
    let same = match (&leaf, web.certificates.first()) {
        (Some(a), Some(w)) => Some(*a == w.sha256),
        _ => None,
    };
    let asterisk = r.answer.as_ref().map(|a| {
        // Asterisk's manager (`manager.c`, `process_message`): before a login every action but
        // Login/Logoff/Challenge is answered `Response: Error` / `Message: Permission denied`,
        // in a new session (`mansession_id` cookie). Nothing else answers that way.
        a.status == 200
            && a.cookie_names.iter().any(|c| c == "mansession_id")
            && a.body.lines().any(|l| l.starts_with("Response:"))
    });
    let answer = r.answer.as_ref().map(|a| {
        let lines: Vec<&str> = a
            .body
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .take(2)
            .collect();
        format!("HTTP {}: {}", a.status, lines.join(" / "))
    });
    let mut s = AjamSection {
        port: args.ajam_port,
        pinned: pin.is_some(),
        reachable,
        verified: reachable.then_some(r.outcome.is_ok()),
        same_certificate_as_web: same,
        certificates: certificates(&r),
        asterisk,
        answer,
        error: r.outcome.as_ref().err().map(|e| e.to_string()),
        pin: None,
    };
    match kind {
        Some(ErrorKind::Config) => block(blocked, exit::USAGE, "--ajam-port/--ajam-cert-sha256"),
        Some(ErrorKind::Tls) => {
            s.pin = leaf.as_deref().map(bare_pin);
            block(
                blocked,
                exit::TLS,
                "the Asterisk port's certificate was refused",
            );
        }
        // A verified port serving another certificate: click-to-call needs this pin.
        None if same == Some(false) && !s.pinned => s.pin = leaf.as_deref().map(bare_pin),
        _ => {}
    }
    s
}

async fn check_key(client: &Client, report: &mut Report, blocked: &mut Option<Block>) {
    if !client.has_api_key() {
        report.key = Some(KeySection {
            present: false,
            own_record: false,
            full_permissions: None,
            allowed_paths: None,
            network_filter: None,
            valid: None,
            error: Some("no API key (set MIKOPBX_API_KEY or --api-key-file)".into()),
        });
        block(blocked, exit::FAILURE, "no API key");
        return;
    }
    let own = client.read_own_permissions().await;
    let mut probes = Vec::new();
    for r in Resource::ALL.iter().copied() {
        probes.push((r, client.probe_read(r).await));
    }
    let probed = |r: Resource| probes.iter().find(|(p, _)| *p == r).and_then(|(_, v)| *v);

    report.permissions = probes
        .iter()
        .map(|&(r, probe)| {
            let (read, read_how) = match (probe, &own) {
                (Some(ok), _) => (Some(ok), How::Probed),
                (None, Some(p)) => (Some(holds(p, r, Access::Read)), How::Judged),
                (None, None) => (None, How::Unknown),
            };
            let (write, write_how) = match &own {
                Some(p) => (Some(holds(p, r, Access::Write)), How::Judged),
                None => (None, How::Unknown),
            };
            ResourceAccess {
                resource: r.segment(),
                label: r.label(),
                read,
                read_how,
                write,
                write_how,
            }
        })
        .collect();
    report.operations = mikopbx::operations::OPERATIONS
        .iter()
        .map(|op| {
            let (allowed, how) = judge(op, own.as_ref(), probed(op.resource));
            OperationAccess {
                name: op.name,
                resource: op.resource.segment(),
                access: op.access.as_str(),
                allowed,
                how,
            }
        })
        .collect();

    let any_accepted = probes.iter().any(|(_, p)| *p == Some(true));
    let mut key = KeySection {
        present: true,
        own_record: own.is_some(),
        full_permissions: own.as_ref().map(Permissions::is_full),
        allowed_paths: own.as_ref().map(Permissions::to_allowed_paths),
        network_filter: own
            .as_ref()
            .and_then(|p| p.network())
            .map(ToString::to_string),
        valid: (own.is_some() || any_accepted).then_some(true),
        error: None,
    };
    if key.valid.is_none() {
        // Nothing the key holds answered: ask the PBX about the key itself.
        match client.system().check_auth().await {
            Ok(()) => key.valid = Some(true),
            Err(e) => {
                block(blocked, exit::for_kind(e.kind()), "the PBX refused the key");
                key.valid = Some(false);
                key.error = Some(e.to_string());
            }
        }
    }
    report.key = Some(key);
}

fn holds(p: &Permissions, r: Resource, a: Access) -> bool {
    p.access_for(r).is_some_and(|held| held.includes(a))
}

/// Whether the key may perform `op`: from its own record exactly as the SDK's pre-check decides
/// (`Permissions::allows`, public operations always), else a read from its resource's probe.
fn judge(
    op: &OperationSpec,
    own: Option<&Permissions>,
    probe: Option<bool>,
) -> (Option<bool>, How) {
    match own {
        Some(p) => (Some(p.allows(op)), How::Judged),
        None if op.public => (Some(true), How::Judged),
        None => match probe {
            Some(ok) if op.access == Access::Read => (Some(ok), How::Probed),
            _ => (None, How::Unknown),
        },
    }
}
