//! Retries, the rate governor and non-duplication of writes.

mod common;

use std::time::Duration;

use common::*;
use futures_util::StreamExt;
use mikopbx::{EmployeeQuery, ErrorKind, NewEmployee, RateLimit};
use mikopbx_sim::Simulator;

async fn count_number(c: &mikopbx::Client, number: &str) -> usize {
    c.employees()
        .list(EmployeeQuery {
            search: Some(number.into()),
            ..Default::default()
        })
        .collect_all()
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.number == number)
        .count()
}

fn person(number: &str) -> NewEmployee {
    NewEmployee {
        number: number.into(),
        user_username: format!("Retry {number}"),
        sip_secret: "Xk9mPq2vLr7t".into(),
        ..Default::default()
    }
}

#[tokio::test]
async fn a_post_is_retried_only_after_503_and_never_duplicated() {
    let sim = sim().await;
    let admin = admin(&sim);
    let c = builder(&sim, sim.admin_key().to_string())
        .max_retries(3)
        .build()
        .unwrap();

    // 503 "queue full" comes before any work: the POST is retried and succeeds once.
    sim.faults().status_burst(503, 2);
    c.employees().create(person("2950")).await.unwrap();
    assert_eq!(count_number(&admin, "2950").await, 1);

    // The answer is cut off after the server did the work: not retried, so not duplicated.
    sim.faults().truncate_next(1);
    let e = c.employees().create(person("2951")).await.unwrap_err();
    assert!(
        matches!(e.kind(), ErrorKind::Decode | ErrorKind::Connect),
        "{e}"
    );
    assert!(e.to_string().contains("not retried"), "{e}");
    assert_eq!(count_number(&admin, "2951").await, 1);

    // The connection is reset: not retried (the server may have done the work).
    sim.faults().reset_next(1);
    let e = c.employees().create(person("2952")).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Connect, "{e}");
    assert!(count_number(&admin, "2952").await <= 1);

    // A 500 on a POST is not retried either.
    sim.faults().status_burst(500, 1);
    let e = c.employees().create(person("2953")).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Server);
    sim.faults().clear();
    assert_eq!(count_number(&admin, "2953").await, 0);
}

#[tokio::test]
async fn idempotent_reads_are_retried_within_one_deadline() {
    let sim = sim().await;
    let c = builder(&sim, sim.admin_key().to_string())
        .max_retries(3)
        .build()
        .unwrap();
    sim.faults().status_burst(502, 2);
    c.extensions().get("201").await.unwrap();
    // A deadline shorter than the backoff ends the call with the last error, not later.
    let short = builder(&sim, sim.admin_key().to_string())
        .max_retries(10)
        .timeout(Duration::from_millis(400))
        .build()
        .unwrap();
    sim.faults().status_burst(503, 1000);
    let started = std::time::Instant::now();
    let e = short.extensions().get("201").await.unwrap_err();
    assert!(
        matches!(e.kind(), ErrorKind::ServiceBusy | ErrorKind::Timeout),
        "{e}"
    );
    assert!(started.elapsed() < Duration::from_secs(3));
    sim.faults().clear();
}

// Multi-threaded so that the in-process simulator is not starved by the client: a stalled server
// would read a backlog of paced requests all at once, as a slow network could.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn governor_keeps_a_1000_call_burst_free_of_429() {
    // The simulator's clock runs 20× faster: nginx's 180/min + 20 becomes 180 per 3 s + 20, and
    // the client's default governor (180/min, burst 10) is scaled the same way. Why 20× and not
    // more: nginx's window is fixed and starts at the first *arriving* request, so requests the
    // bucket sent over 60 s + δ can arrive inside one window; the burst margin of 10 absorbs
    // δ ≤ 3.3 simulated seconds, i.e. 166 ms of real scheduling stall at 20× (only 55 ms at 60×,
    // which a loaded 2-core CI machine exceeds).
    let sim = Simulator::builder()
        .clock_scale(20.0)
        .start()
        .await
        .unwrap();
    let c = builder(&sim, sim.admin_key().to_string())
        .local_address(REMOTE) // not localhost, so the PBX rate-limits this client
        .rate_limit(RateLimit::new(180, Duration::from_secs(3), 10))
        .max_retries(0)
        .build()
        .unwrap();
    let results: Vec<_> = futures_util::stream::iter(0..1000)
        .map(|_| {
            let c = c.clone();
            async move { c.system().ping().await }
        })
        .buffer_unordered(4)
        .collect()
        .await;
    let limited = results
        .iter()
        .filter(|r| matches!(r, Err(e) if e.kind() == ErrorKind::RateLimited))
        .count();
    let failed: Vec<_> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    assert_eq!(limited, 0, "429s: {limited}");
    assert!(failed.is_empty(), "{:?}", failed.first());
}
