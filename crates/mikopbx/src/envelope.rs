//! Decoding the response envelope, tolerant of every quirk of mikopbx-api.md §4.
//!
//! `{result, data, messages, function, processor, pid, meta}`; `messages` is `[]` when empty and an
//! object of lists otherwise; `data` may be `[]`, `null`, an object or an array; the unknown-route
//! 404 says `success` instead of `result`; nginx answers 403/429 in plain text. Nothing here panics:
//! a body that does not parse is a [`Error::Decode`] with the status, operation and a bounded
//! excerpt.

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::{Error, excerpt};

/// Longest body excerpt put in an error.
pub(crate) const EXCERPT_CHARS: usize = 200;

/// A decoded envelope.
#[derive(Clone, Debug, Default)]
pub(crate) struct Envelope {
    pub result: bool,
    pub data: Value,
    pub errors: Vec<String>,
    pub warnings: Vec<String>,
    pub infos: Vec<String>,
}

impl Envelope {
    /// Every message, errors first.
    pub fn all_messages(&self) -> Vec<String> {
        let mut v = self.errors.clone();
        v.extend(self.warnings.iter().cloned());
        v.extend(self.infos.iter().cloned());
        v
    }
}

/// Parses a body as the JSON envelope. `None` when the body is not a JSON object (plain text).
pub(crate) fn parse(body: &[u8]) -> Option<Envelope> {
    let v: Value = serde_json::from_slice(body).ok()?;
    let Value::Object(map) = v else {
        return None;
    };
    let result = map
        .get("result")
        .or_else(|| map.get("success"))
        .map(truthy)
        .unwrap_or(false);
    let data = map.get("data").cloned().unwrap_or(Value::Null);
    let mut env = Envelope {
        result,
        data,
        ..Default::default()
    };
    if let Some(m) = map.get("messages") {
        collect_messages(m, &mut env);
    }
    // Some error bodies carry a bare `error` / `message` field.
    for key in ["error", "message"] {
        if let Some(Value::String(s)) = map.get(key) {
            env.errors.push(s.clone());
        }
    }
    Some(env)
}

fn collect_messages(m: &Value, env: &mut Envelope) {
    match m {
        Value::Object(obj) => {
            for (level, list) in obj {
                let target = match level.as_str() {
                    "error" | "errors" => &mut env.errors,
                    "warning" | "warnings" => &mut env.warnings,
                    _ => &mut env.infos,
                };
                flatten_strings(list, target);
            }
        }
        Value::Array(_) | Value::String(_) => flatten_strings(m, &mut env.errors),
        _ => {}
    }
}

fn flatten_strings(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Array(items) => items.iter().for_each(|i| flatten_strings(i, out)),
        Value::Object(obj) => obj.values().for_each(|i| flatten_strings(i, out)),
        Value::Number(n) => out.push(n.to_string()),
        Value::Bool(_) | Value::Null => {}
    }
}

/// JSON truthiness as PHP writes it: true, 1, "1", "true".
pub(crate) fn truthy(v: &Value) -> bool {
    match v {
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => matches!(s.trim(), "1" | "true" | "TRUE" | "True" | "yes" | "on"),
        _ => false,
    }
}

/// Converts `data` into a typed value, as a decode error (with excerpt) on mismatch.
pub(crate) fn typed<T: DeserializeOwned>(
    data: Value,
    operation: &str,
    status: u16,
) -> Result<T, Error> {
    // `[]` stands for "empty object" in PHP's JSON.
    let data = match data {
        Value::Array(ref a) if a.is_empty() => {
            match serde_json::from_value::<T>(Value::Object(Default::default())) {
                Ok(t) => return Ok(t),
                Err(_) => data,
            }
        }
        other => other,
    };
    // Deserialize from a borrow so the excerpt is computed only on failure.
    T::deserialize(&data).map_err(|e| Error::Decode {
        operation: Some(operation.to_owned()),
        status: Some(status),
        detail: format!("unexpected data shape: {e}"),
        excerpt: excerpt(data.to_string().as_bytes(), EXCERPT_CHARS),
    })
}

/// Lenient field deserializers: PHP sends ids as strings or numbers, booleans as "0"/"1", and
/// `null` where a string is expected.
pub(crate) mod lenient {
    use serde::{Deserialize, Deserializer};
    use serde_json::Value;

    /// Any scalar as a string; null/absent as "".
    pub fn string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
        Ok(match Value::deserialize(d)? {
            Value::String(s) => s,
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => if b { "1" } else { "0" }.to_owned(),
            Value::Null => String::new(),
            other => other.to_string(),
        })
    }

    /// Any scalar as `Some(string)`; null and "" as `None`.
    pub fn opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        let s = string(d)?;
        Ok(if s.is_empty() { None } else { Some(s) })
    }

    /// Booleans from true/false, 0/1, "0"/"1", "true"/"false".
    pub fn boolean<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
        Ok(super::truthy(&Value::deserialize(d)?))
    }

    /// Whether a string is non-empty (null and absent: false).
    pub fn non_empty<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
        Ok(!string(d)?.is_empty())
    }

    /// Integers from numbers or numeric strings; anything else as 0.
    pub fn int<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
        Ok(match Value::deserialize(d)? {
            Value::Number(n) => n
                .as_i64()
                .or_else(|| n.as_f64().map(|f| f as i64))
                .unwrap_or(0),
            Value::String(s) => s.trim().parse::<i64>().unwrap_or(0),
            Value::Bool(b) => i64::from(b),
            _ => 0,
        })
    }

    /// `Some(integer)` from numbers or numeric strings; null, absent and "" as `None`.
    pub fn opt_int<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
        Ok(match Value::deserialize(d)? {
            Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
            Value::String(s) => s.trim().parse::<i64>().ok(),
            Value::Bool(b) => Some(i64::from(b)),
            _ => None,
        })
    }

    /// `Some(bool)` from true/false, 0/1, "0"/"1"; null and absent as `None`.
    pub fn opt_boolean<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
        Ok(match Value::deserialize(d)? {
            Value::Null => None,
            Value::String(s) if s.is_empty() => None,
            other => Some(super::truthy(&other)),
        })
    }

    /// A list of records; `null`, `{}` and `[]` (PHP's empty array) as empty.
    pub fn list<'de, D: Deserializer<'de>, T: serde::de::DeserializeOwned>(
        d: D,
    ) -> Result<Vec<T>, D::Error> {
        match Value::deserialize(d)? {
            Value::Array(items) => items
                .into_iter()
                .map(|v| serde_json::from_value(v).map_err(serde::de::Error::custom))
                .collect(),
            Value::Object(map) => map
                .into_iter()
                .map(|(_, v)| serde_json::from_value(v).map_err(serde::de::Error::custom))
                .collect(),
            _ => Ok(Vec::new()),
        }
    }

    /// A string→string map from an object (values stringified); `[]`/null as empty.
    pub fn string_map<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<std::collections::HashMap<String, String>, D::Error> {
        Ok(match Value::deserialize(d)? {
            Value::Object(obj) => obj
                .into_iter()
                .map(|(k, v)| {
                    let s = match v {
                        Value::String(s) => s,
                        other => other.to_string(),
                    };
                    (k, s)
                })
                .collect(),
            _ => Default::default(),
        })
    }

    /// Members that carry a session token (`ChangeLanguageAction` adds a fresh JWT for a JWT
    /// caller). Records are printed (`Debug`, Python `repr`, Kotlin `toString`), so a token is
    /// never kept in one. Nor are a CDR row's recording URLs: their query holds a bearer token
    /// for the recording (`crate::recordings` obtains its own).
    const TOKENS: &[&str] = &[
        "accessToken",
        "refreshToken",
        "playback_url",
        "download_url",
    ];

    /// The fields a model does not name (used with `#[serde(flatten)]`), each value as JSON
    /// text: what a newer PBX adds is kept, not dropped (session tokens excepted).
    pub fn extra<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<std::collections::HashMap<String, String>, D::Error> {
        let map = std::collections::BTreeMap::<String, Value>::deserialize(d)?;
        Ok(map
            .into_iter()
            .filter(|(k, _)| !TOKENS.contains(&k.as_str()))
            .map(|(k, v)| {
                let text = match v {
                    Value::String(s) => s,
                    other => other.to_string(),
                };
                (k, text)
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tolerates_every_quirk() {
        let e = parse(br#"{"result":true,"data":[],"messages":[],"function":"getList","processor":"x","pid":1}"#).unwrap();
        assert!(e.result && e.errors.is_empty());
        let e = parse(
            br#"{"success":false,"messages":{"error":["Endpoint not found: /x"]},"data":null}"#,
        )
        .unwrap();
        assert!(!e.result);
        assert_eq!(e.errors, vec!["Endpoint not found: /x"]);
        let e = parse(br#"{"result":false,"messages":{"error":["a"],"warning":["b"],"info":"c"}}"#)
            .unwrap();
        assert_eq!(e.all_messages(), vec!["a", "b", "c"]);
        assert!(parse(b"Too many requests").is_none());
        assert!(parse(b"[1,2]").is_none());
        assert!(parse(&[0xff, 0xfe, 0x00]).is_none());
        let e = parse(br#"{"result":"1","data":{"x":1},"messages":{"error":[{"field":"bad"}]}}"#)
            .unwrap();
        assert!(e.result);
        assert_eq!(e.errors, vec!["bad"]);
    }

    #[test]
    fn extra_keeps_new_fields_but_never_a_token() {
        #[derive(serde::Deserialize)]
        struct R {
            #[serde(flatten, deserialize_with = "lenient::extra")]
            extra: std::collections::HashMap<String, String>,
        }
        let r: R = serde_json::from_value(serde_json::json!({
            "added": {"n": 1}, "accessToken": "eyJhbGciOi.x.y", "refreshToken": "r", "tokenType": "Bearer",
            "playback_url": "/pbxcore/api/v3/cdr:playback?token=0123456789abcdef0123456789abcdef"
        }))
        .unwrap();
        let mut keys: Vec<_> = r.extra.keys().map(String::as_str).collect();
        keys.sort();
        assert_eq!(keys, ["added", "tokenType"]);
        assert_eq!(r.extra["added"], r#"{"n":1}"#);
    }

    #[test]
    fn typed_reports_decode_errors() {
        #[derive(serde::Deserialize, Debug)]
        struct X {
            #[allow(dead_code)]
            a: u8,
        }
        let err = typed::<X>(serde_json::json!({"a": "nope"}), "x.get", 200).unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::Decode);
        assert_eq!(err.status(), Some(200));
    }
}
