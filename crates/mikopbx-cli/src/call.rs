//! `mikopbx call 201 79161234567`: click-to-call. The agent's phone rings; when the agent
//! answers, the PBX dials the number. Prints the call's linkedid (its CDR row carries it).
//!
//! It speaks AJAM on the PBX's Asterisk HTTPS port with an Asterisk manager login (the SDK's
//! `calls().originate`): the username from `--ami-username` or `MIKOPBX_AMI_USERNAME`, the secret
//! from `MIKOPBX_AMI_SECRET` or `--ami-secret-file`, never from the command line (it would sit in
//! the shell history and the process list).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use crate::connect::ConnectArgs;
use crate::exit::Failure;

#[derive(Args, Debug)]
pub struct CallArgs {
    #[command(flatten)]
    connect: ConnectArgs,
    /// The agent's extension, which rings first (e.g. 201).
    from_extension: String,
    /// The number the PBX then dials (digits, * and #, optional leading +).
    to_number: String,
    /// The Asterisk manager username (default: MIKOPBX_AMI_USERNAME).
    #[arg(long)]
    ami_username: Option<String>,
    /// File holding the manager's secret (default: MIKOPBX_AMI_SECRET).
    #[arg(long)]
    ami_secret_file: Option<PathBuf>,
    /// The PBX's AJAM TLS port (default 8089).
    #[arg(long)]
    ajam_port: Option<u16>,
    /// SHA-256 pin of the Asterisk port's certificate, when it is not the web port's.
    #[arg(long)]
    ajam_cert_sha256: Option<String>,
    /// Print `{"linkedid": …}` instead of the bare linkedid.
    #[arg(long)]
    json: bool,
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

pub async fn run(args: CallArgs) -> ExitCode {
    match call(&args).await {
        Ok(linkedid) if args.json => {
            println!("{}", serde_json::json!({ "linkedid": linkedid }));
            ExitCode::SUCCESS
        }
        Ok(linkedid) => {
            println!("{linkedid}");
            ExitCode::SUCCESS
        }
        Err(f) => f.report(),
    }
}

async fn call(args: &CallArgs) -> Result<String, Failure> {
    let username = args
        .ami_username
        .clone()
        .or_else(|| env("MIKOPBX_AMI_USERNAME"))
        .ok_or_else(|| {
            Failure::usage("give the Asterisk manager with --ami-username or MIKOPBX_AMI_USERNAME")
        })?;
    let secret = match &args.ami_secret_file {
        Some(p) => std::fs::read_to_string(p)
            .map(|s| s.trim().to_owned())
            .map_err(|e| Failure::usage(format!("cannot read {}: {e}", p.display())))?,
        None => env("MIKOPBX_AMI_SECRET").ok_or_else(|| {
            Failure::usage("give the manager's secret in MIKOPBX_AMI_SECRET or --ami-secret-file")
        })?,
    };
    let mut b = args.connect.builder()?.asterisk_manager(username, secret);
    if let Some(port) = args.ajam_port {
        b = b.ajam_port(port);
    }
    if let Some(pin) = &args.ajam_cert_sha256 {
        b = b.pin_ajam_certificate_sha256(pin)?;
    }
    let client = b.build()?;
    Ok(client
        .calls()
        .originate(&args.from_extension, &args.to_number)
        .await?)
}
