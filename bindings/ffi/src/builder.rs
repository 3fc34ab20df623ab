//! `ClientBuilder`: how a Kotlin or Swift app configures a client.
//!
//! Setters only record values; [`ClientBuilder::build`] hands them to the core's builder, which
//! validates them. There is deliberately no option that weakens certificate verification.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use mikopbx::{Access, ApiKey as CoreKey, NetworkFilter, Permissions, RateLimit};

use crate::client::Client;
use crate::error::{MikoPbxError, Result};

#[derive(Default)]
struct Settings {
    api_key: Option<CoreKey>,
    trusted: Vec<Vec<u8>>,
    pins: Vec<String>,
    connect_timeout: Option<Duration>,
    timeout: Option<Duration>,
    max_retries: Option<u32>,
    rate_limit: Option<RateLimit>,
    local_address: Option<String>,
    user_agent_suffix: Option<String>,
    permissions: Option<Permissions>,
    /// A rejected `permissions(...)` map, reported by every `build()` until replaced.
    permissions_error: Option<String>,
}

/// Configures and builds a [`Client`]. Every setter returns the builder, so calls chain:
/// `ClientBuilder(url).apiKey(key).trustCertificatePem(pem).build()`.
#[derive(uniffi::Object)]
#[uniffi::export(Debug)]
pub struct ClientBuilder {
    base_url: String,
    settings: Mutex<Settings>,
}

impl std::fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = self.lock();
        f.debug_struct("ClientBuilder")
            .field("base_url", &self.base_url)
            // ApiKey's Debug is redacted (`ApiKey(abcde…vwxyz)`).
            .field("api_key", &s.api_key)
            .field("trusted_certificates", &s.trusted.len())
            .field("pins", &s.pins.len())
            .finish_non_exhaustive()
    }
}

impl ClientBuilder {
    fn lock(&self) -> MutexGuard<'_, Settings> {
        // A panic while holding the lock cannot leave the settings half-written in a way that
        // matters: each setter writes one field.
        self.settings.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn set(self: Arc<Self>, f: impl FnOnce(&mut Settings)) -> Arc<Self> {
        f(&mut self.lock());
        self
    }
}

#[uniffi::export]
impl ClientBuilder {
    /// A builder for the PBX at `base_url` (`https://host[:port]`).
    #[uniffi::constructor]
    pub fn new(base_url: String) -> Arc<Self> {
        Arc::new(ClientBuilder {
            base_url,
            settings: Mutex::new(Settings::default()),
        })
    }

    /// The API key (System → API Keys). It is never shown by `toString`/`description`, logs or errors.
    pub fn api_key(self: Arc<Self>, key: String) -> Arc<Self> {
        self.set(|s| s.api_key = Some(CoreKey::new(key)))
    }

    /// Trusts an extra CA or a self-signed certificate, PEM text (e.g. the simulator's `ca.pem`
    /// or the PBX's own certificate).
    pub fn trust_certificate_pem(self: Arc<Self>, pem: String) -> Arc<Self> {
        self.set(|s| s.trusted.push(pem.into_bytes()))
    }

    /// Trusts an extra CA or a self-signed certificate given as PEM or DER bytes.
    pub fn trust_certificate(self: Arc<Self>, bytes: Vec<u8>) -> Arc<Self> {
        self.set(|s| s.trusted.push(bytes))
    }

    /// Pins the server certificate by its SHA-256 fingerprint (hex, colons optional); `mikopbx
    /// doctor` prints it. A pinned certificate is trusted whatever name it carries.
    pub fn pin_certificate_sha256(self: Arc<Self>, fingerprint: String) -> Arc<Self> {
        self.set(|s| s.pins.push(fingerprint))
    }

    /// Time allowed to establish the connection.
    pub fn connect_timeout(self: Arc<Self>, timeout: Duration) -> Arc<Self> {
        self.set(|s| s.connect_timeout = Some(timeout))
    }

    /// Total time allowed per call, retries included.
    pub fn timeout(self: Arc<Self>, timeout: Duration) -> Arc<Self> {
        self.set(|s| s.timeout = Some(timeout))
    }

    /// Retries of idempotent calls after transient failures (default 2).
    pub fn max_retries(self: Arc<Self>, retries: u32) -> Arc<Self> {
        self.set(|s| s.max_retries = Some(retries))
    }

    /// The client-side rate governor: at most `per_minute` requests a minute with bursts of
    /// `burst`. By default it is on (180/min, burst 20) for non-loopback hosts, below the PBX's
    /// ban threshold.
    pub fn rate_limit(self: Arc<Self>, per_minute: u32, burst: u32) -> Arc<Self> {
        self.set(|s| s.rate_limit = Some(RateLimit::per_minute(per_minute).burst(burst)))
    }

    /// Turns the client-side rate governor off (the PBX still bans an address that sends too much).
    pub fn no_rate_limit(self: Arc<Self>) -> Arc<Self> {
        self.set(|s| s.rate_limit = Some(RateLimit::disabled()))
    }

    /// The local address to connect from (e.g. `"127.0.0.2"`).
    pub fn local_address(self: Arc<Self>, address: String) -> Arc<Self> {
        self.set(|s| s.local_address = Some(address))
    }

    /// Appended to the User-Agent (e.g. `"my-crm/1.2"`).
    pub fn user_agent_suffix(self: Arc<Self>, suffix: String) -> Arc<Self> {
        self.set(|s| s.user_agent_suffix = Some(suffix))
    }

    /// The key's known permissions: resource (`"extensions"` or `"/api/v3/extensions"`) → access,
    /// and its network filter when known. Calls the key cannot make then fail locally, naming
    /// the permission to grant, and a 401 is diagnosed precisely.
    #[uniffi::method(default(network = None))]
    pub fn permissions(
        self: Arc<Self>,
        allowed_paths: HashMap<String, Access>,
        network: Option<NetworkFilter>,
    ) -> Arc<Self> {
        let parsed = Permissions::from_short_map(
            allowed_paths.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        );
        self.set(|s| match parsed {
            Ok(p) => {
                s.permissions = Some(match network {
                    Some(n) => p.with_network(n),
                    None => p,
                });
                s.permissions_error = None;
            }
            Err(e) => s.permissions_error = Some(e.to_string()),
        })
    }

    /// The key has full permissions (and, when known, this network filter).
    #[uniffi::method(default(network = None))]
    pub fn full_permissions(self: Arc<Self>, network: Option<NetworkFilter>) -> Arc<Self> {
        self.set(|s| {
            let p = Permissions::full();
            s.permissions = Some(match network {
                Some(n) => p.with_network(n),
                None => p,
            });
            s.permissions_error = None;
        })
    }

    /// Builds the client. Fails with `Config` for a malformed option and `InsecureTransport` for
    /// plain `http://` to a non-loopback host. Sends nothing.
    pub fn build(&self) -> Result<Arc<Client>> {
        let s = self.lock();
        if let Some(msg) = &s.permissions_error {
            return Err(MikoPbxError::Config { msg: msg.clone() });
        }
        let mut b = mikopbx::Client::builder(self.base_url.clone());
        if let Some(key) = s.api_key.clone() {
            b = b.api_key(key);
        }
        for cert in &s.trusted {
            b = b.trust_certificate(cert)?;
        }
        for pin in &s.pins {
            b = b.pin_certificate_sha256(pin)?;
        }
        if let Some(t) = s.connect_timeout {
            b = b.connect_timeout(t);
        }
        if let Some(t) = s.timeout {
            b = b.timeout(t);
        }
        if let Some(n) = s.max_retries {
            b = b.max_retries(n);
        }
        if let Some(r) = s.rate_limit {
            b = b.rate_limit(r);
        }
        if let Some(addr) = &s.local_address {
            let ip: IpAddr = addr.trim().parse().map_err(|_| MikoPbxError::Config {
                msg: format!("configuration error: local address {addr:?} is not an IP address"),
            })?;
            b = b.local_address(ip);
        }
        if let Some(suffix) = &s.user_agent_suffix {
            b = b.user_agent_suffix(suffix.clone());
        }
        if let Some(p) = s.permissions.clone() {
            b = b.permissions(p);
        }
        Ok(Arc::new(Client::from_core(b.build()?)))
    }
}
