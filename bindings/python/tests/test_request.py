"""``client.request(method, path, body)``, the escape hatch for what PBX modules add, blocking and
async: the answer's ``data`` decoded, the typed exceptions, the permission pre-check naming the
``allowed_paths`` key of a module's path, and the dangerous-action gate. Each case in depth is
the Rust suite's (crates/mikopbx/tests/request.rs); this checks the Python boundary."""

from __future__ import annotations

import pytest

import mikopbx
from simulator import Simulator


def test_a_page_and_a_write_through_the_raw_path(client: mikopbx.Client) -> None:
    page = client.request("get", "/pbxcore/api/v3/extensions?limit=2")
    assert isinstance(page, mikopbx.ApiResponse)
    assert page.status == 200
    assert isinstance(page.data, list) and len(page.data) == 2
    assert isinstance(page.data[0]["number"], str)

    created = client.request(
        "POST", "/pbxcore/api/v3/call-queues", {"name": "Py escape hatch", "extension": "2298"}
    )
    queue_id = created.data["id"]
    assert client.call_queues.get(queue_id).name == "Py escape hatch"
    client.request("DELETE", f"/pbxcore/api/v3/call-queues/{queue_id}")
    with pytest.raises(mikopbx.NotFoundError) as info:
        client.request("GET", f"/pbxcore/api/v3/call-queues/{queue_id}")
    assert info.value.operation == "call_queues.get"


def test_bad_arguments_and_dangerous_actions_are_refused(client: mikopbx.Client) -> None:
    with pytest.raises(mikopbx.ConfigurationError, match="not one of GET"):
        client.request("FETCH", "/pbxcore/api/v3/extensions")
    with pytest.raises(mikopbx.ConfigurationError, match="request: path"):
        client.request("GET", "/pbxcore/api/v3/extensions%2F..%2Fapi-keys")
    with pytest.raises(mikopbx.ConfigurationError, match="dangerous action"):
        client.request("POST", "/pbxcore/api/v3/system:executeBashCommand", {"command": "id"})
    with pytest.raises(mikopbx.ValidationError):
        client.request("POST", "/pbxcore/api/v3/call-queues", {"name": ""})


def test_a_module_path_the_key_lacks_names_the_grant(sim: Simulator, client: mikopbx.Client) -> None:
    key = client.api_keys.generate_key()
    info = client.api_keys.create(
        description="py-request-restricted",
        key=key,
        full_permissions=False,
        allowed_paths={"extensions": "read"},
        network="any",
    )
    try:
        with mikopbx.Client(
            sim.url, api_key=key, ca_cert=sim.ca_path, permissions={"extensions": "read"}
        ) as limited:
            with pytest.raises(mikopbx.PermissionDeniedError) as denied:
                limited.request("GET", "/pbxcore/api/v3/module-example/tasks")
            exc = denied.value
            assert exc.resource is None
            assert exc.allowed_path == "/api/v3/module-example/tasks"
            assert exc.required == "read" and exc.origin == "local"
            assert key not in str(exc) and key not in repr(exc)
    finally:
        client.api_keys.delete(info.id)


@pytest.mark.asyncio
async def test_async_request(aclient: mikopbx.AsyncClient) -> None:
    answer = await aclient.request("GET", "/pbxcore/api/v3/employees:getDefault")
    assert isinstance(answer.data, dict)
    with pytest.raises(mikopbx.NotFoundError):
        await aclient.request("GET", "/pbxcore/api/v3/module-example-rest-api-v3/tasks")
