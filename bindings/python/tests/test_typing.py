"""Runs the mypy-checked typing_check.py for real, so its types and behaviour agree."""

from __future__ import annotations

import mikopbx
import typing_check
from simulator import Simulator


def test_typing_check_runs(sim: Simulator) -> None:
    seen = typing_check.run(sim.url, sim.admin_key, str(sim.ca_path))
    assert any(line.startswith("pin_mismatch None system.") for line in seen), seen
    assert "201" in seen


def test_public_names() -> None:
    for name in mikopbx.__all__:
        assert hasattr(mikopbx, name), name
    assert mikopbx.__version__
