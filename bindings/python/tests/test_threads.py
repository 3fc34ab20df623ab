"""Blocking calls release the GIL, and one client is safe to share between threads."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import mikopbx
from simulator import Simulator


def test_blocking_calls_release_the_gil(client: mikopbx.Client, sim: Simulator) -> None:
    sim.faults(latency_ms=600)
    counter = 0
    stop = threading.Event()

    def spin() -> None:
        nonlocal counter
        while not stop.is_set():
            counter += 1

    spinner = threading.Thread(target=spin)
    spinner.start()
    try:
        time.sleep(0.05)
        before = counter
        client.system.check_auth()
        during = counter - before
    finally:
        stop.set()
        spinner.join()
    # With the GIL held for 600 ms the spinner would barely move.
    assert during > 10_000, f"the Python thread ran only {during} iterations during the call"


def test_one_client_shared_by_threads(client: mikopbx.Client, sim: Simulator) -> None:
    sim.faults(latency_ms=300)
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda _: client.system.check_auth(), range(8)))
    elapsed = time.monotonic() - started
    # The PBX has 3 workers: about 0.9 s together, 2.4 s one after the other.
    assert elapsed < 2.0, f"8 threads × 300 ms took {elapsed:.2f}s: the calls did not overlap"


def test_threads_iterate_independently(client: mikopbx.Client) -> None:
    def numbers(_: int) -> list[str]:
        return [e.number for e in client.extensions.list(page_size=6)]

    with ThreadPoolExecutor(max_workers=4) as pool:
        lists = list(pool.map(numbers, range(4)))
    assert all(lst == lists[0] for lst in lists) and len(lists[0]) >= 50


def test_sync_and_async_clients_share_one_runtime(sim: Simulator) -> None:
    import asyncio

    async def both() -> str:
        async with mikopbx.AsyncClient(sim.url, api_key=sim.admin_key, ca_cert=sim.ca_path) as a:
            await a.system.check_auth()
            return (await a.extensions.get("201")).number

    with mikopbx.Client(sim.url, api_key=sim.admin_key, ca_cert=sim.ca_path) as c:
        c.system.check_auth()
        assert asyncio.run(both()) == "201"
        c.system.check_auth()


def test_ctrl_c_interrupts_a_blocking_call(client: mikopbx.Client, sim: Simulator) -> None:
    import signal

    import pytest

    from mikopbx import _native

    sim.faults(latency_ms=5000)

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, 0.3)
    started = time.monotonic()
    try:
        with pytest.raises(KeyboardInterrupt):
            client.system.check_auth()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert time.monotonic() - started < 2.0
    assert _native.in_flight() == 0, "the Rust future outlived the interrupted call"
