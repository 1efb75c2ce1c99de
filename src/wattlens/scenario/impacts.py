"""Impacts of a scenario state: the location mix, price, on-site water, and the one chain.

Per-joule factors of a location mix come from ``wattlens.impacts.mix_factors``
(share-weighted, remembered per mix). Every part of the energy (inference, each
training run at its own PUE and place) goes through ``wattlens.impacts.impacts_of``,
which applies PUE once and then carbon, water and cost: on-site water is IT
energy x WUE; off-site water, carbon and cost follow the facility energy.
Market-based carbon = location-based x (1 - clean-energy share).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from wattlens.scenario.schema import LocationShare, Scenario, Span
from wattlens.types import WarningItem
from wattlens.units import J_PER_KWH

if TYPE_CHECKING:
    from wattlens.impacts import Chain, Factors
    from wattlens.scenario.sampling import Array, Context

#: Notes of the catalog's factors that a scenario passes on as warnings.
FACTOR_WARNINGS = frozenset({"water-world-average", "no-price"})


@dataclass(frozen=True)
class LocationRow:
    """One place of the location mix, with the catalog factors the scenario used."""

    name: str
    share: float
    grid_id: str
    grid_name: str
    co2e_g_per_kwh: float
    water_offsite_l_per_kwh: float
    water_offsite_measure: str | None
    price_per_kwh: float | None
    currency: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "share": self.share,
            "grid_id": self.grid_id,
            "grid_name": self.grid_name,
            "co2e_g_per_kwh": self.co2e_g_per_kwh,
            "water_offsite_l_per_kwh": self.water_offsite_l_per_kwh,
            "water_offsite_measure": self.water_offsite_measure,
            "price_per_kwh": self.price_per_kwh,
            "currency": self.currency,
        }


@dataclass(frozen=True)
class Mix:
    """The factors of a location mix (share-weighted), its places, sources and warnings."""

    factors: Factors
    locations: tuple[LocationRow, ...]
    sources: tuple[str, ...]
    warnings: tuple[WarningItem, ...]


@dataclass(frozen=True)
class Price:
    """Price per joule (a range), its currency and USD per unit of it; None: no cost."""

    per_j: Span | None
    currency: str | None
    usd_rate: float | None
    notes: tuple[WarningItem, ...] = ()


@dataclass(frozen=True)
class Terms:
    """What turns energy into impacts in one state, besides the place and the PUE."""

    clean_share: Array
    onsite_l_per_j: Array | float
    price_per_j: Array | None
    currency: str | None
    usd_rate: float | None
    assumptions: tuple[WarningItem, ...]
    warnings: tuple[WarningItem, ...]
    sources: tuple[str, ...]


def default_pue(ctx: Context) -> Span:
    """The catalog's PUE range: the best provider fleet to the industry average."""
    from wattlens.estimate._common import default_pue as catalog_pue

    value = catalog_pue(ctx.catalog)
    return Span(value.low, value.high)


def pue_draws(ctx: Context, spec: Scenario) -> Array:
    """The scenario's PUE, per sample (the catalog range when the file gives none)."""
    return ctx.draws.uniform("pue", spec.pue or default_pue(ctx))


def location_mix(ctx: Context, locations: tuple[LocationShare, ...]) -> Mix:
    """Per-joule carbon and off-site water of a location mix (share-weighted), remembered."""
    key = tuple((p.name, p.share.low) for p in locations)
    return ctx.remember(("mix", key), lambda: _mix(ctx, locations))


def _mix(ctx: Context, locations: tuple[LocationShare, ...]) -> Mix:
    from wattlens.impacts import mix_factors

    mix = mix_factors([(p.name, p.share.low) for p in locations], ctx.catalog)
    rows: list[LocationRow] = []
    sources: list[str] = []
    warnings: list[WarningItem] = []
    for p, (f, share) in zip(locations, mix.parts, strict=True):
        rows.append(
            LocationRow(
                name=p.name,
                share=share,
                grid_id=f.place.grid_id,
                grid_name=f.place.grid_name,
                co2e_g_per_kwh=f.place.co2e_g_per_kwh,
                water_offsite_l_per_kwh=f.water_offsite_l_per_j * J_PER_KWH,
                water_offsite_measure=f.offsite_measure,
                price_per_kwh=_catalog_price(ctx, f),
                currency=f.currency,
            )
        )
        sources.extend(s for s in (*f.place_sources, *f.price_sources) if s not in sources)
        warnings.extend(n for n in f.notes if n.code in FACTOR_WARNINGS)
    return Mix(mix, tuple(rows), tuple(sources), tuple(warnings))


def _catalog_price(ctx: Context, f: Factors) -> float | None:
    """The catalog's price per kWh behind a place's factors, as the catalog writes it."""
    from wattlens.catalog import Price as PriceRow

    if f.price_per_j is None:
        return None
    # Printed from its row, not as price_per_j x J_PER_KWH (0.097 would read 0.09699999999999999).
    row = ctx.catalog.get_typed("prices", f.place.grid_id, PriceRow)
    return row.price_local_per_kwh if row.price_local_per_kwh is not None else row.price_usd_per_kwh


def price(ctx: Context, spec: Scenario) -> Price:
    """The price of a joule: the file's, else the locations' catalog prices (share-weighted)."""
    from wattlens.catalog import ExchangeRate
    from wattlens.errors import UnknownNameError

    if spec.price is not None:
        p = spec.price
        if p.currency == "USD":
            return Price(p.span, p.currency, 1.0)
        try:
            row = ctx.catalog.get_typed("exchange_rates", p.currency.lower(), ExchangeRate)
        except UnknownNameError:
            return Price(p.span, p.currency, None, (_no_rate(p.currency),))
        return Price(p.span, p.currency, row.usd_per_unit)
    mix = location_mix(ctx, spec.location)
    missing = [r.name for r in mix.locations if r.price_per_kwh is None]
    if missing:
        note = WarningItem(
            "no-price",
            f"no business electricity price in the catalog for {', '.join(missing)}:"
            " no cost (add `price:` to the file)",
        )
        return Price(None, None, None, (note,))
    f = mix.factors
    if f.price_per_j is None:  # several currencies, and an exchange rate missing
        unconverted = next(part for part, _ in f.parts if part.usd_per_unit is None)
        assert unconverted.currency is not None
        return Price(None, None, None, (_no_rate(unconverted.currency),))
    per_j = Span(f.price_per_j, f.price_per_j)
    notes = tuple(n for n in f.notes if n.code == "several-currencies")
    if f.usd_per_unit is None and f.currency is not None:
        notes += (_no_rate(f.currency),)
    return Price(per_j, f.currency, f.usd_per_unit, notes)


def _no_rate(currency: str) -> WarningItem:
    return WarningItem(
        "no-exchange-rate", f"no exchange rate for {currency} in the catalog: no USD cost"
    )


def onsite_water(
    ctx: Context, spec: Scenario
) -> tuple[Array | float, WarningItem | None, str | None]:
    """Cooling water per joule of IT energy (the file's, else the catalog's industry WUE).

    Returns:
        The litres per joule, the assumption that says so, and the catalog row used.
    """
    from wattlens.impacts import DEFAULT_ONSITE_WUE_ID

    if spec.onsite_water is not None:
        text = (
            f"on-site water {spec.onsite_water.describe(1 / J_PER_KWH, 'L/kWh')}"
            " of IT energy (scenario file)"
        )
        return (
            ctx.draws.uniform("onsite_water", spec.onsite_water),
            WarningItem("onsite-water", text),
            None,
        )
    row = next((r for r in ctx.catalog.rows("water") if r.id == DEFAULT_ONSITE_WUE_ID), None)
    if row is None:
        return 0.0, None, None
    litres = float(getattr(row, "l_per_kwh", 0.0))
    text = f"on-site water {litres:g} L/kWh of IT energy ({row.name})"
    return litres / J_PER_KWH, WarningItem("onsite-water", text), f"water/{row.id}"


def terms(ctx: Context, spec: Scenario) -> Terms:
    """The clean-energy share, on-site water and price of a scenario state, with notes."""
    litres, assumption, source = onsite_water(ctx, spec)
    p = price(ctx, spec)
    return Terms(
        clean_share=ctx.draws.uniform("clean_energy_share", spec.clean_energy_share),
        onsite_l_per_j=litres,
        price_per_j=None if p.per_j is None else ctx.draws.uniform("price", p.per_j),
        currency=p.currency,
        usd_rate=p.usd_rate,
        assumptions=() if assumption is None else (assumption,),
        warnings=p.notes,
        sources=() if source is None else (source,),
    )


def chain(it_j: Array, pue: Array, mix: Mix, t: Terms) -> Chain:
    """Energy -> PUE -> carbon, water and cost of one part of the energy (years x samples).

    Without a price in this state no part has a cost, whatever its place's catalog price.
    """
    from wattlens.impacts import impacts_of

    factors = mix.factors
    if t.price_per_j is None:
        factors = replace(factors, price_per_j=None, currency=None, usd_per_unit=None)
    return impacts_of(
        it_j,
        factors=factors,
        pue=pue,
        clean_share=t.clean_share,
        onsite_l_per_j=t.onsite_l_per_j,
        price_per_j=t.price_per_j,
        currency=t.currency,
        usd_per_unit=t.usd_rate,
    )
