//! `mikopbx cdr export --from --to --format csv|jsonl --out FILE`: the call records of a period
//! in one file, one line per record, streamed page by page (one page in memory) through the
//! SDK's keyset pager, with progress on a terminal.
//!
//! **Formats.** `jsonl`: each record as a JSON object with the SDK's serialized field names (the
//! server's, except `has_recording`, which stands for the server's `download_url`: that URL
//! holds a bearer token and is never written). `csv`: RFC 4180 (CRLF line ends, a field quoted
//! when it holds `,`, `"`, CR or LF, quotes doubled), a header row, then one row per record; the
//! columns are the fields of `CdrRecord` in declaration order (`id,start,answer,endtime,src_num,
//! src_name,dst_num,dst_name,did,disposition,duration,billsec,linkedid,recordingfile,
//! has_recording,src_chan,dst_chan`), the same names as the JSON keys.
//!
//! **Resuming.** The export is written to `FILE.part` beside `FILE.part.json`, which records what
//! it is an export of (`{"format","from","to","url"}`), and renamed to `FILE` when complete.
//! Records arrive in id order and every page is flushed and synced before the next is asked
//! for, so a process killed mid-write leaves at most a torn last line. A second run with the
//! same arguments drops that torn line (and anything after a damaged line), takes the id of the
//! last complete record and asks only for the records after it (`idFrom`): nothing is lost and
//! nothing is written twice. A `.part` of another period, format or PBX is refused, never mixed.
//!
//! Exit codes: 0 done, 1 the export failed (run it again to continue), 2 usage (bad arguments,
//! `FILE` exists without `--force`, a `.part` that does not match the arguments).

mod part;

use std::fs::File;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use chrono::{NaiveDate, NaiveDateTime};
use clap::{Args, Subcommand, ValueEnum};
use mikopbx::describe::Describe;
use mikopbx::{CdrQuery, CdrRecord};
use serde_json::{Value, json};

use crate::connect::ConnectArgs;
use crate::exit::{self, Failure};
use part::{Start, open_part, with_suffix};

#[derive(Subcommand, Debug)]
pub enum CdrCommand {
    /// Write the call records of a period to a file (CSV or JSON lines), resumably.
    Export(ExportArgs),
}

#[derive(Args, Debug)]
pub struct ExportArgs {
    #[command(flatten)]
    connect: ConnectArgs,
    /// From (inclusive), `YYYY-MM-DD[ HH:MM:SS]`.
    #[arg(long)]
    from: String,
    /// To (inclusive), `YYYY-MM-DD[ HH:MM:SS]`; at most 365 days after `--from`.
    #[arg(long)]
    to: String,
    /// `jsonl` (one JSON object per line) or `csv` (RFC 4180, with a header row).
    #[arg(long, value_enum, default_value_t = Format::Jsonl)]
    format: Format,
    /// The file to write (through `FILE.part`, renamed when complete).
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// Replace `FILE` if it exists (only once the new export is complete).
    #[arg(long)]
    force: bool,
    /// Records per request (the server allows at most 1000).
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..=1000))]
    page_size: u32,
    /// A summary object on stdout at the end.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Jsonl,
    Csv,
}

impl Format {
    fn name(self) -> &'static str {
        match self {
            Format::Jsonl => "jsonl",
            Format::Csv => "csv",
        }
    }
}

pub async fn run(command: CdrCommand) -> ExitCode {
    match command {
        CdrCommand::Export(args) => exit::finish(export(&args).await),
    }
}

/// The CSV columns and JSON keys: `CdrRecord`'s serialized fields, in declaration order.
fn columns() -> Vec<&'static str> {
    CdrRecord::MODEL
        .fields()
        .iter()
        .filter(|f| !f.local)
        .map(|f| f.name)
        .collect()
}

fn csv_field(out: &mut Vec<u8>, value: &Value) {
    let text = match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    if text.contains([',', '"', '\r', '\n']) {
        out.push(b'"');
        out.extend_from_slice(text.replace('"', "\"\"").as_bytes());
        out.push(b'"');
    } else {
        out.extend_from_slice(text.as_bytes());
    }
}

fn csv_header(columns: &[&str]) -> Vec<u8> {
    let mut line = columns.join(",").into_bytes();
    line.extend_from_slice(b"\r\n");
    line
}

/// Appends one record as a line of `format`.
fn write_line(out: &mut Vec<u8>, format: Format, columns: &[&str], record: &CdrRecord) {
    match format {
        Format::Jsonl => {
            // A record always serializes (strings, integers and a bool).
            let _ = serde_json::to_writer(&mut *out, record);
            out.push(b'\n');
        }
        Format::Csv => {
            let value = serde_json::to_value(record).unwrap_or(Value::Null);
            for (i, column) in columns.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                csv_field(out, value.get(column).unwrap_or(&Value::Null));
            }
            out.extend_from_slice(b"\r\n");
        }
    }
}

/// A date as the server reads it (`YYYY-MM-DD` is the whole day), in seconds.
fn parse_date(flag: &str, text: &str, end_of_day: bool) -> Result<i64, Failure> {
    let t = text.trim();
    let at = NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S")
        .ok()
        .or_else(|| {
            let day = NaiveDate::parse_from_str(t, "%Y-%m-%d").ok()?;
            if end_of_day {
                day.and_hms_opt(23, 59, 59)
            } else {
                day.and_hms_opt(0, 0, 0)
            }
        })
        .ok_or_else(|| {
            Failure::usage(format!(
                "{flag} {text:?} is not a date: use YYYY-MM-DD or \"YYYY-MM-DD HH:MM:SS\""
            ))
        })?;
    Ok(at.and_utc().timestamp())
}

fn check_period(args: &ExportArgs) -> Result<(), Failure> {
    let from = parse_date("--from", &args.from, false)?;
    let to = parse_date("--to", &args.to, true)?;
    if to < from {
        return Err(Failure::usage(format!(
            "--to {} is before --from {}",
            args.to, args.from
        )));
    }
    if (to - from) / 86_400 > 365 {
        return Err(Failure::usage(
            "the PBX serves at most 365 days per query: export the period in several files",
        ));
    }
    Ok(())
}

/// What the `.part` file is an export of (its `.part.json` sidecar).
fn describe_export(args: &ExportArgs, url: &str) -> Value {
    json!({"format": args.format.name(), "from": args.from, "to": args.to, "url": url})
}

async fn export(args: &ExportArgs) -> Result<(), Failure> {
    check_period(args)?;
    if args.out.is_dir() {
        return Err(Failure::usage(format!(
            "--out {} is a directory: name the file to write",
            args.out.display()
        )));
    }
    if let Some(dir) = args.out.parent().filter(|d| !d.as_os_str().is_empty())
        && !dir.is_dir()
    {
        return Err(Failure::usage(format!(
            "the directory {} does not exist: create it first",
            dir.display()
        )));
    }
    if args.out.exists() && !args.force {
        return Err(Failure::usage(format!(
            "{} already exists: pass --force to replace it (it is replaced only when the new export is complete)",
            args.out.display()
        )));
    }
    let client = args.connect.client().await?;
    let part = with_suffix(&args.out, ".part");
    let sidecar = with_suffix(&args.out, ".part.json");
    let columns = columns();
    let header = match args.format {
        Format::Csv => csv_header(&columns),
        Format::Jsonl => Vec::new(),
    };
    let wanted = describe_export(args, client.base_url());
    let start = open_part(&part, &sidecar, &wanted, args.format, &header)?;
    let Start {
        mut file,
        mut records,
        mut last_id,
        dropped,
    } = start;
    let resumed_from = last_id;
    let already = records;
    if let Some(id) = resumed_from
        && !args.json
    {
        let torn = if dropped > 0 {
            format!(" (dropped a torn last line of {dropped} bytes)")
        } else {
            String::new()
        };
        eprintln!(
            "resuming {}: {already} records there, continuing after id {id}{torn}",
            part.display()
        );
    }

    let pager = client.cdr().list(CdrQuery {
        date_from: Some(args.from.clone()),
        date_to: Some(args.to.clone()),
        page_size: Some(args.page_size),
        resume_after: last_id,
        ..Default::default()
    });
    // The exit code stays the cause's (3 for a revoked key, 6 for an unreachable PBX, 130 for
    // Ctrl-C); the message adds what was kept.
    let stopped = |records: u64, last_id: Option<i64>, why: Failure| {
        let Some(id) = last_id else {
            // Nothing to resume from: leave nothing behind.
            let _ = std::fs::remove_file(&part);
            let _ = std::fs::remove_file(&sidecar);
            return Failure {
                message: format!("{}; nothing was written", why.message),
                ..why
            };
        };
        Failure {
            message: format!(
                "{}; {} keeps the {records} records written (up to id {id}): run the same command again to continue",
                why.message,
                part.display()
            ),
            ..why
        }
    };
    let mut progress = Progress::new(std::io::stderr().is_terminal(), already);
    let mut buf = Vec::with_capacity(1 << 16);
    // One listener for the whole export, so that a Ctrl-C during a write is not missed.
    let mut interrupt = std::pin::pin!(tokio::signal::ctrl_c());
    loop {
        let page = tokio::select! {
            page = pager.next_page() => page,
            _ = &mut interrupt => {
                progress.clear();
                return Err(stopped(
                    records,
                    last_id,
                    Failure {
                        code: exit::INTERRUPTED,
                        message: "interrupted".into(),
                    },
                ));
            }
        };
        let page = match page {
            Ok(Some(page)) => page,
            Ok(None) => break,
            Err(e) => {
                progress.clear();
                return Err(stopped(records, last_id, Failure::from(e)));
            }
        };
        // The total the server reports counts the records after this page's `idFrom`.
        let total = pager.total().await.map(|t| records + t);
        buf.clear();
        let mut page_last = last_id;
        for record in &page {
            if page_last.is_some_and(|l| record.id <= l) {
                // Resuming relies on id order: never write a file it could not resume.
                progress.clear();
                return Err(stopped(
                    records,
                    last_id,
                    Failure::from(format!("the PBX sent record {} out of id order", record.id)),
                ));
            }
            page_last = Some(record.id);
            write_line(&mut buf, args.format, &columns, record);
        }
        // A page reaches the disk before the next is asked for: a kill tears one line at most.
        file.write_all(&buf)
            .and_then(|()| file.sync_data())
            .map_err(|e| {
                stopped(
                    records,
                    last_id,
                    Failure::from(format!("cannot write {}: {e}", part.display())),
                )
            })?;
        records += page.len() as u64;
        last_id = page_last;
        progress.show(records, total);
    }
    progress.clear();
    file.sync_all()
        .and_then(|()| std::fs::rename(&part, &args.out))
        .map_err(|e| {
            Failure::from(format!(
                "cannot rename {} to {}: {e}",
                part.display(),
                args.out.display()
            ))
        })?;
    let _ = std::fs::remove_file(&sidecar);
    if let Some(dir) = args.out.parent().filter(|d| !d.as_os_str().is_empty())
        && let Ok(d) = File::open(dir)
    {
        let _ = d.sync_all();
    }

    let secs = progress.started.elapsed().as_secs_f64();
    let written = records - already;
    if args.json {
        println!(
            "{}",
            json!({"records": records, "written": written, "resumed_from": resumed_from,
                   "last_id": last_id, "out": args.out, "format": args.format.name(),
                   "from": args.from, "to": args.to, "seconds": (secs * 1000.0).round() / 1000.0})
        );
    } else {
        let resumed = resumed_from.map_or(String::new(), |id| {
            format!("{written} of them after id {id}; ")
        });
        eprintln!(
            "{records} records in {} ({resumed}{}, {secs:.1} s, {:.0} rec/s)",
            args.out.display(),
            args.format.name(),
            written as f64 / secs.max(0.001)
        );
    }
    Ok(())
}

/// A one-line progress bar on stderr (only on a terminal): records done / total, rate, time
/// left; without a total, count and rate.
struct Progress {
    enabled: bool,
    started: Instant,
    /// Records there before this run (not counted in the rate).
    already: u64,
    drawn: Option<Instant>,
}

impl Progress {
    fn new(enabled: bool, already: u64) -> Self {
        Progress {
            enabled,
            started: Instant::now(),
            already,
            drawn: None,
        }
    }

    fn show(&mut self, done: u64, total: Option<u64>) {
        // A redraw ten times a second at most: a fast export would spend its time on the bar.
        if !self.enabled
            || self
                .drawn
                .is_some_and(|t| t.elapsed() < Duration::from_millis(100))
        {
            return;
        }
        self.drawn = Some(Instant::now());
        let secs = self.started.elapsed().as_secs_f64().max(0.001);
        let rate = (done - self.already) as f64 / secs;
        let line = match total {
            Some(total) => {
                let total = total.max(done);
                let width = 30u64;
                let filled = (done * width).checked_div(total).unwrap_or(width) as usize;
                let left = if rate > 0.0 {
                    ((total - done) as f64 / rate) as u64
                } else {
                    0
                };
                format!(
                    "[{}{}] {done}/{total} records  {rate:.0} rec/s  {:02}:{:02} left",
                    "#".repeat(filled),
                    " ".repeat(width as usize - filled),
                    left / 60,
                    left % 60
                )
            }
            None => format!("{done} records  {rate:.0} rec/s"),
        };
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "\r{line}\x1b[K");
        let _ = err.flush();
    }

    fn clear(&self) {
        if self.enabled && self.drawn.is_some() {
            eprint!("\r\x1b[K");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_as_rfc_4180_says() {
        let mut out = Vec::new();
        for v in [
            json!("plain"),
            json!("a,b"),
            json!("say \"hi\""),
            json!("two\nlines"),
            json!(7),
        ] {
            csv_field(&mut out, &v);
            out.push(b'|');
        }
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "plain|\"a,b\"|\"say \"\"hi\"\"\"|\"two\nlines\"|7|"
        );
    }

    #[test]
    fn the_columns_are_the_record_fields() {
        let cols = columns();
        assert_eq!(cols.first(), Some(&"id"));
        assert!(cols.contains(&"has_recording") && !cols.contains(&"extra"));
        let keys: Vec<String> = serde_json::to_value(CdrRecord::default())
            .unwrap()
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        let mut sorted: Vec<String> = cols.iter().map(|c| c.to_string()).collect();
        sorted.sort();
        let mut keys = keys;
        keys.sort();
        assert_eq!(sorted, keys, "every JSON key is a CSV column");
    }
}
