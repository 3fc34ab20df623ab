#!/usr/bin/env bash
# Builds the `mikopbx` Python wheel (abi3, maturin --release), installs it into a venv, type-checks
# the package, the examples and the tests with mypy --strict, and runs the pytest suite against the
# simulator over real TLS (including the drift test of the files bindings/python/generate.py
# writes from the core's manifest, and the parity test against the compiled core). Idempotent;
# needs only Python >= 3.9 with pip, Rust, and PyPI.
#
#   bash scripts/test-python.sh [pytest args...]
#
# PYTHON picks the interpreter (default python3); MIKOPBX_PY_PROFILE=dev builds a debug wheel for
# quick local iteration (CI uses the default, release). MIKOPBX_WHEELS=1 adds a last step (off by
# default, it is a second release build): scripts/build-wheels.sh x86_64-manylinux, the
# manylinux2014 wheel installed into a fresh venv with nothing else, and one session against the
# simulator from it (bindings/python/tests/wheel_smoke.py).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY_DIR="$ROOT/bindings/python"
VENV="$PY_DIR/.venv"
PYTHON="${PYTHON:-python3}"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
WHEEL_DIR="$TARGET_DIR/wheels/mikopbx-python"
start=$SECONDS

step() { printf '\n== %s (%ds)\n' "$*" $((SECONDS - start)); }

step "venv: $VENV"
# Reuse the venv when its interpreter still runs (a moved or upgraded Python breaks it).
if ! "$VENV/bin/python" -c "import sys" >/dev/null 2>&1; then
    rm -rf "$VENV"
    "$PYTHON" -m venv "$VENV"
fi
VPY="$VENV/bin/python"
"$VPY" -m pip install --quiet --disable-pip-version-check \
    "maturin==1.16.0" "pytest==9.2.0" "pytest-asyncio==1.5.0" "mypy==2.4.1"

step "simulator: cargo build -p mikopbx-sim"
(cd "$ROOT" && cargo build --quiet -p mikopbx-sim)
export MIKOPBX_SIM_BIN="$TARGET_DIR/debug/mikopbx-sim"

step "wheel: maturin build"
rm -rf "$WHEEL_DIR"
profile_flag=(--release)
if [ "${MIKOPBX_PY_PROFILE:-release}" = "dev" ]; then profile_flag=(); fi
(cd "$PY_DIR" && "$VENV/bin/maturin" build "${profile_flag[@]}" --quiet \
    --interpreter "$VPY" --out "$WHEEL_DIR")
wheel=$(ls "$WHEEL_DIR"/mikopbx-*.whl)
case "$wheel" in
    *abi3*) ;;
    *) echo "expected an abi3 wheel, got $wheel" >&2; exit 1 ;;
esac
"$VPY" -m pip install --quiet --disable-pip-version-check --force-reinstall --no-deps "$wheel"

step "mypy --strict: the package (generated API and stubs), examples, typing test, test suite"
# The package from its sources (the installed copy is what the others are checked against).
(cd "$PY_DIR/python" && "$VENV/bin/mypy" --strict --cache-dir "$VENV/.mypy_cache" -p mikopbx)
(cd "$ROOT" && "$VENV/bin/mypy" --strict --cache-dir "$VENV/.mypy_cache" \
    examples/python bindings/python/tests)

step "pytest"
# From bindings/python, `import mikopbx` is the installed wheel (the sources sit in python/).
cd "$PY_DIR"
"$VPY" -m pytest -p no:cacheprovider "$@"

if [ "${MIKOPBX_WHEELS:-0}" = "1" ]; then
    step "release wheel: scripts/build-wheels.sh x86_64-manylinux, fresh venv, simulator session"
    bash "$ROOT/scripts/build-wheels.sh" x86_64-manylinux
    manylinux=$(ls "$TARGET_DIR"/wheels/dist/mikopbx-*-abi3-manylinux2014_x86_64*.whl)
    SMOKE_VENV="$TARGET_DIR/wheels/smoke-venv"
    rm -rf "$SMOKE_VENV"
    "$PYTHON" -m venv "$SMOKE_VENV"
    # --no-index: the wheel has no dependencies, nothing else may come in.
    "$SMOKE_VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-index "$manylinux"
    # From the venv's directory, `import mikopbx` can only be the installed wheel.
    (cd "$SMOKE_VENV" && "$SMOKE_VENV/bin/python" "$PY_DIR/tests/wheel_smoke.py" "$MIKOPBX_SIM_BIN")
fi
step "done"
