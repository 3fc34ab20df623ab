//! `cdr`: call history, streamed with bounded memory and resumable from a checkpoint.

use serde::{Deserialize, Serialize};

use crate::client::Client;
use crate::envelope::lenient;
use crate::operations::CDR_LIST;
use crate::pagination::Pager;
use crate::resources::push_opt;

/// One call record.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct CdrRecord {
    /// Record id (numeric; the checkpoint of a resumable export).
    #[serde(default, deserialize_with = "lenient::int")]
    pub id: i64,
    /// Start time, `YYYY-MM-DD HH:MM:SS`.
    #[serde(default, deserialize_with = "lenient::string")]
    pub start: String,
    /// Answer time ("" when not answered).
    #[serde(default, deserialize_with = "lenient::string")]
    pub answer: String,
    /// End time.
    #[serde(default, deserialize_with = "lenient::string")]
    pub endtime: String,
    /// Caller number.
    #[serde(default, deserialize_with = "lenient::string")]
    pub src_num: String,
    /// Caller name, when the caller is an employee.
    #[serde(default, deserialize_with = "lenient::string")]
    pub src_name: String,
    /// Called number.
    #[serde(default, deserialize_with = "lenient::string")]
    pub dst_num: String,
    /// Called name, when an employee was called.
    #[serde(default, deserialize_with = "lenient::string")]
    pub dst_name: String,
    /// DID the call came in on.
    #[serde(default, deserialize_with = "lenient::string")]
    pub did: String,
    /// `ANSWERED`, `NO ANSWER`, `BUSY`, `FAILED`…
    #[serde(default, deserialize_with = "lenient::string")]
    pub disposition: String,
    /// Total seconds.
    #[serde(default, deserialize_with = "lenient::int")]
    pub duration: i64,
    /// Talk seconds.
    #[serde(default, deserialize_with = "lenient::int")]
    pub billsec: i64,
    /// Call id shared by its legs.
    #[serde(default, deserialize_with = "lenient::string")]
    pub linkedid: String,
    /// Recording file, if any.
    #[serde(default, deserialize_with = "lenient::string")]
    pub recordingfile: String,
    /// Source channel.
    #[serde(default, deserialize_with = "lenient::string")]
    pub src_chan: String,
    /// Destination channel.
    #[serde(default, deserialize_with = "lenient::string")]
    pub dst_chan: String,
}

/// One call (all legs sharing a linkedid), from [`CdrApi::list_calls`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct CdrCall {
    /// Call id shared by its legs.
    #[serde(default, deserialize_with = "lenient::string")]
    pub linkedid: String,
    /// Start of the first leg.
    #[serde(default, deserialize_with = "lenient::string")]
    pub start: String,
    /// Caller number.
    #[serde(default, deserialize_with = "lenient::string")]
    pub src_num: String,
    /// Caller name, when known.
    #[serde(default, deserialize_with = "lenient::string")]
    pub src_name: String,
    /// Called number.
    #[serde(default, deserialize_with = "lenient::string")]
    pub dst_num: String,
    /// Called name, when known.
    #[serde(default, deserialize_with = "lenient::string")]
    pub dst_name: String,
    /// DID.
    #[serde(default, deserialize_with = "lenient::string")]
    pub did: String,
    /// `ANSWERED` when any leg was answered.
    #[serde(default, deserialize_with = "lenient::string")]
    pub disposition: String,
    /// Sum of the legs' durations, seconds.
    #[serde(default, rename = "totalDuration", deserialize_with = "lenient::int")]
    pub total_duration: i64,
    /// Sum of the legs' talk time, seconds.
    #[serde(default, rename = "totalBillsec", deserialize_with = "lenient::int")]
    pub total_billsec: i64,
    /// The legs.
    #[serde(default)]
    pub records: Vec<CdrRecord>,
}

impl CdrCall {
    /// The highest leg id (the call's position for resuming).
    pub fn last_id(&self) -> i64 {
        self.records.iter().map(|r| r.id).max().unwrap_or(0)
    }
}

/// Filters for [`CdrApi::list`] (mikopbx-api.md §5). Dates are `YYYY-MM-DD[ HH:MM:SS]`; the
/// server serves the last 30 days when no date is given and refuses ranges over 365 days.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct CdrQuery {
    /// From (inclusive).
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub date_from: Option<String>,
    /// To (inclusive).
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub date_to: Option<String>,
    /// Caller number.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub src_num: Option<String>,
    /// Called number.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub dst_num: Option<String>,
    /// DID.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub did: Option<String>,
    /// Disposition.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub disposition: Option<String>,
    /// One call.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub linkedid: Option<String>,
    /// Free text.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub search: Option<String>,
    /// Records per request (default 500, server cap 1000).
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub page_size: Option<u32>,
    /// Stop after this many records.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub max_items: Option<u64>,
    /// Resume an export: only records with an id above this checkpoint, in id order. Without
    /// dates, a resumed query asks for the last 365 days (the server's maximum window; its default
    /// would be 30 days). An export that falls further behind needs explicit windows.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub resume_after: Option<i64>,
}

impl CdrQuery {
    /// Calls of today (local date of this machine).
    pub fn today() -> Self {
        let today = chrono::Local::now().format("%Y-%m-%d").to_string();
        CdrQuery {
            date_from: Some(format!("{today} 00:00:00")),
            date_to: Some(format!("{today} 23:59:59")),
            ..Default::default()
        }
    }
}

/// `client.cdr()`.
#[derive(Debug, Clone, Copy)]
pub struct CdrApi<'a> {
    pub(crate) client: &'a Client,
}

impl CdrApi<'_> {
    fn filters(query: &CdrQuery) -> Vec<(String, String)> {
        let mut q = Vec::new();
        let (mut from, mut to) = (query.date_from.clone(), query.date_to.clone());
        // Without dates (and without the filters the server counts) it serves only the last 30
        // days, and `idFrom` does not count: a resumed export would silently skip older records.
        // Ask for the longest window it allows instead (365 days, ending tomorrow to absorb a
        // time-zone difference with the PBX).
        let counted_filter = [
            &query.src_num,
            &query.dst_num,
            &query.did,
            &query.linkedid,
            &query.search,
        ]
        .iter()
        .any(|f| f.as_ref().is_some_and(|v| !v.is_empty()));
        if query.resume_after.is_some() && from.is_none() && to.is_none() && !counted_filter {
            let tomorrow = chrono::Local::now().date_naive() + chrono::Days::new(1);
            from = Some(
                (tomorrow - chrono::Days::new(364))
                    .format("%Y-%m-%d")
                    .to_string(),
            );
            to = Some(tomorrow.format("%Y-%m-%d").to_string());
        }
        push_opt(&mut q, "dateFrom", &from);
        push_opt(&mut q, "dateTo", &to);
        push_opt(&mut q, "src_num", &query.src_num);
        push_opt(&mut q, "dst_num", &query.dst_num);
        push_opt(&mut q, "did", &query.did);
        push_opt(&mut q, "disposition", &query.disposition);
        push_opt(&mut q, "linkedid", &query.linkedid);
        push_opt(&mut q, "search", &query.search);
        // Id order makes "everything after id N" a stable checkpoint while new calls arrive.
        q.push(("sort".into(), "id".into()));
        q.push(("order".into(), "ASC".into()));
        q
    }

    /// `GET cdr` as a lazy pager of flat records (`grouped=false`: one item per leg) in id order.
    /// Its [`checkpoint`](Pager::checkpoint) is the highest id seen; pass it as `resume_after` to
    /// continue an export later.
    pub fn list(&self, query: CdrQuery) -> Pager<CdrRecord> {
        let mut q = Self::filters(&query);
        q.push(("grouped".into(), "false".into()));
        Pager::new(
            self.client.clone(),
            &CDR_LIST,
            q,
            query.page_size.unwrap_or(500),
            query.max_items,
        )
        .with_keyset("idFrom", |r: &CdrRecord| r.id, query.resume_after)
    }

    /// `GET cdr` grouped by call (`grouped=true`, the server's default): one item per linkedid
    /// with its legs, in id order, resumable like [`list`](Self::list) (the checkpoint is the
    /// highest leg id seen).
    pub fn list_calls(&self, query: CdrQuery) -> Pager<CdrCall> {
        let mut q = Self::filters(&query);
        q.push(("grouped".into(), "true".into()));
        Pager::new(
            self.client.clone(),
            &CDR_LIST,
            q,
            query.page_size.unwrap_or(200),
            query.max_items,
        )
        .with_keyset("idFrom", CdrCall::last_id, query.resume_after)
    }
}
