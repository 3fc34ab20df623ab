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
//! * The WAF checks the decoded path, the decoded query string and the User-Agent, lower-cased,
//!   as mikopbx-api.md §7 states. (The Lua version read uses `ngx.var.args`, which nginx does not
//!   percent-decode, so a real PBX may let percent-encoded query patterns through.) The
//!   develop-only body check (after 2026.1.223) is not reproduced: the release tag has none.

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

/// `true` when the request must be refused with 403 "Security violation detected".
pub(crate) fn waf_blocks(raw_path: &str, raw_query: Option<&str>, user_agent: &str) -> bool {
    if WAF_EXEMPT.contains(&raw_path) {
        return false;
    }
    let path = crate::util::percent_decode(raw_path);
    let args = raw_query
        .map(crate::util::percent_decode)
        .unwrap_or_default();
    let check = format!("{path}{args}{user_agent}").to_lowercase();
    if sql_pattern(&check) {
        return true;
    }
    if path.contains("..") || args.contains("..") || raw_path.contains("//") || path.contains("//")
    {
        return true;
    }
    path.contains('\0') || args.contains('\0')
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

    #[test]
    fn waf_patterns() {
        assert!(waf_blocks(
            "/pbxcore/api/v3/extensions",
            Some("search=1=1"),
            ""
        ));
        assert!(waf_blocks(
            "/pbxcore/api/v3/extensions",
            Some("search=union%20select"),
            ""
        ));
        assert!(waf_blocks(
            "/pbxcore/api/v3/extensions",
            Some("q=please%20select%20one%20from%20x"),
            ""
        ));
        assert!(waf_blocks("/pbxcore/api/v3/extensions", Some("q=a';"), ""));
        assert!(waf_blocks("/pbxcore/api/v3/x/../y", None, ""));
        assert!(waf_blocks("/pbxcore//api/v3/x", None, ""));
        assert!(waf_blocks("/pbxcore/api/v3/x", Some("a=%00"), ""));
        assert!(waf_blocks(
            "/pbxcore/api/v3/x",
            None,
            "sqlmap UNION  SELECT"
        ));
        assert!(waf_blocks(
            "/pbxcore/api/v3/x",
            Some("q=update%20users%20set"),
            ""
        ));
        assert!(!waf_blocks(
            "/pbxcore/api/v3/extensions",
            Some("search=selection"),
            ""
        ));
        assert!(!waf_blocks(
            "/pbxcore/api/v3/extensions",
            Some("search=O'Brien"),
            "reqwest"
        ));
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
