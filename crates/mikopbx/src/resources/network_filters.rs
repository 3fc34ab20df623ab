//! `network-filters`: the PBX's named networks (`m_NetworkFilters`), read-only.
//!
//! An API key, an AMI user or a SIP peer refers to a filter by its numeric id
//! (`networkfilterid`). Filters are created and changed through the firewall; this resource only
//! reads them. Shapes from the server's `src/PBXCoreREST/Lib/NetworkFilters/` (release
//! 2026.1.223), whose `DataStructure` is the firewall's:
//!
//! - `getList` answers `{"items": [...], "total", "offset", "limit"}`; rows
//!   (`createForList`) carry `id`, `permit`, `description`, `represent`, `active_rules` (how many
//!   firewall rule rows allow traffic) and `search_index`; `search` is a `LIKE` on description or
//!   permit; the order is always `id ASC`.
//! - `getRecord` (`createFromModel`) adds `deny`, `newer_block_ip`, `local_network` and `rules`
//!   (category → `allow`/`block`). A missing id is 422 `Network filter with ID <id> not found`.
//! - `getForSelect` answers `none` first, then `localhost` when asked for (AMI/API categories
//!   only), then the filters whose firewall rules **allow** one of the categories asked for
//!   (`SIP` when none is given).

use std::collections::HashMap;

use mikopbx_macros::Describe;
use serde::{Deserialize, Serialize};

use crate::api::{api, paged, python_records};
use crate::envelope::lenient;
use crate::permissions::Resource;

api! {
    /// `network-filters`: the PBX's named networks, which API keys, AMI users and SIP peers
    /// refer to by id. Read-only (filters are managed through the firewall).
    NetworkFiltersApi => network_filters, Resource::NetworkFilters, "/pbxcore/api/v3/network-filters";

    /// Every network filter, in id order, fetched lazily page by page. `search` matches the
    /// description or the permitted network (`permit`, e.g. `127.0.0.1/32`): this is how to find
    /// the id of the filter to give a key that must only be used from one address.
    NETWORK_FILTERS_LIST = list(query query: NetworkFilterQuery) -> pager NetworkFilterPager<NetworkFilterRecord>
        = Get "" Items, "network-filters.getList", idempotent, "List network filters";
    /// One network filter by numeric id, with its firewall rules by category. An unknown id is
    /// `NotFound` (the server answers 422 `Network filter with ID … not found`).
    NETWORK_FILTERS_GET = get(id id: &str) -> one NetworkFilterRecord
        = Get "/{id}" Object, "network-filters.getRecord", idempotent, "One network filter";
    /// The filters offered for one traffic category, as select options: `none` (any address)
    /// first, `localhost` when `include_localhost` is set and the category is `AMI` or `API`,
    /// then every filter whose firewall rules allow that category (`SIP` when no category is
    /// given). The firewall has no `API` category, so `API` lists only `none` and `localhost`:
    /// use `list` to find a numeric filter for an API key.
    NETWORK_FILTERS_GET_FOR_SELECT = get_for_select(query query: NetworkFilterSelectQuery) -> list NetworkFilterOption
        = Get ":getForSelect" BareList, "network-filters.getForSelect", idempotent, "Network filters as select options";
}

python_records!(NetworkFilterRecord, NetworkFilterOption);

/// A network filter. List rows carry the identity, `permit` and `active_rules`; a record (`get`)
/// carries `deny`, the two flags and `rules` instead (`Option`s or empty here).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, Describe)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "python", pyo3::pyclass(get_all, frozen, eq, module = "mikopbx._native"))]
pub struct NetworkFilterRecord {
    /// The numeric id, as a string (what `networkfilterid` refers to).
    #[serde(default, deserialize_with = "lenient::string")]
    pub id: String,
    /// The permitted network in CIDR notation (`192.168.1.0/24`, `127.0.0.1/32`).
    #[serde(default, deserialize_with = "lenient::string")]
    pub permit: String,
    /// The denied network (records only, so empty in list rows; usually `0.0.0.0/0` or empty).
    #[serde(default, deserialize_with = "lenient::string")]
    pub deny: String,
    /// Description.
    #[serde(default, deserialize_with = "lenient::string")]
    pub description: String,
    /// Never ban addresses of this network (records only).
    #[serde(default, deserialize_with = "lenient::opt_boolean")]
    pub newer_block_ip: Option<bool>,
    /// The network counts as local, for NAT (records only).
    #[serde(default, deserialize_with = "lenient::opt_boolean")]
    pub local_network: Option<bool>,
    /// Firewall rule per traffic category (`SIP`, `IAX`, `WEB`, `SSH`, `AMI`, `AJAM`, `ICMP`):
    /// `allow` or `block` (records only; empty for a list row).
    #[serde(default, deserialize_with = "lenient::string_map")]
    pub rules: HashMap<String, String>,
    /// How many firewall rule rows of this filter allow traffic (list rows only; one category
    /// may have several rows, e.g. SIP's ports and RTP range).
    #[serde(default, deserialize_with = "lenient::opt_int")]
    pub active_rules: Option<i64>,
    /// The server's HTML label, kept as sent.
    #[serde(default, deserialize_with = "lenient::string")]
    pub represent: String,
    /// Fields this SDK does not model (`search_index`, a newer PBX's additions), as JSON text
    /// by name.
    #[serde(flatten, skip_serializing, deserialize_with = "lenient::extra")]
    pub extra: HashMap<String, String>,
}

/// One option of `network-filters:getForSelect`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, Describe)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "python", pyo3::pyclass(get_all, frozen, eq, module = "mikopbx._native"))]
pub struct NetworkFilterOption {
    /// What to store as `networkfilterid`: `none`, `localhost` or a filter id.
    #[serde(default, deserialize_with = "lenient::string")]
    pub value: String,
    /// The label (the filter's description, or the server's text for `none` / `localhost`).
    #[serde(default, deserialize_with = "lenient::string")]
    pub name: String,
    /// The permitted network of a filter (absent for `none` and `localhost`).
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub network: Option<String>,
    /// The server's explanation (only the `localhost` option has one).
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub description: Option<String>,
    /// The server's HTML label, kept as sent.
    #[serde(default, deserialize_with = "lenient::string")]
    pub represent: String,
    /// Fields this SDK does not model (`text`, a newer PBX's additions), as JSON text by name.
    #[serde(flatten, skip_serializing, deserialize_with = "lenient::extra")]
    pub extra: HashMap<String, String>,
}

/// Filters for [`NetworkFiltersApi::list`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, Describe)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct NetworkFilterQuery {
    /// Text in the description or the permitted network (`127.0.0.1`).
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub search: Option<String>,
    /// Items per request (default 100).
    #[serde(skip_serializing)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub page_size: Option<u32>,
    /// Stop after this many items.
    #[serde(skip_serializing)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub max_items: Option<u64>,
}

paged!(NetworkFilterQuery);

/// Arguments of [`NetworkFiltersApi::get_for_select`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, Describe)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct NetworkFilterSelectQuery {
    /// The traffic category: `SIP` (the server's default), `IAX`, `AMI` or `API`. The server's
    /// action reads `categories` (not the `category` its OpenAPI documents).
    #[serde(rename(serialize = "categories"))]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub category: Option<String>,
    /// Offer `localhost` as well (only for `AMI` and `API`).
    // Sent only when true: the server tests the raw query string for PHP truthiness, so a
    // `false` sent as text would count as true.
    #[serde(
        rename(serialize = "includeLocalhost"),
        skip_serializing_if = "not_true"
    )]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub include_localhost: Option<bool>,
}

fn not_true(v: &Option<bool>) -> bool {
    *v != Some(true)
}
