//! The connection flags every command that talks to a PBX shares. Flags override the `MIKOPBX_*`
//! variables, which the SDK reads itself (`ClientBuilder::from_env`). A key is never taken on the
//! command line (it would sit in the shell history and the process list): from `MIKOPBX_API_KEY`
//! or a file.

use std::path::PathBuf;

use clap::Args;
use mikopbx::{ApiKey, Client, ClientBuilder};

/// Where the PBX is and how to trust it.
#[derive(Args, Debug, Clone)]
pub struct ConnectArgs {
    /// PBX URL (default: MIKOPBX_URL).
    #[arg(long)]
    url: Option<String>,
    /// File holding the API key (default: MIKOPBX_API_KEY; a key is never taken on the command line).
    #[arg(long)]
    api_key_file: Option<PathBuf>,
    /// Extra CA or certificate to trust, PEM or DER (default: MIKOPBX_CA_CERT).
    #[arg(long)]
    ca_cert: Option<PathBuf>,
    /// SHA-256 pin of the server certificate (default: MIKOPBX_CERT_SHA256).
    #[arg(long)]
    cert_sha256: Option<String>,
    /// Local address to connect from.
    #[arg(long)]
    bind: Option<std::net::IpAddr>,
}

impl ConnectArgs {
    /// The client builder these flags and the environment describe.
    pub fn builder(&self) -> Result<ClientBuilder, String> {
        let mut b = match &self.url {
            Some(url) => {
                let mut b = ClientBuilder::new(url.clone());
                if let Ok(k) = std::env::var("MIKOPBX_API_KEY")
                    && !k.trim().is_empty()
                {
                    b = b.api_key(ApiKey::new(k));
                }
                b
            }
            None => ClientBuilder::from_env().map_err(|e| e.to_string())?,
        };
        if let Some(p) = &self.api_key_file {
            let k = std::fs::read_to_string(p)
                .map_err(|e| format!("cannot read {}: {e}", p.display()))?;
            b = b.api_key(ApiKey::new(k));
        }
        if let Some(path) = &self.ca_cert {
            let bytes =
                std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            b = b.trust_certificate(bytes).map_err(|e| e.to_string())?;
        }
        if let Some(pin) = self.cert_sha256.as_ref().filter(|p| !p.trim().is_empty()) {
            b = b.pin_certificate_sha256(pin).map_err(|e| e.to_string())?;
        }
        if let Some(ip) = self.bind {
            b = b.local_address(ip);
        }
        Ok(b)
    }

    /// The client, or the reason there is none.
    pub fn client(&self) -> Result<Client, String> {
        self.builder()?.build().map_err(|e| e.to_string())
    }
}
