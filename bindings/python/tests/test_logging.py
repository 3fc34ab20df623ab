"""The core's tracing records reach Python logging (logger "mikopbx"), never with the key."""

from __future__ import annotations

import asyncio
import logging

import pytest

import mikopbx
from simulator import Simulator


def test_records_reach_the_mikopbx_logger(sim: Simulator, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(1, logger="mikopbx"):
        with mikopbx.Client(sim.url, api_key=sim.admin_key, ca_cert=sim.ca_path) as c:
            c.system.check_auth()
            list(c.extensions.list(page_size=20))
            with pytest.raises(mikopbx.NotFoundError):
                c.employees.get("987654")
    records = [r for r in caplog.records if r.name.startswith("mikopbx")]
    assert records, "no log record from the core"
    text = "\n".join(r.getMessage() for r in records)
    assert "extensions.list" in text and "status=200" in text, text
    assert all(r.name == "mikopbx" or r.name.startswith("mikopbx.") for r in records)
    assert sim.admin_key not in text
    assert sim.admin_key[:12] not in text
    assert "Bearer" not in text


def test_async_records_and_no_key(sim: Simulator, caplog: pytest.LogCaptureFixture) -> None:
    async def run() -> None:
        async with mikopbx.AsyncClient(sim.url, api_key=sim.admin_key, ca_cert=sim.ca_path) as c:
            await c.system.check_auth()

    with caplog.at_level(1, logger="mikopbx"):
        asyncio.run(run())
    records = [r for r in caplog.records if r.name.startswith("mikopbx")]
    assert records
    assert all(sim.admin_key not in r.getMessage() for r in records)


def test_quiet_by_default(sim: Simulator, caplog: pytest.LogCaptureFixture) -> None:
    logging.getLogger("mikopbx").setLevel(logging.NOTSET)
    with caplog.at_level(logging.WARNING):
        with mikopbx.Client(sim.url, api_key=sim.admin_key, ca_cert=sim.ca_path) as c:
            c.system.check_auth()
    assert not [r for r in caplog.records if r.name.startswith("mikopbx") and r.levelno < logging.WARNING]


def test_refused_key_never_logged(sim: Simulator, caplog: pytest.LogCaptureFixture) -> None:
    bogus = "9f" * 32
    with caplog.at_level(1, logger="mikopbx"):
        with mikopbx.Client(sim.url, api_key=bogus, ca_cert=sim.ca_path) as c:
            with pytest.raises(mikopbx.AuthenticationError) as info:
                c.extensions.get("201")
    assert bogus not in str(info.value) and bogus not in repr(info.value)
    messages = [r.getMessage() for r in caplog.records if r.name.startswith("mikopbx")]
    assert messages
    assert not [m for m in messages if bogus in m or bogus[:16] in m]
