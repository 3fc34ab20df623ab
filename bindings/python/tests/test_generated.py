"""The generated files (``_api.py``, ``_native.pyi``, ``src/classes.rs``) match the core's
manifest: ``generate.py --check`` fails on any drift."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import mikopbx
from mikopbx import _native
from mikopbx._operations import manifest

GENERATOR = Path(__file__).resolve().parents[1] / "generate.py"


def test_generated_files_match_the_manifest() -> None:
    proc = subprocess.run(
        [sys.executable, str(GENERATOR), "--check"], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_every_record_class_has_a_readable_repr(client: mikopbx.Client) -> None:
    """Records are the core's classes; each has a repr with its fields (from the core's
    `python_records!`), not pyo3's default `<… object at 0x…>`."""

    records = [
        getattr(_native, m["name"])
        for m in manifest()["models"]
        if m["kind"] == "record" and isinstance(getattr(_native, m["name"], None), type)
    ]
    assert len(records) >= 10, records
    for cls in records:
        assert "__repr__" in vars(cls), f"{cls.__name__} has no __repr__ (add it to python_records!)"
    ext = client.extensions.get("201")
    assert isinstance(ext, mikopbx.Extension)
    assert repr(ext).startswith("Extension {") and '"201"' in repr(ext), repr(ext)
