//! The library entry point: [`Simulator::builder`] → [`SimulatorBuilder::start`] →
//! [`RunningSimulator`].

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;

use crate::app::{App, Config};
use crate::auth::keys;
use crate::clock::SimClock;
use crate::faults::FaultControl;
use crate::nginx::WafMode;
use crate::server::{ListenerKind, serve};
use crate::state::{ApiKeyRecord, Store};
use crate::{SimError, tls};

/// How the simulator serves.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum TlsMode {
    /// HTTPS with a fresh CA (in `ca.pem`) and a `localhost` / `127.0.0.1` / `::1` leaf.
    #[default]
    LocalCa,
    /// HTTPS with a certificate shaped like MikoPBX's default one: self-signed, `CA:FALSE`, no
    /// keyCertSign, a single SAN naming `hostname` (so connecting to 127.0.0.1 is a hostname
    /// mismatch even when the certificate is trusted; pin it instead). `ca.pem` and
    /// `server.pem` hold that certificate.
    PbxDefault {
        /// The one name in the certificate (e.g. `mikopbx`).
        hostname: String,
    },
    /// Plain HTTP on the main address (a PBX with `RedirectToHttps=0`, for on-box tests).
    PlainHttp,
}

/// Configures and starts a simulator. Obtain one with [`Simulator::builder`].
#[derive(Debug, Clone)]
pub struct SimulatorBuilder {
    addr: SocketAddr,
    http_addr: Option<SocketAddr>,
    state_dir: Option<PathBuf>,
    tls: TlsMode,
    clock_scale: f64,
    id_quirk: bool,
    admin_password: String,
    access_token_ttl: u64,
    cdr_records: u64,
    waf: WafMode,
    network_filter_quirk: bool,
    ajam_port: u16,
    ajam_fallback_certificate: bool,
}

/// Namespace for [`Simulator::builder`].
#[derive(Debug)]
pub struct Simulator;

impl Simulator {
    /// A builder with the defaults: `127.0.0.1:0`, a temporary state dir, [`TlsMode::LocalCa`],
    /// clock scale 1.0, the A–F ID quirk on, admin password `admin`, 100 000 CDR records.
    pub fn builder() -> SimulatorBuilder {
        SimulatorBuilder {
            addr: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0),
            http_addr: None,
            state_dir: None,
            tls: TlsMode::LocalCa,
            clock_scale: 1.0,
            id_quirk: true,
            admin_password: "admin".into(),
            access_token_ttl: crate::auth::jwt::ACCESS_TTL as u64,
            cdr_records: 100_000,
            waf: WafMode::Release,
            network_filter_quirk: true,
            ajam_port: 0,
            ajam_fallback_certificate: false,
        }
    }
}

impl SimulatorBuilder {
    /// Address to listen on (`127.0.0.1:0` picks a free port).
    pub fn addr(mut self, addr: SocketAddr) -> Self {
        self.addr = addr;
        self
    }

    /// Also listen with plain HTTP here; non-local clients get a 301 to the HTTPS address,
    /// localhost is served (MikoPBX's `RedirectToHttps=1` port 80).
    pub fn http_addr(mut self, addr: SocketAddr) -> Self {
        self.http_addr = Some(addr);
        self
    }

    /// Keep state in `dir` (created if needed); a restart with the same dir keeps API keys,
    /// employees and other records. Default: a fresh temporary dir removed with the handle.
    pub fn state_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.state_dir = Some(dir.into());
        self
    }

    /// The certificate mode.
    pub fn tls(mut self, mode: TlsMode) -> Self {
        self.tls = mode;
        self
    }

    /// Run rate-limit windows, bans, login-attempt windows and JWT lifetimes `scale` times
    /// faster than real time (60.0 turns the 300 s ban into 5 s).
    pub fn clock_scale(mut self, scale: f64) -> Self {
        self.clock_scale = scale;
        self
    }

    /// Reproduce the permission checker's A–F ID bug (default `true`).
    pub fn id_quirk(mut self, on: bool) -> Self {
        self.id_quirk = on;
        self
    }

    /// Reproduce the REST API's `localhost` network-filter bug (default `true`): `POST`/`PUT`/
    /// `PATCH api-keys` with `networkfilterid: "localhost"` is sanitised by the schema pattern
    /// `^([0-9]+|none)$` to `""` and stored as NULL, so a created key has NO network restriction
    /// (an update keeps the old filter) and reads back as `"none"`
    /// (src/PBXCoreREST/Lib/ApiKeys/SaveRecordAction.php:main, Lib/Common/BaseActionHelper.php:
    /// sanitizeData). With `false` the simulator stores `"localhost"` as asked — what the web UI
    /// expects and the server evidently intends — so localhost-only keys can be tested.
    pub fn network_filter_quirk(mut self, on: bool) -> Self {
        self.network_filter_quirk = on;
        self
    }

    /// The port of the Asterisk HTTPS listener (AJAM), on the API's address (default 0: a free
    /// port; a PBX uses 8089). See [`RunningSimulator::ajam_url`].
    pub fn ajam_port(mut self, port: u16) -> Self {
        self.ajam_port = port;
        self
    }

    /// Serve the Asterisk HTTPS listener with its own self-signed certificate, as a PBX in
    /// fallback mode does (empty or invalid DB certificate: nginx and Asterisk each generate
    /// one, so 443 and 8089 present different certificates, `calls-events-recordings.md` §0.1).
    /// Default `false`: both listeners present the same certificate. A client reaches AJAM
    /// then only with that port's own pin; [`RunningSimulator::ajam_certificate_pem`] gives it.
    pub fn ajam_fallback_certificate(mut self, on: bool) -> Self {
        self.ajam_fallback_certificate = on;
        self
    }

    /// Reproduce the WAF of MikoPBX **develop** (unified-security.lua 68d57de, after the
    /// 2026.1.223 release) instead of the release tag's (default `false`): URI, query and
    /// user agent are checked separately, double-encoded `..` in the query is refused, and
    /// POST/PUT/PATCH bodies under 64 KiB are scanned for the SQL patterns, `../` and NUL
    /// bytes — e.g. an API-key description "update CDR settings" then gets the plain-text
    /// 403 "Security violation detected". Like the rest of the nginx layer it does not apply
    /// to clients at 127.0.0.1 / ::1.
    pub fn develop_waf(mut self, on: bool) -> Self {
        self.waf = if on {
            WafMode::Develop
        } else {
            WafMode::Release
        };
        self
    }

    /// The web admin password for `auth:login` as `admin` (default `admin`).
    pub fn admin_password(mut self, password: impl Into<String>) -> Self {
        self.admin_password = password.into();
        self
    }

    /// The lifetime of the access tokens `auth:login` and `auth:refresh` issue, in seconds of
    /// the simulated clock (default 900). **A simulator addition**: on the server it is the
    /// constant `JWTHelper::ACCESS_TOKEN_TTL` (src/PBXCoreREST/Lib/Auth/JWTHelper.php), with no
    /// setting. Everything else stays as the server does it: `expiresIn` reports this value, the
    /// token's `exp` is `iat` + this value, and tokens are still accepted for the 600 s leeway
    /// after `exp`. It lets a test watch a client refresh its session without waiting 15
    /// minutes (the clock scale cannot: it speeds up the server's clock, not the client's).
    /// At least 1.
    pub fn access_token_ttl(mut self, seconds: u64) -> Self {
        self.access_token_ttl = seconds.clamp(1, i64::MAX as u64);
        self
    }

    /// How many call records the generator spreads over the last 365 days (default 100 000).
    pub fn cdr_records(mut self, n: u64) -> Self {
        self.cdr_records = n.max(1);
        self
    }

    /// Generate certificates, load or seed the state, bind and start serving.
    pub async fn start(self) -> Result<RunningSimulator, SimError> {
        let (dir, temp) = match &self.state_dir {
            Some(d) => {
                std::fs::create_dir_all(d).map_err(|e| SimError::Io(d.clone(), e))?;
                (d.clone(), None)
            }
            None => {
                let t = tempfile::Builder::new()
                    .prefix("mikopbx-sim-")
                    .tempdir()
                    .map_err(|e| SimError::Io(PathBuf::from("tempdir"), e))?;
                (t.path().to_path_buf(), Some(t))
            }
        };
        let mut store = Store::load_or_fresh(&dir);
        let admin_key = ensure_admin_key(&dir, &mut store);
        let control_token = crate::util::random_hex(16);
        write(&dir.join("admin-key.txt"), &format!("{admin_key}\n"))?;
        write(
            &dir.join("control-token.txt"),
            &format!("{control_token}\n"),
        )?;

        let identity = match &self.tls {
            TlsMode::LocalCa => Some(tls::local_ca()?),
            TlsMode::PbxDefault { hostname } => Some(tls::pbx_default(hostname)?),
            TlsMode::PlainHttp => None,
        };
        match &identity {
            Some(id) => {
                write(&dir.join("ca.pem"), &id.trust_pem)?;
                write(&dir.join("server.pem"), &id.leaf_pem)?;
            }
            None => {
                let _ = std::fs::remove_file(dir.join("ca.pem"));
                let _ = std::fs::remove_file(dir.join("server.pem"));
            }
        }

        let listener = TcpListener::bind(self.addr)
            .await
            .map_err(|e| SimError::Bind(self.addr, e))?;
        let local = listener
            .local_addr()
            .map_err(|e| SimError::Bind(self.addr, e))?;
        let http_listener = match self.http_addr {
            Some(a) => Some(
                TcpListener::bind(a)
                    .await
                    .map_err(|e| SimError::Bind(a, e))?,
            ),
            None => None,
        };
        // Asterisk's HTTPS port (AJAM) on the same address, with the same certificate (a
        // normal install presents the DB certificate on 443 and 8089). Only with TLS: the SDK
        // never speaks AMI in clear, and the plain 8088 listener is not simulated.
        let ajam_listener = match identity {
            Some(_) => {
                let a = SocketAddr::new(local.ip(), self.ajam_port);
                Some(
                    TcpListener::bind(a)
                        .await
                        .map_err(|e| SimError::Bind(a, e))?,
                )
            }
            None => None,
        };
        let ajam_local = match &ajam_listener {
            Some(l) => Some(l.local_addr().map_err(|e| SimError::Bind(local, e))?),
            None => None,
        };
        let http_local = match &http_listener {
            Some(l) => Some(l.local_addr().map_err(|e| SimError::Bind(self.addr, e))?),
            None => None,
        };

        store.save(&dir);
        let faults = FaultControl::default();
        let tls_on = identity.is_some();
        let cfg = Config {
            id_quirk: self.id_quirk,
            waf: self.waf,
            network_filter_quirk: self.network_filter_quirk,
            admin_password: self.admin_password.clone(),
            access_token_ttl: self.access_token_ttl as i64,
            clock: SimClock::new(self.clock_scale),
            https_port: tls_on.then_some(local.port()),
            control_token: control_token.clone(),
            persist_dir: Some(dir.clone()),
        };
        let app = Arc::new(App::new(cfg, store, self.cdr_records, faults.clone()));
        let (tx, rx) = watch::channel(false);
        let mut tasks = Vec::new();
        let acceptor = identity
            .as_ref()
            .map(|i| TlsAcceptor::from(i.config.clone()));
        tasks.push(tokio::spawn(serve(
            listener,
            acceptor.clone(),
            app.clone(),
            ListenerKind::Api { tls: tls_on },
            rx.clone(),
        )));
        // In fallback mode Asterisk writes its own `asterisk-fallback.crt`, named after the
        // host (`SslCertificateService.php:451-452`): another key, another fingerprint.
        let ajam_fallback = match (&identity, self.ajam_fallback_certificate) {
            (Some(_), true) => Some(tls::pbx_default(&local.ip().to_string())?),
            _ => None,
        };
        let ajam_acceptor = match &ajam_fallback {
            Some(i) => Some(TlsAcceptor::from(i.config.clone())),
            None => acceptor.clone(),
        };
        if let (Some(l), Some(acc)) = (ajam_listener, ajam_acceptor) {
            tasks.push(tokio::spawn(serve(
                l,
                Some(acc),
                app.clone(),
                ListenerKind::Ajam,
                rx.clone(),
            )));
        }
        let ajam_url = ajam_local.map(|a| format!("https://{}", display_addr(a)));
        match &ajam_url {
            Some(u) => write(&dir.join("ajam-url.txt"), &format!("{u}\n"))?,
            None => {
                let _ = std::fs::remove_file(dir.join("ajam-url.txt"));
            }
        }
        if let Some(l) = http_listener {
            let kind = if tls_on {
                ListenerKind::Redirect
            } else {
                ListenerKind::Api { tls: false }
            };
            tasks.push(tokio::spawn(serve(l, None, app.clone(), kind, rx.clone())));
        }
        let scheme = if tls_on { "https" } else { "http" };
        Ok(RunningSimulator {
            url: format!("{scheme}://{}", display_addr(local)),
            http_url: http_local.map(|a| format!("http://{}", display_addr(a))),
            ajam_url,
            ajam_certificate_pem: ajam_fallback
                .map(|i| i.leaf_pem)
                .or_else(|| identity.as_ref().map(|i| i.leaf_pem.clone())),
            ca_pem: identity.map(|i| i.trust_pem).unwrap_or_default(),
            admin_key,
            control_token,
            state_dir: dir,
            local,
            faults,
            shutdown: tx,
            tasks,
            _temp: temp,
        })
    }
}

fn display_addr(a: SocketAddr) -> String {
    let ip = match a.ip() {
        IpAddr::V4(v) if v.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(v) if v.is_unspecified() => IpAddr::V6(std::net::Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    SocketAddr::new(ip, a.port()).to_string()
}

fn write(path: &Path, text: &str) -> Result<(), SimError> {
    std::fs::write(path, text).map_err(|e| SimError::Io(path.to_path_buf(), e))
}

/// Reuse `admin-key.txt` when it still opens a full-permission key in the store; otherwise
/// create a new full-permission key (its plaintext is only ever in `admin-key.txt`).
fn ensure_admin_key(dir: &Path, store: &mut Store) -> String {
    if let Ok(text) = std::fs::read_to_string(dir.join("admin-key.txt")) {
        let key = text.trim().to_string();
        if !key.is_empty()
            && store
                .api_keys
                .iter()
                .any(|k| k.full_permissions && keys::verify_key(&key, &k.key_hash))
        {
            return key;
        }
    }
    let key = keys::generate_key();
    let id = store.next_key_id.max(1);
    store.next_key_id = id + 1;
    store.api_keys.push(ApiKeyRecord {
        id,
        description: "mikopbx-sim admin key".into(),
        key_hash: keys::hash_key(&key),
        key_suffix: keys::key_suffix(&key),
        key_display: keys::key_display(&key),
        networkfilterid: "none".into(),
        allowed_paths: serde_json::json!({}),
        full_permissions: true,
        created_at: chrono::Utc::now().format("%Y-%m-%d %H:%M:%S").to_string(),
        last_used_at: None,
    });
    key
}

/// A running simulator. Dropping it stops the server (use [`RunningSimulator::shutdown`] to
/// wait for that). Its `Debug` output leaves the admin key and control token out.
pub struct RunningSimulator {
    url: String,
    http_url: Option<String>,
    ajam_url: Option<String>,
    ajam_certificate_pem: Option<String>,
    ca_pem: String,
    admin_key: String,
    control_token: String,
    state_dir: PathBuf,
    local: SocketAddr,
    faults: FaultControl,
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
    _temp: Option<tempfile::TempDir>,
}

impl std::fmt::Debug for RunningSimulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningSimulator")
            .field("url", &self.url)
            .field("http_url", &self.http_url)
            .field("state_dir", &self.state_dir)
            .field("admin_key", &"<redacted>")
            .finish_non_exhaustive()
    }
}

impl RunningSimulator {
    /// `https://127.0.0.1:PORT` of the Asterisk HTTPS port, where AJAM answers at
    /// `/asterisk/rawman` (also in `DIR/ajam-url.txt`). `None` in [`TlsMode::PlainHttp`].
    pub fn ajam_url(&self) -> Option<&str> {
        self.ajam_url.as_deref()
    }

    /// The certificate the Asterisk HTTPS listener presents, as PEM: the API's leaf, or its own
    /// with [`SimulatorBuilder::ajam_fallback_certificate`]. `None` in [`TlsMode::PlainHttp`].
    pub fn ajam_certificate_pem(&self) -> Option<&str> {
        self.ajam_certificate_pem.as_deref()
    }

    /// The originates AJAM accepted, as JSON (user, channel, context, exten, callerid,
    /// variables, channel_id, linkedid), oldest first, and how many requests carried a secret in
    /// their URL: what tests check the SDK's click-to-call against.
    pub fn ajam_log(&self) -> serde_json::Value {
        std::fs::read(self.state_dir.join("state.json"))
            .ok()
            .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
            .and_then(|v| v.get("ajam_log").cloned())
            .unwrap_or(serde_json::Value::Null)
    }

    /// `https://127.0.0.1:PORT` (`http://` in [`TlsMode::PlainHttp`]), no trailing slash.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The plain-HTTP listener's URL, when [`SimulatorBuilder::http_addr`] was set.
    pub fn http_url(&self) -> Option<&str> {
        self.http_url.as_deref()
    }

    /// The PEM to trust: the CA ([`TlsMode::LocalCa`]) or the self-signed certificate itself
    /// ([`TlsMode::PbxDefault`]); empty for [`TlsMode::PlainHttp`].
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// A `full_permissions` API key (64 lowercase hex characters).
    pub fn admin_key(&self) -> &str {
        &self.admin_key
    }

    /// The token the `/_sim/*` endpoints require in `X-Sim-Control`.
    pub fn control_token(&self) -> &str {
        &self.control_token
    }

    /// The state directory (holds `ca.pem`, `admin-key.txt`, `control-token.txt`, `state.json`).
    pub fn state_dir(&self) -> &Path {
        &self.state_dir
    }

    /// The bound address of the main listener.
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// The fault switches.
    pub fn faults(&self) -> FaultControl {
        self.faults.clone()
    }

    /// Stop serving and wait for the listeners to close.
    pub async fn shutdown(mut self) {
        let _ = self.shutdown.send(true);
        for t in self.tasks.drain(..) {
            let _ = t.await;
        }
    }
}

impl Drop for RunningSimulator {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
        for t in &self.tasks {
            t.abort();
        }
    }
}
