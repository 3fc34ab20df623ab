//! `system`: liveness and credentials.

use crate::api::api;
use crate::permissions::Resource;

api! {
    /// `system`: liveness and credentials.
    SystemApi => system, Resource::System, "/pbxcore/api/v3/system";

    /// Checks that the PBX answers (public: no key needed).
    SYSTEM_PING = ping() -> nothing
        = Get ":ping" Empty, "system.ping", idempotent, "Is the API up? (public)", public;
    /// Checks that the PBX accepts the credentials; fails with the diagnosed error otherwise.
    SYSTEM_CHECK_AUTH = check_auth() -> nothing
        = Get ":checkAuth" Object, "system.checkAuth", idempotent, "Are these credentials accepted?";
}
