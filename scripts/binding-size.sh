#!/usr/bin/env bash
# Hand-written code under bindings/ as a share of the core's (crates/mikopbx/src), in lines
# (wc -l). Not counted: generated files (_api.py, _native.pyi, classes.rs), the generators
# themselves, tests, build files and docs. Issue 8's target: at most 30 %.
set -euo pipefail
cd "$(dirname "$0")/.."
lines() { xargs -r cat | wc -l; }
bindings=$(git ls-files bindings \
  | grep -v -E '(^|/)(tests?|Tests)/|\.md$|pom\.xml$|\.toml$|\.sh$|\.gitignore$|Package\.swift$' \
  | grep -v -E 'bindings/python/generate\.py$|bindings/ffi/wrappers\.py$|_api\.py$|_native\.pyi$|src/classes\.rs$' \
  | lines)
core=$(git ls-files crates/mikopbx/src | lines)
echo "bindings (hand-written): $bindings lines; core: $core lines; ratio: $(( bindings * 1000 / core / 10 )).$(( bindings * 1000 / core % 10 )) %"
