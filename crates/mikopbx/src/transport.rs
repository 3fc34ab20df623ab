//! The only place that builds an HTTP client, and the TLS trust decisions.
//!
//! We build our own `rustls::ClientConfig` (ring provider, TLS 1.2 minimum) and hand it to reqwest
//! with `tls_backend_preconfigured`, so none of reqwest's own TLS switches apply. Trust is either
//! the webpki roots plus extra CA/certificates, or a SHA-256 pin of the server certificate. There
//! is no way to switch verification off: clippy's `disallowed-methods` bans every danger method
//! and any other client constructor (see `clippy.toml`).

use std::error::Error as StdError;
use std::fmt;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ring::digest::{SHA256, digest};
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};

use crate::error::{Error, TlsKind};

/// Settings the transport needs.
#[derive(Clone, Debug)]
pub(crate) struct TransportConfig {
    pub extra_roots: Vec<CertificateDer<'static>>,
    pub pins: Vec<[u8; 32]>,
    pub connect_timeout: Duration,
    pub local_address: Option<IpAddr>,
    pub user_agent: String,
}

/// Records the chain the server presented (for `mikopbx doctor`).
pub(crate) type CertRecorder = Arc<Mutex<Vec<Vec<u8>>>>;

fn provider() -> Arc<CryptoProvider> {
    // reqwest consults the process default in some code paths; install ring once, ignore "already set".
    let _ = rustls::crypto::ring::default_provider().install_default();
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Builds the rustls configuration: TLS 1.2+, ring, our verifier.
pub(crate) fn tls_config(
    cfg: &TransportConfig,
    recorder: Option<CertRecorder>,
) -> Result<rustls::ClientConfig, Error> {
    let provider = provider();
    let mut roots = RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    for cert in &cfg.extra_roots {
        roots.add(cert.clone()).map_err(|e| {
            Error::config(format!(
                "the extra trusted certificate cannot be used as a trust anchor: {e}"
            ))
        })?;
    }
    let webpki = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .map_err(|e| Error::config(format!("cannot build the certificate verifier: {e}")))?;
    let verifier = Arc::new(TrustVerifier {
        webpki,
        pins: cfg.pins.clone(),
        provider: provider.clone(),
        recorder,
    });
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| Error::config(format!("TLS setup failed: {e}")))?;
    // The one sanctioned use of `dangerous()`: it is the only way rustls lets us install a
    // verifier, and ours is *stricter*, not looser: without a pin it delegates to webpki
    // unchanged; with a pin it accepts exactly the pinned certificate (whatever name it carries,
    // as SSH host keys work) and still verifies the handshake signature with that certificate's key.
    #[allow(clippy::disallowed_methods)]
    let mut config = builder
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// Builds the HTTP client. Redirects off, reqwest's own retries off, our TLS config.
pub(crate) fn build_http_client(
    cfg: &TransportConfig,
    recorder: Option<CertRecorder>,
) -> Result<reqwest::Client, Error> {
    let tls = tls_config(cfg, recorder)?;
    #[allow(clippy::disallowed_methods)] // this module is the one place allowed to build a client
    let mut builder = reqwest::Client::builder();
    builder = builder
        .tls_backend_preconfigured(tls)
        .redirect(reqwest::redirect::Policy::none())
        .retry(reqwest::retry::never())
        .connect_timeout(cfg.connect_timeout)
        .user_agent(cfg.user_agent.clone())
        .pool_idle_timeout(Duration::from_secs(30));
    if let Some(addr) = cfg.local_address {
        builder = builder.local_address(addr);
    }
    builder
        .build()
        .map_err(|e| Error::config(format!("cannot build the HTTP client: {e}")))
}

#[derive(Debug)]
struct TrustVerifier {
    webpki: Arc<WebPkiServerVerifier>,
    pins: Vec<[u8; 32]>,
    provider: Arc<CryptoProvider>,
    recorder: Option<CertRecorder>,
}

/// The certificate did not match the pin. Carried inside `rustls::Error` and recognised by
/// [`classify`].
#[derive(Debug)]
pub(crate) struct PinMismatch {
    seen: String,
}

impl fmt::Display for PinMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "certificate SHA-256 {} matches no pin", self.seen)
    }
}

impl StdError for PinMismatch {}

impl ServerCertVerifier for TrustVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if let Some(rec) = &self.recorder
            && let Ok(mut chain) = rec.lock()
        {
            chain.clear();
            chain.push(end_entity.to_vec());
            chain.extend(intermediates.iter().map(|c| c.to_vec()));
        }
        if !self.pins.is_empty() {
            let fp = sha256(end_entity.as_ref());
            return if self.pins.contains(&fp) {
                Ok(ServerCertVerified::assertion())
            } else {
                Err(rustls::Error::InvalidCertificate(CertificateError::Other(
                    rustls::OtherError(Arc::new(PinMismatch {
                        seen: fingerprint_hex(&fp),
                    })),
                )))
            };
        }
        self.webpki
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

fn sha256(data: &[u8]) -> [u8; 32] {
    let d = digest(&SHA256, data);
    let mut out = [0u8; 32];
    out.copy_from_slice(d.as_ref());
    out
}

fn fingerprint_hex(fp: &[u8]) -> String {
    fp.iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// The SHA-256 fingerprint of a DER certificate, as `AB:CD:…` (what `mikopbx doctor` prints and
/// what [`ClientBuilder::pin_certificate_sha256`](crate::ClientBuilder::pin_certificate_sha256) takes).
pub fn certificate_fingerprint(der: &[u8]) -> String {
    fingerprint_hex(&sha256(der))
}

/// Parses a SHA-256 pin: 64 hex digits, colons/spaces optional, optional `sha256:` prefix.
pub fn parse_pin(pin: &str) -> Result<[u8; 32], Error> {
    let lower = pin.trim().to_ascii_lowercase();
    let body = lower
        .strip_prefix("sha256:")
        .or_else(|| lower.strip_prefix("sha256="))
        .or_else(|| lower.strip_prefix("sha256/"))
        .unwrap_or(&lower);
    let hex: String = body
        .chars()
        .filter(|c| !matches!(c, ':' | ' ' | '-'))
        .collect();
    if hex.len() != 64 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(Error::config(
            "a certificate pin is the SHA-256 of the certificate: 64 hex digits, colons optional (run `mikopbx doctor` to see it)",
        ));
    }
    let mut out = [0u8; 32];
    for (i, chunk) in hex.as_bytes().chunks(2).enumerate() {
        let s = std::str::from_utf8(chunk).unwrap_or("00");
        out[i] = u8::from_str_radix(s, 16).unwrap_or(0);
    }
    Ok(out)
}

/// Parses certificates given as PEM (one or more) or a single DER blob.
pub(crate) fn parse_certificates(bytes: &[u8]) -> Result<Vec<CertificateDer<'static>>, Error> {
    let looks_pem = bytes
        .windows(b"-----BEGIN".len())
        .any(|w| w == b"-----BEGIN");
    if looks_pem {
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(bytes)
            .collect::<Result<_, _>>()
            .map_err(|e| Error::config(format!("cannot read the PEM certificate: {e}")))?;
        if certs.is_empty() {
            return Err(Error::config(
                "the PEM data holds no CERTIFICATE block (a private key or CSR is not a certificate)",
            ));
        }
        Ok(certs)
    } else if bytes.first() == Some(&0x30) {
        Ok(vec![CertificateDer::from(bytes.to_vec())])
    } else {
        Err(Error::config(
            "the certificate is neither PEM (-----BEGIN CERTIFICATE-----) nor DER",
        ))
    }
}

/// Finds the `rustls::Error` in an error's source chain. `io::Error::source()` skips the error it
/// wraps, so io errors are unwrapped with `get_ref()`.
pub(crate) fn find_rustls_error<'a>(
    err: &'a (dyn StdError + 'static),
) -> Option<&'a rustls::Error> {
    let mut cur: Option<&'a (dyn StdError + 'static)> = Some(err);
    let mut depth = 0;
    while let Some(e) = cur {
        depth += 1;
        if depth > 32 {
            return None;
        }
        if let Some(r) = e.downcast_ref::<rustls::Error>() {
            return Some(r);
        }
        if let Some(io) = e.downcast_ref::<std::io::Error>()
            && let Some(inner) = io.get_ref()
        {
            let inner: &'a (dyn StdError + 'static) = inner;
            if let Some(found) = find_rustls_error(inner) {
                return Some(found);
            }
        }
        cur = e.source();
    }
    None
}

/// Classifies a TLS failure; `host` is the name or address from the URL, for the message.
pub(crate) fn classify(err: &(dyn StdError + 'static), host: &str) -> Option<(TlsKind, String)> {
    let r = find_rustls_error(err)?;
    let pin_advice = "run `mikopbx doctor` to see the certificate's SHA-256 fingerprint, check it on the PBX, then pin it (MIKOPBX_CERT_SHA256 / pin_certificate_sha256)";
    Some(match r {
        rustls::Error::InvalidCertificate(ce) => match ce {
            CertificateError::UnknownIssuer => (
                TlsKind::UnknownIssuer,
                format!(
                    "the certificate of {host} is not signed by a CA this client trusts. If the PBX uses its default self-signed certificate, {pin_advice}; or trust its CA/certificate (MIKOPBX_CA_CERT / trust_certificate_pem)"
                ),
            ),
            CertificateError::Expired
            | CertificateError::ExpiredContext { .. }
            | CertificateError::NotValidYet
            | CertificateError::NotValidYetContext { .. } => (
                TlsKind::Expired,
                format!(
                    "the certificate of {host} is outside its validity period ({ce:?}); renew it on the PBX (System → General settings → SSL) or check the client's clock"
                ),
            ),
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
                let presented = match ce {
                    CertificateError::NotValidForNameContext { presented, .. } => {
                        format!(" (it names {})", presented.join(", "))
                    }
                    _ => String::new(),
                };
                (
                    TlsKind::HostnameMismatch,
                    format!(
                        "the certificate is trusted but does not name {host}{presented}. The PBX's default certificate names its hostname while integrations often connect by IP: connect by the name it carries, or {pin_advice}"
                    ),
                )
            }
            CertificateError::Other(other) if other.0.downcast_ref::<PinMismatch>().is_some() => (
                TlsKind::PinMismatch,
                format!(
                    "{}: the PBX at {host} presented a different certificate than the pinned one. If its certificate was replaced on purpose, {pin_advice}; otherwise someone may be intercepting the connection",
                    other.0
                ),
            ),
            other => (
                TlsKind::Other,
                format!("the certificate of {host} was rejected: {other:?}"),
            ),
        },
        other => (
            TlsKind::Other,
            format!("TLS handshake with {host} failed: {other}"),
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins_parse_in_common_forms() {
        let hex = "ab".repeat(32);
        let colons = vec!["AB"; 32].join(":");
        assert_eq!(parse_pin(&hex).unwrap(), [0xab; 32]);
        assert_eq!(parse_pin(&colons).unwrap(), [0xab; 32]);
        assert_eq!(parse_pin(&format!("sha256:{hex}")).unwrap(), [0xab; 32]);
        assert!(parse_pin("abcd").is_err());
        assert_eq!(fingerprint_hex(&[0xab; 32]), colons);
    }

    #[test]
    fn rejects_non_certificates() {
        assert!(parse_certificates(b"hello").is_err());
        assert!(
            parse_certificates(b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
                .is_err()
        );
    }
}
