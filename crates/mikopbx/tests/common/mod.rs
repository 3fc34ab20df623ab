//! Shared helpers for the integration tests: each test starts its own simulator on an ephemeral
//! port and talks to it over real TLS.
#![allow(dead_code)]

use std::net::IpAddr;
use std::sync::Arc;

use mikopbx::{ApiKey, ApiKeyInfo, Client, ClientBuilder, NetworkFilter, NewApiKey, Permissions};
use mikopbx_sim::{RunningSimulator, Simulator};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub const REMOTE: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(127, 0, 0, 2));

pub async fn sim() -> RunningSimulator {
    Simulator::builder()
        .start()
        .await
        .expect("simulator starts")
}

/// A builder for the simulator's URL that trusts its CA and uses `key`.
pub fn builder(sim: &RunningSimulator, key: impl Into<ApiKey>) -> ClientBuilder {
    Client::builder(sim.url())
        .api_key(key)
        .trust_certificate_pem(sim.ca_pem().as_bytes())
        .expect("CA parses")
}

pub fn admin(sim: &RunningSimulator) -> Client {
    builder(sim, sim.admin_key().to_string())
        .build()
        .expect("admin client")
}

/// What the simulator recorded of the system actions it cannot perform (`state.json`,
/// `system_actions`: reboot, shutdown).
pub fn system_actions(sim: &RunningSimulator) -> Vec<String> {
    let state = std::fs::read(sim.state_dir().join("state.json")).unwrap_or_default();
    let state: serde_json::Value = serde_json::from_slice(&state).unwrap_or_default();
    serde_json::from_value(state["system_actions"].clone()).unwrap_or_default()
}

/// Creates a key through the SDK with the admin key, as an integrator would.
pub async fn create_key(
    sim: &RunningSimulator,
    permissions: Option<Permissions>,
    network: NetworkFilter,
) -> (ApiKey, ApiKeyInfo) {
    let admin = admin(sim);
    let key = admin.api_keys().generate_key().await.expect("generateKey");
    let info = admin
        .api_keys()
        .create(NewApiKey::new(
            "test key",
            key.clone(),
            permissions.as_ref(),
            network,
        ))
        .await
        .expect("create key");
    (key, info)
}

/// A bare TLS server with a given certificate chain that answers every request with a ping
/// envelope. For certificate tests that the simulator does not cover.
pub struct TlsServer {
    pub url: String,
    pub port: u16,
    _task: tokio::task::JoinHandle<()>,
}

/// Answers a request head (request line + headers) with a JSON body.
pub type Handler = Arc<dyn Fn(&str) -> Vec<u8> + Send + Sync>;

pub async fn tls_server(
    chain: Vec<rustls::pki_types::CertificateDer<'static>>,
    key: rustls::pki_types::PrivateKeyDer<'static>,
) -> TlsServer {
    let ping: Handler = Arc::new(|_| {
        br#"{"result":true,"data":["pong"],"messages":[],"function":"ping","processor":"x","pid":1}"#
            .to_vec()
    });
    tls_server_with(chain, key, ping).await
}

/// A TLS server answering every request (keep-alive) with `handler`'s body.
pub async fn tls_server_with(
    chain: Vec<rustls::pki_types::CertificateDer<'static>>,
    key: rustls::pki_types::PrivateKeyDer<'static>,
    handler: Handler,
) -> TlsServer {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    // A resolver rather than `with_single_cert`, which would refuse a key that does not match the
    // certificate: one test needs exactly that mismatch.
    let signing = provider.key_provider.load_private_key(key).unwrap();
    let certified = Arc::new(rustls::sign::CertifiedKey::new(chain, signing));
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_cert_resolver(Arc::new(FixedCert(certified)));
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let task = tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let _ = tcp.set_nodelay(true);
            let acceptor = acceptor.clone();
            let handler = handler.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                loop {
                    // Requests carry no body here (GETs), so a head ends each one.
                    let end = loop {
                        if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                            break p + 4;
                        }
                        match tls.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    };
                    let head_text = String::from_utf8_lossy(&buf[..end]).to_string();
                    buf.drain(..end);
                    let body = handler(&head_text);
                    let mut response = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
                        body.len()
                    )
                    .into_bytes();
                    response.extend_from_slice(&body);
                    if tls.write_all(&response).await.is_err() || tls.flush().await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    TlsServer {
        url: format!("https://127.0.0.1:{port}"),
        port,
        _task: task,
    }
}

#[derive(Debug)]
struct FixedCert(Arc<rustls::sign::CertifiedKey>);

impl rustls::server::ResolvesServerCert for FixedCert {
    fn resolve(
        &self,
        _hello: rustls::server::ClientHello<'_>,
    ) -> Option<Arc<rustls::sign::CertifiedKey>> {
        Some(self.0.clone())
    }
}

/// A CA and a leaf it signs for `names`, valid in the given years.
pub struct TestPki {
    pub ca_pem: String,
    pub ca_der: Vec<u8>,
    pub leaf_der: Vec<u8>,
    pub leaf_key_der: Vec<u8>,
}

pub fn pki(names: &[&str], years: Option<(i32, i32)>) -> TestPki {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair, KeyUsagePurpose};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "Test CA");
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca_params, ca_key);
    let leaf_key = KeyPair::generate().unwrap();
    let mut leaf_params =
        CertificateParams::new(names.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap();
    if let Some((from, to)) = years {
        leaf_params.not_before = rcgen::date_time_ymd(from, 1, 1);
        leaf_params.not_after = rcgen::date_time_ymd(to, 1, 1);
    }
    let leaf = leaf_params.signed_by(&leaf_key, &issuer).unwrap();
    TestPki {
        ca_pem: ca_cert.pem(),
        ca_der: ca_cert.der().to_vec(),
        leaf_der: leaf.der().to_vec(),
        leaf_key_der: leaf_key.serialize_der(),
    }
}

pub async fn serve_pki(p: &TestPki) -> TlsServer {
    tls_server(
        vec![rustls::pki_types::CertificateDer::from(p.leaf_der.clone())],
        rustls::pki_types::PrivateKeyDer::Pkcs8(p.leaf_key_der.clone().into()),
    )
    .await
}

/// `POST /_sim/<path>` on the simulator's control API with its token, over TLS trusting its CA
/// (a bare HTTP/1.1 request: the control API is the simulator's, not an SDK operation).
/// Returns the status and the body.
pub async fn post_control(sim: &RunningSimulator, path: &str, body: &str) -> (u16, String) {
    let request = format!(
        "POST /_sim/{path} HTTP/1.1\r\nHost: localhost\r\nX-Sim-Control: {}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        sim.control_token(),
        body.len()
    );
    let (status, _, body) = raw_http(sim, &request).await;
    (status, String::from_utf8_lossy(&body).to_string())
}

/// `GET path_and_query` as a bare HTTP/1.1 request (with `authorization` when given),
/// independent of the SDK: what a test compares the SDK's results with. Returns the status, the
/// header block and the body.
pub async fn raw_get(
    sim: &RunningSimulator,
    path_and_query: &str,
    authorization: Option<&str>,
) -> (u16, String, Vec<u8>) {
    let auth = authorization
        .map(|a| format!("Authorization: {a}\r\n"))
        .unwrap_or_default();
    let request = format!(
        "GET {path_and_query} HTTP/1.1\r\nHost: localhost\r\n{auth}Connection: close\r\n\r\n"
    );
    raw_http(sim, &request).await
}

/// One request over TLS trusting the simulator's CA; the answer split into status, header
/// block and body (the simulator answers with `Content-Length`, never chunked, to `close`).
pub async fn raw_http(sim: &RunningSimulator, request: &str) -> (u16, String, Vec<u8>) {
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls::pki_types::CertificateDer::pem_slice_iter(sim.ca_pem().as_bytes()) {
        roots.add(cert.expect("CA PEM")).expect("CA parses");
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("protocol versions")
    .with_root_certificates(roots)
    .with_no_client_auth();
    let tcp = tokio::net::TcpStream::connect(sim.local_addr())
        .await
        .expect("connect");
    let name = rustls::pki_types::ServerName::try_from("localhost").expect("name");
    let mut tls = tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await
        .expect("TLS");
    tls.write_all(request.as_bytes()).await.expect("write");
    let mut raw = Vec::new();
    let _ = tls.read_to_end(&mut raw).await;
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(raw.len());
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let body = raw.get(split + 4..).unwrap_or_default().to_vec();
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, head, body)
}
