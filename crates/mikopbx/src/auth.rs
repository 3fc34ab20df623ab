//! The API key as a secret type.
//!
//! The key never appears in `Debug`, `Display`, logs or error messages: the most either prints is
//! `ApiKey(abcde…vwxyz)`, the same five-and-five the PBX shows in System → API Keys.

use secrecy::{ExposeSecret, SecretString};

/// A MikoPBX API key (the Bearer token). Cloning keeps it secret; dropping zeroizes it.
#[derive(Clone)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Object))]
#[cfg_attr(feature = "uniffi", uniffi::export(Display, Debug))]
pub struct ApiKey(SecretString);

impl ApiKey {
    /// Wraps a key string. Surrounding whitespace (a trailing newline from a file) is removed.
    pub fn new(key: impl Into<String>) -> Self {
        let key: String = key.into();
        let trimmed = key.trim();
        if trimmed.len() == key.len() {
            ApiKey(SecretString::from(key))
        } else {
            ApiKey(SecretString::from(trimmed.to_owned()))
        }
    }

    /// The key itself, for the `Authorization` header or to show once to the person who created it.
    pub fn expose_secret(&self) -> &str {
        self.0.expose_secret()
    }

    /// The server's `key_display` form: first 5 + `...` + last 5 characters, the whole key if it is
    /// 15 characters or shorter (mikopbx-api.md §2b). Used to find the key's own record in `api-keys`.
    pub fn key_display(&self) -> String {
        let k = self.expose_secret();
        let chars: Vec<char> = k.chars().collect();
        if chars.len() <= 15 {
            return k.to_owned();
        }
        let head: String = chars[..5].iter().collect();
        let tail: String = chars[chars.len() - 5..].iter().collect();
        format!("{head}...{tail}")
    }

    /// A redacted form safe to print: `abcde…vwxyz`, or `…` for keys too short to abbreviate.
    pub fn redacted(&self) -> String {
        let chars: Vec<char> = self.expose_secret().chars().collect();
        if chars.len() < 32 {
            return "…".to_owned();
        }
        let head: String = chars[..5].iter().collect();
        let tail: String = chars[chars.len() - 5..].iter().collect();
        format!("{head}…{tail}")
    }

    /// True when the key is empty (after trimming).
    pub fn is_empty(&self) -> bool {
        self.expose_secret().is_empty()
    }
}

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ApiKey({})", self.redacted())
    }
}

impl std::fmt::Display for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ApiKey({})", self.redacted())
    }
}

impl From<String> for ApiKey {
    fn from(s: String) -> Self {
        ApiKey::new(s)
    }
}

impl From<&str> for ApiKey {
    fn from(s: &str) -> Self {
        ApiKey::new(s)
    }
}

impl PartialEq for ApiKey {
    fn eq(&self, other: &Self) -> bool {
        // Constant-time enough for our use: keys are compared only in tests and key lookups.
        let (a, b) = (
            self.expose_secret().as_bytes(),
            other.expose_secret().as_bytes(),
        );
        a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }
}

/// From its text (what the Python binding sends for `NewApiKey.key`).
impl<'de> serde::Deserialize<'de> for ApiKey {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(ApiKey::new)
    }
}

/// Kotlin/Swift: `ApiKey(text)`, and the two ways to read it back.
#[cfg(feature = "uniffi")]
#[uniffi::export]
impl ApiKey {
    /// Wraps a key; it is never shown by `toString`/`description`, logs or errors.
    #[uniffi::constructor(name = "new")]
    pub fn ffi_new(key: String) -> Self {
        ApiKey::new(key)
    }
    /// The plaintext key, to store it (the PBX keeps only a hash). Never log it.
    #[uniffi::method(name = "expose_secret")]
    pub fn ffi_expose_secret(&self) -> String {
        self.expose_secret().to_owned()
    }
    /// The first 5 and last 5 characters, as the PBX's `key_display` shows them.
    #[uniffi::method(name = "key_display")]
    pub fn ffi_key_display(&self) -> String {
        self.key_display()
    }
}

/// A password the PBX hands back in clear (an AMI user's `secret`: `asterisk-managers` returns it
/// on every read, src/PBXCoreREST/Lib/AsteriskManagers/DataStructure.php:65). Unlike [`ApiKey`]
/// it is never abbreviated: `Debug`, `Display` (Kotlin `toString`, Swift `description`) and the
/// Python `repr` of the records holding it show `Secret(<redacted>)`, because even ten
/// characters of an eight-byte AMI password are most of it. Read it with `expose_secret`.
#[derive(Clone)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Object))]
#[cfg_attr(feature = "uniffi", uniffi::export(Display, Debug))]
pub struct Secret(SecretString);

impl Secret {
    /// Wraps a password, as given (no trimming: a password may end in a space).
    pub fn new(secret: impl Into<String>) -> Self {
        Secret(SecretString::from(secret.into()))
    }

    /// The password itself, to configure the AMI client. Never log it.
    pub fn expose_secret(&self) -> &str {
        self.0.expose_secret()
    }

    /// True when there is no password (a list row, which carries none).
    pub fn is_empty(&self) -> bool {
        self.expose_secret().is_empty()
    }
}

impl Default for Secret {
    fn default() -> Self {
        Secret::new(String::new())
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl std::fmt::Display for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl PartialEq for Secret {
    fn eq(&self, other: &Self) -> bool {
        self.expose_secret() == other.expose_secret()
    }
}

impl Eq for Secret {}

impl From<&str> for Secret {
    fn from(s: &str) -> Self {
        Secret::new(s)
    }
}

impl From<String> for Secret {
    fn from(s: String) -> Self {
        Secret::new(s)
    }
}

/// Sent as its text: a request body is the one place the password has to go.
impl serde::Serialize for Secret {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.expose_secret())
    }
}

/// From any scalar (PHP may send a number); `null` is an empty secret.
impl<'de> serde::Deserialize<'de> for Secret {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        crate::envelope::lenient::string(d).map(Secret::new)
    }
}

/// Kotlin/Swift: `Secret(text)`, and reading it back.
#[cfg(feature = "uniffi")]
#[uniffi::export]
impl Secret {
    /// Wraps a password; it is never shown by `toString`/`description`, logs or errors.
    #[uniffi::constructor(name = "new")]
    pub fn ffi_new(secret: String) -> Self {
        Secret::new(secret)
    }
    /// The plaintext password, to configure the AMI client. Never log it.
    #[uniffi::method(name = "expose_secret")]
    pub fn ffi_expose_secret(&self) -> String {
        self.expose_secret().to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_never_show_the_key() {
        let k = ApiKey::new("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
        assert_eq!(format!("{k:?}"), "ApiKey(01234…bcdef)");
        assert_eq!(format!("{k}"), "ApiKey(01234…bcdef)");
        assert_eq!(k.key_display(), "01234...bcdef");
        let short = ApiKey::new("secret");
        assert_eq!(format!("{short:?}"), "ApiKey(…)");
    }

    #[test]
    fn a_secret_never_shows_even_in_part() {
        let s = Secret::new("PASSWORD1cami-and-some-more-characters");
        assert_eq!(format!("{s:?}"), "Secret(<redacted>)");
        assert_eq!(format!("{s}"), "Secret(<redacted>)");
        assert_eq!(s.expose_secret(), "PASSWORD1cami-and-some-more-characters");
        assert_eq!(
            serde_json::to_string(&s).unwrap(),
            r#""PASSWORD1cami-and-some-more-characters""#
        );
    }

    #[test]
    fn trims_newlines() {
        assert_eq!(ApiKey::new("abc\n").expose_secret(), "abc");
    }
}
