//! `system` (ping, checkAuth, datetime, getAvailableLanguages) and `sysinfo:getInfo`.
//!
//! Shapes from `Lib/SystemManagementProcessor.php` and `Lib/System/*` (develop@e26e6b9);
//! those marked "unverified" are the simulator's.

use serde_json::{Value, json};

use super::Call;
use crate::envelope::ApiResult;

pub(crate) fn handle(call: &Call<'_>) -> ApiResult {
    // `Lib/SystemManagementProcessor.php`: ping and checkAuth return an empty success.
    let with_processor = |mut r: ApiResult, p: &str| {
        r.processor = format!("MikoPBX\\PBXCoreREST\\Lib\\{p}");
        r
    };
    match call.action {
        "ping" => with_processor(call.ok(json!([])), "SystemManagementProcessor::handlePing"),
        "checkAuth" => with_processor(
            call.ok(json!([])),
            "SystemManagementProcessor::handleCheckAuth",
        ),
        // `Lib/System/DateTimeAction.php`: PUT → `System::setDate(intval(timestamp),
        // userTimeZone)`, success with empty data; recorded, the simulator keeps real time.
        "datetime" if call.ctx.method == http::Method::PUT => {
            let timestamp = call
                .ctx
                .str("timestamp")
                .and_then(|t| t.parse::<i64>().ok())
                .unwrap_or(0);
            let zone = call.ctx.str("userTimeZone").unwrap_or_default();
            record(
                call,
                format!("datetime {timestamp} {zone}").trim_end().to_owned(),
            );
            call.ok(json!([]))
        }
        // GET → {"timestamp": time()}.
        "datetime" => call.ok(json!({"timestamp": chrono::Utc::now().timestamp()})),
        // `Lib/System/GetAvailableLanguagesAction.php`: `LanguageProvider::AVAILABLE_LANGUAGES`
        // as [{code, name, flag}], in the provider's order.
        "getAvailableLanguages" => call.ok(Value::Array(
            LANGUAGES
                .iter()
                .map(|(code, name, flag)| json!({"code": code, "name": name, "flag": flag}))
                .collect(),
        )),
        "changeLanguage" => change_language(call),
        // `RebootAction` / `ShutdownAction`: `System::reboot()` / `shutdown()`, then success with
        // empty data. Recorded; the simulator keeps serving.
        "reboot" | "shutdown" => {
            record(call, call.action.to_owned());
            call.ok(json!([]))
        }
        _ => call.fail(format!(
            "Unknown action - {} in MikoPBX\\PBXCoreREST\\Lib\\SystemManagementProcessor",
            call.action
        )),
    }
}

/// `src/Common/Providers/LanguageProvider.php::AVAILABLE_LANGUAGES` (code, name, flag).
const LANGUAGES: &[(&str, &str, &str)] = &[
    ("en", "English", "united kingdom"),
    ("en_GB", "English (UK)", "united kingdom"),
    ("ru", "Русский", "russia"),
    ("de", "Deutsch", "germany"),
    ("es", "Español", "spain"),
    ("el", "Ελληνικά", "greece"),
    ("fr", "Français", "france"),
    ("pt", "Português", "portugal"),
    ("pt_BR", "Português (Brasil)", "brazil"),
    ("uk", "Українська", "ukraine"),
    ("ka", "ქართული", "georgia"),
    ("it", "Italiano", "italy"),
    ("da", "Dansk", "denmark"),
    ("nl", "Nederlands", "netherlands"),
    ("pl", "Polski", "poland"),
    ("sv", "Svenska", "sweden"),
    ("cs", "Čeština", "czech republic"),
    ("tr", "Türkçe", "turkey"),
    ("ja", "日本語", "japan"),
    ("vi", "Tiếng Việt", "vietnam"),
    ("az", "Azərbaycan", "azerbaijan"),
    ("ro", "Română", "romania"),
    ("th", "ไทย", "thailand"),
    ("hu", "Magyar", "hungary"),
    ("fi", "Suomi", "finland"),
    ("hr", "Hrvatski", "croatia"),
    ("zh_Hans", "中文", "china"),
];

fn record(call: &Call<'_>, action: String) {
    call.app.write(|s| s.system_actions.push(action));
}

/// `Lib/System/ChangeLanguageAction.php`: `language` (or `WEB_ADMIN_LANGUAGE`) is required and
/// must be a key of `AVAILABLE_LANGUAGES`; the answer is the stored code and its HTML label.
/// The fresh JWT it adds for JWT callers is left out: the simulator's JWT callers are the web
/// UI's, which the SDK does not drive through this action.
fn change_language(call: &Call<'_>) -> ApiResult {
    let Some(code) = call
        .ctx
        .str("language")
        .or_else(|| call.ctx.str("WEB_ADMIN_LANGUAGE"))
        .filter(|c| !c.is_empty())
    else {
        return call.fail("Language parameter is required");
    };
    let Some((code, name, flag)) = LANGUAGES.iter().find(|(c, _, _)| *c == code) else {
        return call.fail(format!("Invalid language code: {code}"));
    };
    call.app
        .write(|s| s.web_admin_language = (*code).to_owned());
    // The server also sends `messages.success: ["Language changed to …"]`; the simulator's
    // envelope has no success messages, and no client reads them.
    call.ok(json!({
        "WEB_ADMIN_LANGUAGE": code,
        "WEB_ADMIN_LANGUAGE_represent": format!("<i class=\"flag {flag}\"></i> {name}"),
    }))
}

/// `sysinfo:getInfo` (`Lib/Sysinfo/GetInfoAction.php`): `data = {"content": "<text report>"}`,
/// the sections of `prepareSysyinfoContent()` with their exact header lines (first ones only).
pub(crate) fn sysinfo(call: &Call<'_>) -> ApiResult {
    let started = call.app.cfg.clock.now() as i64;
    let now = chrono::Utc::now();
    let up_days = (started % 1_000_000) / 86_400;
    let section = |title_line: &str, body: &str| format!("{title_line}\n\n{body}\n\n\n");
    let mut content = String::new();
    content += &section(
        "─────────────────────────────────────── PBXVersion ───────────────────────────────────────",
        "2026.1.223",
    );
    content += &section(
        "───────────────────────────────────────── Environment ─────────────────────────────────────────",
        "Machine hardware: docker\nHypervisor: KVM\nDMI: mikopbx-sim",
    );
    content += &section(
        "───────────────────────────────────────── Date ─────────────────────────────────────────",
        &now.format("%a %b %e %H:%M:%S UTC %Y").to_string(),
    );
    content += &section(
        "───────────────────────────────────────── Uptime ─────────────────────────────────────────",
        &format!(
            " {} up {up_days} days,  3:02,  load average: 0.15, 0.10, 0.05",
            now.format("%H:%M:%S")
        ),
    );
    content += &section(
        "───────────────────────────────────────── CPU load ───────────────────────────────────────",
        "3.25",
    );
    content += &section(
        "───────────────────────────────────────── MemInfo ────────────────────────────────────────",
        "inactive = 512\nfree = 1024\ntotal = 2048",
    );
    content += &section(
        "─────────────────────────────────────────── df ───────────────────────────────────────────",
        "Filesystem                Size      Used Available Use% Mounted on\n/dev/sda3                39.1G     12.0G     27.1G  31% /storage/usbdisk1",
    );
    content += &section(
        "─────────────────────────────────────────── OS Name ──────────────────────────────────────────",
        "Linux mikopbx 6.1.0-mikopbx #1 SMP x86_64 GNU/Linux",
    );
    call.ok(json!({"content": content}))
}
