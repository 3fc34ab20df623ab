//! Wire-test helpers: a real reqwest client over real TLS, trusting the simulator's CA and bound
//! to a chosen loopback address (127.0.0.1 is "localhost" to the server, 127.0.0.2 is remote).
//! Used by `tests/*.rs` (through `tests/common`) and by the tests beside each handler.
#![allow(dead_code, clippy::disallowed_methods)]

use std::net::IpAddr;
use std::sync::Arc;

use mikopbx_sim::RunningSimulator;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use serde_json::Value;

pub const LOCAL: &str = "127.0.0.1";
pub const REMOTE: &str = "127.0.0.2";

fn tls_config(trust_pem: &str) -> rustls::ClientConfig {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(trust_pem.as_bytes()).flatten() {
        roots.add(cert).expect("CA parses");
    }
    rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_root_certificates(roots)
        .with_no_client_auth()
}

/// A client trusting `trust_pem`, bound to `bind`, never following redirects.
pub fn client_with(trust_pem: &str, bind: &str) -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .tls_backend_preconfigured(tls_config(trust_pem))
        .local_address(bind.parse::<IpAddr>().expect("ip"))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client builds")
}

/// A client for `sim`, bound to `bind`.
pub fn client(sim: &RunningSimulator, bind: &str) -> reqwest::Client {
    client_with(sim.ca_pem(), bind)
}

/// `{url}/pbxcore/api/v3/{path}`.
pub fn api(sim: &RunningSimulator, path: &str) -> String {
    format!("{}/pbxcore/api/v3/{path}", sim.url())
}

/// Status and body text.
pub async fn send(req: reqwest::RequestBuilder) -> (u16, String) {
    let resp = req.send().await.expect("request completes");
    let status = resp.status().as_u16();
    (status, resp.text().await.expect("body"))
}

/// Status and parsed JSON body.
pub async fn json(req: reqwest::RequestBuilder) -> (u16, Value) {
    let (status, text) = send(req).await;
    let v = serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
    (status, v)
}

/// The body of every middleware 401, minus the `pid` and `meta` values.
pub fn assert_401_shape(text: &str) {
    assert!(
        text.starts_with(r#"{"result":false,"data":[],"messages":{"error":["The user isn't authenticated."]},"function":"","processor":"","pid":"#),
        "{text}"
    );
    assert!(text.contains(r#","meta":{"timestamp":""#), "{text}");
}

/// Create an API key through the admin key and return the plaintext.
pub async fn make_key(sim: &RunningSimulator, body: Value) -> (String, String) {
    let c = client(sim, LOCAL);
    let (_, generated) = json(
        c.post(api(sim, "api-keys:generateKey"))
            .bearer_auth(sim.admin_key()),
    )
    .await;
    let key = generated["data"]["key"].as_str().expect("key").to_string();
    let mut body = body;
    body["key"] = Value::String(key.clone());
    let (status, created) = json(
        c.post(api(sim, "api-keys"))
            .bearer_auth(sim.admin_key())
            .json(&body),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    (key, created["data"]["id"].as_str().expect("id").to_string())
}
