//! One incoming API request, parsed the way `Http/Request.php::getData()` reads it.
//!
//! A JSON body is read when `Content-Type` contains `application/json`, otherwise form fields
//! (`a=1&b[]=x&b[]=y`). Query-string parameters are merged in and **win** over body fields with
//! the same name (mikopbx-api.md §1). Strings are trimmed (`BaseController::sanitizeData()`).

use std::net::IpAddr;

use http::{HeaderMap, Method};
use serde_json::{Map, Value};

/// A parsed request as the handlers see it.
#[derive(Debug, Clone)]
pub(crate) struct Ctx {
    pub(crate) method: Method,
    /// The path as sent (not decoded), e.g. `/pbxcore/api/v3/extensions:getForSelect`.
    pub(crate) path: String,
    pub(crate) headers: HeaderMap,
    /// The TCP peer address (never a header: X-Forwarded-For is not trusted).
    pub(crate) peer: IpAddr,
    /// Whether the request came over TLS (the refresh cookie gets `Secure` then).
    pub(crate) tls: bool,
    /// Body fields with query parameters merged over them.
    pub(crate) params: Map<String, Value>,
    /// Whether the body was present but was not valid JSON although declared as JSON.
    pub(crate) bad_json: bool,
}

impl Ctx {
    /// A parameter as a trimmed string (numbers and booleans are stringified).
    pub(crate) fn str(&self, name: &str) -> Option<String> {
        match self.params.get(name)? {
            Value::String(s) => Some(s.trim().to_string()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(if *b { "1".into() } else { "0".into() }),
            _ => None,
        }
    }

    /// A parameter as an integer (strings are parsed leniently; garbage is `None`).
    pub(crate) fn int(&self, name: &str) -> Option<i64> {
        match self.params.get(name)? {
            Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
            Value::String(s) => s.trim().parse().ok(),
            Value::Bool(b) => Some(i64::from(*b)),
            _ => None,
        }
    }

    /// A parameter as a PHP-ish boolean (`true`, `1`, `"1"`, `"true"`, `"on"`).
    pub(crate) fn bool(&self, name: &str) -> Option<bool> {
        match self.params.get(name)? {
            Value::Bool(b) => Some(*b),
            Value::Number(n) => Some(n.as_f64().unwrap_or(0.0) != 0.0),
            Value::String(s) => Some(matches!(s.trim(), "1" | "true" | "on" | "yes")),
            _ => None,
        }
    }

    /// A header value as text.
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// A cookie value from the `Cookie` header.
    pub(crate) fn cookie(&self, name: &str) -> Option<String> {
        for value in self.headers.get_all(http::header::COOKIE) {
            let Ok(text) = value.to_str() else { continue };
            for part in text.split(';') {
                if let Some((k, v)) = part.trim().split_once('=')
                    && k == name
                {
                    return Some(v.to_string());
                }
            }
        }
        None
    }
}

/// Parse `a=1&b[]=x&b[]=y&c[k]=v` the way PHP's `parse_str` would (one level of nesting).
pub(crate) fn parse_form(text: &str) -> Map<String, Value> {
    let mut map = Map::new();
    for (k, v) in url::form_urlencoded::parse(text.as_bytes()) {
        let key = k.into_owned();
        let value = Value::String(v.trim().to_string());
        if let Some(base) = key.strip_suffix("[]") {
            let entry = map
                .entry(base.to_string())
                .or_insert_with(|| Value::Array(Vec::new()));
            if let Value::Array(a) = entry {
                a.push(value);
            } else {
                *entry = Value::Array(vec![value]);
            }
        } else if let Some((base, rest)) = key.split_once('[')
            && let Some(sub) = rest.strip_suffix(']')
        {
            let entry = map
                .entry(base.to_string())
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(o) = entry {
                o.insert(sub.to_string(), value);
            }
        } else {
            map.insert(key, value);
        }
    }
    map
}

/// Trim every string, recursively (`BaseController::sanitizeData()`).
fn sanitize(v: Value) -> Value {
    match v {
        Value::String(s) => Value::String(s.trim().to_string()),
        Value::Array(a) => Value::Array(a.into_iter().map(sanitize).collect()),
        Value::Object(o) => Value::Object(o.into_iter().map(|(k, v)| (k, sanitize(v))).collect()),
        other => other,
    }
}

/// Build the merged parameter map from the body and the query string.
pub(crate) fn build_params(
    headers: &HeaderMap,
    body: &[u8],
    query: Option<&str>,
) -> (Map<String, Value>, bool) {
    let is_json = headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.to_ascii_lowercase().contains("application/json"));
    let mut bad_json = false;
    let mut params = if body.is_empty() {
        Map::new()
    } else if is_json {
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(o)) => match sanitize(Value::Object(o)) {
                Value::Object(o) => o,
                _ => Map::new(),
            },
            Ok(_) => Map::new(),
            Err(_) => {
                bad_json = true;
                Map::new()
            }
        }
    } else {
        parse_form(&String::from_utf8_lossy(body))
    };
    if let Some(q) = query {
        for (k, v) in parse_form(q) {
            params.insert(k, v);
        }
    }
    (params, bad_json)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_wins_over_body_and_arrays_parse() {
        let mut h = HeaderMap::new();
        h.insert(
            http::header::CONTENT_TYPE,
            "application/json".parse().unwrap(),
        );
        let (p, bad) = build_params(
            &h,
            br#"{"limit": 5, "search": " x "}"#,
            Some("limit=7&n[]=1&n[]=2"),
        );
        assert!(!bad);
        assert_eq!(p["limit"], Value::String("7".into()));
        assert_eq!(p["search"], Value::String("x".into()));
        assert_eq!(p["n"], serde_json::json!(["1", "2"]));
        let (_, bad) = build_params(&h, b"{nope", None);
        assert!(bad);
    }
}
