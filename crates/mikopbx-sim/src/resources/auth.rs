//! `auth:login`, `auth:refresh`, `auth:logout`, `auth:validateToken` (mikopbx-api.md §2a;
//! `src/PBXCoreREST/Lib/Auth/*`).

use std::net::IpAddr;

use http::header::SET_COOKIE;
use serde_json::json;

use super::Call;
use crate::app::lock;
use crate::auth::{ADMIN, VIEWER, VIEWER_PASSWORD, jwt};
use crate::envelope::ApiResult;
use crate::state::RefreshToken;
use crate::util::{is_php_localhost, random_hex, sha256_hex};

/// `LoginAction::MAX_ATTEMPTS` failures per `ATTEMPTS_INTERVAL` (300 s) per IP.
const MAX_LOGIN_ATTEMPTS: u32 = 10;
const ATTEMPTS_INTERVAL: i64 = 300;
/// `RefreshAction::MAX_REFRESH_ATTEMPTS` per 5 minutes per IP, this attempt included: 99 pass.
const MAX_REFRESHES: u32 = 100;

/// English texts from `src/Common/Messages/en/Auth.php`. Messages are translated into the PBX
/// admin language on a real server, so clients must never match on them.
/// `auth_WrongLoginPassword` and `auth_TooManyLoginAttempts` use their `Common.php`
/// definitions: `MessagesProvider` merges the files in `glob()` order, so `Common.php` overrides
/// `Auth.php`, and Phalcon's default interpolator fills `%name%` placeholders (Auth.php's
/// `{interval}` would stay unfilled). That the live text reads so is inferred, not run.
fn too_many(interval: i64) -> String {
    format!("Too many authorization attempts. Your IP address is blocked for {interval} seconds.")
}
const LOGIN_REQUIRED: &str = "Either login+password or sessionToken must be provided";
fn wrong_password(attempts: u32) -> String {
    format!("Authorization error, you have {attempts} attempts left")
}
const REFRESH_MISSING: &str = "Refresh token is missing in cookie";
const REFRESH_EXPIRED: &str = "Refresh token expired or not found";

pub(crate) fn handle(call: &Call<'_>) -> ApiResult {
    match call.action {
        "login" => login(call),
        "refresh" => refresh(call),
        "logout" => logout(call),
        _ => validate_token(call),
    }
}

fn bucket(call: &Call<'_>) -> (i64, IpAddr) {
    let now = call.app.cfg.clock.unix();
    (now - now.rem_euclid(ATTEMPTS_INTERVAL), call.ctx.peer)
}

fn cookie(call: &Call<'_>, value: &str, max_age: Option<i64>) -> String {
    let mut c = format!("refreshToken={value}; path=/");
    if let Some(age) = max_age {
        let expires = chrono::Utc::now() + chrono::Duration::seconds(age);
        c.push_str(&format!(
            "; expires={}; Max-Age={age}",
            expires.format("%a, %d %b %Y %H:%M:%S GMT")
        ));
    }
    if call.ctx.tls {
        c.push_str("; secure");
    }
    c.push_str("; HttpOnly; SameSite=Strict");
    c
}

fn login(call: &Call<'_>) -> ApiResult {
    let key = bucket(call);
    let failures = lock(&call.app.login_attempts)
        .get(&key)
        .copied()
        .unwrap_or(0);
    if failures >= MAX_LOGIN_ATTEMPTS {
        return call.fail(too_many(ATTEMPTS_INTERVAL)).code(429);
    }
    let ctx = call.ctx;
    let login = ctx
        .params
        .get("login")
        .and_then(|v| v.as_str())
        .map(str::to_string);
    let password = ctx
        .params
        .get("password")
        .and_then(|v| v.as_str())
        .map(str::to_string);
    let session_token = ctx.params.get("sessionToken").and_then(|v| v.as_str());
    let user = match (session_token, login, password) {
        // Passkey session tokens are one-time values the simulator never issues.
        (Some(_), _, _) => None,
        (None, Some(l), Some(p)) => {
            if l == ADMIN.login && p == call.app.cfg.admin_password {
                Some(&ADMIN)
            } else if l == VIEWER.login && p == VIEWER_PASSWORD {
                Some(&VIEWER)
            } else {
                None
            }
        }
        _ => return call.fail(LOGIN_REQUIRED).code(400),
    };
    let Some(user) = user else {
        let mut attempts = lock(&call.app.login_attempts);
        let n = attempts.entry(key).or_insert(0);
        *n += 1;
        let left = MAX_LOGIN_ATTEMPTS.saturating_sub(*n);
        tracing::info!("web_auth From: {} Wrong password", ctx.peer);
        return call.fail(wrong_password(left)).code(401);
    };
    let now = call.app.cfg.clock.unix();
    let secret = call.app.read(|s| s.jwt_secret.clone());
    let ttl = call.app.cfg.access_token_ttl;
    let access = jwt::issue(&secret, user.login, user.role, now, ttl);
    let refresh = random_hex(32);
    let remember = ctx.params.get("rememberMe") == Some(&serde_json::Value::Bool(true));
    call.app.write(|s| {
        // Redis drops expired tokens by TTL; do the same so the state file stays small.
        s.refresh_tokens.retain(|_, t| t.expires > now as f64);
        s.refresh_tokens.insert(
            sha256_hex(refresh.as_bytes()),
            RefreshToken {
                user_id: user.login.into(),
                role: user.role.into(),
                expires: (now + jwt::REFRESH_TTL) as f64,
            },
        );
    });
    let mut r = call.ok(json!({"accessToken": access, "tokenType": "Bearer", "expiresIn": ttl, "login": user.login}));
    r.headers.push((
        SET_COOKIE,
        cookie(call, &refresh, remember.then_some(jwt::REFRESH_TTL)),
    ));
    r
}

fn refresh(call: &Call<'_>) -> ApiResult {
    let key = bucket(call);
    {
        let mut counts = lock(&call.app.refresh_attempts);
        let n = counts.entry(key).or_insert(0);
        *n += 1;
        // `checkRefreshRateLimit` counts this attempt first and refuses when nothing remains
        // (`max(100 - count, 0) <= 0`): the 100th refresh of a window is already a 429.
        if *n >= MAX_REFRESHES {
            return call.fail(too_many(ATTEMPTS_INTERVAL)).code(429);
        }
    }
    let Some(token) = call.ctx.cookie("refreshToken").filter(|t| !t.is_empty()) else {
        return call.fail(REFRESH_MISSING).code(401);
    };
    let now = call.app.cfg.clock.now();
    let hash = sha256_hex(token.as_bytes());
    let stored = call
        .app
        .read(|s| s.refresh_tokens.get(&hash).cloned())
        .filter(|t| t.expires > now);
    let Some(stored) = stored else {
        return call.fail(REFRESH_EXPIRED).code(401);
    };
    // ENABLE_TOKEN_ROTATION = false: the same cookie stays valid.
    let secret = call.app.read(|s| s.jwt_secret.clone());
    let ttl = call.app.cfg.access_token_ttl;
    let access = jwt::issue(&secret, &stored.user_id, &stored.role, now as i64, ttl);
    call.ok(
        json!({"accessToken": access, "tokenType": "Bearer", "expiresIn": ttl,
                   "homePage": "/admin-cabinet/extensions/index"}),
    )
}

fn logout(call: &Call<'_>) -> ApiResult {
    // Logout needs a Bearer token; the middleware let localhost through without one, but
    // `auth:logout` is not public, so a token-less remote call never gets here.
    // No (or an empty) cookie: "already logged out", and no cookie instructions
    // (`LogoutAction::main`: `empty($refreshToken)` returns before `_cookieData`).
    let Some(token) = call.ctx.cookie("refreshToken").filter(|t| !t.is_empty()) else {
        return call.ok(json!({"message": "Successfully logged out"}));
    };
    let hash = sha256_hex(token.as_bytes());
    call.app.write(|s| {
        s.refresh_tokens.remove(&hash);
    });
    let mut r = call.ok(json!({"message": "Successfully logged out"}));
    r.headers.push((
        SET_COOKIE,
        format!("{}; Max-Age=0", cookie(call, "deleted", None)),
    ));
    r
}

/// `auth:validateToken` answers localhost only (nginx/Lua use it); others get a bare 403.
fn validate_token(call: &Call<'_>) -> ApiResult {
    if !is_php_localhost(call.ctx.peer) {
        let mut r = call
            .fail("This endpoint is only accessible from localhost")
            .code(403);
        r.raw = Some((
            "application/json".into(),
            br#"{"error":"This endpoint is only accessible from localhost"}"#.to_vec(),
        ));
        return r;
    }
    let token = call.ctx.str("token").unwrap_or_default();
    let secret = call.app.read(|s| s.jwt_secret.clone());
    match jwt::validate(&secret, &token, call.app.cfg.clock.unix()) {
        Some(c) => call.ok(json!({"valid": true, "userId": c.user_id, "role": c.role})),
        None => call.fail("Invalid token").code(401),
    }
}
