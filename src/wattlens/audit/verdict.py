"""Verdicts: compare a stated value (or range) with its recomputation.

A stated value is ``consistent`` when it overlaps the recomputed one within the
tolerance, a ``unit error`` when it would after a magnitude slip of 10^3, 10^4 or
10^8 in either direction, and ``inconsistent`` otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass

VERDICTS = ("consistent", "unit error", "inconsistent", "unverifiable")
DEFAULT_TOLERANCE = 0.15
#: Magnitude slips people make: 千/thousand or a kWh↔MWh mix-up, 万, 亿.
SLIP_POWERS = (3, 4, 8)
_SLIP_WORDS = {3: "千 / thousand, or kWh vs MWh", 4: "万 (10,000)", 8: "亿 (100 million)"}


@dataclass(frozen=True)
class Judgement:
    """The verdict on one stated value against its recomputation.

    Attributes:
        verdict: One of :data:`VERDICTS` (never ``unverifiable`` here).
        ratio: Stated ÷ recomputed (central values); ``None`` when the latter is 0.
        slip: ``"10^4"`` when a magnitude slip explains the gap, else ``None``.
        slip_direction: ``"stated too small"`` or ``"stated too large"`` with a slip.
    """

    verdict: str
    ratio: float | None
    slip: str | None = None
    slip_direction: str | None = None


def _overlaps(low: float, high: float, ref_low: float, ref_high: float, tolerance: float) -> bool:
    return high >= ref_low - tolerance * abs(ref_low) and low <= ref_high + tolerance * abs(
        ref_high
    )


def judge(
    stated: tuple[float, float],
    recomputed: tuple[float, float],
    tolerance: float = DEFAULT_TOLERANCE,
    *,
    stated_central: float | None = None,
    recomputed_central: float | None = None,
) -> Judgement:
    """Compare a stated value (or range) with a recomputed one.

    Args:
        stated: ``(low, high)`` as stated, in SI units (``low == high`` for a point).
        recomputed: ``(low, high)`` recomputed, in the same units.
        tolerance: Relative tolerance (0.15 = 15 %) applied to the recomputed ends.
        stated_central: Central stated value for the ratio (default: midpoint).
        recomputed_central: Central recomputed value (default: midpoint).

    Returns:
        ``consistent`` when the ranges overlap within the tolerance; ``unit error``
        when they do after scaling the stated value by 10^±3, 10^±4 or 10^±8;
        ``inconsistent`` otherwise.
    """
    s_low, s_high = stated
    r_low, r_high = recomputed
    s_mid = (s_low + s_high) / 2 if stated_central is None else stated_central
    r_mid = (r_low + r_high) / 2 if recomputed_central is None else recomputed_central
    ratio = s_mid / r_mid if r_mid != 0 else None
    if _overlaps(s_low, s_high, r_low, r_high, tolerance):
        return Judgement("consistent", ratio)
    for power in SLIP_POWERS:
        for sign in (1, -1):
            scale = 10.0 ** (sign * power)
            if _overlaps(s_low * scale, s_high * scale, r_low, r_high, tolerance):
                direction = "stated too small" if sign > 0 else "stated too large"
                return Judgement("unit error", ratio, f"10^{power}", direction)
    return Judgement("inconsistent", ratio)
