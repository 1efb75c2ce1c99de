"""Scenario results: the samples of one state (:class:`Evaluation`) and their JSON summary.

Every figure is reported as p5, p50, p95 and mean over the samples: per year,
per day (year 1 / 365), in total over the years, and per request.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np  # noqa: TID253 - the engine is imported only by the CLI and API calls

from wattlens.scenario.sampling import DAYS_PER_YEAR

if TYPE_CHECKING:
    from wattlens.scenario.engine import Engine
    from wattlens.scenario.impacts import Factors
    from wattlens.scenario.sampling import Array
    from wattlens.scenario.schema import Scenario


@dataclass
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
    classes: list[dict[str, Any]]
    training: list[dict[str, Any]]
    fleet: dict[str, Any] | None
    factors: Factors
    pue: Array
    clean_share: Array
    assumptions: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)


def quantiles(values: Array) -> dict[str, float]:
    """p5, p50, p95 and mean of a sample (one row)."""
    p5, p50, p95 = np.percentile(values, [5, 50, 95])
    return {"p5": float(p5), "p50": float(p50), "p95": float(p95), "mean": float(values.mean())}


def _rows(values: Array) -> list[dict[str, float]]:
    """Quantiles of every row of a (years, samples) array, in one vectorised call."""
    p = np.percentile(values, [5, 50, 95], axis=1)
    mean = values.mean(axis=1)
    return [
        {"p5": float(p[0, k]), "p50": float(p[1, k]), "p95": float(p[2, k]), "mean": float(mean[k])}
        for k in range(values.shape[0])
    ]


def summarise(ev: Evaluation, spec: Scenario, engine: Engine) -> dict[str, Any]:
    """The stable JSON form of an evaluation (see ``wattlens scenario run --help``)."""
    years = engine.years
    base = spec.base_year
    per_year = {
        "requests": _rows(ev.requests_per_year),
        "it_energy_j": _rows(ev.it_j),
        "inference_it_energy_j": _rows(ev.inference_it_j),
        "training_it_energy_j": _rows(ev.training_it_j),
        "energy_j": _rows(ev.facility_j),
        "co2e_location_g": _rows(ev.co2e_location_g),
        "co2e_market_g": _rows(ev.co2e_market_g),
        "water_onsite_l": _rows(ev.water_onsite_l),
        "water_offsite_l": _rows(ev.water_offsite_l),
        "water_l": _rows(ev.water_onsite_l + ev.water_offsite_l),
    }
    cost_rows = _rows(ev.cost) if ev.cost is not None else None
    usd_rows = _rows(ev.cost_usd) if ev.cost_usd is not None else None
    yearly: list[dict[str, Any]] = []
    for i in range(years):
        row: dict[str, Any] = {"year": (base + i) if base else i + 1, "index": i}
        row.update({name: values[i] for name, values in per_year.items()})
        row["water_l"] = {
            "onsite": per_year["water_onsite_l"][i],
            "offsite": per_year["water_offsite_l"][i],
            "total": per_year["water_l"][i],
        }
        del row["water_onsite_l"], row["water_offsite_l"]
        row["cost"] = _cost(
            ev.currency, cost_rows[i] if cost_rows else None, usd_rows[i] if usd_rows else None
        )
        yearly.append(row)
    first = slice(0, 1)

    def day(values: Array) -> dict[str, float]:
        return quantiles(values[first][0] / DAYS_PER_YEAR)

    daily = {
        "requests": day(ev.requests_per_year),
        "it_energy_j": day(ev.it_j),
        "energy_j": day(ev.facility_j),
        "co2e_location_g": day(ev.co2e_location_g),
        "co2e_market_g": day(ev.co2e_market_g),
        "water_l": {
            "onsite": day(ev.water_onsite_l),
            "offsite": day(ev.water_offsite_l),
            "total": day(ev.water_onsite_l + ev.water_offsite_l),
        },
        "cost": _cost(
            ev.currency,
            day(ev.cost) if ev.cost is not None else None,
            day(ev.cost_usd) if ev.cost_usd is not None else None,
        ),
    }

    def total(values: Array) -> dict[str, float]:
        return quantiles(values.sum(axis=0))

    totals = {
        "energy_j": total(ev.facility_j),
        "it_energy_j": total(ev.it_j),
        "co2e_location_g": total(ev.co2e_location_g),
        "co2e_market_g": total(ev.co2e_market_g),
        "water_l": total(ev.water_onsite_l + ev.water_offsite_l),
        "cost": _cost(
            ev.currency,
            total(ev.cost) if ev.cost is not None else None,
            total(ev.cost_usd) if ev.cost_usd is not None else None,
        ),
    }
    per_request: dict[str, Any] | None = None
    if ev.per_request_it_j is not None and ev.per_request_facility_j is not None:
        per_request = {
            "it_energy_j": quantiles(ev.per_request_it_j),
            "energy_j": quantiles(ev.per_request_facility_j),
        }
        if spec.training:
            amortised = ev.training_it_j.sum(axis=0)
            periods = max(t.amortise_years for t in spec.training)
            reqs = ev.requests_per_year[:periods].sum(axis=0)
            per_request["training_it_energy_j"] = quantiles(amortised / reqs)
    return {
        "scenario": spec.name,
        "file": engine.loaded.file,
        "description": spec.description,
        "method": "estimated",
        "boundary": "facility",
        "samples": engine.samples,
        "seed": engine.seed,
        "years": years,
        "base_year": base,
        "pue": quantiles(ev.pue),
        "clean_energy_share": quantiles(ev.clean_share),
        "per_request": per_request,
        "daily": daily,
        "yearly": yearly,
        "total": totals,
        "requests": [
            {**c, "energy_per_request_it_j": quantiles(c["energy_per_request_it_j"])}
            for c in ev.classes
        ],
        "training": ev.training,
        "fleet": ev.fleet,
        "locations": ev.factors.locations,
        "assumptions": ev.assumptions,
        "sources": list(spec.sources),
        "catalog_rows": ev.sources,
        "warnings": list(dict.fromkeys(ev.warnings)),
    }


def _cost(
    currency: str | None, amount: dict[str, float] | None, usd: dict[str, float] | None
) -> dict[str, Any] | None:
    if amount is None:
        return None
    return {"currency": currency, "amount": amount, "amount_usd": usd}
