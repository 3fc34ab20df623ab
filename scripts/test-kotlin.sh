#!/usr/bin/env bash
# Kotlin/JVM package: build the FFI library, generate the bindings, compile and test the Maven
# project against the simulator (JUnit 5), then build and run examples/kotlin against it.
#
# Needs a JDK (17+) and Maven; installs them from Debian if missing. Maven's local repository
# (~/.m2) is the cache. Idempotent; any failure exits non-zero.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
started=$SECONDS
log() { printf '[test-kotlin] %s\n' "$*" >&2; }

if ! command -v java >/dev/null 2>&1 || ! command -v mvn >/dev/null 2>&1; then
    log "installing a JDK and Maven"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq default-jdk-headless maven >/dev/null
fi

MVN=(mvn -B -ntp)
TARGET_DIR="${CARGO_TARGET_DIR:-$REPO/target}"

log "building the simulator"
cargo build -q -p mikopbx-sim --bin mikopbx-sim
bash bindings/ffi/generate.sh kotlin

log "mvn clean install (bindings/kotlin: compile, JUnit against the simulator, jar with the native library)"
(cd bindings/kotlin && "${MVN[@]}" clean install "-Dmikopbx.cargo.target=$TARGET_DIR/debug")

jar="bindings/kotlin/target/mikopbx-sdk-0.1.0.jar"
listing="$(jar tf "$jar")"
[[ "$listing" == *linux-x86-64/libmikopbx_ffi.so* ]] || { log "ERROR: $jar lacks the native library"; exit 1; }

log "examples/kotlin: build and run the contact lookup against a fresh simulator"
(cd examples/kotlin && "${MVN[@]}" -q clean package dependency:build-classpath -Dmdep.outputFile=target/classpath.txt)

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

out="$(MIKOPBX_URL="$url" MIKOPBX_API_KEY="$(cat "$state/sim/admin-key.txt")" MIKOPBX_CA_CERT="$state/sim/ca.pem" \
    java -cp "examples/kotlin/target/classes:$(cat examples/kotlin/target/classpath.txt)" \
    com.example.crm.ContactLookupKt 201)"
printf '%s\n' "$out"
grep -q '201' <<<"$out" || { log "ERROR: the example did not find extension 201"; exit 1; }

log "examples/kotlin: the screen-pop places a click-to-call and writes its note with the recording"
# The AMI user the example needs, created over REST as an administrator would (least rights,
# network filter 4: this host only). The secret goes in a file and the environment, never argv.
ami_secret="Kt-Example-$RANDOM$RANDOM"
cat >"$state/manager.json" <<JSON
{"username": "kt-example", "secret": "$ami_secret", "networkfilterid": "4",
 "permissions": {"originate_write": true, "call_read": true}}
JSON
curl -sS --fail --cacert "$state/sim/ca.pem" -H "Authorization: Bearer $(cat "$state/sim/admin-key.txt")" \
    -H 'Content-Type: application/json' --data @"$state/manager.json" \
    "$url/pbxcore/api/v3/asterisk-managers" >/dev/null
out="$(MIKOPBX_URL="$url" MIKOPBX_API_KEY="$(cat "$state/sim/admin-key.txt")" MIKOPBX_CA_CERT="$state/sim/ca.pem" \
    MIKOPBX_AMI_USERNAME=kt-example MIKOPBX_AMI_SECRET="$ami_secret" \
    MIKOPBX_AJAM_PORT="$(sed 's/.*://' "$state/sim/ajam-url.txt")" \
    timeout 120 java -cp "examples/kotlin/target/classes:$(cat examples/kotlin/target/classpath.txt)" \
    com.example.crm.ScreenPopKt --notes "$state/notes" --calls 1 --call 201 +79161234567)"
printf '%s\n' "$out"
note="$(ls "$state"/notes/sdk-*.json 2>/dev/null | head -n1)"
[[ -n "$note" ]] || { log "ERROR: the screen-pop wrote no call note"; exit 1; }
cat "$note"; echo
grep -q '"disposition": "ANSWERED"' "$note" || { log "ERROR: the note is not of an answered call"; exit 1; }
grep -q '"content_type": "audio/mpeg"' "$note" || { log "ERROR: the note has no recording"; exit 1; }

log "done in $((SECONDS - started)) s"
