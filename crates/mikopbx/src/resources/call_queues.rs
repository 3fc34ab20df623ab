//! `call-queues`: queues of agents that ring in turn (provisioning).
//!
//! Shapes from the server's `src/PBXCoreREST/Lib/CallQueues/` (release 2026.1.223): list rows
//! (`DataStructure::createForList`) carry `id`, `name`, `extension`, `strategy`, `description`,
//! `represent` (HTML) and `members` with `extension` + `represent`; a record
//! (`createFromModel`, also the answer of create/update/patch, `:getDefault` and `:copy`) has
//! every setting and `members` with `id`, `extension`, `priority`, `represent`.

use std::collections::HashMap;

use mikopbx_macros::Describe;
use serde::{Deserialize, Serialize};

use crate::api::{api, paged, python_records};
use crate::envelope::lenient;
use crate::permissions::Resource;

api! {
    /// `call-queues`: queues of agents that ring in turn.
    CallQueuesApi => call_queues, Resource::CallQueues, "/pbxcore/api/v3/call-queues";

    /// Queues matching the filters (name or description), fetched lazily page by page.
    CALL_QUEUES_LIST = list(query query: CallQueueQuery) -> pager CallQueuePager<CallQueue>
        = Get "" BareList, "call-queues.getList", idempotent, "List call queues";
    /// One queue by id (`QUEUE-…`). A restricted key is refused on ids ending in A–F (the
    /// server's id check); the error says so.
    CALL_QUEUES_GET = get(id id: &str) -> one CallQueue
        = Get "/{id}" Object, "call-queues.getRecord", idempotent, "One call queue";
    /// A new queue's defaults (a free extension number, default strategy and timings), not saved.
    CALL_QUEUES_GET_DEFAULT = get_default() -> one CallQueue
        = Get ":getDefault" Object, "call-queues.getDefault", idempotent, "Defaults for a new queue";
    /// A prefilled copy of a queue (new id and extension, same settings and members), not saved:
    /// pass its settings to `create`. A GET, so read permission is enough.
    CALL_QUEUES_COPY = copy(id id: &str) -> one CallQueue
        = Get "/{id}:copy" Object, "call-queues.copy", idempotent, "A copy of a queue, to create";
    /// Creates a queue and its extension (`name` and `extension` are required). Not retried after
    /// an ambiguous failure: it would create twice.
    CALL_QUEUES_CREATE = create(body queue: CallQueueInput) -> one CallQueue
        = Post "" Object, "call-queues.create", once, "Create a call queue";
    /// Replaces a queue (PUT): settings left out return to their defaults; `members`, when given,
    /// replace the members.
    CALL_QUEUES_UPDATE = update(id id: &str, body queue: CallQueueInput) -> one CallQueue
        = Put "/{id}" Object, "call-queues.update", idempotent, "Replace a call queue";
    /// Changes only the settings given (PATCH). Not retried: a partial update is not guaranteed
    /// idempotent.
    CALL_QUEUES_PATCH = patch(id id: &str, body patch: CallQueueInput) -> one CallQueue
        = Patch "/{id}" Object, "call-queues.patch", once, "Change some settings of a call queue";
    /// Deletes a queue and its extension.
    CALL_QUEUES_DELETE = delete(id id: &str) -> nothing
        = Delete "/{id}" Empty, "call-queues.delete", idempotent, "Delete a call queue";
}

python_records!(CallQueue, CallQueueMember);

/// A call queue. List rows carry only the identity, strategy and members; the settings
/// (`Option`s here) come with a record (`get`, and every write's answer).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, Describe)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "python", pyo3::pyclass(get_all, frozen, eq, module = "mikopbx._native"))]
pub struct CallQueue {
    /// The id, `QUEUE-` and hex digits.
    #[serde(default, deserialize_with = "lenient::string")]
    pub id: String,
    /// Name.
    #[serde(default, deserialize_with = "lenient::string")]
    pub name: String,
    /// The queue's extension number.
    #[serde(default, deserialize_with = "lenient::string")]
    pub extension: String,
    /// `ringall`, `leastrecent`, `fewestcalls`, `random`, `rrmemory` or `linear`.
    #[serde(default, deserialize_with = "lenient::string")]
    pub strategy: String,
    /// Description.
    #[serde(default, deserialize_with = "lenient::string")]
    pub description: String,
    /// The server's HTML label (list rows), kept as sent.
    #[serde(default, deserialize_with = "lenient::string")]
    pub represent: String,
    /// The agents, by priority.
    #[serde(default, deserialize_with = "lenient::list")]
    pub members: Vec<CallQueueMember>,
    /// Seconds each member rings (1–300).
    #[serde(default, deserialize_with = "lenient::opt_int")]
    pub seconds_to_ring_each_member: Option<i64>,
    /// Seconds of rest after a call (0–300).
    #[serde(default, deserialize_with = "lenient::opt_int")]
    pub seconds_for_wrapup: Option<i64>,
    /// Ring members who are already on a call (the server's spelling).
    #[serde(default, deserialize_with = "lenient::opt_boolean")]
    pub recive_calls_while_on_a_call: Option<bool>,
    /// Tell callers their position.
    #[serde(default, deserialize_with = "lenient::opt_boolean")]
    pub announce_position: Option<bool>,
    /// Tell callers the expected hold time.
    #[serde(default, deserialize_with = "lenient::opt_boolean")]
    pub announce_hold_time: Option<bool>,
    /// What callers hear: `ringing` or `moh`.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub caller_hear: Option<String>,
    /// Music-on-hold sound file id.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub moh_sound_id: Option<String>,
    /// Periodic announcement sound file id.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub periodic_announce_sound_id: Option<String>,
    /// Seconds between announcements (0–600).
    #[serde(default, deserialize_with = "lenient::opt_int")]
    pub periodic_announce_frequency: Option<i64>,
    /// Seconds before a waiting caller goes to `timeout_extension` (0: never).
    #[serde(default, deserialize_with = "lenient::opt_int")]
    pub timeout_to_redirect_to_extension: Option<i64>,
    /// Where callers go after the timeout.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub timeout_extension: Option<String>,
    /// Where callers go when no member is available.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub redirect_to_extension_if_empty: Option<String>,
    /// Unanswered rounds before `redirect_to_extension_if_unanswered` (1–100).
    #[serde(default, deserialize_with = "lenient::opt_int")]
    pub number_unanswered_calls_to_redirect: Option<i64>,
    /// Where callers go after too many unanswered rounds.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub redirect_to_extension_if_unanswered: Option<String>,
    /// Repeated calls before `redirect_to_extension_if_repeat_exceeded` (1–100).
    #[serde(default, deserialize_with = "lenient::opt_int")]
    pub number_repeat_unanswered_to_redirect: Option<i64>,
    /// Where repeated callers go.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub redirect_to_extension_if_repeat_exceeded: Option<String>,
    /// Prefix added to the caller id members see.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub callerid_prefix: Option<String>,
    /// Fields this SDK does not model (the `*_represent` labels, a newer PBX's additions), as
    /// JSON text by name.
    #[serde(flatten, skip_serializing, deserialize_with = "lenient::extra")]
    pub extra: HashMap<String, String>,
}

/// One agent of a queue.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, Describe)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "python", pyo3::pyclass(get_all, frozen, eq, module = "mikopbx._native"))]
pub struct CallQueueMember {
    /// The member's extension.
    #[serde(default, deserialize_with = "lenient::string")]
    pub extension: String,
    /// Order of ringing (0–10; records only).
    #[serde(default, deserialize_with = "lenient::opt_int")]
    pub priority: Option<i64>,
    /// The server's HTML label, kept as sent.
    #[serde(default, deserialize_with = "lenient::string")]
    pub represent: String,
}

/// The settings of a queue to create, replace (`name` and `extension` required by the server)
/// or patch (only the fields set are sent).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, Describe)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct CallQueueInput {
    /// Name (at most 100 characters).
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub name: Option<String>,
    /// Extension number, 2–8 digits, not used by anything else.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub extension: Option<String>,
    /// `ringall` (default), `leastrecent`, `fewestcalls`, `random`, `rrmemory`, `linear`.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub strategy: Option<String>,
    /// Description (at most 500 characters).
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub description: Option<String>,
    /// The agents; when given, they replace the current members.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub members: Option<Vec<CallQueueMemberInput>>,
    /// Seconds each member rings (1–300, default 15).
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub seconds_to_ring_each_member: Option<u32>,
    /// Seconds of rest after a call (0–300, default 15).
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub seconds_for_wrapup: Option<u32>,
    /// Ring members who are already on a call.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub recive_calls_while_on_a_call: Option<bool>,
    /// Tell callers their position.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub announce_position: Option<bool>,
    /// Tell callers the expected hold time.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub announce_hold_time: Option<bool>,
    /// `ringing` (default) or `moh`.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub caller_hear: Option<String>,
    /// Music-on-hold sound file id.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub moh_sound_id: Option<String>,
    /// Periodic announcement sound file id.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub periodic_announce_sound_id: Option<String>,
    /// Seconds between announcements (0–600).
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub periodic_announce_frequency: Option<u32>,
    /// Seconds before a waiting caller goes to `timeout_extension` (0–3600; 0: never).
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub timeout_to_redirect_to_extension: Option<u32>,
    /// Where callers go after the timeout (an extension, or `hangup`, `busy`, `voicemail`, …).
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub timeout_extension: Option<String>,
    /// Where callers go when no member is available.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub redirect_to_extension_if_empty: Option<String>,
    /// Unanswered rounds before `redirect_to_extension_if_unanswered` (1–100, default 3).
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub number_unanswered_calls_to_redirect: Option<u32>,
    /// Where callers go after too many unanswered rounds.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub redirect_to_extension_if_unanswered: Option<String>,
    /// Repeated calls before `redirect_to_extension_if_repeat_exceeded` (1–100, default 3).
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub number_repeat_unanswered_to_redirect: Option<u32>,
    /// Where repeated callers go.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub redirect_to_extension_if_repeat_exceeded: Option<String>,
    /// Prefix added to the caller id members see (at most 50 characters).
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub callerid_prefix: Option<String>,
}

/// One agent to put in a queue.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, Describe)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct CallQueueMemberInput {
    /// The member's extension.
    pub extension: String,
    /// Order of ringing (0–10; the server clamps it).
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub priority: Option<u32>,
}

/// Filters for [`CallQueuesApi::list`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, Describe)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct CallQueueQuery {
    /// Text in the name or description.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub search: Option<String>,
    /// Sort field: `name` (default), `extension` or `id`.
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

paged!(CallQueueQuery);
