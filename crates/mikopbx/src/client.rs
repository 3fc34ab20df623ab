//! The [`Client`] and the one request path every operation goes through: pre-check, rate
//! governor, send, decode, classify, retry, diagnose.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tokio::time::Instant;

use crate::auth::ApiKey;
use crate::config::{ClientBuilder, RateLimit};
use crate::envelope::{self, EXCERPT_CHARS, Envelope};
use crate::error::{DenialOrigin, Error, excerpt};
use crate::governor::Governor;
use crate::operations::{HttpMethod, OperationSpec, ResponseShape};
use crate::permissions::{Permissions, Resource};
use crate::retry::{RetryPolicy, parse_retry_after};
use crate::transport::{self, TransportConfig};

/// Largest response body accepted (a CDR page of 1000 records is well under 2 MB).
const MAX_BODY: usize = 32 * 1024 * 1024;

/// A MikoPBX REST API v3 client. Cheap to clone (an `Arc` inside); `Send + Sync`; every call is
/// cancel-safe (dropping a future loses nothing but that call).
#[derive(Clone)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Object))]
#[cfg_attr(feature = "uniffi", uniffi::export(Debug))]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    http: reqwest::Client,
    base: String,
    host: String,
    key: Option<ApiKey>,
    permissions: Option<Permissions>,
    timeout: Duration,
    retry: RetryPolicy,
    governor: Option<Governor>,
    source_is_localhost: bool,
    source_desc: String,
    diagnose: bool,
    allow_dangerous: bool,
    transport: TransportConfig,
    /// The AMI login for click-to-call, when the builder was given one.
    ajam: Option<crate::click_to_call::Ajam>,
    /// The web session, once `login` was called (clients without an API key only).
    session: crate::session::Session,
    /// Learn mode's recorder, when on.
    usage: Option<crate::usage::Recorder>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.inner.base)
            .field("api_key", &self.inner.key)
            .field("session", &self.inner.session)
            .field("permissions", &self.inner.permissions)
            .finish_non_exhaustive()
    }
}

/// What a successful call returned.
#[derive(Debug, Clone)]
pub(crate) struct Reply {
    pub status: u16,
    pub envelope: Envelope,
    /// The `refreshToken` cookie the answer set or cleared (read on `auth` answers only).
    pub refresh_cookie: Option<crate::session::CookieUpdate>,
}

/// What a request carries to prove who sends it: the API key or the session's access token as
/// the Bearer token, and the session's refresh cookie (only for `auth:refresh` and
/// `auth:logout`). Borrowed from the secrets, exposed only where the headers are built.
#[derive(Clone, Copy, Default)]
pub(crate) struct Credentials<'a> {
    pub bearer: Option<&'a str>,
    pub refresh_cookie: Option<&'a str>,
}

impl Credentials<'_> {
    /// Nothing: a public request, or a client without key or session.
    pub const NONE: Credentials<'static> = Credentials {
        bearer: None,
        refresh_cookie: None,
    };
}

/// A raw (non-JSON) answer: audio, files. The status was 2xx; the body is still to be read,
/// chunk by chunk, by the caller.
pub(crate) struct RawReply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub response: reqwest::Response,
}

/// How a request is sent and its answer read.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// The JSON envelope, read whole.
    Json,
    /// A raw answer to a public URL: sent without the API key (the URL's token is the
    /// credential, and the key has no business travelling where it is not needed); a 2xx body is
    /// handed over unread, anything else is read and classified like a JSON answer.
    PublicRaw,
}

enum Answer {
    Json(Reply),
    Raw(RawReply),
}

enum Attempt {
    Done(Answer),
    Fail {
        error: Error,
        retryable: bool,
        retry_after: Option<Duration>,
    },
}

fn is_loopback_ip(ip: IpAddr) -> bool {
    ip.is_loopback()
}

/// Only 127.0.0.1 and ::1 count as localhost for the PBX's network filter.
fn is_pbx_localhost(ip: IpAddr) -> bool {
    ip == IpAddr::from([127, 0, 0, 1]) || ip == IpAddr::from([0u16, 0, 0, 0, 0, 0, 0, 1])
}

impl Client {
    /// A builder for the PBX at `base_url`.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), mikopbx::Error> {
    /// use mikopbx::{ApiKey, Client};
    /// let client = Client::builder("https://pbx.example.com")
    ///     .api_key(ApiKey::new("0123…"))
    ///     .build()?;
    /// client.system().check_auth().await?;
    /// # Ok(()) }
    /// ```
    pub fn builder(base_url: impl Into<String>) -> ClientBuilder {
        ClientBuilder::new(base_url)
    }

    /// A client configured from `MIKOPBX_URL`, `MIKOPBX_API_KEY`, `MIKOPBX_CA_CERT`,
    /// `MIKOPBX_CERT_SHA256`.
    pub fn from_env() -> Result<Client, Error> {
        ClientBuilder::from_env()?.build()
    }

    pub(crate) fn from_builder(b: ClientBuilder) -> Result<Client, Error> {
        let raw = b.base_url.trim();
        let url = url::Url::parse(raw).map_err(|e| {
            Error::config(format!(
                "invalid PBX URL {raw:?}: {e} (expected https://host[:port])"
            ))
        })?;
        let host = url
            .host()
            .ok_or_else(|| Error::config(format!("the PBX URL {raw:?} has no host")))?;
        let host_is_loopback = match &host {
            url::Host::Ipv4(ip) => is_loopback_ip(IpAddr::V4(*ip)),
            url::Host::Ipv6(ip) => is_loopback_ip(IpAddr::V6(*ip)),
            url::Host::Domain(d) => {
                let d = d.to_ascii_lowercase();
                d == "localhost" || d.ends_with(".localhost")
            }
        };
        match url.scheme() {
            "https" => {}
            "http" if host_is_loopback => {}
            "http" => {
                return Err(Error::InsecureTransport {
                    detail: format!(
                        "{raw} uses plain http:// to a non-loopback host, which would send the API key in clear text; use https:// (http:// is allowed only to 127.0.0.1/::1/localhost, for integrations running on the PBX itself)"
                    ),
                });
            }
            other => {
                return Err(Error::config(format!(
                    "unsupported URL scheme {other:?}; use https://host[:port]"
                )));
            }
        }
        if !(url.path().is_empty() || url.path() == "/") || url.query().is_some() {
            return Err(Error::config(format!(
                "give the PBX URL as scheme://host[:port] only (got {raw:?}); the client adds /pbxcore/api/v3/…"
            )));
        }
        let base = url.origin().ascii_serialization();
        let host_str = url.host_str().unwrap_or_default().to_owned();
        let (source_is_localhost, source_desc) = match b.local_address {
            Some(ip) => (is_pbx_localhost(ip), format!("{ip}")),
            None if host_is_loopback => (true, "localhost".to_owned()),
            None => (false, "a non-loopback address".to_owned()),
        };
        let user_agent = match &b.user_agent_suffix {
            Some(s) if !s.trim().is_empty() => {
                format!("mikopbx-rust/{} {}", env!("CARGO_PKG_VERSION"), s.trim())
            }
            _ => format!("mikopbx-rust/{}", env!("CARGO_PKG_VERSION")),
        };
        let transport = TransportConfig {
            extra_roots: b.extra_roots.clone(),
            pins: b.pins.clone(),
            connect_timeout: b.connect_timeout,
            local_address: b.local_address,
            user_agent,
        };
        let http = transport::build_http_client(&transport, None)?;
        let ajam = match &b.ajam_config()? {
            Some(cfg) => Some(crate::click_to_call::Ajam::new(cfg, &host_str, &transport)?),
            None => None,
        };
        let limit = b.rate_limit.unwrap_or(if source_is_localhost {
            RateLimit::disabled()
        } else {
            RateLimit::default()
        });
        let governor = limit.is_enabled().then(|| Governor::new(limit));
        let usage = b
            .record_usage
            .clone()
            .or_else(|| {
                std::env::var_os(crate::usage::ENV_VAR)
                    .filter(|v| !v.is_empty())
                    .map(Into::into)
            })
            .map(crate::usage::Recorder::new);
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                base,
                host: host_str,
                key: b.api_key.filter(|k| !k.is_empty()),
                permissions: b.permissions,
                timeout: b.timeout,
                retry: RetryPolicy::new(b.max_retries),
                governor,
                source_is_localhost,
                source_desc,
                diagnose: b.diagnose,
                allow_dangerous: b.allow_dangerous,
                transport,
                ajam,
                session: Default::default(),
                usage,
            }),
        })
    }

    /// `scheme://host[:port]` of the PBX.
    pub fn base_url(&self) -> &str {
        &self.inner.base
    }

    /// The key's known permissions, when given to the builder.
    pub fn permissions(&self) -> Option<&Permissions> {
        self.inner.permissions.as_ref()
    }

    /// Whether an API key is configured.
    pub fn has_api_key(&self) -> bool {
        self.inner.key.is_some()
    }

    /// The shortest interval a background poller of this client may use: a third of the rate
    /// governor's budget (1 s at the default 180/min), nothing when the governor is off.
    pub(crate) fn poll_floor(&self) -> std::time::Duration {
        self.inner
            .governor
            .as_ref()
            .map_or(std::time::Duration::ZERO, |g| g.period_for_share(1.0 / 3.0))
    }

    /// Whether the PBX will see this client as localhost (127.0.0.1 or ::1).
    pub fn is_localhost_source(&self) -> bool {
        self.inner.source_is_localhost
    }

    /// Checks an operation against the known permissions without sending anything.
    /// `Ok(())` when permissions are unknown.
    pub fn check_permission(&self, op: &OperationSpec, id: Option<&str>) -> Result<(), Error> {
        let Some(p) = &self.inner.permissions else {
            return Ok(());
        };
        if op.public {
            return Ok(());
        }
        if !p.allows(op) {
            return Err(Error::permission_denied(
                op.resource,
                op.access,
                p.access_for(op.resource),
                DenialOrigin::Local,
                None,
            )
            .with_operation(op.name));
        }
        let path = op.path(id);
        if !p.allows_request(op.method, &path) {
            return Err(crate::diagnose::id_quirk_error(op, &path, None));
        }
        Ok(())
    }

    /// Runs one operation with the arguments `api!` collected.
    pub(crate) async fn execute(
        &self,
        op: &'static OperationSpec,
        request: crate::api::Request<'_>,
    ) -> Result<Reply, Error> {
        self.call(op, request.id, &request.query, request.body.as_ref())
            .await
    }

    /// Runs one operation whose `data` is one object. A read by id answered with an empty
    /// `data` (`[]`, which the server sends for a missing record) is `NotFound`.
    pub(crate) async fn execute_one<T: serde::de::DeserializeOwned>(
        &self,
        op: &'static OperationSpec,
        request: crate::api::Request<'_>,
    ) -> Result<T, Error> {
        let id = request.id.map(str::to_owned);
        let reply = self.execute(op, request).await?;
        if op.needs_id()
            && reply.envelope.raw_data().trim_start().starts_with('[')
            && reply.envelope.data().as_array().is_some_and(Vec::is_empty)
        {
            return Err(Error::NotFound {
                operation: Some(op.name.into()),
                status: Some(reply.status),
                messages: vec![format!(
                    "no {} record {}",
                    op.resource.segment(),
                    id.unwrap_or_default()
                )],
            });
        }
        crate::envelope::typed_raw(&reply.envelope, op.name, reply.status)
    }

    /// Runs one operation whose `data` is a list, returned whole.
    pub(crate) async fn execute_list<T: serde::de::DeserializeOwned>(
        &self,
        op: &'static OperationSpec,
        request: crate::api::Request<'_>,
    ) -> Result<Vec<T>, Error> {
        let reply = self.execute(op, request).await?;
        crate::page_decode::decode_page(op.shape, &reply.envelope, op.name, reply.status)
            .map(|page| page.items)
    }

    /// Runs one operation: pre-check, governor, send, classify, retry, diagnose.
    pub(crate) async fn call(
        &self,
        op: &'static OperationSpec,
        id: Option<&str>,
        query: &[(String, String)],
        body: Option<&Value>,
    ) -> Result<Reply, Error> {
        self.run_call(op, id, query, body, self.inner.diagnose, true)
            .await
    }

    /// Runs one of the SDK's own probes (the 401 diagnosis): as [`Self::call`], but not
    /// recorded in learn mode, since the integration did not ask for it.
    pub(crate) async fn call_with(
        &self,
        op: &'static OperationSpec,
        id: Option<&str>,
        query: &[(String, String)],
        body: Option<&Value>,
        diagnose: bool,
    ) -> Result<Reply, Error> {
        self.run_call(op, id, query, body, diagnose, false).await
    }

    async fn run_call(
        &self,
        op: &'static OperationSpec,
        id: Option<&str>,
        query: &[(String, String)],
        body: Option<&Value>,
        diagnose: bool,
        record: bool,
    ) -> Result<Reply, Error> {
        if op.needs_id() && id.is_none_or(|i| i.trim().is_empty()) {
            return Err(Error::config(format!("{} needs an id", op.name)));
        }
        self.refuse_if_dangerous(op.dangerous, op.name, op.summary)?;
        // Before the pre-check: a call the key's known permissions refuse is one the learned
        // key must allow (crate::usage, "What is recorded, and when").
        if record {
            self.record_usage(crate::usage::Usage::Operation(op));
        }
        self.check_permission(op, id)?;
        let path = op.path(id);
        let result = self.send_json(op, &path, query, body).await;
        match result {
            // The probes judge an API key; a session's 401 is already explained.
            Err(Error::Unauthorized { .. })
                if diagnose && self.inner.diagnose && !self.uses_session() =>
            {
                let diagnosed = Box::pin(crate::diagnose::diagnose_401(self, op, &path)).await;
                Err(diagnosed.with_operation(op.name))
            }
            other => other.map_err(|e| e.with_operation(op.name)),
        }
    }

    /// Learn mode: notes that the integration performs `usage` (nothing when it is off).
    pub(crate) fn record_usage(&self, usage: crate::usage::Usage) {
        if let Some(recorder) = &self.inner.usage {
            recorder.record(usage);
        }
    }

    /// Refuses a dangerous action (`what`: why it is) unless the client allows them.
    pub(crate) fn refuse_if_dangerous(
        &self,
        dangerous: bool,
        name: &str,
        what: &str,
    ) -> Result<(), Error> {
        if !dangerous || self.inner.allow_dangerous {
            return Ok(());
        }
        Err(Error::config(format!(
            "{name} is a dangerous action: it can stop or destroy the PBX ({what}). This client \
             refuses it; build one with allow_dangerous_actions (Rust: the cargo feature \
             dangerous-actions and ClientBuilder::allow_dangerous_actions(true)) for the tool \
             that really must do this"
        )))
    }

    /// Sends one JSON request to `path` (already built and checked) with the client's
    /// governor, retries (as `op.idempotent` allows), timeout and error mapping; no permission
    /// check and no 401 diagnosis, which are the caller's.
    pub(crate) async fn send_json(
        &self,
        op: &OperationSpec,
        path: &str,
        query: &[(String, String)],
        body: Option<&Value>,
    ) -> Result<Reply, Error> {
        let deadline = Instant::now() + self.inner.timeout;
        let work = async {
            if let Some(key) = &self.inner.key {
                let credentials = Credentials {
                    bearer: Some(key.expose_secret()),
                    refresh_cookie: None,
                };
                return self
                    .json_attempts(op, path, query, body, credentials, deadline)
                    .await;
            }
            // A public endpoint needs no token: after a logout it is still reachable.
            let tokens = if op.public && self.inner.session.has_ended() {
                None
            } else {
                self.session_bearer(deadline).await?
            };
            let Some(tokens) = tokens else {
                return self
                    .json_attempts(op, path, query, body, Credentials::NONE, deadline)
                    .await;
            };
            let credentials = Credentials {
                bearer: Some(tokens.bearer()),
                refresh_cookie: None,
            };
            match self
                .json_attempts(op, path, query, body, credentials, deadline)
                .await
            {
                // The PBX no longer takes the access token (it expired early, or the PBX's clock
                // jumped): renew once, shared with any call that met the same 401, and repeat the
                // call once. A 401 comes from the middleware before any work is done, so even a
                // POST is safe to repeat. A second 401 stands.
                Err(Error::Unauthorized { .. }) => {
                    let fresh = self.session_renew_after_401(&tokens, deadline).await?;
                    let credentials = Credentials {
                        bearer: Some(fresh.bearer()),
                        refresh_cookie: None,
                    };
                    self.json_attempts(op, path, query, body, credentials, deadline)
                        .await
                        .map_err(crate::session::refused_after_renewal)
                }
                other => other,
            }
        };
        tokio::time::timeout_at(deadline, work)
            .await
            .unwrap_or_else(|_| Err(self.timed_out()))
    }

    /// The attempts of one JSON request with `credentials`, within `deadline` (which the caller
    /// enforces); no permission check, no diagnosis.
    pub(crate) async fn json_attempts(
        &self,
        op: &OperationSpec,
        path: &str,
        query: &[(String, String)],
        body: Option<&Value>,
        credentials: Credentials<'_>,
        deadline: Instant,
    ) -> Result<Reply, Error> {
        self.attempts(
            op,
            path,
            query,
            body,
            &[],
            Mode::Json,
            credentials,
            deadline,
        )
        .await
        .and_then(|answer| match answer {
            Answer::Json(reply) => Ok(reply),
            // Not reachable (only PublicRaw hands bodies over unread); never a panic.
            Answer::Raw(raw) => Err(Error::Decode {
                operation: None,
                status: Some(raw.status),
                detail: "the answer was not read".into(),
                excerpt: String::new(),
            }),
        })
    }

    /// The error of a call that ran out of its total time.
    pub(crate) fn timed_out(&self) -> Error {
        Error::Timeout {
            operation: None,
            after: self.inner.timeout,
        }
    }

    /// The session slot (`login`, the renewal, `logout`).
    pub(crate) fn session_slot(&self) -> &crate::session::Session {
        &self.inner.session
    }

    /// Whether this client has logged in (a session active, or ended): its 401s are the
    /// session's, not an API key's, and never go to the key diagnosis.
    pub(crate) fn uses_session(&self) -> bool {
        self.inner.session.in_use()
    }

    /// Runs a public operation whose answer is raw bytes (a recording): governor, send without
    /// the key, retry, error mapping as for every call; a 2xx answer is returned with its body
    /// unread. The client's timeout covers the wait for the answer's headers; reading the body
    /// is the caller's (with its own stall timeout, since a recording can take long to stream).
    pub(crate) async fn call_public_raw(
        &self,
        op: &'static OperationSpec,
        query: &[(String, String)],
        headers: &[(reqwest::header::HeaderName, String)],
    ) -> Result<RawReply, Error> {
        debug_assert!(op.public, "raw requests are sent without the key");
        self.record_usage(crate::usage::Usage::Operation(op));
        let path = op.path(None);
        match self
            .attempts_within_timeout(op, &path, query, None, headers, Mode::PublicRaw)
            .await
        {
            Ok(Answer::Raw(raw)) => Ok(raw),
            Ok(Answer::Json(reply)) => Err(Error::Decode {
                operation: Some(op.name.into()),
                status: Some(reply.status),
                detail: "expected audio, the PBX answered with a JSON envelope".into(),
                excerpt: String::new(),
            }),
            Err(e) => Err(e.with_operation(op.name)),
        }
    }

    /// The attempts of one request, bounded by the client's timeout.
    async fn attempts_within_timeout(
        &self,
        op: &OperationSpec,
        path: &str,
        query: &[(String, String)],
        body: Option<&Value>,
        headers: &[(reqwest::header::HeaderName, String)],
        mode: Mode,
    ) -> Result<Answer, Error> {
        let deadline = Instant::now() + self.inner.timeout;
        tokio::time::timeout_at(
            deadline,
            self.attempts(
                op,
                path,
                query,
                body,
                headers,
                mode,
                Credentials::NONE,
                deadline,
            ),
        )
        .await
        .unwrap_or_else(|_| Err(self.timed_out()))
    }

    /// Whether a 401 is diagnosed with probes (the builder's `diagnose_unauthorized`).
    pub(crate) fn diagnoses(&self) -> bool {
        self.inner.diagnose
    }

    /// The AJAM connection for click-to-call, if the client has an AMI login.
    pub(crate) fn ajam(&self) -> Option<&crate::click_to_call::Ajam> {
        self.inner.ajam.as_ref()
    }

    /// The client's timeout (also the stall limit while a raw body streams).
    pub(crate) fn timeout(&self) -> Duration {
        self.inner.timeout
    }

    #[allow(clippy::too_many_arguments)]
    async fn attempts(
        &self,
        op: &OperationSpec,
        path: &str,
        query: &[(String, String)],
        body: Option<&Value>,
        headers: &[(reqwest::header::HeaderName, String)],
        mode: Mode,
        credentials: Credentials<'_>,
        deadline: Instant,
    ) -> Result<Answer, Error> {
        let mut attempt: u32 = 0;
        loop {
            if let Some(g) = &self.inner.governor {
                g.acquire().await;
            }
            match self
                .attempt_once(op, path, query, body, headers, mode, credentials, attempt)
                .await
            {
                Attempt::Done(reply) => return Ok(reply),
                Attempt::Fail {
                    error,
                    retryable,
                    retry_after,
                } => {
                    attempt += 1;
                    if !retryable || attempt > self.inner.retry.max_retries {
                        return Err(error);
                    }
                    let delay = self.inner.retry.delay(attempt, retry_after);
                    if Instant::now() + delay >= deadline {
                        return Err(error);
                    }
                    tracing::debug!(
                        operation = op.name,
                        attempt,
                        delay_ms = delay.as_millis() as u64,
                        error_kind = error.kind().as_str(),
                        "retrying"
                    );
                    tokio::time::sleep(delay).await;
                }
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    async fn attempt_once(
        &self,
        op: &OperationSpec,
        path: &str,
        query: &[(String, String)],
        body: Option<&Value>,
        headers: &[(reqwest::header::HeaderName, String)],
        mode: Mode,
        credentials: Credentials<'_>,
        attempt: u32,
    ) -> Attempt {
        let inner = &self.inner;
        let mut url = format!("{}{}", inner.base, path);
        if !query.is_empty() {
            let mut qs = url::form_urlencoded::Serializer::new(String::new());
            for (k, v) in query {
                qs.append_pair(k, v);
            }
            url.push('?');
            url.push_str(&qs.finish());
        }
        let method = match op.method {
            HttpMethod::Get => reqwest::Method::GET,
            HttpMethod::Head => reqwest::Method::HEAD,
            HttpMethod::Post => reqwest::Method::POST,
            HttpMethod::Put => reqwest::Method::PUT,
            HttpMethod::Patch => reqwest::Method::PATCH,
            HttpMethod::Delete => reqwest::Method::DELETE,
        };
        let mut req = inner.http.request(method, &url);
        if mode == Mode::Json {
            req = req.header(reqwest::header::ACCEPT, "application/json");
        }
        for (name, value) in headers {
            req = req.header(name, value);
        }
        if let Some(bearer) = credentials.bearer {
            // bearer_auth marks the header sensitive: it is redacted from reqwest's Debug output.
            req = req.bearer_auth(bearer);
        }
        if let Some(cookie) = credentials.refresh_cookie {
            // Sent back exactly as the PBX set it; only ever to this client's own origin.
            match reqwest::header::HeaderValue::from_str(&format!("refreshToken={cookie}")) {
                Ok(mut value) => {
                    value.set_sensitive(true);
                    req = req.header(reqwest::header::COOKIE, value);
                }
                Err(_) => {
                    return Attempt::Fail {
                        error: Error::Decode {
                            operation: None,
                            status: None,
                            detail: "the PBX's refresh cookie cannot be sent back as a header"
                                .into(),
                            excerpt: String::new(),
                        },
                        retryable: false,
                        retry_after: None,
                    };
                }
            }
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        let started = Instant::now();
        let resp = match req.send().await {
            Ok(r) => r,
            // Without the URL: a raw URL carries a token in its query.
            Err(e) => return self.send_failure(op, &e.without_url(), attempt, started),
        };
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        if mode == Mode::PublicRaw && resp.status().is_success() {
            tracing::debug!(
                operation = op.name,
                status,
                attempt,
                elapsed_ms = started.elapsed().as_millis() as u64,
                "raw answer"
            );
            return Attempt::Done(Answer::Raw(RawReply {
                status,
                headers,
                response: resp,
            }));
        }
        let body = match read_body(resp).await {
            Ok(b) => b,
            Err(mut detail) => {
                tracing::debug!(operation = op.name, status, attempt, "answer cut off");
                if !op.idempotent {
                    detail.push_str(
                        "; not retried because the PBX may have done the work (check before repeating)",
                    );
                }
                return Attempt::Fail {
                    error: Error::Decode {
                        operation: None,
                        status: Some(status),
                        detail,
                        excerpt: String::new(),
                    },
                    retryable: op.idempotent,
                    retry_after: None,
                };
            }
        };
        tracing::debug!(
            operation = op.name,
            method = op.method.as_str(),
            path,
            status,
            attempt,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "request"
        );
        match self.classify_response(op, status, &headers, &body) {
            Attempt::Done(Answer::Json(mut reply)) if op.resource == Resource::Auth => {
                reply.refresh_cookie = crate::session::refresh_cookie(&headers);
                Attempt::Done(Answer::Json(reply))
            }
            other => other,
        }
    }

    fn send_failure(
        &self,
        op: &OperationSpec,
        e: &reqwest::Error,
        attempt: u32,
        started: Instant,
    ) -> Attempt {
        let host = &self.inner.host;
        tracing::debug!(
            operation = op.name,
            attempt,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "request failed before an answer"
        );
        if let Some((kind, detail)) = transport::classify(e, host) {
            return Attempt::Fail {
                error: Error::Tls {
                    operation: None,
                    tls_kind: kind,
                    detail,
                },
                retryable: false,
                retry_after: None,
            };
        }
        if e.is_connect() {
            // Nothing was sent: safe to retry any operation.
            return Attempt::Fail {
                error: Error::Connect {
                    operation: None,
                    detail: format!(
                        "could not connect to {}: {} (check the address, port and that the PBX's web interface is running)",
                        self.inner.base,
                        root_cause(e)
                    ),
                },
                retryable: true,
                retry_after: None,
            };
        }
        if e.is_timeout() {
            return Attempt::Fail {
                error: Error::Timeout {
                    operation: None,
                    after: self.inner.timeout,
                },
                retryable: op.idempotent,
                retry_after: None,
            };
        }
        // The request may have reached the server (reset mid-way): retry only if harmless.
        Attempt::Fail {
            error: Error::Connect {
                operation: None,
                detail: format!(
                    "the connection to {} broke during the request: {}{}",
                    self.inner.base,
                    root_cause(e),
                    if op.idempotent {
                        ""
                    } else {
                        "; not retried because the PBX may have done the work (check before repeating)"
                    }
                ),
            },
            retryable: op.idempotent,
            retry_after: None,
        }
    }

    fn classify_response(
        &self,
        op: &OperationSpec,
        status: u16,
        headers: &reqwest::header::HeaderMap,
        body: &[u8],
    ) -> Attempt {
        let retry_after = headers
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_retry_after);
        let env = envelope::parse(body);
        let messages = env.as_ref().map(Envelope::all_messages).unwrap_or_default();
        let fail = |error: Error, retryable: bool| Attempt::Fail {
            error,
            retryable,
            retry_after,
        };
        match status {
            200..=299 => match env {
                Some(env) if env.result || status == 204 => Attempt::Done(Answer::Json(Reply {
                    status,
                    envelope: env,
                    refresh_cookie: None,
                })),
                Some(_) => fail(
                    Error::Validation {
                        operation: None,
                        status: Some(status),
                        messages,
                    },
                    false,
                ),
                None if body.is_empty() => Attempt::Done(Answer::Json(Reply {
                    status,
                    envelope: Envelope {
                        result: true,
                        ..Default::default()
                    },
                    refresh_cookie: None,
                })),
                None => fail(
                    Error::Decode {
                        operation: None,
                        status: Some(status),
                        detail: "the body is not the JSON envelope".to_owned(),
                        excerpt: excerpt(body, EXCERPT_CHARS),
                    },
                    false,
                ),
            },
            301 | 302 | 303 | 307 | 308 => {
                let location = headers
                    .get(reqwest::header::LOCATION)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("")
                    .to_owned();
                let error = if location.starts_with("https://")
                    && self.inner.base.starts_with("http://")
                {
                    let origin = url::Url::parse(&location)
                        .map(|u| u.origin().ascii_serialization())
                        .unwrap_or(location.clone());
                    Error::InsecureTransport {
                        detail: format!(
                            "the PBX redirects plain HTTP to HTTPS (HTTP {status}); use the https URL directly: {origin}"
                        ),
                    }
                } else {
                    Error::config(format!(
                        "the PBX answered HTTP {status} redirecting to {location:?}; redirects are not followed (a POST would turn into a GET): set the base URL to where the API really is"
                    ))
                };
                fail(error, false)
            }
            401 => fail(
                Error::Unauthorized {
                    messages,
                    operation: None,
                    status: Some(401),
                    diagnosis: crate::diagnose::undiagnosed().into(),
                },
                false,
            ),
            403 => {
                if env.is_none() {
                    fail(
                        Error::BlockedByFirewall {
                            operation: None,
                            status: Some(403),
                            body: excerpt(body, EXCERPT_CHARS),
                        },
                        false,
                    )
                } else {
                    // A JSON 403 is the ACL refusing a JWT role; for API keys the server uses 401.
                    fail(
                        Error::permission_denied(
                            op.resource,
                            op.access,
                            None,
                            DenialOrigin::Server,
                            Some(403),
                        ),
                        false,
                    )
                }
            }
            404 => {
                let mut messages = messages;
                // The router's own 404 (`success` instead of `result`): the endpoint is unknown.
                if messages.iter().any(|m| m.starts_with("Endpoint not found")) {
                    messages.push(
                        "this PBX does not know the endpoint: the REST API v3 needs MikoPBX 2025.1 or newer".into(),
                    );
                }
                fail(
                    Error::NotFound {
                        operation: None,
                        status: Some(404),
                        messages,
                    },
                    false,
                )
            }
            409 => fail(
                Error::Conflict {
                    operation: None,
                    status: Some(409),
                    messages,
                },
                false,
            ),
            // A missing record often comes back as 422 without httpCode (§4): always so on a
            // read by id (nothing else to reject); on other by-id calls when the (English)
            // message says so, or when it is an untranslated translation key naming it
            // (`api_IncomingRouteNotFound` from incoming-routes' DeleteRecordAction).
            // Translated messages on such calls stay Validation.
            422 if op.needs_id()
                && (op.method == HttpMethod::Get
                    || messages.iter().any(|m| {
                        m.to_ascii_lowercase().contains("not found")
                            || (m.starts_with("api_") && m.ends_with("NotFound"))
                    })) =>
            {
                fail(
                    Error::NotFound {
                        operation: None,
                        status: Some(422),
                        messages,
                    },
                    false,
                )
            }
            // The PHP worker did not answer in time: nothing is known about the input.
            400 if messages
                .iter()
                .any(|m| m.starts_with("Request timeout or worker not responding")) =>
            {
                fail(
                    Error::ServiceBusy {
                        operation: None,
                        status: Some(400),
                        retry_after,
                    },
                    // The worker may still do the work: only harmless calls are repeated.
                    op.idempotent,
                )
            }
            400 | 422 => fail(
                Error::Validation {
                    operation: None,
                    status: Some(status),
                    messages,
                },
                false,
            ),
            429 => fail(
                Error::RateLimited {
                    operation: None,
                    status: Some(429),
                    retry_after,
                    // Empty for nginx's plain text; the login/refresh limits answer with JSON.
                    messages,
                },
                // Only worth it when the server says the wait is short; checked against the deadline.
                op.idempotent && retry_after.is_some(),
            ),
            503 => fail(
                Error::ServiceBusy {
                    operation: None,
                    status: Some(503),
                    retry_after,
                },
                // MikoPBX answers 503 when its queue is full, before doing any work.
                true,
            ),
            500 | 502 | 504 => fail(
                Error::Server {
                    operation: None,
                    status,
                    messages: if messages.is_empty() && env.is_none() && !body.is_empty() {
                        vec![excerpt(body, EXCERPT_CHARS)]
                    } else {
                        messages
                    },
                },
                op.idempotent,
            ),
            _ => fail(
                Error::Server {
                    operation: None,
                    status,
                    messages: if messages.is_empty() && env.is_none() && !body.is_empty() {
                        vec![excerpt(body, EXCERPT_CHARS)]
                    } else {
                        messages
                    },
                },
                false,
            ),
        }
    }

    /// Inspects the PBX's TLS certificate: the chain it presents (with SHA-256 fingerprints, the
    /// value to pin) and whether this client's trust settings accept it. Sends only an
    /// unauthenticated `system:ping`.
    pub async fn inspect_tls(&self) -> TlsReport {
        let url = format!(
            "{}{}",
            self.inner.base,
            crate::resources::system::SYSTEM_PING.path(None)
        );
        self.inspect(&self.inner.transport, &url, "system.ping", "")
            .await
    }

    /// Inspects the PBX's Asterisk HTTPS port (`AJAMPortTLS`, [`DEFAULT_AJAM_PORT`](crate::DEFAULT_AJAM_PORT)
    /// on a PBX), where click-to-call and AJAM call events are spoken, on the REST URL's host:
    /// the chain it presents and whether it is trusted, as [`inspect_tls`](Self::inspect_tls)
    /// does for the web port.
    ///
    /// Trust is this client's (its extra CA and certificate pins), or only `pin_sha256` when
    /// given: the Asterisk port's own certificate, which in the PBX's fallback mode is another
    /// one than the web port's (what [`ClientBuilder::pin_ajam_certificate_sha256`] takes). The
    /// request is an unauthenticated `GET /asterisk/rawman?action=Ping`, which carries neither
    /// the API key nor a manager login; Asterisk answers it `Response: Error` / `Message:
    /// Permission denied` with a `mansession_id` cookie ([`TlsReport::answer`]). A bad pin or
    /// port 0 is a [`Config`](crate::ErrorKind::Config) outcome; a closed port a
    /// [`Connect`](crate::ErrorKind::Connect) one.
    ///
    /// ```no_run
    /// # async fn run(client: mikopbx::Client) {
    /// let web = client.inspect_tls().await;
    /// let ajam = client.inspect_ajam_tls(mikopbx::DEFAULT_AJAM_PORT, None).await;
    /// let same = web.certificates.first().map(|c| &c.sha256) == ajam.certificates.first().map(|c| &c.sha256);
    /// println!("AJAM verified: {}, same certificate: {same}", ajam.outcome.is_ok());
    /// # }
    /// ```
    pub async fn inspect_ajam_tls(&self, port: u16, pin_sha256: Option<&str>) -> TlsReport {
        let refused = |e: Error| TlsReport {
            certificates: Vec::new(),
            outcome: Err(e),
            answer: None,
        };
        if port == 0 {
            return refused(Error::config(
                "the AJAM port must be 1-65535 (the PBX's AJAMPortTLS, 8089 by default)",
            ));
        }
        let mut transport = self.inner.transport.clone();
        if let Some(pin) = pin_sha256 {
            match transport::parse_pin(pin) {
                Ok(pin) => transport.pins = vec![pin],
                Err(e) => return refused(e),
            }
        }
        let url = format!(
            "https://{}:{port}/asterisk/rawman?action=Ping",
            self.inner.host
        );
        // The classified message names the web port's settings; this port has its own pin.
        let note = " (this is the Asterisk TLS port: when it serves another certificate than the \
                    web port, pin that one with ajam_cert_sha256 / pin_ajam_certificate_sha256)";
        self.inspect(&transport, &url, "ajam.ping", note).await
    }

    /// One unauthenticated GET through a recording verifier: the chain seen, the verdict, and
    /// the start of the answer. `tls_note` is added to a certificate refusal's detail.
    async fn inspect(
        &self,
        transport: &TransportConfig,
        url: &str,
        operation: &str,
        tls_note: &str,
    ) -> TlsReport {
        let recorder: transport::CertRecorder = Default::default();
        let mut answer = None;
        let outcome = match transport::build_http_client(transport, Some(recorder.clone())) {
            Err(e) => Err(e),
            Ok(http) => {
                let exchange = async {
                    let resp = http.get(url).send().await?;
                    Ok::<_, reqwest::Error>(ServerAnswer::read(resp).await)
                };
                match tokio::time::timeout(self.inner.timeout, exchange).await {
                    Err(_) => Err(Error::Timeout {
                        operation: Some(operation.into()),
                        after: self.inner.timeout,
                    }),
                    Ok(Ok(a)) => {
                        answer = Some(a);
                        Ok(())
                    }
                    Ok(Err(e)) => Err(match transport::classify(&e, &self.inner.host) {
                        Some((kind, detail)) => Error::Tls {
                            operation: Some(operation.into()),
                            tls_kind: kind,
                            detail: format!("{detail}{tls_note}"),
                        },
                        None => Error::Connect {
                            operation: Some(operation.into()),
                            detail: root_cause(&e),
                        },
                    }),
                }
            }
        };
        let chain = recorder.lock().map(|c| c.clone()).unwrap_or_default();
        TlsReport {
            certificates: chain
                .into_iter()
                .map(|der| CertificateInfo {
                    sha256: transport::certificate_fingerprint(&der),
                    der,
                })
                .collect(),
            outcome,
            answer,
        }
    }

    pub(crate) fn source_desc(&self) -> &str {
        &self.inner.source_desc
    }

    pub(crate) fn api_key(&self) -> Option<&ApiKey> {
        self.inner.key.as_ref()
    }
}

/// A certificate the server presented.
#[derive(Clone, Debug)]
pub struct CertificateInfo {
    /// `AB:CD:…` SHA-256 of the DER certificate: what to pin.
    pub sha256: String,
    /// The DER bytes.
    pub der: Vec<u8>,
}

/// Result of [`Client::inspect_tls`] and [`Client::inspect_ajam_tls`].
#[derive(Debug)]
pub struct TlsReport {
    /// The chain as presented, leaf first (empty for plain http or when nothing was received).
    pub certificates: Vec<CertificateInfo>,
    /// Whether this client's trust settings accept it.
    pub outcome: Result<(), Error>,
    /// What the server answered the unauthenticated request, when the exchange completed.
    pub answer: Option<ServerAnswer>,
}

/// The start of an answer to an inspection request: enough to tell which server is listening.
#[derive(Clone, Debug)]
pub struct ServerAnswer {
    /// The HTTP status.
    pub status: u16,
    /// The `Server` header, when sent.
    pub server: Option<String>,
    /// The names of the cookies it set (never their values), e.g. Asterisk's `mansession_id`.
    pub cookie_names: Vec<String>,
    /// The first [`ServerAnswer::BODY_CHARS`] characters of the body (lossy UTF-8).
    pub body: String,
}

impl ServerAnswer {
    /// How much of the body is kept.
    pub const BODY_CHARS: usize = 1024;

    async fn read(mut resp: reqwest::Response) -> ServerAnswer {
        let status = resp.status().as_u16();
        let server = resp
            .headers()
            .get(reqwest::header::SERVER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let cookie_names = resp
            .headers()
            .get_all(reqwest::header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter_map(|v| v.split_once('=').map(|(name, _)| name.trim().to_owned()))
            .collect();
        // Only the start: an inspection never needs the whole body.
        let mut bytes = Vec::new();
        while bytes.len() < 4 * Self::BODY_CHARS {
            match resp.chunk().await {
                Ok(Some(chunk)) => bytes.extend_from_slice(&chunk),
                _ => break,
            }
        }
        ServerAnswer {
            status,
            server,
            cookie_names,
            body: String::from_utf8_lossy(&bytes)
                .chars()
                .take(Self::BODY_CHARS)
                .collect(),
        }
    }
}

async fn read_body(mut resp: reqwest::Response) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    loop {
        match resp.chunk().await {
            Ok(Some(chunk)) => {
                if out.len() + chunk.len() > MAX_BODY {
                    return Err(format!("the answer is larger than {MAX_BODY} bytes"));
                }
                out.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(out),
            Err(e) => {
                return Err(format!(
                    "the answer was cut off after {} bytes: {}",
                    out.len(),
                    root_cause(&e)
                ));
            }
        }
    }
}

/// The innermost message of an error chain (without secrets: reqwest errors carry the URL, which
/// holds no key).
pub(crate) fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut msg = e.to_string();
    let mut cur = e.source();
    while let Some(s) = cur {
        msg = s.to_string();
        cur = s.source();
    }
    msg
}

/// The `data` of a list page and the totals the shape carries.
pub(crate) struct ListPage {
    pub items: Vec<Value>,
    pub total: Option<u64>,
    pub has_more: Option<bool>,
}

/// Splits a list response by its shape.
pub(crate) fn split_list(shape: ResponseShape, data: Value) -> ListPage {
    let as_u64 = |v: Option<&Value>| {
        v.and_then(|v| match v {
            Value::Number(n) => n.as_u64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        })
    };
    let array = |v: Option<Value>| match v {
        Some(Value::Array(a)) => a,
        Some(Value::Object(o)) => o.into_iter().map(|(_, v)| v).collect(),
        _ => Vec::new(),
    };
    match (shape, data) {
        (_, Value::Array(items)) => ListPage {
            items,
            total: None,
            has_more: None,
        },
        (ResponseShape::RecordsTotal, Value::Object(mut o)) => ListPage {
            total: as_u64(o.get("recordsTotal")).or(as_u64(o.get("recordsFiltered"))),
            items: array(o.remove("data")),
            has_more: None,
        },
        (ResponseShape::CdrRecords, Value::Object(mut o)) => {
            let p = o.get("pagination").cloned().unwrap_or(Value::Null);
            ListPage {
                items: array(o.remove("records")),
                total: as_u64(p.get("total")),
                has_more: p.get("hasMore").map(envelope::truthy),
            }
        }
        (_, Value::Object(mut o)) => {
            let total = as_u64(o.get("total")).or(as_u64(o.get("recordsTotal")));
            let items = o
                .remove("items")
                .or_else(|| o.remove("data"))
                .or_else(|| o.remove("records"));
            ListPage {
                items: array(items),
                total,
                has_more: None,
            }
        }
        _ => ListPage {
            items: Vec::new(),
            total: None,
            has_more: None,
        },
    }
}
