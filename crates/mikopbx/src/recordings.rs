//! Call recordings: `client.cdr().recording(&record)` → [`Recording`], saved to a file, read
//! as bytes or streamed in chunks.
//!
//! How the server hands out recordings (`shared/calls-events-recordings.md` §5): `GET /cdr`
//! mints, for every record whose recording exists, a fresh 32-hex token valid 3600 s (sliding on
//! use) and puts it in `download_url` / `playback_url` (`/pbxcore/api/v3/cdr:download?token=…`,
//! `src/PBXCoreREST/Lib/Cdr/DataStructure.php:83-124, 643-660`). The token is a bearer
//! credential, bound to nobody: whoever has the URL can fetch the recording for as long as it
//! keeps being used. So this SDK keeps tokens out of every record it returns (`CdrRecord` has only
//! `has_recording`) and out of every log and error; a [`Recording`] asks for its own token, by
//! listing the one call (`linkedid=`, which keeps the number of minted tokens small), holds it in
//! memory only, and asks again when the server refuses it.
//!
//! The bytes come from `GET cdr:download?token=…[&format=…]`, a public route: it is sent
//! **without** the API key (the token is the credential there). `Range: bytes=N-` resumes a
//! download cut off midway (206 + `Content-Range`, `BaseController.php:607-676`). Until the PBX
//! has converted a recording (`WorkerWav2Webm`, seconds to minutes after the hangup, §5.3) the list
//! shows empty URLs: a [`Recording`] waits for them, bounded by [`RecordingOptions::wait_ms`].
//!
//! Never used: the legacy `view=<path>` form of the same routes, which serves any file of the
//! monitor directory with no token and no authentication (§5.4).

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tokio::io::AsyncWriteExt;
use tokio::time::Instant;

use crate::client::RawReply;
use crate::describe::{ReturnType, Returns};
use crate::error::Error;
use crate::operations::{HttpMethod, OperationSpec, ResponseShape};
use crate::permissions::{Access, Resource};
use crate::resources::cdr::{CDR_LIST, CdrApi, CdrRecord};

/// `GET cdr:download?token=`: the recording's bytes. Public (the token is the credential);
/// reached only through [`Recording`], which supplies the token.
pub const CDR_DOWNLOAD: OperationSpec = OperationSpec {
    name: "cdr.download",
    wire: "cdr.download",
    method: HttpMethod::Get,
    path_template: "/pbxcore/api/v3/cdr:download",
    resource: Resource::Cdr,
    access: Access::Read,
    idempotent: true,
    public: true,
    dangerous: false,
    shape: ResponseShape::Empty,
    summary: "A call recording's bytes, by the token a CDR list issued (public)",
    doc: "The recording of a CDR record; use `cdr.recording(record)`.\n",
    handle: "cdr",
    handle_type: "CdrApi",
    method_name: "download",
    params: &[],
    returns: ReturnType {
        form: Returns::Nothing,
        ty: "()",
        model: None,
        cursor: None,
    },
};

/// How long a [`Recording`] waits, by default, for the PBX to finish converting it.
const DEFAULT_WAIT_MS: u64 = 120_000;
/// Backoff while waiting for a recording: first and longest pause.
const FIRST_PAUSE: Duration = Duration::from_millis(500);
const LONGEST_PAUSE: Duration = Duration::from_secs(10);
/// Reconnections (each resuming with `Range`) allowed for one download.
const MAX_RESUMES: u32 = 5;

/// The audio format to download. `Original` is what the PBX stores (webm/Opus on current
/// releases, mp3 or wav on older ones); the others are converted by the PBX with ffmpeg.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum RecordingFormat {
    /// As stored.
    #[default]
    Original,
    /// WebM/Opus.
    Webm,
    /// MP3.
    Mp3,
    /// WAV.
    Wav,
    /// Ogg.
    Ogg,
}

impl RecordingFormat {
    /// The `format` query value (`None` for the original).
    fn query_value(self) -> Option<&'static str> {
        match self {
            RecordingFormat::Original => None,
            RecordingFormat::Webm => Some("webm"),
            RecordingFormat::Mp3 => Some("mp3"),
            RecordingFormat::Wav => Some("wav"),
            RecordingFormat::Ogg => Some("ogg"),
        }
    }

    /// `original`, `webm`, `mp3`, `wav` or `ogg`.
    pub fn as_str(self) -> &'static str {
        self.query_value().unwrap_or("original")
    }

    /// The format named `name` (case-insensitive), or a configuration error naming the choices.
    pub fn parse(name: &str) -> Result<Self, Error> {
        Ok(match name.trim().to_ascii_lowercase().as_str() {
            "original" | "" => RecordingFormat::Original,
            "webm" => RecordingFormat::Webm,
            "mp3" => RecordingFormat::Mp3,
            "wav" => RecordingFormat::Wav,
            "ogg" => RecordingFormat::Ogg,
            _ => {
                return Err(Error::config(format!(
                    "format {name:?} is not a recording format (original, webm, mp3, wav, ogg)"
                )));
            }
        })
    }
}

/// Options of [`CdrApi::recording_with`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct RecordingOptions {
    /// The format (default: as stored).
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub format: Option<RecordingFormat>,
    /// How long to wait for the PBX to publish the recording (it converts it after the
    /// hangup), in milliseconds; default 120 000. 0: do not wait.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub wait_ms: Option<u64>,
}

/// What the PBX said about a recording it sent.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(
    feature = "python",
    pyo3::pyclass(get_all, frozen, module = "mikopbx._native")
)]
pub struct RecordingInfo {
    /// `Content-Type`: `audio/webm`, `audio/mpeg`, `audio/wav`, `audio/ogg`…
    pub content_type: String,
    /// Size in bytes (of the whole file).
    pub size: u64,
    /// The file name the PBX suggests (`call_<src>_to_<dst>_<date>.<ext>`), "" if none.
    pub filename: String,
    /// `X-Audio-Duration` in seconds, when the PBX could measure it.
    pub duration_seconds: Option<f64>,
}

crate::api::python_records!(RecordingInfo);

/// A recording token: a bearer credential, never shown.
#[derive(Clone)]
struct Token(String);

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

/// The recording of one CDR record (from [`CdrApi::recording`]). Nothing is sent until it is
/// read. Cheap to clone; the token it obtains is shared by its clones and never shown.
#[derive(Clone)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Object))]
pub struct Recording {
    inner: Arc<RecordingInner>,
}

struct RecordingInner {
    cdr: CdrApi,
    record_id: i64,
    linkedid: String,
    answered: bool,
    format: RecordingFormat,
    wait: Duration,
    token: tokio::sync::Mutex<Option<Token>>,
}

impl std::fmt::Debug for Recording {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recording")
            .field("record_id", &self.inner.record_id)
            .field("linkedid", &self.inner.linkedid)
            .field("format", &self.inner.format)
            .finish_non_exhaustive()
    }
}

impl CdrApi {
    /// The recording of `record` in its stored format, waiting up to two minutes for the PBX
    /// to publish it. Needs `read` on `cdr` (to obtain the token); the bytes come from a public
    /// URL, fetched without the key.
    pub fn recording(&self, record: &CdrRecord) -> Recording {
        self.recording_with(record, RecordingOptions::default())
    }

    /// [`recording`](Self::recording) with a format and a wait.
    pub fn recording_with(&self, record: &CdrRecord, options: RecordingOptions) -> Recording {
        Recording {
            inner: Arc::new(RecordingInner {
                cdr: self.clone(),
                record_id: record.id,
                linkedid: record.linkedid.clone(),
                answered: !record.answer.is_empty() || record.billsec > 0,
                format: options.format.unwrap_or_default(),
                wait: Duration::from_millis(options.wait_ms.unwrap_or(DEFAULT_WAIT_MS)),
                token: tokio::sync::Mutex::new(None),
            }),
        }
    }
}

#[cfg(feature = "uniffi")]
#[uniffi::export]
impl CdrApi {
    /// The recording of `record` (see the Rust `recording_with`).
    #[uniffi::method(name = "recording", default(options = None))]
    pub fn ffi_recording(
        &self,
        record: &CdrRecord,
        options: Option<RecordingOptions>,
    ) -> Recording {
        self.recording_with(record, options.unwrap_or_default())
    }
}

#[cfg_attr(feature = "uniffi", uniffi::export(async_runtime = "tokio"))]
impl Recording {
    /// The CDR record id.
    pub fn record_id(&self) -> i64 {
        self.inner.record_id
    }

    /// Downloads the recording to `path`: written to `<path>.part` and renamed when complete and
    /// of the announced size, so `path` never holds a partial file. A cut connection resumes
    /// where it stopped (`Range`).
    pub async fn save(&self, path: String) -> Result<RecordingInfo, Error> {
        self.save_to(Path::new(&path)).await
    }

    /// The whole recording in memory (recordings are small: about 1 MB for 10 minutes of Opus).
    pub async fn bytes(&self) -> Result<Vec<u8>, Error> {
        let stream = self.open().await?;
        let mut out = Vec::with_capacity(usize::try_from(stream.info.size).unwrap_or(0));
        while let Some(chunk) = stream.next_chunk().await? {
            out.extend_from_slice(&chunk);
        }
        Ok(out)
    }

    /// Starts the download: the PBX's answer (type, size, name) is in
    /// [`RecordingStream::info`]; the bytes follow through
    /// [`RecordingStream::next_chunk`].
    pub async fn open(&self) -> Result<Arc<RecordingStream>, Error> {
        let (reply, info) = self.request(0, None).await?;
        Ok(Arc::new(RecordingStream {
            recording: self.clone(),
            info,
            state: tokio::sync::Mutex::new(StreamState {
                response: Some(reply.response),
                offset: 0,
                resumes: 0,
            }),
        }))
    }
}

impl Recording {
    /// [`save`](Self::save) with a `Path`.
    pub async fn save_to(&self, path: &Path) -> Result<RecordingInfo, Error> {
        let stream = self.open().await?;
        write_file(&stream, path).await?;
        Ok(stream.info.clone())
    }

    /// Downloads into `dir` as `<stem>.<ext>`, the extension from the type the PBX sends
    /// (`mp3`, `webm`, `wav`, `ogg`; `bin` for anything else). Returns the path written.
    pub async fn save_into(
        &self,
        dir: &Path,
        stem: &str,
    ) -> Result<(std::path::PathBuf, RecordingInfo), Error> {
        let stream = self.open().await?;
        let path = dir.join(format!(
            "{stem}.{}",
            extension_for(&stream.info.content_type)
        ));
        write_file(&stream, &path).await?;
        Ok((path, stream.info.clone()))
    }

    /// Sends `GET cdr:download` from byte `offset`; `expect` is what an earlier answer said of
    /// the file (a resumed download must continue the same file).
    async fn request(
        &self,
        offset: u64,
        expect: Option<&RecordingInfo>,
    ) -> Result<(RawReply, RecordingInfo), Error> {
        let mut refreshed = false;
        loop {
            let token = self.token(refreshed).await?;
            let mut query = vec![("token".to_owned(), token.0.clone())];
            if let Some(f) = self.inner.format.query_value() {
                query.push(("format".into(), f.into()));
            }
            let mut headers = Vec::new();
            if offset > 0 {
                headers.push((reqwest::header::RANGE, format!("bytes={offset}-")));
            }
            match self
                .inner
                .cdr
                .client
                .call_public_raw(&CDR_DOWNLOAD, &query, &headers)
                .await
            {
                Ok(reply) => {
                    let info = info_of(&reply, offset)?;
                    if let Some(e) = expect
                        && (e.size != info.size || e.content_type != info.content_type)
                    {
                        return Err(self.decode(format!(
                            "the recording changed while downloading ({} bytes of {} became {} of {}): start again",
                            e.size, e.content_type, info.size, info.content_type
                        )));
                    }
                    return Ok((reply, info));
                }
                // 403 `Invalid or expired playback token` (PlaybackAction.php:70-76): tokens
                // live an hour unless used. Ask for a new one once.
                Err(Error::PermissionDenied { .. }) if !refreshed => refreshed = true,
                Err(Error::PermissionDenied { .. }) => {
                    return Err(Error::NotFound {
                        operation: Some(CDR_DOWNLOAD.name.into()),
                        status: Some(403),
                        messages: vec![format!(
                            "the PBX refused a fresh token for the recording of CDR record {} (Invalid or expired playback token)",
                            self.inner.record_id
                        )],
                    });
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// The token for this record: the cached one, or (when `fresh`, or none yet) a new one from
    /// listing the call, waiting while the PBX has not published the recording yet.
    async fn token(&self, fresh: bool) -> Result<Token, Error> {
        let mut cached = self.inner.token.lock().await;
        if let (Some(t), false) = (cached.as_ref(), fresh) {
            return Ok(t.clone());
        }
        let deadline = Instant::now() + self.inner.wait;
        let mut pause = FIRST_PAUSE;
        loop {
            match self.lookup().await? {
                Lookup::Token(t) => {
                    *cached = Some(t.clone());
                    return Ok(t);
                }
                Lookup::NoRecord => {
                    return Err(self.not_found(format!(
                        "no CDR record {} in the call {}",
                        self.inner.record_id, self.inner.linkedid
                    )));
                }
                Lookup::NotYet if !self.inner.answered => {
                    return Err(self.not_found(format!(
                        "CDR record {} was not answered: there is no recording",
                        self.inner.record_id
                    )));
                }
                Lookup::NotYet => {
                    let now = Instant::now();
                    if now >= deadline {
                        return Err(self.not_found(format!(
                            "the PBX has no recording for CDR record {} after waiting {} s: recording may be off for this call (General settings → Call recording, or an exception list), or the conversion is still running (wait longer with wait_ms)",
                            self.inner.record_id,
                            self.inner.wait.as_secs()
                        )));
                    }
                    tokio::time::sleep(pause.min(deadline - now)).await;
                    pause = (pause * 2).min(LONGEST_PAUSE);
                }
            }
        }
    }

    /// Lists the call's records (`grouped=false`, `linkedid=`) and reads this record's
    /// `download_url`, which only this module ever sees.
    async fn lookup(&self) -> Result<Lookup, Error> {
        let query = vec![
            ("linkedid".to_owned(), self.inner.linkedid.clone()),
            ("grouped".into(), "false".into()),
            ("limit".into(), "1000".into()),
        ];
        let reply = self
            .inner
            .cdr
            .client
            .call(&CDR_LIST, None, &query, None)
            .await?;
        let data = reply.envelope.data();
        let records = match &data {
            Value::Object(m) => m.get("records").and_then(Value::as_array),
            Value::Array(a) => Some(a),
            _ => None,
        };
        let Some(row) = records.into_iter().flatten().find(|r| {
            r.get("id")
                .and_then(|id| crate::envelope::lenient::int(id.clone()).ok())
                == Some(self.inner.record_id)
        }) else {
            return Ok(Lookup::NoRecord);
        };
        let url = row
            .get("download_url")
            .and_then(Value::as_str)
            .unwrap_or("");
        if url.is_empty() {
            return Ok(Lookup::NotYet);
        }
        token_of(url).map(Lookup::Token).ok_or_else(|| {
            // Not the documented form: refuse rather than follow an unknown URL.
            self.decode(
                "the CDR list gave a download_url that is not /pbxcore/api/v3/cdr:download?token=… (not followed)".into(),
            )
        })
    }

    fn not_found(&self, message: String) -> Error {
        Error::NotFound {
            operation: Some(CDR_DOWNLOAD.name.into()),
            status: None,
            messages: vec![message],
        }
    }

    fn decode(&self, detail: String) -> Error {
        Error::Decode {
            operation: Some(CDR_DOWNLOAD.name.into()),
            status: None,
            detail,
            excerpt: String::new(),
        }
    }
}

enum Lookup {
    Token(Token),
    NotYet,
    NoRecord,
}

/// The token of a `download_url` of the documented form, and nothing else (never a `view=`).
fn token_of(url: &str) -> Option<Token> {
    let parsed = url::Url::parse("https://pbx.invalid")
        .ok()?
        .join(url)
        .ok()?;
    if parsed.path() != CDR_DOWNLOAD.path_template || parsed.host_str() != Some("pbx.invalid") {
        return None;
    }
    let mut token = None;
    for (k, v) in parsed.query_pairs() {
        match &*k {
            "token" => token = Some(v.into_owned()),
            "view" => return None,
            _ => {}
        }
    }
    // `bin2hex(random_bytes(16))`; the route accepts 32-64 characters (DataStructure.php:331-373).
    token
        .filter(|t| (32..=64).contains(&t.len()) && t.bytes().all(|b| b.is_ascii_alphanumeric()))
        .map(Token)
}

/// What the answer's headers say of the file, checking a resumed answer starts at `offset`.
fn info_of(reply: &RawReply, offset: u64) -> Result<RecordingInfo, Error> {
    let header = |name: reqwest::header::HeaderName| {
        reply
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    };
    let decode = |detail: String| Error::Decode {
        operation: Some(CDR_DOWNLOAD.name.into()),
        status: Some(reply.status),
        detail,
        excerpt: String::new(),
    };
    let content_type = header(reqwest::header::CONTENT_TYPE);
    let audio = ["audio/", "video/", "application/octet-stream"];
    if !audio.iter().any(|p| content_type.starts_with(p)) {
        return Err(decode(format!(
            "expected audio, the PBX answered {content_type:?}"
        )));
    }
    let length: Option<u64> = header(reqwest::header::CONTENT_LENGTH).parse().ok();
    let size = if reply.status == 206 {
        // `Content-Range: bytes N-M/size`
        let range = header(reqwest::header::CONTENT_RANGE);
        let (span, total) = range
            .strip_prefix("bytes ")
            .and_then(|r| r.split_once('/'))
            .ok_or_else(|| decode(format!("a partial answer with Content-Range {range:?}")))?;
        let start: Option<u64> = span.split_once('-').and_then(|(a, _)| a.parse().ok());
        if start != Some(offset) {
            return Err(decode(format!(
                "asked for the recording from byte {offset}, got {range:?}"
            )));
        }
        total
            .parse()
            .map_err(|_| decode(format!("Content-Range {range:?} has no size")))?
    } else {
        length.ok_or_else(|| decode("the PBX did not say the recording's size".into()))?
    };
    let filename = header(reqwest::header::CONTENT_DISPOSITION)
        .split(';')
        .find_map(|p| p.trim().strip_prefix("filename=").map(str::to_owned))
        .map(|f| f.trim_matches('"').to_owned())
        .unwrap_or_default();
    let duration_seconds = header(reqwest::header::HeaderName::from_static("x-audio-duration"))
        .parse()
        .ok();
    Ok(RecordingInfo {
        content_type,
        size,
        filename,
        duration_seconds,
    })
}

/// The file extension for a recording's `Content-Type`.
pub fn extension_for(content_type: &str) -> &'static str {
    match content_type.split(';').next().unwrap_or("").trim() {
        "audio/mpeg" | "audio/mp3" => "mp3",
        "audio/webm" | "video/webm" => "webm",
        "audio/wav" | "audio/x-wav" | "audio/wave" => "wav",
        "audio/ogg" => "ogg",
        _ => "bin",
    }
}

/// Writes the stream to `<path>.part`, then renames it to `path` once complete: `path` never
/// holds a partial file, and a failed download leaves nothing behind.
async fn write_file(stream: &RecordingStream, path: &Path) -> Result<(), Error> {
    let part = part_path(path);
    let io = |what: &str, e: std::io::Error, p: &Path| {
        Error::config(format!("cannot {what} {}: {e}", p.display()))
    };
    let result = async {
        let mut file = tokio::fs::File::create(&part)
            .await
            .map_err(|e| io("create", e, &part))?;
        while let Some(chunk) = stream.next_chunk().await? {
            file.write_all(&chunk)
                .await
                .map_err(|e| io("write", e, &part))?;
        }
        file.sync_all().await.map_err(|e| io("write", e, &part))?;
        drop(file);
        tokio::fs::rename(&part, path)
            .await
            .map_err(|e| io("rename the download to", e, path))
    }
    .await;
    if result.is_err() {
        let _ = tokio::fs::remove_file(&part).await;
    }
    result
}

fn part_path(path: &Path) -> std::path::PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".part");
    path.with_file_name(name)
}

/// A recording being downloaded (from [`Recording::open`]): its chunks in order, each exactly
/// once, resuming with `Range` when the connection breaks.
#[cfg_attr(feature = "uniffi", derive(uniffi::Object))]
pub struct RecordingStream {
    recording: Recording,
    info: RecordingInfo,
    state: tokio::sync::Mutex<StreamState>,
}

struct StreamState {
    /// The answer being read; `None` after a break (the next read reconnects) or at the end.
    response: Option<reqwest::Response>,
    /// Bytes handed out so far.
    offset: u64,
    resumes: u32,
}

impl std::fmt::Debug for RecordingStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecordingStream")
            .field("recording", &self.recording)
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}

#[cfg_attr(feature = "uniffi", uniffi::export(async_runtime = "tokio"))]
impl RecordingStream {
    /// What the PBX said of the file.
    pub fn info(&self) -> RecordingInfo {
        self.info.clone()
    }

    /// The next chunk, `None` at the end. A connection that breaks or stalls (longer than the
    /// client's timeout) is resumed from the last byte received, up to 5 times; a file that
    /// ends short of its announced size is an error, never a silently truncated recording.
    pub async fn next_chunk(&self) -> Result<Option<Vec<u8>>, Error> {
        let mut st = self.state.lock().await;
        loop {
            if st.offset >= self.info.size {
                st.response = None;
                return Ok(None);
            }
            let Some(response) = st.response.as_mut() else {
                if st.resumes >= MAX_RESUMES {
                    return Err(self.recording.decode(format!(
                        "the recording stopped at byte {} of {} after {MAX_RESUMES} resumptions",
                        st.offset, self.info.size
                    )));
                }
                st.resumes += 1;
                tracing::debug!(
                    operation = CDR_DOWNLOAD.name,
                    offset = st.offset,
                    "resuming the recording"
                );
                let (reply, _) = self.recording.request(st.offset, Some(&self.info)).await?;
                st.response = Some(reply.response);
                continue;
            };
            let stall = self.recording.inner.cdr.client.timeout();
            match tokio::time::timeout(stall, response.chunk()).await {
                Ok(Ok(Some(chunk))) => {
                    let room = self.info.size - st.offset;
                    if chunk.len() as u64 > room {
                        return Err(self.recording.decode(format!(
                            "the PBX sent more than the {} bytes it announced",
                            self.info.size
                        )));
                    }
                    st.offset += chunk.len() as u64;
                    return Ok(Some(chunk.to_vec()));
                }
                // The body ended: complete if it reached the size, else resume.
                Ok(Ok(None)) => st.response = None,
                Ok(Err(e)) => {
                    tracing::debug!(
                        operation = CDR_DOWNLOAD.name,
                        offset = st.offset,
                        error = %crate::client::root_cause(&e.without_url()),
                        "the recording's connection broke"
                    );
                    st.response = None;
                }
                Err(_) => st.response = None,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_documented_url_gives_a_token() {
        let t = "0123456789abcdef0123456789abcdef";
        assert!(token_of(&format!("/pbxcore/api/v3/cdr:download?token={t}")).is_some());
        assert!(
            token_of(&format!(
                "/pbxcore/api/v3/cdr:download?token={t}&format=mp3"
            ))
            .is_some()
        );
        // The legacy unauthenticated path, another route, another host, a short token: refused.
        assert!(
            token_of(&format!(
                "/pbxcore/api/v3/cdr:download?token={t}&view=/storage/x.mp3"
            ))
            .is_none()
        );
        assert!(token_of(&format!("/pbxcore/api/v3/cdr:playback?token={t}")).is_none());
        assert!(
            token_of(&format!(
                "https://evil.example/pbxcore/api/v3/cdr:download?token={t}"
            ))
            .is_none()
        );
        assert!(token_of("/pbxcore/api/v3/cdr:download?token=abc").is_none());
        assert!(token_of("/pbxcore/api/v3/cdr:download").is_none());
    }

    #[test]
    fn a_token_is_never_shown() {
        let t = Token("0123456789abcdef0123456789abcdef".into());
        assert_eq!(format!("{t:?}"), "Token(<redacted>)");
    }

    #[test]
    fn formats_parse_by_name() {
        assert_eq!(RecordingFormat::parse("MP3").unwrap(), RecordingFormat::Mp3);
        assert_eq!(
            RecordingFormat::parse("original").unwrap(),
            RecordingFormat::Original
        );
        let e = RecordingFormat::parse("flac").unwrap_err().to_string();
        assert!(e.contains("original, webm, mp3, wav, ogg"), "{e}");
        assert_eq!(RecordingFormat::Wav.as_str(), "wav");
    }

    #[test]
    fn extensions_follow_the_type() {
        assert_eq!(extension_for("audio/mpeg"), "mp3");
        assert_eq!(extension_for("audio/webm; codecs=opus"), "webm");
        assert_eq!(extension_for("application/octet-stream"), "bin");
    }

    #[test]
    fn the_part_file_sits_beside_the_target() {
        assert_eq!(
            part_path(Path::new("/tmp/a/call.mp3")),
            Path::new("/tmp/a/call.mp3.part")
        );
    }
}
