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
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np  # noqa: TID253 - the engine is imported only by the CLI and API calls

from wattlens.errors import WattlensError
from wattlens.scenario.schema import LocationShare, RequestClass, Scenario, Span, TrainingRun
from wattlens.units import J_PER_KWH

if TYPE_CHECKING:
    import numpy.typing as npt

    from wattlens.catalog import Catalog
    from wattlens.scenario.loader import LoadedScenario, Loc

    Array = npt.NDArray[np.float64]

DAYS_PER_YEAR = 365.0
Progress = Callable[[str], None]


@dataclass(frozen=True)
class Factors:
    """Per-joule impact factors of a location mix (SI: g/J, L/J, currency/J)."""

    co2e_g_per_j: float
    water_offsite_l_per_j: float
    locations: list[dict[str, Any]]
    sources: list[str]
    warnings: list[str]


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


class Engine:
    """Evaluates scenario states; caches per-class inference samples across levers."""

    def __init__(
        self,
        loaded: LoadedScenario,
        *,
        samples: int | None = None,
        years: int | None = None,
        catalog: Catalog | None = None,
        progress: Progress | None = None,
    ) -> None:
        from wattlens.catalog import get_catalog

        self.loaded = loaded
        self.samples = samples or loaded.spec.samples
        self.years = years or loaded.spec.years
        if self.samples < 100:
            raise loaded.error(("samples",), f"at least 100 samples, got {self.samples}")
        self.catalog = catalog or get_catalog()
        self.progress = progress
        self.seed = loaded.spec.seed
        self._inference: dict[tuple[Any, ...], Array] = {}
        self._training: dict[tuple[Any, ...], Array] = {}
        self._factors: dict[tuple[Any, ...], Factors] = {}
        self._price: dict[tuple[Any, ...], tuple[Span | None, str | None, float | None]] = {}
        self._draws: dict[tuple[str, float, float], Array] = {}
        self._meta: dict[tuple[Any, ...], Any] = {}
        self.estimate_calls = 0

    # -- sampling --------------------------------------------------------------
    def draw(self, name: str, span: Span) -> Array:
        """Uniform samples of a range, seeded per name (same draws in every lever state)."""
        key = (name, span.low, span.high)
        cached = self._draws.get(key)
        if cached is not None:
            return cached
        if span.is_point:
            out = np.full(self.samples, span.low)
        else:
            rng = np.random.default_rng([self.seed, zlib.crc32(name.encode())])
            out = rng.uniform(span.low, span.high, self.samples)
        self._draws[key] = out
        return out

    def _default_pue(self) -> Span:
        from wattlens.estimate._common import default_pue

        value = default_pue(self.catalog)
        return Span(value.low, value.high)

    # -- per-request energy ------------------------------------------------------
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

    def _pue_samples(self, spec: Scenario) -> Array:
        return self.draw("pue", spec.pue or self._default_pue())

    # -- training ------------------------------------------------------------------
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

    # -- impact factors ------------------------------------------------------------
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

    # -- one state -----------------------------------------------------------------
    def evaluate(self, spec: Scenario, where: Loc = ()) -> Evaluation:  # noqa: PLR0912, PLR0915
        """All samples of one scenario state (the baseline, or after some levers).

        Args:
            spec: the scenario state.
            where: the field path to blame for model errors (a lever's, after levers).

        Raises:
            ScenarioError: a model error, pointing at the class (or lever) that caused it.
        """
        n, years = self.samples, self.years
        k = np.arange(years, dtype=np.float64)[:, None]
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
                        loc, f"{r.name}: {_as_fields(exc.message)}", _as_fields(exc.hint or "")
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

        # Top-down fleet: a cross-check, or the estimate itself without request classes.
        fleet_info: dict[str, Any] | None = None
        inference_facility_pue = pue
        if spec.fleet is not None:
            f = spec.fleet
            fleet_pue = self.draw("pue", f.pue) if f.pue is not None else pue
            it_day = (
                self.draw("fleet.servers", f.servers)
                * self.draw("fleet.power_per_server", f.power_per_server)
                * self.draw("fleet.utilisation", f.utilisation)
                * 86_400.0
            )
            fleet_info = {
                "servers": f.servers.describe(),
                "power_per_server_w": f.power_per_server.describe(),
                "utilisation": f.utilisation.describe(),
                "basis": f.basis,
                "it_energy_per_day_j": quantiles(it_day),
                "facility_energy_per_day_j": quantiles(it_day * fleet_pue),
            }
            if per_request is not None:
                bottom_up_day = requests_day * per_request
                fleet_info["bottom_up_it_energy_per_day_j"] = quantiles(bottom_up_day)
                ratio = quantiles(bottom_up_day / it_day)
                fleet_info["bottom_up_to_top_down"] = ratio
                if not 0.5 <= ratio["p50"] <= 2.0:
                    warnings.append(
                        f"bottom-up energy is {ratio['p50']:.2g} x the top-down fleet's: "
                        + (
                            "the fleet idles most of the time, or the demand is too low"
                            if ratio["p50"] < 1
                            else "the fleet is too small for the demand, or the per-request "
                            "energy is too high"
                        )
                    )
            else:
                inference_it = np.broadcast_to(it_day * DAYS_PER_YEAR, (years, n)).copy()
                inference_facility_pue = fleet_pue
                assumptions.append("no request classes: the energy is the top-down fleet's")

        # Training, amortised evenly over its first years.
        factors = self.factors(spec.location)
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
                    f"{run.name}: {_as_fields(exc.message)}",
                    _as_fields(exc.hint or ""),
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

        inference_facility = inference_it * inference_facility_pue
        co2_loc = inference_facility * factors.co2e_g_per_j
        water_off = inference_facility * factors.water_offsite_l_per_j
        it_total, facility = inference_it, inference_facility
        if spec.training:
            it_total = it_total + training_it
            facility = facility + training_facility
            co2_loc += training_co2
            water_off += training_water_off
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

        per_request_it = per_request_facility = None
        if per_request is not None:
            per_request_it = per_request
            per_request_facility = per_request * pue
        return Evaluation(
            requests_per_year=requests_year,
            inference_it_j=inference_it,
            training_it_j=training_it,
            it_j=it_total,
            facility_j=facility,
            co2e_location_g=co2_loc,
            co2e_market_g=co2_market,
            water_onsite_l=water_on,
            water_offsite_l=water_off,
            cost=cost,
            cost_usd=cost_usd,
            currency=currency,
            per_request_it_j=per_request_it,
            per_request_facility_j=per_request_facility,
            classes=classes,
            training=runs,
            fleet=fleet_info,
            factors=factors,
            pue=pue,
            clean_share=clean,
            assumptions=assumptions,
            warnings=warnings,
            sources=sources,
        )

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


def _as_fields(text: str) -> str:
    """Say ``count:`` where a model's message names a command-line flag (``--count``)."""
    import re

    return re.sub(r"--([a-z][a-z-]*)", lambda m: m.group(1).replace("-", "_") + ":", text)


# -- JSON --------------------------------------------------------------------------
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
