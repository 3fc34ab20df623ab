//! `extensions`: the read-only directory of numbers.

use std::collections::HashMap;

use mikopbx_macros::Describe;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::api::{api, paged, python_records};
use crate::envelope::{lenient, truthy};
use crate::error::Error;
use crate::pagination::Pager;
use crate::permissions::Resource;

api! {
    /// `extensions`: the read-only directory of numbers.
    ExtensionsApi => extensions, Resource::Extensions, "/pbxcore/api/v3/extensions";

    /// Extensions matching the filters, fetched lazily page by page. The server documents a
    /// `type` filter but ignores it, so the type is also checked here, item by item.
    EXTENSIONS_LIST = list(query query: ExtensionQuery) -> pager ExtensionPager<Extension>
        = Get "" BareList, "extensions.list", idempotent, "List extensions (search, type, paging)", custom;
    /// One extension by its exact number. The server has no `getRecord` for extensions (every
    /// `GET extensions/{n}` answers 422 "Unknown action"), so this searches the list for the
    /// exact number; `NotFound` otherwise.
    EXTENSIONS_GET = get(field number: &str) -> one Extension
        = Get "" BareList, "extensions.getList", idempotent, "One extension by number (a search of the list: the server has no getRecord)", custom;
    /// Extensions as select options, optionally of one type (`SIP`, `QUEUE`, …).
    EXTENSIONS_GET_FOR_SELECT = get_for_select(query query: SelectQuery) -> list ExtensionOption
        = Get ":getForSelect" BareList, "extensions.getForSelect", idempotent, "Extensions as select options";
    /// Whether `number` is free for a new extension. A POST, so the key needs write even though
    /// it is a lookup; retrying it is harmless because it changes nothing.
    EXTENSIONS_AVAILABLE = available(field number: &str) -> one bool
        = Post ":available" Object, "extensions.available", idempotent, "Is a number free? (POST: needs write)", custom;
}

/// One extension.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, Describe)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "python", pyo3::pyclass(get_all, frozen, eq, module = "mikopbx._native"))]
pub struct Extension {
    /// The number (a string: numbers keep leading zeros).
    #[serde(default, deserialize_with = "lenient::string")]
    pub number: String,
    /// `SIP`, `EXTERNAL`, `QUEUE`, `IVR MENU`, `CONFERENCE`, `DIALPLAN APPLICATION`, `SYSTEM`…
    /// (`Extensions::TYPE_*`; the server's schema lists `IVR` for IVR menus, but it stores
    /// `IVR MENU`).
    #[serde(default, rename = "type", deserialize_with = "lenient::string")]
    pub type_: String,
    /// Caller id (the person's name for SIP extensions).
    #[serde(default, deserialize_with = "lenient::string")]
    pub callerid: String,
    /// The owning user id, if any.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub userid: Option<String>,
    /// Shown in the phone book.
    #[serde(default, deserialize_with = "lenient::boolean")]
    pub show_in_phonebook: bool,
    /// Fields this SDK does not model (a newer PBX may add some), as JSON text by name.
    #[serde(flatten, skip_serializing, deserialize_with = "lenient::extra")]
    pub extra: HashMap<String, String>,
}

/// Filters for [`ExtensionsApi::list`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, Describe)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct ExtensionQuery {
    /// Free-text search (number, caller id).
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub search: Option<String>,
    /// Only this type (`SIP`, `QUEUE`, …).
    #[serde(rename(serialize = "type"))]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub type_: Option<String>,
    /// Items per request (default 100, server cap 1000).
    #[serde(skip_serializing)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub page_size: Option<u32>,
    /// Stop after this many items.
    #[serde(skip_serializing)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub max_items: Option<u64>,
    /// Sort field (`number`, `type`, `callerid`).
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub order: Option<String>,
}

paged!(ExtensionQuery);

/// Filters for [`ExtensionsApi::get_for_select`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, Describe)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct SelectQuery {
    /// Only this type (`SIP`, `QUEUE`, `all`, …).
    #[serde(rename(serialize = "type"))]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub type_: Option<String>,
}

/// One option of `extensions:getForSelect`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Describe)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "python", pyo3::pyclass(get_all, frozen, eq, module = "mikopbx._native"))]
pub struct ExtensionOption {
    /// The number.
    pub value: String,
    /// The label (may contain HTML from the server's `represent`).
    pub name: String,
    /// The type, when given.
    #[serde(rename = "type")]
    pub type_: String,
}

impl<'de> Deserialize<'de> for ExtensionOption {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Value::deserialize(d)?;
        let pick = |keys: &[&str]| {
            keys.iter()
                .find_map(|k| match v.get(*k) {
                    Some(Value::String(s)) => Some(s.clone()),
                    Some(Value::Number(n)) => Some(n.to_string()),
                    _ => None,
                })
                .unwrap_or_default()
        };
        Ok(ExtensionOption {
            value: pick(&["value", "number", "id"]),
            name: pick(&["name", "text", "represent", "callerid"]),
            type_: pick(&["type", "typeLocalized"]),
        })
    }
}

// `type` in Python, as on the wire (`type_` stays readable too).
python_records!(
    Extension {
        #[getter(r#type)]
        fn python_type(&self) -> &str {
            &self.type_
        }
    },
    ExtensionOption {
        #[getter(r#type)]
        fn python_type(&self) -> &str {
            &self.type_
        }
    },
);

impl ExtensionsApi {
    /// Extensions matching the filters, fetched lazily page by page. The server documents a
    /// `type` filter but ignores it, so the type is also checked here, item by item.
    pub fn list(&self, query: ExtensionQuery) -> ExtensionPager {
        let wanted = query.type_.clone().filter(|t| !t.is_empty());
        let pager = Pager::for_query(self.client.clone(), &EXTENSIONS_LIST, &query);
        ExtensionPager::from(match wanted {
            Some(wanted) => {
                pager.with_filter(move |e: &Extension| e.type_.eq_ignore_ascii_case(&wanted))
            }
            None => pager,
        })
    }

    /// One extension by its exact number. The server has no `getRecord` for extensions, so this
    /// searches the list (`search=<number>`) and picks the exact match; `NotFound` otherwise.
    pub async fn get(&self, number: &str) -> Result<Extension, Error> {
        let number = number.trim();
        let mut pager: Pager<Extension> = Pager::new(
            self.client.clone(),
            &EXTENSIONS_GET,
            vec![("search".to_owned(), number.to_owned())],
            1000,
            None,
        );
        while let Some(page) = pager.next_page().await? {
            if let Some(found) = page.into_iter().find(|e| e.number == number) {
                return Ok(found);
            }
        }
        Err(Error::NotFound {
            operation: Some(EXTENSIONS_GET.name.into()),
            status: None,
            messages: vec![format!("no extension with the number {number}")],
        })
    }

    /// Whether `number` is free for a new extension. A POST, so the key needs write (the PBX's
    /// rule for POST).
    pub async fn available(&self, number: &str) -> Result<bool, Error> {
        let body = json!({ "number": number });
        let reply = self
            .client
            .call(&EXTENSIONS_AVAILABLE, None, &[], Some(&body))
            .await?;
        let data = &reply.envelope.data();
        Ok(match data.get("available") {
            Some(v) => truthy(v),
            None => match data {
                Value::Bool(b) => *b,
                _ => reply.envelope.result,
            },
        })
    }
}
