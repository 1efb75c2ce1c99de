"""From energy to carbon, water and cost, for a place and a facility overhead.

One module, used by every part of wattlens. The chain, applied once:

1. IT energy (what sensors measure, or an estimate at the server boundary)
   × PUE → facility energy. PUE is applied here and nowhere else.
2. Carbon (location-based) = facility energy × the grid's average intensity.
3. Water = on-site (WUE × IT energy; cooling water, only inside a data
   centre, i.e. when a PUE is given) + off-site (the electricity's water
   intensity × facility energy); reported separately and together, each
   saying whether its source counts consumption or withdrawal.
4. Cost = facility energy × the country's business electricity price, in
   the tariff's currency, and in USD through the catalog's exchange rate.

Ranges pass through unchanged: a (low, central, high) energy gives
(low, central, high) impacts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from wattlens.units import J_PER_KWH

if TYPE_CHECKING:
    from wattlens.catalog import Catalog, Grid, Region

DEFAULT_LOCATION = "world"
DEFAULT_ONSITE_WUE_ID = "onsite-industry"


@dataclass(frozen=True)
class Location:
    """A resolved place: its grid zone and, when given, the cloud region."""

    query: str
    grid: Grid
    region: Region | None


def resolve_location(query: str | None, catalog: Catalog | None = None) -> Location:
    """Resolve a country, grid zone or cloud region name to its grid row.

    Raises:
        UnknownNameError: nothing matches; the message lists close names.
    """
    from wattlens.catalog import Grid, Region, get_catalog
    from wattlens.errors import AmbiguousNameError, UnknownNameError

    catalog = catalog or get_catalog()
    text = query or DEFAULT_LOCATION
    try:
        return Location(text, catalog.get_typed("grids", text, Grid), None)
    except UnknownNameError as grid_error:
        try:
            region = catalog.get_typed("regions", text, Region)
        except UnknownNameError as region_error:
            suggestions = list(dict.fromkeys(grid_error.suggestions + region_error.suggestions))
            raise UnknownNameError("location", text, suggestions[:8]) from None
        except AmbiguousNameError:
            raise
        grid = catalog.get_typed("grids", region.grid_id, Grid)
        return Location(text, grid, region)


def _band(low: float, central: float, high: float, factor: float) -> dict[str, float]:
    return {"low": low * factor, "central": central * factor, "high": high * factor}


def measured_impacts(
    energy_j: float,
    energy_low_j: float | None = None,
    energy_high_j: float | None = None,
    *,
    location: str | None = None,
    pue: float | None = None,
    clean_share: float | None = None,
    catalog: Catalog | None = None,
) -> dict[str, Any]:
    """Carbon, water and cost of an IT energy (with its range) at a location.

    Args:
        energy_j: IT energy, central value, in joules.
        energy_low_j: lower bound in joules (defaults to ``energy_j``).
        energy_high_j: upper bound in joules (defaults to ``energy_j``).
        location: country, grid zone or cloud region; ``None`` is the world average.
        pue: power usage effectiveness (>= 1); ``None`` means 1.0, no facility overhead.
        clean_share: share of the electricity covered by contracted clean supply
            (PPAs, certificates), in [0, 1], for the market-based carbon.
        catalog: the catalog to read factors from (default: the process catalog).

    Returns:
        A JSON-ready dict: ``location``, ``pue``, ``facility_energy_j``,
        ``co2e_g`` (location-based), ``water_l`` (``onsite``, ``offsite``,
        ``total``), ``cost`` (or ``None`` where no price is known), each
        quantity as ``{"low", "central", "high"}``; ``sources`` (catalog row
        ids) and ``assumptions`` (sentences).
    """
    from wattlens.errors import InputValueError

    if pue is not None and pue < 1.0:
        raise InputValueError(f"PUE must be at least 1.0, got {pue}")
    if clean_share is not None and not 0.0 <= clean_share <= 1.0:
        raise InputValueError(f"clean-energy share must be within [0, 1], got {clean_share}")
    low = energy_j if energy_low_j is None else energy_low_j
    high = energy_j if energy_high_j is None else energy_high_j
    if catalog is None:
        from wattlens import _cache

        key = json.dumps([location, pue, clean_share])
        unit = _cache.load("impacts", key)
        if unit is None:
            unit = unit_impacts(location=location, pue=pue, clean_share=clean_share)
            _cache.store("impacts", key, unit)
    else:
        unit = unit_impacts(location=location, pue=pue, clean_share=clean_share, catalog=catalog)
    scaled: dict[str, Any] = _scale(unit, low, energy_j, high)
    return scaled


def _scale(unit: Any, low: float, central: float, high: float) -> Any:
    """Impacts are linear in energy: scale the impacts of 1 J to a (low, central, high) energy."""
    if isinstance(unit, dict):
        if set(unit) == {"low", "central", "high"}:
            return {"low": unit["low"] * low, "central": unit["central"] * central,
                    "high": unit["high"] * high}  # fmt: skip
        return {k: _scale(v, low, central, high) for k, v in unit.items()}
    return unit


def unit_impacts(
    *,
    location: str | None = None,
    pue: float | None = None,
    clean_share: float | None = None,
    catalog: Catalog | None = None,
) -> dict[str, Any]:
    """The impacts of 1 J of IT energy at a location: the factors, with sources.

    Market-based carbon follows the GHG Protocol Scope 2 Guidance (2015): the
    share covered by contracted clean supply counts at zero; the rest at the
    grid average (a residual mix is not in the catalog, so the average stands in).
    """
    from wattlens.catalog import get_catalog

    catalog = catalog or get_catalog()
    low = energy_j = high = 1.0
    place = resolve_location(location, catalog)
    grid = place.grid
    sources = [f"grids/{grid.id}"]
    assumptions: list[str] = []
    if place.region is not None:
        sources.append(f"regions/{place.region.id}")
    factor_pue = 1.0 if pue is None else pue
    if pue is None:
        assumptions.append("PUE 1.0: no data-centre overhead counted (pass a PUE to add it)")

    kwh = 1.0 / J_PER_KWH
    facility = _band(low, energy_j, high, factor_pue)
    co2e = _band(low, energy_j, high, factor_pue * kwh * grid.co2e_g_per_kwh)
    share = 0.0 if clean_share is None else clean_share
    co2e_market = _band(low, energy_j, high, factor_pue * kwh * grid.co2e_g_per_kwh * (1 - share))
    if clean_share is None:
        assumptions.append("market-based carbon equals location-based: no clean-energy share")

    water = _water(catalog, grid, low, energy_j, high, pue, sources, assumptions)
    cost = _cost(catalog, grid, low, energy_j, high, factor_pue, sources, assumptions)

    return {
        "location": {
            "query": place.query,
            "grid_id": grid.id,
            "grid_name": grid.name,
            "region_id": place.region.id if place.region else None,
            "co2e_g_per_kwh": grid.co2e_g_per_kwh,
        },
        "pue": factor_pue,
        "facility_energy_j": facility,
        "co2e_g": co2e,
        "co2e_market_g": co2e_market,
        "clean_share": share,
        "water_l": water,
        "cost": cost,
        "sources": sources,
        "assumptions": assumptions,
    }


def _water(  # noqa: PLR0917 - a private helper with one call site
    catalog: Catalog,
    grid: Grid,
    low: float,
    central: float,
    high: float,
    pue: float | None,
    sources: list[str],
    assumptions: list[str],
) -> dict[str, Any]:
    """On-site (WUE x IT energy) and off-site (EWIF x facility energy) water, in litres."""
    from wattlens.catalog import Water

    kwh = 1.0 / J_PER_KWH
    factor_pue = 1.0 if pue is None else pue
    waters = {w.id: w for w in catalog.rows("water") if isinstance(w, Water)}
    offsite = next(
        (w for w in waters.values() if w.scope == "offsite" and w.entity == grid.id), None
    )
    if offsite is None:
        offsite = waters.get("offsite-world")
        if offsite is not None:
            assumptions.append(f"no electricity water intensity for {grid.id}: world average used")
    offsite_l = (
        _band(low, central, high, factor_pue * kwh * offsite.l_per_kwh)
        if offsite
        else _band(0, 0, 0, 0)
    )
    if offsite is not None:
        sources.append(f"water/{offsite.id}")
    onsite_row = waters.get(DEFAULT_ONSITE_WUE_ID) if pue is not None else None
    if onsite_row is not None:
        onsite_l = _band(low, central, high, kwh * onsite_row.l_per_kwh)
        sources.append(f"water/{onsite_row.id}")
        assumptions.append(
            f"on-site cooling water at {onsite_row.l_per_kwh} L/kWh ({onsite_row.name})"
        )
    else:
        onsite_l = _band(0, 0, 0, 0)
        assumptions.append("no on-site cooling water counted (outside a data centre)")
    total_l = {k: onsite_l[k] + offsite_l[k] for k in onsite_l}

    return {
        "onsite": onsite_l,
        "onsite_measure": onsite_row.measure if onsite_row else None,
        "offsite": offsite_l,
        "offsite_measure": offsite.measure if offsite else None,
        "total": total_l,
    }


def _cost(  # noqa: PLR0917 - a private helper with one call site
    catalog: Catalog,
    grid: Grid,
    low: float,
    central: float,
    high: float,
    factor_pue: float,
    sources: list[str],
    assumptions: list[str],
) -> dict[str, Any] | None:
    """Facility energy x the country's business price, in its currency and in USD."""
    from wattlens.catalog import ExchangeRate, Price
    from wattlens.errors import UnknownNameError

    kwh = 1.0 / J_PER_KWH
    cost: dict[str, Any] | None = None
    try:
        price = catalog.get_typed("prices", grid.id, Price)
    except UnknownNameError:
        price = None
        assumptions.append(f"no business electricity price for {grid.name} in the catalog")
    if price is not None:
        sources.append(f"prices/{price.id}")
        usd_rate: float | None = None
        try:
            rate = catalog.get_typed("exchange_rates", price.currency.lower(), ExchangeRate)
            usd_rate = rate.usd_per_unit
            sources.append(f"exchange_rates/{rate.id}")
        except UnknownNameError:
            pass
        if price.price_local_per_kwh is not None:
            per_kwh, currency = price.price_local_per_kwh, price.currency
        else:
            assert price.price_usd_per_kwh is not None
            per_kwh, currency, usd_rate = price.price_usd_per_kwh, "USD", 1.0
        amount = _band(low, central, high, factor_pue * kwh * per_kwh)
        cost = {
            "currency": currency,
            "price_per_kwh": per_kwh,
            "amount": amount,
            "amount_usd": (
                {k: v * usd_rate for k, v in amount.items()} if usd_rate is not None else None
            ),
        }

    return cost
