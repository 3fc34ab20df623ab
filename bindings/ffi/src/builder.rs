//! `ClientBuilder`: the core's [`mikopbx::ClientBuilder`] as a uniffi object.
//!
//! Kotlin and Swift chain setters on a shared object, so the core builder (which is `Clone` and
//! consumed by its setters) sits behind a lock; each setter is one call into it. The first
//! rejected option is kept and reported by every `build()`. Nothing here weakens certificate
//! verification: the core has no such option.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use mikopbx::{Access, Client, Error, NetworkFilter, Permissions, RateLimit};

type Core = Result<mikopbx::ClientBuilder, Error>;

/// Configures and builds a [`Client`]. Every setter returns the builder, so calls chain:
/// `ClientBuilder(url).apiKey(key).trustCertificatePem(pem).build()`.
#[derive(uniffi::Object)]
#[uniffi::export(Debug)]
pub struct ClientBuilder(Mutex<Core>);

impl std::fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The core builder's Debug never shows the key.
        std::fmt::Debug::fmt(&*self.lock(), f)
    }
}

impl ClientBuilder {
    fn lock(&self) -> MutexGuard<'_, Core> {
        // Each setter replaces the whole value, so a panic cannot leave it half-written.
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn update(self: Arc<Self>, f: impl FnOnce(mikopbx::ClientBuilder) -> Core) -> Arc<Self> {
        let mut core = self.lock();
        if let Ok(b) = &*core {
            *core = f(b.clone());
        }
        drop(core);
        self
    }
}

#[uniffi::export]
impl ClientBuilder {
    /// A builder for the PBX at `base_url` (`https://host[:port]`).
    #[uniffi::constructor]
    pub fn new(base_url: String) -> Arc<Self> {
        Arc::new(ClientBuilder(Mutex::new(Ok(Client::builder(base_url)))))
    }

    /// A builder configured from `MIKOPBX_URL`, `MIKOPBX_API_KEY`, `MIKOPBX_CA_CERT` (path to a PEM
    /// or DER file) and `MIKOPBX_CERT_SHA256` (a pin); more setters may follow.
    #[uniffi::constructor]
    pub fn from_env() -> Arc<Self> {
        Arc::new(ClientBuilder(
            Mutex::new(mikopbx::ClientBuilder::from_env()),
        ))
    }

    /// The API key (System → API Keys). It is never shown by `toString`/`description`, logs or errors.
    pub fn api_key(self: Arc<Self>, key: String) -> Arc<Self> {
        self.update(|b| Ok(b.api_key(key)))
    }

    /// Trusts an extra CA or a self-signed certificate, PEM text (e.g. the simulator's `ca.pem`).
    pub fn trust_certificate_pem(self: Arc<Self>, pem: String) -> Arc<Self> {
        self.update(|b| b.trust_certificate_pem(pem))
    }

    /// Trusts an extra CA or a self-signed certificate given as PEM or DER bytes.
    pub fn trust_certificate(self: Arc<Self>, bytes: Vec<u8>) -> Arc<Self> {
        self.update(|b| b.trust_certificate(bytes))
    }

    /// Pins the server certificate by its SHA-256 fingerprint (hex, colons optional); `mikopbx
    /// doctor` prints it. A pinned certificate is trusted whatever name it carries.
    pub fn pin_certificate_sha256(self: Arc<Self>, fingerprint: String) -> Arc<Self> {
        self.update(|b| b.pin_certificate_sha256(&fingerprint))
    }

    /// Time allowed to establish the connection (default 10 s).
    pub fn connect_timeout(self: Arc<Self>, timeout: Duration) -> Arc<Self> {
        self.update(|b| Ok(b.connect_timeout(timeout)))
    }

    /// Total time allowed per call, retries included (default 30 s).
    pub fn timeout(self: Arc<Self>, timeout: Duration) -> Arc<Self> {
        self.update(|b| Ok(b.timeout(timeout)))
    }

    /// Retries of idempotent calls after transient failures (default 2).
    pub fn max_retries(self: Arc<Self>, retries: u32) -> Arc<Self> {
        self.update(|b| Ok(b.max_retries(retries)))
    }

    /// The client-side rate governor: at most `per_minute` requests a minute with bursts of
    /// `burst`. By default it is on for non-loopback hosts at 180 a minute with a burst of 10,
    /// below the PBX's ban threshold (180 a minute plus 20).
    pub fn rate_limit(self: Arc<Self>, per_minute: u32, burst: u32) -> Arc<Self> {
        self.update(|b| Ok(b.rate_limit(RateLimit::per_minute(per_minute).burst(burst))))
    }

    /// Turns the client-side rate governor off (the PBX still bans an address that sends too much).
    pub fn no_rate_limit(self: Arc<Self>) -> Arc<Self> {
        self.update(|b| Ok(b.rate_limit(RateLimit::disabled())))
    }

    /// The local address to connect from (e.g. `"127.0.0.2"`).
    pub fn local_address(self: Arc<Self>, address: String) -> Arc<Self> {
        self.update(|b| match address.trim().parse() {
            Ok(ip) => Ok(b.local_address(ip)),
            Err(_) => Err(Error::Config {
                detail: format!("local address {address:?} is not an IP address"),
            }),
        })
    }

    /// Appended to the User-Agent (e.g. `"my-crm/1.2"`).
    pub fn user_agent_suffix(self: Arc<Self>, suffix: String) -> Arc<Self> {
        self.update(|b| Ok(b.user_agent_suffix(suffix)))
    }

    /// The Asterisk manager (AMI) login for click-to-call (`calls().originate(...)`), spoken over
    /// AJAM on the PBX's Asterisk HTTPS port with this client's certificate checks. The secret
    /// is never shown by `toString`/`description`, logs or errors.
    pub fn asterisk_manager(self: Arc<Self>, username: String, secret: String) -> Arc<Self> {
        self.update(|b| Ok(b.asterisk_manager(username, secret)))
    }

    /// The PBX's AJAM TLS port (default 8089), on the host of the PBX URL.
    pub fn ajam_port(self: Arc<Self>, port: u16) -> Arc<Self> {
        self.update(|b| Ok(b.ajam_port(port)))
    }

    /// Pins the Asterisk HTTPS port's own certificate (SHA-256 hex), when it is not the web
    /// port's (a PBX in certificate fallback mode serves two different ones).
    pub fn pin_ajam_certificate_sha256(self: Arc<Self>, fingerprint: String) -> Arc<Self> {
        self.update(|b| b.pin_ajam_certificate_sha256(&fingerprint))
    }

    /// Lets this client run the operations marked dangerous (`system.reboot`, `system.shutdown`,
    /// …), which can stop or destroy the PBX. Off by default; leave it off in integrations.
    pub fn allow_dangerous_actions(self: Arc<Self>, allow: bool) -> Arc<Self> {
        self.update(|b| Ok(b.allow_dangerous_actions(allow)))
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
        self.update(|b| {
            let paths = allowed_paths.iter().map(|(k, v)| (k.as_str(), v.as_str()));
            let p = Permissions::from_short_map(paths)?;
            Ok(b.permissions(network.into_iter().fold(p, Permissions::with_network)))
        })
    }

    /// The key has full permissions (and, when known, this network filter).
    #[uniffi::method(default(network = None))]
    pub fn full_permissions(self: Arc<Self>, network: Option<NetworkFilter>) -> Arc<Self> {
        let p = network
            .into_iter()
            .fold(Permissions::full(), Permissions::with_network);
        self.update(|b| Ok(b.permissions(p)))
    }

    /// Learn mode: the client appends the name of each operation it performs to the file at
    /// `path`, once per client; `mikopbx keys create --from-usage FILE` makes the
    /// least-privilege key from it. Without this setter the `MIKOPBX_RECORD_USAGE` environment
    /// variable turns it on. Nothing secret is written; a file that cannot be written never
    /// fails a call.
    pub fn record_usage(self: Arc<Self>, path: String) -> Arc<Self> {
        self.update(|b| Ok(b.record_usage(path)))
    }

    /// Builds the client. Fails with `Config` for a malformed option and `InsecureTransport` for
    /// plain `http://` to a non-loopback host. Sends nothing.
    pub fn build(&self) -> Result<Arc<Client>, Error> {
        match &*self.lock() {
            Ok(b) => b.clone().build().map(Arc::new),
            // Setters fail only with `Config`; the error is kept for later `build()` calls.
            Err(Error::Config { detail }) => Err(Error::Config {
                detail: detail.clone(),
            }),
            Err(other) => Err(Error::Config {
                detail: other.to_string(),
            }),
        }
    }
}
