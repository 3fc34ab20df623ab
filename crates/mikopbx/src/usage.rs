//! Learn mode: which operations an integration performs, so that its key can be exactly as wide
//! as it needs.
//!
//! Run the integration with `MIKOPBX_RECORD_USAGE=FILE` in its environment (any language: the
//! variable is read when a client is built, whatever way it is built), or build the client with
//! [`ClientBuilder::record_usage`](crate::ClientBuilder::record_usage). Each client then appends
//! to FILE the name of every operation it performs, once per client; `mikopbx keys create
//! --from-usage FILE` makes the least-privilege key for what was recorded and `mikopbx keys
//! audit ID --usage FILE` compares a key with it. [`read`] parses the file and [`needs`] turns
//! it into the `allowed_paths` those entries need.
//!
//! # The file (`# mikopbx usage v1`)
//!
//! ```text
//! # mikopbx usage v1
//! extensions.list
//! cdr.list
//! GET /api/v3/module-example/tasks
//! ```
//!
//! One entry a line: an operation's canonical name (`mikopbx operations` lists them), or, for an
//! escape-hatch request ([`Client::request`](crate::Client::request)) that is no operation of the
//! table, its verb and the path as the PBX's permission check sees it: without `/pbxcore`, the
//! query string, a trailing `:action` and a last segment the PBX takes for a record id
//! ([`crate::permissions::normalize_path`]); any other segment that is not lowercase letters,
//! digits and `-` (no `allowed_paths` key can name it) is written `{id}`. So the file holds names
//! and permission keys only: never a key, a token, a record id from a path the PBX recognises as
//! one, a query, a body or an answer. Lines starting with `#` and blank lines are ignored. The
//! file is created with mode 0600 and only ever appended to (`O_APPEND`, one small write per
//! line), so several processes and clients can share it; the same entry may then appear more
//! than once, and [`read`] returns each entry once.
//!
//! # What is recorded, and when
//!
//! An operation is recorded when the client is about to run it: after the checks that make it a
//! request this client may send at all (arguments present, a valid path, not a dangerous action
//! the client refuses), and *before* the permission pre-check against the key's known
//! permissions. So a call the PBX refuses (401/403) and a call the pre-check refuses locally are
//! both recorded: each means the key lacks something the integration needs, which is exactly
//! what the learned key must grant. A call refused because the client would never send it
//! (a missing id, a malformed path, a dangerous action) is not recorded: no key would make it
//! work. The SDK's own probes (the 401 diagnosis) and the web session's own requests (`login`,
//! its renewal, `logout`, which need no key permission) are not recorded.
//!
//! Recording never fails a call: a file that cannot be written logs one `tracing` warning per
//! client, and the calls go on.

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::operations::{self, HttpMethod, OperationSpec};
use crate::permissions::{Access, Permissions, normalize_path};

/// The environment variable that turns learn mode on for every client built in the process.
pub const ENV_VAR: &str = "MIKOPBX_RECORD_USAGE";

/// The first line of a usage file the SDK creates.
pub const HEADER: &str = "# mikopbx usage v1";

/// One entry of a usage file.
#[derive(Clone, Debug)]
pub enum Usage {
    /// An operation of the table.
    Operation(&'static OperationSpec),
    /// An escape-hatch request that is no operation of the table: its verb and the path as the
    /// permission check sees it.
    Request(RequestUsage),
}

/// An escape-hatch request of a usage file: `GET /api/v3/module-example/tasks`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RequestUsage {
    method: HttpMethod,
    path: String,
}

impl RequestUsage {
    /// The verb.
    pub fn method(&self) -> HttpMethod {
        self.method
    }

    /// The path as the permission check sees it (`/api/v3/module-example/tasks`).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The access the verb needs.
    pub fn access(&self) -> Access {
        Access::for_method(self.method)
    }

    /// Whether a restricted key can grant it (`allowed_paths` can name the path); otherwise only
    /// a key with full permissions can make the request (a legacy module action, a segment the
    /// PBX does not take for a record id).
    pub fn is_grantable(&self) -> bool {
        Permissions::is_grantable_path(&self.path)
    }
}

impl Usage {
    /// The entry of an escape-hatch request to `path` (as given to `Client::request`, query
    /// string and all): see the module documentation for what is kept.
    pub fn request(method: HttpMethod, path: &str) -> Usage {
        Usage::Request(RequestUsage {
            method,
            path: scrub(&normalize_path(path)),
        })
    }

    /// The entry's line in the file.
    pub fn line(&self) -> String {
        self.to_string()
    }

    /// Operation names never start with `/`, request paths always do.
    fn key(&self) -> (&str, Option<HttpMethod>) {
        match self {
            Usage::Operation(op) => (op.name, None),
            Usage::Request(r) => (&r.path, Some(r.method)),
        }
    }
}

impl PartialEq for Usage {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}

impl Eq for Usage {}

impl std::hash::Hash for Usage {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.key().hash(state);
    }
}

impl fmt::Display for Usage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Usage::Operation(op) => f.write_str(op.name),
            Usage::Request(r) => write!(f, "{} {}", r.method, r.path),
        }
    }
}

/// `{id}` for every segment after `/api/<version>` that no `allowed_paths` key could name.
fn scrub(normalized: &str) -> String {
    let mut out = String::with_capacity(normalized.len());
    for (i, seg) in normalized.split('/').enumerate() {
        if i > 0 {
            out.push('/');
        }
        let plain = !seg.is_empty()
            && seg
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        // Segment 0 is the empty string before the leading `/`, 1 is `api`, 2 the version or
        // `modules`.
        if i <= 2 || plain {
            out.push_str(seg);
        } else {
            out.push_str("{id}");
        }
    }
    out
}

/// A usage file that cannot be read, or a line of it that is not an entry.
#[derive(Debug, thiserror::Error)]
pub enum UsageError {
    /// The file cannot be read.
    #[error("cannot read the usage file {path}: {detail}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        detail: String,
    },
    /// A line that is no entry (or a header of another format version).
    #[error("{}line {line}: {reason}: {text:?}", path.as_ref().map(|p| format!("{}: ", p.display())).unwrap_or_default())]
    Line {
        /// The file, when read from one.
        path: Option<PathBuf>,
        /// The line number, from 1.
        line: usize,
        /// The line (at most 120 characters of it).
        text: String,
        /// What is wrong with it.
        reason: String,
    },
}

/// Reads a usage file: its entries, each once, in the order they first appear.
pub fn read(path: impl AsRef<Path>) -> Result<Vec<Usage>, UsageError> {
    let path = path.as_ref();
    let text = std::fs::read_to_string(path).map_err(|e| UsageError::Read {
        path: path.to_owned(),
        detail: e.to_string(),
    })?;
    parse(&text).map_err(|e| match e {
        UsageError::Line {
            line, text, reason, ..
        } => UsageError::Line {
            path: Some(path.to_owned()),
            line,
            text,
            reason,
        },
        other => other,
    })
}

/// Parses the text of a usage file (see [`read`]).
pub fn parse(text: &str) -> Result<Vec<Usage>, UsageError> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for (n, raw) in text.lines().enumerate() {
        let line = raw.trim();
        let bad = |reason: String| UsageError::Line {
            path: None,
            line: n + 1,
            text: line.chars().take(120).collect(),
            reason,
        };
        if line.is_empty() {
            continue;
        }
        if let Some(comment) = line.strip_prefix('#') {
            if let Some(version) = comment.trim().strip_prefix("mikopbx usage ")
                && version.trim() != "v1"
            {
                return Err(bad(format!(
                    "this SDK reads usage files of format v1, not {}",
                    version.trim()
                )));
            }
            continue;
        }
        let entry = match line.split_once(char::is_whitespace) {
            None => Usage::Operation(operations::find(line).ok_or_else(|| {
                bad("unknown operation (`mikopbx operations` lists them; a newer SDK may have written it)".into())
            })?),
            Some((verb, path)) => {
                let method = HttpMethod::parse(verb).ok_or_else(|| {
                    bad(format!("{verb:?} is not an HTTP verb (GET, POST, PUT, PATCH, DELETE, HEAD)"))
                })?;
                let path = path.trim();
                if !path.starts_with("/api/") || path.contains(char::is_whitespace) {
                    return Err(bad(
                        "a request entry is `VERB /api/v3/<resource>…` (the path as the permission check sees it)".into(),
                    ));
                }
                Usage::request(method, path)
            }
        };
        if seen.insert(entry.clone()) {
            out.push(entry);
        }
    }
    Ok(out)
}

/// What a set of usage entries needs from a key.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Needs {
    /// The least `allowed_paths` for the operations and the grantable requests.
    pub permissions: Permissions,
    /// Requests only a key with full permissions can make (see [`RequestUsage::is_grantable`]).
    pub full_only: Vec<Usage>,
}

/// The least privilege for `entries`: [`Permissions::minimal_for`] of the operations, plus a
/// grant on each request's path; requests no restricted key can make go to `full_only`.
pub fn needs(entries: &[Usage]) -> Needs {
    let ops: Vec<&OperationSpec> = entries
        .iter()
        .filter_map(|u| match u {
            Usage::Operation(op) => Some(*op),
            Usage::Request(_) => None,
        })
        .collect();
    let mut permissions = Permissions::minimal_for(&ops);
    let mut full_only = Vec::new();
    for entry in entries {
        if let Usage::Request(r) = entry {
            match permissions.clone().grant_path(&r.path, r.access()) {
                Ok(p) => permissions = p,
                Err(_) => full_only.push(entry.clone()),
            }
        }
    }
    Needs {
        permissions,
        full_only,
    }
}

/// One `allowed_paths` key on which a key and the recorded usage disagree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GrantGap {
    /// The `allowed_paths` key (`/api/v3/extensions`).
    pub path: String,
    /// What the key holds there.
    pub granted: Option<Access>,
    /// What the recorded usage needs there.
    pub needed: Option<Access>,
}

/// How a key compares with the usage of an integration ([`audit`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Audit {
    /// The key has full permissions.
    pub key_is_full: bool,
    /// Grants the integration never used, or used at a lower level (write where read did).
    pub unused: Vec<GrantGap>,
    /// Grants the integration used that the key lacks: those calls fail with this key.
    pub missing: Vec<GrantGap>,
    /// Recorded requests only a key with full permissions can make.
    pub full_only: Vec<Usage>,
}

impl Audit {
    /// The key grants more than the integration used.
    pub fn is_wider(&self) -> bool {
        !self.unused.is_empty() || (self.key_is_full && self.full_only.is_empty())
    }

    /// The key lacks something the integration used.
    pub fn is_narrower(&self) -> bool {
        !self.missing.is_empty() || (!self.key_is_full && !self.full_only.is_empty())
    }

    /// The key is exactly the least privilege for the recorded usage.
    pub fn is_exact(&self) -> bool {
        !self.is_wider() && !self.is_narrower()
    }
}

/// Compares a key's permissions with what the recorded usage needs. The network filter is not
/// compared: usage files do not record where the integration ran.
pub fn audit(key: &Permissions, needs: &Needs) -> Audit {
    let mut out = Audit {
        key_is_full: key.is_full(),
        full_only: needs.full_only.clone(),
        ..Default::default()
    };
    if key.is_full() {
        return out;
    }
    let needed: BTreeMap<&str, Access> = needs.permissions.grants().collect();
    for (path, granted) in key.grants() {
        let want = needed.get(path).copied();
        if want.is_none_or(|w| granted > w) {
            out.unused.push(GrantGap {
                path: path.to_owned(),
                granted: Some(granted),
                needed: want,
            });
        }
    }
    for (path, want) in &needed {
        let granted = key.access_for_path(path);
        if granted.is_none_or(|g| !g.includes(*want)) {
            out.missing.push(GrantGap {
                path: (*path).to_owned(),
                granted,
                needed: Some(*want),
            });
        }
    }
    out
}

/// Where a client records its usage, and what it has recorded.
pub(crate) struct Recorder {
    path: PathBuf,
    seen: Mutex<HashSet<Usage>>,
    warned: AtomicBool,
}

impl fmt::Debug for Recorder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Recorder")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl Recorder {
    pub(crate) fn new(path: PathBuf) -> Self {
        Recorder {
            path,
            seen: Mutex::new(HashSet::new()),
            warned: AtomicBool::new(false),
        }
    }

    /// Appends `usage` to the file the first time this client performs it. Never fails: a write
    /// error is logged once per client.
    pub(crate) fn record(&self, usage: Usage) {
        let first = self
            .seen
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(usage.clone());
        if !first {
            return;
        }
        if let Err(e) = append(&self.path, &usage.line())
            && !self.warned.swap(true, Ordering::Relaxed)
        {
            tracing::warn!(
                file = %self.path.display(),
                error = %e,
                "learn mode: cannot write the usage file ({}); calls go on, unrecorded",
                ENV_VAR
            );
        }
    }
}

/// One line appended with one write; a new file gets the header in the same write, mode 0600.
fn append(path: &Path, line: &str) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.append(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(mut file) => file.write_all(format!("{HEADER}\n{line}\n").as_bytes()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => std::fs::OpenOptions::new()
            .append(true)
            .open(path)?
            .write_all(format!("{line}\n").as_bytes()),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_paths_keep_only_the_permission_key() {
        let line = |m, p: &str| Usage::request(m, p).line();
        assert_eq!(
            line(
                HttpMethod::Get,
                "/pbxcore/api/v3/module-example/tasks?q=secret"
            ),
            "GET /api/v3/module-example/tasks"
        );
        assert_eq!(
            line(
                HttpMethod::Post,
                "/pbxcore/api/v3/module-example/tasks/TASK-12:run"
            ),
            "POST /api/v3/module-example/tasks"
        );
        assert_eq!(
            line(
                HttpMethod::Get,
                "/pbxcore/api/v3/module-example/TASK-1A/notes"
            ),
            "GET /api/v3/module-example/{id}/notes"
        );
        assert_eq!(
            line(HttpMethod::Get, "/pbxcore/api/modules/ModuleBackup/status"),
            "GET /api/modules/{id}/status"
        );
    }

    #[test]
    fn parse_dedupes_and_names_bad_lines() {
        let entries = parse(&format!(
            "{HEADER}\nextensions.list\n\nextensions.list\nGET /api/v3/module-x/tasks\n# note\ncdr.list\n"
        ))
        .unwrap();
        let lines: Vec<String> = entries.iter().map(Usage::line).collect();
        assert_eq!(
            lines,
            ["extensions.list", "GET /api/v3/module-x/tasks", "cdr.list"]
        );
        for (text, line, says) in [
            ("extensions.list\nno.such_op\n", 2, "unknown operation"),
            ("FETCH /api/v3/x\n", 1, "not an HTTP verb"),
            ("GET /pbxcore/api/v3/x\n", 1, "a request entry is"),
            ("# mikopbx usage v2\nextensions.list\n", 1, "format v1"),
        ] {
            let e = parse(text).unwrap_err();
            assert!(
                matches!(e, UsageError::Line { line: l, .. } if l == line),
                "{text:?}: {e}"
            );
            assert!(e.to_string().contains(says), "{e}");
        }
    }

    #[test]
    fn needs_and_audit() {
        let entries = parse(
            "extensions.list\nPOST /api/v3/module-x/tasks\nGET /api/modules/{id}/status\nsystem.ping\n",
        )
        .unwrap();
        let needs = needs(&entries);
        assert_eq!(
            needs.permissions.to_allowed_paths(),
            BTreeMap::from([
                ("/api/v3/extensions".to_owned(), "read".to_owned()),
                ("/api/v3/module-x/tasks".to_owned(), "write".to_owned()),
            ])
        );
        assert_eq!(needs.full_only.len(), 1);
        let exact = Needs {
            full_only: vec![],
            ..needs.clone()
        };
        assert!(audit(&exact.permissions, &exact).is_exact());
        let key = Permissions::from_short_map([("extensions", "write"), ("cdr", "read")]).unwrap();
        let a = audit(&key, &exact);
        assert!(a.is_wider() && a.is_narrower());
        assert_eq!(a.unused.len(), 2, "{a:?}");
        assert_eq!(a.missing[0].path, "/api/v3/module-x/tasks");
        assert!(audit(&Permissions::full(), &exact).is_wider());
        assert!(audit(&Permissions::full(), &needs).is_exact());
        assert!(audit(&needs.permissions, &needs).is_narrower());
    }
}
