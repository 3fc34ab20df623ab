//! A safe client for the [MikoPBX](https://www.mikopbx.com) REST API v3.
//!
//! Three promises:
//!
//! 1. **Bearer key auth done right.** The key is an [`ApiKey`]: it never appears in `Debug`,
//!    `Display`, logs or errors, and it is sent only over verified TLS (plain `http://` only to a
//!    loopback address, for integrations running on the PBX itself).
//! 2. **Certificate verification is mandatory.** No switch turns it off. A PBX with its default
//!    self-signed certificate is reached by trusting its certificate
//!    ([`ClientBuilder::trust_certificate_pem`]) or pinning its SHA-256 fingerprint
//!    ([`ClientBuilder::pin_certificate_sha256`]; `mikopbx doctor` prints it). A pin trusts that
//!    exact certificate whatever name it carries, so connecting by LAN IP works.
//! 3. **Least privilege is practical.** Every operation in [`operations::OPERATIONS`] knows the
//!    permission it needs. Given the key's [`Permissions`], the client refuses a call the key
//!    cannot make before sending it and names the permission to grant;
//!    [`Permissions::minimal_for`] prints the `allowed_paths` an integration needs. A 401 from the
//!    server (which says the same thing for a bad key, a missing permission and a refused address)
//!    is diagnosed: see [`Diagnosis`].
//!
//! # Quick start
//!
//! ```no_run
//! use futures_util::StreamExt;
//! use mikopbx::{ApiKey, CdrQuery, Client, ExtensionQuery};
//!
//! # async fn run() -> Result<(), mikopbx::Error> {
//! let client = Client::builder("https://pbx.example.com")
//!     .api_key(ApiKey::new(std::env::var("MIKOPBX_API_KEY").unwrap_or_default()))
//!     // For a PBX with its default self-signed certificate (see `mikopbx doctor`):
//!     // .pin_certificate_sha256("AB:CD:…")?
//!     .build()?;
//!
//! // Who is calling from +1 555 0100?
//! let mut pager = client.extensions().list(ExtensionQuery {
//!     search: Some("5550100".into()),
//!     ..Default::default()
//! });
//! while let Some(page) = pager.next_page().await? {
//!     for ext in page {
//!         println!("{} {}", ext.number, ext.callerid);
//!     }
//! }
//!
//! // Today's calls, streamed lazily.
//! let mut calls = Box::pin(client.cdr().list(CdrQuery::today()).into_stream());
//! while let Some(call) = calls.next().await {
//!     let call = call?;
//!     println!("{} → {} {}", call.src_num, call.dst_num, call.disposition);
//! }
//! # Ok(()) }
//! ```
//!
//! # Least privilege
//!
//! ```
//! use mikopbx::{operations, Permissions};
//! let needed = Permissions::minimal_for(&[
//!     &operations::EXTENSIONS_LIST,
//!     &operations::CDR_LIST,
//! ]);
//! assert_eq!(needed.to_allowed_paths().get("/api/v3/cdr").map(String::as_str), Some("read"));
//! ```
//!
//! # Errors
//!
//! One [`Error`] enum; [`Error::kind`] gives the [`ErrorKind`] (`as_str()` is the name every
//! language uses), [`Error::operation`] and [`Error::status`] say where it happened, and the
//! `Display` text says what to do.
//!
//! # Modules
//!
//! [`transport`] builds the only HTTP client and owns the TLS trust decisions; [`operations`] is
//! the table every request is derived from; [`permissions`] reproduces the server's rules;
//! [`pagination`] streams every list shape; [`resources`] holds one module per resource API.

#[cfg(feature = "uniffi")]
uniffi::setup_scaffolding!();

pub mod auth;
mod client;
pub mod config;
mod diagnose;
mod envelope;
pub mod error;
mod governor;
pub mod operations;
pub mod pagination;
pub mod permissions;
pub mod resources;
mod retry;
pub mod transport;

pub use auth::ApiKey;
pub use client::{CertificateInfo, Client, TlsReport};
pub use config::{ClientBuilder, RateLimit};
pub use error::{DenialOrigin, Diagnosis, Error, ErrorKind, TlsKind, UnauthorizedCause};
pub use operations::{HttpMethod, OperationSpec, ResponseShape};
pub use pagination::Pager;
pub use permissions::{Access, NetworkFilter, Permissions, Resource};
pub use resources::api_keys::{ApiKeyInfo, ApiKeysApi, KeyPermissions, NewApiKey};
pub use resources::cdr::{CdrApi, CdrCall, CdrQuery, CdrRecord};
pub use resources::employees::{Employee, EmployeePatch, EmployeeQuery, EmployeesApi, NewEmployee};
pub use resources::extensions::{Extension, ExtensionOption, ExtensionQuery, ExtensionsApi};
pub use resources::pbx_status::{ActiveCall, ActiveChannel, PbxStatusApi};
pub use resources::system::{SysInfo, SysinfoApi, SystemApi};

impl Client {
    /// `system` operations.
    pub fn system(&self) -> SystemApi<'_> {
        SystemApi { client: self }
    }

    /// `sysinfo` operations.
    pub fn sysinfo(&self) -> SysinfoApi<'_> {
        SysinfoApi { client: self }
    }

    /// `extensions` operations.
    pub fn extensions(&self) -> ExtensionsApi<'_> {
        ExtensionsApi { client: self }
    }

    /// `employees` operations.
    pub fn employees(&self) -> EmployeesApi<'_> {
        EmployeesApi { client: self }
    }

    /// `cdr` operations.
    pub fn cdr(&self) -> CdrApi<'_> {
        CdrApi { client: self }
    }

    /// `pbx-status` operations.
    pub fn pbx_status(&self) -> PbxStatusApi<'_> {
        PbxStatusApi { client: self }
    }

    /// `api-keys` operations.
    pub fn api_keys(&self) -> ApiKeysApi<'_> {
        ApiKeysApi { client: self }
    }

    /// Probes a read of `resource` with this client's key: `Some(true)` accepted, `Some(false)`
    /// refused (401), `None` when there is no cheap read for it or the answer says nothing about
    /// the key. Used by `mikopbx doctor`.
    pub async fn probe_read(&self, resource: Resource) -> Option<bool> {
        diagnose::probe(self, resource).await
    }

    /// Reads this key's own record from `api-keys` (possible when the key may read `api-keys`):
    /// its permissions and network filter.
    pub async fn read_own_permissions(&self) -> Option<Permissions> {
        diagnose::read_own_permissions(self).await
    }
}
