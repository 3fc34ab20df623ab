"""Learn mode: ``MIKOPBX_RECORD_USAGE`` (read when any client is built) and ``record_usage=``."""

from __future__ import annotations

from pathlib import Path

import pytest

import mikopbx
from simulator import Simulator


def test_usage_is_recorded_once_per_operation(
    sim: Simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from_env = tmp_path / "env.txt"
    monkeypatch.setenv("MIKOPBX_RECORD_USAGE", str(from_env))
    with mikopbx.Client(sim.url, api_key=sim.admin_key, ca_cert=sim.ca_path) as c:
        list(c.extensions.list(max_items=1))
        list(c.extensions.list(max_items=1))
        c.system.ping()
    assert from_env.read_text().splitlines() == [
        "# mikopbx usage v1",
        "extensions.list",
        "system.ping",
    ]
    assert sim.admin_key not in from_env.read_text()
    assert from_env.stat().st_mode & 0o777 == 0o600

    # The option wins over the variable.
    option = tmp_path / "option.txt"
    with mikopbx.Client(
        sim.url, api_key=sim.admin_key, ca_cert=sim.ca_path, record_usage=option
    ) as c:
        c.system.ping()
    assert option.read_text().splitlines() == ["# mikopbx usage v1", "system.ping"]
    assert len(from_env.read_text().splitlines()) == 3
