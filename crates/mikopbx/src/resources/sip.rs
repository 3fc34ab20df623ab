//! `sip`: whether phones and trunks are online.
//!
//! Shapes from mikopbx/Core `src/PBXCoreREST/Lib/Sip/GetPeersStatusesAction.php` and
//! `GetRegistryAction.php`, which read Asterisk through `src/Core/Asterisk/AsteriskManager.php`
//! (`getPjSipPeers`, `getPjSipRegistry`, `getPjSipPeer`). The controller's other actions
//! (`getStatuses`, `getStatus`, `getHistory`, `getStats`, `getSecret`, `getAuthFailureStats`
//! and the POST actions) are not modelled yet.

use std::collections::HashMap;

use mikopbx_macros::Describe;
use serde::{Deserialize, Serialize};

use crate::api::{api, python_records};
use crate::envelope::lenient;
use crate::permissions::Resource;

api! {
    /// `sip`: whether phones and trunks are online.
    SipApi => sip, Resource::Sip, "/pbxcore/api/v3/sip";

    /// The state of every PJSIP endpoint: employees' extensions (by number) and providers (by
    /// uniqid). `state` is `OK` when the device is reachable, `UNKNOWN` otherwise.
    SIP_PEERS_STATUSES = peers_statuses() -> list SipPeerStatus
        = Get ":getPeersStatuses" BareList, "sip.getPeersStatuses", idempotent, "State of every SIP peer";
    /// The registration state of every SIP provider (`REGISTERED`, `OFF` for a disabled one,
    /// or Asterisk's state upper-cased).
    SIP_REGISTRY = registry() -> list SipRegistration
        = Get ":getRegistry" BareList, "sip.getRegistry", idempotent, "Registration state of the SIP providers";
}

python_records!(SipPeerStatus, SipRegistration);

/// One PJSIP endpoint (`AsteriskManager::getPjSipPeers()`): `DeviceState` "Not in use",
/// "In use", "Busy" and "Ringing" are `OK`, anything else (such as "Unavailable") `UNKNOWN`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, Describe)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "python", pyo3::pyclass(get_all, frozen, eq, module = "mikopbx._native"))]
pub struct SipPeerStatus {
    /// The endpoint: an extension number or a provider's uniqid.
    #[serde(default, deserialize_with = "lenient::string")]
    pub id: String,
    /// `OK` or `UNKNOWN`.
    #[serde(default, deserialize_with = "lenient::string")]
    pub state: String,
    /// Asterisk's device state (`Not in use`, `In use`, `Busy`, `Ringing`, `Unavailable`, …).
    #[serde(
        default,
        rename = "detailed-state",
        deserialize_with = "lenient::string"
    )]
    pub detailed_state: String,
    /// Fields this SDK does not model (a newer PBX may add some), as JSON text by name.
    #[serde(flatten, skip_serializing, deserialize_with = "lenient::extra")]
    pub extra: HashMap<String, String>,
}

/// A provider's registration (`GetRegistryAction`): outbound registrations as Asterisk reports
/// them, then disabled providers (`OFF`) and inbound/unregistered ones (their endpoint state,
/// `OK` read as `REGISTERED` for inbound).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, Describe)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "python", pyo3::pyclass(get_all, frozen, eq, module = "mikopbx._native"))]
pub struct SipRegistration {
    /// The provider's uniqid (`SIP-…`); "" for an outbound registration no provider matches.
    #[serde(default, deserialize_with = "lenient::string")]
    pub id: String,
    /// `REGISTERED`, `OFF`, `OK`, `UNKNOWN`, `REJECTED`, … (upper-cased by the server).
    #[serde(default, deserialize_with = "lenient::string")]
    pub state: String,
    /// The provider's host.
    #[serde(default, deserialize_with = "lenient::string")]
    pub host: String,
    /// The provider's user name.
    #[serde(default, deserialize_with = "lenient::string")]
    pub username: String,
    /// Fields this SDK does not model (a newer PBX may add some), as JSON text by name.
    #[serde(flatten, skip_serializing, deserialize_with = "lenient::extra")]
    pub extra: HashMap<String, String>,
}
