"""Training runs: their energy (``estimate.training``), amortised evenly over years.

A run's server-boundary energy is estimated once and remembered; a range of days
or accelerator-hours scales the samples (energy is linear in duration). Each
run adds ``1 / amortise_years`` of its energy to each of its first years, at
its own PUE and location when it has them, else the scenario's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np  # noqa: TID253 - the engine is imported only by the CLI and API calls

from wattlens.errors import WattlensError
from wattlens.scenario.impacts import Mix, Terms, chain, location_mix
from wattlens.scenario.sampling import as_fields, model_value
from wattlens.scenario.schema import LocationShare, Scenario, TrainingRun

if TYPE_CHECKING:
    from wattlens.estimate.inputs import TrainingInputs
    from wattlens.impacts import Chain
    from wattlens.scenario.sampling import Array, Context


@dataclass(frozen=True)
class RunEnergy:
    """One training run: its server-boundary and facility energy (samples)."""

    name: str
    amortise_years: int
    it_j: Array
    facility_j: Array
    pue: str
    """The run's PUE as the file gives it, or ``scenario pue``."""


@dataclass(frozen=True)
class Training:
    """The training runs' energy and impacts per year (rows) and sample (columns)."""

    it_j: Array
    impacts: Chain | None
    """None without training runs."""
    runs: tuple[RunEnergy, ...]
    sources: tuple[str, ...]


def model_inputs(ctx: Context, run: TrainingRun) -> TrainingInputs:
    """The inputs of a run's training estimate (server boundary, PUE 1).

    A range of days or accelerator-hours is modelled at its centre and scales the
    samples afterwards (energy is linear in duration); an MFU range is drawn inside
    the model's Monte Carlo.
    """
    from wattlens.estimate.inputs import TrainingInputs

    return TrainingInputs.build(
        accelerator=run.accelerator,
        count=run.count,
        accelerator_hours=run.accelerator_hours.central if run.accelerator_hours else None,
        days=run.days.central if run.days else None,
        model=run.model,
        params=run.params,
        tokens=run.tokens,
        mfu=None if run.mfu is None else model_value(run.mfu),
        precision=run.precision,
        boundary="server",
        pue=1.0,
        samples=ctx.samples,
        seed=ctx.seed,
    )


def run_it(ctx: Context, run: TrainingRun) -> Array:
    """Server-boundary joules of one training run (samples), remembered."""
    key = ("training", run.name, run.days, run.accelerator_hours, model_inputs(ctx, run))
    return ctx.remember(key, lambda: _estimate(ctx, run))


def _estimate(ctx: Context, run: TrainingRun) -> Array:
    ctx.tell(f"estimating training run {run.name}")
    result = model_inputs(ctx, run).run(ctx.catalog)
    ctx.estimate_calls += 1
    energy: Array = np.asarray(result.samples_j["server"], dtype=np.float64)
    # Energy is linear in duration: a range of days or hours scales the samples.
    for span, label in ((run.days, "days"), (run.accelerator_hours, "accelerator_hours")):
        if span is not None and not span.is_point:
            draws = ctx.draws.uniform(f"training.{run.name}.{label}", span)
            energy = energy * draws / span.central
    return energy


def training(ctx: Context, spec: Scenario, pue: Array, mix: Mix, terms: Terms) -> Training:
    """The training runs' energy and impacts per year and sample.

    Raises:
        ScenarioError: a model error, pointing at the run.
    """
    from wattlens.impacts import apply_pue

    n, years = ctx.samples, ctx.years
    k = np.arange(years, dtype=np.float64)[:, None]
    it_total = np.zeros((years, n))
    impacts: Chain | None = None
    runs: list[RunEnergy] = []
    sources: list[str] = []
    for i, run in enumerate(spec.training):
        try:
            e = run_it(ctx, run)
        except WattlensError as exc:
            raise ctx.loaded.error(
                ("training", i), f"{run.name}: {as_fields(exc.message)}", as_fields(exc.hint or "")
            ) from None
        run_pue = ctx.draws.uniform(f"training.{run.name}.pue", run.pue) if run.pue else pue
        run_mix = location_mix(ctx, (LocationShare(name=run.location),)) if run.location else mix
        spread = (k < run.amortise_years).astype(np.float64) / run.amortise_years
        it = spread * e[None, :]
        it_total += it
        part = chain(it, run_pue, run_mix, terms)
        impacts = part if impacts is None else impacts + part
        runs.append(
            RunEnergy(
                name=run.name,
                amortise_years=run.amortise_years,
                it_j=e,
                facility_j=apply_pue(e, run_pue),
                pue=run.pue.describe() if run.pue else "scenario pue",
            )
        )
        source = f"accelerators/{run.accelerator}"
        if source not in sources:
            sources.append(source)
    return Training(it_total, impacts, tuple(runs), tuple(sources))
