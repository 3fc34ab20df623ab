//! The `.part` file of an export and its `.part.json` sidecar: creating them, and finding
//! where an interrupted export can continue (the valid prefix of complete lines, the id of the
//! last record) without losing or repeating a record.

use std::ffi::OsString;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::Format;
use crate::exit::Failure;

pub(super) fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = OsString::from(path.as_os_str());
    name.push(suffix);
    PathBuf::from(name)
}

/// The sidecar, written whole or not at all (a temporary file renamed over it).
fn write_sidecar(path: &Path, value: &Value) -> std::io::Result<()> {
    let tmp = with_suffix(path, ".tmp");
    let mut f = File::create(&tmp)?;
    f.write_all(value.to_string().as_bytes())?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)
}

/// The valid prefix of an interrupted export's `.part`.
#[derive(Debug, Default)]
struct PartScan {
    /// Bytes up to the end of the last valid complete line (where writing resumes).
    valid_len: u64,
    /// The file's length (more than `valid_len` when a torn or damaged tail is dropped).
    file_len: u64,
    /// Valid complete lines, the CSV header row included.
    lines: u64,
    /// The first line's first bytes (to recognise the format).
    first: Vec<u8>,
    /// Where the last valid line starts and ends (without its line end).
    last: Option<(u64, u64)>,
}

/// Finds the complete lines of `.part`: a line ends at LF (in CSV, an LF outside quotes); a torn
/// last line, and everything from the first damaged line on (NUL bytes: data the disk never
/// received), are not part of it. Reads the file once, keeping no line in memory.
fn scan_part(path: &Path, format: Format) -> std::io::Result<PartScan> {
    let file = File::open(path)?;
    let file_len = file.metadata()?.len();
    let mut reader = BufReader::with_capacity(1 << 16, file);
    let mut scan = PartScan {
        file_len,
        ..Default::default()
    };
    let (mut pos, mut line_start) = (0u64, 0u64);
    let (mut in_quotes, mut damaged) = (false, false);
    loop {
        let chunk = reader.fill_buf()?;
        if chunk.is_empty() {
            break;
        }
        let n = chunk.len();
        if scan.first.len() < 4096 {
            let take = n.min(4096 - scan.first.len());
            scan.first.extend_from_slice(&chunk[..take]);
        }
        for (i, &b) in chunk.iter().enumerate() {
            match b {
                0 => damaged = true,
                b'"' if format == Format::Csv => in_quotes = !in_quotes,
                b'\n' if !in_quotes => {
                    if damaged {
                        scan.valid_len = line_start;
                        return Ok(scan);
                    }
                    let at = pos + i as u64;
                    scan.lines += 1;
                    scan.last = Some((line_start, at));
                    line_start = at + 1;
                    scan.valid_len = line_start;
                }
                _ => {}
            }
        }
        pos += n as u64;
        reader.consume(n);
    }
    Ok(scan)
}

/// The id of the record on a line of `.part` (`{"id":N,…}` or `N,…`).
fn id_of_line(line: &[u8], format: Format) -> Option<i64> {
    match format {
        Format::Jsonl => serde_json::from_slice::<Value>(line)
            .ok()?
            .get("id")?
            .as_i64(),
        Format::Csv => {
            let end = line.iter().position(|&b| b == b',').unwrap_or(line.len());
            std::str::from_utf8(&line[..end]).ok()?.parse().ok()
        }
    }
}

fn read_range(path: &Path, (start, end): (u64, u64)) -> std::io::Result<Vec<u8>> {
    let mut f = File::open(path)?;
    f.seek(SeekFrom::Start(start))?;
    let mut buf = Vec::new();
    // A record line is well under 64 KiB; a longer one is not ours (and fails to parse).
    f.take((end - start).min(1 << 16)).read_to_end(&mut buf)?;
    if buf.last() == Some(&b'\r') {
        buf.pop();
    }
    Ok(buf)
}

/// Where an export starts: a fresh `.part`, or the valid prefix of an interrupted one.
pub(super) struct Start {
    pub(super) file: File,
    /// Records already in `.part`.
    pub(super) records: u64,
    /// The id of the last of them.
    pub(super) last_id: Option<i64>,
    /// Bytes of torn or damaged tail dropped.
    pub(super) dropped: u64,
}

pub(super) fn open_part(
    part: &Path,
    sidecar: &Path,
    wanted: &Value,
    format: Format,
    header: &[u8],
) -> Result<Start, Failure> {
    let io = |what: &str, p: &Path, e: std::io::Error| {
        Failure::from(format!("cannot {what} {}: {e}", p.display()))
    };
    let start_over = format!(
        "run the command with the arguments of that export to finish it, or delete {} and {} to start over",
        part.display(),
        sidecar.display()
    );
    if !part.exists() {
        write_sidecar(sidecar, wanted).map_err(|e| io("write", sidecar, e))?;
        let mut file = File::create(part).map_err(|e| io("create", part, e))?;
        file.write_all(header)
            .and_then(|()| file.sync_all())
            .map_err(|e| io("write", part, e))?;
        return Ok(Start {
            file,
            records: 0,
            last_id: None,
            dropped: 0,
        });
    }
    let stored: Value = std::fs::read(sidecar)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or_else(|| {
            Failure::usage(format!(
                "{} exists but {} is missing or unreadable, so it cannot be resumed safely: delete {} to start over",
                part.display(),
                sidecar.display(),
                part.display()
            ))
        })?;
    for key in ["format", "from", "to", "url"] {
        if stored.get(key) != wanted.get(key) {
            return Err(Failure::usage(format!(
                "{} is an unfinished export with {key} {} (this run asks for {}): {start_over}",
                part.display(),
                stored.get(key).unwrap_or(&Value::Null),
                wanted.get(key).unwrap_or(&Value::Null),
            )));
        }
    }
    let scan = scan_part(part, format).map_err(|e| io("read", part, e))?;
    // The content must be what the sidecar says (a header row for CSV, objects for JSON lines).
    let looks_right = match format {
        Format::Csv => {
            let n = scan.first.len().min(header.len());
            scan.first[..n] == header[..n]
        }
        Format::Jsonl => scan.first.first().is_none_or(|&b| b == b'{'),
    };
    if !looks_right {
        return Err(Failure::usage(format!(
            "{} does not hold {} as {} says: {start_over}",
            part.display(),
            format.name(),
            sidecar.display()
        )));
    }
    let header_lines = u64::from(format == Format::Csv);
    let mut records = scan.lines.saturating_sub(header_lines);
    let mut last_id = None;
    if records > 0
        && let Some(range) = scan.last
    {
        let line = read_range(part, range).map_err(|e| io("read", part, e))?;
        last_id = Some(id_of_line(&line, format).ok_or_else(|| {
            Failure::usage(format!(
                "the last line of {} is not a CDR record: {start_over}",
                part.display()
            ))
        })?);
    }
    let mut file = OpenOptions::new()
        .write(true)
        .open(part)
        .map_err(|e| io("open", part, e))?;
    let mut keep = scan.valid_len;
    if format == Format::Csv && scan.lines == 0 {
        // Not even the header row is complete: write it again.
        keep = 0;
        records = 0;
    }
    file.set_len(keep)
        .and_then(|()| file.seek(SeekFrom::End(0)))
        .and_then(|_| {
            if keep == 0 {
                file.write_all(header)
            } else {
                Ok(())
            }
        })
        .and_then(|()| file.sync_all())
        .map_err(|e| io("truncate", part, e))?;
    Ok(Start {
        file,
        records,
        last_id,
        dropped: scan.file_len - keep,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_torn_line_and_a_damaged_tail_are_not_part_of_the_export() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.part");
        std::fs::write(&p, "id,start\r\n1,\"a\nb\"\r\n2,x\r\n3,\"to").unwrap();
        let s = scan_part(&p, Format::Csv).unwrap();
        assert_eq!((s.lines, s.valid_len), (3, 24));
        assert_eq!(read_range(&p, s.last.unwrap()).unwrap(), b"2,x");
        std::fs::write(&p, "{\"id\":1}\n{\"id\":2}\n\0\0\0{\"id\":3}\n{\"id\":4}\n").unwrap();
        let s = scan_part(&p, Format::Jsonl).unwrap();
        assert_eq!((s.lines, s.valid_len), (2, 18));
        let line = read_range(&p, s.last.unwrap()).unwrap();
        assert_eq!(id_of_line(&line, Format::Jsonl), Some(2));
    }
}
