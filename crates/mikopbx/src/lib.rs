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
//! let pager = client.extensions().list(ExtensionQuery {
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
//! Or learn it: with `MIKOPBX_RECORD_USAGE=FILE` in the environment (or
//! [`ClientBuilder::record_usage`]) every client appends the operations it performs to FILE, and
//! [`usage::needs`] (`mikopbx keys create --from-usage FILE`) gives the least privilege for them.
//!
//! # Web sessions
//!
//! Admin tools that act as a person log in instead of holding a key: a client built without
//! an API key calls [`Client::login`] with a web user's name and password, and every call then
//! carries the session's JWT, renewed before it expires; [`Client::logout`] ends it. Both tokens
//! stay in memory and out of every `Debug`, log and error. See [`session`].
//!
//! # Errors
//!
//! One [`Error`] enum; [`Error::kind`] gives the [`ErrorKind`] (`as_str()` is the name every
//! language uses), [`Error::operation`] and [`Error::status`] say where it happened, and the
//! `Display` text says what to do.
//!
//! # Modules
//!
//! [`transport`] builds the only HTTP client and owns the TLS trust decisions; each module of
//! [`resources`] describes its endpoints once, in an `api!` block, and [`operations`] gathers
//! them into the table every request is derived from; [`describe`] makes the table and the
//! models machine-readable for the bindings; [`permissions`] reproduces the server's rules;
//! [`pagination`] streams every list shape.

#[cfg(feature = "uniffi")]
uniffi::setup_scaffolding!();

// `#[derive(Describe)]` names `::mikopbx::…`, which must resolve inside this crate too.
extern crate self as mikopbx;

mod api;
pub mod auth;
pub mod calls;
mod click_to_call;
mod client;
pub mod config;
pub mod describe;
mod diagnose;
pub mod dynamic;
mod envelope;
pub mod error;
mod governor;
#[cfg(feature = "log-queue")]
pub mod log_queue;
pub mod operations;
mod page_decode;
pub mod pagination;
pub mod permissions;
#[cfg(feature = "python")]
pub mod python;
pub mod recordings;
pub mod reference;
mod request;
pub mod resources;
mod retry;
pub mod session;
pub mod transport;
pub mod usage;

pub use api::Paged;
pub use auth::{ApiKey, Secret};
pub use calls::{CallEvent, CallEventType, CallWatcher, CallsApi, WatchOptions};
pub use click_to_call::DEFAULT_AJAM_PORT;
pub use client::{CertificateInfo, Client, ServerAnswer, TlsReport};
pub use config::{CLIENT_OPTIONS, ClientBuilder, RateLimit};
pub use error::{DenialOrigin, Diagnosis, Error, ErrorKind, TlsKind, UnauthorizedCause};
pub use operations::{HttpMethod, OperationSpec, ResponseShape};
pub use pagination::Pager;
pub use permissions::{Access, NetworkFilter, Permissions, Resource};
pub use recordings::{
    Recording, RecordingFormat, RecordingInfo, RecordingOptions, RecordingStream,
};
// Every resource's handle, models and cursors (`mikopbx::Employee`, `mikopbx::CdrPager`, …).
pub use request::ApiResponse;
pub use resources::prelude::*;
pub use session::SessionInfo;

impl Client {
    /// Probes a read of `resource` with this client's key: `Some(true)` accepted, `Some(false)`
    /// refused (401), `None` when the resource has no read in the table or the answer says
    /// nothing about the key. Used by `mikopbx doctor`.
    pub async fn probe_read(&self, resource: Resource) -> Option<bool> {
        diagnose::probe(self, resource).await
    }

    /// Reads this key's own record from `api-keys` (possible when the key may read `api-keys`):
    /// its permissions and network filter.
    pub async fn read_own_permissions(&self) -> Option<Permissions> {
        diagnose::read_own_permissions(self).await
    }
}
