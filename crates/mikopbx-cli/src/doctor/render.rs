//! The doctor's text: the [`Report`] for a person, section by section, `ok` / `FAIL` / `info`.

use std::fmt::Write;

use super::{How, OperationAccess, Report};

struct Out(String);

impl Out {
    fn line(&mut self, s: &str) {
        self.0.push_str(s);
        self.0.push('\n');
    }
    fn ok(&mut self, s: &str) {
        self.line(&format!("  ok    {s}"));
    }
    fn bad(&mut self, s: &str) {
        self.line(&format!("  FAIL  {s}"));
    }
    fn info(&mut self, s: &str) {
        self.line(&format!("  info  {s}"));
    }
}

fn yes_no(v: Option<bool>, how: How) -> &'static str {
    match (v, how) {
        (Some(true), How::Judged) => "yes*",
        (Some(false), How::Judged) => "no*",
        (Some(true), _) => "yes",
        (Some(false), _) => "no",
        (None, _) => "unknown",
    }
}

fn certificates(o: &mut Out, certs: &[super::Certificate]) {
    for (i, c) in certs.iter().enumerate() {
        let role = if i == 0 {
            "server certificate"
        } else {
            "chain certificate"
        };
        o.info(&format!("{role} #{i}: SHA-256 {}", c.sha256));
    }
}

/// The report as text; `verbose` lists every operation.
pub fn text(r: &Report, verbose: bool) -> String {
    let mut o = Out(String::new());
    o.line("mikopbx doctor");
    o.line(&format!("PBX: {}", r.pbx));

    o.line("\nTLS");
    if r.tls.https {
        certificates(&mut o, &r.tls.certificates);
        match &r.tls.error {
            None => o.ok("certificate verified"),
            Some(e) if r.tls.reachable => {
                o.bad(e);
                if let Some(pin) = &r.tls.pin {
                    o.info(&format!(
                        "to pin this certificate after checking it on the PBX: MIKOPBX_CERT_SHA256={pin}"
                    ));
                }
            }
            Some(e) => o.bad(&format!("unreachable: {e}")),
        }
    } else {
        o.info("plain http to a loopback address (allowed for integrations on the PBX itself)");
    }

    if let Some(api) = &r.api {
        o.line("\nAPI");
        match &api.error {
            None => o.ok("system:ping answered"),
            Some(e) => o.bad(e),
        }
        o.info(&format!(
            "the PBX sees this client as {}",
            if api.localhost_source {
                "localhost (127.0.0.1/::1)"
            } else {
                "a remote address"
            }
        ));
    }

    if let Some(key) = &r.key {
        key_section(&mut o, r, key, verbose);
    }

    if let Some(a) = &r.ajam {
        ajam_section(&mut o, a);
    }

    o.line("");
    match &r.problem {
        None => o.line("usable: yes"),
        Some(p) => o.line(&format!("usable: no ({p}; exit code {})", r.exit_code)),
    }
    o.0
}

fn key_section(o: &mut Out, r: &Report, key: &super::KeySection, verbose: bool) {
    o.line("\nAPI key");
    if !key.present {
        o.bad(key.error.as_deref().unwrap_or("no API key"));
        return;
    }
    if key.own_record {
        let what = if key.full_permissions == Some(true) {
            "full permissions".to_owned()
        } else {
            let paths = key.allowed_paths.clone().unwrap_or_default();
            if paths.is_empty() {
                "no permission".to_owned()
            } else {
                paths
                    .iter()
                    .map(|(p, a)| format!("{p}={a}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        };
        o.ok(&format!("the key read its own record: {what}"));
        if let Some(n) = &key.network_filter {
            o.info(&format!("network filter: {n}"));
        }
    } else {
        o.info(
            "the key cannot read api-keys, so its permissions and network filter are unknown; judging from probes",
        );
    }
    match (key.valid, &key.error) {
        (Some(false), Some(e)) => o.bad(&format!("the PBX refused the key: {e}")),
        (Some(true), _) => o.ok("the key is valid"),
        _ => o.info("nothing said whether the key is valid"),
    }

    o.line("\nPermissions (reads probed; writes judged from the key's record, never tried)");
    o.line(&format!(
        "  {:<28} {:<8} {:<8}",
        "resource", "read", "write"
    ));
    for p in &r.permissions {
        if p.read.is_some() || p.write.is_some() {
            o.line(&format!(
                "  {:<28} {:<8} {:<8}",
                p.label,
                yes_no(p.read, p.read_how),
                yes_no(p.write, p.write_how)
            ));
        }
    }
    if key.own_record {
        o.info("* judged from the key's record (no read probe for that resource in the SDK, or a write)");
    } else {
        o.info(
            "resources without a probe in the SDK are not listed; give the key Read on api-keys for the full picture",
        );
    }

    operations_section(o, &r.operations, key.own_record, verbose);
}

fn operations_section(o: &mut Out, ops: &[OperationAccess], judged: bool, verbose: bool) {
    let allowed = ops.iter().filter(|op| op.allowed == Some(true)).count();
    o.line(&format!(
        "\nOperations ({allowed} of the {} in `mikopbx operations` allowed; {})",
        ops.len(),
        if judged {
            "judged from the key's record as the SDK's pre-check does, never tried"
        } else {
            "reads from each resource's probe, writes unknown: give the key Read on api-keys to judge them"
        }
    ));
    // One line per resource, in catalogue order.
    let mut resources: Vec<&str> = Vec::new();
    for op in ops {
        if !resources.contains(&op.resource) {
            resources.push(op.resource);
        }
    }
    for res in resources {
        let mine: Vec<&OperationAccess> = ops.iter().filter(|op| op.resource == res).collect();
        let yes = mine.iter().filter(|op| op.allowed == Some(true)).count();
        let refused: Vec<&str> = mine
            .iter()
            .filter(|op| op.allowed == Some(false))
            .map(|op| op.name)
            .collect();
        let unknown = mine.iter().filter(|op| op.allowed.is_none()).count();
        let noun = if mine.len() == 1 {
            "operation"
        } else {
            "operations"
        };
        let mut line = format!("  {res:<28} {yes}/{} {noun}", mine.len());
        if unknown > 0 {
            let _ = write!(line, ", {unknown} unknown");
        }
        if !refused.is_empty() && !verbose {
            if refused.len() == mine.len() {
                line.push_str("; none allowed");
            } else {
                let _ = write!(line, "; refused: {}", refused.join(", "));
            }
        }
        o.line(&line);
        if verbose {
            for op in mine {
                o.line(&format!(
                    "      {:<8} {} ({}, {})",
                    yes_no(op.allowed, op.how),
                    op.name,
                    op.access,
                    match op.how {
                        How::Probed => "probed",
                        How::Judged => "judged",
                        How::Unknown => "unknown",
                    }
                ));
            }
        }
    }
}

fn ajam_section(o: &mut Out, a: &super::AjamSection) {
    o.line(&format!(
        "\nAsterisk TLS port {} (AJAM: click-to-call and call events)",
        a.port
    ));
    if !a.reachable {
        o.info(&format!(
            "not reachable ({}): click-to-call and AJAM events are unavailable from here: open \
             AJAMPortTLS ({}) in the PBX firewall for this address, or give --ajam-port if the \
             PBX uses another port; the REST API does not need it",
            a.error.as_deref().unwrap_or("no answer"),
            a.port
        ));
        return;
    }
    certificates(o, &a.certificates);
    let trust = if a.pinned {
        "with --ajam-cert-sha256"
    } else {
        "with the web port's trust"
    };
    match &a.error {
        None => o.ok(&format!("certificate verified {trust}")),
        Some(e) => o.bad(e),
    }
    match a.same_certificate_as_web {
        Some(true) => o.ok("the same certificate as the web port"),
        Some(false) => o.info(
            "another certificate than the web port's (the PBX's fallback mode: 443 and 8089 \
             present different certificates)",
        ),
        None => {}
    }
    if let Some(pin) = &a.pin {
        o.info(&format!(
            "to pin this port's certificate after checking it on the PBX: --ajam-cert-sha256 {pin} \
             (the SDK's ajam_cert_sha256 / pin_ajam_certificate_sha256, for click-to-call)"
        ));
    }
    match (a.asterisk, &a.answer) {
        (Some(true), Some(answer)) => o.ok(&format!(
            "Asterisk's HTTP server answered rawman?action=Ping without a session ({answer}): AJAM is on"
        )),
        (Some(false), Some(answer)) => o.info(&format!(
            "rawman?action=Ping was not answered as Asterisk's manager does ({answer}): is this \
             AJAMPortTLS, and is AJAM enabled on the PBX?"
        )),
        _ => {}
    }
}
