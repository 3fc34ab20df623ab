//! Listeners, connections and the request pipeline:
//! redirect (plain port) → `/_sim` control → nginx layer (WAF, rate limit) → faults → route
//! (404) → authentication (401/403) → controller checks (405/400) → worker queue (503/400
//! timeout) → action → envelope.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::body::Body;
use http::{HeaderValue, Method, Request, Response, StatusCode, header};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;

use crate::app::{App, lock};
use crate::auth::{Refusal, authenticate};
use crate::envelope::{self, ACL_DENIED, NOT_AUTHENTICATED};
use crate::faults::Fault;
use crate::queue::{QUEUE_FULL, QueueError, RESPONSE_TIMEOUT_SECS, TIMEOUT};
use crate::request::{Ctx, build_params};
use crate::resources::{Call, SPECS, dispatch};
use crate::util::{canonical_ip, is_php_localhost};
use crate::{control, nginx, router};

/// What a listener does with requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ListenerKind {
    /// HTTPS (or plain HTTP in `PlainHttp` mode, i.e. `RedirectToHttps=0`): serve the API.
    Api { tls: bool },
    /// The plain port next to HTTPS: non-local clients get 301 to HTTPS (`NginxConf.php`).
    Redirect,
    /// Asterisk's own HTTPS server (AJAM), not nginx: no WAF, no rate limit, no faults.
    Ajam,
}

/// The largest request body read (the WAF also stops looking at 64 KB; uploads are not served).
const MAX_BODY: usize = 8 * 1024 * 1024;

/// Accept connections until `shutdown` flips.
pub(crate) async fn serve(
    listener: TcpListener,
    acceptor: Option<TlsAcceptor>,
    app: Arc<App>,
    kind: ListenerKind,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut conns = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, peer)) = accepted else { continue };
                let _ = stream.set_nodelay(true);
                let app = app.clone();
                let acceptor = acceptor.clone();
                conns.spawn(async move {
                    match acceptor {
                        Some(acc) => {
                            // A failed handshake (untrusted CA, wrong name) just ends the connection.
                            if let Ok(tls) = acc.accept(stream).await {
                                serve_io(TokioIo::new(tls), peer, app, kind).await;
                            }
                        }
                        None => serve_io(TokioIo::new(stream), peer, app, kind).await,
                    }
                });
            }
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
            _ = shutdown.changed() => break,
        }
    }
    conns.abort_all();
    while conns.join_next().await.is_some() {}
}

async fn serve_io<I>(io: TokioIo<I>, peer: SocketAddr, app: Arc<App>, kind: ListenerKind)
where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let service = hyper::service::service_fn(move |req: Request<Incoming>| {
        let app = app.clone();
        async move {
            // Defence in depth: a bug in a handler answers 500 instead of dropping the
            // connection (mutexes recover from poisoning, see `app::lock`).
            use futures_util::FutureExt;
            match std::panic::AssertUnwindSafe(handle(app, req, peer.ip(), kind))
                .catch_unwind()
                .await
            {
                Ok(result) => result,
                Err(_) => Ok(envelope::send_error(500, "Internal Server Error")),
            }
        }
    });
    let _ = hyper::server::conn::http1::Builder::new()
        .keep_alive(true)
        .serve_connection(io, service)
        .await;
}

fn redirect(app: &App, req: &Request<Incoming>) -> Response<Body> {
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(|h| {
            // Drop a port: `[::1]:80` → `[::1]`, `host:80` → `host`.
            match h.rfind(':') {
                Some(i) if !h[i..].contains(']') => h[..i].to_string(),
                _ => h.to_string(),
            }
        })
        .unwrap_or_else(|| "127.0.0.1".into());
    let port = app.cfg.https_port.unwrap_or(443);
    let pq = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/");
    let location = if port == 443 {
        format!("https://{host}{pq}")
    } else {
        format!("https://{host}:{port}{pq}")
    };
    let body = "<html>\r\n<head><title>301 Moved Permanently</title></head>\r\n<body>\r\n<center><h1>301 Moved Permanently</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";
    let mut resp = Response::new(Body::from(body));
    *resp.status_mut() = StatusCode::MOVED_PERMANENTLY;
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html"));
    if let Ok(v) = HeaderValue::from_str(&location) {
        h.insert(header::LOCATION, v);
    }
    h.insert(header::SERVER, HeaderValue::from_static("nginx"));
    resp
}

/// One request. `Err` makes hyper drop the connection without an answer (the reset fault).
async fn handle(
    app: Arc<App>,
    req: Request<Incoming>,
    peer: IpAddr,
    kind: ListenerKind,
) -> Result<Response<Body>, std::io::Error> {
    let peer = canonical_ip(peer);
    if kind == ListenerKind::Redirect && !is_php_localhost(peer) {
        return Ok(redirect(&app, &req));
    }
    if kind == ListenerKind::Ajam {
        let (parts, body) = req.into_parts();
        let Ok(bytes) = axum::body::to_bytes(Body::new(body), MAX_BODY).await else {
            return Ok(envelope::plain(413, "Request Entity Too Large"));
        };
        return Ok(crate::ajam::handle(&app, parts, bytes, peer).await);
    }
    let tls = matches!(kind, ListenerKind::Api { tls: true });
    let path = req.uri().path().to_string();
    let query = req.uri().query().map(str::to_string);

    if path.starts_with("/_sim/") {
        let (parts, body) = req.into_parts();
        let bytes = axum::body::to_bytes(Body::new(body), MAX_BODY)
            .await
            .unwrap_or_default();
        return Ok(control::handle(&app, &parts, peer, &bytes));
    }

    let (parts, body) = req.into_parts();
    let mut body = Body::new(body);
    if !nginx::is_exempt(peer) {
        // Lua sees nginx's normalised `$uri`; a `..` above the root is nginx's own 400.
        let Some(uri) = nginx::nginx_uri(&path) else {
            return Ok(nginx_error_page(400));
        };
        let ua = parts
            .headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let waf = app.cfg.waf;
        if nginx::waf_blocks(waf, &uri, query.as_deref(), ua) {
            return Ok(envelope::plain(403, "Security violation detected"));
        }
        if waf == nginx::WafMode::Develop
            && matches!(parts.method, Method::POST | Method::PUT | Method::PATCH)
        {
            let bytes = match axum::body::to_bytes(body, MAX_BODY).await {
                Ok(b) => b,
                Err(_) => {
                    return Ok(envelope::send_error(
                        400,
                        "Request body too large or unreadable",
                    ));
                }
            };
            let ctype = parts
                .headers
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if nginx::waf_body_blocks(&uri, ctype, &bytes) {
                return Ok(envelope::plain(403, "Security violation detected"));
            }
            body = Body::from(bytes);
        }
        if !lock(&app.limiter).allow(peer, &app.cfg.clock) {
            return Ok(envelope::plain(429, "Too many requests"));
        }
    }

    let mut truncate = false;
    if path.starts_with("/pbxcore/") {
        match app.faults.take() {
            Some(Fault::Reset) => {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::ConnectionReset,
                    "injected reset",
                ));
            }
            Some(Fault::Status(503)) => return Ok(envelope::halt(503, QUEUE_FULL)),
            Some(Fault::Status(500)) => {
                return Ok(envelope::send_error(500, "Internal Server Error"));
            }
            Some(Fault::Status(429)) => {
                return Ok(envelope::plain(429, "Too many requests"));
            }
            Some(Fault::Status(s)) => return Ok(nginx_error_page(s)),
            Some(Fault::Truncate) => truncate = true,
            None => {}
        }
    }

    let req = Request::from_parts(parts, body);
    let resp = api(&app, req, peer, tls, path, query).await;
    Ok(if truncate {
        truncated(resp).await
    } else {
        resp
    })
}

fn nginx_error_page(status: u16) -> Response<Body> {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
    let title = format!(
        "{} {}",
        code.as_u16(),
        code.canonical_reason().unwrap_or("")
    );
    let body = format!(
        "<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
    );
    let mut resp = Response::new(Body::from(body));
    *resp.status_mut() = code;
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html"));
    resp
}

/// Promise the full length, send half, then fail the stream: the client sees a cut body.
async fn truncated(resp: Response<Body>) -> Response<Body> {
    let (mut parts, body) = resp.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    parts
        .headers
        .insert(header::CONTENT_LENGTH, HeaderValue::from(bytes.len()));
    let half = bytes.slice(0..bytes.len() / 2);
    // Let the headers and the first half reach the client before the connection is cut.
    let first = futures_util::stream::once(async move { Ok::<_, std::io::Error>(half) });
    let cut = futures_util::stream::once(async {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        Err(std::io::Error::other("injected truncation"))
    });
    Response::from_parts(
        parts,
        Body::from_stream(futures_util::StreamExt::chain(first, cut)),
    )
}

async fn api(
    app: &Arc<App>,
    req: Request<Body>,
    peer: IpAddr,
    tls: bool,
    path: String,
    query: Option<String>,
) -> Response<Body> {
    let (parts, body) = req.into_parts();
    let method = parts.method.clone();
    let uri_text = match &query {
        Some(q) => format!("{path}?{q}"),
        None => path.clone(),
    };
    let Some((spec, route)) = router::parse(&path, SPECS, &method) else {
        // Phalcon runs "before" middleware only on matched routes: unknown routes are 404
        // without authentication (inferred; mikopbx-api.md §4 marks it unverified).
        return envelope::not_found(&uri_text);
    };
    let bytes = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(b) => b,
        Err(_) => return envelope::send_error(400, "Request body too large or unreadable"),
    };
    let (params, bad_json) = build_params(&parts.headers, &bytes, query.as_deref());
    let ctx = Ctx {
        method: method.clone(),
        path,
        headers: parts.headers,
        peer,
        tls,
        params,
        bad_json,
    };
    let action = router::action(&method, &route);
    let public = router::is_public(spec, &route);
    match authenticate(app, &ctx, public, &action) {
        Ok(_principal) => {}
        Err(Refusal::Unauthenticated) => return envelope::halt(401, NOT_AUTHENTICATED),
        Err(Refusal::AclDenied) => return envelope::halt(403, ACL_DENIED),
    }
    if let Err((code, msg)) = router::check_action(spec, &method, &route, &action) {
        return envelope::send_error(code, &msg);
    }
    let latency = app.faults.latency();
    let debug = ctx.header("x-debug-the-request") == Some("1");
    let timeout = if debug {
        std::time::Duration::from_secs(9999)
    } else {
        app.cfg.clock.real_duration(RESPONSE_TIMEOUT_SECS)
    };
    let call = Call {
        app,
        ctx: &ctx,
        route: &route,
        action: &action,
        spec,
    };
    let job = async {
        if !latency.is_zero() {
            tokio::time::sleep(latency).await;
        }
        dispatch(&call)
    };
    match app.queue.run(timeout, job).await {
        Ok(result) => result.into_response(),
        Err(QueueError::Full) => envelope::halt(503, QUEUE_FULL),
        Err(QueueError::Timeout) => envelope::halt(400, TIMEOUT),
    }
}
