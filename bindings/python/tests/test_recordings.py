"""``client.cdr.recording(record)`` in Python: the recording of a call placed on the simulator
downloads with the exact bytes and type the PBX serves (compared with a plain ``urllib`` fetch of
the token URL), to bytes, to a file and as a stream, blocking and async; no recording is a
``NotFoundError``; the token shows in no ``repr``."""

from __future__ import annotations

import asyncio
import json
import ssl
import urllib.request
from pathlib import Path
from typing import List, Tuple

import pytest

import mikopbx
from simulator import Simulator


def _served(sim: Simulator, linkedid: str, fmt: str = "") -> Tuple[bytes, str]:
    """The recording as the PBX serves it, without the SDK: list with the key, then GET the
    ``download_url`` without it."""
    context = ssl.create_default_context(cafile=str(sim.ca_path))
    listing = urllib.request.Request(
        f"{sim.url}/pbxcore/api/v3/cdr?linkedid={linkedid}&grouped=false",
        headers={"Authorization": f"Bearer {sim.admin_key}"},
    )
    with urllib.request.urlopen(listing, context=context, timeout=10) as response:
        url = json.loads(response.read())["data"]["records"][0]["download_url"]
    assert url, "the recording is published"
    with urllib.request.urlopen(sim.url + url + fmt, context=context, timeout=10) as response:
        return bytes(response.read()), str(response.headers["Content-Type"])


def _ended_call(client: mikopbx.Client, sim: Simulator, to: str, **call: int) -> mikopbx.CdrRecord:
    linkedid = sim.place_call(from_="79161234567", to=to, **call)
    # Past the hangup, WorkerCdr's lag and the conversion.
    sim.advance(30_000)
    records = list(client.cdr.list(linkedid=linkedid))
    assert len(records) == 1, records
    return records[0]


def test_a_recording_downloads_the_exact_bytes(client: mikopbx.Client, sim: Simulator, tmp_path: Path) -> None:
    record = _ended_call(client, sim, "265", answer_after_ms=300, talk_ms=2000)
    assert record.has_recording
    recording = client.cdr.recording(record)
    data = recording.bytes()
    expected, content_type = _served(sim, record.linkedid)
    assert data == expected
    assert content_type == "audio/mpeg" and data[:2] == b"\xff\xfb"

    info = recording.save(tmp_path / "call.mp3")
    assert (tmp_path / "call.mp3").read_bytes() == expected
    assert not (tmp_path / "call.mp3.part").exists()
    assert (info.content_type, info.size) == ("audio/mpeg", len(expected))
    assert info.filename.startswith("call_79161234567_to_265_") and info.duration_seconds == 2.0

    chunks: List[bytes] = list(recording.stream())
    assert b"".join(chunks) == expected

    wav = client.cdr.recording(record, format="wav", wait=0).bytes()
    assert wav == _served(sim, record.linkedid, "&format=wav")[0] and wav[:4] == b"RIFF"

    shown = f"{record!r} {recording!r} {record.extra!r}"
    assert "token" not in shown, shown


def test_no_recording_is_not_found_and_a_bad_format_is_refused(client: mikopbx.Client, sim: Simulator) -> None:
    missed = _ended_call(client, sim, "266", ring_ms=1000)
    assert not missed.has_recording
    with pytest.raises(mikopbx.NotFoundError, match="not answered"):
        client.cdr.recording(missed).bytes()
    with pytest.raises(mikopbx.ConfigurationError, match="original, webm, mp3, wav, ogg"):
        client.cdr.recording(missed, format="flac")  # type: ignore[arg-type]


def test_the_async_recording(client: mikopbx.Client, sim: Simulator, tmp_path: Path) -> None:
    record = _ended_call(client, sim, "267", answer_after_ms=300, talk_ms=1000)
    expected, _ = _served(sim, record.linkedid)

    async def run() -> Tuple[bytes, bytes, mikopbx.RecordingInfo]:
        async with mikopbx.AsyncClient(sim.url, api_key=sim.admin_key, ca_cert=sim.ca_path) as pbx:
            recording = pbx.cdr.recording(record)
            whole = await recording.bytes()
            streamed = b"".join([chunk async for chunk in recording.stream()])
            info = await recording.save(tmp_path / "async.mp3")
            return whole, streamed, info

    whole, streamed, info = asyncio.run(asyncio.wait_for(run(), timeout=60))
    assert whole == streamed == expected == (tmp_path / "async.mp3").read_bytes()
    assert info.size == len(expected)
