"""Shared fixtures: one simulator for the whole session, over real TLS, and clients for it."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import AsyncIterator, Iterator

import pytest
import pytest_asyncio

sys.path.insert(0, str(Path(__file__).resolve().parent))

import mikopbx  # noqa: E402
from simulator import Simulator, remove_state, start_simulator  # noqa: E402


@pytest.fixture(scope="session")
def sim() -> Iterator[Simulator]:
    # A real MikoPBX silently stores a REST-created "localhost" key as unrestricted; the SDK refuses
    # that (see test_localhost_key_dropped_by_the_server_is_rolled_back). Tests that need a working
    # localhost-only key run against the server's evident intent, as every binding's suite does.
    simulator = start_simulator("--no-network-filter-quirk")
    try:
        yield simulator
    finally:
        simulator.stop()
        remove_state(simulator)


@pytest.fixture(autouse=True)
def _clean_sim_state(request: pytest.FixtureRequest) -> Iterator[None]:
    """Faults and rate-limit bans never leak from one test into the next."""
    yield
    if "sim" in request.fixturenames:
        simulator: Simulator = request.getfixturevalue("sim")
        if simulator.process.poll() is None:
            simulator.clear_faults()
            simulator.reset()


@pytest.fixture
def client(sim: Simulator) -> Iterator[mikopbx.Client]:
    with mikopbx.Client(sim.url, api_key=sim.admin_key, ca_cert=sim.ca_path, timeout=30.0) as c:
        yield c


@pytest_asyncio.fixture
async def aclient(sim: Simulator) -> AsyncIterator[mikopbx.AsyncClient]:
    async with mikopbx.AsyncClient(sim.url, api_key=sim.admin_key, ca_cert=sim.ca_path) as c:
        yield c
