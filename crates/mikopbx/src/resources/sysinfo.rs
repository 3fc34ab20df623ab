//! `sysinfo`: information about the PBX.

use mikopbx_macros::Describe;
use serde::{Deserialize, Serialize};

use crate::api::{api, python_records};
use crate::envelope::lenient;
use crate::error::Error;
use crate::permissions::Resource;

api! {
    /// `sysinfo`: information about the PBX.
    SysinfoApi => sysinfo, Resource::Sysinfo, "/pbxcore/api/v3/sysinfo";

    /// Version, hostname and uptime of the PBX, and the whole report as JSON text.
    SYSINFO_GET_INFO = get_info() -> one SysInfo
        = Get ":getInfo" Object, "sysinfo.getInfo", idempotent, "System information", custom;
}

python_records!(SysInfo);

/// System information (`sysinfo:getInfo`): the common fields typed, everything in `raw_json`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, Describe)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "python", pyo3::pyclass(get_all, frozen, eq, module = "mikopbx._native"))]
pub struct SysInfo {
    /// PBX version, when reported.
    #[serde(
        default,
        alias = "PBXVersion",
        alias = "pbx_version",
        deserialize_with = "lenient::string"
    )]
    pub version: String,
    /// Host name, when reported.
    #[serde(default, deserialize_with = "lenient::string")]
    pub hostname: String,
    /// Uptime as the PBX reports it.
    #[serde(default, deserialize_with = "lenient::string")]
    pub uptime: String,
    /// The whole `data` object as JSON text.
    #[serde(skip)]
    pub raw_json: String,
}

impl SysinfoApi {
    /// Version, hostname and uptime of the PBX, and the whole report as JSON text.
    pub async fn get_info(&self) -> Result<SysInfo, Error> {
        let reply = self.client.call(&SYSINFO_GET_INFO, None, &[], None).await?;
        let data = reply.envelope.data();
        let raw_json = data.to_string();
        // Some versions wrap the fields in `info`.
        let fields = match data.get("info") {
            Some(inner) if inner.is_object() => inner.clone(),
            _ => data,
        };
        let content = fields
            .get("content")
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned);
        let mut info: SysInfo =
            crate::envelope::typed(fields, SYSINFO_GET_INFO.name, reply.status)?;
        // A real PBX sends only a text report in `content`, in sections headed `──── Name ────`.
        if let Some(text) = content {
            let section = |name: &str| section_body(&text, name);
            if info.version.is_empty() {
                info.version = section("PBXVersion").unwrap_or_default();
            }
            if info.uptime.is_empty() {
                info.uptime = section("Uptime").unwrap_or_default();
            }
            if info.hostname.is_empty() {
                // `uname -a`: the host name is the second word.
                info.hostname = section("OS Name")
                    .and_then(|l| l.split_whitespace().nth(1).map(str::to_owned))
                    .unwrap_or_default();
            }
        }
        info.raw_json = raw_json;
        Ok(info)
    }
}

/// The first non-empty line after the section header naming `name` (a line of `─` padding around
/// the name).
fn section_body(text: &str, name: &str) -> Option<String> {
    let mut lines = text.lines();
    lines.find(|l| {
        l.contains('─') && l.trim_matches(|c: char| c == '─' || c.is_whitespace()) == name
    })?;
    lines
        .map(str::trim)
        .find(|l| !l.is_empty())
        .filter(|l| !l.contains('─'))
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::section_body;

    #[test]
    fn reads_the_text_report() {
        let text = "──── PBXVersion ────\n\n2026.1.223\n\n\n──── Uptime ────\n\n 10:00:01 up 3 days\n\n\n──── OS Name ────\n\nLinux mikopbx 6.1.0 x86_64\n";
        assert_eq!(
            section_body(text, "PBXVersion").as_deref(),
            Some("2026.1.223")
        );
        assert_eq!(
            section_body(text, "Uptime").as_deref(),
            Some("10:00:01 up 3 days")
        );
        assert_eq!(
            section_body(text, "OS Name").as_deref(),
            Some("Linux mikopbx 6.1.0 x86_64")
        );
        assert_eq!(section_body(text, "Missing"), None);
    }
}
