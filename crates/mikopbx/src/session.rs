//! The web session, the second kind of credential: an admin tool logs in with a web user's name
//! and password ([`Client::login`]) instead of holding an API key.
//!
//! How the PBX does it (mikopbx-api.md §2a; `src/PBXCoreREST/Lib/Auth/*` in mikopbx/Core):
//! `POST auth:login` answers with a JWT access token valid `expiresIn` seconds (900) and sets
//! the refresh token as an `HttpOnly` cookie, never in the body; `POST auth:refresh` with that
//! cookie mints a new access token (the cookie itself is not rotated, and lives 30 days in the
//! PBX's Redis); `POST auth:logout` with the access token and the cookie deletes the refresh
//! token. A JWT cannot be revoked: it stays valid until it expires, plus a 600 s leeway.
//!
//! What the client does with it:
//!
//! - Both tokens live in this process's memory only, as secrets: never on disk, never in
//!   `Debug`, `Display`, logs or errors. Nobody can read them through the SDK, not even the
//!   caller: [`Client::login`] returns a [`SessionInfo`] (the user and the expiry), no token.
//! - Every request then carries `Authorization: Bearer <access token>`. The refresh cookie is
//!   sent only to `auth:refresh` and `auth:logout`, on the client's own origin (reqwest's cookie
//!   store stays off: this module is the whole cookie jar, and it holds one cookie).
//! - The access token is renewed shortly before it expires (a quarter of its lifetime ahead, at
//!   most a minute), lazily, by the first call that needs it; calls made meanwhile wait for that
//!   one renewal and use its token (no stampede). A 401 to a call renews once and repeats the
//!   call once (a 401 is the middleware refusing before any work is done, so even a POST is safe
//!   to repeat); a second 401 stands. A refresh token the PBX refuses ends the session:
//!   `Unauthorized` ([`UnauthorizedCause::SessionExpired`]) until the next `login`.
//! - The password is sent once and not kept. A login is never repeated after an ambiguous
//!   failure (a timeout, a connection reset): only when nothing was sent, or on the "queue full"
//!   503 the PBX answers before doing any work. Ten failed logins from one address in five
//!   minutes make the PBX refuse every login (429) and can get the address banned by fail2ban.
//! - A client holds one credential: one built with an API key refuses `login`.
//!
//! ```no_run
//! # async fn run() -> Result<(), mikopbx::Error> {
//! use mikopbx::Client;
//! let client = Client::builder("https://pbx.example.com").build()?;
//! let session = client.login("admin", &std::env::var("PBX_PASSWORD").unwrap_or_default()).await?;
//! println!("logged in as {}", session.login);
//! client.system().check_auth().await?;
//! client.logout().await?;
//! # Ok(()) }
//! ```

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use reqwest::header::{HeaderMap, SET_COOKIE};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use tokio::time::Instant;

use crate::client::{Client, Credentials, Reply};
use crate::describe::{ReturnType, Returns};
use crate::error::{Diagnosis, Error, UnauthorizedCause};
use crate::operations::{HttpMethod, OperationSpec, ResponseShape};
use crate::permissions::{Access, Resource};

/// The name of the cookie `auth:login` sets (`Controllers/Auth/RestController.php`).
const REFRESH_COOKIE: &str = "refreshToken";
/// Renew the access token this long before it expires, at most (a quarter of its lifetime when
/// that is shorter).
const MAX_MARGIN: Duration = Duration::from_secs(60);
/// After a renewal failed while the token is still valid, try again after this long (or at the
/// expiry, whichever comes first), not on every call.
const RENEW_AGAIN_AFTER: Duration = Duration::from_secs(10);
/// Longest lifetime taken from `expiresIn` (the PBX says 900 s); keeps the arithmetic finite.
const MAX_LIFETIME: Duration = Duration::from_secs(366 * 24 * 3600);

/// The session operations, outside the operations table: they are reached only through
/// [`Client::login`], the renewal and [`Client::logout`], which keep the tokens to themselves.
const fn spec(
    name: &'static str,
    method_name: &'static str,
    path_template: &'static str,
    idempotent: bool,
    public: bool,
    summary: &'static str,
) -> OperationSpec {
    OperationSpec {
        name,
        wire: name,
        method: HttpMethod::Post,
        path_template,
        resource: Resource::Auth,
        access: Access::Write,
        idempotent,
        public,
        dangerous: false,
        shape: ResponseShape::Object,
        summary,
        doc: "Part of the web session; use `Client::login` and `Client::logout`.\n",
        handle: "auth",
        handle_type: "Client",
        method_name,
        params: &[],
        returns: ReturnType {
            form: Returns::Nothing,
            ty: "()",
            model: None,
            cursor: None,
        },
    }
}

/// `POST auth:login` with `login` and `password`: the access token, and the refresh cookie.
/// Public; never repeated after an ambiguous failure (the password would be tried twice).
pub const AUTH_LOGIN: OperationSpec = spec(
    "auth.login",
    "login",
    "/pbxcore/api/v3/auth:login",
    false,
    true,
    "Starts a web session with a user name and password (public)",
);

/// `POST auth:refresh` with the refresh cookie: a new access token. Public; harmless to repeat
/// (the PBX does not rotate the refresh token).
pub const AUTH_REFRESH: OperationSpec = spec(
    "auth.refresh",
    "refresh",
    "/pbxcore/api/v3/auth:refresh",
    true,
    true,
    "Renews the session's access token with its refresh cookie (public)",
);

/// `POST auth:logout` with the access token and the refresh cookie: deletes the refresh token.
/// Harmless to repeat (a second one finds nothing to delete).
pub const AUTH_LOGOUT: OperationSpec = spec(
    "auth.logout",
    "logout",
    "/pbxcore/api/v3/auth:logout",
    true,
    false,
    "Ends the web session: the PBX forgets its refresh token",
);

/// The session as [`Client::login`] and [`Client::session`] report it: who is logged in and until
/// when the current access token is valid. Never a token.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct SessionInfo {
    /// The user the PBX logged in (`data.login` of `auth:login`).
    pub login: String,
    /// When the current access token expires, by this machine's clock. It moves forward each
    /// time the client renews the token.
    pub expires_at: SystemTime,
}

/// What a response said about the refresh cookie.
#[derive(Clone, Debug)]
pub(crate) enum CookieUpdate {
    /// A (new) value.
    Set(SecretString),
    /// Deleted (`refreshToken=deleted; Max-Age=0`, what PHP writes for an empty value).
    Cleared,
}

/// The `refreshToken` cookie among a response's `Set-Cookie` headers. Its value is opaque (the
/// PBX may encrypt it) and sent back exactly as received.
pub(crate) fn refresh_cookie(headers: &HeaderMap) -> Option<CookieUpdate> {
    let mut found = None;
    for header in headers.get_all(SET_COOKIE) {
        let Ok(text) = header.to_str() else { continue };
        let mut parts = text.split(';');
        let Some((name, value)) = parts.next().and_then(|p| p.split_once('=')) else {
            continue;
        };
        if name.trim() != REFRESH_COOKIE {
            continue;
        }
        let value = value.trim();
        let expired = parts.any(|attribute| {
            attribute
                .split_once('=')
                .filter(|(k, _)| k.trim().eq_ignore_ascii_case("max-age"))
                .and_then(|(_, v)| v.trim().parse::<i64>().ok())
                .is_some_and(|age| age <= 0)
        });
        found = Some(if expired || value.is_empty() || value == "deleted" {
            CookieUpdate::Cleared
        } else {
            CookieUpdate::Set(SecretString::from(value.to_owned()))
        });
    }
    found
}

/// The tokens of a live session.
#[derive(Clone)]
pub(crate) struct Tokens {
    access: SecretString,
    refresh: Option<SecretString>,
    login: String,
    /// When to renew (monotonic clock).
    renew_at: Instant,
    /// When the access token expires (monotonic clock; the PBX still takes it for 600 s more).
    expires_at: Instant,
    expires_at_wall: SystemTime,
    /// Changes with every renewal, so that a call that met a 401 can tell whether another call
    /// has renewed the token since it took it.
    generation: u64,
}

impl Tokens {
    /// The access token, for the `Authorization` header only.
    pub(crate) fn bearer(&self) -> &str {
        self.access.expose_secret()
    }

    fn due(&self) -> bool {
        Instant::now() >= self.renew_at
    }

    fn expired(&self) -> bool {
        Instant::now() >= self.expires_at
    }

    fn info(&self) -> SessionInfo {
        SessionInfo {
            login: self.login.clone(),
            expires_at: self.expires_at_wall,
        }
    }
}

/// Why a session is over.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ended {
    LoggedOut,
    Expired,
}

#[derive(Clone)]
enum State {
    /// Never logged in: requests carry no credential (the PBX then serves only 127.0.0.1/::1).
    None,
    Active(Arc<Tokens>),
    /// Requests are refused locally until the next `login`.
    Ended(Ended),
}

/// A client's session slot.
pub(crate) struct Session {
    state: Mutex<State>,
    /// Held by whoever logs in, renews or logs out: one of them at a time, and the calls that
    /// find the token due wait here for the one renewal. Never held by an ordinary call.
    turn: tokio::sync::Mutex<()>,
    generation: AtomicU64,
}

impl Default for Session {
    fn default() -> Self {
        Session {
            state: Mutex::new(State::None),
            turn: tokio::sync::Mutex::new(()),
            generation: AtomicU64::new(0),
        }
    }
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &*self.lock() {
            State::None => f.write_str("none"),
            State::Active(t) => write!(f, "logged in as {:?}", t.login),
            State::Ended(Ended::LoggedOut) => f.write_str("logged out"),
            State::Ended(Ended::Expired) => f.write_str("expired"),
        }
    }
}

impl Session {
    fn lock(&self) -> MutexGuard<'_, State> {
        // Every write replaces the whole value, so a panic cannot leave it half-written.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn current(&self) -> State {
        self.lock().clone()
    }

    fn set(&self, state: State) {
        *self.lock() = state;
    }

    fn next_generation(&self) -> u64 {
        self.generation.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// Whether this client has ever logged in (its requests then never go out without a token).
    pub(crate) fn in_use(&self) -> bool {
        !matches!(&*self.lock(), State::None)
    }

    /// Whether the session is over (logged out, or its refresh token refused).
    pub(crate) fn has_ended(&self) -> bool {
        matches!(&*self.lock(), State::Ended(_))
    }
}

/// Sets the session to "logged out" when dropped: `logout` forgets the tokens whatever happens
/// to the request (an error, a timeout, the future dropped).
struct ForgetOnDrop<'a>(&'a Session);

impl Drop for ForgetOnDrop<'_> {
    fn drop(&mut self) {
        self.0.set(State::Ended(Ended::LoggedOut));
    }
}

/// The token grant of `auth:login` / `auth:refresh`: `{accessToken, tokenType, expiresIn,
/// login|homePage}`. Read field by field, so that no error ever quotes the body (it holds the
/// token).
struct Grant {
    access: SecretString,
    lifetime: Duration,
    login: Option<String>,
}

fn grant(op: &OperationSpec, reply: &Reply) -> Result<Grant, Error> {
    let fail = |detail: &str| Error::Decode {
        operation: Some(op.name.into()),
        status: Some(reply.status),
        detail: detail.to_owned(),
        excerpt: String::new(),
    };
    let mut data: Value = serde_json::from_str(reply.envelope.raw_data())
        .map_err(|_| fail("data is not a JSON object"))?;
    let access = match data.get_mut("accessToken").map(Value::take) {
        Some(Value::String(t)) if !t.is_empty() => SecretString::from(t),
        _ => return Err(fail("the answer has no accessToken")),
    };
    if let Some(kind) = data.get("tokenType").and_then(Value::as_str)
        && !kind.eq_ignore_ascii_case("bearer")
    {
        return Err(fail("the token is not a Bearer token (tokenType)"));
    }
    let seconds = match data.get("expiresIn") {
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    };
    let lifetime = match seconds {
        Some(s) if s > 0 => Duration::from_secs(s).min(MAX_LIFETIME),
        _ => return Err(fail("the answer has no positive expiresIn")),
    };
    let login = data.get("login").and_then(|v| match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    });
    Ok(Grant {
        access,
        lifetime,
        login,
    })
}

impl Grant {
    fn into_tokens(self, refresh: Option<SecretString>, login: String, generation: u64) -> Tokens {
        let now = Instant::now();
        let margin = (self.lifetime / 4).min(MAX_MARGIN);
        let expires_at = now.checked_add(self.lifetime).unwrap_or(now + MAX_MARGIN);
        Tokens {
            access: self.access,
            refresh,
            login,
            renew_at: expires_at - margin,
            expires_at,
            expires_at_wall: SystemTime::now()
                .checked_add(self.lifetime)
                .unwrap_or(SystemTime::now()),
            generation,
        }
    }
}

fn unauthorized(status: Option<u16>, messages: Vec<String>, diagnosis: Diagnosis) -> Error {
    Error::Unauthorized {
        operation: None,
        status,
        diagnosis: diagnosis.into(),
        messages,
    }
}

/// `auth:login` answered 401.
fn wrong_credentials(status: Option<u16>, messages: Vec<String>) -> Error {
    let said = if messages.is_empty() {
        String::new()
    } else {
        format!("The PBX said: {}. ", messages.join("; "))
    };
    unauthorized(
        status,
        messages,
        Diagnosis {
            cause: UnauthorizedCause::WrongCredentials,
            ruled_out: vec!["TLS and reachability (the PBX answered)".into()],
            remaining: Vec::new(),
            advice: format!(
                "{said}Check the user name and password (those of the PBX's web interface). \
                 After 10 failed logins from one address in 5 minutes the PBX refuses every \
                 login for the rest of the window, and fail2ban may ban the address; the \
                 client never repeats a password"
            ),
        },
    )
    .with_operation(AUTH_LOGIN.name)
}

fn ended(reason: Ended) -> Error {
    match reason {
        Ended::LoggedOut => unauthorized(
            None,
            Vec::new(),
            Diagnosis {
                cause: UnauthorizedCause::LoggedOut,
                ruled_out: Vec::new(),
                remaining: Vec::new(),
                advice: "Call login() again to start a new session".into(),
            },
        ),
        Ended::Expired => session_expired(None, Vec::new()),
    }
}

/// `auth:refresh` answered 401 (or there was no refresh cookie to send).
fn session_expired(status: Option<u16>, messages: Vec<String>) -> Error {
    unauthorized(
        status,
        messages,
        Diagnosis {
            cause: UnauthorizedCause::SessionExpired,
            ruled_out: Vec::new(),
            remaining: Vec::new(),
            advice: "Call login() again to start a new session".into(),
        },
    )
}

/// A call refused with 401 again after its token was renewed: the refusal stands.
pub(crate) fn refused_after_renewal(e: Error) -> Error {
    match e {
        Error::Unauthorized {
            operation,
            status,
            messages,
            ..
        } => Error::Unauthorized {
            operation,
            status,
            messages,
            diagnosis: Diagnosis {
                cause: UnauthorizedCause::Undetermined,
                ruled_out: vec![
                    "an expired access token (it was renewed and the call repeated once)".into(),
                ],
                remaining: vec![
                    "an endpoint (or a proxy in front of the PBX) that refuses web-user sessions"
                        .into(),
                ],
                advice: "Log in again; if the call is still refused, reach it with an API key"
                    .into(),
            }
            .into(),
        },
        other => other,
    }
}

impl Client {
    /// Starts a web session: logs in as the PBX web user `username` (the built-in
    /// administrator is `admin`) with `password`, for admin tools that act as a person rather
    /// than hold an API key. From then on every call carries the session's access token, which
    /// the client renews by itself before it expires; [`Client::logout`] ends it. The tokens
    /// stay in memory, out of every `Debug`, log and error; the password is not kept.
    ///
    /// Errors: `Unauthorized` ([`UnauthorizedCause::WrongCredentials`]) for a wrong name or
    /// password, with the server's "N attempts left" in `messages`; `RateLimited` once the PBX
    /// refuses logins from this address (10 failures in 5 minutes); `Config` on a client built
    /// with an API key (one credential per client) or one already logged in; `Validation`,
    /// with nothing sent, for an empty name or password (it would count as a failed login). A
    /// login is never repeated after an ambiguous failure.
    pub async fn login(&self, username: &str, password: &str) -> Result<SessionInfo, Error> {
        if self.has_api_key() {
            return Err(Error::config(
                "login: this client was built with an API key, and a client holds one \
                 credential; build another client, without api_key, for the web session",
            ));
        }
        if username.trim().is_empty() || password.is_empty() {
            return Err(Error::Validation {
                operation: Some(AUTH_LOGIN.name.into()),
                status: None,
                messages: vec![
                    "login needs the web user's name and password (an empty one would only count \
                     as a failed login on the PBX)"
                        .into(),
                ],
            });
        }
        let session = self.session_slot();
        let _turn = session.turn.lock().await;
        if let State::Active(t) = session.current() {
            return Err(Error::config(format!(
                "login: this client is already logged in as {:?}; call logout() first",
                t.login
            )));
        }
        let deadline = Instant::now() + self.timeout();
        let body = json!({"login": username, "password": password});
        let sent = tokio::time::timeout_at(
            deadline,
            self.json_attempts(
                &AUTH_LOGIN,
                AUTH_LOGIN.path_template,
                &[],
                Some(&body),
                Credentials::NONE,
                deadline,
            ),
        )
        .await
        .unwrap_or_else(|_| Err(self.timed_out()));
        drop(body);
        let reply = match sent {
            Ok(reply) => reply,
            Err(Error::Unauthorized {
                status, messages, ..
            }) => return Err(wrong_credentials(status, messages)),
            Err(e) => return Err(e.with_operation(AUTH_LOGIN.name)),
        };
        let granted = grant(&AUTH_LOGIN, &reply)?;
        let refresh = match &reply.refresh_cookie {
            Some(CookieUpdate::Set(cookie)) => Some(cookie.clone()),
            _ => {
                tracing::warn!(
                    operation = AUTH_LOGIN.name,
                    "the PBX set no refresh cookie: the session ends when its access token expires"
                );
                None
            }
        };
        let login = granted.login.clone().unwrap_or_else(|| username.to_owned());
        let tokens = Arc::new(granted.into_tokens(refresh, login, session.next_generation()));
        let info = tokens.info();
        session.set(State::Active(tokens));
        tracing::debug!(operation = AUTH_LOGIN.name, "session started");
        Ok(info)
    }

    /// Ends the web session: `auth:logout` makes the PBX forget the refresh token, and the
    /// client forgets both tokens, whatever the answer (even if the call fails or is
    /// cancelled). Later calls are refused locally with `Unauthorized`
    /// ([`UnauthorizedCause::LoggedOut`]) until the next [`Client::login`]. The access token
    /// itself cannot be revoked: the PBX would accept it until it expires.
    ///
    /// Does nothing on a client that is not logged in; `Config` on a client with an API key.
    /// An error means the PBX may still hold the refresh token (it expires after 30 days).
    pub async fn logout(&self) -> Result<(), Error> {
        if self.has_api_key() {
            return Err(Error::config(
                "logout ends a session started with login(); this client uses an API key, which \
                 stays valid until it is deleted in System → API Keys",
            ));
        }
        let session = self.session_slot();
        let _turn = session.turn.lock().await;
        let tokens = match session.current() {
            State::Active(tokens) => tokens,
            State::Ended(_) => {
                session.set(State::Ended(Ended::LoggedOut));
                return Ok(());
            }
            State::None => return Ok(()),
        };
        let _forget = ForgetOnDrop(session);
        let deadline = Instant::now() + self.timeout();
        tokio::time::timeout_at(deadline, self.logout_holding_turn(tokens, deadline))
            .await
            .unwrap_or_else(|_| Err(self.timed_out()))
            .map_err(|e| e.with_operation(AUTH_LOGOUT.name))
    }

    /// The current session, when this client is logged in.
    pub fn session(&self) -> Option<SessionInfo> {
        match self.session_slot().current() {
            State::Active(t) => Some(t.info()),
            _ => None,
        }
    }

    async fn logout_holding_turn(
        &self,
        mut tokens: Arc<Tokens>,
        deadline: Instant,
    ) -> Result<(), Error> {
        if tokens.due() {
            match self.renew_holding_turn(&tokens, deadline).await {
                Ok(fresh) => tokens = fresh,
                // The PBX no longer knows the refresh token: there is nothing left to end.
                Err(Error::Unauthorized { .. }) => return Ok(()),
                Err(_) if !tokens.expired() => {}
                Err(e) => return Err(e),
            }
        }
        let mut renewed = false;
        loop {
            let credentials = Credentials {
                bearer: Some(tokens.bearer()),
                refresh_cookie: tokens.refresh.as_ref().map(|c| c.expose_secret()),
            };
            let path = AUTH_LOGOUT.path_template;
            match self
                .json_attempts(&AUTH_LOGOUT, path, &[], None, credentials, deadline)
                .await
            {
                Ok(_) => {
                    tracing::debug!(operation = AUTH_LOGOUT.name, "session ended");
                    return Ok(());
                }
                Err(Error::Unauthorized { .. }) if !renewed => {
                    renewed = true;
                    match self.renew_holding_turn(&tokens, deadline).await {
                        Ok(fresh) => tokens = fresh,
                        Err(Error::Unauthorized { .. }) => return Ok(()),
                        Err(e) => return Err(e),
                    }
                }
                Err(e) => return Err(refused_after_renewal(e)),
            }
        }
    }

    /// The session's access token for a call, renewed first when it is due; `None` when the
    /// client has never logged in. Calls that find it due share one renewal.
    pub(crate) async fn session_bearer(
        &self,
        deadline: Instant,
    ) -> Result<Option<Arc<Tokens>>, Error> {
        let session = self.session_slot();
        let seen = match session.current() {
            State::None => return Ok(None),
            State::Ended(reason) => return Err(ended(reason)),
            State::Active(t) if !t.due() => return Ok(Some(t)),
            State::Active(t) => t,
        };
        let _turn = session.turn.lock().await;
        let tokens = match session.current() {
            // Renewed (or postponed) by whoever held the turn.
            State::Active(t) if t.generation != seen.generation || !t.due() => return Ok(Some(t)),
            State::Active(t) => t,
            State::None => return Ok(None),
            State::Ended(reason) => return Err(ended(reason)),
        };
        match self.renew_holding_turn(&tokens, deadline).await {
            Ok(fresh) => Ok(Some(fresh)),
            Err(e @ Error::Unauthorized { .. }) => Err(e),
            Err(e) if !tokens.expired() => {
                // Still valid: use it, and try again a little later rather than on every call.
                tracing::debug!(
                    operation = AUTH_REFRESH.name,
                    error_kind = e.kind().as_str(),
                    "renewal failed; the access token is still valid"
                );
                let mut postponed = (*tokens).clone();
                postponed.renew_at = (Instant::now() + RENEW_AGAIN_AFTER).min(tokens.expires_at);
                let postponed = Arc::new(postponed);
                session.set(State::Active(postponed.clone()));
                Ok(Some(postponed))
            }
            Err(e) => Err(e),
        }
    }

    /// Renews after a call with `used` met a 401, unless another call has renewed the token
    /// since `used` was taken: then that newer token is the answer.
    pub(crate) async fn session_renew_after_401(
        &self,
        used: &Tokens,
        deadline: Instant,
    ) -> Result<Arc<Tokens>, Error> {
        let session = self.session_slot();
        let _turn = session.turn.lock().await;
        match session.current() {
            State::Active(t) if t.generation != used.generation => Ok(t),
            State::Active(t) => self.renew_holding_turn(&t, deadline).await,
            State::Ended(reason) => Err(ended(reason)),
            State::None => Err(ended(Ended::LoggedOut)),
        }
    }

    /// `auth:refresh` with the session's cookie; the caller holds the turn. A refusal (401)
    /// ends the session; any other failure leaves it as it was.
    async fn renew_holding_turn(
        &self,
        tokens: &Tokens,
        deadline: Instant,
    ) -> Result<Arc<Tokens>, Error> {
        let session = self.session_slot();
        let Some(cookie) = &tokens.refresh else {
            session.set(State::Ended(Ended::Expired));
            return Err(session_expired(None, Vec::new()));
        };
        let credentials = Credentials {
            bearer: None,
            refresh_cookie: Some(cookie.expose_secret()),
        };
        let path = AUTH_REFRESH.path_template;
        let reply = match self
            .json_attempts(&AUTH_REFRESH, path, &[], None, credentials, deadline)
            .await
        {
            Ok(reply) => reply,
            Err(Error::Unauthorized {
                status, messages, ..
            }) => {
                session.set(State::Ended(Ended::Expired));
                tracing::debug!(operation = AUTH_REFRESH.name, "refresh token refused");
                return Err(session_expired(status, messages));
            }
            Err(e) => return Err(e.with_operation(AUTH_REFRESH.name)),
        };
        let granted = grant(&AUTH_REFRESH, &reply)?;
        let refresh = match &reply.refresh_cookie {
            // A PBX with rotation on (`ENABLE_TOKEN_ROTATION`) sends the next cookie.
            Some(CookieUpdate::Set(next)) => Some(next.clone()),
            Some(CookieUpdate::Cleared) => None,
            None => tokens.refresh.clone(),
        };
        let fresh =
            Arc::new(granted.into_tokens(refresh, tokens.login.clone(), session.next_generation()));
        session.set(State::Active(fresh.clone()));
        tracing::debug!(operation = AUTH_REFRESH.name, "access token renewed");
        Ok(fresh)
    }
}

/// Kotlin/Swift: `client.login(username, password)`, `client.logout()`, `client.session()`.
#[cfg(feature = "uniffi")]
#[uniffi::export(async_runtime = "tokio")]
impl Client {
    /// Starts a web session as `username` with `password` (see the Rust `Client::login`): every
    /// later call carries its access token, renewed before it expires. The tokens stay in the
    /// SDK's memory; the password is not kept. A client built with an API key refuses it.
    #[uniffi::method(name = "login")]
    pub async fn ffi_login(
        &self,
        username: String,
        password: String,
    ) -> Result<SessionInfo, Error> {
        self.login(&username, &password).await
    }

    /// Ends the web session: the PBX forgets the refresh token and the client both tokens; later
    /// calls are refused (`Unauthorized`, cause `LOGGED_OUT`) until the next `login`.
    #[uniffi::method(name = "logout")]
    pub async fn ffi_logout(&self) -> Result<(), Error> {
        self.logout().await
    }

    /// The current session (user and expiry of the access token), when logged in.
    #[uniffi::method(name = "session")]
    pub fn ffi_session(&self) -> Option<SessionInfo> {
        self.session()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append(SET_COOKIE, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    fn value(update: Option<CookieUpdate>) -> Option<String> {
        match update {
            Some(CookieUpdate::Set(v)) => Some(v.expose_secret().to_owned()),
            Some(CookieUpdate::Cleared) => Some("<cleared>".into()),
            None => None,
        }
    }

    #[test]
    fn the_refresh_cookie_is_read_verbatim_and_its_deletion_recognised() {
        let set = headers(&[
            "PHPSESSID=abc; path=/",
            "refreshToken=a1B2%2Bc%3D%3D; path=/; secure; HttpOnly; SameSite=Strict",
        ]);
        assert_eq!(
            value(refresh_cookie(&set)).as_deref(),
            Some("a1B2%2Bc%3D%3D")
        );
        for cleared in [
            "refreshToken=deleted; expires=Thu, 01 Jan 1970 00:00:01 GMT; Max-Age=0; path=/",
            "refreshToken=; path=/",
            "refreshToken=x; max-age=-1",
        ] {
            assert_eq!(
                value(refresh_cookie(&headers(&[cleared]))).as_deref(),
                Some("<cleared>"),
                "{cleared}"
            );
        }
        assert!(refresh_cookie(&headers(&["other=1"])).is_none());
        assert!(format!("{:?}", refresh_cookie(&set)).contains("REDACTED"));
    }

    #[test]
    fn renewal_is_due_a_quarter_of_the_lifetime_ahead_at_most_a_minute() {
        let grant = |s| Grant {
            access: SecretString::from("t".to_owned()),
            lifetime: Duration::from_secs(s),
            login: None,
        };
        let t = grant(900).into_tokens(None, "admin".into(), 1);
        assert_eq!(t.expires_at - t.renew_at, Duration::from_secs(60));
        let t = grant(8).into_tokens(None, "admin".into(), 1);
        assert_eq!(t.expires_at - t.renew_at, Duration::from_secs(2));
        assert!(!t.due() && !t.expired());
    }

    #[test]
    fn the_session_slot_debug_names_the_state_only() {
        let s = Session::default();
        assert_eq!(format!("{s:?}"), "none");
        let t = Grant {
            access: SecretString::from("eyJhbGciOiJIUzI1NiJ9.secret.part".to_owned()),
            lifetime: Duration::from_secs(900),
            login: None,
        }
        .into_tokens(
            Some(SecretString::from("refresh-secret".to_owned())),
            "admin".into(),
            1,
        );
        s.set(State::Active(Arc::new(t)));
        assert_eq!(format!("{s:?}"), "logged in as \"admin\"");
        s.set(State::Ended(Ended::LoggedOut));
        assert_eq!(format!("{s:?}"), "logged out");
    }
}
