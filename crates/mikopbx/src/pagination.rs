//! Lazy, typed pagers over every list shape.
//!
//! A [`Pager`] fetches one page at a time (memory bounded by one page), whatever the shape: bare
//! arrays without a total (stop at a short page), employees' `recordsTotal`, CDR's
//! `pagination.hasMore/lastId`, or `items/total`. The CDR pager also keeps a checkpoint (the
//! highest record id seen) from which a later export can resume.

use std::collections::VecDeque;
use std::marker::PhantomData;
use std::sync::Arc;

use futures_util::Stream;
use serde::de::DeserializeOwned;

use crate::client::Client;
use crate::error::Error;
use crate::operations::OperationSpec;
use crate::page_decode::decode_page;

/// A lazy sequence of pages of `T`.
pub struct Pager<T> {
    client: Client,
    op: &'static OperationSpec,
    query: Vec<(String, String)>,
    page_size: u32,
    offset: u64,
    max_items: Option<u64>,
    yielded: u64,
    done: bool,
    total: Option<u64>,
    keyset: Option<Keyset<T>>,
    filter: Option<Keep<T>>,
    _t: PhantomData<fn() -> T>,
}

/// A client-side filter on items.
type Keep<T> = Arc<dyn Fn(&T) -> bool + Send + Sync>;

/// Keyset paging by record id (CDR): each page asks for ids after the last one seen.
struct Keyset<T> {
    param: &'static str,
    id_of: fn(&T) -> i64,
    after: Option<i64>,
}

impl<T> std::fmt::Debug for Pager<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pager")
            .field("operation", &self.op.name)
            .field("page_size", &self.page_size)
            .field("offset", &self.offset)
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

impl<T: DeserializeOwned> Pager<T> {
    pub(crate) fn new(
        client: Client,
        op: &'static OperationSpec,
        query: Vec<(String, String)>,
        page_size: u32,
        max_items: Option<u64>,
    ) -> Self {
        Pager {
            client,
            op,
            query,
            page_size: page_size.clamp(1, 1000),
            offset: 0,
            max_items,
            yielded: 0,
            done: max_items == Some(0),
            total: None,
            keyset: None,
            filter: None,
            _t: PhantomData,
        }
    }

    /// The pager of a list operation for a query struct: its serialized fields are the filters,
    /// its `page_size` and `max_items` the paging (default page: 100).
    pub(crate) fn for_query<Q: serde::Serialize + crate::api::Paged>(
        client: Client,
        op: &'static OperationSpec,
        query: &Q,
    ) -> Self {
        Pager::new(
            client,
            op,
            crate::api::query_pairs(query),
            query.page_size().unwrap_or(100),
            query.max_items(),
        )
    }

    /// Keeps only items passing `keep`, for filters the server documents but ignores.
    pub(crate) fn with_filter(mut self, keep: impl Fn(&T) -> bool + Send + Sync + 'static) -> Self {
        self.filter = Some(Arc::new(keep));
        self
    }

    pub(crate) fn with_keyset(
        mut self,
        param: &'static str,
        id_of: fn(&T) -> i64,
        after: Option<i64>,
    ) -> Self {
        self.keyset = Some(Keyset {
            param,
            id_of,
            after,
        });
        self
    }

    /// The next page, or `None` when the list is exhausted. A page is never empty: when a
    /// client-side filter empties a server page, the next one is fetched.
    pub async fn next_page(&mut self) -> Result<Option<Vec<T>>, Error> {
        loop {
            match self.fetch_page().await? {
                Some(items) if items.is_empty() && !self.done => continue,
                Some(items) if items.is_empty() => return Ok(None),
                other => return Ok(other),
            }
        }
    }

    /// One request: the next server page (possibly emptied by the filter).
    async fn fetch_page(&mut self) -> Result<Option<Vec<T>>, Error> {
        if self.done {
            return Ok(None);
        }
        let mut limit = u64::from(self.page_size);
        if let Some(max) = self.max_items {
            limit = limit.min(max.saturating_sub(self.yielded));
        }
        let mut query = self.query.clone();
        query.push(("limit".into(), limit.to_string()));
        match &self.keyset {
            Some(Keyset {
                param,
                after: Some(after),
                ..
            }) => {
                query.push(((*param).into(), after.to_string()));
                query.push(("offset".into(), "0".into()));
            }
            _ => query.push(("offset".into(), self.offset.to_string())),
        }
        let reply = match self.client.call(self.op, None, &query, None).await {
            Ok(r) => r,
            Err(e) => {
                // A failed page can be retried by calling next_page again: state is unchanged.
                return Err(e);
            }
        };
        let status = reply.status;
        let page = decode_page::<T>(self.op.shape, &reply.envelope, self.op.name, status)?;
        if page.total.is_some() {
            self.total = page.total;
        }
        let fetched = page.items.len() as u64;
        let mut items = page.items;
        if let Some(ks) = &mut self.keyset {
            // Keep only records after the checkpoint, whatever the server's bound semantics.
            if let Some(after) = ks.after {
                items.retain(|i| (ks.id_of)(i) > after);
            }
            if let Some(max_id) = items.iter().map(|i| (ks.id_of)(i)).max() {
                ks.after = Some(ks.after.map_or(max_id, |a| a.max(max_id)));
            }
        }
        if let Some(keep) = &self.filter {
            items.retain(|i| keep(i));
        }
        if let Some(max) = self.max_items {
            items.truncate(max.saturating_sub(self.yielded) as usize);
        }
        self.offset += fetched;
        self.yielded += items.len() as u64;
        let exhausted = fetched < limit
            || fetched == 0
            || page.has_more == Some(false)
            || self
                .total
                .is_some_and(|t| self.offset >= t && self.keyset.is_none())
            || self.max_items.is_some_and(|m| self.yielded >= m)
            || (self.keyset.is_some() && items.is_empty());
        if exhausted {
            self.done = true;
        }
        if items.is_empty() && self.done {
            return Ok(None);
        }
        Ok(Some(items))
    }

    /// The total the server reported, when the list shape has one.
    pub fn total(&self) -> Option<u64> {
        self.total
    }

    /// The highest record id seen so far (CDR pagers): pass it as `resume_after` to continue later.
    pub fn checkpoint(&self) -> Option<i64> {
        self.keyset.as_ref().and_then(|k| k.after)
    }

    /// Whether the last page has been fetched.
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// Fetches every remaining item into a vector (for small lists).
    pub async fn collect_all(mut self) -> Result<Vec<T>, Error> {
        let mut out = Vec::new();
        while let Some(page) = self.next_page().await? {
            out.extend(page);
        }
        Ok(out)
    }
}

impl<T: DeserializeOwned + Send + 'static> Pager<T> {
    /// The items one by one, fetching pages lazily. After an error the stream ends.
    pub fn into_stream(self) -> impl Stream<Item = Result<T, Error>> + Send + 'static {
        futures_util::stream::unfold(
            (self, VecDeque::new(), false),
            |(mut pager, mut buf, failed)| async move {
                if failed {
                    return None;
                }
                loop {
                    if let Some(item) = buf.pop_front() {
                        return Some((Ok(item), (pager, buf, false)));
                    }
                    match pager.next_page().await {
                        Ok(Some(items)) => buf.extend(items),
                        Ok(None) => return None,
                        Err(e) => return Some((Err(e), (pager, buf, true))),
                    }
                }
            },
        )
    }
}

/// A pager behind a lock, so that a cursor object can hand out pages through `&self` (what
/// uniffi objects and shared handles need).
pub struct SharedPager<T>(tokio::sync::Mutex<Pager<T>>);

impl<T: DeserializeOwned> SharedPager<T> {
    /// Wraps a pager.
    pub fn new(pager: Pager<T>) -> Self {
        SharedPager(tokio::sync::Mutex::new(pager))
    }
    /// See [`Pager::next_page`].
    pub async fn next_page(&self) -> Result<Option<Vec<T>>, Error> {
        self.0.lock().await.next_page().await
    }
    /// See [`Pager::total`].
    pub async fn total(&self) -> Option<u64> {
        self.0.lock().await.total()
    }
    /// See [`Pager::checkpoint`].
    pub async fn checkpoint(&self) -> Option<i64> {
        self.0.lock().await.checkpoint()
    }
    /// See [`Pager::is_done`].
    pub async fn is_done(&self) -> bool {
        self.0.lock().await.is_done()
    }
    /// The pager itself.
    pub fn into_inner(self) -> Pager<T> {
        self.0.into_inner()
    }
}

/// Defines the cursor type of one list operation (`EmployeePager`): a concrete type over
/// [`Pager<T>`], so that uniffi can export it; Rust code can take the generic pager back with
/// `into_pager()` or stream the items with `into_stream()`.
macro_rules! cursor {
    ($pager:ident, $item:ty) => {
        /// Pages of one list operation, fetched lazily: `next_page()` until it gives none.
        #[cfg_attr(feature = "uniffi", derive(uniffi::Object))]
        pub struct $pager {
            inner: $crate::pagination::SharedPager<$item>,
        }

        impl ::std::fmt::Debug for $pager {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.debug_struct(stringify!($pager)).finish_non_exhaustive()
            }
        }

        impl From<$crate::Pager<$item>> for $pager {
            fn from(pager: $crate::Pager<$item>) -> Self {
                $pager {
                    inner: $crate::pagination::SharedPager::new(pager),
                }
            }
        }

        #[cfg_attr(feature = "uniffi", uniffi::export(async_runtime = "tokio"))]
        impl $pager {
            /// The next page, or `None` (null/nil) when the list is exhausted. A page is never
            /// empty; a failed page can be asked for again.
            pub async fn next_page(&self) -> Result<Option<Vec<$item>>, $crate::Error> {
                self.inner.next_page().await
            }
            /// The total the server reported, when the list shape has one.
            pub async fn total(&self) -> Option<u64> {
                self.inner.total().await
            }
            /// The highest record id seen so far (CDR lists): pass it as `resume_after` to
            /// continue later.
            pub async fn checkpoint(&self) -> Option<i64> {
                self.inner.checkpoint().await
            }
            /// Whether the last page has been fetched.
            pub async fn is_done(&self) -> bool {
                self.inner.is_done().await
            }
        }

        impl $pager {
            /// The generic pager.
            pub fn into_pager(self) -> $crate::Pager<$item> {
                self.inner.into_inner()
            }
            /// The items one by one, fetching pages lazily. After an error the stream ends.
            pub fn into_stream(
                self,
            ) -> impl ::futures_util::Stream<Item = Result<$item, $crate::Error>> + Send + 'static
            {
                self.into_pager().into_stream()
            }
            /// Fetches every remaining item into a vector (for small lists).
            pub async fn collect_all(self) -> Result<Vec<$item>, $crate::Error> {
                self.into_pager().collect_all().await
            }
        }
    };
}
pub(crate) use cursor;
