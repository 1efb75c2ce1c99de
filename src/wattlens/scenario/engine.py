"""The scenario engine: demand x per-request energy x years, vectorised over samples.

For each request class the inference model runs once (``estimate.inference``
with ``samples=N``) and its per-request server-boundary samples are reused for
every year and every lever that does not change the class. Everything after
that is array arithmetic on ``(years, samples)``; no Python loop per sample.

The chain, with PUE applied once:

- IT energy (server boundary) per year = requests/day x 365 x per-request
  energy (request mix) + training energy amortised over its years;
- facility energy = IT energy x PUE (the run's own PUE for a training run);
- carbon, location-based = facility energy x the grid intensity of the
  location mix; market-based = location-based x (1 - clean-energy share);
- water = on-site (IT energy x WUE) + off-site (facility energy x the water
  intensity of the electricity of the location mix);
- cost = facility energy x price (given, or the locations' catalog prices),
  and in USD through the catalog's exchange rates.

Demand grows once a year: year k (k = 0, 1, …) has requests/day x (1 + g)^k.

The parts: :mod:`~wattlens.scenario.sampling` (seeded draws, caches),
:mod:`~wattlens.scenario.demand` (demand and per-request energy),
:mod:`~wattlens.scenario.fleet` (the top-down fleet),
:mod:`~wattlens.scenario.training` (training runs, amortised),
:mod:`~wattlens.scenario.impacts` (carbon, water and cost per year) and
:mod:`~wattlens.scenario.results` (the evaluation and its JSON summary).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from wattlens.scenario.demand import DemandMixin
from wattlens.scenario.fleet import FleetMixin
from wattlens.scenario.impacts import Factors
from wattlens.scenario.results import Evaluation, quantiles, summarise
from wattlens.scenario.sampling import DAYS_PER_YEAR, Progress
from wattlens.scenario.schema import Scenario
from wattlens.scenario.training import TrainingMixin

if TYPE_CHECKING:
    from wattlens.catalog import Catalog
    from wattlens.scenario.loader import LoadedScenario, Loc


class Engine(DemandMixin, FleetMixin, TrainingMixin):
    """Evaluates scenario states; caches per-class inference samples across levers."""

    def evaluate(self, spec: Scenario, where: Loc = ()) -> Evaluation:
        """All samples of one scenario state (the baseline, or after some levers).

        Args:
            spec: the scenario state.
            where: the field path to blame for model errors (a lever's, after levers).

        Raises:
            ScenarioError: a model error, pointing at the class (or lever) that caused it.
        """
        assumptions = [
            "PUE applied once: facility energy = IT (server-boundary) energy x PUE",
            "carbon market-based = location-based x (1 - clean-energy share)",
            "demand grows once a year: year k has requests/day x (1 + growth)^k",
            f"{DAYS_PER_YEAR:g} days a year; daily figures are year 1 / {DAYS_PER_YEAR:g}",
        ]
        warnings: list[str] = []
        sources: list[str] = []
        pue = self._pue_samples(spec)
        if spec.pue is None:
            low, high = self._default_pue().low, self._default_pue().high
            assumptions.append(
                f"PUE {low:g}..{high:g} (catalog: best provider fleet to industry "
                "average); set `pue:` in the file"
            )
        clean = self.draw("clean_energy_share", spec.clean_energy_share)

        # Requests and inference energy.
        demand = self.demand_energy(spec, where, warnings, sources)
        per_request = demand.per_request

        # Top-down fleet: a cross-check, or the estimate itself without request classes.
        fleet_info, inference_it, inference_facility_pue = self.top_down_fleet(
            spec, pue, demand, warnings, assumptions
        )

        # Training, amortised evenly over its first years.
        factors = self.factors(spec.location)
        training = self.amortise_training(spec, pue, factors, sources)

        impacts = self.yearly_impacts(
            spec,
            inference_it=inference_it,
            inference_facility_pue=inference_facility_pue,
            training=training,
            factors=factors,
            clean=clean,
            assumptions=assumptions,
            warnings=warnings,
            sources=sources,
        )

        per_request_it = per_request_facility = None
        if per_request is not None:
            per_request_it = per_request
            per_request_facility = per_request * pue
        return Evaluation(
            requests_per_year=demand.requests_year,
            inference_it_j=inference_it,
            training_it_j=training.it_j,
            it_j=impacts.it_j,
            facility_j=impacts.facility_j,
            co2e_location_g=impacts.co2e_location_g,
            co2e_market_g=impacts.co2e_market_g,
            water_onsite_l=impacts.water_onsite_l,
            water_offsite_l=impacts.water_offsite_l,
            cost=impacts.cost,
            cost_usd=impacts.cost_usd,
            currency=impacts.currency,
            per_request_it_j=per_request_it,
            per_request_facility_j=per_request_facility,
            classes=demand.classes,
            training=training.runs,
            fleet=fleet_info,
            factors=factors,
            pue=pue,
            clean_share=clean,
            assumptions=assumptions,
            warnings=warnings,
            sources=sources,
        )


def run(
    loaded: LoadedScenario,
    *,
    samples: int | None = None,
    years: int | None = None,
    catalog: Catalog | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Project a scenario: daily and yearly energy, carbon, water and cost with ranges.

    Args:
        loaded: a scenario from :func:`wattlens.scenario.load`.
        samples: Monte Carlo samples (default: the file's, else 20,000).
        years: years to project (default: the file's, else 1).
        catalog: the catalog (default: the process catalog).
        progress: called with a short description before each model evaluation.

    Returns:
        The JSON-ready result (see :func:`summarise`).
    """
    engine = Engine(loaded, samples=samples, years=years, catalog=catalog, progress=progress)
    ev = engine.evaluate(loaded.spec)
    return summarise(ev, loaded.spec, engine)


__all__ = [
    "DAYS_PER_YEAR",
    "Engine",
    "Evaluation",
    "Factors",
    "Progress",
    "quantiles",
    "run",
    "summarise",
]
