"""The generated files (``_api.py``, ``_native.pyi``, ``src/classes.rs``) match the core's
manifest: ``generate.py --check`` fails on any drift."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

GENERATOR = Path(__file__).resolve().parents[1] / "generate.py"


def test_generated_files_match_the_manifest() -> None:
    proc = subprocess.run(
        [sys.executable, str(GENERATOR), "--check"], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
