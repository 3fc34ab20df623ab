//! `incoming-routes`: the rules that send a call coming in from a provider to an extension, by
//! the number dialled (DID) and the provider (provisioning).
//!
//! Shapes from the server's `src/PBXCoreREST/Lib/IncomingRoutes/` (mikopbx/Core develop
//! e26e6b9): a record (`DataStructure::createFromModel`, also the answer of create, update,
//! patch, `:getDefault`, `:getDefaultRoute` and `:copy`) carries `id`, `rulename`, `number`,
//! `providerid` (`none` for any provider), `priority`, `timeout`, `extension`,
//! `audio_message_id`, `note` and the HTML labels `providerid_represent`,
//! `extension_represent`, `audio_message_id_represent`, plus `provider_type` and
//! `provider_disabled`; list rows (`createForList`, a bare array) have no `audio_message_id`
//! but a `rule_represent` sentence. Ids are the table's integer key, as strings.
//!
//! Route `1` is the **default route**: what happens to a call no other rule takes (priority
//! 9999, whatever is sent). The list leaves it out; `get_default_route` (or `get("1")`) reads
//! it, `update` / `patch` of id `1` change it, and it cannot be deleted.
//!
//! Create, update and patch all run the same `SaveRecordAction`: values are trimmed and cut
//! (`rulename` 100 characters, `number` 50, `note` 1024, `extension` to its digits unless it is
//! `hangup`, `busy`, `voicemail` or `did2user`), `priority` must be 0–9999 and `timeout`
//! 0–7400. The server does not check that `extension` or `providerid` exist.

use std::collections::HashMap;

use mikopbx_macros::Describe;
use serde::{Deserialize, Serialize, Serializer};

use crate::api::{api, paged, python_records};
use crate::envelope::lenient;
use crate::permissions::Resource;

api! {
    /// `incoming-routes`: where calls from providers go, by number and provider.
    IncomingRoutesApi => incoming_routes, Resource::IncomingRoutes, "/pbxcore/api/v3/incoming-routes";

    /// The rules matching the filters (text in the name, number or note), by priority, without
    /// the default route; fetched lazily page by page.
    INCOMING_ROUTES_LIST = list(query query: IncomingRouteQuery) -> pager IncomingRoutePager<IncomingRoute>
        = Get "" BareList, "incoming-routes.getList", idempotent, "List incoming routes";
    /// One rule by id (`"1"` is the default route). A missing rule is `NotFound` with status
    /// 422 (the server sets no 404 here).
    INCOMING_ROUTES_GET = get(id id: &str) -> one IncomingRoute
        = Get "/{id}" Object, "incoming-routes.getRecord", idempotent, "One incoming route";
    /// A new rule's defaults (any provider, timeout 120 s, the next priority), not saved; its
    /// `id` is empty.
    INCOMING_ROUTES_GET_DEFAULT = get_default() -> one IncomingRoute
        = Get ":getDefault" Object, "incoming-routes.getDefault", idempotent, "Defaults for a new incoming route";
    /// The default route (id `1`, priority 9999): where calls go that no rule takes. The server
    /// creates it (to `busy`) when it is missing.
    INCOMING_ROUTES_GET_DEFAULT_ROUTE = get_default_route() -> one IncomingRoute
        = Get ":getDefaultRoute" Object, "incoming-routes.getDefaultRoute", idempotent, "The default incoming route";
    /// A prefilled copy of a rule (empty `id` and `rulename`, the next priority, the same
    /// provider, number, destination, timeout and note), not saved: pass its values to
    /// `create`. A POST, so it needs write permission; it changes nothing, so it is retried.
    INCOMING_ROUTES_COPY = copy(id id: &str) -> one IncomingRoute
        = Post "/{id}:copy" Object, "incoming-routes.copy", idempotent, "A copy of an incoming route, to create";
    /// Creates a rule. Nothing is required; a `priority` left out, 0 or 1 becomes the last
    /// one plus one. Not retried after an ambiguous failure: it would create twice.
    INCOMING_ROUTES_CREATE = create(body route: IncomingRouteInput) -> one IncomingRoute
        = Post "" Object, "incoming-routes.create", once, "Create an incoming route";
    /// Changes a rule (PUT): the fields given are written, the others keep their values,
    /// **except `providerid`**: left out, the rule is bound to any provider (the server resets
    /// it), so always send it. A missing rule is `NotFound` (404).
    INCOMING_ROUTES_UPDATE = update(id id: &str, body route: IncomingRouteInput) -> one IncomingRoute
        = Put "/{id}" Object, "incoming-routes.update", idempotent, "Update an incoming route";
    /// Changes the fields given (PATCH), with the same checks as `update` and the same catch:
    /// a patch without `providerid` binds the rule to any provider. Not retried.
    INCOMING_ROUTES_PATCH = patch(id id: &str, body patch: IncomingRouteInput) -> one IncomingRoute
        = Patch "/{id}" Object, "incoming-routes.patch", once, "Change some fields of an incoming route";
    /// Deletes a rule. The default route (`1`) cannot be deleted (`Validation`); a missing
    /// rule is `NotFound` with status 422 (the server answers with the untranslated key
    /// `api_IncomingRouteNotFound`, which the client's error mapping recognises).
    INCOMING_ROUTES_DELETE = delete(id id: &str) -> nothing
        = Delete "/{id}" Empty, "incoming-routes.delete", idempotent, "Delete an incoming route";
    /// Sets the priorities of several rules at once, all or nothing: one unknown id and none
    /// change. The default route is skipped; values are not range-checked. Setting absolute
    /// values, so it is retried.
    INCOMING_ROUTES_CHANGE_PRIORITY = change_priority(body priorities: IncomingRoutePriorities) -> one IncomingRoutePriorityChange
        = Post ":changePriority" Object, "incoming-routes.changePriority", idempotent, "Reorder incoming routes";
    /// Up to 20 numbers (DIDs) that calls from a provider came in on, from the call history:
    /// suggestions for a rule's `number`. Any provider (`none` or left out) gives none.
    INCOMING_ROUTES_GET_UNIQUE_DIDS = get_unique_dids(query query: UniqueDidsQuery) -> list UniqueDid
        = Get ":getUniqueDIDs" BareList, "incoming-routes.getUniqueDIDs", idempotent, "DIDs seen from a provider";
}

python_records!(IncomingRoute, IncomingRoutePriorityChange, UniqueDid);

/// An incoming route. List rows have no `audio_message_id` nor `provider_type` (empty) and
/// carry `rule_represent`; records carry `audio_message_id_represent` instead.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, Describe)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "python", pyo3::pyclass(get_all, frozen, eq, module = "mikopbx._native"))]
pub struct IncomingRoute {
    /// The id (an integer, as a string; `"1"` is the default route, `""` in `get_default` and
    /// `copy`).
    #[serde(default, deserialize_with = "lenient::string")]
    pub id: String,
    /// The rule's name (`default action` for the default route).
    #[serde(default, deserialize_with = "lenient::string")]
    pub rulename: String,
    /// The number dialled (DID) the rule matches; empty: any number.
    #[serde(default, deserialize_with = "lenient::string")]
    pub number: String,
    /// The provider's id the rule matches, or `none`: any provider.
    #[serde(default, deserialize_with = "lenient::string")]
    pub providerid: String,
    /// Order among the rules, lowest first (9999: the default route).
    #[serde(default, deserialize_with = "lenient::opt_int")]
    pub priority: Option<i64>,
    /// Seconds the destination rings before the next matching rule is tried.
    #[serde(default, deserialize_with = "lenient::opt_int")]
    pub timeout: Option<i64>,
    /// Where the call goes: an extension number, or `hangup`, `busy`, `voicemail`, `did2user`.
    #[serde(default, deserialize_with = "lenient::string")]
    pub extension: String,
    /// The sound file played first, by id (records only; `""`: none).
    #[serde(default, deserialize_with = "lenient::string")]
    pub audio_message_id: String,
    /// A note.
    #[serde(default, deserialize_with = "lenient::string")]
    pub note: String,
    /// The server's HTML label of the provider, kept as sent.
    #[serde(default, deserialize_with = "lenient::string")]
    pub providerid_represent: String,
    /// `SIP` or `IAX` for a provider that exists (records only), otherwise `""`.
    #[serde(default, deserialize_with = "lenient::string")]
    pub provider_type: String,
    /// Whether the provider is disabled.
    #[serde(default, deserialize_with = "lenient::opt_boolean")]
    pub provider_disabled: Option<bool>,
    /// The server's HTML label of the destination, kept as sent (`""` when the number is no
    /// extension).
    #[serde(default, deserialize_with = "lenient::string")]
    pub extension_represent: String,
    /// The server's HTML label of the sound file (records only).
    #[serde(default, deserialize_with = "lenient::string")]
    pub audio_message_id_represent: String,
    /// The rule as an HTML sentence (list rows only), kept as sent.
    #[serde(default, deserialize_with = "lenient::string")]
    pub rule_represent: String,
    /// Fields this SDK does not model (`search_index`, a newer PBX's additions), as JSON text
    /// by name.
    #[serde(flatten, skip_serializing, deserialize_with = "lenient::extra")]
    pub extra: HashMap<String, String>,
}

/// A rule to create, or the fields to change (`update`, `patch`): only those set are sent.
/// The server trims and cuts the texts rather than refusing them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, Describe)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct IncomingRouteInput {
    /// The rule's name (cut to 100 characters).
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub rulename: Option<String>,
    /// The number dialled (DID) to match, as the provider sends it (cut to 50 characters);
    /// `""`: any number.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub number: Option<String>,
    /// The provider's id to match, or `none` / `""`: any provider. Not checked to exist.
    /// `update` and `patch` without it bind the rule to any provider.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub providerid: Option<String>,
    /// Order among the rules, 0–9999 (for `create`: left out, 0 or 1 is the last plus one).
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub priority: Option<u32>,
    /// Seconds the destination rings before the next matching rule, 0–7400 (120 for a new
    /// rule).
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub timeout: Option<u32>,
    /// Where the call goes: an extension number or `hangup`, `busy`, `voicemail`,
    /// `did2user`. The server keeps only the digits of anything else (at most 20) and does
    /// not check that the extension exists.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub extension: Option<String>,
    /// The sound file to play first, by id (digits; `""` or `none`: none).
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub audio_message_id: Option<String>,
    /// A note (cut to 1024 characters; dangerous HTML is removed or refused).
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub note: Option<String>,
}

/// New priorities for `change_priority`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, Describe)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct IncomingRoutePriorities {
    /// Each rule's new priority. Sent as the map `{"<id>": priority}` the server reads
    /// (`ChangePriorityAction`); a list of objects, which its OpenAPI example shows, fails
    /// there.
    #[serde(serialize_with = "priorities_as_map")]
    pub priorities: Vec<IncomingRoutePriority>,
}

/// One rule's new priority.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, Describe)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct IncomingRoutePriority {
    /// The rule's id.
    pub id: String,
    /// Its new priority (lowest first).
    pub priority: i64,
}

/// `[{id, priority}, …]` as `{"<id>": priority, …}`.
fn priorities_as_map<S: Serializer>(
    list: &[IncomingRoutePriority],
    serializer: S,
) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut map = serializer.serialize_map(Some(list.len()))?;
    for p in list {
        map.serialize_entry(&p.id, &p.priority)?;
    }
    map.end()
}

/// The answer of `change_priority`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, Describe)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "python", pyo3::pyclass(get_all, frozen, eq, module = "mikopbx._native"))]
pub struct IncomingRoutePriorityChange {
    /// How many rules were changed (the default route is never counted).
    #[serde(default, deserialize_with = "lenient::int")]
    pub updated: i64,
    /// The server's summary (`Successfully updated N route priorities`).
    #[serde(default, deserialize_with = "lenient::string")]
    pub message: String,
    /// Fields this SDK does not model, as JSON text by name.
    #[serde(flatten, skip_serializing, deserialize_with = "lenient::extra")]
    pub extra: HashMap<String, String>,
}

/// A number calls came in on (`get_unique_dids`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, Describe)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "python", pyo3::pyclass(get_all, frozen, eq, module = "mikopbx._native"))]
pub struct UniqueDid {
    /// The DID.
    #[serde(default, deserialize_with = "lenient::string")]
    pub value: String,
    /// The same number, as a label.
    #[serde(default, deserialize_with = "lenient::string")]
    pub name: String,
    /// Fields this SDK does not model, as JSON text by name.
    #[serde(flatten, skip_serializing, deserialize_with = "lenient::extra")]
    pub extra: HashMap<String, String>,
}

/// The provider for [`IncomingRoutesApi::get_unique_dids`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, Describe)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct UniqueDidsQuery {
    /// The provider's id (`SIP-…`, `IAX-…`); `none` or left out: no suggestions.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub providerid: Option<String>,
}

/// Filters for [`IncomingRoutesApi::list`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, Describe)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct IncomingRouteQuery {
    /// Text in the rule's name, number or note.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub search: Option<String>,
    /// Sort field: `priority` (default), `rulename` or `number`.
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

paged!(IncomingRouteQuery);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn priorities_go_as_the_map_the_server_reads() {
        let body = IncomingRoutePriorities {
            priorities: vec![
                IncomingRoutePriority {
                    id: "3".into(),
                    priority: 1,
                },
                IncomingRoutePriority {
                    id: "2".into(),
                    priority: 2,
                },
            ],
        };
        assert_eq!(
            serde_json::to_string(&body).unwrap(),
            r#"{"priorities":{"3":1,"2":2}}"#
        );
    }
}
