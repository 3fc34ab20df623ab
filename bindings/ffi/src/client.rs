//! `Client` and its per-resource views, one async method per operation of the core.
//!
//! Method names are the operation names of the core's table (`extensions.list` →
//! `client.extensions().list(…)`), the same in every language. Every method forwards to the core.

use std::collections::HashMap;
use std::sync::Arc;

use mikopbx::{
    Access, ActiveCall, ActiveChannel, ApiKeyInfo, CdrQuery, Employee, EmployeePatch,
    EmployeeQuery, Extension, ExtensionOption, ExtensionQuery, KeyPermissions, NetworkFilter,
    NewApiKey, NewEmployee, Permissions, SysInfo,
};

use crate::error::Result;
use crate::pagers::{ApiKeyPager, CdrCallPager, CdrPager, EmployeePager, ExtensionPager};
use crate::secret::ApiKey;

/// A MikoPBX REST API v3 client. Cheap to share between coroutines/tasks; every call is
/// cancel-safe (cancelling a coroutine or task leaves the client usable).
#[derive(uniffi::Object)]
#[uniffi::export(Debug)]
pub struct Client {
    core: mikopbx::Client,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The core's Debug never shows the key.
        std::fmt::Debug::fmt(&self.core, f)
    }
}

impl Client {
    pub(crate) fn from_core(core: mikopbx::Client) -> Self {
        Client { core }
    }
}

#[uniffi::export]
impl Client {
    /// A client configured from `MIKOPBX_URL`, `MIKOPBX_API_KEY`, `MIKOPBX_CA_CERT` (path to a
    /// PEM or DER file) and `MIKOPBX_CERT_SHA256` (a pin).
    #[uniffi::constructor]
    pub fn from_env() -> Result<Arc<Self>> {
        Ok(Arc::new(Client::from_core(mikopbx::Client::from_env()?)))
    }
}

macro_rules! views {
    ($( $(#[$doc:meta])* $method:ident => $view:ident; )*) => {
        #[uniffi::export]
        impl Client {
            $(
                $(#[$doc])*
                pub fn $method(&self) -> Arc<$view> {
                    Arc::new($view { core: self.core.clone() })
                }
            )*
        }
        $(
            $(#[$doc])*
            #[derive(uniffi::Object)]
            pub struct $view {
                core: mikopbx::Client,
            }
        )*
    };
}

views! {
    /// `system` operations: ping, check_auth.
    system => SystemApi;
    /// `sysinfo` operations: get_info.
    sysinfo => SysinfoApi;
    /// `extensions` operations: list, get, get_for_select, available.
    extensions => ExtensionsApi;
    /// `employees` operations: list, get, create, update, patch, delete.
    employees => EmployeesApi;
    /// `cdr` operations: list and list_calls (lazy, resumable).
    cdr => CdrApi;
    /// `pbx_status` operations: active_calls, active_channels.
    pbx_status => PbxStatusApi;
    /// `api_keys` operations: generate_key, create, list, get, delete.
    api_keys => ApiKeysApi;
}

#[uniffi::export(async_runtime = "tokio")]
impl SystemApi {
    /// Checks that the PBX answers (`system.ping`).
    pub async fn ping(&self) -> Result<()> {
        Ok(self.core.system().ping().await?)
    }

    /// Checks that the PBX accepts the key (`system.check_auth`).
    pub async fn check_auth(&self) -> Result<()> {
        Ok(self.core.system().check_auth().await?)
    }
}

#[uniffi::export(async_runtime = "tokio")]
impl SysinfoApi {
    /// Version, hostname and uptime of the PBX.
    pub async fn get_info(&self) -> Result<SysInfo> {
        Ok(self.core.sysinfo().get_info().await?)
    }
}

#[uniffi::export(async_runtime = "tokio")]
impl ExtensionsApi {
    /// Extensions matching `query`, fetched lazily page by page. Sends nothing until the first
    /// `nextPage()`.
    pub fn list(&self, query: ExtensionQuery) -> Arc<ExtensionPager> {
        ExtensionPager::new(self.core.extensions().list(query))
    }

    /// One extension by number.
    pub async fn get(&self, number: String) -> Result<Extension> {
        Ok(self.core.extensions().get(&number).await?)
    }

    /// Extensions for a picker, optionally of one type (`"SIP"`, `"QUEUE"`, …).
    #[uniffi::method(default(type_ = None))]
    pub async fn get_for_select(&self, type_: Option<String>) -> Result<Vec<ExtensionOption>> {
        Ok(self
            .core
            .extensions()
            .get_for_select(type_.as_deref())
            .await?)
    }

    /// Whether `number` is free. Needs write permission on extensions (the PBX's rule for POST).
    pub async fn available(&self, number: String) -> Result<bool> {
        Ok(self.core.extensions().available(&number).await?)
    }
}

#[uniffi::export(async_runtime = "tokio")]
impl EmployeesApi {
    /// Employees matching `query`, fetched lazily page by page.
    pub fn list(&self, query: EmployeeQuery) -> Arc<EmployeePager> {
        EmployeePager::new(self.core.employees().list(query))
    }

    /// One employee by id.
    pub async fn get(&self, id: String) -> Result<Employee> {
        Ok(self.core.employees().get(&id).await?)
    }

    /// Creates an employee (and their extension).
    pub async fn create(&self, employee: NewEmployee) -> Result<Employee> {
        Ok(self.core.employees().create(employee).await?)
    }

    /// Replaces an employee.
    pub async fn update(&self, id: String, employee: NewEmployee) -> Result<Employee> {
        Ok(self.core.employees().update(&id, employee).await?)
    }

    /// Changes some fields of an employee.
    pub async fn patch(&self, id: String, patch: EmployeePatch) -> Result<Employee> {
        Ok(self.core.employees().patch(&id, patch).await?)
    }

    /// Deletes an employee.
    pub async fn delete(&self, id: String) -> Result<()> {
        Ok(self.core.employees().delete(&id).await?)
    }
}

#[uniffi::export]
impl CdrApi {
    /// Call records matching `query`, fetched lazily; `checkpoint()` on the pager gives the id to
    /// resume from later (`CdrQuery.resumeAfter`).
    pub fn list(&self, query: CdrQuery) -> Arc<CdrPager> {
        CdrPager::new(self.core.cdr().list(query))
    }

    /// Calls (legs grouped by linkedid) matching `query`, fetched lazily and resumable like `list`.
    pub fn list_calls(&self, query: CdrQuery) -> Arc<CdrCallPager> {
        CdrCallPager::new(self.core.cdr().list_calls(query))
    }
}

#[uniffi::export(async_runtime = "tokio")]
impl PbxStatusApi {
    /// Calls in progress.
    pub async fn active_calls(&self) -> Result<Vec<ActiveCall>> {
        Ok(self.core.pbx_status().active_calls().await?)
    }

    /// Channels in progress.
    pub async fn active_channels(&self) -> Result<Vec<ActiveChannel>> {
        Ok(self.core.pbx_status().active_channels().await?)
    }
}

#[uniffi::export(async_runtime = "tokio")]
impl ApiKeysApi {
    /// Asks the PBX for a fresh random key (not yet registered: pass it to `create`).
    pub async fn generate_key(&self) -> Result<Arc<ApiKey>> {
        Ok(Arc::new(ApiKey::from_core(
            self.core.api_keys().generate_key().await?,
        )))
    }

    /// Registers `key`. `allowed_paths` maps resources (`"extensions"` or `"/api/v3/extensions"`)
    /// to access; `None` gives the key full permissions. Prefer the least the integration needs
    /// (see `minimalPermissions`).
    pub async fn create(
        &self,
        description: String,
        key: Arc<ApiKey>,
        allowed_paths: Option<HashMap<String, Access>>,
        network: NetworkFilter,
    ) -> Result<ApiKeyInfo> {
        let permissions = match allowed_paths {
            None => KeyPermissions::Full,
            Some(map) => KeyPermissions::Paths(Permissions::from_short_map(
                map.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            )?),
        };
        let new = NewApiKey {
            description,
            key: key.core().clone(),
            permissions,
            network,
        };
        Ok(self.core.api_keys().create(new).await?)
    }

    /// Every key (never the keys themselves: `keyDisplay` is first 5 + last 5 characters).
    pub fn list(&self) -> Arc<ApiKeyPager> {
        ApiKeyPager::new(self.core.api_keys().list())
    }

    /// One key's record by id.
    pub async fn get(&self, id: String) -> Result<ApiKeyInfo> {
        Ok(self.core.api_keys().get(&id).await?)
    }

    /// Revokes a key.
    pub async fn delete(&self, id: String) -> Result<()> {
        Ok(self.core.api_keys().delete(&id).await?)
    }
}

/// The least `allowed_paths` (`"/api/v3/extensions"` → `"read"`/`"write"`) that lets a key make
/// the named operations (`"extensions.list"`, `"cdr.list"`, …).
#[uniffi::export]
pub fn minimal_permissions(operations: Vec<String>) -> Result<HashMap<String, String>> {
    let specs = mikopbx::operations::find_all(&operations)?;
    Ok(Permissions::minimal_for(&specs)
        .to_allowed_paths()
        .into_iter()
        .collect())
}

/// The operation names the client knows, in the table's order.
#[uniffi::export]
pub fn operation_names() -> Vec<String> {
    mikopbx::operations::OPERATIONS
        .iter()
        .map(|op| op.name.to_owned())
        .collect()
}
