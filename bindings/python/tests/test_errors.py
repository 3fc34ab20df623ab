"""Each exception class, raised from a real cause against the simulator (or, for the two that
need no server, from a real local cause)."""

from __future__ import annotations

import hashlib
import pickle
import ssl
import uuid
from typing import Iterator

import pytest

import mikopbx
from simulator import Simulator, remove_state, start_simulator


def check_common(exc: mikopbx.MikoPBXError, key: str = "") -> None:
    assert isinstance(exc, mikopbx.MikoPBXError)
    assert str(exc) and exc.message == str(exc)
    assert type(exc).__name__ in repr(exc)
    assert mikopbx.exception_class_for_kind(exc.kind) is type(exc)
    if key:
        assert key not in str(exc) and key not in repr(exc)
    # Survives pickling (multiprocessing, task queues).
    clone = pickle.loads(pickle.dumps(exc))
    assert type(clone) is type(exc) and clone.status == exc.status and str(clone) == str(exc)
    assert clone.__dict__ == exc.__dict__


@pytest.fixture
def restricted_key(client: mikopbx.Client) -> Iterator[str]:
    """A key that may read extensions and cdr, from localhost only."""
    key = client.api_keys.generate_key()
    info = client.api_keys.create(
        description=f"py-restricted-{uuid.uuid4().hex[:6]}",
        key=key,
        full_permissions=False,
        allowed_paths={"extensions": "read", "cdr": "read"},
        network="localhost",
    )
    yield key
    client.api_keys.delete(info.id)


def test_authentication_error_for_a_wrong_key(sim: Simulator) -> None:
    wrong = "ab" * 32
    with mikopbx.Client(sim.url, api_key=wrong, ca_cert=sim.ca_path) as c:
        with pytest.raises(mikopbx.AuthenticationError) as info:
            c.extensions.get("201")
    exc = info.value
    assert exc.status == 401 and exc.operation == "extensions.get"
    assert exc.cause in ("invalid_key", "undetermined")
    assert exc.ruled_out or exc.remaining
    check_common(exc, wrong)


def test_permission_denied_locally_before_sending(sim: Simulator, restricted_key: str) -> None:
    with mikopbx.Client(
        sim.url,
        api_key=restricted_key,
        ca_cert=sim.ca_path,
        permissions={"extensions": "read", "cdr": "read"},
    ) as c:
        with pytest.raises(mikopbx.PermissionDeniedError) as info:
            c.employees.create(number="7990", user_username="x", sip_secret="Secret-123456")
    exc = info.value
    assert exc.resource == "employees" and exc.required == "write" and exc.granted is None
    assert exc.origin == "local" and exc.status is None
    assert exc.operation == "employees.create"
    assert "Grant" in str(exc)
    check_common(exc, restricted_key)


def test_permission_denied_by_the_server_is_diagnosed(sim: Simulator, restricted_key: str) -> None:
    with mikopbx.Client(sim.url, api_key=restricted_key, ca_cert=sim.ca_path) as c:
        with pytest.raises((mikopbx.PermissionDeniedError, mikopbx.AuthenticationError)) as info:
            list(c.employees.list())
    exc = info.value
    assert exc.status == 401
    if isinstance(exc, mikopbx.PermissionDeniedError):
        assert exc.resource == "employees" and exc.required == "read"
    check_common(exc, restricted_key)


def test_network_restricted_key_used_from_127_0_0_2(sim: Simulator, restricted_key: str) -> None:
    with mikopbx.Client(sim.url, api_key=restricted_key, ca_cert=sim.ca_path) as local:
        assert list(local.extensions.list(page_size=100))
    with mikopbx.Client(
        sim.url,
        api_key=restricted_key,
        ca_cert=sim.ca_path,
        local_address="127.0.0.2",
        permissions={"extensions": "read", "cdr": "read"},
        key_network="localhost",
    ) as remote:
        with pytest.raises(mikopbx.NetworkRestrictedError) as info:
            list(remote.extensions.list())
    exc = info.value
    assert exc.status == 401
    check_common(exc, restricted_key)


def test_not_found(client: mikopbx.Client) -> None:
    with pytest.raises(mikopbx.NotFoundError) as info:
        client.employees.get("987654")
    assert info.value.operation == "employees.get"
    check_common(info.value)


def test_validation_error_carries_messages(client: mikopbx.Client) -> None:
    with pytest.raises(mikopbx.ValidationError) as info:
        client.employees.create(number="1", user_username="", sip_secret="x")
    exc = info.value
    # Refused before sending: the PBX would strip or truncate such a number instead of refusing it.
    assert exc.status is None and "before sending" in str(exc)
    assert exc.messages and all(isinstance(m, str) for m in exc.messages)
    assert exc.operation == "employees.create"
    check_common(exc)
    # What the PBX itself refuses comes back with its status and its messages.
    with pytest.raises(mikopbx.ValidationError) as info:
        client.employees.create(number="2985", user_username="Weak Secret", sip_secret="1234")
    assert info.value.status == 422 and info.value.messages
    check_common(info.value)


def test_conflict_deleting_a_routing_target(client: mikopbx.Client) -> None:
    # Extension 201 is the seeded IVR menu's timeout target: deleting its employee would break that
    # route (a RESTRICT relation on the server; queue membership alone cascades and does not block).
    target = next(e for e in client.employees.list(search="201") if e.number == "201")
    with pytest.raises(mikopbx.ConflictError) as info:
        client.employees.delete(target.id)
    assert info.value.status == 409
    check_common(info.value)
    assert client.employees.get(target.id).number == "201"


def test_rate_limit_from_a_non_local_address(sim: Simulator) -> None:
    with mikopbx.Client(
        sim.url, ca_cert=sim.ca_path, local_address="127.0.0.2", rate_limit=False, max_retries=0
    ) as c:
        with pytest.raises(mikopbx.RateLimitError) as info:
            for _ in range(400):
                c.system.ping()
    exc = info.value
    assert exc.status == 429
    assert exc.retry_after is None or exc.retry_after > 0
    check_common(exc)


def test_firewall_blocked(sim: Simulator) -> None:
    # The WAF exempts localhost, as nginx on a PBX does: call from 127.0.0.2.
    with mikopbx.Client(
        sim.url, api_key=sim.admin_key, ca_cert=sim.ca_path, local_address="127.0.0.2"
    ) as c:
        with pytest.raises(mikopbx.FirewallBlockedError) as info:
            list(c.extensions.list(search=".."))
    assert info.value.status == 403
    check_common(info.value)


def test_service_busy_after_retries(sim: Simulator) -> None:
    sim.faults(status_burst={"status": 503, "count": 10})
    with mikopbx.Client(sim.url, api_key=sim.admin_key, ca_cert=sim.ca_path, max_retries=1) as c:
        with pytest.raises(mikopbx.ServiceBusyError) as info:
            c.system.check_auth()
    assert info.value.status == 503
    check_common(info.value)


def test_service_busy_is_retried_away(sim: Simulator) -> None:
    sim.faults(status_burst={"status": 503, "count": 2})
    with mikopbx.Client(sim.url, api_key=sim.admin_key, ca_cert=sim.ca_path, max_retries=3) as c:
        c.system.check_auth()


def test_server_error(sim: Simulator) -> None:
    sim.faults(status_burst={"status": 500, "count": 10})
    with mikopbx.Client(sim.url, api_key=sim.admin_key, ca_cert=sim.ca_path, max_retries=0) as c:
        with pytest.raises(mikopbx.ServerError) as info:
            c.system.check_auth()
    assert info.value.status == 500
    check_common(info.value)


def test_tls_untrusted_certificate(sim: Simulator) -> None:
    # No ca_cert: the simulator's private CA is not among the system roots.
    with mikopbx.Client(sim.url, api_key=sim.admin_key) as c:
        with pytest.raises(mikopbx.TLSError) as info:
            c.system.check_auth()
    exc = info.value
    assert exc.tls_kind == "unknown_issuer" and exc.status is None and exc.kind == "tls"
    check_common(exc, sim.admin_key)


def test_tls_pin_mismatch(sim: Simulator) -> None:
    with mikopbx.Client(sim.url, api_key=sim.admin_key, cert_sha256="AB" * 32) as c:
        with pytest.raises(mikopbx.TLSError) as info:
            c.system.check_auth()
    assert info.value.tls_kind == "pin_mismatch"
    check_common(info.value, sim.admin_key)


@pytest.fixture(scope="module")
def pbx_default_sim() -> Iterator[Simulator]:
    s = start_simulator("--tls", "pbx-default", "--hostname", "mikopbx")
    yield s
    s.stop()
    remove_state(s)


def test_localhost_key_dropped_by_the_server_is_rolled_back() -> None:
    # The default simulator reproduces MikoPBX's REST bug: networkfilterid "localhost" fails the
    # field's ^([0-9]+|none)$ pattern, is sanitised to "" and stored as "any address". The SDK must
    # notice, remove the key it just created, and say so.
    s = start_simulator()
    try:
        with mikopbx.Client(s.url, api_key=s.admin_key, ca_cert=s.ca_path) as c:
            before = {k.id for k in c.api_keys.list()}
            key = c.api_keys.generate_key()
            with pytest.raises(mikopbx.ServerError) as info:
                c.api_keys.create(
                    description="py-localhost-dropped",
                    key=key,
                    full_permissions=False,
                    allowed_paths={"extensions": "read"},
                    network="localhost",
                )
            assert "localhost" in str(info.value) and info.value.operation == "api_keys.create"
            check_common(info.value, key)
            assert {k.id for k in c.api_keys.list()} == before
    finally:
        s.stop()
        remove_state(s)


def test_tls_hostname_mismatch_and_pin_by_ip(pbx_default_sim: Simulator) -> None:
    s = pbx_default_sim
    server_pem = (s.state_dir / "server.pem").read_text()
    with mikopbx.Client(s.url, api_key=s.admin_key, ca_cert=server_pem) as c:
        with pytest.raises(mikopbx.TLSError) as info:
            c.system.check_auth()
    assert info.value.tls_kind == "hostname_mismatch"
    assert "pin" in str(info.value).lower()
    fingerprint = hashlib.sha256(ssl.PEM_cert_to_DER_cert(server_pem)).hexdigest()
    with mikopbx.Client(s.url, api_key=s.admin_key, cert_sha256=fingerprint) as pinned:
        pinned.system.check_auth()


def test_connection_error(sim: Simulator) -> None:
    with mikopbx.Client("https://127.0.0.1:1", api_key=sim.admin_key, ca_cert=sim.ca_path, max_retries=0) as c:
        with pytest.raises(mikopbx.APIConnectionError) as info:
            c.system.check_auth()
    check_common(info.value, sim.admin_key)


def test_connection_reset(sim: Simulator) -> None:
    sim.faults(reset_next=10)
    with mikopbx.Client(sim.url, api_key=sim.admin_key, ca_cert=sim.ca_path, max_retries=0) as c:
        with pytest.raises(mikopbx.APIConnectionError):
            c.system.check_auth()


def test_timeout(sim: Simulator) -> None:
    sim.faults(latency_ms=3000)
    with mikopbx.Client(sim.url, api_key=sim.admin_key, ca_cert=sim.ca_path, timeout=0.5) as c:
        with pytest.raises(mikopbx.APITimeoutError) as info:
            c.system.check_auth()
    assert info.value.operation == "system.check_auth"
    check_common(info.value)


def test_insecure_transport_refused_before_sending() -> None:
    with pytest.raises(mikopbx.InsecureTransportError) as info:
        with mikopbx.Client("http://192.0.2.10", api_key="cd" * 32) as c:
            c.system.check_auth()
    check_common(info.value, "cd" * 32)


def test_decode_error_on_a_truncated_body(sim: Simulator) -> None:
    sim.faults(truncate_next=10)
    with mikopbx.Client(sim.url, api_key=sim.admin_key, ca_cert=sim.ca_path, max_retries=0) as c:
        with pytest.raises(mikopbx.DecodeError) as info:
            c.extensions.get_for_select()
    assert info.value.status == 200
    check_common(info.value)


def test_configuration_errors(sim: Simulator) -> None:
    with pytest.raises(mikopbx.ConfigurationError):
        mikopbx.Client("not a url", api_key=sim.admin_key)
    with pytest.raises(mikopbx.ConfigurationError):
        mikopbx.Client(sim.url, api_key=sim.admin_key, cert_sha256="not-hex")
    with pytest.raises(mikopbx.ConfigurationError):
        mikopbx.Client(sim.url, api_key=sim.admin_key, ca_cert=b"-----BEGIN CERTIFICATE-----\nxx\n")
    with pytest.raises(mikopbx.ConfigurationError):
        mikopbx.Client(sim.url, api_key=sim.admin_key, ca_cert="/nonexistent/ca.pem")
    with pytest.raises(mikopbx.ConfigurationError):
        mikopbx.Client(sim.url, api_key=sim.admin_key, timeout=-1)
    with pytest.raises(mikopbx.ConfigurationError):
        mikopbx.Client(sim.url, api_key=sim.admin_key, local_address="not-an-ip")
    with pytest.raises(mikopbx.ConfigurationError):
        mikopbx.Client(sim.url, api_key=sim.admin_key, permissions={"extensions": "admin"})  # type: ignore[dict-item]
    with pytest.raises(mikopbx.ConfigurationError):
        mikopbx.Client(sim.url, api_key=sim.admin_key, key_network="localhost")


def test_arguments_the_core_refuses_are_configuration_errors(client: mikopbx.Client) -> None:
    with pytest.raises(mikopbx.ConfigurationError) as info:
        client.employees.get(12)  # type: ignore[arg-type]
    assert "employees.get" in str(info.value)
    with pytest.raises(mikopbx.ConfigurationError):
        client.api_keys.create(description="x", key="k" * 64, full_permissions=False, allowed_paths={"cdr": "read"}, network="everywhere")  # type: ignore[arg-type]
    with pytest.raises(mikopbx.ConfigurationError):
        client.api_keys.create(
            description="x", key="k" * 64, full_permissions=False, allowed_paths={"extensions": "admin"}, network="any"  # type: ignore[dict-item]
        )


def test_no_argument_disables_verification(sim: Simulator) -> None:
    for flag in ("verify", "insecure", "danger_accept_invalid_certs", "verify_ssl", "ssl"):
        with pytest.raises(TypeError):
            mikopbx.Client(sim.url, **{flag: False})  # type: ignore[arg-type]
        with pytest.raises(TypeError):
            mikopbx.AsyncClient(sim.url, **{flag: False})  # type: ignore[arg-type]


def test_every_core_error_kind_has_its_class() -> None:
    from mikopbx import _native

    assert sorted(mikopbx._errors._BY_KIND) == sorted(_native.error_kinds())
    kinds = {
        "unauthorized": mikopbx.AuthenticationError,
        "permission_denied": mikopbx.PermissionDeniedError,
        "network_restricted": mikopbx.NetworkRestrictedError,
        "not_found": mikopbx.NotFoundError,
        "validation": mikopbx.ValidationError,
        "conflict": mikopbx.ConflictError,
        "rate_limited": mikopbx.RateLimitError,
        "blocked_by_firewall": mikopbx.FirewallBlockedError,
        "service_busy": mikopbx.ServiceBusyError,
        "server": mikopbx.ServerError,
        "tls": mikopbx.TLSError,
        "connect": mikopbx.APIConnectionError,
        "timeout": mikopbx.APITimeoutError,
        "insecure_transport": mikopbx.InsecureTransportError,
        "decode": mikopbx.DecodeError,
        "config": mikopbx.ConfigurationError,
    }
    import builtins

    for kind, cls in kinds.items():
        assert mikopbx.exception_class_for_kind(kind) is cls
        assert issubclass(cls, mikopbx.MikoPBXError)
        assert not hasattr(builtins, cls.__name__), f"{cls.__name__} shadows a builtin"


def test_pin_from_env_reaches_the_default_certificate_by_ip(
    pbx_default_sim: Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio

    s = pbx_default_sim
    der = ssl.PEM_cert_to_DER_cert((s.state_dir / "server.pem").read_text())
    pin = ":".join(f"{b:02X}" for b in hashlib.sha256(der).digest())
    monkeypatch.setenv("MIKOPBX_URL", s.url)
    monkeypatch.setenv("MIKOPBX_API_KEY", s.admin_key)
    monkeypatch.setenv("MIKOPBX_CERT_SHA256", pin)
    monkeypatch.delenv("MIKOPBX_CA_CERT", raising=False)

    async def check() -> str:
        async with mikopbx.AsyncClient.from_env() as c:
            await c.system.check_auth()
            return c.url

    assert asyncio.run(check()).rstrip("/") == s.url
