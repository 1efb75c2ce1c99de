"""Demand and per-request energy: requests per year x the request mix's energy.

Each request class is estimated once per distinct model input (accelerator,
count, precision, tokens, output length, batch) with ``estimate.inference``;
its server-boundary samples are remembered and reused by every year and every
lever that leaves the class alone. Ranges (input and output tokens, batch)
are drawn inside the model's own Monte Carlo.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np  # noqa: TID253 - the engine is imported only by the CLI and API calls

from wattlens.errors import WattlensError
from wattlens.scenario.sampling import DAYS_PER_YEAR, as_fields, model_value
from wattlens.scenario.schema import Demand as DemandSpec
from wattlens.scenario.schema import RequestClass, Scenario, Span
from wattlens.types import WarningItem

if TYPE_CHECKING:
    from wattlens.embodied import Embodied
    from wattlens.estimate import InferenceEstimate
    from wattlens.estimate.inputs import InferenceInputs
    from wattlens.scenario.loader import Loc
    from wattlens.scenario.sampling import Array, Context


@dataclass(frozen=True)
class ClassInfo:
    """How a request class's energy per request was obtained (the JSON ``requests`` item)."""

    name: str
    share: float
    method: Literal["given", "modelled"]
    boundary: str | None = None
    """Given figures: the boundary the file's figure counts."""
    energy_per_request: str | None = None
    """Given figures: the figure as the file wrote it."""
    model: str | None = None
    accelerator: str | None = None
    count: int | None = None
    batch: str | None = None
    precision: str | None = None
    output_tokens: str | None = None
    input_tokens: str | None = None
    sources: tuple[str, ...] = ()
    warnings: tuple[WarningItem, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "share": self.share, "method": self.method}
        if self.method == "given":
            out.update(boundary=self.boundary, energy_per_request=self.energy_per_request)
            return out
        out.update(
            model=self.model,
            accelerator=self.accelerator,
            count=self.count,
            batch=self.batch,
            precision=self.precision,
            output_tokens=self.output_tokens,
            input_tokens=self.input_tokens,
            sources=list(self.sources),
            warnings=[w.text for w in self.warnings],
        )
        return out


@dataclass(frozen=True)
class ClassEnergy:
    """A request class's server-boundary joules per request (samples) and its description."""

    info: ClassInfo
    it_j: Array
    embodied: Embodied | None = None
    """Modelled classes: the manufacturing impacts per request (carbon samples kept)."""


@dataclass(frozen=True)
class Demand:
    """Requests and inference IT energy of one scenario state, per year and sample."""

    classes: tuple[ClassEnergy, ...]
    per_request: Array | None
    """Server-boundary joules per request of the request mix (None: no request classes)."""
    requests_day: Array
    requests_year: Array
    inference_it: Array
    warnings: tuple[WarningItem, ...]
    sources: tuple[str, ...]


@dataclass(frozen=True)
class _ModelRun:
    server_j: Array
    estimate: InferenceEstimate


def _hardware(r: RequestClass, spec: Scenario) -> tuple[str | None, int | None, str]:
    """The accelerator, count and precision a class runs on (its own, else the hardware's)."""
    hw = spec.hardware
    accelerator = r.accelerator or (hw.accelerator if hw else None)
    count = (
        r.count if r.count is not None else (hw.count if (hw and r.accelerator is None) else None)
    )
    precision = r.precision or (hw.precision if hw else "bf16")
    return accelerator, count, precision


def model_inputs(ctx: Context, r: RequestClass, spec: Scenario) -> InferenceInputs:
    """The inputs of a modelled class's inference estimate (server boundary, PUE 1).

    The file's ranges (input and output tokens, batch) are drawn inside the model's
    own Monte Carlo.
    """
    from wattlens.estimate.inputs import InferenceInputs

    accelerator, count, precision = _hardware(r, spec)
    assert r.output_tokens is not None  # a modelled class has output tokens
    return InferenceInputs.build(
        output_tokens=model_value(r.output_tokens),
        accelerator=accelerator,
        model=r.model,
        params=r.params,
        active_params=r.active_params,
        input_tokens=None if r.input_tokens is None else model_value(r.input_tokens),
        count=count,
        pipeline=r.pipeline,
        batch=model_value(_batch(r, spec)),
        precision=precision,
        stack=r.stack,
        boundary="server",
        pue=1.0,
        samples=ctx.samples,
        seed=ctx.seed,
    )


def _batch(r: RequestClass, spec: Scenario) -> Span:
    hw = spec.hardware
    return r.batch or (hw.batch if hw else Span(64.0, 64.0))


def _model(ctx: Context, name: str, inputs: InferenceInputs) -> _ModelRun:
    """The inference estimate of some inputs, remembered for every state that has them."""
    return ctx.remember(("inference", inputs), lambda: _estimate(ctx, name, inputs))


def _estimate(ctx: Context, name: str, inputs: InferenceInputs) -> _ModelRun:
    ctx.tell(f"estimating {name} on {inputs.accelerator}")
    result = inputs.run(ctx.catalog)
    ctx.estimate_calls += 1
    return _ModelRun(np.asarray(result.samples_j["server"], dtype=np.float64), result)


def class_energy(ctx: Context, spec: Scenario, index: int, pue: Array) -> ClassEnergy:
    """Server-boundary joules per request of one class (samples), and its description.

    Args:
        ctx: the evaluation's context.
        spec: the scenario state.
        index: the class's position in ``spec.requests``.
        pue: the scenario's PUE per sample (a given facility figure is divided by it).
    """
    r = spec.requests[index]
    name = f"requests.{r.name}"
    draws = ctx.draws
    if r.energy_per_request is not None:
        given = draws.uniform(f"{name}.energy_per_request", r.energy_per_request)
        if r.boundary == "facility":
            given = given / pue  # the file's figure already includes the PUE
        info = ClassInfo(
            name=r.name,
            share=r.share.low,
            method="given",
            boundary=r.boundary,
            energy_per_request=r.energy_per_request.describe(3600.0, "Wh"),
        )
        energy = given
        made = None
    else:
        inputs = model_inputs(ctx, r, spec)
        model = _model(ctx, r.name, inputs)
        energy = model.server_j
        est = model.estimate
        made = est.embodied
        out = r.output_tokens
        assert out is not None
        info = ClassInfo(
            name=r.name,
            share=r.share.low,
            method="modelled",
            model=r.model or f"{r.params:.3g} parameters",
            accelerator=est.accelerator,
            count=est.count,
            batch=_batch(r, spec).describe(),
            precision=est.precision,
            output_tokens=out.describe(),
            input_tokens=r.input_tokens.describe() if r.input_tokens else "250..4000 (default)",
            sources=tuple(est.sources),
            warnings=est.warnings,
        )
    for i, factor in enumerate(r.energy_factors):
        energy = energy * draws.uniform(f"{name}.energy_factors.{i}", factor)
    return ClassEnergy(info, energy, made)


#: Warnings of a class's model that a scenario does not repeat: it reports the facility.
SKIPPED_CLASS_WARNINGS = frozenset({"server-boundary", "accelerator-boundary"})


def requests(ctx: Context, d: DemandSpec) -> tuple[Array, Array]:
    """Requests a day (samples) and per year (years x samples): no lever changes them."""
    return ctx.remember(("requests", d), lambda: _requests(ctx, d))


def _requests(ctx: Context, d: DemandSpec) -> tuple[Array, Array]:
    draws = ctx.draws
    if d.requests_per_day is not None:
        per_day = draws.uniform("demand.requests_per_day", d.requests_per_day)
    else:
        assert d.users is not None
        assert d.requests_per_user_per_day is not None
        per_day = draws.uniform("demand.users", d.users) * draws.uniform(
            "demand.requests_per_user_per_day", d.requests_per_user_per_day
        )
    g = draws.uniform("demand.growth_per_year", d.growth_per_year)
    k = np.arange(ctx.years, dtype=np.float64)[:, None]
    growth = (1.0 + g)[None, :] ** k
    return per_day, per_day[None, :] * growth * DAYS_PER_YEAR


def demand(ctx: Context, spec: Scenario, pue: Array, where: Loc = ()) -> Demand:
    """Requests per year (demand x growth) and their inference IT energy.

    Raises:
        ScenarioError: a model error, pointing at the class (or ``where``, a lever).
    """
    n, years = ctx.samples, ctx.years
    if not spec.requests or spec.demand is None:
        none = np.zeros((years, n))
        return Demand((), None, np.zeros(n), none, none, (), ())
    requests_day, requests_year = requests(ctx, spec.demand)
    classes: list[ClassEnergy] = []
    warnings: list[WarningItem] = []
    sources: list[str] = []
    per_request = np.zeros(n)
    for i, r in enumerate(spec.requests):
        try:
            c = class_energy(ctx, spec, i, pue)
        except WattlensError as exc:
            if hasattr(exc, "issues"):
                raise
            loc = where or ("requests", i)
            raise ctx.loaded.error(
                loc, f"{r.name}: {as_fields(exc.message)}", as_fields(exc.hint or "")
            ) from None
        per_request = per_request + r.share.low * c.it_j
        classes.append(c)
        sources.extend(s for s in c.info.sources if s not in sources)
        warnings.extend(
            WarningItem(w.code, f"{r.name}: {w.text}")
            for w in c.info.warnings
            if w.code not in SKIPPED_CLASS_WARNINGS
        )
    return Demand(
        tuple(classes),
        per_request,
        requests_day,
        requests_year,
        requests_year * per_request,
        tuple(warnings),
        tuple(sources),
    )
