"""Live call events: ``client.calls.watch()``, an iterator and an async iterator, over the core's watcher (``mikopbx::calls``: it polls
``pbx-status:getActiveChannels`` within the client's rate budget and diffs the snapshots).

Each event is a :class:`CallEvent` with ``type`` ``"ringing"``, ``"answered"``, ``"transferred"``
or ``"ended"``, the call's ``linkedid``, the numbers, and on ``ended`` the duration, disposition
and the CDR row (``cdr``). A failed poll raises from ``next()``; nothing is lost: iterate again
and the watch goes on where it stopped. ``checkpoint()`` gives the text to pass as
``resume_from=`` in another process.
"""

from __future__ import annotations

from typing import Dict, Iterable, Optional

from ._native import AsteriskManager, CallEvent, NativeCallWatcher, NativeClient

__all__ = ["AsyncCallsApi", "AsyncClickToCallManagers", "CallWatch", "CallsApi", "ClickToCallManagers"]


def _ms(seconds: Optional[float]) -> Optional[int]:
    return None if seconds is None else int(seconds * 1000)


def _watcher(
    native: NativeClient,
    extensions: Iterable[str],
    poll_interval: Optional[float],
    pbx_utc_offset_minutes: Optional[int],
    pbx_time_zone: Optional[str],
    cdr_wait: Optional[float],
    resume_from: Optional[str],
) -> NativeCallWatcher:
    options: Dict[str, object] = {
        "extensions": list(extensions),
        "poll_interval_ms": _ms(poll_interval),
        "pbx_utc_offset_minutes": pbx_utc_offset_minutes,
        "pbx_time_zone": pbx_time_zone,
        "cdr_wait_ms": _ms(cdr_wait),
        "cdr_retry_ms": None,
        "resume_from": resume_from,
    }
    return native.watch_calls(options)


class CallWatch:
    """The events of one watch: ``for event in watch`` blocks between them (the GIL is released
    while it waits); ``async for event in watch`` awaits them, and cancelling a wait loses
    nothing."""

    def __init__(self, native: NativeCallWatcher) -> None:
        self._native = native

    def __iter__(self) -> CallWatch:
        return self

    def __next__(self) -> CallEvent:
        return self._native.next_event()

    def __aiter__(self) -> CallWatch:
        return self

    async def __anext__(self) -> CallEvent:
        return await self._native.next_event_async()

    def checkpoint(self) -> str:
        """Where a new watch (``resume_from=``) continues, after the last event returned."""
        return self._native.checkpoint()


class CallsApi:
    """``client.calls`` of the blocking client: live call events (a key needs read on
    ``pbx-status`` and ``cdr``) and click-to-call (an Asterisk manager login)."""

    def __init__(self, native: NativeClient) -> None:
        self._native = native

    def watch(
        self,
        *,
        extensions: Iterable[str] = (),
        poll_interval: Optional[float] = None,
        pbx_utc_offset_minutes: Optional[int] = None,
        pbx_time_zone: Optional[str] = None,
        cdr_wait: Optional[float] = None,
        resume_from: Optional[str] = None,
    ) -> CallWatch:
        """Watch calls (of ``extensions`` only, when given). ``poll_interval`` and ``cdr_wait`` are
        seconds (defaults 3 and 30); the PBX's timestamps are naive local time, converted with
        ``pbx_time_zone`` (an IANA name such as ``"Europe/Berlin"``, daylight saving included) or
        a fixed ``pbx_utc_offset_minutes``; ``resume_from`` is a ``checkpoint()``. Nothing is
        sent until the first event is asked for."""
        return CallWatch(
            _watcher(self._native, extensions, poll_interval, pbx_utc_offset_minutes, pbx_time_zone,
                     cdr_wait, resume_from)
        )

    def originate(self, from_extension: str, to_number: str) -> str:
        """Click-to-call: the agent's phone ``from_extension`` (``"201"``) rings, and when the
        agent answers the PBX dials ``to_number`` (``"+79161234567"``). Returns the call's
        ``linkedid``, which its CDR row will carry. Needs the client options ``ami_username`` and
        ``ami_secret`` (and ``ajam_port`` when the PBX's AJAM TLS port is not 8089). Numbers that
        are not plain digits raise :class:`ValidationError` before anything is sent; never
        retried once it may have reached the PBX (the phone would ring twice)."""
        return self._native.originate(from_extension, to_number)


class AsyncCallsApi(CallsApi):
    """``client.calls`` of the asyncio client: ``watch()`` as above (``async for``), and
    ``await originate(...)``."""

    async def originate(self, from_extension: str, to_number: str) -> str:  # type: ignore[override]
        """Click-to-call, as :meth:`CallsApi.originate`."""
        return await self._native.originate_async(from_extension, to_number)


class ClickToCallManagers:
    """``client.asterisk_managers.create_click_to_call_manager()`` (the generated
    ``AsteriskManagersApi`` derives from this)."""

    __slots__ = ()
    _native: NativeClient

    def create_click_to_call_manager(self, username: str, network_filter_id: str) -> AsteriskManager:
        """Creates the Asterisk manager click-to-call needs, with the least rights (``originate``
        write, ``call`` read) and a secret the PBX generates, usable only through the network
        filter ``network_filter_id``. The filter is read first and refused
        (:class:`ConfigurationError`) unless it denies ``0.0.0.0/0`` and permits a narrower
        network: Asterisk admits whatever a filter does not deny. Pass the returned ``username``
        and ``secret`` as the client options ``ami_username`` / ``ami_secret``."""
        return self._native.create_click_to_call_manager(username, network_filter_id)


class AsyncClickToCallManagers:
    """``client.asterisk_managers.create_click_to_call_manager()`` of ``AsyncClient``."""

    __slots__ = ()
    _native: NativeClient

    async def create_click_to_call_manager(self, username: str, network_filter_id: str) -> AsteriskManager:
        """See ``Client.asterisk_managers.create_click_to_call_manager``."""
        return await self._native.create_click_to_call_manager_async(username, network_filter_id)
