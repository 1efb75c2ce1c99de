"""SI conversions and human formatting.

Inside wattlens every quantity is an SI float with its unit in its name
(``energy_j``, ``co2e_g``, ``water_l``). Conversion happens only at the
edges, with the functions here.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial

J_PER_WH = 3600.0
J_PER_KWH = 3.6e6
J_PER_MWH = 3.6e9
J_PER_GWH = 3.6e12
J_PER_TWH = 3.6e15


def wh_to_j(wh: float) -> float:
    """Convert watt-hours to joules."""
    return wh * J_PER_WH


def kwh_to_j(kwh: float) -> float:
    """Convert kilowatt-hours to joules."""
    return kwh * J_PER_KWH


def j_to_wh(energy_j: float) -> float:
    """Convert joules to watt-hours."""
    return energy_j / J_PER_WH


def j_to_kwh(energy_j: float) -> float:
    """Convert joules to kilowatt-hours."""
    return energy_j / J_PER_KWH


#: One step of a unit ladder: (SI units per display unit, display unit).
Step = tuple[float, str]
#: Unit ladders by kind of quantity, smallest first.
Ladder = tuple[Step, ...]

ENERGY: Ladder = (
    (1e-6, "µJ"),
    (1e-3, "mJ"),
    (1.0, "J"),
    (1e3, "kJ"),
    (J_PER_WH, "Wh"),
    (J_PER_KWH, "kWh"),
    (J_PER_MWH, "MWh"),
    (J_PER_GWH, "GWh"),
    (J_PER_TWH, "TWh"),
)
POWER: Ladder = ((1e-3, "mW"), (1.0, "W"), (1e3, "kW"), (1e6, "MW"), (1e9, "GW"))
MASS: Ladder = ((1e-3, "mg"), (1.0, "g"), (1e3, "kg"), (1e6, "t"), (1e9, "kt"), (1e12, "Mt"))
# Thousands of m³ read better as "4,000 m³" than as "4 thousand m³".
VOLUME: Ladder = ((1e-3, "mL"), (1.0, "L"), (1e3, "m³"), (1e9, "million m³"))
DAYS_PER_YEAR = 365.25
DURATION: Ladder = (
    (1e-3, "ms"),
    (1.0, "s"),
    (60.0, "min"),
    (3600.0, "h"),
    (86400.0, "days"),
    (86400.0 * DAYS_PER_YEAR, "years"),
)
_WORDS: Ladder = ((1.0, ""), (1e6, "million"), (1e9, "billion"), (1e12, "trillion"))
_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def count_ladder(unit: str = "") -> Ladder:
    """Counts (and money when ``unit`` is a currency): plain up to a million, then words."""
    return tuple((factor, f"{word} {unit}".strip()) for factor, word in _WORDS)


def _trim(text: str) -> str:
    return text.rstrip("0").rstrip(".") if "." in text else text


def format_sig(value: float, digits: int = 3) -> str:
    """A number for people, never in exponent notation.

    ``digits`` significant digits as a plain decimal (``1.3``, ``0.67``,
    ``0.0000052``); from 1,000 up a whole number with thousands separators and
    at most four significant digits (``1,287``, ``17,040``). Only past 10^15
    or below 10^-9, where neither a unit nor a magnitude word is left, it is
    written ``5.2 × 10⁻¹⁰``.
    """
    if not math.isfinite(value):
        return str(value)
    if value == 0:
        return "0"
    magnitude = abs(value)
    if magnitude >= 1e15 or magnitude < 1e-9:
        exponent = math.floor(math.log10(magnitude))
        mantissa = round(value / 10**exponent, digits - 1)
        if abs(mantissa) >= 10:
            mantissa, exponent = mantissa / 10, exponent + 1
        power = str(exponent).translate(_SUPERSCRIPT)
        return f"{_trim(f'{mantissa:.{digits - 1}f}')} × 10{power}"
    rounded = float(f"{value:.{digits}g}")
    if abs(rounded) >= 1000:
        # Whole numbers, at most four significant digits: 1,287 MWh, 17,040 days.
        return f"{float(f'{value:.{max(digits, 4)}g}'):,.0f}"
    decimals = max(0, digits - 1 - math.floor(math.log10(abs(rounded))))
    return _trim(f"{rounded:.{decimals}f}")


def pick_unit(value: float, ladder: Ladder, digits: int = 3) -> Step:
    """The largest unit of ``ladder`` in which ``value``, rounded, is at least 1.

    The smallest unit below it; the ladder's base unit (factor 1) for zero.
    """
    if value == 0 or not math.isfinite(value):
        return next((step for step in ladder if step[0] == 1.0), ladder[0])
    # 999.7 J rounds to 1 kJ, not "1,000 J".
    magnitude = abs(float(f"{value:.{digits}g}"))
    chosen = ladder[0]
    for step in ladder:
        if magnitude >= step[0]:
            chosen = step
    return chosen


def _join(number: str, unit: str) -> str:
    return f"{number} {unit}" if unit else number


def format_in(value: float, ladder: Ladder, digits: int = 3) -> str:
    """``value`` (SI) with the unit of ``ladder`` that reads best: ``1.3 Wh``, ``46.7 years``."""
    factor, unit = pick_unit(value, ladder, digits)
    return _join(format_sig(value / factor, digits), unit)


def format_range(
    low: float,
    central: float,
    high: float,
    ladder: Ladder,
    *,
    labels: tuple[str, str] | None = ("p5", "p95"),
    digits: int = 3,
) -> str:
    """A range in ONE unit, chosen from its central value.

    ``1.3 Wh (p5 0.67 – p95 3.97 Wh)``; with ``labels=None`` ``1.3 Wh (0.67–3.97 Wh)``;
    the central value alone when the range has no spread. Every text face
    (CLI, text and HTML reports) writes ranges with this function.
    """
    reference = central if central != 0 else max(abs(low), abs(high))
    factor, unit = pick_unit(reference, ladder, digits)
    text = _join(format_sig(central / factor, digits), unit)
    if abs(high - low) <= 1e-9 * max(abs(central), abs(low), abs(high), 1e-300):
        return text
    lo, hi = format_sig(low / factor, digits), format_sig(high / factor, digits)
    inner = f"{labels[0]} {lo} – {labels[1]} {hi}" if labels else f"{lo}–{hi}"
    return f"{text} ({_join(inner, unit)})"


def format_quantiles(
    q: object, ladder: Ladder, *, labels: tuple[str, str] | None = ("p5", "p95")
) -> str:
    """:func:`format_range` of ``{p5, p50, p95}`` (or ``{low, central, high}``, a Range, a number).

    Empty for a missing value.
    """
    from wattlens.types import read_range

    r = read_range(q)
    if r is None:
        return ""
    return format_range(r.p5, r.p50, r.p95, ladder, labels=labels)


def format_energy(energy_j: float, digits: int = 3) -> str:
    """Format an energy in joules with the unit that reads best (J, kJ, Wh … TWh)."""
    return format_in(energy_j, ENERGY, digits)


def format_power(power_w: float, digits: int = 3) -> str:
    """Format a power in watts."""
    return format_in(power_w, POWER, digits)


def format_mass(mass_g: float, digits: int = 3) -> str:
    """Format a mass in grams (CO2e) with mg, g, kg, t …"""
    return format_in(mass_g, MASS, digits)


def format_volume(volume_l: float, digits: int = 3) -> str:
    """Format a water volume in litres."""
    return format_in(volume_l, VOLUME, digits)


def format_duration(duration_s: float, digits: int = 3) -> str:
    """Format a duration in seconds: ``ms`` … ``h``, ``days``, ``years``."""
    return format_in(duration_s, DURATION, digits)


def format_count(value: float, unit: str = "", digits: int = 3) -> str:
    """A count: ``46.7``, ``17,044``, ``1.67 billion`` (then ``unit``: ``3.16 million km``)."""
    return format_in(value, count_ladder(unit), digits)


def format_money(amount: float, currency: str, digits: int = 3) -> str:
    """An amount of money as a plain decimal before its currency code.

    ``0.0000052 USD``, ``12.3 USD``, ``1,230 USD``, ``4.5 million USD``: no
    exponent and no currency symbol (a code is unambiguous for every currency).
    """
    return format_in(amount, count_ladder(currency), digits)


def format_percent(fraction: float, digits: int = 3) -> str:
    """A fraction as a percentage: ``0.000424 %``, ``12.5 %``."""
    return f"{format_sig(fraction * 100, digits)} %"


def format_number(value: object) -> str:
    """Format a table cell: plain numbers, yes/no, lists joined, empty for unknown."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if abs(value) >= 1e6:
            return format_count(value, digits=4)
        return format_sig(value, 6)
    if isinstance(value, tuple | list):
        return ", ".join(str(v) for v in value)
    return str(value)


def format_bounds(low: float, high: float, ladder: Ladder, reference: float | None = None) -> str:
    """``0.46–1.52 kJ``: both ends in the unit of ``reference`` (default: the larger end)."""
    if reference is None or reference == 0:
        reference = max(abs(low), abs(high))
    factor, unit = pick_unit(reference, ladder)
    return _join(f"{format_sig(low / factor)}–{format_sig(high / factor)}", unit)


def ladder_of(formatter: Callable[[float], str]) -> Ladder | None:
    """The unit ladder behind one of this module's formatters (a partial of
    :func:`format_money` or :func:`format_count` included), else None."""
    ladders: dict[Callable[..., str], Ladder] = {
        format_energy: ENERGY,
        format_power: POWER,
        format_mass: MASS,
        format_volume: VOLUME,
        format_duration: DURATION,
    }
    if formatter in ladders:
        return ladders[formatter]
    if formatter in (format_count, format_money):
        return count_ladder()
    if isinstance(formatter, partial) and formatter.func in (format_money, format_count):
        unit = formatter.keywords.get("currency", formatter.keywords.get("unit"))
        if unit is None and formatter.args:
            unit = formatter.args[0]
        return count_ladder(str(unit or ""))
    return None


def range_text(
    low: float,
    central: float,
    high: float,
    formatter: Callable[[float], str],
    *,
    labels: tuple[str, str] | None = ("p5", "p95"),
) -> str:
    """:func:`format_range` for a formatter of this module; any other formatter
    (percentages, ratios: no unit to share) is applied to each end."""
    ladder = ladder_of(formatter)
    if ladder is not None:
        return format_range(low, central, high, ladder, labels=labels)
    text = formatter(central)
    if abs(high - low) <= 1e-9 * max(abs(central), abs(low), abs(high), 1e-300):
        return text
    if labels:
        return f"{text} ({labels[0]} {formatter(low)} – {labels[1]} {formatter(high)})"
    return f"{text} ({formatter(low)}–{formatter(high)})"
