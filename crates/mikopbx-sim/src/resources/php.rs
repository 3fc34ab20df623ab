//! PHP semantics the handlers reproduce: casts, `empty()`, `filter_var()`, the schema-driven
//! string sanitiser of `BaseActionHelper`, `strip_tags()`, and an ordered PHP array that
//! `json_encode()`s with PHP's key order and escaping.
//!
//! serde_json's `Map` sorts keys, but PHP arrays keep insertion order and the order is part of
//! the byte shape a client sees, so records built here are [`PhpVal`]s rendered to text.

use serde_json::{Map, Value};

/// A request field as a trimmed string: strings trimmed, numbers stringified, anything else
/// (null, bool, array, object) `None`.
pub(crate) fn text(params: &Map<String, Value>, key: &str) -> Option<String> {
    match params.get(key)? {
        Value::String(s) => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// PHP `(string)$v` for a scalar: `true` → "1", `false` → ""; `None` for null (not `isset`)
/// and for arrays / objects (a `TypeError` wherever PHP expects a string).
pub(crate) fn php_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(true) => Some("1".into()),
        Value::Bool(false) => Some(String::new()),
        _ => None,
    }
}

/// PHP `empty()` for a string.
pub(crate) fn php_empty(s: &str) -> bool {
    s.is_empty() || s == "0"
}

/// The list actions' search term (`AbstractGetListAction::applySearchFilters`): the `search`
/// parameter when it is not `empty()`, trimmed, and not `empty()` once trimmed.
pub(crate) fn search_term(search: Option<&Value>) -> Option<String> {
    search
        .filter(|v| !value_empty(v))
        .and_then(php_string)
        .map(|t| t.trim().to_string())
        .filter(|t| !php_empty(t))
}

/// PHP `empty()` for any decoded JSON value.
pub(crate) fn value_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => php_empty(s),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
    }
}

/// PHP `(int)$v`: `(int)"12abc"` = 12, `(int)"abc"` = 0, `(int)" 1.9"` = 1, `(int)"1e3"` =
/// 1000, `(int)[]` = 0, `(int)[x]` = 1; out-of-range values saturate.
pub(crate) fn php_int(v: &Value) -> i64 {
    match v {
        Value::Number(n) => n
            .as_i64()
            .unwrap_or_else(|| n.as_f64().unwrap_or(0.0) as i64),
        Value::Bool(b) => i64::from(*b),
        Value::String(s) => leading_number(s),
        Value::Array(a) => i64::from(!a.is_empty()),
        Value::Object(o) => i64::from(!o.is_empty()),
        Value::Null => 0,
    }
}

/// The numeric prefix of a string, as PHP's string-to-int cast reads it.
fn leading_number(s: &str) -> i64 {
    let t = s.trim_start_matches([' ', '\t', '\n', '\r', '\u{0b}', '\u{0c}']);
    let b = t.as_bytes();
    let mut i = 0;
    if matches!(b.first(), Some(b'+' | b'-')) {
        i += 1;
    }
    let int_start = i;
    while b.get(i).is_some_and(u8::is_ascii_digit) {
        i += 1;
    }
    let mut end = i;
    let mut is_float = false;
    if b.get(i) == Some(&b'.') {
        let mut j = i + 1;
        while b.get(j).is_some_and(u8::is_ascii_digit) {
            j += 1;
        }
        if j > i + 1 || i > int_start {
            is_float = j > i + 1;
            end = j;
        }
    }
    if end > int_start && matches!(b.get(end), Some(b'e' | b'E')) {
        let mut j = end + 1;
        if matches!(b.get(j), Some(b'+' | b'-')) {
            j += 1;
        }
        let digits = j;
        while b.get(j).is_some_and(u8::is_ascii_digit) {
            j += 1;
        }
        if j > digits {
            is_float = true;
            end = j;
        }
    }
    if is_float {
        t[..end].parse::<f64>().map(|f| f as i64).unwrap_or(0)
    } else if i > int_start {
        let num = &t[..i];
        num.parse::<i64>().unwrap_or(if num.starts_with('-') {
            i64::MIN
        } else {
            i64::MAX
        })
    } else {
        0
    }
}

/// `filter_var($v, FILTER_VALIDATE_BOOLEAN)` (no `FILTER_NULL_ON_FAILURE`: anything not
/// truthy is `false`).
pub(crate) fn php_bool(v: &Value) -> bool {
    match v {
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().unwrap_or(0.0) == 1.0,
        Value::String(s) => matches!(
            s.trim().to_ascii_lowercase().as_str(),
            "1" | "true" | "on" | "yes"
        ),
        _ => false,
    }
}

/// `BaseActionHelper::sanitizeData()` for a string field: trim, then the `regex:` rule
/// (mismatch → strip non-digits), then `max:N` (`mb_substr`, i.e. characters).
/// Real source: src/PBXCoreREST/Lib/Common/BaseActionHelper.php:sanitizeData,
/// AbstractDataStructure.php:getSanitizationRules.
pub(crate) fn sanitize_string(
    v: &str,
    pattern: Option<fn(&str) -> bool>,
    max: Option<usize>,
) -> String {
    let mut v = v.trim().to_string();
    if let Some(ok) = pattern
        && !ok(&v)
    {
        v.retain(|c| c.is_ascii_digit());
    }
    if let Some(max) = max {
        v = v.chars().take(max).collect();
    }
    v
}

/// PHP `strip_tags()` (no allowed tags): a `<` not followed by whitespace opens a tag that
/// runs to the next `>` outside quotes; an unclosed tag swallows the rest. So `<201>` in
/// `Name <201>` is a "tag" and disappears, as on the server.
pub(crate) fn strip_tags(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '<' && chars.peek().is_some_and(|n| !n.is_whitespace()) {
            let mut quote: Option<char> = None;
            for t in chars.by_ref() {
                match (quote, t) {
                    (None, '"' | '\'') => quote = Some(t),
                    (Some(q), t) if t == q => quote = None,
                    (None, '>') => break,
                    _ => {}
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// `html_entity_decode($s, ENT_QUOTES | ENT_HTML5, 'UTF-8')` for numeric entities and the
/// common named ones (the full HTML5 table is not reproduced).
pub(crate) fn html_entity_decode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(pos) = rest.find('&') {
        out.push_str(&rest[..pos]);
        let tail = &rest[pos..];
        let decoded = tail.find(';').filter(|&e| e <= 12).and_then(|end| {
            let name = &tail[1..end];
            let c = if let Some(num) = name.strip_prefix('#') {
                let n = match num.strip_prefix(['x', 'X']) {
                    Some(hex) => u32::from_str_radix(hex, 16).ok(),
                    None => num.parse::<u32>().ok(),
                };
                n.and_then(char::from_u32)
            } else {
                match name {
                    "amp" => Some('&'),
                    "lt" => Some('<'),
                    "gt" => Some('>'),
                    "quot" => Some('"'),
                    "apos" => Some('\''),
                    "nbsp" => Some('\u{a0}'),
                    _ => None,
                }
            };
            c.map(|c| (c, end))
        });
        match decoded {
            Some((c, end)) => {
                out.push(c);
                rest = &tail[end + 1..];
            }
            None => {
                out.push('&');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// A PHP value as `json_encode()` sees it: arrays keep insertion order.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum PhpVal {
    Null,
    Bool(bool),
    Int(i64),
    Str(String),
    /// A list (`[...]`).
    List(Vec<PhpVal>),
    /// An associative array; empty renders as `[]`, as PHP does.
    Obj(Vec<(String, PhpVal)>),
}

impl PhpVal {
    /// A string value.
    pub(crate) fn s(v: impl Into<String>) -> PhpVal {
        PhpVal::Str(v.into())
    }

    /// `json_encode()` with default flags: `/` as `\/`, non-ASCII as `\uXXXX`.
    pub(crate) fn to_json(&self) -> String {
        let mut out = String::new();
        self.write(&mut out);
        out
    }

    fn write(&self, out: &mut String) {
        match self {
            PhpVal::Null => out.push_str("null"),
            PhpVal::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            PhpVal::Int(n) => out.push_str(&n.to_string()),
            PhpVal::Str(s) => out.push_str(&crate::envelope::php_escape(
                &serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into()),
            )),
            PhpVal::List(items) => {
                out.push('[');
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    v.write(out);
                }
                out.push(']');
            }
            PhpVal::Obj(fields) if fields.is_empty() => out.push_str("[]"),
            PhpVal::Obj(fields) => {
                out.push('{');
                for (i, (k, v)) in fields.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    PhpVal::s(k.as_str()).write(out);
                    out.push(':');
                    v.write(out);
                }
                out.push('}');
            }
        }
    }

    /// The same value as serde JSON (key order lost), for merging with request data.
    pub(crate) fn to_value(&self) -> Value {
        match self {
            PhpVal::Null => Value::Null,
            PhpVal::Bool(b) => Value::Bool(*b),
            PhpVal::Int(n) => Value::from(*n),
            PhpVal::Str(s) => Value::String(s.clone()),
            PhpVal::List(items) => Value::Array(items.iter().map(PhpVal::to_value).collect()),
            PhpVal::Obj(fields) => Value::Object(
                fields
                    .iter()
                    .map(|(k, v)| (k.clone(), v.to_value()))
                    .collect(),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn casts() {
        assert_eq!(php_int(&json!("12abc")), 12);
        assert_eq!(php_int(&json!(" 1.9")), 1);
        assert_eq!(php_int(&json!("1e3")), 1000);
        assert_eq!(php_int(&json!("-7")), -7);
        assert_eq!(php_int(&json!("abc")), 0);
        assert_eq!(php_int(&json!("")), 0);
        assert_eq!(php_int(&json!(".5")), 0);
        assert_eq!(php_int(&json!("1.")), 1);
        assert_eq!(php_int(&json!([1])), 1);
        assert_eq!(php_int(&json!("99999999999999999999")), i64::MAX);
        assert!(php_bool(&json!("Yes")) && !php_bool(&json!("2")) && php_bool(&json!(1)));
        assert!(value_empty(&json!("0")) && value_empty(&json!([])) && !value_empty(&json!("a")));
        assert_eq!(php_string(&json!(true)).as_deref(), Some("1"));
        assert_eq!(php_string(&json!([1])), None);
    }

    #[test]
    fn strip_tags_and_entities() {
        assert_eq!(
            strip_tags(r#"<i class="icons"><i class="a>b"></i></i> Ann <201>"#),
            " Ann "
        );
        assert_eq!(strip_tags("a < b"), "a < b");
        assert_eq!(strip_tags("a <b"), "a ");
        assert_eq!(
            html_entity_decode("R&amp;D &#65;&#x42; &zz; &"),
            "R&D AB &zz; &"
        );
    }

    #[test]
    fn ordered_json_escapes_like_php() {
        let v = PhpVal::Obj(vec![
            ("z".into(), PhpVal::s("</i> é")),
            ("a".into(), PhpVal::List(vec![PhpVal::Int(1), PhpVal::Null])),
            ("e".into(), PhpVal::Obj(vec![])),
        ]);
        assert_eq!(v.to_json(), r#"{"z":"<\/i> \u00e9","a":[1,null],"e":[]}"#);
    }
}
