"""Hand-over of async results from the Rust runtime to asyncio (see src/bridge.rs)."""

from __future__ import annotations

import asyncio
import atexit
from typing import Any

from . import _native


def _deliver(future: "asyncio.Future[Any]", ok: bool, value: Any) -> None:
    """Runs on the event loop: completes the future unless it was cancelled meanwhile."""
    if future.done():
        return
    if ok:
        future.set_result(value)
    else:
        future.set_exception(value)


# Before the interpreter finalizes, let results still in flight be handed over (or dropped), so
# that no runtime thread attaches to a dying interpreter. Bounded: never delays exit by more.
atexit.register(_native.settle, 2.0)
