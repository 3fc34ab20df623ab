//! CRM screen-pop and call note, with click-to-call.
//!
//! While a call rings, find the caller among the employees (a CRM would search its contacts
//! too) and "pop" their card; when the call ends, write a call note with the recording beside
//! it. With `--call FROM TO` it first places a click-to-call (the agent's phone rings, then the
//! PBX dials the number) and follows that call.
//!
//! ```text
//! MIKOPBX_URL=https://pbx.example.com MIKOPBX_API_KEY=… [MIKOPBX_CA_CERT=ca.pem] \
//!   [MIKOPBX_AMI_USERNAME=crm-c2c MIKOPBX_AMI_SECRET=… MIKOPBX_AJAM_PORT=8089] \
//!   cargo run -p mikopbx --example crm_screen_pop -- --extension 201 --notes ./notes \
//!     [--calls 1] [--call 201 +79161234567]
//! ```
//! The key needs only read on `pbx-status`, `cdr` and `employees`; click-to-call needs an
//! Asterisk manager login (create one with `asterisk_managers().create_click_to_call_manager`).
//! Each finished call becomes `notes/<linkedid>.json`, its recording `notes/<linkedid>.<ext>`.

use std::collections::HashMap;
use std::path::PathBuf;

use mikopbx::{
    CallEventType, Client, ClientBuilder, EmployeeQuery, ErrorKind, Permissions, WatchOptions,
    operations,
};

struct Args {
    extensions: Vec<String>,
    notes: PathBuf,
    calls: usize,
    call: Option<(String, String)>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        extensions: Vec::new(),
        notes: PathBuf::from("notes"),
        calls: 0,
        call: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--extension" => args.extensions.push(value()?),
            "--notes" => args.notes = PathBuf::from(value()?),
            "--calls" => args.calls = value()?.parse().map_err(|_| "--calls: a number")?,
            "--call" => {
                let from = value()?;
                let to = it.next().ok_or("--call needs FROM and TO")?;
                args.call = Some((from, to));
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(args)
}

/// Extension number → employee name.
async fn directory(pbx: &Client) -> Result<HashMap<String, String>, mikopbx::Error> {
    let employees = pbx
        .employees()
        .list(EmployeeQuery::default())
        .collect_all()
        .await?;
    Ok(employees
        .into_iter()
        .filter(|e| !e.number.is_empty())
        .map(|e| (e.number, e.user_username))
        .collect())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = parse_args()?;
    let needed = Permissions::minimal_for(&[
        &operations::PBX_STATUS_ACTIVE_CHANNELS,
        &operations::CDR_LIST,
        &operations::EMPLOYEES_LIST,
    ]);
    eprintln!("this integration needs: {needed}");
    let mut builder = ClientBuilder::from_env()?.user_agent_suffix("crm-screen-pop/1.0");
    if let (Ok(user), Ok(secret)) = (
        std::env::var("MIKOPBX_AMI_USERNAME"),
        std::env::var("MIKOPBX_AMI_SECRET"),
    ) {
        builder = builder.asterisk_manager(user, secret);
        if let Ok(port) = std::env::var("MIKOPBX_AJAM_PORT") {
            builder = builder.ajam_port(port.parse().map_err(|_| "MIKOPBX_AJAM_PORT: a port")?);
        }
    }
    let pbx = builder.build()?;
    std::fs::create_dir_all(&args.notes)?;
    let names = directory(&pbx).await?;

    let mut extensions = args.extensions.clone();
    if let Some((from, _)) = &args.call {
        extensions.push(from.clone());
    }
    let watcher = pbx.calls().watch(WatchOptions {
        extensions,
        poll_interval_ms: Some(1000),
        ..Default::default()
    })?;
    let placed = match &args.call {
        Some((from, to)) => {
            let linkedid = pbx.calls().originate(from, to).await?;
            println!("calling {to} from {from}: {linkedid}");
            Some(linkedid)
        }
        None => None,
    };

    let mut finished = 0;
    loop {
        let event = match watcher.next_event().await {
            Ok(e) => e,
            // A failed poll loses nothing: the next call polls again.
            Err(e) if matches!(e.kind(), ErrorKind::Connect | ErrorKind::Timeout) => {
                eprintln!("poll failed ({e}); retrying");
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        if placed.as_ref().is_some_and(|id| *id != event.linkedid) {
            continue;
        }
        match event.event_type {
            CallEventType::Ringing => {
                let who = names
                    .get(&event.caller)
                    .map_or("unknown caller", String::as_str);
                println!("ringing {}: {} ({who})", event.extension, event.caller);
            }
            CallEventType::Ended => {
                let mut note = serde_json::json!({
                    "linkedid": event.linkedid,
                    "caller": event.caller,
                    "called": event.called,
                    "disposition": event.disposition,
                    "talk_seconds": event.billsec,
                });
                // An answered call's recording may still be converting: the handle waits
                // (bounded) until the PBX publishes it; NotFound means there is none.
                let answered = event.disposition.as_deref() == Some("ANSWERED");
                if let Some(cdr) = event.cdr.as_ref().filter(|_| answered) {
                    match pbx
                        .cdr()
                        .recording(cdr)
                        .save_into(&args.notes, &event.linkedid)
                        .await
                    {
                        Ok((path, info)) => {
                            note["recording"] = serde_json::json!({
                                "file": path.file_name().map(|f| f.to_string_lossy().into_owned()),
                                "content_type": info.content_type,
                                "bytes": info.size,
                            });
                        }
                        Err(e) => note["recording_error"] = e.to_string().into(),
                    }
                }
                let path = args.notes.join(format!("{}.json", event.linkedid));
                std::fs::write(&path, serde_json::to_string_pretty(&note)?)?;
                println!("ended {}: note {}", event.linkedid, path.display());
                finished += 1;
                if args.calls > 0 && finished >= args.calls {
                    return Ok(());
                }
            }
            _ => {}
        }
    }
}
