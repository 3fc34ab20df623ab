//! # mikopbx-sim: a faithful MikoPBX REST API v3 simulator
//!
//! A local HTTPS server that behaves like a MikoPBX PBX (release 2026.1.x) for everything an
//! integration touches, so client code can be tested over real TLS without a PBX, as people
//! test against stripe-mock or LocalStack. It is the test bed of the `mikopbx` SDK in every
//! language.
//!
//! What it reproduces (see `mikopbx-api.md` in the SDK repository for the sources):
//! * **TLS**: its own CA and a `localhost` / `127.0.0.1` / `::1` certificate, or MikoPBX's
//!   default self-signed certificate shape ([`TlsMode::PbxDefault`]), or plain HTTP.
//! * **Authentication**: `Authorization: Bearer` with a JWT (from `auth:login`) or an API key
//!   (bcrypt-hashed, `full_permissions` / `allowed_paths`, network filter), the no-token
//!   localhost bypass (only `127.0.0.1` and `::1`: a client bound to `127.0.0.2` is remote),
//!   the same 401 for every key failure, 403 for a JWT refused by its role's ACL, and the
//!   permission checker's A–F ID bug (switchable).
//! * **nginx**: plain-text WAF 403 (release 2026.1.223's `unified-security.lua`: path as
//!   nginx's normalised `$uri`, RAW query string and User-Agent checked as one string; develop's
//!   stricter script with body scanning behind [`SimulatorBuilder::develop_waf`]), ~200
//!   requests/minute per IP then plain-text 429 and a 300 s × 2ⁿ ban, 301 from the plain port
//!   to HTTPS.
//! * **Backend**: 3 workers; a request finding more than 50 already waiting gets 503; a 30 s
//!   answer timeout (400); the envelope byte shapes of PHP's `json_encode()` (`messages: []`,
//!   `\/` in strings, the 404 with `success`, `meta` with timestamp and hash, `E-Tag`).
//! * **Data**: 50 employees on SIP extensions 201–250 with mobile numbers, queues, IVR menus, a
//!   conference room, SIP trunks, 100 000 generated call records over the last year (calls
//!   today included; queue calls have two legs under one `linkedid`), live calls that change
//!   over time, API keys, network filters 1 (127.0.0.2/32), 2 (LAN) and 3 (127.0.0.1/32). List
//!   and record shapes follow the Core sources (tag 2026.1.223 = develop@e26e6b9 for these
//!   files): e.g. there is no `GET extensions/{id}` (422 "Unknown action"), `extensions` lists
//!   ignore `type`, API-key lists are summaries without `allowed_paths`, nested empty objects go
//!   out as `[]`.
//! * **Saving** like `SaveRecordAction`: input is sanitised rather than rejected (non-digits
//!   stripped from numbers, over-long strings cut), required-field failures come as
//!   `messages.error` objects keyed by field, SIP secrets go through the `PasswordService`
//!   rules, and `networkfilterid: "localhost"` is stored as "no filter" like the real REST API
//!   does (switch: [`SimulatorBuilder::network_filter_quirk`]).
//! * **Faults** switchable at run time: latency, connection resets, truncated bodies, 5xx/503
//!   bursts ([`FaultControl`], or `POST /_sim/faults`).
//!
//! ## As a library (Rust tests)
//!
//! ```no_run
//! use mikopbx_sim::{Simulator, TlsMode};
//!
//! # async fn demo() -> Result<(), mikopbx_sim::SimError> {
//! let sim = Simulator::builder()
//!     .tls(TlsMode::LocalCa)
//!     .clock_scale(60.0) // bans and token lifetimes run 60× faster
//!     .start()
//!     .await?;
//! println!("{} trusts {} bytes of PEM, key {}", sim.url(), sim.ca_pem().len(), sim.admin_key());
//! sim.faults().status_burst(503, 2); // the next two API calls get "queue full"
//! sim.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! ## As a program (any language)
//!
//! ```text
//! mikopbx-sim --addr 127.0.0.1:8443 --state-dir DIR [--tls local-ca|pbx-default|plain]
//!             [--hostname mikopbx] [--http-addr 127.0.0.1:8080] [--clock-scale 60]
//!             [--no-id-quirk] [--admin-password P] [--cdr-records 100000]
//!             [--develop-waf] [--no-network-filter-quirk]
//! ```
//! It writes `DIR/ca.pem` (trust this), `DIR/admin-key.txt` (a full-permission key, one line),
//! `DIR/control-token.txt` (for `/_sim/*`) and `DIR/state.json`, then prints
//! `mikopbx-sim listening on https://127.0.0.1:8443` and serves until killed.
//! `--addr 127.0.0.1:0` picks a free port; the printed URL shows it.
//!
//! Control endpoints (loopback client + header `X-Sim-Control: <control-token.txt>`, else 404):
//! `POST /_sim/faults` with `{"latency_ms":0,"reset_next":0,"truncate_next":0,
//! "status_burst":{"status":503,"count":3}}`, and `POST /_sim/reset` (clears rate-limit
//! counters, bans and login-attempt counters), and `POST /_sim/calls` with
//! `{"from":"79161234567","to":"201","answer_after_ms":800,"talk_ms":2500}` (answer omitted or
//! null: not answered; optional `ring_ms`, `did`), which places a call and answers
//! `{"linkedid":"…"}`: the call shows in `pbx-status` while it rings and talks, then as a CDR
//! row with that linkedid and, when answered, a recording (see the `calls` module); and
//! `POST /_sim/clock` with `{"advance_ms":N}`, which moves the simulated clock forward so a
//! call steps through its phases without waiting.
//!
//! Web users: `admin` / `--admin-password` (role `admins`), and `viewer` / `viewer`, a
//! read-only role that emulates ModuleUsersUI so the ACL's 403 can be tested.
//!
//! The same command line is available to other binaries through [`cli::SimArgs`] and
//! [`cli::run`] (the SDK's `mikopbx sim` uses them).
//!
//! ## Where the simulator knowingly differs from a PBX
//! * The nginx layer exempts only `127.0.0.1` / `::1` (the Lua script exempts all of
//!   `127.0.0.0/8`), so loopback tests bound to `127.0.0.2` can reach the WAF and rate limit.
//! * Certificates use ECDSA P-256 (the PBX's default is RSA 2048; `ring` cannot generate RSA).
//! * bcrypt cost 4 instead of PHP's 10, for speed; the hash format is the same.
//! * Times are UTC; a PBX uses its local time zone.
//! * Employee-number uniqueness also counts queue / IVR / conference numbers (the real query's
//!   `userid != :userid:` never matches their NULL userid; the database then refuses the save).
//! * Delete conflicts list approximate record names (no web-interface links).
//! * An IVR menu whose `extension` a PATCH set to another record's number (PatchAction writes it
//!   unchecked): a later PUT or DELETE of the menu would renumber or delete that record's
//!   extension on a PBX; the simulator leaves the other record alone.
//! * `SIGTERM` / `SIGINT` end the program within about 2 s, open connections or not.

// `mikopbx_sim::…` paths inside the crate too, so `test_support` reads the same in the crate's
// own tests and in `tests/`.
#[cfg(test)]
extern crate self as mikopbx_sim;

mod ajam;
mod ajam_events;
mod app;
mod audio;
mod auth;
mod calls;
mod cdr_gen;
pub mod cli;
mod clock;
mod control;
mod envelope;
mod faults;
mod nginx;
mod queue;
mod request;
mod resources;
mod router;
mod seed;
mod server;
mod sim;
mod state;
#[cfg(test)]
mod test_support;
mod tls;
mod util;

pub use faults::FaultControl;
pub use sim::{RunningSimulator, Simulator, SimulatorBuilder, TlsMode};

/// Why the simulator could not start.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The listen address could not be bound.
    #[error("cannot listen on {0}: {1}")]
    Bind(std::net::SocketAddr, std::io::Error),
    /// A file in the state directory could not be written.
    #[error("cannot write {path}: {source}", path = .0.display(), source = .1)]
    Io(std::path::PathBuf, std::io::Error),
    /// Certificate generation or TLS configuration failed.
    #[error("TLS setup failed: {0}")]
    Tls(String),
}
