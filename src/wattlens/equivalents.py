"""Express energy, water and carbon in everyday terms, from the catalog's sourced constants.

Nothing here is hard-coded: every comparison reads an ``equivalents`` row
(household electricity, a web search, an electric car's Wh/km, an Olympic pool,
a country's yearly electricity) and carries its source and year.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from wattlens.units import J_PER_KWH, J_PER_TWH, J_PER_WH

if TYPE_CHECKING:
    from wattlens.catalog import Catalog, Equivalent

_DAYS_PER_YEAR = 365.25


@dataclass(frozen=True)
class Comparison:
    """One everyday expression of a quantity."""

    id: str
    label: str
    value: float
    unit: str
    source: str
    year: int

    def to_dict(self) -> dict[str, object]:
        return {"id": self.id, "label": self.label, "value": self.value, "unit": self.unit,
                "source": self.source, "year": self.year}  # fmt: skip


def _energy_per_unit_j(row: Equivalent) -> tuple[float, str] | None:
    """Joules of one 'thing' of an energy equivalent, and what the thing is."""
    if row.unit == "kWh/year":
        return row.value * J_PER_KWH, "year"
    if row.unit == "kWh/day":
        return row.value * J_PER_KWH, "day"
    if row.unit == "TWh/year":
        return row.value * J_PER_TWH, "year"
    if row.unit == "Wh":
        return row.value * J_PER_WH, "item"
    if row.unit == "Wh/km":
        return row.value * J_PER_WH, "km"
    return None


def express_energy(energy_j: float, catalog: Catalog | None = None) -> list[Comparison]:
    """Every energy equivalent in the catalog applied to ``energy_j``.

    Households and people become "household-years" (or days for kWh/day rows),
    a web search becomes a count, an electric car kilometres, a country's
    electricity a share of its year.
    """
    from wattlens.catalog import Equivalent, get_catalog

    catalog = catalog or get_catalog()
    out: list[Comparison] = []
    for row in catalog.rows("equivalents"):
        if not isinstance(row, Equivalent):
            continue
        per = _energy_per_unit_j(row)
        if per is None:
            continue
        joules, thing = per
        count = energy_j / joules
        if row.unit == "TWh/year":
            out.append(Comparison(row.id, f"share of a year of {row.name}", count, "fraction",
                                  row.source, row.year))  # fmt: skip
        elif thing == "year":
            out.append(Comparison(row.id, f"{row.name}: years", count, "years", row.source,
                                  row.year))  # fmt: skip
            out.append(Comparison(row.id, f"{row.name}: days", count * _DAYS_PER_YEAR, "days",
                                  row.source, row.year))  # fmt: skip
        elif thing == "day":
            out.append(Comparison(row.id, f"{row.name}: days", count, "days", row.source,
                                  row.year))  # fmt: skip
        elif thing == "km":
            out.append(Comparison(row.id, row.name, count, "km", row.source, row.year))
        else:
            out.append(Comparison(row.id, row.name, count, "times", row.source, row.year))
    return out


def express_water(water_l: float, catalog: Catalog | None = None) -> list[Comparison]:
    """Water volume as Olympic pools (and any other volume rows of the catalog)."""
    from wattlens.catalog import Equivalent, get_catalog

    catalog = catalog or get_catalog()
    out = []
    for row in catalog.rows("equivalents"):
        if isinstance(row, Equivalent) and row.unit in ("m3", "L"):
            litres = row.value * (1000.0 if row.unit == "m3" else 1.0)
            out.append(Comparison(row.id, row.name, water_l / litres, "times", row.source,
                                  row.year))  # fmt: skip
    return out


def scenario_equivalents(result: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A scenario's first-year facility energy and water (p50) in everyday terms.

    ``result`` is the JSON of ``wattlens scenario run``; each item is a
    :class:`Comparison` record plus ``of``, the quantity it expresses.
    """
    first = result["yearly"][0]
    out: list[dict[str, Any]] = [
        {**c.to_dict(), "of": "energy_j (first year, p50)"}
        for c in express_energy(first["energy_j"]["p50"])
    ]
    water = first.get("water_l")
    total = water.get("total", water) if isinstance(water, Mapping) else None
    if isinstance(total, Mapping) and "p50" in total:
        out += [
            {**c.to_dict(), "of": "water_l (first year, p50)"} for c in express_water(total["p50"])
        ]
    return out
