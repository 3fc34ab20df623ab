//! Streaming 100 000 CDR records with bounded memory. Asserts behaviour (count, order, no
//! duplicates, memory growth bounded by a page, resumability), prints the measurements.

mod common;

use std::time::Instant;

use common::*;
use futures_util::StreamExt;
use mikopbx::CdrQuery;

/// Resident set size in KiB (Linux), `None` elsewhere.
fn rss_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find(|l| l.starts_with(field))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// Page size for the streaming test; `MIKOPBX_BENCH_PAGE` overrides it for benchmark runs.
fn bench_page() -> u32 {
    std::env::var("MIKOPBX_BENCH_PAGE")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000)
}

fn year_query() -> CdrQuery {
    let today = chrono::Local::now().date_naive();
    let from = today - chrono::Days::new(364);
    CdrQuery {
        date_from: Some(from.format("%Y-%m-%d").to_string()),
        date_to: Some(today.format("%Y-%m-%d").to_string()),
        page_size: Some(1000),
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streams_100k_records_with_bounded_memory() {
    const N: u64 = 100_000;
    // A little more than 100 000 over the year, so that the window surely holds 100 000.
    let sim = mikopbx_sim::Simulator::builder()
        .cdr_records(110_000)
        .start()
        .await
        .unwrap();
    let c = admin(&sim);
    let started = Instant::now();
    let mut stream = Box::pin(
        c.cdr()
            .list(CdrQuery {
                max_items: Some(N),
                page_size: Some(bench_page()),
                ..year_query()
            })
            .into_stream(),
    );
    let mut count = 0u64;
    let mut last_id = 0i64;
    let mut rss_at_10k = None;
    let mut rss_max = 0u64;
    while let Some(r) = stream.next().await {
        let r = r.expect("record");
        assert!(r.id > last_id, "strictly increasing ids, no duplicates");
        last_id = r.id;
        count += 1;
        if count == 10_000 {
            rss_at_10k = rss_kib("VmRSS:");
        }
        if count.is_multiple_of(5_000)
            && let Some(now) = rss_kib("VmRSS:")
        {
            rss_max = rss_max.max(now);
        }
    }
    let elapsed = started.elapsed();
    assert_eq!(
        count, N,
        "the simulator serves at least 100 000 records in a year"
    );
    if let Some(base) = rss_at_10k {
        let growth_mib = rss_max.saturating_sub(base) / 1024;
        println!(
            "cdr stream (page {}): {count} records in {:.2} s ({:.0} records/s); RSS at 10k {} MiB, max {} MiB, peak (VmHWM) {} MiB",
            bench_page(),
            elapsed.as_secs_f64(),
            count as f64 / elapsed.as_secs_f64(),
            base / 1024,
            rss_max / 1024,
            rss_kib("VmHWM:").unwrap_or(0) / 1024
        );
        // Holding 90 000 more records would take far more than this; one page is ~0.5 MiB.
        assert!(
            growth_mib < 48,
            "memory grew by {growth_mib} MiB while streaming"
        );
    }
}

#[tokio::test]
async fn an_export_resumes_from_its_checkpoint() {
    let sim = sim().await;
    let c = admin(&sim);
    let first = c.cdr().list(CdrQuery {
        page_size: Some(100),
        max_items: Some(250),
        ..year_query()
    });
    let mut seen = Vec::new();
    while let Some(p) = first.next_page().await.unwrap() {
        seen.extend(p.into_iter().map(|r| r.id));
    }
    let checkpoint = first.checkpoint().await.unwrap();
    let rest: Vec<i64> = c
        .cdr()
        .list(CdrQuery {
            page_size: Some(100),
            max_items: Some(250),
            resume_after: Some(checkpoint),
            ..year_query()
        })
        .collect_all()
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(rest.len(), 250);
    assert!(rest[0] > *seen.last().unwrap());
    // One uninterrupted export gives the same ids.
    let whole: Vec<i64> = c
        .cdr()
        .list(CdrQuery {
            page_size: Some(100),
            max_items: Some(500),
            ..year_query()
        })
        .collect_all()
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect();
    seen.extend(rest);
    assert_eq!(seen, whole);
}

/// A canned CDR endpoint: answers each page from `idFrom`/`limit` with generated records, so the
/// measurement is the SDK's (TLS, HTTP, decoding, paging), not the simulator's.
fn canned_cdr_page(head: &str) -> Vec<u8> {
    let target = head.split_whitespace().nth(1).unwrap_or("");
    let query = target.split_once('?').map(|(_, q)| q).unwrap_or("");
    let param = |k: &str| {
        query
            .split('&')
            .find_map(|kv| kv.strip_prefix(&format!("{k}=")))
            .and_then(|v| v.parse::<u64>().ok())
    };
    let after = param("idFrom").unwrap_or(0);
    let limit = param("limit").unwrap_or(50).min(1000);
    const TOTAL: u64 = 100_000;
    let ids = (after + 1)..=(after + limit).min(TOTAL);
    let records: Vec<serde_json::Value> = ids
        .clone()
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
    let remaining = TOTAL.saturating_sub(after);
    serde_json::to_vec(&serde_json::json!({
        "result": true,
        "data": {"records": records, "pagination": {"total": remaining, "limit": limit, "offset": 0,
                 "hasMore": limit < remaining, "lastId": ids.last()}},
        "messages": [], "function": "getList", "processor": "x", "pid": 1
    }))
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sdk_streaming_throughput_against_a_canned_server() {
    let p = pki(&["localhost", "127.0.0.1"], None);
    let server = tls_server_with(
        vec![rustls::pki_types::CertificateDer::from(p.leaf_der.clone())],
        rustls::pki_types::PrivateKeyDer::Pkcs8(p.leaf_key_der.clone().into()),
        std::sync::Arc::new(canned_cdr_page),
    )
    .await;
    let c = mikopbx::Client::builder(&server.url)
        .api_key("ab".repeat(32))
        .trust_certificate_pem(p.ca_pem.as_bytes())
        .unwrap()
        .build()
        .unwrap();
    let started = Instant::now();
    let base = rss_kib("VmRSS:");
    let mut stream = Box::pin(
        c.cdr()
            .list(CdrQuery {
                page_size: Some(bench_page()),
                ..Default::default()
            })
            .into_stream(),
    );
    let (mut count, mut last, mut rss_max) = (0u64, 0i64, 0u64);
    while let Some(r) = stream.next().await {
        let r = r.unwrap();
        assert_eq!(r.id, last + 1);
        last = r.id;
        count += 1;
        if count.is_multiple_of(5_000) {
            rss_max = rss_max.max(rss_kib("VmRSS:").unwrap_or(0));
        }
    }
    assert_eq!(count, 100_000);
    let elapsed = started.elapsed();
    println!(
        "sdk stream (canned server, page {}): {count} records in {:.2} s ({:.0} records/s); RSS before {} MiB, max {} MiB",
        bench_page(),
        elapsed.as_secs_f64(),
        count as f64 / elapsed.as_secs_f64(),
        base.unwrap_or(0) / 1024,
        rss_max / 1024
    );
}
