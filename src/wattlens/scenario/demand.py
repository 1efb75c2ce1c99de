"""Demand and per-request energy: requests per year x the request mix's energy.

Each request class is estimated once per distinct model input (accelerator,
count, precision, tokens, output length, batch) with ``estimate.inference``;
its server-boundary samples are cached and reused by every year and every
lever that leaves the class alone. Ranges of output tokens and batch are
modelled at their ends and interpolated per sample.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np  # noqa: TID253 - the engine is imported only by the CLI and API calls

from wattlens.errors import WattlensError
from wattlens.scenario.sampling import DAYS_PER_YEAR, Sampler, as_fields
from wattlens.scenario.schema import RequestClass, Scenario, Span

if TYPE_CHECKING:
    from wattlens.scenario.loader import Loc
    from wattlens.scenario.sampling import Array


@dataclass
class DemandEnergy:
    """Requests and inference IT energy of one scenario state, per year and sample."""

    classes: list[dict[str, Any]]
    per_request: Array | None
    requests_day: Array
    requests_year: Array
    inference_it: Array


class DemandMixin(Sampler):
    """Per-request energy of the request classes, and the demand that multiplies it."""

    def _key(self, r: RequestClass, spec: Scenario, output: float, batch: float) -> tuple[Any, ...]:
        hw = spec.hardware
        accelerator = r.accelerator or (hw.accelerator if hw else None)
        count = (
            r.count
            if r.count is not None
            else (hw.count if (hw and r.accelerator is None) else None)
        )
        precision = r.precision or (hw.precision if hw else "bf16")
        t = r.input_tokens
        return (
            r.model,
            r.params,
            r.active_params,
            accelerator,
            count,
            precision,
            None if t is None else (t.low, t.high),
            output,
            batch,
        )

    def _estimate(self, r: RequestClass, spec: Scenario, output: float, batch: float) -> Array:
        from wattlens import estimate
        from wattlens.models.uncertainty import Uncertain

        key = self._key(r, spec, output, batch)
        cached = self._inference.get(key)
        if cached is not None:
            return cached
        _, _, _, accelerator, count, precision, tokens, _, _ = key
        input_tokens: Uncertain | float | None = None
        if tokens is not None:
            low, high = tokens
            input_tokens = low if low == high else Uncertain(low, high, basis="scenario file")
        if self.progress:
            self.progress(f"estimating {r.name} on {accelerator}")
        result = estimate.inference(
            output_tokens=output,
            accelerator=accelerator,
            model=r.model,
            params=r.params,
            active_params=r.active_params,
            input_tokens=input_tokens,
            count=count,
            batch=batch,
            precision=precision,
            boundary="server",
            pue=1.0,
            samples=self.samples,
            seed=self.seed,
            catalog=self.catalog,
        )
        self.estimate_calls += 1
        server: Array = np.asarray(result.samples_j["server"], dtype=np.float64)
        self._inference[key] = server
        self._meta[key] = result
        return server

    def per_request_it(self, spec: Scenario, index: int) -> tuple[Array, dict[str, Any]]:
        """Server-boundary joules per request of one class (samples), and its description."""
        r = spec.requests[index]
        name = f"requests.{r.name}"
        info: dict[str, Any] = {"name": r.name, "share": r.share.low}
        if r.energy_per_request is not None:
            given = self.draw(f"{name}.energy_per_request", r.energy_per_request)
            if r.boundary == "facility":
                given = given / self._pue_samples(spec)
            info.update(
                method="given",
                boundary=r.boundary,
                energy_per_request=r.energy_per_request.describe(3600.0, "Wh"),
            )
            energy = given
        else:
            hw = spec.hardware
            batch = r.batch or (hw.batch if hw else Span(64.0, 64.0))
            out = r.output_tokens
            assert out is not None
            outs = [out.low] if out.is_point else [out.low, out.high]
            batches = [batch.low] if batch.is_point else [batch.low, batch.high]
            corners = {(o, b): self._estimate(r, spec, o, b) for o in outs for b in batches}
            # Ranges of output tokens and batch: the model at the ends, interpolated per sample
            # (decode energy is linear in output tokens and in 1/batch).
            w_out = self.draw(f"{name}.output_tokens", Span(0.0, 1.0)) if len(outs) == 2 else None
            w_b: Array | None = None
            if len(batches) == 2:
                b = self.draw(f"{name}.batch", batch)
                w_b = (1 / batch.low - 1 / b) / (1 / batch.low - 1 / batch.high)
            energy = np.zeros(self.samples)
            for (o, bb), e in corners.items():
                weight: Array | float = 1.0
                if w_out is not None:
                    weight = weight * (w_out if o == out.high else 1 - w_out)
                if w_b is not None:
                    weight = weight * (w_b if bb == batch.high else 1 - w_b)
                energy = energy + weight * e
            first = self._meta[self._key(r, spec, outs[0], batches[0])]
            extra = first.extra
            info.update(
                method="modelled",
                model=r.model or f"{r.params:.3g} parameters",
                accelerator=first.assumptions[0].value.split(":")[0],
                count=extra["count"],
                batch=batch.describe(),
                precision=extra["precision"],
                output_tokens=out.describe(),
                input_tokens=r.input_tokens.describe() if r.input_tokens else "250..4000 (default)",
                sources=list(first.sources),
                warnings=list(first.warnings),
            )
        for i, factor in enumerate(r.energy_factors):
            energy = energy * self.draw(f"{name}.energy_factors.{i}", factor)
        info["energy_per_request_it_j"] = energy  # samples; summarised in `summarise`
        return energy, info

    def demand_energy(
        self, spec: Scenario, where: Loc, warnings: list[str], sources: list[str]
    ) -> DemandEnergy:
        """Requests per year (demand x growth) and their inference IT energy.

        Appends the classes' catalog sources and warnings to ``sources`` and ``warnings``.

        Raises:
            ScenarioError: a model error, pointing at the class (or ``where``, a lever).
        """
        n, years = self.samples, self.years
        k = np.arange(years, dtype=np.float64)[:, None]
        classes: list[dict[str, Any]] = []
        per_request: Array | None = None
        requests_day = np.zeros(n)
        growth = np.ones((years, n))
        if spec.requests and spec.demand is not None:
            d = spec.demand
            if d.requests_per_day is not None:
                requests_day = self.draw("demand.requests_per_day", d.requests_per_day)
            else:
                assert d.users is not None
                assert d.requests_per_user_per_day is not None
                requests_day = self.draw("demand.users", d.users) * self.draw(
                    "demand.requests_per_user_per_day", d.requests_per_user_per_day
                )
            g = self.draw("demand.growth_per_year", d.growth_per_year)
            growth = (1.0 + g)[None, :] ** k
            per_request = np.zeros(n)
            for i, r in enumerate(spec.requests):
                try:
                    e, info = self.per_request_it(spec, i)
                except WattlensError as exc:
                    if hasattr(exc, "issues"):
                        raise
                    loc = where or ("requests", i)
                    raise self.loaded.error(
                        loc, f"{r.name}: {as_fields(exc.message)}", as_fields(exc.hint or "")
                    ) from None
                per_request = per_request + r.share.low * e
                classes.append(info)
                sources.extend(s for s in info.get("sources", []) if s not in sources)
                warnings.extend(
                    f"{r.name}: {w}" for w in info.get("warnings", []) if "boundary" not in w
                )
        requests_year = requests_day[None, :] * growth * DAYS_PER_YEAR
        inference_it = (
            requests_year * per_request if per_request is not None else np.zeros((years, n))
        )
        return DemandEnergy(classes, per_request, requests_day, requests_year, inference_it)
