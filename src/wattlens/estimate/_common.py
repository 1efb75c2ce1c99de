"""What every estimate shares: the result type, input checks, catalog look-ups, impacts.

``wattlens.estimate.training(...)`` and ``wattlens.estimate.inference(...)``
resolve names through the catalog, draw every uncertain input (seeded Monte
Carlo), run the pure formulas of :mod:`wattlens.formulas`, and return an
:class:`Estimate`: energy quantiles at the requested boundary (and at all
three), the assumptions with their bases, the inputs that drive the spread,
the catalog rows used, warnings, and the carbon, water and cost of the
facility energy at a location.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from wattlens.errors import InputValueError
from wattlens.formulas.uncertainty import (
    Input,
    Uncertain,
)
from wattlens.types import Impacts, Range, WarningItem

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from wattlens.catalog import Accelerator, Catalog, Model
    from wattlens.embodied import Embodied

    Array = npt.NDArray[np.float64]

Boundary = Literal["accelerator", "server", "facility"]
BOUNDARIES: tuple[Boundary, ...] = ("accelerator", "server", "facility")
#: Host (CPU, DRAM, NICs, fans, PSU losses) per accelerator as a fraction of its TDP.
#: Basis: at maximum load a DGX A100 (6.5 kW, 8 x 400 W GPUs) leaves 1.03 x TDP per GPU
#: for the rest of the server and a DGX H100 (10.2 kW, 8 x 700 W) 0.82 x TDP; hosts
#: run well below their maximum during training (NVIDIA DGX A100 / H100 datasheets).
HOST_FRACTION = Uncertain(
    0.1, 0.5, "triangular", 0.2,
    basis="NVIDIA DGX A100/H100 datasheets: server max minus GPU TDPs is 0.8-1.0 x TDP "
    "per GPU at full load; hosts draw well below that",
)  # fmt: skip


@dataclass(frozen=True)
class Assumption:
    """One input of an estimate, its value or range, and why."""

    name: str
    value: str
    basis: str


@dataclass(frozen=True, kw_only=True)
class Estimate:
    """A modelled energy with its range, boundary and provenance.

    :class:`TrainingEstimate` and :class:`InferenceEstimate` add what is
    specific to each kind. ``energy_j``, ``energy_by_boundary_j``,
    ``impacts``, ``extra`` and ``samples_j`` are the JSON-shaped views.
    """

    kind: Literal["training", "inference"]
    boundary: Boundary
    energy: Range
    """Energy at ``boundary``, joules (per request for inference)."""
    energy_by_boundary: dict[Boundary, Range]
    assumptions: tuple[Assumption, ...]
    sensitivity: tuple[tuple[str, float], ...]
    sources: tuple[str, ...]
    warnings: tuple[WarningItem, ...] = ()
    typed_impacts: Impacts
    """Carbon, water and cost of the facility energy at the location."""
    method: str = "estimated"
    embodied: Embodied | None = None
    """Manufacturing impacts of the accelerator-hours, modelled; never in ``impacts``."""

    @property
    def energy_j(self) -> dict[str, float]:
        return self.energy.to_dict()

    @property
    def energy_by_boundary_j(self) -> dict[str, dict[str, float]]:
        return {k: v.to_dict() for k, v in self.energy_by_boundary.items()}

    @property
    def impacts(self) -> dict[str, Any]:
        return self.typed_impacts.to_dict()

    @property
    def samples_j(self) -> dict[str, Any]:
        """The Monte Carlo samples per boundary (numpy arrays), for scenario engines."""
        return {k: v.samples for k, v in self.energy_by_boundary.items() if v.samples is not None}

    @property
    def extra(self) -> dict[str, Any]:
        """Kind-specific quantities (accelerator_hours, duration_s, per-phase energy …)."""
        return {}

    def to_dict(self) -> dict[str, Any]:
        """The stable JSON form (documented in the README)."""
        return {
            "kind": self.kind,
            "method": self.method,
            "boundary": self.boundary,
            "energy_j": self.energy_j,
            "energy_by_boundary_j": self.energy_by_boundary_j,
            **self.extra,
            "impacts": self.impacts,
            "embodied": self.embodied.to_dict() if self.embodied is not None else None,
            "assumptions": [
                {"name": a.name, "value": a.value, "basis": a.basis} for a in self.assumptions
            ],
            "sensitivity": [{"input": k, "share": v} for k, v in self.sensitivity],
            "sources": list(self.sources),
            "warnings": [str(w) for w in self.warnings],
        }

    def _repr_html_(self) -> str:
        """Jupyter's rich view: ranges by boundary, impacts, assumptions, sources (escaped)."""
        from wattlens.html_repr import estimate_html

        return estimate_html(self)


@dataclass(frozen=True, kw_only=True)
class TrainingEstimate(Estimate):
    """The energy of a training run."""

    kind: Literal["training", "inference"] = "training"
    accelerator_hours: Range
    duration_s: Range | None = None
    """Wall-clock duration, where the accelerator count is known."""
    flops: float | None = None
    """Training compute, on the parameters-and-tokens route."""

    @property
    def extra(self) -> dict[str, Any]:
        out: dict[str, Any] = {"accelerator_hours": self.accelerator_hours.to_dict()}
        if self.duration_s is not None:
            out["duration_s"] = self.duration_s.to_dict()
        if self.flops is not None:
            out["flops"] = self.flops
        return out


@dataclass(frozen=True, kw_only=True)
class InferenceEstimate(Estimate):
    """The energy of one request (prefill + decode) on given hardware."""

    kind: Literal["training", "inference"] = "inference"
    accelerator: str
    """The catalog name of the accelerator the request runs on."""
    count: int
    batch: Range
    precision: str
    output_tokens: Range
    prefill_energy_j: Range
    decode_energy_j: Range
    time_per_request_s: Range
    decode_step_s: Range | None = None
    """Time of one decode step of the whole batch (the inter-token latency)."""

    @property
    def extra(self) -> dict[str, Any]:
        # batch and output tokens: their central values (a range shows in the assumptions).
        return {
            "count": self.count,
            "batch": self.batch.p50,
            "precision": self.precision,
            "output_tokens": self.output_tokens.p50,
            "prefill_energy_j": self.prefill_energy_j.to_dict(),
            "decode_energy_j": self.decode_energy_j.to_dict(),
            "time_per_request_s": self.time_per_request_s.to_dict(),
        }


# -- helpers ---------------------------------------------------------------
def check_boundary(boundary: str) -> Boundary:
    if boundary not in BOUNDARIES:
        raise InputValueError(
            f"unknown boundary {boundary!r}", hint="use accelerator, server or facility"
        )
    return boundary


def positive(name: str, value: float | None, fix: str) -> None:
    if value is not None and not (value > 0 and math.isfinite(value)):
        raise InputValueError(f"{name} must be a positive number, got {value}", hint=fix)


def as_input(value: Input | tuple[float, float] | None, default: Input, name: str) -> Input:
    """Accept a float, a (low, high) pair or an :class:`Uncertain`; None gives the default."""
    if value is None:
        return default
    if isinstance(value, tuple):
        low, high = value
        if low > high:
            raise InputValueError(f"{name} range {low}:{high} has low above high")
        return Uncertain(low, high, basis="given")
    return value


def count_input(value: Input | tuple[float, float] | None, name: str, fix: str) -> Input | None:
    """A positive count (tokens, parameters, hours …): a value, a (low, high) pair or a range.

    A pair is drawn uniformly between its ends, like every other given range.
    """
    if value is None:
        return None
    given = as_input(value, 0.0, name)
    low = given.low if isinstance(given, Uncertain) else given
    high = given.high if isinstance(given, Uncertain) else given
    positive(name, low, fix)
    positive(name, high, fix)
    return given


def is_range(value: Input | None) -> bool:
    """True for an input that spans values (drawn in the Monte Carlo)."""
    return isinstance(value, Uncertain) and value.low < value.high


def scaled_input(value: Uncertain, k: float) -> Uncertain:
    """The range of ``k`` times an uncertain input (``k > 0``), same shape and basis."""
    mode = value.mode * k if value.mode is not None else None
    return Uncertain(value.low * k, value.high * k, value.shape, mode, value.basis)


def resolve_accelerator(name: str, catalog: Catalog) -> Accelerator:
    from wattlens.catalog import Accelerator

    row = catalog.get_typed("accelerators", name, Accelerator)
    if row.tdp_w is None:
        raise InputValueError(
            f"the catalog has no TDP for {row.name}",
            hint="add a row with tdp_w to your own catalog (see README, 'Your own rows')",
        )
    return row


def check_precision(acc: Accelerator, precision: str) -> None:
    """Refuse a number format the chip has no arithmetic for (bf16 or tf32 on a V100).

    fp8, int8 and int4 stay allowed on chips without those units: serving stacks
    store such weights and upcast them for 16-bit matmuls.
    """
    columns = {"fp32": acc.fp32_tflops, "tf32": acc.tf32_tflops, "bf16": acc.bf16_tflops,
               "fp16": acc.fp16_tflops, "fp8": acc.fp8_tflops, "int8": acc.int8_tops}  # fmt: skip
    if precision not in ("bf16", "tf32") or columns[precision] is not None:
        return
    supported = [name for name, value in columns.items() if value is not None]
    if not supported:
        return
    if acc.fp16_tflops is not None or acc.bf16_tflops is not None:
        supported.append("int4 (weights)")
    raise InputValueError(
        f"{acc.name} has no {precision} arithmetic; it supports {', '.join(supported)}",
        hint="pass --precision fp16"
        if acc.fp16_tflops is not None
        else "choose another --precision",
    )


def resolve_accelerators(name: str, catalog: Catalog) -> list[Accelerator]:
    """One accelerator, or every variant of a family a short name names (``A100``).

    A name that matches several catalog rows is a family: an estimate spans its
    variants rather than picking one.
    """
    from wattlens.catalog import Accelerator
    from wattlens.errors import AmbiguousNameError

    # A bare family name (``H100``) spans the rows whose id continues it (``nvidia-h100-*``),
    # even where the catalog lets it name one row for lookups.
    key = name.strip().lower().replace(" ", "-")

    def build() -> tuple[Accelerator, ...]:
        return tuple(r for r in catalog.rows("accelerators") if isinstance(r, Accelerator)
                     and r.id.split("-", 1)[-1].startswith(f"{key}-"))  # fmt: skip

    family = catalog.derived(("accelerator-family", key), build)
    if len(family) > 1 and all(r.tdp_w is not None for r in family):
        return list(family)
    try:
        return [resolve_accelerator(name, catalog)]
    except AmbiguousNameError as exc:
        return [resolve_accelerator(candidate, catalog) for candidate in exc.candidates]


def resolve_model(name: str, catalog: Catalog) -> Model:
    from wattlens.catalog import Model

    return catalog.get_typed("models", name, Model)


def default_pue(catalog: Catalog) -> Uncertain:
    """PUE range: the best provider fleet in the catalog to the industry average."""
    return catalog.derived(("default-pue",), lambda: _default_pue(catalog))


def _default_pue(catalog: Catalog) -> Uncertain:
    from wattlens.catalog import Pue

    rows = {r.id: r for r in catalog.rows("pue") if isinstance(r, Pue)}
    providers = [r.pue for r in rows.values() if not r.estimate and r.id != "industry-average"]
    industry = rows.get("industry-average")
    low = min(providers) if providers else 1.1
    high = industry.pue if industry else max(providers, default=1.6)
    return Uncertain(
        low, high, basis=f"catalog pue: best provider fleet ({low}) to industry average ({high})"
    )
