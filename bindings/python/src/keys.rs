//! Arguments of `api_keys.create` / `api_keys.update` → the core's `NewApiKey`.

use mikopbx::{ApiKey, Error, KeyPermissions, NetworkFilter, NewApiKey, Permissions};
use serde_json::Value;

use crate::client::network_from_value;
use crate::dispatch::Args;

fn config(detail: impl Into<String>) -> Error {
    Error::Config {
        detail: detail.into(),
    }
}

/// `permissions`: "full", or a map of short resource names or `/api/v3/...` paths to read/write.
fn key_permissions(value: Option<&Value>) -> Result<KeyPermissions, Error> {
    match value {
        None => Err(config(
            "permissions is required: \"full\" or a map such as minimal_permissions() returns",
        )),
        Some(Value::String(s)) if s == "full" => Ok(KeyPermissions::Full),
        Some(Value::Object(map)) => {
            let mut entries = Vec::with_capacity(map.len());
            for (k, v) in map {
                let v = v.as_str().ok_or_else(|| {
                    config(format!(
                        "permission for {k:?} must be \"read\" or \"write\""
                    ))
                })?;
                entries.push((k.as_str(), v));
            }
            Permissions::from_short_map(entries).map(KeyPermissions::Paths)
        }
        Some(other) => Err(config(format!(
            "permissions must be \"full\" or a map like {{\"extensions\": \"read\"}}, not {other}"
        ))),
    }
}

/// The settings of a key. On update an absent `key` keeps the current one (sent empty).
pub fn new_api_key(a: &Args<'_>, creating: bool) -> Result<NewApiKey, Error> {
    a.only(&["description", "key", "permissions", "network"])?;
    let key = match a.opt_str("key")? {
        Some(key) => key,
        None if creating => {
            return Err(config(
                "api_keys.create: key is required (from generate_key())",
            ));
        }
        None => String::new(),
    };
    Ok(NewApiKey {
        description: a.str("description")?,
        key: ApiKey::new(key),
        permissions: key_permissions(a.value("permissions"))?,
        network: match a.value("network") {
            Some(v) => network_from_value(v)?,
            None => NetworkFilter::Any,
        },
    })
}
