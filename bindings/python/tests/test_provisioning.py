"""``client.api_keys.create_for(...)``: a key with exactly the permissions the named operations
need, restricted to localhost through the network filter that admits only 127.0.0.1."""

from __future__ import annotations

import asyncio

import pytest

import mikopbx
from simulator import Simulator


def test_create_for_makes_the_least_key(client: mikopbx.Client, sim: Simulator) -> None:
    created = client.api_keys.create_for("py crm", ["extensions.list", "cdr.list"])
    assert created.info.networkfilterid == "3"
    assert dict(created.info.allowed_paths) == {"/api/v3/extensions": "read", "/api/v3/cdr": "read"}
    assert created.key not in repr(created)
    with mikopbx.Client(sim.url, api_key=created.key, ca_cert=sim.ca_path) as crm:
        assert list(crm.extensions.list(search="201"))
        with pytest.raises((mikopbx.PermissionDeniedError, mikopbx.AuthenticationError)):
            crm.employees.get("1")
    with pytest.raises(mikopbx.ConfigurationError):
        client.api_keys.create_for("bad", ["no.such_operation"])


def test_create_for_async(sim: Simulator) -> None:
    async def run() -> mikopbx.CreatedApiKey:
        async with mikopbx.AsyncClient(sim.url, api_key=sim.admin_key, ca_cert=sim.ca_path) as admin:
            return await admin.api_keys.create_for("py any", ["cdr.list"], network="any")

    created = asyncio.run(run())
    assert created.info.networkfilterid in ("none", "")
    assert dict(created.info.allowed_paths) == {"/api/v3/cdr": "read"}
