"""``client.calls.watch()`` in Python: calls placed on the simulator (``POST /_sim/calls``) are
seen ringing, answered and ended exactly once, with the CDR row of the same linkedid, through
the blocking iterator and the async iterator; a watch resumed from a checkpoint goes on."""

from __future__ import annotations

import asyncio
from typing import List

import mikopbx
from simulator import Simulator


def _until_ended(events: "mikopbx.CallWatch", linkedid: str) -> List[mikopbx.CallEvent]:
    seen: List[mikopbx.CallEvent] = []
    for event in events:
        if event.linkedid == linkedid:
            seen.append(event)
            if event.type == "ended":
                return seen
    raise AssertionError("the watch ended")


def test_a_placed_call_is_seen_once_with_its_cdr(client: mikopbx.Client, sim: Simulator) -> None:
    # Extension 263: the background traffic (201-250) and the other suites never use it.
    watch = client.calls.watch(extensions=["263"], poll_interval=0.1)
    linkedid = sim.place_call(from_="79161234567", to="263", answer_after_ms=2000, talk_ms=1500)
    events = _until_ended(watch, linkedid)
    assert [e.type for e in events] == ["ringing", "answered", "ended"]
    assert events[0].event_type == mikopbx.CallEventType.Ringing
    assert [e.sequence for e in events] == sorted(e.sequence for e in events)
    assert events[0].caller == "79161234567"
    ended = events[-1]
    assert ended.disposition == "ANSWERED"
    assert ended.cdr is not None and ended.cdr.linkedid == linkedid
    assert repr(ended).startswith("CallEvent {")

    # A new watch from the checkpoint repeats nothing of the first call and sees the next one.
    resumed = client.calls.watch(extensions=["263"], poll_interval=0.1, resume_from=watch.checkpoint())
    second = sim.place_call(from_="79161234568", to="263", talk_ms=1000, answer_after_ms=500)
    later = _until_ended(resumed, second)
    assert [e.type for e in later] == ["ringing", "answered", "ended"]
    assert later[0].sequence > ended.sequence


def test_the_async_watch(sim: Simulator) -> None:
    async def run() -> List[str]:
        async with mikopbx.AsyncClient(sim.url, api_key=sim.admin_key, ca_cert=sim.ca_path) as pbx:
            watch = pbx.calls.watch(extensions=["264"], poll_interval=0.1)
            linkedid = sim.place_call(from_="79161234569", to="264")  # never answered
            types: List[str] = []
            async for event in watch:
                if event.linkedid == linkedid:
                    types.append(event.type)
                    if event.type == "ended":
                        return types
            return types

    # Unanswered calls ring for 20 s of the simulator's clock.
    assert asyncio.run(asyncio.wait_for(run(), timeout=120)) == ["ringing", "ended"]


def test_bad_watch_options_are_configuration_errors(client: mikopbx.Client) -> None:
    try:
        client.calls.watch(resume_from="not a checkpoint")
    except mikopbx.ConfigurationError as err:
        assert "checkpoint" in str(err).lower()
    else:
        raise AssertionError("a bad checkpoint was accepted")
    for bad in ({"pbx_time_zone": "Mars/Olympus"}, {"pbx_time_zone": "Europe/Berlin", "pbx_utc_offset_minutes": 60}):
        try:
            client.calls.watch(**bad)
        except mikopbx.ConfigurationError as err:
            assert "pbx_" in str(err)
        else:
            raise AssertionError(f"{bad} was accepted")
    client.calls.watch(pbx_time_zone="Europe/Moscow")  # a valid zone: nothing is sent yet
