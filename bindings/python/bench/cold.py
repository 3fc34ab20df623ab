"""Cold costs: `import mikopbx` time, wheel size, CLI start-up, idle client memory.

    python bindings/python/bench/cold.py --wheel W.whl [--cli target/release/mikopbx] [--reps 15]

Each figure is the median (and spread) of `--reps` fresh processes. Measures, asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import List


def spread(values: List[float], scale: float, unit: str) -> str:
    return (
        f"median {statistics.median(values) * scale:.1f} {unit} "
        f"(spread {min(values) * scale:.1f}–{max(values) * scale:.1f}, {len(values)} runs)"
    )


def run_times(cmd: List[str], reps: int) -> List[float]:
    out = []
    for _ in range(reps):
        started = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        out.append(time.perf_counter() - started)
    return out


IMPORT_TIME = """
import time
t = time.perf_counter()
import mikopbx
print(time.perf_counter() - t)
"""

IDLE_CLIENT = """
import mikopbx
def rss():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
before = rss()
clients = [mikopbx.Client("https://127.0.0.1:9", api_key="ab" * 32) for _ in range(100)]
one = rss()
print(before, (one - before) / 100)
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--wheel", required=True)
    ap.add_argument("--cli")
    ap.add_argument("--reps", type=int, default=15)
    args = ap.parse_args()
    load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    print(f"load average {load}")

    wheel = Path(args.wheel)
    print(f"wheel {wheel.name}: {wheel.stat().st_size / 1e6:.2f} MB")

    imports = []
    for _ in range(args.reps):
        out = subprocess.run([sys.executable, "-c", IMPORT_TIME], check=True, capture_output=True, text=True)
        imports.append(float(out.stdout.strip()))
    print(f"import mikopbx (in-process): {spread(imports, 1e3, 'ms')}")
    bare = run_times([sys.executable, "-c", "pass"], args.reps)
    full = run_times([sys.executable, "-c", "import mikopbx"], args.reps)
    print(f"python -c pass: {spread(bare, 1e3, 'ms')}; python -c 'import mikopbx': {spread(full, 1e3, 'ms')}")

    out = subprocess.run([sys.executable, "-c", IDLE_CLIENT], check=True, capture_output=True, text=True)
    base, per_client = out.stdout.split()
    print(f"idle Client (not connected): {float(per_client):.0f} KiB RSS each (100 clients; process after import {int(base) // 1024} MiB)")

    if args.cli and os.path.exists(args.cli):
        cli = run_times([args.cli, "--version"], args.reps)
        print(f"CLI `mikopbx --version` start-up: {spread(cli, 1e3, 'ms')}; binary {os.path.getsize(args.cli) / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
