//! Building a [`Client`]: the builder, `from_env`, and the options by name.

use std::net::IpAddr;
use std::time::Duration;

use rustls::pki_types::CertificateDer;
use serde_json::{Map, Value};

use crate::auth::ApiKey;
use crate::client::Client;
use crate::error::Error;
use crate::permissions::{NetworkFilter, Permissions};
use crate::transport;

/// The client-side rate governor: a token bucket of `burst` tokens refilled at `count` per `period`.
///
/// MikoPBX's nginx allows 180 requests a minute plus a burst of 20 per address (200 per window,
/// counted from the first request that *arrives*) and then bans the address for 300 s × 2ⁿ. The
/// default, `per_minute(180)` with a burst of 10, keeps 10 requests of headroom: a bucket of 20
/// would allow exactly 200 per window, and one slow request (say, the first TLS handshake) shifts
/// nginx's window enough to count a 201st and get the address banned. On by default for
/// non-loopback hosts (localhost is exempt on the PBX).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimit {
    pub(crate) count: u32,
    pub(crate) period: Duration,
    pub(crate) burst: u32,
    pub(crate) enabled: bool,
}

impl RateLimit {
    /// `count` requests per minute, burst 10.
    pub fn per_minute(count: u32) -> Self {
        RateLimit::new(count, Duration::from_secs(60), 10)
    }

    /// `count` requests per `period` with a bucket of `burst` (a scaled period is for tests
    /// against a simulator with a scaled clock).
    pub fn new(count: u32, period: Duration, burst: u32) -> Self {
        RateLimit {
            count: count.max(1),
            period: if period.is_zero() {
                Duration::from_millis(1)
            } else {
                period
            },
            burst: burst.max(1),
            enabled: true,
        }
    }

    /// Sets the bucket size.
    pub fn burst(mut self, burst: u32) -> Self {
        self.burst = burst.max(1);
        self
    }

    /// No client-side limit.
    pub fn disabled() -> Self {
        RateLimit {
            enabled: false,
            ..RateLimit::default()
        }
    }

    /// Whether the governor is on.
    pub fn is_enabled(&self) -> bool {
        self.enabled
    }
}

impl Default for RateLimit {
    /// 180 a minute, burst 10 (see the type's documentation for why not 20).
    fn default() -> Self {
        RateLimit {
            count: 180,
            period: Duration::from_secs(60),
            burst: 10,
            enabled: true,
        }
    }
}

/// Builds a [`Client`]. Start with [`Client::builder`] or [`ClientBuilder::from_env`].
#[derive(Clone)]
pub struct ClientBuilder {
    pub(crate) base_url: String,
    pub(crate) api_key: Option<ApiKey>,
    pub(crate) extra_roots: Vec<CertificateDer<'static>>,
    pub(crate) pins: Vec<[u8; 32]>,
    pub(crate) connect_timeout: Duration,
    pub(crate) timeout: Duration,
    pub(crate) max_retries: u32,
    pub(crate) rate_limit: Option<RateLimit>,
    pub(crate) local_address: Option<IpAddr>,
    pub(crate) user_agent_suffix: Option<String>,
    pub(crate) permissions: Option<Permissions>,
    pub(crate) diagnose: bool,
    pub(crate) allow_dangerous: bool,
    /// The AMI login for click-to-call (username, secret).
    pub(crate) ami: Option<(String, secrecy::SecretString)>,
    pub(crate) ajam_port: Option<u16>,
    pub(crate) ajam_pins: Vec<[u8; 32]>,
    /// Learn mode's file (`record_usage`); else `MIKOPBX_RECORD_USAGE` at `build()`.
    pub(crate) record_usage: Option<std::path::PathBuf>,
}

impl std::fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("base_url", &self.base_url)
            .field("api_key", &self.api_key)
            .field("extra_roots", &self.extra_roots.len())
            .field("pins", &self.pins.len())
            .field("timeout", &self.timeout)
            .field("max_retries", &self.max_retries)
            .field("ami_username", &self.ami.as_ref().map(|(u, _)| u))
            .field("record_usage", &self.record_usage)
            .finish_non_exhaustive()
    }
}

impl ClientBuilder {
    /// A builder for the PBX at `base_url` (`https://host[:port]`, optional trailing `/`).
    pub fn new(base_url: impl Into<String>) -> Self {
        ClientBuilder {
            base_url: base_url.into(),
            api_key: None,
            extra_roots: Vec::new(),
            pins: Vec::new(),
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(30),
            max_retries: 2,
            rate_limit: None,
            local_address: None,
            user_agent_suffix: None,
            permissions: None,
            diagnose: true,
            allow_dangerous: false,
            ami: None,
            ajam_port: None,
            ajam_pins: Vec::new(),
            record_usage: None,
        }
    }

    /// From `MIKOPBX_URL`, `MIKOPBX_API_KEY`, `MIKOPBX_CA_CERT` (path to a PEM or DER file) and
    /// `MIKOPBX_CERT_SHA256` (a pin).
    pub fn from_env() -> Result<Self, Error> {
        let url = std::env::var("MIKOPBX_URL")
            .map_err(|_| Error::config("MIKOPBX_URL is not set (e.g. https://pbx.example.com)"))?;
        let mut b = ClientBuilder::new(url);
        if let Ok(key) = std::env::var("MIKOPBX_API_KEY")
            && !key.trim().is_empty()
        {
            b = b.api_key(ApiKey::new(key));
        }
        if let Ok(path) = std::env::var("MIKOPBX_CA_CERT")
            && !path.trim().is_empty()
        {
            let bytes = std::fs::read(path.trim()).map_err(|e| {
                Error::config(format!("cannot read MIKOPBX_CA_CERT file {path:?}: {e}"))
            })?;
            b = b.trust_certificate(&bytes)?;
        }
        if let Ok(pin) = std::env::var("MIKOPBX_CERT_SHA256")
            && !pin.trim().is_empty()
        {
            b = b.pin_certificate_sha256(&pin)?;
        }
        Ok(b)
    }

    /// The API key (sent as `Authorization: Bearer …`).
    pub fn api_key(mut self, key: impl Into<ApiKey>) -> Self {
        self.api_key = Some(key.into());
        self
    }

    /// Also trust this CA or self-signed certificate (PEM, one or more blocks).
    pub fn trust_certificate_pem(mut self, pem: impl AsRef<[u8]>) -> Result<Self, Error> {
        let pem = pem.as_ref();
        if !pem.windows(10).any(|w| w == b"-----BEGIN") {
            return Err(Error::config(
                "expected PEM (-----BEGIN CERTIFICATE-----); use trust_certificate_der for DER",
            ));
        }
        self.extra_roots.extend(transport::parse_certificates(pem)?);
        Ok(self)
    }

    /// Also trust this CA or self-signed certificate (DER).
    pub fn trust_certificate_der(mut self, der: impl AsRef<[u8]>) -> Result<Self, Error> {
        self.extra_roots
            .push(CertificateDer::from(der.as_ref().to_vec()));
        Ok(self)
    }

    /// Also trust a certificate given as PEM or DER (detected).
    pub fn trust_certificate(mut self, bytes: impl AsRef<[u8]>) -> Result<Self, Error> {
        self.extra_roots
            .extend(transport::parse_certificates(bytes.as_ref())?);
        Ok(self)
    }

    /// Trust exactly the server certificate with this SHA-256 fingerprint, whatever name it carries
    /// (`AB:CD:…` or plain hex). The TLS handshake is still verified with that certificate's key.
    /// When a pin is set, CA trust is not consulted. May be called several times (rotation).
    pub fn pin_certificate_sha256(mut self, fingerprint: &str) -> Result<Self, Error> {
        self.pins.push(transport::parse_pin(fingerprint)?);
        Ok(self)
    }

    /// Time allowed to open the TCP+TLS connection (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Total time allowed for a call, retries and waits included (default 30 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// How many times a call may be retried (default 2). Only idempotent operations are retried,
    /// plus 503 "queue full", which the server answers before doing any work.
    pub fn max_retries(mut self, retries: u32) -> Self {
        self.max_retries = retries;
        self
    }

    /// The client-side rate governor (default: on for non-loopback hosts, off for loopback).
    pub fn rate_limit(mut self, limit: RateLimit) -> Self {
        self.rate_limit = Some(limit);
        self
    }

    /// Bind outgoing connections to this local address (e.g. `127.0.0.2`).
    pub fn local_address(mut self, addr: IpAddr) -> Self {
        self.local_address = Some(addr);
        self
    }

    /// Appended to the User-Agent, e.g. `mikopbx-python/0.1.0`.
    pub fn user_agent_suffix(mut self, suffix: impl Into<String>) -> Self {
        self.user_agent_suffix = Some(suffix.into());
        self
    }

    /// The key's known permissions (and network filter). Enables the local pre-check: a call the
    /// key cannot make is refused before anything is sent, with the permission to grant.
    pub fn permissions(mut self, permissions: Permissions) -> Self {
        self.permissions = Some(permissions);
        self
    }

    /// The Asterisk manager (AMI) login for click-to-call ([`crate::CallsApi::originate`]),
    /// spoken over AJAM on the PBX's Asterisk HTTPS port with this client's certificate trust.
    /// Give it a manager with only `originate` write and `call` read, bound to a network filter
    /// that admits only this host (`asterisk_managers().create_click_to_call_manager`). The
    /// secret is kept as a secret: never in `Debug`, logs or errors.
    pub fn asterisk_manager(
        mut self,
        username: impl Into<String>,
        secret: impl Into<String>,
    ) -> Self {
        self.ami = Some((username.into(), secrecy::SecretString::from(secret.into())));
        self
    }

    /// The PBX's AJAM TLS port (`AJAMPortTLS`, default 8089), on the REST URL's host.
    pub fn ajam_port(mut self, port: u16) -> Self {
        self.ajam_port = Some(port);
        self
    }

    /// Pin the Asterisk HTTPS port's certificate (SHA-256, as [`Self::pin_certificate_sha256`])
    /// when it is not the web port's: a PBX whose database certificate is missing serves two
    /// different fallback certificates on 443 and 8089. Without it, AJAM is verified like the
    /// REST connection (its CA and pins).
    pub fn pin_ajam_certificate_sha256(mut self, fingerprint: &str) -> Result<Self, Error> {
        self.ajam_pins.push(transport::parse_pin(fingerprint)?);
        Ok(self)
    }

    /// The AJAM settings, checked: a port or pin without a login is a mistake worth naming.
    pub(crate) fn ajam_config(&self) -> Result<Option<crate::click_to_call::AjamConfig>, Error> {
        match &self.ami {
            Some((username, secret)) => Ok(Some(crate::click_to_call::AjamConfig {
                username: username.clone(),
                secret: secret.clone(),
                port: self.ajam_port.unwrap_or(crate::DEFAULT_AJAM_PORT),
                pins: (!self.ajam_pins.is_empty()).then(|| self.ajam_pins.clone()),
            })),
            None if self.ajam_port.is_some() || !self.ajam_pins.is_empty() => Err(Error::config(
                "ajam_port / ajam_cert_sha256 were given without an AMI login; add \
                 asterisk_manager(username, secret) (options ami_username, ami_secret)",
            )),
            None => Ok(None),
        }
    }

    /// Whether an API key is set.
    pub fn has_api_key(&self) -> bool {
        self.api_key.is_some()
    }

    /// Whether a 401 triggers the diagnosis probes (default on).
    pub fn diagnose_unauthorized(mut self, on: bool) -> Self {
        self.diagnose = on;
        self
    }

    /// Lets this client run the operations marked dangerous (`system.reboot`, `system.shutdown`,
    /// …: they can stop or destroy the PBX). Off by default, and only in builds with the cargo
    /// feature `dangerous-actions`: an integration that never needs them cannot send them.
    #[cfg(feature = "dangerous-actions")]
    pub fn allow_dangerous_actions(mut self, allow: bool) -> Self {
        self.allow_dangerous = allow;
        self
    }

    /// Learn mode: the client appends the name of each operation it performs to `path`, once
    /// per client (format and what is recorded when: [`crate::usage`]); `mikopbx keys create
    /// --from-usage` turns the file into the least-privilege key. Without this option, `build()`
    /// reads the path from `MIKOPBX_RECORD_USAGE`, so an integration in any language can be
    /// run in learn mode without a code change. A file that cannot be written never fails a
    /// call (one warning is logged).
    pub fn record_usage(mut self, path: impl Into<std::path::PathBuf>) -> Self {
        self.record_usage = Some(path.into());
        self
    }

    /// Builds the client. Fails with `InsecureTransport` for `http://` to a non-loopback host and
    /// with `Config` for a malformed URL. Reads `MIKOPBX_RECORD_USAGE` when
    /// [`Self::record_usage`] was not given.
    pub fn build(self) -> Result<Client, Error> {
        Client::from_builder(self)
    }
}

/// The options [`ClientBuilder::options`] takes by name, in the order they are documented there.
pub const CLIENT_OPTIONS: &[&str] = &[
    "api_key",
    "ca_cert",
    "cert_sha256",
    "timeout",
    "connect_timeout",
    "max_retries",
    "user_agent",
    "local_address",
    "rate_limit",
    "permissions",
    "key_network",
    "allow_dangerous_actions",
    "ami_username",
    "ami_secret",
    "ajam_port",
    "ajam_cert_sha256",
    "record_usage",
];

/// The option's value as `T`, or an error that names the option and the expected form.
fn option<T: serde::de::DeserializeOwned>(
    name: &str,
    value: &Value,
    form: &str,
) -> Result<T, Error> {
    T::deserialize(value)
        .map_err(|_| Error::config(format!("client option {name} must be {form}, not {value}")))
}

fn seconds(name: &str, value: &Value) -> Result<Duration, Error> {
    let s: f64 = option(name, value, "a number of seconds")?;
    Duration::try_from_secs_f64(s)
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or_else(|| {
            Error::config(format!(
                "client option {name} must be a positive number of seconds, not {s}"
            ))
        })
}

impl ClientBuilder {
    /// Applies options given by name, as plain data: what a language binding receives in one go
    /// (Python's `Client(url, **options)`) and what a configuration file holds. Each is the setter
    /// of the same meaning: `api_key` (string), `ca_cert` (PEM text, or PEM/DER as an array of
    /// bytes), `cert_sha256` (a pin), `timeout` and `connect_timeout` (seconds), `max_retries`,
    /// `user_agent` (appended), `local_address` (an IP), `rate_limit` (`false`, or
    /// `[count, period_seconds, burst]`), `permissions` (`"full"` or a map of resource to
    /// `"read"`/`"write"`), `key_network` (`"any"`, `"localhost"` or a filter id; only with
    /// `permissions`) and `allow_dangerous_actions` (`true` lets the client run the operations
    /// marked dangerous; only in builds with the `dangerous-actions` feature). `null` means "not
    /// given". `ami_username` and `ami_secret` (together) are the AMI login for click-to-call,
    /// `ajam_port` its TLS port (default 8089) and `ajam_cert_sha256` that port's own pin
    /// (see [`Self::asterisk_manager`]). `record_usage` (a file path) turns learn mode on
    /// ([`Self::record_usage`]). A name outside [`CLIENT_OPTIONS`] is refused:
    /// there is no option that weakens certificate verification, so asking for one fails.
    pub fn options(mut self, options: &Map<String, Value>) -> Result<Self, Error> {
        let mut permissions: Option<Permissions> = None;
        let mut network: Option<NetworkFilter> = None;
        let mut ami_username: Option<String> = None;
        let mut ami_secret: Option<String> = None;
        for (name, value) in options.iter().filter(|(_, v)| !v.is_null()) {
            self = match name.as_str() {
                "api_key" => self.api_key(ApiKey::new(option::<String>(name, value, "a string")?)),
                "ca_cert" => match value {
                    Value::String(pem) => self.trust_certificate(pem.as_bytes())?,
                    bytes => self.trust_certificate(option::<Vec<u8>>(
                        name,
                        bytes,
                        "PEM text or the bytes of a PEM or DER certificate",
                    )?)?,
                },
                "cert_sha256" => self.pin_certificate_sha256(&option::<String>(
                    name,
                    value,
                    "a hex fingerprint",
                )?)?,
                "timeout" => self.timeout(seconds(name, value)?),
                "connect_timeout" => self.connect_timeout(seconds(name, value)?),
                "max_retries" => self.max_retries(option(name, value, "a whole number")?),
                "user_agent" => self.user_agent_suffix(option::<String>(name, value, "a string")?),
                "local_address" => {
                    let text: String = option(name, value, "an IP address")?;
                    let ip = text.trim().parse().map_err(|_| {
                        Error::config(format!(
                            "client option local_address must be an IP address such as \"127.0.0.2\", not {text:?}"
                        ))
                    })?;
                    self.local_address(ip)
                }
                "rate_limit" => match value {
                    Value::Bool(false) => self.rate_limit(RateLimit::disabled()),
                    Value::Bool(true) => {
                        return Err(Error::config(
                            "rate_limit=true is the default; pass false or [count, period_seconds, burst]",
                        ));
                    }
                    limit => {
                        let (count, period, burst): (u32, Value, u32) =
                            option(name, limit, "false or [count, period_seconds, burst]")?;
                        let period = seconds("rate_limit period", &period)?;
                        self.rate_limit(RateLimit::new(count, period, burst))
                    }
                },
                "permissions" => {
                    permissions = Some(match value {
                        Value::String(s) if s == "full" => Permissions::full(),
                        map => Permissions::from_short_map(option::<
                            std::collections::BTreeMap<String, String>,
                        >(
                            name,
                            map,
                            "\"full\" or a map like {\"extensions\": \"read\"}",
                        )?)?,
                    });
                    self
                }
                "allow_dangerous_actions" => {
                    let allow: bool = option(name, value, "true or false")?;
                    if allow && !cfg!(feature = "dangerous-actions") {
                        return Err(Error::config(
                            "this build of the SDK has no dangerous actions: rebuild it with the \
                             cargo feature dangerous-actions",
                        ));
                    }
                    self.allow_dangerous = allow;
                    self
                }
                "ami_username" => {
                    ami_username = Some(option(name, value, "a string")?);
                    self
                }
                "ami_secret" => {
                    ami_secret = Some(option(name, value, "a string")?);
                    self
                }
                "ajam_port" => {
                    let port: u16 = option(name, value, "a port number, 1-65535")?;
                    self.ajam_port(port)
                }
                "ajam_cert_sha256" => self.pin_ajam_certificate_sha256(&option::<String>(
                    name,
                    value,
                    "a hex fingerprint",
                )?)?,
                "record_usage" => {
                    let path: String = option(name, value, "a file path")?;
                    if path.trim().is_empty() {
                        return Err(Error::config(
                            "client option record_usage must be a file path, not an empty string",
                        ));
                    }
                    self.record_usage(path)
                }
                "key_network" => {
                    network = Some(option(
                        name,
                        value,
                        "\"any\", \"localhost\" or a network filter id",
                    )?);
                    self
                }
                other => {
                    return Err(Error::config(format!(
                        "unknown client option {other:?}; the options are {}",
                        CLIENT_OPTIONS.join(", ")
                    )));
                }
            };
        }
        self = match (ami_username, ami_secret) {
            (Some(u), Some(s)) => self.asterisk_manager(u, s),
            (None, None) => self,
            _ => {
                return Err(Error::config(
                    "ami_username and ami_secret go together: pass both (the Asterisk manager login for click-to-call)",
                ));
            }
        };
        match (permissions, network) {
            (Some(p), Some(n)) => Ok(self.permissions(p.with_network(n))),
            (Some(p), None) => Ok(self.permissions(p)),
            (None, Some(_)) => Err(Error::config(
                "key_network describes a key together with its permissions; pass both",
            )),
            (None, None) => Ok(self),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builder_and_client_debug_hide_the_key() {
        let key = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        let b = ClientBuilder::new("https://127.0.0.1:8443").api_key(key);
        assert!(!format!("{b:?}").contains(&key[5..59]));
        let c = b.build().unwrap();
        assert!(!format!("{c:?}").contains(&key[5..59]));
    }

    fn options(json: Value) -> Result<ClientBuilder, Error> {
        ClientBuilder::new("https://127.0.0.1:8443").options(json.as_object().unwrap())
    }

    #[test]
    fn options_by_name_apply_the_setters() {
        let b = options(serde_json::json!({
            "api_key": "k", "timeout": 2.5, "connect_timeout": 1, "max_retries": 0,
            "user_agent": "crm/1", "local_address": "127.0.0.2", "rate_limit": [10, 1.0, 2],
            "permissions": {"extensions": "read"}, "key_network": "localhost", "cert_sha256": null,
        }))
        .unwrap();
        assert!(b.has_api_key());
        assert_eq!(b.timeout, Duration::from_millis(2500));
        assert_eq!(b.connect_timeout, Duration::from_secs(1));
        assert_eq!(b.max_retries, 0);
        assert_eq!(b.local_address, Some("127.0.0.2".parse().unwrap()));
        assert_eq!(
            b.rate_limit,
            Some(RateLimit::new(10, Duration::from_secs(1), 2))
        );
        let p = b.permissions.unwrap();
        assert_eq!(p.network(), Some(&NetworkFilter::Localhost));
        assert!(!p.is_full());
        assert!(b.pins.is_empty(), "null means not given");
        let off = options(serde_json::json!({"rate_limit": false, "permissions": "full"})).unwrap();
        assert_eq!(off.rate_limit, Some(RateLimit::disabled()));
        assert!(off.permissions.unwrap().is_full());
    }

    #[test]
    fn bad_options_are_refused_by_name() {
        for (json, says) in [
            (
                serde_json::json!({"verify": false}),
                "unknown client option \"verify\"",
            ),
            (
                serde_json::json!({"timeout": -1}),
                "timeout must be a positive",
            ),
            (
                serde_json::json!({"timeout": "soon"}),
                "timeout must be a number of seconds",
            ),
            (
                serde_json::json!({"local_address": "nowhere"}),
                "local_address must be an IP",
            ),
            (
                serde_json::json!({"rate_limit": true}),
                "rate_limit=true is the default",
            ),
            (
                serde_json::json!({"rate_limit": [1, 0, 1]}),
                "rate_limit period must be a positive",
            ),
            (
                serde_json::json!({"permissions": {"extensions": "admin"}}),
                "invalid access",
            ),
            (
                serde_json::json!({"permissions": "most"}),
                "permissions must be \"full\" or a map",
            ),
            (
                serde_json::json!({"key_network": "localhost"}),
                "together with its permissions",
            ),
            (
                serde_json::json!({"cert_sha256": "not-hex"}),
                "64 hex digits",
            ),
            (
                serde_json::json!({"ca_cert": "-----BEGIN CERTIFICATE-----\nxx\n"}),
                "certificate",
            ),
        ] {
            let err = options(json.clone()).expect_err(&json.to_string());
            assert!(matches!(err, Error::Config { .. }), "{json}: {err:?}");
            let text = err.to_string();
            assert!(text.contains(says), "{json}: {text}");
        }
    }

    #[test]
    fn governor_defaults_follow_the_source_address() {
        let local = ClientBuilder::new("https://127.0.0.1").build().unwrap();
        assert!(local.is_localhost_source());
        let remote = ClientBuilder::new("https://127.0.0.1")
            .local_address("127.0.0.2".parse().unwrap())
            .build()
            .unwrap();
        assert!(!remote.is_localhost_source());
        assert!(
            !ClientBuilder::new("https://pbx.example.com")
                .build()
                .unwrap()
                .is_localhost_source()
        );
    }
}
