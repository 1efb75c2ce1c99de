"""Dimensions of parsed quantities: products of the project's base units with exponents.

The bases are the units wattlens keeps its numbers in (``J``, ``s``, ``L``, ``g``,
``m``) plus one base per currency (``currency:CNY``): energy and volume are bases
of their own, so ``kWh/day`` is ``J/s`` and ``L/kWh`` is ``L/J``, as an article
reads them. Converting between currencies needs an exchange rate, so each is its
own base.
"""

from __future__ import annotations

#: A dimension: sorted ``(base, exponent)`` pairs; ``()`` is dimensionless.
Dims = tuple[tuple[str, int], ...]

DIMENSIONLESS: Dims = ()
ENERGY: Dims = (("J", 1),)
TIME: Dims = (("s", 1),)
POWER: Dims = (("J", 1), ("s", -1))
VOLUME: Dims = (("L", 1),)
MASS: Dims = (("g", 1),)
LENGTH: Dims = (("m", 1),)
AREA: Dims = (("m", 2),)
RATE: Dims = (("s", -1),)
VOLUME_PER_ENERGY: Dims = (("J", -1), ("L", 1))
#: A calendar date or period (``2023年4月``, ``2023``), in decimal years: a date is never a
#: duration, so 2023 and 2021 differ by two years, not by a ratio of 1.001.
DATE: Dims = (("date", 1),)

SECONDS_PER_DAY = 86_400.0
#: A year is 365 days, as the articles that multiply by 365 assume.
SECONDS_PER_YEAR = 365 * SECONDS_PER_DAY


def currency_dims(code: str) -> Dims:
    """The dimension of an amount of money in one currency (``"CNY"`` → ``currency:CNY``)."""
    return ((f"currency:{code}", 1),)


def dims_mul(a: Dims, b: Dims, sign: int = 1) -> Dims:
    """Multiply dimensions (``sign=-1`` divides)."""
    exponents = dict(a)
    for base, exp in b:
        exponents[base] = exponents.get(base, 0) + sign * exp
    return tuple(sorted((k, v) for k, v in exponents.items() if v != 0))


def dims_pow(a: Dims, power: int) -> Dims:
    """Raise a dimension to an integer power."""
    return tuple(sorted((k, v * power) for k, v in a if v * power != 0))


def currency_of(dims: Dims) -> str | None:
    """The currency of an amount of money (``None`` when ``dims`` is not money)."""
    if len(dims) == 1 and dims[0][0].startswith("currency:") and dims[0][1] == 1:
        return dims[0][0].removeprefix("currency:")
    return None


_DIM_NAMES: dict[Dims, str] = {
    DIMENSIONLESS: "count",
    ENERGY: "energy",
    TIME: "time",
    POWER: "power (energy per time)",
    VOLUME: "volume",
    MASS: "mass",
    LENGTH: "length",
    AREA: "area",
    (("L", 1), ("s", -1)): "volume per time",
    RATE: "rate (per time)",
    (("J", 1), ("m", -1)): "energy per length",
    VOLUME_PER_ENERGY: "volume per energy",
    DATE: "date",
}


def dimension_name(dims: Dims) -> str:
    """A word for a dimension (``energy``, ``currency:CNY per time``) or its base units."""
    if dims in _DIM_NAMES:
        return _DIM_NAMES[dims]
    money = [b for b, e in dims if b.startswith("currency:") and e == 1]
    if len(money) == 1:
        rest = dims_mul(dims, ((money[0], 1),), -1)
        if rest == DIMENSIONLESS:
            return money[0]
        if rest in ((("s", -1),), (("J", -1),)):
            return f"{money[0]} per {'time' if rest == (('s', -1),) else 'energy'}"
    return si_unit(dims)


def si_unit(dims: Dims) -> str:
    """The base units of a dimension as text: ``J/s``, ``currency:CNY/J``, ``1`` for counts."""
    if not dims:
        return "1"
    num = [b if e == 1 else f"{b}^{e}" for b, e in dims if e > 0]
    den = [b if e == -1 else f"{b}^{-e}" for b, e in dims if e < 0]
    text = "·".join(num) or "1"
    if den:
        text += "/" + "/".join(den)
    return text
