//! `mikopbx keys`: API keys, least privilege first.
//!
//! * `keys create --for extensions.list,cdr.list [--network localhost|any|<filter id>]` makes a
//!   key with exactly the `allowed_paths` those operations need (the SDK's
//!   `api_keys().create_for`, which checks what the PBX stored) and prints the plaintext key
//!   once, alone on stdout, so `KEY=$(mikopbx keys create …)` works; the rest goes to stderr.
//! * `keys create --from-usage FILE` does the same for what an integration recorded in learn
//!   mode (`MIKOPBX_RECORD_USAGE=FILE`, see `mikopbx::usage`): its operations and its
//!   escape-hatch requests. Exactly one of `--for` and `--from-usage`.
//! * `keys audit ID --usage FILE [--json]` compares key ID's `allowed_paths` with such a file:
//!   the grants the integration never used (or used at a lower level), and the ones it used that
//!   the key lacks (those calls fail). Exit code 0 when the key is exactly the least privilege
//!   for the file, 1 when it is wider or narrower (`--json` says which: `wider`, `narrower`), and
//!   the usual codes when the audit could not be done (3 the admin key refused, …). The network
//!   filter is not compared.
//! * `keys list`, `keys revoke ID`, `keys rotate ID` (a new key with the same permissions and
//!   network filter, then the old one revoked after confirmation).
//!
//! The key that runs these commands needs write on `api-keys` (and read on `network-filters`
//! for `--network localhost`); it comes from `MIKOPBX_API_KEY` or `--api-key-file`, never from
//! the command line.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use mikopbx::{Access, ApiKeyInfo, Client, NetworkFilter, NewApiKey, Permissions, usage};

use crate::connect::ConnectArgs;
use crate::exit::{self, Failure};

#[derive(Subcommand, Debug)]
pub enum KeysCommand {
    /// Create a key with the least permissions for the named operations; prints it once.
    Create(CreateArgs),
    /// List the keys (never their secrets: the PBX keeps only a hash).
    List(ListArgs),
    /// Revoke (delete) a key; it stops working at once.
    Revoke(RevokeArgs),
    /// A new key with the same permissions and network filter; then revoke the old one.
    Rotate(RevokeArgs),
    /// Compare a key with what an integration used (a learn-mode file): exit 0 when exactly
    /// minimal, 1 when wider or narrower.
    Audit(AuditArgs),
}

#[derive(Args, Debug)]
pub struct AuditArgs {
    #[command(flatten)]
    connect: ConnectArgs,
    /// The key's id (`mikopbx keys list`).
    id: String,
    /// The learn-mode file the integration wrote (`MIKOPBX_RECORD_USAGE=FILE`).
    #[arg(long, value_name = "FILE")]
    usage: PathBuf,
    /// Print one JSON object instead of the report.
    #[arg(long)]
    json: bool,
}

#[derive(Args, Debug)]
pub struct CreateArgs {
    #[command(flatten)]
    connect: ConnectArgs,
    /// The operations the integration performs, comma-separated (`mikopbx operations` names
    /// them): extensions.list,cdr.list
    #[arg(
        long = "for",
        value_delimiter = ',',
        required_unless_present = "from_usage",
        conflicts_with = "from_usage"
    )]
    operations: Vec<String>,
    /// Instead of `--for`: the learn-mode file an integration wrote (`MIKOPBX_RECORD_USAGE=FILE`);
    /// the key gets exactly what its recorded operations and requests need.
    #[arg(long = "from-usage", value_name = "FILE")]
    from_usage: Option<PathBuf>,
    /// Where the key may be used from: `localhost`, `any`, or a network filter id.
    #[arg(long, default_value = "localhost")]
    network: String,
    /// The key's description in the web interface.
    #[arg(long, default_value = "mikopbx keys create")]
    description: String,
    /// Print `{"key", "id", "allowed_paths", "networkfilterid"}` instead of the bare key.
    #[arg(long)]
    json: bool,
}

#[derive(Args, Debug)]
pub struct ListArgs {
    #[command(flatten)]
    connect: ConnectArgs,
    /// One JSON object per key instead of a table.
    #[arg(long)]
    json: bool,
}

#[derive(Args, Debug)]
pub struct RevokeArgs {
    #[command(flatten)]
    connect: ConnectArgs,
    /// The key's id (`mikopbx keys list`).
    id: String,
    /// Do not ask for confirmation (needed when stdin is not a terminal).
    #[arg(long)]
    yes: bool,
    /// Print JSON (rotate: the new key's `{"key", "id", …}`).
    #[arg(long)]
    json: bool,
}

pub async fn run(command: KeysCommand) -> ExitCode {
    let outcome = match command {
        KeysCommand::Create(args) => create(&args).await,
        KeysCommand::List(args) => list(&args).await,
        KeysCommand::Revoke(args) => revoke(&args).await,
        KeysCommand::Rotate(args) => rotate(&args).await,
        KeysCommand::Audit(args) => audit(&args).await,
    };
    exit::finish(outcome)
}

fn parse_network(text: &str) -> Result<NetworkFilter, Failure> {
    match text.trim() {
        "localhost" => Ok(NetworkFilter::Localhost),
        "any" | "none" => Ok(NetworkFilter::Any),
        id => id.parse().map(|id| NetworkFilter::Id { id }).map_err(|_| {
            Failure::usage(format!(
                "--network {id:?}: give localhost, any or a network filter id"
            ))
        }),
    }
}

/// The new key on stdout, alone (or as JSON), and what it is on stderr.
fn print_created(key: &str, info: &ApiKeyInfo, json: bool) {
    if json {
        println!(
            "{}",
            serde_json::json!({
                "key": key,
                "id": info.id,
                "allowed_paths": info.allowed_paths,
                "full_permissions": info.full_permissions,
                "networkfilterid": info.networkfilterid,
            })
        );
    } else {
        println!("{key}");
    }
    eprintln!(
        "created key #{} ({}), {}; network: {}. The PBX keeps only a hash: store the key now.",
        info.id,
        info.key_display,
        permissions_text(info),
        info.network()
    );
}

fn permissions_text(info: &ApiKeyInfo) -> String {
    if info.full_permissions {
        return "full permissions".into();
    }
    let mut paths: Vec<String> = info
        .allowed_paths
        .iter()
        .map(|(path, access)| format!("{path}: {access}"))
        .collect();
    paths.sort();
    paths.join(", ")
}

/// A learn-mode file's entries; a file that cannot be read or parsed is a bad argument.
fn read_usage(file: &std::path::Path) -> Result<Vec<usage::Usage>, Failure> {
    usage::read(file).map_err(|e| Failure::usage(e.to_string()))
}

/// What a learn-mode file needs, refused when only a key with full permissions would do.
fn learned(file: &std::path::Path) -> Result<usage::Needs, Failure> {
    let entries = read_usage(file)?;
    if entries.is_empty() {
        return Err(Failure::usage(format!(
            "{} records no operation: run the integration with MIKOPBX_RECORD_USAGE={} first",
            file.display(),
            file.display()
        )));
    }
    let needs = usage::needs(&entries);
    if !needs.full_only.is_empty() {
        let lines: Vec<String> = needs.full_only.iter().map(|u| u.line()).collect();
        return Err(Failure::from(format!(
            "the integration made requests no restricted key can make ({}): only a key with \
             full permissions could; no key was created",
            lines.join(", ")
        )));
    }
    Ok(needs)
}

async fn create(args: &CreateArgs) -> Result<(), Failure> {
    let network = parse_network(&args.network)?;
    let learned = args.from_usage.as_deref().map(learned).transpose()?;
    let client = args.connect.client().await?;
    let api = client.api_keys();
    let created = match learned {
        Some(needs) => {
            api.create_with(args.description.clone(), needs.permissions, network)
                .await?
        }
        None => {
            api.create_for(args.description.clone(), args.operations.clone(), network)
                .await?
        }
    };
    print_created(created.key.expose_secret(), &created.info, args.json);
    Ok(())
}

async fn list(args: &ListArgs) -> Result<(), Failure> {
    let client = args.connect.client().await?;
    let keys = client.api_keys().list().collect_all().await?;
    for k in &keys {
        if args.json {
            println!(
                "{}",
                serde_json::json!({
                    "id": k.id,
                    "description": k.description,
                    "key_display": k.key_display,
                    "full_permissions": k.full_permissions,
                    "allowed_paths_count": k.allowed_paths_count,
                    "has_network_filter": k.has_network_filter,
                    "created_at": k.created_at,
                    "last_used_at": k.last_used_at,
                })
            );
        } else {
            println!(
                "#{:<4} {:<13} {:<18} {:<8} {:<19} {}",
                k.id,
                k.key_display,
                if k.full_permissions {
                    "full".to_owned()
                } else {
                    format!("{} paths", k.allowed_paths_count)
                },
                if k.has_network_filter {
                    "filtered"
                } else {
                    "any"
                },
                k.last_used_at.as_deref().unwrap_or("never used"),
                k.description
            );
        }
    }
    if !args.json && keys.is_empty() {
        eprintln!("no keys");
    }
    Ok(())
}

/// Asks on the terminal; without one, `--yes` is required.
fn confirm(question: &str, yes: bool) -> Result<(), Failure> {
    if yes {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        return Err(Failure::usage(format!(
            "{question} Not confirmed: pass --yes"
        )));
    }
    eprint!("{question} [y/N] ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| Failure::from(format!("cannot read the answer: {e}")))?;
    if matches!(answer.trim(), "y" | "Y" | "yes") {
        Ok(())
    } else {
        Err(Failure::from("not confirmed; nothing was changed"))
    }
}

async fn revoke_key(client: &Client, info: &ApiKeyInfo) -> Result<(), Failure> {
    client.api_keys().delete(&info.id).await?;
    eprintln!("revoked key #{} ({})", info.id, info.key_display);
    Ok(())
}

async fn revoke(args: &RevokeArgs) -> Result<(), Failure> {
    let client = args.connect.client().await?;
    let info = client.api_keys().get(&args.id).await?;
    confirm(
        &format!(
            "Revoke key #{} ({}, {:?})? Integrations using it stop working at once.",
            info.id, info.key_display, info.description
        ),
        args.yes,
    )?;
    revoke_key(&client, &info).await?;
    if args.json {
        println!(
            "{}",
            serde_json::json!({"revoked": {"id": info.id, "key_display": info.key_display}})
        );
    }
    Ok(())
}

async fn rotate(args: &RevokeArgs) -> Result<(), Failure> {
    let client = args.connect.client().await?;
    let old = client.api_keys().get(&args.id).await?;
    // The stored paths as they are (a module's path too), not only the catalogue's resources.
    let permissions = if old.full_permissions {
        None
    } else {
        Some(
            Permissions::from_allowed_paths(old.allowed_paths.clone())
                .map_err(|e| Failure::from(e).context(&format!("key #{}", old.id)))?,
        )
    };
    let api = client.api_keys();
    let key = api.generate_key().await?;
    let new = api
        .create(NewApiKey::new(
            old.description.clone(),
            key.clone(),
            permissions.as_ref(),
            old.network(),
        ))
        .await?;
    print_created(key.expose_secret(), &new, args.json);
    confirm(
        &format!(
            "Revoke the old key #{} ({}) now? Do it once every integration has the new key.",
            old.id, old.key_display
        ),
        args.yes,
    )
    .map_err(|f| Failure {
        message: format!("{}; the old key #{} still works", f.message, old.id),
        ..f
    })?;
    revoke_key(&client, &old).await
}

/// A key's permissions as the PBX stored them, module paths included.
fn stored_permissions(info: &ApiKeyInfo) -> Result<Permissions, Failure> {
    if info.full_permissions {
        return Ok(Permissions::full());
    }
    Permissions::from_allowed_paths(info.allowed_paths.clone())
        .map_err(|e| Failure::from(e).context(&format!("key #{}", info.id)))
}

fn gap_json(gaps: &[usage::GrantGap]) -> Vec<serde_json::Value> {
    gaps.iter()
        .map(|g| {
            serde_json::json!({
                "path": g.path,
                "granted": g.granted.map(Access::as_str),
                "needed": g.needed.map(Access::as_str),
            })
        })
        .collect()
}

async fn audit(args: &AuditArgs) -> Result<(), Failure> {
    let entries = read_usage(&args.usage)?;
    let needs = usage::needs(&entries);
    let client = args.connect.client().await?;
    let info = client.api_keys().get(&args.id).await?;
    let key = stored_permissions(&info)?;
    let report = usage::audit(&key, &needs);
    let full_only: Vec<String> = report.full_only.iter().map(|u| u.line()).collect();
    if args.json {
        println!(
            "{}",
            serde_json::json!({
                "id": info.id,
                "entries": entries.len(),
                "exact": report.is_exact(),
                "wider": report.is_wider(),
                "narrower": report.is_narrower(),
                "full_permissions": report.key_is_full,
                "unused": gap_json(&report.unused),
                "missing": gap_json(&report.missing),
                "full_only": full_only,
                "minimal_allowed_paths": needs.permissions.to_allowed_paths(),
            })
        );
    } else {
        println!(
            "key #{} ({}): {}; {} recorded entries in {}",
            info.id,
            info.key_display,
            permissions_text(&info),
            entries.len(),
            args.usage.display()
        );
        if report.key_is_full && full_only.is_empty() {
            println!(
                "  wider: full permissions, where {} would do",
                needs.permissions
            );
        }
        for g in &report.unused {
            match (g.granted, g.needed) {
                (Some(granted), Some(needed)) => println!(
                    "  unused: {}: {} ({} is enough)",
                    g.path,
                    granted.as_str(),
                    needed.as_str()
                ),
                (Some(granted), None) => {
                    println!("  unused: {}: {} (never used)", g.path, granted.as_str())
                }
                _ => {}
            }
        }
        for g in &report.missing {
            println!(
                "  missing: {}: {} (held: {}; these calls fail with this key)",
                g.path,
                g.needed.map_or("", Access::as_str),
                g.granted.map_or("nothing", Access::as_str)
            );
        }
        if !report.key_is_full && !full_only.is_empty() {
            println!(
                "  missing: full permissions, for requests no restricted key can make: {}",
                full_only.join(", ")
            );
        }
    }
    if report.is_exact() {
        if !args.json {
            println!("the key is exactly the least privilege for this usage");
        }
        return Ok(());
    }
    Err(Failure::from(if report.is_narrower() {
        format!(
            "key #{} lacks permissions this integration uses (its calls fail)",
            info.id
        )
    } else {
        format!(
            "key #{} is wider than this integration needs; `mikopbx keys create --from-usage` \
             makes the least-privilege key",
            info.id
        )
    }))
}
