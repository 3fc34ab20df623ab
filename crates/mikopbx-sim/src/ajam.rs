//! AJAM: the Asterisk Manager Interface over HTTP, on the Asterisk HTTPS port (8089 on a PBX).
//!
//! REST v3 has no originate; click-to-call goes through AMI's `Originate`, and the only TLS path
//! to AMI is AJAM (`calls-events-recordings.md` §2.1, §3). The simulator serves it on a second
//! TLS listener with the same certificate (a normal install presents the DB certificate on 443
//! and 8089, §0.1), as Asterisk's `main/manager.c` (`generic_http_callback`, `process_message`,
//! `action_login`, `action_originate`) and `main/http.c` do:
//!
//! * `/asterisk/rawman` (`http.conf` `prefix=asterisk`, `HttpConf.php:47-75`), GET or POST
//!   (form body); parameters become AMI headers, names case-insensitive; `+` decodes to a space
//!   (`ast_uri_http_legacy`). Every answer is HTTP 200 `text/plain` with
//!   `Set-Cookie: mansession_id="%08x"; Version=1; Max-Age=60` and AMI lines
//!   (`Response: Success|Error`, `ActionID`, `Message`), ending with an empty line.
//! * A request without a known `mansession_id` cookie gets a new, unauthenticated session;
//!   sessions expire `httptimeout = 60` s after their last request (5 s before login)
//!   (`ManagerConf.php:72-81`; `manager.c` `sessiontimeout`).
//! * `Login` checks `Username`/`Secret` against `m_AsteriskManagerUsers` and the user's ACL; any
//!   failure is the same `Authentication failed`, after a one-second sleep (`action_login`). The
//!   ACL is what `ManagerConf.php:95-104,165-170` writes: `localhost` → permit 127.0.0.1 only;
//!   otherwise the `deny` then `permit` of `NetworkFilters::findFirst(networkfilterid)`, applied
//!   as Asterisk does (default allow, the last matching rule wins), so a filter with a `permit`
//!   and no `deny` restricts nothing. A NULL id (`none`) makes Phalcon's `findFirst(null)` return
//!   the first filter (inferred, §2.1); an id with no row gives no ACL at all.
//! * Before login every action but `Login`/`Logoff`/`Challenge` is `Permission denied`; after
//!   it, an action needs its class in the user's `write=` (`Originate`: `originate`).
//! * `Originate` (`Async: true`) answers `Originate successfully queued` and places a call the
//!   way the `[internal-originate]` dialplan does (`ExtensionsConf.php:132-151`, §3): the
//!   extension of `Channel: Local/<ext>@internal-originate` rings first, then it dials the number
//!   in the channel variable `pt1c_cid` (not `Exten`, which only has to exist in the context).
//!   `ChannelId` becomes the uniqueid of the oldest channel, so the call's `linkedid`. The call
//!   then drives `pbx-status`, the CDR and the recording like a call of `POST /_sim/calls`:
//!   the agent answers after [`AGENT_ANSWER_MS`], the customer after [`CUSTOMER_ANSWER_MS`] more,
//!   and they talk [`TALK_MS`] (fixed: a simulator has no people).
//! * `Ping` and `Logoff` as Asterisk answers them. Other AMI actions are not simulated and get
//!   Asterisk's unknown-command error (a real PBX would run them); other paths get Asterisk's
//!   404 page.
//!
//! What it records for tests (`state.json`, [`crate::state::Store::ajam_log`]): every
//! originate (user, channel, context, exten, variables, ChannelId, the linkedid placed), and
//! every request that carried a `Secret` in its URL (which the SDK must never do: URLs end up in
//! logs).

use std::collections::HashMap;
use std::net::IpAddr;

use axum::body::Body;
use http::{HeaderValue, Response, header};
use serde::{Deserialize, Serialize};

use crate::app::{App, lock};
use crate::auth::keys::{NETWORK_FILTERS, ip_in};
use crate::calls::CallRequest;
use crate::state::AsteriskManager;

/// `httptimeout` in MikoPBX's `manager.conf`.
const HTTP_TIMEOUT_SECS: f64 = 60.0;
/// An unauthenticated session lives at most this long (`manager.c`).
const UNAUTH_TIMEOUT_SECS: f64 = 5.0;
/// Simulated milliseconds before the agent picks up the originated call.
pub(crate) const AGENT_ANSWER_MS: u64 = 1000;
/// Simulated milliseconds the customer's phone then rings before they answer.
pub(crate) const CUSTOMER_ANSWER_MS: u64 = 1500;
/// Simulated milliseconds of conversation.
pub(crate) const TALK_MS: u64 = 4000;
/// `AST_MAX_PUBLIC_UNIQUEID`.
const MAX_UNIQUEID: usize = 149;

/// One AJAM session (`mansession_session`).
#[derive(Debug, Clone)]
struct Session {
    /// The logged-in user's id, once `Login` succeeded.
    user: Option<u64>,
    /// Simulated time after which the session is gone.
    expires: f64,
}

/// Sessions by `managerid`.
#[derive(Debug, Default)]
pub(crate) struct Sessions {
    by_id: HashMap<u32, Session>,
}

/// One `Originate` the simulator accepted, as tests read it from `state.json`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) struct OriginateRecord {
    pub(crate) username: String,
    pub(crate) channel: String,
    pub(crate) context: String,
    pub(crate) exten: String,
    pub(crate) callerid: String,
    /// `Variable` headers, split on commas as `astman_get_variables` does.
    pub(crate) variables: Vec<String>,
    pub(crate) channel_id: String,
    /// The linkedid of the call placed, or `None` when nothing could ring (unknown
    /// extension, no `pt1c_cid`).
    pub(crate) linkedid: Option<String>,
}

/// What tests can see of AJAM traffic.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct AjamLog {
    pub(crate) originates: Vec<OriginateRecord>,
    /// Requests whose URL carried a `Secret` parameter.
    pub(crate) secrets_in_url: u64,
}

/// AMI headers: the request's parameters, in order, names as sent.
struct Message(Vec<(String, String)>);

impl Message {
    /// `astman_get_header`: the first header of that name, case-insensitive, or "".
    fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map_or("", |(_, v)| v.as_str())
    }

    /// `astman_get_variables`: every `Variable` header, split on commas.
    fn variables(&self) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case("variable"))
            .flat_map(|(_, v)| v.split(',').map(str::to_owned).collect::<Vec<_>>())
            .filter(|v| !v.is_empty())
            .collect()
    }
}

/// `ast_uri_decode(…, ast_uri_http_legacy)` of a form or query string.
fn parse_params(text: &str, into: &mut Vec<(String, String)>) {
    for pair in text.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let decode = |s: &str| crate::util::percent_decode(&s.replace('+', " "));
        into.push((decode(k), decode(v)));
    }
}

/// The `mansession_id` cookie's value (`ast_http_manid_from_vars`).
fn cookie_id(headers: &http::HeaderMap) -> Option<u32> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| k.trim() == "mansession_id")
        .and_then(|(_, v)| u32::from_str_radix(v.trim().trim_matches('"'), 16).ok())
}

/// One answer block (`astman_send_response_full`).
fn block(m: &Message, response: &str, text: &str) -> String {
    let mut out = format!("Response: {response}\r\n");
    let id = m.get("ActionID");
    if !id.is_empty() {
        out.push_str(&format!("ActionID: {id}\r\n"));
    }
    out.push_str(&format!("Message: {text}\r\n\r\n"));
    out
}

/// Asterisk's HTTP error page (`ast_http_error`).
fn http_error(status: u16, title: &str, text: &str) -> Response<Body> {
    let body = format!(
        "<!DOCTYPE HTML PUBLIC \"-//IETF//DTD HTML 2.0//EN\">\r\n<html><head>\r\n<title>{status} {title}</title>\r\n</head><body>\r\n<h1>{title}</h1>\r\n<p>{text}</p>\r\n<hr />\r\n<address>Asterisk Server</address>\r\n</body></html>\r\n"
    );
    let mut resp = Response::new(Body::from(body));
    *resp.status_mut() = http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::NOT_FOUND);
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html"));
    server_headers(resp)
}

fn server_headers(mut resp: Response<Body>) -> Response<Body> {
    let h = resp.headers_mut();
    h.insert(header::SERVER, HeaderValue::from_static("Asterisk/20.16.0"));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-cache, no-store"),
    );
    resp
}

/// Asterisk's ACL check of a manager user (see the module comment).
fn acl_allows(user: &AsteriskManager, ip: IpAddr) -> bool {
    let (permit, deny) = match user.networkfilterid.as_deref() {
        Some("localhost") => ("127.0.0.1/32", "0.0.0.0/0"),
        // A create without `networkfilterid` stores the schema default `'none'` itself (the
        // NULL conversion runs before defaults are filled in). Phalcon takes `findFirst('none')`
        // as an SQL condition naming no column: no row (inferred), so no ACL at all.
        Some("none") | Some("") => ("", ""),
        None => NETWORK_FILTERS
            .first()
            .map_or(("", ""), |&(_, permit, deny, _)| (permit, deny)),
        Some(id) => NETWORK_FILTERS
            .iter()
            .find(|f| f.0 == id)
            .map_or(("", ""), |&(_, permit, deny, _)| (permit, deny)),
    };
    // `deny=` is written before `permit=`; Asterisk starts from allow and the last matching rule
    // decides.
    let matches = |list: &str| {
        list.split(',')
            .map(str::trim)
            .any(|n| !n.is_empty() && ip_in(ip, n))
    };
    let mut allowed = true;
    if matches(deny) {
        allowed = false;
    }
    if matches(permit) {
        allowed = true;
    }
    allowed
}

/// One request to the AJAM listener.
pub(crate) async fn handle(
    app: &App,
    parts: http::request::Parts,
    body: axum::body::Bytes,
    peer: IpAddr,
) -> Response<Body> {
    let path = parts.uri.path();
    if path != "/asterisk/rawman" {
        return http_error(
            404,
            "Not Found",
            "The requested URL was not found on this server.",
        );
    }
    let method = &parts.method;
    if method != http::Method::GET && method != http::Method::POST && method != http::Method::HEAD {
        return http_error(
            501,
            "Not Implemented",
            "Attempt to use unimplemented / unsupported method",
        );
    }
    let mut params = Vec::new();
    if let Some(q) = parts.uri.query() {
        let mut from_url = Vec::new();
        parse_params(q, &mut from_url);
        if from_url
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("secret"))
        {
            app.write(|s| s.ajam_log.secrets_in_url += 1);
        }
        params = from_url;
    }
    // A POST reads its form body instead of the query string (`ast_http_get_post_vars`).
    if method == http::Method::POST {
        params.clear();
        parse_params(&String::from_utf8_lossy(&body), &mut params);
    }
    let m = Message(params);
    let now = app.cfg.clock.now();

    let (id, user) = {
        let mut sessions = lock(&app.ajam);
        sessions.by_id.retain(|_, s| s.expires > now);
        let id = match cookie_id(&parts.headers).filter(|id| sessions.by_id.contains_key(id)) {
            Some(id) => id,
            None => loop {
                let id = u32::from_be_bytes(
                    crate::util::random_bytes(4)
                        .try_into()
                        .unwrap_or([0, 0, 0, 1]),
                );
                if id != 0 && !sessions.by_id.contains_key(&id) {
                    sessions.by_id.insert(
                        id,
                        Session {
                            user: None,
                            expires: now + UNAUTH_TIMEOUT_SECS,
                        },
                    );
                    break id;
                }
            },
        };
        (id, sessions.by_id.get(&id).and_then(|s| s.user))
    };

    let action = m.get("Action");
    let mut destroy = false;
    let mut logged_in = user;
    let out = if action.is_empty() {
        block(&m, "Error", "Missing action in request")
    } else if user.is_none()
        && !["login", "logoff", "challenge"].contains(&action.to_ascii_lowercase().as_str())
    {
        block(&m, "Error", "Permission denied")
    } else {
        match action.to_ascii_lowercase().as_str() {
            "login" if user.is_some() => block(&m, "Success", "Already authenticated"),
            "login" => {
                let (username, secret) = (m.get("Username"), m.get("Secret"));
                let found = app.read(|s| {
                    s.asterisk_managers
                        .iter()
                        .find(|u| !username.is_empty() && u.username == username)
                        .filter(|u| u.secret == secret && acl_allows(u, peer))
                        .map(|u| u.id)
                });
                match found {
                    Some(uid) => {
                        logged_in = Some(uid);
                        block(&m, "Success", "Authentication accepted")
                    }
                    None => {
                        // `action_login` sleeps a second before refusing.
                        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                        destroy = true;
                        block(&m, "Error", "Authentication failed")
                    }
                }
            }
            "logoff" => {
                destroy = true;
                let id = m.get("ActionID");
                let mut out = String::from("Response: Goodbye\r\n");
                if !id.is_empty() {
                    out.push_str(&format!("ActionID: {id}\r\n"));
                }
                out.push_str("Message: Thanks for all the fish.\r\n\r\n");
                out
            }
            "ping" => {
                let id = m.get("ActionID");
                let mut out = String::from("Response: Success\r\n");
                if !id.is_empty() {
                    out.push_str(&format!("ActionID: {id}\r\n"));
                }
                out.push_str(&format!(
                    "Ping: Pong\r\nTimestamp: {:.6}\r\n\r\n",
                    app.cfg.clock.now()
                ));
                out
            }
            "originate" => originate(app, &m, user.unwrap_or_default()),
            other => block(
                &m,
                "Error",
                &format!(
                    "Invalid/unknown command: {other}. Use Action: ListCommands to show available commands."
                ),
            ),
        }
    };

    {
        let mut sessions = lock(&app.ajam);
        if destroy {
            sessions.by_id.remove(&id);
        } else if let Some(s) = sessions.by_id.get_mut(&id) {
            s.user = logged_in;
            s.expires = now
                + if logged_in.is_some() {
                    HTTP_TIMEOUT_SECS
                } else {
                    UNAUTH_TIMEOUT_SECS
                };
        }
    }

    let mut resp = Response::new(Body::from(if method == http::Method::HEAD {
        String::new()
    } else {
        out
    }));
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
    if let Ok(v) = HeaderValue::from_str(&format!(
        "mansession_id=\"{id:08x}\"; Version=1; Max-Age={}",
        HTTP_TIMEOUT_SECS as u32
    )) {
        h.insert(header::SET_COOKIE, v);
    }
    h.insert("pragma", HeaderValue::from_static("SuppressEvents"));
    server_headers(resp)
}

/// `action_originate` for the Local-channel recipe; the caller is logged in as `user_id`.
fn originate(app: &App, m: &Message, user_id: u64) -> String {
    let Some(user) = app.read(|s| {
        s.asterisk_managers
            .iter()
            .find(|u| u.id == user_id)
            .cloned()
    }) else {
        return block(m, "Error", "Permission denied");
    };
    if !user.can("originate", true) {
        return block(m, "Error", "Permission denied");
    }
    let (channel, context, exten) = (m.get("Channel"), m.get("Context"), m.get("Exten"));
    let channel_id = m.get("ChannelId");
    if channel_id.len() > MAX_UNIQUEID {
        return block(
            m,
            "Error",
            &format!("Uniqueid length exceeds maximum of {MAX_UNIQUEID}\n"),
        );
    }
    if channel.is_empty() {
        return block(m, "Error", "Channel not specified");
    }
    let priority = m.get("Priority");
    if !priority.is_empty() && priority.trim().parse::<i64>().is_err() {
        return block(m, "Error", "Invalid priority");
    }
    let Some((_tech, data)) = channel.split_once('/') else {
        return block(m, "Error", "Invalid channel");
    };
    if exten.is_empty() || context.is_empty() || priority.is_empty() {
        return block(
            m,
            "Error",
            "Originate with 'Exten' requires 'Context' and 'Priority'",
        );
    }
    // `ast_exists_extension` in `all_peers`: its patterns take any dialable number.
    if context != "all_peers"
        || !exten
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '+' | '*' | '#'))
    {
        return block(m, "Error", "Extension does not exist.");
    }
    let variables = m.variables();
    let target = variables
        .iter()
        .find_map(|v| v.strip_prefix("pt1c_cid="))
        .unwrap_or("")
        .to_owned();
    // `Local/<ext>@internal-originate`: the agent's extension must be a peer to ring.
    let agent = data
        .strip_suffix("@internal-originate")
        .filter(|ext| app.read(|s| s.employee_by_number(ext).is_some()))
        .map(str::to_owned);
    let linkedid = match agent {
        Some(agent) if !target.is_empty() => {
            let req = CallRequest {
                from: agent,
                to: target,
                answer_after_ms: Some(AGENT_ANSWER_MS + CUSTOMER_ANSWER_MS),
                talk_ms: TALK_MS,
                ring_ms: 0,
                did: None,
                linkedid: (!channel_id.is_empty()).then(|| channel_id.to_owned()),
            };
            let internal =
                |n: &str| n.len() <= 4 || app.read(|s| s.employee_by_number(n).is_some());
            Some(lock(&app.calls).place(&req, app.cfg.clock.now(), &internal))
        }
        _ => None,
    };
    let record = OriginateRecord {
        username: user.username.clone(),
        channel: channel.to_owned(),
        context: context.to_owned(),
        exten: exten.to_owned(),
        callerid: m.get("CallerID").to_owned(),
        variables,
        channel_id: channel_id.to_owned(),
        linkedid,
    };
    app.write(|s| s.ajam_log.originates.push(record));
    block(m, "Success", "Originate successfully queued")
}

#[cfg(test)]
mod wire_tests {
    use super::*;
    use crate::state::AsteriskManager;

    fn manager(filter: Option<&str>) -> AsteriskManager {
        AsteriskManager {
            id: 9,
            username: "crm".into(),
            secret: "s".into(),
            networkfilterid: filter.map(str::to_owned),
            ..AsteriskManager::default()
        }
    }

    #[test]
    fn acl_follows_manager_conf_and_asterisk_rule_order() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        // localhost: deny all, permit 127.0.0.1.
        assert!(acl_allows(&manager(Some("localhost")), ip("127.0.0.1")));
        assert!(!acl_allows(&manager(Some("localhost")), ip("127.0.0.2")));
        // Filter 3 permits 127.0.0.1/32 with no deny: Asterisk then allows everyone.
        assert!(acl_allows(&manager(Some("3")), ip("10.1.2.3")));
        // Filter 4 denies everything but 127.0.0.1.
        assert!(acl_allows(&manager(Some("4")), ip("127.0.0.1")));
        assert!(!acl_allows(&manager(Some("4")), ip("127.0.0.2")));
        // NULL (`none`): the first filter's ACL (permit 127.0.0.2/32, no deny: open).
        assert!(acl_allows(&manager(None), ip("192.0.2.1")));
        assert!(acl_allows(&manager(Some("none")), ip("192.0.2.1")));
        // An id without a row: no ACL.
        assert!(acl_allows(&manager(Some("0")), ip("192.0.2.1")));
    }

    #[test]
    fn params_decode_plus_as_space_and_split_variables() {
        let mut p = Vec::new();
        parse_params(
            "Action=Originate&Variable=pt1c_cid%3D%2B7916,x=1&variable=y=2&Exten=+7",
            &mut p,
        );
        let m = Message(p);
        assert_eq!(m.get("action"), "Originate");
        assert_eq!(m.get("EXTEN"), " 7");
        assert_eq!(m.variables(), vec!["pt1c_cid=+7916", "x=1", "y=2"]);
    }
}
