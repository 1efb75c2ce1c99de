"""The unit library behind the grammar: pint, loaded on first use and cached.

pint (https://pint.readthedocs.io) knows SI prefixes with their case
(``mWh`` milli, ``MWh`` mega), unit names and plurals (``megawatt hours``,
``miles``), products and powers (``kW h``, ``m**3``). wattlens keeps its own
bases (energy in J, volume in L, mass in g; see :mod:`wattlens.quantity.dims`),
so a term's pint dimensionality is mapped onto them here.

pint costs about 0.3 s to import and 0.2 s to build a registry (0.03 s with its
definitions cache on disk), so it is imported only when a unit is first looked
up; ``import wattlens`` and ``wattlens run`` never load it.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from wattlens.quantity.dims import (
    AREA,
    DIMENSIONLESS,
    ENERGY,
    LENGTH,
    MASS,
    POWER,
    RATE,
    TIME,
    VOLUME,
    Dims,
)

# pint dimensionality (as sorted pairs) -> (our dimension, our unit per pint base unit).
_MAPPING: dict[tuple[tuple[str, int], ...], tuple[Dims, float]] = {
    (("[length]", 2), ("[mass]", 1), ("[time]", -2)): (ENERGY, 1.0),
    (("[length]", 2), ("[mass]", 1), ("[time]", -3)): (POWER, 1.0),
    (("[time]", 1),): (TIME, 1.0),
    (("[length]", 3),): (VOLUME, 1e3),  # m³ -> L
    (("[mass]", 1),): (MASS, 1e3),  # kg -> g
    (("[length]", 1),): (LENGTH, 1.0),
    (("[length]", 2),): (AREA, 1.0),
    (("[time]", -1),): (RATE, 1.0),
    (): (DIMENSIONLESS, 1.0),
}

# Spellings pint does not read, rewritten to ones it does.
_REWRITES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"(?<![A-Za-z])K(?=W|J)"), "k"),  # KWh, KW, KJ: "K" is kilo, not kelvin
    (re.compile(r"[·⋅•]"), "*"),  # kW·h
    (re.compile(r"(?<=[A-Za-z])-(?=[A-Za-z])"), " "),  # kilowatt-hours
    (re.compile(r"(?<=[A-Za-z])([23])\b"), r"**\1"),  # m3, km2 (NFKC made m³ into m3)
]


# Energy and power symbols written in one case: the unit is clear unless the prefix is
# m/M, which is milli in one case and mega in the other.
_FOLDED = {
    symbol.casefold(): symbol
    for symbol in ("Wh", "kWh", "GWh", "TWh", "PWh", "W", "kW", "GW", "TW", "J", "kJ", "GJ", "TJ")
}
_FOLDED_AMBIGUOUS = {"mwh": ("mWh", "MWh"), "mw": ("mW", "MW"), "mj": ("mJ", "MJ")}


class UnknownUnitError(LookupError):
    """The unit library does not know a term, or its dimension has no use here."""

    def __init__(self, term: str, why: str, *, ambiguous: bool = False) -> None:
        super().__init__(why)
        self.term = term
        self.why = why
        self.ambiguous = ambiguous


@cache
def registry() -> Any:
    """The pint unit registry, built once (definitions cached on disk when possible)."""
    import pint

    try:
        return pint.UnitRegistry(cache_folder=":auto:")
    except OSError:  # no writable cache directory
        return pint.UnitRegistry()


def _normalise(term: str) -> str:
    for pattern, replacement in _REWRITES:
        term = pattern.sub(replacement, term)
    return term


@cache
def lookup(term: str) -> tuple[float, Dims]:
    """The SI factor and dimension of one unit term (``"MWh"``, ``"megawatt hours"``).

    Raises:
        UnknownUnitError: pint does not know it, or it is not energy, power, time,
            volume, mass, length, area, a rate or a plain number.
    """
    ureg = registry()
    try:
        units = ureg.parse_units(_normalise(term))
        base = ureg.Quantity(1.0, units).to_base_units()
    except Exception:  # pint's parser raises many kinds (even AssertionError) on odd text
        folded = term.casefold()
        if folded in _FOLDED:
            return lookup(_FOLDED[folded])
        if folded in _FOLDED_AMBIGUOUS:
            milli, mega = _FOLDED_AMBIGUOUS[folded]
            raise UnknownUnitError(
                term,
                f"{term!r} is ambiguous: {milli} (milli, a thousandth) or {mega} (mega, a "
                f"million); the case of the prefix decides",
                ambiguous=True,
            ) from None
        raise UnknownUnitError(term, f"unknown unit {term!r}") from None
    key = tuple(sorted((name, round(float(exp))) for name, exp in base.dimensionality.items()))
    if key not in _MAPPING:
        raise UnknownUnitError(
            term, f"{term!r} is a unit of {base.dimensionality}, which wattlens does not use"
        )
    dims, scale = _MAPPING[key]
    # pint's definitions are exact decimals; 15 digits drop its float noise (1.0000000000000002).
    return float(f"{float(base.magnitude) * scale:.15g}"), dims


#: Unit-library spellings `wattlens units` lists, per dimension (any other pint unit works too).
LISTED_UNITS: dict[str, list[str]] = {
    "energy": ["J", "kJ", "MJ", "GJ", "TJ", "PJ", "mWh", "Wh", "kWh", "KWh", "kW·h", "MWh",
               "GWh", "TWh", "PWh", "joules", "kilowatt hours", "megawatt-hours", "kcal", "BTU",
               "therm"],
    "power": ["mW", "W", "kW", "MW", "GW", "TW", "watts", "kilowatts", "megawatts", "hp"],
    "time": ["ms", "s", "min", "h", "hr", "d", "week", "seconds", "minutes", "hours", "days"],
    "volume": ["mL", "L", "kL", "ML", "m³", "m3", "km³", "litres", "liters", "gallons",
               "cubic metres", "acre_foot"],
    "mass": ["mg", "g", "kg", "t", "Mt", "Gt", "grams", "kilograms", "tonnes", "lb"],
    "length": ["m", "km", "metres", "meters", "kilometres", "miles", "mi", "ft"],
    "area": ["m²", "km²", "hectares", "acres"],
}  # fmt: skip
