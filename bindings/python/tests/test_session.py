"""The web session (``client.login`` / ``logout``), blocking and async, from 127.0.0.2, where the
PBX lets nothing through without a token. Renewal, concurrency and secrecy in depth are the Rust
suite's (crates/mikopbx/tests/session.rs); this checks the Python boundary."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

import mikopbx
from simulator import Simulator

REMOTE = "127.0.0.2"


def test_login_a_call_and_logout(sim: Simulator) -> None:
    with mikopbx.Client(sim.url, ca_cert=sim.ca_path, local_address=REMOTE) as pbx:
        with pytest.raises(mikopbx.AuthenticationError):
            pbx.system.check_auth()
        assert pbx.session is None
        session = pbx.login("admin", "admin")
        assert isinstance(session, mikopbx.Session)
        assert session.login == "admin"
        remaining = session.expires_at - datetime.now(timezone.utc)
        assert timedelta(seconds=890) < remaining <= timedelta(seconds=901), remaining
        assert pbx.session == session
        pbx.system.check_auth()
        assert pbx.extensions.get("201").number == "201"
        # Neither the session nor the client shows a token.
        assert "eyJ" not in repr(session) and "eyJ" not in repr(pbx)

        pbx.logout()
        assert pbx.session is None
        with pytest.raises(mikopbx.AuthenticationError) as info:
            pbx.extensions.get("201")
        assert info.value.cause == "logged_out"
        assert info.value.status is None
        pbx.logout()  # nothing left to end


def test_a_wrong_password_and_a_key_client(sim: Simulator, client: mikopbx.Client) -> None:
    with mikopbx.Client(sim.url, ca_cert=sim.ca_path, local_address=REMOTE) as pbx:
        with pytest.raises(mikopbx.AuthenticationError) as info:
            pbx.login("admin", "not-the-password")
        exc = info.value
        assert exc.cause == "wrong_credentials"
        assert exc.status == 401
        assert exc.operation == "auth.login"
        assert exc.messages == ["Authorization error, you have 9 attempts left"]
        assert "not-the-password" not in str(exc) and "not-the-password" not in repr(exc)
        assert pbx.session is None
    # One credential per client.
    with pytest.raises(mikopbx.ConfigurationError, match="one credential"):
        client.login("admin", "admin")


@pytest.mark.asyncio
async def test_async_login_a_call_and_logout(sim: Simulator) -> None:
    async with mikopbx.AsyncClient(sim.url, ca_cert=sim.ca_path, local_address=REMOTE) as pbx:
        with pytest.raises(mikopbx.AuthenticationError) as wrong:
            await pbx.login("admin", "wrong")
        assert wrong.value.cause == "wrong_credentials"
        session = await pbx.login("admin", "admin")
        assert session.login == "admin"
        assert pbx.session == session
        await pbx.system.check_auth()
        await pbx.logout()
        assert pbx.session is None
        with pytest.raises(mikopbx.AuthenticationError) as info:
            await pbx.system.check_auth()
        assert info.value.cause == "logged_out"
