//! The server's response bodies, byte for byte (mikopbx-api.md §3, §4).
//!
//! * Worker results (`Lib/PBXApiResult.php::getResult()` + `Http/Response::send()`):
//!   `{"result","data","messages","function","processor","pid",["httpCode"],"meta"}`, where
//!   `messages` is `[]` when empty and `data` is `[]` when empty. Status: `httpCode` if the action
//!   set one, else 200 for `result:true` and 422 for `result:false`.
//! * Middleware refusals (`Traits/ResponseTrait.php::halt()`): the same keys with
//!   `"data":[]`, `"function":""`, `"processor":""`.
//! * `BaseRestController::sendErrorResponse()` (400/405): `{"result":false,"messages":{..},"meta"}`.
//! * The router's `notFound` handler: `{"success":false,"messages":{"error":[..]},"data":null}`.
//! * nginx/Lua refusals: plain text with a trailing newline (`ngx.say`).
//!
//! Key order is part of the byte shape, so bodies are assembled in order here instead of through
//! a serde map (serde_json's default map sorts keys).

use axum::body::Body;
use http::{HeaderValue, Response, StatusCode, header};
use serde_json::{Value, json};

use crate::util::sha1_hex;

/// The result of one API action, before it becomes an HTTP response.
#[derive(Debug, Clone)]
pub(crate) struct ApiResult {
    pub(crate) success: bool,
    pub(crate) data: Value,
    pub(crate) errors: Vec<String>,
    /// `messages.error` as an object keyed by field (`BaseActionHelper::validateData()`
    /// returns `[$field => $message]`, which actions assign to `messages['error']`); used
    /// instead of `errors` when not empty.
    pub(crate) keyed_errors: Vec<(String, String)>,
    pub(crate) warnings: Vec<String>,
    pub(crate) function: String,
    pub(crate) processor: String,
    pub(crate) http_code: Option<u16>,
    /// Extra response headers (e.g. `Set-Cookie` from `auth:login`).
    pub(crate) headers: Vec<(header::HeaderName, String)>,
    /// `data` as ready JSON text (PHP-escaped), for large generated lists.
    pub(crate) data_raw: Option<String>,
    /// The web UI path the action suggests (`reload`), e.g. after a create.
    pub(crate) reload: Option<String>,
    /// A non-envelope body (`content type`, bytes): audio streams, `auth:validateToken`.
    pub(crate) raw: Option<(String, Vec<u8>)>,
}

impl ApiResult {
    /// A successful result.
    pub(crate) fn ok(function: &str, processor: &str, data: Value) -> Self {
        ApiResult {
            success: true,
            data,
            errors: Vec::new(),
            keyed_errors: Vec::new(),
            warnings: Vec::new(),
            function: function.to_string(),
            processor: processor.to_string(),
            http_code: None,
            headers: Vec::new(),
            reload: None,
            data_raw: None,
            raw: None,
        }
    }

    /// A failed result with one error message (422 unless `code` is given).
    pub(crate) fn fail(function: &str, processor: &str, message: impl Into<String>) -> Self {
        let mut r = Self::ok(function, processor, json!([]));
        r.success = false;
        r.errors.push(message.into());
        r
    }

    /// Set the HTTP code the action chose (it also appears in the body as `httpCode`).
    pub(crate) fn code(mut self, code: u16) -> Self {
        self.http_code = Some(code);
        self
    }

    /// The HTTP status this result is sent with (`BaseController::sendRequestToBackendWorker()`).
    pub(crate) fn status(&self) -> u16 {
        self.http_code
            .unwrap_or(if self.success { 200 } else { 422 })
    }

    fn messages(&self) -> Value {
        if self.errors.is_empty() && self.keyed_errors.is_empty() && self.warnings.is_empty() {
            return json!([]);
        }
        let mut parts = Vec::new();
        if !self.keyed_errors.is_empty() {
            let fields: Vec<String> = self
                .keyed_errors
                .iter()
                .map(|(k, v)| format!("{}:{}", to_json(&json!(k)), to_json(&json!(v))))
                .collect();
            parts.push(format!("\"error\":{{{}}}", fields.join(",")));
        } else if !self.errors.is_empty() {
            parts.push(format!("\"error\":{}", to_json(&json!(self.errors))));
        }
        if !self.warnings.is_empty() {
            parts.push(format!("\"warning\":{}", to_json(&json!(self.warnings))));
        }
        // Returned as raw JSON text through `RawJson` below to keep the key order.
        Value::String(format!("{{{}}}", parts.join(",")))
    }

    /// Render to an HTTP response.
    pub(crate) fn into_response(self) -> Response<Body> {
        let status = self.status();
        if let Some((ctype, bytes)) = self.raw {
            let mut resp = Response::new(Body::from(bytes));
            *resp.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
            if let Ok(v) = HeaderValue::from_str(&ctype) {
                resp.headers_mut().insert(header::CONTENT_TYPE, v);
            }
            add_server_headers(resp.headers_mut());
            for (name, value) in self.headers {
                if let Ok(v) = HeaderValue::from_str(&value) {
                    resp.headers_mut().append(name, v);
                }
            }
            return resp;
        }
        let data = match (&self.data_raw, &self.data) {
            (Some(raw), _) => raw.clone(),
            (None, data) => match data {
                Value::Null => "[]".to_string(),
                Value::Object(m) if m.is_empty() => "[]".to_string(),
                v => to_json(v),
            },
        };
        let messages = match self.messages() {
            Value::String(raw) => raw,
            other => to_json(&other),
        };
        let mut body = format!(
            "{{\"result\":{},\"data\":{},\"messages\":{},\"function\":{},\"processor\":{},\"pid\":{}",
            self.success,
            data,
            messages,
            to_json(&json!(self.function)),
            to_json(&json!(self.processor)),
            std::process::id()
        );
        if let Some(code) = self.http_code {
            body.push_str(&format!(",\"httpCode\":{code}"));
        }
        if let Some(reload) = &self.reload {
            body.push_str(&format!(",\"reload\":{}", to_json(&json!(reload))));
        }
        let status = self.status();
        let mut resp = enveloped(status, body);
        for (name, value) in self.headers {
            if let Ok(v) = HeaderValue::from_str(&value) {
                resp.headers_mut().append(name, v);
            }
        }
        resp
    }
}

fn to_json(v: &Value) -> String {
    let v = php_roundtrip(v.clone());
    php_escape(&serde_json::to_string(&v).unwrap_or_else(|_| "null".to_string()))
}

/// `Http/Response::send()` decodes the content with `json_decode(..., true)` (objects become
/// PHP arrays), merges `meta` in and encodes again, so every object that PHP then sees as a
/// list goes out as a JSON array: an EMPTY object anywhere becomes `[]` (e.g. `allowed_paths`
/// of a key without paths, which `createFromModel()` sets to `new stdClass()`), and so does an
/// object whose keys are exactly "0", "1", … in order. Real source:
/// src/PBXCoreREST/Http/Response.php:send.
pub(crate) fn php_roundtrip(v: Value) -> Value {
    match v {
        Value::Object(m) => {
            let is_list = m.keys().enumerate().all(|(i, k)| *k == i.to_string());
            if is_list {
                Value::Array(m.into_iter().map(|(_, v)| php_roundtrip(v)).collect())
            } else {
                Value::Object(m.into_iter().map(|(k, v)| (k, php_roundtrip(v))).collect())
            }
        }
        Value::Array(a) => Value::Array(a.into_iter().map(php_roundtrip).collect()),
        other => other,
    }
}

/// Re-encode serde_json text the way PHP's `json_encode()` with default flags writes it
/// (Phalcon's `setJsonContent()` passes none): `/` as `\/` and every non-ASCII character as
/// `\uXXXX` (UTF-16). Both only occur inside strings, so a character-wise pass is exact.
pub(crate) fn php_escape(json: &str) -> String {
    let mut out = String::with_capacity(json.len() + 16);
    let mut units = [0u16; 2];
    for c in json.chars() {
        match c {
            '/' => out.push_str("\\/"),
            c if c.is_ascii() => out.push(c),
            c => {
                for u in c.encode_utf16(&mut units).iter() {
                    out.push_str(&format!("\\u{u:04x}"));
                }
            }
        }
    }
    out
}

/// `date('c')` of the PBX (UTC here): `2026-04-13T10:00:00+00:00`.
pub(crate) fn php_date_c() -> String {
    chrono::Utc::now()
        .format("%Y-%m-%dT%H:%M:%S+00:00")
        .to_string()
}

/// Close `body_without_brace` with the `meta` block: `{"timestamp": date('c'), "hash": sha1}`,
/// where the hash is `sha1(timestamp . content)` of the content before `meta` was merged in
/// (`Http/Response.php::send()`); `E-Tag` is `sha1(content)` of the same content.
fn with_meta(mut body: String) -> String {
    let ts = php_date_c();
    let hash = sha1_hex_of(&[ts.as_bytes(), body.as_bytes(), b"}"]);
    body.push_str(&format!(
        ",\"meta\":{{\"timestamp\":\"{ts}\",\"hash\":\"{hash}\"}}}}"
    ));
    body
}

/// An envelope response: `body_without_brace` closed with `meta`, `E-Tag` over the content
/// before `meta`.
fn enveloped(status: u16, body_without_brace: String) -> Response<Body> {
    let etag = sha1_hex_of(&[body_without_brace.as_bytes(), b"}"]);
    tagged_json_response(status, with_meta(body_without_brace), &etag)
}

/// A JSON response with the server's headers (`E-Tag`, with the hyphen, is sha1 of the body).
pub(crate) fn json_response(status: u16, body: String) -> Response<Body> {
    let etag = sha1_hex(body.as_bytes());
    tagged_json_response(status, body, &etag)
}

/// sha1 of the concatenated parts, without concatenating them (CDR pages are ~1 MB).
fn sha1_hex_of(parts: &[&[u8]]) -> String {
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY);
    for part in parts {
        ctx.update(part);
    }
    crate::util::hex(ctx.finish().as_ref())
}

fn tagged_json_response(status: u16, body: String, etag: &str) -> Response<Body> {
    let mut resp = Response::new(Body::from(body));
    *resp.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    // Phalcon's `setJsonContent()` sets `application/json` without a charset; nginx's
    // `charset` directive leaves that type alone by default (`charset_types`).
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Ok(v) = HeaderValue::from_str(etag) {
        h.insert("E-Tag", v);
    }
    add_server_headers(h);
    resp
}

/// Headers nginx adds to every answer (mikopbx-api.md §7: CORS `*`, HSTS).
pub(crate) fn add_server_headers(h: &mut http::HeaderMap) {
    h.insert("Access-Control-Allow-Origin", HeaderValue::from_static("*"));
    h.insert(
        "Strict-Transport-Security",
        HeaderValue::from_static("max-age=15768000; includeSubDomains"),
    );
    h.insert(header::SERVER, HeaderValue::from_static("nginx"));
}

/// The middleware's refusal (`ResponseTrait::halt()`): 401 / 403 / 503 / 400 timeout.
pub(crate) fn halt(status: u16, message: &str) -> Response<Body> {
    let body = format!(
        "{{\"result\":false,\"data\":[],\"messages\":{{\"error\":{}}},\"function\":\"\",\"processor\":\"\",\"pid\":{}",
        to_json(&json!([message])),
        std::process::id()
    );
    enveloped(status, body)
}

/// The message of every authentication failure (mikopbx-api.md §3 table).
pub(crate) const NOT_AUTHENTICATED: &str = "The user isn't authenticated.";
/// The message of a JWT refused by the role's ACL.
pub(crate) const ACL_DENIED: &str =
    "Access denied. You do not have permission to access this resource.";

/// `BaseRestController::sendErrorResponse()`: 400 / 405 / 500 with no data, function or pid.
pub(crate) fn send_error(status: u16, message: &str) -> Response<Body> {
    let body = format!(
        "{{\"result\":false,\"messages\":{{\"error\":{}}}",
        to_json(&json!([message]))
    );
    enveloped(status, body)
}

/// The router's `notFound` handler: note `success`, not `result`. It sends through the same
/// `Http\Response::send()` as everything else, so `meta` is appended (mikopbx-api.md §4 shows
/// the body without it; `RouterProvider::attachMiddleware()` + `Http/Response.php` add it).
pub(crate) fn not_found(uri: &str) -> Response<Body> {
    let body = format!(
        "{{\"success\":false,\"messages\":{{\"error\":{}}},\"data\":null",
        to_json(&json!([format!("Endpoint not found: {uri}")]))
    );
    enveloped(404, body)
}

/// nginx/Lua plain-text refusals: `ngx.say(text)` adds a newline.
pub(crate) fn plain(status: u16, text: &str) -> Response<Body> {
    let mut resp = Response::new(Body::from(format!("{text}\n")));
    *resp.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::FORBIDDEN);
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
    add_server_headers(h);
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_messages_and_data_are_arrays() {
        let r = ApiResult::ok("getList", "X::main", json!({}));
        let resp = r.into_response();
        assert_eq!(resp.status(), 200);
    }

    #[test]
    fn php_roundtrip_turns_empty_and_list_objects_into_arrays() {
        let v = php_roundtrip(json!({"a": {}, "b": {"x": {}}, "c": {"0": 1, "1": 2},
                                     "d": {"1": 1}, "e": [{}]}));
        assert_eq!(
            v,
            json!({"a": [], "b": {"x": []}, "c": [1, 2], "d": {"1": 1}, "e": [[]]})
        );
        assert_eq!(
            to_json(&json!({"allowed_paths": {}})),
            r#"{"allowed_paths":[]}"#
        );
    }

    #[test]
    fn keyed_errors_render_as_an_object() {
        let mut r = ApiResult::fail("create", "X::main", "ignored");
        r.keyed_errors = vec![("description".into(), "Description is required".into())];
        assert_eq!(
            r.messages(),
            Value::String(r#"{"error":{"description":"Description is required"}}"#.into())
        );
    }

    #[test]
    fn failure_defaults_to_422_and_code_overrides() {
        assert_eq!(ApiResult::fail("f", "p", "bad").status(), 422);
        assert_eq!(ApiResult::fail("f", "p", "gone").code(404).status(), 404);
    }
}
