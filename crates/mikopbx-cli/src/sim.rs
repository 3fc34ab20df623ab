//! `mikopbx sim`: the simulator, with exactly the flags of `mikopbx-sim` (the simulator crate's
//! own argument struct, so the two can never drift apart).

use std::process::ExitCode;

pub use mikopbx_sim::cli::SimArgs;

pub async fn run(args: SimArgs) -> ExitCode {
    match mikopbx_sim::cli::run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("mikopbx sim: {e}");
            ExitCode::FAILURE
        }
    }
}
