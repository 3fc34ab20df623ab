//! The API key never appears in logs, even at TRACE with every dependency's logging on.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use common::*;
use mikopbx::{Access, NetworkFilter, Permissions, Resource};

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn key_is_absent_from_trace_logs() {
    let capture = Capture::default();
    let writer = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let sim = sim().await;
    let admin_key = sim.admin_key().to_string();
    let (key, info) = create_key(
        &sim,
        Some(Permissions::none().grant(Resource::Extensions, Access::Read)),
        NetworkFilter::Any,
    )
    .await;
    let c = builder(&sim, key.clone()).build().unwrap();
    c.extensions().get("201").await.unwrap();
    let e = c
        .employees()
        .list(Default::default())
        .next_page()
        .await
        .unwrap_err();
    let k = builder(&sim, key.clone())
        .permissions(info.permissions())
        .build()
        .unwrap();
    let _ = k.employees().delete("1").await;
    let a = admin(&sim);
    a.api_keys().generate_key().await.unwrap();
    // Debug and Display of everything a user might log.
    tracing::info!(?c, ?key, error = %e, error_debug = ?e, "user logging");

    let logs = String::from_utf8_lossy(&capture.0.lock().unwrap()).to_string();
    assert!(logs.len() > 1000, "TRACE logging was captured");
    for secret in [key.expose_secret(), admin_key.as_str()] {
        assert!(!logs.contains(secret), "a key leaked into the logs");
        // Not even a long fragment of it.
        assert!(!logs.contains(&secret[10..40]));
    }
}
