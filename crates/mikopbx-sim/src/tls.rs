//! Certificates and the rustls server configuration.
//!
//! Two shapes (see [`crate::TlsMode`]):
//! * **LocalCa**: a fresh CA (`CA:TRUE`, keyCertSign) signs a leaf for `localhost`, `127.0.0.1`
//!   and `::1`. Clients trust `ca.pem` and verify normally.
//! * **PbxDefault**: the certificate MikoPBX generates when the admin has not installed one
//!   (mikopbx-api.md §7, `src/Core/System/SslCertificateService.php`): a self-signed *leaf*,
//!   `basicConstraints CA:FALSE`, keyUsage digitalSignature + nonRepudiation + keyEncipherment
//!   (no keyCertSign), subject O/OU "PBX System", valid 3650 days, and a **single SAN naming a
//!   hostname** (`mikopbx` by default), so a client connecting to 127.0.0.1 sees a hostname
//!   mismatch even after trusting it, exactly like an integration connecting by LAN IP.
//!
//! Deviation: the real fallback key is RSA 2048. `ring` cannot generate RSA keys (rcgen only
//! generates RSA with aws-lc-rs, which the workspace bans), so both modes use ECDSA P-256 with
//! SHA-256. Nothing an SDK checks (chain, names, pinning, key usage) depends on the key type.

use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, SanType,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use crate::SimError;

/// What the server presents and what clients should trust.
pub(crate) struct ServerIdentity {
    /// PEM a client must trust: the CA (LocalCa) or the self-signed leaf itself (PbxDefault).
    pub(crate) trust_pem: String,
    /// The served leaf certificate as PEM (written to `server.pem`).
    pub(crate) leaf_pem: String,
    /// The rustls server config (TLS 1.2 and 1.3 only, like the PBX's nginx).
    pub(crate) config: Arc<rustls::ServerConfig>,
}

fn tls_err(e: impl std::fmt::Display) -> SimError {
    SimError::Tls(e.to_string())
}

fn validity(params: &mut CertificateParams, days: i64) {
    use chrono::Datelike;
    // Back-date by a day so clients with a slightly skewed clock still accept the certificate.
    let today = chrono::Utc::now().date_naive();
    let from = today - chrono::Duration::days(1);
    let to = today + chrono::Duration::days(days);
    params.not_before = rcgen::date_time_ymd(from.year(), from.month() as u8, from.day() as u8);
    params.not_after = rcgen::date_time_ymd(to.year(), to.month() as u8, to.day() as u8);
}

/// A CA plus a `localhost` / `127.0.0.1` / `::1` leaf signed by it.
pub(crate) fn local_ca() -> Result<ServerIdentity, SimError> {
    let ca_key = KeyPair::generate().map_err(tls_err)?;
    let mut ca_params = CertificateParams::default();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let mut dn = DistinguishedName::new();
    // A unique name per CA, so a client trusting another simulator's CA sees UnknownIssuer.
    dn.push(
        DnType::CommonName,
        format!("mikopbx-sim test CA {}", crate::util::random_hex(4)),
    );
    dn.push(DnType::OrganizationName, "mikopbx-sdk simulator");
    ca_params.distinguished_name = dn;
    validity(&mut ca_params, 3650);
    let ca_cert = ca_params.self_signed(&ca_key).map_err(tls_err)?;
    let issuer = Issuer::new(ca_params, ca_key);

    let leaf_key = KeyPair::generate().map_err(tls_err)?;
    let mut leaf = CertificateParams::new(vec![
        "localhost".to_string(),
        "127.0.0.1".to_string(),
        "::1".to_string(),
    ])
    .map_err(tls_err)?;
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, "localhost");
    leaf.distinguished_name = dn;
    leaf.is_ca = IsCa::ExplicitNoCa;
    leaf.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    leaf.use_authority_key_identifier_extension = true;
    validity(&mut leaf, 825);
    let leaf_cert = leaf.signed_by(&leaf_key, &issuer).map_err(tls_err)?;

    let config = server_config(
        vec![leaf_cert.der().clone(), ca_cert.der().clone()],
        leaf_key.serialize_der(),
    )?;
    Ok(ServerIdentity {
        trust_pem: ca_cert.pem(),
        leaf_pem: leaf_cert.pem(),
        config,
    })
}

/// The PBX's default self-signed certificate, naming only `hostname`.
pub(crate) fn pbx_default(hostname: &str) -> Result<ServerIdentity, SimError> {
    let key = KeyPair::generate().map_err(tls_err)?;
    let san = match hostname.parse::<std::net::IpAddr>() {
        Ok(ip) => SanType::IpAddress(ip),
        Err(_) => SanType::DnsName(hostname.to_string().try_into().map_err(tls_err)?),
    };
    let mut params = CertificateParams::default();
    params.subject_alt_names = vec![san];
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, hostname);
    dn.push(DnType::OrganizationName, "PBX System");
    dn.push(DnType::OrganizationalUnitName, "PBX System");
    params.distinguished_name = dn;
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::ContentCommitment, // nonRepudiation
        KeyUsagePurpose::KeyEncipherment,
    ];
    validity(&mut params, 3650);
    let cert = params.self_signed(&key).map_err(tls_err)?;
    let config = server_config(vec![cert.der().clone()], key.serialize_der())?;
    Ok(ServerIdentity {
        trust_pem: cert.pem(),
        leaf_pem: cert.pem(),
        config,
    })
}

fn server_config(
    chain: Vec<CertificateDer<'static>>,
    key_der: Vec<u8>,
) -> Result<Arc<rustls::ServerConfig>, SimError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key_der));
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(tls_err)?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(tls_err)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}
