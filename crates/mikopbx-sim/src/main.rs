//! `mikopbx-sim`: run the MikoPBX v3 simulator until killed. See the library docs.

use clap::Parser;
use mikopbx_sim::cli::{SimArgs, run};

/// A faithful MikoPBX REST API v3 simulator over real TLS.
#[derive(Debug, Parser)]
#[command(name = "mikopbx-sim", version, about)]
struct Cli {
    #[command(flatten)]
    args: SimArgs,
}

#[tokio::main]
async fn main() {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    if let Err(e) = run(cli.args).await {
        eprintln!("mikopbx-sim: {e}");
        std::process::exit(1);
    }
    // Exit at once: dropping the runtime would wait for any task still blocking a thread.
    std::process::exit(0);
}
