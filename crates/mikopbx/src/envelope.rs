//! Decoding the response envelope, tolerant of every quirk of mikopbx-api.md §4.
//!
//! `{result, data, messages, function, processor, pid, meta}`; `messages` is `[]` when empty and an
//! object of lists otherwise; `data` may be `[]`, `null`, an object or an array; the unknown-route
//! 404 says `success` instead of `result`; nginx answers 403/429 in plain text. Nothing here panics:
//! a body that does not parse is a [`Error::Decode`] with the status, operation and a bounded
//! excerpt.

use serde::de::{DeserializeOwned, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::Value;
use serde_json::value::RawValue;

use crate::error::{Error, excerpt};

/// Longest body excerpt put in an error.
pub(crate) const EXCERPT_CHARS: usize = 200;

/// A decoded envelope.
#[derive(Clone, Debug, Default)]
pub(crate) struct Envelope {
    pub result: bool,
    /// `data` as the server sent it (validated JSON, decoded only by whoever reads it: a page of
    /// records goes straight into its typed items, without a `Value` tree in between).
    pub raw_data: Option<Box<RawValue>>,
    pub errors: Vec<String>,
    pub warnings: Vec<String>,
    pub infos: Vec<String>,
}

impl Envelope {
    /// `data` as a JSON value (`Null` when absent).
    pub fn data(&self) -> Value {
        self.raw_data
            .as_deref()
            .and_then(|raw| serde_json::from_str(raw.get()).ok())
            .unwrap_or(Value::Null)
    }

    /// `data` as JSON text (`null` when absent).
    pub fn raw_data(&self) -> &str {
        self.raw_data.as_deref().map_or("null", RawValue::get)
    }

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
    let top: Top = serde_json::from_slice(body).ok()?;
    let result = top
        .result
        .or(top.success)
        .as_ref()
        .map(truthy)
        .unwrap_or(false);
    let mut env = Envelope {
        result,
        raw_data: top.data,
        ..Default::default()
    };
    if let Some(m) = &top.messages {
        collect_messages(m, &mut env);
    }
    // Some error bodies carry a bare `error` / `message` field.
    for s in [top.error, top.message].into_iter().flatten() {
        env.errors.push(s);
    }
    Some(env)
}

/// The members of the envelope this client reads; `data` kept as text. Read as a map only (a
/// JSON array is not an envelope), the last of duplicate members winning, as in a `Value`.
#[derive(Default)]
struct Top {
    result: Option<Value>,
    success: Option<Value>,
    data: Option<Box<RawValue>>,
    messages: Option<Value>,
    error: Option<String>,
    message: Option<String>,
}

impl<'de> serde::Deserialize<'de> for Top {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct TopVisitor;
        impl<'de> Visitor<'de> for TopVisitor {
            type Value = Top;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("the JSON envelope (an object)")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Top, A::Error> {
                let mut top = Top::default();
                while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                    match key.as_ref() {
                        "result" => top.result = Some(map.next_value()?),
                        "success" => top.success = Some(map.next_value()?),
                        "data" => top.data = Some(map.next_value()?),
                        "messages" => top.messages = Some(map.next_value()?),
                        // Only a string counts (as `Value::String` did).
                        "error" => top.error = string_member(map.next_value()?),
                        "message" => top.message = string_member(map.next_value()?),
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(top)
            }
        }
        d.deserialize_map(TopVisitor)
    }
}

fn string_member(v: Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s),
        _ => None,
    }
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

/// Decodes `data` into a typed value straight from its text, without a `Value` tree. Whatever
/// does not decode that way (PHP's `[]` for an empty object, a shape mismatch) goes through
/// [`typed`], so results and errors are the same as decoding the `Value`.
pub(crate) fn typed_raw<T: DeserializeOwned>(
    env: &Envelope,
    operation: &str,
    status: u16,
) -> Result<T, Error> {
    let text = env.raw_data();
    if !text.trim_start().starts_with('[')
        && let Ok(t) = serde_json::from_str::<T>(text)
    {
        return Ok(t);
    }
    typed(env.data(), operation, status)
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
    /// for the recording (`crate::recordings` obtains its own). Nor a password the PBX sends in
    /// clear with a record it does not model as a [`Secret`](crate::Secret) (an employee's
    /// `sip_secret`, in `employees` records and their defaults): a model that needs one names
    /// it as a `Secret` field, which is redacted.
    const TOKENS: &[&str] = &[
        "accessToken",
        "refreshToken",
        "playback_url",
        "download_url",
        "sip_secret",
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
            "playback_url": "/pbxcore/api/v3/cdr:playback?token=0123456789abcdef0123456789abcdef",
            "sip_secret": "Xk9mPq2vLr7tWq4Zs8Ab"
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
