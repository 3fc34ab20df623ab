//! The one error type of the Kotlin and Swift packages.
//!
//! A faithful copy of the core's [`mikopbx::Error`]: one case per [`ErrorKind`], the human message
//! (the core's `Display`) in `msg` and exported as the binding's `Display` (Kotlin `message` /
//! `toString()`, Swift `description` / `localizedDescription`), plus the structured fields a caller
//! branches on. Nothing here classifies anything: the core already did.

use std::time::Duration;

use mikopbx::{Access, DenialOrigin, Diagnosis, ErrorKind, NetworkFilter, Resource, TlsKind};

/// Everything a call can fail with. Kotlin: `sealed class MikoPbxException`; Swift: `enum MikoPbxError`.
#[derive(Debug, thiserror::Error, uniffi::Error)]
#[uniffi::export(Display)]
pub enum MikoPbxError {
    /// The PBX refused the credentials (401) and the client could not pin it on a permission or a
    /// network filter; `diagnosis` says what was ruled out and what remains.
    #[error("{msg}")]
    Unauthorized {
        /// The human message.
        msg: String,
        /// Operation name (`system.check_auth`, …).
        operation: Option<String>,
        /// HTTP status.
        status: Option<u16>,
        /// What the client ruled out and what remains possible.
        diagnosis: Diagnosis,
    },
    /// The key lacks a permission (refused locally before sending, or diagnosed from a 401).
    #[error("{msg}")]
    PermissionDenied {
        /// The human message (says what to grant).
        msg: String,
        /// Operation name.
        operation: Option<String>,
        /// HTTP status when the server refused.
        status: Option<u16>,
        /// The resource.
        resource: Resource,
        /// The short resource name, the path segment after `/api/v3/` (`"employees"`).
        resource_name: String,
        /// The access needed.
        required: Access,
        /// The access the key holds, if any.
        granted: Option<Access>,
        /// Local pre-check or server refusal.
        origin: DenialOrigin,
    },
    /// The key's network filter refuses this client's address.
    #[error("{msg}")]
    NetworkRestricted {
        /// The human message.
        msg: String,
        /// Operation name.
        operation: Option<String>,
        /// HTTP status.
        status: Option<u16>,
        /// The key's filter.
        filter: NetworkFilter,
    },
    /// The record or endpoint does not exist.
    #[error("{msg}")]
    NotFound {
        /// The human message.
        msg: String,
        /// Operation name.
        operation: Option<String>,
        /// HTTP status.
        status: Option<u16>,
        /// The server's messages.
        messages: Vec<String>,
    },
    /// The PBX rejected the input.
    #[error("{msg}")]
    Validation {
        /// The human message.
        msg: String,
        /// Operation name.
        operation: Option<String>,
        /// HTTP status.
        status: Option<u16>,
        /// The server's messages.
        messages: Vec<String>,
    },
    /// The change conflicts with existing data.
    #[error("{msg}")]
    Conflict {
        /// The human message.
        msg: String,
        /// Operation name.
        operation: Option<String>,
        /// HTTP status.
        status: Option<u16>,
        /// The server's messages.
        messages: Vec<String>,
    },
    /// Too many requests (429): the PBX bans the address for a while.
    #[error("{msg}")]
    RateLimited {
        /// The human message.
        msg: String,
        /// Operation name.
        operation: Option<String>,
        /// HTTP status.
        status: Option<u16>,
        /// From `Retry-After`, when sent.
        retry_after: Option<Duration>,
    },
    /// The PBX's web firewall refused the request (plain-text 403).
    #[error("{msg}")]
    BlockedByFirewall {
        /// The human message.
        msg: String,
        /// Operation name.
        operation: Option<String>,
        /// HTTP status.
        status: Option<u16>,
    },
    /// The PBX's request queue is full (503).
    #[error("{msg}")]
    ServiceBusy {
        /// The human message.
        msg: String,
        /// Operation name.
        operation: Option<String>,
        /// HTTP status.
        status: Option<u16>,
        /// From `Retry-After`, when sent.
        retry_after: Option<Duration>,
    },
    /// Any other server failure.
    #[error("{msg}")]
    Server {
        /// The human message.
        msg: String,
        /// Operation name.
        operation: Option<String>,
        /// HTTP status.
        status: Option<u16>,
        /// The server's messages.
        messages: Vec<String>,
    },
    /// The TLS handshake failed; certificate verification cannot be turned off, trust the PBX's
    /// certificate or pin it instead.
    #[error("{msg}")]
    Tls {
        /// The human message.
        msg: String,
        /// Operation name.
        operation: Option<String>,
        /// Why: unknown issuer, expired, hostname mismatch, pin mismatch, other.
        tls_kind: TlsKind,
    },
    /// The PBX could not be reached.
    #[error("{msg}")]
    Connect {
        /// The human message.
        msg: String,
        /// Operation name.
        operation: Option<String>,
    },
    /// The call did not finish within its total deadline.
    #[error("{msg}")]
    Timeout {
        /// The human message.
        msg: String,
        /// Operation name.
        operation: Option<String>,
    },
    /// The PBX's answer could not be understood.
    #[error("{msg}")]
    Decode {
        /// The human message (includes a bounded excerpt of the body).
        msg: String,
        /// Operation name.
        operation: Option<String>,
        /// HTTP status.
        status: Option<u16>,
    },
    /// Plain `http://` to a non-loopback host, refused before connecting.
    #[error("{msg}")]
    InsecureTransport {
        /// The human message.
        msg: String,
    },
    /// The client was configured wrongly.
    #[error("{msg}")]
    Config {
        /// The human message.
        msg: String,
    },
}

#[uniffi::export]
impl MikoPbxError {
    /// The error's kind.
    pub fn kind(&self) -> ErrorKind {
        match self {
            MikoPbxError::Unauthorized { .. } => ErrorKind::Unauthorized,
            MikoPbxError::PermissionDenied { .. } => ErrorKind::PermissionDenied,
            MikoPbxError::NetworkRestricted { .. } => ErrorKind::NetworkRestricted,
            MikoPbxError::NotFound { .. } => ErrorKind::NotFound,
            MikoPbxError::Validation { .. } => ErrorKind::Validation,
            MikoPbxError::Conflict { .. } => ErrorKind::Conflict,
            MikoPbxError::RateLimited { .. } => ErrorKind::RateLimited,
            MikoPbxError::BlockedByFirewall { .. } => ErrorKind::BlockedByFirewall,
            MikoPbxError::ServiceBusy { .. } => ErrorKind::ServiceBusy,
            MikoPbxError::Server { .. } => ErrorKind::Server,
            MikoPbxError::Tls { .. } => ErrorKind::Tls,
            MikoPbxError::Connect { .. } => ErrorKind::Connect,
            MikoPbxError::Timeout { .. } => ErrorKind::Timeout,
            MikoPbxError::Decode { .. } => ErrorKind::Decode,
            MikoPbxError::InsecureTransport { .. } => ErrorKind::InsecureTransport,
            MikoPbxError::Config { .. } => ErrorKind::Config,
        }
    }

    /// The kind's snake_case name, the same in every language (`"permission_denied"`).
    pub fn kind_name(&self) -> String {
        self.kind().as_str().to_owned()
    }

    /// The operation the error belongs to, when there is one.
    pub fn operation_name(&self) -> Option<String> {
        match self {
            MikoPbxError::Unauthorized { operation, .. }
            | MikoPbxError::PermissionDenied { operation, .. }
            | MikoPbxError::NetworkRestricted { operation, .. }
            | MikoPbxError::NotFound { operation, .. }
            | MikoPbxError::Validation { operation, .. }
            | MikoPbxError::Conflict { operation, .. }
            | MikoPbxError::RateLimited { operation, .. }
            | MikoPbxError::BlockedByFirewall { operation, .. }
            | MikoPbxError::ServiceBusy { operation, .. }
            | MikoPbxError::Server { operation, .. }
            | MikoPbxError::Tls { operation, .. }
            | MikoPbxError::Connect { operation, .. }
            | MikoPbxError::Timeout { operation, .. }
            | MikoPbxError::Decode { operation, .. } => operation.clone(),
            MikoPbxError::InsecureTransport { .. } | MikoPbxError::Config { .. } => None,
        }
    }

    /// The HTTP status, when a response was received.
    pub fn http_status(&self) -> Option<u16> {
        match self {
            MikoPbxError::Unauthorized { status, .. }
            | MikoPbxError::PermissionDenied { status, .. }
            | MikoPbxError::NetworkRestricted { status, .. }
            | MikoPbxError::NotFound { status, .. }
            | MikoPbxError::Validation { status, .. }
            | MikoPbxError::Conflict { status, .. }
            | MikoPbxError::RateLimited { status, .. }
            | MikoPbxError::BlockedByFirewall { status, .. }
            | MikoPbxError::ServiceBusy { status, .. }
            | MikoPbxError::Server { status, .. }
            | MikoPbxError::Decode { status, .. } => *status,
            _ => None,
        }
    }
}

impl From<mikopbx::Error> for MikoPbxError {
    fn from(e: mikopbx::Error) -> Self {
        use mikopbx::Error as E;
        let msg = e.to_string();
        let operation = e.operation().map(str::to_owned);
        let status = e.status();
        let messages = e.messages().to_vec();
        let retry_after = e.retry_after();
        match e {
            E::Unauthorized { diagnosis, .. } => MikoPbxError::Unauthorized {
                msg,
                operation,
                status,
                diagnosis,
            },
            E::PermissionDenied {
                resource,
                required,
                granted,
                origin,
                ..
            } => MikoPbxError::PermissionDenied {
                msg,
                operation,
                status,
                resource,
                resource_name: resource.segment().to_owned(),
                required,
                granted,
                origin,
            },
            E::NetworkRestricted { filter, .. } => MikoPbxError::NetworkRestricted {
                msg,
                operation,
                status,
                filter,
            },
            E::NotFound { .. } => MikoPbxError::NotFound {
                msg,
                operation,
                status,
                messages,
            },
            E::Validation { .. } => MikoPbxError::Validation {
                msg,
                operation,
                status,
                messages,
            },
            E::Conflict { .. } => MikoPbxError::Conflict {
                msg,
                operation,
                status,
                messages,
            },
            E::RateLimited { .. } => MikoPbxError::RateLimited {
                msg,
                operation,
                status,
                retry_after,
            },
            E::BlockedByFirewall { .. } => MikoPbxError::BlockedByFirewall {
                msg,
                operation,
                status,
            },
            E::ServiceBusy { .. } => MikoPbxError::ServiceBusy {
                msg,
                operation,
                status,
                retry_after,
            },
            E::Server { .. } => MikoPbxError::Server {
                msg,
                operation,
                status,
                messages,
            },
            E::Tls { kind, .. } => MikoPbxError::Tls {
                msg,
                operation,
                tls_kind: kind,
            },
            E::Connect { .. } => MikoPbxError::Connect { msg, operation },
            E::Timeout { .. } => MikoPbxError::Timeout { msg, operation },
            E::Decode { .. } => MikoPbxError::Decode {
                msg,
                operation,
                status,
            },
            E::InsecureTransport { .. } => MikoPbxError::InsecureTransport { msg },
            E::Config { .. } => MikoPbxError::Config { msg },
            // The core's enum is non-exhaustive; a kind added there surfaces by its kind here
            // until this layer grows a case for it.
            other => match other.kind() {
                ErrorKind::Config => MikoPbxError::Config { msg },
                _ => MikoPbxError::Server {
                    msg,
                    operation,
                    status,
                    messages,
                },
            },
        }
    }
}

pub(crate) type Result<T, E = MikoPbxError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    fn core_errors() -> Vec<mikopbx::Error> {
        use mikopbx::Error as E;
        vec![
            E::PermissionDenied {
                operation: Some("employees.create".into()),
                status: None,
                resource: Resource::Employees,
                required: Access::Write,
                granted: Some(Access::Read),
                origin: DenialOrigin::Local,
            },
            E::Tls {
                operation: Some("system.ping".into()),
                kind: TlsKind::PinMismatch,
                detail: "pin".into(),
            },
            E::RateLimited {
                operation: None,
                status: Some(429),
                retry_after: Some(Duration::from_secs(300)),
            },
            E::Server {
                operation: None,
                status: 500,
                messages: vec!["boom".into()],
            },
            E::Config {
                detail: "bad".into(),
            },
        ]
    }

    #[test]
    fn kind_message_operation_and_status_survive_the_conversion() {
        for core in core_errors() {
            let (kind, text, op, status) = (
                core.kind(),
                core.to_string(),
                core.operation().map(str::to_owned),
                core.status(),
            );
            let ffi = MikoPbxError::from(core);
            assert_eq!(ffi.kind(), kind);
            assert_eq!(ffi.kind_name(), kind.as_str());
            assert_eq!(ffi.to_string(), text);
            assert_eq!(ffi.operation_name(), op);
            assert_eq!(ffi.http_status(), status);
        }
    }

    #[test]
    fn permission_errors_carry_resource_and_required() {
        let MikoPbxError::PermissionDenied {
            resource_name,
            required,
            granted,
            ..
        } = MikoPbxError::from(core_errors().remove(0))
        else {
            panic!("not a permission error");
        };
        assert_eq!(resource_name, "employees");
        assert_eq!(required, Access::Write);
        assert_eq!(granted, Some(Access::Read));
    }
}
