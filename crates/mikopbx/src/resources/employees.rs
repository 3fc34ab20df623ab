//! `employees`: users and their SIP extensions (the write path for both).

use std::collections::HashMap;
use std::sync::Arc;

use mikopbx_macros::Describe;
use serde::{Deserialize, Serialize};

use crate::api::{api, body_json, paged, python_records};
use crate::auth::Secret;
use crate::envelope::{lenient, typed_raw};
use crate::error::Error;
use crate::permissions::Resource;

api! {
    /// `employees`: users and their SIP extensions (the write path for both).
    EmployeesApi => employees, Resource::Employees, "/pbxcore/api/v3/employees";

    /// Employees matching the filters, fetched lazily page by page.
    EMPLOYEES_LIST = list(query query: EmployeeQuery) -> pager EmployeePager<Employee>
        = Get "" RecordsTotal, "employees.list", idempotent, "List employees";
    /// One employee by id.
    EMPLOYEES_GET = get(id id: &str) -> one Employee
        = Get "/{id}" Object, "employees.get", idempotent, "One employee";
    /// A new employee's defaults, not saved (`Lib/Employees/GetDefaultAction.php`,
    /// `DataStructure::createForNewEmployee()`): the next free internal number (empty when every
    /// number of the PBX's extension length is taken) and a freshly generated 20-character SIP
    /// secret (`sip_secret`), with the default transport and recording. Fill in the name and
    /// pass them to `create`.
    EMPLOYEES_GET_DEFAULT = get_default() -> one Employee
        = Get ":getDefault" Object, "employees.getDefault", idempotent, "Defaults for a new employee";
    /// Creates an employee and their extension `number` (201). Checked before sending where the
    /// PBX would silently mangle the input. Not retried after an ambiguous failure: it would
    /// create twice.
    EMPLOYEES_CREATE = create(body employee: NewEmployee) -> one Employee
        = Post "" Object, "employees.create", once, "Create an employee (and its extension)", custom;
    /// Replaces an employee (PUT): fields left out are cleared; without `mobile_number` the PBX
    /// deletes the employee's mobile number and its EXTERNAL extension. Use `patch` to change
    /// some fields only.
    EMPLOYEES_UPDATE = update(id id: &str, body employee: NewEmployee) -> one Employee
        = Put "/{id}" Object, "employees.update", idempotent, "Replace an employee", custom;
    /// Changes only the fields set (PATCH). Not retried: a partial update is not guaranteed
    /// idempotent.
    EMPLOYEES_PATCH = patch(id id: &str, body patch: EmployeePatch) -> one Employee
        = Patch "/{id}" Object, "employees.patch", once, "Change some fields of an employee", custom;
    /// Deletes an employee (and their extensions).
    EMPLOYEES_DELETE = delete(id id: &str) -> nothing
        = Delete "/{id}" Empty, "employees.delete", idempotent, "Delete an employee";
}

// Python: the getters by hand (no `get_all`: pyo3 cannot hand out the `Arc<Secret>`, so
// `sip_secret` is read as its text, while `repr`, which is `Debug`, shows it redacted).
python_records!(Employee {
    #[getter]
    fn id(&self) -> String {
        self.id.clone()
    }
    #[getter]
    fn number(&self) -> String {
        self.number.clone()
    }
    #[getter]
    fn user_username(&self) -> String {
        self.user_username.clone()
    }
    #[getter]
    fn user_email(&self) -> Option<String> {
        self.user_email.clone()
    }
    #[getter]
    fn mobile_number(&self) -> Option<String> {
        self.mobile_number.clone()
    }
    #[getter]
    fn mobile_dialstring(&self) -> Option<String> {
        self.mobile_dialstring.clone()
    }
    #[getter]
    fn sip_transport(&self) -> Option<String> {
        self.sip_transport.clone()
    }
    #[getter]
    fn sip_enable_recording(&self) -> bool {
        self.sip_enable_recording
    }
    #[getter]
    fn extra(&self) -> HashMap<String, String> {
        self.extra.clone()
    }
    /// The SIP password (records and defaults; empty in list rows). `repr` never shows it.
    #[getter]
    fn sip_secret(&self) -> String {
        self.sip_secret.expose_secret().to_owned()
    }
});

/// One employee. List rows carry less than a record: no SIP fields, and the mobile as `mobile`
/// (the dial string if set, else the number), which lands in `mobile_number` here.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, Describe)]
#[serde(from = "EmployeeWire")]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "python", pyo3::pyclass(frozen, eq, module = "mikopbx._native"))]
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
    /// The SIP password, as the PBX sends it with a record (in clear; empty in list rows).
    /// Never printed, and not serialized either, so it never reaches a JSON dump of a result.
    #[serde(skip_serializing)]
    pub sip_secret: Arc<Secret>,
    /// Fields this SDK does not model (a newer PBX may add some), as JSON text by name.
    #[serde(skip_serializing)]
    pub extra: HashMap<String, String>,
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
    #[serde(default)]
    sip_secret: Secret,
    #[serde(flatten, deserialize_with = "lenient::extra")]
    extra: HashMap<String, String>,
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
            sip_secret: Arc::new(w.sip_secret),
            extra: w.extra,
        }
    }
}

/// A new employee, or the full replacement for `update`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, Describe)]
#[serde(deny_unknown_fields)]
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
    #[serde(rename(serialize = "sip_enableRecording"))]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub sip_enable_recording: Option<bool>,
}

impl std::fmt::Display for NewEmployee {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} <{}>", self.user_username, self.number)
    }
}

/// A partial change: only the fields set are sent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, Describe)]
#[serde(deny_unknown_fields)]
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
    #[serde(rename(serialize = "sip_enableRecording"))]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub sip_enable_recording: Option<bool>,
}

/// Filters for [`EmployeesApi::list`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, Describe)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct EmployeeQuery {
    /// Free-text search (name, number, e-mail, mobile).
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub search: Option<String>,
    /// Items per request (default 100).
    #[serde(skip_serializing)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub page_size: Option<u32>,
    /// Stop after this many items.
    #[serde(skip_serializing)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub max_items: Option<u64>,
    /// Sort field (sent as `order_by`, which the server reads).
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub order_by: Option<String>,
    /// `ASC` / `DESC` (sent as `order_direction`).
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub order_direction: Option<String>,
}

paged!(EmployeeQuery);

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

impl EmployeesApi {
    /// Creates an employee and their extension `number` (201). Checked before sending where the
    /// PBX would silently mangle the input. Not retried after an ambiguous failure: it would
    /// create twice.
    pub async fn create(&self, employee: NewEmployee) -> Result<Employee, Error> {
        validate(
            EMPLOYEES_CREATE.name,
            Some(&employee.number),
            Some(&employee.user_username),
            Some(&employee.sip_secret),
        )?;
        self.send(&EMPLOYEES_CREATE, None, &employee).await
    }

    /// Replaces an employee (PUT): fields left out are cleared; without `mobile_number` the PBX
    /// deletes the employee's mobile number and its EXTERNAL extension. Use `patch` to change
    /// some fields only.
    pub async fn update(&self, id: &str, employee: NewEmployee) -> Result<Employee, Error> {
        validate(
            EMPLOYEES_UPDATE.name,
            Some(&employee.number),
            Some(&employee.user_username),
            Some(&employee.sip_secret),
        )?;
        self.send(&EMPLOYEES_UPDATE, Some(id), &employee).await
    }

    /// Changes only the fields set (PATCH). Not retried: a partial update is not guaranteed
    /// idempotent.
    pub async fn patch(&self, id: &str, patch: EmployeePatch) -> Result<Employee, Error> {
        validate(
            EMPLOYEES_PATCH.name,
            patch.number.as_deref(),
            patch.user_username.as_deref(),
            patch.sip_secret.as_deref(),
        )?;
        self.send(&EMPLOYEES_PATCH, Some(id), &patch).await
    }
}

impl EmployeesApi {
    async fn send<B: Serialize>(
        &self,
        op: &'static crate::OperationSpec,
        id: Option<&str>,
        body: &B,
    ) -> Result<Employee, Error> {
        let body = body_json(op.name, body)?;
        let reply = self.client.call(op, id, &[], Some(&body)).await?;
        typed_raw(&reply.envelope, op.name, reply.status)
    }
}
