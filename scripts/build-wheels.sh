#!/usr/bin/env bash
# Builds the release wheels of the `mikopbx` Python package (abi3, Python >= 3.9) for old and
# small Linux systems with maturin and zig as the C compiler and linker (cargo-zigbuild), so the
# extension links against glibc 2.17 symbol versions whatever the build host's glibc is:
#
#   x86_64-manylinux    manylinux2014 (glibc 2.17) x86_64    required: the script fails without it
#   aarch64-manylinux   manylinux2014 (glibc 2.17) aarch64   skipped if the Rust target is missing
#   x86_64-musllinux    musllinux_1_2 x86_64                 skipped if the Rust target is missing
#
#   bash scripts/build-wheels.sh [x86_64-manylinux] [aarch64-manylinux] [x86_64-musllinux]
#
# Without arguments all three are built. Each wheel is checked with `auditwheel show`; the script
# fails if the x86_64 manylinux wheel is not consistent with manylinux_2_17_x86_64 (manylinux2014),
# or if a wheel lacks py.typed. The wheels land in $CARGO_TARGET_DIR/wheels/dist (default
# target/wheels/dist), old ones of the same targets removed first.
#
# Tools come from PyPI into bindings/python/.venv (the venv scripts/test-python.sh uses; pinned,
# idempotent): maturin, ziglang (the zig compiler), cargo-zigbuild, auditwheel. The Rust targets
# for aarch64 and musl come from rustup (static.rust-lang.org); when `rustup target add` cannot
# reach it (offline builders), that wheel is reported as skipped and the script goes on.
# MIKOPBX_WHEELS_NO_RUSTUP=1 never calls `rustup target add` (only installed targets are used).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY_DIR="$ROOT/bindings/python"
VENV="$PY_DIR/.venv"
PYTHON="${PYTHON:-python3}"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
DIST="$TARGET_DIR/wheels/dist"
start=$SECONDS

step() { printf '\n== %s (%ds)\n' "$*" $((SECONDS - start)); }

step "venv: $VENV"
if ! "$VENV/bin/python" -c "import sys" >/dev/null 2>&1; then
    rm -rf "$VENV"
    "$PYTHON" -m venv "$VENV"
fi
VPY="$VENV/bin/python"
"$VPY" -m pip install --quiet --disable-pip-version-check \
    "maturin==1.16.0" "ziglang==0.17.1" "cargo-zigbuild==0.24.1" "auditwheel==6.8.2"
# maturin --zig runs cargo-zigbuild, which finds zig as `python -m ziglang` from PATH's python.
export PATH="$VENV/bin:$PATH"

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=(x86_64-manylinux aarch64-manylinux x86_64-musllinux)
fi

have_rust_target() {
    rustup target list --installed 2>/dev/null | grep -qx "$1" && return 0
    [ "${MIKOPBX_WHEELS_NO_RUSTUP:-0}" = "1" ] && return 1
    echo "rustup target add $1"
    rustup target add "$1"
}

mkdir -p "$DIST"
built=() skipped=()
for name in "${targets[@]}"; do
    case "$name" in
        x86_64-manylinux)  triple=x86_64-unknown-linux-gnu;  arch=x86_64;  compat=manylinux2014; tag=manylinux_2_17_x86_64 ;;
        aarch64-manylinux) triple=aarch64-unknown-linux-gnu; arch=aarch64; compat=manylinux2014; tag=manylinux_2_17_aarch64 ;;
        x86_64-musllinux)  triple=x86_64-unknown-linux-musl; arch=x86_64;  compat=musllinux_1_2; tag=musllinux_1_2_x86_64 ;;
        *) echo "unknown wheel target '$name'" >&2; exit 2 ;;
    esac
    step "$name: $triple, $compat"
    if ! have_rust_target "$triple"; then
        if [ "$name" = x86_64-manylinux ]; then
            echo "the Rust target $triple is required" >&2; exit 1
        fi
        echo "SKIPPED $name: the Rust target $triple is not installed and rustup could not add it"
        skipped+=("$name")
        continue
    fi
    rm -f "$DIST"/mikopbx-*"$tag"*.whl "$DIST"/mikopbx-*"$compat"_"$arch"*.whl
    (cd "$PY_DIR" && maturin build --release --quiet --zig --compatibility "$compat" \
        --target "$triple" --out "$DIST")
    wheel=$(ls -t "$DIST"/mikopbx-*.whl | head -1)
    case "$wheel" in
        *abi3*"$arch".whl) ;;
        *) echo "expected an abi3 $arch wheel, got $wheel" >&2; exit 1 ;;
    esac
    "$VPY" - "$wheel" <<'EOF'
import sys, zipfile
names = zipfile.ZipFile(sys.argv[1]).namelist()
missing = [n for n in ("mikopbx/py.typed", "mikopbx/_native.pyi") if n not in names]
if missing:
    sys.exit(f"{sys.argv[1]} lacks {missing}")
EOF
    # auditwheel reads musl wheels only on a musl host (on glibc it fails with "ELFError: Magic
    # number does not match"): a failing check is fatal only for the required x86_64 wheel.
    if ! show=$(auditwheel show "$wheel" 2>&1); then
        if [ "$name" = x86_64-manylinux ]; then
            echo "$show" >&2; echo "auditwheel could not read $wheel" >&2; exit 1
        fi
        echo "WARNING: auditwheel could not check $wheel on this host: ${show##*$'\n'}"
        built+=("$wheel")
        continue
    fi
    echo "$show"
    if ! grep -q "\"$tag\"" <<<"$show"; then
        if [ "$name" = x86_64-manylinux ]; then
            echo "auditwheel: $wheel is not consistent with $tag (manylinux2014)" >&2; exit 1
        fi
        echo "WARNING: auditwheel does not confirm $tag for $wheel"
    fi
    built+=("$wheel")
done

step "wheels"
for wheel in "${built[@]}"; do
    printf '%9d bytes  %s\n' "$(stat -c %s "$wheel")" "$(basename "$wheel")"
done
for name in "${skipped[@]}"; do echo "skipped: $name (Rust target not available)"; done
step "done"
