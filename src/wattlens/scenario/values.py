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

#: Marker between a problem and its fix inside a pydantic value-error message.
FIX = " | fix: "

_NUMBER = r"[-+]?(?:\d[\d_,]*(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"
_SIDE = re.compile(rf"^\s*({_NUMBER})\s*([A-Za-z%/³]*(?:\s*/\s*[A-Za-z]+)?)\s*$")
_MULTIPLIERS = {
    "": 1.0,
    "k": 1e3,
    "thousand": 1e3,
    "m": 1e6,
    "million": 1e6,
    "b": 1e9,
    "bn": 1e9,
    "billion": 1e9,
    "t": 1e12,
    "trillion": 1e12,
}
ENERGY_UNITS = {
    "j": 1.0,
    "kj": 1e3,
    "mj": 1e6,
    "gj": 1e9,
    "wh": 3600.0,
    "kwh": 3.6e6,
    "mwh": 3.6e9,
    "gwh": 3.6e12,
    "twh": 3.6e15,
}
POWER_UNITS = {"w": 1.0, "kw": 1e3, "mw": 1e6, "gw": 1e9}
_PER_ENERGY = {"j": 1.0, "kwh": 3.6e6, "mwh": 3.6e9, "wh": 3600.0}


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


def _split_range(raw: Any, example: str) -> list[str]:
    if isinstance(raw, bool) or raw is None:
        raise fail(f"expected a number, got {raw!r}", f"write e.g. {example}")
    if isinstance(raw, int | float):
        if not math.isfinite(raw):
            raise fail(f"{raw!r} is not a finite number", f"write e.g. {example}")
        return [repr(float(raw))]
    if not isinstance(raw, str):
        raise fail(
            f"expected a number or a range, got a {type(raw).__name__}",
            f'write e.g. {example} (a range is one string: "LOW..HIGH")',
        )
    parts = raw.split("..")
    if len(parts) > 2:
        raise fail(f"{raw!r} has more than one '..'", f"write one range, e.g. {example}")
    return parts


def _number(text: str) -> float:
    return float(text.replace("_", "").replace(",", ""))


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

    Raises:
        ValueError: with ``problem | fix: how`` (see :data:`FIX`).
    """
    parts = _split_range(raw, example)
    parsed: list[tuple[float, str]] = []
    for part in parts:
        match = _SIDE.match(part)
        if not match:
            raise fail(
                f"{raw!r} is not a number{' or range' if len(parts) == 2 else ''}",
                f"write e.g. {example}",
            )
        parsed.append((_number(match.group(1)), re.sub(r"\s+", "", match.group(2))))
    units = [u for _, u in parsed]
    if len(parsed) == 2 and not units[0]:
        units[0] = units[1]
    values: list[float] = []
    for (number, _), unit in zip(parsed, units, strict=True):
        values.append(number * _unit_factor(raw, unit, kind, example))
    low, high = values[0], values[-1]
    if low > high:
        raise fail(
            f"range {raw!r} has its low end above its high end", "write LOW..HIGH with LOW <= HIGH"
        )
    if point_only and low != high:
        raise fail(f"this field takes one number, not a range ({raw!r})", f"write e.g. {example}")
    if minimum is not None and (low < minimum or (not minimum_inclusive and low == minimum)):
        bound = f">= {minimum:g}" if minimum_inclusive else f"> {minimum:g}"
        raise fail(f"{raw!r} is out of range: it must be {bound}", f"write e.g. {example}")
    if maximum is not None and high > maximum:
        raise fail(f"{raw!r} is out of range: it must be <= {maximum:g}", f"write e.g. {example}")
    return Span(low, high)


def _unit_factor(raw: Any, unit: str, kind: str, example: str) -> float:
    key = unit.lower()
    if kind == "count":
        if key in _MULTIPLIERS:
            return _MULTIPLIERS[key]
        raise fail(
            f"unknown multiplier {unit!r} in {raw!r}",
            f"write e.g. {example} (k, M, B, T or million, billion)",
        )
    if kind == "fraction":
        if key == "":
            return 1.0
        if key == "%":
            return 0.01
        raise fail(f"unknown unit {unit!r} in {raw!r}", f"write a fraction, e.g. {example}")
    table = {"energy": ENERGY_UNITS, "power": POWER_UNITS}.get(kind)
    if table is not None:
        if key in table:
            return table[key]
        names = "J, kJ, MJ, Wh, kWh, MWh, GWh, TWh" if kind == "energy" else "W, kW, MW"
        what = f"unknown unit {unit!r}" if unit else "a unit is missing"
        raise fail(f"{what} in {raw!r}", f"write e.g. {example} (units: {names})")
    # water: litres per kWh (or per MWh)
    match = re.fullmatch(r"(l|m3|m³)/(kwh|mwh|wh|j)", key)
    if match is None:
        what = f"unknown unit {unit!r}" if unit else "a unit is missing"
        raise fail(f"{what} in {raw!r}", f"write e.g. {example}")
    litres = 1.0 if match.group(1) == "l" else 1000.0
    return litres / _PER_ENERGY[match.group(2)]


def parse_price(raw: Any) -> PriceSpan:
    """Parse ``"1.06 CNY/kWh"`` or ``"0.12..0.15 USD/kWh"`` into a price per joule."""
    example = '"0.147 USD/kWh" or "1.06 CNY/kWh"'
    if not isinstance(raw, str):
        raise fail(f"a price needs its currency and unit, got {raw!r}", f"write e.g. {example}")
    match = re.fullmatch(
        rf"\s*({_NUMBER})\s*(?:\.\.\s*({_NUMBER}))?\s*([A-Za-z]{{3}})\s*/\s*([A-Za-z]+)\s*", raw
    )
    if not match:
        raise fail(f"{raw!r} is not a price", f"write e.g. {example}")
    low = _number(match.group(1))
    high = _number(match.group(2)) if match.group(2) else low
    per = match.group(4).lower()
    if per not in _PER_ENERGY:
        raise fail(f"unknown energy unit {match.group(4)!r} in {raw!r}", "write per kWh or MWh")
    if not 0 <= low <= high:
        raise fail(
            f"price {raw!r} must be LOW..HIGH with 0 <= LOW <= HIGH", f"write e.g. {example}"
        )
    factor = 1.0 / _PER_ENERGY[per]
    return PriceSpan(low * factor, high * factor, match.group(3).upper())
