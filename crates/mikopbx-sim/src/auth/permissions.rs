//! The API-key permission checker (`src/PBXCoreREST/Services/ApiKeyPermissionChecker.php`,
//! mikopbx-api.md §3), including its ID heuristic and the A–F quirk.
//!
//! The request path is normalised: query string, `/pbxcore` prefix, trailing `/` and trailing
//! `:method` removed; then the last segment is dropped **if it looks like an ID** (all digits, a
//! UUID, `^[A-Z]+-.*\d+$`, `^\d+[a-zA-Z]`, `^[a-z]+-\d+`). What remains must be a key of
//! `allowed_paths`, with `read` for GET (and any verb other than POST/PUT/PATCH/DELETE) and
//! `write` for POST/PUT/PATCH/DELETE; `write` includes `read`.
//!
//! The bug reproduced by default: an id such as `QUEUE-1A2B3C4D` (ends in a hex *letter*), a
//! module uniqid or a general-settings key is not seen as an ID, so the path keeps it and no
//! `allowed_paths` key matches: a restricted key is refused. With the quirk off the simulator
//! behaves as the checker was meant to: everything after the resource segment is the record.

use http::Method;
use serde_json::Value;

/// An `ActionType` as stored in `allowed_paths` (src/PBXCoreREST/Attributes/ActionType.php).
/// REST only accepts `read` / `write` when saving (SaveRecordAction::validateAllowedPaths), but
/// the checker also knows `admin` and `sensitive`, which keys written to the database directly
/// (or a hand-edited `state.json`) may carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Level {
    Read,
    Write,
    Sensitive,
    Admin,
}

impl Level {
    fn parse(s: &str) -> Option<Level> {
        // `ActionType::tryFrom()`: exact, lower-case values.
        match s {
            "read" => Some(Level::Read),
            "write" => Some(Level::Write),
            "sensitive" => Some(Level::Sensitive),
            "admin" => Some(Level::Admin),
            _ => None,
        }
    }

    /// `ActionType::includes()`: admin includes everything, sensitive read + sensitive,
    /// write read + write, read only read.
    pub(crate) fn includes(self, other: Level) -> bool {
        match self {
            Level::Admin => true,
            Level::Sensitive => matches!(other, Level::Read | Level::Sensitive),
            Level::Write => matches!(other, Level::Read | Level::Write),
            Level::Read => other == Level::Read,
        }
    }
}

/// The level an HTTP verb needs (the verb decides, not the meaning of the operation).
pub(crate) fn required_level(method: &Method) -> Level {
    match *method {
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE => Level::Write,
        _ => Level::Read,
    }
}

fn all(s: &str, f: impl Fn(char) -> bool) -> bool {
    !s.is_empty() && s.chars().all(f)
}

fn is_uuid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() == 5
        && parts
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(p, n)| p.len() == n && all(p, |c| c.is_ascii_hexdigit()))
}

/// `ApiKeyPermissionChecker`'s "looks like an ID" test, reproduced exactly.
pub(crate) fn looks_like_id(seg: &str) -> bool {
    if all(seg, |c| c.is_ascii_digit()) || is_uuid(seg) {
        return true;
    }
    // ^[A-Z]+-.*\d+$
    if let Some((head, _)) = seg.split_once('-')
        && all(head, |c| c.is_ascii_uppercase())
        && seg.ends_with(|c: char| c.is_ascii_digit())
    {
        return true;
    }
    // ^\d+[a-zA-Z]
    let digits = seg.chars().take_while(char::is_ascii_digit).count();
    if digits > 0 && seg[digits..].starts_with(|c: char| c.is_ascii_alphabetic()) {
        return true;
    }
    // ^[a-z]+-\d+
    if let Some((head, tail)) = seg.split_once('-')
        && all(head, |c| c.is_ascii_lowercase())
        && tail.starts_with(|c: char| c.is_ascii_digit())
    {
        return true;
    }
    false
}

/// Normalise a request path to the `allowed_paths` key it is checked against.
pub(crate) fn normalize(path: &str, id_quirk: bool) -> String {
    let mut p = path.split('?').next().unwrap_or("").to_string();
    if let Some(rest) = p.strip_prefix("/pbxcore") {
        p = rest.to_string();
    }
    while p.len() > 1 && p.ends_with('/') {
        p.pop();
    }
    // Trailing `:method` (method names are `[a-zA-Z][a-zA-Z0-9]*`).
    if let Some(idx) = p.rfind(':') {
        let m = &p[idx + 1..];
        if !m.is_empty() && !m.contains('/') && m.chars().all(|c| c.is_ascii_alphanumeric()) {
            p.truncate(idx);
        }
    }
    if !id_quirk {
        // The checker as intended: `/api/v3/<resource>`, whatever record follows.
        let segs: Vec<&str> = p.trim_start_matches('/').split('/').collect();
        if segs.len() > 3 && segs[0] == "api" {
            return format!("/{}/{}/{}", segs[0], segs[1], segs[2]);
        }
        return p;
    }
    if let Some(idx) = p.rfind('/') {
        let last = &p[idx + 1..];
        if idx > 0 && looks_like_id(last) {
            p.truncate(idx);
        }
    }
    p
}

/// Whether a restricted key's `allowed_paths` grants `method` on `path`.
///
/// The old list form (`["/api/v3/x"]`) is accepted when saving but finds no action here, so it
/// denies, as on the server.
pub(crate) fn allows(allowed_paths: &Value, method: &Method, path: &str, id_quirk: bool) -> bool {
    let Value::Object(map) = allowed_paths else {
        return false;
    };
    let key = normalize(path, id_quirk);
    let Some(granted) = map.get(&key).and_then(Value::as_str).and_then(Level::parse) else {
        return false;
    };
    granted.includes(required_level(method))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn table() -> Value {
        json!({"/api/v3/extensions": "read", "/api/v3/call-queues": "write", "/api/v3/cdr": "read",
               "/api/v3/modules": "write", "/api/v3/general-settings": "read",
               "/api/v3/sip-providers": "read", "/api/v3/employees": "write"})
    }

    /// Every row of the verified table in mikopbx-api.md §3.
    #[test]
    fn verified_table_rows() {
        let t = table();
        let p = |m: Method, path: &str| allows(&t, &m, &format!("/pbxcore/api/v3{path}"), true);
        assert!(p(Method::GET, "/extensions"));
        assert!(p(Method::GET, "/extensions/201"));
        assert!(p(Method::GET, "/extensions:getForSelect"));
        assert!(p(Method::HEAD, "/extensions"));
        assert!(p(Method::POST, "/call-queues"));
        assert!(p(Method::PATCH, "/employees/12"));
        assert!(p(Method::GET, "/call-queues/QUEUE-1A2B3C41"));
        assert!(p(Method::GET, "/sip-providers/SIP-TRUNK-ABCDEF12"));
        assert!(!p(Method::POST, "/extensions:available"));
        assert!(!p(Method::GET, "/api-keys"));
        assert!(!p(Method::GET, "/call-queues/QUEUE-1A2B3C4D"));
        assert!(!p(Method::GET, "/call-queues/QUEUE-1A2B3C4D:copy"));
        assert!(!p(Method::GET, "/sip-providers/SIP-TRUNK-ABCDEF1A"));
        assert!(!p(Method::GET, "/modules/ModuleUsersUI"));
        assert!(!p(Method::GET, "/general-settings/PBXName"));
    }

    #[test]
    fn quirk_off_fixes_the_bold_rows() {
        let t = table();
        let p = |m: Method, path: &str| allows(&t, &m, &format!("/pbxcore/api/v3{path}"), false);
        assert!(p(Method::GET, "/call-queues/QUEUE-1A2B3C4D"));
        assert!(p(Method::GET, "/call-queues/QUEUE-1A2B3C4D:copy"));
        assert!(p(Method::GET, "/modules/ModuleUsersUI"));
        assert!(p(Method::GET, "/general-settings/PBXName"));
        assert!(!p(Method::POST, "/extensions:available"));
        assert!(!p(Method::GET, "/api-keys"));
    }

    #[test]
    fn admin_and_sensitive_levels() {
        // ActionType::includes: admin everything; sensitive reads only; unknown → denied.
        let t = json!({"/api/v3/extensions": "admin", "/api/v3/cdr": "sensitive",
                       "/api/v3/employees": "Write"});
        let p = |m: Method, path: &str| allows(&t, &m, &format!("/pbxcore/api/v3{path}"), true);
        assert!(p(Method::GET, "/extensions") && p(Method::POST, "/extensions:available"));
        assert!(p(Method::GET, "/cdr") && !p(Method::DELETE, "/cdr/1"));
        assert!(!p(Method::GET, "/employees"));
    }

    #[test]
    fn id_shapes() {
        assert!(looks_like_id("12"));
        assert!(looks_like_id("550e8400-e29b-41d4-a716-446655440000"));
        assert!(looks_like_id("1abc"));
        assert!(looks_like_id("mikopbx-1700000000"));
        assert!(!looks_like_id("QUEUE-1A2B3C4D"));
        assert!(!looks_like_id("ModuleUsersUI"));
        assert!(!allows(
            &json!(["/api/v3/extensions"]),
            &Method::GET,
            "/pbxcore/api/v3/extensions",
            true
        ));
        assert!(!allows(
            &json!({"/api/v3/extensions": "none"}),
            &Method::GET,
            "/pbxcore/api/v3/extensions",
            true
        ));
    }
}
