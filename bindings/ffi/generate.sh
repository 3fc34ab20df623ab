#!/usr/bin/env bash
# Builds libmikopbx_ffi.so and generates the Kotlin and Swift bindings from it (uniffi library
# mode), into the places the Maven and SwiftPM projects compile from:
#
#   bindings/kotlin/src/main/kotlin/generated/          (*.kt, packages com.mikopbx.sdk[.model])
#   bindings/swift/Sources/MikoPBX/Generated/           (*.swift, module MikoPBX)
#   bindings/swift/Sources/MikoPBXFFI/include/          (C headers + module.modulemap)
#
# Generated files are never edited or committed (see .gitignore). Usage:
#   bindings/ffi/generate.sh [--release] [kotlin|swift ...]     (default: both)
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$REPO"

PROFILE=debug
CARGO_PROFILE=()
LANGS=()
for arg in "$@"; do
    case "$arg" in
        --release) PROFILE=release; CARGO_PROFILE=(--release) ;;
        kotlin|swift) LANGS+=("$arg") ;;
        *) echo "usage: $0 [--release] [kotlin|swift ...]" >&2; exit 2 ;;
    esac
done
[[ ${#LANGS[@]} -gt 0 ]] || LANGS=(kotlin swift)

log() { printf '[generate] %s\n' "$*" >&2; }

TARGET_DIR="${CARGO_TARGET_DIR:-$REPO/target}"
LIB="$TARGET_DIR/$PROFILE/libmikopbx_ffi.so"

log "cargo build -p mikopbx-ffi (${PROFILE})"
cargo build -q -p mikopbx-ffi "${CARGO_PROFILE[@]}"
log "cargo build uniffi-bindgen"
cargo build -q -p mikopbx-ffi --features bindgen --bin uniffi-bindgen
BINDGEN="$TARGET_DIR/debug/uniffi-bindgen"
[[ -f "$LIB" ]] || { echo "missing $LIB" >&2; exit 1; }

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
CONFIG="$REPO/bindings/ffi/bindgen.toml"

bindgen() { "$BINDGEN" generate "$LIB" --config "$CONFIG" --no-format "$@"; }

for lang in "${LANGS[@]}"; do
    case "$lang" in
    kotlin)
        out="$REPO/bindings/kotlin/src/main/kotlin/generated"
        bindgen -l kotlin -o "$TMP/kotlin"
        # The generated `message` of a sealed error class with fields is a field dump
        # ("msg=…, operation=…"). Our error carries the core's human message in `msg` and exports
        # it as Display; make `message` that text so logs and `e.message` read well. Fail loudly
        # if a uniffi upgrade changes the template.
        kt="$TMP/kotlin/com/mikopbx/sdk/mikopbx_ffi.kt"
        # perl is part of every Debian base system (python3 is not).
        perl -0777 -i -pe '
            my $n = 0;
            s{(sealed class MikoPbxException\b.*?companion object ErrorHandler)}{
                my $body = $1;
                $n = ($body =~ s/override val message\s*\n\s*get\(\) = "msg=\$\{ *`?msg`? *\}[^"\n]*"/override val message\n            get() = `msg`/g);
                $body
            }se;
            END { die "generate.sh: MikoPbxException message template not found; uniffi changed?\n" unless $n; print STDERR "[generate] kotlin: $n error messages use the human text\n" }
        ' "$kt"
        rm -rf "$out"
        mkdir -p "$out"
        cp -r "$TMP/kotlin/." "$out/"
        log "kotlin -> ${out#"$REPO"/}"
        ;;
    swift)
        src_out="$REPO/bindings/swift/Sources/MikoPBX/Generated"
        inc_out="$REPO/bindings/swift/Sources/MikoPBXFFI/include"
        # One crate at a time: both components share the Swift module name, so each would
        # otherwise write MikoPBX.swift.
        bindgen -l swift --crate mikopbx -o "$TMP/swift-core"
        bindgen -l swift --crate mikopbx_ffi -o "$TMP/swift-ffi"
        rm -rf "$src_out" "$inc_out"
        mkdir -p "$src_out" "$inc_out"
        cp "$TMP/swift-core/MikoPBX.swift" "$src_out/MikoPBXCore.swift"
        cp "$TMP/swift-ffi/MikoPBX.swift" "$src_out/MikoPBX.swift"
        cp "$TMP/swift-core/MikoPBXCoreFFI.h" "$TMP/swift-ffi/MikoPBXFFI.h" "$inc_out/"
        # One C module for both headers (uniffi guards the shared declarations).
        cat >"$inc_out/module.modulemap" <<'MAP'
module MikoPBXFFI {
    header "MikoPBXCoreFFI.h"
    header "MikoPBXFFI.h"
    export *
    use "Darwin"
    use "_Builtin_stdbool"
    use "_Builtin_stdint"
}
MAP
        log "swift -> ${src_out#"$REPO"/}, ${inc_out#"$REPO"/}"
        ;;
    esac
done
