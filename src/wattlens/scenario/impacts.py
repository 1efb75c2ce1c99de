"""Impacts per year: carbon (location- and market-based), water and cost of the energy.

Per-joule factors of a location mix come from ``wattlens.impacts.unit_impacts``
(share-weighted, cached per mix); PUE is applied once, before them. On-site
water is IT energy x WUE; off-site water is facility energy x the water
intensity of the electricity. Cost is facility energy x price (given, or the
locations' catalog prices), and in USD through the catalog's exchange rates.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from wattlens.scenario.sampling import Sampler
from wattlens.scenario.schema import LocationShare, Scenario, Span
from wattlens.units import J_PER_KWH

if TYPE_CHECKING:
    from wattlens.scenario.sampling import Array
    from wattlens.scenario.training import Amortised


@dataclass(frozen=True)
class Factors:
    """Per-joule impact factors of a location mix (SI: g/J, L/J, currency/J)."""

    co2e_g_per_j: float
    water_offsite_l_per_j: float
    locations: list[dict[str, Any]]
    sources: list[str]
    warnings: list[str]


@dataclass
class Impacts:
    """Energy and its impacts per year (rows) and sample (columns), inference plus training."""

    it_j: Array
    facility_j: Array
    co2e_location_g: Array
    co2e_market_g: Array
    water_onsite_l: Array
    water_offsite_l: Array
    cost: Array | None
    cost_usd: Array | None
    currency: str | None


class ImpactsMixin(Sampler):
    """Impact factors, prices and WUE of a scenario state, and the impacts per year."""

    def factors(self, locations: tuple[LocationShare, ...]) -> Factors:
        """Per-joule carbon and off-site water of a location mix (share-weighted)."""
        key = tuple((p.name, p.share.low) for p in locations)
        cached = self._factors.get(key)
        if cached is not None:
            return cached
        from wattlens.impacts import unit_impacts

        co2 = water = 0.0
        rows: list[dict[str, Any]] = []
        sources: list[str] = []
        warnings: list[str] = []
        for p in locations:
            unit = unit_impacts(location=p.name, pue=None, catalog=self.catalog)
            share = p.share.low
            co2 += share * unit["co2e_g"]["central"]
            off = unit["water_l"]["offsite"]["central"]
            water += share * off
            cost = unit["cost"]
            rows.append(
                {
                    "name": p.name,
                    "share": share,
                    "grid_id": unit["location"]["grid_id"],
                    "grid_name": unit["location"]["grid_name"],
                    "co2e_g_per_kwh": unit["location"]["co2e_g_per_kwh"],
                    "water_offsite_l_per_kwh": off * J_PER_KWH,
                    "water_offsite_measure": unit["water_l"]["offsite_measure"],
                    "price_per_kwh": cost["price_per_kwh"] if cost else None,
                    "currency": cost["currency"] if cost else None,
                }
            )
            sources.extend(s for s in unit["sources"] if s not in sources)
            warnings.extend(
                a
                for a in unit["assumptions"]
                if a.startswith(("no electricity water", "no business"))
            )
        out = Factors(co2, water, rows, sources, warnings)
        self._factors[key] = out
        return out

    # -- price and on-site water ---------------------------------------------------------
    def price(self, spec: Scenario) -> tuple[Span | None, str | None, float | None, list[str]]:
        """Price per joule (range), its currency, USD per unit of it, and notes."""
        from wattlens.catalog import ExchangeRate
        from wattlens.errors import UnknownNameError

        notes: list[str] = []

        def usd_rate(currency: str) -> float | None:
            if currency == "USD":
                return 1.0
            try:
                row = self.catalog.get_typed("exchange_rates", currency.lower(), ExchangeRate)
            except UnknownNameError:
                notes.append(f"no exchange rate for {currency} in the catalog: no USD cost")
                return None
            return row.usd_per_unit

        if spec.price is not None:
            p = spec.price
            return p.span, p.currency, usd_rate(p.currency), notes
        rows = self.factors(spec.location).locations
        missing = [r["name"] for r in rows if r["price_per_kwh"] is None]
        if missing:
            notes.append(
                f"no business electricity price in the catalog for {', '.join(missing)}:"
                " no cost (add `price:` to the file)"
            )
            return None, None, None, notes
        currencies = {r["currency"] for r in rows}
        if len(currencies) == 1:
            currency = currencies.pop()
            per_j = sum(r["share"] * r["price_per_kwh"] for r in rows) / J_PER_KWH
            return Span(per_j, per_j), currency, usd_rate(currency), notes
        total_usd = 0.0
        for r in rows:
            rate = usd_rate(r["currency"])
            if rate is None:
                return None, None, None, notes
            total_usd += r["share"] * r["price_per_kwh"] * rate
        notes.append("locations price in several currencies: cost in USD")
        per_j = total_usd / J_PER_KWH
        return Span(per_j, per_j), "USD", 1.0, notes

    def _wue(self, spec: Scenario, assumptions: list[str], sources: list[str]) -> Array | float:
        from wattlens.impacts import DEFAULT_ONSITE_WUE_ID

        if spec.onsite_water is not None:
            assumptions.append(
                f"on-site water {spec.onsite_water.describe(1 / J_PER_KWH, 'L/kWh')}"
                " of IT energy (scenario file)"
            )
            return self.draw("onsite_water", spec.onsite_water)
        row = next((r for r in self.catalog.rows("water") if r.id == DEFAULT_ONSITE_WUE_ID), None)
        if row is None:
            return 0.0
        litres = float(getattr(row, "l_per_kwh", 0.0))
        assumptions.append(f"on-site water {litres:g} L/kWh of IT energy ({row.name})")
        if f"water/{row.id}" not in sources:
            sources.append(f"water/{row.id}")
        return litres / J_PER_KWH

    def yearly_impacts(
        self,
        spec: Scenario,
        *,
        inference_it: Array,
        inference_facility_pue: Array,
        training: Amortised,
        factors: Factors,
        clean: Array,
        assumptions: list[str],
        warnings: list[str],
        sources: list[str],
    ) -> Impacts:
        """Facility energy, carbon, water and cost per year of inference plus training.

        Appends the WUE's assumption, price notes, and the factors' warnings and
        sources to ``assumptions``, ``warnings`` and ``sources``.
        """
        inference_facility = inference_it * inference_facility_pue
        co2_loc = inference_facility * factors.co2e_g_per_j
        water_off = inference_facility * factors.water_offsite_l_per_j
        it_total, facility = inference_it, inference_facility
        if spec.training:
            it_total = it_total + training.it_j
            facility = facility + training.facility_j
            co2_loc += training.co2e_g
            water_off += training.water_offsite_l
        co2_market = co2_loc * (1.0 - clean)
        wue = self._wue(spec, assumptions, sources)
        water_on = it_total * wue
        price, currency, usd_rate, notes = self.price(spec)
        warnings.extend(notes)
        cost = cost_usd = None
        if price is not None:
            cost = facility * self.draw("price", price)
            if usd_rate is not None:
                cost_usd = cost * usd_rate
        warnings.extend(factors.warnings)
        sources.extend(s for s in factors.sources if s not in sources)
        return Impacts(
            it_j=it_total,
            facility_j=facility,
            co2e_location_g=co2_loc,
            co2e_market_g=co2_market,
            water_onsite_l=water_on,
            water_offsite_l=water_off,
            cost=cost,
            cost_usd=cost_usd,
            currency=currency,
        )
