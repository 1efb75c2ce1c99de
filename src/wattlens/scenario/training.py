"""Training runs: their energy (``estimate.training``), amortised evenly over years.

A run's server-boundary energy is estimated once and cached; a range of days
or accelerator-hours scales the samples (energy is linear in duration). Each
run adds ``1 / amortise_years`` of its energy to each of its first years, at
its own PUE and location when it has them, else the scenario's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np  # noqa: TID253 - the engine is imported only by the CLI and API calls

from wattlens.errors import WattlensError
from wattlens.scenario.impacts import Factors, ImpactsMixin
from wattlens.scenario.results import quantiles
from wattlens.scenario.sampling import as_fields
from wattlens.scenario.schema import LocationShare, Scenario, TrainingRun

if TYPE_CHECKING:
    from wattlens.scenario.sampling import Array


@dataclass
class Amortised:
    """Training energy and its impacts per year (rows) and sample (columns)."""

    it_j: Array
    facility_j: Array
    co2e_g: Array
    water_offsite_l: Array
    runs: list[dict[str, Any]]


class TrainingMixin(ImpactsMixin):
    """Training runs' energy, amortised over their years at their PUE and location."""

    def training_it(self, run: TrainingRun) -> Array:
        """Server-boundary joules of one training run (samples)."""
        from wattlens import estimate
        from wattlens.models.uncertainty import Uncertain

        key = (
            run.name,
            run.accelerator,
            run.count,
            run.days,
            run.accelerator_hours,
            run.model,
            run.params,
            run.tokens,
            run.mfu,
            run.precision,
        )
        cached = self._training.get(key)
        if cached is not None:
            return cached
        if self.progress:
            self.progress(f"estimating training run {run.name}")
        mfu = (
            None
            if run.mfu is None
            else (
                run.mfu.low
                if run.mfu.is_point
                else Uncertain(run.mfu.low, run.mfu.high, basis="scenario file")
            )
        )
        result = estimate.training(
            accelerator=run.accelerator,
            count=run.count,
            accelerator_hours=run.accelerator_hours.central if run.accelerator_hours else None,
            days=run.days.central if run.days else None,
            model=run.model,
            params=run.params,
            tokens=run.tokens,
            mfu=mfu,
            precision=run.precision,
            boundary="server",
            pue=1.0,
            samples=self.samples,
            seed=self.seed,
            catalog=self.catalog,
        )
        self.estimate_calls += 1
        energy: Array = np.asarray(result.samples_j["server"], dtype=np.float64)
        # Energy is linear in duration: a range of days or hours scales the samples.
        for span, label in ((run.days, "days"), (run.accelerator_hours, "accelerator_hours")):
            if span is not None and not span.is_point:
                energy = energy * self.draw(f"training.{run.name}.{label}", span) / span.central
        self._training[key] = energy
        return energy

    def amortise_training(
        self, spec: Scenario, pue: Array, factors: Factors, sources: list[str]
    ) -> Amortised:
        """The training runs' energy, carbon and off-site water per year and sample.

        Appends each run's accelerator catalog row to ``sources``.

        Raises:
            ScenarioError: a model error, pointing at the run.
        """
        n, years = self.samples, self.years
        k = np.arange(years, dtype=np.float64)[:, None]
        training_it = np.zeros((years, n))
        training_facility = np.zeros((years, n))
        training_co2 = np.zeros((years, n))
        training_water_off = np.zeros((years, n))
        runs: list[dict[str, Any]] = []
        for i, run in enumerate(spec.training):
            try:
                e = self.training_it(run)
            except WattlensError as exc:
                raise self.loaded.error(
                    ("training", i),
                    f"{run.name}: {as_fields(exc.message)}",
                    as_fields(exc.hint or ""),
                ) from None
            run_pue = self.draw(f"training.{run.name}.pue", run.pue) if run.pue else pue
            run_factors = (
                self.factors((LocationShare(name=run.location),)) if run.location else factors
            )
            spread = (k < run.amortise_years).astype(np.float64) / run.amortise_years
            it = spread * e[None, :]
            training_it += it
            training_facility += it * run_pue
            training_co2 += it * run_pue * run_factors.co2e_g_per_j
            training_water_off += it * run_pue * run_factors.water_offsite_l_per_j
            runs.append(
                {
                    "name": run.name,
                    "amortise_years": run.amortise_years,
                    "it_energy_j": quantiles(e),
                    "facility_energy_j": quantiles(e * run_pue),
                    "pue": (run.pue.describe() if run.pue else "scenario pue"),
                }
            )
            sources.extend(s for s in (f"accelerators/{run.accelerator}",) if s not in sources)
        return Amortised(training_it, training_facility, training_co2, training_water_off, runs)
