//! The connection flags every command that talks to a PBX shares, and where each setting comes
//! from, first match wins:
//!
//! 1. the flags (`--url`, `--api-key-file`, `--ca-cert`, `--cert-sha256`, `--user`);
//! 2. the profile (`--profile NAME` anywhere on the line, or `MIKOPBX_PROFILE`): URL and trust
//!    from the profiles file, the key from the OS keyring ([`crate::profile`]);
//! 3. the `MIKOPBX_*` variables, which the SDK reads itself (`ClientBuilder::from_env`).
//!
//! A key or a password is never taken on the command line (it would sit in the shell history and
//! the process list): a key from the keyring, `MIKOPBX_API_KEY` or a file; a password from a
//! hidden prompt on the terminal or `--password-stdin`, used for one login and dropped, never
//! stored. `--user` logs in to the web session (JWT) instead of using a key: what an
//! administrator does to create the first key (`mikopbx keys create --user admin --for …`).

use std::io::{IsTerminal, Read};
use std::path::PathBuf;
use std::sync::OnceLock;

use clap::Args;
use mikopbx::{ApiKey, Client, ClientBuilder};
use zeroize::Zeroizing;

use crate::exit::Failure;
use crate::profile::{self, Profile};

/// The profile named by the global `--profile` flag (or `MIKOPBX_PROFILE`), set once by `main`
/// before any command runs: a process-wide setting, like the environment it stands beside.
static SELECTED_PROFILE: OnceLock<Option<String>> = OnceLock::new();

/// Called by `main` with the global `--profile`.
pub fn select_profile(name: Option<String>) {
    let _ = SELECTED_PROFILE.set(name.filter(|n| !n.trim().is_empty()));
}

fn selected_profile() -> Option<&'static str> {
    SELECTED_PROFILE.get().and_then(|n| n.as_deref())
}

/// Where the PBX is, how to trust it, and which credential to present.
#[derive(Args, Debug, Clone)]
pub struct ConnectArgs {
    /// PBX URL (default: the profile's, else MIKOPBX_URL).
    #[arg(long)]
    url: Option<String>,
    /// File holding the API key (default: the profile's key in the OS keyring, else
    /// MIKOPBX_API_KEY; a key is never taken on the command line).
    #[arg(long)]
    api_key_file: Option<PathBuf>,
    /// Extra CA or certificate to trust, PEM or DER (default: the profile's, else MIKOPBX_CA_CERT).
    #[arg(long)]
    ca_cert: Option<PathBuf>,
    /// SHA-256 pin of the server certificate (default: the profile's, else MIKOPBX_CERT_SHA256).
    #[arg(long)]
    cert_sha256: Option<String>,
    /// Local address to connect from.
    #[arg(long)]
    bind: Option<std::net::IpAddr>,
    /// Log in as this web-interface user instead of using an API key (the password is asked for,
    /// hidden, and never stored). For an administrator's first key.
    #[arg(long, env = "MIKOPBX_USER", conflicts_with = "api_key_file")]
    user: Option<String>,
    /// With --user: read the password from standard input instead of the terminal.
    #[arg(long, requires = "user")]
    password_stdin: bool,
}

/// The builder a profile describes (URL and trust; no credential).
pub fn builder_for_profile(p: &Profile) -> Result<ClientBuilder, Failure> {
    let mut b = ClientBuilder::new(p.url.clone());
    if let Some(path) = &p.ca_cert {
        b = trust_file(b, path)?;
    }
    if let Some(pin) = &p.cert_sha256 {
        b = b.pin_certificate_sha256(pin)?;
    }
    Ok(b)
}

fn trust_file(b: ClientBuilder, path: &std::path::Path) -> Result<ClientBuilder, Failure> {
    let bytes = std::fs::read(path)
        .map_err(|e| Failure::usage(format!("cannot read {}: {e}", path.display())))?;
    Ok(b.trust_certificate(bytes)?)
}

fn env_key() -> Option<ApiKey> {
    std::env::var("MIKOPBX_API_KEY")
        .ok()
        .filter(|k| !k.trim().is_empty())
        .map(ApiKey::new)
}

impl ConnectArgs {
    /// The client builder these flags, the profile and the environment describe, with the API
    /// key (never the web login: that needs [`ConnectArgs::client`]).
    pub fn builder(&self) -> Result<ClientBuilder, Failure> {
        if self.user.is_some() {
            return Err(Failure::usage(
                "this command needs an API key (doctor checks a key; call speaks AMI); --user (a web \
                 login) works with keys, api, cdr, calls and recordings",
            ));
        }
        self.builder_without_credential(true)
    }

    fn builder_without_credential(&self, with_key: bool) -> Result<ClientBuilder, Failure> {
        let profile = selected_profile()
            .map(|name| profile::find(name).map(|p| (name, p)))
            .transpose()?;
        if profile.is_some() && self.url.is_some() {
            // The profile's key belongs to the profile's PBX; it must not go to another URL.
            return Err(Failure::usage(
                "--url and --profile name two PBXs; give one (edit the profile with \
                 `mikopbx profile add NAME --url …`)",
            ));
        }
        let mut b = match (&self.url, &profile) {
            (Some(url), _) => ClientBuilder::new(url.clone()),
            (None, Some((_, p))) => builder_for_profile(p)?,
            (None, None) => ClientBuilder::from_env().map_err(|e| Failure::usage(e.to_string()))?,
        };
        if with_key {
            if let Some(p) = &self.api_key_file {
                let k = std::fs::read_to_string(p)
                    .map_err(|e| Failure::usage(format!("cannot read {}: {e}", p.display())))?;
                b = b.api_key(ApiKey::new(k));
            } else if let Some((name, _)) = &profile {
                match profile::keystore::get(name)? {
                    Some((k, _)) => b = b.api_key(ApiKey::new(k)),
                    None => {
                        if let Some(k) = env_key() {
                            b = b.api_key(k);
                        }
                    }
                }
            } else if self.url.is_some()
                && let Some(k) = env_key()
            {
                b = b.api_key(k);
            }
        }
        if let Some(path) = &self.ca_cert {
            b = trust_file(b, path)?;
        }
        if let Some(pin) = self.cert_sha256.as_ref().filter(|p| !p.trim().is_empty()) {
            b = b.pin_certificate_sha256(pin)?;
        }
        if let Some(ip) = self.bind {
            b = b.local_address(ip);
        }
        Ok(b)
    }

    /// The client, logged in when `--user` was given; the web session ends when the returned
    /// [`Connection`] is dropped, however the command ends.
    pub async fn client(&self) -> Result<Connection, Failure> {
        let Some(user) = &self.user else {
            return Ok(Connection(self.builder()?.build()?));
        };
        let client = self.builder_without_credential(false)?.build()?;
        let password = self.password(user, client.base_url())?;
        client.login(user, &password).await?;
        Ok(Connection(client))
    }

    fn password(&self, user: &str, url: &str) -> Result<Zeroizing<String>, Failure> {
        let password = if self.password_stdin {
            let mut s = Zeroizing::new(String::new());
            std::io::stdin()
                .read_to_string(&mut s)
                .map_err(|e| Failure::usage(format!("cannot read the password from stdin: {e}")))?;
            Zeroizing::new(s.trim_end_matches(['\r', '\n']).to_owned())
        } else if std::io::stdin().is_terminal() {
            Zeroizing::new(
                rpassword::prompt_password(format!("Password for {user} on {url}: ")).map_err(
                    |e| Failure::usage(format!("cannot read the password from the terminal: {e}")),
                )?,
            )
        } else {
            return Err(Failure::usage(
                "no terminal to ask for the password on: pipe it with --password-stdin",
            ));
        };
        if password.is_empty() {
            return Err(Failure::usage("the password is empty"));
        }
        Ok(password)
    }
}

/// A command's client. With `--user` it holds a web session, which is ended (the PBX forgets
/// the refresh token) when the command is done with it, on every path out of the command,
/// early `?` returns included: a CLI run must not leave a session valid for days behind it.
pub struct Connection(Client);

impl std::ops::Deref for Connection {
    type Target = Client;
    fn deref(&self) -> &Client {
        &self.0
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        if self.0.session().is_none() {
            return;
        }
        // Drop cannot await; the CLI runs on the multi-threaded runtime, where a worker may
        // block on one last request. A failed logout leaves a session that expires on its own.
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let client = &self.0;
        let outcome = tokio::task::block_in_place(|| {
            runtime.block_on(tokio::time::timeout(
                std::time::Duration::from_secs(10),
                client.logout(),
            ))
        });
        match outcome {
            Ok(Ok(())) => {}
            Ok(Err(e)) => eprintln!("mikopbx: logout failed ({e}); the session expires on its own"),
            Err(_) => eprintln!("mikopbx: logout timed out; the session expires on its own"),
        }
    }
}
