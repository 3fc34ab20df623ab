//! `client.calls()`: live call events for screen-pop, from polling `pbx-status`.
//!
//! [`CallsApi::watch`] gives a [`CallWatcher`]: `next_event()` returns typed [`CallEvent`]s —
//! `Ringing`, `Answered`, `Ended` (with the CDR row) and `Transferred` — one at a time, each
//! exactly once, and `checkpoint()` gives a JSON text from which a new watcher continues
//! without losing or repeating an event (after a crash, a deploy, a reconnect).
//!
//! How it works, and why (facts: `calls-events-recordings.md` §4.3, §7(a)):
//! * MikoPBX has no call events a least-privilege API key can subscribe to (nchan carries none,
//!   AMI/ARI need other credentials; `docs/calls-realtime-source.md`). The watcher polls
//!   `GET pbx-status:getActiveChannels`, which needs only `read` on `/api/v3/pbx-status` (and
//!   `read` on `/api/v3/cdr` for the CDR of ended calls).
//! * Each row is one leg: a caller's channel and the channel it dials. The diff key is
//!   `(linkedid, dst_chan)` (no channel uniqueid is exposed). A new row is `Ringing` (the agent
//!   leg's `dst_chan` is written at `dial_create_chan`, before `dial_answer` sets `answer`:
//!   `src/Core/Asterisk/Configs/lua/extensions.lua:850-913, 974-1060`); `answer` becoming set
//!   is `Answered`; the row disappearing is `Ended`. A new leg of a call whose other leg was
//!   already answered is `Transferred` (the only transfer a snapshot shows). Rows without a
//!   `dst_chan` have no dialled leg yet and are not reported.
//! * `Ended` waits (bounded, [`WatchOptions::cdr_wait_ms`]) for the permanent CDR row of its
//!   linkedid: `WorkerCdr` writes it only once no channel of the linkedid is live
//!   (`src/Core/Workers/WorkerCdr.php:152`). While one ended event waits, events of other calls
//!   are delivered; events of the same call keep their order.
//! * The poll interval is at least a third of the rate governor's budget (1 s at 180/min; the
//!   default is 3 s), and every poll goes through the governor, so the watcher shares its
//!   budget with the client's other calls.
//! * A failed poll changes nothing: `next_event()` returns the error and the next call polls
//!   again; every future is cancel-safe (state changes only after a response has arrived).
//! * PBX times are naive local time (`Y-m-d H:i:s[.mmm]`, `extensions.lua:118-120`) in the PBX's
//!   zone (`PBXTimezone` of the general settings, which a watcher key may not read). The SDK
//!   converts them with [`WatchOptions::pbx_time_zone`], an IANA name (`Europe/Berlin`),
//!   daylight saving included (the IANA database is built in, `chrono-tz`); or with a fixed
//!   [`WatchOptions::pbx_utc_offset_minutes`] for a zone without daylight saving. In the hour a
//!   zone repeats when clocks go back, a time is read as its first occurrence (the PBX's text
//!   does not say which).
//!
//! What polling cannot see: a call that starts and ends between two polls (or while no watcher
//! runs) gives no events; its CDR row is still in `client.cdr()`.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDateTime;
use futures_util::Stream;
use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use crate::Client;
use crate::error::{Error, ErrorKind};
use crate::resources::cdr::{CdrQuery, CdrRecord};
use crate::resources::pbx_status::ActiveChannel;

/// Default poll interval (the facts' practical minimum is 2–3 s on a real PBX).
const DEFAULT_POLL_MS: u64 = 3000;
/// The poll floor with the governor off (loopback clients, tests).
const MIN_POLL_MS: u64 = 50;
/// How long `Ended` waits for the CDR row by default.
const DEFAULT_CDR_WAIT_MS: u64 = 30_000;
/// Between two CDR look-ups for the same call.
const DEFAULT_CDR_RETRY_MS: u64 = 2000;
/// The checkpoint format.
const CHECKPOINT_VERSION: u32 = 1;

/// `client.calls()`: live call events.
#[derive(Debug, Clone)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Object))]
pub struct CallsApi {
    pub(crate) client: Client,
}

#[cfg_attr(feature = "uniffi", uniffi::export)]
impl Client {
    /// Live call events (see [`CallsApi::watch`]).
    pub fn calls(&self) -> CallsApi {
        CallsApi {
            client: self.clone(),
        }
    }
}

/// What happened to a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[cfg_attr(
    feature = "python",
    pyo3::pyclass(eq, eq_int, frozen, module = "mikopbx._native")
)]
pub enum CallEventType {
    /// A phone rings: a new leg with a dialled channel and no answer yet.
    Ringing,
    /// The leg was answered.
    Answered,
    /// A new leg of a call already answered on another leg (a transfer, as far as a snapshot
    /// shows one). It is followed by `Answered` and `Ended` like any leg.
    Transferred,
    /// The leg is gone. Carries the duration, the disposition and the CDR row when the PBX
    /// wrote it in time.
    Ended,
}

impl CallEventType {
    /// `ringing`, `answered`, `transferred` or `ended` (its JSON form).
    pub fn as_str(self) -> &'static str {
        match self {
            CallEventType::Ringing => "ringing",
            CallEventType::Answered => "answered",
            CallEventType::Transferred => "transferred",
            CallEventType::Ended => "ended",
        }
    }
}

crate::api::python_records!(CallEvent {
    /// `ringing`, `answered`, `transferred` or `ended`.
    #[getter(r#type)]
    fn type_(&self) -> &'static str {
        self.event_type.as_str()
    }
});

/// One event of one call leg.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(
    feature = "python",
    pyo3::pyclass(get_all, frozen, eq, module = "mikopbx._native")
)]
pub struct CallEvent {
    /// What happened.
    #[serde(rename = "type")]
    pub event_type: CallEventType,
    /// 1, 2, 3… in delivery order, continued across checkpoints.
    pub sequence: u64,
    /// The call's id, shared by its legs and its CDR rows.
    pub linkedid: String,
    /// Caller number.
    pub caller: String,
    /// Caller name, when the caller is an employee.
    pub caller_name: String,
    /// Called number.
    pub called: String,
    /// Called name, when an employee is called.
    pub called_name: String,
    /// The DID an incoming call came in on ("" otherwise).
    pub did: String,
    /// The extension on this leg: the called phone's, else the calling phone's ("" when
    /// neither channel is an extension). With a filter, the one that matched.
    pub extension: String,
    /// The calling channel (`PJSIP/<endpoint>-<seq>`).
    pub src_channel: String,
    /// The dialled channel.
    pub dst_channel: String,
    /// Start, as the PBX wrote it (naive local time).
    pub start_local: String,
    /// Start, Unix milliseconds (converted with the PBX's UTC offset).
    pub started_at_ms: Option<i64>,
    /// Answer, Unix milliseconds (`Answered`, and later events of an answered leg).
    pub answered_at_ms: Option<i64>,
    /// End, Unix milliseconds (`Ended`): the CDR's `endtime`, or when the watcher saw the
    /// leg gone if there is no CDR row.
    pub ended_at_ms: Option<i64>,
    /// Seconds from start to end (`Ended`): the CDR's `duration`, else as observed.
    pub duration_secs: Option<i64>,
    /// Seconds of talk (`Ended`): the CDR's `billsec`, else as observed.
    pub billsec: Option<i64>,
    /// `ANSWERED`, `NO ANSWER`, `BUSY`… (`Ended`, from the CDR; `None` without a CDR row).
    pub disposition: Option<String>,
    /// The CDR row of this leg (`Ended`, once the PBX has written it within the wait).
    pub cdr: Option<CdrRecord>,
}

/// How to watch.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct WatchOptions {
    /// Only legs of these extensions (either side); empty: every call.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub extensions: Vec<String>,
    /// Poll interval in ms (default 3000; at least a third of the rate governor's budget).
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub poll_interval_ms: Option<u64>,
    /// The PBX's offset from UTC in minutes, e.g. 180 for Europe/Moscow (default 0). For a zone
    /// with daylight saving give [`Self::pbx_time_zone`] instead.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub pbx_utc_offset_minutes: Option<i32>,
    /// The PBX's time zone, an IANA name as in its general settings (`Europe/Berlin`,
    /// `America/New_York`): its timestamps are converted with daylight saving. Not together
    /// with `pbx_utc_offset_minutes`.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    #[serde(default)]
    pub pbx_time_zone: Option<String>,
    /// How long an `Ended` event waits for its CDR row, ms (default 30 000; 0: no CDR).
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub cdr_wait_ms: Option<u64>,
    /// Between two CDR look-ups of one call, ms (default 2000).
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub cdr_retry_ms: Option<u64>,
    /// A [`CallWatcher::checkpoint`] to continue from.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub resume_from: Option<String>,
}

impl WatchOptions {
    /// Only legs of `extensions`.
    pub fn extensions<I: IntoIterator<Item = S>, S: Into<String>>(extensions: I) -> Self {
        WatchOptions {
            extensions: extensions.into_iter().map(Into::into).collect(),
            ..Default::default()
        }
    }
}

/// The settings a watcher runs with.
#[derive(Debug, Clone)]
struct Settings {
    extensions: Vec<String>,
    poll: Duration,
    zone: PbxZone,
    cdr_wait: Duration,
    cdr_retry: Duration,
}

/// Where a tracked leg is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Leg {
    row: Row,
    answered: bool,
}

/// The fields of a pbx-status row the watcher keeps (`ActiveChannel` without `extra`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Row {
    start: String,
    answer: String,
    src_chan: String,
    dst_chan: String,
    src_num: String,
    src_name: String,
    dst_num: String,
    dst_name: String,
    did: String,
    linkedid: String,
}

impl From<&ActiveChannel> for Row {
    fn from(c: &ActiveChannel) -> Self {
        Row {
            start: c.start.clone(),
            answer: c.answer.clone(),
            src_chan: c.src_chan.clone(),
            dst_chan: c.dst_chan.clone(),
            src_num: c.src_num.clone(),
            src_name: c.src_name.clone(),
            dst_num: c.dst_num.clone(),
            dst_name: c.dst_name.clone(),
            did: c.did.clone(),
            linkedid: c.linkedid.clone(),
        }
    }
}

/// An event generated but not yet delivered.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Pending {
    event: CallEvent,
    /// `Ended` only: the wall-clock Unix ms after which it goes out without a CDR row.
    cdr_deadline_ms: Option<i64>,
    /// Whether the CDR look-up is over (found, or the key may not read the CDR).
    #[serde(default)]
    cdr_resolved: bool,
}

/// Everything a checkpoint holds.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Checkpoint {
    version: u32,
    delivered: u64,
    legs: Vec<Leg>,
    pending: Vec<Pending>,
}

/// The watcher's mutable state (behind one async lock, so `next_event` is cancel-safe and
/// callable through `&self`).
#[derive(Debug)]
struct State {
    legs: BTreeMap<(String, String), Leg>,
    pending: VecDeque<Pending>,
    delivered: u64,
    next_poll: Instant,
    /// Per linkedid: when its CDR may be asked for again.
    cdr_next_try: BTreeMap<String, Instant>,
}

/// Live call events, one at a time: `next_event()` until you stop; `checkpoint()` to continue
/// in another process. From [`CallsApi::watch`].
#[cfg_attr(feature = "uniffi", derive(uniffi::Object))]
pub struct CallWatcher {
    client: Client,
    settings: Settings,
    state: tokio::sync::Mutex<State>,
}

impl std::fmt::Debug for CallWatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallWatcher")
            .field("extensions", &self.settings.extensions)
            .field("poll", &self.settings.poll)
            .finish_non_exhaustive()
    }
}

#[cfg_attr(feature = "uniffi", uniffi::export)]
impl CallsApi {
    /// Starts watching calls (nothing is sent until the first `next_event()`). Fails only
    /// for a `resume_from` that is not a checkpoint of this SDK.
    pub fn watch(&self, options: WatchOptions) -> Result<CallWatcher, Error> {
        CallWatcher::new(self.client.clone(), options)
    }
}

#[cfg_attr(feature = "uniffi", uniffi::export(async_runtime = "tokio"))]
impl CallWatcher {
    /// The next event, waiting (polling) as long as it takes. Cancel-safe: dropping the
    /// future loses nothing. A failed poll returns its error and changes nothing; call again
    /// to keep watching.
    pub async fn next_event(&self) -> Result<CallEvent, Error> {
        let mut st = self.state.lock().await;
        loop {
            if let Some(event) = self.take_ready(&mut st) {
                return Ok(event);
            }
            let now = Instant::now();
            if let Some(linkedid) = self.cdr_due(&st, now) {
                let found = self.lookup_cdr(&linkedid).await;
                self.apply_cdr(&mut st, &linkedid, found);
                continue;
            }
            if now >= st.next_poll {
                let result = self.client.pbx_status().active_channels().await;
                st.next_poll = Instant::now() + self.settings.poll;
                let rows = result?;
                self.apply_snapshot(&mut st, &rows);
                continue;
            }
            let wake = self.next_wake(&st);
            tokio::time::sleep_until(wake).await;
        }
    }

    /// A JSON text from which [`WatchOptions::resume_from`] continues after the last event
    /// returned: the legs being tracked and the events found but not yet returned.
    pub async fn checkpoint(&self) -> String {
        let st = self.state.lock().await;
        let cp = Checkpoint {
            version: CHECKPOINT_VERSION,
            delivered: st.delivered,
            legs: st.legs.values().cloned().collect(),
            pending: st.pending.iter().cloned().collect(),
        };
        serde_json::to_string(&cp).unwrap_or_default()
    }
}

/// How the PBX's naive local times map to UTC.
#[derive(Debug, Clone, Copy)]
enum PbxZone {
    Fixed { offset_secs: i64 },
    Iana(chrono_tz::Tz),
}

impl PbxZone {
    fn from_options(o: &WatchOptions) -> Result<PbxZone, Error> {
        match (&o.pbx_time_zone, o.pbx_utc_offset_minutes) {
            (Some(_), Some(_)) => Err(Error::config(
                "calls.watch: give pbx_time_zone or pbx_utc_offset_minutes, not both",
            )),
            (Some(name), None) => name
                .trim()
                .parse::<chrono_tz::Tz>()
                .map(PbxZone::Iana)
                .map_err(|_| {
                    Error::config(format!(
                        "calls.watch: pbx_time_zone {name:?} is not an IANA time zone name (e.g. \
                     \"Europe/Berlin\"; the PBX shows it in General settings → Time)"
                    ))
                }),
            (None, minutes) => {
                let minutes = minutes.unwrap_or(0);
                if !(-14 * 60..=14 * 60).contains(&minutes) {
                    return Err(Error::config(format!(
                        "calls.watch: pbx_utc_offset_minutes {minutes} is outside -840..=840"
                    )));
                }
                Ok(PbxZone::Fixed {
                    offset_secs: i64::from(minutes) * 60,
                })
            }
        }
    }

    /// Unix milliseconds of a PBX-local time.
    fn to_unix_ms(self, t: NaiveDateTime) -> Option<i64> {
        use chrono::TimeZone;
        match self {
            PbxZone::Fixed { offset_secs } => {
                Some(t.and_utc().timestamp_millis() - offset_secs * 1000)
            }
            PbxZone::Iana(tz) => match tz.from_local_datetime(&t) {
                chrono::LocalResult::Single(d) => Some(d.timestamp_millis()),
                chrono::LocalResult::Ambiguous(first, _) => Some(first.timestamp_millis()),
                // A time in the hour skipped when clocks go forward cannot be written by a
                // PBX clock; read it with the offset just before the gap.
                chrono::LocalResult::None => {
                    let before = t - chrono::Duration::hours(1);
                    tz.from_local_datetime(&before)
                        .earliest()
                        .map(|d| d.timestamp_millis() + 3_600_000)
                }
            },
        }
    }
}

impl CallWatcher {
    fn new(client: Client, o: WatchOptions) -> Result<CallWatcher, Error> {
        let floor = client.poll_floor().max(Duration::from_millis(MIN_POLL_MS));
        let zone = PbxZone::from_options(&o)?;
        let settings = Settings {
            extensions: o.extensions,
            poll: Duration::from_millis(o.poll_interval_ms.unwrap_or(DEFAULT_POLL_MS)).max(floor),
            zone,
            cdr_wait: Duration::from_millis(o.cdr_wait_ms.unwrap_or(DEFAULT_CDR_WAIT_MS)),
            cdr_retry: Duration::from_millis(o.cdr_retry_ms.unwrap_or(DEFAULT_CDR_RETRY_MS))
                .max(floor),
        };
        let cp = match o.resume_from.as_deref() {
            None => Checkpoint::default(),
            Some(text) => serde_json::from_str::<Checkpoint>(text)
                .ok()
                .filter(|c| c.version == CHECKPOINT_VERSION)
                .ok_or_else(|| Error::Config {
                    detail: "resume_from is not a call-watcher checkpoint".into(),
                })?,
        };
        let legs = cp
            .legs
            .into_iter()
            .map(|l| ((l.row.linkedid.clone(), l.row.dst_chan.clone()), l))
            .collect();
        Ok(CallWatcher {
            client,
            settings,
            state: tokio::sync::Mutex::new(State {
                legs,
                pending: cp.pending.into(),
                delivered: cp.delivered,
                next_poll: Instant::now(),
                cdr_next_try: BTreeMap::new(),
            }),
        })
    }

    /// The events one by one, as a `Stream`. A failed poll is an `Err` item and the stream
    /// goes on (the next item polls again); stop on the errors you consider fatal
    /// (`ErrorKind::Unauthorized`, `PermissionDenied`, `Tls`…).
    pub fn into_stream(self) -> impl Stream<Item = Result<CallEvent, Error>> + Send + 'static {
        futures_util::stream::unfold(Arc::new(self), |w| async move {
            let item = w.next_event().await;
            Some((item, w))
        })
    }

    fn now_ms() -> i64 {
        chrono::Utc::now().timestamp_millis()
    }

    /// The first pending event that may go out: not an `Ended` still waiting for its CDR row,
    /// and with no earlier event of the same call still waiting.
    fn take_ready(&self, st: &mut State) -> Option<CallEvent> {
        let now = Self::now_ms();
        let mut blocked: Vec<&str> = Vec::new();
        let mut found = None;
        for (i, p) in st.pending.iter().enumerate() {
            let waiting = p
                .cdr_deadline_ms
                .is_some_and(|d| !p.cdr_resolved && now < d);
            if blocked.contains(&p.event.linkedid.as_str()) || waiting {
                blocked.push(&p.event.linkedid);
                continue;
            }
            found = Some(i);
            break;
        }
        let mut event = st.pending.remove(found?)?.event;
        st.delivered += 1;
        event.sequence = st.delivered;
        Some(event)
    }

    /// A call whose `Ended` event waits for its CDR row and may be looked up now.
    fn cdr_due(&self, st: &State, now: Instant) -> Option<String> {
        st.pending
            .iter()
            .filter(|p| p.cdr_deadline_ms.is_some() && !p.cdr_resolved)
            .map(|p| &p.event.linkedid)
            .find(|l| st.cdr_next_try.get(*l).is_none_or(|t| now >= *t))
            .cloned()
    }

    /// When something may be ready: the next poll, CDR retry or CDR deadline.
    fn next_wake(&self, st: &State) -> Instant {
        let now = Instant::now();
        let mut wake = st.next_poll;
        for p in st.pending.iter().filter(|p| !p.cdr_resolved) {
            if let Some(d) = p.cdr_deadline_ms {
                let left = u64::try_from(d - Self::now_ms()).unwrap_or(0);
                wake = wake.min(now + Duration::from_millis(left));
                if let Some(t) = st.cdr_next_try.get(&p.event.linkedid) {
                    wake = wake.min(*t);
                }
            }
        }
        wake
    }

    /// The call's CDR rows; `None` when it is not there yet or the look-up failed for a
    /// reason worth retrying; `Some(vec![])` when the key may not read the CDR (no waiting).
    async fn lookup_cdr(&self, linkedid: &str) -> Option<Vec<CdrRecord>> {
        let query = CdrQuery {
            linkedid: Some(linkedid.to_string()),
            page_size: Some(50),
            max_items: Some(50),
            ..Default::default()
        };
        match self.client.cdr().list(query).collect_all().await {
            Ok(rows) => {
                let rows: Vec<CdrRecord> = rows
                    .into_iter()
                    .filter(|r| r.linkedid == linkedid)
                    .collect();
                (!rows.is_empty()).then_some(rows)
            }
            Err(e) if permanent(&e) => Some(Vec::new()),
            Err(e) => {
                tracing::debug!(error = %e, "CDR look-up for an ended call failed; retrying");
                None
            }
        }
    }

    /// Attaches a CDR look-up's result to the call's waiting `Ended` events.
    fn apply_cdr(&self, st: &mut State, linkedid: &str, found: Option<Vec<CdrRecord>>) {
        let Some(rows) = found else {
            st.cdr_next_try.insert(
                linkedid.to_string(),
                Instant::now() + self.settings.cdr_retry,
            );
            return;
        };
        st.cdr_next_try.remove(linkedid);
        for p in st.pending.iter_mut() {
            if p.event.linkedid != linkedid || p.cdr_deadline_ms.is_none() {
                continue;
            }
            p.cdr_resolved = true;
            let row = rows
                .iter()
                .find(|r| r.dst_chan == p.event.dst_channel)
                .or_else(|| rows.iter().max_by_key(|r| r.id));
            if let Some(row) = row {
                self.fill_from_cdr(&mut p.event, row);
            }
        }
    }

    fn fill_from_cdr(&self, e: &mut CallEvent, row: &CdrRecord) {
        e.duration_secs = Some(row.duration);
        e.billsec = Some(row.billsec);
        e.disposition = Some(row.disposition.clone()).filter(|d| !d.is_empty());
        if let Some(end) = self.to_unix_ms(&row.endtime) {
            e.ended_at_ms = Some(end);
        }
        if e.answered_at_ms.is_none() {
            e.answered_at_ms = self.to_unix_ms(&row.answer);
        }
        e.cdr = Some(row.clone());
    }

    /// PBX-local naive time to Unix ms.
    fn to_unix_ms(&self, local: &str) -> Option<i64> {
        let s = local.trim();
        let t = NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f")
            .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S"))
            .ok()?;
        self.settings.zone.to_unix_ms(t)
    }

    /// The extension of a leg that passes the filter, or `None` when the filter drops it.
    fn extension_of(&self, row: &Row) -> Option<String> {
        let sides = [extension_in(&row.dst_chan), extension_in(&row.src_chan)];
        if self.settings.extensions.is_empty() {
            return Some(sides.into_iter().flatten().next().unwrap_or_default());
        }
        sides
            .into_iter()
            .flatten()
            .find(|e| self.settings.extensions.iter().any(|x| x == e))
    }

    fn event(&self, event_type: CallEventType, row: &Row, extension: String) -> CallEvent {
        CallEvent {
            event_type,
            sequence: 0,
            linkedid: row.linkedid.clone(),
            caller: row.src_num.clone(),
            caller_name: row.src_name.clone(),
            called: row.dst_num.clone(),
            called_name: row.dst_name.clone(),
            did: row.did.clone(),
            extension,
            src_channel: row.src_chan.clone(),
            dst_channel: row.dst_chan.clone(),
            start_local: row.start.clone(),
            started_at_ms: self.to_unix_ms(&row.start),
            answered_at_ms: self.to_unix_ms(&row.answer),
            ended_at_ms: None,
            duration_secs: None,
            billsec: None,
            disposition: None,
            cdr: None,
        }
    }

    fn push(&self, st: &mut State, event: CallEvent) {
        st.pending.push_back(Pending {
            event,
            cdr_deadline_ms: None,
            cdr_resolved: false,
        });
    }

    /// Diffs a snapshot against the tracked legs and queues the events.
    fn apply_snapshot(&self, st: &mut State, rows: &[ActiveChannel]) {
        let mut seen: Vec<(String, String)> = Vec::new();
        for row in rows.iter().map(Row::from) {
            if row.dst_chan.is_empty() || row.linkedid.is_empty() {
                continue;
            }
            let Some(extension) = self.extension_of(&row) else {
                continue;
            };
            let key = (row.linkedid.clone(), row.dst_chan.clone());
            if seen.contains(&key) {
                continue;
            }
            seen.push(key.clone());
            let answered = !row.answer.trim().is_empty();
            match st.legs.get_mut(&key) {
                Some(leg) => {
                    let newly_answered = answered && !leg.answered;
                    leg.row = row.clone();
                    leg.answered |= answered;
                    if newly_answered {
                        let e = self.event(CallEventType::Answered, &row, extension);
                        self.push(st, e);
                    }
                }
                None => {
                    let transfer = st
                        .legs
                        .iter()
                        .any(|((l, _), leg)| *l == row.linkedid && leg.answered);
                    let first = if transfer {
                        CallEventType::Transferred
                    } else {
                        CallEventType::Ringing
                    };
                    let e = self.event(first, &row, extension.clone());
                    self.push(st, e);
                    if answered {
                        let e = self.event(CallEventType::Answered, &row, extension);
                        self.push(st, e);
                    }
                    st.legs.insert(key, Leg { row, answered });
                }
            }
        }
        let gone: Vec<(String, String)> = st
            .legs
            .keys()
            .filter(|k| !seen.contains(k))
            .cloned()
            .collect();
        let now_ms = Self::now_ms();
        for key in gone {
            let Some(leg) = st.legs.remove(&key) else {
                continue;
            };
            let extension = self.extension_of(&leg.row).unwrap_or_default();
            let mut e = self.event(CallEventType::Ended, &leg.row, extension);
            e.ended_at_ms = Some(now_ms);
            if let Some(start) = e.started_at_ms {
                e.duration_secs = Some((now_ms - start).max(0) / 1000);
                let talk_from = e.answered_at_ms.unwrap_or(now_ms);
                e.billsec = Some((now_ms - talk_from).max(0) / 1000);
            }
            let wait = !self.settings.cdr_wait.is_zero();
            st.pending.push_back(Pending {
                event: e,
                cdr_deadline_ms: wait.then(|| now_ms + self.settings.cdr_wait.as_millis() as i64),
                cdr_resolved: !wait,
            });
        }
    }
}

/// The extension in a channel name `PJSIP/<endpoint>-<seq>` (or `<endpoint>-WS` for WebRTC,
/// `SIPConf.php` / `InternalContexts.php:105-116`): a numeric endpoint is an extension;
/// providers' endpoints are their ids (`SIP-…`).
fn extension_in(channel: &str) -> Option<String> {
    let rest = channel.split_once('/')?.1;
    let endpoint = rest.split('-').next()?;
    (!endpoint.is_empty() && endpoint.bytes().all(|b| b.is_ascii_digit()))
        .then(|| endpoint.to_string())
}

/// Errors that retrying will not cure.
fn permanent(e: &Error) -> bool {
    matches!(
        e.kind(),
        ErrorKind::Unauthorized
            | ErrorKind::PermissionDenied
            | ErrorKind::NetworkRestricted
            | ErrorKind::Tls
            | ErrorKind::InsecureTransport
            | ErrorKind::Config
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn watcher(o: WatchOptions) -> CallWatcher {
        let client = Client::builder("https://127.0.0.1:1").build().unwrap();
        CallWatcher::new(client, o).unwrap()
    }

    fn chan(linkedid: &str, dst: &str, answer: &str) -> ActiveChannel {
        ActiveChannel {
            start: "2026-05-01 10:00:00.250".into(),
            answer: answer.into(),
            src_chan: "PJSIP/SIP-TRUNK-AB-00000001".into(),
            dst_chan: format!("PJSIP/{dst}-00000002"),
            src_num: "79161234567".into(),
            dst_num: dst.into(),
            did: "74951234567".into(),
            linkedid: linkedid.into(),
            ..Default::default()
        }
    }

    fn drain(w: &CallWatcher, st: &mut State) -> Vec<(CallEventType, String)> {
        let mut out = Vec::new();
        while let Some(e) = w.take_ready(st) {
            out.push((e.event_type, e.extension));
        }
        out
    }

    fn state(w: &CallWatcher) -> State {
        w.state
            .try_lock()
            .map(|g| State {
                legs: g.legs.clone(),
                pending: g.pending.clone(),
                delivered: g.delivered,
                next_poll: g.next_poll,
                cdr_next_try: BTreeMap::new(),
            })
            .unwrap()
    }

    #[test]
    fn snapshots_diff_into_each_event_once() {
        use CallEventType::*;
        let w = watcher(WatchOptions {
            cdr_wait_ms: Some(0),
            ..Default::default()
        });
        let mut st = state(&w);
        w.apply_snapshot(&mut st, &[chan("a", "201", "")]);
        w.apply_snapshot(&mut st, &[chan("a", "201", "")]);
        assert_eq!(drain(&w, &mut st), [(Ringing, "201".to_string())]);
        let up = chan("a", "201", "2026-05-01 10:00:05.000");
        w.apply_snapshot(&mut st, std::slice::from_ref(&up));
        // A transfer: a new leg of the answered call.
        w.apply_snapshot(&mut st, &[up.clone(), chan("a", "202", "")]);
        w.apply_snapshot(&mut st, &[chan("a", "202", "2026-05-01 10:00:09.000")]);
        w.apply_snapshot(&mut st, &[]);
        let got = drain(&w, &mut st);
        let ext = |e: &str| e.to_string();
        assert_eq!(
            got,
            [
                (Answered, ext("201")),
                (Transferred, ext("202")),
                (Answered, ext("202")),
                (Ended, ext("201")),
                (Ended, ext("202")),
            ]
        );
        assert_eq!(st.delivered, 6);
    }

    #[test]
    fn a_filter_keeps_either_side_and_times_use_the_offset() {
        let w = watcher(WatchOptions {
            extensions: vec!["202".into()],
            pbx_utc_offset_minutes: Some(180),
            ..Default::default()
        });
        let mut st = state(&w);
        let mut outgoing = chan("b", "SIP-TRUNK-AB", "");
        outgoing.src_chan = "PJSIP/202-00000003".into();
        w.apply_snapshot(&mut st, &[chan("a", "201", ""), outgoing]);
        let e = w.take_ready(&mut st).unwrap();
        assert_eq!((e.linkedid.as_str(), e.extension.as_str()), ("b", "202"));
        assert!(w.take_ready(&mut st).is_none());
        // 10:00:00.250 at UTC+3 is 07:00:00.250 UTC.
        let utc = chrono::NaiveDate::from_ymd_opt(2026, 5, 1)
            .unwrap()
            .and_hms_milli_opt(7, 0, 0, 250)
            .unwrap()
            .and_utc()
            .timestamp_millis();
        assert_eq!(e.started_at_ms, Some(utc));
        assert_eq!(extension_in("PJSIP/201-WS-0000000a"), Some("201".into()));
        assert_eq!(extension_in("Local/201@internal-0001;2"), None);
    }

    #[test]
    fn an_iana_zone_converts_with_daylight_saving() {
        let zone = |name: &str| {
            PbxZone::from_options(&WatchOptions {
                pbx_time_zone: Some(name.into()),
                ..Default::default()
            })
            .unwrap()
        };
        let local = |y, mo, d, h, mi| {
            chrono::NaiveDate::from_ymd_opt(y, mo, d)
                .unwrap()
                .and_hms_opt(h, mi, 0)
                .unwrap()
        };
        let utc = |t: NaiveDateTime| t.and_utc().timestamp_millis();
        let berlin = zone("Europe/Berlin");
        // Winter UTC+1, summer UTC+2.
        assert_eq!(
            berlin.to_unix_ms(local(2026, 1, 15, 10, 0)),
            Some(utc(local(2026, 1, 15, 9, 0)))
        );
        assert_eq!(
            berlin.to_unix_ms(local(2026, 7, 15, 10, 0)),
            Some(utc(local(2026, 7, 15, 8, 0)))
        );
        // 25 Oct 2026, 02:30 happens twice: the first (still UTC+2) is taken.
        assert_eq!(
            berlin.to_unix_ms(local(2026, 10, 25, 2, 30)),
            Some(utc(local(2026, 10, 25, 0, 30)))
        );
        // 29 Mar 2026, 02:30 does not exist: read with the offset before the gap (UTC+1).
        assert_eq!(
            berlin.to_unix_ms(local(2026, 3, 29, 2, 30)),
            Some(utc(local(2026, 3, 29, 1, 30)))
        );
        assert_eq!(
            zone("Europe/Moscow").to_unix_ms(local(2026, 7, 1, 12, 0)),
            Some(utc(local(2026, 7, 1, 9, 0)))
        );
        for bad in [
            WatchOptions {
                pbx_time_zone: Some("Mars/Olympus".into()),
                ..Default::default()
            },
            WatchOptions {
                pbx_time_zone: Some("Europe/Berlin".into()),
                pbx_utc_offset_minutes: Some(60),
                ..Default::default()
            },
            WatchOptions {
                pbx_utc_offset_minutes: Some(15 * 60),
                ..Default::default()
            },
        ] {
            let e = PbxZone::from_options(&bad).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Config, "{e}");
        }
    }

    #[test]
    fn an_ended_call_waiting_for_its_cdr_holds_back_only_its_own_events() {
        let w = watcher(WatchOptions::default());
        let mut st = state(&w);
        w.apply_snapshot(&mut st, &[chan("a", "201", "")]);
        w.apply_snapshot(&mut st, &[]);
        w.apply_snapshot(&mut st, &[chan("b", "203", "")]);
        let order: Vec<String> = std::iter::from_fn(|| w.take_ready(&mut st))
            .map(|e| format!("{:?} {}", e.event_type, e.linkedid))
            .collect();
        assert_eq!(order, ["Ringing a", "Ringing b"]);
        assert_eq!(w.cdr_due(&st, Instant::now()).as_deref(), Some("a"));
        let cdr = CdrRecord {
            id: 7,
            linkedid: "a".into(),
            dst_chan: "PJSIP/201-00000002".into(),
            disposition: "NO ANSWER".into(),
            duration: 12,
            endtime: "2026-05-01 10:00:12.000".into(),
            ..Default::default()
        };
        w.apply_cdr(&mut st, "a", Some(vec![cdr]));
        let e = w.take_ready(&mut st).unwrap();
        assert_eq!(e.event_type, CallEventType::Ended);
        assert_eq!(e.cdr.as_ref().map(|c| c.id), Some(7));
        assert_eq!(
            (e.duration_secs, e.disposition.as_deref()),
            (Some(12), Some("NO ANSWER"))
        );
        assert_eq!(e.sequence, 3);
    }

    #[test]
    fn a_bad_checkpoint_is_refused() {
        let client = Client::builder("https://127.0.0.1:1").build().unwrap();
        let o = WatchOptions {
            resume_from: Some("{\"version\":99}".into()),
            ..Default::default()
        };
        assert_eq!(
            CallWatcher::new(client, o).unwrap_err().kind(),
            ErrorKind::Config
        );
    }
}
