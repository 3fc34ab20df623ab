//! The web session (`Client::login` / `logout`) against the simulator over real TLS, and its
//! secrecy against a scripted PBX whose tokens the test knows. The server's side is
//! `src/PBXCoreREST/Lib/Auth/*` in mikopbx/Core (mikopbx-api.md §2a).

mod common;

use std::io::Write;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, SystemTime};

use common::*;
use mikopbx::{Client, ErrorKind, RateLimit, UnauthorizedCause};
use mikopbx_sim::{RunningSimulator, Simulator};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tracing::Instrument;

async fn sim_with(ttl: Option<u64>) -> RunningSimulator {
    let mut b = Simulator::builder().cdr_records(1000);
    if let Some(ttl) = ttl {
        b = b.access_token_ttl(ttl);
    }
    b.start().await.expect("simulator starts")
}

/// A client without an API key, from `source` (127.0.0.2 is "remote" to the PBX, which then
/// lets nothing through without a token).
fn session_client(sim: &RunningSimulator, source: IpAddr) -> Client {
    Client::builder(sim.url())
        .trust_certificate_pem(sim.ca_pem())
        .unwrap()
        .local_address(source)
        .rate_limit(RateLimit::disabled())
        .build()
        .unwrap()
}

/// How many refresh tokens the simulator holds (its `state.json`; hashes only, as in Redis).
fn refresh_tokens(sim: &RunningSimulator) -> usize {
    let state = std::fs::read(sim.state_dir().join("state.json")).unwrap_or_default();
    let state: serde_json::Value = serde_json::from_slice(&state).unwrap_or_default();
    state["refresh_tokens"].as_object().map_or(0, |m| m.len())
}

async fn advance_clock(sim: &RunningSimulator, seconds: u64) {
    let body = json!({ "advance_ms": seconds * 1000 }).to_string();
    let (status, text) = post_control(sim, "clock", &body).await;
    assert_eq!(status, 200, "{text}");
}

/// Everything logged in this test binary, at TRACE, by one global subscriber (per-thread
/// subscribers lose events when tests run in parallel: tracing caches each callsite's interest
/// process-wide). A test that counts requests runs inside a span named after it and reads only
/// the lines under that span.
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

fn logs() -> &'static Capture {
    static LOGS: OnceLock<Capture> = OnceLock::new();
    LOGS.get_or_init(|| {
        let capture = Capture::default();
        let writer = capture.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        tracing::subscriber::set_global_default(subscriber).expect("one global subscriber");
        capture
    })
}

impl Capture {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).to_string()
    }
}

/// The span a counting test runs in, and its view of the logs.
struct Scope(&'static str);

impl Scope {
    fn span(&self) -> tracing::Span {
        logs();
        tracing::info_span!("test", name = self.0)
    }

    /// Requests the client sent to `path` within this test (its per-request debug line names
    /// the path).
    fn requests_to(&self, path: &str) -> usize {
        let scope = format!("test{{name=\"{}\"}}", self.0);
        logs()
            .text()
            .lines()
            .filter(|l| l.contains(&scope) && l.contains(&format!("path=\"{path}\"")))
            .count()
    }
}

const REFRESH: &str = "/pbxcore/api/v3/auth:refresh";

#[tokio::test]
async fn login_a_typed_call_and_logout() {
    let sim = sim_with(None).await;
    let c = session_client(&sim, REMOTE);
    // Without a session a remote client is refused: the PBX wants a token.
    assert_eq!(
        c.system().check_auth().await.unwrap_err().kind(),
        ErrorKind::Unauthorized
    );
    let before = SystemTime::now();
    let session = c.login("admin", "admin").await.unwrap();
    assert_eq!(session.login, "admin");
    let lifetime = session.expires_at.duration_since(before).unwrap();
    assert!(
        lifetime > Duration::from_secs(890) && lifetime <= Duration::from_secs(901),
        "expiresIn 900: {lifetime:?}"
    );
    assert_eq!(c.session(), Some(session));
    assert_eq!(refresh_tokens(&sim), 1);
    c.system().check_auth().await.unwrap();
    let ext = c.extensions().get("201").await.unwrap();
    assert_eq!(ext.number, "201");
    assert!(format!("{c:?}").contains("logged in as \"admin\""), "{c:?}");
    // A second login on a live session is a mistake worth naming.
    let e = c.login("admin", "admin").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config);
    assert!(e.to_string().contains("logout() first"), "{e}");

    c.logout().await.unwrap();
    assert_eq!(c.session(), None);
    assert_eq!(refresh_tokens(&sim), 0, "the PBX forgot the refresh token");
    // Refused locally: nothing is sent, not even anonymously.
    let e = c.extensions().get("201").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unauthorized);
    assert_eq!(e.status(), None);
    assert_eq!(e.operation(), Some("extensions.get"));
    assert_eq!(e.diagnosis().unwrap().cause, UnauthorizedCause::LoggedOut);
    assert!(e.to_string().contains("login() again"), "{e}");
    // Public endpoints need no token, so they stay reachable.
    c.system().ping().await.unwrap();
    // Also from 127.0.0.1, where the PBX would serve a request without a token.
    let local = session_client(&sim, LOCALHOST);
    local.login("admin", "admin").await.unwrap();
    local.logout().await.unwrap();
    let e = local.extensions().get("201").await.unwrap_err();
    assert_eq!(e.diagnosis().unwrap().cause, UnauthorizedCause::LoggedOut);
    // logout is idempotent; a new login starts over.
    local.logout().await.unwrap();
    local.login("admin", "admin").await.unwrap();
    local.extensions().get("201").await.unwrap();
}

const LOCALHOST: IpAddr = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

#[tokio::test]
async fn one_credential_per_client() {
    let c = Client::builder("https://127.0.0.1:9")
        .api_key("ab".repeat(32))
        .build()
        .unwrap();
    let e = c.login("admin", "admin").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config);
    assert!(e.to_string().contains("one credential"), "{e}");
    assert_eq!(c.logout().await.unwrap_err().kind(), ErrorKind::Config);
    // Nothing to send: an empty password is refused before it counts as a failed login.
    let anonymous = Client::builder("https://127.0.0.1:9").build().unwrap();
    let e = anonymous.login("admin", "").await.unwrap_err();
    assert_eq!((e.kind(), e.status()), (ErrorKind::Validation, None));
    anonymous.logout().await.unwrap();
}

#[tokio::test]
async fn a_wrong_password_is_unauthorized_once_and_the_login_limit_is_rate_limited() {
    let sim = sim_with(None).await;
    let c = session_client(&sim, REMOTE);
    for left in (0..10).rev() {
        let e = c.login("admin", "wrong").await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unauthorized, "{e}");
        assert_eq!(e.status(), Some(401));
        assert_eq!(e.operation(), Some("auth.login"));
        assert_eq!(
            e.diagnosis().unwrap().cause,
            UnauthorizedCause::WrongCredentials
        );
        // One attempt per call: the PBX counts down by one each time, and says so.
        let said = format!("Authorization error, you have {left} attempts left");
        assert_eq!(e.messages(), std::slice::from_ref(&said));
        let text = e.to_string();
        assert!(
            text.contains("user name or password") && text.contains(&said),
            "{text}"
        );
        assert!(
            !text.contains("wrong"),
            "the password is not in the error: {text}"
        );
    }
    assert_eq!(c.session(), None);
    // The 11th login is refused even with the right password.
    let e = c.login("admin", "admin").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::RateLimited, "{e}");
    assert_eq!(e.status(), Some(429));
    assert_eq!(
        e.messages(),
        ["Too many authorization attempts. Your IP address is blocked for 300 seconds."]
    );
    assert!(e.to_string().contains("do not retry a login"), "{e}");
    // Another address is not affected.
    session_client(&sim, LOCALHOST)
        .login("admin", "admin")
        .await
        .unwrap();
}

#[tokio::test]
async fn the_access_token_is_renewed_before_it_expires() {
    let scope = Scope("the_access_token_is_renewed_before_it_expires");
    async {
        // A 4 s token: renewed a quarter of its lifetime ahead, 3 s after it was issued.
        let sim = sim_with(Some(4)).await;
        let c = session_client(&sim, REMOTE);
        let first = c.login("admin", "admin").await.unwrap();
        c.system().check_auth().await.unwrap();
        assert_eq!(scope.requests_to(REFRESH), 0);
        tokio::time::sleep(Duration::from_millis(3200)).await;
        c.system().check_auth().await.unwrap();
        assert_eq!(scope.requests_to(REFRESH), 1, "renewed before the call");
        let renewed = c.session().unwrap();
        assert_eq!(renewed.login, "admin");
        assert!(
            renewed.expires_at > first.expires_at + Duration::from_secs(2),
            "{first:?} → {renewed:?}"
        );
        // The renewed token is not due yet: no second refresh.
        c.system().check_auth().await.unwrap();
        assert_eq!(scope.requests_to(REFRESH), 1);
        assert_eq!(refresh_tokens(&sim), 1, "the refresh token is not rotated");
    }
    .instrument(scope.span())
    .await
}

#[tokio::test]
async fn concurrent_calls_share_one_renewal() {
    let scope = Scope("concurrent_calls_share_one_renewal");
    async {
        let sim = sim_with(Some(4)).await;
        let c = session_client(&sim, REMOTE);
        c.login("admin", "admin").await.unwrap();
        // Due: eight calls at once, one renewal.
        tokio::time::sleep(Duration::from_millis(3200)).await;
        let api = c.extensions();
        let calls = (0..8).map(|_| api.get("201"));
        for result in futures_util::future::join_all(calls).await {
            assert_eq!(result.unwrap().number, "201");
        }
        assert_eq!(scope.requests_to(REFRESH), 1);
        // Refused: the PBX's clock jumps past the token's expiry and leeway while the client
        // still thinks it valid. Every call meets a 401; one renews, all repeat once.
        advance_clock(&sim, 700).await;
        let system = c.system();
        let calls = (0..8).map(|_| system.check_auth());
        for result in futures_util::future::join_all(calls).await {
            result.unwrap();
        }
        assert_eq!(scope.requests_to(REFRESH), 2);
        assert_eq!(
            scope.requests_to("/pbxcore/api/v3/system:checkAuth"),
            16,
            "each call sent twice: refused, then repeated"
        );
    }
    .instrument(scope.span())
    .await
}

#[tokio::test]
async fn a_401_renews_once_and_a_refused_refresh_token_ends_the_session() {
    let scope = Scope("a_401_renews_once_and_a_refused_refresh_token_ends_the_session");
    async {
        let sim = sim_with(None).await;
        let c = session_client(&sim, REMOTE);
        let first = c.login("admin", "admin").await.unwrap();
        // Past exp (900 s) + leeway (600 s) on the PBX; the client's clock says 15 minutes remain.
        advance_clock(&sim, 2000).await;
        c.system().check_auth().await.unwrap();
        assert_eq!(scope.requests_to(REFRESH), 1);
        assert!(c.session().unwrap().expires_at >= first.expires_at);

        // 31 days on: the refresh token has expired in the PBX's Redis too.
        advance_clock(&sim, 31 * 24 * 3600).await;
        let e = c.extensions().get("201").await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unauthorized, "{e}");
        assert_eq!(e.status(), Some(401));
        assert_eq!(e.operation(), Some("extensions.get"));
        assert_eq!(
            e.diagnosis().unwrap().cause,
            UnauthorizedCause::SessionExpired
        );
        assert_eq!(e.messages(), ["Refresh token expired or not found"]);
        assert!(e.to_string().contains("login() again"), "{e}");
        assert_eq!(scope.requests_to(REFRESH), 2, "one renewal, no loop");
        assert_eq!(c.session(), None);
        // From now on refused locally, until a new login.
        let e = c.system().check_auth().await.unwrap_err();
        assert_eq!(
            (e.status(), e.diagnosis().unwrap().cause),
            (None, UnauthorizedCause::SessionExpired)
        );
        assert_eq!(scope.requests_to(REFRESH), 2);
        c.login("admin", "admin").await.unwrap();
        c.system().check_auth().await.unwrap();
        // Logging out of a session whose token the PBX refuses still ends it on the PBX.
        advance_clock(&sim, 2000).await;
        c.logout().await.unwrap();
        assert_eq!(refresh_tokens(&sim), 0);
    }
    .instrument(scope.span())
    .await
}

#[tokio::test]
async fn a_role_the_acl_refuses_is_permission_denied() {
    let sim = sim_with(None).await;
    // The simulator's `viewer` stands for a ModuleUsersUI role that may only read.
    let c = session_client(&sim, REMOTE);
    c.login("viewer", "viewer").await.unwrap();
    c.extensions().get("201").await.unwrap();
    let e = c.api_keys().generate_key().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::PermissionDenied, "{e}");
    assert_eq!(e.status(), Some(403));
    let text = e.to_string();
    assert!(
        text.contains("role") && !text.contains("API Keys"),
        "{text}"
    );
    c.logout().await.unwrap();
}

#[tokio::test]
async fn logout_forgets_the_tokens_even_when_the_pbx_cannot_be_reached() {
    let sim = sim_with(None).await;
    let c = session_client(&sim, REMOTE);
    c.login("admin", "admin").await.unwrap();
    // Every attempt (the first and both retries) is reset.
    sim.faults().reset_next(10);
    let e = c.logout().await.unwrap_err();
    sim.faults().clear();
    assert_eq!(e.operation(), Some("auth.logout"), "{e}");
    assert_eq!(c.session(), None);
    let e = c.system().check_auth().await.unwrap_err();
    assert_eq!(e.diagnosis().unwrap().cause, UnauthorizedCause::LoggedOut);
}

// ---- secrecy, against a scripted PBX --------------------------------------------------------

const ACCESS_1: &str = "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.eyJ1c2VySWQiOiJhZG1pbiIsInJvbGUiOiJhZG1pbnMifQ.Zm9yLXRlc3RzLW9ubHktYWNjZXNzLTE";
const ACCESS_2: &str = "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.eyJ1c2VySWQiOiJhZG1pbiIsImlhdCI6MTc2NzIyNTYwMH0.c2Vjb25kLWFjY2Vzcy10b2tlbi0yLXg";
const REFRESH_1: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
const PASSWORD: &str = "correct-horse-battery-staple";

fn envelope(result: bool, data: serde_json::Value, messages: serde_json::Value) -> String {
    json!({"result": result, "data": data, "messages": messages, "function": "", "processor": "",
           "pid": 1})
    .to_string()
}

/// What the scripted PBX answers: a login that checks the password, a refresh that checks the
/// cookie, a first call refused so that the client renews, then answers that make errors.
fn script(head: &str, body: &str) -> (u16, Vec<String>, String) {
    let first = head.lines().next().unwrap_or_default().to_owned();
    let header = |name: &str| {
        head.lines()
            .filter_map(|l| l.split_once(':'))
            .find(|(k, _)| k.trim().eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim().to_owned())
    };
    let bearer = header("authorization");
    let cookie = header("cookie");
    let cookie_header =
        format!("Set-Cookie: refreshToken={REFRESH_1}; path=/; secure; HttpOnly; SameSite=Strict");
    let refused = || {
        (
            401,
            vec![],
            envelope(
                false,
                json!([]),
                json!({"error": ["The user isn't authenticated."]}),
            ),
        )
    };
    if first.starts_with("POST /pbxcore/api/v3/auth:login ") {
        let sent: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
        if sent["login"] == "admin" && sent["password"] == PASSWORD {
            let data = json!({"accessToken": ACCESS_1, "tokenType": "Bearer", "expiresIn": 900, "login": "admin"});
            return (200, vec![cookie_header], envelope(true, data, json!([])));
        }
        let said = json!({"error": ["Authorization error, you have 9 attempts left"]});
        return (401, vec![], envelope(false, json!([]), said));
    }
    if first.starts_with("POST /pbxcore/api/v3/auth:refresh ") {
        if cookie.as_deref() == Some(&format!("refreshToken={REFRESH_1}")) {
            let data = json!({"accessToken": ACCESS_2, "tokenType": "Bearer", "expiresIn": 900,
                              "homePage": "/admin-cabinet/extensions/index"});
            return (200, vec![], envelope(true, data, json!([])));
        }
        return refused();
    }
    if first.starts_with("POST /pbxcore/api/v3/auth:logout ") {
        let clear = "Set-Cookie: refreshToken=deleted; expires=Thu, 01 Jan 1970 00:00:01 GMT; Max-Age=0; path=/; secure; HttpOnly; SameSite=Strict".to_owned();
        let data = json!({"message": "Successfully logged out"});
        return (200, vec![clear], envelope(true, data, json!([])));
    }
    match bearer.as_deref() {
        Some(b) if b == format!("Bearer {ACCESS_2}") => {}
        _ => return refused(),
    }
    if first.starts_with("GET /pbxcore/api/v3/employees/12 ") {
        let said = json!({"error": ["Record with id 12 not found"]});
        return (422, vec![], envelope(false, json!([]), said));
    }
    // Anything else: a body that is not the envelope.
    (200, vec![], "<html>maintenance</html>".to_owned())
}

/// A TLS server running [`script`] on keep-alive connections; it records every request head.
async fn scripted_pbx(heads: Arc<Mutex<Vec<String>>>) -> (String, String) {
    let p = pki(&["localhost", "127.0.0.1"], None);
    let cert = rustls::pki_types::CertificateDer::from(p.leaf_der.clone());
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(p.leaf_key_der.clone().into());
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(vec![cert], key)
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "https://127.0.0.1:{}",
        listener.local_addr().unwrap().port()
    );
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let (acceptor, heads) = (acceptor.clone(), heads.clone());
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                loop {
                    let end = loop {
                        if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                            break p + 4;
                        }
                        match tls.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    };
                    let head = String::from_utf8_lossy(&buf[..end]).to_string();
                    let length = head
                        .lines()
                        .filter_map(|l| l.split_once(':'))
                        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
                        .and_then(|(_, v)| v.trim().parse::<usize>().ok())
                        .unwrap_or(0);
                    while buf.len() < end + length {
                        match tls.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    }
                    let body = String::from_utf8_lossy(&buf[end..end + length]).to_string();
                    buf.drain(..end + length);
                    heads.lock().unwrap().push(head.clone());
                    let (status, extra, answer) = script(&head, &body);
                    let mut response = format!(
                        "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\n",
                        answer.len()
                    );
                    for h in extra {
                        response.push_str(&h);
                        response.push_str("\r\n");
                    }
                    response.push_str("\r\n");
                    response.push_str(&answer);
                    if tls.write_all(response.as_bytes()).await.is_err()
                        || tls.flush().await.is_err()
                    {
                        return;
                    }
                }
            });
        }
    });
    (url, p.ca_pem)
}

/// Every 12-character slice of every secret, absent from `text`.
fn assert_no_secret(text: &str, what: &str) {
    for secret in [ACCESS_1, ACCESS_2, REFRESH_1, PASSWORD] {
        for start in 0..=secret.len() - 12 {
            let slice = &secret[start..start + 12];
            assert!(
                !text.contains(slice),
                "{what} contains {slice:?} of a secret: {text}"
            );
        }
    }
}

#[tokio::test]
async fn tokens_never_appear_in_debug_errors_or_logs_and_the_cookie_goes_only_to_auth() {
    logs();
    let heads = Arc::new(Mutex::new(Vec::new()));
    let (url, ca) = scripted_pbx(heads.clone()).await;
    let c = Client::builder(url)
        .trust_certificate_pem(ca)
        .unwrap()
        .build()
        .unwrap();
    let mut seen = Vec::new();
    let wrong = c.login("admin", "not-the-password").await.unwrap_err();
    assert_eq!(
        wrong.diagnosis().unwrap().cause,
        UnauthorizedCause::WrongCredentials
    );
    seen.push(wrong);
    let session = c.login("admin", PASSWORD).await.unwrap();
    let debug_live = format!("{c:?} {session:?}");
    // The first call is refused (ACCESS_1), renewed with the cookie (ACCESS_2), repeated: 422.
    let not_found = c.employees().get("12").await.unwrap_err();
    assert_eq!(not_found.kind(), ErrorKind::NotFound, "{not_found}");
    seen.push(not_found);
    let undecodable = c.system().check_auth().await.unwrap_err();
    assert_eq!(undecodable.kind(), ErrorKind::Decode, "{undecodable}");
    seen.push(undecodable);
    c.logout().await.unwrap();
    let after = c.system().check_auth().await.unwrap_err();
    seen.push(after);
    tracing::info!(client = ?c, "user logging");

    assert_no_secret(&debug_live, "Debug of the client");
    assert_no_secret(&format!("{c:?}"), "Debug of the client after logout");
    for e in &seen {
        assert_no_secret(&format!("{e} {e:?} {:?}", e.messages()), "an error");
    }
    let text = logs().text();
    assert!(text.len() > 1000, "TRACE logging was captured");
    assert_no_secret(&text, "the logs");

    // On the wire: the password only to auth:login, the cookie only to auth:refresh and
    // auth:logout, and the right Bearer token on every other request.
    let heads = heads.lock().unwrap().clone();
    let line = |h: &String| h.lines().next().unwrap_or_default().to_owned();
    let lines: Vec<String> = heads.iter().map(line).collect();
    assert_eq!(lines.len(), 7, "{lines:#?}");
    for head in &heads {
        let first = line(head);
        let lower = head.to_ascii_lowercase();
        let has_cookie = lower.contains("\r\ncookie:");
        let sends_cookie = first.contains("auth:refresh") || first.contains("auth:logout");
        assert_eq!(has_cookie, sends_cookie, "{head}");
        if first.contains("auth:login") || first.contains("auth:refresh") {
            assert!(!lower.contains("authorization:"), "{head}");
        }
    }
    assert!(
        heads[2].contains(&format!("Bearer {ACCESS_1}")),
        "{}",
        heads[2]
    );
    assert!(lines[3].contains("auth:refresh"), "{lines:#?}");
    assert!(
        heads[4].contains(&format!("Bearer {ACCESS_2}")),
        "{}",
        heads[4]
    );
    assert!(
        lines[6].contains("auth:logout") && heads[6].contains(&format!("Bearer {ACCESS_2}")),
        "{lines:#?}"
    );
}
