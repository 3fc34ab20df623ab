//! One list page decoded straight from the body's text into its typed items.
//!
//! The general path ([`split_list`] then [`typed`] per item) builds a `serde_json::Value` tree of
//! the whole page and then a second copy of every field: for a page of 1000 call records that is
//! most of the cost of a CDR export. Here the page's shape is walked once by a serde visitor and
//! each item is deserialized into `T` as it is met. Anything unusual (items keyed by id in an
//! object, a record that does not decode) falls back to the general path, so the results and the
//! errors are exactly those of the general path.

use std::marker::PhantomData;

use serde::de::{
    DeserializeOwned, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor,
};
use serde_json::Value;

use crate::client::split_list;
use crate::envelope::{Envelope, truthy, typed};
use crate::error::Error;
use crate::operations::ResponseShape;

/// The typed items of one list answer and the totals its shape carries.
pub(crate) struct TypedPage<T> {
    pub items: Vec<T>,
    pub total: Option<u64>,
    pub has_more: Option<bool>,
}

/// Decodes the page in `env.data` of a list of `shape`.
pub(crate) fn decode_page<T: DeserializeOwned>(
    shape: ResponseShape,
    env: &Envelope,
    operation: &str,
    status: u16,
) -> Result<TypedPage<T>, Error> {
    if let Some(page) = fast(shape, env.raw_data()) {
        return Ok(page);
    }
    let page = split_list(shape, env.data());
    let items = page
        .items
        .into_iter()
        .map(|raw| typed::<T>(raw, operation, status))
        .collect::<Result<Vec<T>, Error>>()?;
    Ok(TypedPage {
        items,
        total: page.total,
        has_more: page.has_more,
    })
}

fn fast<T: DeserializeOwned>(shape: ResponseShape, text: &str) -> Option<TypedPage<T>> {
    let mut de = serde_json::Deserializer::from_str(text);
    let page = PageSeed::<T>(shape, PhantomData)
        .deserialize(&mut de)
        .ok()?;
    de.end().ok()?;
    Some(page)
}

fn as_u64(v: Option<&Value>) -> Option<u64> {
    v.and_then(|v| match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    })
}

fn empty<T>() -> TypedPage<T> {
    TypedPage {
        items: Vec::new(),
        total: None,
        has_more: None,
    }
}

/// `data` of a list: an array of items, or an object by shape (as [`split_list`] reads it).
struct PageSeed<T>(ResponseShape, PhantomData<fn() -> T>);

impl<'de, T: DeserializeOwned> DeserializeSeed<'de> for PageSeed<T> {
    type Value = TypedPage<T>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, T: DeserializeOwned> Visitor<'de> for PageSeed<T> {
    type Value = TypedPage<T>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a list page")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        Ok(TypedPage {
            items: items_of(seq)?,
            total: None,
            has_more: None,
        })
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        // Members as `split_list` reads them; a repeated member: the last one, as in a `Value`.
        let mut numbers: [Option<Value>; 3] = Default::default();
        let mut lists: [Option<Vec<T>>; 3] = [None, None, None];
        let (number_keys, list_keys): (&[&str], &[&str]) = match self.0 {
            ResponseShape::RecordsTotal => (&["recordsTotal", "recordsFiltered"], &["data"]),
            ResponseShape::CdrRecords => (&["pagination"], &["records"]),
            _ => (&["total", "recordsTotal"], &["items", "data", "records"]),
        };
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            if let Some(i) = number_keys.iter().position(|k| *k == key) {
                numbers[i] = Some(map.next_value()?);
            } else if let Some(i) = list_keys.iter().position(|k| *k == key) {
                lists[i] = Some(map.next_value::<Items<T>>()?.0);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        // The first list member present, in `split_list`'s order of preference.
        let items = lists.into_iter().flatten().next().unwrap_or_default();
        let [a, b, _] = numbers;
        Ok(match self.0 {
            ResponseShape::CdrRecords => {
                let p = a.unwrap_or(Value::Null);
                TypedPage {
                    items,
                    total: as_u64(p.get("total")),
                    has_more: p.get("hasMore").map(truthy),
                }
            }
            _ => TypedPage {
                items,
                total: as_u64(a.as_ref()).or(as_u64(b.as_ref())),
                has_more: None,
            },
        })
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(empty())
    }
    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(empty())
    }
    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(empty())
    }
    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(empty())
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(empty())
    }
    fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
        Ok(empty())
    }
}

fn items_of<'de, T: DeserializeOwned, A: SeqAccess<'de>>(mut seq: A) -> Result<Vec<T>, A::Error> {
    let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1000));
    while let Some(item) = seq.next_element::<T>()? {
        items.push(item);
    }
    Ok(items)
}

/// The items member of a page: an array; `null` or a scalar as none. Items keyed in an object
/// are refused here (the general path orders them as its `Value` map does).
struct Items<T>(Vec<T>);

impl<'de, T: DeserializeOwned> serde::Deserialize<'de> for Items<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct ItemsVisitor<T>(PhantomData<fn() -> T>);
        impl<'de, T: DeserializeOwned> Visitor<'de> for ItemsVisitor<T> {
            type Value = Items<T>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an array of items")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Items<T>, A::Error> {
                items_of(seq).map(Items)
            }
            fn visit_unit<E>(self) -> Result<Items<T>, E> {
                Ok(Items(Vec::new()))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Items<T>, E> {
                Ok(Items(Vec::new()))
            }
            fn visit_i64<E>(self, _: i64) -> Result<Items<T>, E> {
                Ok(Items(Vec::new()))
            }
            fn visit_u64<E>(self, _: u64) -> Result<Items<T>, E> {
                Ok(Items(Vec::new()))
            }
            fn visit_f64<E>(self, _: f64) -> Result<Items<T>, E> {
                Ok(Items(Vec::new()))
            }
            fn visit_str<E>(self, _: &str) -> Result<Items<T>, E> {
                Ok(Items(Vec::new()))
            }
        }
        d.deserialize_any(ItemsVisitor(PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct Row {
        id: i64,
    }

    fn both(
        shape: ResponseShape,
        data: &str,
    ) -> (Option<Vec<i64>>, Vec<i64>, Option<u64>, Option<bool>) {
        let body = format!(r#"{{"result":true,"data":{data}}}"#);
        let env = crate::envelope::parse(body.as_bytes()).unwrap();
        let fast =
            fast::<Row>(shape, env.raw_data()).map(|p| p.items.iter().map(|r| r.id).collect());
        let general = split_list(shape, env.data());
        let slow: Vec<i64> = general
            .items
            .into_iter()
            .map(|v| typed::<Row>(v, "x", 200).unwrap().id)
            .collect();
        let page = decode_page::<Row>(shape, &env, "x", 200).unwrap();
        assert_eq!(page.items.iter().map(|r| r.id).collect::<Vec<_>>(), slow);
        assert_eq!(
            (page.total, page.has_more),
            (general.total, general.has_more)
        );
        (fast, slow, page.total, page.has_more)
    }

    #[test]
    fn every_shape_decodes_as_the_general_path_does() {
        use ResponseShape::*;
        assert_eq!(both(BareList, r#"[{"id":1},{"id":2}]"#).0, Some(vec![1, 2]));
        let (f, _, total, _) = both(RecordsTotal, r#"{"recordsTotal":"7","data":[{"id":3}]}"#);
        assert_eq!((f, total), (Some(vec![3]), Some(7)));
        let (f, _, total, more) = both(
            CdrRecords,
            r#"{"records":[{"id":4}],"pagination":{"total":9,"hasMore":true}}"#,
        );
        assert_eq!((f, total, more), (Some(vec![4]), Some(9), Some(true)));
        let (f, _, total, _) = both(
            Object,
            r#"{"data":[{"id":6}],"items":[{"id":5}],"total":2}"#,
        );
        assert_eq!((f, total), (Some(vec![5]), Some(2)));
        // Items keyed by id: the general path (its map order), not the fast one.
        let (f, s, _, _) = both(Object, r#"{"items":{"b":{"id":2},"a":{"id":1}}}"#);
        assert_eq!(f, None);
        assert_eq!(s.len(), 2);
        for empty in ["null", "[]", "{}", "1", r#""x""#, r#"{"records":null}"#] {
            assert!(both(CdrRecords, empty).1.is_empty());
        }
    }

    #[test]
    fn a_bad_record_is_the_general_paths_decode_error() {
        let env =
            crate::envelope::parse(br#"{"result":true,"data":[{"id":1},{"id":[]}]}"#).unwrap();
        let err = decode_page::<Row>(ResponseShape::BareList, &env, "x.list", 200)
            .err()
            .unwrap();
        assert_eq!(err.kind(), crate::ErrorKind::Decode);
    }
}
