//! Small helpers shared by every module: randomness, hex, digests and IP classification.

use std::net::IpAddr;

use ring::rand::{SecureRandom, SystemRandom};

/// `n` random bytes from the OS generator.
///
/// `SystemRandom::fill` only fails when the OS has no entropy source at all; the simulator then
/// falls back to a time-derived value instead of panicking (it is a test server, not a vault).
pub(crate) fn random_bytes(n: usize) -> Vec<u8> {
    let mut buf = vec![0u8; n];
    if SystemRandom::new().fill(&mut buf).is_err() {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        for (i, b) in buf.iter_mut().enumerate() {
            *b = (seed >> ((i % 16) * 8)) as u8 ^ (i as u8).wrapping_mul(31);
        }
    }
    buf
}

/// Lower-case hex of `bytes` (PHP `bin2hex`).
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
    s
}

/// `bin2hex(random_bytes(n))`: how MikoPBX makes API keys, JWT secrets and refresh tokens.
pub(crate) fn random_hex(n_bytes: usize) -> String {
    hex(&random_bytes(n_bytes))
}

/// SHA-1 hex digest (the envelope's `meta.hash` and the `E-Tag` header use sha1).
pub(crate) fn sha1_hex(data: &[u8]) -> String {
    hex(ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, data).as_ref())
}

/// SHA-256 hex digest.
pub(crate) fn sha256_hex(data: &[u8]) -> String {
    hex(ring::digest::digest(&ring::digest::SHA256, data).as_ref())
}

/// The PHP side's notion of "localhost": exactly `127.0.0.1` or `::1`
/// (`Http/Request.php::isLocalHostRequest()`; mikopbx-api.md §2). `127.0.0.2` is remote.
pub(crate) fn is_php_localhost(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.octets() == [127, 0, 0, 1],
        IpAddr::V6(v6) => {
            if v6.is_loopback() {
                return true;
            }
            // An IPv4-mapped ::ffff:127.0.0.1 arrives when a dual-stack socket accepts IPv4.
            v6.to_ipv4_mapped()
                .is_some_and(|v4| v4.octets() == [127, 0, 0, 1])
        }
    }
}

/// Normalise an IPv4-mapped IPv6 peer address to plain IPv4, as nginx reports `$remote_addr`.
pub(crate) fn canonical_ip(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    }
}

/// Percent-decode a URI component leniently (invalid escapes are kept as they are).
pub(crate) fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let h = (bytes[i + 1] as char).to_digit(16);
            let l = (bytes[i + 2] as char).to_digit(16);
            if let (Some(h), Some(l)) = (h, l) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn localhost_is_only_127_0_0_1_and_ipv6_loopback() {
        assert!(is_php_localhost("127.0.0.1".parse().unwrap()));
        assert!(is_php_localhost("::1".parse().unwrap()));
        assert!(is_php_localhost("::ffff:127.0.0.1".parse().unwrap()));
        assert!(!is_php_localhost("127.0.0.2".parse().unwrap()));
        assert!(!is_php_localhost("10.0.0.1".parse().unwrap()));
    }

    #[test]
    fn percent_decoding_is_lenient() {
        assert_eq!(percent_decode("a%20b"), "a b");
        assert_eq!(percent_decode("%zz%2"), "%zz%2");
        assert_eq!(percent_decode("%00"), "\0");
    }
}
