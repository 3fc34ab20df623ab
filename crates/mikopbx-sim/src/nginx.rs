//! The nginx/Lua layer in front of PHP (mikopbx-api.md §7,
//! `src/Core/System/RootFS/etc/nginx/mikopbx/lua/unified-security.lua`, `NginxConf.php`):
//! the WAF (plain-text 403), the per-IP rate limit with progressive bans (plain-text 429) and the
//! HTTP→HTTPS redirect (301).
//!
//! Fidelity notes:
//! * The Lua script exempts every `127.*` address (`is_localhost()` matches the `127.` prefix).
//!   The simulator exempts only `127.0.0.1` and `::1`, so that tests bound to `127.0.0.2` can
//!   reach the WAF and the rate limit at all; a real PBX is only ever reached from 127.* by
//!   on-box code. This is a deliberate, documented deviation.
//! * The WAF's path is nginx's `$uri`: percent-decoded and normalised before Lua runs
//!   (`merge_slashes` is on by default and not overridden in `NginxConf.php`, dot segments are
//!   resolved), so `/pbxcore//api/…` and `/a/../b` are not refused by the Lua script; a `..`
//!   that climbs above `/` is nginx's own plain 400. Only a `..` left inside a segment
//!   (`/x..y`) trips the traversal check.
//! * Release tag 2026.1.223 (the default): the SQL patterns run over ONE string,
//!   `lower(uri .. args .. user_agent)`, so a pattern may straddle the parts, and `args` is
//!   `ngx.var.args`, the RAW query string (nginx does not percent-decode it): a value a client
//!   percent-encodes (`1=1` → `1%3D1`) is not refused; `..` and NUL are looked for in the raw
//!   query too. (mikopbx-api.md §7's "decoded" describes develop.)
//! * [`WafMode::Develop`] (off by default; builder `develop_waf(true)`, CLI `--develop-waf`)
//!   reproduces develop's script (68d57de, 2026-04-11): uri, decoded args and user agent are
//!   checked SEPARATELY, `%252e%252e` in the raw query is refused, and POST/PUT/PATCH bodies
//!   under 64 KiB (not multipart, not the four exempt URIs; form bodies URL-decoded) are
//!   scanned for the SQL patterns, `..` followed by `/` or `\`, and NUL bytes — so a
//!   description like "update CDR settings" gets the plain-text 403.

use std::collections::HashMap;
use std::net::IpAddr;

use crate::clock::SimClock;

/// Requests per window per IP for `/pbxcore/api/*` (`rate_limit_requests_api`).
pub(crate) const RATE_LIMIT: u32 = 180;
/// Extra allowance on top of the limit (`rate_limit_burst`).
pub(crate) const RATE_BURST: u32 = 20;
/// The counting window, seconds (`rate_limit_window`).
pub(crate) const RATE_WINDOW: f64 = 60.0;
/// First ban, seconds (`rate_limit_block_time`), doubled per offence, capped at 3600.
pub(crate) const BAN_BASE: f64 = 300.0;
/// Offences are remembered for 24 h.
const OFFENCE_MEMORY: f64 = 86_400.0;

/// Whether the nginx layer lets `ip` through untouched.
pub(crate) fn is_exempt(ip: IpAddr) -> bool {
    crate::util::is_php_localhost(ip)
}

/// The WAF exemptions: exact URIs only (mikopbx-api.md §7).
const WAF_EXEMPT: &[&str] = &[
    "/pbxcore/api/v3/system:executeSqlRequest",
    "/pbxcore/api/v3/system:executeBashCommand",
    "/pbxcore/api/v3/dialplan-applications",
    "/pbxcore/api/v3/custom-files",
];

/// Which `unified-security.lua` the WAF reproduces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum WafMode {
    /// Release tag 2026.1.223: query string, path and user agent, checked as one string.
    #[default]
    Release,
    /// develop (68d57de): parts checked separately, plus request bodies.
    Develop,
}

/// nginx's `$uri` for a raw request path (`ngx_http_parse_complex_uri`): percent-decoded,
/// slashes merged, `.` / `..` segments resolved. `None` when `..` climbs above the root
/// (nginx answers 400 itself).
pub(crate) fn nginx_uri(raw_path: &str) -> Option<String> {
    let decoded = crate::util::percent_decode(raw_path);
    let trailing = decoded.ends_with('/') || decoded.ends_with("/.") || decoded.ends_with("/..");
    let mut segs: Vec<&str> = Vec::new();
    for seg in decoded.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                segs.pop()?;
            }
            s => segs.push(s),
        }
    }
    let mut out = format!("/{}", segs.join("/"));
    if trailing && !segs.is_empty() {
        out.push('/');
    }
    Some(out)
}

/// `true` when the request must be refused with 403 "Security violation detected"
/// (`check_basic_security()` of unified-security.lua). `uri` is [`nginx_uri`]'s result.
pub(crate) fn waf_blocks(
    mode: WafMode,
    uri: &str,
    raw_query: Option<&str>,
    user_agent: &str,
) -> bool {
    if WAF_EXEMPT.contains(&uri) {
        return false;
    }
    let args = match mode {
        WafMode::Release => raw_query.unwrap_or_default().to_string(),
        WafMode::Develop => raw_query
            .map(crate::util::percent_decode)
            .unwrap_or_default(),
    };
    match mode {
        WafMode::Release => {
            if sql_pattern(&format!("{uri}{args}{user_agent}").to_lowercase()) {
                return true;
            }
        }
        WafMode::Develop => {
            if raw_query.is_some_and(|q| q.to_lowercase().contains("%252e%252e")) {
                return true;
            }
            if [uri, args.as_str(), user_agent]
                .iter()
                .any(|part| sql_pattern(&part.to_lowercase()))
            {
                return true;
            }
        }
    }
    if uri.contains("..") || args.contains("..") || uri.contains("//") {
        return true;
    }
    uri.contains('\0') || args.contains('\0')
}

/// develop's body scan: `true` when a POST/PUT/PATCH body must be refused with the 403.
pub(crate) fn waf_body_blocks(uri: &str, content_type: &str, body: &[u8]) -> bool {
    let ct = content_type.to_lowercase();
    if WAF_EXEMPT.contains(&uri) || ct.contains("multipart") || body.len() >= 65_536 {
        return false;
    }
    let raw = String::from_utf8_lossy(body);
    let check = if ct.contains("x-www-form-urlencoded") {
        // `ngx.unescape_uri` also turns `+` into a space.
        crate::util::percent_decode(&raw.replace('+', " "))
    } else {
        raw.to_string()
    };
    if check.contains("../") || check.contains("..\\") {
        return true;
    }
    if raw.contains('\0') || check.contains('\0') {
        return true;
    }
    sql_pattern(&check.to_lowercase())
}

/// The Lua `sql_patterns`, translated from Lua patterns (`%s+` = one or more whitespace).
fn sql_pattern(s: &str) -> bool {
    const PLAIN: &[&str] = &["';", "\";", "' or ", "\" or ", "1=1", "1' or '1'='1"];
    if PLAIN.iter().any(|p| s.contains(p)) {
        return true;
    }
    ws_seq(s, "union", "select")
        || ws_seq(s, "insert", "into")
        || ws_seq(s, "delete", "from")
        || ws_seq(s, "drop", "table")
        || spaced_pair(s, "select", "from")
        || spaced_pair(s, "update", "set")
}

/// `a%s+b`: `a`, at least one whitespace, then `b`.
fn ws_seq(s: &str, a: &str, b: &str) -> bool {
    s.match_indices(a).any(|(i, _)| {
        let rest = &s[i + a.len()..];
        let trimmed = rest.trim_start();
        trimmed.len() < rest.len() && trimmed.starts_with(b)
    })
}

/// `a%s+.*%s+b`: `a`, then a gap of two or more characters that starts and ends with
/// whitespace, then `b` (so "select x from" and "select  from" match, "select from" does not).
fn spaced_pair(s: &str, a: &str, b: &str) -> bool {
    s.match_indices(a).any(|(i, _)| {
        let rest = &s[i + a.len()..];
        rest.match_indices(b).any(|(k, _)| {
            let gap = &rest[..k];
            gap.chars().count() >= 2
                && gap.starts_with(char::is_whitespace)
                && gap.ends_with(char::is_whitespace)
        })
    })
}

#[derive(Debug, Default)]
struct IpState {
    window_start: f64,
    count: u32,
    banned_until: f64,
    offences: u32,
    offences_expire: f64,
}

/// Per-IP counters and bans (the Lua `rate_limit` shared dict).
#[derive(Debug, Default)]
pub(crate) struct RateLimiter {
    ips: HashMap<IpAddr, IpState>,
}

impl RateLimiter {
    /// Count one request from `ip`; `false` means answer 429 "Too many requests".
    pub(crate) fn allow(&mut self, ip: IpAddr, clock: &SimClock) -> bool {
        let now = clock.now();
        let st = self.ips.entry(ip).or_default();
        if st.banned_until > now {
            return false;
        }
        if st.offences_expire <= now {
            st.offences = 0;
        }
        // The Lua counter is created with a 60 s TTL on the first request and only incremented
        // afterwards, so the window is fixed from its first request.
        if now - st.window_start >= RATE_WINDOW || st.count == 0 {
            st.window_start = now;
            st.count = 0;
        }
        st.count += 1;
        if st.count > RATE_LIMIT + RATE_BURST {
            let ban = (BAN_BASE * 2f64.powi(st.offences.min(16) as i32)).min(3600.0);
            st.banned_until = now + ban;
            st.offences += 1;
            st.offences_expire = now + OFFENCE_MEMORY;
            return false;
        }
        true
    }

    /// Forget every counter and ban (`POST /_sim/reset`).
    pub(crate) fn reset(&mut self) {
        self.ips.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn waf_blocks(uri: &str, q: Option<&str>, ua: &str) -> bool {
        match nginx_uri(uri) {
            Some(u) => super::waf_blocks(WafMode::Release, &u, q, ua),
            None => true,
        }
    }

    #[test]
    fn nginx_normalises_the_uri_before_lua() {
        assert_eq!(
            nginx_uri("/pbxcore//api/v3/x").as_deref(),
            Some("/pbxcore/api/v3/x")
        );
        assert_eq!(
            nginx_uri("/pbxcore/api/v3/x/../y").as_deref(),
            Some("/pbxcore/api/v3/y")
        );
        assert_eq!(
            nginx_uri("/pbxcore/api/v3/%2e%2e/y").as_deref(),
            Some("/pbxcore/api/y")
        );
        assert_eq!(nginx_uri("/a/./b/").as_deref(), Some("/a/b/"));
        assert_eq!(nginx_uri("/../etc/passwd"), None);
        // Not refused by the Lua (nginx already merged / resolved them).
        for p in ["/pbxcore//api/v3/x", "/pbxcore/api/v3/x/../y"] {
            let u = nginx_uri(p).unwrap();
            assert!(!super::waf_blocks(WafMode::Release, &u, None, ""), "{p}");
        }
        // A `..` inside a segment survives normalisation and is refused.
        assert!(super::waf_blocks(
            WafMode::Release,
            "/pbxcore/api/v3/x..y",
            None,
            ""
        ));
    }

    #[test]
    fn release_concatenates_develop_checks_parts_separately() {
        // "select" at the end of the query + " x from" in the user agent straddle the boundary.
        let uri = "/pbxcore/api/v3/extensions";
        assert!(super::waf_blocks(
            WafMode::Release,
            uri,
            Some("q=select"),
            " x from"
        ));
        assert!(!super::waf_blocks(
            WafMode::Develop,
            uri,
            Some("q=select"),
            " x from"
        ));
        // Release reads the query raw: percent-encoded patterns pass, develop decodes them.
        for q in [
            "search=1%3D1",
            "search=union%20select%20x",
            "q=a%27%3B",
            "a=%00",
        ] {
            assert!(
                !super::waf_blocks(WafMode::Release, uri, Some(q), ""),
                "{q}"
            );
            assert!(super::waf_blocks(WafMode::Develop, uri, Some(q), ""), "{q}");
        }
        // Double-encoded traversal in the raw query: develop only.
        assert!(super::waf_blocks(
            WafMode::Develop,
            "/pbxcore/api/v3/x",
            Some("f=%252e%252e%252f"),
            ""
        ));
        assert!(!super::waf_blocks(
            WafMode::Release,
            "/pbxcore/api/v3/x",
            Some("f=%252e%252e%252f"),
            ""
        ));
        // Body scan (develop).
        let json = "application/json";
        assert!(waf_body_blocks(
            "/pbxcore/api/v3/api-keys",
            json,
            br#"{"description":"update CDR settings"}"#
        ));
        assert!(!waf_body_blocks(
            "/pbxcore/api/v3/employees",
            json,
            br#"{"user_username":"O'Neil; Sales"}"#
        ));
        assert!(waf_body_blocks(
            "/pbxcore/api/v3/employees",
            json,
            br#"{"user_username":"x';"}"#
        ));
        assert!(waf_body_blocks(
            "/pbxcore/api/v3/x",
            json,
            br#"{"p":"../etc"}"#
        ));
        assert!(!waf_body_blocks(
            "/pbxcore/api/v3/x",
            json,
            br#"{"p":"a..b"}"#
        ));
        assert!(waf_body_blocks(
            "/pbxcore/api/v3/x",
            "application/x-www-form-urlencoded",
            b"q=1%3D1"
        ));
        assert!(!waf_body_blocks(
            "/pbxcore/api/v3/custom-files",
            json,
            br#"{"c":"1=1"}"#
        ));
        assert!(!waf_body_blocks(
            "/pbxcore/api/v3/x",
            "multipart/form-data; boundary=x",
            b"1=1"
        ));
        assert!(!waf_body_blocks(
            "/pbxcore/api/v3/x",
            json,
            br#"{"description":"Sales team key"}"#
        ));
    }

    #[test]
    fn waf_patterns() {
        let ext = "/pbxcore/api/v3/extensions";
        assert!(waf_blocks(ext, Some("search=1=1"), ""));
        assert!(waf_blocks(ext, Some("search=union select"), ""));
        assert!(waf_blocks(ext, Some("q=please select one from x"), ""));
        assert!(waf_blocks(ext, Some("q=a';"), ""));
        assert!(waf_blocks("/pbxcore/api/v3/x", Some("f=../y"), ""));
        assert!(waf_blocks(
            "/pbxcore/api/v3/x",
            None,
            "sqlmap UNION  SELECT"
        ));
        assert!(waf_blocks(
            "/pbxcore/api/v3/x",
            Some("q=update users set"),
            ""
        ));
        // The path is decoded ($uri): a pattern in it is found.
        assert!(waf_blocks("/pbxcore/api/v3/x/1%3D1", None, ""));
        assert!(!waf_blocks(ext, Some("search=selection"), ""));
        assert!(!waf_blocks(ext, Some("search=O'Brien"), "reqwest"));
        assert!(!waf_blocks(
            "/pbxcore/api/v3/custom-files",
            Some("q=1=1"),
            ""
        ));
        assert!(waf_blocks(
            "/pbxcore/api/v3/custom-files/1",
            Some("q=1=1"),
            ""
        ));
    }

    #[test]
    fn ban_doubles_and_caps() {
        let clock = SimClock::new(1.0);
        let mut rl = RateLimiter::default();
        let ip: IpAddr = "127.0.0.2".parse().unwrap();
        for _ in 0..200 {
            assert!(rl.allow(ip, &clock));
        }
        assert!(!rl.allow(ip, &clock));
        let st = rl.ips.get(&ip).unwrap();
        assert!((st.banned_until - clock.now() - 300.0).abs() < 1.0);
        assert_eq!(st.offences, 1);
        // The next offence (same window still counting) doubles the ban, capped at 3600 s.
        let st = rl.ips.get_mut(&ip).unwrap();
        st.banned_until = 0.0;
        assert!(!rl.allow(ip, &clock));
        let st = rl.ips.get(&ip).unwrap();
        assert!((st.banned_until - clock.now() - 600.0).abs() < 1.0);
        let st = rl.ips.get_mut(&ip).unwrap();
        st.offences = 10;
        st.banned_until = 0.0;
        assert!(!rl.allow(ip, &clock));
        assert!((rl.ips[&ip].banned_until - clock.now() - 3600.0).abs() < 1.0);
        // Other addresses are not affected; reset forgets everything.
        assert!(rl.allow("127.0.0.3".parse().unwrap(), &clock));
        rl.reset();
        assert!(rl.allow(ip, &clock));
    }
}
