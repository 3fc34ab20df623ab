//! The simulator's data (what MikoPBX keeps in SQLite and Redis) and its persistence.
//!
//! Everything lives in memory behind one mutex; when the simulator has a state directory every
//! change is written to `DIR/state.json` (write to a temporary file, then rename), so a restart
//! with the same `--state-dir` keeps API keys, employees, records, refresh tokens, the JWT
//! secret and the CDR anchor.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One row of `m_ApiKeys` (mikopbx-api.md §2b). The plaintext key is never stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ApiKeyRecord {
    pub(crate) id: u64,
    pub(crate) description: String,
    /// `password_hash($key, PASSWORD_BCRYPT)`.
    pub(crate) key_hash: String,
    pub(crate) key_suffix: String,
    pub(crate) key_display: String,
    pub(crate) networkfilterid: String,
    pub(crate) allowed_paths: Value,
    pub(crate) full_permissions: bool,
    pub(crate) created_at: String,
    pub(crate) last_used_at: Option<String>,
}

/// An employee: a `m_Users` row plus its SIP extension (and mobile EXTERNAL extension).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Employee {
    pub(crate) id: u64,
    pub(crate) username: String,
    pub(crate) email: String,
    pub(crate) number: String,
    pub(crate) mobile_number: String,
    pub(crate) mobile_dialstring: String,
    pub(crate) sip_secret: String,
    pub(crate) sip_transport: String,
    pub(crate) sip_dtmfmode: String,
    pub(crate) sip_enable_recording: bool,
    pub(crate) sip_networkfilterid: String,
    pub(crate) fwd_ringlength: i64,
    pub(crate) fwd_forwarding: String,
    pub(crate) fwd_forwardingonbusy: String,
    pub(crate) fwd_forwardingonunavailable: String,
}

/// One `m_CallQueues` row (src/Common/Models/CallQueues.php) with its `m_CallQueueMembers`.
///
/// Every column is a nullable string as in the model (`?string`, default `''` except
/// `caller_hear`): `None` is SQL NULL, `Some("")` an empty string, and the two read back
/// differently (`description` NULL is absent from a record, `''` is present).
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub(crate) struct CallQueue {
    /// The integer primary key (never on the wire; `id` there is the uniqid).
    pub(crate) id: u64,
    pub(crate) uniqid: String,
    pub(crate) name: Option<String>,
    pub(crate) extension: Option<String>,
    pub(crate) strategy: Option<String>,
    pub(crate) seconds_to_ring_each_member: Option<String>,
    pub(crate) seconds_for_wrapup: Option<String>,
    pub(crate) recive_calls_while_on_a_call: Option<String>,
    pub(crate) caller_hear: Option<String>,
    pub(crate) announce_position: Option<String>,
    pub(crate) announce_hold_time: Option<String>,
    pub(crate) periodic_announce_sound_id: Option<String>,
    pub(crate) moh_sound_id: Option<String>,
    pub(crate) periodic_announce_frequency: Option<String>,
    pub(crate) timeout_to_redirect_to_extension: Option<String>,
    pub(crate) timeout_extension: Option<String>,
    pub(crate) redirect_to_extension_if_empty: Option<String>,
    pub(crate) number_unanswered_calls_to_redirect: Option<String>,
    pub(crate) redirect_to_extension_if_unanswered: Option<String>,
    pub(crate) number_repeat_unanswered_to_redirect: Option<String>,
    pub(crate) redirect_to_extension_if_repeat_exceeded: Option<String>,
    pub(crate) callerid_prefix: Option<String>,
    pub(crate) description: Option<String>,
    /// `m_CallQueueMembers` rows of this queue, in insertion (id) order.
    pub(crate) members: Vec<QueueMember>,
}

/// One `m_ConferenceRooms` row (src/Common/Models/ConferenceRooms.php: `uniqid`, `extension`,
/// `name`, `pinCode`, all `?string` defaulting to `''`; the model has no `description`).
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub(crate) struct ConferenceRoom {
    /// The integer primary key (never on the wire; `id` there is the uniqid).
    pub(crate) id: u64,
    pub(crate) uniqid: String,
    pub(crate) extension: Option<String>,
    pub(crate) name: Option<String>,
    pub(crate) pin_code: Option<String>,
}

/// One `m_IvrMenu` row (src/Common/Models/IvrMenu.php) with its `m_IvrMenuActions`.
///
/// Every column is a nullable string as in the model (`?string`; defaults `''`, `timeout` `'7'`,
/// `allow_enter_any_internal_extension` `'0'`, `number_of_repeat` `'3'`): `None` is SQL NULL,
/// which reads back differently from `''` (`name` / `description` NULL are absent from a
/// record). The menu's number in `m_Extensions` is a separate row ([`IvrNumber`]), joined by
/// number as the database does: `PatchAction` changes `extension` here without touching it.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub(crate) struct IvrMenu {
    /// The integer primary key (never on the wire; `id` there is the uniqid).
    pub(crate) id: u64,
    pub(crate) uniqid: String,
    pub(crate) extension: Option<String>,
    pub(crate) audio_message_id: Option<String>,
    pub(crate) name: Option<String>,
    pub(crate) timeout: Option<String>,
    pub(crate) timeout_extension: Option<String>,
    pub(crate) allow_enter_any_internal_extension: Option<String>,
    pub(crate) number_of_repeat: Option<String>,
    pub(crate) description: Option<String>,
    /// `m_IvrMenuActions` rows of this menu (`ivr_menu_id` = the uniqid), in id order.
    pub(crate) actions: Vec<IvrMenuAction>,
}

/// One `m_IvrMenuActions` row (src/Common/Models/IvrMenuActions.php).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) struct IvrMenuAction {
    pub(crate) id: u64,
    pub(crate) digits: Option<String>,
    pub(crate) extension: Option<String>,
}

/// One `m_Extensions` row of type `IVR MENU` (`Extensions::TYPE_IVR_MENU`), as
/// `AbstractSaveRecordAction::createOrUpdateExtension()` writes it: the number and, as caller
/// id, the menu's name at the time.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) struct IvrNumber {
    pub(crate) number: String,
    pub(crate) callerid: String,
}

/// One `m_IncomingRoutingTable` row (src/Common/Models/IncomingRoutingTable.php): every
/// column a nullable string as in the model (defaults `''`, `priority` `'0'`, `timeout`
/// `'300'`); `provider` NULL is "any provider". Row `1` is the default route.
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq, Eq)]
pub(crate) struct IncomingRoute {
    pub(crate) id: u64,
    pub(crate) rulename: Option<String>,
    pub(crate) number: Option<String>,
    pub(crate) extension: Option<String>,
    pub(crate) provider: Option<String>,
    pub(crate) priority: Option<String>,
    pub(crate) timeout: Option<String>,
    /// Always `extension` since 2024.12.12 (the other actions are deprecated).
    pub(crate) action: Option<String>,
    pub(crate) note: Option<String>,
    pub(crate) audio_message_id: Option<String>,
}

/// One `m_CallQueueMembers` row.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) struct QueueMember {
    pub(crate) id: u64,
    pub(crate) extension: String,
    pub(crate) priority: i64,
}

impl CallQueue {
    /// The four routing columns that point at an extension number (the RESTRICT relations
    /// `CallQueueRedirectRights*` of src/Common/Models/Extensions.php), in relation order.
    pub(crate) fn redirects(&self) -> [&Option<String>; 4] {
        [
            &self.timeout_extension,
            &self.redirect_to_extension_if_empty,
            &self.redirect_to_extension_if_unanswered,
            &self.redirect_to_extension_if_repeat_exceeded,
        ]
    }

    /// The same columns, writable.
    pub(crate) fn redirects_mut(&mut self) -> [&mut Option<String>; 4] {
        [
            &mut self.timeout_extension,
            &mut self.redirect_to_extension_if_empty,
            &mut self.redirect_to_extension_if_unanswered,
            &mut self.redirect_to_extension_if_repeat_exceeded,
        ]
    }
}

/// One `m_AsteriskManagerUsers` row (src/Common/Models/AsteriskManagerUsers.php): an AMI login,
/// which AJAM (`/asterisk/rawman` on the Asterisk HTTPS port) accepts too.
///
/// The model keeps one nullable string column per AMI permission class (`call`, `cdr`,
/// `originate`, `reporting`, `agent`, `config`, `dialplan`, `dtmf`, `log`, `system`, `user`,
/// `verbose`, `command`), each `''`, `read`, `write` or `readwrite`; `classes` holds the non-empty
/// ones by class name.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub(crate) struct AsteriskManager {
    pub(crate) id: u64,
    pub(crate) username: String,
    /// Stored in clear, as the server does (manager.conf needs it; `GET` returns it).
    pub(crate) secret: String,
    pub(crate) classes: BTreeMap<String, String>,
    /// `None` is SQL NULL, what `none` is saved as (SaveRecordAction.php:85-88); otherwise a
    /// `m_NetworkFilters` id.
    pub(crate) networkfilterid: Option<String>,
    /// Newline-separated AMI event filter lines (≤ 2000 characters).
    pub(crate) eventfilter: Option<String>,
    pub(crate) description: Option<String>,
    /// `0` not checked, `1` ok, `2` weak.
    pub(crate) weak_secret: Option<String>,
}

impl AsteriskManager {
    /// Whether the user holds `class` for reading (`write == false`) or writing, as
    /// `ManagerConf` writes `read=` / `write=` from the columns (ManagerConf.php:172-207).
    pub(crate) fn can(&self, class: &str, write: bool) -> bool {
        let want = if write { "write" } else { "read" };
        self.classes
            .get(class)
            .is_some_and(|v| v == want || v == "readwrite")
    }
}

/// A refresh token as `RedisTokenStorage` keeps it (under `sha256(token)`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct RefreshToken {
    pub(crate) user_id: String,
    pub(crate) role: String,
    /// Simulated Unix time after which the token is gone (30-day TTL).
    pub(crate) expires: f64,
}

/// All persistent data.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub(crate) struct Store {
    /// PbxSettings `JWTSecret`: 64 hex characters.
    pub(crate) jwt_secret: String,
    pub(crate) api_keys: Vec<ApiKeyRecord>,
    pub(crate) next_key_id: u64,
    pub(crate) employees: BTreeMap<u64, Employee>,
    pub(crate) next_user_id: u64,
    /// `m_CallQueues` with their members.
    #[serde(default)]
    pub(crate) call_queues: Vec<CallQueue>,
    /// The next `m_CallQueues.id` / `m_CallQueueMembers.id` (AUTOINCREMENT: never reused).
    #[serde(default)]
    pub(crate) next_queue_id: u64,
    #[serde(default)]
    pub(crate) next_queue_member_id: u64,
    /// `m_ConferenceRooms`, in id order.
    #[serde(default)]
    pub(crate) conference_rooms: Vec<ConferenceRoom>,
    /// The next `m_ConferenceRooms.id` (AUTOINCREMENT: never reused).
    #[serde(default)]
    pub(crate) next_conference_id: u64,
    /// `m_IvrMenu` with their actions, in id order.
    #[serde(default)]
    pub(crate) ivr_menus: Vec<IvrMenu>,
    /// The `m_Extensions` rows of type `IVR MENU`.
    #[serde(default)]
    pub(crate) ivr_numbers: Vec<IvrNumber>,
    /// The next `m_IvrMenu.id` / `m_IvrMenuActions.id` (AUTOINCREMENT: never reused).
    #[serde(default)]
    pub(crate) next_ivr_id: u64,
    #[serde(default)]
    pub(crate) next_ivr_action_id: u64,
    /// `m_IncomingRoutingTable`, in id order. Never empty once seeded: the default route
    /// cannot be deleted, so an empty list is a state.json from before incoming routes.
    #[serde(default)]
    pub(crate) incoming_routes: Vec<IncomingRoute>,
    /// The next `m_IncomingRoutingTable.id` (AUTOINCREMENT: never reused).
    #[serde(default)]
    pub(crate) next_incoming_route_id: u64,
    /// `m_AsteriskManagerUsers`, in id order.
    #[serde(default)]
    pub(crate) asterisk_managers: Vec<AsteriskManager>,
    /// The next `m_AsteriskManagerUsers.id` (AUTOINCREMENT: never reused).
    #[serde(default)]
    pub(crate) next_manager_id: u64,
    /// Records of the other resources (sip-providers, modules, …), by resource name.
    pub(crate) records: BTreeMap<String, Vec<Value>>,
    pub(crate) general_settings: Value,
    pub(crate) refresh_tokens: HashMap<String, RefreshToken>,
    /// Unix time the CDR generator counts back from (fixed at first start, then persisted).
    pub(crate) cdr_anchor: i64,
    /// CDR ids deleted through `DELETE /cdr/{id}`.
    #[serde(default)]
    pub(crate) cdr_deleted: Vec<u64>,
    /// The effects the simulator cannot have but the server would (`reboot`, `shutdown`,
    /// `datetime 1767225600 Europe/Berlin`), in order, for tests to see in `state.json`.
    #[serde(default)]
    pub(crate) system_actions: Vec<String>,
    /// Requests to the legacy, unauthenticated `cdr:playback|download?view=<path>` (which the
    /// SDK must never make), for tests to see in `state.json`.
    #[serde(default)]
    pub(crate) legacy_view_requests: u64,
    /// AJAM originates and secrets seen in URLs (`ajam.rs`), for tests to see in `state.json`.
    #[serde(default)]
    pub(crate) ajam_log: crate::ajam::AjamLog,
    /// PbxSettings `WEB_ADMIN_LANGUAGE` (empty: the server's default, `en`).
    #[serde(default)]
    pub(crate) web_admin_language: String,
}

impl Store {
    /// A fresh, seeded store.
    pub(crate) fn fresh() -> Store {
        let mut s = Store {
            jwt_secret: crate::util::random_hex(32),
            next_key_id: 1,
            next_user_id: 1,
            next_queue_id: 1,
            next_queue_member_id: 1,
            next_manager_id: 1,
            next_conference_id: 1,
            next_ivr_id: 1,
            next_ivr_action_id: 1,
            next_incoming_route_id: 1,
            cdr_anchor: chrono::Utc::now().timestamp(),
            ..Store::default()
        };
        crate::seed::seed(&mut s);
        s
    }

    /// Load `DIR/state.json` if it exists and parses; otherwise a fresh store.
    pub(crate) fn load_or_fresh(dir: &Path) -> Store {
        match std::fs::read(state_file(dir)) {
            Ok(bytes) => match serde_json::from_slice::<Store>(&bytes) {
                Ok(mut s) => {
                    crate::resources::call_queues::migrate_legacy(&mut s);
                    crate::resources::conference_rooms::migrate_legacy(&mut s);
                    crate::resources::ivr_menu::migrate_legacy(&mut s);
                    if s.incoming_routes.is_empty() {
                        crate::seed::seed_incoming_routes(&mut s);
                    }
                    s
                }
                Err(e) => {
                    tracing::warn!("state.json unreadable ({e}); starting from seed data");
                    Store::fresh()
                }
            },
            Err(_) => Store::fresh(),
        }
    }

    /// Write the store to `DIR/state.json` atomically. Errors are logged, never fatal.
    pub(crate) fn save(&self, dir: &Path) {
        let path = state_file(dir);
        let tmp = dir.join("state.json.tmp");
        let result = serde_json::to_vec(self)
            .map_err(std::io::Error::other)
            .and_then(|bytes| std::fs::write(&tmp, bytes))
            .and_then(|()| std::fs::rename(&tmp, &path));
        if let Err(e) = result {
            tracing::warn!("could not persist state to {}: {e}", path.display());
        }
    }

    /// The employee owning SIP extension `number`.
    pub(crate) fn employee_by_number(&self, number: &str) -> Option<&Employee> {
        self.employees.values().find(|e| e.number == number)
    }
}

fn state_file(dir: &Path) -> PathBuf {
    dir.join("state.json")
}
