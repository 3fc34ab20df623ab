//! `api-keys`: generate, register and manage keys.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::auth::ApiKey;
use crate::client::Client;
use crate::envelope::{lenient, typed};
use crate::error::Error;
use crate::operations::{
    API_KEYS_CREATE, API_KEYS_DELETE, API_KEYS_GENERATE, API_KEYS_GET, API_KEYS_LIST,
    API_KEYS_UPDATE,
};
use crate::pagination::Pager;
use crate::permissions::{NetworkFilter, Permissions};

/// A key as the server describes it (never the key itself).
///
/// Rows from [`ApiKeysApi::list`] are summaries on a real PBX: they carry `allowed_paths_count`
/// and `has_network_filter` but not `allowed_paths` / `networkfilterid`; use
/// [`ApiKeysApi::get`] for the full record before relying on [`ApiKeyInfo::permissions`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
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

/// What a key may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyPermissions {
    /// `full_permissions`.
    Full,
    /// These `allowed_paths` only.
    Paths(Permissions),
}

/// A key to register (`create`) or the replacement settings (`update`).
#[derive(Debug, Clone)]
pub struct NewApiKey {
    /// Description (1–255 characters).
    pub description: String,
    /// The key: from [`ApiKeysApi::generate_key`] (the server stores only a bcrypt hash).
    pub key: ApiKey,
    /// Full or per-resource permissions.
    pub permissions: KeyPermissions,
    /// Network filter.
    pub network: NetworkFilter,
}

impl NewApiKey {
    fn body(&self) -> Value {
        let (full, paths) = match &self.permissions {
            KeyPermissions::Full => (true, Default::default()),
            KeyPermissions::Paths(p) => (false, p.to_allowed_paths()),
        };
        json!({
            "description": self.description,
            "key": self.key.expose_secret(),
            "full_permissions": full,
            "allowed_paths": paths,
            "networkfilterid": self.network.as_wire(),
        })
    }
}

/// `client.api_keys()`.
#[derive(Debug, Clone, Copy)]
pub struct ApiKeysApi<'a> {
    pub(crate) client: &'a Client,
}

impl ApiKeysApi<'_> {
    /// `POST api-keys:generateKey`: a fresh key (64 hex). It is shown only now; register it with
    /// [`create`](Self::create).
    pub async fn generate_key(&self) -> Result<ApiKey, Error> {
        let reply = self
            .client
            .call(&API_KEYS_GENERATE, None, &[], None)
            .await?;
        match reply.envelope.data.get("key").and_then(Value::as_str) {
            Some(k) if !k.is_empty() => Ok(ApiKey::new(k)),
            _ => Err(Error::Decode {
                operation: Some(API_KEYS_GENERATE.name.into()),
                status: Some(reply.status),
                detail: "no `key` in the answer".into(),
                // Never echo this body: it is meant to hold a key.
                excerpt: String::new(),
            }),
        }
    }

    /// `POST api-keys`. The stored network filter is checked against the requested one: some
    /// PBX versions silently drop `localhost` (their schema allows only a number or `none`), which
    /// would leave the key usable from anywhere. Then the key is deleted again and the call fails.
    pub async fn create(&self, key: NewApiKey) -> Result<ApiKeyInfo, Error> {
        let body = key.body();
        let reply = self
            .client
            .call(&API_KEYS_CREATE, None, &[], Some(&body))
            .await?;
        let info: ApiKeyInfo = typed(reply.envelope.data, API_KEYS_CREATE.name, reply.status)?;
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

    /// `GET api-keys` as a lazy pager.
    pub fn list(&self) -> Pager<ApiKeyInfo> {
        Pager::new(self.client.clone(), &API_KEYS_LIST, Vec::new(), 100, None)
    }

    /// `GET api-keys/{id}`.
    pub async fn get(&self, id: &str) -> Result<ApiKeyInfo, Error> {
        let reply = self.client.call(&API_KEYS_GET, Some(id), &[], None).await?;
        if reply.envelope.data.as_array().is_some_and(Vec::is_empty) {
            return Err(Error::NotFound {
                operation: Some(API_KEYS_GET.name.into()),
                status: Some(reply.status),
                messages: vec![format!("no API key {id}")],
            });
        }
        typed(reply.envelope.data, API_KEYS_GET.name, reply.status)
    }

    /// `PUT api-keys/{id}`: replaces description, key, permissions and network filter (fails if
    /// the PBX did not store the requested network filter, see [`create`](Self::create)).
    pub async fn update(&self, id: &str, key: NewApiKey) -> Result<ApiKeyInfo, Error> {
        let body = key.body();
        let reply = self
            .client
            .call(&API_KEYS_UPDATE, Some(id), &[], Some(&body))
            .await?;
        let info: ApiKeyInfo = typed(reply.envelope.data, API_KEYS_UPDATE.name, reply.status)?;
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

    /// The record with its `networkfilterid`, read back when an answer left it out.
    async fn with_network_field(&self, info: ApiKeyInfo) -> ApiKeyInfo {
        if !info.networkfilterid.is_empty() || info.id.is_empty() {
            return info;
        }
        self.get(&info.id).await.unwrap_or(info)
    }

    /// `DELETE api-keys/{id}`: revocation is effective at once.
    pub async fn delete(&self, id: &str) -> Result<(), Error> {
        self.client
            .call(&API_KEYS_DELETE, Some(id), &[], None)
            .await
            .map(|_| ())
    }
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
