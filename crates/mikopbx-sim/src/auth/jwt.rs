//! HS256 JWTs as `Lib/Auth/JWTHelper.php` makes them (mikopbx-api.md §2a): header
//! `{"typ":"JWT","alg":"HS256"}`, claims `userId`, `role`, `language`, `iat`, `exp`, `nbf`,
//! access TTL 900 s, and a **600 s leeway**: a token is refused only once `now > exp + 600`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::hmac;
use serde_json::{Value, json};

/// `ACCESS_TOKEN_TTL`.
pub(crate) const ACCESS_TTL: i64 = 900;
/// `REFRESH_TOKEN_TTL` (30 days).
pub(crate) const REFRESH_TTL: i64 = 2_592_000;
/// `LEEWAY`.
pub(crate) const LEEWAY: i64 = 600;

/// The claims the middleware uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Claims {
    pub(crate) user_id: String,
    pub(crate) role: String,
}

/// Sign an access token issued at `now` (simulated Unix seconds) that expires `ttl` seconds
/// later (`JWTHelper::generate($payload, ACCESS_TOKEN_TTL)`).
pub(crate) fn issue(secret: &str, user_id: &str, role: &str, now: i64, ttl: i64) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"typ":"JWT","alg":"HS256"}"#);
    let claims = json!({"userId": user_id, "role": role, "language": "en",
                        "iat": now, "exp": now + ttl, "nbf": now});
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    let signing_input = format!("{header}.{payload}");
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes());
    let sig = URL_SAFE_NO_PAD.encode(hmac::sign(&key, signing_input.as_bytes()).as_ref());
    format!("{signing_input}.{sig}")
}

/// Validate a token at simulated time `now`; `None` for anything wrong (never panics).
pub(crate) fn validate(secret: &str, token: &str, now: i64) -> Option<Claims> {
    let mut parts = token.split('.');
    let (h, p, s) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(h).ok()?).ok()?;
    if header.get("alg")?.as_str()? != "HS256" {
        return None;
    }
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes());
    let sig = URL_SAFE_NO_PAD.decode(s).ok()?;
    hmac::verify(&key, format!("{h}.{p}").as_bytes(), &sig).ok()?;
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(p).ok()?).ok()?;
    let num = |k: &str| claims.get(k).and_then(Value::as_i64);
    if let Some(exp) = num("exp")
        && now > exp + LEEWAY
    {
        return None;
    }
    // firebase/php-jwt: "nbf"/"iat" in the future beyond the leeway is refused too.
    if num("nbf").is_some_and(|nbf| nbf > now + LEEWAY)
        || num("iat").is_some_and(|iat| iat > now + LEEWAY)
    {
        return None;
    }
    Some(Claims {
        user_id: claims.get("userId")?.as_str()?.to_string(),
        role: claims
            .get("role")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leeway_and_signature() {
        let t = issue("s3cret", "admin", "admins", 1_000, ACCESS_TTL);
        assert!(validate("s3cret", &t, 1_000).is_some());
        assert!(validate("s3cret", &t, 1_000 + ACCESS_TTL + LEEWAY).is_some());
        assert!(validate("s3cret", &t, 1_000 + ACCESS_TTL + LEEWAY + 1).is_none());
        assert!(validate("other", &t, 1_000).is_none());
        assert!(validate("s3cret", "a.b", 1_000).is_none());
        assert!(validate("s3cret", "a.b.c.d", 1_000).is_none());
        assert!(validate("s3cret", "!!.??.**", 1_000).is_none());
    }
}
