//! `asterisk-managers`: AMI users (the `m_AsteriskManagerUsers` rows `manager.conf` is written
//! from), so an integration can have its own AMI/AJAM login for live call events and
//! click-to-call.
//!
//! Shapes from the server's `src/PBXCoreREST/Lib/AsteriskManagers/` (release 2026.1.223):
//! list rows (`DataStructure::createForList`, a bare array) carry `id`, `description`,
//! `username`, `networkfilterid`, `represent`, `readPermissionsSummary`,
//! `writePermissionsSummary` and `isSystem`; a record (`createFromModel`, also the answer of
//! create/update/patch and `:copy`; `:getDefault` is `createForNewManager`) has `secret` **in
//! clear**, `read` / `write` (comma lists, read-only), `networkfilterid` (`none` for NULL),
//! `networkfilter_represent`, `eventfilter`, `permissions` (26 booleans) and `isSystem`.
//!
//! The secret is a [`Secret`](crate::Secret): it never shows in `Debug`, Python `repr`, Kotlin `toString` or
//! Swift `description`. The system managers `mikopbxuser`, `phpagi` and `admin` cannot be read,
//! changed or deleted over REST: the server answers 403 (`DataStructure.php:40`,
//! `GetRecordAction.php`, `SaveRecordAction.php:113-118`, `DeleteRecordAction.php`).

use std::collections::HashMap;
use std::sync::Arc;

use mikopbx_macros::Describe;
use serde::{Deserialize, Deserializer, Serialize};

use crate::api::{api, python_records};
use crate::auth::Secret;
use crate::envelope::lenient;
use crate::error::Error;
use crate::permissions::Resource;

api! {
    /// `asterisk-managers`: AMI users (logins for the Asterisk Manager Interface and AJAM).
    AsteriskManagersApi => asterisk_managers, Resource::AsteriskManagers, "/pbxcore/api/v3/asterisk-managers";

    /// Every AMI user, by username (the server sends them all at once). List rows carry no
    /// secret and no permission booleans: `read_permissions_summary` and the like are in `extra`.
    ASTERISK_MANAGERS_LIST = list() -> list AsteriskManager
        = Get "" BareList, "asterisk-managers.getList", idempotent, "List AMI users";
    /// One AMI user by numeric id, with its secret (held as a `Secret`, never printed). The
    /// system managers (`mikopbxuser`, `phpagi`, `admin`) are refused with 403.
    ASTERISK_MANAGERS_GET = get(id id: &str) -> one AsteriskManager
        = Get "/{id}" Object, "asterisk-managers.getRecord", idempotent, "One AMI user";
    /// A new user's defaults: a freshly generated random secret, no permissions, no network
    /// filter. Nothing is saved.
    ASTERISK_MANAGERS_GET_DEFAULT = get_default() -> one AsteriskManager
        = Get ":getDefault" Object, "asterisk-managers.getDefault", idempotent, "Defaults for a new AMI user";
    /// A prefilled copy of a user (no id, no username, a new random secret, `Copy of: ` before
    /// the description, same permissions and filters), not saved: pass it to `create`. A GET,
    /// so read permission is enough.
    ASTERISK_MANAGERS_COPY = copy(id id: &str) -> one AsteriskManager
        = Get "/{id}:copy" Object, "asterisk-managers.copy", idempotent, "A copy of an AMI user, to create";
    /// Creates a user (`username` required and unique; a secret is generated when none is
    /// given). Not retried after an ambiguous failure: it would create twice.
    ASTERISK_MANAGERS_CREATE = create(body manager: AsteriskManagerInput) -> one AsteriskManager
        = Post "" Object, "asterisk-managers.create", once, "Create an AMI user";
    /// Changes a user (PUT). As on the server, fields left out keep their values; `permissions`,
    /// when given, replace all 26 flags.
    ASTERISK_MANAGERS_UPDATE = update(id id: &str, body manager: AsteriskManagerInput) -> one AsteriskManager
        = Put "/{id}" Object, "asterisk-managers.update", idempotent, "Replace an AMI user";
    /// Changes only the fields given (PATCH). Not retried: a partial update is not guaranteed
    /// idempotent.
    ASTERISK_MANAGERS_PATCH = patch(id id: &str, body patch: AsteriskManagerInput) -> one AsteriskManager
        = Patch "/{id}" Object, "asterisk-managers.patch", once, "Change some fields of an AMI user";
    /// Deletes a user; its AMI login stops working when the PBX rewrites `manager.conf`.
    ASTERISK_MANAGERS_DELETE = delete(id id: &str) -> nothing
        = Delete "/{id}" Empty, "asterisk-managers.delete", idempotent, "Delete an AMI user";
}

// Python: the getters by hand (no `get_all`: pyo3 cannot hand out the `Arc<Secret>`, so
// `secret` is read as its text, while `repr`, which is `Debug`, shows it redacted).
python_records!(AsteriskManager {
    #[getter]
    fn id(&self) -> String {
        self.id.clone()
    }
    #[getter]
    fn username(&self) -> String {
        self.username.clone()
    }
    #[getter]
    fn read(&self) -> String {
        self.read.clone()
    }
    #[getter]
    fn write(&self) -> String {
        self.write.clone()
    }
    #[getter]
    fn networkfilterid(&self) -> String {
        self.networkfilterid.clone()
    }
    #[getter]
    fn networkfilter_represent(&self) -> String {
        self.networkfilter_represent.clone()
    }
    #[getter]
    fn eventfilter(&self) -> String {
        self.eventfilter.clone()
    }
    #[getter]
    fn description(&self) -> String {
        self.description.clone()
    }
    #[getter]
    fn permissions(&self) -> AmiPermissions {
        self.permissions.clone()
    }
    #[getter]
    fn is_system(&self) -> bool {
        self.is_system
    }
    #[getter]
    fn represent(&self) -> String {
        self.represent.clone()
    }
    #[getter]
    fn extra(&self) -> HashMap<String, String> {
        self.extra.clone()
    }
    /// The password itself (`repr` never shows it).
    #[getter]
    fn secret(&self) -> String {
        self.secret.expose_secret().to_owned()
    }
}, AmiPermissions);

/// An AMI user. List rows carry only `id`, `username`, `description`, `networkfilterid`,
/// `represent` and `is_system`; the rest comes with a record (`get`, and every write's answer).
#[cfg_attr(feature = "python", pyo3::pyclass(frozen, eq, module = "mikopbx._native"))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, Describe)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct AsteriskManager {
    /// The numeric id (`""` in `get_default` and `copy`).
    #[serde(default, deserialize_with = "lenient::string")]
    pub id: String,
    /// The AMI login name.
    #[serde(default, deserialize_with = "lenient::string")]
    pub username: String,
    /// The AMI password, as the server returns it (in clear). Never printed; empty in list rows.
    /// Not serialized either, so it never reaches a JSON dump of a result.
    #[serde(default, skip_serializing, deserialize_with = "secret")]
    pub secret: Arc<Secret>,
    /// The classes it may read, comma-separated (`call,cdr`), derived from `permissions`.
    #[serde(default, deserialize_with = "lenient::string")]
    pub read: String,
    /// The classes it may write, comma-separated, derived from `permissions`.
    #[serde(default, deserialize_with = "lenient::string")]
    pub write: String,
    /// The `m_NetworkFilters` id its logins are limited to, or `none` (stored as NULL: then
    /// `manager.conf` takes the first filter's ACL, or none at all).
    #[serde(default, deserialize_with = "lenient::string")]
    pub networkfilterid: String,
    /// The server's HTML label of the network filter, kept as sent.
    #[serde(default, deserialize_with = "lenient::string")]
    pub networkfilter_represent: String,
    /// AMI event filter lines, newline-separated (empty: the PBX filters out `Newexten`).
    #[serde(default, deserialize_with = "lenient::string")]
    pub eventfilter: String,
    /// Description.
    #[serde(default, deserialize_with = "lenient::string")]
    pub description: String,
    /// Read and write per AMI class (all false in list rows).
    #[serde(default, deserialize_with = "lenient_permissions")]
    pub permissions: AmiPermissions,
    /// One of the protected system managers (`mikopbxuser`, `phpagi`, `admin`).
    #[serde(
        default,
        rename(deserialize = "isSystem"),
        deserialize_with = "lenient::boolean"
    )]
    pub is_system: bool,
    /// `username - description` (list rows).
    #[serde(default, deserialize_with = "lenient::string")]
    pub represent: String,
    /// Fields this SDK does not model (`readPermissionsSummary`, `writePermissionsSummary`, a
    /// newer PBX's additions), as JSON text by name.
    #[serde(flatten, skip_serializing, deserialize_with = "lenient::extra")]
    pub extra: HashMap<String, String>,
}

fn secret<'de, D: Deserializer<'de>>(d: D) -> Result<Arc<Secret>, D::Error> {
    Secret::deserialize(d).map(Arc::new)
}

/// PHP sends `[]` for an empty array; anything but an object is "no permissions".
fn lenient_permissions<'de, D: Deserializer<'de>>(d: D) -> Result<AmiPermissions, D::Error> {
    use serde::de::Error as _;
    match serde_json::Value::deserialize(d)? {
        v @ serde_json::Value::Object(_) => serde_json::from_value(v).map_err(D::Error::custom),
        _ => Ok(AmiPermissions::default()),
    }
}

/// Read / write per AMI permission class, as the server takes them: the `permissions` object of
/// 26 booleans `<class>_read` / `<class>_write` over the 13 classes (`DataStructure.php:380-480`,
/// `SaveRecordAction::processPermissions`). When sent, it replaces every flag (a flag left false
/// is removed).
#[cfg_attr(feature = "python", pyo3::pyclass(get_all, frozen, eq, module = "mikopbx._native"))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, Describe)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct AmiPermissions {
    /// Read `call`.
    #[serde(default, deserialize_with = "lenient::boolean")]
    #[cfg_attr(feature = "uniffi", uniffi(default = false))]
    pub call_read: bool,
    /// Write `call`.
    #[serde(default, deserialize_with = "lenient::boolean")]
    #[cfg_attr(feature = "uniffi", uniffi(default = false))]
    pub call_write: bool,
    /// Read `cdr`.
    #[serde(default, deserialize_with = "lenient::boolean")]
    #[cfg_attr(feature = "uniffi", uniffi(default = false))]
    pub cdr_read: bool,
    /// Write `cdr`.
    #[serde(default, deserialize_with = "lenient::boolean")]
    #[cfg_attr(feature = "uniffi", uniffi(default = false))]
    pub cdr_write: bool,
    /// Read `originate`.
    #[serde(default, deserialize_with = "lenient::boolean")]
    #[cfg_attr(feature = "uniffi", uniffi(default = false))]
    pub originate_read: bool,
    /// Write `originate`.
    #[serde(default, deserialize_with = "lenient::boolean")]
    #[cfg_attr(feature = "uniffi", uniffi(default = false))]
    pub originate_write: bool,
    /// Read `reporting`.
    #[serde(default, deserialize_with = "lenient::boolean")]
    #[cfg_attr(feature = "uniffi", uniffi(default = false))]
    pub reporting_read: bool,
    /// Write `reporting`.
    #[serde(default, deserialize_with = "lenient::boolean")]
    #[cfg_attr(feature = "uniffi", uniffi(default = false))]
    pub reporting_write: bool,
    /// Read `agent`.
    #[serde(default, deserialize_with = "lenient::boolean")]
    #[cfg_attr(feature = "uniffi", uniffi(default = false))]
    pub agent_read: bool,
    /// Write `agent`.
    #[serde(default, deserialize_with = "lenient::boolean")]
    #[cfg_attr(feature = "uniffi", uniffi(default = false))]
    pub agent_write: bool,
    /// Read `config`.
    #[serde(default, deserialize_with = "lenient::boolean")]
    #[cfg_attr(feature = "uniffi", uniffi(default = false))]
    pub config_read: bool,
    /// Write `config`.
    #[serde(default, deserialize_with = "lenient::boolean")]
    #[cfg_attr(feature = "uniffi", uniffi(default = false))]
    pub config_write: bool,
    /// Read `dialplan`.
    #[serde(default, deserialize_with = "lenient::boolean")]
    #[cfg_attr(feature = "uniffi", uniffi(default = false))]
    pub dialplan_read: bool,
    /// Write `dialplan`.
    #[serde(default, deserialize_with = "lenient::boolean")]
    #[cfg_attr(feature = "uniffi", uniffi(default = false))]
    pub dialplan_write: bool,
    /// Read `dtmf`.
    #[serde(default, deserialize_with = "lenient::boolean")]
    #[cfg_attr(feature = "uniffi", uniffi(default = false))]
    pub dtmf_read: bool,
    /// Write `dtmf`.
    #[serde(default, deserialize_with = "lenient::boolean")]
    #[cfg_attr(feature = "uniffi", uniffi(default = false))]
    pub dtmf_write: bool,
    /// Read `log`.
    #[serde(default, deserialize_with = "lenient::boolean")]
    #[cfg_attr(feature = "uniffi", uniffi(default = false))]
    pub log_read: bool,
    /// Write `log`.
    #[serde(default, deserialize_with = "lenient::boolean")]
    #[cfg_attr(feature = "uniffi", uniffi(default = false))]
    pub log_write: bool,
    /// Read `system`.
    #[serde(default, deserialize_with = "lenient::boolean")]
    #[cfg_attr(feature = "uniffi", uniffi(default = false))]
    pub system_read: bool,
    /// Write `system`.
    #[serde(default, deserialize_with = "lenient::boolean")]
    #[cfg_attr(feature = "uniffi", uniffi(default = false))]
    pub system_write: bool,
    /// Read `user`.
    #[serde(default, deserialize_with = "lenient::boolean")]
    #[cfg_attr(feature = "uniffi", uniffi(default = false))]
    pub user_read: bool,
    /// Write `user`.
    #[serde(default, deserialize_with = "lenient::boolean")]
    #[cfg_attr(feature = "uniffi", uniffi(default = false))]
    pub user_write: bool,
    /// Read `verbose`.
    #[serde(default, deserialize_with = "lenient::boolean")]
    #[cfg_attr(feature = "uniffi", uniffi(default = false))]
    pub verbose_read: bool,
    /// Write `verbose`.
    #[serde(default, deserialize_with = "lenient::boolean")]
    #[cfg_attr(feature = "uniffi", uniffi(default = false))]
    pub verbose_write: bool,
    /// Read `command`.
    #[serde(default, deserialize_with = "lenient::boolean")]
    #[cfg_attr(feature = "uniffi", uniffi(default = false))]
    pub command_read: bool,
    /// Write `command`.
    #[serde(default, deserialize_with = "lenient::boolean")]
    #[cfg_attr(feature = "uniffi", uniffi(default = false))]
    pub command_write: bool,
}

impl AmiPermissions {
    /// `(class, read, write)` for each of the 13 classes, in the server's order.
    pub fn classes(&self) -> Vec<(&'static str, bool, bool)> {
        vec![("call", self.call_read, self.call_write), ("cdr", self.cdr_read, self.cdr_write), ("originate", self.originate_read, self.originate_write), ("reporting", self.reporting_read, self.reporting_write), ("agent", self.agent_read, self.agent_write), ("config", self.config_read, self.config_write), ("dialplan", self.dialplan_read, self.dialplan_write), ("dtmf", self.dtmf_read, self.dtmf_write), ("log", self.log_read, self.log_write), ("system", self.system_read, self.system_write), ("user", self.user_read, self.user_write), ("verbose", self.verbose_read, self.verbose_write), ("command", self.command_read, self.command_write)]
    }
}

impl AmiPermissions {
    /// The least a click-to-call integration needs (calls-events-recordings.md §2.1): `write`
    /// on `originate` (Originate into the `internal-originate` context) and `read` on `call`
    /// (the channel and dial events of the call it started). Nothing else: not `system` (an
    /// Originate to an application), not `command` (the Asterisk CLI), not `config`.
    pub fn click_to_call() -> Self {
        AmiPermissions {
            originate_write: true,
            call_read: true,
            ..AmiPermissions::default()
        }
    }
}

/// The permissions to give a user (create / update / patch): all 26 flags are sent and replace
/// the current ones; a flag left out is false. [`AmiPermissions`] converts into it (`.into()`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, Describe)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct AmiPermissionsInput {
    /// Read `call`.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default = false))]
    pub call_read: bool,
    /// Write `call`.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default = false))]
    pub call_write: bool,
    /// Read `cdr`.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default = false))]
    pub cdr_read: bool,
    /// Write `cdr`.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default = false))]
    pub cdr_write: bool,
    /// Read `originate`.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default = false))]
    pub originate_read: bool,
    /// Write `originate`.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default = false))]
    pub originate_write: bool,
    /// Read `reporting`.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default = false))]
    pub reporting_read: bool,
    /// Write `reporting`.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default = false))]
    pub reporting_write: bool,
    /// Read `agent`.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default = false))]
    pub agent_read: bool,
    /// Write `agent`.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default = false))]
    pub agent_write: bool,
    /// Read `config`.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default = false))]
    pub config_read: bool,
    /// Write `config`.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default = false))]
    pub config_write: bool,
    /// Read `dialplan`.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default = false))]
    pub dialplan_read: bool,
    /// Write `dialplan`.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default = false))]
    pub dialplan_write: bool,
    /// Read `dtmf`.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default = false))]
    pub dtmf_read: bool,
    /// Write `dtmf`.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default = false))]
    pub dtmf_write: bool,
    /// Read `log`.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default = false))]
    pub log_read: bool,
    /// Write `log`.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default = false))]
    pub log_write: bool,
    /// Read `system`.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default = false))]
    pub system_read: bool,
    /// Write `system`.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default = false))]
    pub system_write: bool,
    /// Read `user`.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default = false))]
    pub user_read: bool,
    /// Write `user`.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default = false))]
    pub user_write: bool,
    /// Read `verbose`.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default = false))]
    pub verbose_read: bool,
    /// Write `verbose`.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default = false))]
    pub verbose_write: bool,
    /// Read `command`.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default = false))]
    pub command_read: bool,
    /// Write `command`.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default = false))]
    pub command_write: bool,
}

impl From<AmiPermissions> for AmiPermissionsInput {
    fn from(p: AmiPermissions) -> Self {
        AmiPermissionsInput {
            call_read: p.call_read,
            call_write: p.call_write,
            cdr_read: p.cdr_read,
            cdr_write: p.cdr_write,
            originate_read: p.originate_read,
            originate_write: p.originate_write,
            reporting_read: p.reporting_read,
            reporting_write: p.reporting_write,
            agent_read: p.agent_read,
            agent_write: p.agent_write,
            config_read: p.config_read,
            config_write: p.config_write,
            dialplan_read: p.dialplan_read,
            dialplan_write: p.dialplan_write,
            dtmf_read: p.dtmf_read,
            dtmf_write: p.dtmf_write,
            log_read: p.log_read,
            log_write: p.log_write,
            system_read: p.system_read,
            system_write: p.system_write,
            user_read: p.user_read,
            user_write: p.user_write,
            verbose_read: p.verbose_read,
            verbose_write: p.verbose_write,
            command_read: p.command_read,
            command_write: p.command_write,
        }
    }
}

/// The fields of a user to create, replace or patch: only those set are used (the server's
/// `isset()` semantics; `username` is required to create). Strings longer than the server's
/// limits (username 50, secret 255, description 255, eventfilter 2000 characters) are cut by
/// its sanitiser, not refused.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, Describe)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct AsteriskManagerInput {
    /// The AMI login name (1–50 characters, unique).
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub username: Option<String>,
    /// The password; on create, the server generates one when it is left out or empty. On
    /// update an empty one keeps the current password.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub secret: Option<Arc<Secret>>,
    /// Description.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub description: Option<String>,
    /// A `m_NetworkFilters` id, or `none` (any address: avoid it). Anything else is reduced to
    /// its digits by the server (`localhost` becomes `none`).
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub networkfilterid: Option<String>,
    /// AMI event filter lines, newline-separated (at most 2000 characters).
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub eventfilter: Option<String>,
    /// Read / write per class; when given, all 26 flags are replaced.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub permissions: Option<AmiPermissionsInput>,
}

#[cfg_attr(feature = "uniffi", uniffi::export(async_runtime = "tokio"))]
impl AsteriskManagersApi {
    /// Creates an AMI user for click-to-call with the least rights it needs
    /// ([`AmiPermissions::click_to_call`]: `originate` write and `call` read, nothing else),
    /// usable only from the network filter `network_filter_id` (a `m_NetworkFilters` id), and
    /// returns the created record with its secret.
    ///
    /// The secret is generated by the server (`:getDefault`, `AsteriskManagerUsers::
    /// generateAMIPassword()`) and sent with the create. `none`, `localhost` or an empty or
    /// non-numeric filter id is refused before anything is sent (a [`Error::Config`]): the server
    /// would store NULL for it, and a NULL filter in `manager.conf` means the first filter's ACL
    /// or none at all (calls-events-recordings.md §2.1), while a manager that can originate calls
    /// must never be usable from any address.
    ///
    /// The filter itself is read first (so the key needs read on `network-filters` too) and
    /// refused unless it denies every address (`0.0.0.0/0`) and permits a narrower network:
    /// `ManagerConf` writes its `deny=` then `permit=` lines, and Asterisk's ACL starts from
    /// "allow", so a filter with a `permit` and no `deny` restricts nothing.
    pub async fn create_click_to_call_manager(
        &self,
        username: &str,
        network_filter_id: &str,
    ) -> Result<AsteriskManager, Error> {
        let filter = network_filter_id.trim();
        if filter.is_empty() || !filter.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::config(format!(
                "a click-to-call AMI user needs a network filter id (digits); {network_filter_id:?} \
                 would leave it usable from any address"
            )));
        }
        if username.trim().is_empty() {
            return Err(Error::config("a click-to-call AMI user needs a username"));
        }
        let record = self.client.network_filters().get(filter).await?;
        let everything = |list: &str| {
            list.split(',')
                .map(str::trim)
                .any(|n| n == "0.0.0.0/0" || n == "0.0.0.0/0.0.0.0")
        };
        if !everything(&record.deny) || record.permit.trim().is_empty() || everything(&record.permit)
        {
            return Err(Error::config(format!(
                "network filter {filter} (permit {:?}, deny {:?}) would leave the AMI user \
                 reachable from other addresses: Asterisk allows whatever a filter does not deny. \
                 Use a filter that denies 0.0.0.0/0 and permits only the integration's host \
                 (Network and firewall in the web UI)",
                record.permit, record.deny
            )));
        }
        let defaults = self.get_default().await?;
        if defaults.secret.is_empty() {
            return Err(Error::config(
                "the PBX generated no secret for the new AMI user (asterisk-managers:getDefault)",
            ));
        }
        self.create(AsteriskManagerInput {
            username: Some(username.to_owned()),
            secret: Some(defaults.secret),
            description: Some("click-to-call (mikopbx-sdk)".to_owned()),
            networkfilterid: Some(filter.to_owned()),
            eventfilter: None,
            permissions: Some(AmiPermissions::click_to_call().into()),
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_of_a_record_and_an_input_never_shows_the_secret() {
        let body = r#"{"id":"7","username":"crm","secret":"S3cr3t-AMI-pass","read":"call",
            "write":"originate","networkfilterid":"2","permissions":{"call_read":true,
            "originate_write":"1"},"isSystem":false}"#;
        let m: AsteriskManager = serde_json::from_str(body).unwrap();
        assert_eq!(m.secret.expose_secret(), "S3cr3t-AMI-pass");
        assert!(m.permissions.call_read && m.permissions.originate_write);
        assert!(!m.permissions.call_write);
        let debug = format!("{m:?} {m:#?}");
        assert!(!debug.contains("S3cr3t"), "{debug}");
        assert!(debug.contains("Secret(<redacted>)"), "{debug}");
        // Nor in a JSON dump of the result.
        let json = serde_json::to_string(&m).unwrap();
        assert!(!json.contains("S3cr3t"), "{json}");

        let input = AsteriskManagerInput {
            secret: Some(Arc::new(Secret::new("S3cr3t-AMI-pass"))),
            ..Default::default()
        };
        assert!(!format!("{input:?}").contains("S3cr3t"));
        // The request body is the one place it goes.
        assert!(serde_json::to_string(&input).unwrap().contains("S3cr3t-AMI-pass"));
    }

    #[test]
    fn list_rows_and_php_empty_arrays_decode() {
        let row = r#"{"id":"1","uniqid":"","description":"","username":"1cami",
            "networkfilterid":"none","represent":"1cami","readPermissionsSummary":"call, cdr",
            "writePermissionsSummary":"originate","isSystem":false,"permissions":[]}"#;
        let m: AsteriskManager = serde_json::from_str(row).unwrap();
        assert!(m.secret.is_empty());
        assert_eq!(m.permissions, AmiPermissions::default());
        assert_eq!(m.extra["readPermissionsSummary"], "call, cdr");
    }

    #[test]
    fn click_to_call_rights_are_exactly_two() {
        let granted: Vec<(&str, bool, bool)> = AmiPermissions::click_to_call()
            .classes()
            .into_iter()
            .filter(|(_, r, w)| *r || *w)
            .collect();
        assert_eq!(granted, [("call", true, false), ("originate", false, true)]);
    }
}
