//! Exit codes, the same for every command, so a script can tell "fix the key" from "the PBX is
//! down" without parsing messages. Listed by `mikopbx exit-codes` and in the README.
//!
//! | code | meaning |
//! |---:|---|
//! | 0 | done |
//! | 1 | failed (the PBX refused the input, an export could not finish, a check failed, …) |
//! | 2 | usage: a bad argument or flag, an unknown operation (also clap's own code) |
//! | 3 | the PBX refused the credentials (key unknown or revoked, wrong password, expired session) |
//! | 4 | the key lacks the permission, or its network filter does not admit this machine |
//! | 5 | the certificate was refused (untrusted, expired, wrong host, pin mismatch) |
//! | 6 | the PBX could not be reached in time (connection refused, timeout, busy, rate-limited) |
//! | 130 | interrupted (Ctrl-C) |

use std::process::ExitCode;

use mikopbx::ErrorKind;

/// Done.
pub const SUCCESS: u8 = 0;
/// Failed for a reason the other codes do not name.
pub const FAILURE: u8 = 1;
/// A bad argument or flag.
pub const USAGE: u8 = 2;
/// The PBX refused the credentials.
pub const UNAUTHORIZED: u8 = 3;
/// The key lacks the permission or its network filter refuses this machine.
pub const FORBIDDEN: u8 = 4;
/// The certificate was refused.
pub const TLS: u8 = 5;
/// The PBX could not be reached in time.
pub const UNREACHABLE: u8 = 6;
/// Interrupted by the user.
pub const INTERRUPTED: u8 = 130;

/// Every code with its meaning, for `mikopbx exit-codes` (and its test, which keeps it equal to
/// the table above).
pub const TABLE: &[(u8, &str)] = &[
    (SUCCESS, "done"),
    (
        FAILURE,
        "failed (the PBX refused the input, an export could not finish, a check failed, ...)",
    ),
    (USAGE, "usage: a bad argument or flag, an unknown operation"),
    (
        UNAUTHORIZED,
        "the PBX refused the credentials (key unknown or revoked, wrong password, expired session)",
    ),
    (
        FORBIDDEN,
        "the key lacks the permission, or its network filter does not admit this machine",
    ),
    (
        TLS,
        "the certificate was refused (untrusted, expired, wrong host, pin mismatch)",
    ),
    (
        UNREACHABLE,
        "the PBX could not be reached in time (connection refused, timeout, busy, rate-limited)",
    ),
    (INTERRUPTED, "interrupted (Ctrl-C)"),
];

/// The code for an SDK error.
pub fn for_kind(kind: ErrorKind) -> u8 {
    match kind {
        ErrorKind::Unauthorized => UNAUTHORIZED,
        ErrorKind::PermissionDenied | ErrorKind::NetworkRestricted => FORBIDDEN,
        ErrorKind::Tls | ErrorKind::InsecureTransport => TLS,
        ErrorKind::Connect
        | ErrorKind::Timeout
        | ErrorKind::ServiceBusy
        | ErrorKind::RateLimited
        | ErrorKind::BlockedByFirewall => UNREACHABLE,
        ErrorKind::Config => USAGE,
        _ => FAILURE,
    }
}

/// The exit code from one of the constants above.
pub fn code(c: u8) -> ExitCode {
    ExitCode::from(c)
}

/// Why a command stopped: the message for stderr and the exit code.
#[derive(Debug)]
pub struct Failure {
    /// One of the codes above.
    pub code: u8,
    /// What happened and what to do, for a person.
    pub message: String,
}

impl Failure {
    /// A bad argument: exit code 2.
    pub fn usage(message: impl Into<String>) -> Self {
        Failure {
            code: USAGE,
            message: message.into(),
        }
    }

    /// The same failure, its message prefixed with what it was about (`key #3: …`).
    pub fn context(self, what: &str) -> Self {
        Failure {
            message: format!("{what}: {}", self.message),
            ..self
        }
    }

    /// Prints `mikopbx: <message>` on stderr and gives the exit code.
    pub fn report(self) -> ExitCode {
        eprintln!("mikopbx: {}", self.message);
        code(self.code)
    }
}

impl From<mikopbx::Error> for Failure {
    fn from(e: mikopbx::Error) -> Self {
        Failure {
            code: for_kind(e.kind()),
            message: e.to_string(),
        }
    }
}

impl From<String> for Failure {
    fn from(message: String) -> Self {
        Failure {
            code: FAILURE,
            message,
        }
    }
}

impl From<&str> for Failure {
    fn from(message: &str) -> Self {
        Failure::from(message.to_owned())
    }
}

/// `Ok` → 0, `Err` → its report.
pub fn finish(outcome: Result<(), Failure>) -> ExitCode {
    match outcome {
        Ok(()) => code(SUCCESS),
        Err(f) => f.report(),
    }
}
