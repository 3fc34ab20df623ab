//! `pbx-status`: calls and channels in progress.

use serde::{Deserialize, Serialize};

use crate::client::{Client, split_list};
use crate::envelope::{lenient, typed};
use crate::error::Error;
use crate::operations::{OperationSpec, PBX_STATUS_ACTIVE_CALLS, PBX_STATUS_ACTIVE_CHANNELS};

/// A call in progress.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
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
}

/// A channel in progress.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct ActiveChannel {
    /// Start time.
    #[serde(default, deserialize_with = "lenient::string")]
    pub start: String,
    /// Answer time.
    #[serde(default, deserialize_with = "lenient::string")]
    pub answer: String,
    /// Source channel or number.
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
    /// Call id shared by its legs.
    #[serde(default, deserialize_with = "lenient::string")]
    pub linkedid: String,
}

/// `client.pbx_status()`.
#[derive(Debug, Clone, Copy)]
pub struct PbxStatusApi<'a> {
    pub(crate) client: &'a Client,
}

impl PbxStatusApi<'_> {
    async fn list<T: serde::de::DeserializeOwned>(
        &self,
        op: &'static OperationSpec,
    ) -> Result<Vec<T>, Error> {
        let reply = self.client.call(op, None, &[], None).await?;
        split_list(op.shape, reply.envelope.data)
            .items
            .into_iter()
            .map(|v| typed(v, op.name, reply.status))
            .collect()
    }

    /// `GET pbx-status:getActiveCalls`.
    pub async fn active_calls(&self) -> Result<Vec<ActiveCall>, Error> {
        self.list(&PBX_STATUS_ACTIVE_CALLS).await
    }

    /// `GET pbx-status:getActiveChannels`.
    pub async fn active_channels(&self) -> Result<Vec<ActiveChannel>, Error> {
        self.list(&PBX_STATUS_ACTIVE_CHANNELS).await
    }
}
