//! `mikopbx`: the command-line face of the MikoPBX SDK.
//!
//! - `mikopbx demo`: the SDK's promises shown against an in-process simulator.
//! - `mikopbx doctor`: can this machine use this PBX with this key? (reachability, TLS and the
//!   fingerprint to pin, key validity, per-resource access, network filter, every operation of
//!   the catalogue, the Asterisk TLS port for click-to-call; `--json` for all of it).
//!
//! Every command that prints results has `--json`, except `demo` (a show for a person) and
//! `sim` (a server: it prints its URLs, and its CA and admin key are files in its state
//! directory); `minimal` and `api` print JSON already.
//! - `mikopbx sim`: the simulator, with the same flags as `mikopbx-sim`.
//! - `mikopbx operations`: which permission each SDK call needs; `mikopbx minimal OP…`: the
//!   `allowed_paths` an integration needs.
//! - `mikopbx call 201 79161234567`: click-to-call (an Asterisk manager login, over AJAM).
//! - `mikopbx calls watch`: live call events; `mikopbx recordings download`: a period's
//!   recordings into a directory, resumable.
//! - `mikopbx cdr export --from --to --format csv|jsonl --out FILE`: a period's call records in
//!   one file, streamed with a progress bar, resumable with nothing lost or repeated.
//! - `mikopbx keys create --for extensions.list,cdr.list`: a least-privilege key, printed once;
//!   `keys list`, `keys revoke ID`, `keys rotate ID`.
//! - `mikopbx api GET /pbxcore/api/v3/…`: any request under the API, through the escape hatch.
//! - `mikopbx profile add office --url …`: several PBXs by name (`mikopbx --profile office …`),
//!   the key in the OS keyring; `--user admin` logs in with a password instead of a key.
//! - `mikopbx completions bash`, `mikopbx man`: shell completions and the man page, generated
//!   from these definitions; `mikopbx exit-codes`: what each exit code means ([`exit`]).

mod api;
mod call;
mod calls;
mod cdr;
mod connect;
mod demo;
mod doctor;
mod exit;
mod keys;
mod profile;
mod recordings;
mod sim;

use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(
    name = "mikopbx",
    version,
    about = "MikoPBX SDK tools: demo, doctor, call, calls, recordings, cdr export, simulator"
)]
struct Cli {
    /// Use a saved PBX (URL, certificate pin, key in the OS keyring): `mikopbx profile add`.
    #[arg(long, global = true, env = "MIKOPBX_PROFILE", value_name = "NAME")]
    profile: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Show the SDK against an in-process simulator (no PBX needed). A show for a person, so no
    /// --json: its results are the SDK's own tests.
    Demo,
    /// Check that this machine can use a PBX with a key (MIKOPBX_* variables or flags): TLS and
    /// the fingerprint to pin, the key, every operation of the catalogue, the Asterisk TLS port.
    /// Never writes. Exit 0 when usable, else the blocking problem's code (`mikopbx exit-codes`).
    Doctor(doctor::DoctorArgs),
    /// Click-to-call: ring the agent's extension, then dial the number; prints the linkedid.
    Call(call::CallArgs),
    /// Live calls: `calls watch` prints call events as they happen.
    #[command(subcommand)]
    Calls(calls::CallsCommand),
    /// Call recordings: `recordings download` saves a period's recordings, resumably.
    #[command(subcommand)]
    Recordings(recordings::RecordingsCommand),
    /// Call records: `cdr export` writes a period's records to a CSV or JSON-lines file,
    /// resumably.
    #[command(subcommand)]
    Cdr(cdr::CdrCommand),
    /// API keys: `keys create --for extensions.list,cdr.list` or `--from-usage FILE` (least
    /// privilege), `list`, `revoke`, `rotate`, `audit ID --usage FILE`.
    #[command(subcommand)]
    Keys(keys::KeysCommand),
    /// Any request under the API (a module's endpoint, or one the typed API lacks): prints its
    /// `data` as JSON.
    Api(api::ApiArgs),
    /// Saved PBXs: `profile add office --url https://… --cert-sha256 …` (the key goes to the OS
    /// keyring), `list`, `set-key`, `remove`; then `mikopbx --profile office …`.
    #[command(subcommand)]
    Profile(profile::ProfileCommand),
    /// Print a shell completion script: `mikopbx completions bash > /etc/bash_completion.d/mikopbx`.
    Completions {
        /// bash, zsh, fish, powershell or elvish.
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff): `mikopbx man | man -l -`.
    Man,
    /// Print what each exit code means (the same for every command).
    ExitCodes {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Run the MikoPBX simulator (same flags as `mikopbx-sim`). A server, so no --json: it
    /// prints its URLs and writes ca.pem and admin-key.txt to its state directory.
    Sim(sim::SimArgs),
    /// Print which permission every SDK operation needs (Markdown table), or with `--json` the
    /// table as a JSON array (one object per operation: name, wire, method, path, resource,
    /// access, idempotent, public, parameters, …).
    Operations {
        /// Print JSON instead of Markdown.
        #[arg(long)]
        json: bool,
    },
    /// Print the least-privilege `allowed_paths` for a list of operations (e.g. extensions.list cdr.list).
    Minimal {
        /// Operation names from `mikopbx operations`.
        #[arg(required = true)]
        ops: Vec<String>,
    },
}

/// Writes generated text to stdout; a reader that stops early (`| head`) is not an error.
fn print_generated(bytes: &[u8]) -> ExitCode {
    use std::io::Write;
    match std::io::stdout().lock().write_all(bytes) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            exit::Failure::from(format!("cannot write to stdout: {e}")).report()
        }
        _ => ExitCode::SUCCESS,
    }
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

#[tokio::main]
async fn main() -> ExitCode {
    init_tracing();
    let cli = Cli::parse();
    connect::select_profile(cli.profile);
    match cli.command {
        Command::Demo => demo::run().await,
        Command::Doctor(args) => doctor::run(args).await,
        Command::Call(args) => call::run(args).await,
        Command::Calls(command) => calls::run(command).await,
        Command::Recordings(command) => recordings::run(command).await,
        Command::Cdr(command) => cdr::run(command).await,
        Command::Keys(command) => keys::run(command).await,
        Command::Api(args) => api::run(args).await,
        Command::Sim(args) => sim::run(args).await,
        Command::Profile(command) => profile::run(command),
        Command::Completions { shell } => {
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "mikopbx", &mut script);
            print_generated(&script)
        }
        Command::Man => {
            let mut page = Vec::new();
            match clap_mangen::Man::new(Cli::command()).render(&mut page) {
                Ok(()) => print_generated(&page),
                Err(e) => exit::Failure::from(format!("cannot render the man page: {e}")).report(),
            }
        }
        Command::ExitCodes { json } => {
            for (code, meaning) in exit::TABLE {
                if json {
                    println!("{}", serde_json::json!({"code": code, "meaning": meaning}));
                } else {
                    println!("{code:>4}  {meaning}");
                }
            }
            ExitCode::SUCCESS
        }
        Command::Operations { json: false } => {
            print!("{}", mikopbx::operations::markdown_table());
            ExitCode::SUCCESS
        }
        Command::Operations { json: true } => {
            let table = mikopbx::describe::operations_json();
            println!(
                "{}",
                serde_json::to_string_pretty(&table).unwrap_or_else(|_| "[]".into())
            );
            ExitCode::SUCCESS
        }
        Command::Minimal { ops } => match mikopbx::operations::find_all(&ops) {
            Ok(specs) => {
                let p = mikopbx::Permissions::minimal_for(&specs);
                let json = serde_json::to_string_pretty(&p.to_allowed_paths())
                    .unwrap_or_else(|_| "{}".into());
                println!("{json}");
                ExitCode::SUCCESS
            }
            Err(e) => exit::Failure::usage(e.to_string()).report(),
        },
    }
}
