//! `mikopbx doctor`: can this machine use this PBX with this key?
//!
//! Reachability, the TLS chain and the SHA-256 fingerprint to pin, whether the key is valid, and
//! per resource whether the key can read (probed, reads only) or write (judged from the key's own
//! record when it can be read, otherwise "unknown"), with the network filter. Never writes.

use std::process::ExitCode;

use mikopbx::{Access, ErrorKind, Permissions, Resource};

use crate::connect::ConnectArgs;
use crate::exit;

/// `doctor` takes the connection flags only.
pub type DoctorArgs = ConnectArgs;

fn ok(s: &str) {
    println!("  ok    {s}");
}
fn bad(s: &str) {
    println!("  FAIL  {s}");
}
fn info(s: &str) {
    println!("  info  {s}");
}

pub async fn run(args: DoctorArgs) -> ExitCode {
    println!("mikopbx doctor");
    // One attempt and a short timeout: the doctor reports what happens, it does not insist.
    let b = match args
        .builder()
        .map(|b| b.max_retries(0).timeout(std::time::Duration::from_secs(15)))
    {
        Ok(b) => b,
        Err(f) => {
            bad(&f.message);
            return exit::code(f.code);
        }
    };
    let client = match b.build() {
        Ok(c) => c,
        Err(e) => {
            bad(&e.to_string());
            return ExitCode::FAILURE;
        }
    };
    println!("PBX: {}", client.base_url());
    let mut usable = true;

    // TLS.
    println!("\nTLS");
    if client.base_url().starts_with("https://") {
        let report = client.inspect_tls().await;
        for (i, c) in report.certificates.iter().enumerate() {
            let role = if i == 0 {
                "server certificate"
            } else {
                "chain certificate"
            };
            info(&format!("{role} #{i}: SHA-256 {}", c.sha256));
        }
        match &report.outcome {
            Ok(()) => ok("certificate verified"),
            Err(e) if e.kind() == ErrorKind::Tls => {
                usable = false;
                bad(&e.to_string());
                if let Some(leaf) = report.certificates.first() {
                    info(&format!(
                        "to pin this certificate after checking it on the PBX: MIKOPBX_CERT_SHA256={}",
                        leaf.sha256.replace(':', "")
                    ));
                }
            }
            Err(e) => {
                usable = false;
                bad(&format!("unreachable: {e}"));
            }
        }
    } else {
        info("plain http to a loopback address (allowed for integrations on the PBX itself)");
    }
    if !usable {
        return ExitCode::FAILURE;
    }

    // Reachability.
    println!("\nAPI");
    match client.system().ping().await {
        Ok(()) => ok("system:ping answered"),
        Err(e) => {
            bad(&e.to_string());
            return ExitCode::FAILURE;
        }
    }
    info(&format!(
        "the PBX sees this client as {}",
        if client.is_localhost_source() {
            "localhost (127.0.0.1/::1)"
        } else {
            "a remote address"
        }
    ));

    // Key.
    println!("\nAPI key");
    if !client.has_api_key() {
        bad("no API key (set MIKOPBX_API_KEY or --api-key-file)");
        return ExitCode::FAILURE;
    }
    let own = client.read_own_permissions().await;
    match &own {
        Some(p) => {
            ok(&format!("the key read its own record: {p}"));
            if let Some(n) = p.network() {
                info(&format!("network filter: {n}"));
            }
        }
        None => info(
            "the key cannot read api-keys, so its permissions and network filter are unknown; judging from probes",
        ),
    }

    // Per resource.
    println!("\nPermissions (reads probed; writes judged from the key's record, never tried)");
    println!("  {:<28} {:<8} {:<8}", "resource", "read", "write");
    let mut any_accepted = false;
    let mut any_probe = false;
    for r in Resource::ALL.iter().copied() {
        let probe = client.probe_read(r).await;
        if probe.is_some() {
            any_probe = true;
        }
        if probe == Some(true) {
            any_accepted = true;
        }
        let read = match (probe, &own) {
            (Some(true), _) => "yes",
            (Some(false), _) => "no",
            (None, Some(p)) => judged(p, r, Access::Read),
            (None, None) => "unknown",
        };
        let write = match &own {
            Some(p) => judged(p, r, Access::Write),
            None => "unknown",
        };
        if probe.is_some() || own.is_some() {
            println!("  {:<28} {:<8} {:<8}", r.label(), read, write);
        }
    }
    if own.is_some() {
        info(
            "* judged from the key's record (no read probe for that resource in the SDK, or a write)",
        );
    } else {
        info(
            "resources without a probe in the SDK are not listed; give the key Read on api-keys for the full picture",
        );
    }
    if own.is_none() && any_probe && !any_accepted {
        let check = client.system().check_auth().await;
        match check {
            Err(e) => {
                bad(&format!("every probe was refused: {e}"));
                return ExitCode::FAILURE;
            }
            Ok(()) => ok("system:checkAuth accepted the key"),
        }
    } else {
        ok("the key is valid");
    }
    ExitCode::SUCCESS
}

fn judged(p: &Permissions, r: Resource, a: Access) -> &'static str {
    match p.access_for(r) {
        Some(held) if held.includes(a) => "yes*",
        _ => "no*",
    }
}
