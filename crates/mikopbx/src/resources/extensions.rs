//! `extensions`: the read-only directory of numbers.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::client::Client;
use crate::envelope::{lenient, truthy, typed};
use crate::error::Error;
use crate::operations::{
    EXTENSIONS_AVAILABLE, EXTENSIONS_GET, EXTENSIONS_GET_FOR_SELECT, EXTENSIONS_LIST,
};
use crate::pagination::Pager;
use crate::resources::push_opt;

/// One extension.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Extension {
    /// The number (a string: numbers keep leading zeros).
    #[serde(default, deserialize_with = "lenient::string")]
    pub number: String,
    /// `SIP`, `IAX`, `QUEUE`, `IVR`, `CONFERENCE`, `EXTERNAL`…
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
}

/// Filters for [`ExtensionsApi::list`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct ExtensionQuery {
    /// Free-text search (number, caller id).
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub search: Option<String>,
    /// Only this type (`SIP`, `QUEUE`, …).
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub type_: Option<String>,
    /// Page size (default 100, server cap 1000).
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub limit: Option<u32>,
    /// Stop after this many items.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub max_items: Option<u64>,
    /// Sort field (`number`, `type`, `callerid`).
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub order: Option<String>,
}

/// One option of `extensions:getForSelect`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
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

/// `client.extensions()`.
#[derive(Debug, Clone, Copy)]
pub struct ExtensionsApi<'a> {
    pub(crate) client: &'a Client,
}

impl ExtensionsApi<'_> {
    /// `GET extensions` as a lazy pager. The server documents a `type` filter but ignores it, so
    /// the type is also checked here, item by item.
    pub fn list(&self, query: ExtensionQuery) -> Pager<Extension> {
        let mut q = Vec::new();
        push_opt(&mut q, "search", &query.search);
        push_opt(&mut q, "type", &query.type_);
        push_opt(&mut q, "order", &query.order);
        let pager = Pager::new(
            self.client.clone(),
            &EXTENSIONS_LIST,
            q,
            query.limit.unwrap_or(100),
            query.max_items,
        );
        match query.type_.filter(|t| !t.is_empty()) {
            Some(wanted) => {
                pager.with_filter(move |e: &Extension| e.type_.eq_ignore_ascii_case(&wanted))
            }
            None => pager,
        }
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

    /// `GET extensions:getForSelect`, optionally of one type.
    pub async fn get_for_select(&self, type_: Option<&str>) -> Result<Vec<ExtensionOption>, Error> {
        let mut q = Vec::new();
        if let Some(t) = type_ {
            q.push(("type".to_owned(), t.to_owned()));
        }
        let reply = self
            .client
            .call(&EXTENSIONS_GET_FOR_SELECT, None, &q, None)
            .await?;
        let page = crate::client::split_list(EXTENSIONS_GET_FOR_SELECT.shape, reply.envelope.data);
        page.items
            .into_iter()
            .map(|v| typed(v, EXTENSIONS_GET_FOR_SELECT.name, reply.status))
            .collect()
    }

    /// `POST extensions:available`: is the number free? (A POST, so the key needs write.)
    pub async fn available(&self, number: &str) -> Result<bool, Error> {
        let body = json!({ "number": number });
        let reply = self
            .client
            .call(&EXTENSIONS_AVAILABLE, None, &[], Some(&body))
            .await?;
        let data = &reply.envelope.data;
        Ok(match data.get("available") {
            Some(v) => truthy(v),
            None => match data {
                Value::Bool(b) => *b,
                _ => reply.envelope.result,
            },
        })
    }
}
