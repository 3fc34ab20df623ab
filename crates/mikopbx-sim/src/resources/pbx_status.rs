//! `pbx-status:getActiveCalls` and `pbx-status:getActiveChannels` (mikopbx-api.md §5).
//!
//! Shapes from `Lib/PbxStatus/*` and `Lib/CdrDB/GetActive*Action.php`.
//! The live state is a pure function of the real time: every 10-second slot has 0–5 calls
//! between seeded extensions and outside numbers, so tests see the list change over time and
//! two clients asking in the same slot see the same calls.

use serde_json::{Value, json};

use super::Call;
use crate::app::lock;
use crate::envelope::ApiResult;

fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The calls in progress at real time `now` (seconds).
pub(crate) fn active_calls(now: i64, names: &dyn Fn(&str) -> String) -> Vec<Value> {
    let slot = (now / 10) as u64;
    let n = mix(slot) % 6;
    (0..n)
        .map(|i| {
            let h = mix(slot.wrapping_mul(7) + i);
            let ext = (201 + h % 50).to_string();
            let outside = format!("7916{:07}", (h >> 16) % 10_000_000);
            let started = now - 5 - (h >> 40) as i64 % 600;
            let answered = !(h >> 8).is_multiple_of(4);
            let incoming = h.is_multiple_of(2);
            let (src, dst) = if incoming { (outside.clone(), ext.clone()) } else { (ext.clone(), outside.clone()) };
            let fmt = |t: i64| chrono::DateTime::from_timestamp(t, 0).map(|d| d.format("%Y-%m-%d %H:%M:%S").to_string()).unwrap_or_default();
            json!({
                "start": fmt(started),
                "answer": if answered { fmt(started + 4) } else { String::new() },
                "endtime": "",
                "src_num": src,
                "src_name": if incoming { String::new() } else { names(&ext) },
                "dst_num": dst,
                "dst_name": if incoming { names(&ext) } else { String::new() },
                "did": if incoming { "74951234567" } else { "" },
                "linkedid": format!("mikopbx-{started}.{}", h % 100_000),
                "src_chan": format!("PJSIP/{}-{:08x}", if incoming { "SIP-TRUNK-ABCDEF12" } else { ext.as_str() }, h as u32),
                "dst_chan": format!("PJSIP/{}-{:08x}", if incoming { ext.as_str() } else { "SIP-TRUNK-ABCDEF12" }, (h >> 32) as u32),
            })
        })
        .collect()
}

pub(crate) fn handle(call: &Call<'_>) -> ApiResult {
    let now = chrono::Utc::now().timestamp();
    let names = |n: &str| {
        call.app.read(|s| {
            s.employee_by_number(n)
                .map(|e| e.username.clone())
                .unwrap_or_default()
        })
    };
    let mut calls = active_calls(now, &names);
    // Calls placed through `/_sim/calls`, by the simulated clock, after the background ones
    // (the temporary CDR table is read in id order).
    let sim_now = call.app.cfg.clock.now();
    calls.extend(
        lock(&call.app.calls)
            .live(sim_now)
            .map(|c| c.live_row(sim_now, &names)),
    );
    // The temporary CDR rows (`Lib/CdrDB/GetActive*Action.php`): calls carry
    // start,answer,endtime,src_num,src_name,dst_num,dst_name,did,linkedid; channels carry
    // start,answer,src_chan,dst_chan,src_num,src_name,dst_num,dst_name,did,linkedid.
    let pick = |keys: &[&str]| -> Vec<Value> {
        calls
            .iter()
            .map(|c| {
                Value::Object(
                    keys.iter()
                        .map(|k| (k.to_string(), c[*k].clone()))
                        .collect(),
                )
            })
            .collect()
    };
    match call.action {
        "getActiveCalls" => call.ok(Value::Array(pick(&[
            "start", "answer", "endtime", "src_num", "src_name", "dst_num", "dst_name", "did",
            "linkedid",
        ]))),
        _ => call.ok(Value::Array(pick(&[
            "start", "answer", "src_chan", "dst_chan", "src_num", "src_name", "dst_num",
            "dst_name", "did", "linkedid",
        ]))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_change_over_time_and_are_stable_within_a_slot() {
        let names = |_: &str| String::from("Name");
        let base = 1_800_000_000;
        assert_eq!(active_calls(base, &names), active_calls(base + 1, &names));
        let counts: std::collections::BTreeSet<usize> = (0..50)
            .map(|i| active_calls(base + i * 10, &names).len())
            .collect();
        assert!(counts.len() >= 3, "{counts:?}");
        let c = &active_calls(base + 20, &names);
        assert!(c.iter().all(|x| {
            x["linkedid"]
                .as_str()
                .is_some_and(|l| l.starts_with("mikopbx-"))
        }));
    }
}
