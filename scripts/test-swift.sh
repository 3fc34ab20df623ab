#!/usr/bin/env bash
# Swift package: build the FFI library, generate the bindings, then `swift build` + `swift test`
# (XCTest against the simulator, incl. tests/scenarios) and build and run examples/swift.
#
# Swift comes from scripts/swift-env.sh: the system `swift` when present, otherwise a Debian
# trixie chroot cached in /var/cache/mikopbx-sdk/swift-trixie (first run: a few minutes, ~3 GB).
# Idempotent; any failure exits non-zero.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
started=$SECONDS
log() { printf '[test-swift] %s\n' "$*" >&2; }

# Provision first: on a fresh machine this is the long step, and it needs no build output.
bash scripts/swift-env.sh --provision
log "Swift ready after $((SECONDS - started)) s"

log "building the simulator"
cargo build -q -p mikopbx-sim --bin mikopbx-sim
bash bindings/ffi/generate.sh swift

# The chroot sees the repository and CARGO_TARGET_DIR (swift-env.sh bind-mounts both).
TARGET_DIR="${CARGO_TARGET_DIR:-$REPO/target}"
export MIKOPBX_SIM="$TARGET_DIR/debug/mikopbx-sim"
export MIKOPBX_SCENARIOS="$REPO/tests/scenarios"
export MIKOPBX_LIB_DIR="$TARGET_DIR/debug"

log "swift build + swift test (bindings/swift)"
(cd bindings/swift && bash "$REPO/scripts/swift-env.sh" swift build --build-tests)
test_log="$(mktemp)"
state="$TARGET_DIR/swift-example-sim"
sim_pid=""
cleanup() {
    if [[ -n "$sim_pid" ]]; then kill "$sim_pid" 2>/dev/null || true; wait "$sim_pid" 2>/dev/null || true; fi
    rm -rf "$test_log" "$state"
}
trap cleanup EXIT
set +e
(cd bindings/swift && bash "$REPO/scripts/swift-env.sh" swift test --skip-build --disable-swift-testing) 2>&1 | tee "$test_log"
status=${PIPESTATUS[0]}
set -e
[[ $status -eq 0 ]] || { log "ERROR: swift test failed"; exit "$status"; }
grep -q "Executed [1-9][0-9]* tests\?, with 0 failures" "$test_log" || { log "ERROR: swift test ran no test"; exit 1; }

log "examples/swift: build and run the contact lookup against a fresh simulator"
(cd examples/swift/ContactLookup && bash "$REPO/scripts/swift-env.sh" swift build)
rm -rf "$state"
mkdir -p "$state"
# shellcheck source=scripts/example-sim.sh
source "$REPO/scripts/example-sim.sh"
start_example_sim "$MIKOPBX_SIM" "$state"
out="$(cd examples/swift/ContactLookup && MIKOPBX_URL="$url" MIKOPBX_API_KEY="$admin_key" MIKOPBX_CA_CERT="$ca_pem" \
    bash "$REPO/scripts/swift-env.sh" .build/debug/ContactLookup 201)"
printf '%s\n' "$out"
grep -q '201' <<<"$out" || { log "ERROR: the example did not find extension 201"; exit 1; }

log "examples/swift: the screen-pop places a click-to-call and writes its note with the recording"
create_click_to_call_user "$state" sw-example
out="$(cd examples/swift/ContactLookup && MIKOPBX_URL="$url" MIKOPBX_API_KEY="$admin_key" MIKOPBX_CA_CERT="$ca_pem" \
    MIKOPBX_AMI_USERNAME=sw-example MIKOPBX_AMI_SECRET="$ami_secret" MIKOPBX_AJAM_PORT="$ajam_port" \
    timeout 120 bash "$REPO/scripts/swift-env.sh" .build/debug/ScreenPop --notes "$state/notes" --calls 1 --call 201 +79161234567)"
printf '%s\n' "$out"
check_call_note "$state/notes" "$out"

log "done in $((SECONDS - started)) s"
