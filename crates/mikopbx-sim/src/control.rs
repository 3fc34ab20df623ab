//! `/_sim/*`: run-time control for test suites in other languages.
//!
//! * `POST /_sim/faults` with JSON `{"latency_ms":0,"reset_next":0,"truncate_next":0,
//!   "status_burst":{"status":503,"count":3}}` (every field optional; the call replaces the
//!   whole fault state, so `{}` clears it).
//! * `POST /_sim/reset`: forget rate-limit counters, bans and login-attempt counters.
//! * `POST /_sim/calls` with `{"from":"79161234567","to":"201","answer_after_ms":800,
//!   "talk_ms":2500}`: place a call (see [`crate::calls`]); answers `{"linkedid":"…"}`, or 400
//!   `{"error":"…"}` for a request it cannot place.
//! * `POST /_sim/clock` with `{"advance_ms":N}`: move the simulated clock forward (calls step
//!   through their phases at once); answers `{"now":<simulated Unix seconds>}`.
//!
//! Both need a loopback client and `X-Sim-Control: <DIR/control-token.txt>`; anything else is
//! the server's ordinary 404, so the endpoints are invisible to the code under test.

use std::net::IpAddr;
use std::time::Duration;

use axum::body::Body;
use http::Response;
use serde_json::{Value, json};

use crate::app::{App, lock};
use crate::calls::CallRequest;
use crate::envelope;

pub(crate) fn handle(
    app: &App,
    parts: &http::request::Parts,
    peer: IpAddr,
    body: &[u8],
) -> Response<Body> {
    let uri = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/")
        .to_string();
    let token_ok = parts
        .headers
        .get("x-sim-control")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| !app.cfg.control_token.is_empty() && t == app.cfg.control_token);
    if !peer.is_loopback() || !token_ok || parts.method != http::Method::POST {
        return envelope::not_found(&uri);
    }
    match parts.uri.path() {
        "/_sim/faults" => {
            let v: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
            let num = |k: &str| v.get(k).and_then(Value::as_u64).unwrap_or(0);
            let f = &app.faults;
            f.clear();
            f.set_latency(Duration::from_millis(num("latency_ms")));
            f.reset_next(num("reset_next").min(u32::MAX as u64) as u32);
            f.truncate_next(num("truncate_next").min(u32::MAX as u64) as u32);
            if let Some(b) = v.get("status_burst") {
                let status = b
                    .get("status")
                    .and_then(Value::as_u64)
                    .unwrap_or(503)
                    .clamp(100, 599) as u16;
                let count = b
                    .get("count")
                    .and_then(Value::as_u64)
                    .unwrap_or(0)
                    .min(u32::MAX as u64) as u32;
                f.status_burst(status, count);
            }
            envelope::json_response(200, r#"{"ok":true}"#.to_string())
        }
        "/_sim/calls" => match CallRequest::parse(body) {
            Ok(req) => {
                // Placed like an originate's call, so AJAM's `WaitEvent` sees its events too.
                let linkedid = crate::ajam_events::place_call(app, &req);
                envelope::json_response(200, json!({ "linkedid": linkedid }).to_string())
            }
            Err(e) => envelope::json_response(400, json!({ "error": e }).to_string()),
        },
        "/_sim/clock" => {
            let v: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
            let ms = v.get("advance_ms").and_then(Value::as_u64).unwrap_or(0);
            app.cfg.clock.advance(ms as f64 / 1000.0);
            envelope::json_response(200, json!({ "now": app.cfg.clock.now() }).to_string())
        }
        "/_sim/reset" => {
            lock(&app.limiter).reset();
            lock(&app.login_attempts).clear();
            lock(&app.refresh_attempts).clear();
            envelope::json_response(200, r#"{"ok":true}"#.to_string())
        }
        _ => envelope::not_found(&uri),
    }
}
