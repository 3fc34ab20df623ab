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

fn ajam_port(sim: &mikopbx_sim::RunningSimulator) -> u16 {
    let url = sim.ajam_url().expect("the simulator serves AJAM over TLS");
    url.rsplit(':').next().unwrap().parse().unwrap()
}

fn leaf(report: &mikopbx::TlsReport) -> String {
    report
        .certificates
        .first()
        .expect("a certificate was presented")
        .sha256
        .clone()
}

#[tokio::test]
async fn inspect_ajam_tls_sees_the_asterisk_port_and_its_answer_without_a_session() {
    let sim = Simulator::builder().cdr_records(10).start().await.unwrap();
    let client = Client::builder(sim.url())
        .trust_certificate_pem(sim.ca_pem().as_bytes())
        .unwrap()
        .build()
        .unwrap();
    let web = client.inspect_tls().await;
    web.outcome.as_ref().expect("the web port verifies");
    assert_eq!(web.answer.as_ref().map(|a| a.status), Some(200));

    let ajam = client.inspect_ajam_tls(ajam_port(&sim), None).await;
    ajam.outcome.as_ref().expect("same trust, same certificate");
    assert_eq!(leaf(&ajam), leaf(&web), "a normal install: one certificate");
    // Asterisk's manager over HTTP refuses every action but Login before a login, and opens
    // a session for the asker.
    let answer = ajam.answer.expect("the listener answered");
    assert_eq!(answer.status, 200);
    assert!(
        answer.body.contains("Response: Error") && answer.body.contains("Permission denied"),
        "{answer:?}"
    );
    assert!(
        answer.cookie_names.iter().any(|c| c == "mansession_id"),
        "{answer:?}"
    );

    // A closed port: a connection failure, nothing presented.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let report = client.inspect_ajam_tls(closed, None).await;
    assert_eq!(
        report.outcome.as_ref().unwrap_err().kind(),
        ErrorKind::Connect
    );
    assert!(report.certificates.is_empty() && report.answer.is_none());

    // Settings that cannot work are named before anything is sent.
    for report in [
        client.inspect_ajam_tls(0, None).await,
        client.inspect_ajam_tls(ajam_port(&sim), Some("nope")).await,
    ] {
        assert_eq!(report.outcome.unwrap_err().kind(), ErrorKind::Config);
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn inspect_ajam_tls_in_fallback_mode_shows_the_other_certificate_to_pin() {
    let sim = Simulator::builder()
        .cdr_records(10)
        .ajam_fallback_certificate(true)
        .start()
        .await
        .unwrap();
    let port = ajam_port(&sim);
    let client = Client::builder(sim.url())
        .trust_certificate_pem(sim.ca_pem().as_bytes())
        .unwrap()
        .build()
        .unwrap();
    let web = client.inspect_tls().await;
    web.outcome.as_ref().expect("the web port verifies");

    // The web port's trust does not cover Asterisk's own certificate; the report still has it.
    let ajam = client.inspect_ajam_tls(port, None).await;
    let err = ajam.outcome.as_ref().unwrap_err();
    assert_eq!(err.tls_kind(), Some(TlsKind::UnknownIssuer), "{err}");
    let fingerprint = leaf(&ajam);
    assert_ne!(
        fingerprint,
        leaf(&web),
        "fallback mode: 443 and 8089 differ"
    );
    assert!(
        ajam.answer.is_none(),
        "nothing is sent over an untrusted connection"
    );

    // Its pin reaches it, whatever the web port's trust; a wrong pin does not.
    let pinned = client.inspect_ajam_tls(port, Some(&fingerprint)).await;
    pinned.outcome.expect("the AJAM pin is the trust decision");
    assert_eq!(pinned.answer.map(|a| a.status), Some(200));
    let wrong = client
        .inspect_ajam_tls(port, Some(&leaf(&web).replace(':', "")))
        .await;
    assert_eq!(
        wrong.outcome.unwrap_err().tls_kind(),
        Some(TlsKind::PinMismatch)
    );

    // Trusting the certificate the simulator says it serves there verifies it too.
    let trusting = Client::builder(sim.url())
        .trust_certificate_pem(sim.ajam_certificate_pem().unwrap().as_bytes())
        .unwrap()
        .build()
        .unwrap();
    let report = trusting.inspect_ajam_tls(port, None).await;
    report
        .outcome
        .as_ref()
        .expect("its own certificate, trusted");
    assert_eq!(leaf(&report), fingerprint);
    sim.shutdown().await;
}
