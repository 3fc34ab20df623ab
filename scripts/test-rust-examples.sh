#!/usr/bin/env bash
# The Rust examples that need a live PBX, run against a fresh simulator: the screen-pop places a
# click-to-call (with an AMI user created over REST, as an administrator would) and must write
# the call's note with its recording. (The other examples are compiled by clippy and the tests.)
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
started=$SECONDS
log() { printf '[test-rust-examples] %s\n' "$*" >&2; }
TARGET_DIR="${CARGO_TARGET_DIR:-$REPO/target}"

log "building the simulator and the example"
# The same workspace, features and profile as test-all's `cargo test`, which has built both
# already: this is then a no-op instead of a second build with other features.
cargo build -q --locked --workspace --exclude mikopbx-python --features mikopbx/log-queue \
    --bin mikopbx-sim --example crm_screen_pop

# shellcheck source=scripts/example-sim.sh
source "$REPO/scripts/example-sim.sh"
state="$(mktemp -d)"
sim_pid=""
cleanup() {
    if [[ -n "$sim_pid" ]]; then kill "$sim_pid" 2>/dev/null || true; wait "$sim_pid" 2>/dev/null || true; fi
    rm -rf "$state"
}
trap cleanup EXIT
start_example_sim "$TARGET_DIR/debug/mikopbx-sim" "$state"

log "examples/rust/crm_screen_pop: click-to-call, screen-pop, call note with the recording"
create_click_to_call_user "$state" rs-example
out="$(MIKOPBX_URL="$url" MIKOPBX_API_KEY="$admin_key" MIKOPBX_CA_CERT="$ca_pem" \
    MIKOPBX_AMI_USERNAME=rs-example MIKOPBX_AMI_SECRET="$ami_secret" MIKOPBX_AJAM_PORT="$ajam_port" \
    timeout 120 "$TARGET_DIR/debug/examples/crm_screen_pop" --notes "$state/notes" --calls 1 --call 201 +79161234567)"
printf '%s\n' "$out"
grep -q 'ringing 201' <<<"$out" || { log "ERROR: no screen-pop for the ringing call"; exit 1; }
check_call_note "$state/notes" "$out"

log "done in $((SECONDS - started)) s"
