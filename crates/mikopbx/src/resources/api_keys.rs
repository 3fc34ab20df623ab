//! `api-keys`: generate, register and manage keys.

use std::collections::HashMap;
use std::sync::Arc;

use mikopbx_macros::Describe;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::api::{api, python_records};
use crate::auth::ApiKey;
use crate::envelope::{lenient, typed_raw};
use crate::error::Error;
use crate::permissions::{Access, NetworkFilter, Permissions, Resource};

api! {
    /// `api-keys`: generate, register and manage keys.
    ApiKeysApi => api_keys, Resource::ApiKeys, "/pbxcore/api/v3/api-keys";

    /// Asks the PBX for a fresh random key (64 hex). It is shown only now and not yet
    /// registered: pass it to `create`. Stateless on the server, so a retry is harmless.
    API_KEYS_GENERATE_KEY = generate_key() -> one ApiKey
        = Post ":generateKey" Object, "api-keys.generateKey", idempotent, "Generate a new key (returned once)", custom;
    /// Registers a key with its permissions and network filter. The stored network filter is
    /// checked against the requested one: a PBX that silently drops `localhost` (its schema
    /// allows only a number or `none`) would leave the key usable from anywhere; then the key is
    /// deleted again and the call fails.
    API_KEYS_CREATE = create(body key: NewApiKey) -> one ApiKeyInfo
        = Post "" Object, "api-keys.create", once, "Register a key with its permissions", custom;
    /// Every key (never the keys themselves: `key_display` is the first 5 + last 5 characters).
    /// Rows are summaries; `get` gives the full record.
    API_KEYS_LIST = list() -> pager ApiKeyPager<ApiKeyInfo>
        = Get "" BareList, "api-keys.list", idempotent, "List keys";
    /// One key's full record by id.
    API_KEYS_GET = get(id id: &str) -> one ApiKeyInfo
        = Get "/{id}" Object, "api-keys.get", idempotent, "One key";
    /// Replaces a key's description, key, permissions and network filter (fails if the PBX did
    /// not store the requested network filter, as `create` does).
    API_KEYS_UPDATE = update(id id: &str, body key: NewApiKey) -> one ApiKeyInfo
        = Put "/{id}" Object, "api-keys.update", idempotent, "Replace a key's settings", custom;
    /// Revokes a key: effective at once.
    API_KEYS_DELETE = delete(id id: &str) -> nothing
        = Delete "/{id}" Empty, "api-keys.delete", idempotent, "Revoke a key";
}

python_records!(ApiKeyInfo);

/// A key as the server describes it (never the key itself).
///
/// Rows from [`ApiKeysApi::list`] are summaries on a real PBX: they carry `allowed_paths_count`
/// and `has_network_filter` but not `allowed_paths` / `networkfilterid`; use
/// [`ApiKeysApi::get`] for the full record before relying on [`ApiKeyInfo::permissions`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, Describe)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "python", pyo3::pyclass(get_all, frozen, eq, module = "mikopbx._native"))]
pub struct ApiKeyInfo {
    /// Id (a string on the wire).
    #[serde(default, deserialize_with = "lenient::string")]
    pub id: String,
    /// Description.
    #[serde(default, deserialize_with = "lenient::string")]
    pub description: String,
    /// First 5 + `...` + last 5 characters.
    #[serde(default, deserialize_with = "lenient::string")]
    pub key_display: String,
    /// `full_permissions`.
    #[serde(default, deserialize_with = "lenient::boolean")]
    pub full_permissions: bool,
    /// `allowed_paths` (`/api/v3/x` → `read`/`write`).
    #[serde(default, deserialize_with = "lenient::string_map")]
    pub allowed_paths: HashMap<String, String>,
    /// `networkfilterid` as sent (`none`, `localhost`, a number).
    #[serde(default, deserialize_with = "lenient::string")]
    pub networkfilterid: String,
    /// Creation time.
    #[serde(default, deserialize_with = "lenient::string")]
    pub created_at: String,
    /// Last use, if any.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub last_used_at: Option<String>,
    /// Number of `allowed_paths` entries (list rows carry this instead of the paths).
    #[serde(default, deserialize_with = "lenient::int")]
    pub allowed_paths_count: i64,
    /// Whether a network filter is set (list rows carry this instead of the filter).
    #[serde(default, deserialize_with = "lenient::boolean")]
    pub has_network_filter: bool,
    /// Fields this SDK does not model (a newer PBX may add some), as JSON text by name.
    #[serde(flatten, skip_serializing, deserialize_with = "lenient::extra")]
    pub extra: HashMap<String, String>,
}

impl ApiKeyInfo {
    /// The key's network filter.
    pub fn network(&self) -> NetworkFilter {
        NetworkFilter::from_wire(Some(&self.networkfilterid))
    }

    /// The key's permissions and network filter, ready for
    /// [`ClientBuilder::permissions`](crate::ClientBuilder::permissions). Entries the server
    /// would not accept are skipped.
    pub fn permissions(&self) -> Permissions {
        let base = if self.full_permissions {
            Permissions::full()
        } else {
            let mut p = Permissions::none();
            for (k, v) in &self.allowed_paths {
                if let Ok(one) = Permissions::from_allowed_paths([(k, v)]) {
                    for (path, access) in one.grants() {
                        if let Some(r) = path
                            .strip_prefix("/api/v3/")
                            .and_then(crate::Resource::from_segment)
                        {
                            p = p.grant(r, access);
                        }
                    }
                }
            }
            p
        };
        base.with_network(self.network())
    }
}

/// A key to register (`create`) or the replacement settings (`update`). The permissions are
/// always stated: `full_permissions`, or the `allowed_paths` (never full by omission).
#[derive(Debug, Clone, Deserialize, Describe)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct NewApiKey {
    /// Description (1–255 characters).
    pub description: String,
    /// The key: from `generate_key` (the server stores only a bcrypt hash).
    pub key: Arc<ApiKey>,
    /// Every permission on every resource. Prefer `allowed_paths` with the least the
    /// integration needs (`minimal_permissions`); when this is true they must be empty.
    pub full_permissions: bool,
    /// Resource (`"extensions"` or `"/api/v3/extensions"`) → access; must not be empty unless
    /// `full_permissions`.
    pub allowed_paths: HashMap<String, Access>,
    /// Which addresses may use the key.
    pub network: NetworkFilter,
}

impl NewApiKey {
    /// A key to register with `permissions` (`None`: full permissions) usable from `network`.
    pub fn new(
        description: impl Into<String>,
        key: ApiKey,
        permissions: Option<&Permissions>,
        network: NetworkFilter,
    ) -> Self {
        NewApiKey {
            description: description.into(),
            key: Arc::new(key),
            full_permissions: permissions.is_none(),
            allowed_paths: permissions
                .map(|p| {
                    p.to_allowed_paths()
                        .into_iter()
                        .filter_map(|(path, access)| Some((path, Access::parse(&access)?)))
                        .collect()
                })
                .unwrap_or_default(),
            network,
        }
    }

    fn body(&self) -> Result<Value, Error> {
        let paths = match (self.full_permissions, self.allowed_paths.is_empty()) {
            (true, true) => Default::default(),
            (true, false) => {
                return Err(Error::config(
                    "a key has full_permissions or allowed_paths, not both: leave allowed_paths empty for a full-permission key",
                ));
            }
            (false, true) => {
                return Err(Error::config(
                    "a key without full_permissions needs allowed_paths (mikopbx.minimal_permissions gives the least an integration needs)",
                ));
            }
            (false, false) => Permissions::from_short_map(
                self.allowed_paths.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            )?
            .to_allowed_paths(),
        };
        Ok(json!({
            "description": self.description,
            "key": self.key.expose_secret(),
            "full_permissions": self.full_permissions,
            "allowed_paths": paths,
            "networkfilterid": self.network.as_wire(),
        }))
    }
}

impl ApiKeysApi {
    /// Asks the PBX for a fresh random key (64 hex). It is shown only now and not yet
    /// registered: pass it to `create`.
    pub async fn generate_key(&self) -> Result<ApiKey, Error> {
        let reply = self
            .client
            .call(&API_KEYS_GENERATE_KEY, None, &[], None)
            .await?;
        match reply.envelope.data().get("key").and_then(Value::as_str) {
            Some(k) if !k.is_empty() => Ok(ApiKey::new(k)),
            _ => Err(Error::Decode {
                operation: Some(API_KEYS_GENERATE_KEY.name.into()),
                status: Some(reply.status),
                detail: "no `key` in the answer".into(),
                // Never echo this body: it is meant to hold a key.
                excerpt: String::new(),
            }),
        }
    }

    /// Registers a key with its permissions and network filter. The stored network filter is
    /// checked against the requested one: a PBX that silently drops `localhost` (its schema
    /// allows only a number or `none`) would leave the key usable from anywhere; then the key is
    /// deleted again and the call fails.
    pub async fn create(&self, key: NewApiKey) -> Result<ApiKeyInfo, Error> {
        let body = key.body()?;
        let reply = self
            .client
            .call(&API_KEYS_CREATE, None, &[], Some(&body))
            .await?;
        let info: ApiKeyInfo = typed_raw(&reply.envelope, API_KEYS_CREATE.name, reply.status)?;
        let info = self.with_network_field(info).await;
        if let Some(problem) = network_mismatch(&key.network, &info) {
            // An unrestricted key must not stay behind.
            let removed = !info.id.is_empty() && self.delete(&info.id).await.is_ok();
            let fate = if removed {
                "The key was removed again".to_owned()
            } else {
                format!(
                    "The key (id {:?}) could NOT be removed: delete it in System → API Keys",
                    info.id
                )
            };
            return Err(Error::Server {
                operation: Some(API_KEYS_CREATE.name.to_owned()),
                status: reply.status,
                messages: vec![format!("{problem}. {fate}. {NETWORK_ADVICE}")],
            });
        }
        Ok(info)
    }

    /// Replaces a key's description, key, permissions and network filter (fails if the PBX did
    /// not store the requested network filter, as `create` does).
    pub async fn update(&self, id: &str, key: NewApiKey) -> Result<ApiKeyInfo, Error> {
        let body = key.body()?;
        let reply = self
            .client
            .call(&API_KEYS_UPDATE, Some(id), &[], Some(&body))
            .await?;
        let info: ApiKeyInfo = typed_raw(&reply.envelope, API_KEYS_UPDATE.name, reply.status)?;
        let info = self.with_network_field(info).await;
        if let Some(problem) = network_mismatch(&key.network, &info) {
            return Err(Error::Server {
                operation: Some(API_KEYS_UPDATE.name.to_owned()),
                status: reply.status,
                messages: vec![format!(
                    "{problem}. The other changes were saved. {NETWORK_ADVICE}"
                )],
            });
        }
        Ok(info)
    }
}

impl ApiKeysApi {
    /// The record with its `networkfilterid`, read back when an answer left it out.
    async fn with_network_field(&self, info: ApiKeyInfo) -> ApiKeyInfo {
        if !info.networkfilterid.is_empty() || info.id.is_empty() {
            return info;
        }
        self.get(&info.id).await.unwrap_or(info)
    }
}

/// A key's permissions exactly as stored: every `allowed_paths` entry (a module's path too,
/// which [`ApiKeyInfo::permissions`] leaves out), so that a wider key than asked is noticed.
fn stored_permissions(info: &ApiKeyInfo) -> Permissions {
    let base = if info.full_permissions {
        Permissions::full()
    } else {
        info.allowed_paths
            .iter()
            .fold(Permissions::none(), |p, (path, access)| {
                match Access::parse(access) {
                    Some(a) => p.clone().grant_path(path, a).unwrap_or(p),
                    None => p,
                }
            })
    };
    base.with_network(info.network())
}

/// The network filter the PBX stored differs from the one asked for: the message for it.
fn network_mismatch(requested: &NetworkFilter, info: &ApiKeyInfo) -> Option<String> {
    let stored = info.network();
    (&stored != requested).then(|| {
        format!(
            "the PBX stored the key without the requested network restriction (asked for \"{}\", stored \"{}\"). MikoPBX's REST API drops `localhost` (its schema accepts only a numeric filter id or `none`), which would leave the key usable from any address",
            requested.as_wire(),
            stored.as_wire()
        )
    })
}

const NETWORK_ADVICE: &str = "Restrict the key with a numeric network filter (System → Network filters), or set it to localhost in System → API Keys in the web interface";

/// A key made by [`ApiKeysApi::create_for`]: the key itself (shown only now: store it) and its
/// record as the PBX stored it.
#[derive(Debug, Clone)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct CreatedApiKey {
    /// The plaintext key (never printed by `Debug`/`toString`).
    pub key: Arc<ApiKey>,
    /// The stored record, read back after the create.
    pub info: ApiKeyInfo,
}

#[cfg_attr(feature = "uniffi", uniffi::export(async_runtime = "tokio"))]
impl ApiKeysApi {
    /// Least-privilege provisioning: creates a key with exactly the `allowed_paths` the named
    /// operations need (`["extensions.list", "cdr.list"]`, as `mikopbx operations` names them)
    /// and the network restriction asked for, and checks what the PBX stored.
    ///
    /// `network`: `Any`, a filter `Id`, or `Localhost`. A real PBX stores `localhost` sent over
    /// REST as no filter at all (mikopbx-api.md §2b), so `Localhost` is made to work another way:
    /// the client looks for a network filter that permits exactly `127.0.0.1/32` (the key then
    /// needs read on `network-filters` too) and uses its id; when there is none (filters are
    /// created in the firewall, not through this API), it refuses with what to do in the web
    /// interface, before creating anything.
    ///
    /// After the create the record is read back; a key that is wider than asked (more paths,
    /// more access, full permissions, another filter) is deleted again and the call fails, so a
    /// key wider than asked is never left behind.
    pub async fn create_for(
        &self,
        description: String,
        operations: Vec<String>,
        network: NetworkFilter,
    ) -> Result<CreatedApiKey, Error> {
        let ops = crate::operations::find_all(&operations)?;
        self.create_with(description, Permissions::minimal_for(&ops), network)
            .await
    }
}

impl ApiKeysApi {
    /// As [`Self::create_for`], with the `allowed_paths` given: a module's paths too (what
    /// `mikopbx keys create --from-usage` needs for the escape-hatch requests it recorded,
    /// [`crate::usage::needs`]). `wanted` must not be full permissions.
    pub async fn create_with(
        &self,
        description: String,
        wanted: Permissions,
        network: NetworkFilter,
    ) -> Result<CreatedApiKey, Error> {
        if wanted.is_full() {
            return Err(Error::config(
                "create_with makes restricted keys; use create with full permissions deliberately",
            ));
        }
        if wanted.grants().next().is_none() {
            return Err(Error::config(
                "these operations need no permission (public endpoints): no key is needed for them",
            ));
        }
        let network = match network {
            NetworkFilter::Localhost => self.localhost_filter().await?,
            other => other,
        };
        let key = self.generate_key().await?;
        let info = self
            .create(NewApiKey::new(
                description,
                key.clone(),
                Some(&wanted),
                network.clone(),
            ))
            .await?;
        let stored = self.get(&info.id).await.unwrap_or(info);
        let asked = wanted.with_network(network);
        if stored_permissions(&stored) != asked {
            let removed = self.delete(&stored.id).await.is_ok();
            return Err(Error::Server {
                operation: Some(API_KEYS_CREATE.name.to_owned()),
                status: 200,
                messages: vec![format!(
                    "the PBX stored the key with other permissions than asked (asked {asked}, \
                     stored {}); {}",
                    stored_permissions(&stored),
                    if removed {
                        "the key was removed again".to_owned()
                    } else {
                        format!(
                            "the key (id {:?}) could NOT be removed: delete it in System → API Keys",
                            stored.id
                        )
                    }
                )],
            });
        }
        Ok(CreatedApiKey {
            key: Arc::new(key),
            info: stored,
        })
    }
}

impl ApiKeysApi {
    /// The id of a network filter that admits only 127.0.0.1 (for a key's network check, a
    /// filter's `permit` is the allow list: TokenValidationService::checkNetworkFilter).
    async fn localhost_filter(&self) -> Result<NetworkFilter, Error> {
        let filters = self
            .client
            .network_filters()
            .list(crate::NetworkFilterQuery {
                search: Some("127.0.0.1".into()),
                ..Default::default()
            })
            .collect_all()
            .await?;
        let only_localhost = |f: &crate::NetworkFilterRecord| {
            let nets: Vec<&str> = f.permit.split(',').map(str::trim).collect();
            !nets.is_empty() && nets.iter().all(|n| *n == "127.0.0.1/32" || *n == "127.0.0.1")
        };
        let found = filters
            .iter()
            .filter(|f| only_localhost(f))
            .find_map(|f| f.id.parse::<i64>().ok());
        found.map(|id| NetworkFilter::Id { id }).ok_or_else(|| {
            Error::config(
                "no network filter admits only 127.0.0.1, and MikoPBX's REST API stores a key's \
                 `localhost` as no restriction at all. Add the network 127.0.0.1/32 in Network \
                 and firewall (web interface), then call again (or pass its id as the network)",
            )
        })
    }
}
