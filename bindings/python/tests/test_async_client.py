"""The asyncio client: every operation, async iteration, concurrency and cancellation."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
import uuid

import pytest

import mikopbx
from mikopbx import _native
from simulator import Simulator

pytestmark = pytest.mark.asyncio


async def test_async_operations(aclient: mikopbx.AsyncClient, sim: Simulator) -> None:
    assert sim.admin_key not in repr(aclient)
    await aclient.system.ping()
    await aclient.system.check_auth()
    assert (await aclient.sysinfo.get_info()).raw_json
    exts = [e async for e in aclient.extensions.list(page_size=9)]
    assert len(exts) >= 50
    assert (await aclient.extensions.get(exts[0].number)).number == exts[0].number
    assert await aclient.extensions.get_for_select()
    assert await aclient.extensions.available(exts[0].number) is False
    assert isinstance(await aclient.pbx_status.active_calls(), list)
    assert isinstance(await aclient.pbx_status.active_channels(), list)
    today = dt.date.today()
    week_ago = (today - dt.timedelta(days=7)).isoformat()
    cdr = aclient.cdr.list(date_from=week_ago, date_to=today.isoformat(), page_size=25)
    seen = 0
    async for page in cdr.pages():
        seen += len(page)
        if seen >= 60:
            break
    assert seen >= 60 and cdr.checkpoint is not None
    calls = aclient.cdr.list_calls(date_from=week_ago, date_to=today.isoformat())
    call = await calls.__anext__()
    assert isinstance(call, mikopbx.CdrCall) and call.records
    assert isinstance(calls, mikopbx.AsyncPager) and calls.checkpoint is not None


async def test_async_iteration_item_by_item_then_pages(aclient: mikopbx.AsyncClient) -> None:
    it = aclient.extensions.list(page_size=5)
    head = [await it.__anext__() for _ in range(3)]
    pages = [page async for page in it.pages()]
    assert len(pages[0]) == 2  # the rest of the first page
    assert all(len(p) <= 5 for p in pages)
    everything = [e.number for e in head] + [e.number for p in pages for e in p]
    assert everything == [e.number async for e in aclient.extensions.list(page_size=50)]
    with pytest.raises(StopAsyncIteration):
        await it.__anext__()
    rest = aclient.extensions.list(page_size=7)
    first = await rest.__anext__()
    assert [first, *(await rest.to_list())] == await aclient.extensions.list(page_size=7).to_list()


async def test_async_employee_and_key_crud(aclient: mikopbx.AsyncClient) -> None:
    employees = await aclient.employees.list(page_size=20).to_list()
    assert len(employees) >= 50
    number = ""
    for n in range(7100, 7999):
        if await aclient.extensions.available(str(n)):
            number = str(n)
            break
    name = f"Async {uuid.uuid4().hex[:6]}"
    created = await aclient.employees.create(number=number, user_username=name, sip_secret="Aa1-" + uuid.uuid4().hex)
    try:
        assert (await aclient.employees.get(created.id)).user_username == name
        await aclient.employees.update(created.id, number=number, user_username=name + "!", sip_secret="Bb2-" + uuid.uuid4().hex)
        patched = await aclient.employees.patch(created.id, mobile_number="+15551234567")
        assert patched.mobile_number == "+15551234567"
    finally:
        await aclient.employees.delete(created.id)
    with pytest.raises(mikopbx.NotFoundError):
        await aclient.employees.get(created.id)

    key = await aclient.api_keys.generate_key()
    info = await aclient.api_keys.create(
        description="async", key=key, full_permissions=False, allowed_paths={"cdr": "read"}, network="any"
    )
    try:
        assert info.id in [k.id async for k in aclient.api_keys.list()]
        assert (await aclient.api_keys.get(info.id)).description == "async"
        await aclient.api_keys.update(
            info.id, description="async-2", key=key, full_permissions=False, allowed_paths={"cdr": "write"}, network="any"
        )
        assert (await aclient.api_keys.get(info.id)).allowed_paths == {"/api/v3/cdr": "write"}
    finally:
        await aclient.api_keys.delete(info.id)


async def test_calls_run_concurrently(aclient: mikopbx.AsyncClient, sim: Simulator) -> None:
    sim.faults(latency_ms=400)
    started = time.monotonic()
    await asyncio.gather(*(aclient.system.check_auth() for _ in range(8)))
    elapsed = time.monotonic() - started
    # The PBX has 3 workers: about 1.2 s together, 3.2 s one after the other.
    assert elapsed < 2.6, f"8 calls of 400 ms took {elapsed:.2f}s: they did not overlap"


async def wait_until_idle(timeout: float = 2.0) -> None:
    deadline = time.monotonic() + timeout
    while _native.in_flight() and time.monotonic() < deadline:
        await asyncio.sleep(0.01)


async def test_cancelling_the_task_drops_the_rust_future(aclient: mikopbx.AsyncClient, sim: Simulator) -> None:
    await wait_until_idle()
    sim.faults(latency_ms=5000)
    task = asyncio.create_task(aclient.system.check_auth())
    deadline = time.monotonic() + 3
    while not _native.in_flight() and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    assert _native.in_flight() == 1
    started = time.monotonic()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await wait_until_idle()
    assert _native.in_flight() == 0, "the Rust future kept running after the task was cancelled"
    assert time.monotonic() - started < 1.0
    sim.clear_faults()
    await aclient.system.check_auth()


async def test_wait_for_timeout_cancels(aclient: mikopbx.AsyncClient, sim: Simulator) -> None:
    sim.faults(latency_ms=3000)
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(aclient.system.check_auth(), timeout=0.3)
    await wait_until_idle()
    assert _native.in_flight() == 0


async def test_cancelling_iteration_mid_page(aclient: mikopbx.AsyncClient, sim: Simulator) -> None:
    it = aclient.extensions.list(page_size=5)
    first = await it.__anext__()
    sim.faults(latency_ms=3000)

    async def drain() -> int:
        return len([e async for e in it])

    task = asyncio.create_task(drain())
    await asyncio.sleep(0.2)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await wait_until_idle()
    assert _native.in_flight() == 0
    assert first.number


async def test_async_errors_are_the_same_classes(sim: Simulator) -> None:
    async with mikopbx.AsyncClient(sim.url, api_key="0" * 64, ca_cert=sim.ca_path) as bad:
        with pytest.raises(mikopbx.AuthenticationError) as info:
            await bad.system.check_auth()
    assert info.value.status == 401
    assert info.value.operation == "system.check_auth"


async def test_service_busy_when_the_worker_queue_is_full(sim: Simulator) -> None:
    """A real queue-full 503: more than 50 requests waiting for the PBX's 3 workers."""
    sim.faults(latency_ms=500)
    async with mikopbx.AsyncClient(sim.url, api_key=sim.admin_key, ca_cert=sim.ca_path, max_retries=0) as c:
        tasks = [asyncio.create_task(c.system.check_auth()) for _ in range(70)]
        done, pending = await asyncio.wait(tasks, timeout=20, return_when=asyncio.FIRST_EXCEPTION)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        sim.clear_faults()
    errors = [t.exception() for t in done if t.exception() is not None]
    assert errors, "70 concurrent calls never filled the queue"
    assert all(isinstance(e, mikopbx.ServiceBusyError) for e in errors), errors
    assert all(e.status == 503 for e in errors if isinstance(e, mikopbx.MikoPBXError))
    await wait_until_idle()

