"""Smoke test of an installed release wheel (run by scripts/test-python.sh when MIKOPBX_WHEELS=1,
from a fresh venv that has nothing but the wheel): starts the simulator, makes a few calls over
TLS with the admin key, prints what it saw.

    python wheel_smoke.py SIM_BINARY

Not collected by pytest (no test_ prefix); checked by mypy --strict with the test suite.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import mikopbx


def main(sim: str) -> None:
    with tempfile.TemporaryDirectory(prefix="mikopbx-wheel-") as state:
        process = subprocess.Popen(
            [sim, "--addr", "127.0.0.1:0", "--state-dir", state],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        try:
            assert process.stdout is not None
            url = None
            deadline = time.monotonic() + 30
            while url is None and time.monotonic() < deadline:
                line = process.stdout.readline()
                if not line:
                    break
                found = re.search(r"listening on (https://127\.0\.0\.1:\d+)", line)
                if found:
                    url = found.group(1)
            if url is None:
                sys.exit("the simulator did not print its URL")
            key = (Path(state) / "admin-key.txt").read_text().strip()
            ca = Path(state) / "ca.pem"
            native = Path(mikopbx._native.__file__)
            print(f"mikopbx from {native.parent} ({native.name})")
            with mikopbx.Client(url, api_key=key, ca_cert=ca) as client:
                client.system.ping()
                client.system.check_auth()
                codes = [language.code for language in client.system.get_available_languages()]
            print(f"{url}: ping ok, check_auth ok, {len(codes)} languages ({', '.join(codes[:5])}...)")
        finally:
            process.terminate()
            process.wait(timeout=10)


if __name__ == "__main__":
    main(sys.argv[1])
