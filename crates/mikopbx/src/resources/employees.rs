//! `employees`: users and their SIP extensions (the write path for both).

use serde::{Deserialize, Serialize};

use crate::client::Client;
use crate::envelope::{lenient, typed};
use crate::error::Error;
use crate::operations::{
    EMPLOYEES_CREATE, EMPLOYEES_DELETE, EMPLOYEES_GET, EMPLOYEES_LIST, EMPLOYEES_PATCH,
    EMPLOYEES_UPDATE,
};
use crate::pagination::Pager;
use crate::resources::{push_opt, without_nulls};

/// One employee. List rows carry less than a record: no SIP fields, and the mobile as `mobile`
/// (the dial string if set, else the number), which lands in `mobile_number` here.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "EmployeeWire")]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Employee {
    /// The user id (a string on the wire).
    pub id: String,
    /// The extension number.
    pub number: String,
    /// Display name.
    pub user_username: String,
    /// E-mail.
    pub user_email: Option<String>,
    /// Mobile number (E.164-ish, as a string).
    pub mobile_number: Option<String>,
    /// Dial string used to forward to the mobile.
    pub mobile_dialstring: Option<String>,
    /// `udp`, `tcp`, `tls`, `udp,tcp`.
    pub sip_transport: Option<String>,
    /// Whether calls are recorded.
    #[serde(rename = "sip_enableRecording")]
    pub sip_enable_recording: bool,
}

/// Both wire forms of an employee: the record (`GET employees/{id}`) and the list row.
#[derive(Deserialize)]
struct EmployeeWire {
    #[serde(default, deserialize_with = "lenient::string")]
    id: String,
    #[serde(default, deserialize_with = "lenient::string")]
    number: String,
    #[serde(default, deserialize_with = "lenient::string")]
    user_username: String,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    user_email: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    mobile_number: Option<String>,
    /// List rows only.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    mobile: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    mobile_dialstring: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    sip_transport: Option<String>,
    #[serde(
        default,
        rename = "sip_enableRecording",
        deserialize_with = "lenient::boolean"
    )]
    sip_enable_recording: bool,
}

impl From<EmployeeWire> for Employee {
    fn from(w: EmployeeWire) -> Self {
        Employee {
            id: w.id,
            number: w.number,
            user_username: w.user_username,
            user_email: w.user_email,
            mobile_number: w.mobile_number.or(w.mobile),
            mobile_dialstring: w.mobile_dialstring,
            sip_transport: w.sip_transport,
            sip_enable_recording: w.sip_enable_recording,
        }
    }
}

/// A new employee, or the full replacement for `update`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct NewEmployee {
    /// Extension number, 2–8 digits.
    pub number: String,
    /// Display name.
    pub user_username: String,
    /// SIP password.
    pub sip_secret: String,
    /// E-mail.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub user_email: Option<String>,
    /// Mobile number (`^\+?[1-9]\d{1,14}$`).
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub mobile_number: Option<String>,
    /// Dial string for the mobile.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub mobile_dialstring: Option<String>,
    /// SIP transport.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub sip_transport: Option<String>,
    /// Record calls.
    #[serde(rename = "sip_enableRecording")]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub sip_enable_recording: Option<bool>,
}

impl std::fmt::Display for NewEmployee {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} <{}>", self.user_username, self.number)
    }
}

/// A partial change: only the fields set are sent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct EmployeePatch {
    /// New number.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub number: Option<String>,
    /// New display name.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub user_username: Option<String>,
    /// New SIP password.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub sip_secret: Option<String>,
    /// New e-mail.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub user_email: Option<String>,
    /// New mobile number.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub mobile_number: Option<String>,
    /// New mobile dial string.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub mobile_dialstring: Option<String>,
    /// New transport.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub sip_transport: Option<String>,
    /// Record calls.
    #[serde(rename = "sip_enableRecording")]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub sip_enable_recording: Option<bool>,
}

/// Filters for [`EmployeesApi::list`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct EmployeeQuery {
    /// Free-text search (name, number, e-mail, mobile).
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub search: Option<String>,
    /// Page size (default 100).
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub limit: Option<u32>,
    /// Stop after this many items.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub max_items: Option<u64>,
    /// Sort field (sent as `order_by`, which the server reads).
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub order_by: Option<String>,
    /// `ASC` / `DESC` (sent as `order_direction`).
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub order_direction: Option<String>,
}

/// `client.employees()`.
#[derive(Debug, Clone, Copy)]
pub struct EmployeesApi<'a> {
    pub(crate) client: &'a Client,
}

/// Checks what the PBX would otherwise mangle silently: it strips non-digits from `number` and
/// truncates it to 8 characters rather than refusing it.
fn validate(
    operation: &str,
    number: Option<&str>,
    name: Option<&str>,
    secret: Option<&str>,
) -> Result<(), Error> {
    let mut problems = Vec::new();
    if let Some(n) = number
        && (!(2..=8).contains(&n.len()) || !n.bytes().all(|b| b.is_ascii_digit()))
    {
        problems.push(format!(
            "number {n:?} must be 2 to 8 digits (the PBX would strip or truncate it silently)"
        ));
    }
    if name.is_some_and(|n| n.trim().is_empty()) {
        problems.push("user_username must not be empty".to_owned());
    }
    if secret.is_some_and(|s| s.trim().is_empty()) {
        problems.push("sip_secret must not be empty".to_owned());
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Error::Validation {
            operation: Some(operation.to_owned()),
            status: None,
            messages: problems,
        })
    }
}

fn body_of<T: Serialize>(value: &T) -> Result<serde_json::Value, Error> {
    serde_json::to_value(value)
        .map(without_nulls)
        .map_err(|e| Error::config(format!("cannot encode the request: {e}")))
}

impl EmployeesApi<'_> {
    /// `GET employees` as a lazy pager.
    pub fn list(&self, query: EmployeeQuery) -> Pager<Employee> {
        let mut q = Vec::new();
        push_opt(&mut q, "search", &query.search);
        push_opt(&mut q, "order_by", &query.order_by);
        push_opt(&mut q, "order_direction", &query.order_direction);
        Pager::new(
            self.client.clone(),
            &EMPLOYEES_LIST,
            q,
            query.limit.unwrap_or(100),
            query.max_items,
        )
    }

    /// `GET employees/{id}`.
    pub async fn get(&self, id: &str) -> Result<Employee, Error> {
        let reply = self
            .client
            .call(&EMPLOYEES_GET, Some(id), &[], None)
            .await?;
        if reply.envelope.data.as_array().is_some_and(Vec::is_empty) {
            return Err(Error::NotFound {
                operation: Some(EMPLOYEES_GET.name.into()),
                status: Some(reply.status),
                messages: vec![format!("no employee {id}")],
            });
        }
        typed(reply.envelope.data, EMPLOYEES_GET.name, reply.status)
    }

    /// `POST employees` (201). Not retried after an ambiguous failure: it would create twice.
    pub async fn create(&self, employee: NewEmployee) -> Result<Employee, Error> {
        validate(
            EMPLOYEES_CREATE.name,
            Some(&employee.number),
            Some(&employee.user_username),
            Some(&employee.sip_secret),
        )?;
        let body = body_of(&employee)?;
        let reply = self
            .client
            .call(&EMPLOYEES_CREATE, None, &[], Some(&body))
            .await?;
        typed(reply.envelope.data, EMPLOYEES_CREATE.name, reply.status)
    }

    /// `PUT employees/{id}`: full replacement. Fields left out are cleared: without
    /// `mobile_number` the PBX deletes the employee's mobile number and its EXTERNAL extension.
    /// Use [`patch`](Self::patch) to change some fields only.
    pub async fn update(&self, id: &str, employee: NewEmployee) -> Result<Employee, Error> {
        validate(
            EMPLOYEES_UPDATE.name,
            Some(&employee.number),
            Some(&employee.user_username),
            Some(&employee.sip_secret),
        )?;
        let body = body_of(&employee)?;
        let reply = self
            .client
            .call(&EMPLOYEES_UPDATE, Some(id), &[], Some(&body))
            .await?;
        typed(reply.envelope.data, EMPLOYEES_UPDATE.name, reply.status)
    }

    /// `PATCH employees/{id}`: only the fields set.
    pub async fn patch(&self, id: &str, patch: EmployeePatch) -> Result<Employee, Error> {
        validate(
            EMPLOYEES_PATCH.name,
            patch.number.as_deref(),
            patch.user_username.as_deref(),
            patch.sip_secret.as_deref(),
        )?;
        let body = body_of(&patch)?;
        let reply = self
            .client
            .call(&EMPLOYEES_PATCH, Some(id), &[], Some(&body))
            .await?;
        typed(reply.envelope.data, EMPLOYEES_PATCH.name, reply.status)
    }

    /// `DELETE employees/{id}`.
    pub async fn delete(&self, id: &str) -> Result<(), Error> {
        self.client
            .call(&EMPLOYEES_DELETE, Some(id), &[], None)
            .await
            .map(|_| ())
    }
}
