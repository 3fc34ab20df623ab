//! `system`: liveness, credentials, clock, language, and the dangerous power actions.
//!
//! Server: `src/PBXCoreREST/Controllers/System/RestController.php` (routes, security) and
//! `src/PBXCoreREST/Lib/SystemManagementProcessor.php` with `Lib/System/*Action.php` (answers),
//! mikopbx/Core develop@e26e6b9.

use std::collections::HashMap;

use mikopbx_macros::Describe;
use serde::{Deserialize, Serialize};

use crate::api::{api, python_records};
use crate::envelope::lenient;
use crate::permissions::Resource;

api! {
    /// `system`: liveness, credentials, clock, language, and the dangerous power actions.
    SystemApi => system, Resource::System, "/pbxcore/api/v3/system";

    /// Checks that the PBX answers (public: no key needed).
    SYSTEM_PING = ping() -> nothing
        = Get ":ping" Empty, "system.ping", idempotent, "Is the API up? (public)", public;
    /// Checks that the PBX accepts the credentials; fails with the diagnosed error otherwise.
    SYSTEM_CHECK_AUTH = check_auth() -> nothing
        = Get ":checkAuth" Object, "system.checkAuth", idempotent, "Are these credentials accepted?";
    /// The PBX clock as a Unix timestamp (`DateTimeAction`: `{"timestamp": time()}`).
    SYSTEM_DATETIME = datetime() -> one PbxDateTime
        = Get ":datetime" Object, "system.datetime", idempotent, "The PBX clock";
    /// Sets the PBX clock (`DateTimeAction` on PUT: `System::setDate(timestamp, userTimeZone)`).
    /// A PBX that keeps its time by NTP sets it back at the next synchronisation.
    SYSTEM_SET_DATETIME = set_datetime(body time: NewDateTime) -> nothing
        = Put ":datetime" Empty, "system.datetime", idempotent, "Set the PBX clock";
    /// The languages of the web interface (public: the login page needs them).
    SYSTEM_GET_AVAILABLE_LANGUAGES = get_available_languages() -> list PbxLanguage
        = Get ":getAvailableLanguages" BareList, "system.getAvailableLanguages", idempotent,
          "Web interface languages (public)", public;
    /// Changes the language of the web interface (`WEB_ADMIN_LANGUAGE`). Setting the same value
    /// again changes nothing, so it may be retried.
    SYSTEM_CHANGE_LANGUAGE = change_language(body language: LanguageChange) -> one ChangedLanguage
        = Post ":changeLanguage" Object, "system.changeLanguage", idempotent,
          "Change the web interface language";
    /// Reboots the PBX: every call in progress is cut. Dangerous: refused unless the client
    /// allows dangerous actions.
    SYSTEM_REBOOT = reboot() -> nothing
        = Post ":reboot" Empty, "system.reboot", once, "Reboot the PBX", dangerous;
    /// Powers the PBX off: it stays off until someone turns it on by hand. Dangerous: refused
    /// unless the client allows dangerous actions.
    SYSTEM_SHUTDOWN = shutdown() -> nothing
        = Post ":shutdown" Empty, "system.shutdown", once, "Power the PBX off", dangerous;
}

python_records!(PbxDateTime, PbxLanguage, ChangedLanguage);

/// The PBX clock (`system:datetime`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, Describe)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "python", pyo3::pyclass(get_all, frozen, eq, module = "mikopbx._native"))]
pub struct PbxDateTime {
    /// Seconds since 1970-01-01 UTC, PHP's `time()` on the PBX.
    #[serde(default, deserialize_with = "lenient::int")]
    pub timestamp: i64,
    /// Fields this SDK does not model, as JSON text by name.
    #[serde(flatten, skip_serializing, deserialize_with = "lenient::extra")]
    pub extra: HashMap<String, String>,
}

/// The time to set (`PUT system:datetime`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, Describe)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct NewDateTime {
    /// Seconds since 1970-01-01 UTC.
    pub timestamp: i64,
    /// An IANA zone (`Europe/Berlin`) the PBX switches to as well; unset keeps its zone.
    #[serde(rename = "userTimeZone")]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub user_time_zone: Option<String>,
}

/// A language of the web interface (`LanguageProvider::AVAILABLE_LANGUAGES`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, Describe)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "python", pyo3::pyclass(get_all, frozen, eq, module = "mikopbx._native"))]
pub struct PbxLanguage {
    /// The code to pass to `change_language` (`en`, `pt_BR`, `zh_Hans`).
    #[serde(default, deserialize_with = "lenient::string")]
    pub code: String,
    /// Its own name (`Deutsch`).
    #[serde(default, deserialize_with = "lenient::string")]
    pub name: String,
    /// The Fomantic UI flag name (`germany`).
    #[serde(default, deserialize_with = "lenient::string")]
    pub flag: String,
    /// Fields this SDK does not model, as JSON text by name.
    #[serde(flatten, skip_serializing, deserialize_with = "lenient::extra")]
    pub extra: HashMap<String, String>,
}

/// The language to switch the web interface to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, Describe)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct LanguageChange {
    /// A `code` from `get_available_languages` (the server refuses any other).
    pub language: String,
}

/// The language now in force (`ChangeLanguageAction`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, Describe)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "python", pyo3::pyclass(get_all, frozen, eq, module = "mikopbx._native"))]
pub struct ChangedLanguage {
    /// The language code, as stored in `WEB_ADMIN_LANGUAGE`.
    #[serde(
        default,
        rename(deserialize = "WEB_ADMIN_LANGUAGE"),
        deserialize_with = "lenient::string"
    )]
    pub language: String,
    /// The server's HTML label (`<i class="flag germany"></i> Deutsch`), kept as sent.
    #[serde(
        default,
        rename(deserialize = "WEB_ADMIN_LANGUAGE_represent"),
        deserialize_with = "lenient::string"
    )]
    pub represent: String,
    /// Fields this SDK does not model, as JSON text by name (the fresh JWT the server adds for a
    /// JWT caller is never kept: see `lenient::extra`).
    #[serde(flatten, skip_serializing, deserialize_with = "lenient::extra")]
    pub extra: HashMap<String, String>,
}
