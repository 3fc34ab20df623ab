//! `mikopbx calls watch`: live call events, as a table or as JSON lines (`--json`), through the
//! SDK's watcher (polling `pbx-status` with a key that needs only read on `pbx-status` and `cdr`).

use std::io::Write;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use mikopbx::{CallEvent, ErrorKind, WatchOptions};

use crate::connect::ConnectArgs;
use crate::exit::Failure;

#[derive(Subcommand, Debug)]
pub enum CallsCommand {
    /// Print call events as they happen (ringing, answered, transferred, ended).
    Watch(WatchArgs),
}

#[derive(Args, Debug)]
pub struct WatchArgs {
    #[command(flatten)]
    connect: ConnectArgs,
    /// Only calls of this extension (repeat for a team).
    #[arg(long = "extension", value_name = "EXT")]
    extensions: Vec<String>,
    /// One JSON object per line instead of a table.
    #[arg(long)]
    json: bool,
    /// Poll interval in milliseconds (the rate governor may make it longer).
    #[arg(long, value_name = "MS")]
    poll_ms: Option<u64>,
    /// The PBX's offset from UTC in minutes (its timestamps are naive local time).
    #[arg(
        long,
        value_name = "MINUTES",
        allow_hyphen_values = true,
        conflicts_with = "pbx_time_zone"
    )]
    pbx_utc_offset_minutes: Option<i32>,
    /// The PBX's time zone, an IANA name (Europe/Berlin): converts with daylight saving.
    #[arg(long, value_name = "ZONE")]
    pbx_time_zone: Option<String>,
    /// Stop after this many events (default: watch until interrupted).
    #[arg(long, value_name = "N")]
    count: Option<u64>,
}

pub async fn run(command: CallsCommand) -> ExitCode {
    match command {
        CallsCommand::Watch(args) => watch(args).await,
    }
}

async fn watch(args: WatchArgs) -> ExitCode {
    let client = match args.connect.client().await {
        Ok(c) => c,
        Err(f) => return f.report(),
    };
    let watcher = match client.calls().watch(WatchOptions {
        extensions: args.extensions.clone(),
        poll_interval_ms: args.poll_ms,
        pbx_utc_offset_minutes: args.pbx_utc_offset_minutes,
        pbx_time_zone: args.pbx_time_zone.clone(),
        ..Default::default()
    }) {
        Ok(w) => w,
        Err(e) => return Failure::from(e).report(),
    };
    if !args.json {
        println!(
            "{:<8} {:<11} {:<6} {:<16} {:<16} LINKEDID",
            "TIME", "EVENT", "EXT", "CALLER", "CALLED"
        );
    }
    let mut printed = 0u64;
    while args.count.is_none_or(|n| printed < n) {
        let next = tokio::select! {
            e = watcher.next_event() => e,
            _ = tokio::signal::ctrl_c() => return ExitCode::SUCCESS,
        };
        match next {
            Ok(event) => {
                print_event(&event, args.json);
                printed += 1;
            }
            // The PBX or the key will not change by waiting: stop and say why.
            Err(e)
                if matches!(
                    e.kind(),
                    ErrorKind::Unauthorized
                        | ErrorKind::PermissionDenied
                        | ErrorKind::NetworkRestricted
                        | ErrorKind::Tls
                        | ErrorKind::Config
                        | ErrorKind::InsecureTransport
                ) =>
            {
                return Failure::from(e).report();
            }
            // A failed poll loses nothing: the watcher goes on where it stopped.
            Err(e) => eprintln!("mikopbx: {e} (still watching)"),
        }
    }
    ExitCode::SUCCESS
}

fn print_event(e: &CallEvent, json: bool) {
    let mut out = std::io::stdout().lock();
    if json {
        let _ = writeln!(out, "{}", serde_json::to_string(e).unwrap_or_default());
    } else {
        let time = e.start_local.get(11..19).unwrap_or("");
        let _ = writeln!(
            out,
            "{time:<8} {:<11} {:<6} {:<16} {:<16} {}",
            e.event_type.as_str(),
            e.extension,
            e.caller,
            e.called,
            e.linkedid
        );
    }
    let _ = out.flush();
}
