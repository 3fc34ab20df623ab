//! `cdr`: call history, streamed with bounded memory and resumable from a checkpoint.

use std::collections::HashMap;

use mikopbx_macros::Describe;
use serde::{Deserialize, Serialize};

use crate::api::{api, query_pairs, python_records};
use crate::envelope::lenient;
use crate::pagination::Pager;
use crate::permissions::Resource;

api! {
    /// `cdr`: call history, streamed with bounded memory and resumable from a checkpoint.
    CdrApi => cdr, Resource::Cdr, "/pbxcore/api/v3/cdr";

    /// Call records (one item per leg, `grouped=false`) in id order, fetched lazily. The
    /// pager's checkpoint is the highest id seen: pass it as `resume_after` to continue an
    /// export later.
    CDR_LIST = list(query query: CdrQuery) -> pager CdrPager<CdrRecord>
        = Get "" CdrRecords, "cdr.list", idempotent, "Call history with filters (one item per leg)", custom;
    /// Calls (legs grouped by linkedid, `grouped=true`, the server's default) in id order,
    /// resumable like `list` (the checkpoint is the highest leg id seen).
    CDR_LIST_CALLS = list_calls(query query: CdrQuery) -> pager CdrCallPager<CdrCall>
        = Get "" CdrRecords, "cdr.list", idempotent, "Call history grouped by call (legs by linkedid)", custom;
    /// The date range of the most recent calls (`limit` of them, 100 by default, at most
    /// 1000), what the web interface's date picker starts from
    /// (`Lib/Cdr/GetMetadataAction.php`). Both dates are `None` when there is no call.
    CDR_GET_METADATA = get_metadata(query query: CdrMetadataQuery) -> one CdrMetadata
        = Get ":getMetadata" Object, "cdr.getMetadata", idempotent, "Date range of the most recent calls";
}

python_records!(CdrRecord, CdrCall, CdrMetadata);

/// The arguments of [`CdrApi::get_metadata`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, Describe)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct CdrMetadataQuery {
    /// How many of the most recent calls to look at (the server's default 100, at most 1000;
    /// a negative value is no limit, as SQLite reads a negative `LIMIT`).
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub limit: Option<i64>,
}

/// What `cdr:getMetadata` answers: `{earliestDate, latestDate, hasRecords, sampleSize}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, Describe)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "python", pyo3::pyclass(get_all, frozen, eq, module = "mikopbx._native"))]
pub struct CdrMetadata {
    /// The `start` of the oldest call of the sample (the PBX's local time, as the CDR rows
    /// carry it), or `None` without calls.
    #[serde(default, rename(deserialize = "earliestDate"), deserialize_with = "lenient::opt_string")]
    pub earliest_date: Option<String>,
    /// The `start` of the newest call.
    #[serde(default, rename(deserialize = "latestDate"), deserialize_with = "lenient::opt_string")]
    pub latest_date: Option<String>,
    /// Whether there is any call.
    #[serde(default, rename(deserialize = "hasRecords"), deserialize_with = "lenient::boolean")]
    pub has_records: bool,
    /// How many calls the range was taken from.
    #[serde(default, rename(deserialize = "sampleSize"), deserialize_with = "lenient::int")]
    pub sample_size: i64,
    /// Fields this SDK does not model, as JSON text by name.
    #[serde(flatten, skip_serializing, deserialize_with = "lenient::extra")]
    pub extra: HashMap<String, String>,
}

/// One call record.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, Describe)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "python", pyo3::pyclass(get_all, frozen, eq, module = "mikopbx._native"))]
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
    /// The recording's absolute path on the PBX, if any. Do not pass it on to people: the
    /// server's legacy `cdr:playback?view=<path>` serves that file to anyone, unauthenticated
    /// (`shared/calls-events-recordings.md` §5.4); fetch recordings with `cdr.recording(record)`.
    #[serde(default, deserialize_with = "lenient::string")]
    pub recordingfile: String,
    /// Whether the PBX has a recording for this record now (its `download_url` is set: the
    /// recording exists and is converted). The URL itself is not kept: it holds a bearer token;
    /// `cdr.recording(record)` fetches the recording.
    #[serde(default, rename(deserialize = "download_url"), deserialize_with = "lenient::non_empty")]
    pub has_recording: bool,
    /// Source channel.
    #[serde(default, deserialize_with = "lenient::string")]
    pub src_chan: String,
    /// Destination channel.
    #[serde(default, deserialize_with = "lenient::string")]
    pub dst_chan: String,
    /// Fields this SDK does not model (a newer PBX may add some), as JSON text by name.
    #[serde(flatten, skip_serializing, deserialize_with = "lenient::extra")]
    pub extra: HashMap<String, String>,
}

/// One call (all legs sharing a linkedid), from [`CdrApi::list_calls`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, Describe)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "python", pyo3::pyclass(get_all, frozen, eq, module = "mikopbx._native"))]
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
    /// Fields this SDK does not model (a newer PBX may add some), as JSON text by name.
    #[serde(flatten, skip_serializing, deserialize_with = "lenient::extra")]
    pub extra: HashMap<String, String>,
}

impl CdrCall {
    /// The highest leg id (the call's position for resuming).
    pub fn last_id(&self) -> i64 {
        self.records.iter().map(|r| r.id).max().unwrap_or(0)
    }
}

/// Filters for [`CdrApi::list`] (mikopbx-api.md §5). Dates are `YYYY-MM-DD[ HH:MM:SS]`; the
/// server serves the last 30 days when no date is given and refuses ranges over 365 days.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, Describe)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct CdrQuery {
    /// From (inclusive).
    #[serde(rename(serialize = "dateFrom"))]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub date_from: Option<String>,
    /// To (inclusive).
    #[serde(rename(serialize = "dateTo"))]
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
    /// Records per request (default 500 for records, 200 for calls; server cap 1000).
    #[serde(skip_serializing)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub page_size: Option<u32>,
    /// Stop after this many records.
    #[serde(skip_serializing)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub max_items: Option<u64>,
    /// Resume an export: only records with an id above this checkpoint, in id order. Without
    /// dates, a resumed query asks for the last 365 days (the server's maximum window; its default
    /// would be 30 days). An export that falls further behind needs explicit windows.
    #[serde(skip_serializing)]
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

impl CdrApi {
    fn filters(query: &CdrQuery) -> Vec<(String, String)> {
        let mut query = query.clone();
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
        if query.resume_after.is_some()
            && query.date_from.is_none()
            && query.date_to.is_none()
            && !counted_filter
        {
            let tomorrow = chrono::Local::now().date_naive() + chrono::Days::new(1);
            query.date_from = Some(
                (tomorrow - chrono::Days::new(364))
                    .format("%Y-%m-%d")
                    .to_string(),
            );
            query.date_to = Some(tomorrow.format("%Y-%m-%d").to_string());
        }
        let mut q = query_pairs(&query);
        // Id order makes "everything after id N" a stable checkpoint while new calls arrive.
        q.push(("sort".into(), "id".into()));
        q.push(("order".into(), "ASC".into()));
        q
    }

}

impl CdrApi {
    /// Call records (one item per leg, `grouped=false`) in id order, fetched lazily. The
    /// pager's checkpoint is the highest id seen: pass it as `resume_after` to continue an
    /// export later.
    pub fn list(&self, query: CdrQuery) -> CdrPager {
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
        .into()
    }

    /// Calls (legs grouped by linkedid, `grouped=true`, the server's default) in id order,
    /// resumable like `list` (the checkpoint is the highest leg id seen).
    pub fn list_calls(&self, query: CdrQuery) -> CdrCallPager {
        let mut q = Self::filters(&query);
        q.push(("grouped".into(), "true".into()));
        Pager::new(
            self.client.clone(),
            &CDR_LIST_CALLS,
            q,
            query.page_size.unwrap_or(200),
            query.max_items,
        )
        .with_keyset("idFrom", CdrCall::last_id, query.resume_after)
        .into()
    }
}
