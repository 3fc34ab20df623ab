#!/usr/bin/env bash
# Builds libmikopbx_ffi.so and generates the Kotlin and Swift bindings from it (uniffi library
# mode: both components, the core crate `mikopbx` and `mikopbx_ffi`, packages per bindgen.toml),
# plus the list wrappers that wrappers.py derives from crates/mikopbx/manifest.json, into the
# places the Maven and SwiftPM projects compile from:
#
#   bindings/kotlin/src/main/kotlin/generated/          (*.kt, packages com.mikopbx.sdk[.model])
#   bindings/swift/Sources/MikoPBX/Generated/           (*.swift, module MikoPBX)
#   bindings/swift/Sources/MikoPBXFFI/include/          (C headers + module.modulemap)
#   bindings/swift/Tests/MikoPBXTests/Generated/        (the operations parity list)
#
# Generated files are never edited or committed (see .gitignore). Needs python3 (on the host,
# not in the Swift chroot: generate before entering it). Usage:
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
cargo build -q -p mikopbx-ffi ${CARGO_PROFILE[@]+"${CARGO_PROFILE[@]}"}
log "cargo build uniffi-bindgen"
cargo build -q -p mikopbx-ffi --features bindgen --bin uniffi-bindgen
BINDGEN="$TARGET_DIR/debug/uniffi-bindgen"
[[ -f "$LIB" ]] || { echo "missing $LIB" >&2; exit 1; }

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
CONFIG="$REPO/bindings/ffi/bindgen.toml"

MANIFEST="$REPO/crates/mikopbx/manifest.json"
WRAPPERS="$REPO/bindings/ffi/wrappers.py"
command -v python3 >/dev/null || { echo "generate.sh: python3 is needed (for wrappers.py)" >&2; exit 1; }

bindgen() { "$BINDGEN" generate "$LIB" --config "$CONFIG" --no-format "$@"; }

for lang in "${LANGS[@]}"; do
    case "$lang" in
    kotlin)
        out="$REPO/bindings/kotlin/src/main/kotlin/generated"
        bindgen -l kotlin -o "$TMP/kotlin"
        # uniffi 0.32.2's ErrorTemplate.kt gives every case of a sealed error class with fields
        # `override val message get() = "operation=${ `operation` }, …"`, a field dump, while the
        # base class's `toString()` is the core's exported Display (the human message). Make
        # `message` that text (in the base class and every case), so logs and `e.message` read well.
        # Fail loudly if a uniffi upgrade changes the template. (perl is in every Debian base system.)
        kt="$TMP/kotlin/com/mikopbx/sdk/model/mikopbx.kt"
        [[ -f "$kt" ]] || { echo "generate.sh: $kt missing; uniffi changed?" >&2; exit 1; }
        perl -0777 -i -pe '
            my ($n, $cases) = (0, 0);
            s{(sealed class MikoPbxException: kotlin\.Exception\(\) \{.*?companion object ErrorHandler)}{
                my $body = $1;
                $cases = () = $body =~ /\) : MikoPbxException\(\) \{/g;
                $n = ($body =~ s/override val message\s*\n\s*get\(\) = "[^"\n]*"/override val message\n            get() = toString()/g);
                die "generate.sh: MikoPbxException has no exported Display (toString); uniffi changed?\n"
                    unless $body =~ /override fun toString\(\): String \{\s*return FfiConverterString\.lift\(\s*uniffiRustCall\(\) \{ _status ->\s*UniffiLib\.\w+_uniffi_trait_display\(/;
                # The base class too, so `message` is a non-null String on `MikoPbxException` itself.
                $body =~ s/^(sealed class MikoPbxException: kotlin\.Exception\(\) \{)/$1\n    override val message: String\n        get() = toString()\n/ or die;
                $body
            }se;
            END {
                die "generate.sh: MikoPbxException message template not found; uniffi changed?\n" unless $n && $n == $cases;
                print STDERR "[generate] kotlin: $n error cases use the exported Display as message\n";
            }
        ' "$kt"
        python3 "$WRAPPERS" "$MANIFEST" --kotlin "$TMP/kotlin/com/mikopbx/sdk/Flows.kt"
        rm -rf "$out"
        mkdir -p "$out"
        cp -r "$TMP/kotlin/." "$out/"
        log "kotlin -> ${out#"$REPO"/}"
        ;;
    swift)
        src_out="$REPO/bindings/swift/Sources/MikoPBX/Generated"
        inc_out="$REPO/bindings/swift/Sources/MikoPBXFFI/include"
        test_out="$REPO/bindings/swift/Tests/MikoPBXTests/Generated"
        # One crate at a time: both components share the Swift module name, so each would
        # otherwise write MikoPBX.swift.
        bindgen -l swift --crate mikopbx -o "$TMP/swift-core"
        bindgen -l swift --crate mikopbx_ffi -o "$TMP/swift-ffi"
        rm -rf "$src_out" "$inc_out" "$test_out"
        mkdir -p "$src_out" "$inc_out" "$test_out"
        cp "$TMP/swift-core/MikoPBX.swift" "$src_out/MikoPBXCore.swift"
        cp "$TMP/swift-ffi/MikoPBX.swift" "$src_out/MikoPBX.swift"
        cp "$TMP/swift-core/MikoPBXCoreFFI.h" "$TMP/swift-ffi/MikoPBXFFI.h" "$inc_out/"
        python3 "$WRAPPERS" "$MANIFEST" --swift "$src_out/Cursors.swift" --swift-parity "$test_out/OperationMethods.swift"
        printf '*\n' >"$test_out/.gitignore"
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
        log "swift -> ${src_out#"$REPO"/}, ${inc_out#"$REPO"/}, ${test_out#"$REPO"/}"
        ;;
    esac
done
