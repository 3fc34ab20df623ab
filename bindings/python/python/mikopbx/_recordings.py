"""Call recordings: ``client.cdr.recording(record)``, over the core's ``mikopbx::recordings``.

The recording is fetched through the token URL the PBX issues when listing the call (the token is
obtained, held in memory and renewed by the core; it never appears in a record, a ``repr`` or a
log), over the client's verified TLS, without the API key (the token is the credential there). It
waits, bounded by ``wait``, while the PBX is still converting the recording, and resumes a cut
download with byte ranges. ``save()`` writes ``<path>.part`` and renames it when complete, so
``path`` never holds a partial file.

On ``Client`` the methods block (the GIL is released while they wait); on ``AsyncClient`` they
are awaited, and ``stream()`` is an async iterator.
"""

from __future__ import annotations

import os
from typing import AsyncIterator, Iterator, Literal, Optional, Union

from ._native import CdrRecord, NativeClient, NativeRecording, RecordingInfo

__all__ = [
    "AsyncCdrRecordings",
    "AsyncRecording",
    "CdrRecordings",
    "Recording",
    "RecordingFormat",
    "RecordingInfo",
]

#: ``original`` is what the PBX stores (webm/Opus on current releases); the others are converted
#: by the PBX.
RecordingFormat = Literal["original", "webm", "mp3", "wav", "ogg"]

_Path = Union[str, "os.PathLike[str]"]
# `bytes` is also a method name of the classes below: the type under another name.
_Bytes = bytes


def _native_recording(
    native: NativeClient, record: CdrRecord, format: RecordingFormat, wait: Optional[float]
) -> NativeRecording:
    wait_ms = None if wait is None else max(0, int(wait * 1000))
    return native.recording(record, format, wait_ms)


class Recording:
    """The recording of one CDR record, for the blocking ``Client``."""

    __slots__ = ("_native",)

    def __init__(self, native: NativeRecording) -> None:
        self._native = native

    @property
    def record_id(self) -> int:
        return self._native.record_id

    def save(self, path: _Path) -> RecordingInfo:
        """Downloads the recording to ``path`` and returns what the PBX said of it (type, size,
        suggested file name, duration)."""
        return self._native.save(os.fspath(path))

    def bytes(self) -> _Bytes:
        """The whole recording (about 1 MB for 10 minutes of Opus)."""
        return self._native.bytes()

    def stream(self) -> Iterator[_Bytes]:
        """The recording chunk by chunk, each byte exactly once."""
        stream = self._native.open()
        while True:
            chunk = stream.next_chunk()
            if chunk is None:
                return
            yield chunk

    def __repr__(self) -> str:
        return repr(self._native)


class AsyncRecording:
    """The recording of one CDR record, for ``AsyncClient``."""

    __slots__ = ("_native",)

    def __init__(self, native: NativeRecording) -> None:
        self._native = native

    @property
    def record_id(self) -> int:
        return self._native.record_id

    async def save(self, path: _Path) -> RecordingInfo:
        """Downloads the recording to ``path`` and returns what the PBX said of it."""
        return await self._native.save_async(os.fspath(path))

    async def bytes(self) -> _Bytes:
        """The whole recording."""
        return await self._native.bytes_async()

    async def stream(self) -> AsyncIterator[_Bytes]:
        """The recording chunk by chunk, each byte exactly once."""
        stream = await self._native.open_async()
        while True:
            chunk = await stream.next_chunk_async()
            if chunk is None:
                return
            yield chunk

    def __repr__(self) -> str:
        return repr(self._native)


class CdrRecordings:
    """``client.cdr.recording()`` (the generated ``CdrApi`` derives from this)."""

    __slots__ = ()
    _native: NativeClient

    def recording(
        self, record: CdrRecord, *, format: RecordingFormat = "original", wait: Optional[float] = None
    ) -> Recording:
        """The recording of ``record`` (from ``cdr.list``). ``wait``: seconds to wait for the PBX
        to publish it after the call (default 120). Nothing is sent until it is read; a key needs
        read on ``cdr``. Raises :class:`NotFoundError` when there is no recording (the call was
        not answered, recording is off for it, or the wait ran out)."""
        return Recording(_native_recording(self._native, record, format, wait))


class AsyncCdrRecordings:
    """``client.cdr.recording()`` of ``AsyncClient`` (the generated ``AsyncCdrApi`` derives
    from this)."""

    __slots__ = ()
    _native: NativeClient

    def recording(
        self, record: CdrRecord, *, format: RecordingFormat = "original", wait: Optional[float] = None
    ) -> AsyncRecording:
        """The recording of ``record``; see ``Client.cdr.recording``."""
        return AsyncRecording(_native_recording(self._native, record, format, wait))
