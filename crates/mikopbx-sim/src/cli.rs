//! The command line of `mikopbx-sim`, shared with `mikopbx sim` (the SDK's CLI flattens
//! [`SimArgs`] into its own subcommand and calls [`run`]).

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;

use clap::ValueEnum;

use crate::{SimError, Simulator, TlsMode};

/// `--tls` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TlsArg {
    /// A fresh CA in DIR/ca.pem and a localhost / 127.0.0.1 / ::1 certificate.
    LocalCa,
    /// A self-signed certificate shaped like MikoPBX's default (one SAN: --hostname).
    PbxDefault,
    /// Plain HTTP (a PBX with RedirectToHttps=0).
    Plain,
}

/// The simulator's flags.
#[derive(Debug, Clone, clap::Args)]
pub struct SimArgs {
    /// Address to listen on; port 0 picks a free one.
    #[arg(long, default_value = "127.0.0.1:8443")]
    pub addr: SocketAddr,
    /// State directory (created if needed): ca.pem, admin-key.txt, control-token.txt,
    /// state.json. Without it a temporary directory is used and removed on exit.
    #[arg(long)]
    pub state_dir: Option<PathBuf>,
    /// Certificate mode.
    #[arg(long, value_enum, default_value = "local-ca")]
    pub tls: TlsArg,
    /// The single SAN of the pbx-default certificate.
    #[arg(long, default_value = "mikopbx")]
    pub hostname: String,
    /// Also serve plain HTTP here (non-local clients get 301 to HTTPS).
    #[arg(long)]
    pub http_addr: Option<SocketAddr>,
    /// Run bans, rate-limit windows and token lifetimes this many times faster.
    #[arg(long, default_value_t = 1.0)]
    pub clock_scale: f64,
    /// Fix the permission checker's A–F ID bug instead of reproducing it.
    #[arg(long)]
    pub no_id_quirk: bool,
    /// Password of the web user `admin`.
    #[arg(long, default_value = "admin")]
    pub admin_password: String,
    /// Lifetime of the access tokens auth:login and auth:refresh issue, in simulated seconds.
    /// A simulator addition for tests of session refresh: the server's is a constant, 900.
    #[arg(long, default_value_t = 900)]
    pub access_token_ttl: u64,
    /// Number of generated call records over the last 365 days.
    #[arg(long, default_value_t = 100_000)]
    pub cdr_records: u64,
    /// Reproduce MikoPBX develop's WAF (after release 2026.1.223): also scans POST/PUT/PATCH
    /// bodies, so e.g. a description "update CDR settings" gets the plain-text 403.
    #[arg(long)]
    pub develop_waf: bool,
    /// Store `networkfilterid: "localhost"` sent to the api-keys endpoints as asked, instead of
    /// reproducing the real REST API, which stores it as "no network filter".
    #[arg(long)]
    pub no_network_filter_quirk: bool,
    /// Port of the Asterisk HTTPS listener (AJAM, for click-to-call), on the --addr address;
    /// 0 picks a free one (a PBX uses 8089). Its URL is printed and written to ajam-url.txt.
    #[arg(long, default_value_t = 0)]
    pub ajam_port: u16,
    /// Give the Asterisk HTTPS listener its own self-signed certificate, as a PBX in fallback
    /// mode does (443 and 8089 then present different certificates).
    #[arg(long)]
    pub ajam_fallback_certificate: bool,
}

/// Start the simulator, print `mikopbx-sim listening on <URL>` on stdout, serve until
/// SIGINT / SIGTERM.
pub async fn run(args: SimArgs) -> Result<(), SimError> {
    let tls = match args.tls {
        TlsArg::LocalCa => TlsMode::LocalCa,
        TlsArg::PbxDefault => TlsMode::PbxDefault {
            hostname: args.hostname.clone(),
        },
        TlsArg::Plain => TlsMode::PlainHttp,
    };
    let mut builder = Simulator::builder()
        .addr(args.addr)
        .tls(tls)
        .clock_scale(args.clock_scale)
        .id_quirk(!args.no_id_quirk)
        .admin_password(args.admin_password)
        .access_token_ttl(args.access_token_ttl)
        .cdr_records(args.cdr_records)
        .develop_waf(args.develop_waf)
        .network_filter_quirk(!args.no_network_filter_quirk)
        .ajam_port(args.ajam_port)
        .ajam_fallback_certificate(args.ajam_fallback_certificate);
    if let Some(dir) = args.state_dir {
        builder = builder.state_dir(dir);
    }
    if let Some(a) = args.http_addr {
        builder = builder.http_addr(a);
    }
    let sim = builder.start().await?;
    let mut out = std::io::stdout();
    let _ = writeln!(out, "mikopbx-sim listening on {}", sim.url());
    if let Some(h) = sim.http_url() {
        let _ = writeln!(out, "mikopbx-sim plain HTTP on {h}");
    }
    if let Some(a) = sim.ajam_url() {
        let _ = writeln!(out, "mikopbx-sim AJAM on {a}");
    }
    let _ = out.flush();
    eprintln!(
        "state dir {} (ca.pem, admin-key.txt, control-token.txt)",
        sim.state_dir().display()
    );
    wait_for_signal().await;
    // Bounded: a harness that sends SIGTERM must not wait on keep-alive clients or anything
    // else still running in the runtime (ffi 21:22). Two seconds, then the process ends.
    let _ = tokio::time::timeout(std::time::Duration::from_secs(2), sim.shutdown()).await;
    Ok(())
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: SimArgs,
    }

    #[test]
    fn audit_flags_parse_and_default_off() {
        let cli = Cli::parse_from(["mikopbx-sim"]);
        assert!(!cli.args.develop_waf && !cli.args.no_network_filter_quirk);
        let cli = Cli::parse_from(["mikopbx-sim", "--develop-waf", "--no-network-filter-quirk"]);
        assert!(cli.args.develop_waf && cli.args.no_network_filter_quirk);
    }

    #[test]
    fn the_access_token_lifetime_defaults_to_the_servers() {
        let cli = Cli::parse_from(["mikopbx-sim"]);
        assert_eq!(cli.args.access_token_ttl, 900);
        let cli = Cli::parse_from(["mikopbx-sim", "--access-token-ttl", "4"]);
        assert_eq!(cli.args.access_token_ttl, 4);
    }
}
