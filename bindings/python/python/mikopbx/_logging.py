"""Forwarding of the Rust core's log records to Python ``logging`` (logger ``"mikopbx"``).

The native layer installs a small ``tracing`` layer that only formats each record and appends it
to a bounded in-memory queue: it never takes the GIL, so a tokio worker can never block on Python.
The records are handed to ``logging`` here, on a Python thread that already holds the GIL, after
every SDK call and every page. The core never logs the API key, headers or bodies.
"""

from __future__ import annotations

import logging

from . import _native

LOGGER_NAME = "mikopbx"
_root = logging.getLogger(LOGGER_NAME)


def sync_level() -> None:
    """Tell the native layer which levels anyone listens to, so it skips the rest cheaply."""
    _native.set_log_level(_root.getEffectiveLevel())


def flush() -> None:
    """Emit the queued native records on the ``mikopbx`` logger (and its children)."""
    records = _native.drain_logs()
    if not records:
        return
    for target, level, message in records:
        # Rust targets look like "mikopbx::transport"; they become "mikopbx.transport".
        name = target.replace("::", ".")
        logger = logging.getLogger(name if name.startswith(LOGGER_NAME) else LOGGER_NAME)
        if logger.isEnabledFor(level):
            logger.log(level, "%s", message)
    sync_level()
