"""``client.calls.originate(from_extension, to_number)`` in Python, blocking and async, against
the simulator's AJAM listener: the recipe reaches Asterisk, the call it places carries the
returned linkedid into the CDR, bad numbers raise ``ValidationError`` before anything is sent, a
refused login is ``AuthenticationError``, and the manager's secret shows in no ``repr`` or message."""

from __future__ import annotations

import asyncio
import itertools

import pytest

import mikopbx
from simulator import Simulator

SECRET = "Py-Ajam-Secret-4c1d9e"
_names = itertools.count(1)


def _manager(sim: Simulator, rights: list[str]) -> str:
    username = f"py-dialer-{next(_names)}"
    sim.create_manager(username, SECRET, rights, "4")
    return username


def _client(sim: Simulator, username: str, secret: str = SECRET) -> mikopbx.Client:
    return mikopbx.Client(
        sim.url, api_key=sim.admin_key, ca_cert=sim.ca_path,
        ami_username=username, ami_secret=secret, ajam_port=sim.ajam_port,
    )


def _originates(sim: Simulator, username: str) -> list[dict[str, object]]:
    return [o for o in sim.ajam_log()["originates"] if o["username"] == username]


def test_originate_places_the_call_with_its_linkedid(sim: Simulator) -> None:
    username = _manager(sim, ["originate_write", "call_read"])
    with _client(sim, username) as client:
        linkedid = client.calls.originate("202", "+79161234567")
        assert linkedid.startswith("sdk-")
        [sent] = _originates(sim, username)
        assert sent["channel"] == "Local/202@internal-originate"
        assert sent["variables"] == ["pt1c_cid=+79161234567"]
        assert sent["linkedid"] == linkedid
        assert sim.ajam_log()["secrets_in_url"] == 0
        sim.advance(20_000)
        [row] = list(client.cdr.list(linkedid=linkedid))
        assert (row.src_num, row.dst_num, row.disposition) == ("202", "+79161234567", "ANSWERED")


def test_async_originate(sim: Simulator) -> None:
    username = _manager(sim, ["originate_write"])

    async def run() -> str:
        async with mikopbx.AsyncClient(
            sim.url, api_key=sim.admin_key, ca_cert=sim.ca_path,
            ami_username=username, ami_secret=SECRET, ajam_port=sim.ajam_port,
        ) as client:
            return await client.calls.originate("203", "101")

    linkedid = asyncio.run(run())
    assert [o["linkedid"] for o in _originates(sim, username)] == [linkedid]


def test_bad_numbers_and_refused_logins_are_typed(sim: Simulator) -> None:
    username = _manager(sim, ["originate_write"])
    with _client(sim, username) as client:
        for to in ["7916,__x=1", "7916\nAction: Command", "+7 916"]:
            with pytest.raises(mikopbx.ValidationError):
                client.calls.originate("201", to)
    assert _originates(sim, username) == []
    with _client(sim, username, "wrong-secret-value") as wrong:
        with pytest.raises(mikopbx.AuthenticationError) as excinfo:
            wrong.calls.originate("201", "101")
        for text in (str(excinfo.value), repr(excinfo.value), repr(wrong)):
            assert SECRET not in text and "wrong-secret-value" not in text
    with mikopbx.Client(sim.url, api_key=sim.admin_key, ca_cert=sim.ca_path) as plain:
        with pytest.raises(mikopbx.ConfigurationError):
            plain.calls.originate("201", "101")


def test_a_click_to_call_manager_from_the_sdk(sim: Simulator) -> None:
    with mikopbx.Client(sim.url, api_key=sim.admin_key, ca_cert=sim.ca_path) as admin:
        with pytest.raises(mikopbx.ConfigurationError, match="0.0.0.0/0"):
            admin.asterisk_managers.create_click_to_call_manager("py-open", "3")
        manager = admin.asterisk_managers.create_click_to_call_manager(f"py-c2c-{next(_names)}", "4")
    assert (manager.read, manager.write, manager.networkfilterid) == ("call", "originate", "4")
    assert manager.secret not in repr(manager)
    with _client(sim, manager.username, manager.secret) as client:
        linkedid = client.calls.originate("204", "*72")
    assert [o["linkedid"] for o in _originates(sim, manager.username)] == [linkedid]
