//! Profiles: several PBXs by name. `mikopbx --profile office keys list` takes the office PBX's URL
//! and certificate trust from a TOML file under the user's config directory, and its API key from
//! the OS keyring; the key is never written to the file (a file is copied, backed up and
//! committed; a keyring entry is not).
//!
//! * The file: `MIKOPBX_CONFIG`, else `<config dir>/mikopbx/profiles.toml` (`~/.config` on
//!   Linux, `~/Library/Application Support` on macOS, `%APPDATA%` on Windows). Unknown fields are
//!   refused, so a key pasted into it is an error instead of a secret at rest.
//! * The key: service `mikopbx`, account `profile:<name>`: the macOS Keychain, the Windows
//!   Credential Manager, on Linux the Secret Service (GNOME Keyring, KWallet) when a session bus
//!   offers one, else the kernel's keyring (keyutils: held until logout or reboot, said so when
//!   stored). Without a stored key the profile uses `MIKOPBX_API_KEY`, for CI and containers.
//!
//! `profile add NAME --url URL [--cert-sha256 PIN] [--ca-cert FILE]` (the key from a hidden prompt,
//! or `--key-stdin`), `profile list`, `profile set-key NAME`, `profile remove NAME`.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Read};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use serde::{Deserialize, Serialize};

use crate::exit::{self, Failure};

/// One PBX: where it is and how to trust its certificate. No secret: the key is in the keyring.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// The PBX's URL (`https://pbx.example.com`).
    pub url: String,
    /// SHA-256 pin of the PBX's certificate (or of its public key), hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cert_sha256: Option<String>,
    /// An extra CA or certificate to trust, PEM or DER.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_cert: Option<PathBuf>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProfilesFile {
    #[serde(default)]
    profiles: BTreeMap<String, Profile>,
}

/// Where the profiles live.
pub fn config_path() -> Result<PathBuf, String> {
    if let Some(p) = std::env::var_os("MIKOPBX_CONFIG").filter(|p| !p.is_empty()) {
        return Ok(PathBuf::from(p));
    }
    dirs::config_dir()
        .map(|d| d.join("mikopbx").join("profiles.toml"))
        .ok_or_else(|| {
            "this system has no user config directory; set MIKOPBX_CONFIG to a file path".into()
        })
}

fn load() -> Result<ProfilesFile, String> {
    let path = config_path()?;
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(ProfilesFile::default()),
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    };
    toml::from_str(&text).map_err(|e| {
        format!(
            "{} is not a valid profiles file ({}); keys never go in this file: \
             store one with `mikopbx profile set-key NAME`",
            path.display(),
            e.message()
        )
    })
}

/// Writes the whole file through a temporary file and a rename, so an interrupted write leaves
/// the old file, never half of one.
fn save(file: &ProfilesFile) -> Result<(), String> {
    let path = config_path()?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let body = toml::to_string_pretty(file).map_err(|e| e.to_string())?;
    let text = format!(
        "# mikopbx profiles (`mikopbx profile --help`). No secrets here: keys are in the OS keyring.\n{body}"
    );
    let tmp = path.with_extension("toml.tmp");
    std::fs::write(&tmp, text).map_err(|e| format!("cannot write {}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, &path).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// The named profile, or an error that lists the ones there are.
pub fn find(name: &str) -> Result<Profile, Failure> {
    validate_name(name)?;
    let file = load()?;
    file.profiles.get(name).cloned().ok_or_else(|| {
        let path = config_path().map(|p| p.display().to_string()).unwrap_or_default();
        if file.profiles.is_empty() {
            Failure::usage(format!(
                "no profile {name:?}: {path} has none; add one with `mikopbx profile add {name} --url https://…`"
            ))
        } else {
            let names: Vec<&str> = file.profiles.keys().map(String::as_str).collect();
            Failure::usage(format!(
                "no profile {name:?} in {path} (there are: {})",
                names.join(", ")
            ))
        }
    })
}

/// Profile names are keyring account names and TOML keys: keep them plain.
fn validate_name(name: &str) -> Result<(), Failure> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.');
    if ok {
        Ok(())
    } else {
        Err(Failure::usage(format!(
            "profile name {name:?}: use 1-64 letters, digits, '-', '_' or '.'"
        )))
    }
}

/// The OS keyring, holding one API key per profile.
pub mod keystore {
    use keyring::Entry;

    const SERVICE: &str = "mikopbx";

    fn account(profile: &str) -> String {
        format!("profile:{profile}")
    }

    /// Where a key went, for the person to know how long it stays.
    pub fn describe(backend: Backend) -> &'static str {
        match backend {
            Backend::Native => native_name(),
            Backend::KernelKeyring => {
                "the kernel keyring (no Secret Service on this session bus): readable only by you, \
                 kept in memory until the machine restarts; then store it again with \
                 `mikopbx profile set-key`"
            }
        }
    }

    /// The store that took the key.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Backend {
        /// Keychain, Credential Manager or the Secret Service.
        Native,
        /// Linux keyutils, when no Secret Service answers.
        KernelKeyring,
    }

    #[cfg(target_os = "linux")]
    fn native_name() -> &'static str {
        "the Secret Service keyring"
    }
    #[cfg(target_os = "macos")]
    fn native_name() -> &'static str {
        "the macOS Keychain"
    }
    #[cfg(windows)]
    fn native_name() -> &'static str {
        "the Windows Credential Manager"
    }
    #[cfg(not(any(target_os = "linux", target_os = "macos", windows)))]
    fn native_name() -> &'static str {
        "the OS keyring"
    }

    /// On Linux: the Secret Service first (persistent, what desktop keyrings offer), then the
    /// kernel keyring.
    #[cfg(target_os = "linux")]
    fn entries(profile: &str) -> Vec<(Backend, keyring::Result<Entry>)> {
        use keyring::secret_service::SsCredential;
        vec![(
            Backend::Native,
            SsCredential::new_with_target(None, SERVICE, &account(profile))
                .map(|c| Entry::new_with_credential(Box::new(c))),
        )]
    }

    /// The kernel's per-user keyring (`keyctl show @u`): readable only by this user, in memory
    /// only, kept while the user has processes or until restart.
    #[cfg(target_os = "linux")]
    mod kernel {
        use linux_keyutils::{
            KeyError, KeyPermissionsBuilder, KeyRing, KeyRingIdentifier, Permission,
        };

        fn description(profile: &str) -> String {
            format!("{}:{}", super::SERVICE, super::account(profile))
        }

        fn user_keyring() -> Result<KeyRing, String> {
            KeyRing::from_special_id(KeyRingIdentifier::User, true)
                .map_err(|e| format!("the kernel keyring is unavailable: {e:?}"))
        }

        pub fn set(profile: &str, key: &str) -> Result<(), String> {
            let ring = user_keyring()?;
            let k = ring
                .add_key(&description(profile), key)
                .map_err(|e| format!("the kernel keyring refused the key: {e:?}"))?;
            // Only this user (through any of its processes) may read it; no group, no others.
            let perms = KeyPermissionsBuilder::builder()
                .posessor(Permission::ALL)
                .user(
                    Permission::VIEW
                        | Permission::READ
                        | Permission::WRITE
                        | Permission::SEARCH
                        | Permission::SETATTR,
                )
                .build();
            k.set_perms(perms)
                .map_err(|e| format!("the kernel keyring refused the key's permissions: {e:?}"))
        }

        pub fn get(profile: &str) -> Result<Option<String>, String> {
            let ring = user_keyring()?;
            match ring.search(&description(profile)) {
                Ok(k) => {
                    let bytes = k.read_to_vec().map_err(|e| {
                        format!("cannot read the key from the kernel keyring: {e:?}")
                    })?;
                    String::from_utf8(bytes)
                        .map(Some)
                        .map_err(|_| "the kernel keyring holds a key that is not text".into())
                }
                Err(KeyError::KeyDoesNotExist | KeyError::KeyExpired | KeyError::KeyRevoked) => {
                    Ok(None)
                }
                Err(e) => Err(format!("cannot search the kernel keyring: {e:?}")),
            }
        }

        pub fn delete(profile: &str) -> Result<bool, String> {
            let ring = user_keyring()?;
            match ring.search(&description(profile)) {
                Ok(k) => k
                    .invalidate()
                    .map(|()| true)
                    .map_err(|e| format!("cannot delete the key from the kernel keyring: {e:?}")),
                Err(KeyError::KeyDoesNotExist | KeyError::KeyExpired | KeyError::KeyRevoked) => {
                    Ok(false)
                }
                Err(e) => Err(format!("cannot search the kernel keyring: {e:?}")),
            }
        }
    }

    #[cfg(not(target_os = "linux"))]
    fn entries(profile: &str) -> Vec<(Backend, keyring::Result<Entry>)> {
        vec![(Backend::Native, Entry::new(SERVICE, &account(profile)))]
    }

    /// A store that is not there (no session bus, no keyring daemon): try the next one.
    fn unavailable(e: &keyring::Error) -> bool {
        matches!(
            e,
            keyring::Error::PlatformFailure(_) | keyring::Error::NoStorageAccess(_)
        )
    }

    fn failure(e: keyring::Error) -> String {
        format!("the OS keyring refused: {e}")
    }

    /// Stores the profile's key in the first store that works.
    pub fn set(profile: &str, key: &str) -> Result<Backend, String> {
        let mut refusals = Vec::new();
        for (backend, entry) in entries(profile) {
            match entry.and_then(|e| e.set_password(key)) {
                Ok(()) => return Ok(backend),
                Err(e) if unavailable(&e) => refusals.push(e.to_string()),
                Err(e) => return Err(failure(e)),
            }
        }
        #[cfg(target_os = "linux")]
        match kernel::set(profile, key) {
            Ok(()) => return Ok(Backend::KernelKeyring),
            Err(e) => refusals.push(e),
        }
        Err(format!(
            "no OS keyring is available ({}); give the key through MIKOPBX_API_KEY instead",
            refusals.join("; ")
        ))
    }

    /// The profile's key, if one is stored (and the store it came from).
    pub fn get(profile: &str) -> Result<Option<(String, Backend)>, String> {
        for (backend, entry) in entries(profile) {
            match entry.and_then(|e| e.get_password()) {
                Ok(k) => return Ok(Some((k, backend))),
                Err(keyring::Error::NoEntry) => {}
                Err(e) if unavailable(&e) => {}
                Err(e) => return Err(failure(e)),
            }
        }
        #[cfg(target_os = "linux")]
        if let Some(k) = kernel::get(profile)? {
            return Ok(Some((k, Backend::KernelKeyring)));
        }
        Ok(None)
    }

    /// Deletes the profile's key from every store; true when one was there.
    pub fn delete(profile: &str) -> Result<bool, String> {
        let mut deleted = false;
        for (_, entry) in entries(profile) {
            match entry.and_then(|e| e.delete_credential()) {
                Ok(()) => deleted = true,
                Err(keyring::Error::NoEntry) => {}
                Err(e) if unavailable(&e) => {}
                Err(e) => return Err(failure(e)),
            }
        }
        #[cfg(target_os = "linux")]
        {
            deleted |= kernel::delete(profile)?;
        }
        Ok(deleted)
    }
}

#[derive(Subcommand, Debug)]
pub enum ProfileCommand {
    /// Add or replace a profile: URL and certificate trust in the file, the key in the keyring.
    Add(AddArgs),
    /// List the profiles (never their keys).
    List {
        /// One JSON object per profile.
        #[arg(long)]
        json: bool,
    },
    /// Store (or replace) a profile's API key in the OS keyring.
    SetKey(KeyArgs),
    /// Remove a profile and its key.
    Remove {
        /// The profile's name.
        name: String,
        /// Print `{"profile", "removed", "key_removed"}` instead of a message on stderr.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Args, Debug)]
pub struct AddArgs {
    /// The profile's name (`office`).
    name: String,
    /// The PBX's URL.
    #[arg(long)]
    url: String,
    /// SHA-256 pin of the PBX's certificate (`mikopbx doctor` prints it).
    #[arg(long)]
    cert_sha256: Option<String>,
    /// An extra CA or certificate to trust, PEM or DER.
    #[arg(long)]
    ca_cert: Option<PathBuf>,
    #[command(flatten)]
    key: KeyInput,
    /// Print `{"profile", "replaced", "file", "key_store"}` instead of messages on stderr.
    #[arg(long)]
    json: bool,
}

#[derive(Args, Debug)]
pub struct KeyArgs {
    /// The profile's name.
    name: String,
    #[command(flatten)]
    key: KeyInput,
    /// Print `{"profile", "key_store"}` instead of a message on stderr.
    #[arg(long)]
    json: bool,
}

#[derive(Args, Debug)]
pub struct KeyInput {
    /// Read the API key from standard input (for scripts); otherwise it is asked for, hidden, on
    /// a terminal. Never on the command line.
    #[arg(long)]
    key_stdin: bool,
    /// Store no key: the profile then uses MIKOPBX_API_KEY.
    #[arg(long, conflicts_with = "key_stdin")]
    no_key: bool,
}

pub fn run(command: ProfileCommand) -> ExitCode {
    let outcome = match command {
        ProfileCommand::Add(args) => add(&args),
        ProfileCommand::List { json } => list(json),
        ProfileCommand::SetKey(args) => set_key(&args.name, &args.key, args.json).map(|store| {
            if args.json {
                println!(
                    "{}",
                    serde_json::json!({"profile": args.name, "key_store": store})
                );
            }
        }),
        ProfileCommand::Remove { name, json } => remove(&name, json),
    };
    exit::finish(outcome)
}

fn add(args: &AddArgs) -> Result<(), Failure> {
    validate_name(&args.name)?;
    let profile = Profile {
        url: args.url.trim().to_owned(),
        cert_sha256: args.cert_sha256.clone().filter(|p| !p.trim().is_empty()),
        ca_cert: args.ca_cert.clone(),
    };
    // What the SDK would refuse (a bad URL, plain http to a remote host, a malformed pin, an
    // unreadable CA) is refused now, not on first use.
    crate::connect::builder_for_profile(&profile)?
        .api_key(mikopbx::ApiKey::new("validation-only"))
        .build()?;
    let mut file = load()?;
    let replaced = file.profiles.insert(args.name.clone(), profile).is_some();
    save(&file)?;
    let path = config_path()?;
    if !args.json {
        eprintln!(
            "{} profile {:?} in {}",
            if replaced { "replaced" } else { "added" },
            args.name,
            path.display()
        );
    }
    let store = if args.key.no_key {
        None
    } else {
        Some(set_key(&args.name, &args.key, args.json)?)
    };
    if args.json {
        println!(
            "{}",
            serde_json::json!({
                "profile": args.name,
                "replaced": replaced,
                "file": path,
                "key_store": store,
            })
        );
    }
    Ok(())
}

/// Where a key is, in a word (as `profile list` says it).
fn store_name(backend: keystore::Backend) -> &'static str {
    match backend {
        keystore::Backend::Native => "keyring",
        keystore::Backend::KernelKeyring => "kernel keyring",
    }
}

/// Stores the key; gives where (`keyring` or `kernel keyring`), told on stderr unless `quiet`.
fn set_key(name: &str, input: &KeyInput, quiet: bool) -> Result<&'static str, Failure> {
    find(name)?;
    let key = if input.key_stdin {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .map_err(|e| format!("cannot read the key from stdin: {e}"))?;
        s
    } else if std::io::stdin().is_terminal() {
        rpassword::prompt_password(format!("API key for profile {name} (not shown): "))
            .map_err(|e| format!("cannot read the key from the terminal: {e}"))?
    } else {
        return Err(Failure::usage(
            "no terminal to ask for the key on: pipe it with --key-stdin, or use --no-key and \
             MIKOPBX_API_KEY",
        ));
    };
    let key = key.trim();
    if key.is_empty() {
        return Err(Failure::usage("the key is empty; nothing stored"));
    }
    let backend = keystore::set(name, key)?;
    if !quiet {
        eprintln!(
            "stored the key for {name:?} in {}",
            keystore::describe(backend)
        );
    }
    Ok(store_name(backend))
}

fn list(json: bool) -> Result<(), Failure> {
    let file = load()?;
    if !json && file.profiles.is_empty() {
        eprintln!(
            "no profiles in {}; add one with `mikopbx profile add NAME --url https://…`",
            config_path()?.display()
        );
    }
    for (name, p) in &file.profiles {
        let key = match keystore::get(name) {
            Ok(Some((_, backend))) => store_name(backend),
            Ok(None) => "MIKOPBX_API_KEY",
            Err(_) => "keyring unavailable",
        };
        if json {
            println!(
                "{}",
                serde_json::json!({
                    "name": name,
                    "url": p.url,
                    "cert_sha256": p.cert_sha256,
                    "ca_cert": p.ca_cert,
                    "key": key,
                })
            );
        } else {
            let trust = match (&p.cert_sha256, &p.ca_cert) {
                (Some(_), _) => "pinned",
                (None, Some(_)) => "extra CA",
                (None, None) => "system roots",
            };
            println!("{name:<16} {:<40} {trust:<12} key: {key}", p.url);
        }
    }
    Ok(())
}

fn remove(name: &str, json: bool) -> Result<(), Failure> {
    find(name)?;
    let mut file = load()?;
    file.profiles.remove(name);
    save(&file)?;
    let had_key = keystore::delete(name)?;
    if json {
        println!(
            "{}",
            serde_json::json!({"profile": name, "removed": true, "key_removed": had_key})
        );
    } else {
        eprintln!(
            "removed profile {name:?}{}",
            if had_key { " and its key" } else { "" }
        );
    }
    Ok(())
}
