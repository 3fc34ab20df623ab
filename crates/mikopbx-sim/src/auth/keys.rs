//! API keys as `src/Common/Models/ApiKeys.php` and `TokenValidationService` keep them
//! (mikopbx-api.md §2b): 64 lowercase hex characters, bcrypt hashes, `key_display`, the
//! validation cache and the network filter.

use std::net::IpAddr;

use crate::app::{App, lock};
use crate::state::ApiKeyRecord;

/// bcrypt cost used for key hashes.
///
/// PHP's `PASSWORD_BCRYPT` default is cost 10 (~50-100 ms per hash). The simulator uses the
/// minimum, 4 (~1 ms): the server verifies a token against *every* stored key on a cache miss,
/// and the test suites of four languages create many keys; the hash format (`$2y$04$…`) and
/// the semantics are unchanged.
pub(crate) const BCRYPT_COST: u32 = 4;

/// `bin2hex(random_bytes(32))`: 64 lowercase hex characters, no prefix.
pub(crate) fn generate_key() -> String {
    crate::util::random_hex(32)
}

/// `DataStructure::generateKeyDisplay()`: first 5 + `...` + last 5, or the whole key if it has
/// 15 characters or fewer.
pub(crate) fn key_display(key: &str) -> String {
    let chars: Vec<char> = key.chars().collect();
    if chars.len() <= 15 {
        return key.to_string();
    }
    let head: String = chars[..5].iter().collect();
    let tail: String = chars[chars.len() - 5..].iter().collect();
    format!("{head}...{tail}")
}

/// The last 4 characters (`key_suffix`).
pub(crate) fn key_suffix(key: &str) -> String {
    let chars: Vec<char> = key.chars().collect();
    chars[chars.len().saturating_sub(4)..].iter().collect()
}

/// `password_hash($key, PASSWORD_BCRYPT)`, in PHP's `$2y$` flavour.
pub(crate) fn hash_key(key: &str) -> String {
    match bcrypt::hash_with_result(key, BCRYPT_COST) {
        Ok(parts) => parts.format_for_version(bcrypt::Version::TwoY),
        // bcrypt only fails on an invalid cost; keep the key unusable rather than panic.
        Err(_) => String::from("!"),
    }
}

/// `password_verify($token, $hash)`. bcrypt ignores bytes past 72; so does PHP.
pub(crate) fn verify_key(token: &str, hash: &str) -> bool {
    bcrypt::verify(token, hash).unwrap_or(false)
}

/// How long a valid key stays cached (`CACHE_TTL`), seconds.
const VALID_TTL: f64 = 300.0;
/// How long an unknown token stays cached as `INVALID`, seconds.
const INVALID_TTL: f64 = 60.0;

/// Find the key a Bearer token belongs to, through the validation cache.
pub(crate) fn find_key(app: &App, token: &str) -> Option<ApiKeyRecord> {
    let cache_key = crate::util::sha256_hex(token.as_bytes());
    let now = app.cfg.clock.now();
    let cached = lock(&app.key_cache).get(&cache_key).copied();
    let id = match cached {
        Some((id, expires)) if expires > now => id,
        _ => {
            // A cache miss loads all keys and runs password_verify against each.
            let hashes: Vec<(u64, String)> = app.read(|s| {
                s.api_keys
                    .iter()
                    .map(|k| (k.id, k.key_hash.clone()))
                    .collect()
            });
            let found = hashes
                .iter()
                .find(|(_, h)| verify_key(token, h))
                .map(|(id, _)| *id);
            let ttl = if found.is_some() {
                VALID_TTL
            } else {
                INVALID_TTL
            };
            let mut cache = lock(&app.key_cache);
            // Bound memory under a flood of random tokens (Redis would expire them anyway).
            if cache.len() > 10_000 {
                cache.retain(|_, (_, expires)| *expires > now);
            }
            cache.insert(cache_key, (found, now + ttl));
            found
        }
    }?;
    app.read(|s| s.api_keys.iter().find(|k| k.id == id).cloned())
}

/// Network filters known to the simulator (`m_NetworkFilters`): `(id, permit, deny)`.
///
/// Filter `1` permits only `127.0.0.2`, so tests can exercise a numeric filter over loopback;
/// filter `2` permits a LAN range only; filter `3` permits only `127.0.0.1`. An unknown id **allows** (as `TokenValidationService`
/// does when `NetworkFilters::findFirst` finds nothing).
pub(crate) const NETWORK_FILTERS: &[(&str, &str, &str, &str)] = &[
    (
        "1",
        "127.0.0.2/32",
        "",
        "Integration test bench (127.0.0.2)",
    ),
    ("2", "192.168.0.0/16,10.0.0.0/8", "", "Office LAN"),
    // A localhost-only filter as a NetworkFilters row: the REST API cannot store the special
    // value "localhost" (its `^([0-9]+|none)$` sanitisation turns it into "", i.e. no filter),
    // so integrations that want a localhost-only key reference a filter like this one.
    ("3", "127.0.0.1/32", "", "Localhost (127.0.0.1)"),
    // The same address with everything else denied: what an AMI user needs, because Asterisk's
    // ACL starts from "allow" and a `permit` alone restricts nothing (ajam.rs).
    (
        "4",
        "127.0.0.1/32",
        "0.0.0.0/0",
        "CRM host only (127.0.0.1, all else denied)",
    ),
];

pub(crate) fn ip_in(ip: IpAddr, net: &str) -> bool {
    let net = net.trim();
    let (addr, bits) = match net.split_once('/') {
        Some((a, b)) => (a, b.parse::<u32>().ok()),
        None => (net, None),
    };
    let (Ok(IpAddr::V4(n)), IpAddr::V4(i)) = (addr.parse::<IpAddr>(), ip) else {
        return addr.parse::<IpAddr>().is_ok_and(|a| a == ip);
    };
    let bits = bits.unwrap_or(32).min(32);
    let mask = if bits == 0 {
        0
    } else {
        u32::MAX << (32 - bits)
    };
    (u32::from(n) & mask) == (u32::from(i) & mask)
}

/// `TokenValidationService::checkNetworkFilter()`.
pub(crate) fn network_allows(filter: &str, ip: IpAddr) -> bool {
    match filter {
        "" | "none" => true,
        "localhost" => crate::util::is_php_localhost(ip),
        id => {
            let Some((_, permit, deny, _)) = NETWORK_FILTERS.iter().find(|f| f.0 == id) else {
                return true;
            };
            if deny
                .split(',')
                .any(|n| !n.trim().is_empty() && ip_in(ip, n))
            {
                return false;
            }
            if permit.is_empty() || *permit == "0.0.0.0/0" {
                return true;
            }
            permit
                .split(',')
                .any(|n| !n.trim().is_empty() && ip_in(ip, n))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_shapes() {
        let k = generate_key();
        assert_eq!(k.len(), 64);
        assert!(
            k.chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        );
        assert_eq!(key_display("0123456789abcdef"), "01234...bcdef");
        assert_eq!(key_display("short-key"), "short-key");
        assert_eq!(key_suffix("abcdef"), "cdef");
        let h = hash_key(&k);
        assert!(h.starts_with("$2y$04$"));
        assert!(verify_key(&k, &h));
        assert!(!verify_key("nope", &h));
        assert!(!verify_key(&k, "garbage"));
    }

    #[test]
    fn filters() {
        let remote: IpAddr = "127.0.0.2".parse().unwrap();
        let local: IpAddr = "127.0.0.1".parse().unwrap();
        assert!(network_allows("none", remote));
        assert!(network_allows("localhost", local));
        assert!(!network_allows("localhost", remote));
        assert!(network_allows("1", remote));
        assert!(!network_allows("1", local));
        assert!(!network_allows("2", remote));
        assert!(network_allows("99", remote));
        assert!(network_allows("3", local));
        assert!(!network_allows("3", remote));
    }
}
