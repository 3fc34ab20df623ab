//! Core records → JSON objects with the wire names, for the Python dataclasses in `_models.py`.
//!
//! Written field by field (rather than through `Serialize`) so that a field renamed or removed in
//! the core breaks this build instead of silently vanishing from Python.

use mikopbx::{
    ActiveCall, ActiveChannel, ApiKeyInfo, CdrCall, CdrRecord, Employee, Extension,
    ExtensionOption, SysInfo,
};
use serde_json::{Map, Value, json};

/// A core record as a JSON object.
pub trait ToRecord {
    fn to_record(&self) -> Value;
}

macro_rules! record {
    ($ty:ty { $($field:ident $(=> $name:literal)?),* $(,)? }) => {
        impl ToRecord for $ty {
            fn to_record(&self) -> Value {
                let mut map = Map::new();
                $( map.insert(record!(@name $field $($name)?).to_owned(), json!(self.$field)); )*
                Value::Object(map)
            }
        }
    };
    (@name $field:ident $name:literal) => { $name };
    (@name $field:ident) => { stringify!($field) };
}

record!(Extension { number, type_ => "type", callerid, userid, show_in_phonebook });
record!(ExtensionOption { value, name, type_ => "type" });
record!(Employee {
    id,
    number,
    user_username,
    user_email,
    mobile_number,
    mobile_dialstring,
    sip_transport,
    sip_enable_recording,
});
record!(ActiveCall {
    start,
    answer,
    src_num,
    src_name,
    dst_num,
    dst_name,
    did,
    linkedid
});
record!(ActiveChannel {
    start,
    answer,
    src_num,
    src_chan,
    dst_num,
    dst_chan,
    linkedid
});

impl ToRecord for SysInfo {
    fn to_record(&self) -> Value {
        let info = serde_json::from_str::<Value>(&self.raw_json).unwrap_or(Value::Null);
        json!({
            "version": self.version,
            "hostname": self.hostname,
            "uptime": self.uptime,
            "info": info,
        })
    }
}

/// Records as a JSON array.
pub fn many<T: ToRecord>(items: &[T]) -> Value {
    Value::Array(items.iter().map(ToRecord::to_record).collect())
}

record!(CdrRecord {
    id,
    start,
    answer,
    endtime,
    src_num,
    dst_num,
    did,
    disposition,
    duration,
    billsec,
    linkedid,
    recordingfile,
    src_chan,
    dst_chan,
});

impl ToRecord for ApiKeyInfo {
    fn to_record(&self) -> Value {
        let allowed: std::collections::BTreeMap<_, _> = self.allowed_paths.iter().collect();
        json!({
            "id": self.id,
            "description": self.description,
            "key_display": self.key_display,
            "full_permissions": self.full_permissions,
            "allowed_paths": allowed,
            "networkfilterid": self.networkfilterid,
            "created_at": self.created_at,
            "last_used_at": self.last_used_at,
        })
    }
}

impl ToRecord for CdrCall {
    fn to_record(&self) -> Value {
        json!({
            "linkedid": self.linkedid,
            "start": self.start,
            "src_num": self.src_num,
            "src_name": self.src_name,
            "dst_num": self.dst_num,
            "dst_name": self.dst_name,
            "did": self.did,
            "disposition": self.disposition,
            "total_duration": self.total_duration,
            "total_billsec": self.total_billsec,
            "records": many(&self.records),
        })
    }
}
