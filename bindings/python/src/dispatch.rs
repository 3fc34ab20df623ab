//! One operation name + JSON arguments → the core call → a JSON result.
//!
//! Only argument unpacking and result packing live here: the requests, permission checks,
//! retries, pagination and error classification are the core's.

use std::future::Future;
use std::pin::Pin;

use mikopbx::{
    ApiKey, Client, EmployeePatch, EmployeeQuery, Error, ExtensionQuery, NewEmployee, Pager,
};
use serde_json::{Map, Value};

use crate::records::{ToRecord, many};

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

fn config(detail: impl Into<String>) -> Error {
    Error::Config {
        detail: detail.into(),
    }
}

/// Typed access to the argument object sent by the Python wrapper.
pub struct Args<'a> {
    op: &'a str,
    map: Option<&'a Map<String, Value>>,
}

impl<'a> Args<'a> {
    pub fn new(op: &'a str, value: &'a Value) -> Self {
        Args {
            op,
            map: value.as_object(),
        }
    }

    fn get(&self, name: &str) -> Option<&'a Value> {
        self.map.and_then(|m| m.get(name)).filter(|v| !v.is_null())
    }

    pub fn opt_str(&self, name: &str) -> Result<Option<String>, Error> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(other) => Err(config(format!(
                "{}: {name} must be a string, not {other}",
                self.op
            ))),
        }
    }

    pub fn str(&self, name: &str) -> Result<String, Error> {
        self.opt_str(name)?
            .ok_or_else(|| config(format!("{}: {name} is required", self.op)))
    }

    pub fn opt_u32(&self, name: &str) -> Result<Option<u32>, Error> {
        match self.get(name) {
            None => Ok(None),
            Some(v) => v
                .as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .map(Some)
                .ok_or_else(|| config(format!("{}: {name} must be a positive integer", self.op))),
        }
    }

    pub fn opt_bool(&self, name: &str) -> Result<Option<bool>, Error> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(other) => Err(config(format!(
                "{}: {name} must be True or False, not {other}",
                self.op
            ))),
        }
    }

    pub fn object(&self, name: &str) -> Result<Args<'a>, Error> {
        match self.get(name) {
            Some(v @ Value::Object(_)) => Ok(Args::new(self.op, v)),
            _ => Err(config(format!("{}: {name} is required", self.op))),
        }
    }

    pub fn value(&self, name: &str) -> Option<&'a Value> {
        self.get(name)
    }

    /// Rejects names the operation does not know (a typo must not be dropped silently).
    pub fn only(&self, known: &[&str]) -> Result<(), Error> {
        if let Some(map) = self.map
            && let Some(unknown) = map.keys().find(|k| !known.contains(&k.as_str()))
        {
            return Err(config(format!(
                "{}: unknown field {unknown:?}; known fields: {}",
                self.op,
                known.join(", ")
            )));
        }
        Ok(())
    }
}

const EMPLOYEE_FIELDS: &[&str] = &[
    "number",
    "user_username",
    "sip_secret",
    "user_email",
    "mobile_number",
    "mobile_dialstring",
    "sip_transport",
    "sip_enable_recording",
];

fn new_employee(a: &Args<'_>) -> Result<NewEmployee, Error> {
    a.only(EMPLOYEE_FIELDS)?;
    Ok(NewEmployee {
        number: a.str("number")?,
        user_username: a.str("user_username")?,
        sip_secret: a.str("sip_secret")?,
        user_email: a.opt_str("user_email")?,
        mobile_number: a.opt_str("mobile_number")?,
        mobile_dialstring: a.opt_str("mobile_dialstring")?,
        sip_transport: a.opt_str("sip_transport")?,
        sip_enable_recording: a.opt_bool("sip_enable_recording")?,
    })
}

fn employee_patch(a: &Args<'_>) -> Result<EmployeePatch, Error> {
    a.only(EMPLOYEE_FIELDS)?;
    Ok(EmployeePatch {
        number: a.opt_str("number")?,
        user_username: a.opt_str("user_username")?,
        sip_secret: a.opt_str("sip_secret")?,
        user_email: a.opt_str("user_email")?,
        mobile_number: a.opt_str("mobile_number")?,
        mobile_dialstring: a.opt_str("mobile_dialstring")?,
        sip_transport: a.opt_str("sip_transport")?,
        sip_enable_recording: a.opt_bool("sip_enable_recording")?,
    })
}

/// Runs one non-list operation.
pub async fn call(client: &Client, op: &str, args: Value) -> Result<Value, Error> {
    let a = Args::new(op, &args);
    Ok(match op {
        "system.ping" => client.system().ping().await.map(|()| Value::Bool(true))?,
        "system.check_auth" => client
            .system()
            .check_auth()
            .await
            .map(|()| Value::Bool(true))?,
        "sysinfo.get_info" => client.sysinfo().get_info().await?.to_record(),
        "extensions.get" => client
            .extensions()
            .get(&a.str("number")?)
            .await?
            .to_record(),
        "extensions.get_for_select" => {
            let type_ = a.opt_str("type")?;
            many(&client.extensions().get_for_select(type_.as_deref()).await?)
        }
        "extensions.available" => {
            Value::Bool(client.extensions().available(&a.str("number")?).await?)
        }
        "employees.get" => client.employees().get(&a.str("id")?).await?.to_record(),
        "employees.create" => {
            let employee = new_employee(&a.object("employee")?)?;
            client.employees().create(employee).await?.to_record()
        }
        "employees.update" => {
            let employee = new_employee(&a.object("employee")?)?;
            client
                .employees()
                .update(&a.str("id")?, employee)
                .await?
                .to_record()
        }
        "employees.patch" => {
            let patch = employee_patch(&a.object("patch")?)?;
            client
                .employees()
                .patch(&a.str("id")?, patch)
                .await?
                .to_record()
        }
        "employees.delete" => {
            client.employees().delete(&a.str("id")?).await?;
            Value::Null
        }
        "pbx_status.active_calls" => many(&client.pbx_status().active_calls().await?),
        "pbx_status.active_channels" => many(&client.pbx_status().active_channels().await?),
        "api_keys.generate_key" => {
            let key: ApiKey = client.api_keys().generate_key().await?;
            Value::String(key.expose_secret().to_owned())
        }
        "api_keys.create" => {
            let key = crate::keys::new_api_key(&a.object("api_key")?, true)?;
            client.api_keys().create(key).await?.to_record()
        }
        "api_keys.get" => client.api_keys().get(&a.str("id")?).await?.to_record(),
        "api_keys.update" => {
            let key = crate::keys::new_api_key(&a.object("api_key")?, false)?;
            client
                .api_keys()
                .update(&a.str("id")?, key)
                .await?
                .to_record()
        }
        "api_keys.delete" => {
            client.api_keys().delete(&a.str("id")?).await?;
            Value::Null
        }
        other => return Err(config(format!("unknown operation {other:?}"))),
    })
}

/// A pager whose items are JSON records (type-erased over the core's `Pager<T>`).
pub trait PageSource: Send {
    fn next_page(&mut self) -> BoxFuture<'_, Result<Option<Vec<Value>>, Error>>;
    fn checkpoint(&self) -> Option<i64>;
    fn total(&self) -> Option<u64>;
}

impl<T> PageSource for Pager<T>
where
    T: ToRecord + serde::de::DeserializeOwned + Send + 'static,
{
    fn next_page(&mut self) -> BoxFuture<'_, Result<Option<Vec<Value>>, Error>> {
        Box::pin(async move {
            Ok(Pager::next_page(self)
                .await?
                .map(|items| items.iter().map(ToRecord::to_record).collect()))
        })
    }

    fn checkpoint(&self) -> Option<i64> {
        Pager::checkpoint(self)
    }

    fn total(&self) -> Option<u64> {
        Pager::total(self)
    }
}

/// Starts a list operation (sends nothing yet).
pub fn pager(client: &Client, op: &str, args: &Value) -> Result<Box<dyn PageSource>, Error> {
    let a = Args::new(op, args);
    Ok(match op {
        "extensions.list" => {
            a.only(&["search", "type", "page_size"])?;
            Box::new(client.extensions().list(ExtensionQuery {
                search: a.opt_str("search")?,
                type_: a.opt_str("type")?,
                limit: a.opt_u32("page_size")?,
                ..Default::default()
            }))
        }
        "employees.list" => {
            a.only(&["search", "page_size"])?;
            Box::new(client.employees().list(EmployeeQuery {
                search: a.opt_str("search")?,
                limit: a.opt_u32("page_size")?,
                ..Default::default()
            }))
        }
        "cdr.list" => Box::new(client.cdr().list(crate::cdr::query(&a)?)),
        "cdr.list_calls" => Box::new(client.cdr().list_calls(crate::cdr::query(&a)?)),
        "api_keys.list" => {
            a.only(&[])?;
            Box::new(client.api_keys().list())
        }
        other => return Err(config(format!("unknown list operation {other:?}"))),
    })
}
