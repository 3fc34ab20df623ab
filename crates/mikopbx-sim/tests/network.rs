//! TLS modes, the nginx layer, the worker queue, fault injection and persistence.
#![allow(clippy::disallowed_methods)] // test clients are built here, not in the core's transport

mod common;

use std::time::{Duration, Instant};

use common::*;
use futures_util::StreamExt;
use mikopbx_sim::{Simulator, TlsMode};
use serde_json::json;

#[tokio::test]
async fn untrusted_certificate_is_refused() {
    let sim = Simulator::builder()
        .cdr_records(1000)
        .start()
        .await
        .unwrap();
    let other = Simulator::builder()
        .cdr_records(1000)
        .start()
        .await
        .unwrap();
    let c = client_with(other.ca_pem(), LOCAL);
    let err = c.get(api(&sim, "system:ping")).send().await.unwrap_err();
    assert!(err.is_connect(), "{err:?}");
    assert!(format!("{err:?}").contains("UnknownIssuer"), "{err:?}");
    assert!(
        std::fs::read_to_string(sim.state_dir().join("ca.pem"))
            .unwrap()
            .contains("BEGIN CERTIFICATE")
    );
}

#[tokio::test]
async fn pbx_default_certificate_shape() {
    let sim = Simulator::builder()
        .tls(TlsMode::PbxDefault {
            hostname: "mikopbx".into(),
        })
        .cdr_records(1000)
        .start()
        .await
        .unwrap();
    let pem = std::fs::read_to_string(sim.state_dir().join("server.pem")).unwrap();
    assert_eq!(pem, sim.ca_pem());
    let der = rustls::pki_types::CertificateDer::from_pem_slice(pem.as_bytes()).unwrap();
    let (_, cert) = x509_parser::parse_x509_certificate(der.as_ref()).unwrap();
    assert_eq!(cert.subject(), cert.issuer(), "self-signed");
    let bc = cert
        .basic_constraints()
        .unwrap()
        .expect("basicConstraints present")
        .value;
    assert!(!bc.ca, "CA:FALSE");
    let ku = cert.key_usage().unwrap().expect("keyUsage present").value;
    assert!(
        !ku.key_cert_sign()
            && ku.digital_signature()
            && ku.key_encipherment()
            && ku.non_repudiation()
    );
    let san = cert.subject_alternative_name().unwrap().expect("SAN").value;
    assert_eq!(san.general_names.len(), 1);
    assert_eq!(format!("{}", san.general_names[0]), "DNSName(mikopbx)");
    let validity = cert.validity();
    assert!(validity.not_after.timestamp() - validity.not_before.timestamp() >= 3650 * 86_400);
    assert!(
        cert.subject()
            .iter_organization()
            .any(|o| o.as_str().ok() == Some("PBX System"))
    );

    // Trusted but reached by IP: hostname mismatch, as with a real PBX reached by LAN IP.
    let c = client(&sim, LOCAL);
    let err = c.get(api(&sim, "system:ping")).send().await.unwrap_err();
    assert!(format!("{err:?}").contains("NotValidForName"), "{err:?}");
    // Reached by the name in the certificate, it verifies.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let named = reqwest::Client::builder()
        .tls_backend_preconfigured({
            let mut roots = rustls::RootCertStore::empty();
            roots.add(der.clone()).unwrap();
            rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
                rustls::crypto::ring::default_provider(),
            ))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth()
        })
        .resolve("mikopbx", sim.local_addr())
        .build()
        .unwrap();
    let url = format!(
        "https://mikopbx:{}/pbxcore/api/v3/system:ping",
        sim.local_addr().port()
    );
    assert_eq!(named.get(url).send().await.unwrap().status(), 200);
}

use rustls::pki_types::pem::PemObject;

#[tokio::test]
async fn plain_http_and_redirect() {
    let sim = Simulator::builder()
        .http_addr("127.0.0.1:0".parse().unwrap())
        .cdr_records(1000)
        .start()
        .await
        .unwrap();
    let http = sim.http_url().unwrap().to_string();
    let remote = client(&sim, REMOTE);
    let r = remote
        .post(format!("{http}/pbxcore/api/v3/system:ping?x=1"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 301);
    let port = sim.local_addr().port();
    assert_eq!(
        r.headers()["location"],
        format!("https://127.0.0.1:{port}/pbxcore/api/v3/system:ping?x=1")
    );
    let local = client(&sim, LOCAL);
    assert_eq!(
        local
            .get(format!("{http}/pbxcore/api/v3/system:ping"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );

    let plain = Simulator::builder()
        .tls(TlsMode::PlainHttp)
        .cdr_records(1000)
        .start()
        .await
        .unwrap();
    assert!(plain.url().starts_with("http://127.0.0.1:"));
    assert!(plain.ca_pem().is_empty());
    let c = client_with("", LOCAL);
    assert_eq!(
        c.get(format!(
            "{}/pbxcore/api/v3/extensions?search=201",
            plain.url()
        ))
        .send()
        .await
        .unwrap()
        .status(),
        200
    );
}

#[tokio::test]
async fn waf_blocks_remote_with_plain_text() {
    let sim = Simulator::builder()
        .cdr_records(1000)
        .start()
        .await
        .unwrap();
    let (local, remote) = (client(&sim, LOCAL), client(&sim, REMOTE));
    let key = sim.admin_key().to_string();
    // Release tag: the query string is checked raw (`ngx.var.args`).
    for q in ["extensions?search=1=1", "extensions?f=..%2Fetc"] {
        let resp = remote
            .get(api(&sim, q))
            .bearer_auth(&key)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 403, "{q}");
        assert_eq!(resp.headers()["content-type"], "text/plain");
        assert_eq!(resp.text().await.unwrap(), "Security violation detected\n");
        // Localhost is exempt from the nginx layer.
        assert_eq!(
            local.get(api(&sim, q)).send().await.unwrap().status(),
            200,
            "{q}"
        );
    }
    // Percent-encoded patterns reach PHP on a release PBX …
    let encoded = [
        "extensions?search=1%3D1",
        "extensions?search=union%20select%20x",
        "extensions?search=please%20select%20one%20from%20the%20list",
        "extensions?search=a%27%3B",
    ];
    for q in encoded {
        let s = send(remote.get(api(&sim, q)).bearer_auth(&key)).await.0;
        assert_eq!(s, 200, "{q}");
    }
    // … and are refused by develop's WAF, which decodes them.
    let dev = Simulator::builder()
        .cdr_records(1000)
        .develop_waf(true)
        .start()
        .await
        .unwrap();
    let dev_remote = client(&dev, REMOTE);
    for q in encoded {
        let (s, body) = send(dev_remote.get(api(&dev, q)).bearer_auth(dev.admin_key())).await;
        assert_eq!(
            (s, body.as_str()),
            (403, "Security violation detected\n"),
            "{q}"
        );
    }
    dev.shutdown().await;
    let resp = remote
        .get(api(&sim, "extensions"))
        .bearer_auth(&key)
        .header("User-Agent", "x' or 1=1")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
    assert_eq!(
        send(
            remote
                .get(api(&sim, "extensions?search=O'Brien"))
                .bearer_auth(&key)
        )
        .await
        .0,
        200
    );
}

/// Send batches of 16 concurrent requests until one gets 429; returns (200s, 429s).
async fn hammer(c: &reqwest::Client, url: &str) -> (usize, usize) {
    let (mut ok, mut limited) = (0, 0);
    for _ in 0..200 {
        let statuses: Vec<u16> = futures_util::stream::iter(0..16)
            .map(|_| {
                let req = c.get(url);
                async move { req.send().await.map(|r| r.status().as_u16()).unwrap_or(0) }
            })
            .buffer_unordered(16)
            .collect()
            .await;
        ok += statuses.iter().filter(|s| **s == 200).count();
        limited += statuses.iter().filter(|s| **s == 429).count();
        assert!(
            statuses.iter().all(|s| *s == 200 || *s == 429),
            "{statuses:?}"
        );
        if limited > 0 {
            break;
        }
    }
    (ok, limited)
}

#[tokio::test]
async fn rate_limit_ban_on_scaled_clock_and_reset() {
    // 60×: the 60 s window is 1 s, the first ban (300 s) 5 s.
    let sim = Simulator::builder()
        .clock_scale(60.0)
        .cdr_records(1000)
        .start()
        .await
        .unwrap();
    let remote = client(&sim, REMOTE);
    let url = api(&sim, "system:ping");
    // Hammer until the limiter answers 429; at least 200 requests must pass first (more if the
    // machine is so slow that a 1 s window ends before 200 requests arrive).
    let (ok, limited) = hammer(&remote, &url).await;
    assert!(limited > 0 && ok >= 200, "ok={ok} limited={limited}");
    let resp = remote.get(&url).send().await.unwrap();
    assert_eq!(resp.status(), 429);
    assert_eq!(resp.headers()["content-type"], "text/plain");
    assert_eq!(resp.text().await.unwrap(), "Too many requests\n");
    // Localhost is exempt.
    assert_eq!(
        client(&sim, LOCAL).get(&url).send().await.unwrap().status(),
        200
    );
    // After 300 simulated seconds the ban is over.
    tokio::time::sleep(Duration::from_millis(5200)).await;
    assert_eq!(remote.get(&url).send().await.unwrap().status(), 200);

    // POST /_sim/reset lifts a ban at once; it needs the control token.
    assert!(hammer(&remote, &url).await.1 > 0);
    let local = client(&sim, LOCAL);
    let (s, _) = send(local.post(format!("{}/_sim/reset", sim.url()))).await;
    assert_eq!(
        s, 404,
        "without the token the control endpoint does not exist"
    );
    let (s, _) = send(
        local
            .post(format!("{}/_sim/reset", sim.url()))
            .header("X-Sim-Control", sim.control_token()),
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(remote.get(&url).send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn queue_full_503_and_worker_timeout_400() {
    let sim = Simulator::builder()
        .cdr_records(1000)
        .start()
        .await
        .unwrap();
    sim.faults().set_latency(Duration::from_millis(100));
    let local = client(&sim, LOCAL);
    let url = api(&sim, "system:ping");
    let bodies: Vec<(u16, String)> = futures_util::stream::iter(0..70)
        .map(|_| send(local.get(&url)))
        .buffer_unordered(70)
        .collect()
        .await;
    let busy: Vec<&(u16, String)> = bodies.iter().filter(|(s, _)| *s == 503).collect();
    assert!(!busy.is_empty(), "some requests must find the queue full");
    assert!(bodies.iter().all(|(s, _)| *s == 200 || *s == 503));
    assert!(busy[0].1.starts_with(r#"{"result":false,"data":[],"messages":{"error":["Service temporarily unavailable, please retry later"]}"#), "{}", busy[0].1);
    sim.faults().clear();

    // 100×: the controller's 30 s wait is 0.3 s; a 1 s backend is a timeout (400).
    let slow = Simulator::builder()
        .clock_scale(100.0)
        .cdr_records(1000)
        .start()
        .await
        .unwrap();
    slow.faults().set_latency(Duration::from_millis(1000));
    let c = client(&slow, LOCAL);
    let started = Instant::now();
    let (s, body) = send(c.get(api(&slow, "system:ping"))).await;
    assert_eq!(s, 400);
    assert!(
        body.contains("Request timeout or worker not responding"),
        "{body}"
    );
    assert!(started.elapsed() < Duration::from_millis(900));
}

#[tokio::test]
async fn faults_reset_truncate_bursts_and_control_endpoint() {
    let sim = Simulator::builder()
        .cdr_records(1000)
        .start()
        .await
        .unwrap();
    let c = client(&sim, LOCAL);
    let url = api(&sim, "extensions");
    let f = sim.faults();
    f.reset_next(1);
    let err = c.get(&url).send().await.unwrap_err();
    assert!(err.is_request() || err.is_connect(), "{err:?}");
    assert_eq!(c.get(&url).send().await.unwrap().status(), 200);

    f.truncate_next(1);
    let resp = c.get(&url).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.text().await.is_err(), "the body is cut short");

    f.status_burst(503, 2);
    for _ in 0..2 {
        let (s, body) = send(c.get(&url)).await;
        assert_eq!(s, 503);
        assert!(body.contains("Service temporarily unavailable, please retry later"));
    }
    assert_eq!(send(c.get(&url)).await.0, 200);
    f.status_burst(502, 1);
    assert_eq!(send(c.get(&url)).await.0, 502);

    f.set_latency(Duration::from_millis(300));
    let t = Instant::now();
    assert_eq!(send(c.get(&url)).await.0, 200);
    assert!(t.elapsed() >= Duration::from_millis(300));
    f.clear();

    // The same switches over HTTP for other languages.
    let control = format!("{}/_sim/faults", sim.url());
    let body = json!({"status_burst": {"status": 500, "count": 1}});
    assert_eq!(send(c.post(&control).json(&body)).await.0, 404);
    assert_eq!(
        send(
            client(&sim, LOCAL)
                .post(&control)
                .header("X-Sim-Control", "wrong")
                .json(&body)
        )
        .await
        .0,
        404
    );
    assert_eq!(
        send(
            c.post(&control)
                .header("X-Sim-Control", sim.control_token())
                .json(&body)
        )
        .await
        .0,
        200
    );
    let (s, body) = send(c.get(&url)).await;
    assert_eq!(s, 500);
    assert!(body.starts_with(r#"{"result":false,"messages":{"error":"#));
    assert_eq!(send(c.get(&url)).await.0, 200);
    let token = std::fs::read_to_string(sim.state_dir().join("control-token.txt")).unwrap();
    assert_eq!(token.trim(), sim.control_token());
}

#[tokio::test]
async fn state_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let sim = Simulator::builder()
        .state_dir(dir.path())
        .cdr_records(1000)
        .start()
        .await
        .unwrap();
    let admin = sim.admin_key().to_string();
    let (key, _) = make_key(
        &sim,
        json!({"description": "kept", "full_permissions": true}),
    )
    .await;
    let c = client(&sim, LOCAL);
    let new =
        json!({"number": "298", "user_username": "Persistent Person", "sip_secret": "S3cret!x"});
    assert_eq!(json(c.post(api(&sim, "employees")).json(&new)).await.0, 201);
    let (_, cdr_before) = json(c.get(api(&sim, "cdr?limit=3"))).await;
    sim.shutdown().await;

    let sim = Simulator::builder()
        .state_dir(dir.path())
        .cdr_records(1000)
        .start()
        .await
        .unwrap();
    assert_eq!(sim.admin_key(), admin);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("admin-key.txt")).unwrap(),
        format!("{admin}\n")
    );
    let remote = client(&sim, REMOTE);
    let (s, v) = json(
        remote
            .get(api(&sim, "extensions?search=298"))
            .bearer_auth(&key),
    )
    .await;
    assert_eq!(s, 200);
    assert!(
        v["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["number"] == "298"),
        "{v}"
    );
    let (_, cdr_after) = json(remote.get(api(&sim, "cdr?limit=3")).bearer_auth(&key)).await;
    assert_eq!(
        cdr_before["data"]["records"][2],
        cdr_after["data"]["records"][2]
    );
}
