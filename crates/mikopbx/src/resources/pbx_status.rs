//! `pbx-status`: calls and channels in progress.

use std::collections::HashMap;

use mikopbx_macros::Describe;
use serde::{Deserialize, Serialize};

use crate::api::{api, python_records};
use crate::envelope::lenient;
use crate::permissions::Resource;

api! {
    /// `pbx-status`: calls and channels in progress.
    PbxStatusApi => pbx_status, Resource::PbxStatus, "/pbxcore/api/v3/pbx-status";

    /// Calls in progress.
    PBX_STATUS_ACTIVE_CALLS = active_calls() -> list ActiveCall
        = Get ":getActiveCalls" BareList, "pbx-status.getActiveCalls", idempotent, "Calls in progress";
    /// Channels in progress.
    PBX_STATUS_ACTIVE_CHANNELS = active_channels() -> list ActiveChannel
        = Get ":getActiveChannels" BareList, "pbx-status.getActiveChannels", idempotent, "Channels in progress";
}

python_records!(ActiveCall, ActiveChannel);

/// A call in progress.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, Describe)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "python", pyo3::pyclass(get_all, frozen, eq, module = "mikopbx._native"))]
pub struct ActiveCall {
    /// Start time.
    #[serde(default, deserialize_with = "lenient::string")]
    pub start: String,
    /// Answer time ("" while ringing).
    #[serde(default, deserialize_with = "lenient::string")]
    pub answer: String,
    /// Caller number.
    #[serde(default, deserialize_with = "lenient::string")]
    pub src_num: String,
    /// Caller name.
    #[serde(default, deserialize_with = "lenient::string")]
    pub src_name: String,
    /// Called number.
    #[serde(default, deserialize_with = "lenient::string")]
    pub dst_num: String,
    /// Called name.
    #[serde(default, deserialize_with = "lenient::string")]
    pub dst_name: String,
    /// DID.
    #[serde(default, deserialize_with = "lenient::string")]
    pub did: String,
    /// Call id shared by its legs.
    #[serde(default, deserialize_with = "lenient::string")]
    pub linkedid: String,
    /// Fields this SDK does not model (a newer PBX may add some), as JSON text by name.
    #[serde(flatten, skip_serializing, deserialize_with = "lenient::extra")]
    pub extra: HashMap<String, String>,
}

/// A channel in progress: a row of the temporary CDR table whose channels are still live
/// (`src/PBXCoreREST/Lib/PbxStatus/GetActiveChannelsAction.php:53-76`). Times are the PBX's
/// naive local time.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, Describe)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "python", pyo3::pyclass(get_all, frozen, eq, module = "mikopbx._native"))]
pub struct ActiveChannel {
    /// Start time.
    #[serde(default, deserialize_with = "lenient::string")]
    pub start: String,
    /// Answer time.
    #[serde(default, deserialize_with = "lenient::string")]
    pub answer: String,
    /// Caller number.
    #[serde(default, deserialize_with = "lenient::string")]
    pub src_num: String,
    /// Source channel name.
    #[serde(default, deserialize_with = "lenient::string")]
    pub src_chan: String,
    /// Destination number.
    #[serde(default, deserialize_with = "lenient::string")]
    pub dst_num: String,
    /// Destination channel name.
    #[serde(default, deserialize_with = "lenient::string")]
    pub dst_chan: String,
    /// Caller name, when the caller is an employee.
    #[serde(default, deserialize_with = "lenient::string")]
    pub src_name: String,
    /// Called name, when an employee is called.
    #[serde(default, deserialize_with = "lenient::string")]
    pub dst_name: String,
    /// DID the call came in on ("" for internal and outgoing calls).
    #[serde(default, deserialize_with = "lenient::string")]
    pub did: String,
    /// Call id shared by its legs.
    #[serde(default, deserialize_with = "lenient::string")]
    pub linkedid: String,
    /// Fields this SDK does not model (a newer PBX may add some), as JSON text by name.
    #[serde(flatten, skip_serializing, deserialize_with = "lenient::extra")]
    pub extra: HashMap<String, String>,
}
