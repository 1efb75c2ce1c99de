"""Errors of the store: an unknown id, an ambiguous prefix (exit code 2), a run kept unsaved."""

from __future__ import annotations

from pathlib import Path

from wattlens.errors import StoreError, UsageError

__all__ = ["AmbiguousRunIdError", "RunKeptError", "RunNotFoundError"]


class RunKeptError(StoreError):
    """The store could not take a run; it is kept in a spool file until it can.

    ``message`` and ``hint`` are those of the store's error; ``spool_path`` is the file.
    """

    def __init__(self, cause: StoreError, spool_path: Path) -> None:
        super().__init__(cause.message, hint=cause.hint)
        self.spool_path = spool_path


_AMBIGUOUS_SHOWN = 10


class RunNotFoundError(UsageError, LookupError):
    """No stored run has this id (or id prefix)."""

    def __init__(self, run_id: str) -> None:
        super().__init__(
            f"no stored run has id {run_id!r}",
            hint="list the stored runs with `wattlens runs ls`",
        )
        self.run_id = run_id


class AmbiguousRunIdError(UsageError, LookupError):
    """An id prefix matches several runs; the store never picks one silently."""

    def __init__(self, prefix: str, matches: list[str]) -> None:
        shown = matches[:_AMBIGUOUS_SHOWN]
        more = len(matches) - len(shown)
        listing = ", ".join(shown) + (f" and {more} more" if more > 0 else "")
        super().__init__(
            f"run id prefix {prefix!r} is ambiguous: it matches {len(matches)} runs",
            hint=f"give more characters; matches: {listing}",
        )
        self.prefix = prefix
        self.matches = matches
