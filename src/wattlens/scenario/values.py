"""Scenario values: numbers, ranges and units, parsed into SI :class:`Span` values.

The syntax (plain numbers with multipliers, ``"LOW..HIGH unit"`` ranges,
energies, powers, fractions, on-site water and prices) is described in
:mod:`wattlens.scenario.schema`. Parse errors are ``ValueError`` with
``problem | fix: how`` (see :data:`FIX`), which the loader turns into issues.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Literal

from wattlens.quantity import HINT, QuantityError, parse

#: Marker between a problem and its fix inside a pydantic value-error message.
FIX = " | fix: "


@dataclass(frozen=True)
class Span:
    """A value or a uniform range, in SI units (joules, watts, litres per joule …)."""

    low: float
    high: float

    @property
    def is_point(self) -> bool:
        """True for a single value."""
        return self.low == self.high

    @property
    def central(self) -> float:
        """The middle of the range."""
        return (self.low + self.high) / 2

    def scaled(self, factor: float) -> Span:
        """This range times a positive factor."""
        return Span(self.low * factor, self.high * factor)

    def describe(self, scale: float = 1.0, unit: str = "") -> str:
        """``low..high unit`` or ``value unit``, in ``unit`` (SI value / ``scale``)."""
        tail = f" {unit}" if unit else ""

        def fmt(value: float) -> str:
            v = value / scale
            if v.is_integer() and abs(v) < 1e12:
                return f"{int(v):,}"
            return f"{v:.4g}"

        if self.is_point:
            return f"{fmt(self.low)}{tail}"
        return f"{fmt(self.low)}..{fmt(self.high)}{tail}"


@dataclass(frozen=True)
class PriceSpan:
    """An electricity price range per joule, in a currency (ISO 4217 code)."""

    low_per_j: float
    high_per_j: float
    currency: str

    @property
    def span(self) -> Span:
        """The price per joule as a :class:`Span`."""
        return Span(self.low_per_j, self.high_per_j)


def fail(problem: str, fix: str) -> ValueError:
    """A ``ValueError`` saying ``problem | fix: fix`` (see :data:`FIX`)."""
    return ValueError(f"{problem}{FIX}{fix}")


_GRAMMAR_KINDS = {
    "count": "count",
    "fraction": "fraction",
    "energy": "energy",
    "power": "power",
    "water": "volume_per_energy",
}
_UNIT_NAMES = {
    "count": "k, M, B, T or million, billion",
    "energy": "units: J, kJ, MJ, Wh, kWh, MWh, GWh, TWh",
    "power": "units: W, kW, MW",
    "water": "units: L/kWh, L/MWh, m3/MWh",
}


def _check_type(raw: Any, example: str) -> str | float:
    if isinstance(raw, bool) or raw is None:
        raise fail(f"expected a number, got {raw!r}", f"write e.g. {example}")
    if isinstance(raw, int | float):
        # A whole number of hundreds of digits is too large for a float: refuse it like inf.
        value = float(raw) if isinstance(raw, float) or abs(raw) < 10**300 else math.inf
        if not math.isfinite(value):
            shown = repr(raw) if len(repr(raw)) <= 20 else f"a {len(str(abs(raw)))}-digit number"
            raise fail(f"{shown} is not a finite number", f"write e.g. {example}")
        return value
    if not isinstance(raw, str):
        raise fail(
            f"expected a number or a range, got a {type(raw).__name__}",
            f'write e.g. {example} (a range is one string: "LOW..HIGH")',
        )
    if raw.count("..") > 1:
        raise fail(f"{raw!r} has more than one '..'", f"write one range, e.g. {example}")
    return raw


def _grammar_failure(raw: Any, exc: QuantityError, kind: str, example: str) -> ValueError:
    """The grammar's complaint as ``problem | fix`` in the words of scenario files."""
    names = _UNIT_NAMES.get(kind)
    fix = f"write e.g. {example}" + (f" ({names})" if names else "")
    if exc.code == "no_number":
        return fail(f"{raw!r} is not a number or range ({exc.reason})", fix)
    if exc.code == "reversed":
        return fail(
            f"range {raw!r} has its low end above its high end", "write LOW..HIGH with LOW <= HIGH"
        )
    if exc.code == "missing_unit":
        return fail(f"a unit is missing in {raw!r}", fix)
    if exc.code == "ambiguous":
        return fail(f"{raw!r}: {exc.reason}", exc.hint if exc.hint and exc.hint != HINT else fix)
    return fail(f"{exc.reason} in {raw!r}", fix)


def parse_span(
    raw: Any,
    *,
    kind: Literal["count", "fraction", "energy", "power", "water"],
    example: str,
    minimum: float | None = None,
    minimum_inclusive: bool = True,
    maximum: float | None = None,
    point_only: bool = False,
) -> Span:
    """Parse a scenario value (``X``, ``"X unit"``, ``"LOW..HIGH unit"``) into SI.

    The text is read by the one quantity grammar (:func:`wattlens.quantity.parse`):
    ``5 mWh`` is 18 J, ``200m`` (a count) 2e8, ``2.5..2.9 Wh`` a range.

    Raises:
        ValueError: with ``problem | fix: how`` (see :data:`FIX`).
    """
    value = _check_type(raw, example)
    try:
        quantity = parse(value, kind=_GRAMMAR_KINDS[kind])
    except QuantityError as exc:
        raise _grammar_failure(raw, exc, kind, example) from None
    low, high = quantity.low, quantity.high
    if point_only and low != high:
        raise fail(f"this field takes one number, not a range ({raw!r})", f"write e.g. {example}")
    if minimum is not None and (low < minimum or (not minimum_inclusive and low == minimum)):
        bound = f">= {minimum:g}" if minimum_inclusive else f"> {minimum:g}"
        raise fail(f"{raw!r} is out of range: it must be {bound}", f"write e.g. {example}")
    if maximum is not None and high > maximum:
        raise fail(f"{raw!r} is out of range: it must be <= {maximum:g}", f"write e.g. {example}")
    return Span(low, high)


def parse_price(raw: Any) -> PriceSpan:
    """Parse ``"1.06 CNY/kWh"`` or ``"0.12..0.15 USD/kWh"`` into a price per joule."""
    example = '"0.147 USD/kWh" or "1.06 CNY/kWh"'
    if not isinstance(raw, str):
        raise fail(f"a price needs its currency and unit, got {raw!r}", f"write e.g. {example}")
    try:
        quantity = parse(_upper_currency(raw), kind="price")
    except QuantityError as exc:
        raise fail(f"{raw!r} is not a price: {exc.reason}", f"write e.g. {example}") from None
    currency = quantity.currency
    if currency is None or not 0 <= quantity.low <= quantity.high:
        raise fail(
            f"price {raw!r} must be LOW..HIGH with 0 <= LOW <= HIGH", f"write e.g. {example}"
        )
    return PriceSpan(quantity.low, quantity.high, currency)


def _upper_currency(raw: str) -> str:
    """``eur/MWh`` → ``EUR/MWh``: scenario files have always taken the code in any case."""
    return re.sub(r"(?<![A-Za-z])([A-Za-z]{3})(?=\s*/)", lambda m: m.group(1).upper(), raw)
