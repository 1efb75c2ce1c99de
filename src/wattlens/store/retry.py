"""Retrying a database call that met a passing fault; standard library only.

Both save paths (SQLAlchemy and the sqlite3 fast save) use :func:`call`, so a
lock held by another process or a server that refuses connections for a
moment delays a save instead of losing it. Timeouts are not retried: the call
has already waited as long as ``WATTLENS_DB_TIMEOUT`` allows.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

from wattlens.store.config import is_locked, is_timeout

__all__ = ["ATTEMPTS", "call", "is_transient"]

_T = TypeVar("_T")

#: At most this many tries of one call.
ATTEMPTS = 8
_FIRST_SLEEP_S = 0.05
_MAX_SLEEP_S = 2.0

# Server states that pass: a restart, a full connection table, a lost connection.
_PASSING = (
    "connection refused",
    "could not connect",
    "connection reset",
    "server closed the connection",
    "the database system is starting up",
    "the database system is shutting down",
    "too many clients",
    "terminating connection",
    "deadlock detected",
    "could not serialize",
)


def is_transient(detail: str) -> bool:
    """Whether a database error may pass if the call is tried again a little later."""
    text = detail.lower()
    if is_locked(text):
        return True
    if is_timeout(text):
        return False
    return any(p in text for p in _PASSING)


def call(
    fn: Callable[[], _T],
    retryable: Callable[[BaseException], bool],
    *,
    timeout_s: float,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> _T:
    """``fn()``, tried again with exponential back-off while ``retryable(error)``.

    Tries stop after :data:`ATTEMPTS`, or once another try would start more
    than ``2 * timeout_s`` after the first (each try may itself wait
    ``timeout_s`` for a lock): a lock held for longer than the timeout is
    waited out once more before the caller gives up. The last error is raised.
    """
    start = clock()
    delay = _FIRST_SLEEP_S
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return fn()
        except Exception as exc:
            # Jitter keeps processes that met the same lock from retrying in step.
            pause = delay * (0.5 + random.random())
            late = clock() - start + pause > 2 * timeout_s
            if attempt == ATTEMPTS or late or not retryable(exc):
                raise
            sleep(pause)
            delay = min(delay * 2, _MAX_SLEEP_S)
    raise AssertionError("unreachable")  # pragma: no cover
