//! The Rust SDK against a hand-written `reqwest` + `serde_json` client doing the same requests,
//! both over TLS with keep-alive to a canned server on 127.0.0.1 (answers prepared once, so the
//! server costs almost nothing and the difference is the client's). Run with
//! `cargo bench -p mikopbx --bench sdk` (or `scripts/bench.sh`); see docs/BENCHMARKS.md.
//!
//! - `one_employee`: one record by id, decoded into `Employee`.
//! - `cdr_page_1000`: one page of 1000 call records decoded into `CdrRecord`s (throughput in
//!   records/s: the "decoding 1000-record pages from a canned server" figure).
//! - `inflight_100`: 100 requests at once on one client (throughput in requests/s), the raw
//!   client being the load generator the SDK is compared with.

#[path = "../tests/common/mod.rs"]
mod common;

use std::sync::Arc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use futures_util::future::join_all;
use mikopbx::{CdrQuery, CdrRecord, Client, Employee};
use serde::Deserialize;

const KEY: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
const EMPLOYEE_PATH: &str = "/pbxcore/api/v3/employees/12";

/// The envelope as a hand-written client reads it.
#[derive(Deserialize)]
struct Envelope<T> {
    #[allow(dead_code)]
    result: bool,
    data: T,
}

#[derive(Deserialize)]
struct CdrData {
    records: Vec<CdrRecord>,
}

fn employee_body() -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "result": true,
        "data": {
            "id": "12", "user_username": "Alexey Kuznetsov", "user_email": "a.kuznetsov@example.com",
            "number": "201", "mobile_number": "79161234567", "mobile_dialstring": "79161234567",
            "user_avatar": "", "sip_secret": "", "sip_enableRecording": true, "sip_dtmfmode": "auto",
            "sip_transport": "udp", "sip_networkfilterid": "none", "sip_manualattributes": "",
            "fwd_ringlength": 45, "fwd_forwardingonbusy": "", "fwd_forwarding": "",
            "fwd_forwardingonunavailable": "", "status": "", "type": "SIP"
        },
        "messages": [], "function": "getRecord", "processor": "x", "pid": 1
    }))
    .unwrap()
}

fn cdr_body() -> Vec<u8> {
    let records: Vec<serde_json::Value> = (1..=1000u64)
        .map(|id| {
            serde_json::json!({
                "id": id, "start": "2026-11-29 10:00:00", "answer": "2026-11-29 10:00:07",
                "endtime": "2026-11-29 10:03:12", "src_num": "79161234567", "src_name": "",
                "dst_num": "201", "dst_name": "Alexey Kuznetsova", "did": "74951234567",
                "disposition": "ANSWERED", "duration": 192, "billsec": 185,
                "linkedid": format!("mikopbx-1764410400.{id}"),
                "recordingfile": format!("/storage/usbdisk1/mikopbx/astspool/monitor/2026/11/29/10/mikopbx-1764410400.{id}.mp3"),
                "src_chan": "PJSIP/SIP-TRUNK-ABCDEF12-0000001a", "dst_chan": "PJSIP/201-0000001b"
            })
        })
        .collect();
    serde_json::to_vec(&serde_json::json!({
        "result": true,
        "data": {"records": records, "pagination": {"total": 100_000, "limit": 1000, "offset": 0,
                 "hasMore": true, "lastId": 1000}},
        "messages": [], "function": "getList", "processor": "x", "pid": 1
    }))
    .unwrap()
}

struct Setup {
    rt: tokio::runtime::Runtime,
    sdk: Client,
    raw: reqwest::Client,
    url: String,
    _server: common::TlsServer,
}

fn setup() -> Setup {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let p = common::pki(&["localhost", "127.0.0.1"], None);
    let (employee, cdr) = (Arc::new(employee_body()), Arc::new(cdr_body()));
    let server = rt.block_on(common::tls_server_with(
        vec![rustls::pki_types::CertificateDer::from(p.leaf_der.clone())],
        rustls::pki_types::PrivateKeyDer::Pkcs8(p.leaf_key_der.clone().into()),
        Arc::new(move |head: &str| {
            if head.contains("/cdr") {
                cdr.to_vec()
            } else {
                employee.to_vec()
            }
        }),
    ));
    let sdk = rt.block_on(async {
        Client::builder(&server.url)
            .api_key(KEY)
            .trust_certificate_pem(p.ca_pem.as_bytes())
            .unwrap()
            .build()
            .unwrap()
    });
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(rustls::pki_types::CertificateDer::from(p.ca_der.clone()))
        .unwrap();
    let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    // The baseline under comparison: a plain reqwest client, verifying the server against the
    // test CA (the one other client constructor in the workspace, for measuring only).
    #[allow(clippy::disallowed_methods)]
    let raw = reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .build()
        .unwrap();
    Setup {
        rt,
        sdk,
        url: server.url.clone(),
        raw,
        _server: server,
    }
}

async fn raw_get<T: serde::de::DeserializeOwned>(raw: &reqwest::Client, url: &str) -> T {
    let bytes = raw
        .get(url)
        .bearer_auth(KEY)
        .header(reqwest::header::ACCEPT, "application/json")
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    serde_json::from_slice::<Envelope<T>>(&bytes).unwrap().data
}

fn cdr_query() -> CdrQuery {
    CdrQuery {
        date_from: Some("2025-12-03".into()),
        date_to: Some("2026-12-02".into()),
        page_size: Some(1000),
        ..Default::default()
    }
}

fn benches(c: &mut Criterion) {
    let s = setup();
    let employee_url = format!("{}{EMPLOYEE_PATH}", s.url);
    let cdr_url = format!(
        "{}/pbxcore/api/v3/cdr?dateFrom=2025-12-03&dateTo=2026-12-02&sort=id&order=ASC&grouped=false&limit=1000&offset=0",
        s.url
    );

    let mut g = c.benchmark_group("one_employee");
    g.bench_function("sdk", |b| {
        b.to_async(&s.rt)
            .iter(|| async { s.sdk.employees().get("12").await.unwrap() })
    });
    g.bench_function("reqwest+serde_json", |b| {
        b.to_async(&s.rt)
            .iter(|| async { raw_get::<Employee>(&s.raw, &employee_url).await })
    });
    g.finish();

    let mut g = c.benchmark_group("cdr_page_1000");
    g.throughput(Throughput::Elements(1000));
    g.bench_function("sdk", |b| {
        b.to_async(&s.rt).iter(|| async {
            let page = s
                .sdk
                .cdr()
                .list(cdr_query())
                .into_pager()
                .next_page()
                .await
                .unwrap()
                .unwrap();
            assert_eq!(page.len(), 1000);
            page
        })
    });
    g.bench_function("reqwest+serde_json", |b| {
        b.to_async(&s.rt).iter(|| async {
            let page = raw_get::<CdrData>(&s.raw, &cdr_url).await.records;
            assert_eq!(page.len(), 1000);
            page
        })
    });
    g.finish();

    let mut g = c.benchmark_group("inflight_100");
    g.throughput(Throughput::Elements(100));
    g.bench_function("sdk", |b| {
        let employees = s.sdk.employees();
        b.to_async(&s.rt)
            .iter(|| async { join_all((0..100).map(|_| employees.get("12"))).await })
    });
    g.bench_function("raw reqwest", |b| {
        b.to_async(&s.rt).iter(|| async {
            join_all((0..100).map(|_| raw_get::<Employee>(&s.raw, &employee_url))).await
        })
    });
    g.finish();
}

criterion_group! {
    name = sdk;
    // Short runs: the machine is shared; compare the two lines of each group, measured alike.
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(std::time::Duration::from_secs(1))
        .measurement_time(std::time::Duration::from_secs(4));
    targets = benches
}
criterion_main!(sdk);
