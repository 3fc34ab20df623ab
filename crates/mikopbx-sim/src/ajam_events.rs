//! AMI events for AJAM's `WaitEvent`: the manager events Asterisk would queue for the channels
//! the simulator models, and the per-session filtering `manager.c` applies.
//!
//! Read from Asterisk 22.7.0 (tag `22.7.0`, commit `7b98cadd`; MikoPBX ships Asterisk 22,
//! calls-events-recordings.md): `main/manager.c` (`__manager_event_sessions_va`,
//! `append_event`, `purge_events`, `should_send_event`, `manager_add_filter`,
//! `fast_originate`), `main/manager_channels.c` (`ast_manager_build_channel_state_string_prefix`,
//! `channel_state_change`, `channel_dial_cb`), `main/manager_bridges.c`, `main/core_local.c`
//! (`LocalBridge`), `main/core_unreal.c`, `main/pbx.c` (`pbx_outgoing_attempt`,
//! `pbx_dial_reason`), `apps/app_dial.c`, `channels/chan_pjsip.c`, `main/bridge.c` and
//! `main/channel.c` (`ast_state2str`, `ast_cause2str`, manager channel variables); and MikoPBX
//! Core develop@e26e6b9 for the configuration (`ManagerConf.php`, `SIPConf.php`,
//! `ExtensionsConf.php`, `InternalContexts.php`, `OutgoingContext.php`, `AsteriskConf.php`).
//!
//! **The bytes.** Every event is `Event: <name>\r\nPrivilege: call,all\r\n` (the class and
//! `all`, `authority_to_str`), `Timestamp: <sec>.<usec>\r\n` (`timestampevents = yes`),
//! `SystemName: mikopbx\r\n` (`systemname = mikopbx`), then the event's own headers and an
//! empty line. A channel is printed as `Channel, ChannelState, ChannelStateDesc, CallerIDNum,
//! CallerIDName, ConnectedLineNum, ConnectedLineName, Language, AccountCode, Context, Exten,
//! Priority, Uniqueid, Linkedid`, then one `ChanVariable: NAME=value` per `channelvars` entry
//! of MikoPBX's manager.conf (16 of them, unset ones empty), with a `Dest` prefix for the
//! dialed side of `Dial*` and `LocalOne`/`LocalTwo` in `LocalBridge`; empty numbers and names
//! print as `<unknown>`, names and variable values C-escaped. `OriginateResponse` is the older
//! form: its variables are `ChanVariable(<channel>): NAME=value` lines after the fields.
//!
//! **What is emitted**, for a call of `POST /_sim/calls` (caller A, the sim's `src_chan`,
//! dialing B, `dst_chan`, directly: the simulator has no `Local/` hops of incoming routes or
//! queues):
//! `Newchannel` A (state 4 Ring), `Newchannel` B (0 Down), `DialBegin`, `Newstate` B (5
//! Ringing), `DialState` RINGING; on answer `Newstate` B (6 Up), `DialEnd` ANSWER, `Newstate` A
//! Up, `BridgeCreate`, `BridgeEnter` B then A; at the end B hangs up: `BridgeLeave` B, A,
//! `BridgeDestroy`, `Hangup` B, A (cause 16). Unanswered: `DialEnd` NOANSWER, `Hangup` B
//! (cause 0, `Unknown`: app_dial's timeout sets no cause on the peer), `Hangup` A (16).
//! For an `Originate` of `Local/<ext>@internal-originate` the agent is rung by the `;2` half:
//! `Newchannel` `;1`, `;2`, `LocalBridge`, `Newchannel` agent, `DialBegin` (`;2` → agent),
//! ringing; when the agent answers `DialEnd`, `;2` and `;1` Up, `OriginateResponse` Success
//! (Reason 4, `Uniqueid` = the `ChannelId`), a bridge of `;2` and the agent; 0.2 s later the
//! agent is redirected (`BridgeLeave` ×2, `BridgeDestroy`, `Hangup` `;1`, `;2`) and dials the
//! customer like the call above. Every channel carries the `;1` uniqueid as `Linkedid`.
//! When nothing can ring (an agent extension that is no endpoint), `;2` plays `pbx-invalid`
//! without answering and both halves hang up: `OriginateResponse` Failure, Reason 0, with the
//! requested channel name and no variables (`fast_originate` with no channel).
//!
//! **Left out** (a real session sees them too, so a client must skip events it does not know):
//! `NewCallerid`, `NewConnectedLine`, `HangupRequest`/`SoftHangupRequest`, `DeviceStateChange`,
//! `ExtensionStatus`, `MixMonitorStart` (MikoPBX records every answered call), `Newexten` and
//! `VarSet` (class `dialplan`), `UserEvent`s (class `user`; `CdrConnector` is filtered for
//! every external manager anyway), RTCP events (`reporting`). The background calls that
//! `pbx-status` invents from the wall clock have no events.
//!
//! **Guesses** (the source does not settle them without running Asterisk): the order of
//! events raised by different threads at the same moment (which bridge member leaves first, the
//! `Hangup`s after the `BridgeDestroy`, `OriginateResponse` before the bridge of `;2`); B hangs
//! up first; the dialplan `Priority` (1, or the line of the `Dial` in `[internal-originate]`:
//! 15, and of `Hangup()` in `[all_peers]`: 4); the caller keeps its first context and extension
//! (the real one moves through the incoming-route and outgoing-route contexts); the values of
//! `CDR(channel|src|dst|lastapp)` (the channel's own CDR: its name, caller number, extension
//! and application; empty in `Newchannel`, before the CDR engine has seen the channel);
//! the bridge technology `simple_bridge`
//! (smart bridging may switch to `native_rtp` after the `BridgeEnter`s); a PJSIP contact
//! `sip:<ext>@192.0.2.10:5060` in extension dial strings (the sim has no registrations); 180
//! Ringing rather than 183 from the provider; 2 s of `pbx-invalid` for a failed originate.

use std::sync::Arc;

use regex::Regex;

use crate::app::{App, lock};
use crate::calls::{CallRequest, LocalPair, OriginateLeg, PlacedCall, REDIRECT_WAIT};

/// The simulator's provider (as in `calls.rs`): its endpoint's context is `<id>-incoming`.
const TRUNK: &str = "SIP-TRUNK-ABCDEF12";
/// `defaultlanguage` (PbxSettings `PBXLanguage`, default `en-en`).
const LANGUAGE: &str = "en-en";
/// The contact host used in extension dial strings (TEST-NET-1: the sim has no phones).
const CONTACT_HOST: &str = "192.0.2.10:5060";
/// How long `[internal-num-undefined]` plays `pbx-invalid` before the `Local/` pair hangs up.
const INVALID_PLAYBACK: f64 = 2.0;
/// `purge_events`: an unread event older than 2.5 × `httptimeout` is dropped.
const EVENT_KEEP_SECS: f64 = 150.0;

/// `channelvars=` of MikoPBX's manager.conf (`ManagerConf.php:51-68`), in order.
const CHANNEL_VARS: [&str; 16] = [
    "DIALEDPEERNUMBER",
    "BLKVM_CHANNEL",
    "BRIDGEPEER",
    "INTERCHANNEL",
    "FROM_DID",
    "mikoidconf",
    "conf_1c",
    "1cautoanswer",
    "extenfrom1c",
    "spyee",
    "datafrom1c",
    "CDR(lastapp)",
    "CDR(channel)",
    "CDR(src)",
    "CDR(dst)",
    "CDR(recordingfile)",
];

/// One queued manager event (`struct eventqent`).
#[derive(Debug, Clone)]
pub(crate) struct AmiEvent {
    /// When it happens, in simulated seconds.
    pub(crate) at: f64,
    /// Queue order among events of the same moment.
    pub(crate) id: u64,
    pub(crate) text: String,
}

/// A position in the event queue (`mansession_session.last_ev`): the last event seen.
pub(crate) type Cursor = (f64, u64);

fn after(ev: &AmiEvent, c: Cursor) -> bool {
    ev.at > c.0 || (ev.at == c.0 && ev.id > c.1)
}

/// Asterisk's global event queue (`all_events`). Events are queued when a call is placed,
/// with the simulated times they happen at; a session sees those whose time has come.
#[derive(Debug, Default)]
pub(crate) struct EventLog {
    /// Sorted by (`at`, `id`).
    events: Vec<AmiEvent>,
    next_id: u64,
}

impl EventLog {
    /// Queues events (in the order given for equal times).
    pub(crate) fn push(&mut self, events: Vec<(f64, String)>) {
        for (at, text) in events {
            self.next_id += 1;
            let ev = AmiEvent {
                at,
                id: self.next_id,
                text,
            };
            let i = self
                .events
                .partition_point(|e| e.at < ev.at || (e.at == ev.at && e.id < ev.id));
            self.events.insert(i, ev);
        }
    }

    /// `grab_last()` at `now`: a new session sees only what is queued after this.
    pub(crate) fn cursor(&self, now: f64) -> Cursor {
        (now, self.next_id)
    }

    /// Whether an event after `c` has happened by `now` (what wakes a `WaitEvent`, whoever
    /// may read it).
    pub(crate) fn any_after(&self, c: Cursor, now: f64) -> bool {
        self.happened_after(c, now).next().is_some()
    }

    /// The events after `c` that have happened by `now`, oldest first.
    pub(crate) fn happened_after(&self, c: Cursor, now: f64) -> impl Iterator<Item = &AmiEvent> {
        let start = self.events.partition_point(|e| !after(e, c) && e.at <= now);
        self.events[start..]
            .iter()
            .take_while(move |e| e.at <= now)
            .filter(move |e| after(e, c))
    }

    /// `purge_events`: drops what no session can still be waiting for, i.e. events older than
    /// 2.5 × `httptimeout` (every session has read or lost them), but never the newest event.
    pub(crate) fn purge(&mut self, now: f64) {
        let past = self.events.partition_point(|e| e.at <= now);
        if past == 0 {
            return;
        }
        let newest = self.events[past - 1].id;
        self.events
            .retain(|e| e.at > now || e.id == newest || now - e.at <= EVENT_KEEP_SECS);
    }
}

/// A session's event filters (`includefilters` / `excludefilters`), from the user's
/// `eventfilter=` lines as MikoPBX writes them (`ManagerConf.php:210-226`): always
/// `!UserEvent: CdrConnector` and `!UserEvent: Ping_`, then each line of the manager's
/// `eventfilter`, or `!Event: Newexten` when it is empty. Each is a legacy filter (the key is
/// `eventfilter` without options): a POSIX extended regex over the whole event text, `!`
/// making it an exclude filter.
#[derive(Debug, Clone, Default)]
pub(crate) struct Filters {
    include: Vec<Regex>,
    exclude: Vec<Regex>,
}

impl Filters {
    /// The filters of a manager user whose `eventfilter` column is `lines`.
    pub(crate) fn for_user(lines: Option<&str>) -> Filters {
        let mut f = Filters::default();
        f.add("!UserEvent: CdrConnector");
        f.add("!UserEvent: Ping_");
        let custom: Vec<&str> = lines
            .unwrap_or("")
            .trim()
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect();
        if custom.is_empty() {
            f.add("!Event: Newexten");
        }
        for line in custom {
            f.add(&config_value(line));
        }
        f
    }

    /// `manager_add_filter` for a legacy filter. A pattern that does not compile is left out,
    /// as Asterisk logs it and goes on. POSIX `regcomp(REG_EXTENDED | REG_NOSUB)` without
    /// `REG_NEWLINE` lets `.` match a newline, hence `(?s)`; the GNU extensions glibc accepts
    /// beyond POSIX and the regex crate's own extensions are where the two could differ.
    fn add(&mut self, value: &str) {
        let (exclude, pattern) = match value.strip_prefix('!') {
            Some(rest) => (true, rest),
            None => (false, value),
        };
        if pattern.is_empty() {
            return; // "Legacy filter with no filter pattern specified"
        }
        let Ok(re) = Regex::new(&format!("(?s){pattern}")) else {
            return;
        };
        if exclude {
            self.exclude.push(re);
        } else {
            self.include.push(re);
        }
    }

    /// `should_send_event`: no filters pass everything; include filters only: one must match;
    /// exclude filters only: none may match; both: an include must match and no exclude.
    pub(crate) fn allows(&self, text: &str) -> bool {
        let inc = || self.include.iter().any(|r| r.is_match(text));
        let exc = || self.exclude.iter().any(|r| r.is_match(text));
        match (self.include.is_empty(), self.exclude.is_empty()) {
            (true, true) => true,
            (false, true) => inc(),
            (true, false) => !exc(),
            (false, false) => inc() && !exc(),
        }
    }
}

/// The value Asterisk's config parser reads from `eventfilter=<line>`: `;` starts a comment
/// unless escaped as `\;`, and the value is trimmed.
fn config_value(line: &str) -> String {
    let mut out = String::new();
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&';') => {
                out.push(';');
                chars.next();
            }
            ';' => break,
            c => out.push(c),
        }
    }
    out.trim().to_owned()
}

/// `ast_escape_c`: what manager events do to caller names and variable values.
fn escape_c(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\x07' => out.push_str("\\a"),
            '\x08' => out.push_str("\\b"),
            '\x0c' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\x0b' => out.push_str("\\v"),
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '"' => out.push_str("\\\""),
            '?' => out.push_str("\\?"),
            c => out.push(c),
        }
    }
    out
}

fn or_unknown(s: &str) -> &str {
    if s.is_empty() { "<unknown>" } else { s }
}

/// `Timestamp: %ld.%06lu`.
fn timestamp(at: f64) -> String {
    let micros = (at * 1e6).round() as i64;
    format!(
        "{}.{:06}",
        micros.div_euclid(1_000_000),
        micros.rem_euclid(1_000_000)
    )
}

/// `ast_state2str`.
fn state_desc(state: u8) -> &'static str {
    match state {
        0 => "Down",
        4 => "Ring",
        5 => "Ringing",
        6 => "Up",
        _ => "Unknown",
    }
}

/// `ast_cause2str` for the causes the simulator uses.
fn cause_txt(cause: u32) -> &'static str {
    match cause {
        16 => "Normal Clearing",
        _ => "Unknown",
    }
}

/// A channel as its snapshot is at one moment.
#[derive(Debug, Clone, Default)]
struct Chan {
    name: String,
    state: u8,
    caller_num: String,
    caller_name: String,
    conn_num: String,
    conn_name: String,
    context: String,
    exten: String,
    priority: u32,
    uniqueid: String,
    linkedid: String,
    /// The running application (`CDR(lastapp)`).
    app: &'static str,
    /// Whether the CDR engine has the channel yet (false only in `Newchannel`).
    cdr: bool,
    dialed_peer_number: String,
    bridgepeer: String,
    from_did: String,
}

impl Chan {
    /// The values of the manager channel variables.
    fn vars(&self) -> [(&'static str, String); 16] {
        let cdr = |v: &str| {
            if self.cdr {
                v.to_owned()
            } else {
                String::new()
            }
        };
        CHANNEL_VARS.map(|name| {
            let value = match name {
                "DIALEDPEERNUMBER" => self.dialed_peer_number.clone(),
                "BRIDGEPEER" => self.bridgepeer.clone(),
                "FROM_DID" => self.from_did.clone(),
                "CDR(lastapp)" => cdr(self.app),
                "CDR(channel)" => cdr(&self.name),
                "CDR(src)" => cdr(&self.caller_num),
                "CDR(dst)" => cdr(&self.exten),
                _ => String::new(),
            };
            (name, value)
        })
    }

    /// `ast_manager_build_channel_state_string_prefix`.
    fn block(&self, p: &str) -> String {
        let mut out = format!(
            "{p}Channel: {}\r\n{p}ChannelState: {}\r\n{p}ChannelStateDesc: {}\r\n\
             {p}CallerIDNum: {}\r\n{p}CallerIDName: {}\r\n{p}ConnectedLineNum: {}\r\n\
             {p}ConnectedLineName: {}\r\n{p}Language: {LANGUAGE}\r\n{p}AccountCode: \r\n\
             {p}Context: {}\r\n{p}Exten: {}\r\n{p}Priority: {}\r\n{p}Uniqueid: {}\r\n\
             {p}Linkedid: {}\r\n",
            self.name,
            self.state,
            state_desc(self.state),
            or_unknown(&self.caller_num),
            or_unknown(&escape_c(&self.caller_name)),
            or_unknown(&self.conn_num),
            or_unknown(&escape_c(&self.conn_name)),
            self.context,
            self.exten,
            self.priority,
            self.uniqueid,
            self.linkedid,
        );
        for (name, value) in self.vars() {
            out.push_str(&format!("{p}ChanVariable: {name}={}\r\n", escape_c(&value)));
        }
        out
    }
}

/// A basic bridge as its snapshot is at one moment.
struct Bridge {
    uniqueid: String,
    channels: u32,
}

impl Bridge {
    fn new() -> Bridge {
        let b = crate::util::random_bytes(16);
        let h = crate::util::hex(&b);
        // `ast_uuid_generate_str`: a version-4 UUID.
        let uniqueid = format!(
            "{}-{}-4{}-{:x}{}-{}",
            &h[0..8],
            &h[8..12],
            &h[13..16],
            (b[8] & 0x3) | 0x8,
            &h[17..20],
            &h[20..32]
        );
        Bridge {
            uniqueid,
            channels: 0,
        }
    }

    /// `ast_manager_build_bridge_state_string_prefix`.
    fn block(&self) -> String {
        format!(
            "BridgeUniqueid: {}\r\nBridgeType: basic\r\nBridgeTechnology: simple_bridge\r\n\
             BridgeCreator: <unknown>\r\nBridgeName: <unknown>\r\nBridgeNumChannels: {}\r\n\
             BridgeVideoSourceMode: none\r\n",
            self.uniqueid, self.channels
        )
    }
}

/// The events of one call, in queue order.
#[derive(Default)]
struct Script {
    out: Vec<(f64, String)>,
}

impl Script {
    /// `__manager_event_sessions_va`: the common head, the body and the empty line.
    fn event(&mut self, at: f64, name: &str, body: &str) {
        self.out.push((
            at,
            format!(
                "Event: {name}\r\nPrivilege: call,all\r\nTimestamp: {}\r\nSystemName: mikopbx\r\n{body}\r\n",
                timestamp(at)
            ),
        ));
    }

    fn channel(&mut self, at: f64, name: &str, c: &Chan) {
        self.event(at, name, &c.block(""));
    }

    fn newchannel(&mut self, at: f64, c: &mut Chan) {
        self.channel(at, "Newchannel", c);
        c.cdr = true;
    }

    fn newstate(&mut self, at: f64, c: &mut Chan, state: u8) {
        c.state = state;
        self.channel(at, "Newstate", c);
    }

    fn dial_begin(&mut self, at: f64, caller: &Chan, peer: &Chan, dialstring: &str) {
        let body = format!(
            "{}{}DialString: {dialstring}\r\n",
            caller.block(""),
            peer.block("Dest")
        );
        self.event(at, "DialBegin", &body);
    }

    fn dial_status(&mut self, at: f64, caller: &Chan, peer: &Chan, status: &str) {
        let name = if matches!(status, "RINGING" | "PROCEEDING" | "PROGRESS") {
            "DialState"
        } else {
            "DialEnd"
        };
        let body = format!(
            "{}{}DialStatus: {status}\r\n",
            caller.block(""),
            peer.block("Dest")
        );
        self.event(at, name, &body);
    }

    fn bridge_create(&mut self, at: f64, b: &Bridge) {
        self.event(at, "BridgeCreate", &b.block());
    }

    fn bridge_enter(&mut self, at: f64, b: &mut Bridge, c: &Chan) {
        b.channels += 1;
        let body = format!("{}{}", b.block(), c.block(""));
        self.event(at, "BridgeEnter", &body);
    }

    /// `BridgeLeave`; leaving clears `BRIDGEPEER` first (`ast_bridge_channel_leave_bridge_nolock`).
    fn bridge_leave(&mut self, at: f64, b: &mut Bridge, c: &mut Chan) {
        c.bridgepeer.clear();
        b.channels = b.channels.saturating_sub(1);
        let body = format!("{}{}", b.block(), c.block(""));
        self.event(at, "BridgeLeave", &body);
    }

    fn bridge_destroy(&mut self, at: f64, b: &Bridge) {
        self.event(at, "BridgeDestroy", &b.block());
    }

    /// `Hangup`: no `TechCause` line (no SIP failure code in the simulated endings).
    fn hangup(&mut self, at: f64, c: &Chan, cause: u32) {
        let body = format!(
            "{}Cause: {cause}\r\nCause-txt: {}\r\n",
            c.block(""),
            cause_txt(cause)
        );
        self.event(at, "Hangup", &body);
    }

    /// Two channels bridged by `Dial`: both enter (the imparted peer first, `ast_bridge_impart`
    /// waits for it), then the bridge sets each one's `BRIDGEPEER` to the other (shown by no
    /// simulated event: leaving clears it).
    fn bridge_pair(&mut self, at: f64, peer: &mut Chan, caller: &mut Chan) -> Bridge {
        let mut b = Bridge::new();
        self.bridge_create(at, &b);
        self.bridge_enter(at, &mut b, peer);
        self.bridge_enter(at, &mut b, caller);
        peer.bridgepeer = caller.name.clone();
        caller.bridgepeer = peer.name.clone();
        b
    }
}

/// A PJSIP channel of the sim's call: an extension's endpoint (context `all_peers`, its
/// `callerid = <name> <ext>`) or the provider's (context `<id>-incoming`, no callerid).
fn pjsip(
    name: &str,
    number: &str,
    internal: bool,
    names: &dyn Fn(&str) -> String,
    uniqueid: &str,
    linkedid: &str,
) -> Chan {
    let (caller_num, caller_name, context) = if internal {
        let n = names(number);
        let display = if n.is_empty() { number.to_owned() } else { n };
        (number.to_owned(), display, "all_peers".to_owned())
    } else {
        (String::new(), String::new(), format!("{TRUNK}-incoming"))
    };
    Chan {
        name: name.to_owned(),
        caller_num,
        caller_name,
        context,
        exten: "s".into(),
        priority: 1,
        uniqueid: uniqueid.to_owned(),
        linkedid: linkedid.to_owned(),
        ..Chan::default()
    }
}

/// What MikoPBX dials to reach `number`: the extension's registered contacts
/// (`PJSIP_DIAL_CONTACTS`, `InternalContexts.php:105-116`) or `PJSIP/<number>@<provider>`
/// (`OutgoingContext.php:348-360`); the Dial string without `PJSIP/`.
fn dial_string(number: &str, internal: bool) -> String {
    if internal {
        format!("{number}/sip:{number}@{CONTACT_HOST}")
    } else {
        format!("{number}@{TRUNK}")
    }
}

/// `Dial` from `caller` to a freshly requested `peer` at `at`, through answer (or no answer)
/// and the peer's hangup at `ended`.
fn dial(
    s: &mut Script,
    at: f64,
    caller: &mut Chan,
    peer: &mut Chan,
    dialstring: &str,
    answered: Option<f64>,
    ended: f64,
) {
    s.newchannel(at, peer);
    // app_dial: the peer's variables, caller id (the dialed extension when the channel
    // driver set none), connected line (the caller), extension; the caller runs `Dial`.
    peer.dialed_peer_number = dialstring.to_owned();
    peer.from_did = caller.from_did.clone();
    if peer.caller_num.is_empty() {
        peer.caller_num = caller.exten.clone();
    }
    peer.conn_num = caller.caller_num.clone();
    peer.conn_name = caller.caller_name.clone();
    peer.exten = caller.exten.clone();
    peer.app = "AppDial";
    caller.app = "Dial";
    s.dial_begin(at, caller, peer, dialstring);
    s.newstate(at, peer, 5);
    s.dial_status(at, caller, peer, "RINGING");
    match answered {
        Some(a) => {
            s.newstate(a, peer, 6);
            caller.conn_num = peer.caller_num.clone();
            caller.conn_name = peer.caller_name.clone();
            s.dial_status(a, caller, peer, "ANSWER");
            if caller.state != 6 {
                s.newstate(a, caller, 6);
            }
            let mut b = s.bridge_pair(a, peer, caller);
            s.bridge_leave(ended, &mut b, peer);
            s.bridge_leave(ended, &mut b, caller);
            s.bridge_destroy(ended, &b);
            s.hangup(ended, peer, 16);
            s.hangup(ended, caller, 16);
        }
        None => {
            s.dial_status(ended, caller, peer, "NOANSWER");
            s.hangup(ended, peer, 0);
            s.hangup(ended, caller, 16);
        }
    }
}

/// The `Local/<data>` pair of an originate as `ast_request` leaves it: `;1` Down, `;2` Ring,
/// both at `<ext>@<context>` priority 1, no caller id, `;2` inheriting `;1`'s linkedid.
fn local_pair(pair: &LocalPair, leg: &OriginateLeg) -> (Chan, Chan) {
    let (exten, context) = leg.data.split_once('@').unwrap_or((&leg.data, "default"));
    let base = Chan {
        context: context.to_owned(),
        exten: exten.to_owned(),
        priority: 1,
        linkedid: pair.uniqueid1.clone(),
        ..Chan::default()
    };
    let l1 = Chan {
        name: pair.name1.clone(),
        uniqueid: pair.uniqueid1.clone(),
        ..base.clone()
    };
    let l2 = Chan {
        name: pair.name2.clone(),
        state: 4,
        uniqueid: pair.uniqueid2.clone(),
        ..base
    };
    (l1, l2)
}

/// `Newchannel` of both halves, then `ast_call` on `;1`: `pbx_outgoing_attempt` has set the
/// originate's caller id on `;1` (as its connected line too), `ast_unreal_call_setup` copies
/// them across, and `local_call` publishes `LocalBridge` before starting `;2`'s dialplan.
fn local_start(s: &mut Script, at: f64, l1: &mut Chan, l2: &mut Chan, leg: &OriginateLeg) {
    s.newchannel(at, l1);
    s.newchannel(at, l2);
    l1.caller_num = leg.cid_num.clone();
    l1.caller_name = leg.cid_name.clone();
    l1.conn_num = leg.cid_num.clone();
    l1.conn_name = leg.cid_name.clone();
    l2.caller_num = l1.conn_num.clone();
    l2.caller_name = l1.conn_name.clone();
    l2.conn_num = l1.caller_num.clone();
    l2.conn_name = l1.caller_name.clone();
    let body = format!(
        "{}{}Context: {}\r\nExten: {}\r\nLocalOptimization: Yes\r\n",
        l1.block("LocalOne"),
        l2.block("LocalTwo"),
        l2.context,
        l2.exten
    );
    s.event(at, "LocalBridge", &body);
}

/// `fast_originate`'s `OriginateResponse` for the exten form.
fn originate_response(
    s: &mut Script,
    at: f64,
    leg: &OriginateLeg,
    chan: Option<&Chan>,
    channel_id: &str,
) {
    let id = if leg.action_id.is_empty() {
        String::new()
    } else {
        format!("ActionID: {}\r\n", leg.action_id)
    };
    let (response, channel, reason, uniqueid) = match chan {
        Some(c) => ("Success", c.name.clone(), 4, c.uniqueid.clone()),
        None => (
            "Failure",
            format!("Local/{}", leg.data),
            0,
            or_unknown(channel_id).to_owned(),
        ),
    };
    let mut body = format!(
        "{id}Response: {response}\r\nChannel: {channel}\r\nContext: {}\r\nExten: {}\r\n\
         Reason: {reason}\r\nUniqueid: {uniqueid}\r\nCallerIDNum: {}\r\nCallerIDName: {}\r\n",
        leg.context,
        leg.exten,
        or_unknown(&leg.cid_num),
        or_unknown(&leg.cid_name),
    );
    // `append_channel_vars`: the old `ChanVariable(<channel>):` form, values unescaped.
    if let Some(c) = chan {
        for (name, value) in c.vars() {
            body.push_str(&format!("ChanVariable({}): {name}={value}\r\n", c.name));
        }
    }
    s.event(at, "OriginateResponse", &body);
}

/// The events of a placed call. `names` gives an extension's display name.
fn call_events(call: &PlacedCall, names: &dyn Fn(&str) -> String) -> Vec<(f64, String)> {
    let mut s = Script::default();
    let t0 = call.placed;
    match &call.originate {
        None => {
            // The caller's channel is an inbound one: state Ring, at the dialed extension of
            // its endpoint's context (a provider's: the DID), priority 1.
            let mut a = pjsip(
                &call.src_chan,
                &call.from,
                call.from_internal,
                names,
                &call.src_uniqueid,
                &call.linkedid,
            );
            a.state = 4;
            if !call.from_internal {
                a.caller_num = call.from.clone();
            }
            a.exten = if !call.from_internal && !call.did.is_empty() {
                call.did.clone()
            } else {
                call.to.clone()
            };
            let mut b = pjsip(
                &call.dst_chan,
                &call.to,
                call.to_internal,
                names,
                &call.dst_uniqueid,
                &call.linkedid,
            );
            s.newchannel(t0, &mut a);
            // The provider's incoming context sets `__FROM_DID` first thing.
            if !call.from_internal {
                a.from_did = call.did.clone();
            }
            let ds = dial_string(&call.to, call.to_internal);
            dial(&mut s, t0, &mut a, &mut b, &ds, call.answered, call.ended);
        }
        Some(o) => {
            let leg = &o.leg;
            let (mut l1, mut l2) = local_pair(&o.pair, leg);
            local_start(&mut s, t0, &mut l1, &mut l2, leg);
            // `[internal-originate]` sets `CALLERID(num)=${pt1c_cid}` and dials the agent at
            // its priority 15.
            l2.caller_num = call.to.clone();
            l2.priority = 15;
            let mut agent = pjsip(
                &call.src_chan,
                &call.from,
                call.from_internal,
                names,
                &call.src_uniqueid,
                &call.linkedid,
            );
            let tg = o.agent_answered.min(call.ended);
            let ds = dial_string(&call.from, call.from_internal);
            s.newchannel(t0, &mut agent);
            agent.dialed_peer_number = ds.clone();
            agent.conn_num = l2.caller_num.clone();
            agent.conn_name = l2.caller_name.clone();
            agent.exten = l2.exten.clone();
            agent.app = "AppDial";
            l2.app = "Dial";
            s.dial_begin(t0, &l2, &agent, &ds);
            s.newstate(t0, &mut agent, 5);
            s.dial_status(t0, &l2, &agent, "RINGING");
            // The agent answers: `;2` is answered by app_dial, `;1` by the answer frame, and
            // the originate is done.
            s.newstate(tg, &mut agent, 6);
            l2.conn_num = agent.caller_num.clone();
            l2.conn_name = agent.caller_name.clone();
            s.dial_status(tg, &l2, &agent, "ANSWER");
            s.newstate(tg, &mut l2, 6);
            s.newstate(tg, &mut l1, 6);
            originate_response(&mut s, tg, leg, Some(&l1), &o.pair.uniqueid1);
            let mut b = s.bridge_pair(tg, &mut agent, &mut l2);
            // `[all_peers]` on `;1`: Wait(0.2), ChannelRedirect(agent, all_peers, <dst>, 1),
            // Hangup() at priority 4.
            let tr = (tg + REDIRECT_WAIT).min(call.ended);
            l1.context = leg.context.clone();
            l1.exten = leg.exten.clone();
            l1.priority = 4;
            l1.app = "Hangup";
            agent.context = "all_peers".into();
            agent.exten = call.to.clone();
            agent.priority = 1;
            s.bridge_leave(tr, &mut b, &mut agent);
            s.bridge_leave(tr, &mut b, &mut l2);
            s.bridge_destroy(tr, &b);
            s.hangup(tr, &l1, 16);
            s.hangup(tr, &l2, 16);
            let mut customer = pjsip(
                &call.dst_chan,
                &call.to,
                call.to_internal,
                names,
                &call.dst_uniqueid,
                &call.linkedid,
            );
            let ds = dial_string(&call.to, call.to_internal);
            let answered = call.answered.map(|a| a.max(tr));
            dial(
                &mut s,
                tr,
                &mut agent,
                &mut customer,
                &ds,
                answered,
                call.ended.max(tr),
            );
        }
    }
    s.out
}

/// The events of an originate whose agent leg cannot ring (no such endpoint:
/// `[internal-num-undefined]` plays `pbx-invalid` unanswered, then both halves hang up).
fn failed_originate_events(
    pair: &LocalPair,
    leg: &OriginateLeg,
    channel_id: &str,
    now: f64,
) -> Vec<(f64, String)> {
    let mut s = Script::default();
    let (mut l1, mut l2) = local_pair(pair, leg);
    local_start(&mut s, now, &mut l1, &mut l2, leg);
    let end = now + INVALID_PLAYBACK;
    l2.app = "Playback";
    s.hangup(end, &l2, 16);
    s.hangup(end, &l1, 16);
    originate_response(&mut s, end, leg, None, channel_id);
    s.out
}

/// An extension's display name as the endpoint's `callerid` has it.
fn names_of(app: &App) -> impl Fn(&str) -> String + '_ {
    |n: &str| {
        app.read(|s| {
            s.employee_by_number(n)
                .map(|e| e.username.clone())
                .unwrap_or_default()
        })
    }
}

/// Places a call (`POST /_sim/calls` or AMI `Originate`) and queues the AMI events it will
/// raise; returns its linkedid.
pub(crate) fn place_call(app: &App, req: &CallRequest) -> String {
    let internal = |n: &str| n.len() <= 4 || app.read(|s| s.employee_by_number(n).is_some());
    let now = app.cfg.clock.now();
    let (linkedid, call) = {
        let mut book = lock(&app.calls);
        let linkedid = book.place(req, now, &internal);
        (linkedid, book.last().cloned())
    };
    if let Some(call) = call {
        let events = call_events(&call, &names_of(app));
        let mut sessions = lock(&app.ajam);
        sessions.events.purge(now);
        sessions.events.push(events);
    }
    linkedid
}

/// Queues the events of an originate that rings nobody.
pub(crate) fn originate_failed(app: &App, leg: &OriginateLeg, channel_id: &str) {
    let now = app.cfg.clock.now();
    let pair = lock(&app.calls).local_pair(
        &leg.data,
        (!channel_id.is_empty()).then_some(channel_id),
        leg.other_channel_id.as_deref(),
        now,
    );
    let events = failed_originate_events(&pair, leg, channel_id, now);
    let mut sessions = lock(&app.ajam);
    sessions.events.purge(now);
    sessions.events.push(events);
}

/// The filters of a session, shared (they are fixed at login, as `authenticate()` copies them).
pub(crate) type SessionFilters = Arc<Filters>;

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(name: &str, extra: &str) -> String {
        format!(
            "Event: {name}\r\nPrivilege: call,all\r\nTimestamp: 1.000000\r\nSystemName: mikopbx\r\n{extra}\r\n"
        )
    }

    #[test]
    fn default_filters_drop_cdrconnector_ping_and_newexten_only() {
        let f = Filters::for_user(None);
        assert!(f.allows(&ev("Newchannel", "Channel: PJSIP/201-00000001\r\n")));
        assert!(!f.allows(&ev("Newexten", "")));
        assert!(!f.allows(&ev(
            "UserEvent",
            "UserEvent: CdrConnector\r\nAgiData: e30=\r\n"
        )));
        assert!(!f.allows(&ev("UserEvent", "UserEvent: Ping_1\r\n")));
        assert!(f.allows(&ev("UserEvent", "UserEvent: StartRecording\r\n")));
        // A custom line replaces `!Event: Newexten`.
        let f = Filters::for_user(Some("!Event: Hangup"));
        assert!(f.allows(&ev("Newexten", "")));
        assert!(!f.allows(&ev("Hangup", "")));
    }

    #[test]
    fn a_whitelist_passes_only_its_events_and_the_excludes_still_apply() {
        let f = Filters::for_user(Some(
            "Event: (Newchannel|Hangup|UserEvent)\r\n\n  \nbroken[regex",
        ));
        assert!(f.allows(&ev("Newchannel", "")));
        assert!(f.allows(&ev("Hangup", "")));
        assert!(!f.allows(&ev("Newstate", "")));
        assert!(!f.allows(&ev("UserEvent", "UserEvent: CdrConnector\r\n")));
        // `.` crosses lines as POSIX regcomp without REG_NEWLINE does.
        let f = Filters::for_user(Some("Event: Hangup.*Cause: 16"));
        assert!(f.allows(&ev("Hangup", "Channel: x\r\nCause: 16\r\n")));
        // `;` starts a comment in manager.conf; `\;` is a literal semicolon.
        assert_eq!(config_value("Event: Hangup ; comment"), "Event: Hangup");
        assert_eq!(config_value(r"a\;b"), "a;b");
    }

    #[test]
    fn the_queue_orders_by_time_then_queue_order_and_purges_old_events() {
        let mut log = EventLog::default();
        log.push(vec![(10.0, "a".into()), (12.0, "c".into())]);
        log.push(vec![(11.0, "b".into()), (12.0, "d".into())]);
        let c = (9.0, 0);
        let seen: Vec<&str> = log
            .happened_after(c, 12.0)
            .map(|e| e.text.as_str())
            .collect();
        assert_eq!(seen, ["a", "b", "c", "d"]);
        assert!(!log.any_after(log.cursor(12.5), 100.0));
        let at11: Vec<&str> = log
            .happened_after(c, 11.0)
            .map(|e| e.text.as_str())
            .collect();
        assert_eq!(at11, ["a", "b"]);
        log.purge(200.0);
        let left: Vec<&str> = log
            .happened_after(c, 200.0)
            .map(|e| e.text.as_str())
            .collect();
        // Only the newest event survives 150 s.
        assert_eq!(left, ["d"]);
    }

    #[test]
    fn formats_follow_asterisk() {
        assert_eq!(timestamp(1_800_000_000.25), "1800000000.250000");
        assert_eq!(escape_c("Ann \"A\"\n"), "Ann \\\"A\\\"\\n");
        let c = Chan {
            name: "PJSIP/201-00000002".into(),
            state: 0,
            ..Chan::default()
        };
        let b = c.block("Dest");
        assert!(b.starts_with("DestChannel: PJSIP/201-00000002\r\nDestChannelState: 0\r\nDestChannelStateDesc: Down\r\nDestCallerIDNum: <unknown>\r\n"), "{b}");
        assert_eq!(b.matches("DestChanVariable: ").count(), 16);
        assert!(
            b.ends_with("DestChanVariable: CDR(recordingfile)=\r\n"),
            "{b}"
        );
    }
}
