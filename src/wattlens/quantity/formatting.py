"""Writing quantities back in the words they were stated in (``128.7万度``, ``500,000 kWh``)."""

from __future__ import annotations

import math
import re

from wattlens.quantity.grammar import Quantity

_CJK = re.compile(r"[\u3400-\u9fff]+")


def uses_chinese(quantity: Quantity) -> bool:
    """Whether a quantity was written with Chinese magnitude words or units."""
    return bool(_CJK.search(quantity.magnitude + quantity.unit))


def format_number(
    value: float, *, chinese: bool = False, traditional: bool = False, digits: int = 4
) -> str:
    """Format a number for people: ``1,287,000``, ``2.500e-05`` or ``128.7万`` / ``1.935亿``.

    Args:
        value: The number.
        chinese: Use 万 and 亿 from 10,000 up.
        traditional: Write them 萬 and 億.
        digits: Significant digits.
    """
    if value == 0 or not math.isfinite(value):
        return f"{value:g}"
    magnitude = abs(value)
    if chinese and magnitude >= 1e4:
        wan, yi = ("萬", "億") if traditional else ("万", "亿")
        unit, word = (1e8, yi) if magnitude >= 1e8 else (1e4, wan)
        return f"{value / unit:.{digits}g}{word}"
    if 1e-3 <= magnitude < 1e12:
        rounded = float(f"{value:.{digits}g}")
        if rounded == int(rounded):
            return f"{int(rounded):,}"
        decimals = max(0, digits - 1 - math.floor(math.log10(magnitude)))
        return f"{rounded:,.{decimals}f}".rstrip("0").rstrip(".")
    return f"{value:.{digits - 1}e}"


def format_in_unit(low_si: float, high_si: float, quantity: Quantity) -> str:
    """Express an SI value or range in the unit a quantity was written in."""
    chinese = uses_chinese(quantity)
    traditional = bool(re.search("[萬億時個們]", quantity.magnitude + quantity.unit))
    unit = quantity.unit
    sep = "" if (chinese or not unit or unit.startswith("/")) else " "
    low = format_number(quantity.in_unit(low_si), chinese=chinese, traditional=traditional)
    if low_si == high_si:
        return f"{low}{sep}{unit}"
    high = format_number(quantity.in_unit(high_si), chinese=chinese, traditional=traditional)
    return f"{low}–{high}{sep}{unit}"
