//! `system` (ping, checkAuth, datetime, getAvailableLanguages) and `sysinfo:getInfo`.
//!
//! Shapes from `Lib/SystemManagementProcessor.php` and `Lib/System/*` (develop@e26e6b9);
//! those marked "unverified" are the simulator's.

use serde_json::json;

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
        "checkAuth" => with_processor(call.ok(json!([])), "SystemManagementProcessor::handleCheckAuth"),
        // `Lib/System/DateTimeAction.php`: GET → {"timestamp": time()}; PUT sets the clock
        // (accepted and ignored here: the simulator keeps real time).
        "datetime" if call.ctx.method == http::Method::PUT => call.ok(json!([])),
        "datetime" => call.ok(json!({"timestamp": chrono::Utc::now().timestamp()})),
        // Unverified data shape.
        "getAvailableLanguages" => call.ok(json!([
            {"code": "en", "name": "English"}, {"code": "ru", "name": "Русский"}, {"code": "de", "name": "Deutsch"}
        ])),
        _ => call.fail(format!("Unknown action - {} in MikoPBX\\PBXCoreREST\\Lib\\SystemManagementProcessor", call.action)),
    }
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
