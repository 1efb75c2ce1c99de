"""Levers: transformations of a scenario, applied one after another, and the waterfall.

Each lever returns a new scenario (the file's state after that lever); the
engine re-estimates what changed (inference samples of unchanged classes are
reused) and the waterfall reports, per lever, the state after it and the
saving against the state before it. Draws are seeded per input, so the same
sample index means the same world in every state: savings are per-sample
differences, and their p5..p95 is the lever's own range.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

from wattlens.scenario.schema import (
    CLASS_LEVERS,
    BatchLever,
    CleanEnergyLever,
    EfficiencyLever,
    HardwareLever,
    Lever,
    ModelLever,
    PueLever,
    QuantiseLever,
    RelocateLever,
    RequestClass,
    Scenario,
    ShorterOutputsLever,
)
from wattlens.types import Range, WarningItem

if TYPE_CHECKING:
    from wattlens.catalog import Catalog
    from wattlens.scenario.loader import LoadedScenario
    from wattlens.scenario.results import Evaluation
    from wattlens.scenario.sampling import Array, Progress

METRICS = (
    "energy_j",
    "it_energy_j",
    "co2e_location_g",
    "co2e_market_g",
    "water_l",
    "cost",
    "cost_usd",
)


def _targets(spec: Scenario, lever: Any) -> list[int]:
    names = getattr(lever, "requests", None)
    modelled_only = lever.kind in CLASS_LEVERS
    return [
        i
        for i, r in enumerate(spec.requests)
        if (names is None or r.name in names) and (r.modelled or not modelled_only)
    ]


def _effective(spec: Scenario, r: RequestClass) -> tuple[str | None, int | None]:
    hw = spec.hardware
    accelerator = r.accelerator or (hw.accelerator if hw else None)
    count = r.count if r.count is not None else (hw.count if hw and r.accelerator is None else None)
    return accelerator, count


def apply(spec: Scenario, lever: Lever) -> tuple[Scenario, list[WarningItem]]:
    """The scenario after one lever, and notes (e.g. a lever that changes nothing).

    Args:
        spec: the scenario state before the lever.
        lever: the lever (from the file's ``levers:`` list).

    Returns:
        The new state and a list of notes.
    """
    notes: list[WarningItem] = []
    if isinstance(lever, PueLever):
        return spec.model_copy(update={"pue": lever.pue}), notes
    if isinstance(lever, CleanEnergyLever):
        return spec.model_copy(update={"clean_energy_share": lever.share}), notes
    if isinstance(lever, RelocateLever):
        return spec.model_copy(update={"location": lever.location}), notes
    targets = _targets(spec, lever)
    if not targets:
        text = f"{lever.kind}: no request class it applies to; nothing changes"
        notes.append(WarningItem("lever-no-target", text))
        return spec, notes
    classes = list(spec.requests)
    for i in targets:
        r = classes[i]
        update: dict[str, Any] = {}
        if isinstance(lever, HardwareLever):
            update = {"accelerator": lever.accelerator, "count": lever.count}
        elif isinstance(lever, QuantiseLever):
            update = {"precision": lever.precision}
        elif isinstance(lever, BatchLever):
            update = {"batch": lever.batch}
        elif isinstance(lever, ShorterOutputsLever):
            assert r.output_tokens is not None
            update = {"output_tokens": r.output_tokens.scaled(lever.factor.low)}
        elif isinstance(lever, ModelLever):
            # Another model needs its own memory: the accelerator count is fitted again.
            accelerator, _ = _effective(spec, r)
            update = {
                "model": lever.model,
                "params": None,
                "active_params": None,
                "accelerator": accelerator,
                "count": lever.count,
            }
        elif isinstance(lever, EfficiencyLever):
            update = {"energy_factors": (*r.energy_factors, lever.factor)}
        classes[i] = r.model_copy(update=update)
    return spec.model_copy(update={"requests": tuple(classes)}), notes


def describe(lever: Lever) -> str:
    """A short label: the file's ``label:`` or one made from the lever."""
    if lever.label:
        return lever.label
    labels: dict[type, Any] = {
        HardwareLever: lambda x: f"hardware: {x.accelerator}",
        QuantiseLever: lambda x: f"quantise to {x.precision}",
        BatchLever: lambda x: f"batch {x.batch.describe()}",
        ShorterOutputsLever: lambda x: f"outputs x {x.factor.low:g}",
        ModelLever: lambda x: f"model: {x.model}",
        EfficiencyLever: lambda x: f"efficiency x {x.factor.describe()}",
        PueLever: lambda x: f"PUE {x.pue.describe()}",
        CleanEnergyLever: lambda x: f"clean energy {x.share.describe(0.01, '%')}",
        RelocateLever: lambda x: (
            "relocate to "
            + ", ".join(
                p.name if len(x.location) == 1 else f"{p.name} {p.share.low:g}" for p in x.location
            )
        ),
    }
    return str(labels[type(lever)](lever))


def _ratio(part: Array, whole: Array) -> Array:
    """part / whole, 0 where the whole is 0 (a zero baseline saves nothing)."""
    import numpy as np

    out: Array = np.divide(part, whole, out=np.zeros_like(part), where=whole != 0)
    return out


@dataclass(frozen=True)
class Metrics:
    """The waterfall's figures of one state (or a saving, or a share of the baseline).

    First projected year, except ``energy_total_j`` (all projected years). A
    cost is None where the state (or the baseline) has no price.
    """

    energy_j: Range | None
    it_energy_j: Range | None
    co2e_location_g: Range | None
    co2e_market_g: Range | None
    water_l: Range | None
    cost: Range | None
    cost_usd: Range | None
    energy_total_j: Range | None

    def to_dict(self) -> dict[str, Any]:
        return {
            f.name: None if (r := getattr(self, f.name)) is None else r.to_dict()
            for f in fields(self)
        }


@dataclass(frozen=True)
class Saving:
    """From the baseline to the optimised state: what is saved, and its share of the baseline."""

    saving: Range
    share: Range

    def to_dict(self) -> dict[str, Any]:
        return {"saving": self.saving.to_dict(), "share": self.share.to_dict()}


@dataclass(frozen=True)
class Step:
    """One lever: the state after it, and its saving against the state before it."""

    lever: str
    kind: str
    basis: str | None
    after: Metrics
    saving: Metrics
    saving_share_of_baseline: Metrics
    notes: tuple[WarningItem, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "lever": self.lever,
            "kind": self.kind,
            "basis": self.basis,
            "after": self.after.to_dict(),
            "saving": self.saving.to_dict(),
            "saving_share_of_baseline": self.saving_share_of_baseline.to_dict(),
            "notes": [n.text for n in self.notes],
        }


@dataclass(frozen=True)
class Waterfall:
    """The file's levers applied in order, from the baseline to the optimised state."""

    scenario: str
    file: str
    metric_year: int
    samples: int
    seed: int
    years: int
    currency: str | None
    baseline: Metrics
    steps: tuple[Step, ...]
    optimised: Metrics
    total_saving: dict[str, Saving | None]
    """Per metric (the names of :class:`Metrics`); None where a cost is missing."""
    assumptions: tuple[WarningItem, ...]
    sources: tuple[str, ...]
    warnings: tuple[WarningItem, ...]
    estimate_calls: int
    """Model runs made: the baseline's, and those of the classes a lever changed."""
    method: str = "estimated"
    boundary: str = "facility"

    def to_dict(self) -> dict[str, Any]:
        """The stable JSON form (see ``wattlens scenario levers --help``)."""
        return {
            "scenario": self.scenario,
            "file": self.file,
            "method": self.method,
            "boundary": self.boundary,
            "metric_year": self.metric_year,
            "samples": self.samples,
            "seed": self.seed,
            "years": self.years,
            "currency": self.currency,
            "baseline": self.baseline.to_dict(),
            "steps": [s.to_dict() for s in self.steps],
            "optimised": self.optimised.to_dict(),
            "total_saving": {
                k: None if v is None else v.to_dict() for k, v in self.total_saving.items()
            },
            "assumptions": [a.text for a in self.assumptions],
            "sources": list(self.sources),
            "warnings": [w.text for w in self.warnings],
            "estimate_calls": self.estimate_calls,
        }


def _samples(ev: Evaluation) -> dict[str, Array | None]:
    """Year-1 samples of each waterfall metric (and projection totals of energy)."""
    return {
        "energy_j": ev.facility_j[0],
        "it_energy_j": ev.it_j[0],
        "co2e_location_g": ev.co2e_location_g[0],
        "co2e_market_g": ev.co2e_market_g[0],
        "water_l": ev.water_onsite_l[0] + ev.water_offsite_l[0],
        "cost": None if ev.cost is None else ev.cost[0],
        "cost_usd": None if ev.cost_usd is None else ev.cost_usd[0],
        "energy_total_j": ev.facility_j.sum(axis=0),
    }


def _summary(values: dict[str, Array | None]) -> Metrics:
    from wattlens.scenario.results import quantiles

    return Metrics(**{k: None if v is None else quantiles(v) for k, v in values.items()})


def lever_waterfall(
    loaded: LoadedScenario,
    *,
    samples: int | None = None,
    years: int | None = None,
    catalog: Catalog | None = None,
    progress: Progress | None = None,
) -> Waterfall:
    """Apply the file's levers in order; the baseline, each step and the optimised state.

    Metrics are for the first projected year (``energy_total_j``: all years).

    Args:
        loaded: a scenario from :func:`wattlens.scenario.load`.
        samples: Monte Carlo samples (default: the file's).
        years: years to project (default: the file's).
        catalog: the catalog (default: the process catalog).
        progress: called with a short description before each model evaluation.

    Raises:
        ScenarioError: the file lists no levers, or a lever makes the model fail.
    """
    from wattlens.scenario.engine import evaluate
    from wattlens.scenario.results import unique_warnings
    from wattlens.scenario.sampling import context

    spec = loaded.spec
    if not spec.levers:
        raise loaded.error(
            (), "lists no levers", "add `levers:` with e.g. `- {kind: pue, pue: 1.1}`"
        )
    ctx = context(loaded, samples=samples, years=years, catalog=catalog, progress=progress)
    baseline_ev = evaluate(ctx, spec)
    base = prev = _samples(baseline_ev)
    steps: list[Step] = []
    state = spec
    for i, lever in enumerate(spec.levers):
        ctx.tell(f"lever {i + 1}/{len(spec.levers)}: {describe(lever)}")
        state, notes = apply(state, lever)
        cur = _samples(evaluate(ctx, state, where=("levers", i)))
        steps.append(_step(lever, notes, prev, cur, base))
        prev = cur
    return Waterfall(
        scenario=spec.name,
        file=loaded.file,
        metric_year=spec.base_year or 1,
        samples=ctx.samples,
        seed=ctx.seed,
        years=ctx.years,
        currency=baseline_ev.currency,
        baseline=_summary(base),
        steps=tuple(steps),
        optimised=_summary(prev),
        total_saving=_total_saving(base, prev),
        assumptions=(*baseline_ev.assumptions, *_WATERFALL_ASSUMPTIONS),
        sources=tuple(spec.sources),
        warnings=unique_warnings(baseline_ev.warnings),
        estimate_calls=ctx.estimate_calls,
    )


_WATERFALL_ASSUMPTIONS = (
    WarningItem(
        "lever-order",
        "levers apply in the file's order; each saving is against the state before it",
    ),
    WarningItem(
        "per-sample-savings",
        "savings are per-sample differences (same draws in every state): p5..p95 is "
        "the lever's own range",
    ),
)


def _step(
    lever: Lever,
    notes: list[WarningItem],
    prev: dict[str, Array | None],
    cur: dict[str, Array | None],
    base: dict[str, Array | None],
) -> Step:
    """One lever's step: the state after it and its saving against the state before it."""
    from wattlens.scenario.results import quantiles

    saving: dict[str, Range | None] = {}
    share: dict[str, Range | None] = {}
    for name, b in cur.items():
        a, b0 = prev[name], base[name]
        if a is None or b is None or b0 is None:
            saving[name] = share[name] = None
            continue
        saving[name] = quantiles(a - b)
        share[name] = quantiles(_ratio(a - b, b0))
    return Step(
        lever=describe(lever),
        kind=lever.kind,
        basis=lever.basis,
        after=_summary(cur),
        saving=Metrics(**saving),
        saving_share_of_baseline=Metrics(**share),
        notes=tuple(notes),
    )


def _total_saving(
    base: dict[str, Array | None], optimised: dict[str, Array | None]
) -> dict[str, Saving | None]:
    from wattlens.scenario.results import quantiles

    total: dict[str, Saving | None] = {}
    for name, a in base.items():
        b = optimised[name]
        total[name] = (
            None
            if a is None or b is None
            else Saving(quantiles(a - b), quantiles(_ratio(a - b, a)))
        )
    return total


def waterfall(
    loaded: LoadedScenario,
    *,
    samples: int | None = None,
    years: int | None = None,
    catalog: Catalog | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """:func:`lever_waterfall` in its JSON form (see ``wattlens scenario levers --help``).

    Returns:
        ``{scenario, file, currency, baseline, steps: [{lever, kind, basis, after,
        saving, saving_share_of_baseline, notes}], optimised, total_saving, …}``.
    """
    return lever_waterfall(
        loaded, samples=samples, years=years, catalog=catalog, progress=progress
    ).to_dict()


__all__ = [
    "METRICS",
    "Metrics",
    "Saving",
    "Step",
    "Waterfall",
    "apply",
    "describe",
    "lever_waterfall",
    "waterfall",
]
