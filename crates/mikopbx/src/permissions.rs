//! The permission model of MikoPBX API keys, with the server's exact rules.
//!
//! A restricted key carries `allowed_paths`: `{"/api/v3/<resource>": "read" | "write"}`. The server
//! (`ApiKeyPermissionChecker`) normalises the request path (drops the query, `/pbxcore`, a trailing
//! `/`, a trailing `:method` and a last segment that "looks like an ID"), looks the rest up in
//! `allowed_paths`, and needs `read` for GET (and any verb other than POST/PUT/PATCH/DELETE) and
//! `write` for POST/PUT/PATCH/DELETE; `write` includes `read`. This module reproduces those rules,
//! including the ID heuristic that refuses restricted keys on ids such as `QUEUE-1A2B3C4D`.

use std::collections::BTreeMap;
use std::fmt;

use crate::error::Error;
use crate::operations::{HttpMethod, OperationSpec};

/// Access level of a permission. `Write` includes `Read`. Serialized as `"read"` / `"write"`.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    serde::Serialize,
    serde::Deserialize,
    mikopbx_macros::Describe,
)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum Access {
    /// GET (and HEAD/OPTIONS) requests.
    Read,
    /// POST, PUT, PATCH and DELETE requests.
    Write,
}

impl Access {
    /// `"read"` or `"write"`, as in `allowed_paths`.
    pub fn as_str(self) -> &'static str {
        match self {
            Access::Read => "read",
            Access::Write => "write",
        }
    }

    /// Parses `"read"` / `"write"` (case-insensitive).
    pub fn parse(s: &str) -> Option<Access> {
        match s.trim().to_ascii_lowercase().as_str() {
            "read" => Some(Access::Read),
            "write" => Some(Access::Write),
            _ => None,
        }
    }

    /// The level the server demands for an HTTP verb: write for POST/PUT/PATCH/DELETE, read otherwise.
    pub const fn for_method(method: HttpMethod) -> Access {
        match method {
            HttpMethod::Post | HttpMethod::Put | HttpMethod::Patch | HttpMethod::Delete => {
                Access::Write
            }
            HttpMethod::Get | HttpMethod::Head => Access::Read,
        }
    }

    /// Whether holding `self` satisfies a requirement of `required`.
    pub fn includes(self, required: Access) -> bool {
        self >= required
    }

    /// "Read" / "Write", as the admin UI labels them.
    pub fn label(self) -> &'static str {
        match self {
            Access::Read => "Read",
            Access::Write => "Write",
        }
    }
}

impl fmt::Display for Access {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

macro_rules! resources {
    ($( $(#[$doc:meta])* $variant:ident => $segment:literal, $label:literal; )*) => {
        /// The catalogue of MikoPBX v3 resources a key can be granted (`/api/v3/<segment>`).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
        pub enum Resource {
            $( $(#[$doc])* $variant, )*
        }

        impl Resource {
            /// Every resource of the catalogue, in a stable order.
            pub const ALL: &'static [Resource] = &[$(Resource::$variant),*];

            /// The path segment after `/api/v3/`, e.g. `"call-queues"`.
            pub fn segment(self) -> &'static str {
                match self { $(Resource::$variant => $segment,)* }
            }

            /// The name the admin UI shows, e.g. `"Call queues"`.
            pub fn label(self) -> &'static str {
                match self { $(Resource::$variant => $label,)* }
            }

            /// Looks a resource up by its path segment.
            pub fn from_segment(segment: &str) -> Option<Resource> {
                match segment { $($segment => Some(Resource::$variant),)* _ => None }
            }
        }
    };
}

resources! {
    /// Employees (users and their SIP extensions).
    Employees => "employees", "Employees";
    /// Extensions (read-only directory of numbers).
    Extensions => "extensions", "Extensions";
    /// SIP providers.
    SipProviders => "sip-providers", "SIP providers";
    /// IAX providers.
    IaxProviders => "iax-providers", "IAX providers";
    /// Unified provider view.
    Providers => "providers", "Providers";
    /// Incoming routes.
    IncomingRoutes => "incoming-routes", "Incoming routes";
    /// Outbound routes.
    OutboundRoutes => "outbound-routes", "Outbound routes";
    /// Off-work times.
    OffWorkTimes => "off-work-times", "Off-work times";
    /// Call queues.
    CallQueues => "call-queues", "Call queues";
    /// IVR menus.
    IvrMenu => "ivr-menu", "IVR menu";
    /// Conference rooms.
    ConferenceRooms => "conference-rooms", "Conference rooms";
    /// Dialplan applications.
    DialplanApplications => "dialplan-applications", "Dialplan applications";
    /// Sound files.
    SoundFiles => "sound-files", "Sound files";
    /// Custom files.
    CustomFiles => "custom-files", "Custom files";
    /// AMI users.
    AsteriskManagers => "asterisk-managers", "Asterisk managers (AMI)";
    /// ARI users.
    AsteriskRestUsers => "asterisk-rest-users", "Asterisk REST users (ARI)";
    /// API keys.
    ApiKeys => "api-keys", "API keys";
    /// Call detail records.
    Cdr => "cdr", "Call history (CDR)";
    /// Live calls and channels.
    PbxStatus => "pbx-status", "PBX status";
    /// SIP peer state.
    Sip => "sip", "SIP";
    /// IAX registry.
    Iax => "iax", "IAX";
    /// General settings.
    GeneralSettings => "general-settings", "General settings";
    /// Time settings.
    TimeSettings => "time-settings", "Time settings";
    /// Mail settings.
    MailSettings => "mail-settings", "Mail settings";
    /// Fail2ban.
    Fail2ban => "fail2ban", "Fail2ban";
    /// Storage.
    Storage => "storage", "Storage";
    /// S3 storage.
    S3Storage => "s3-storage", "S3 storage";
    /// Network interfaces.
    Network => "network", "Network";
    /// Firewall rules.
    Firewall => "firewall", "Firewall";
    /// Network filters.
    NetworkFilters => "network-filters", "Network filters";
    /// System actions (ping, checkAuth, reboot…).
    System => "system", "System";
    /// System information.
    Sysinfo => "sysinfo", "System information";
    /// System logs.
    Syslog => "syslog", "System logs";
    /// Advice.
    Advice => "advice", "Advice";
    /// License.
    License => "license", "License";
    /// Modules.
    Modules => "modules", "Modules";
    /// Files.
    Files => "files", "Files";
    /// Password tools.
    Passwords => "passwords", "Passwords";
    /// Users (availability checks).
    Users => "users", "Users";
    /// OpenAPI metadata.
    Openapi => "openapi", "OpenAPI";
    /// The web session (`auth:login`, `auth:refresh`, `auth:logout`; see `Client::login`).
    Auth => "auth", "Authentication";
}

impl Resource {
    /// The `allowed_paths` key for this resource, e.g. `/api/v3/extensions`.
    pub fn allowed_path(self) -> String {
        format!("/api/v3/{}", self.segment())
    }
}

impl fmt::Display for Resource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// Which source addresses an API key accepts (`networkfilterid`). Read from `"any"`,
/// `"localhost"` or a filter id.
#[derive(Clone, Debug, PartialEq, Eq, Hash, mikopbx_macros::Describe)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum NetworkFilter {
    /// `none`: any address.
    Any,
    /// `localhost`: only 127.0.0.1 and ::1 (127.0.0.2 is remote).
    Localhost,
    /// A numeric `NetworkFilters` row id.
    Id {
        /// The filter id.
        id: i64,
    },
}

impl NetworkFilter {
    /// The wire value of `networkfilterid`.
    pub fn as_wire(&self) -> String {
        match self {
            NetworkFilter::Any => "none".to_owned(),
            NetworkFilter::Localhost => "localhost".to_owned(),
            NetworkFilter::Id { id } => id.to_string(),
        }
    }

    /// Parses `networkfilterid` as the server keeps it (`null`, `""`, `none`, `localhost`, a number).
    pub fn from_wire(s: Option<&str>) -> NetworkFilter {
        match s.map(str::trim) {
            None | Some("") | Some("none") | Some("any") => NetworkFilter::Any,
            Some("localhost") => NetworkFilter::Localhost,
            Some(other) => match other.parse::<i64>() {
                Ok(id) => NetworkFilter::Id { id },
                // Unknown values: the server would look up a filter that does not exist; treat
                // as a filter of unknown id rather than pretend the key is unrestricted.
                Err(_) => NetworkFilter::Id { id: -1 },
            },
        }
    }
}

impl<'de> serde::Deserialize<'de> for NetworkFilter {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error as _;
        match serde_json::Value::deserialize(d)? {
            serde_json::Value::String(s) if matches!(s.trim(), "any" | "none" | "localhost") => {
                Ok(NetworkFilter::from_wire(Some(&s)))
            }
            serde_json::Value::Number(n) if n.as_i64().is_some_and(|id| id > 0) => {
                Ok(NetworkFilter::Id {
                    id: n.as_i64().unwrap_or_default(),
                })
            }
            other => Err(D::Error::custom(format!(
                "network must be \"any\", \"localhost\" or a network filter id, not {other}"
            ))),
        }
    }
}

impl fmt::Display for NetworkFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NetworkFilter::Any => f.write_str("any address"),
            NetworkFilter::Localhost => f.write_str("localhost only (127.0.0.1, ::1)"),
            NetworkFilter::Id { id } => write!(f, "network filter #{id}"),
        }
    }
}

/// What an API key may do: full permissions, or a map of `allowed_paths`; plus, when known, its
/// network filter (used to diagnose a 401 as a network restriction).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Permissions {
    full: bool,
    paths: BTreeMap<String, Access>,
    network: Option<NetworkFilter>,
}

impl Permissions {
    /// A key with `full_permissions`.
    pub fn full() -> Self {
        Permissions {
            full: true,
            ..Default::default()
        }
    }

    /// A key with no permission at all (start here and [`grant`](Self::grant)).
    pub fn none() -> Self {
        Permissions::default()
    }

    /// From the server's `allowed_paths` (`"/api/v3/extensions" -> "read"`), validated like the
    /// server validates it (path pattern `^/api/v[0-9]+/[a-z0-9-]+(/[a-z0-9-]+)*$`, length 10–255).
    pub fn from_allowed_paths<I, K, V>(paths: I) -> Result<Self, Error>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let mut out = Permissions::none();
        for (path, level) in paths {
            let path = path.as_ref();
            if !valid_allowed_path(path) {
                return Err(Error::config(format!(
                    "invalid allowed_paths key {path:?}: expected /api/v3/<resource> (no /pbxcore prefix)"
                )));
            }
            let access = Access::parse(level.as_ref()).ok_or_else(|| {
                Error::config(format!(
                    "invalid access {:?} for {path}: expected \"read\" or \"write\"",
                    level.as_ref()
                ))
            })?;
            out.paths.insert(path.to_owned(), access);
        }
        Ok(out)
    }

    /// From a short map of resource segments (`"extensions" -> "read"`); keys already in the
    /// full form (`"/api/v3/extensions"`) are accepted too.
    pub fn from_short_map<I, K, V>(map: I) -> Result<Self, Error>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let expanded: Vec<(String, String)> = map
            .into_iter()
            .map(|(k, v)| {
                let k = k.as_ref().trim();
                let full = if k.starts_with("/api/") {
                    k.to_owned()
                } else {
                    format!("/api/v3/{}", k.trim_start_matches('/'))
                };
                (full, v.as_ref().to_owned())
            })
            .collect();
        Permissions::from_allowed_paths(expanded)
    }

    /// Adds (or raises) a grant.
    pub fn grant(mut self, resource: Resource, access: Access) -> Self {
        let entry = self.paths.entry(resource.allowed_path()).or_insert(access);
        *entry = (*entry).max(access);
        self
    }

    /// Adds (or raises) a grant on an `allowed_paths` key given as a path (`/api/v3/extensions`,
    /// or a module's `/api/v3/module-example/tasks`), validated as the server validates it.
    pub fn grant_path(mut self, allowed_path: &str, access: Access) -> Result<Self, Error> {
        if !valid_allowed_path(allowed_path) {
            return Err(Error::config(format!(
                "invalid allowed_paths key {allowed_path:?}: expected /api/v3/<resource> (lowercase letters, digits and `-`)"
            )));
        }
        let entry = self.paths.entry(allowed_path.to_owned()).or_insert(access);
        *entry = (*entry).max(access);
        Ok(self)
    }

    /// Whether a restricted key can hold `allowed_path` at all (the server's pattern
    /// `^/api/v[0-9]+/[a-z0-9-]+(/[a-z0-9-]+)*$`, 10–255 characters).
    pub fn is_grantable_path(allowed_path: &str) -> bool {
        valid_allowed_path(allowed_path)
    }

    /// Records the key's network filter.
    pub fn with_network(mut self, network: NetworkFilter) -> Self {
        self.network = Some(network);
        self
    }

    /// The key's network filter, when known.
    pub fn network(&self) -> Option<&NetworkFilter> {
        self.network.as_ref()
    }

    /// Whether this is a `full_permissions` key.
    pub fn is_full(&self) -> bool {
        self.full
    }

    /// The access held on a resource (`Some(Write)` for a full key).
    pub fn access_for(&self, resource: Resource) -> Option<Access> {
        self.access_for_path(&resource.allowed_path())
    }

    /// The access held on an `allowed_paths` key (`/api/v3/extensions`, or a module's
    /// `/api/v3/module-example/tasks`); `Some(Write)` for a full key.
    pub fn access_for_path(&self, allowed_path: &str) -> Option<Access> {
        if self.full {
            return Some(Access::Write);
        }
        self.paths.get(allowed_path).copied()
    }

    /// Whether the key may call an operation (resource + access; public operations always).
    pub fn allows(&self, op: &OperationSpec) -> bool {
        op.public
            || self
                .access_for(op.resource)
                .is_some_and(|a| a.includes(op.access))
    }

    /// The server's exact decision for a request (`method`, URL path with or without `/pbxcore`),
    /// including the ID heuristic quirk.
    pub fn allows_request(&self, method: HttpMethod, path: &str) -> bool {
        if self.full {
            return true;
        }
        let normalized = normalize_path(path);
        let required = Access::for_method(method);
        self.paths
            .get(&normalized)
            .is_some_and(|a| a.includes(required))
    }

    /// The least privilege that lets a set of operations run: the `allowed_paths` an integration needs.
    pub fn minimal_for(ops: &[&OperationSpec]) -> Permissions {
        ops.iter()
            .filter(|op| !op.public)
            .fold(Permissions::none(), |p, op| p.grant(op.resource, op.access))
    }

    /// The `allowed_paths` map to send to the server (empty for a full key).
    pub fn to_allowed_paths(&self) -> BTreeMap<String, String> {
        self.paths
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().to_owned()))
            .collect()
    }

    /// The grants as (allowed path, access) pairs.
    pub fn grants(&self) -> impl Iterator<Item = (&str, Access)> {
        self.paths.iter().map(|(k, v)| (k.as_str(), *v))
    }
}

impl fmt::Display for Permissions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.full {
            f.write_str("full permissions")?;
        } else if self.paths.is_empty() {
            f.write_str("no permissions")?;
        } else {
            let parts: Vec<String> = self
                .paths
                .iter()
                .map(|(k, v)| format!("{k}: {}", v.as_str()))
                .collect();
            f.write_str(&parts.join(", "))?;
        }
        if let Some(n) = &self.network {
            write!(f, "; network: {n}")?;
        }
        Ok(())
    }
}

fn valid_allowed_path(path: &str) -> bool {
    if path.len() < 10 || path.len() > 255 {
        return false;
    }
    let Some(rest) = path.strip_prefix("/api/v") else {
        return false;
    };
    let Some((version, tail)) = rest.split_once('/') else {
        return false;
    };
    if version.is_empty() || !version.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    tail.split('/').all(|seg| {
        !seg.is_empty()
            && seg
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    })
}

/// Normalises a request path the way `ApiKeyPermissionChecker` does: drop the query string, the
/// `/pbxcore` prefix, a trailing `/`, a trailing `:method`, and a last segment that looks like an ID.
pub fn normalize_path(path: &str) -> String {
    let path = path.split('?').next().unwrap_or("");
    let path = path.strip_prefix("/pbxcore").unwrap_or(path);
    let mut path = path.trim_end_matches('/').to_owned();
    if let Some(last_slash) = path.rfind('/')
        && let Some(colon) = path[last_slash..].find(':')
    {
        path.truncate(last_slash + colon);
    }
    if let Some(last_slash) = path.rfind('/') {
        let last = &path[last_slash + 1..];
        if looks_like_id(last) {
            path.truncate(last_slash);
        }
    }
    path
}

/// The server's "looks like an ID" heuristic: all digits, a UUID, `^[A-Z]+-.*\d+$`,
/// `^\d+[a-zA-Z]`, or `^[a-z]+-\d+`. Ids like `QUEUE-1A2B3C4D` (ending in A–F) fail it: a server bug
/// that refuses restricted keys on such records.
pub fn looks_like_id(seg: &str) -> bool {
    let b = seg.as_bytes();
    if b.is_empty() {
        return false;
    }
    if b.iter().all(u8::is_ascii_digit) {
        return true;
    }
    if is_uuid(seg) {
        return true;
    }
    // ^[A-Z]+-.*\d+$
    let upper = b.iter().take_while(|c| c.is_ascii_uppercase()).count();
    if upper > 0 && b.get(upper) == Some(&b'-') && b.last().is_some_and(u8::is_ascii_digit) {
        return true;
    }
    // ^\d+[a-zA-Z]
    let digits = b.iter().take_while(|c| c.is_ascii_digit()).count();
    if digits > 0 && b.get(digits).is_some_and(u8::is_ascii_alphabetic) {
        return true;
    }
    // ^[a-z]+-\d+
    let lower = b.iter().take_while(|c| c.is_ascii_lowercase()).count();
    lower > 0 && b.get(lower) == Some(&b'-') && b.get(lower + 1).is_some_and(u8::is_ascii_digit)
}

fn is_uuid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    let lens = [8, 4, 4, 4, 12];
    parts.len() == 5
        && parts
            .iter()
            .zip(lens)
            .all(|(p, n)| p.len() == n && p.bytes().all(|c| c.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checker_sample() -> Permissions {
        Permissions::from_short_map([
            ("extensions", "read"),
            ("call-queues", "write"),
            ("cdr", "read"),
            ("modules", "write"),
            ("general-settings", "read"),
            ("sip-providers", "read"),
            ("employees", "write"),
        ])
        .unwrap()
    }

    /// The table of mikopbx-api.md §3, verified there against the PHP checker.
    #[test]
    fn server_permission_table() {
        use HttpMethod::*;
        let p = checker_sample();
        let cases: &[(HttpMethod, &str, bool)] = &[
            (Get, "/pbxcore/api/v3/extensions", true),
            (Get, "/pbxcore/api/v3/extensions/201", true),
            (Get, "/pbxcore/api/v3/extensions:getForSelect", true),
            (Head, "/pbxcore/api/v3/extensions", true),
            (Post, "/pbxcore/api/v3/call-queues", true),
            (Patch, "/pbxcore/api/v3/employees/12", true),
            (Get, "/pbxcore/api/v3/call-queues/QUEUE-1A2B3C41", true),
            (
                Get,
                "/pbxcore/api/v3/sip-providers/SIP-TRUNK-ABCDEF12",
                true,
            ),
            (Post, "/pbxcore/api/v3/extensions:available", false),
            (Get, "/pbxcore/api/v3/api-keys", false),
            (Get, "/pbxcore/api/v3/call-queues/QUEUE-1A2B3C4D", false),
            (
                Get,
                "/pbxcore/api/v3/call-queues/QUEUE-1A2B3C4D:copy",
                false,
            ),
            (
                Get,
                "/pbxcore/api/v3/sip-providers/SIP-TRUNK-ABCDEF1A",
                false,
            ),
            (Get, "/pbxcore/api/v3/modules/ModuleUsersUI", false),
            (Get, "/pbxcore/api/v3/general-settings/PBXName", false),
        ];
        for (m, path, expected) in cases {
            assert_eq!(p.allows_request(*m, path), *expected, "{m:?} {path}");
        }
        assert!(Permissions::full().allows_request(Get, "/pbxcore/api/v3/modules/ModuleUsersUI"));
    }

    #[test]
    fn validates_allowed_paths() {
        assert!(Permissions::from_allowed_paths([("/pbxcore/api/v3/x", "read")]).is_err());
        assert!(Permissions::from_allowed_paths([("/api/v3/extensions", "admin")]).is_err());
        assert!(Permissions::from_allowed_paths([("/api/v3/Ext", "read")]).is_err());
        assert!(Permissions::from_allowed_paths([("/api/v3/module-x/tasks", "write")]).is_ok());
        assert_eq!(
            Permissions::from_short_map([("/api/v3/cdr", "read")]).unwrap(),
            Permissions::from_short_map([("cdr", "read")]).unwrap()
        );
    }

    #[test]
    fn network_filter_wire() {
        assert_eq!(NetworkFilter::from_wire(None), NetworkFilter::Any);
        assert_eq!(NetworkFilter::from_wire(Some("none")), NetworkFilter::Any);
        assert_eq!(
            NetworkFilter::from_wire(Some("localhost")),
            NetworkFilter::Localhost
        );
        assert_eq!(
            NetworkFilter::from_wire(Some("4")),
            NetworkFilter::Id { id: 4 }
        );
        assert_eq!(NetworkFilter::Localhost.as_wire(), "localhost");
    }

    #[test]
    fn resources_round_trip() {
        for r in Resource::ALL {
            assert_eq!(Resource::from_segment(r.segment()), Some(*r));
            assert!(valid_allowed_path(&r.allowed_path()), "{r:?}");
        }
    }
}
