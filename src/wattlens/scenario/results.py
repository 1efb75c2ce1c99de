"""Scenario results: the samples of one state (:class:`Evaluation`) and the typed summary.

Every figure is reported as p5, p50, p95 and mean over the samples
(:class:`wattlens.types.Range`): per year, per day (year 1 / 365), in total
over the years, and per request. :class:`ScenarioResult` is the result of
``wattlens scenario run``; its ``to_dict()`` is the documented JSON.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

import numpy as np  # noqa: TID253 - the engine is imported only by the CLI and API calls

from wattlens.embodied import ScenarioEmbodied, scenario_embodied
from wattlens.scenario.sampling import DAYS_PER_YEAR
from wattlens.types import Money, Range, WarningItem

if TYPE_CHECKING:
    from wattlens.scenario.demand import ClassEnergy, ClassInfo
    from wattlens.scenario.fleet import FleetCheck
    from wattlens.scenario.impacts import LocationRow
    from wattlens.scenario.sampling import Array, Context
    from wattlens.scenario.schema import Scenario
    from wattlens.scenario.training import RunEnergy


@dataclass(frozen=True)
class Evaluation:
    """The samples of one scenario state: per year (rows) and per sample (columns)."""

    requests_per_year: Array
    inference_it_j: Array
    training_it_j: Array
    it_j: Array
    facility_j: Array
    co2e_location_g: Array
    co2e_market_g: Array
    water_onsite_l: Array
    water_offsite_l: Array
    cost: Array | None
    cost_usd: Array | None
    currency: str | None
    per_request_it_j: Array | None
    per_request_facility_j: Array | None
    classes: tuple[ClassEnergy, ...]
    training: tuple[RunEnergy, ...]
    fleet: FleetCheck | None
    locations: tuple[LocationRow, ...]
    pue: Array
    clean_share: Array
    assumptions: tuple[WarningItem, ...]
    warnings: tuple[WarningItem, ...]
    sources: tuple[str, ...]


# -- the typed summary -------------------------------------------------------------------------
@dataclass(frozen=True)
class WaterRanges:
    """Litres of water: on-site (cooling) and off-site (the electricity's), and their sum."""

    onsite: Range
    offsite: Range
    total: Range

    def to_dict(self) -> dict[str, Any]:
        return _fields_json(self)


@dataclass(frozen=True)
class Day:
    """The first year's figures divided by :data:`DAYS_PER_YEAR`."""

    requests: Range
    it_energy_j: Range
    energy_j: Range
    co2e_location_g: Range
    co2e_market_g: Range
    water_l: WaterRanges
    cost: Money | None

    def to_dict(self) -> dict[str, Any]:
        return _fields_json(self)


@dataclass(frozen=True)
class Year:
    """One projected year."""

    year: int
    index: int
    requests: Range
    it_energy_j: Range
    inference_it_energy_j: Range
    training_it_energy_j: Range
    energy_j: Range
    co2e_location_g: Range
    co2e_market_g: Range
    water_l: WaterRanges
    cost: Money | None

    def to_dict(self) -> dict[str, Any]:
        return _fields_json(self)


@dataclass(frozen=True)
class Total:
    """All projected years together."""

    energy_j: Range
    it_energy_j: Range
    co2e_location_g: Range
    co2e_market_g: Range
    water_l: Range
    cost: Money | None

    def to_dict(self) -> dict[str, Any]:
        return _fields_json(self)


@dataclass(frozen=True)
class PerRequest:
    """Energy per request of the request mix, and training amortised over the requests."""

    it_energy_j: Range
    energy_j: Range
    training_it_energy_j: Range | None = None

    def to_dict(self) -> dict[str, Any]:
        return _fields_json(self, omit_none=("training_it_energy_j",))


@dataclass(frozen=True)
class RequestClassResult:
    """A request class: how its energy was obtained, and its IT energy per request."""

    info: ClassInfo
    energy_per_request_it_j: Range

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.info.to_dict(),
            "energy_per_request_it_j": self.energy_per_request_it_j.to_dict(),
        }


@dataclass(frozen=True)
class TrainingResult:
    """A training run's energy (all of it, before amortising)."""

    name: str
    amortise_years: int
    it_energy_j: Range
    facility_energy_j: Range
    pue: str

    def to_dict(self) -> dict[str, Any]:
        return _fields_json(self)


@dataclass(frozen=True)
class FleetResult:
    """The top-down fleet and, with request classes, how the bottom-up energy compares."""

    servers: str
    power_per_server_w: str
    utilisation: str
    basis: str | None
    it_energy_per_day_j: Range
    facility_energy_per_day_j: Range
    bottom_up_it_energy_per_day_j: Range | None = None
    bottom_up_to_top_down: Range | None = None

    def to_dict(self) -> dict[str, Any]:
        return _fields_json(
            self, omit_none=("bottom_up_it_energy_per_day_j", "bottom_up_to_top_down")
        )


@dataclass(frozen=True)
class ScenarioResult:
    """A projected scenario: facility boundary, estimated; every quantity a :class:`Range`."""

    scenario: str
    file: str
    description: str | None
    samples: int
    seed: int
    years: int
    base_year: int | None
    pue: Range
    clean_energy_share: Range
    per_request: PerRequest | None
    daily: Day
    yearly: tuple[Year, ...]
    total: Total
    requests: tuple[RequestClassResult, ...]
    training: tuple[TrainingResult, ...]
    fleet: FleetResult | None
    locations: tuple[LocationRow, ...]
    assumptions: tuple[WarningItem, ...]
    sources: tuple[str, ...]
    """The file's citations."""
    catalog_rows: tuple[str, ...]
    warnings: tuple[WarningItem, ...]
    """Each warning once, in the order they arose."""
    method: str = "estimated"
    boundary: str = "facility"
    embodied: ScenarioEmbodied | None = None
    """Manufacturing impacts of the modelled classes' accelerator time; never in the above."""

    def to_dict(self) -> dict[str, Any]:
        """The stable JSON form (see ``wattlens scenario run --help``)."""
        return {
            "scenario": self.scenario,
            "file": self.file,
            "description": self.description,
            "method": self.method,
            "boundary": self.boundary,
            "samples": self.samples,
            "seed": self.seed,
            "years": self.years,
            "base_year": self.base_year,
            "pue": self.pue.to_dict(),
            "clean_energy_share": self.clean_energy_share.to_dict(),
            "per_request": None if self.per_request is None else self.per_request.to_dict(),
            "daily": self.daily.to_dict(),
            "yearly": [y.to_dict() for y in self.yearly],
            "total": self.total.to_dict(),
            "requests": [r.to_dict() for r in self.requests],
            "training": [t.to_dict() for t in self.training],
            "fleet": None if self.fleet is None else self.fleet.to_dict(),
            "embodied": None if self.embodied is None else self.embodied.to_dict(),
            "locations": [row.to_dict() for row in self.locations],
            "assumptions": [a.text for a in self.assumptions],
            "sources": list(self.sources),
            "catalog_rows": list(self.catalog_rows),
            "warnings": [w.text for w in self.warnings],
        }


def _money(m: Money | None) -> dict[str, Any] | None:
    return None if m is None else m.to_dict()


def _fields_json(part: Any, *, omit_none: tuple[str, ...] = ()) -> dict[str, Any]:
    """A typed part's JSON: its fields in declaration order, each part as its own JSON.

    Fields named in ``omit_none`` are left out while they are ``None``.
    """
    out: dict[str, Any] = {}
    for f in fields(part):
        value = getattr(part, f.name)
        if value is None and f.name in omit_none:
            continue
        out[f.name] = value.to_dict() if hasattr(value, "to_dict") else value
    return out


# -- summarising samples -----------------------------------------------------------------------
def quantiles(values: Array) -> Range:
    """p5, p50, p95 and mean of a sample (one row)."""
    return Range.from_samples(values)


def _rows(values: Array) -> list[Range]:
    """Quantiles of every row of a (years, samples) array, in one vectorised call."""
    p = np.percentile(values, [5, 50, 95], axis=1)
    mean = values.mean(axis=1)
    return [
        Range(float(p[0, k]), float(p[1, k]), float(p[2, k]), float(mean[k]))
        for k in range(values.shape[0])
    ]


def _cost(currency: str | None, amount: Range | None, usd: Range | None) -> Money | None:
    if amount is None:
        return None
    assert currency is not None
    return Money(amount, currency, usd)


def unique_warnings(items: tuple[WarningItem, ...]) -> tuple[WarningItem, ...]:
    """Each warning once (by its text), in order."""
    seen: dict[str, WarningItem] = {}
    for w in items:
        seen.setdefault(w.text, w)
    return tuple(seen.values())


def summarise(ev: Evaluation, spec: Scenario, ctx: Context) -> ScenarioResult:
    """The typed summary of an evaluation."""
    water = ev.water_onsite_l + ev.water_offsite_l
    return ScenarioResult(
        scenario=spec.name,
        file=ctx.loaded.file,
        description=spec.description,
        samples=ctx.samples,
        seed=ctx.seed,
        years=ctx.years,
        base_year=spec.base_year,
        pue=quantiles(ev.pue),
        clean_energy_share=quantiles(ev.clean_share),
        per_request=_per_request(ev, spec),
        daily=_daily(ev, water),
        yearly=_yearly(ev, water, spec.base_year, ctx.years),
        total=_total(ev, water),
        requests=tuple(RequestClassResult(c.info, quantiles(c.it_j)) for c in ev.classes),
        training=tuple(
            TrainingResult(
                r.name, r.amortise_years, quantiles(r.it_j), quantiles(r.facility_j), r.pue
            )
            for r in ev.training
        ),
        fleet=_fleet(ev.fleet),
        locations=ev.locations,
        assumptions=ev.assumptions,
        sources=tuple(spec.sources),
        catalog_rows=ev.sources,
        warnings=unique_warnings(ev.warnings),
        embodied=scenario_embodied(
            [(c.info.share, c.embodied) for c in ev.classes], ev.requests_per_year, spec.base_year
        ),
    )


def _yearly(ev: Evaluation, water: Array, base: int | None, years: int) -> tuple[Year, ...]:
    requests, it, inference, training = (
        _rows(ev.requests_per_year), _rows(ev.it_j), _rows(ev.inference_it_j),
        _rows(ev.training_it_j),
    )  # fmt: skip
    energy, co2_loc, co2_mkt = (
        _rows(ev.facility_j),
        _rows(ev.co2e_location_g),
        _rows(ev.co2e_market_g),
    )
    on, off, total_water = _rows(ev.water_onsite_l), _rows(ev.water_offsite_l), _rows(water)
    cost_rows = _rows(ev.cost) if ev.cost is not None else None
    usd_rows = _rows(ev.cost_usd) if ev.cost_usd is not None else None
    return tuple(
        Year(
            year=(base + i) if base else i + 1,
            index=i,
            requests=requests[i],
            it_energy_j=it[i],
            inference_it_energy_j=inference[i],
            training_it_energy_j=training[i],
            energy_j=energy[i],
            co2e_location_g=co2_loc[i],
            co2e_market_g=co2_mkt[i],
            water_l=WaterRanges(on[i], off[i], total_water[i]),
            cost=_cost(
                ev.currency, cost_rows[i] if cost_rows else None, usd_rows[i] if usd_rows else None
            ),
        )
        for i in range(years)
    )


def _daily(ev: Evaluation, water: Array) -> Day:
    """An average day of the first year."""

    def day(values: Array) -> Range:
        return quantiles(values[0] / DAYS_PER_YEAR)

    return Day(
        requests=day(ev.requests_per_year),
        it_energy_j=day(ev.it_j),
        energy_j=day(ev.facility_j),
        co2e_location_g=day(ev.co2e_location_g),
        co2e_market_g=day(ev.co2e_market_g),
        water_l=WaterRanges(day(ev.water_onsite_l), day(ev.water_offsite_l), day(water)),
        cost=_cost(
            ev.currency,
            day(ev.cost) if ev.cost is not None else None,
            day(ev.cost_usd) if ev.cost_usd is not None else None,
        ),
    )


def _total(ev: Evaluation, water: Array) -> Total:
    # Summed per sample before taking quantiles: the p95 of a sum is not the sum of p95s.
    def total(values: Array) -> Range:
        return quantiles(values.sum(axis=0))

    return Total(
        energy_j=total(ev.facility_j),
        it_energy_j=total(ev.it_j),
        co2e_location_g=total(ev.co2e_location_g),
        co2e_market_g=total(ev.co2e_market_g),
        water_l=total(water),
        cost=_cost(
            ev.currency,
            total(ev.cost) if ev.cost is not None else None,
            total(ev.cost_usd) if ev.cost_usd is not None else None,
        ),
    )


def _per_request(ev: Evaluation, spec: Scenario) -> PerRequest | None:
    if ev.per_request_it_j is None or ev.per_request_facility_j is None:
        return None
    amortised: Range | None = None
    if spec.training:
        # Training spread over the requests of the years it is amortised over.
        periods = max(t.amortise_years for t in spec.training)
        reqs = ev.requests_per_year[:periods].sum(axis=0)
        amortised = quantiles(ev.training_it_j.sum(axis=0) / reqs)
    return PerRequest(
        quantiles(ev.per_request_it_j), quantiles(ev.per_request_facility_j), amortised
    )


def _fleet(f: FleetCheck | None) -> FleetResult | None:
    from wattlens.impacts import apply_pue

    if f is None:
        return None
    bottom_up = ratio = None
    if f.bottom_up_it_day_j is not None:
        bottom_up = quantiles(f.bottom_up_it_day_j)
        ratio = quantiles(f.bottom_up_it_day_j / f.it_day_j)
    return FleetResult(
        servers=f.servers,
        power_per_server_w=f.power_per_server_w,
        utilisation=f.utilisation,
        basis=f.basis,
        it_energy_per_day_j=quantiles(f.it_day_j),
        facility_energy_per_day_j=quantiles(apply_pue(f.it_day_j, f.pue)),
        bottom_up_it_energy_per_day_j=bottom_up,
        bottom_up_to_top_down=ratio,
    )
