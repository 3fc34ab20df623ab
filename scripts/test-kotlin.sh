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

version="$(sed -n "s|^  <version>\(.*\)</version>|\1|p" bindings/kotlin/pom.xml | head -n1)"
jar="bindings/kotlin/target/mikopbx-sdk-$version.jar"
listing="$(jar tf "$jar")"
[[ "$listing" == *linux-x86-64/libmikopbx_ffi.so* ]] || { log "ERROR: $jar lacks the native library"; exit 1; }

log "examples/kotlin: build and run the contact lookup against a fresh simulator"
(cd examples/kotlin && "${MVN[@]}" -q clean package dependency:build-classpath -Dmdep.outputFile=target/classpath.txt)

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
classpath="examples/kotlin/target/classes:$(cat examples/kotlin/target/classpath.txt)"

out="$(MIKOPBX_URL="$url" MIKOPBX_API_KEY="$admin_key" MIKOPBX_CA_CERT="$ca_pem" \
    java -cp "$classpath" com.example.crm.ContactLookupKt 201)"
printf '%s\n' "$out"
grep -q '201' <<<"$out" || { log "ERROR: the example did not find extension 201"; exit 1; }

log "examples/kotlin: the screen-pop places a click-to-call and writes its note with the recording"
create_click_to_call_user "$state" kt-example
out="$(MIKOPBX_URL="$url" MIKOPBX_API_KEY="$admin_key" MIKOPBX_CA_CERT="$ca_pem" \
    MIKOPBX_AMI_USERNAME=kt-example MIKOPBX_AMI_SECRET="$ami_secret" MIKOPBX_AJAM_PORT="$ajam_port" \
    timeout 120 java -cp "$classpath" com.example.crm.ScreenPopKt --notes "$state/notes" --calls 1 --call 201 +79161234567)"
printf '%s\n' "$out"
check_call_note "$state/notes" "$out"

log "done in $((SECONDS - started)) s"
