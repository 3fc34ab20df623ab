//! The API key as an opaque object, so `toString()` / `description` can never print it.

use mikopbx::ApiKey as CoreKey;

/// A MikoPBX API key. `toString()` / `description` show at most `ApiKey(abcde…vwxyz)`;
/// `exposeSecret()` returns the key itself (to store it or show it once).
#[derive(uniffi::Object)]
#[uniffi::export(Display, Debug)]
pub struct ApiKey {
    core: CoreKey,
}

impl std::fmt::Display for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(&self.core, f)
    }
}

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&self.core, f)
    }
}

impl ApiKey {
    pub(crate) fn from_core(core: CoreKey) -> Self {
        ApiKey { core }
    }

    pub(crate) fn core(&self) -> &CoreKey {
        &self.core
    }
}

#[uniffi::export]
impl ApiKey {
    /// Wraps a key string (surrounding whitespace is removed).
    #[uniffi::constructor]
    pub fn new(key: String) -> Self {
        ApiKey {
            core: CoreKey::new(key),
        }
    }

    /// The key itself.
    pub fn expose_secret(&self) -> String {
        self.core.expose_secret().to_owned()
    }

    /// The PBX's `key_display` form (first 5 + `...` + last 5), to find the key in `api_keys.list`.
    pub fn key_display(&self) -> String {
        self.core.key_display()
    }
}
