//! `mikopbx keys`: API keys, least privilege first.
//!
//! * `keys create --for extensions.list,cdr.list [--network localhost|any|<filter id>]` makes a
//!   key with exactly the `allowed_paths` those operations need (the SDK's
//!   `api_keys().create_for`, which checks what the PBX stored) and prints the plaintext key
//!   once, alone on stdout, so `KEY=$(mikopbx keys create …)` works; the rest goes to stderr.
//! * `keys list`, `keys revoke ID`, `keys rotate ID` (a new key with the same permissions and
//!   network filter, then the old one revoked after confirmation).
//!
//! The key that runs these commands needs write on `api-keys` (and read on `network-filters`
//! for `--network localhost`); it comes from `MIKOPBX_API_KEY` or `--api-key-file`, never from
//! the command line.

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

use clap::{Args, Subcommand};
use mikopbx::{ApiKeyInfo, Client, NetworkFilter, NewApiKey, Permissions};

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
}

#[derive(Args, Debug)]
pub struct CreateArgs {
    #[command(flatten)]
    connect: ConnectArgs,
    /// The operations the integration performs, comma-separated (`mikopbx operations` names
    /// them): extensions.list,cdr.list
    #[arg(long = "for", value_delimiter = ',', required = true)]
    operations: Vec<String>,
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

async fn create(args: &CreateArgs) -> Result<(), Failure> {
    let network = parse_network(&args.network)?;
    let client = args.connect.client().await?;
    let created = client
        .api_keys()
        .create_for(args.description.clone(), args.operations.clone(), network)
        .await?;
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
    revoke_key(&client, &info).await
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
