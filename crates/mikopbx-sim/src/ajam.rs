//! AJAM: the Asterisk Manager Interface over HTTP, on the Asterisk HTTPS port (8089 on a PBX).
//!
//! REST v3 has no originate; click-to-call goes through AMI's `Originate`, and the only TLS path
//! to AMI is AJAM (`calls-events-recordings.md` §2.1, §3). The simulator serves it on a second
//! TLS listener with the same certificate (a normal install presents the DB certificate on 443
//! and 8089, §0.1; `SimulatorBuilder::ajam_fallback_certificate` gives it its own, as in the
//! PBX's fallback mode), as Asterisk's `main/manager.c` (`generic_http_callback`, `process_message`,
//! `action_login`, `action_originate`) and `main/http.c` do:
//!
//! * `/asterisk/rawman` (`http.conf` `prefix=asterisk`, `HttpConf.php:47-75`), GET or POST
//!   (form body); parameters become AMI headers, names case-insensitive; `+` decodes to a space
//!   (`ast_uri_http_legacy`). Every answer is HTTP 200 `text/plain` with
//!   `Set-Cookie: mansession_id="%08x"; Version=1; Max-Age=60` and AMI lines
//!   (`Response: Success|Error`, `ActionID`, `Message`), ending with an empty line.
//! * A request without a known `mansession_id` cookie gets a new, unauthenticated session;
//!   sessions expire `httptimeout = 60` s after their last request ends (5 s before login)
//!   (`ManagerConf.php:72-81`; `manager.c` `sessiontimeout`), never while a request is using
//!   them; `Logoff` or a refused login ends the session once its last request is done.
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
//! * `WaitEvent` as `action_waitevent` runs it for an HTTP session: it waits (in whole seconds
//!   of the simulator's clock, so `/_sim/clock` moves it) up to `Timeout`, capped at
//!   `sessiontimeout - now - 10` (50 s right after a request; the cap also when `Timeout` is
//!   absent or negative), for any event queued after the session's last one, then answers
//!   `Response: Success`/`Message: Waiting for Event completed.`, the queued events the session
//!   may read, and `Event: WaitEventComplete` (with the `ActionID`). A session sees the events
//!   queued after it was created (its first request, not its login), filtered at delivery by
//!   the `read=` permission and the `eventfilter` lines copied at login; any queued event ends
//!   the wait, readable or not. A second `WaitEvent` on the session makes the first answer an
//!   empty body. Unread events older than 2.5 × `httptimeout` are purged (`purge_events`, which
//!   keeps the newest event), and an expired session's queue is simply gone: a new session
//!   starts after it. The events themselves, and what is guessed about them, are in
//!   [`crate::ajam_events`].
//! * `Ping` and `Logoff` as Asterisk answers them. Other AMI actions are not simulated and get
//!   Asterisk's unknown-command error, naming the action as sent (a real PBX would run them);
//!   other paths get Asterisk's 404 page.
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
use crate::calls::{CallRequest, OriginateLeg};
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
#[derive(Debug)]
struct Session {
    /// The logged-in user's id, once `Login` succeeded.
    user: Option<u64>,
    /// `sessiontimeout`: whole simulated seconds after which the session may be purged (set
    /// at the end of every request; 0 until the first one ends).
    expires: f64,
    /// Requests in progress on this session (`inuse`): a session in use is never purged.
    inuse: u32,
    /// `needdestroy`: logged off or refused; no new request finds it, the last one ends it.
    needdestroy: bool,
    /// The `WaitEvent` currently waiting (`waiting_thread`), 0 for none.
    waiter: u64,
    /// The last event this session has been through (`last_ev`).
    cursor: crate::ajam_events::Cursor,
    /// Copied from the user at login (`authenticate()`): whether `read=` has `call`, and the
    /// `eventfilter` lines.
    read_call: bool,
    filters: crate::ajam_events::SessionFilters,
}

/// Sessions by `managerid`, and Asterisk's event queue.
#[derive(Debug, Default)]
pub(crate) struct Sessions {
    by_id: HashMap<u32, Session>,
    /// Hands out `waiter` ids.
    waiters: u64,
    pub(crate) events: crate::ajam_events::EventLog,
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
        let mut guard = lock(&app.ajam);
        let sessions = &mut *guard;
        // `purge_sessions`: gone once `time(NULL) > sessiontimeout` and nothing uses it.
        // (Asterisk purges every 5 s or so, so a real session can outlive that by a few
        // seconds; the simulator is exact.)
        sessions
            .by_id
            .retain(|_, s| s.inuse > 0 || s.expires == 0.0 || now.floor() <= s.expires);
        let found = cookie_id(&parts.headers)
            .filter(|id| sessions.by_id.get(id).is_some_and(|s| !s.needdestroy));
        let id = match found {
            Some(id) => id,
            None => loop {
                let id = u32::from_be_bytes(
                    crate::util::random_bytes(4)
                        .try_into()
                        .unwrap_or([0, 0, 0, 1]),
                );
                if id != 0 && !sessions.by_id.contains_key(&id) {
                    // A new session sees the events queued after this moment (`grab_last`).
                    let cursor = sessions.events.cursor(now);
                    sessions.by_id.insert(
                        id,
                        Session {
                            user: None,
                            expires: 0.0,
                            inuse: 0,
                            needdestroy: false,
                            waiter: 0,
                            cursor,
                            read_call: false,
                            filters: Default::default(),
                        },
                    );
                    break id;
                }
            },
        };
        let s = sessions.by_id.get_mut(&id).expect("just found or made");
        s.inuse += 1;
        (id, s.user)
    };

    let action = m.get("Action");
    // Ends the request even if the client goes away mid-`WaitEvent` (hyper then drops this
    // future), so the session is not left in use for ever.
    let mut end = RequestEnd {
        app,
        id,
        logged_in: user,
        destroy: false,
    };
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
                        end.logged_in = Some(uid);
                        login_session(app, id, uid);
                        block(&m, "Success", "Authentication accepted")
                    }
                    None => {
                        // `action_login` sleeps a second before refusing.
                        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                        end.destroy = true;
                        block(&m, "Error", "Authentication failed")
                    }
                }
            }
            "logoff" => {
                end.destroy = true;
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
            "waitevent" => waitevent(app, &m, id).await,
            // `process_message` prints the action as the client spelled it.
            _ => block(
                &m,
                "Error",
                &format!(
                    "Invalid/unknown command: {action}. Use Action: ListCommands to show available commands."
                ),
            ),
        }
    };

    drop(end);

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

/// The end of `generic_http_callback`, run when the request is done (or dropped): reset the
/// timeout (`httptimeout` once logged in, 5 s before), then destroy a session that asked for
/// it unless another request is still using it (that one ends it).
struct RequestEnd<'a> {
    app: &'a App,
    id: u32,
    logged_in: Option<u64>,
    destroy: bool,
}

impl Drop for RequestEnd<'_> {
    fn drop(&mut self) {
        let end = self.app.cfg.clock.now();
        let mut sessions = lock(&self.app.ajam);
        let remove = match sessions.by_id.get_mut(&self.id) {
            Some(s) => {
                s.user = self.logged_in;
                s.expires = end.floor()
                    + if self.logged_in.is_some() {
                        HTTP_TIMEOUT_SECS
                    } else {
                        UNAUTH_TIMEOUT_SECS
                    };
                s.needdestroy |= self.destroy;
                if s.needdestroy && s.inuse == 1 {
                    true
                } else {
                    s.inuse = s.inuse.saturating_sub(1);
                    false
                }
            }
            None => false,
        };
        if remove {
            sessions.by_id.remove(&self.id);
        }
    }
}

/// `authenticate()`: the session takes the user's read permission and event filters.
fn login_session(app: &App, id: u32, uid: u64) {
    let (read_call, filters) = app.read(|s| {
        s.asterisk_managers
            .iter()
            .find(|u| u.id == uid)
            .map(|u| {
                (
                    u.can("call", false),
                    crate::ajam_events::Filters::for_user(u.eventfilter.as_deref()),
                )
            })
            .unwrap_or_default()
    });
    if let Some(s) = lock(&app.ajam).by_id.get_mut(&id) {
        s.read_call = read_call;
        s.filters = std::sync::Arc::new(filters);
    }
}

/// `sscanf(value, "%30i", &timeout)`: C's `%i` (sign, then `0x` hex, `0` octal or decimal),
/// at most 30 characters; `None` when no number starts the value.
fn scan_c_int(value: &str) -> Option<i64> {
    let v = value.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let field: String = v.chars().take(30).collect();
    let (neg, rest) = match field.as_bytes().first() {
        Some(b'-') => (true, &field[1..]),
        Some(b'+') => (false, &field[1..]),
        _ => (false, field.as_str()),
    };
    let (radix, digits) = if let Some(h) = rest.strip_prefix("0x").or(rest.strip_prefix("0X")) {
        if h.starts_with(|c: char| c.is_ascii_hexdigit()) {
            (16, h)
        } else {
            return Some(0); // "0x" with no hex digit reads as the 0
        }
    } else if rest.starts_with('0') {
        (8, rest)
    } else {
        (10, rest)
    };
    let digits: String = digits.chars().take_while(|c| c.is_digit(radix)).collect();
    if digits.is_empty() {
        return None;
    }
    let n = i64::from_str_radix(&digits, radix).unwrap_or(i64::MAX);
    // Stored in a C `int`.
    Some(if neg { -n } else { n }.clamp(i32::MIN as i64, i32::MAX as i64))
}

/// `ast_callerid_parse` + `ast_shrink_phone_number` of `Originate`'s `CallerID`.
fn parse_callerid(value: &str) -> (String, String) {
    let v = value.trim();
    if v.is_empty() {
        return (String::new(), String::new());
    }
    let (name, num) = match (v.find('<'), v.rfind('>')) {
        (Some(l), Some(r)) if l < r => (
            v[..l].trim().trim_matches('"').trim().to_owned(),
            v[l + 1..r].to_owned(),
        ),
        _ if v
            .chars()
            .all(|c| c.is_ascii_digit() || "+*#()-. ".contains(c)) =>
        {
            (String::new(), v.to_owned())
        }
        _ => (v.trim_matches('"').to_owned(), String::new()),
    };
    let num = num.chars().filter(|c| !"()-. ".contains(*c)).collect();
    (num, name)
}

/// `action_waitevent` for an HTTP session (`managerid` set): wait up to `Timeout` seconds
/// (capped at `sessiontimeout - now - 10`, the whole remaining time when absent or negative)
/// for any event to be queued after the session's cursor, then answer `Waiting for Event
/// completed.`, every queued event the session may read (`read=` has the class, the filters
/// pass it), and `Event: WaitEventComplete`. A `WaitEvent` that a newer one on the same
/// session replaces answers nothing at all ("newcomers kick out the previous HTTP session").
/// The seconds are the simulator's clock, so a test can end a wait with `/_sim/clock`.
async fn waitevent(app: &App, m: &Message, id: u32) -> String {
    let mut timeout = -1;
    let timeouts = m.get("Timeout");
    if !timeouts.is_empty()
        && let Some(t) = scan_c_int(timeouts)
    {
        timeout = t.max(-1);
    }
    let clock = &app.cfg.clock;
    let start = clock.now();
    let me = {
        let mut guard = lock(&app.ajam);
        let sessions = &mut *guard;
        sessions.waiters += 1;
        let me = sessions.waiters;
        let Some(s) = sessions.by_id.get_mut(&id) else {
            return String::new();
        };
        let max = (s.expires - start.floor() - 10.0).max(0.0) as i64;
        if timeout < 0 || timeout > max {
            timeout = max;
        }
        s.waiter = me;
        me
    };
    let deadline = start + timeout as f64;
    loop {
        let now = clock.now();
        {
            let sessions = lock(&app.ajam);
            match sessions.by_id.get(&id) {
                Some(s)
                    if !s.needdestroy
                        && s.waiter == me
                        && !sessions.events.any_after(s.cursor, now) => {}
                _ => break,
            }
        }
        if now >= deadline {
            break;
        }
        let step = clock
            .real_duration(deadline - now)
            .min(std::time::Duration::from_millis(20));
        tokio::time::sleep(step).await;
    }

    let now = clock.now();
    let mut guard = lock(&app.ajam);
    let sessions = &mut *guard;
    sessions.events.purge(now);
    let Some(s) = sessions.by_id.get_mut(&id) else {
        return String::new();
    };
    if s.waiter != me {
        return String::new(); // "Abandoning event request!"
    }
    s.waiter = 0;
    let mut out = block(m, "Success", "Waiting for Event completed.");
    let mut cursor = s.cursor;
    for ev in sessions.events.happened_after(s.cursor, now) {
        // Every simulated event is of class `call`.
        if s.read_call && s.filters.allows(&ev.text) {
            out.push_str(&ev.text);
        }
        cursor = (ev.at, ev.id);
    }
    s.cursor = cursor;
    out.push_str("Event: WaitEventComplete\r\n");
    let action_id = m.get("ActionID");
    if !action_id.is_empty() {
        out.push_str(&format!("ActionID: {action_id}\r\n"));
    }
    out.push_str("\r\n");
    out
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
    let (cid_num, cid_name) = parse_callerid(m.get("CallerID"));
    let other = m.get("OtherChannelId");
    let leg = OriginateLeg {
        data: data.to_owned(),
        context: context.to_owned(),
        exten: exten.to_owned(),
        cid_num,
        cid_name,
        action_id: m.get("ActionID").to_owned(),
        other_channel_id: (!other.is_empty()).then(|| other.to_owned()),
        agent_answer_ms: AGENT_ANSWER_MS,
    };
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
                originate: Some(leg),
            };
            Some(crate::ajam_events::place_call(app, &req))
        }
        _ => {
            // Nothing rings; the `Local/` pair still comes and goes, and `OriginateResponse`
            // says Failure. (Without `pt1c_cid` a real PBX would still ring the agent and then
            // redirect it nowhere; the simulator places nothing: the SDK always sets it.)
            crate::ajam_events::originate_failed(app, &leg, channel_id);
            None
        }
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

/// `WaitEvent` over the wire: real TLS to the AJAM listener, the manager created through REST,
/// calls placed by `Originate` and by `/_sim/calls`, the clock stepped with `/_sim/clock`.
#[cfg(test)]
mod waitevent_wire {
    use std::time::{Duration, Instant};

    use crate::test_support::*;
    use crate::{RunningSimulator, Simulator};
    use serde_json::{Value, json};

    const CHANNEL_ID: &str = "sdk-3f0c2a9e-5b7d-4c1e-9a2f-6d8b0e4c7a15";

    async fn sim() -> RunningSimulator {
        Simulator::builder().cdr_records(10).start().await.unwrap()
    }

    /// A manager with these `<class>_<read|write>` rights, ACL "127.0.0.1 only".
    async fn manager(sim: &RunningSimulator, username: &str, rights: &[&str], filter: &str) {
        let mut permissions = serde_json::Map::new();
        for class in ["call", "cdr", "originate", "reporting", "user", "system"] {
            for access in ["read", "write"] {
                let key = format!("{class}_{access}");
                permissions.insert(key.clone(), json!(rights.contains(&key.as_str())));
            }
        }
        let (status, v) = json(client(sim, LOCAL).post(api(sim, "asterisk-managers")).json(
            &json!({"username": username, "secret": "Wait-Event-Secret-1", "networkfilterid": "4",
                    "eventfilter": filter, "permissions": permissions}),
        ))
        .await;
        assert_eq!(status, 201, "{v}");
    }

    async fn control(sim: &RunningSimulator, path: &str, body: Value) -> Value {
        let (status, v) = json(
            client(sim, LOCAL)
                .post(format!("{}/_sim/{path}", sim.url()))
                .header("X-Sim-Control", sim.control_token())
                .json(&body),
        )
        .await;
        assert_eq!(status, 200, "{v}");
        v
    }

    async fn advance(sim: &RunningSimulator, ms: u64) {
        control(sim, "clock", json!({ "advance_ms": ms })).await;
    }

    async fn place(sim: &RunningSimulator, body: Value) -> String {
        control(sim, "calls", body).await["linkedid"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// One AJAM client: its session cookie, kept as a browser would.
    #[derive(Clone)]
    struct Ajam {
        c: reqwest::Client,
        url: String,
        cookie: Option<String>,
    }

    impl Ajam {
        fn new(sim: &RunningSimulator) -> Ajam {
            Ajam {
                c: client(sim, LOCAL),
                url: format!("{}/asterisk/rawman", sim.ajam_url().unwrap()),
                cookie: None,
            }
        }

        /// POSTs the form; returns the status and body, and keeps the session cookie.
        async fn send(&mut self, form: &[(&str, &str)]) -> (u16, String) {
            let body: String = url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(form)
                .finish();
            let mut req = self
                .c
                .post(&self.url)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .body(body);
            if let Some(c) = &self.cookie {
                req = req.header("Cookie", c);
            }
            let resp = req.send().await.expect("AJAM answers");
            let status = resp.status().as_u16();
            if let Some(v) = resp.headers().get("set-cookie") {
                let v = v.to_str().unwrap();
                self.cookie = Some(v.split(';').next().unwrap().to_owned());
            }
            (status, resp.text().await.unwrap())
        }

        async fn login(&mut self, username: &str) {
            let (_, text) = self
                .send(&[
                    ("Action", "Login"),
                    ("Username", username),
                    ("Secret", "Wait-Event-Secret-1"),
                ])
                .await;
            assert_eq!(
                text,
                "Response: Success\r\nMessage: Authentication accepted\r\n\r\n"
            );
        }

        async fn wait(&mut self, timeout: &str, action_id: &str) -> String {
            let mut form = vec![("Action", "WaitEvent"), ("ActionID", action_id)];
            if !timeout.is_empty() {
                form.push(("Timeout", timeout));
            }
            self.send(&form).await.1
        }
    }

    /// The blocks of an AMI answer, each as (header, value) pairs.
    fn blocks(text: &str) -> Vec<Vec<(String, String)>> {
        assert!(text.ends_with("\r\n\r\n"), "{text:?}");
        text.trim_end_matches("\r\n\r\n")
            .split("\r\n\r\n")
            .map(|b| {
                b.split("\r\n")
                    .map(|l| {
                        let (k, v) = l.split_once(": ").unwrap_or_else(|| panic!("{l:?}"));
                        (k.to_owned(), v.to_owned())
                    })
                    .collect()
            })
            .collect()
    }

    fn get<'a>(b: &'a [(String, String)], k: &str) -> &'a str {
        b.iter()
            .find(|(h, _)| h == k)
            .map_or("", |(_, v)| v.as_str())
    }

    /// The events of a `WaitEvent` answer, after checking its frame.
    fn events(text: &str, action_id: &str) -> Vec<Vec<(String, String)>> {
        let mut b = blocks(text);
        let head = b.remove(0);
        assert_eq!(
            head,
            [
                ("Response".into(), "Success".into()),
                ("ActionID".into(), action_id.into()),
                ("Message".into(), "Waiting for Event completed.".into())
            ],
            "{text}"
        );
        let tail = b.pop().unwrap();
        assert_eq!(
            tail,
            [
                ("Event".into(), "WaitEventComplete".into()),
                ("ActionID".into(), action_id.into())
            ],
            "{text}"
        );
        for e in &b {
            assert_eq!(get(e, "Privilege"), "call,all", "{e:?}");
            assert_eq!(get(e, "SystemName"), "mikopbx", "{e:?}");
            assert!(get(e, "Timestamp").contains('.'), "{e:?}");
        }
        b
    }

    fn names(evs: &[Vec<(String, String)>]) -> Vec<&str> {
        evs.iter().map(|e| get(e, "Event")).collect()
    }

    async fn originate(a: &mut Ajam, action_id: &str) -> String {
        a.send(&[
            ("Action", "Originate"),
            ("Channel", "Local/201@internal-originate"),
            ("Context", "all_peers"),
            ("Exten", "79161234567"),
            ("Priority", "1"),
            ("CallerID", "201"),
            ("Variable", "pt1c_cid=79161234567"),
            ("Async", "true"),
            ("ChannelId", CHANNEL_ID),
            ("ActionID", action_id),
        ])
        .await
        .1
    }

    #[tokio::test]
    async fn an_originate_raises_newchannel_to_hangup_with_its_channelid_as_linkedid() {
        let sim = sim().await;
        manager(&sim, "events", &["call_read", "originate_write"], "").await;
        let mut a = Ajam::new(&sim);
        a.login("events").await;
        assert!(
            originate(&mut a, "o-1")
                .await
                .contains("Originate successfully queued")
        );

        // At once: the Local pair, the agent's phone ringing.
        let first = events(&a.wait("0", "w-1").await, "w-1");
        assert_eq!(
            names(&first),
            [
                "Newchannel",
                "Newchannel",
                "LocalBridge",
                "Newchannel",
                "DialBegin",
                "Newstate",
                "DialState"
            ]
        );
        let l1 = get(&first[0], "Channel").to_owned();
        assert!(
            l1.starts_with("Local/201@internal-originate-") && l1.ends_with(";1"),
            "{l1}"
        );
        assert_eq!(get(&first[0], "Uniqueid"), CHANNEL_ID);
        assert_eq!(get(&first[0], "ChannelStateDesc"), "Down");
        assert_eq!(get(&first[1], "Uniqueid"), format!("{CHANNEL_ID};2"));
        assert_eq!(get(&first[1], "ChannelState"), "4");
        assert_eq!(get(&first[2], "LocalOneChannel"), l1);
        assert_eq!(get(&first[2], "LocalOptimization"), "Yes");
        let agent = get(&first[3], "Channel").to_owned();
        assert!(agent.starts_with("PJSIP/201-"), "{agent}");
        // `;2` calls the agent with the customer's number as its caller id.
        let dial = &first[4];
        assert_eq!(get(dial, "Channel"), l1.replace(";1", ";2"));
        assert_eq!(get(dial, "CallerIDNum"), "79161234567");
        assert_eq!(get(dial, "DestChannel"), agent);
        assert_eq!(get(dial, "DestConnectedLineNum"), "79161234567");
        assert_eq!(get(&first[6], "DialStatus"), "RINGING");
        assert_eq!(get(&first[6], "DestChannelStateDesc"), "Ringing");

        // The rest of the call.
        advance(&sim, 7000).await;
        let rest = events(&a.wait("0", "w-2").await, "w-2");
        assert_eq!(
            names(&rest),
            [
                "Newstate",
                "DialEnd",
                "Newstate",
                "Newstate",
                "OriginateResponse",
                "BridgeCreate",
                "BridgeEnter",
                "BridgeEnter",
                "BridgeLeave",
                "BridgeLeave",
                "BridgeDestroy",
                "Hangup",
                "Hangup",
                "Newchannel",
                "DialBegin",
                "Newstate",
                "DialState",
                "Newstate",
                "DialEnd",
                "BridgeCreate",
                "BridgeEnter",
                "BridgeEnter",
                "BridgeLeave",
                "BridgeLeave",
                "BridgeDestroy",
                "Hangup",
                "Hangup"
            ]
        );
        let resp = &rest[4];
        assert_eq!(get(resp, "ActionID"), "o-1");
        assert_eq!(get(resp, "Response"), "Success");
        assert_eq!(get(resp, "Channel"), l1);
        assert_eq!(get(resp, "Context"), "all_peers");
        assert_eq!(get(resp, "Exten"), "79161234567");
        assert_eq!(get(resp, "Reason"), "4");
        assert_eq!(get(resp, "Uniqueid"), CHANNEL_ID);
        assert_eq!(get(resp, "CallerIDNum"), "201");
        assert_eq!(get(resp, "CallerIDName"), "<unknown>");
        let vars = resp
            .iter()
            .filter(|(k, _)| *k == format!("ChanVariable({l1})"))
            .count();
        assert_eq!(vars, 16);
        // Every channel of every event is in the call the ChannelId names.
        for e in first.iter().chain(&rest) {
            for (k, v) in e {
                if k.ends_with("Linkedid") {
                    assert_eq!(v, CHANNEL_ID, "{e:?}");
                }
            }
        }
        let customer = get(&rest[13], "Channel").to_owned();
        assert!(
            customer.starts_with("PJSIP/SIP-TRUNK-ABCDEF12-"),
            "{customer}"
        );
        assert_eq!(get(&rest[14], "Channel"), agent);
        assert_eq!(
            get(&rest[14], "DialString"),
            "79161234567@SIP-TRUNK-ABCDEF12"
        );
        assert_eq!(get(&rest[18], "DialStatus"), "ANSWER");
        for h in [&rest[11], &rest[12], &rest[25], &rest[26]] {
            assert_eq!(get(h, "Cause"), "16", "{h:?}");
            assert_eq!(get(h, "Cause-txt"), "Normal Clearing");
        }
        assert_eq!(get(&rest[25], "Channel"), customer);
        assert_eq!(get(&rest[26], "Channel"), agent);
        // The pbx-status row and the CDR name the same two channels.
        let (_, st) =
            json(client(&sim, LOCAL).get(api(&sim, "pbx-status:getActiveChannels"))).await;
        assert!(!st.to_string().contains(CHANNEL_ID), "{st}");
        advance(&sim, 2000).await; // WorkerCdr's lag
        let (_, cdr) = json(client(&sim, LOCAL).get(api(
            &sim,
            &format!("cdr?linkedid={CHANNEL_ID}&grouped=false"),
        )))
        .await;
        let row = &cdr["data"]["records"][0];
        assert_eq!(row["src_chan"], agent.as_str(), "{cdr}");
        assert_eq!(row["dst_chan"], customer.as_str(), "{cdr}");

        // Nothing is delivered twice.
        assert!(events(&a.wait("0", "w-3").await, "w-3").is_empty());
    }

    #[tokio::test]
    async fn an_originate_that_rings_nobody_answers_failure() {
        let sim = sim().await;
        manager(&sim, "events", &["call_read", "originate_write"], "").await;
        let mut a = Ajam::new(&sim);
        a.login("events").await;
        let (_, text) = a
            .send(&[
                ("Action", "Originate"),
                ("Channel", "Local/999@internal-originate"),
                ("Context", "all_peers"),
                ("Exten", "79161234567"),
                ("Priority", "1"),
                ("CallerID", "999"),
                ("Variable", "pt1c_cid=79161234567"),
                ("ChannelId", CHANNEL_ID),
            ])
            .await;
        assert!(text.contains("Originate successfully queued"), "{text}");
        advance(&sim, 3000).await;
        let evs = events(&a.wait("0", "f").await, "f");
        assert_eq!(
            names(&evs),
            [
                "Newchannel",
                "Newchannel",
                "LocalBridge",
                "Hangup",
                "Hangup",
                "OriginateResponse"
            ]
        );
        let resp = evs.last().unwrap();
        assert_eq!(get(resp, "Response"), "Failure");
        assert_eq!(get(resp, "Channel"), "Local/999@internal-originate");
        assert_eq!(get(resp, "Reason"), "0");
        assert_eq!(get(resp, "Uniqueid"), CHANNEL_ID);
        assert!(!resp.iter().any(|(k, _)| k.starts_with("ChanVariable")));
        assert!(!resp.iter().any(|(k, _)| k == "ActionID"));
    }

    #[tokio::test]
    async fn a_manager_without_call_read_gets_no_call_events_but_the_others_do() {
        let sim = sim().await;
        manager(&sim, "watcher", &["call_read"], "").await;
        manager(&sim, "dialer", &["originate_write"], "").await;
        let mut w = Ajam::new(&sim);
        w.login("watcher").await;
        let mut d = Ajam::new(&sim);
        d.login("dialer").await;
        assert!(
            originate(&mut d, "o-7")
                .await
                .contains("Originate successfully queued")
        );
        advance(&sim, 7000).await;
        // Queued events end the wait at once, even ones the session may not read.
        let t = Instant::now();
        let text = d.wait("30", "d-1").await;
        assert!(t.elapsed() < Duration::from_secs(3));
        assert!(events(&text, "d-1").is_empty(), "{text}");
        // Events are broadcast: the watcher sees the dialer's OriginateResponse.
        let seen = events(&w.wait("0", "w-1").await, "w-1");
        let resp = seen
            .iter()
            .find(|e| get(e, "Event") == "OriginateResponse")
            .unwrap();
        assert_eq!(get(resp, "ActionID"), "o-7");
    }

    #[tokio::test]
    async fn eventfilter_lines_choose_the_events() {
        let sim = sim().await;
        manager(&sim, "lean", &["call_read"], "Event: (Newchannel|Hangup)").await;
        let mut a = Ajam::new(&sim);
        a.login("lean").await;
        let linkedid = place(
            &sim,
            json!({"from": "79161234567", "to": "201", "answer_after_ms": 800, "talk_ms": 1000}),
        )
        .await;
        advance(&sim, 3000).await;
        let evs = events(&a.wait("0", "f").await, "f");
        assert_eq!(
            names(&evs),
            ["Newchannel", "Newchannel", "Hangup", "Hangup"]
        );
        assert!(evs.iter().all(|e| get(e, "Linkedid") == linkedid));
    }

    #[tokio::test]
    async fn waitevent_waits_for_an_event_or_the_timeout_on_the_simulated_clock() {
        let sim = sim().await;
        manager(&sim, "waiter", &["call_read"], "").await;
        let mut a = Ajam::new(&sim);
        a.login("waiter").await;

        // An event arriving ends the wait.
        let mut w = a.clone();
        let waiting = tokio::spawn(async move { w.wait("30", "w-1").await });
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(!waiting.is_finished());
        let linkedid = place(
            &sim,
            json!({"from": "79161234567", "to": "201", "answer_after_ms": 800, "talk_ms": 1000}),
        )
        .await;
        let text = tokio::time::timeout(Duration::from_secs(5), waiting)
            .await
            .expect("woken by the call")
            .unwrap();
        let evs = events(&text, "w-1");
        assert_eq!(names(&evs)[0], "Newchannel");
        assert_eq!(get(&evs[0], "Uniqueid"), linkedid);
        assert!(!names(&evs).contains(&"Hangup"), "only what has happened");

        // The rest of the call, then nothing: the timeout runs on the simulated clock.
        advance(&sim, 3000).await;
        assert!(names(&events(&a.wait("0", "w-2").await, "w-2")).contains(&"Hangup"));
        let mut w = a.clone();
        let waiting = tokio::spawn(async move { w.wait("5", "w-3").await });
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(!waiting.is_finished());
        advance(&sim, 6000).await;
        let text = tokio::time::timeout(Duration::from_secs(5), waiting)
            .await
            .expect("timed out on the simulated clock")
            .unwrap();
        assert!(events(&text, "w-3").is_empty());

        // No Timeout (or one too long): at most sessiontimeout - now - 10 = 50 s.
        let mut w = a.clone();
        let waiting = tokio::spawn(async move { w.wait("", "w-4").await });
        tokio::time::sleep(Duration::from_millis(300)).await;
        advance(&sim, 45_000).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(!waiting.is_finished(), "still within 50 s");
        advance(&sim, 6000).await;
        let text = tokio::time::timeout(Duration::from_secs(5), waiting)
            .await
            .expect("capped at 50 s")
            .unwrap();
        assert!(events(&text, "w-4").is_empty());
    }

    #[tokio::test]
    async fn a_second_waitevent_on_the_session_abandons_the_first() {
        let sim = sim().await;
        manager(&sim, "twice", &["call_read"], "").await;
        let mut a = Ajam::new(&sim);
        a.login("twice").await;
        let mut w = a.clone();
        let first =
            tokio::spawn(
                async move { w.send(&[("Action", "WaitEvent"), ("Timeout", "30")]).await },
            );
        tokio::time::sleep(Duration::from_millis(300)).await;
        let second = a.wait("0", "second").await;
        assert!(events(&second, "second").is_empty());
        let (status, body) = tokio::time::timeout(Duration::from_secs(5), first)
            .await
            .expect("kicked out")
            .unwrap();
        assert_eq!((status, body.as_str()), (200, ""));
    }

    #[tokio::test]
    async fn the_session_expires_after_httptimeout_and_its_queued_events_with_it() {
        let sim = sim().await;
        manager(&sim, "idle", &["call_read"], "").await;
        let mut a = Ajam::new(&sim);
        a.login("idle").await;
        let call =
            json!({"from": "201", "to": "79161234567", "answer_after_ms": 500, "talk_ms": 500});
        let first = place(&sim, call.clone()).await;
        // 59 s idle: still there, with the whole call queued.
        advance(&sim, 59_000).await;
        let evs = events(&a.wait("0", "e-1").await, "e-1");
        assert_eq!(names(&evs).len(), 16, "{:?}", names(&evs));
        let with_channel = evs
            .iter()
            .filter(|e| e.iter().any(|(k, _)| k == "Linkedid"));
        assert!(with_channel.clone().count() >= 12);
        assert!(with_channel.clone().all(|e| get(e, "Linkedid") == first));
        // The outgoing call: the phone's channel rings the provider, which shows the number.
        assert_eq!(get(&evs[0], "Context"), "all_peers");
        assert_eq!(get(&evs[0], "Exten"), "79161234567");
        assert_eq!(get(&evs[2], "DestCallerIDNum"), "79161234567");
        assert_eq!(get(&evs[2], "DestConnectedLineNum"), "201");

        // 61 s idle: gone. The cookie no longer logs in anything, and a new session does not
        // see what was queued for the old one.
        let old_cookie = a.cookie.clone();
        place(&sim, call).await;
        advance(&sim, 61_000).await;
        let (_, text) = a.send(&[("Action", "WaitEvent"), ("Timeout", "0")]).await;
        assert_eq!(
            text,
            "Response: Error\r\nMessage: Permission denied\r\n\r\n"
        );
        assert_ne!(a.cookie, old_cookie);
        a.login("idle").await;
        assert!(events(&a.wait("0", "e-2").await, "e-2").is_empty());
    }

    #[tokio::test]
    async fn unread_events_older_than_150_s_are_purged_but_the_newest() {
        let sim = sim().await;
        manager(&sim, "slow", &["call_read"], "").await;
        let mut a = Ajam::new(&sim);
        a.login("slow").await;
        place(
            &sim,
            json!({"from": "201", "to": "202", "answer_after_ms": 500, "talk_ms": 500}),
        )
        .await;
        for _ in 0..4 {
            advance(&sim, 45_000).await;
            let (_, pong) = a.send(&[("Action", "Ping")]).await;
            assert!(
                pong.starts_with("Response: Success\r\nPing: Pong\r\n"),
                "{pong}"
            );
        }
        let evs = events(&a.wait("0", "p").await, "p");
        // `purge_events` never releases the last event of the queue.
        assert_eq!(names(&evs), ["Hangup"]);
        assert!(get(&evs[0], "Channel").starts_with("PJSIP/201-"));
    }

    #[tokio::test]
    async fn a_missed_incoming_call_and_what_a_session_sees_of_a_call_begun_before_it() {
        let sim = sim().await;
        manager(&sim, "late", &["call_read"], "").await;
        let linkedid = place(
            &sim,
            json!({"from": "79161234567", "to": "201", "ring_ms": 1000}),
        )
        .await;
        let mut a = Ajam::new(&sim);
        a.login("late").await;
        advance(&sim, 2000).await;
        let evs = events(&a.wait("0", "m").await, "m");
        assert_eq!(names(&evs), ["DialEnd", "Hangup", "Hangup"]);
        assert_eq!(get(&evs[0], "DialStatus"), "NOANSWER");
        assert!(get(&evs[1], "Channel").starts_with("PJSIP/201-"));
        assert_eq!(
            (get(&evs[1], "Cause"), get(&evs[1], "Cause-txt")),
            ("0", "Unknown")
        );
        let trunk = &evs[2];
        assert_eq!(get(trunk, "Uniqueid"), linkedid);
        assert_eq!(get(trunk, "CallerIDNum"), "79161234567");
        assert_eq!(get(trunk, "Context"), "SIP-TRUNK-ABCDEF12-incoming");
        assert_eq!(get(trunk, "Exten"), "74951234567");
        assert!(trunk.contains(&("ChanVariable".into(), "FROM_DID=74951234567".into())));
        assert_eq!(get(trunk, "Cause"), "16");
    }

    #[tokio::test]
    async fn other_actions_still_get_the_unknown_command_error() {
        let sim = sim().await;
        manager(&sim, "plain", &["call_read"], "").await;
        let mut a = Ajam::new(&sim);
        let (_, text) = a.send(&[("Action", "WaitEvent")]).await;
        assert_eq!(
            text,
            "Response: Error\r\nMessage: Permission denied\r\n\r\n"
        );
        a.login("plain").await;
        let (_, text) = a
            .send(&[("Action", "CoreShowChannels"), ("ActionID", "x")])
            .await;
        assert_eq!(
            text,
            "Response: Error\r\nActionID: x\r\nMessage: Invalid/unknown command: CoreShowChannels. \
             Use Action: ListCommands to show available commands.\r\n\r\n"
        );
    }
}

#[cfg(test)]
mod parse_tests {
    use super::*;

    #[test]
    fn timeout_reads_like_sscanf_percent_i() {
        assert_eq!(scan_c_int("30"), Some(30));
        assert_eq!(scan_c_int("  -5x"), Some(-5));
        assert_eq!(scan_c_int("0x1f"), Some(31));
        assert_eq!(scan_c_int("010"), Some(8));
        assert_eq!(scan_c_int("+7"), Some(7));
        assert_eq!(scan_c_int("abc"), None);
        assert_eq!(scan_c_int("99999999999"), Some(i32::MAX as i64));
    }

    #[test]
    fn callerid_splits_like_ast_callerid_parse() {
        assert_eq!(parse_callerid("201"), ("201".into(), String::new()));
        assert_eq!(
            parse_callerid("\"Ann Lee\" <201>"),
            ("201".into(), "Ann Lee".into())
        );
        assert_eq!(parse_callerid("Ann"), (String::new(), "Ann".into()));
        assert_eq!(
            parse_callerid("(495) 123-45"),
            ("49512345".into(), String::new())
        );
    }
}
