//! CDR sync: export call history incrementally, resuming from a checkpoint.
//!
//! Each run streams the records after the last exported id (kept in a checkpoint file), writes
//! them as JSON lines, and saves the new checkpoint. Memory stays bounded by one page, so a year of
//! calls exports the same way as an hour. The key needs only `/api/v3/cdr: read`.
//!
//! ```text
//! MIKOPBX_URL=… MIKOPBX_API_KEY=… cargo run -p mikopbx --example cdr_sync -- calls.jsonl sync.checkpoint
//! ```

use std::io::Write;

use futures_util::StreamExt;
use mikopbx::{CdrQuery, Client};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let out_path = args.next().unwrap_or_else(|| "calls.jsonl".into());
    let checkpoint_path = args.next().unwrap_or_else(|| "cdr.checkpoint".into());

    let resume_after = std::fs::read_to_string(&checkpoint_path)
        .ok()
        .and_then(|s| s.trim().parse::<i64>().ok());
    let from = (chrono::Local::now() - chrono::Days::new(364))
        .format("%Y-%m-%d")
        .to_string();
    let client = Client::from_env()?;

    let mut out = std::io::BufWriter::new(
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&out_path)?,
    );
    let mut records = Box::pin(
        client
            .cdr()
            .list(CdrQuery {
                date_from: Some(from),
                page_size: Some(1000),
                resume_after,
                ..Default::default()
            })
            .into_stream(),
    );
    let mut last = resume_after;
    let mut count = 0u64;
    while let Some(record) = records.next().await {
        let record = record?;
        writeln!(out, "{}", serde_json::to_string(&record)?)?;
        last = Some(record.id);
        count += 1;
        // Save progress now and then, so an interrupted run resumes close to where it stopped.
        if count.is_multiple_of(10_000) {
            out.flush()?;
            std::fs::write(&checkpoint_path, record.id.to_string())?;
        }
    }
    out.flush()?;
    if let Some(id) = last {
        std::fs::write(&checkpoint_path, id.to_string())?;
    }
    eprintln!("exported {count} records to {out_path}; checkpoint {last:?}");
    Ok(())
}
