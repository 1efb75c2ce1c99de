"""Run ids: random, so that their short form tells runs apart.

A run id is 32 lowercase hex digits, all random (128 bits from :mod:`secrets`).
People see and type the first :data:`SHORT_ID_LENGTH` of them: 32 random bits,
so two runs share a short id only by chance (among 1,000 runs, about 1 in
8,600: the birthday bound n(n-1)/2 / 16⁸), and then the store asks for more
characters instead of picking one. Runs are ordered by their start time, never
by their id.

Ids written before this scheme (12 hex digits of a millisecond timestamp, then
20 random digits) stay valid: the store takes any text as an id and resolves
any unique prefix.
"""

from __future__ import annotations

import secrets

__all__ = ["SHORT_ID_LENGTH", "new_run_id", "short_id"]

#: Characters of a run id shown in listings and messages.
SHORT_ID_LENGTH = 8

_ID_BYTES = 16


def new_run_id() -> str:
    """A new run id: 32 random lowercase hex digits."""
    return secrets.token_hex(_ID_BYTES)


def short_id(run_id: str) -> str:
    """The form of a run id shown to people (any unique prefix resolves)."""
    return run_id[:SHORT_ID_LENGTH]
