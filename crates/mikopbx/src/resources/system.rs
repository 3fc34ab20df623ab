//! `system` and `sysinfo`.

use serde::{Deserialize, Serialize};

use crate::client::Client;
use crate::envelope::lenient;
use crate::error::Error;
use crate::operations::{SYSINFO_GET_INFO, SYSTEM_CHECK_AUTH, SYSTEM_PING};

/// `client.system()`.
#[derive(Debug, Clone, Copy)]
pub struct SystemApi<'a> {
    pub(crate) client: &'a Client,
}

impl SystemApi<'_> {
    /// `GET system:ping` (public): is the API up?
    pub async fn ping(&self) -> Result<(), Error> {
        self.client
            .call(&SYSTEM_PING, None, &[], None)
            .await
            .map(|_| ())
    }

    /// `GET system:checkAuth`: are the credentials accepted?
    pub async fn check_auth(&self) -> Result<(), Error> {
        self.client
            .call(&SYSTEM_CHECK_AUTH, None, &[], None)
            .await
            .map(|_| ())
    }
}

/// `client.sysinfo()`.
#[derive(Debug, Clone, Copy)]
pub struct SysinfoApi<'a> {
    pub(crate) client: &'a Client,
}

/// System information (`sysinfo:getInfo`): the common fields typed, everything in `raw_json`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
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

impl SysinfoApi<'_> {
    /// `GET sysinfo:getInfo`.
    pub async fn get_info(&self) -> Result<SysInfo, Error> {
        let reply = self.client.call(&SYSINFO_GET_INFO, None, &[], None).await?;
        let data = reply.envelope.data;
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
