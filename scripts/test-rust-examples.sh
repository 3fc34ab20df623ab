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

state="$(mktemp -d)"
sim_pid=""
cleanup() {
    if [[ -n "$sim_pid" ]]; then kill "$sim_pid" 2>/dev/null || true; wait "$sim_pid" 2>/dev/null || true; fi
    rm -rf "$state"
}
trap cleanup EXIT
"$TARGET_DIR/debug/mikopbx-sim" --addr 127.0.0.1:0 --state-dir "$state/sim" >"$state/sim.out" 2>"$state/sim.err" &
sim_pid=$!
for _ in $(seq 1 100); do
    grep -q 'https://' "$state/sim.out" 2>/dev/null && break
    sleep 0.1
done
url="$(grep -o 'https://[^ ]*' "$state/sim.out" | head -n1)"
[[ -n "$url" ]] || { cat "$state/sim.err" >&2; log "ERROR: simulator did not start"; exit 1; }

log "examples/rust/crm_screen_pop: click-to-call, screen-pop, call note with the recording"
ami_secret="Rs-Example-$RANDOM$RANDOM"
printf '{"username": "rs-example", "secret": "%s", "networkfilterid": "4", "permissions": {"originate_write": true, "call_read": true}}' \
    "$ami_secret" >"$state/manager.json"
curl -sS --fail --cacert "$state/sim/ca.pem" -H "Authorization: Bearer $(cat "$state/sim/admin-key.txt")" \
    -H 'Content-Type: application/json' --data @"$state/manager.json" \
    "$url/pbxcore/api/v3/asterisk-managers" >/dev/null
out="$(MIKOPBX_URL="$url" MIKOPBX_API_KEY="$(cat "$state/sim/admin-key.txt")" MIKOPBX_CA_CERT="$state/sim/ca.pem" \
    MIKOPBX_AMI_USERNAME=rs-example MIKOPBX_AMI_SECRET="$ami_secret" \
    MIKOPBX_AJAM_PORT="$(sed 's/.*://' "$state/sim/ajam-url.txt")" \
    timeout 120 "$TARGET_DIR/debug/examples/crm_screen_pop" --notes "$state/notes" --calls 1 --call 201 +79161234567)"
printf '%s\n' "$out"
grep -q 'ringing 201' <<<"$out" || { log "ERROR: no screen-pop for the ringing call"; exit 1; }
note="$(ls "$state"/notes/sdk-*.json 2>/dev/null | head -n1)"
[[ -n "$note" ]] || { log "ERROR: the screen-pop wrote no call note"; exit 1; }
cat "$note"; echo
grep -q '"disposition": "ANSWERED"' "$note" || { log "ERROR: the note is not of an answered call"; exit 1; }
grep -q '"content_type": "audio/mpeg"' "$note" || { log "ERROR: the note has no recording"; exit 1; }
if grep -q "$ami_secret" <<<"$out" || grep -rq "$ami_secret" "$state/notes"; then
    log "ERROR: the AMI secret was printed or written"; exit 1
fi

log "done in $((SECONDS - started)) s"
