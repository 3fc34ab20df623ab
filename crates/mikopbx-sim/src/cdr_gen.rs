//! A deterministic call-record generator.
//!
//! Record `i` is a pure function of `(anchor, i)`: the first start fixes an anchor time (kept
//! in `state.json`), `count` records are spread evenly over the 365 days before it (each with
//! a seeded jitter that keeps start times increasing with the id), and the PBX "keeps making
//! calls" at the same rate afterwards, so calls from today always exist and new records appear
//! while the simulator runs. Nothing is stored, so 100 000 records cost no memory.
//!
//! Most calls are one leg. A call to the Sales queue (`2001`) is followed by a second leg, the
//! transfer to an agent, with the same `linkedid` (ids `n` and `n+1`), so the grouped CDR view
//! has real groups. Times are UTC (a real PBX writes its local time zone).

/// 365 days in seconds.
pub(crate) const YEAR: i64 = 365 * 86_400;

/// The generator.
#[derive(Debug, Clone)]
pub(crate) struct CdrGenerator {
    anchor: i64,
    step: f64,
}

/// The fields filters look at, cheap to compute.
#[derive(Debug, Clone)]
pub(crate) struct Call {
    /// The id of the call's first leg (its `linkedid` is built from it).
    pub(crate) head: u64,
    pub(crate) start: i64,
    pub(crate) src: String,
    pub(crate) dst: String,
    pub(crate) did: String,
    pub(crate) disposition: &'static str,
    pub(crate) ring: i64,
    pub(crate) billsec: i64,
    pub(crate) src_ext: bool,
}

fn mix(mut z: u64) -> u64 {
    // splitmix64: a tiny, well-distributed, seedable hash.
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The provider every generated outside call comes in over (its `from_account` / `to_account`).
pub(crate) const TRUNK: &str = "SIP-TRUNK-ABCDEF12";

const SEED: u64 = 0x4D49_4B4F_5042_5831; // "MIKOPBX1"
/// `kind` of a call from outside to the Sales queue.
const QUEUE_CALL: u64 = 7;

impl CdrGenerator {
    /// `count` records over the year before `anchor` (Unix seconds).
    pub(crate) fn new(anchor: i64, count: u64) -> Self {
        let count = count.max(1);
        CdrGenerator {
            anchor,
            step: (YEAR - 120) as f64 / count as f64,
        }
    }

    fn first_start(&self) -> i64 {
        self.anchor - YEAR
    }

    /// The start time of record `id` (increasing with `id`).
    pub(crate) fn start_of(&self, id: u64) -> i64 {
        let base = self.first_start() as f64 + (id.saturating_sub(1)) as f64 * self.step;
        let jitter = (mix(SEED ^ id) % (self.step.max(1.0) as u64).max(1)) as f64;
        (base + jitter.min(self.step - 1.0).max(0.0)) as i64
    }

    /// The highest id that has started by `now`.
    pub(crate) fn max_id(&self, now: i64) -> u64 {
        let elapsed = (now - self.first_start()).max(0) as f64;
        let mut id = (elapsed / self.step) as u64 + 1;
        while id > 0 && self.start_of(id) > now {
            id -= 1;
        }
        id
    }

    /// The first id whose start is at or after `t`.
    pub(crate) fn first_id_at(&self, t: i64, max: u64) -> u64 {
        let (mut lo, mut hi) = (1u64, max + 1);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self.start_of(mid) < t {
                lo = mid + 1
            } else {
                hi = mid
            }
        }
        lo
    }

    fn kind(id: u64) -> u64 {
        mix(SEED.wrapping_mul(31) ^ id.wrapping_mul(0x9E37)) % 10
    }

    /// Whether `id` is the agent leg of the queue call `id - 1`. In a run of queue calls the
    /// first is a head, the next its agent leg, the next a head again, and so on.
    pub(crate) fn is_agent_leg(id: u64) -> bool {
        let mut run = 0u32;
        let mut j = id;
        while j > 1 && run < 64 && Self::kind(j - 1) == QUEUE_CALL {
            run += 1;
            j -= 1;
        }
        run % 2 == 1
    }

    /// The first leg of the call `id` belongs to.
    pub(crate) fn head_of(id: u64) -> u64 {
        if Self::is_agent_leg(id) { id - 1 } else { id }
    }

    /// The `linkedid` of record `id`.
    pub(crate) fn linkedid(&self, id: u64) -> String {
        let head = Self::head_of(id);
        format!("mikopbx-{}.{}", self.start_of(head), head)
    }

    /// The cheap fields of record `id`.
    pub(crate) fn call(&self, id: u64) -> Call {
        let h = mix(SEED.wrapping_mul(31) ^ id.wrapping_mul(0x9E37));
        let h2 = mix(h);
        let ext = |x: u64| (201 + x % 50).to_string();
        let external = |x: u64| {
            format!(
                "7{}{:07}",
                [495, 499, 812, 903, 916, 926][(x % 6) as usize],
                x % 10_000_000
            )
        };
        let leg = Self::is_agent_leg(id);
        let (src, dst, did, src_ext) = if leg {
            // The agent leg keeps the caller and the DID of the queue leg.
            let head = self.call(id - 1);
            (head.src, ext(h >> 8), head.did, false)
        } else {
            match h % 10 {
                0..=3 => (external(h2), ext(h >> 8), "74951234567".to_string(), false),
                4..=6 => (ext(h >> 8), external(h2), String::new(), true),
                QUEUE_CALL => (
                    external(h2),
                    "2001".to_string(),
                    "74951234568".to_string(),
                    false,
                ),
                _ => {
                    let a = h >> 8;
                    (ext(a), ext(a + 1 + (h2 % 48)), String::new(), true)
                }
            }
        };
        let disposition = match (h >> 20) % 100 {
            0..=69 => "ANSWERED",
            70..=87 => "NO ANSWER",
            88..=94 => "BUSY",
            _ => "FAILED",
        };
        let ring = 2 + (h2 >> 10) as i64 % 28;
        let billsec = if disposition == "ANSWERED" {
            5 + (h2 >> 24) as i64 % 900
        } else {
            0
        };
        Call {
            head: if leg { id - 1 } else { id },
            start: self.start_of(id),
            src,
            dst,
            did,
            disposition,
            ring,
            billsec,
            src_ext,
        }
    }

    /// The fields a CDR group is built from.
    pub(crate) fn summary(&self, id: u64, names: &dyn Fn(&str) -> String) -> Summary {
        let c = self.call(id);
        let dst_is_ext = c.dst.len() <= 4;
        Summary {
            start: self.stamp(id, c.start),
            src_name: if c.src_ext {
                names(&c.src)
            } else {
                String::new()
            },
            dst_name: if dst_is_ext {
                names(&c.dst)
            } else {
                String::new()
            },
            duration: c.ring + c.billsec,
            billsec: c.billsec,
            src: c.src,
            dst: c.dst,
            did: c.did,
            disposition: c.disposition,
        }
    }

    /// `Y-m-d H:i:s.mmm` of a record's time, as the CDR table stores it.
    /// The `start` column of record `id`, as its rows carry it.
    pub(crate) fn start_text(&self, id: u64) -> String {
        self.stamp(id, self.call(id).start)
    }

    fn stamp(&self, id: u64, t: i64) -> String {
        format!("{}.{:03}", datetime(t), mix(id ^ 0x77) % 1000)
    }

    /// The JSON text of a record (`Lib/Cdr/DataStructure::createFromModel()`, same key order,
    /// PHP `json_encode()` escaping). Written directly: a page holds up to 1000 records.
    /// `names` maps an extension number to its employee name (`src_name` / `dst_name`).
    pub(crate) fn record_text(&self, id: u64, names: &dyn Fn(&str) -> String) -> String {
        let c = self.call(id);
        let answered = c.disposition == "ANSWERED";
        let duration = c.ring + c.billsec;
        let linkedid = self.linkedid(id);
        let trunk = TRUNK;
        let dst_is_ext = c.dst.len() <= 4;
        let account = |n: &str, ext: bool| {
            if ext {
                n.to_string()
            } else {
                trunk.to_string()
            }
        };
        let chan = |n: &str, ext: bool, salt: u64| {
            format!("PJSIP/{}-{:08x}", account(n, ext), mix(id ^ salt) as u32)
        };
        let recording = if answered {
            let day = datetime(c.start).replace(['-', ' '], "/");
            let d = day.get(..13).unwrap_or("");
            format!("/storage/usbdisk1/mikopbx/astspool/monitor/{d}/{linkedid}-{id}.mp3")
        } else {
            String::new()
        };
        let token = playback_token(id);
        let url = |kind: &str| {
            if answered {
                format!("/pbxcore/api/v3/cdr:{kind}?token={token}")
            } else {
                String::new()
            }
        };
        let dialstatus = match c.disposition {
            "ANSWERED" => "ANSWER",
            "NO ANSWER" => "NOANSWER",
            "BUSY" => "BUSY",
            _ => "CHANUNAVAIL",
        };
        CdrRow {
            id,
            start: self.stamp(id, c.start),
            endtime: self.stamp(id, c.start + duration),
            answer: if answered {
                self.stamp(id, c.start + c.ring)
            } else {
                String::new()
            },
            src_chan: chan(&c.src, c.src_ext, 1),
            src_name: if c.src_ext {
                names(&c.src)
            } else {
                String::new()
            },
            dst_chan: chan(&c.dst, dst_is_ext, 2),
            dst_name: if dst_is_ext {
                names(&c.dst)
            } else {
                String::new()
            },
            uniqueid: format!("{}.{}", c.start, id),
            linkedid,
            from_account: account(&c.src, c.src_ext),
            to_account: account(&c.dst, dst_is_ext),
            src_num: c.src,
            dst_num: c.dst.clone(),
            did: c.did,
            disposition: c.disposition,
            recordingfile: recording,
            dialstatus,
            transfer: c.head != id,
            is_app: c.dst == "2001",
            duration,
            billsec: c.billsec,
            verbose_call_id: format!("{:016x}", mix(id ^ 0x99)),
            playback_url: url("playback"),
            download_url: url("download"),
        }
        .to_json()
    }
}

/// The columns of one permanent CDR row, as `Lib/Cdr/DataStructure::createFromModel()` lists
/// them (src/PBXCoreREST/Lib/Cdr/DataStructure.php:51-124).
#[derive(Debug, Clone)]
pub(crate) struct CdrRow {
    pub(crate) id: u64,
    pub(crate) start: String,
    pub(crate) endtime: String,
    pub(crate) answer: String,
    pub(crate) src_chan: String,
    pub(crate) src_num: String,
    pub(crate) src_name: String,
    pub(crate) dst_chan: String,
    pub(crate) dst_num: String,
    pub(crate) dst_name: String,
    pub(crate) uniqueid: String,
    pub(crate) linkedid: String,
    pub(crate) did: String,
    pub(crate) disposition: &'static str,
    pub(crate) recordingfile: String,
    pub(crate) from_account: String,
    pub(crate) to_account: String,
    pub(crate) dialstatus: &'static str,
    pub(crate) transfer: bool,
    pub(crate) is_app: bool,
    pub(crate) duration: i64,
    pub(crate) billsec: i64,
    pub(crate) verbose_call_id: String,
    pub(crate) playback_url: String,
    pub(crate) download_url: String,
}

impl CdrRow {
    /// The JSON text (same key order, PHP `json_encode()` escaping).
    pub(crate) fn to_json(&self) -> String {
        let flag = |b: bool| if b { "1" } else { "0" };
        let mut o = JsonObject::new();
        o.num("id", self.id as i64);
        o.str("start", &self.start);
        o.str("endtime", &self.endtime);
        o.str("answer", &self.answer);
        o.str("src_chan", &self.src_chan);
        o.str("src_num", &self.src_num);
        o.str("src_name", &self.src_name);
        o.str("dst_chan", &self.dst_chan);
        o.str("dst_num", &self.dst_num);
        o.str("dst_name", &self.dst_name);
        o.str("UNIQUEID", &self.uniqueid);
        o.str("linkedid", &self.linkedid);
        o.str("did", &self.did);
        o.str("disposition", self.disposition);
        o.str("recordingfile", &self.recordingfile);
        o.str("from_account", &self.from_account);
        o.str("to_account", &self.to_account);
        o.str("dialstatus", self.dialstatus);
        o.str("appname", "Dial");
        o.str("transfer", flag(self.transfer));
        o.str("is_app", flag(self.is_app));
        o.num("duration", self.duration);
        o.num("billsec", self.billsec);
        o.str("work_completed", "1");
        o.str("src_call_id", "");
        o.str("dst_call_id", "");
        o.str("verbose_call_id", &self.verbose_call_id);
        o.str("rec_src_channel", "");
        o.str("dtmf_digits", "");
        o.str("playback_url", &self.playback_url);
        o.str("download_url", &self.download_url);
        o.finish()
    }
}

/// What a CDR group needs from one record.
#[derive(Debug, Clone)]
pub(crate) struct Summary {
    pub(crate) start: String,
    pub(crate) src: String,
    pub(crate) src_name: String,
    pub(crate) dst: String,
    pub(crate) dst_name: String,
    pub(crate) did: String,
    pub(crate) disposition: &'static str,
    pub(crate) duration: i64,
    pub(crate) billsec: i64,
}

/// A JSON object written as text, in insertion order, with PHP's escaping.
pub(crate) struct JsonObject(String);

impl JsonObject {
    /// An empty object.
    pub(crate) fn new() -> Self {
        JsonObject(String::from("{"))
    }

    fn key(&mut self, k: &str) {
        if self.0.len() > 1 {
            self.0.push(',');
        }
        push_json_str(&mut self.0, k);
        self.0.push(':');
    }

    /// A string member.
    pub(crate) fn str(&mut self, k: &str, v: &str) {
        self.key(k);
        push_json_str(&mut self.0, v);
    }

    /// An integer member.
    pub(crate) fn num(&mut self, k: &str, v: i64) {
        self.key(k);
        self.0.push_str(&v.to_string());
    }

    /// A member whose value is already JSON text.
    pub(crate) fn raw(&mut self, k: &str, json: &str) {
        self.key(k);
        self.0.push_str(json);
    }

    /// The finished text.
    pub(crate) fn finish(mut self) -> String {
        self.0.push('}');
        self.0
    }
}

/// Append `s` as a JSON string the way PHP's `json_encode()` writes it by default.
pub(crate) fn push_json_str(out: &mut String, s: &str) {
    out.push('"');
    let mut rest = s;
    // Runs of plain ASCII are copied whole: a page of 1000 records is mostly such runs.
    let plain = |b: u8| (0x20..0x80).contains(&b) && !matches!(b, b'"' | b'\\' | b'/');
    while let Some(i) = rest.bytes().position(|b| !plain(b)) {
        out.push_str(&rest[..i]);
        // `i` starts a character: every byte before it is ASCII.
        let Some(c) = rest[i..].chars().next() else {
            break;
        };
        push_escaped(out, c);
        rest = &rest[i + c.len_utf8()..];
    }
    out.push_str(rest);
    out.push('"');
}

fn push_escaped(out: &mut String, c: char) {
    let mut units = [0u16; 2];
    match c {
        '"' => out.push_str("\\\""),
        '\\' => out.push_str("\\\\"),
        '/' => out.push_str("\\/"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
        c if c.is_ascii() => out.push(c),
        c => {
            for u in c.encode_utf16(&mut units).iter() {
                out.push_str(&format!("\\u{u:04x}"));
            }
        }
    }
}

/// `Y-m-d H:i:s` of a Unix time (UTC), without chrono's format-string parsing: the record
/// generator formats four timestamps per record and lists serve up to 1000 records.
pub(crate) fn datetime(t: i64) -> String {
    // Howard Hinnant's civil-from-days.
    let days = t.div_euclid(86_400);
    let secs = t.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// The 32-hex playback token of a record (stable, so links keep working).
pub(crate) fn playback_token(id: u64) -> String {
    format!("{:016x}{:016x}", mix(id ^ 0xAA), mix(id ^ 0x55))
}

/// The record id a playback token belongs to, searching ids up to `max`.
pub(crate) fn id_for_token(token: &str, max: u64) -> Option<u64> {
    if token.len() != 32 {
        return None;
    }
    let first = u64::from_str_radix(token.get(..16)?, 16).ok()?;
    (1..=max)
        .find(|id| mix(id ^ 0xAA) == first)
        .filter(|id| playback_token(*id) == token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_monotonic_and_today() {
        let now = 1_800_000_000;
        let g = CdrGenerator::new(now, 100_000);
        let names = |n: &str| format!("Ext {n}");
        assert_eq!(
            g.record_text(42, &names),
            CdrGenerator::new(now, 100_000).record_text(42, &names)
        );
        let v: serde_json::Value = serde_json::from_str(&g.record_text(42, &names)).unwrap();
        assert_eq!(v["id"], 42);
        let mut out = String::new();
        push_json_str(&mut out, "a/b \"q\" \\ é\u{1F600}\n");
        assert_eq!(out, r#""a\/b \"q\" \\ \u00e9\ud83d\ude00\n""#);
        // Queue calls have an agent leg with the same linkedid.
        let head = (1..5000)
            .find(|i| CdrGenerator::kind(*i) == QUEUE_CALL && !CdrGenerator::is_agent_leg(*i))
            .unwrap();
        assert!(CdrGenerator::is_agent_leg(head + 1));
        assert_eq!(g.linkedid(head), g.linkedid(head + 1));
        assert_eq!(g.call(head + 1).src, g.call(head).src);
        let max = g.max_id(now);
        assert!((99_990..=100_000).contains(&max), "{max}");
        for id in 1..2000 {
            assert!(g.start_of(id) < g.start_of(id + 1));
        }
        assert!(g.start_of(max) > now - 3600);
        assert!(g.start_of(1) >= now - YEAR);
        assert!(g.max_id(now + 86_400) > max + 200);
        let t = g.start_of(5000);
        assert_eq!(g.first_id_at(t, max), 5000);
        assert_eq!(id_for_token(&playback_token(77), 100), Some(77));
        for t in [0, 951_782_400, 1_709_251_199, 1_800_000_000, -86_400] {
            let want = chrono::DateTime::from_timestamp(t, 0)
                .unwrap()
                .format("%Y-%m-%d %H:%M:%S")
                .to_string();
            assert_eq!(datetime(t), want);
        }
    }
}
