//! `cdr` (mikopbx-api.md §4, §5), following `Lib/Cdr/GetListAction.php` at develop@e26e6b9.
//!
//! `data = {"records":[…],"pagination":{"total","limit","offset","hasMore","lastId"}}`.
//! * `grouped` (default **true**; PHP `FILTER_VALIDATE_BOOLEAN`): `records` are groups by
//!   `linkedid` — `{linkedid,start,src_num,src_name,dst_num,dst_name,did,disposition,
//!   totalDuration,totalBillsec,records:[…]}` — paged and counted by group, ordered by the
//!   MAX of the sort field over each group's matching records; a group holds every record of
//!   its linkedid, sorted by start. `grouped=false`: flat records.
//! * `limit` default 50, clamped to 1–1000; negative `offset` → 422; `idFrom=N` → `id > N`;
//!   `sort` ∈ {id,start,linkedid,src_num,dst_num,did,disposition,duration,billsec} (else id),
//!   `order` ASC/DESC (else DESC).
//! * `dateFrom`/`dateTo` (`YYYY-MM-DD` gets 00:00:00 / 23:59:59): with both, a bad date or a
//!   range over 365 days → 422. With no dateFrom/dateTo/linkedid/src_num/dst_num/search/did,
//!   the last 30 days. `src_num`, `dst_num`, `did` are `LIKE %x%`; `disposition`, `linkedid`
//!   exact; `search` matches numbers or the extensions of employees whose name/number/email
//!   contains it.
//! * `hasMore = offset + limit < total`; `lastId` is the id of the page's last record (of the
//!   last group, sorted by start), null for an empty page. Ids and durations are integers.
//! * `GET /cdr/{id}` is the server's stub: `result:true`, `data:[]` (issue #997).

use std::collections::{HashMap, HashSet};

use chrono::{NaiveDate, NaiveDateTime};
use http::header;
use serde_json::{Value, json};

use super::{Call as ApiCall, like};
use crate::app::lock;
use crate::audio::{silent_mp3, silent_ogg, silent_wav, silent_webm};
use crate::cdr_gen::{CdrGenerator, CdrRow, JsonObject, Summary, datetime, id_for_token};
use crate::envelope::ApiResult;
use crate::util::random_hex;

fn parse_date(s: &str, end_of_day: bool) -> Option<i64> {
    let s = s.trim();
    if let Ok(dt) = NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S") {
        return Some(dt.and_utc().timestamp());
    }
    if let Ok(dt) = NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S") {
        return Some(dt.and_utc().timestamp());
    }
    let d = NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()?;
    let t = if end_of_day {
        d.and_hms_opt(23, 59, 59)?
    } else {
        d.and_hms_opt(0, 0, 0)?
    };
    Some(t.and_utc().timestamp())
}

pub(crate) fn handle(call: &ApiCall<'_>) -> ApiResult {
    match call.action {
        "getList" => list(call),
        // The real GetRecordAction is a TODO stub returning empty data.
        "getRecord" => call.ok(json!([])),
        "getMetadata" => metadata(call),
        "playback" | "download" => playback(call),
        "delete" => delete(call),
        _ => call.fail("Unknown action"),
    }
}

fn delete(call: &ApiCall<'_>) -> ApiResult {
    let raw = call.route.id.clone().unwrap_or_default();
    let max = call.app.cdr.max_id(chrono::Utc::now().timestamp());
    // A numeric id, or the linkedid `mikopbx-<start>.<id>` of a single-leg call.
    let id = raw.parse::<u64>().ok().or_else(|| {
        raw.rsplit('.')
            .next()
            .and_then(|t| t.parse().ok())
            .filter(|_| raw.starts_with("mikopbx-"))
    });
    let Some(id) = id.filter(|i| (1..=max).contains(i)) else {
        return call.fail(format!("CDR record {raw} not found")).code(404);
    };
    let newly = call.app.write(|s| {
        if s.cdr_deleted.contains(&id) {
            false
        } else {
            s.cdr_deleted.push(id);
            true
        }
    });
    if !newly {
        return call.fail(format!("CDR record {raw} not found")).code(404);
    }
    call.ok(json!({"deleted": [id], "deletedRecordings": call.ctx.bool("deleteRecording").unwrap_or(false)}))
}

/// `Lib/Cdr/GetMetadataAction.php`: the date range of the `limit` most recent rows of
/// `cdr_general` (`limit` = `min(intval($data['limit'] ?? 100), 1000)`), for the UI's date
/// picker: `{earliestDate, latestDate, hasRecords, sampleSize}`, the dates as the `start` column
/// holds them, both `null` when there is no row. A negative `limit` reaches SQLite as a negative
/// `LIMIT`, which means no limit; `0` selects nothing.
fn metadata(call: &ApiCall<'_>) -> ApiResult {
    let g = &call.app.cdr;
    let max = g.max_id(chrono::Utc::now().timestamp());
    let limit = call.ctx.int("limit").unwrap_or(100).min(1000);
    let wanted = usize::try_from(limit).unwrap_or(usize::MAX);
    let deleted: HashSet<u64> = call.app.read(|s| s.cdr_deleted.iter().copied().collect());
    // Ids grow with `start`, so the most recent rows are the highest ids left.
    let recent: Vec<u64> = (1..=max)
        .rev()
        .filter(|id| !deleted.contains(id))
        .take(wanted)
        .collect();
    match (recent.first(), recent.last()) {
        (Some(&latest), Some(&earliest)) => call.ok(json!({
            "earliestDate": g.start_text(earliest),
            "latestDate": g.start_text(latest),
            "hasRecords": true,
            "sampleSize": recent.len(),
        })),
        _ => call.ok(json!({
            "earliestDate": null,
            "latestDate": null,
            "hasRecords": false,
            "sampleSize": 0,
        })),
    }
}

fn playback(call: &ApiCall<'_>) -> ApiResult {
    if call.ctx.str("view").is_some() {
        return legacy_view(call);
    }
    let token = call.ctx.str("token").unwrap_or_default();
    if token.is_empty() {
        // DataStructure.php:331-373 / PlaybackAction.php:111-115.
        return call
            .fail("Either token or view parameter must be provided")
            .code(400);
    }
    let now = call.app.cfg.clock.now();
    if let Some(placed) = lock(&call.app.calls).redeem(&token, now) {
        return placed_recording(call, &placed);
    }
    let max = call.app.cdr.max_id(chrono::Utc::now().timestamp());
    match id_for_token(&token, max) {
        // The generated history's recordings (stable tokens, so links in old exports keep
        // working: a simplification; the server mints a new one per list call).
        Some(id) => {
            let c = call.app.cdr.call(id);
            let ms = u64::try_from(c.billsec.max(1)).unwrap_or(1) * 1000;
            let name = |ext: &str| crate::calls::download_name(&c.src, &c.dst, c.start, ext);
            recording_answer(call, ms, &name)
        }
        None => call.fail("Invalid or expired playback token").code(403),
    }
}

/// The legacy `view=<absolute path>` form: public, no token, any file of the monitor directory
/// (`PlaybackAction.php:96-110, 230-296`; `shared/calls-events-recordings.md` §5.4). The
/// simulator counts these requests in its state (`legacy_view_requests`) so that tests can prove
/// the SDK never makes one, and answers with the server's 404 for a path it does not hold.
fn legacy_view(call: &ApiCall<'_>) -> ApiResult {
    call.app.write(|s| s.legacy_view_requests += 1);
    call.fail("Recording file not found").code(404)
}

/// The recording of a call, as `PlaybackAction` / `DownloadRecordAction` send it
/// (`BaseController.php:541-727`): the type by extension (`getAudioMimeType()`: mp3 →
/// `audio/mpeg`, wav → `audio/wav`), `Accept-Ranges`, `X-Audio-Duration`, `Content-Disposition`
/// inline (playback) or attachment with `call_<src>_to_<dst>_<date>.<ext>` (download), and
/// `Range: bytes=N-[M]` → 206 with `Content-Range`, anything else in Range → 416.
/// The original is MP3 (what older MikoPBX releases stored; new ones store WebM after
/// `WorkerWav2Webm`); `format=wav|webm|ogg` converts, as ffmpeg does on the PBX
/// (`PlaybackAction.php:153-184`), to real files of the same length (`crate::audio`).
fn placed_recording(call: &ApiCall<'_>, placed: &crate::calls::PlacedCall) -> ApiResult {
    recording_answer(call, placed.talk_ms(), &|ext| placed.download_name(ext))
}

/// A recording of `ms` milliseconds, named by `download_name(ext)` for `download`.
fn recording_answer(
    call: &ApiCall<'_>,
    ms: u64,
    download_name: &dyn Fn(&str) -> String,
) -> ApiResult {
    let (ext, ctype, bytes) = match call.ctx.str("format").as_deref() {
        Some("wav") => ("wav", "audio/wav", silent_wav(ms)),
        Some("webm") => ("webm", "audio/webm", silent_webm(ms)),
        Some("ogg") => ("ogg", "audio/ogg", silent_ogg(ms)),
        _ => ("mp3", "audio/mpeg", silent_mp3(ms)),
    };
    let size = bytes.len();
    let disposition = if call.action == "download" {
        format!("attachment; filename=\"{}\"", download_name(ext))
    } else {
        "inline".to_string()
    };
    let mut r = call.ok(json!([]));
    r.headers.push((header::ACCEPT_RANGES, "bytes".into()));
    r.headers.push((header::CONTENT_DISPOSITION, disposition));
    r.headers.push((
        header::HeaderName::from_static("x-audio-duration"),
        format!("{:.3}", ms as f64 / 1000.0),
    ));
    let body = match call.ctx.header("range") {
        None => bytes,
        Some(range) => match parse_range(range, size) {
            Some((a, b)) => {
                r.http_code = Some(206);
                r.headers
                    .push((header::CONTENT_RANGE, format!("bytes {a}-{b}/{size}")));
                bytes[a..=b].to_vec()
            }
            None => {
                r.http_code = Some(416);
                r.headers
                    .push((header::CONTENT_RANGE, format!("bytes */{size}")));
                Vec::new()
            }
        },
    };
    r.raw = Some((ctype.to_string(), body));
    r
}

/// `bytes=(\d+)-(\d*)` within a body of `size` bytes (no suffix or multi-ranges, as the server).
fn parse_range(v: &str, size: usize) -> Option<(usize, usize)> {
    let (a, b) = v.trim().strip_prefix("bytes=")?.split_once('-')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit());
    if !digits(a) || !(b.is_empty() || digits(b)) {
        return None;
    }
    let a: usize = a.parse().ok()?;
    let b: usize = if b.is_empty() {
        size.checked_sub(1)?
    } else {
        b.parse::<usize>().ok()?.min(size.checked_sub(1)?)
    };
    (a <= b).then_some((a, b))
}

/// `GET /cdr?linkedid=<a placed call>`: its one row (flat) or group (grouped), with a freshly
/// minted recording token, once WorkerCdr has written it; `None` when `linkedid` names no
/// placed call. Other filters that can exclude it (idFrom, disposition, offset) are applied.
fn placed_list(
    call: &ApiCall<'_>,
    linkedid: &str,
    grouped: bool,
    limit: usize,
) -> Option<ApiResult> {
    let ctx = call.ctx;
    let now = call.app.cfg.clock.now();
    let mut book = lock(&call.app.calls);
    let placed = book.recorded(linkedid, now)?.clone();
    let names = |n: &str| {
        call.app.read(|s| {
            s.employee_by_number(n)
                .map(|e| e.username.clone())
                .unwrap_or_default()
        })
    };
    let token = book.mint(&placed, random_hex(16), now);
    drop(book);
    let row = placed.cdr_row(&names, token.as_deref());
    let keep = ctx.int("idFrom").is_none_or(|f| (row.id as i64) > f)
        && ctx.str("disposition").is_none_or(|d| d == row.disposition);
    let offset = ctx.int("offset").unwrap_or(0).max(0) as usize;
    let total = usize::from(keep);
    let shown = keep && offset == 0;
    let items: Vec<String> = if !shown {
        Vec::new()
    } else if grouped {
        vec![CdrGroup::of_one(&row).to_json(&[row.to_json()])]
    } else {
        vec![row.to_json()]
    };
    Some(records_page(
        call,
        &items,
        total,
        limit,
        offset,
        shown.then_some(row.id),
    ))
}

/// The ids `lo..=hi` that are not deleted, in id order (descending with `desc`): how many there
/// are, and the `limit` of them after the first `offset`.
fn id_run(
    lo: u64,
    hi: u64,
    deleted: &HashSet<u64>,
    offset: usize,
    limit: usize,
    desc: bool,
) -> (usize, Vec<u64>) {
    if lo > hi {
        return (0, Vec::new());
    }
    let gone = deleted.iter().filter(|d| (lo..=hi).contains(*d)).count();
    let total = usize::try_from(hi - lo + 1).unwrap_or(usize::MAX) - gone;
    let live = |id: &u64| !deleted.contains(id);
    let page = if desc {
        (lo..=hi)
            .rev()
            .filter(live)
            .skip(offset)
            .take(limit)
            .collect()
    } else {
        (lo..=hi).filter(live).skip(offset).take(limit).collect()
    };
    (total, page)
}

/// A CDR sort key: text fields sort as text, numbers as numbers.
type SortKey = (String, i64);

fn sort_key(g: &CdrGenerator, id: u64, sort: &str) -> SortKey {
    match sort {
        "src_num" | "dst_num" | "did" | "disposition" | "duration" | "billsec" => {
            let c = g.call(id);
            match sort {
                "src_num" => (c.src, 0),
                "dst_num" => (c.dst, 0),
                "did" => (c.did, 0),
                "disposition" => (c.disposition.to_string(), 0),
                "duration" => (String::new(), c.ring + c.billsec),
                _ => (String::new(), c.billsec),
            }
        }
        // id, start and linkedid all grow with the id.
        _ => (String::new(), id as i64),
    }
}

/// PHP's `filter_var($v, FILTER_VALIDATE_BOOLEAN)`.
fn php_bool(v: &str) -> bool {
    matches!(
        v.trim().to_ascii_lowercase().as_str(),
        "1" | "true" | "on" | "yes"
    )
}

fn list(call: &ApiCall<'_>) -> ApiResult {
    let ctx = call.ctx;
    let g: &CdrGenerator = &call.app.cdr;
    let now = chrono::Utc::now().timestamp();
    let max = g.max_id(now);
    let text = |k: &str| match ctx.params.get(k) {
        Some(Value::String(s)) => Some(s.clone()),
        _ => None,
    };

    // `Lib/Cdr/GetListAction::handleRestRequest()`.
    let limit = ctx.int("limit").unwrap_or(50).clamp(1, 1000) as usize;
    let offset = ctx.int("offset").unwrap_or(0);
    if offset < 0 {
        return call
            .fail(format!(
                "Invalid offset value: {offset}. Offset must be non-negative."
            ))
            .code(422);
    }
    let offset = offset as usize;
    let id_from = ctx
        .params
        .get("idFrom")
        .map(|_| ctx.int("idFrom").unwrap_or(0));
    let (mut date_from, mut date_to) = (text("dateFrom"), text("dateTo"));
    let (src, dst, did) = (text("src_num"), text("dst_num"), text("did"));
    let (disp, linked, search) = (text("disposition"), text("linkedid"), text("search"));
    if let (Some(f), Some(t)) = (&date_from, &date_to) {
        match (parse_date(f, false), parse_date(t, true)) {
            (Some(a), Some(b)) => {
                if (b - a).abs() / 86_400 > 365 {
                    return call
                        .fail("Date range exceeds maximum allowed (365 days). Please narrow your search criteria.")
                        .code(422);
                }
            }
            _ => {
                return call
                    .fail("Invalid date format. Expected: YYYY-MM-DD or YYYY-MM-DD HH:MM:SS")
                    .code(422);
            }
        }
    }
    // No filter at all: the last 30 days (disposition and idFrom do not count as filters).
    if date_from.is_none()
        && date_to.is_none()
        && linked.is_none()
        && src.is_none()
        && dst.is_none()
        && search.is_none()
        && did.is_none()
    {
        let today = chrono::Utc::now().date_naive();
        date_from = Some(
            (today - chrono::Duration::days(30))
                .format("%Y-%m-%d")
                .to_string(),
        );
        date_to = Some(today.format("%Y-%m-%d").to_string());
    }
    let sort = text("sort").filter(|s| {
        [
            "id",
            "start",
            "linkedid",
            "src_num",
            "dst_num",
            "did",
            "disposition",
            "duration",
            "billsec",
        ]
        .contains(&s.as_str())
    });
    let sort = sort.unwrap_or_else(|| "id".into());
    let desc = text("order").is_none_or(|o| !o.eq_ignore_ascii_case("asc"));
    let grouped =
        ctx.params.get("grouped").is_none() || ctx.str("grouped").is_some_and(|v| php_bool(&v));
    if let Some(r) = linked
        .as_deref()
        .and_then(|l| placed_list(call, l, grouped, limit))
    {
        return r;
    }

    // Date bounds as Unix seconds; an unparsable single bound is compared as text, like SQLite.
    let from_ts = date_from.as_deref().and_then(|d| parse_date(d, false));
    let to_ts = date_to.as_deref().and_then(|d| parse_date(d, true));
    let from_text = date_from.filter(|_| from_ts.is_none());
    let to_text = date_to.filter(|_| to_ts.is_none());
    let lo = from_ts.map(|f| g.first_id_at(f, max)).unwrap_or(1);
    let mut lo = lo.max(1);
    let hi = to_ts
        .map(|t| g.first_id_at(t + 1, max).saturating_sub(1))
        .unwrap_or(max)
        .min(max);
    if let Some(i) = id_from {
        lo = lo.max(u64::try_from(i).map(|i| i.saturating_add(1)).unwrap_or(1));
    }

    let (deleted, ext_names, search_exts) = call.app.read(|s| {
        let deleted: HashSet<u64> = s.cdr_deleted.iter().copied().collect();
        let names: HashMap<String, String> = s
            .employees
            .values()
            .map(|e| (e.number.clone(), e.username.clone()))
            .collect();
        // `search` also matches calls of extensions whose search_index (name, number, email,
        // mobile) contains the phrase.
        let q = search.as_deref().map(str::trim).unwrap_or("");
        let exts: Vec<String> = if q.is_empty() {
            Vec::new()
        } else {
            s.employees
                .values()
                .filter(|e| {
                    [&e.username, &e.number, &e.email, &e.mobile_number]
                        .iter()
                        .any(|f| like(f, q))
                })
                .flat_map(|e| [e.number.clone(), e.mobile_number.clone()])
                .filter(|n| !n.is_empty())
                .collect()
        };
        (deleted, names, exts)
    });
    let names = |n: &str| ext_names.get(n).cloned().unwrap_or_default();
    let content_filter = src.is_some()
        || dst.is_some()
        || did.is_some()
        || disp.is_some()
        || linked.is_some()
        || search.as_deref().is_some_and(|q| !q.trim().is_empty())
        || from_text.is_some()
        || to_text.is_some();

    // The export path (flat records in id order, no filter on their content): the page is a run
    // of ids, found from the id and date bounds without visiting the rest of the window.
    // `start` and `linkedid` grow with the id, so they order alike (see `sort_key`).
    if !grouped && !content_filter && matches!(sort.as_str(), "id" | "start" | "linkedid") {
        let (total, page) = id_run(lo, hi, &deleted, offset, limit, desc);
        let items: Vec<String> = page.iter().map(|id| g.record_text(*id, &names)).collect();
        return records_page(call, &items, total, limit, offset, page.last().copied());
    }

    let mut matches: Vec<u64> = Vec::new();
    for id in lo..=hi {
        if deleted.contains(&id) {
            continue;
        }
        if content_filter {
            let c = g.call(id);
            let q = search.as_deref().map(str::trim).unwrap_or("");
            let start = datetime(c.start);
            let ok = src.as_ref().is_none_or(|s| like(&c.src, s))
                && dst.as_ref().is_none_or(|s| like(&c.dst, s))
                && did.as_ref().is_none_or(|s| like(&c.did, s))
                && disp.as_ref().is_none_or(|s| c.disposition == s)
                && linked.as_ref().is_none_or(|s| *s == g.linkedid(id))
                && from_text
                    .as_ref()
                    .is_none_or(|f| start.as_str() >= f.as_str())
                && to_text
                    .as_ref()
                    .is_none_or(|t| start.as_str() <= t.as_str())
                && (q.is_empty()
                    || like(&c.src, q)
                    || like(&c.dst, q)
                    || like(&c.did, q)
                    || search_exts.iter().any(|e| *e == c.src || *e == c.dst));
            if !ok {
                continue;
            }
        }
        matches.push(id);
    }

    let order = |keyed: &mut Vec<(SortKey, u64)>| {
        keyed.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));
        if desc {
            keyed.reverse();
        }
    };
    let (total, items, last_id): (usize, Vec<String>, Option<u64>) = if grouped {
        // Groups by linkedid, ordered by MAX(sort field) of their matching records.
        let mut groups: Vec<(SortKey, u64)> = Vec::new();
        for id in &matches {
            let head = CdrGenerator::head_of(*id);
            let key = sort_key(g, *id, &sort);
            match groups.last_mut() {
                Some((k, h)) if *h == head => *k = (*k).clone().max(key),
                _ => groups.push((key, head)),
            }
        }
        order(&mut groups);
        // The page's groups are then listed in the order `groupByLinkedId()` MEETS them in
        // `CallDetailRecords::find(linkedid IN (…), order "<sort> <order>")`: by each call's
        // first leg in that order (its smallest sort value for ASC, largest for DESC, over ALL
        // its legs), not by the MAX() that chose them (Lib/Cdr/GetListAction.php:
        // handleRestRequest / groupByLinkedId). `lastId` is the last-by-start leg of the last
        // group met.
        let mut page_groups: Vec<(SortKey, u64)> = groups
            .iter()
            .skip(offset)
            .take(limit)
            .map(|(_, head)| {
                let mut legs: Vec<(SortKey, u64)> = [*head, head + 1]
                    .into_iter()
                    .filter(|i| {
                        (*i == *head || (*i <= max && CdrGenerator::is_agent_leg(*i)))
                            && !deleted.contains(i)
                    })
                    .map(|i| (sort_key(g, i, &sort), i))
                    .collect();
                legs.sort();
                let first = if desc { legs.last() } else { legs.first() };
                (first.map(|l| l.0.clone()).unwrap_or_default(), *head)
            })
            .collect();
        order(&mut page_groups);
        let mut last = None;
        let page: Vec<String> = page_groups
            .iter()
            .map(|(_, head)| {
                let (text, l) = group_text(g, *head, max, &deleted, &names, &sort, desc);
                last = l;
                text
            })
            .collect();
        (groups.len(), page, last)
    } else {
        let mut keyed: Vec<(SortKey, u64)> = matches
            .iter()
            .map(|id| (sort_key(g, *id, &sort), *id))
            .collect();
        order(&mut keyed);
        let page: Vec<u64> = keyed
            .iter()
            .skip(offset)
            .take(limit)
            .map(|(_, id)| *id)
            .collect();
        (
            keyed.len(),
            page.iter().map(|id| g.record_text(*id, &names)).collect(),
            page.last().copied(),
        )
    };
    records_page(call, &items, total, limit, offset, last_id)
}

/// `data = {"records":[…],"pagination":{total,limit,offset,hasMore,lastId}}`.
fn records_page(
    call: &ApiCall<'_>,
    items: &[String],
    total: usize,
    limit: usize,
    offset: usize,
    last_id: Option<u64>,
) -> ApiResult {
    let mut data = JsonObject::new();
    data.raw("records", &format!("[{}]", items.join(",")));
    let mut p = JsonObject::new();
    p.num("total", total as i64);
    p.num("limit", limit as i64);
    p.num("offset", offset as i64);
    p.raw(
        "hasMore",
        if offset.saturating_add(limit) < total {
            "true"
        } else {
            "false"
        },
    );
    p.raw(
        "lastId",
        &last_id.map_or("null".to_string(), |i| i.to_string()),
    );
    data.raw("pagination", &p.finish());
    let mut r = call.ok(json!([]));
    r.data_raw = Some(data.finish());
    r
}

/// One group of `GetListAction::groupByLinkedId()` as JSON text, and the id of its last record.
fn group_text(
    g: &CdrGenerator,
    head: u64,
    max: u64,
    deleted: &HashSet<u64>,
    names: &dyn Fn(&str) -> String,
    sort: &str,
    desc: bool,
) -> (String, Option<u64>) {
    // Every record of the linkedid, whatever the filters (`linkedid IN (...)`).
    let mut ids: Vec<u64> = vec![head];
    if head < max && CdrGenerator::is_agent_leg(head + 1) {
        ids.push(head + 1);
    }
    ids.retain(|i| !deleted.contains(i));
    // The ORM query order decides the initial values of the group.
    ids.sort_by(|a, b| {
        sort_key(g, *a, sort)
            .cmp(&sort_key(g, *b, sort))
            .then(a.cmp(b))
    });
    if desc {
        ids.reverse();
    }
    let sums: Vec<(u64, Summary)> = ids.iter().map(|id| (*id, g.summary(*id, names))).collect();
    let Some((_, first)) = sums.first() else {
        return ("{}".to_string(), None);
    };
    let (mut start, mut src, mut src_name) = (
        first.start.clone(),
        first.src.clone(),
        first.src_name.clone(),
    );
    let (mut dst, mut did, mut disposition) =
        (first.dst.clone(), first.did.clone(), first.disposition);
    let (mut total_duration, mut total_billsec) = (0i64, 0i64);
    for (_, r) in &sums {
        if r.start < start {
            start = r.start.clone();
            src = r.src.clone();
            src_name = r.src_name.clone();
        }
        if !r.did.is_empty() {
            dst = r.did.clone();
            did = r.did.clone();
        }
        total_duration += r.duration;
        total_billsec += r.billsec;
        if r.disposition == "ANSWERED" {
            disposition = "ANSWERED";
        }
    }
    // Records inside a group are sorted by start.
    let mut by_start: Vec<&(u64, Summary)> = sums.iter().collect();
    by_start.sort_by(|a, b| a.1.start.cmp(&b.1.start));
    let last = by_start.last().map(|(id, _)| *id);
    let records: Vec<String> = by_start
        .iter()
        .map(|(id, _)| g.record_text(*id, names))
        .collect();
    let group = CdrGroup {
        linkedid: g.linkedid(head),
        start,
        src_num: src,
        src_name,
        dst_num: dst,
        dst_name: first.dst_name.clone(),
        did,
        disposition,
        total_duration,
        total_billsec,
    };
    (group.to_json(&records), last)
}

/// The head of one group of `GetListAction::groupByLinkedId()` (`Lib/Cdr/GetListAction.php:494-569`).
struct CdrGroup {
    linkedid: String,
    start: String,
    src_num: String,
    src_name: String,
    dst_num: String,
    dst_name: String,
    did: String,
    disposition: &'static str,
    total_duration: i64,
    total_billsec: i64,
}

impl CdrGroup {
    /// The group's JSON text around its records' JSON texts.
    fn to_json(&self, records: &[String]) -> String {
        let mut o = JsonObject::new();
        o.str("linkedid", &self.linkedid);
        o.str("start", &self.start);
        o.str("src_num", &self.src_num);
        o.str("src_name", &self.src_name);
        o.str("dst_num", &self.dst_num);
        o.str("dst_name", &self.dst_name);
        o.str("did", &self.did);
        o.str("disposition", self.disposition);
        o.num("totalDuration", self.total_duration);
        o.num("totalBillsec", self.total_billsec);
        o.raw("records", &format!("[{}]", records.join(",")));
        o.finish()
    }

    /// The group of a single-leg call (`dst_num` prefers the DID, as the server's grouping does).
    fn of_one(row: &CdrRow) -> CdrGroup {
        CdrGroup {
            linkedid: row.linkedid.clone(),
            start: row.start.clone(),
            src_num: row.src_num.clone(),
            src_name: row.src_name.clone(),
            dst_num: if row.did.is_empty() {
                row.dst_num.clone()
            } else {
                row.did.clone()
            },
            dst_name: row.dst_name.clone(),
            did: row.did.clone(),
            disposition: row.disposition,
            total_duration: row.duration,
            total_billsec: row.billsec,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The export fast path pages exactly as filtering and sorting the whole window does.
    #[test]
    fn id_run_pages_as_the_full_scan() {
        let deleted: HashSet<u64> = [3, 4, 10, 50].into_iter().collect();
        for (lo, hi) in [(1, 60), (5, 5), (4, 4), (9, 3), (1, 1000)] {
            let all: Vec<u64> = (lo..=hi).filter(|i| !deleted.contains(i)).collect();
            for desc in [false, true] {
                let mut sorted = all.clone();
                if desc {
                    sorted.reverse();
                }
                for (offset, limit) in [(0, 1), (0, 7), (5, 7), (40, 50), (2000, 3)] {
                    let want: Vec<u64> = sorted.iter().skip(offset).take(limit).copied().collect();
                    assert_eq!(
                        id_run(lo, hi, &deleted, offset, limit, desc),
                        (all.len(), want),
                        "{lo}..={hi} desc={desc} offset={offset} limit={limit}"
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod wire_tests {
    use crate::Simulator;
    use crate::test_support::*;
    use serde_json::json;

    /// GetMetadataAction: the range of the `limit` most recent rows, `sampleSize` of them; the
    /// dates are the rows' own `start` values.
    #[tokio::test]
    async fn metadata_is_the_range_of_the_most_recent_rows() {
        let sim = Simulator::builder()
            .cdr_records(3000)
            .start()
            .await
            .unwrap();
        let c = client(&sim, LOCAL);
        let newest = |n: usize| {
            let c = c.clone();
            let url = api(
                &sim,
                &format!("cdr?grouped=false&sort=id&order=DESC&dateFrom=2000-01-01&limit={n}"),
            );
            async move {
                let (_, page) = json(c.get(url)).await;
                let total = page["data"]["pagination"]["total"].as_u64().unwrap();
                (page["data"]["records"].as_array().unwrap().clone(), total)
            }
        };
        let (rows, total) = newest(100).await;
        assert!(total > 1000, "enough rows for the cap: {total}");
        let (s, v) = json(c.get(api(&sim, "cdr:getMetadata"))).await;
        assert_eq!(s, 200, "{v}");
        assert_eq!(
            v["data"],
            json!({
                "earliestDate": rows[99]["start"],
                "latestDate": rows[0]["start"],
                "hasRecords": true,
                "sampleSize": 100,
            })
        );
        let (_, v) = json(c.get(api(&sim, "cdr:getMetadata?limit=5"))).await;
        assert_eq!(v["data"]["earliestDate"], newest(5).await.0[4]["start"]);
        assert_eq!(v["data"]["sampleSize"], 5);
        // At most 1000; a negative LIMIT is no limit in SQLite; 0 selects nothing.
        let (_, v) = json(c.get(api(&sim, "cdr:getMetadata?limit=5000"))).await;
        assert_eq!(v["data"]["sampleSize"], 1000);
        let (_, v) = json(c.get(api(&sim, "cdr:getMetadata?limit=-1"))).await;
        assert_eq!(v["data"]["sampleSize"], total);
        let (_, v) = json(c.get(api(&sim, "cdr:getMetadata?limit=0"))).await;
        assert_eq!(
            v["data"],
            json!({"earliestDate": null, "latestDate": null, "hasRecords": false, "sampleSize": 0})
        );
    }
}
