//! One error type for everything the client can report.
//!
//! Every variant carries the operation (when there is one) and the HTTP status (when a response was
//! received), and its `Display` text says what to do. The API key never appears in any of it.

use std::fmt;
use std::time::Duration;

use crate::permissions::{Access, NetworkFilter, Resource};

/// The category of an [`Error`]; `as_str()` gives the snake_case name used by every language and
/// by the shared scenario files.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum ErrorKind {
    /// The server refused the credentials (401) and the cause could not be narrowed further.
    Unauthorized,
    /// The key lacks the permission the operation needs (refused locally or diagnosed).
    PermissionDenied,
    /// The key's network filter does not admit this client's address.
    NetworkRestricted,
    /// The record or endpoint does not exist.
    NotFound,
    /// The server rejected the input (422/400) with messages.
    Validation,
    /// The change conflicts with existing data (409).
    Conflict,
    /// Too many requests (429); the PBX bans the address for a while.
    RateLimited,
    /// The PBX's web firewall refused the request (plain-text 403).
    BlockedByFirewall,
    /// The PBX's request queue is full (503).
    ServiceBusy,
    /// Any other server failure.
    Server,
    /// The TLS handshake failed (see [`TlsKind`]).
    Tls,
    /// The PBX could not be reached.
    Connect,
    /// The call did not finish within its deadline.
    Timeout,
    /// The response could not be understood.
    Decode,
    /// Plain `http://` to a non-loopback address, or a redirect to https.
    InsecureTransport,
    /// The client was configured wrongly.
    Config,
}

impl ErrorKind {
    /// The snake_case name (`"permission_denied"`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Unauthorized => "unauthorized",
            ErrorKind::PermissionDenied => "permission_denied",
            ErrorKind::NetworkRestricted => "network_restricted",
            ErrorKind::NotFound => "not_found",
            ErrorKind::Validation => "validation",
            ErrorKind::Conflict => "conflict",
            ErrorKind::RateLimited => "rate_limited",
            ErrorKind::BlockedByFirewall => "blocked_by_firewall",
            ErrorKind::ServiceBusy => "service_busy",
            ErrorKind::Server => "server",
            ErrorKind::Tls => "tls",
            ErrorKind::Connect => "connect",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Decode => "decode",
            ErrorKind::InsecureTransport => "insecure_transport",
            ErrorKind::Config => "config",
        }
    }

    /// Every kind.
    pub const ALL: &'static [ErrorKind] = &[
        ErrorKind::Unauthorized,
        ErrorKind::PermissionDenied,
        ErrorKind::NetworkRestricted,
        ErrorKind::NotFound,
        ErrorKind::Validation,
        ErrorKind::Conflict,
        ErrorKind::RateLimited,
        ErrorKind::BlockedByFirewall,
        ErrorKind::ServiceBusy,
        ErrorKind::Server,
        ErrorKind::Tls,
        ErrorKind::Connect,
        ErrorKind::Timeout,
        ErrorKind::Decode,
        ErrorKind::InsecureTransport,
        ErrorKind::Config,
    ];
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a TLS handshake failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum TlsKind {
    /// The certificate is not signed by a trusted CA.
    UnknownIssuer,
    /// The certificate has expired (or is not yet valid).
    Expired,
    /// The certificate does not name the host used in the URL.
    HostnameMismatch,
    /// The certificate does not match the configured SHA-256 pin.
    PinMismatch,
    /// Anything else (protocol version, bad signature, alert from the server…).
    Other,
}

impl TlsKind {
    /// The snake_case name (`"unknown_issuer"`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            TlsKind::UnknownIssuer => "unknown_issuer",
            TlsKind::Expired => "expired",
            TlsKind::HostnameMismatch => "hostname_mismatch",
            TlsKind::PinMismatch => "pin_mismatch",
            TlsKind::Other => "other",
        }
    }
}

impl fmt::Display for TlsKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a permission refusal was decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum DenialOrigin {
    /// Checked against the key's known permissions before sending: nothing was sent.
    Local,
    /// The server answered 401/403 and the client's diagnosis found the missing permission.
    Server,
}

/// The narrowed-down reason for a 401.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum UnauthorizedCause {
    /// No API key was configured, and the PBX is not reached from localhost.
    NoKey,
    /// The key is wrong, revoked, or malformed: a probe the key should pass failed too.
    InvalidKey,
    /// The server's ID heuristic refuses restricted keys on this record's id (ends in A–F).
    IdQuirk,
    /// Could not be narrowed to a single cause; see `remaining`.
    Undetermined,
    /// `login` was refused: the user name or the password is wrong (the server's message,
    /// with the attempts left, is in the error's `messages`).
    WrongCredentials,
    /// This client logged out (`logout`): nothing was sent. Log in again.
    LoggedOut,
    /// The session has ended: the PBX refused its refresh token (expired, or revoked by a
    /// logout), so the access token could not be renewed. Log in again.
    SessionExpired,
}

/// The client's diagnosis of a 401: what it ruled out and what remains possible. It never guesses
/// silently.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Diagnosis {
    /// The narrowed-down cause.
    pub cause: UnauthorizedCause,
    /// Causes the client checked and excluded.
    pub ruled_out: Vec<String>,
    /// Causes still possible.
    pub remaining: Vec<String>,
    /// What to do next.
    pub advice: String,
}

impl fmt::Display for Diagnosis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.cause {
            UnauthorizedCause::NoKey => f.write_str("no API key was sent")?,
            UnauthorizedCause::InvalidKey => {
                f.write_str("the API key is not valid on this PBX (wrong, revoked or mistyped)")?
            }
            UnauthorizedCause::IdQuirk => f.write_str(
                "the PBX refuses restricted keys for this record id (server bug: ids ending in A–F are not recognised as ids)",
            )?,
            UnauthorizedCause::Undetermined => {
                f.write_str("the PBX refused the request and did not say why")?
            }
            UnauthorizedCause::WrongCredentials => {
                f.write_str("the PBX refused the user name or password")?
            }
            UnauthorizedCause::LoggedOut => {
                f.write_str("this client has logged out; nothing was sent")?
            }
            UnauthorizedCause::SessionExpired => f.write_str(
                "the session has ended: the PBX refused its refresh token (expired, or revoked by a logout)",
            )?,
        }
        if !self.ruled_out.is_empty() {
            write!(f, "; ruled out: {}", self.ruled_out.join(", "))?;
        }
        if !self.remaining.is_empty() {
            write!(f, "; still possible: {}", self.remaining.join(", "))?;
        }
        if !self.advice.is_empty() {
            write!(f, ". {}", self.advice)?;
        }
        Ok(())
    }
}

fn op_prefix(op: &Option<String>) -> String {
    match op {
        Some(op) => format!("{op}: "),
        None => String::new(),
    }
}

fn validation_origin(status: &Option<u16>) -> String {
    match status {
        Some(s) => format!("rejected by the PBX (HTTP {s})"),
        None => "invalid input, refused before sending".to_owned(),
    }
}

fn status_suffix(status: &Option<u16>) -> String {
    match status {
        Some(s) => format!(" (HTTP {s})"),
        None => String::new(),
    }
}

fn join_messages(messages: &[String]) -> String {
    if messages.is_empty() {
        "no message from the server".to_owned()
    } else {
        messages.join("; ")
    }
}

fn granted_text(granted: &Option<Access>) -> String {
    match granted {
        Some(a) => format!("the key has {a}"),
        None => "the key has no access to it".to_owned(),
    }
}

fn resource_text(resource: &Option<Resource>, allowed_path: &str) -> String {
    match resource {
        Some(r) => r.to_string(),
        None => allowed_path.to_owned(),
    }
}

/// The rest of a permission refusal: what is held, who refused, what to grant. A JSON 403 is the
/// PBX's access control refusing a web user's role (a session from `login`): API keys are
/// refused with 401, and requests without a token are not checked at all.
fn denial_text(
    granted: &Option<Access>,
    origin: &DenialOrigin,
    status: &Option<u16>,
    required: &Access,
    what: &str,
) -> String {
    if *status == Some(403) {
        return format!(
            "the logged-in user's role may not do this (refused by the PBX's access control with HTTP 403). Give the role {required} on {what}, or log in as an administrator"
        );
    }
    format!(
        "{} ({}). Grant {required} for {what} in System → API Keys",
        granted_text(granted),
        origin_text(origin, status)
    )
}

fn origin_text(origin: &DenialOrigin, status: &Option<u16>) -> String {
    match (origin, status) {
        (DenialOrigin::Local, _) => {
            "refused locally from the key's known permissions; nothing was sent".to_owned()
        }
        (DenialOrigin::Server, Some(s)) => format!("refused by the PBX with HTTP {s}"),
        (DenialOrigin::Server, None) => "refused by the PBX".to_owned(),
    }
}

fn server_what(status: u16) -> String {
    if status < 300 {
        // The call "succeeded" but the PBX did not do what was asked.
        format!("the PBX did not do what was asked (HTTP {status})")
    } else {
        format!("server error (HTTP {status})")
    }
}

fn revocation_note(filter: &NetworkFilter) -> &'static str {
    match filter {
        // The client cannot see which addresses a numbered filter admits.
        NetworkFilter::Id { .. } => {
            " (if the filter does admit this address, the key may have been revoked)"
        }
        _ => "",
    }
}

fn rate_advice(messages: &[String]) -> String {
    if messages.is_empty() {
        "It bans an address for 300 s × 2ⁿ after ~200 requests a minute; keep the client's rate governor on".to_owned()
    } else {
        // The PHP limits: 10 failed logins, or 100 refresh attempts, per address in 5 minutes.
        format!(
            "The PBX said: {}. Wait for its 5-minute window to pass; do not retry a login in a loop",
            messages.join("; ")
        )
    }
}

fn opt_duration(d: &Option<Duration>) -> String {
    match d {
        Some(d) => format!("; retry after {} s", d.as_secs().max(1)),
        None => String::new(),
    }
}

/// The error type, by its short name. (The enum is named `MikoPbxError` so that Kotlin and Swift,
/// which see its own name, do not get a type called `Error`/`Exception`.)
pub type Error = MikoPbxError;

/// Everything that can go wrong. Kotlin: `sealed class MikoPbxException` (its `message` is the
/// `Display` text); Swift: `enum MikoPbxError` (its `description` likewise); Python: the
/// `mikopbx.MikoPBXError` tree. Every language reads the same accessors: `kind`, `operation`,
/// `status`.
#[derive(Debug, thiserror::Error)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Error))]
#[cfg_attr(feature = "uniffi", uniffi::export(Display))]
#[non_exhaustive]
pub enum MikoPbxError {
    /// 401 that could not be pinned on a permission or a network filter, a refused login, or a
    /// session that has ended.
    #[error("{}unauthorized{}: {diagnosis}", op_prefix(.operation), status_suffix(.status))]
    Unauthorized {
        /// Operation name.
        operation: Option<String>,
        /// HTTP status (401), `None` when refused before sending.
        status: Option<u16>,
        /// What the client ruled out and what remains (boxed: it is the largest part of the
        /// error, which every `Result` carries).
        diagnosis: Box<Diagnosis>,
        /// The server's messages (for a refused login: "… you have N attempts left", in the
        /// PBX's language).
        messages: Vec<String>,
    },
    /// The key lacks a permission (or, with HTTP 403, the logged-in user's role does).
    #[error(
        "{}needs {required} on {what} ({allowed_path}: {req}); {}",
        op_prefix(.operation),
        denial_text(.granted, .origin, .status, .required, &resource_text(.resource, .allowed_path)),
        what = resource_text(.resource, .allowed_path),
        req = .required.as_str()
    )]
    PermissionDenied {
        /// Operation name.
        operation: Option<String>,
        /// HTTP status when the server refused.
        status: Option<u16>,
        /// The resource, when it is one of the core's catalogue (`None` for a path a PBX module
        /// adds, reached through `Client::request`).
        resource: Option<Resource>,
        /// The `allowed_paths` key the key needs (`/api/v3/employees`,
        /// `/api/v3/module-example/tasks`).
        allowed_path: String,
        /// The access needed.
        required: Access,
        /// The access held, if any.
        granted: Option<Access>,
        /// Local pre-check or server refusal.
        origin: DenialOrigin,
    },
    /// The key's network filter refuses this client's address.
    #[error("{}the key is restricted to {filter} and the PBX refused it from {source_desc}{}. Use the key from an allowed address, or change its network filter in System → API Keys{}",
        op_prefix(.operation), status_suffix(.status), revocation_note(.filter))]
    NetworkRestricted {
        /// Operation name.
        operation: Option<String>,
        /// HTTP status.
        status: Option<u16>,
        /// The key's filter.
        filter: NetworkFilter,
        /// Where the client connects from, in words.
        source_desc: String,
    },
    /// Not found (404, or 422 on a read by id).
    #[error("{}not found{}: {}", op_prefix(.operation), status_suffix(.status), join_messages(.messages))]
    NotFound {
        /// Operation name.
        operation: Option<String>,
        /// HTTP status.
        status: Option<u16>,
        /// Server messages.
        messages: Vec<String>,
    },
    /// The input was rejected: by the server (`status` set), or by the client before sending
    /// (`status` is `None`) where the server would silently mangle it instead of refusing it.
    #[error("{}{}: {}", op_prefix(.operation), validation_origin(.status), join_messages(.messages))]
    Validation {
        /// Operation name.
        operation: Option<String>,
        /// HTTP status.
        status: Option<u16>,
        /// Server messages.
        messages: Vec<String>,
    },
    /// Conflict (409).
    #[error("{}conflict{}: {}", op_prefix(.operation), status_suffix(.status), join_messages(.messages))]
    Conflict {
        /// Operation name.
        operation: Option<String>,
        /// HTTP status.
        status: Option<u16>,
        /// Server messages.
        messages: Vec<String>,
    },
    /// Rate limited (429): by nginx (plain text, no messages), or by the PBX's own limits on
    /// logins and session refreshes (a JSON answer with messages).
    #[error("{}the PBX is rate limiting this address{}{}. {}",
        op_prefix(.operation), status_suffix(.status), opt_duration(.retry_after), rate_advice(.messages))]
    RateLimited {
        /// Operation name.
        operation: Option<String>,
        /// HTTP status.
        status: Option<u16>,
        /// From `Retry-After`, when sent.
        retry_after: Option<Duration>,
        /// The server's messages, when it answered with JSON (the login and refresh limits).
        messages: Vec<String>,
    },
    /// The nginx WAF refused the request (plain-text 403).
    #[error("{}blocked by the PBX's web firewall{}: {body:?}. The URL, query, User-Agent or (on newer PBX builds) the request body matched an attack pattern (e.g. `' or`, `select … from`, `update … set`, `1=1`, `..`); rephrase the text, name or search term",
        op_prefix(.operation), status_suffix(.status))]
    BlockedByFirewall {
        /// Operation name.
        operation: Option<String>,
        /// HTTP status.
        status: Option<u16>,
        /// The plain-text body (bounded).
        body: String,
    },
    /// 503: the request queue is full.
    #[error("{}the PBX is busy (request queue full or worker timeout){}{}; retry later", op_prefix(.operation), status_suffix(.status), opt_duration(.retry_after))]
    ServiceBusy {
        /// Operation name.
        operation: Option<String>,
        /// HTTP status.
        status: Option<u16>,
        /// From `Retry-After`, when sent.
        retry_after: Option<Duration>,
    },
    /// Any other server-side failure.
    #[error("{}{}: {}", op_prefix(.operation), server_what(*.status), join_messages(.messages))]
    Server {
        /// Operation name.
        operation: Option<String>,
        /// HTTP status.
        status: u16,
        /// Server messages.
        messages: Vec<String>,
    },
    /// TLS failure.
    #[error("{}TLS failure ({tls_kind}): {detail}", op_prefix(.operation))]
    Tls {
        /// Operation name.
        operation: Option<String>,
        /// Sub-kind.
        tls_kind: TlsKind,
        /// What happened and what to do.
        detail: String,
    },
    /// Could not connect.
    #[error("{}cannot reach the PBX: {detail}", op_prefix(.operation))]
    Connect {
        /// Operation name.
        operation: Option<String>,
        /// What happened.
        detail: String,
    },
    /// Deadline exceeded.
    #[error("{}no answer within {} ms (the call's total deadline, retries included)", op_prefix(.operation), .after.as_millis())]
    Timeout {
        /// Operation name.
        operation: Option<String>,
        /// The deadline.
        after: Duration,
    },
    /// Undecodable response.
    #[error("{}could not understand the PBX's answer{}: {detail}; body starts: {excerpt:?}", op_prefix(.operation), status_suffix(.status))]
    Decode {
        /// Operation name.
        operation: Option<String>,
        /// HTTP status.
        status: Option<u16>,
        /// What did not parse.
        detail: String,
        /// The start of the body (at most 200 characters).
        excerpt: String,
    },
    /// Insecure transport refused.
    #[error("insecure transport refused: {detail}")]
    InsecureTransport {
        /// What happened and what to do.
        detail: String,
    },
    /// Bad configuration.
    #[error("configuration error: {detail}")]
    Config {
        /// What is wrong.
        detail: String,
    },
}

/// The accessors every language shares (`kind`, `operation`, `status`, …), for Kotlin and Swift.
#[cfg(feature = "uniffi")]
#[uniffi::export]
impl MikoPbxError {
    /// The error's kind.
    #[uniffi::method(name = "kind")]
    pub fn ffi_kind(&self) -> ErrorKind {
        self.kind()
    }
    /// The kind's snake_case name, the same in every language (`"permission_denied"`).
    #[uniffi::method(name = "kind_name")]
    pub fn ffi_kind_name(&self) -> String {
        self.kind().as_str().to_owned()
    }
    /// The operation the error belongs to, when there is one.
    #[uniffi::method(name = "operation")]
    pub fn ffi_operation(&self) -> Option<String> {
        self.operation().map(str::to_owned)
    }
    /// The HTTP status, when a response was received.
    #[uniffi::method(name = "status")]
    pub fn ffi_status(&self) -> Option<u16> {
        self.status()
    }
}

impl Error {
    pub(crate) fn config(detail: impl Into<String>) -> Error {
        Error::Config {
            detail: detail.into(),
        }
    }

    /// A missing permission on one of the catalogue's resources.
    pub(crate) fn permission_denied(
        resource: Resource,
        required: Access,
        granted: Option<Access>,
        origin: DenialOrigin,
        status: Option<u16>,
    ) -> Error {
        Error::PermissionDenied {
            operation: None,
            status,
            resource: Some(resource),
            allowed_path: resource.allowed_path(),
            required,
            granted,
            origin,
        }
    }

    /// The category.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Unauthorized { .. } => ErrorKind::Unauthorized,
            Error::PermissionDenied { .. } => ErrorKind::PermissionDenied,
            Error::NetworkRestricted { .. } => ErrorKind::NetworkRestricted,
            Error::NotFound { .. } => ErrorKind::NotFound,
            Error::Validation { .. } => ErrorKind::Validation,
            Error::Conflict { .. } => ErrorKind::Conflict,
            Error::RateLimited { .. } => ErrorKind::RateLimited,
            Error::BlockedByFirewall { .. } => ErrorKind::BlockedByFirewall,
            Error::ServiceBusy { .. } => ErrorKind::ServiceBusy,
            Error::Server { .. } => ErrorKind::Server,
            Error::Tls { .. } => ErrorKind::Tls,
            Error::Connect { .. } => ErrorKind::Connect,
            Error::Timeout { .. } => ErrorKind::Timeout,
            Error::Decode { .. } => ErrorKind::Decode,
            Error::InsecureTransport { .. } => ErrorKind::InsecureTransport,
            Error::Config { .. } => ErrorKind::Config,
        }
    }

    /// The operation name (`"extensions.list"`), when the error belongs to one.
    pub fn operation(&self) -> Option<&str> {
        match self {
            Error::Unauthorized { operation, .. }
            | Error::PermissionDenied { operation, .. }
            | Error::NetworkRestricted { operation, .. }
            | Error::NotFound { operation, .. }
            | Error::Validation { operation, .. }
            | Error::Conflict { operation, .. }
            | Error::RateLimited { operation, .. }
            | Error::BlockedByFirewall { operation, .. }
            | Error::ServiceBusy { operation, .. }
            | Error::Server { operation, .. }
            | Error::Tls { operation, .. }
            | Error::Connect { operation, .. }
            | Error::Timeout { operation, .. }
            | Error::Decode { operation, .. } => operation.as_deref(),
            Error::InsecureTransport { .. } | Error::Config { .. } => None,
        }
    }

    /// The HTTP status, when a response was received.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Unauthorized { status, .. }
            | Error::PermissionDenied { status, .. }
            | Error::NetworkRestricted { status, .. }
            | Error::NotFound { status, .. }
            | Error::Validation { status, .. }
            | Error::Conflict { status, .. }
            | Error::RateLimited { status, .. }
            | Error::BlockedByFirewall { status, .. }
            | Error::ServiceBusy { status, .. }
            | Error::Decode { status, .. } => *status,
            Error::Server { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The TLS sub-kind, for [`ErrorKind::Tls`].
    pub fn tls_kind(&self) -> Option<TlsKind> {
        match self {
            Error::Tls { tls_kind, .. } => Some(*tls_kind),
            _ => None,
        }
    }

    /// The server's messages, for errors that carry them.
    pub fn messages(&self) -> &[String] {
        match self {
            Error::NotFound { messages, .. }
            | Error::Validation { messages, .. }
            | Error::Conflict { messages, .. }
            | Error::Unauthorized { messages, .. }
            | Error::RateLimited { messages, .. }
            | Error::Server { messages, .. } => messages,
            _ => &[],
        }
    }

    /// `Retry-After`, for rate limiting and busy errors.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::RateLimited { retry_after, .. } | Error::ServiceBusy { retry_after, .. } => {
                *retry_after
            }
            _ => None,
        }
    }

    /// The resource, for [`ErrorKind::PermissionDenied`].
    pub fn resource(&self) -> Option<Resource> {
        match self {
            Error::PermissionDenied { resource, .. } => *resource,
            _ => None,
        }
    }

    /// The access needed, for [`ErrorKind::PermissionDenied`].
    pub fn required_access(&self) -> Option<Access> {
        match self {
            Error::PermissionDenied { required, .. } => Some(*required),
            _ => None,
        }
    }

    /// The 401 diagnosis, for [`ErrorKind::Unauthorized`].
    pub fn diagnosis(&self) -> Option<&Diagnosis> {
        match self {
            Error::Unauthorized { diagnosis, .. } => Some(diagnosis.as_ref()),
            _ => None,
        }
    }

    pub(crate) fn with_operation(mut self, name: &str) -> Error {
        match &mut self {
            Error::Unauthorized { operation, .. }
            | Error::PermissionDenied { operation, .. }
            | Error::NetworkRestricted { operation, .. }
            | Error::NotFound { operation, .. }
            | Error::Validation { operation, .. }
            | Error::Conflict { operation, .. }
            | Error::RateLimited { operation, .. }
            | Error::BlockedByFirewall { operation, .. }
            | Error::ServiceBusy { operation, .. }
            | Error::Server { operation, .. }
            | Error::Tls { operation, .. }
            | Error::Connect { operation, .. }
            | Error::Timeout { operation, .. }
            | Error::Decode { operation, .. } => {
                if operation.is_none() {
                    *operation = Some(name.to_owned());
                }
            }
            Error::InsecureTransport { .. } | Error::Config { .. } => {}
        }
        self
    }
}

/// The first `max` characters of a body, for error messages.
pub(crate) fn excerpt(body: &[u8], max: usize) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(max * 4)]);
    let mut out: String = text.chars().take(max).collect();
    if text.chars().count() > max || body.len() > max * 4 {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permission_message_says_what_to_grant() {
        let e = Error::permission_denied(
            Resource::Employees,
            Access::Write,
            Some(Access::Read),
            DenialOrigin::Local,
            None,
        )
        .with_operation("employees.create");
        let s = e.to_string();
        assert!(
            s.contains("Grant Write for Employees in System → API Keys"),
            "{s}"
        );
        assert!(s.contains("/api/v3/employees: write"), "{s}");
        assert_eq!(e.kind().as_str(), "permission_denied");
    }

    #[test]
    fn excerpt_is_bounded() {
        let body = vec![b'x'; 10_000];
        assert!(excerpt(&body, 200).chars().count() <= 201);
    }
}
