//! `conference-rooms`: meeting rooms callers join by dialling their extension (provisioning).
//!
//! Shapes from the server's `src/PBXCoreREST/Lib/ConferenceRooms/` (release 2026.1.223,
//! unchanged on develop): list rows (`DataStructure::createForList`, a bare array) carry `id`,
//! `extension`, `name`, `represent` (HTML) and `pinCode`; a record (`createFromModel`, also the
//! answer of create/update/patch) has `id`, `extension`, `name` and `pinCode`, plus `isNew`
//! from `GetRecordAction`; `:getDefault` (`GetDefaultAction`) adds `uniqid` and `represent`
//! (`New Conference Room`). All values are strings. The room's id is its `uniqid`,
//! `CONFERENCE-` and upper-case hex digits.
//!
//! The model (`src/Common/Models/ConferenceRooms.php`) has no `description` column:
//! `SaveRecordAction` accepts one and echoes it in that write's answer, but never stores it.

use std::collections::HashMap;

use mikopbx_macros::Describe;
use serde::{Deserialize, Serialize};

use crate::api::{api, paged, python_records};
use crate::envelope::lenient;
use crate::permissions::Resource;

api! {
    /// `conference-rooms`: meeting rooms callers join by dialling their extension.
    ConferenceRoomsApi => conference_rooms, Resource::ConferenceRooms, "/pbxcore/api/v3/conference-rooms";

    /// Rooms matching the filters (text in the name), fetched lazily page by page.
    CONFERENCE_ROOMS_LIST = list(query query: ConferenceRoomQuery) -> pager ConferenceRoomPager<ConferenceRoom>
        = Get "" BareList, "conference-rooms.getList", idempotent, "List conference rooms";
    /// One room by id (`CONFERENCE-…`). A restricted key is refused on ids ending in A–F (the
    /// server's id check); the error says so.
    CONFERENCE_ROOMS_GET = get(id id: &str) -> one ConferenceRoom
        = Get "/{id}" Object, "conference-rooms.getRecord", idempotent, "One conference room";
    /// A new room's defaults (a free extension number, empty name and PIN), not saved. Its `id`
    /// is freshly generated and not reserved: `create` makes its own.
    CONFERENCE_ROOMS_GET_DEFAULT = get_default() -> one ConferenceRoom
        = Get ":getDefault" Object, "conference-rooms.getDefault", idempotent, "Defaults for a new conference room";
    /// Creates a room and its extension (`name` and `extension` are required). Not retried after
    /// an ambiguous failure: it would create twice.
    CONFERENCE_ROOMS_CREATE = create(body room: ConferenceRoomInput) -> one ConferenceRoom
        = Post "" Object, "conference-rooms.create", once, "Create a conference room";
    /// Changes a room (PUT). `name` is required; as on the server, `extension` and `pin_code`
    /// left out keep their values.
    CONFERENCE_ROOMS_UPDATE = update(id id: &str, body room: ConferenceRoomInput) -> one ConferenceRoom
        = Put "/{id}" Object, "conference-rooms.update", idempotent, "Update a conference room";
    /// Changes only the fields given (PATCH; `description` is dropped by the server's merge).
    /// Not retried: a partial update is not guaranteed idempotent.
    CONFERENCE_ROOMS_PATCH = patch(id id: &str, body patch: ConferenceRoomInput) -> one ConferenceRoom
        = Patch "/{id}" Object, "conference-rooms.patch", once, "Change some fields of a conference room";
    /// Deletes a room and its extension. Refused with a conflict (409, the referrers listed in
    /// HTML) while the number is a routing target elsewhere: a queue's redirect, an incoming
    /// route, an off-work-time rule, an employee's forwarding, an IVR menu's timeout or action
    /// (`Extensions::delete()`, its `ACTION_RESTRICT` relations).
    CONFERENCE_ROOMS_DELETE = delete(id id: &str) -> nothing
        = Delete "/{id}" Empty, "conference-rooms.delete", idempotent, "Delete a conference room";
}

python_records!(ConferenceRoom);

/// A conference room. `represent` comes with list rows (and `get_default`), `description` only
/// with the answer of the write that sent one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, Describe)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "python", pyo3::pyclass(get_all, frozen, eq, module = "mikopbx._native"))]
pub struct ConferenceRoom {
    /// The id (the room's `uniqid`), `CONFERENCE-` and upper-case hex digits.
    #[serde(default, deserialize_with = "lenient::string")]
    pub id: String,
    /// The room's extension number (what callers dial to join).
    #[serde(default, deserialize_with = "lenient::string")]
    pub extension: String,
    /// Name.
    #[serde(default, deserialize_with = "lenient::string")]
    pub name: String,
    /// The PIN callers must enter (`""`: none). Sent by the server in clear, in lists too.
    #[serde(
        default,
        rename(deserialize = "pinCode"),
        deserialize_with = "lenient::string"
    )]
    pub pin_code: String,
    /// The server's HTML label (list rows, `get_default`), kept as sent.
    #[serde(default, deserialize_with = "lenient::string")]
    pub represent: String,
    /// The description a write sent, echoed in its answer only: the PBX does not store it
    /// (there is no such column), so `get` and `list` never have one.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub description: Option<String>,
    /// Fields this SDK does not model (`isNew`, `get_default`'s `uniqid`, a newer PBX's
    /// additions), as JSON text by name.
    #[serde(flatten, skip_serializing, deserialize_with = "lenient::extra")]
    pub extra: HashMap<String, String>,
}

/// The fields of a room to create, change (`name` required by the server; for a new room also
/// `extension`) or patch (only the fields set are sent).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, Describe)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct ConferenceRoomInput {
    /// Name (the server cuts it to 100 characters).
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub name: Option<String>,
    /// Extension number, 2–8 digits, not used by anything else. The server trims it and, when
    /// it is not 2–8 digits, keeps only its digits (`"23-45"` is saved as `2345`).
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub extension: Option<String>,
    /// PIN callers must enter (`""`: none; the server cuts it to 20 characters).
    #[serde(rename(serialize = "pinCode"))]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub pin_code: Option<String>,
    /// Description (at most 500 characters). Accepted, and echoed in the answer of `create` and
    /// `update`, but not stored by the PBX (its model has no such column); `patch` drops it.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub description: Option<String>,
}

/// Filters for [`ConferenceRoomsApi::list`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, Describe)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct ConferenceRoomQuery {
    /// Text in the name (the server searches no other field).
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

paged!(ConferenceRoomQuery);
