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
"$MIKOPBX_SIM" --addr 127.0.0.1:0 --state-dir "$state/sim" >"$state.out" 2>"$state.err" &
sim_pid=$!
for _ in $(seq 1 100); do
    grep -q 'https://' "$state.out" 2>/dev/null && break
    sleep 0.1
done
url="$(grep -o 'https://[^ ]*' "$state.out" | head -n1)"
[[ -n "$url" ]] || { cat "$state.err" >&2; log "ERROR: simulator did not start"; exit 1; }
out="$(cd examples/swift/ContactLookup && MIKOPBX_URL="$url" MIKOPBX_API_KEY="$(cat "$state/sim/admin-key.txt")" MIKOPBX_CA_CERT="$state/sim/ca.pem" \
    bash "$REPO/scripts/swift-env.sh" .build/debug/ContactLookup 201)"
printf '%s\n' "$out"
grep -q '201' <<<"$out" || { log "ERROR: the example did not find extension 201"; exit 1; }

log "examples/swift: the screen-pop places a click-to-call and writes its note with the recording"
# The AMI user the example needs, created over REST as an administrator would (least rights,
# network filter 4: this host only); the secret travels in the environment, never in argv.
ami_secret="Sw-Example-$RANDOM$RANDOM"
printf '{"username": "sw-example", "secret": "%s", "networkfilterid": "4", "permissions": {"originate_write": true, "call_read": true}}' \
    "$ami_secret" >"$state/manager.json"
curl -sS --fail --cacert "$state/sim/ca.pem" -H "Authorization: Bearer $(cat "$state/sim/admin-key.txt")" \
    -H 'Content-Type: application/json' --data @"$state/manager.json" \
    "$url/pbxcore/api/v3/asterisk-managers" >/dev/null
out="$(cd examples/swift/ContactLookup && MIKOPBX_URL="$url" MIKOPBX_API_KEY="$(cat "$state/sim/admin-key.txt")" MIKOPBX_CA_CERT="$state/sim/ca.pem" \
    MIKOPBX_AMI_USERNAME=sw-example MIKOPBX_AMI_SECRET="$ami_secret" MIKOPBX_AJAM_PORT="$(sed 's/.*://' "$state/sim/ajam-url.txt")" \
    timeout 120 bash "$REPO/scripts/swift-env.sh" .build/debug/ScreenPop --notes "$state/notes" --calls 1 --call 201 +79161234567)"
rm -f "$state.out" "$state.err"
printf '%s\n' "$out"
note="$(ls "$state"/notes/sdk-*.json 2>/dev/null | head -n1)"
[[ -n "$note" ]] || { log "ERROR: the screen-pop wrote no call note"; exit 1; }
cat "$note"; echo
grep -q '"disposition":"ANSWERED"' "$note" || { log "ERROR: the note is not of an answered call"; exit 1; }
grep -q '"content_type":"audio/mpeg"' "$note" || { log "ERROR: the note has no recording"; exit 1; }

log "done in $((SECONDS - started)) s"
