#!/usr/bin/env bash
# Builds the release jar of the Kotlin/JVM package: the stripped release build of
# libmikopbx_ffi.so (cargo profile release-ffi: release + LTO + strip) for every Linux JNA loads
# it on, at JNA's resource paths, plus the sources and javadoc jars (pom profile `release`):
#
#   linux-x86-64/libmikopbx_ffi.so    x86_64-unknown-linux-gnu    required: the script fails without it
#   linux-aarch64/libmikopbx_ffi.so   aarch64-unknown-linux-gnu   skipped (with the reason) if the Rust target is missing
#
# Both are linked by zig (cargo-zigbuild) against glibc 2.17 symbol versions, as the Python wheels
# are (docs/PACKAGING.md), so the jar loads on RHEL 8 / Ubuntu 20.04 / Debian 11 and newer.
# Then it loads the jar's x86_64 library through JNA in a fresh JVM (the uniffi contract and
# checksums are checked at load) and runs the Kotlin example against a simulator on 127.0.0.1.
# The jars land in $CARGO_TARGET_DIR/jar/ (default target/jar/).
#
# The Kotlin tests (scripts/test-kotlin.sh) stay on the debug library: this is the one release
# build of the native library in CI. Tools: zig and cargo-zigbuild from PyPI into
# bindings/python/.venv (pinned like scripts/build-wheels.sh; idempotent), a JDK and Maven.
# Never calls `rustup target add`: only installed targets are built.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
started=$SECONDS
log() { printf '[build-jar] %s (%ss)\n' "$*" $((SECONDS - started)) >&2; }

TARGET_DIR="${CARGO_TARGET_DIR:-$REPO/target}"
OUT="$TARGET_DIR/jar"
NATIVES="$TARGET_DIR/jar-natives"
VENV="$REPO/bindings/python/.venv"
MVN=(mvn -B -ntp -q)

if ! command -v java >/dev/null 2>&1 || ! command -v mvn >/dev/null 2>&1; then
    log "installing a JDK and Maven"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq default-jdk-headless maven >/dev/null
fi
if ! "$VENV/bin/python" -c "import sys" >/dev/null 2>&1; then
    rm -rf "$VENV"
    "${PYTHON:-python3}" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "ziglang==0.17.1" "cargo-zigbuild==0.24.1"
export PATH="$VENV/bin:$PATH"   # cargo-zigbuild runs zig as `python -m ziglang`

rm -rf "$NATIVES" "$OUT"
mkdir -p "$NATIVES" "$OUT"
x86_lib=""
for pair in x86_64-unknown-linux-gnu:linux-x86-64 aarch64-unknown-linux-gnu:linux-aarch64; do
    triple=${pair%%:*} prefix=${pair##*:}
    if ! rustup target list --installed 2>/dev/null | grep -qx "$triple"; then
        [[ $prefix != linux-x86-64 ]] || { log "ERROR: the Rust target $triple is required"; exit 1; }
        log "SKIPPED $prefix: the Rust target $triple is not installed (rustup target add $triple)"
        continue
    fi
    log "cargo zigbuild --profile release-ffi --target $triple.2.17"
    cargo zigbuild -q --locked --profile release-ffi -p mikopbx-ffi --lib --target "$triple.2.17"
    lib="$TARGET_DIR/$triple/release-ffi/libmikopbx_ffi.so"
    file "$lib" 2>/dev/null || true
    if [[ $prefix == linux-x86-64 ]]; then
        x86_lib="$lib"   # the pom's host resource (mikopbx.cargo.target)
    else
        mkdir -p "$NATIVES/$prefix" && cp "$lib" "$NATIVES/$prefix/"
    fi
    printf '%10d bytes  %s/libmikopbx_ffi.so\n' "$(stat -c %s "$lib")" "$prefix"
done

log "generating the Kotlin bindings"
bash bindings/ffi/generate.sh kotlin

# install, not only package: the example below compiles against it from ~/.m2 (scripts/test-kotlin.sh
# installs its debug jar over it again).
log "mvn -Prelease install (no tests: scripts/test-kotlin.sh runs them on the debug library)"
(cd bindings/kotlin && "${MVN[@]}" -Prelease clean install -DskipTests \
    "-Dmikopbx.cargo.target=$(dirname "$x86_lib")" "-Dmikopbx.natives=$NATIVES")
cp bindings/kotlin/target/mikopbx-sdk-*.jar "$OUT/"
jar="$(ls "$OUT"/mikopbx-sdk-*.jar | grep -v -e '-sources.jar$' -e '-javadoc.jar$')"
listing="$(jar tf "$jar")"
for prefix in linux-x86-64 $(ls "$NATIVES"); do
    grep -qx "$prefix/libmikopbx_ffi.so" <<<"$listing" || { log "ERROR: $jar lacks $prefix/libmikopbx_ffi.so"; exit 1; }
done
grep -qx 'README.md' <<<"$(jar tf "$OUT"/mikopbx-sdk-*-javadoc.jar)" || { log "ERROR: the javadoc jar lacks its README"; exit 1; }
grep -q '\.kt$' <<<"$(jar tf "$OUT"/mikopbx-sdk-*-sources.jar)" || { log "ERROR: the sources jar has no Kotlin"; exit 1; }

# The example, compiled against whatever SDK jar Maven has, run with this jar instead: the release
# library loads (JNA from the jar's resources, uniffi checksums) and works over TLS.
log "examples/kotlin against a simulator, on the release jar"
cargo build -q --locked -p mikopbx-sim --bin mikopbx-sim
(cd examples/kotlin && "${MVN[@]}" clean package dependency:build-classpath -Dmdep.outputFile=target/classpath.txt)
classpath="examples/kotlin/target/classes:$jar"
for entry in $(tr ':' ' ' <examples/kotlin/target/classpath.txt); do
    [[ $entry == */mikopbx-sdk/* ]] || classpath="$classpath:$entry"
done
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
out="$(MIKOPBX_URL="$url" MIKOPBX_API_KEY="$admin_key" MIKOPBX_CA_CERT="$ca_pem" \
    java -cp "$classpath" com.example.crm.ContactLookupKt 201)"
printf '%s\n' "$out"
grep -q '201' <<<"$out" || { log "ERROR: the example did not find extension 201 with the release jar"; exit 1; }

log "jars"
for f in "$OUT"/*.jar; do printf '%10d bytes  %s\n' "$(stat -c %s "$f")" "$(basename "$f")"; done
log "done"
