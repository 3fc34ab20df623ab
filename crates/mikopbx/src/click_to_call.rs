//! Click-to-call: `client.calls().originate(from_extension, to_number)`.
//!
//! REST v3 has no originate (`calls-events-recordings.md` §3: no `originate` in
//! `src/PBXCoreREST`). The PBX's own recipe is AMI `Originate` into its dialplan, and the only
//! TLS path to AMI is AJAM on Asterisk's HTTPS port (8089; §2.1). So this module speaks AJAM:
//!
//! 1. `POST https://<pbx host>:<ajam port>/asterisk/rawman` with the form `Action=Login`,
//!    `Username`, `Secret` (in the body, never the URL: URLs end up in logs); the answer's
//!    `mansession_id` cookie is the session.
//! 2. `Action=Originate` with `Channel=Local/<ext>@internal-originate`, `Context=all_peers`,
//!    `Exten=<number>`, `Priority=1`, `CallerID=<ext>`, `Variable=pt1c_cid=<number>` (the
//!    dialplan dials `pt1c_cid`, not `Exten`: §0.3, `ExtensionsConf.php:135`), `Async=true` and
//!    `ChannelId=sdk-<32 hex>`: the id of the oldest channel of the call, so its `linkedid`,
//!    which the CDR row of the call carries (§3 "Correlation").
//! 3. `Action=Logoff`.
//!
//! Safety, as the facts require:
//! * The numbers are checked before anything is sent: the extension `^[0-9]{2,8}$`, the number
//!   `^\+?[0-9*#]{1,32}$`. AMI's `Variable` is a comma-separated list and the channel name is
//!   text, so anything else (a comma, a newline, `@`, `/`) could inject channel variables or
//!   change the channel (§3 "Input safety").
//! * The same certificate verification as the REST client (its CA and pins), or the Asterisk
//!   port's own pin when it serves another certificate (in fallback mode 443 and 8089 have
//!   different certificates, §0.1). Only HTTPS: never AMI's cleartext 5038 or AJAM's 8088.
//! * The manager's secret is a [`SecretString`]: never in `Debug`, logs or errors.
//! * `Originate` is sent once: never retried after a failure that may have reached Asterisk,
//!   or the customer's phone would ring twice.
//!
//! Create the manager with [`crate::AsteriskManagersApi`] (least rights: `originate` write,
//! `call` read; bound to a network filter that denies every other address).

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};

use crate::calls::CallsApi;
use crate::client::root_cause;
use crate::error::{Diagnosis, Error, UnauthorizedCause};
use crate::transport::{self, TransportConfig};

/// The operation name errors carry.
const OPERATION: &str = "calls.originate";
/// Asterisk's HTTPS port on a PBX (`AJAMPortTLS`, default `8089`).
pub const DEFAULT_AJAM_PORT: u16 = 8089;

/// The AMI login the client uses for click-to-call, and where to reach AJAM.
#[derive(Clone)]
pub(crate) struct AjamConfig {
    pub(crate) username: String,
    pub(crate) secret: SecretString,
    pub(crate) port: u16,
    /// The Asterisk port's own pin, when it serves another certificate than the web port.
    pub(crate) pins: Option<Vec<[u8; 32]>>,
}

impl std::fmt::Debug for AjamConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AjamConfig")
            .field("username", &self.username)
            .field("secret", &"<redacted>")
            .field("port", &self.port)
            .finish_non_exhaustive()
    }
}

/// A ready AJAM connection (its own HTTP client: another port, maybe another certificate).
pub(crate) struct Ajam {
    http: reqwest::Client,
    url: String,
    username: String,
    secret: SecretString,
}

impl Ajam {
    /// Builds the AJAM client for the PBX `host` (as in the REST URL) with the REST client's
    /// transport settings, its pins replaced by the Asterisk port's own when given.
    pub(crate) fn new(
        cfg: &AjamConfig,
        host: &str,
        transport: &TransportConfig,
    ) -> Result<Ajam, Error> {
        if cfg.username.trim().is_empty() {
            return Err(Error::config(
                "the AMI username is empty; give the manager's username (Asterisk Manager Interface in the web UI)",
            ));
        }
        if cfg.port == 0 {
            return Err(Error::config(
                "the AJAM port must be 1-65535 (the PBX's AJAMPortTLS, 8089 by default)",
            ));
        }
        let mut t = transport.clone();
        if let Some(pins) = &cfg.pins {
            t.pins = pins.clone();
        }
        Ok(Ajam {
            http: transport::build_http_client(&t, None)?,
            url: format!("https://{host}:{}/asterisk/rawman", cfg.port),
            username: cfg.username.clone(),
            secret: cfg.secret.clone(),
        })
    }
}

/// A validated originate request.
struct Dial<'a> {
    from: &'a str,
    to: &'a str,
}

fn invalid(message: String) -> Error {
    Error::Validation {
        operation: Some(OPERATION.to_owned()),
        status: None,
        messages: vec![message],
    }
}

impl<'a> Dial<'a> {
    fn new(from_extension: &'a str, to_number: &'a str) -> Result<Dial<'a>, Error> {
        let from_ok = (2..=8).contains(&from_extension.len())
            && from_extension.bytes().all(|b| b.is_ascii_digit());
        if !from_ok {
            return Err(invalid(format!(
                "from_extension must be the agent's internal number, 2 to 8 digits, not {:?}",
                shorten(from_extension)
            )));
        }
        let digits = to_number.strip_prefix('+').unwrap_or(to_number);
        let to_ok = (1..=32).contains(&digits.len())
            && digits
                .bytes()
                .all(|b| b.is_ascii_digit() || b == b'*' || b == b'#');
        if !to_ok {
            return Err(invalid(format!(
                "to_number must be 1 to 32 of 0-9 * # with an optional leading +, not {:?} (remove spaces, dashes and brackets)",
                shorten(to_number)
            )));
        }
        Ok(Dial {
            from: from_extension,
            to: to_number,
        })
    }
}

/// At most 40 characters of bad input, for an error message.
fn shorten(s: &str) -> String {
    let mut out: String = s.chars().take(40).collect();
    if out.len() < s.len() {
        out.push('…');
    }
    out
}

/// One AMI answer: its `Response` and `Message` headers.
struct AmiAnswer {
    response: String,
    message: String,
}

fn parse_answer(body: &str) -> AmiAnswer {
    let header = |name: &str| {
        body.lines()
            .filter_map(|l| l.split_once(':'))
            .find(|(k, _)| k.trim().eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_default()
    };
    AmiAnswer {
        response: header("Response"),
        message: header("Message"),
    }
}

#[cfg_attr(feature = "uniffi", uniffi::export(async_runtime = "tokio"))]
impl CallsApi {
    /// Click-to-call: the agent's phone (`from_extension`, e.g. `"201"`) rings; when the agent
    /// answers, the PBX dials `to_number` (`"+79161234567"`, `"*72"`). Returns the call's
    /// `linkedid`, which its CDR row will carry (`client.cdr()` with `linkedid`).
    ///
    /// Needs the client built with an AMI login (`asterisk_manager(username, secret)`, and
    /// `ajam_port` when the PBX's AJAM TLS port is not 8089). Bad numbers are refused before
    /// anything is sent (`Validation`); a refused login or a manager without `originate` write
    /// is `Unauthorized`, saying which. Never retried once the originate may have reached the
    /// PBX: the phone would ring twice.
    pub async fn originate(&self, from_extension: &str, to_number: &str) -> Result<String, Error> {
        let dial = Dial::new(from_extension, to_number)?;
        let ajam = self.client.ajam().ok_or_else(|| {
            Error::config(
                "click-to-call needs an Asterisk manager (AMI) login: build the client with \
                 asterisk_manager(username, secret) (options ami_username, ami_secret). Create \
                 one with asterisk_managers().create_click_to_call_manager(...), bound to a \
                 network filter that admits only this host",
            )
        })?;
        let deadline = self.client.timeout();
        let channel_id = format!("sdk-{}", random_hex32());
        let session = login(ajam, deadline).await?;
        let channel = format!("Local/{}@internal-originate", dial.from);
        let variable = format!("pt1c_cid={}", dial.to);
        let form = [
            ("Action", "Originate"),
            ("Channel", channel.as_str()),
            ("Context", "all_peers"),
            ("Exten", dial.to),
            ("Priority", "1"),
            ("CallerID", dial.from),
            ("Variable", variable.as_str()),
            ("Async", "true"),
            ("ChannelId", channel_id.as_str()),
        ];
        let result = send(ajam, &form, Some(&session), deadline, false).await;
        // Log off whatever happened (best effort: the session also expires after 60 s idle).
        let _ = send(
            ajam,
            &[("Action", "Logoff")],
            Some(&session),
            deadline,
            true,
        )
        .await;
        let answer = result?;
        if answer.response.eq_ignore_ascii_case("Success") {
            tracing::debug!(operation = OPERATION, linkedid = %channel_id, "originate queued");
            return Ok(channel_id);
        }
        if answer.message == "Permission denied" {
            return Err(Error::Unauthorized {
                messages: Vec::new(),
                operation: Some(OPERATION.to_owned()),
                status: None,
                diagnosis: Diagnosis {
                    cause: UnauthorizedCause::Undetermined,
                    ruled_out: vec!["the AMI login (accepted)".to_owned()],
                    remaining: vec![format!(
                        "the manager {:?} lacks write on the originate class",
                        ajam.username
                    )],
                    advice: "give the manager originate write (and call read) in Asterisk \
                             Manager Interface, or use create_click_to_call_manager"
                        .to_owned(),
                }
                .into(),
            });
        }
        Err(Error::Server {
            operation: Some(OPERATION.to_owned()),
            status: 200,
            messages: vec![format!(
                "Asterisk refused the originate: {}",
                answer.message
            )],
        })
    }
}

/// Logs in and returns the `mansession_id` cookie.
async fn login(ajam: &Ajam, deadline: Duration) -> Result<String, Error> {
    let form = [
        ("Action", "Login"),
        ("Username", ajam.username.as_str()),
        ("Secret", ajam.secret.expose_secret()),
    ];
    let (answer, cookie) = post(ajam, &form, None, deadline, true).await?;
    match (answer.response.eq_ignore_ascii_case("Success"), cookie) {
        (true, Some(cookie)) => Ok(cookie),
        (true, None) => Err(Error::Decode {
            operation: Some(OPERATION.to_owned()),
            status: Some(200),
            detail: "AJAM accepted the login but set no mansession_id cookie".to_owned(),
            excerpt: String::new(),
        }),
        (false, _) => Err(Error::Unauthorized {
            messages: Vec::new(),
            operation: Some(OPERATION.to_owned()),
            status: None,
            // Asterisk answers the same for each of these (`action_login`).
            diagnosis: Diagnosis {
                cause: UnauthorizedCause::Undetermined,
                ruled_out: Vec::new(),
                remaining: vec![
                    format!("a wrong secret for the manager {:?}", ajam.username),
                    "no such manager".to_owned(),
                    "the manager's network filter does not admit this host".to_owned(),
                    "AMI disabled on the PBX".to_owned(),
                ],
                advice: format!(
                    "AJAM refused the login ({}); check the manager in Asterisk Manager \
                     Interface (asterisk-managers) and its network filter",
                    answer.message
                ),
            }
            .into(),
        }),
    }
}

async fn send(
    ajam: &Ajam,
    form: &[(&str, &str)],
    session: Option<&str>,
    deadline: Duration,
    retryable: bool,
) -> Result<AmiAnswer, Error> {
    post(ajam, form, session, deadline, retryable)
        .await
        .map(|(a, _)| a)
}

/// One AJAM request. `retryable` requests (login, logoff) are retried once after a connection
/// failure; the originate never is.
async fn post(
    ajam: &Ajam,
    form: &[(&str, &str)],
    session: Option<&str>,
    deadline: Duration,
    retryable: bool,
) -> Result<(AmiAnswer, Option<String>), Error> {
    let mut tries = 0;
    loop {
        tries += 1;
        // application/x-www-form-urlencoded: `+` goes out as %2B (Asterisk decodes a bare `+`
        // to a space, which would turn "+7916…" into " 7916…").
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form.iter())
            .finish();
        let mut req = ajam
            .http
            .post(&ajam.url)
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(body)
            .timeout(deadline);
        if let Some(id) = session {
            req = req.header(reqwest::header::COOKIE, format!("mansession_id=\"{id}\""));
        }
        let resp = match req.send().await {
            Ok(r) => r,
            Err(e) if retryable && tries < 2 && (e.is_connect() || e.is_timeout()) => continue,
            Err(e) => return Err(transport_error(ajam, &e, deadline, retryable)),
        };
        let status = resp.status().as_u16();
        let cookie = resp
            .headers()
            .get_all(reqwest::header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|v| {
                v.split(';')
                    .next()
                    .and_then(|c| c.trim().strip_prefix("mansession_id="))
                    .map(|id| id.trim_matches('"').to_owned())
            });
        let body = resp
            .text()
            .await
            .map_err(|e| transport_error(ajam, &e, deadline, retryable))?;
        if status != 200 {
            let excerpt: String = body.chars().take(200).collect();
            return Err(Error::Server {
                operation: Some(OPERATION.to_owned()),
                status,
                messages: vec![format!(
                    "{} did not answer as AJAM does (is AJAM enabled, and is this the AJAM TLS port?): {excerpt:?}",
                    ajam.url
                )],
            });
        }
        return Ok((parse_answer(&body), cookie));
    }
}

fn transport_error(ajam: &Ajam, e: &reqwest::Error, deadline: Duration, sent_once: bool) -> Error {
    let host = url::Url::parse(&ajam.url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_default();
    if let Some((kind, detail)) = transport::classify(e, &host) {
        return Error::Tls {
            operation: Some(OPERATION.to_owned()),
            tls_kind: kind,
            detail: format!(
                "{detail} (the Asterisk port may serve another certificate than the web port: \
                 pin it with ajam_cert_sha256)"
            ),
        };
    }
    if e.is_timeout() {
        return Error::Timeout {
            operation: Some(OPERATION.to_owned()),
            after: deadline,
        };
    }
    let note = if e.is_connect() || sent_once {
        ""
    } else {
        "; not retried: the PBX may have placed the call (check the phone before repeating)"
    };
    Error::Connect {
        operation: Some(OPERATION.to_owned()),
        detail: format!(
            "AJAM at {} (the Asterisk TLS port): {}{note}",
            ajam.url,
            root_cause(e)
        ),
    }
}

/// 32 random hex digits for the channel id (from the OS's generator, through ring).
fn random_hex32() -> String {
    use ring::rand::SecureRandom;
    let mut bytes = [0u8; 16];
    // The system generator does not fail on the platforms the SDK supports; if it ever did,
    // a time-derived id is still unique enough to match the CDR row.
    if ring::rand::SystemRandom::new().fill(&mut bytes).is_err() {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        bytes = nanos.to_be_bytes();
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_that_could_inject_are_refused() {
        for (from, to) in [
            ("201", "7916,x=1"),
            ("201", "7916\r\nAction: Command"),
            ("201", "7916@other"),
            ("201", "79 16"),
            ("201", ""),
            ("201", "+"),
            ("201", &"1".repeat(33)),
            ("2", "79161234567"),
            ("201/x", "79161234567"),
            ("123456789", "79161234567"),
            ("20١", "79161234567"),
        ] {
            let e = Dial::new(from, to).err().expect("refused");
            assert_eq!(e.kind(), crate::ErrorKind::Validation, "{from:?} {to:?}");
            assert_eq!(e.status(), None);
        }
        for (from, to) in [("201", "+79161234567"), ("12345678", "*72#"), ("20", "1")] {
            assert!(Dial::new(from, to).is_ok(), "{from:?} {to:?}");
        }
    }

    #[test]
    fn answers_parse_case_insensitively() {
        let a = parse_answer("response: Error\r\nMessage: Permission denied\r\n\r\n");
        assert_eq!(a.response, "Error");
        assert_eq!(a.message, "Permission denied");
    }

    #[test]
    fn config_debug_hides_the_secret() {
        let c = AjamConfig {
            username: "crm".into(),
            secret: SecretString::from("s3cr3t-value".to_owned()),
            port: 8089,
            pins: None,
        };
        assert!(!format!("{c:?}").contains("s3cr3t"));
    }
}
