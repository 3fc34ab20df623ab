"""Hand-over of async results from the Rust runtime to asyncio (see src/bridge.rs)."""

from __future__ import annotations

import asyncio
import atexit
from typing import Any, Awaitable, TypeVar

_T = TypeVar("_T")

from . import _logging, _native


def _deliver(future: "asyncio.Future[Any]", ok: bool, value: Any) -> None:
    """Runs on the event loop: completes the future unless it was cancelled meanwhile, after
    handing the core's queued log records to ``logging``."""
    _logging.flush()
    if future.done():
        return
    if ok:
        future.set_result(value)
    else:
        future.set_exception(value)


async def _coroutine(awaitable: Awaitable[_T]) -> _T:
    """A native awaitable as a coroutine (``asyncio.create_task`` takes only coroutines)."""
    return await awaitable


# Before the interpreter finalizes, let results still in flight be handed over (or dropped), so
# that no runtime thread attaches to a dying interpreter. Bounded: never delays exit by more.
atexit.register(_native.settle, 2.0)
