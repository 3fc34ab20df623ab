//! Certificate verification: every refusal is classified, and a pin reaches a PBX with its default
//! self-signed certificate by IP.

mod common;

use common::*;
use mikopbx::{Client, ErrorKind, TlsKind};
use mikopbx_sim::{Simulator, TlsMode};

async fn ping_kind(client: &Client) -> Option<(ErrorKind, Option<TlsKind>, String)> {
    client
        .system()
        .ping()
        .await
        .err()
        .map(|e| (e.kind(), e.tls_kind(), e.to_string()))
}

#[tokio::test]
async fn trusted_ca_is_accepted() {
    let p = pki(&["localhost", "127.0.0.1"], None);
    let server = serve_pki(&p).await;
    let client = Client::builder(&server.url)
        .trust_certificate_pem(p.ca_pem.as_bytes())
        .unwrap()
        .build()
        .unwrap();
    assert!(ping_kind(&client).await.is_none());
    // DER works the same.
    let client = Client::builder(&server.url)
        .trust_certificate_der(&p.ca_der)
        .unwrap()
        .build()
        .unwrap();
    assert!(ping_kind(&client).await.is_none());
}

#[tokio::test]
async fn untrusted_ca_is_unknown_issuer() {
    let p = pki(&["localhost", "127.0.0.1"], None);
    let server = serve_pki(&p).await;
    let client = Client::builder(&server.url).build().unwrap();
    let (kind, tls, msg) = ping_kind(&client).await.expect("refused");
    assert_eq!(kind, ErrorKind::Tls);
    assert_eq!(tls, Some(TlsKind::UnknownIssuer));
    assert!(msg.contains("pin"), "{msg}");
}

#[tokio::test]
async fn expired_certificate_is_expired() {
    let p = pki(&["localhost", "127.0.0.1"], Some((2000, 2001)));
    let server = serve_pki(&p).await;
    let client = Client::builder(&server.url)
        .trust_certificate_pem(p.ca_pem.as_bytes())
        .unwrap()
        .build()
        .unwrap();
    let (kind, tls, _) = ping_kind(&client).await.expect("refused");
    assert_eq!((kind, tls), (ErrorKind::Tls, Some(TlsKind::Expired)));
}

#[tokio::test]
async fn wrong_hostname_is_hostname_mismatch_and_says_to_pin() {
    let p = pki(&["mikopbx"], None);
    let server = serve_pki(&p).await;
    let client = Client::builder(&server.url)
        .trust_certificate_pem(p.ca_pem.as_bytes())
        .unwrap()
        .build()
        .unwrap();
    let (kind, tls, msg) = ping_kind(&client).await.expect("refused");
    assert_eq!(
        (kind, tls),
        (ErrorKind::Tls, Some(TlsKind::HostnameMismatch))
    );
    assert!(msg.contains("pin") && msg.contains("mikopbx"), "{msg}");
}

#[tokio::test]
async fn pin_mismatch_is_refused_and_pin_match_is_accepted_whatever_the_name() {
    let p = pki(&["mikopbx"], None);
    let server = serve_pki(&p).await;
    let wrong = "00".repeat(32);
    let client = Client::builder(&server.url)
        .pin_certificate_sha256(&wrong)
        .unwrap()
        .build()
        .unwrap();
    let (kind, tls, _) = ping_kind(&client).await.expect("refused");
    assert_eq!((kind, tls), (ErrorKind::Tls, Some(TlsKind::PinMismatch)));

    let right = mikopbx::transport::certificate_fingerprint(&p.leaf_der);
    let client = Client::builder(&server.url)
        .pin_certificate_sha256(&right)
        .unwrap()
        .build()
        .unwrap();
    assert!(ping_kind(&client).await.is_none());
}

#[tokio::test]
async fn a_pin_still_needs_the_certificates_key() {
    // A server presenting the pinned certificate without its private key cannot complete the
    // handshake: serve the leaf of one PKI with the key of another.
    let a = pki(&["mikopbx"], None);
    let b = pki(&["mikopbx"], None);
    let server = tls_server(
        vec![rustls::pki_types::CertificateDer::from(a.leaf_der.clone())],
        rustls::pki_types::PrivateKeyDer::Pkcs8(b.leaf_key_der.clone().into()),
    )
    .await;
    let pin = mikopbx::transport::certificate_fingerprint(&a.leaf_der);
    let client = Client::builder(&server.url)
        .pin_certificate_sha256(&pin)
        .unwrap()
        .build()
        .unwrap();
    assert!(ping_kind(&client).await.is_some());
}

#[tokio::test]
async fn pbx_default_certificate_by_ip_through_a_pin() {
    let sim = Simulator::builder()
        .tls(TlsMode::PbxDefault {
            hostname: "mikopbx".into(),
        })
        .start()
        .await
        .unwrap();
    // Trusting the leaf as a CA and connecting by IP: hostname mismatch, message says to pin.
    let trusting = Client::builder(sim.url())
        .api_key(sim.admin_key().to_string())
        .trust_certificate_pem(sim.ca_pem().as_bytes())
        .unwrap()
        .build()
        .unwrap();
    let err = trusting.system().check_auth().await.unwrap_err();
    assert_eq!(err.tls_kind(), Some(TlsKind::HostnameMismatch), "{err}");
    assert!(err.to_string().contains("pin"));

    // What doctor does: read the fingerprint, then pin it.
    let report = trusting.inspect_tls().await;
    let fp = report
        .certificates
        .first()
        .expect("leaf seen")
        .sha256
        .clone();
    let pinned = Client::builder(sim.url())
        .api_key(sim.admin_key().to_string())
        .pin_certificate_sha256(&fp)
        .unwrap()
        .build()
        .unwrap();
    pinned
        .system()
        .check_auth()
        .await
        .expect("pinned works by IP");
    let ext = pinned.extensions().get("201").await.unwrap();
    assert_eq!(ext.number, "201");
}

#[tokio::test]
async fn plain_http_only_to_loopback() {
    let err = Client::builder("http://pbx.example.invalid")
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InsecureTransport);
    assert!(Client::builder("http://127.0.0.1:1").build().is_ok());
    assert!(Client::builder("http://[::1]:1").build().is_ok());
    assert!(Client::builder("http://localhost:1").build().is_ok());
    assert_eq!(
        Client::builder("http://10.0.0.5")
            .build()
            .unwrap_err()
            .kind(),
        ErrorKind::InsecureTransport
    );
    assert_eq!(
        Client::builder("ftp://x").build().unwrap_err().kind(),
        ErrorKind::Config
    );
}
