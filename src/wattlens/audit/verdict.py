"""Verdicts: compare a stated value (or range, bound or date) with its recomputation.

- A point agrees with a point within the tolerance, and with a range when it lies
  inside it (widened by the tolerance).
- A stated range agrees with a recomputed range only when **both ends** agree within
  the tolerance (a claimed 4.2–66亿 does not match a published 42–66亿), and with a
  recomputed point when it contains it.
- A qualifier is a bound: ``>2500`` holds when the recomputed value reaches 2,500
  (less a rounding slack of at most 5 %), ``up to 8.9 Wh`` when it does not exceed it;
  ``數億`` (several hundred million) holds when the recomputed value lies in 1–9亿.
- Dates are compared as dates: they agree when the periods overlap (2023 contains
  April 2023); 2023 and 2021 are two years apart, never "within 15 %".
- A value that agrees only after scaling by 10^1 … 10^9 (either way) is a
  ``unit error``, and the slip is named: billion ↔ 亿 (10×), million ↔ 万 (100×),
  万 ↔ 亿 (10^4), a dropped 万, thousand or kWh ↔ MWh (10^3) …; a range whose one end
  agrees and whose other end agrees only after such a slip is a unit error at that end.
"""

from __future__ import annotations

from dataclasses import dataclass

VERDICTS = ("consistent", "unit error", "misquote", "inconsistent", "unverifiable")
DEFAULT_TOLERANCE = 0.15
#: Powers of ten a slip may span: any from 10^1 to 10^9, either way.
SLIP_POWERS = tuple(range(1, 10))
#: A bound (``>2500``) may be missed by rounding, but by no more than this.
BOUND_SLACK = 0.05
_LOWER_BOUNDS = frozenset({"more than", "at least"})
_UPPER_BOUNDS = frozenset({"less than", "at most", "up to"})


@dataclass(frozen=True)
class Judgement:
    """The verdict on one stated value against its recomputation (or a source).

    Attributes:
        verdict: ``consistent``, ``unit error`` or ``inconsistent``.
        ratio: Stated ÷ recomputed (central values); ``None`` when the latter is 0 or
            for dates.
        slip: ``"10^4"`` when a magnitude slip explains the gap, else ``None``.
        slip_direction: ``"stated too small"`` or ``"stated too large"`` with a slip.
        slip_name: The slip in words (``"billion ↔ 亿 (10×)"``), with a slip.
        end: ``"low"`` or ``"high"`` when only one end of a range slipped.
        discrepancy: The size of the gap: stated ÷ recomputed − 1 (``0.034`` = +3.4 %),
            or for dates the difference in years (between the middles of the periods).
        bound: ``"lower"``/``"upper"``/``"several"`` when a qualifier made the stated
            value a bound.
    """

    verdict: str
    ratio: float | None
    slip: str | None = None
    slip_direction: str | None = None
    slip_name: str | None = None
    end: str | None = None
    discrepancy: float | None = None
    bound: str | None = None


def _near(x: float, ref: float, tolerance: float) -> bool:
    return abs(x - ref) <= tolerance * abs(ref)


def _inside(x: float, low: float, high: float, tolerance: float) -> bool:
    return low - tolerance * abs(low) <= x <= high + tolerance * abs(high)


def _bound_kind(qualifier: str | None) -> str | None:
    if qualifier in _LOWER_BOUNDS:
        return "lower"
    if qualifier in _UPPER_BOUNDS:
        return "upper"
    if qualifier == "several":
        return "several"
    return None


def _agrees(
    s: tuple[float, float], r: tuple[float, float], tolerance: float, bound: str | None
) -> bool:
    (s_low, s_high), (r_low, r_high) = s, r
    slack = min(tolerance, BOUND_SLACK)
    if bound == "lower":
        return r_high >= s_low - slack * abs(s_low)
    if bound == "upper":
        return r_low <= s_high + slack * abs(s_high)
    if bound == "several" or r_low == r_high:
        return (
            _inside((r_low + r_high) / 2, s_low, s_high, tolerance)
            if s_low != s_high
            else (_near(s_low, r_low, tolerance))
        )
    if s_low == s_high:
        return _inside(s_low, r_low, r_high, tolerance)
    return _near(s_low, r_low, tolerance) and _near(s_high, r_high, tolerance)


def slip_name(power: int, direction: str, magnitude: str) -> str:  # noqa: PLR0911 - one per slip
    """The slip in words, from its power of ten and the magnitude words as written."""
    small = direction == "stated too small"
    words = magnitude.casefold()
    has_yi = any(w in words for w in ("亿", "億"))
    has_wan = any(w in words for w in ("万", "萬"))
    if power == 1 and (has_yi or "billion" in words or "bn" in words):
        return "billion ↔ 亿 (10×): 1 billion is 10亿"
    if power == 2 and (has_wan or "million" in words):
        return "million ↔ 万 (100×): 1 million is 100万"
    if power == 4 and (has_wan or has_yi):
        return "万 ↔ 亿 (10^4)"
    if power == 4:
        return "a dropped 万 (10^4)" if small else "an extra 万 (10^4)"
    if power == 8:
        return "a dropped 亿 (10^8)" if small else "an extra 亿 (10^8)"
    if power == 3:
        return "thousand / 千, or kWh ↔ MWh (10^3)"
    if power == 6:
        return "million, or Wh ↔ MWh (10^6)"
    if power == 9:
        return "billion, or Wh ↔ GWh (10^9)"
    return f"a misplaced decimal point (10^{power})" if power <= 2 else f"10^{power}"


def judge(
    stated: tuple[float, float],
    recomputed: tuple[float, float],
    tolerance: float = DEFAULT_TOLERANCE,
    *,
    stated_central: float | None = None,
    recomputed_central: float | None = None,
    qualifier: str | None = None,
    magnitude: str = "",
    date: bool = False,
) -> Judgement:
    """Compare a stated value (range, bound or date) with a recomputed one.

    Args:
        stated: ``(low, high)`` as stated, in SI units (``low == high`` for a point).
        recomputed: ``(low, high)`` recomputed, in the same units.
        tolerance: Relative tolerance (0.15 = 15 %).
        stated_central: Central stated value for the ratio (default: midpoint).
        recomputed_central: Central recomputed value (default: midpoint).
        qualifier: The stated qualifier (``"more than"`` …): it makes the value a bound.
        magnitude: The stated magnitude words (``"亿"``), to name a slip.
        date: The values are dates (decimal years): they agree when they overlap.
    """
    s_low, s_high = stated
    r_low, r_high = recomputed
    s_mid = (s_low + s_high) / 2 if stated_central is None else stated_central
    r_mid = (r_low + r_high) / 2 if recomputed_central is None else recomputed_central
    if date:
        if s_high >= r_low and s_low <= r_high:
            return Judgement("consistent", None, discrepancy=0.0)
        return Judgement("inconsistent", None, discrepancy=s_mid - r_mid)
    ratio = s_mid / r_mid if r_mid != 0 else None
    discrepancy = ratio - 1 if ratio is not None else None
    bound = _bound_kind(qualifier)
    if _agrees(stated, recomputed, tolerance, bound):
        return Judgement("consistent", ratio, discrepancy=discrepancy, bound=bound)
    # A slipped bound is judged as the figure it bounds: any bound holds if scaled far enough.
    slip_bound = "several" if bound == "several" else None
    for power in SLIP_POWERS:
        for sign in (1, -1):
            scale = 10.0 ** (sign * power)
            direction = "stated too small" if sign > 0 else "stated too large"
            name = slip_name(power, direction, magnitude)
            slip = f"10^{power}"
            if _agrees((s_low * scale, s_high * scale), recomputed, tolerance, slip_bound):
                return Judgement(
                    "unit error", ratio, slip, direction, name, None, discrepancy, bound
                )
            if s_low != s_high and r_low != r_high and bound is None:
                for end, fixed in (
                    ("low", (s_low * scale, s_high)),
                    ("high", (s_low, s_high * scale)),
                ):
                    if _agrees(fixed, recomputed, tolerance, None):
                        return Judgement(
                            "unit error", ratio, slip, direction, name, end, discrepancy
                        )
    return Judgement("inconsistent", ratio, discrepancy=discrepancy, bound=bound)
