//! Authentication and authorization: `Middleware/AuthenticationMiddleware.php` (mikopbx-api.md
//! §2, §3).
//!
//! Order of checks:
//! 1. Public endpoint: allowed; a Bearer token is tried "optionally" and a bad one is ignored.
//! 2. `Authorization` starts with `Bearer ` (case-sensitive, one space): try it as a JWT, then as
//!    an API key. Both fail: **401, even from localhost**.
//!    * A valid JWT from a non-localhost client goes through the role's ACL: role `admins`
//!      passes, another role may get **403**.
//!    * A key must pass its network filter, then `full_permissions` or `allowed_paths`; every
//!      failure is the same 401 (the reason is only logged).
//! 3. No Bearer token and the client is exactly `127.0.0.1` or `::1`: allowed, no ACL.
//! 4. Otherwise 401.
//!
//! `X-Api-Key` (mentioned by the 2026 dev docs, absent from every Core branch) is not accepted:
//! such a request is treated as carrying no token.

pub(crate) mod jwt;
pub(crate) mod keys;
pub(crate) mod permissions;

use http::Method;

use crate::app::App;
use crate::request::Ctx;
use crate::util::is_php_localhost;

/// Who a request runs as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Principal {
    /// A public endpoint without (valid) credentials.
    Anonymous,
    /// No token, from 127.0.0.1 / ::1.
    Localhost,
    /// A web user's access token.
    Jwt(jwt::Claims),
    /// An API key, by id.
    ApiKey(u64),
}

/// Why the middleware refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// 401 "The user isn't authenticated."
    Unauthenticated,
    /// 403 "Access denied. You do not have permission to access this resource."
    AclDenied,
}

/// A web user the simulator knows (`admin` from PbxSettings; `viewer` emulates a ModuleUsersUI
/// role so the ACL 403 path can be exercised).
pub(crate) struct WebUser {
    pub(crate) login: &'static str,
    pub(crate) role: &'static str,
}

/// The built-in administrator (`WebAdminLogin`, role `admins`, which skips the ACL).
pub(crate) const ADMIN: WebUser = WebUser {
    login: "admin",
    role: "admins",
};
/// A read-only web user (password `viewer`), role `UsersUIRoleID1`. Simulator addition: on a
/// real PBX such roles come from the ModuleUsersUI module. Its ACL grants only the actions in
/// [`VIEWER_ACTIONS`] on every resource.
pub(crate) const VIEWER: WebUser = WebUser {
    login: "viewer",
    role: "UsersUIRoleID1",
};
/// The viewer's password.
pub(crate) const VIEWER_PASSWORD: &str = "viewer";
/// Actions the viewer role's ACL allows.
pub(crate) const VIEWER_ACTIONS: &[&str] = &[
    "getList",
    "getRecord",
    "getForSelect",
    "getDefault",
    "ping",
    "checkAuth",
    "getInfo",
    "getActiveCalls",
    "getActiveChannels",
    "getMetadata",
    "logout",
];

/// Phalcon ACL `isAllowed(role, resource, action)` for the simulator's roles.
fn acl_allows(role: &str, action: &str) -> bool {
    match role {
        "admins" => true,
        r if r == VIEWER.role => VIEWER_ACTIONS.contains(&action),
        // Unknown roles: fail closed, as when no ACL service is available.
        _ => false,
    }
}

/// The Bearer token, if the header has the exact `Bearer ` prefix (`Request::hasBearerToken()`),
/// returned like `getBearerToken()`: `substr($h, 7)`, NOT trimmed, so `Bearer  x` carries the
/// token `" x"`, which no JWT or key matches → 401 even from localhost. nginx drops the
/// whitespace around a header value before PHP sees it, so `Authorization: Bearer ` arrives as
/// `Bearer` (no prefix match): no token at all, and localhost passes.
/// Real source: src/PBXCoreREST/Http/Request.php:hasBearerToken/getBearerToken.
pub(crate) fn bearer(ctx: &Ctx) -> Option<String> {
    let h = ctx.header("authorization")?.trim_matches([' ', '\t']);
    h.strip_prefix("Bearer ").map(str::to_string)
}

/// Try a Bearer token: JWT first, then API key (network filter, then permissions).
fn try_token(app: &App, ctx: &Ctx, token: &str, action: &str) -> Result<Principal, Refusal> {
    let secret = app.read(|s| s.jwt_secret.clone());
    if let Some(claims) = jwt::validate(&secret, token, app.cfg.clock.unix()) {
        if !is_php_localhost(ctx.peer) && !acl_allows(&claims.role, action) {
            return Err(Refusal::AclDenied);
        }
        return Ok(Principal::Jwt(claims));
    }
    let Some(key) = keys::find_key(app, token) else {
        tracing::debug!("Invalid Bearer token");
        return Err(Refusal::Unauthenticated);
    };
    // `TokenValidationService::validatePermissions()` updates the last-used buffer BEFORE the
    // network and path checks, so refused requests move `last_used_at` too.
    touch_last_used(app, key.id);
    if !keys::network_allows(&key.networkfilterid, ctx.peer) {
        tracing::debug!("Access denied: IP address not allowed");
        return Err(Refusal::Unauthenticated);
    }
    if !key.full_permissions
        && !permissions::allows(&key.allowed_paths, &ctx.method, &ctx.path, app.cfg.id_quirk)
    {
        tracing::debug!("Access denied: insufficient permissions for this endpoint");
        return Err(Refusal::Unauthenticated);
    }
    Ok(Principal::ApiKey(key.id))
}

/// `last_used_at` is written when more than 60 s passed since the last sync
/// (`updateLastUsedBuffer`: `$now - $lastSync > 60`; buffered in Redis on the server).
fn touch_last_used(app: &App, id: u64) {
    let now = chrono::Utc::now();
    let stamp = now.format("%Y-%m-%d %H:%M:%S").to_string();
    let stale = app.read(|s| {
        s.api_keys.iter().find(|k| k.id == id).is_some_and(|k| {
            k.last_used_at
                .as_deref()
                .and_then(|t| chrono::NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S").ok())
                .is_none_or(|t| (now.naive_utc() - t).num_seconds() > 60)
        })
    });
    if stale {
        app.write(|s| {
            if let Some(k) = s.api_keys.iter_mut().find(|k| k.id == id) {
                k.last_used_at = Some(stamp);
            }
        });
    }
}

/// Run the middleware for a matched route.
pub(crate) fn authenticate(
    app: &App,
    ctx: &Ctx,
    public: bool,
    action: &str,
) -> Result<Principal, Refusal> {
    let token = bearer(ctx);
    if public {
        return Ok(token
            .and_then(|t| try_token(app, ctx, &t, action).ok())
            .unwrap_or(Principal::Anonymous));
    }
    if let Some(t) = token {
        return try_token(app, ctx, &t, action);
    }
    if is_php_localhost(ctx.peer) {
        return Ok(Principal::Localhost);
    }
    Err(Refusal::Unauthenticated)
}

/// Whether the verb is one that needs `write` (used by docs and tests).
#[allow(dead_code)]
pub(crate) fn is_write(method: &Method) -> bool {
    permissions::required_level(method) == permissions::Level::Write
}
