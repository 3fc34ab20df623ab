#!/usr/bin/env bash
# The README's quick starts, as written: each language's code blocks are cut out of README.md
# (never copied into this script), put into a fresh project and run against a simulator on
# 127.0.0.1 (ephemeral port), with MIKOPBX_URL, MIKOPBX_API_KEY and MIKOPBX_CA_CERT set as a user
# sets them for a real PBX. A snippet that stops compiling, stops running or stops printing what
# it promises fails this script.
#
#   Rust    "## Rust": the ```rust block is src/main.rs of a fresh cargo project (its own
#           workspace, outside the repository) that depends on this checkout by path, plus tokio
#           and futures-util as the snippet needs; the workspace's Cargo.lock is its starting
#           lock, so it builds from the registry cache without new downloads.
#   Python  "## Python": the ```sh block (maturin build, pip install) runs in a fresh venv, then
#           the ```python block runs there with a key that may only read extensions and cdr (the
#           snippet's write is refused and it prints the permission to grant).
#
# Kotlin and Swift are fragments in the README (no imports or main); their complete programs are
# examples/kotlin and examples/swift, which scripts/test-kotlin.sh and test-swift.sh run.
# Idempotent; the scratch projects live in $CARGO_TARGET_DIR/quickstarts.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
started=$SECONDS
log() { printf '[test-quickstarts] %s (%ss)\n' "$*" $((SECONDS - started)) >&2; }
TARGET_DIR="${CARGO_TARGET_DIR:-$REPO/target}"
WORK="$TARGET_DIR/quickstarts"
mkdir -p "$WORK"

# snippet HEADING LANG [N]: the N-th (default 1st) ```LANG block under "## HEADING" in README.md.
snippet() {
    python3 - "$REPO/README.md" "$1" "$2" "${3:-1}" <<'EOF'
import sys
path, heading, lang, nth = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
lines = open(path, encoding="utf-8").read().split("\n")
try:
    start = lines.index("## " + heading) + 1
except ValueError:
    sys.exit(f"README.md has no '## {heading}' section")
blocks, current, seen = [], None, 0
for line in lines[start:]:
    if current is None and line.startswith("## "):
        break
    if current is None and line.strip() == "```" + lang:
        current = []
    elif current is not None and line.strip() == "```":
        blocks.append("\n".join(current) + "\n")
        current = None
    elif current is not None:
        current.append(line)
if len(blocks) < nth:
    sys.exit(f"README.md: no ```{lang} block #{nth} under '## {heading}'")
sys.stdout.write(blocks[nth - 1])
EOF
}

log "building the simulator"
cargo build -q --locked -p mikopbx-sim --bin mikopbx-sim
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
export MIKOPBX_URL="$url" MIKOPBX_CA_CERT="$ca_pem"

# --- Rust -------------------------------------------------------------------------------------
log "Rust: the README's quick start in a fresh cargo project"
project="$WORK/rust"
rm -rf "$project"
mkdir -p "$project/src"
snippet Rust rust >"$project/src/main.rs"
cat >"$project/Cargo.toml" <<EOF
[package]
name = "quickstart"
version = "0.0.0"
edition = "2024"
publish = false

[dependencies]
mikopbx = { path = "$REPO/crates/mikopbx" }
tokio = { version = "1", features = ["macros", "rt-multi-thread"] }
futures-util = "0.3"

[workspace]
EOF
cp "$REPO/Cargo.lock" "$project/Cargo.lock"
# The workspace's target dir: CI has no CARGO_TARGET_DIR, and the dependencies are built there.
(cd "$project" && cargo build -q --offline --target-dir "$TARGET_DIR")
out="$(MIKOPBX_API_KEY="$admin_key" "$TARGET_DIR/debug/quickstart")"
head -n 5 <<<"$out"
grep -q '^201 is ' <<<"$out" || { log "ERROR: the Rust quick start did not print extension 201"; exit 1; }
grep -q ' → ' <<<"$out" || { log "ERROR: the Rust quick start printed no call of today"; exit 1; }

# --- Python -----------------------------------------------------------------------------------
log "Python: the README's install commands in a fresh venv, then its quick start"
venv="$WORK/python-venv"
rm -rf "$venv" "$REPO/bindings/python/dist"
python3 -m venv "$venv"
install_sh="$(snippet Python sh)"
printf '%s\n' "$install_sh"
(cd "$REPO" && PATH="$venv/bin:$PATH" VIRTUAL_ENV="$venv" bash -euo pipefail -c "$install_sh")
snippet Python python >"$WORK/quickstart.py"
readonly_key="$(MIKOPBX_API_KEY="$admin_key" "$venv/bin/python" -c '
import mikopbx
with mikopbx.Client.from_env() as pbx:
    key = pbx.api_keys.generate_key()
    pbx.api_keys.create(description="quickstart", key=key, full_permissions=False,
                        allowed_paths={"extensions": "read", "cdr": "read"}, network="any")
    print(key)')"
out="$(cd "$WORK" && MIKOPBX_API_KEY="$readonly_key" "$venv/bin/python" quickstart.py)"
head -n 3 <<<"$out"; grep '^grant ' <<<"$out" || true
grep -q '^20' <<<"$out" || { log "ERROR: the Python quick start listed no extension 20x"; exit 1; }
grep -q '^grant .*employees' <<<"$out" || { log "ERROR: the Python quick start's write was not refused as shown"; exit 1; }

log "done"
