//! `ivr-menu`: voice menus that answer a call, play a greeting and route the caller by the
//! digits pressed (provisioning).
//!
//! Shapes from the server's `src/PBXCoreREST/Lib/IvrMenu/` (mikopbx/Core develop e26e6b9; the
//! release tag 2026.1.223 has the same files): list rows (`DataStructure::createForList`, a
//! bare array) carry `id`, `extension`, `name`, `description`, `represent` (HTML), `timeout`,
//! `number_of_repeat`, `timeout_extension` and `actions` with `digits` + `represent`; a record
//! (`createFromModel`, also the answer of create and update, and `:copy`) adds
//! `allow_enter_any_internal_extension`, `audio_message_id` and actions with `id`, `digits`,
//! `extension` and `extension_represent`. `:getDefault` sends every value as a string
//! (`"7"`, `"0"`). The menu's id is its `uniqid`, `IVR-` and upper-case hex digits.
//!
//! Writes differ by verb on the server: `create` and `update` go through `SaveRecordAction`
//! (sanitised, checked, the number moved with the menu, the actions **replaced** by the ones
//! sent), `patch` through `PatchAction`, which writes what it is given unchecked and answers
//! only the id.

use std::collections::HashMap;

use mikopbx_macros::Describe;
use serde::{Deserialize, Serialize};

use crate::api::{api, paged, python_records};
use crate::envelope::lenient;
use crate::permissions::Resource;

api! {
    /// `ivr-menu`: voice menus that route callers by the digits they press.
    IvrMenuApi => ivr_menu, Resource::IvrMenu, "/pbxcore/api/v3/ivr-menu";

    /// Menus matching the filters (text in the name or description), fetched lazily page by
    /// page.
    IVR_MENU_LIST = list(query query: IvrMenuQuery) -> pager IvrMenuPager<IvrMenu>
        = Get "" BareList, "ivr-menu.getList", idempotent, "List IVR menus";
    /// One menu by id (`IVR-…`), with its actions. A missing menu is `NotFound` with status 422
    /// (the server sets no 404 here). A restricted key is refused on ids ending in A–F (the
    /// server's id check); the error says so.
    IVR_MENU_GET = get(id id: &str) -> one IvrMenu
        = Get "/{id}" Object, "ivr-menu.getRecord", idempotent, "One IVR menu";
    /// A new menu's defaults (a free extension number, timeout 7 s, 3 repeats), not saved. Its
    /// `id` is freshly generated and not reserved: `create` makes its own.
    IVR_MENU_GET_DEFAULT = get_default() -> one IvrMenu
        = Get ":getDefault" Object, "ivr-menu.getDefault", idempotent, "Defaults for a new IVR menu";
    /// A prefilled copy of a menu (new id and extension, `copy of <name>`, the same settings
    /// and actions), not saved: pass its values to `create`. A GET, so read permission is
    /// enough.
    IVR_MENU_COPY = copy(id id: &str) -> one IvrMenu
        = Get "/{id}:copy" Object, "ivr-menu.copy", idempotent, "A copy of an IVR menu, to create";
    /// Creates a menu and its extension (`name` and `extension` are required; timeout 7 s and
    /// 3 repeats unless given). Not retried after an ambiguous failure: it would create twice.
    IVR_MENU_CREATE = create(body menu: IvrMenuInput) -> one IvrMenu
        = Post "" Object, "ivr-menu.create", once, "Create an IVR menu";
    /// Changes a menu (PUT). `name` is required; other settings left out keep their values,
    /// a new `extension` moves the menu's number (what routes to it follows), and the menu's
    /// actions become exactly `actions`: an empty list removes them all.
    IVR_MENU_UPDATE = update(id id: &str, body menu: IvrMenuInput) -> one IvrMenu
        = Put "/{id}" Object, "ivr-menu.update", idempotent, "Update an IVR menu";
    /// Changes only the fields given (PATCH). The server writes them as given, without the
    /// checks of `create` / `update` (no range check, no sanitising; `actions`, when given,
    /// replace the menu's actions as sent), and answers only the id: `get` the menu to see it.
    /// The number cannot be changed here (the server would not move its extension); use
    /// `update`. Not retried: a partial update is not guaranteed idempotent.
    IVR_MENU_PATCH = patch(id id: &str, body patch: IvrMenuPatch) -> nothing
        = Patch "/{id}" Object, "ivr-menu.patch", once, "Change some fields of an IVR menu";
    /// Deletes a menu, its actions and its extension. Refused with a conflict (409, the
    /// referrers listed in HTML) while the number is a routing target elsewhere: a queue's
    /// redirect, an incoming route, an off-work-time rule, an employee's forwarding, another
    /// menu's timeout or action (`Extensions::delete()`, its `ACTION_RESTRICT` relations).
    IVR_MENU_DELETE = delete(id id: &str) -> nothing
        = Delete "/{id}" Empty, "ivr-menu.delete", idempotent, "Delete an IVR menu";
}

python_records!(IvrMenu, IvrMenuAction);

/// An IVR menu. List rows have no `allow_enter_any_internal_extension` nor
/// `audio_message_id` (`None`); `represent` comes with list rows and `get_default`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, Describe)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "python", pyo3::pyclass(get_all, frozen, eq, module = "mikopbx._native"))]
pub struct IvrMenu {
    /// The id (the menu's `uniqid`), `IVR-` and upper-case hex digits.
    #[serde(default, deserialize_with = "lenient::string")]
    pub id: String,
    /// The menu's extension number (what callers dial, or are routed to, to reach it).
    #[serde(default, deserialize_with = "lenient::string")]
    pub extension: String,
    /// Name.
    #[serde(default, deserialize_with = "lenient::string")]
    pub name: String,
    /// Description.
    #[serde(default, deserialize_with = "lenient::string")]
    pub description: String,
    /// The server's HTML label (list rows, `get_default`), kept as sent.
    #[serde(default, deserialize_with = "lenient::string")]
    pub represent: String,
    /// Seconds the menu waits for a choice (1–60).
    #[serde(default, deserialize_with = "lenient::opt_int")]
    pub timeout: Option<i64>,
    /// How many times the greeting is played before the caller goes to `timeout_extension`
    /// (0–10).
    #[serde(default, deserialize_with = "lenient::opt_int")]
    pub number_of_repeat: Option<i64>,
    /// Whether callers may dial any internal extension, not only the menu's digits (records
    /// only).
    #[serde(default, deserialize_with = "lenient::opt_boolean")]
    pub allow_enter_any_internal_extension: Option<bool>,
    /// Where callers go when they choose nothing (an extension, or `hangup`, `busy`,
    /// `voicemail`, …).
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub timeout_extension: Option<String>,
    /// The greeting's sound file id (records only).
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub audio_message_id: Option<String>,
    /// The choices, ordered by their digits' numeric value (`*` and `#` first).
    #[serde(default, deserialize_with = "lenient::list")]
    pub actions: Vec<IvrMenuAction>,
    /// Fields this SDK does not model (`search_index`, the `*_represent` labels, `isNew`, a
    /// newer PBX's additions), as JSON text by name.
    #[serde(flatten, skip_serializing, deserialize_with = "lenient::extra")]
    pub extra: HashMap<String, String>,
}

/// One choice of a menu: the digits a caller presses and where the call goes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, Describe)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "python", pyo3::pyclass(get_all, frozen, eq, module = "mikopbx._native"))]
pub struct IvrMenuAction {
    /// The row's id (records only; `None` in a `copy`).
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub id: Option<String>,
    /// The digits (`0-9`, `*`, `#`).
    #[serde(default, deserialize_with = "lenient::string")]
    pub digits: String,
    /// Where the call goes (records only; list rows carry only its label).
    #[serde(default, deserialize_with = "lenient::string")]
    pub extension: String,
    /// The server's HTML label of the destination, kept as sent (`represent` in list rows,
    /// `extension_represent` in records; `ERROR` or `""` when the number is no extension).
    #[serde(
        default,
        alias = "extension_represent",
        deserialize_with = "lenient::string"
    )]
    pub represent: String,
}

/// A menu to create, or its new state (`update`): `name` required by the server, for a new
/// menu also `extension`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, Describe)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct IvrMenuInput {
    /// Name (the server cuts it to 255 characters).
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub name: Option<String>,
    /// Extension number, 2–8 digits, not used by anything else (`update` keeps the current
    /// one when left out).
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub extension: Option<String>,
    /// Description (the server cuts it to 500 characters).
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub description: Option<String>,
    /// Seconds the menu waits for a choice (1–60; 7 for a new menu).
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub timeout: Option<u32>,
    /// Times the greeting is played before `timeout_extension` (0–10; 3 for a new menu).
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub number_of_repeat: Option<u32>,
    /// Let callers dial any internal extension (false for a new menu).
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub allow_enter_any_internal_extension: Option<bool>,
    /// Where callers go when they choose nothing: an extension, or `hangup`, `busy`,
    /// `voicemail`, `did2user` (`""` clears it). The server keeps only the digits of anything
    /// else.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub timeout_extension: Option<String>,
    /// The greeting's sound file id (`""` clears it).
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub audio_message_id: Option<String>,
    /// Every choice of the menu: they replace the stored ones, so an empty list removes them
    /// all (the server does the same when none are sent). The server drops choices whose
    /// digits or destination are empty once sanitised, and the digit `0` (PHP's `empty("0")`).
    pub actions: Vec<IvrMenuActionInput>,
}

/// One choice to put in a menu.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, Describe)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct IvrMenuActionInput {
    /// The digits, `0-9`, `*` and `#`, at most 10 (`create` / `update` drop other characters,
    /// and drop a choice whose digits are just `0`).
    pub digits: String,
    /// Where the call goes: an extension number, or `hangup`, `busy`, `voicemail`,
    /// `did2user`.
    pub extension: String,
}

/// The fields of a menu to change with `patch` (only those set are sent). The server writes
/// them unchecked: keep `timeout` within 1–60 and `number_of_repeat` within 0–10.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, Describe)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct IvrMenuPatch {
    /// Name (the number's caller id in the extensions directory keeps the old one until the
    /// next `update`).
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub name: Option<String>,
    /// Description.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub description: Option<String>,
    /// Seconds the menu waits for a choice (1–60).
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub timeout: Option<u32>,
    /// Times the greeting is played (0–10).
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub number_of_repeat: Option<u32>,
    /// Let callers dial any internal extension.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub allow_enter_any_internal_extension: Option<bool>,
    /// Where callers go when they choose nothing (saved as given).
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub timeout_extension: Option<String>,
    /// The greeting's sound file id.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub audio_message_id: Option<String>,
    /// When given, the menu's choices become exactly these, saved as sent (not sanitised:
    /// empty and duplicate digits are kept).
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub actions: Option<Vec<IvrMenuActionInput>>,
}

/// Filters for [`IvrMenuApi::list`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, Describe)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct IvrMenuQuery {
    /// Text in the name or description (the number is not searched).
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub search: Option<String>,
    /// Sort field: `name` (default), `extension` or `id` (creation order).
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub order_by: Option<String>,
    /// `ASC` / `DESC`.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub order_direction: Option<String>,
    /// Items per request (default 100, server cap 1000).
    #[serde(skip_serializing)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub page_size: Option<u32>,
    /// Stop after this many items.
    #[serde(skip_serializing)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub max_items: Option<u64>,
}

paged!(IvrMenuQuery);
