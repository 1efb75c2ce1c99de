"""The scenario engine: demand x per-request energy x years, vectorised over samples.

For each request class the inference model runs once (``estimate.inference``
with ``samples=N``) and its per-request server-boundary samples are reused for
every year and every lever that does not change the class. Everything after
that is array arithmetic on ``(years, samples)``; no Python loop per sample.

The chain, with PUE applied once (``wattlens.impacts.impacts_of``):

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

The engine is plain functions of a :class:`~wattlens.scenario.sampling.Context`
(seeded :class:`~wattlens.scenario.sampling.Draws`, the catalog, a memo of model
runs) and a scenario state, each returning a small typed part:
:func:`~wattlens.scenario.demand.demand`,
:func:`~wattlens.scenario.fleet.inference_energy`,
:func:`~wattlens.scenario.training.training` and :mod:`~wattlens.scenario.impacts`;
:func:`evaluate` joins them into an :class:`~wattlens.scenario.results.Evaluation`
and :func:`~wattlens.scenario.results.summarise` into a typed
:class:`~wattlens.scenario.results.ScenarioResult`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from wattlens.scenario.demand import demand
from wattlens.scenario.fleet import inference_energy
from wattlens.scenario.impacts import chain, default_pue, location_mix, pue_draws, terms
from wattlens.scenario.results import Evaluation, ScenarioResult, summarise
from wattlens.scenario.sampling import DAYS_PER_YEAR, Context, Progress, context
from wattlens.scenario.training import training
from wattlens.types import WarningItem

if TYPE_CHECKING:
    from wattlens.catalog import Catalog
    from wattlens.scenario.loader import LoadedScenario, Loc
    from wattlens.scenario.schema import Scenario

ASSUMPTIONS = (
    WarningItem(
        "pue-once", "PUE applied once: facility energy = IT (server-boundary) energy x PUE"
    ),
    WarningItem("market-based", "carbon market-based = location-based x (1 - clean-energy share)"),
    WarningItem(
        "growth-yearly", "demand grows once a year: year k has requests/day x (1 + growth)^k"
    ),
    WarningItem(
        "days-per-year",
        f"{DAYS_PER_YEAR:g} days a year; daily figures are year 1 / {DAYS_PER_YEAR:g}",
    ),
)


def evaluate(ctx: Context, spec: Scenario, where: Loc = ()) -> Evaluation:
    """All samples of one scenario state (the baseline, or after some levers).

    Args:
        ctx: the context (draws, catalog, remembered model runs) shared by every state.
        spec: the scenario state.
        where: the field path to blame for model errors (a lever's, after levers).

    Raises:
        ScenarioError: a model error, pointing at the class (or lever) that caused it.
    """
    from wattlens.impacts import apply_pue

    assumptions = list(ASSUMPTIONS)
    pue = pue_draws(ctx, spec)
    if spec.pue is None:
        catalog_pue = default_pue(ctx)
        assumptions.append(
            WarningItem(
                "pue-default",
                f"PUE {catalog_pue.low:g}..{catalog_pue.high:g} (catalog: best provider fleet "
                "to industry average); set `pue:` in the file",
            )
        )
    requests = demand(ctx, spec, pue, where)
    # The top-down fleet: a cross-check, or the estimate itself without request classes.
    fleet = inference_energy(ctx, spec, pue, requests)
    mix = location_mix(ctx, spec.location)
    t = terms(ctx, spec)
    # Training, amortised evenly over its first years, at its own PUE and place.
    trained = training(ctx, spec, pue, mix, t)
    total = chain(fleet.it_j, fleet.pue, mix, t)
    if trained.impacts is not None:
        total = total + trained.impacts

    per_request = requests.per_request
    return Evaluation(
        requests_per_year=requests.requests_year,
        inference_it_j=fleet.it_j,
        training_it_j=trained.it_j,
        it_j=total.it_j,
        facility_j=total.facility_j,
        co2e_location_g=total.co2e_location_g,
        co2e_market_g=total.co2e_market_g,
        water_onsite_l=total.water_onsite_l,
        water_offsite_l=total.water_offsite_l,
        cost=total.cost,
        cost_usd=total.cost_usd,
        currency=total.currency,
        per_request_it_j=per_request,
        per_request_facility_j=None if per_request is None else apply_pue(per_request, pue),
        classes=requests.classes,
        training=trained.runs,
        fleet=fleet.fleet,
        locations=mix.locations,
        pue=pue,
        clean_share=t.clean_share,
        assumptions=(*assumptions, *fleet.assumptions, *t.assumptions),
        warnings=(*requests.warnings, *fleet.warnings, *t.warnings, *mix.warnings),
        sources=tuple(
            dict.fromkeys((*requests.sources, *trained.sources, *t.sources, *mix.sources))
        ),
    )


def project(
    loaded: LoadedScenario,
    *,
    samples: int | None = None,
    years: int | None = None,
    catalog: Catalog | None = None,
    progress: Progress | None = None,
) -> ScenarioResult:
    """Project a scenario: daily and yearly energy, carbon, water and cost with ranges.

    Args:
        loaded: a scenario from :func:`wattlens.scenario.load`.
        samples: Monte Carlo samples (default: the file's, else 20,000).
        years: years to project (default: the file's, else 1).
        catalog: the catalog (default: the process catalog).
        progress: called with a short description before each model evaluation.

    Raises:
        ScenarioError: fewer than 100 samples, or a model error (naming the field).
    """
    ctx = context(loaded, samples=samples, years=years, catalog=catalog, progress=progress)
    return summarise(evaluate(ctx, loaded.spec), loaded.spec, ctx)


def run(
    loaded: LoadedScenario,
    *,
    samples: int | None = None,
    years: int | None = None,
    catalog: Catalog | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """:func:`project` in its JSON form (see ``wattlens scenario run --help``)."""
    result = project(loaded, samples=samples, years=years, catalog=catalog, progress=progress)
    return result.to_dict()


__all__ = ["DAYS_PER_YEAR", "Context", "Evaluation", "Progress", "evaluate", "project", "run"]
