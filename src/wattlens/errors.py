"""The one exception tree of wattlens.

Every error a user can cause or meet derives from :class:`WattlensError` and
carries a message (what is wrong) and a hint (how to fix it). The CLI turns
them into ``error: …`` / ``hint: …`` on stderr and the error's exit code,
in one place (``wattlens.cli``)::

    WattlensError                      exit 1 unless stated
    ├── UsageError                     exit 2: bad input from the user
    │   ├── UnknownNameError           a catalog name matches nothing (suggests close names)
    │   ├── AmbiguousNameError         a catalog name matches several rows (lists them)
    │   └── InputValueError            a value out of range (negative tokens, MFU > 1, …)
    ├── CatalogError                   exit 2: a catalog file is malformed (file, line, column)
    ├── SensorError                    a sensor failed while reading
    │   └── SensorPermissionError      a sensor exists but cannot be read (names the fix)
    └── StoreError                     the run store cannot be opened or written

Python callers get the same classes; ``InputValueError`` and the name errors
also derive from :class:`ValueError` so that ``except ValueError`` works.
"""

from __future__ import annotations


class WattlensError(Exception):
    """Base class: a message for the user, a hint to fix it and an exit code."""

    exit_code: int = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message} ({self.hint})"
        return self.message


class UsageError(WattlensError):
    """The user gave input that cannot be used."""

    exit_code = 2


class UnknownNameError(UsageError, ValueError):
    """A name matched no catalog row."""

    def __init__(self, kind: str, name: str, suggestions: list[str]) -> None:
        hint = (
            "did you mean: " + ", ".join(suggestions)
            if suggestions
            else f"list the known names with `wattlens catalog ls {kind}`"
        )
        super().__init__(f"unknown {kind} name {name!r}", hint=hint)
        self.kind = kind
        self.name = name
        self.suggestions = suggestions


class AmbiguousNameError(UsageError, ValueError):
    """A name matched several catalog rows; wattlens never picks one silently."""

    def __init__(self, kind: str, name: str, candidates: list[str]) -> None:
        super().__init__(
            f"{kind} name {name!r} is ambiguous: it matches {len(candidates)} entries",
            hint="use one of: " + ", ".join(candidates),
        )
        self.kind = kind
        self.name = name
        self.candidates = candidates


class InputValueError(UsageError, ValueError):
    """A value is outside the range a model or command accepts."""


class CatalogError(WattlensError):
    """A catalog file is malformed; the message names file, line and column."""

    exit_code = 2


class SensorError(WattlensError):
    """A sensor failed while reading."""


class SensorPermissionError(SensorError):
    """A sensor exists but the process may not read it; the hint names the fix."""


class StoreError(WattlensError):
    """The run store could not be opened or written."""
