"""The grammar for one field: counts, spans, fractions and dates as options and forms take them.

These are what the CLI, the web forms and the estimate inputs call; every one goes
through :func:`wattlens.quantity.parse`, so ``200m``, ``10K``, ``405bn``, ``2T`` and
ranges (``LOW..HIGH``, ``LOW:HIGH``, ``LOW–HIGH``) mean the same everywhere.
"""

from __future__ import annotations

from wattlens.errors import InputValueError, UsageError
from wattlens.quantity.grammar import QuantityError, parse

_COUNT_EXAMPLE = "write e.g. 7e10, 70B or 2T"


def _count_error(text: str, exc: QuantityError, what: str) -> InputValueError:
    if exc.code in {"no_number", "unknown_unit", "wrong_dimension", "empty"}:
        return InputValueError(
            f"{text!r} is not a number ({_COUNT_EXAMPLE})",
            hint=f"{what} takes a count: a number with an optional k, M, B, T, million, "
            f"billion, 万 or 亿 ({exc.reason})",
        )
    return InputValueError(exc.message, hint=exc.hint)


def parse_span(text: str | float, kind: str = "count", what: str = "value") -> tuple[float, float]:
    """``(low, high)`` in SI units of a value or range of ``kind`` (see :func:`parse`).

    Raises:
        QuantityError: The text is not a quantity of that kind.
    """
    quantity = parse(text, kind=kind, what=what)
    return (quantity.low, quantity.high)


def parse_count(text: str | float, what: str = "value") -> float:
    """A positive count: ``1.75e11``, ``175e9``, ``175B``, ``2T``, ``3.5M``, ``200m``, ``1_000``.

    Raises:
        InputValueError: Not a number, a range, or not positive.
    """
    low, high = parse_count_span(text, what)
    if low != high:
        raise InputValueError(
            f"{text!r} is a range; {what} takes one number", hint="write one value, e.g. 70B"
        )
    return low


def parse_count_span(text: str | float, what: str = "value") -> tuple[float, float]:
    """A positive count or range of counts (``300..700``, ``1M:2M``), as ``(low, high)``."""
    try:
        quantity = parse(text, kind="count", what=what)
    except QuantityError as exc:
        raise _count_error(str(text), exc, what) from None
    if quantity.low <= 0:
        raise InputValueError(
            f"must be positive, got {text!r}", hint=f"{what} takes a count above 0, e.g. 70B"
        )
    return (quantity.low, quantity.high)


def parse_range(text: str, what: str = "value") -> float | tuple[float, float]:
    """A positive count ``X`` or a range ``LOW:HIGH`` (any range syntax): a float or a pair."""
    low, high = parse_count_span(text, what)
    return low if low == high else (low, high)


def parse_fraction(text: str | float, what: str = "value") -> float | tuple[float, float]:
    """A fraction ``0.35``, ``35%``, ``30%..50%`` or ``0.3:0.5``: a float or a ``(low, high)``.

    Raises:
        QuantityError: Not a fraction.
    """
    quantity = parse(text, kind="fraction", what=what)
    return quantity.low if not quantity.is_range else (quantity.low, quantity.high)


def parse_mfu(text: str | None) -> float | tuple[float, float] | None:
    """``--mfu``: ``X`` gives a float, ``LOW:HIGH`` (or ``30%..50%``) a pair, None stays None.

    Raises:
        InputValueError: The text is not a fraction or a range of fractions.
    """
    if text is None:
        return None
    try:
        return parse_fraction(text, "--mfu")
    except QuantityError as exc:
        raise InputValueError(
            f"{text!r} is not a number or LOW:HIGH ({exc.reason})",
            hint="write the model-FLOP utilisation as 0.4, 40% or 0.3:0.5",
        ) from None


def parse_input_tokens(text: str | None) -> float | tuple[float, float] | None:
    """``--input-tokens``: ``N`` or ``LOW:HIGH`` (as :func:`parse_range`); ``0`` is 0.0.

    None stays None (the estimate's default range of prompt lengths).
    """
    if text is None:
        return None
    if text.strip() == "0":
        return 0.0
    return parse_range(text, "--input-tokens")


def parse_since(since: str | None) -> str | None:
    """Check a ``--since`` value: ISO 8601 text is returned as given, None stays None.

    Raises:
        UsageError: The text is not an ISO 8601 date or time.
    """
    if since is None:
        return None
    from datetime import datetime

    try:
        datetime.fromisoformat(since)
    except ValueError as exc:
        raise UsageError(
            f"--since {since!r} is not an ISO 8601 date or time",
            hint="write e.g. 2026-01-31 or 2026-01-31T12:00:00Z",
        ) from exc
    return since
