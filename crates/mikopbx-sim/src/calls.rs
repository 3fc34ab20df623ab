//! The call engine: calls placed through `POST /_sim/calls`.
//!
//! `{"from":"79161234567","to":"201","answer_after_ms":800,"talk_ms":2500}` places a call at the
//! simulated clock's "now" and answers `{"linkedid":"…"}`. `answer_after_ms` omitted or null: the
//! call is not answered; it rings for `ring_ms` (default 20 000) and ends `NO ANSWER`. Optional
//! `did` overrides the DID of an incoming call.
//!
//! A placed call then drives, by the simulated clock (so `clock_scale` makes tests fast):
//! * `pbx-status:getActiveChannels` / `getActiveCalls`: a row while it rings (`answer` "") and
//!   while it is up (`answer` set). The real rows are the temporary CDR table filtered by AMI's
//!   live channels (`src/PBXCoreREST/Lib/PbxStatus/GetActiveChannelsAction.php:53-76`): the
//!   agent leg's `dst_chan` is written at `dial_create_chan`, before `dial_answer` sets `answer`
//!   (`src/Core/Asterisk/Configs/lua/extensions.lua:850-913, 974-1060`).
//! * a permanent CDR row with the same `linkedid`, [`CDR_LAG`] after the hangup: `WorkerCdr`
//!   moves a row only once its linkedid has no live channel left
//!   (`src/Core/Workers/WorkerCdr.php:152`). `duration`/`billsec` are `strtotime()` differences,
//!   so whole seconds with the milliseconds dropped (`WorkerCdr.php:157-163`).
//! * for an answered call, a recording: a real MP3 of the talk time (silent frames), whose
//!   `playback_url`/`download_url` carry a fresh 32-hex token minted by every list call, valid
//!   3600 s and sliding on use (`src/PBXCoreREST/Lib/Cdr/DataStructure.php:643-660`,
//!   `PlaybackAction.php:369-391`).
//! * the AMI events of its channels (`Newchannel` … `Hangup`), for AJAM's `WaitEvent`
//!   ([`crate::ajam_events`]). Each channel gets a uniqueid `mikopbx-<epoch>.<n>` from one
//!   counter, as Asterisk's `uniqueint`; the first channel's is the linkedid.
//!
//! Times are the PBX's naive local time `Y-m-d H:i:s.mmm` (`getNowDate`, `extensions.lua:118-120`);
//! the simulator's PBX runs in UTC. Placed calls live in memory only (not in `state.json`).
//!
//! Where the simulator differs: placed calls appear in `GET /cdr` only when the query names
//! their `linkedid` (their ids are above [`PLACED_ID_BASE`], which would make an id-keyed
//! export of the generated history skip ahead); the recording is MP3 (what older MikoPBX
//! releases stored; new ones store webm after `WorkerWav2Webm`), converted only to `wav`.

use std::collections::HashMap;

use serde_json::Value;

use crate::cdr_gen::{CdrRow, datetime};

/// Ids of placed calls' CDR rows start above this (the generated history stays below).
pub(crate) const PLACED_ID_BASE: u64 = 1_000_000_000;
/// Simulated seconds between a hangup and the permanent CDR row (WorkerCdr's loop).
pub(crate) const CDR_LAG: f64 = 1.0;
/// How long an unanswered call rings unless `ring_ms` says otherwise.
const DEFAULT_RING_MS: u64 = 20_000;
/// Simulated seconds between the permanent CDR row and its recording being published:
/// `WorkerWav2Webm` converts in a loop every 5 s (`src/Core/Workers/WorkerWav2Webm.php:65-70`),
/// and until the `.webm` exists the list shows `recordingfile`, `playback_url` and
/// `download_url` empty (`src/PBXCoreREST/Lib/Cdr/DataStructure.php:83-124`).
pub(crate) const CONVERT_LAG: f64 = 5.0;
/// `cdr_playback_token:<t>` lives 3600 s, reset on every use.
const TOKEN_TTL: f64 = 3600.0;
/// The simulator's trunk (also used by the generated history).
const TRUNK: &str = "SIP-TRUNK-ABCDEF12";
/// The DID of incoming calls unless the request names one (the seeded incoming route).
const DEFAULT_DID: &str = "74951234567";

/// Where a call is at a moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    Ringing,
    Up,
    Ended,
}

/// One placed call.
#[derive(Debug, Clone)]
pub(crate) struct PlacedCall {
    seq: u64,
    pub(crate) linkedid: String,
    pub(crate) from: String,
    pub(crate) to: String,
    pub(crate) did: String,
    pub(crate) from_internal: bool,
    pub(crate) to_internal: bool,
    pub(crate) placed: f64,
    pub(crate) answered: Option<f64>,
    pub(crate) ended: f64,
    pub(crate) src_chan: String,
    pub(crate) dst_chan: String,
    /// The channel uniqueids (`<systemname>-<epoch>.<counter>`, AMI's `Uniqueid`) of
    /// `src_chan` and `dst_chan`; without an originate the first is the linkedid.
    pub(crate) src_uniqueid: String,
    pub(crate) dst_uniqueid: String,
    /// The `Local/` pair that rang the agent first, for a call placed by AMI `Originate`.
    pub(crate) originate: Option<PlacedOriginate>,
    /// The CDR `UNIQUEID` (`<uniqueid>_<6 random>`), not a channel's.
    uniqueid: String,
}

/// What an AMI `Originate` of `Local/<ext>@internal-originate` adds to a call: a `Local/`
/// pair whose `;2` half rings the agent; when the agent answers, the agent's channel is
/// redirected to dial the customer (calls-events-recordings.md §3).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct OriginateLeg {
    /// What follows `Local/` in `Channel:` (`201@internal-originate`).
    pub(crate) data: String,
    /// `Context:` and `Exten:` of the action (where the answered `;1` half goes).
    pub(crate) context: String,
    pub(crate) exten: String,
    /// `CallerID:` as `ast_callerid_parse` splits it.
    pub(crate) cid_num: String,
    pub(crate) cid_name: String,
    /// `ActionID:` of the action (echoed in `OriginateResponse`).
    pub(crate) action_id: String,
    /// `OtherChannelId:` (the `;2` half's uniqueid), if given.
    pub(crate) other_channel_id: Option<String>,
    /// Milliseconds before the agent answers.
    pub(crate) agent_answer_ms: u64,
}

/// A `Local/` pair as the call engine named it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct LocalPair {
    /// `Local/<data>-<8 hex>;1` and `;2` (`ast_unreal_new_channels`).
    pub(crate) name1: String,
    pub(crate) name2: String,
    /// `;1`'s uniqueid is `ChannelId` (else a new one); `;2`'s is `OtherChannelId`, else
    /// `<ChannelId>;2`, else a new one (`core_unreal.c`).
    pub(crate) uniqueid1: String,
    pub(crate) uniqueid2: String,
}

/// The originate part of a placed call.
#[derive(Debug, Clone)]
pub(crate) struct PlacedOriginate {
    pub(crate) leg: OriginateLeg,
    pub(crate) pair: LocalPair,
    /// When the agent answered (simulated seconds).
    pub(crate) agent_answered: f64,
}

/// Simulated seconds between the agent answering and the redirected agent channel dialing the
/// customer: `[all_peers]` runs `Wait(0.2)` before `ChannelRedirect` (`InternalContexts.php`).
pub(crate) const REDIRECT_WAIT: f64 = 0.2;

/// What `POST /_sim/calls` asks for.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CallRequest {
    pub(crate) from: String,
    pub(crate) to: String,
    pub(crate) answer_after_ms: Option<u64>,
    pub(crate) talk_ms: u64,
    pub(crate) ring_ms: u64,
    pub(crate) did: Option<String>,
    /// The linkedid to use (AMI `Originate`'s `ChannelId`); `None`: Asterisk's own.
    pub(crate) linkedid: Option<String>,
    /// Set when AMI `Originate` placed the call.
    pub(crate) originate: Option<OriginateLeg>,
}

fn valid_number(n: &str) -> bool {
    (1..=32).contains(&n.len())
        && n.chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '+' | '*' | '#'))
}

impl CallRequest {
    /// Parses the control request, or says what is wrong with it.
    pub(crate) fn parse(body: &[u8]) -> Result<CallRequest, String> {
        let v: Value = serde_json::from_slice(body).map_err(|e| format!("invalid JSON: {e}"))?;
        let number = |k: &str| -> Result<String, String> {
            match v.get(k) {
                Some(Value::String(s)) if valid_number(s) => Ok(s.clone()),
                Some(Value::String(_)) => Err(format!("{k}: 1-32 of 0-9 + * #")),
                _ => Err(format!("{k}: a string is required")),
            }
        };
        let millis = |k: &str| -> Result<Option<u64>, String> {
            match v.get(k) {
                None | Some(Value::Null) => Ok(None),
                Some(x) => x
                    .as_u64()
                    .filter(|ms| *ms <= 86_400_000)
                    .map(Some)
                    .ok_or_else(|| format!("{k}: milliseconds, 0-86400000, or null")),
            }
        };
        let did = match v.get("did") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if valid_number(s) => Some(s.clone()),
            _ => return Err("did: 1-32 of 0-9 + * #".into()),
        };
        Ok(CallRequest {
            from: number("from")?,
            to: number("to")?,
            answer_after_ms: millis("answer_after_ms")?,
            talk_ms: millis("talk_ms")?.unwrap_or(0),
            ring_ms: millis("ring_ms")?.unwrap_or(DEFAULT_RING_MS),
            did,
            linkedid: None,
            originate: None,
        })
    }
}

/// Every placed call and the recording tokens minted for them.
#[derive(Debug, Default)]
pub(crate) struct CallBook {
    calls: Vec<PlacedCall>,
    /// token → (call seq, expiry in simulated seconds).
    tokens: HashMap<String, (u64, f64)>,
    /// Asterisk's `uniqueint`: every channel uniqueid Asterisk makes itself takes the next one.
    uniqueint: u64,
    /// The unreal channels' `name_sequence` (`core_unreal.c`), for `Local/…-<8 hex>;1`.
    local_seq: u32,
}

/// A simulated time in whole milliseconds (so 0.25 + 0.8 is 1.050, not 1.049…).
fn millis(t: f64) -> i64 {
    (t * 1000.0).round() as i64
}

/// `Y-m-d H:i:s.mmm` of a simulated time.
fn stamp(t: f64) -> String {
    let ms = millis(t);
    format!(
        "{}.{:03}",
        datetime(ms.div_euclid(1000)),
        ms.rem_euclid(1000)
    )
}

/// `strtotime()` of a stamp: whole seconds.
fn whole(t: f64) -> i64 {
    millis(t).div_euclid(1000)
}

impl PlacedCall {
    /// The call's phase at simulated time `now`.
    pub(crate) fn phase(&self, now: f64) -> Phase {
        if now >= self.ended {
            Phase::Ended
        } else if self.answered.is_some_and(|a| now >= a) {
            Phase::Up
        } else {
            Phase::Ringing
        }
    }

    /// Whether the permanent CDR row exists at `now`.
    pub(crate) fn in_cdr(&self, now: f64) -> bool {
        now >= self.ended + CDR_LAG
    }

    /// The CDR row id.
    pub(crate) fn id(&self) -> u64 {
        PLACED_ID_BASE + self.seq
    }

    fn account(&self, number: &str, internal: bool) -> String {
        if internal {
            number.to_string()
        } else {
            TRUNK.to_string()
        }
    }

    /// The temporary-CDR row while the call is live, with every column either pbx-status
    /// method shows (`start,answer,endtime,src_chan,dst_chan,src_num,src_name,dst_num,dst_name,
    /// did,linkedid`).
    pub(crate) fn live_row(&self, now: f64, names: &dyn Fn(&str) -> String) -> Value {
        let answer = match (self.phase(now), self.answered) {
            (Phase::Up, Some(a)) => stamp(a),
            _ => String::new(),
        };
        serde_json::json!({
            "start": stamp(self.placed),
            "answer": answer,
            "endtime": "",
            "src_chan": self.src_chan,
            "dst_chan": self.dst_chan,
            "src_num": self.from,
            "src_name": if self.from_internal { names(&self.from) } else { String::new() },
            "dst_num": self.to,
            "dst_name": if self.to_internal { names(&self.to) } else { String::new() },
            "did": self.did,
            "linkedid": self.linkedid,
        })
    }

    /// Seconds of talk written to the CDR.
    fn billsec(&self) -> i64 {
        self.answered.map_or(0, |a| whole(self.ended) - whole(a))
    }

    /// The permanent CDR row, with `token` in the recording URLs when the recording is
    /// published (a token is minted only then, see [`CallBook::mint`]); before that, the
    /// recording's fields are all empty, as the server shows a file that does not exist yet.
    pub(crate) fn cdr_row(&self, names: &dyn Fn(&str) -> String, token: Option<&str>) -> CdrRow {
        let url = |kind: &str| {
            token.map_or(String::new(), |t| {
                format!("/pbxcore/api/v3/cdr:{kind}?token={t}")
            })
        };
        let answered = self.answered.is_some();
        let recording = if token.is_some() {
            let hour = datetime(whole(self.placed)).replace(['-', ' '], "/");
            format!(
                "/storage/usbdisk1/mikopbx/astspool/monitor/{}/{}.mp3",
                hour.get(..13).unwrap_or(""),
                self.uniqueid
            )
        } else {
            String::new()
        };
        CdrRow {
            id: self.id(),
            start: stamp(self.placed),
            endtime: stamp(self.ended),
            answer: self.answered.map(stamp).unwrap_or_default(),
            src_chan: self.src_chan.clone(),
            src_num: self.from.clone(),
            src_name: if self.from_internal {
                names(&self.from)
            } else {
                String::new()
            },
            dst_chan: self.dst_chan.clone(),
            dst_num: self.to.clone(),
            dst_name: if self.to_internal {
                names(&self.to)
            } else {
                String::new()
            },
            uniqueid: self.uniqueid.clone(),
            linkedid: self.linkedid.clone(),
            did: self.did.clone(),
            disposition: if answered { "ANSWERED" } else { "NO ANSWER" },
            recordingfile: recording,
            from_account: self.account(&self.from, self.from_internal),
            to_account: self.account(&self.to, self.to_internal),
            dialstatus: if answered { "ANSWER" } else { "NOANSWER" },
            transfer: false,
            is_app: false,
            duration: (whole(self.ended) - whole(self.placed)).max(0),
            billsec: self.billsec(),
            verbose_call_id: format!("{:016x}", self.seq.wrapping_mul(0x9E37_79B9_7F4A_7C15)),
            playback_url: url("playback"),
            download_url: url("download"),
        }
    }

    /// The recording's file name as `download` offers it
    /// (`call_<src>_to_<dst>_<Y-m-d_H-i-s>.<ext>`, `DownloadRecordAction.php:190-207`).
    pub(crate) fn download_name(&self, ext: &str) -> String {
        download_name(&self.from, &self.to, whole(self.placed), ext)
    }

    /// Talk time in milliseconds (the recording's length).
    pub(crate) fn talk_ms(&self) -> u64 {
        self.answered
            .map_or(0, |a| ((self.ended - a) * 1000.0).round().max(0.0) as u64)
    }
}

impl CallBook {
    /// A channel uniqueid Asterisk makes for a channel created at `t`:
    /// `<systemname>-<time(NULL)>.<uniqueint++>` (`systemname = mikopbx`, `AsteriskConf.php:83`).
    fn new_uniqueid(&mut self, t: f64) -> String {
        self.uniqueint += 1;
        format!("mikopbx-{}.{}", whole(t), self.uniqueint)
    }

    /// The `Local/<data>` pair `ast_request("Local", …)` makes at `now` for an originate.
    pub(crate) fn local_pair(
        &mut self,
        data: &str,
        channel_id: Option<&str>,
        other_channel_id: Option<&str>,
        now: f64,
    ) -> LocalPair {
        let n = self.local_seq;
        self.local_seq = self.local_seq.wrapping_add(1);
        let uniqueid1 = channel_id.map_or_else(|| self.new_uniqueid(now), str::to_owned);
        let uniqueid2 = match (other_channel_id, channel_id) {
            (Some(other), _) => other.to_owned(),
            (None, Some(id)) => format!("{id};2"),
            (None, None) => self.new_uniqueid(now),
        };
        LocalPair {
            name1: format!("Local/{data}-{n:08x};1"),
            name2: format!("Local/{data}-{n:08x};2"),
            uniqueid1,
            uniqueid2,
        }
    }

    /// Places a call at simulated time `now`; `internal` tells whether a number is an
    /// extension of this PBX.
    pub(crate) fn place(
        &mut self,
        req: &CallRequest,
        now: f64,
        internal: &dyn Fn(&str) -> bool,
    ) -> String {
        let seq = self.calls.len() as u64 + 1;
        // The first channel's uniqueid is the linkedid: the `Local/…;1` of an originate (its
        // `ChannelId`), else the caller's channel (calls-events-recordings.md §3).
        let (originate, src_uniqueid, linkedid) = match &req.originate {
            Some(leg) => {
                let pair = self.local_pair(
                    &leg.data,
                    req.linkedid.as_deref(),
                    leg.other_channel_id.as_deref(),
                    now,
                );
                let linkedid = pair.uniqueid1.clone();
                let placed = PlacedOriginate {
                    leg: leg.clone(),
                    pair,
                    agent_answered: now + leg.agent_answer_ms as f64 / 1000.0,
                };
                (Some(placed), self.new_uniqueid(now), linkedid)
            }
            None => {
                let id = req
                    .linkedid
                    .clone()
                    .unwrap_or_else(|| self.new_uniqueid(now));
                (None, id.clone(), id)
            }
        };
        // An originate's customer leg is created when the redirected agent channel dials.
        let dst_created = originate
            .as_ref()
            .map_or(now, |o| o.agent_answered + REDIRECT_WAIT);
        let dst_uniqueid = self.new_uniqueid(dst_created);
        let (from_internal, to_internal) = (internal(&req.from), internal(&req.to));
        let chan = |number: &str, internal: bool, n: u64| {
            let endpoint = if internal { number } else { TRUNK };
            format!("PJSIP/{endpoint}-{:08x}", seq * 2 + n)
        };
        let did = if !from_internal && to_internal {
            req.did.clone().unwrap_or_else(|| DEFAULT_DID.to_string())
        } else {
            req.did.clone().unwrap_or_default()
        };
        let answered = req.answer_after_ms.map(|ms| now + ms as f64 / 1000.0);
        let ended = match answered {
            Some(a) => a + req.talk_ms as f64 / 1000.0,
            None => now + req.ring_ms as f64 / 1000.0,
        };
        // `<uniqueid>_<6 random>` (`extensions.lua:448`); derived from seq, stable per call.
        let suffix: String = format!("{:06x}", (seq.wrapping_mul(0x2545_F491) >> 8) & 0xFF_FFFF);
        self.calls.push(PlacedCall {
            seq,
            uniqueid: format!("{linkedid}_{suffix}"),
            linkedid: linkedid.clone(),
            from: req.from.clone(),
            to: req.to.clone(),
            did,
            from_internal,
            to_internal,
            placed: now,
            answered,
            ended,
            src_chan: chan(&req.from, from_internal, 0),
            dst_chan: chan(&req.to, to_internal, 1),
            src_uniqueid,
            dst_uniqueid,
            originate,
        });
        linkedid
    }

    /// The call placed last.
    pub(crate) fn last(&self) -> Option<&PlacedCall> {
        self.calls.last()
    }

    /// Calls that are live at `now`, oldest first.
    pub(crate) fn live(&self, now: f64) -> impl Iterator<Item = &PlacedCall> {
        self.calls
            .iter()
            .filter(move |c| c.phase(now) != Phase::Ended)
    }

    /// The call with this linkedid, once its CDR row exists at `now`.
    pub(crate) fn recorded(&self, linkedid: &str, now: f64) -> Option<&PlacedCall> {
        self.calls
            .iter()
            .find(|c| c.linkedid == linkedid && c.in_cdr(now))
    }

    /// Mints a playback/download token for an answered call whose recording is published (one
    /// per list call, as the server).
    pub(crate) fn mint(&mut self, call: &PlacedCall, token: String, now: f64) -> Option<String> {
        call.answered?;
        if now < call.ended + CDR_LAG + CONVERT_LAG {
            return None;
        }
        self.tokens
            .insert(token.clone(), (call.seq, now + TOKEN_TTL));
        Some(token)
    }

    /// The call a valid token belongs to; a use slides the token's expiry.
    pub(crate) fn redeem(&mut self, token: &str, now: f64) -> Option<PlacedCall> {
        let (seq, expires) = self.tokens.get_mut(token)?;
        if *expires <= now {
            return None;
        }
        *expires = now + TOKEN_TTL;
        let seq = *seq;
        self.calls.iter().find(|c| c.seq == seq).cloned()
    }
}

/// `call_<src>_to_<dst>_<Y-m-d_H-i-s>.<ext>`, the name `download` offers
/// (`DownloadRecordAction.php:190-207`).
pub(crate) fn download_name(src: &str, dst: &str, start: i64, ext: &str) -> String {
    let when = datetime(start).replace(' ', "_").replace(':', "-");
    format!("call_{src}_to_{dst}_{when}.{ext}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(json: &str) -> CallRequest {
        CallRequest::parse(json.as_bytes()).unwrap()
    }

    #[test]
    fn parses_the_documented_form_and_refuses_bad_numbers() {
        let r = req(r#"{"from":"79161234567","to":"201","answer_after_ms":800,"talk_ms":2500}"#);
        assert_eq!(r.answer_after_ms, Some(800));
        assert_eq!(r.talk_ms, 2500);
        assert_eq!(
            req(r#"{"from":"1","to":"2","answer_after_ms":null}"#).answer_after_ms,
            None
        );
        for bad in [
            r#"{"from":"7916,1","to":"201"}"#,
            r#"{"from":"79161234567"}"#,
            r#"{"from":"1","to":"2\n"}"#,
            r#"{"from":"1","to":"2","talk_ms":-1}"#,
            "not json",
        ] {
            assert!(CallRequest::parse(bad.as_bytes()).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_call_rings_is_answered_ends_and_is_recorded() {
        let mut book = CallBook::default();
        let internal = |n: &str| n.len() <= 4;
        let t0 = 1_800_000_000.25;
        let r = req(r#"{"from":"79161234567","to":"201","answer_after_ms":800,"talk_ms":2500}"#);
        let id = book.place(&r, t0, &internal);
        assert_eq!(id, "mikopbx-1800000000.1");
        let names = |_: &str| "Agent".to_string();
        let call = book.calls[0].clone();
        assert_eq!(call.phase(t0), Phase::Ringing);
        let row = call.live_row(t0 + 0.1, &names);
        assert_eq!(row["answer"], "");
        assert_eq!(row["did"], DEFAULT_DID);
        assert_eq!(row["start"], "2027-01-15 08:00:00.250");
        assert!(row["dst_chan"].as_str().unwrap().starts_with("PJSIP/201-"));
        assert_eq!(call.phase(t0 + 1.0), Phase::Up);
        assert_eq!(
            call.live_row(t0 + 1.0, &names)["answer"],
            "2027-01-15 08:00:01.050"
        );
        assert_eq!(call.phase(t0 + 3.3), Phase::Ended);
        assert!(book.recorded(&id, t0 + 3.4).is_none());
        let rec = book.recorded(&id, t0 + 3.3 + CDR_LAG).unwrap().clone();
        let row = rec.cdr_row(&names, Some("ab"));
        // strtotime() drops milliseconds: 08:00:03.550 - 08:00:00.250 → 3 s, talk 3 - 1 → 2 s.
        assert_eq!((row.duration, row.billsec), (3, 2));
        assert_eq!(row.playback_url, "/pbxcore/api/v3/cdr:playback?token=ab");
        assert_eq!(rec.talk_ms(), 2500);
        // While WorkerWav2Webm converts, the row is there but the recording is not.
        let written = t0 + 3.3 + CDR_LAG;
        assert!(book.mint(&rec, "t".into(), written).is_none());
        assert_eq!(rec.cdr_row(&names, None).recordingfile, "");
        let t1 = written + CONVERT_LAG;
        let token = book.mint(&rec, "t".into(), t1).unwrap();
        assert!(book.redeem(&token, t1 + TOKEN_TTL - 1.0).is_some());
        // Sliding: the use above extended it.
        assert!(book.redeem(&token, t1 + TOKEN_TTL + 1.0).is_some());
        assert!(book.redeem(&token, t1 + 3.0 * TOKEN_TTL).is_none());
    }

    #[test]
    fn an_unanswered_call_has_no_recording() {
        let mut book = CallBook::default();
        let r = req(r#"{"from":"202","to":"79161234567","ring_ms":1000}"#);
        let id = book.place(&r, 100.0, &|n: &str| n.len() <= 4);
        let call = book.recorded(&id, 102.0).unwrap().clone();
        let row = call.cdr_row(&|_: &str| String::new(), None);
        assert_eq!(row.disposition, "NO ANSWER");
        assert_eq!(row.did, "");
        assert_eq!(row.recordingfile, "");
        assert!(book.mint(&call, "x".into(), 102.0).is_none());
    }
}
