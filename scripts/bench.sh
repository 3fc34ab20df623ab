#!/usr/bin/env bash
# The benchmark suite (docs/BENCHMARKS.md): the Python SDK against requests/httpx/aiohttp, the
# Rust SDK against hand-written reqwest + serde_json (criterion), and the cold costs. Not part of
# the test run (scripts/test-all.sh, CI): it takes ~15 minutes and its numbers depend on the
# machine. Builds in release; the comparison clients go into their own venv, never into the
# package's dependencies.
#
#   bash scripts/bench.sh [python|rust|cold]...     (default: all three)
#
# Extra arguments for the Python harness: BENCH_ARGS="--reps 9 --only cdr".
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
VENV="${BENCH_VENV:-$TARGET_DIR/bench-venv}"
PYTHON="${PYTHON:-python3}"
parts=("$@")
[ ${#parts[@]} -eq 0 ] && parts=(python rust cold)
want() { local p; for p in "${parts[@]}"; do [ "$p" = "$1" ] && return 0; done; return 1; }

echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs);" \
     "$(free -m | awk '/Mem:/ {print $2 " MiB RAM"}'); load average $(cut -d' ' -f1-3 /proc/loadavg)"

if ! "$VENV/bin/python" -c "import sys" >/dev/null 2>&1; then
    rm -rf "$VENV"
    "$PYTHON" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
    "maturin==1.16.0" "requests==2.34.2" "httpx==0.29.0" "aiohttp==3.14.5"

(cd "$ROOT" && cargo build --quiet --release -p mikopbx-sim -p mikopbx-cli)
export MIKOPBX_SIM_BIN="$TARGET_DIR/release/mikopbx-sim"
wheel_dir="$TARGET_DIR/wheels/mikopbx-bench"
rm -rf "$wheel_dir"
(cd "$ROOT/bindings/python" && "$VENV/bin/maturin" build --release --quiet \
    --interpreter "$VENV/bin/python" --out "$wheel_dir")
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --force-reinstall --no-deps \
    "$wheel_dir"/mikopbx-*.whl

if want python; then
    echo; echo "== Python: SDK vs requests / httpx / aiohttp"
    # From /tmp, so that `import mikopbx` is the installed wheel, not the sources.
    (cd /tmp && "$VENV/bin/python" "$ROOT/bindings/python/bench/bench.py" ${BENCH_ARGS:-})
fi

if want rust; then
    echo; echo "== Rust: SDK vs reqwest + serde_json (criterion)"
    (cd "$ROOT" && cargo bench -p mikopbx --bench sdk)
fi

if want cold; then
    echo; echo "== Cold costs"
    (cd /tmp && "$VENV/bin/python" "$ROOT/bindings/python/bench/cold.py" \
        --wheel "$wheel_dir"/mikopbx-*.whl --cli "$TARGET_DIR/release/mikopbx")
fi
