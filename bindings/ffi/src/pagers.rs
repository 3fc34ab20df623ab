//! List cursors: one object per list operation, each handing out the core pager's pages.
//!
//! `nextPage()` returns the next page, or null/nil when the list is exhausted; a failed page can
//! be retried by calling it again. The Kotlin `Flow` and Swift `AsyncSequence` wrappers are built
//! on this one method.

use std::sync::Arc;

use mikopbx::{ApiKeyInfo, CdrCall, CdrRecord, Employee, Extension, Pager};
use tokio::sync::Mutex;

use crate::error::Result;

macro_rules! pager {
    ($(#[$doc:meta])* $name:ident => $item:ty) => {
        $(#[$doc])*
        #[derive(uniffi::Object)]
        pub struct $name {
            inner: Mutex<Pager<$item>>,
        }

        impl $name {
            pub(crate) fn new(pager: Pager<$item>) -> Arc<Self> {
                Arc::new($name { inner: Mutex::new(pager) })
            }
        }

        #[uniffi::export(async_runtime = "tokio")]
        impl $name {
            /// The next page, or null/nil when the list is exhausted.
            pub async fn next_page(&self) -> Result<Option<Vec<$item>>> {
                Ok(self.inner.lock().await.next_page().await?)
            }

            /// The total the server reported, when the list shape has one.
            pub async fn total(&self) -> Option<u64> {
                self.inner.lock().await.total()
            }

            /// Whether the last page has been fetched.
            pub async fn is_done(&self) -> bool {
                self.inner.lock().await.is_done()
            }
        }
    };
}

pager!(
    /// Pages of extensions.
    ExtensionPager => Extension
);
pager!(
    /// Pages of employees.
    EmployeePager => Employee
);
pager!(
    /// Pages of call records.
    CdrPager => CdrRecord
);
pager!(
    /// Pages of calls (legs grouped by linkedid).
    CdrCallPager => CdrCall
);
pager!(
    /// Pages of API key records.
    ApiKeyPager => ApiKeyInfo
);

#[uniffi::export(async_runtime = "tokio")]
impl CdrPager {
    /// The highest record id seen so far: pass it as `CdrQuery.resumeAfter` to continue later.
    pub async fn checkpoint(&self) -> Option<i64> {
        self.inner.lock().await.checkpoint()
    }
}

#[uniffi::export(async_runtime = "tokio")]
impl CdrCallPager {
    /// The highest leg id seen so far: pass it as `CdrQuery.resumeAfter` to continue later.
    pub async fn checkpoint(&self) -> Option<i64> {
        self.inner.lock().await.checkpoint()
    }
}
