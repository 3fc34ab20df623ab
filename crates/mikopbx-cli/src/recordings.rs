//! `mikopbx recordings download --from --to --out DIR`: the recordings of a period, one file per
//! CDR record (`cdr-<id>.<ext>`), with progress on a terminal. Resumable: a file is written as
//! `.part` and renamed when complete, and a second run skips the records already saved, so an
//! interrupted download loses nothing and repeats nothing.

use std::collections::HashSet;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use clap::{Args, Subcommand};
use mikopbx::{CdrQuery, RecordingFormat, RecordingOptions};
use serde_json::json;

use crate::connect::ConnectArgs;
use crate::exit::{self, Failure};

#[derive(Subcommand, Debug)]
pub enum RecordingsCommand {
    /// Save the recordings of the calls between two dates into a directory.
    Download(DownloadArgs),
}

#[derive(Args, Debug)]
pub struct DownloadArgs {
    #[command(flatten)]
    connect: ConnectArgs,
    /// From (inclusive), `YYYY-MM-DD[ HH:MM:SS]`.
    #[arg(long)]
    from: String,
    /// To (inclusive), `YYYY-MM-DD[ HH:MM:SS]`.
    #[arg(long)]
    to: String,
    /// The directory to write into (created if missing).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// original (as stored), webm, mp3, wav or ogg.
    #[arg(long, default_value = "original")]
    format: String,
    /// One JSON object per saved recording on stdout, and a summary object at the end.
    #[arg(long)]
    json: bool,
}

pub async fn run(command: RecordingsCommand) -> ExitCode {
    match command {
        RecordingsCommand::Download(args) => exit::finish(download(&args).await),
    }
}

/// The CDR ids already saved in `dir` (`cdr-<id>.<ext>`; `.part` files are incomplete).
fn saved_ids(dir: &Path) -> HashSet<i64> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return HashSet::new();
    };
    entries
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let (stem, ext) = name.rsplit_once('.')?;
            if ext == "part" {
                return None;
            }
            stem.strip_prefix("cdr-")?.parse().ok()
        })
        .collect()
}

async fn download(args: &DownloadArgs) -> Result<(), Failure> {
    let format = RecordingFormat::parse(&args.format).map_err(|e| Failure::usage(e.to_string()))?;
    let client = args.connect.client().await?;
    std::fs::create_dir_all(&args.out)
        .map_err(|e| format!("cannot create {}: {e}", args.out.display()))?;
    let done = saved_ids(&args.out);

    // The records with a recording first (ids only: a year of calls is a few MB), so that the
    // progress knows its total.
    let pager = client.cdr().list(CdrQuery {
        date_from: Some(args.from.clone()),
        date_to: Some(args.to.clone()),
        page_size: Some(1000),
        ..Default::default()
    });
    let mut todo = Vec::new();
    let mut skipped = 0u64;
    while let Some(page) = pager.next_page().await? {
        for record in page.into_iter().filter(|r| r.has_recording) {
            if done.contains(&record.id) {
                skipped += 1;
            } else {
                todo.push(record);
            }
        }
    }

    let progress = Progress::new(
        todo.len() as u64,
        !args.json && std::io::stderr().is_terminal(),
    );
    let (mut saved, mut bytes, mut failed) = (0u64, 0u64, 0u64);
    for record in &todo {
        // Old calls are converted long ago: no waiting for them.
        let options = RecordingOptions {
            format: Some(format),
            wait_ms: Some(0),
        };
        let recording = client.cdr().recording_with(record, options);
        match recording
            .save_into(&args.out, &format!("cdr-{}", record.id))
            .await
        {
            Ok((path, info)) => {
                saved += 1;
                bytes += info.size;
                if args.json {
                    println!(
                        "{}",
                        json!({"id": record.id, "linkedid": record.linkedid, "path": path,
                               "bytes": info.size, "content_type": info.content_type})
                    );
                }
            }
            Err(e) => {
                failed += 1;
                progress.clear();
                eprintln!("mikopbx: CDR record {}: {e}", record.id);
            }
        }
        progress.show(saved + failed, bytes);
    }
    progress.clear();
    let summary = json!({"saved": saved, "skipped": skipped, "failed": failed, "bytes": bytes});
    if args.json {
        println!("{summary}");
    } else {
        eprintln!(
            "{saved} recordings saved ({}), {skipped} already there, {failed} failed, in {}",
            human_bytes(bytes),
            args.out.display()
        );
    }
    if failed > 0 {
        return Err(Failure::from(format!(
            "{failed} recordings failed; run the same command again to retry them"
        )));
    }
    Ok(())
}

/// A one-line progress bar on stderr (only on a terminal): count, bytes, rate, time left.
struct Progress {
    total: u64,
    started: Instant,
    enabled: bool,
}

impl Progress {
    fn new(total: u64, enabled: bool) -> Self {
        Progress {
            total,
            started: Instant::now(),
            enabled,
        }
    }

    fn show(&self, done: u64, bytes: u64) {
        if !self.enabled {
            return;
        }
        let secs = self.started.elapsed().as_secs_f64().max(0.001);
        let rate = done as f64 / secs;
        let left = if rate > 0.0 {
            (self.total.saturating_sub(done) as f64 / rate) as u64
        } else {
            0
        };
        let width = 30usize;
        let filled = (done as usize * width)
            .checked_div(self.total as usize)
            .unwrap_or(width);
        let mut err = std::io::stderr().lock();
        let _ = write!(
            err,
            "\r[{}{}] {done}/{} recordings  {}  {rate:.1}/s  {:02}:{:02} left ",
            "#".repeat(filled),
            " ".repeat(width - filled.min(width)),
            self.total,
            human_bytes(bytes),
            left / 60,
            left % 60
        );
        let _ = err.flush();
    }

    fn clear(&self) {
        if self.enabled {
            eprint!("\r\x1b[K");
        }
    }
}

fn human_bytes(n: u64) -> String {
    match n {
        0..1_000_000 => format!("{:.1} kB", n as f64 / 1e3),
        _ => format!("{:.1} MB", n as f64 / 1e6),
    }
}
