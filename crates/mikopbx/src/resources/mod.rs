//! One module per resource API. Each exposes a small handle (`client.extensions()`, …) whose
//! methods are thin: they build the query or body and call the operation from the table.

pub mod api_keys;
pub mod cdr;
pub mod employees;
pub mod extensions;
pub mod pbx_status;
pub mod system;

use serde_json::Value;

pub(crate) fn push_opt(q: &mut Vec<(String, String)>, key: &str, value: &Option<String>) {
    if let Some(v) = value
        && !v.is_empty()
    {
        q.push((key.to_owned(), v.clone()));
    }
}

/// Removes `null` members so that optional fields are left out of request bodies.
pub(crate) fn without_nulls(v: Value) -> Value {
    match v {
        Value::Object(map) => {
            Value::Object(map.into_iter().filter(|(_, v)| !v.is_null()).collect())
        }
        other => other,
    }
}
